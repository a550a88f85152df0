//! dpkg databases: `/var/lib/dpkg/status` and distroless `/var/lib/dpkg/status.d/*` (one file
//! per package), with file lists from `info/<pkg>[:<arch>].list` / `.md5sums` and
//! `status.d/<name>.md5sums`.

use std::collections::HashMap;

use onus_fs::{FileKind, FileView};
use onus_inventory::{make_purl, Component, Ecosystem, OsInfo, Unknown};

use crate::text::{clip, numbered_lines, Errors};
use crate::{Cataloger, Ctx, Parsed};

pub(crate) const STATUS_PATH: &str = "/var/lib/dpkg/status";
pub(crate) const STATUS_DIR: &str = "/var/lib/dpkg/status.d/";
pub(crate) const INFO_DIR: &str = "/var/lib/dpkg/info/";

/// One paragraph of a dpkg status file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DpkgRecord {
    pub package: String,
    pub version: String,
    pub architecture: Option<String>,
    /// `Source:` package name, without the optional `(version)`.
    pub source: Option<String>,
    /// The `(version)` of `Source: name (version)`, when given.
    pub source_version: Option<String>,
    /// `Status:`; absent in distroless `status.d` files.
    pub status: Option<String>,
    /// `Conffiles:` paths still shipped (not marked `obsolete` or `remove-on-upgrade`): part of
    /// the package's files, and the only record of them where no `.list` file exists
    /// (distroless `status.d` has `.md5sums`, which leave conffiles out).
    pub conffiles: Vec<String>,
    /// 1-based line number where the paragraph starts.
    pub line: usize,
}

impl DpkgRecord {
    /// True when the package's files are on disk: no `Status:` line (status.d), or a
    /// `<want> <flag> <state>` whose state leaves the files in place, whatever the wish and
    /// flag (`install ok installed`, `hold ok installed`, `deinstall reinstreq installed`, and
    /// the states between unpacking and configuring: `unpacked`, `half-configured`,
    /// `triggers-awaited`, `triggers-pending`). `not-installed`, `config-files` (only conffiles
    /// left) and `half-installed` (an interrupted unpack or removal) are not packages.
    pub fn is_installed(&self) -> bool {
        match &self.status {
            None => true,
            Some(status) => {
                let words: Vec<&str> = status.split_whitespace().collect();
                matches!(
                    words.as_slice(),
                    [
                        _,
                        "ok" | "reinstreq",
                        "installed"
                            | "unpacked"
                            | "half-configured"
                            | "triggers-awaited"
                            | "triggers-pending"
                    ]
                )
            }
        }
    }
}

/// Parse a dpkg status file (or one status.d file). Paragraphs without `Package` or `Version`
/// and malformed lines are reported in the returned messages (capped; never a panic).
pub fn parse_dpkg_status(bytes: &[u8]) -> (Vec<DpkgRecord>, Vec<String>) {
    let text = String::from_utf8_lossy(bytes);
    let mut records = Vec::new();
    let mut errors = Errors::default();
    let mut current: Option<DpkgRecord> = None;
    let mut in_conffiles = false;
    for (number, line) in numbered_lines(&text) {
        if line.trim().is_empty() {
            finish(current.take(), &mut records, &mut errors);
            in_conffiles = false;
            continue;
        }
        if line.starts_with([' ', '\t']) {
            // Continuation of a multi-line field: ` /etc/foo.conf <md5> [obsolete]` lines of
            // `Conffiles` are kept; the rest (Description) is not.
            if let (true, Some(record)) = (in_conffiles, current.as_mut()) {
                let mut words = line.split_whitespace();
                let path = words.next().unwrap_or("");
                let gone = words.any(|w| w == "obsolete" || w == "remove-on-upgrade");
                if path.starts_with('/') && !gone && record.conffiles.len() < MAX_CONFFILES {
                    record.conffiles.push(path.to_string());
                }
            }
            continue;
        }
        in_conffiles = false;
        let record = current.get_or_insert_with(|| DpkgRecord {
            line: number,
            ..DpkgRecord::default()
        });
        let Some((key, value)) = line.split_once(':') else {
            errors.push(format!(
                "line {number}: expected `Field: value`, found `{}`",
                clip(line)
            ));
            continue;
        };
        let value = value.trim();
        let some = || Some(value.to_string()).filter(|v| !v.is_empty());
        match key.trim().to_ascii_lowercase().as_str() {
            "package" => record.package = value.to_string(),
            "version" => record.version = value.to_string(),
            "architecture" => record.architecture = some(),
            "status" => record.status = some(),
            "conffiles" => in_conffiles = true,
            "source" => {
                let (name, version) = split_source(value);
                record.source = name;
                record.source_version = version;
            }
            _ => {}
        }
    }
    finish(current, &mut records, &mut errors);
    (records, errors.into_vec())
}

