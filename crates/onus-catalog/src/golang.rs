//! Go binaries: the build info the Go linker embeds (`\xff Go buildinf:`), read from a stream.
//!
//! Go 1.18+ stores the version and module info inline after the 32-byte header (flag bit 2);
//! older binaries store two pointers to Go string headers (ELF program headers map the addresses
//! to file offsets). The capture sink ([`crate::golang_sink`]) keeps only a small summary (the two
//! strings), never the binary.

use std::collections::BTreeMap;

use memchr::memmem;
use onus_fs::FileVersion;
use onus_inventory::{make_purl, Ecosystem};
use serde::{Deserialize, Serialize};

use crate::text::clip;
use crate::{Cataloger, Ctx, Parsed};

/// The build-info header magic.
pub(crate) const MAGIC: &[u8] = b"\xff Go buildinf:";
/// Size of the build-info header; the inline strings follow it.
pub(crate) const HEADER_SIZE: usize = 32;
/// The header sits at a 16-byte aligned offset.
pub(crate) const ALIGN: u64 = 16;
/// Flag bit: the strings are inline after the header (Go 1.18+).
pub(crate) const FLAG_INLINE: u8 = 2;
/// Flag bit: big-endian pointers (pointer format).
pub(crate) const FLAG_BIG_ENDIAN: u8 = 1;
/// Longest version or modinfo string accepted.
pub(crate) const MAX_STRING: u64 = 4 << 20;
/// Marks the summary a [`GoSink`] keeps, so it is never mistaken for a binary.
pub(crate) const SUMMARY_PREFIX: &[u8] = b"onus-summary:go/v1\n";

/// The modinfo sentinels that wrap `runtime.modinfo`.
pub(crate) const SENTINEL_LEN: usize = 16;

/// One module of a Go binary.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GoModule {
    pub path: String,
    pub version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sum: Option<String>,
    /// The `=>` replacement, when the module was replaced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replace: Option<Box<GoModule>>,
}

impl GoModule {
    /// The module that was really built in: the replacement when it names a module version,
    /// else the original (a local-directory replacement has no version).
    pub fn effective(&self) -> &GoModule {
        match &self.replace {
            Some(r) if !r.version.is_empty() => r,
            _ => self,
        }
    }
}

/// Build info of a Go binary.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GoBuildInfo {
    /// As embedded, e.g. `go1.22.1` or `go1.22.1 X:boringcrypto`.
    pub go_version: String,
    /// The main package path (`path` line).
    pub path: Option<String>,
    /// The main module (`mod` line).
    pub main: Option<GoModule>,
    /// Dependency modules (`dep` lines), with replacements attached.
    pub deps: Vec<GoModule>,
    /// `build` settings (`GOOS`, `GOARCH`, `vcs.revision`, …).
    pub settings: BTreeMap<String, String>,
}

/// What the sink keeps of a binary: the two strings, or why they could not be read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct GoSummary {
    #[serde(default)]
    pub go_version: Option<String>,
    #[serde(default)]
    pub modinfo: Option<String>,
    #[serde(default)]
    pub error: Option<String>,
}

/// Read the build info of a whole Go binary. `Ok(None)` when it has no build-info header (not a
/// Go binary); `Err` when the header is there but cannot be read.
pub fn parse_go_binary(bytes: &[u8]) -> Result<Option<GoBuildInfo>, String> {
    let Some(at) = find_header(bytes, 0) else {
        return Ok(None);
    };
    let (version, modinfo) = read_strings(&bytes[at..], Some(bytes))?;
    Ok(Some(parse_go_modinfo(&version, &modinfo)))
}

/// Parse the `runtime/debug` modinfo text (`path`, `mod`, `dep`, `=>`, `build` lines).
pub fn parse_go_modinfo(go_version: &str, modinfo: &str) -> GoBuildInfo {
    let mut info = GoBuildInfo {
        go_version: go_version.trim().to_string(),
        ..GoBuildInfo::default()
    };
    // Where a `=>` line attaches: the main module or the last dependency.
    let mut last_is_main = false;
    for line in modinfo.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        let mut fields = line.split('\t');
        let kind = fields.next().unwrap_or("");
        let module = |mut fields: std::str::Split<'_, char>| GoModule {
            path: fields.next().unwrap_or("").to_string(),
            version: fields.next().unwrap_or("").to_string(),
            sum: fields.next().filter(|s| !s.is_empty()).map(str::to_string),
            replace: None,
        };
        match kind {
            "path" => info.path = fields.next().filter(|p| !p.is_empty()).map(str::to_string),
            "mod" => {
                info.main = Some(module(fields)).filter(|m| !m.path.is_empty());
                last_is_main = true;
            }
            "dep" => {
                let dep = module(fields);
                if !dep.path.is_empty() {
                    info.deps.push(dep);
                    last_is_main = false;
                }
            }
            "=>" => {
                let replacement = Box::new(module(fields));
                let target = if last_is_main {
                    info.main.as_mut()
                } else {
                    info.deps.last_mut()
                };
                if let Some(target) = target {
                    target.replace = Some(replacement);
                }
            }
            "build" => {
                let rest = line.strip_prefix("build\t").unwrap_or("");
                if let Some((key, value)) = rest.split_once('=') {
                    info.settings.insert(unquote(key), unquote(value));
                }
            }
            _ => {}
        }
    }
    info
}

/// Undo Go's `strconv.Quote` for build settings that needed it (`-ldflags="-s -w"`).
fn unquote(raw: &str) -> String {
    match raw.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
        Some(inner) => inner.replace("\\\"", "\"").replace("\\\\", "\\"),
        None => raw.to_string(),
    }
}

/// The first valid header at or after `from`: magic at an aligned offset (`base` is the file
/// offset of `bytes[0]`), a pointer size of 4 or 8 and known flags. A magic string elsewhere
/// (e.g. inside the `debug/buildinfo` package's own code) is skipped.
fn find_header(bytes: &[u8], base: u64) -> Option<usize> {
    let finder = memmem::Finder::new(MAGIC);
    let mut start = 0;
    while let Some(i) = finder.find(bytes.get(start..)?) {
        let at = start + i;
        if let Some(header) = bytes.get(at..at + HEADER_SIZE) {
            if (base + at as u64).is_multiple_of(ALIGN) && header_ok(header) {
                return Some(at);
            }
        }
        start = at + 1;
    }
    None
}

pub(crate) fn header_ok(header: &[u8]) -> bool {
    matches!(header.get(14), Some(4 | 8))
        && header
            .get(15)
            .is_some_and(|f| *f <= (FLAG_INLINE | FLAG_BIG_ENDIAN))
}

/// Read the version and modinfo strings for the header at the start of `data`. `file` is the
/// whole binary, needed only for the pre-1.18 pointer format.
fn read_strings(data: &[u8], file: Option<&[u8]>) -> Result<(String, String), String> {
    let flags = data.get(15).copied().unwrap_or(0);
    if flags & FLAG_INLINE != 0 {
        return read_inline_strings(data);
    }
    let file = file.ok_or(
        "build info uses the pre-1.18 pointer format, which needs the whole binary, and the binary is larger than the capture cap",
    )?;
    let ptr_size = usize::from(data.get(14).copied().unwrap_or(0));
    let big_endian = flags & FLAG_BIG_ENDIAN != 0;
    let elf = Elf::parse(file)?;
    let version_ptr = decode(
        data.get(16..16 + ptr_size)
            .ok_or("build info header is cut short")?,
        big_endian,
    );
    let modinfo_ptr = decode(
        data.get(16 + ptr_size..16 + 2 * ptr_size)
            .ok_or("build info header is cut short")?,
        big_endian,
    );
    let version = elf.read_go_string(file, version_ptr, ptr_size, big_endian)?;
    let modinfo = elf.read_go_string(file, modinfo_ptr, ptr_size, big_endian)?;
    Ok((lossy(version), strip_sentinels(modinfo)))
}

/// The version and modinfo strings that follow an inline (Go 1.18+) header at the start of `data`.
pub(crate) fn read_inline_strings(data: &[u8]) -> Result<(String, String), String> {
    let rest = data
        .get(HEADER_SIZE..)
        .ok_or("build info header is cut short")?;
    let (version, rest) =
        read_varint_string(rest).ok_or("build info version string is cut short or too long")?;
    let (modinfo, _) =
        read_varint_string(rest).ok_or("build info module string is cut short or too long")?;
    Ok((lossy(version), strip_sentinels(modinfo)))
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `runtime.modinfo` is wrapped in 16-byte sentinels; Go keeps the text only when they are there.
pub(crate) fn strip_sentinels(modinfo: &[u8]) -> String {
    let n = modinfo.len();
    if n > 2 * SENTINEL_LEN && modinfo[n - SENTINEL_LEN - 1] == b'\n' {
        lossy(&modinfo[SENTINEL_LEN..n - SENTINEL_LEN])
    } else {
        String::new()
    }
}

/// A uvarint length followed by that many bytes.
fn read_varint_string(data: &[u8]) -> Option<(&[u8], &[u8])> {
    let mut value: u64 = 0;
    let mut shift = 0;
    for (index, byte) in data.iter().take(10).enumerate() {
        let used = index + 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            if value > MAX_STRING {
                return None;
            }
            let len = usize::try_from(value).ok()?;
            let rest = data.get(used..)?;
            return Some((rest.get(..len)?, rest.get(len..)?));
        }
        shift += 7;
    }
    None
}