/// Conffiles kept per package (a bound on hostile status files).
const MAX_CONFFILES: usize = 10_000;

/// `foo (1.2-3)` → (`foo`, `1.2-3`); `foo` → (`foo`, none).
fn split_source(value: &str) -> (Option<String>, Option<String>) {
    let (name, version) = match value.split_once('(') {
        Some((name, rest)) => (name, Some(rest.trim_end().trim_end_matches(')').trim())),
        None => (value, None),
    };
    let name = Some(name.trim().to_string()).filter(|n| !n.is_empty());
    (name, version.filter(|v| !v.is_empty()).map(str::to_string))
}

fn finish(record: Option<DpkgRecord>, records: &mut Vec<DpkgRecord>, errors: &mut Errors) {
    let Some(record) = record else { return };
    match (record.package.is_empty(), record.version.is_empty()) {
        (false, false) => records.push(record),
        (true, _) => errors.push(format!(
            "paragraph at line {}: no `Package` field",
            record.line
        )),
        (false, true) => {
            // Not-installed paragraphs (config-files, half-removed) legitimately lack a version.
            if record.is_installed() {
                errors.push(format!(
                    "paragraph at line {} (`{}`): no `Version` field",
                    record.line,
                    clip(&record.package)
                ));
            }
        }
    }
}

/// `pkg:deb/<os id>/<name>@<version>?arch=…&distro=<id>-<version_id>` (`debian` without an OS).
pub(crate) fn deb_purl(
    os: Option<&OsInfo>,
    name: &str,
    version: &str,
    arch: Option<&str>,
) -> Result<String, onus_inventory::PurlError> {
    let namespace = os.map_or("debian", |o| o.id.as_str());
    let distro = crate::apk::distro_qualifier(os);
    make_purl(
        "deb",
        Some(namespace),
        name,
        version,
        &[("arch", arch.unwrap_or("")), ("distro", &distro)],
    )
}

fn records_to_components(ctx: &Ctx<'_>, path: &str, bytes: &[u8], complete: bool) -> Parsed {
    let (records, errors) = parse_dpkg_status(bytes);
    let mut parsed = Parsed::default();
    parsed
        .unknowns
        .extend(errors.into_iter().map(|e| crate::unknown(path, e)));
    if !complete {
        parsed.unknowns.push(crate::unknown(
            path,
            "database was truncated at the capture size cap; later packages are missing",
        ));
    }
    for record in records.into_iter().filter(DpkgRecord::is_installed) {
        if let Err(e) = onus_version::deb::DebVersion::parse(&record.version) {
            parsed.unknowns.push(crate::unknown(
                path,
                format!(
                    "paragraph at line {} (`{}`): version `{}` is not a Debian version: {e}",
                    record.line,
                    clip(&record.package),
                    clip(&record.version)
                ),
            ));
            continue;
        }
        let purl = match deb_purl(
            ctx.os,
            &record.package,
            &record.version,
            record.architecture.as_deref(),
        ) {
            Ok(purl) => purl,
            Err(e) => {
                parsed.unknowns.push(crate::unknown(path, e.to_string()));
                continue;
            }
        };
        let mut c = crate::component(&record.package, &record.version, Ecosystem::Deb, purl, path);
        // Debian's rule: without a `Source` field the source package has the binary's name.
        c.origin = record.source.or_else(|| Some(record.package.clone()));
        c.origin_version = record.source_version;
        c.arch = record.architecture;
        // Carried to `enrich`, which merges them with the package's file list.
        c.files = record.conffiles;
        parsed.components.push(c);
    }
    parsed
}