pub(crate) fn decode(bytes: &[u8], big_endian: bool) -> u64 {
    let fold = |acc: u64, b: &u8| (acc << 8) | u64::from(*b);
    if big_endian {
        bytes.iter().fold(0, fold)
    } else {
        bytes.iter().rev().fold(0, fold)
    }
}

/// Just enough ELF to map virtual addresses to file offsets (the `PT_LOAD` segments).
pub(crate) struct Elf {
    /// (virtual address, file offset, size in the file)
    loads: Vec<(u64, u64, u64)>,
}

impl Elf {
    pub(crate) fn parse(file: &[u8]) -> Result<Elf, String> {
        const NOT_ELF: &str =
            "build info uses the pre-1.18 pointer format and the binary is not a readable ELF file";
        if file.get(..4) != Some(b"\x7fELF") {
            return Err(NOT_ELF.to_string());
        }
        let is64 = match file.get(4) {
            Some(1) => false,
            Some(2) => true,
            _ => return Err(NOT_ELF.to_string()),
        };
        let big_endian = file.get(5) == Some(&2);
        let field = |offset: usize, len: usize| {
            file.get(offset..offset + len)
                .map(|b| decode(b, big_endian))
        };
        let (phoff, phentsize, phnum) = if is64 {
            (field(0x20, 8), field(0x36, 2), field(0x38, 2))
        } else {
            (field(0x1c, 4), field(0x2a, 2), field(0x2c, 2))
        };
        let (Some(phoff), Some(phentsize), Some(phnum)) = (phoff, phentsize, phnum) else {
            return Err(NOT_ELF.to_string());
        };
        let mut loads = Vec::new();
        for i in 0..phnum.min(4096) {
            let Some(start) = i.checked_mul(phentsize).and_then(|o| o.checked_add(phoff)) else {
                break;
            };
            let Ok(start) = usize::try_from(start) else {
                break;
            };
            let at = |offset: usize, len: usize| field(start.checked_add(offset)?, len);
            let entry = if is64 {
                (at(0, 4), at(8, 8), at(16, 8), at(32, 8))
            } else {
                (at(0, 4), at(4, 4), at(8, 4), at(16, 4))
            };
            if let (Some(1), Some(offset), Some(vaddr), Some(filesz)) = entry {
                loads.push((vaddr, offset, filesz));
            }
        }
        Ok(Elf { loads })
    }

    /// The file offset of virtual address `addr`, when `len` bytes from there are in the file.
    pub(crate) fn offset_of(&self, addr: u64, len: u64) -> Option<u64> {
        let (vaddr, offset, _) = self.loads.iter().find(|(v, _, size)| {
            addr >= *v
                && addr
                    .checked_add(len)
                    .is_some_and(|end| v.checked_add(*size).is_some_and(|limit| end <= limit))
        })?;
        offset.checked_add(addr - vaddr)
    }

    /// The file bytes at virtual address `addr`, `len` long.
    fn read<'a>(&self, file: &'a [u8], addr: u64, len: u64) -> Option<&'a [u8]> {
        let start = usize::try_from(self.offset_of(addr, len)?).ok()?;
        let len = usize::try_from(len).ok()?;
        file.get(start..start.checked_add(len)?)
    }

    /// Follow a pointer to a Go string header (data pointer, length) and read the string.
    fn read_go_string<'a>(
        &self,
        file: &'a [u8],
        addr: u64,
        ptr_size: usize,
        big_endian: bool,
    ) -> Result<&'a [u8], String> {
        let unmapped = || format!("build info pointer `{addr:#x}` does not point into the binary");
        let header = self
            .read(file, addr, 2 * ptr_size as u64)
            .ok_or_else(unmapped)?;
        let data = decode(&header[..ptr_size], big_endian);
        let len = decode(&header[ptr_size..], big_endian);
        if len > MAX_STRING {
            return Err(format!(
                "build info string at `{addr:#x}` claims `{len}` bytes"
            ));
        }
        if len == 0 {
            return Ok(&[]);
        }
        self.read(file, data, len).ok_or_else(unmapped)
    }
}

/// Decode captured content: a sink summary, or (a `Whole` capture, a test) the binary itself.
pub(crate) fn decode_content(bytes: &[u8]) -> Result<Option<GoBuildInfo>, String> {
    match bytes.strip_prefix(SUMMARY_PREFIX) {
        Some(json) => {
            let summary: GoSummary = serde_json::from_slice(json)
                .map_err(|e| format!("go build info summary is unreadable: {e}"))?;
            if let Some(error) = summary.error {
                return Err(error);
            }
            Ok(Some(parse_go_modinfo(
                summary.go_version.as_deref().unwrap_or(""),
                summary.modinfo.as_deref().unwrap_or(""),
            )))
        }
        None => parse_go_binary(bytes),
    }
}

/// `go1.22.1 X:boringcrypto` → `1.22.1`; `devel go1.23-abc` stays as it is.
fn stdlib_version(go_version: &str) -> Option<String> {
    let first = go_version.split_whitespace().next()?;
    Some(first.strip_prefix("go").unwrap_or(first).to_string()).filter(|v| !v.is_empty())
}

/// `pkg:golang/<namespace>/<name>@<version>`, the module path split at its last `/`.
fn module_purl(path: &str, version: &str) -> Result<String, onus_inventory::PurlError> {
    let (namespace, name) = match path.rsplit_once('/') {
        Some((ns, name)) => (Some(ns), name),
        None => (None, path),
    };
    // A working-tree build has no version a purl could name.
    let version = if version == DEVEL { "" } else { version };
    make_purl("golang", namespace, name, version, &[])
}

/// The version Go gives a main module built from a working tree.
const DEVEL: &str = "(devel)";

/// The main module's version, as Syft finds it: the embedded one unless it is `(devel)`; then
/// a version set at link time (`-ldflags -X main.version=…`); then, for a build of a clean
/// VCS checkout, the module pseudo-version of its commit (`v0.0.0-20240102030405-0123456789ab`)
/// or the bare revision without a commit time. A modified tree (`vcs.modified=true`) is no
/// commit, so it gets no pseudo-version.
fn main_version(version: &str, settings: &BTreeMap<String, String>) -> String {
    if version != DEVEL {
        return version.to_string();
    }
    if let Some(v) = settings.get("-ldflags").and_then(|f| ldflags_version(f)) {
        return v;
    }
    if settings.get("vcs.modified").is_some_and(|m| m == "true") {
        return version.to_string();
    }
    let Some(revision) = settings.get("vcs.revision").filter(|r| !r.is_empty()) else {
        return version.to_string();
    };
    let Some(time) = settings.get("vcs.time") else {
        return revision.clone();
    };
    let short: String = revision.chars().take(12).collect();
    format!("v0.0.0-{}-{short}", pseudo_timestamp(time))
}

/// The version a `-X` flag sets: `-X main.version=1.2.3`, `-X=main.Version=v1.2.3`,
/// `-X 'github.com/o/r/internal/version.Version=v1.2.3'`: a `version`-like variable of `main`
/// or of a package named `version`, `buildinfo` or `build`, whose value starts like a version.
/// `1.2.3` becomes `v1.2.3`, as module versions are written.
fn ldflags_version(flags: &str) -> Option<String> {
    let tokens: Vec<String> = flags
        .split_whitespace()
        .map(|t| t.trim_matches(|c| c == '\'' || c == '"').to_string())
        .collect();
    let mut assignments = Vec::new();
    for (i, token) in tokens.iter().enumerate() {
        if token == "-X" {
            if let Some(next) = tokens.get(i + 1) {
                assignments.push(next.as_str());
            }
        } else if let Some(rest) = token.strip_prefix("-X=") {
            assignments.push(rest);
        }
    }
    for assignment in assignments {
        let Some((symbol, value)) = assignment.split_once('=') else {
            continue;
        };
        let Some((package, variable)) = symbol.rsplit_once('.') else {
            continue;
        };
        let package_name = package.rsplit('/').next().unwrap_or(package);
        let variable_ok = ["version", "gitversion", "buildversion", "release"]
            .iter()
            .any(|v| variable.eq_ignore_ascii_case(v));
        let package_ok =
            package == "main" || ["version", "buildinfo", "build"].contains(&package_name);
        let value = value.trim_matches(|c| c == '\'' || c == '"');
        let looks_like_version = value
            .strip_prefix('v')
            .unwrap_or(value)
            .starts_with(|c: char| c.is_ascii_digit());
        if variable_ok && package_ok && looks_like_version {
            return Some(if value.starts_with('v') {
                value.to_string()
            } else {
                format!("v{value}")
            });
        }
    }
    None
}

/// `2024-01-02T03:04:05Z` → `20240102030405` (Go stamps `vcs.time` in UTC); anything else gives
/// the zero time, as Syft does when the time does not parse.
fn pseudo_timestamp(time: &str) -> String {
    let bytes = time.as_bytes();
    let shape_ok = bytes.len() >= 20
        && bytes.iter().take(19).enumerate().all(|(i, b)| match i {
            4 | 7 => *b == b'-',
            10 => *b == b'T',
            13 | 16 => *b == b':',
            _ => b.is_ascii_digit(),
        })
        && time.ends_with('Z');
    if !shape_ok {
        return "00010101000000".to_string();
    }
    time.chars().take(19).filter(char::is_ascii_digit).collect()
}