/// Catalogs `/var/lib/dpkg/status`.
pub(crate) struct StatusCataloger;

impl Cataloger for StatusCataloger {
    fn name(&self) -> &'static str {
        "dpkg-db"
    }

    fn matches(&self, path: &str, _entry: &onus_fs::FileVersion) -> bool {
        path == STATUS_PATH
    }

    fn parse(&self, ctx: &Ctx<'_>, path: &str, bytes: &[u8], complete: bool) -> Parsed {
        records_to_components(ctx, path, bytes, complete)
    }

    fn enrich(
        &self,
        ctx: &Ctx<'_>,
        _path: &str,
        component: &mut Component,
        unknowns: &mut Vec<Unknown>,
    ) {
        let arch = component.arch.as_deref().unwrap_or("");
        let name = &component.name;
        let candidates = [
            format!("{INFO_DIR}{name}.list"),
            format!("{INFO_DIR}{name}:{arch}.list"),
            format!("{INFO_DIR}{name}.md5sums"),
            format!("{INFO_DIR}{name}:{arch}.md5sums"),
        ];
        let listed = read_file_lists(ctx.view, &candidates, unknowns);
        component.files = with_conffiles(listed, std::mem::take(&mut component.files));
        add_copyright_license(ctx, component);
    }
}

/// Catalogs distroless `/var/lib/dpkg/status.d/<name>` files.
pub(crate) struct StatusDirCataloger;

impl Cataloger for StatusDirCataloger {
    fn name(&self) -> &'static str {
        "dpkg-db"
    }

    fn matches(&self, path: &str, _entry: &onus_fs::FileVersion) -> bool {
        is_status_d_entry(path)
    }

    fn parse(&self, ctx: &Ctx<'_>, path: &str, bytes: &[u8], complete: bool) -> Parsed {
        records_to_components(ctx, path, bytes, complete)
    }

    fn enrich(
        &self,
        ctx: &Ctx<'_>,
        path: &str,
        component: &mut Component,
        unknowns: &mut Vec<Unknown>,
    ) {
        let arch = component.arch.as_deref().unwrap_or("");
        let name = &component.name;
        let candidates = [
            format!("{path}.md5sums"),
            format!("{STATUS_DIR}{name}.md5sums"),
            format!("{INFO_DIR}{name}.list"),
            format!("{INFO_DIR}{name}:{arch}.list"),
            format!("{INFO_DIR}{name}.md5sums"),
            format!("{INFO_DIR}{name}:{arch}.md5sums"),
        ];
        let listed = read_file_lists(ctx.view, &candidates, unknowns);
        component.files = with_conffiles(listed, std::mem::take(&mut component.files));
        add_copyright_license(ctx, component);
    }
}

/// Where a Debian package's copyright file is.
pub(crate) fn is_copyright_file(path: &str) -> bool {
    path.strip_prefix("/usr/share/doc/")
        .and_then(|rest| rest.strip_suffix("/copyright"))
        .is_some_and(|package| !package.is_empty() && !package.contains('/'))
}

/// Keeps only what [`parse_copyright_license`] reads of a copyright file (its first line and its
/// `License:` lines), so the image reader holds a few hundred bytes per package, not the text.
pub(crate) struct CopyrightSink {
    line: Vec<u8>,
    kept: Vec<u8>,
    seen_first: bool,
}

/// Longest line looked at, and most bytes kept per file.
const COPYRIGHT_LINE: usize = 4 << 10;
const COPYRIGHT_KEPT: usize = 64 << 10;

impl CopyrightSink {
    pub(crate) fn new() -> Self {
        CopyrightSink {
            line: Vec::new(),
            kept: Vec::new(),
            seen_first: false,
        }
    }

    fn end_line(&mut self) {
        let line = std::mem::take(&mut self.line);
        let blank = line.iter().all(u8::is_ascii_whitespace);
        let keep = (!self.seen_first && !blank) || line.starts_with(b"License:");
        if !blank {
            self.seen_first = true;
        }
        if keep && self.kept.len() + line.len() < COPYRIGHT_KEPT {
            self.kept.extend_from_slice(&line);
            self.kept.push(b'\n');
        }
    }
}