/// Build settings copied to the main module's metadata.
const KEPT_SETTINGS: [&str; 7] = [
    "GOOS",
    "GOARCH",
    "CGO_ENABLED",
    "-tags",
    "vcs.revision",
    "vcs.time",
    "vcs.modified",
];

/// Turn build info into components: the main module, each dependency and `stdlib`.
fn components(info: &GoBuildInfo, path: &str, parsed: &mut Parsed) {
    let mut metadata = BTreeMap::new();
    metadata.insert("go_version".to_string(), info.go_version.clone());
    if let Some(main) = &info.main {
        metadata.insert("main_module".to_string(), main.path.clone());
    }
    // The Go `path` line: the main package the binary was built from.
    if let Some(package) = &info.path {
        metadata.insert("main_package".to_string(), package.clone());
    }
    let mut push = |name: &str,
                    version: &str,
                    purl: Result<String, onus_inventory::PurlError>,
                    extra: BTreeMap<String, String>| match purl {
        Ok(purl) => {
            let mut c = crate::component(name, version, Ecosystem::Golang, purl, path);
            c.metadata = metadata.clone();
            c.metadata.extend(extra);
            parsed.components.push(c);
        }
        Err(e) => parsed.unknowns.push(crate::unknown(path, e.to_string())),
    };
    // Like Syft (and `go version -m`): a binary built from a package without a module (the Go
    // toolchain's own `cmd/go`) has only a `path` line; that path stands for the main module.
    let from_path = match (&info.main, &info.path) {
        (None, Some(path)) => Some(GoModule {
            path: path.clone(),
            version: DEVEL.to_string(),
            sum: None,
            replace: None,
        }),
        _ => None,
    };
    if let Some(main) = info.main.as_ref().or(from_path.as_ref()) {
        let module = main.effective();
        let mut extra = BTreeMap::new();
        for key in KEPT_SETTINGS {
            if let Some(value) = info.settings.get(key) {
                extra.insert(format!("build.{key}"), clip(value));
            }
        }
        let version = main_version(&module.version, &info.settings);
        if version != module.version {
            extra.insert("module_version".to_string(), module.version.clone());
        }
        push(
            &module.path,
            &version,
            module_purl(&module.path, &version),
            extra,
        );
    }
    for dep in &info.deps {
        let module = dep.effective();
        let mut extra = BTreeMap::new();
        // Replaced by a local directory: the replaced module's path, built from whatever that
        // directory held, so no version (its requirement's version says nothing).
        let mut version = module.version.as_str();
        if let Some(replace) = dep.replace.as_ref().filter(|r| r.version.is_empty()) {
            extra.insert("replaced_by".to_string(), replace.path.clone());
            extra.insert("required_version".to_string(), dep.version.clone());
            version = "";
        }
        push(
            &module.path,
            version,
            module_purl(&module.path, version),
            extra,
        );
    }
    // Like Syft: the component keeps Go's spelling (`go1.22.1`), the purl the bare version.
    if let Some(version) = stdlib_version(&info.go_version) {
        let spelled = info
            .go_version
            .split_whitespace()
            .next()
            .unwrap_or(&version)
            .to_string();
        push(
            "stdlib",
            &spelled,
            make_purl("golang", None, "stdlib", &version, &[]),
            BTreeMap::new(),
        );
    }
}

/// True for files the Go cataloger looks at: regular files whose captured content is a Go sink
/// summary (executable or not, like Syft, which goes by the file's magic), and executables whose
/// content was captured whole (hand-built views).
pub(crate) fn is_go_candidate(path: &str, entry: &FileVersion) -> bool {
    let Some(content) = entry.content.as_ref() else {
        return false;
    };
    entry.meta.kind == onus_fs::FileKind::Regular
        && (content.bytes.starts_with(SUMMARY_PREFIX) || entry.meta.is_executable_file())
        && !crate::java::is_java_archive(path)
}

/// Catalogs Go binaries.
pub(crate) struct GoCataloger;

impl Cataloger for GoCataloger {
    fn name(&self) -> &'static str {
        "go-module-binary"
    }

    fn matches(&self, path: &str, entry: &FileVersion) -> bool {
        is_go_candidate(path, entry)
    }

    fn needs_content(&self) -> bool {
        false
    }

    fn parse(&self, _ctx: &Ctx<'_>, path: &str, bytes: &[u8], _complete: bool) -> Parsed {
        let mut parsed = Parsed::default();
        match decode_content(bytes) {
            Ok(Some(info)) => {
                components(&info, path, &mut parsed);
                if parsed.components.is_empty() {
                    parsed.unknowns.push(crate::unknown(
                        path,
                        "go binary has build info without a Go version or modules",
                    ));
                }
            }
            Ok(None) => {}
            Err(reason) => parsed.unknowns.push(crate::unknown(
                path,
                format!("cannot read go build info: {reason}"),
            )),
        }
        parsed
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) mod tests {
    use super::*;
    use crate::testutil::ViewBuilder;

    const START: &[u8; 16] = b"0w\xaf\x0c\x92t\x08\x02A\xe1\xc1\x07\xe6\xd6\x18\xe6";
    const END: &[u8; 16] = b"\xf92C1\x86\x18 r\x00\x82B\x10A\x16\xd8\xf2";

    pub const MODINFO: &str = "path\texample.com/app/cmd/app\nmod\texample.com/app\t(devel)\t\ndep\tgithub.com/pkg/errors\tv0.9.1\th1:abc=\ndep\tgolang.org/x/crypto\tv0.1.0\th1:def=\n=>\tgolang.org/x/crypto\tv0.17.0\th1:ghi=\ndep\texample.com/local\tv1.0.0\n=>\t../local\t\t\nbuild\t-ldflags=\"-s -w\"\nbuild\tGOARCH=amd64\nbuild\tGOOS=linux\nbuild\tvcs.revision=0123abc\n";

    fn wrapped(modinfo: &str) -> Vec<u8> {
        let mut v = START.to_vec();
        v.extend_from_slice(modinfo.as_bytes());
        v.extend_from_slice(END);
        v
    }

    fn varint(mut n: usize, out: &mut Vec<u8>) {
        while n >= 0x80 {
            out.push((n as u8) | 0x80);
            n >>= 7;
        }
        out.push(n as u8);
    }

    /// A fake binary with a Go 1.18+ inline build-info blob at an aligned offset `offset`; it
    /// starts with the ELF magic when `offset` leaves room for it.
    pub fn inline_binary(offset: usize, version: &str, modinfo: &str) -> Vec<u8> {
        let mut bin = vec![0x90u8; offset];
        if offset >= 4 {
            bin[..4].copy_from_slice(b"\x7fELF");
        }
        bin.extend_from_slice(MAGIC);
        bin.push(8);
        bin.push(FLAG_INLINE);
        bin.resize(offset + HEADER_SIZE, 0);
        varint(version.len(), &mut bin);
        bin.extend_from_slice(version.as_bytes());
        let m = wrapped(modinfo);
        varint(m.len(), &mut bin);
        bin.extend_from_slice(&m);
        bin.extend(std::iter::repeat_n(0xccu8, 1000));
        bin
    }

    /// A minimal little-endian ELF64 with a pre-1.18 pointer-format build info, laid out like
    /// the Go linker does: the strings in `.rodata` first, then the build-info header (first in
    /// the data segment), then the two Go string headers it points to (`.data`).
    pub fn pointer_elf(version: &str, modinfo: &str) -> Vec<u8> {
        const VADDR: u64 = 0x400000;
        let mut f = vec![0u8; 0x1000];
        f[..4].copy_from_slice(b"\x7fELF");
        f[4] = 2; // 64-bit
        f[5] = 1; // little endian
        f[0x20..0x28].copy_from_slice(&64u64.to_le_bytes()); // e_phoff
        f[0x36..0x38].copy_from_slice(&56u16.to_le_bytes()); // e_phentsize
        f[0x38..0x3a].copy_from_slice(&1u16.to_le_bytes()); // e_phnum
                                                            // Strings at 0x200 (version) and 0x300 (modinfo).
        let m = wrapped(modinfo);
        f[0x200..0x200 + version.len()].copy_from_slice(version.as_bytes());
        f.resize(0x300 + m.len() + 0x100, 0);
        f[0x300..0x300 + m.len()].copy_from_slice(&m);
        while !f.len().is_multiple_of(16) {
            f.push(0);
        }
        let str_headers = (f.len() + HEADER_SIZE) as u64;
        f.extend_from_slice(MAGIC);
        f.push(8);
        f.push(0);
        f.extend_from_slice(&(VADDR + str_headers).to_le_bytes());
        f.extend_from_slice(&(VADDR + str_headers + 16).to_le_bytes());
        f.extend_from_slice(&(VADDR + 0x200).to_le_bytes());
        f.extend_from_slice(&(version.len() as u64).to_le_bytes());
        f.extend_from_slice(&(VADDR + 0x300).to_le_bytes());
        f.extend_from_slice(&(m.len() as u64).to_le_bytes());
        f.extend_from_slice(&[0u8; 64]);
        let len = f.len() as u64;
        // PT_LOAD covering the whole file.
        let ph = 64;
        f[ph..ph + 4].copy_from_slice(&1u32.to_le_bytes());
        f[ph + 8..ph + 16].copy_from_slice(&0u64.to_le_bytes());
        f[ph + 16..ph + 24].copy_from_slice(&VADDR.to_le_bytes());
        f[ph + 32..ph + 40].copy_from_slice(&len.to_le_bytes());
        f
    }

    /// Offset of the build-info header in `bin`.
    pub fn header_at(bin: &[u8]) -> usize {
        find_header(bin, 0).unwrap()
    }

    #[test]
    fn parses_modinfo_with_replacements() {
        let info = parse_go_modinfo("go1.22.1", MODINFO);
        assert_eq!(info.path.as_deref(), Some("example.com/app/cmd/app"));
        assert_eq!(info.main.as_ref().unwrap().version, "(devel)");
        assert_eq!(info.deps.len(), 3);
        assert_eq!(info.deps[1].effective().version, "v0.17.0");
        assert_eq!(
            info.deps[2].effective().path,
            "example.com/local",
            "local replacement keeps the original"
        );
        assert_eq!(
            info.settings.get("-ldflags").map(String::as_str),
            Some("-s -w")
        );
    }

    #[test]
    fn reads_inline_and_pointer_formats() {
        let bin = inline_binary(4096, "go1.22.1", MODINFO);
        let info = parse_go_binary(&bin).unwrap().unwrap();
        assert_eq!(info.go_version, "go1.22.1");
        assert_eq!(info.deps.len(), 3);
        let elf = pointer_elf("go1.16.5", MODINFO);
        let info = parse_go_binary(&elf).unwrap().unwrap();
        assert_eq!(info.go_version, "go1.16.5");
        assert_eq!(info.main.unwrap().path, "example.com/app");
        assert_eq!(parse_go_binary(b"\x7fELF not go at all").unwrap(), None);
    }

    #[test]
    fn misaligned_or_bogus_magic_is_ignored() {
        let mut bin = inline_binary(4096, "go1.22.1", MODINFO);
        // A stray magic string (as inside debug/buildinfo's code) before the real header.
        bin[17..17 + MAGIC.len()].copy_from_slice(MAGIC);
        bin[32..32 + MAGIC.len()].copy_from_slice(MAGIC);
        bin[32 + 14] = 77;
        assert_eq!(
            parse_go_binary(&bin).unwrap().unwrap().go_version,
            "go1.22.1"
        );
    }

    #[test]
    fn malformed_build_info_is_an_error() {
        let mut bin = inline_binary(0, "go1.22.1", MODINFO);
        bin.truncate(HEADER_SIZE + 3);
        assert!(parse_go_binary(&bin).is_err());
        let mut bin = inline_binary(0, "go1", "");
        bin[HEADER_SIZE] = 0xff; // an absurd varint length
        bin[HEADER_SIZE + 1] = 0xff;
        bin[HEADER_SIZE + 2] = 0xff;
        assert!(parse_go_binary(&bin).is_err());
        let mut not_elf = pointer_elf("go1.16", MODINFO);
        not_elf[0] = 0;
        assert!(parse_go_binary(&not_elf)
            .unwrap_err()
            .contains("not a readable ELF"));
        let mut bad_ptr = pointer_elf("go1.16", MODINFO);
        let at = header_at(&bad_ptr) + 16;
        bad_ptr[at..at + 8].copy_from_slice(&0xdead_beefu64.to_le_bytes());
        assert!(parse_go_binary(&bad_ptr).is_err());
    }

    #[test]
    fn versions_set_at_link_time() {
        for (flags, want) in [
            ("-X main.version=1.2.3", Some("v1.2.3")),
            ("-X=main.Version=v1.2.3", Some("v1.2.3")),
            (
                "-s -w -X 'github.com/org/tool/internal/version.Version=v0.9.0-rc.1'",
                Some("v0.9.0-rc.1"),
            ),
            (
                "-X \"k8s.io/component-base/version.gitVersion=v1.29.1\"",
                Some("v1.29.1"),
            ),
            (
                "-X github.com/org/tool/pkg/buildinfo.Release=3.1",
                Some("v3.1"),
            ),
            // Not a version variable, not a version value, not a version package.
            ("-X main.commit=abcdef", None),
            ("-X main.version=dev", None),
            ("-X github.com/org/tool/cmd.version=1.0", None),
            ("-s -w", None),
            ("-X", None),
        ] {
            assert_eq!(ldflags_version(flags).as_deref(), want, "{flags}");
        }
    }

    #[test]
    fn path_only_binaries_get_a_devel_main_module() {
        // `go version -m /usr/lib/go-1.19/bin/go`: a `path` line, build settings, no `mod`.
        let info = parse_go_modinfo(
            "go1.19.8",
            "path\tcmd/go\nbuild\t-compiler=gc\nbuild\tGOARCH=amd64\n",
        );
        assert!(info.main.is_none());
        let mut parsed = Parsed::default();
        components(&info, "/usr/lib/go-1.19/bin/go", &mut parsed);
        let purls: Vec<&str> = parsed.components.iter().map(|c| c.purl.as_str()).collect();
        assert_eq!(
            purls,
            // A working-tree build: no version in the purl.
            vec!["pkg:golang/cmd/go", "pkg:golang/stdlib@1.19.8"]
        );
        assert_eq!(parsed.components[0].name, "cmd/go");
        assert_eq!(parsed.components[0].version, "(devel)");
        let no_path = parse_go_modinfo("go1.19.8", "build\tGOARCH=amd64\n");
        let mut parsed = Parsed::default();
        components(&no_path, "/x", &mut parsed);
        assert_eq!(parsed.components.len(), 1, "stdlib only");
    }

    #[test]
    fn devel_main_module_takes_the_vcs_pseudo_version() {
        let settings = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let stamped = settings(&[
            ("vcs.revision", "0123456789abcdef0123"),
            ("vcs.time", "2024-01-02T03:04:05Z"),
        ]);
        assert_eq!(
            main_version("(devel)", &stamped),
            "v0.0.0-20240102030405-0123456789ab"
        );
        assert_eq!(main_version("v1.2.3", &stamped), "v1.2.3");
        let no_time = settings(&[("vcs.revision", "0123abc")]);
        assert_eq!(main_version("(devel)", &no_time), "0123abc");
        let bad_time = settings(&[("vcs.revision", "0123abc"), ("vcs.time", "yesterday")]);
        assert_eq!(
            main_version("(devel)", &bad_time),
            "v0.0.0-00010101000000-0123abc"
        );
        assert_eq!(main_version("(devel)", &settings(&[])), "(devel)");
        // A modified tree is no commit: no pseudo-version.
        let dirty = settings(&[
            ("vcs.revision", "0123abc"),
            ("vcs.time", "2024-01-02T03:04:05Z"),
            ("vcs.modified", "true"),
        ]);
        assert_eq!(main_version("(devel)", &dirty), "(devel)");
        // A version set at link time comes before the VCS, even for a modified tree.
        let linked = settings(&[
            (
                "-ldflags",
                "-s -w -X main.version=1.4.2 -X main.commit=0123abc",
            ),
            ("vcs.modified", "true"),
        ]);
        assert_eq!(main_version("(devel)", &linked), "v1.4.2");
        // The embedded version always wins.
        assert_eq!(main_version("v2.0.0", &linked), "v2.0.0");
    }

    #[test]
    fn cataloger_emits_main_deps_and_stdlib() {
        let view = ViewBuilder::new()
            .layer()
            .exec(
                "/usr/bin/app",
                &inline_binary(128, "go1.22.1 X:boringcrypto", MODINFO),
            )
            .exec("/usr/bin/broken", &{
                let mut b = inline_binary(0, "go1.22.1", MODINFO);
                b.truncate(40);
                b
            })
            .exec("/usr/bin/plain", b"\x7fELF")
            .file("/usr/share/app.bin", &inline_binary(0, "go1.22.1", MODINFO))
            .build();
        let catalog = crate::catalog(&view, &onus_fs::NoReporter);
        let purls: Vec<&str> = catalog.components.iter().map(|c| c.purl.as_str()).collect();
        assert_eq!(
            purls,
            vec![
                "pkg:golang/example.com/app@0123abc",
                // Replaced by `../local`: the module's path, no version.
                "pkg:golang/example.com/local",
                "pkg:golang/github.com/pkg/errors@v0.9.1",
                "pkg:golang/golang.org/x/crypto@v0.17.0",
                "pkg:golang/stdlib@1.22.1",
            ]
        );
        assert_eq!(catalog.components[4].version, "go1.22.1");
        let main = &catalog.components[0];
        assert_eq!(
            main.version, "0123abc",
            "the VCS revision of a (devel) build"
        );
        assert_eq!(
            main.metadata.get("module_version").map(String::as_str),
            Some("(devel)")
        );
        assert_eq!(
            main.metadata.get("main_module").map(String::as_str),
            Some("example.com/app")
        );
        assert_eq!(
            main.metadata.get("build.GOARCH").map(String::as_str),
            Some("amd64")
        );
        let main_package = main.metadata.get("main_package").map(String::as_str);
        assert_eq!(main_package, Some("example.com/app/cmd/app"));
        assert_eq!(main.found_by, "go-module-binary");
        assert_eq!(
            catalog.components[1]
                .metadata
                .get("replaced_by")
                .map(String::as_str),
            Some("../local")
        );
        assert_eq!(
            catalog.components[4]
                .metadata
                .get("go_version")
                .map(String::as_str),
            Some("go1.22.1 X:boringcrypto")
        );
        assert_eq!(catalog.unknowns.len(), 1);
        assert_eq!(catalog.unknowns[0].location, "/usr/bin/broken");
    }
}