impl onus_fs::ContentSink for CopyrightSink {
    fn write(&mut self, chunk: &[u8]) {
        for part in chunk.split_inclusive(|b| *b == b'\n') {
            let (body, ends) = match part.strip_suffix(b"\n") {
                Some(body) => (body, true),
                None => (part, false),
            };
            let room = COPYRIGHT_LINE.saturating_sub(self.line.len());
            self.line.extend_from_slice(&body[..body.len().min(room)]);
            if ends {
                self.end_line();
            }
        }
    }

    fn finish(mut self: Box<Self>) -> Option<Vec<u8>> {
        if !self.line.is_empty() {
            self.end_line();
        }
        Some(self.kept)
    }
}

/// The licence of a package from its machine-readable (DEP-5) copyright file, when it has one.
fn add_copyright_license(ctx: &Ctx<'_>, component: &mut Component) {
    let path = format!("/usr/share/doc/{}/copyright", component.name);
    let Some(content) = ctx.view.content(&path) else {
        return;
    };
    if let Some(license) = parse_copyright_license(&content.bytes) {
        component.metadata.insert("license".to_string(), license);
    }
}

/// The licences a DEP-5 copyright file names (the first line of each `License:` field, each
/// normalised), joined with `AND`: the package as a whole is under all of them. `None` for a
/// free-form copyright file, whose licence is not stated in a form onus can read with certainty.
pub fn parse_copyright_license(bytes: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(bytes);
    let first = text.lines().find(|l| !l.trim().is_empty())?;
    let format = first.strip_prefix("Format:")?.trim();
    if !format.contains("copyright-format") && !format.contains("dep5") {
        return None;
    }
    onus_inventory::license_all(
        text.lines()
            .filter_map(|line| line.strip_prefix("License:")),
    )
}

/// A package file directly inside `status.d/` (not its `.md5sums` companion).
pub(crate) fn is_status_d_entry(path: &str) -> bool {
    path.strip_prefix(STATUS_DIR)
        .is_some_and(|name| !name.is_empty() && !name.contains('/') && !name.ends_with(".md5sums"))
}

/// Any file directly inside `status.d/` (package files and their `.md5sums`).
pub(crate) fn is_status_d_file(path: &str) -> bool {
    path.strip_prefix(STATUS_DIR)
        .is_some_and(|name| !name.is_empty() && !name.contains('/'))
}

/// `info/<pkg>[:<arch>].list` and `info/<pkg>[:<arch>].md5sums`.
pub(crate) fn is_info_file_list(path: &str) -> bool {
    path.strip_prefix(INFO_DIR).is_some_and(|name| {
        !name.contains('/') && (name.ends_with(".list") || name.ends_with(".md5sums"))
    })
}

/// Read the first existing file list among `candidates` (a `.list` or `.md5sums`): absolute
/// paths, without directories (as the view sees them) and without the `/.` root entry.
/// A package's files: its file list plus its conffiles (usually listed already).
fn with_conffiles(mut files: Vec<String>, conffiles: Vec<String>) -> Vec<String> {
    files.extend(conffiles.iter().filter_map(|p| onus_fs::normalize_path(p)));
    files.sort();
    files.dedup();
    files
}

fn read_file_lists(
    view: &dyn FileView,
    candidates: &[String],
    unknowns: &mut Vec<Unknown>,
) -> Vec<String> {
    for candidate in candidates {
        if view.entry(candidate).is_none() {
            continue;
        }
        let Some(content) = view.content(candidate) else {
            unknowns.push(crate::unknown(
                candidate,
                "file content was not captured by the image reader",
            ));
            continue;
        };
        if !content.complete {
            unknowns.push(crate::unknown(
                candidate,
                "file list was truncated at the capture size cap",
            ));
        }
        let text = String::from_utf8_lossy(&content.bytes);
        let md5 = candidate.ends_with(".md5sums");
        let mut files = Vec::new();
        let mut parents = ParentCache::new();
        for (_, line) in numbered_lines(&text) {
            let raw = if md5 {
                // `<32 hex digits>  <relative path>`
                match line.split_once(char::is_whitespace) {
                    Some((_, rest)) => rest.trim_start(),
                    None => continue,
                }
            } else {
                line
            };
            if raw.trim().is_empty() {
                continue;
            }
            let Some(path) = onus_fs::normalize_path(raw) else {
                continue;
            };
            if path == "/" || is_directory(view, &path, &mut parents) {
                continue;
            }
            files.push(path);
        }
        return files;
    }
    Vec::new()
}

/// Real paths of parent directories, cached while one file list is read (usr-merged images
/// list `/lib/…` and `/bin/…`, which go through a symlink).
type ParentCache = HashMap<String, Option<String>>;

fn is_directory(view: &dyn FileView, path: &str, parents: &mut ParentCache) -> bool {
    let kind_of = |p: &str| view.entry(p).map(|v| v.meta.kind);
    // A path stored as it is has real directories for parents: only a symlink (or a path below
    // one, which is not stored as such) needs resolving.
    let real = match kind_of(path) {
        Some(FileKind::Directory) => return true,
        Some(FileKind::Regular | FileKind::Hardlink | FileKind::Other) => return false,
        Some(FileKind::Symlink) => path.to_string(),
        None => {
            let parent = onus_fs::parent(path);
            if !parents.contains_key(parent) {
                parents.insert(parent.to_string(), view.resolve(parent).ok());
            }
            let Some(Some(real_parent)) = parents.get(parent) else {
                return false;
            };
            let name = onus_fs::file_name(path);
            let real = if real_parent == "/" {
                format!("/{name}")
            } else {
                format!("{real_parent}/{name}")
            };
            match kind_of(&real) {
                Some(FileKind::Symlink) => real,
                kind => return kind == Some(FileKind::Directory),
            }
        }
    };
    view.resolve(&real)
        .is_ok_and(|r| kind_of(&r) == Some(FileKind::Directory))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::testutil::ViewBuilder;

    const STATUS: &[u8] = b"Package: libc6\nStatus: install ok installed\nPriority: optional\nArchitecture: amd64\nMulti-Arch: same\nSource: glibc\nVersion: 2.36-9+deb12u4\nDescription: GNU C Library\n multi-line\n .\n more\n\nPackage: libssl3\nStatus: install ok installed\nArchitecture: amd64\nSource: openssl (3.0.11-1~deb12u2)\nVersion: 3.0.13-1~deb12u1\n\nPackage: removed\nStatus: deinstall ok config-files\nArchitecture: amd64\n\nPackage: held\nStatus: hold ok installed\nVersion: 1:2.0\nArchitecture: all\n";

    #[test]
    fn licenses_from_machine_readable_copyright_files() {
        let dep5 = b"Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\nUpstream-Name: zlib\n\nFiles: *\nCopyright: 1995-2022 Jean-loup Gailly and Mark Adler\nLicense: Zlib\n\nFiles: debian/*\nLicense: GPL-2+\n\nLicense: Zlib\n This software is provided 'as-is'.\n";
        assert_eq!(
            parse_copyright_license(dep5).as_deref(),
            Some("Zlib AND GPL-2.0-or-later")
        );
        let either = b"Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nFiles: *\nLicense: MIT or Apache-2.0\n";
        assert_eq!(
            parse_copyright_license(either).as_deref(),
            Some("MIT OR Apache-2.0")
        );
        // Free-form files say nothing certain.
        assert_eq!(
            parse_copyright_license(b"This package was debianized by someone.\nLicense: GPL\n"),
            None
        );
        assert_eq!(parse_copyright_license(b""), None);
        // The sink keeps what the parser reads, however the file is chunked.
        for size in [1, 5, 4096] {
            let mut sink: Box<dyn onus_fs::ContentSink> = Box::new(CopyrightSink::new());
            for part in dep5.chunks(size) {
                sink.write(part);
            }
            let kept = sink.finish().unwrap();
            assert_eq!(
                parse_copyright_license(&kept).as_deref(),
                Some("Zlib AND GPL-2.0-or-later"),
                "chunks of {size}"
            );
            assert!(kept.len() < 120, "{}", String::from_utf8_lossy(&kept));
        }
        assert!(is_copyright_file("/usr/share/doc/zlib1g/copyright"));
        assert!(!is_copyright_file(
            "/usr/share/doc/zlib1g/examples/copyright"
        ));
    }

    #[test]
    fn parses_paragraphs_and_source() {
        let (records, errors) = parse_dpkg_status(STATUS);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(
            records.len(),
            3,
            "the config-files paragraph has no version"
        );
        assert_eq!(records[0].source.as_deref(), Some("glibc"));
        assert_eq!(records[0].source_version, None);
        assert_eq!(records[1].source.as_deref(), Some("openssl"));
        assert_eq!(
            records[1].source_version.as_deref(),
            Some("3.0.11-1~deb12u2")
        );
        assert!(records.iter().all(DpkgRecord::is_installed));
        let (records, _) =
            parse_dpkg_status(b"Package: a\nVersion: 1\nStatus: deinstall ok config-files\n");
        assert!(!records[0].is_installed());
        let (records, _) = parse_dpkg_status(
            b"Package: a\nVersion: 1\nStatus: install reinstreq half-installed\n",
        );
        assert!(!records[0].is_installed());
        // Every state that leaves the files on disk is a package, whatever the wish and flag.
        for status in [
            "deinstall reinstreq installed",
            "purge ok installed",
            "install ok unpacked",
            "install ok half-configured",
            "install ok triggers-pending",
            "install ok triggers-awaited",
        ] {
            let text = format!("Package: a\nVersion: 1\nStatus: {status}\n");
            let (records, _) = parse_dpkg_status(text.as_bytes());
            assert!(records[0].is_installed(), "{status}");
        }
        for status in ["install ok not-installed", "deinstall ok config-files"] {
            let text = format!("Package: a\nVersion: 1\nStatus: {status}\n");
            let (records, _) = parse_dpkg_status(text.as_bytes());
            assert!(!records[0].is_installed(), "{status}");
        }
    }

    #[test]
    fn invalid_versions_are_unknowns_not_components() {
        let view = crate::testutil::ViewBuilder::new()
            .layer()
            .file(
                "/var/lib/dpkg/status",
                b"Package: good\nStatus: install ok installed\nVersion: 1.2-3\n\nPackage: bad\nStatus: install ok installed\nVersion: 1:2:x y\n",
            )
            .build();
        let catalog = crate::catalog(&view, &onus_fs::NoReporter);
        let names: Vec<&str> = catalog.components.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["good"]);
        assert!(catalog
            .unknowns
            .iter()
            .any(|u| u.reason.contains("`bad`") && u.reason.contains("not a Debian version")));
    }

    #[test]
    fn malformed_paragraphs_are_reported() {
        let (records, errors) = parse_dpkg_status(
            b"no colon here\nVersion: 1\n\nPackage: p\nStatus: install ok installed\n\n\xff\xfe\n",
        );
        assert!(records.is_empty());
        assert_eq!(errors.len(), 5, "{errors:?}");
        assert_eq!(split_source("  ("), (None, None));
        assert_eq!(split_source("x (1"), (Some("x".into()), Some("1".into())));
    }

    #[test]
    fn status_with_info_lists_and_usr_merge() {
        let view = ViewBuilder::new()
            .layer()
            .dir("/usr/lib")
            .symlink("/lib", "usr/lib")
            .symlink("/etc/os-release", "../usr/lib/os-release")
            .file("/usr/lib/os-release", b"ID=debian\nVERSION_ID=\"12\"\n")
            .file("/var/lib/dpkg/status", STATUS)
            .file("/var/lib/dpkg/info/libc6:amd64.list", b"/.\n/lib\n/lib/x86_64-linux-gnu\n/lib/x86_64-linux-gnu/libc.so.6\n/lib/terminfo\n/lib/sh\n/usr/share/doc/libc6/copyright\n")
            .file("/usr/lib/x86_64-linux-gnu/libc.so.6", b"elf")
            // Below the /lib symlink: a symlink to a directory (dropped), one to a file (kept).
            .dir("/usr/share/terminfo")
            .symlink("/usr/lib/terminfo", "../share/terminfo")
            .file("/usr/lib/dash", b"elf")
            .symlink("/usr/lib/sh", "dash")
            .file("/var/lib/dpkg/info/libssl3:amd64.md5sums", b"0123456789abcdef0123456789abcdef  usr/lib/x86_64-linux-gnu/libssl.so.3\n")
            .build();
        let catalog = crate::catalog(&view, &onus_fs::NoReporter);
        let names: Vec<&str> = catalog.components.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, vec!["held", "libc6", "libssl3"]);
        let libc = &catalog.components[1];
        assert_eq!(
            libc.purl,
            "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12"
        );
        assert_eq!(
            libc.files,
            vec![
                "/lib/sh",
                "/lib/x86_64-linux-gnu/libc.so.6",
                "/usr/share/doc/libc6/copyright"
            ]
        );
        assert_eq!(libc.origin.as_deref(), Some("glibc"));
        let ssl = &catalog.components[2];
        assert_eq!(ssl.files, vec!["/usr/lib/x86_64-linux-gnu/libssl.so.3"]);
        assert_eq!(ssl.origin_version.as_deref(), Some("3.0.11-1~deb12u2"));
        assert_eq!(
            catalog.components[0].purl,
            "pkg:deb/debian/held@1:2.0?arch=all&distro=debian-12"
        );
        assert!(catalog.unknowns.is_empty(), "{:?}", catalog.unknowns);
    }

    #[test]
    fn conffiles_join_the_file_list_unless_obsolete() {
        let (records, errors) = parse_dpkg_status(
            b"Package: base-files\nVersion: 12.4\nConffiles:\n /etc/host.conf 4eb63\n /etc/old.conf 00aa obsolete\n /etc/gone.conf 00bb remove-on-upgrade\n not-a-path x\nDescription: d\n /etc/not-a-conffile\n",
        );
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(records[0].conffiles, vec!["/etc/host.conf"]);
        // status.d keeps conffiles out of `.md5sums`: they come from the paragraph.
        let view = ViewBuilder::new()
            .layer()
            .file(
                "/var/lib/dpkg/status.d/base-files",
                b"Package: base-files\nVersion: 12.4+deb12u5\nArchitecture: amd64\nConffiles:\n /etc/host.conf 4eb63\n /etc/issue 0123 obsolete\n",
            )
            .file(
                "/var/lib/dpkg/status.d/base-files.md5sums",
                b"bb  usr/lib/os-release\n",
            )
            .build();
        let catalog = crate::catalog(&view, &onus_fs::NoReporter);
        assert_eq!(
            catalog.components[0].files,
            vec!["/etc/host.conf", "/usr/lib/os-release"]
        );
    }

    #[test]
    fn distroless_status_d() {
        let view = ViewBuilder::new()
            .layer()
            .file(
                "/var/lib/dpkg/status.d/base-files",
                b"Package: base-files\nVersion: 12.4+deb12u5\nArchitecture: amd64\n",
            )
            .file(
                "/var/lib/dpkg/status.d/base-files.md5sums",
                b"aa  etc/debian_version\nbb  usr/lib/os-release\n",
            )
            .layer()
            .file(
                "/var/lib/dpkg/status.d/tzdata",
                b"Package: tzdata\nVersion: 2024a-0+deb12u1\nArchitecture: all\n",
            )
            .build();
        let catalog = crate::catalog(&view, &onus_fs::NoReporter);
        assert_eq!(catalog.components.len(), 2);
        let base = &catalog.components[0];
        assert_eq!(
            base.files,
            vec!["/etc/debian_version", "/usr/lib/os-release"]
        );
        assert_eq!(base.layer, Some(0));
        assert_eq!(base.locations, vec!["/var/lib/dpkg/status.d/base-files"]);
        assert_eq!(catalog.components[1].layer, Some(1));
        assert!(is_status_d_entry("/var/lib/dpkg/status.d/x"));
        assert!(!is_status_d_entry("/var/lib/dpkg/status.d/x.md5sums"));
        assert!(!is_status_d_entry("/var/lib/dpkg/status.d/"));
    }
}
