//! Java archives (jar, war, ear, par, sar, jpi, hpi): `META-INF/maven/**/pom.properties`, else
//! `META-INF/MANIFEST.MF`, else the file name; nested archives (`BOOT-INF/lib/*.jar`,
//! `WEB-INF/lib/*.jar`, …) to a bounded depth and count.
//!
//! The capture sink parses the zip while the image is read and keeps a small JSON summary
//! ([`JavaArchive`]), never the archive.

use std::collections::BTreeMap;
use std::io::{Cursor, Read};
use std::sync::{Condvar, Mutex, PoisonError};

use onus_fs::ContentSink;
use onus_inventory::{make_purl, Ecosystem};
use serde::{Deserialize, Serialize};

use crate::text::{clip, numbered_lines};
use crate::{Cataloger, Ctx, Parsed};

/// Marks the summary a [`JavaSink`] keeps.
pub(crate) const SUMMARY_PREFIX: &[u8] = b"onus-summary:java/v1\n";

/// File extensions of Java archives (compared case-insensitively).
const EXTENSIONS: [&str; 7] = ["jar", "war", "ear", "par", "sar", "jpi", "hpi"];
/// Nesting depth followed below the outer archive. The real bounds are the byte and count
/// budgets below (what nesting costs); this only keeps a crafted archive-in-archive chain from
/// exhausting the thread's stack.
const MAX_DEPTH: usize = 32;
/// Nested archives read per outer archive, all depths together.
const MAX_NESTED: usize = 512;
/// Largest compressed nested archive inflated into memory (stored ones are read in place). With
/// the depth limit it bounds what one outer archive adds to its own size in memory.
const MAX_NESTED_SIZE: u64 = 32 << 20;
/// Decompressed bytes read per outer archive, all entries together (zip bombs).
const MAX_INFLATED: u64 = 512 << 20;
/// Largest `pom.properties` / `MANIFEST.MF` read.
const MAX_SMALL_ENTRY: u64 = 256 << 10;
/// Entries looked at per archive.
const MAX_ENTRIES: usize = 200_000;
/// Error messages kept per archive.
const MAX_ERRORS: usize = 10;

/// Manifest main-section attributes kept in the summary.
const MANIFEST_KEYS: [&str; 20] = [
    "Bundle-License",
    // New Relic's instrumentation modules: code woven into the library they name, not it.
    "Weave-Classes",
    "Implementation-Title",
    "Implementation-Version",
    "Implementation-Vendor",
    "Implementation-Vendor-Id",
    "Specification-Title",
    "Specification-Version",
    "Specification-Vendor",
    "Bundle-SymbolicName",
    "Bundle-Name",
    "Bundle-Version",
    "Bundle-Activator",
    "Short-Name",
    "Plugin-Version",
    "Group-Id",
    "Extension-Name",
    "Automatic-Module-Name",
    "Main-Class",
    "Package",
];

/// Manifest attributes that may hold a Maven group, by priority (Syft's lists); a value counts
/// when it looks like a reverse domain name. The second list is the last resort.
const GROUP_KEYS: [&str; 8] = [
    "Group-Id",
    "Bundle-SymbolicName",
    "Extension-Name",
    "Specification-Vendor",
    "Implementation-Vendor",
    "Implementation-Vendor-Id",
    "Implementation-Title",
    "Bundle-Activator",
];
const GROUP_KEYS_LAST_RESORT: [&str; 3] = ["Automatic-Module-Name", "Main-Class", "Package"];

/// One `pom.properties` found in an archive.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PomProperties {
    /// Path inside the archive.
    pub path: String,
    pub group_id: Option<String>,
    pub artifact_id: String,
    pub version: String,
}

/// What identifies one archive, and the archives nested in it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JavaArchive {
    #[serde(default)]
    pub pom_properties: Vec<PomProperties>,
    /// True when the archive has a `META-INF/MANIFEST.MF`.
    #[serde(default)]
    pub has_manifest: bool,
    /// Selected main-section attributes of `META-INF/MANIFEST.MF`.
    #[serde(default)]
    pub manifest: BTreeMap<String, String>,
    #[serde(default)]
    pub nested: Vec<NestedArchive>,
    /// Entries that could not be read (capped).
    #[serde(default)]
    pub errors: Vec<String>,
}

/// An archive inside another one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NestedArchive {
    /// Path inside the enclosing archive (`BOOT-INF/lib/spring-core-6.1.2.jar`).
    pub path: String,
    pub archive: JavaArchive,
}

/// What a [`JavaSink`] keeps: the archive summary, or why there is none.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct JavaSummary {
    #[serde(default)]
    archive: Option<JavaArchive>,
    #[serde(default)]
    error: Option<String>,
}

/// Shared limits while walking one outer archive.
struct Budget {
    inflated_left: u64,
    nested_left: usize,
}

/// Read a Java archive from memory. `Err` when it is not a readable zip.
pub fn parse_java_archive(bytes: &[u8]) -> Result<JavaArchive, String> {
    let mut budget = Budget {
        inflated_left: MAX_INFLATED,
        nested_left: MAX_NESTED,
    };
    read_archive(bytes, 0, &mut budget)
}

fn read_archive(bytes: &[u8], depth: usize, budget: &mut Budget) -> Result<JavaArchive, String> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| format!("not a readable zip archive: {e}"))?;
    let mut archive = JavaArchive::default();
    let mut pom_xmls: Vec<PomProperties> = Vec::new();
    let push_error = |errors: &mut Vec<String>, message: String| {
        if errors.len() < MAX_ERRORS {
            errors.push(message);
        }
    };
    for index in 0..zip.len().min(MAX_ENTRIES) {
        let mut file = match zip.by_index(index) {
            Ok(file) => file,
            Err(e) => {
                push_error(&mut archive.errors, format!("entry {index}: {e}"));
                continue;
            }
        };
        if file.is_dir() {
            continue;
        }
        let name = file.name().to_string();
        // Anywhere in the archive, not only under `META-INF/maven/<group>/<artifact>/`.
        let is_pom = name == "pom.properties" || name.ends_with("/pom.properties");
        let is_pom_xml = name == "pom.xml" || name.ends_with("/pom.xml");
        let is_manifest = name.eq_ignore_ascii_case("META-INF/MANIFEST.MF");
        let is_nested = depth < MAX_DEPTH && is_java_archive(&name);
        if !(is_pom || is_pom_xml || is_manifest || is_nested) {
            continue;
        }
        let limit = if is_nested {
            if budget.nested_left == 0 {
                push_error(
                    &mut archive.errors,
                    format!("`{}`: too many nested archives, not read", clip(&name)),
                );
                continue;
            }
            budget.nested_left -= 1;
            // A stored (uncompressed) nested archive, as Spring Boot writes them, is read in
            // place: no copy, so its size does not count against the nested-archive cap.
            if file.compression() == zip::CompressionMethod::Stored {
                let stored = usize::try_from(file.data_start())
                    .ok()
                    .zip(usize::try_from(file.compressed_size()).ok())
                    .and_then(|(start, len)| bytes.get(start..start.checked_add(len)?));
                if let Some(stored) = stored {
                    let nested = read_archive(stored, depth + 1, budget);
                    push_nested(&mut archive, name, nested);
                    continue;
                }
            }
            if file.size() > MAX_NESTED_SIZE {
                push_error(
                    &mut archive.errors,
                    format!(
                        "`{}`: compressed nested archive larger than `{MAX_NESTED_SIZE}` bytes, not read",
                        clip(&name)
                    ),
                );
                continue;
            }
            MAX_NESTED_SIZE
        } else {
            MAX_SMALL_ENTRY
        };
        let limit = limit.min(budget.inflated_left);
        let mut data = Vec::new();
        if let Err(e) = (&mut file).take(limit).read_to_end(&mut data) {
            push_error(&mut archive.errors, format!("`{}`: {e}", clip(&name)));
            continue;
        }
        budget.inflated_left = budget.inflated_left.saturating_sub(data.len() as u64);
        if is_pom {
            if let Some(pom) = parse_pom_properties(&name, &data) {
                archive.pom_properties.push(pom);
            }
        } else if is_pom_xml {
            if let Some(pom) = parse_pom_xml(&name, &data) {
                pom_xmls.push(pom);
            }
        } else if is_manifest {
            archive.has_manifest = true;
            archive.manifest = parse_manifest(&data);
        } else {
            let nested = read_archive(&data, depth + 1, budget);
            push_nested(&mut archive, name, nested);
        }
    }
    if zip.len() > MAX_ENTRIES {
        push_error(
            &mut archive.errors,
            format!("only the first `{MAX_ENTRIES}` entries were read"),
        );
    }
    // A pom.xml counts only where its directory has no pom.properties (Maven writes both; the
    // properties file is the one with resolved values).
    for pom in pom_xmls {
        let dir = onus_fs::parent(&pom.path).to_string();
        if !archive
            .pom_properties
            .iter()
            .any(|p| onus_fs::parent(&p.path) == dir)
        {
            archive.pom_properties.push(pom);
        }
    }
    archive.pom_properties.sort_by(|a, b| a.path.cmp(&b.path));
    archive.nested.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(archive)
}

/// Most elements a `pom.xml` may nest (real ones use a handful).
const MAX_XML_DEPTH: usize = 64;

/// A `pom.xml`'s own coordinates: `project/groupId`, `artifactId` and `version`, the group and
/// version inherited from `project/parent` when absent. `None` without an artifact, a version, or
/// when a value is an unresolved `${property}`.
fn parse_pom_xml(path: &str, bytes: &[u8]) -> Option<PomProperties> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_reader(bytes);
    let mut stack: Vec<Vec<u8>> = Vec::new();
    let mut values: BTreeMap<&'static str, String> = BTreeMap::new();
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e)) => {
                if stack.len() >= MAX_XML_DEPTH {
                    return None;
                }
                stack.push(e.local_name().as_ref().to_vec());
            }
            Ok(Event::End(_)) => {
                stack.pop();
            }
            Ok(Event::Text(text)) => {
                let key = match stack.iter().map(Vec::as_slice).collect::<Vec<_>>()[..] {
                    [b"project", b"groupId"] => "group",
                    [b"project", b"artifactId"] => "artifact",
                    [b"project", b"version"] => "version",
                    [b"project", b"parent", b"groupId"] => "parent_group",
                    [b"project", b"parent", b"version"] => "parent_version",
                    _ => {
                        buf.clear();
                        continue;
                    }
                };
                let value = text.unescape().ok()?.trim().to_string();
                values.entry(key).or_insert(value);
            }
            Ok(Event::Eof) => break,
            Err(_) => return None,
            Ok(_) => {}
        }
        buf.clear();
    }
    let get = |key: &str| {
        values
            .get(key)
            .filter(|v| !v.is_empty() && !v.contains("${"))
            .cloned()
    };
    Some(PomProperties {
        path: path.to_string(),
        group_id: get("group").or_else(|| get("parent_group")),
        artifact_id: get("artifact")?,
        version: get("version").or_else(|| get("parent_version"))?,
    })
}

fn push_nested(archive: &mut JavaArchive, path: String, nested: Result<JavaArchive, String>) {
    let nested = nested.unwrap_or_else(|e| JavaArchive {
        errors: vec![e],
        ..JavaArchive::default()
    });
    archive.nested.push(NestedArchive {
        path,
        archive: nested,
    });
}

/// `key=value` / `key: value` lines; needs `artifactId` and `version`.
fn parse_pom_properties(path: &str, bytes: &[u8]) -> Option<PomProperties> {
    let text = String::from_utf8_lossy(bytes);
    let mut values = BTreeMap::new();
    for (_, line) in numbered_lines(&text) {
        let line = line.trim();
        if line.is_empty() || line.starts_with(['#', '!']) {
            continue;
        }
        let Some(split) = line.find(['=', ':']) else {
            continue;
        };
        values.insert(
            line[..split].trim().to_string(),
            line[split + 1..].trim().to_string(),
        );
    }
    let get = |key: &str| values.get(key).filter(|v| !v.is_empty()).cloned();
    Some(PomProperties {
        path: path.to_string(),
        group_id: get("groupId"),
        artifact_id: get("artifactId")?,
        version: get("version")?,
    })
}

/// The kept attributes of a manifest's main section (continuation lines joined).
fn parse_manifest(bytes: &[u8]) -> BTreeMap<String, String> {
    let text = String::from_utf8_lossy(bytes);
    let mut attributes: Vec<(String, String)> = Vec::new();
    for (_, line) in numbered_lines(&text) {
        if line.is_empty() {
            break;
        }
        if let Some(more) = line.strip_prefix(' ') {
            if let Some((_, value)) = attributes.last_mut() {
                value.push_str(more);
            }
            continue;
        }
        if let Some((key, value)) = line.split_once(':') {
            attributes.push((key.trim().to_string(), value.trim().to_string()));
        }
    }
    attributes
        .into_iter()
        .filter(|(key, value)| !value.is_empty() && MANIFEST_KEYS.contains(&key.as_str()))
        .map(|(key, value)| (key, clip(&value)))
        .collect()
}

/// True for paths ending in a Java archive extension.
pub(crate) fn is_java_archive(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    match name.rsplit_once('.') {
        Some((stem, ext)) => {
            !stem.is_empty() && EXTENSIONS.iter().any(|e| e.eq_ignore_ascii_case(ext))
        }
        None => false,
    }
}

/// Words that continue a version rather than start a name (`1.0-beta-2`, `2.0-hudson-1`).
const VERSION_QUALIFIERS: [&str; 16] = [
    "alpha",
    "beta",
    "rc",
    "cr",
    "m",
    "milestone",
    "snapshot",
    "final",
    "ga",
    "release",
    "sp",
    "patch",
    "hudson",
    "jenkins",
    "incubating",
    "preview",
];

/// `commons-lang3-3.12.0.jar` → (`commons-lang3`, `3.12.0`): the version starts at the last `-`
/// followed by a digit (`log4j-1.2-api-2.17.1`), moved back over qualifier words that continue
/// a version (`foo-1.0-beta-2`, `jenkins-core-2.0-hudson-1`); Guava's old `r06` style counts
/// too. (stem, none) when there is none.
fn name_version_from_file(file_name: &str) -> (String, Option<String>) {
    let stem = file_name
        .rsplit_once('.')
        .map_or(file_name, |(stem, _)| stem);
    let bytes = stem.as_bytes();
    let starts: Vec<usize> = (1..bytes.len())
        .filter(|&i| bytes[i - 1] == b'-' && bytes[i].is_ascii_digit())
        .collect();
    let mut split = starts.last().copied();
    while let Some(i) = split {
        // The word between the previous `-` and this one.
        let before = &stem[..i - 1];
        let word = before.rsplit('-').next().unwrap_or(before);
        let word = word.trim_end_matches(|c: char| c.is_ascii_digit());
        let earlier = starts.iter().rev().find(|&&j| j < i - word.len()).copied();
        match earlier {
            Some(j)
                if VERSION_QUALIFIERS
                    .iter()
                    .any(|q| word.eq_ignore_ascii_case(q)) =>
            {
                split = Some(j);
            }
            _ => break,
        }
    }
    if split.is_none() {
        // `guava-r06`: an `r` and digits closing the name.
        if let Some((name, last)) = stem.rsplit_once('-') {
            if last.len() > 1
                && last.starts_with('r')
                && last[1..].bytes().all(|b| b.is_ascii_digit())
                && !name.is_empty()
            {
                return (name.to_string(), Some(last.to_string()));
            }
        }
    }
    match split {
        Some(i) => (stem[..i - 1].to_string(), Some(stem[i..].to_string())),
        None => (stem.to_string(), None),
    }
}

/// Bytes of Java archives buffered at once by all sinks together (all layer-reading threads):
/// two layers read in parallel can never hold two archives of the maximum size.
const MEMORY_BUDGET: u64 = 256 << 20;

/// A budget of bytes shared by threads: taken whole, waited for, given back on drop.
struct MemoryBudget {
    left: Mutex<u64>,
    freed: Condvar,
}

/// The process-wide budget of [`MEMORY_BUDGET`] bytes for buffered archives.
static ARCHIVE_MEMORY: MemoryBudget = MemoryBudget::new(MEMORY_BUDGET);

/// Bytes taken from a [`MemoryBudget`], given back when dropped.
struct Reservation<'a> {
    budget: &'a MemoryBudget,
    bytes: u64,
}

impl MemoryBudget {
    const fn new(total: u64) -> Self {
        MemoryBudget {
            left: Mutex::new(total),
            freed: Condvar::new(),
        }
    }

    /// Wait until `bytes` (at most the total) are free and take them. A thread holds at most one
    /// reservation (one archive entry at a time), so waiting cannot deadlock.
    fn acquire(&self, bytes: u64) -> Reservation<'_> {
        let mut left = self.left.lock().unwrap_or_else(PoisonError::into_inner);
        while *left < bytes {
            left = self
                .freed
                .wait(left)
                .unwrap_or_else(PoisonError::into_inner);
        }
        *left -= bytes;
        Reservation {
            budget: self,
            bytes,
        }
    }

    /// Take `bytes` if they are free now.
    #[cfg(test)]
    fn try_acquire(&self, bytes: u64) -> Option<Reservation<'_>> {
        let mut left = self.left.lock().unwrap_or_else(PoisonError::into_inner);
        if *left < bytes {
            return None;
        }
        *left -= bytes;
        Some(Reservation {
            budget: self,
            bytes,
        })
    }
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        let mut left = self
            .budget
            .left
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        *left += self.bytes;
        self.budget.freed.notify_all();
    }
}

/// Streams a Java archive into memory (up to a cap) and keeps only its summary.
///
/// The declared size is reserved from a process-wide budget before any byte is buffered (waiting
/// for other threads' archives to be parsed if need be) and the buffer is allocated once.
pub(crate) struct JavaSink {
    buf: Vec<u8>,
    cap: usize,
    /// Bytes this archive may buffer: its declared size.
    limit: usize,
    too_big: Option<String>,
    _reservation: Option<Reservation<'static>>,
}

impl JavaSink {
    /// `declared_size` lets an archive over the cap be refused before any byte is buffered.
    pub(crate) fn new(cap: usize, declared_size: u64) -> Self {
        let cap = cap.min(usize::try_from(MEMORY_BUDGET).unwrap_or(usize::MAX));
        let (limit, too_big) = match usize::try_from(declared_size) {
            Ok(size) if size <= cap => (size, None),
            _ => (
                0,
                Some(format!(
                    "archive of `{declared_size}` bytes is larger than the capture cap of `{cap}` bytes"
                )),
            ),
        };
        let reservation = too_big
            .is_none()
            .then(|| ARCHIVE_MEMORY.acquire(limit as u64));
        JavaSink {
            buf: Vec::new(),
            cap,
            limit,
            too_big,
            _reservation: reservation,
        }
    }
}

impl ContentSink for JavaSink {
    fn write(&mut self, chunk: &[u8]) {
        if self.too_big.is_some() {
            return;
        }
        if self.buf.len() + chunk.len() > self.limit {
            self.too_big = Some(format!(
                "archive is larger than its declared size of `{}` bytes (capture cap `{}` bytes)",
                self.limit, self.cap
            ));
            self.buf = Vec::new();
            return;
        }
        if self.buf.capacity() == 0 {
            self.buf.reserve_exact(self.limit);
        }
        self.buf.extend_from_slice(chunk);
    }

    fn finish(self: Box<Self>) -> Option<Vec<u8>> {
        let summary = match &self.too_big {
            Some(error) => JavaSummary {
                archive: None,
                error: Some(error.clone()),
            },
            None => match parse_java_archive(&self.buf) {
                Ok(archive) => JavaSummary {
                    archive: Some(archive),
                    error: None,
                },
                Err(error) => JavaSummary {
                    archive: None,
                    error: Some(error),
                },
            },
        };
        let mut out = SUMMARY_PREFIX.to_vec();
        out.extend(serde_json::to_vec(&summary).ok()?);
        Some(out)
    }
}

/// Decode captured content: a sink summary or (a `Whole` capture, a test) the archive itself.
fn decode_content(bytes: &[u8]) -> Result<JavaArchive, String> {
    match bytes.strip_prefix(SUMMARY_PREFIX) {
        Some(json) => {
            let summary: JavaSummary = serde_json::from_slice(json)
                .map_err(|e| format!("java archive summary is unreadable: {e}"))?;
            match (summary.archive, summary.error) {
                (Some(archive), _) => Ok(archive),
                (None, error) => {
                    Err(error.unwrap_or_else(|| "java archive summary is empty".to_string()))
                }
            }
        }
        None => parse_java_archive(bytes),
    }
}

/// The archive's own identity from `MANIFEST.MF` and its file name (no pom.properties).
struct OwnIdentity<'a> {
    name: &'a str,
    version: Option<&'a str>,
    group: Option<&'a str>,
    evidence: &'static str,
}

fn own_identity<'a>(
    archive: &'a JavaArchive,
    file_stem_name: &'a str,
    file_version: Option<&'a str>,
) -> OwnIdentity<'a> {
    let m = |key: &str| archive.manifest.get(key).map(String::as_str);
    let manifest_group = manifest_group(&archive.manifest);
    let (name_group, artifact) = split_group_prefix(file_stem_name, manifest_group)
        .map_or((None, file_stem_name), |(g, a)| (Some(g), a));
    // Like Syft: the file name, unless it is a Jenkins plugin's.
    let name = m("Short-Name").unwrap_or(artifact);
    let manifest_version = m("Plugin-Version")
        .or(m("Implementation-Version"))
        .or(m("Bundle-Version"))
        .or(m("Specification-Version"));
    let (version, evidence) = match (manifest_version, file_version) {
        (Some(v), _) => (Some(v), "MANIFEST.MF"),
        (None, Some(v)) => (Some(v), "file name"),
        (None, None) if archive.has_manifest => (None, "MANIFEST.MF"),
        (None, None) => (None, "file name"),
    };
    OwnIdentity {
        name,
        version,
        group: manifest_group.or(name_group),
        evidence,
    }
}

/// `<group>.<artifact>` file names (Quarkus's `lib/main/io.quarkus.quarkus-core-3.2.0.Final.jar`):
/// the group and the artifact, when the manifest's group prefixes the name, or when the name is a
/// reverse domain of two or more segments followed by a hyphenated artifact. Artifacts that are
/// dotted themselves (`jakarta.annotation-api`, `org.osgi.core`) stay whole.
fn split_group_prefix<'a>(stem: &'a str, group: Option<&str>) -> Option<(&'a str, &'a str)> {
    if let Some(group) = group {
        if let Some(artifact) = stem
            .strip_prefix(group)
            .and_then(|rest| rest.strip_prefix('.'))
            .filter(|a| !a.is_empty())
        {
            return Some((&stem[..group.len()], artifact));
        }
    }
    let (group, artifact) = stem.rsplit_once('.')?;
    (artifact.contains('-') && group.contains('.') && looks_like_group(group))
        .then_some((group, artifact))
}

/// A reverse domain name (`com.google.inject`): a known top-level domain first, then names.
fn looks_like_group(value: &str) -> bool {
    let Some((tld, rest)) = value.split_once('.') else {
        return false;
    };
    ["com", "org", "net", "io", "be"].contains(&tld)
        && !rest.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// The Maven group a manifest suggests: the first of [`GROUP_KEYS`] (else
/// [`GROUP_KEYS_LAST_RESORT`]) whose value looks like a reverse domain name (`com.google.inject`,
/// OSGi directives and `#` fragments cut).
fn manifest_group(manifest: &BTreeMap<String, String>) -> Option<&str> {
    let candidate = |key: &&str| {
        let value = manifest.get(*key)?;
        let value = value.split([';', '#']).next().unwrap_or(value).trim();
        looks_like_group(value).then_some(value)
    };
    GROUP_KEYS
        .iter()
        .find_map(candidate)
        .or_else(|| GROUP_KEYS_LAST_RESORT.iter().find_map(candidate))
}

/// The pom.properties that describes the archive itself, if one does: its artifact is the file
/// name (or, as Syft has it, starts with it when it is the only one), or it is the only one and
/// agrees with the version the manifest or file name gives (Debian's `maven3-core.jar` is
/// `org.apache.maven:maven-core`).
fn own_pom(
    poms: &[PomProperties],
    own: &OwnIdentity<'_>,
    manifest: &BTreeMap<String, String>,
    file_stem_name: &str,
) -> Option<usize> {
    let manifest_names =
        ["Bundle-SymbolicName", "Implementation-Title", "Bundle-Name"].map(|key| {
            manifest
                .get(key)
                .map(|v| v.split(';').next().unwrap_or(v).trim())
        });
    if let Some(i) = poms.iter().position(|p| {
        p.artifact_id == file_stem_name
            || p.artifact_id == own.name
            || manifest_names.contains(&Some(p.artifact_id.as_str()))
    }) {
        return Some(i);
    }
    match poms {
        [only]
            if only.artifact_id.starts_with(file_stem_name)
                || own.version.is_none_or(|v| v == only.version) =>
        {
            Some(0)
        }
        _ => None,
    }
}

/// Emit the components of `archive` (at `location`) and of its nested archives.
///
/// Like Syft, an archive is a package itself and holds the packages of its pom.properties
/// (shaded dependencies): the archive is named by the pom.properties that describes it, else by
/// its manifest and file name (without a version when neither gives one, when it has a
/// manifest); every other pom.properties is a package of its own.
fn archive_components(archive: &JavaArchive, location: &str, top: bool, parsed: &mut Parsed) {
    let before = parsed.components.len();
    let mut push = |group: Option<&str>, name: &str, version: &str, evidence: &str| {
        // Like Syft: without a known group the artifact name stands in for it.
        let namespace = group.unwrap_or(name);
        match make_purl("maven", Some(namespace), name, version, &[]) {
            Ok(purl) => {
                let mut c = crate::component(name, version, Ecosystem::Maven, purl, location);
                if let Some(group) = group {
                    c.metadata
                        .insert("maven_group".to_string(), group.to_string());
                }
                c.metadata
                    .insert("java_evidence".to_string(), evidence.to_string());
                parsed.components.push(c);
                Some(parsed.components.len() - 1)
            }
            Err(e) => {
                parsed
                    .unknowns
                    .push(crate::unknown(location, e.to_string()));
                None
            }
        }
    };
    let file_name = location.rsplit([':', '/']).next().unwrap_or(location);
    let (file_stem_name, file_version) = name_version_from_file(file_name);
    let own = own_identity(archive, &file_stem_name, file_version.as_deref());
    // Where the archive's own component lands, for its licence.
    let mut own_at = None;
    let own_pom_index = own_pom(
        &archive.pom_properties,
        &own,
        &archive.manifest,
        &file_stem_name,
    );
    for (i, pom) in archive.pom_properties.iter().enumerate() {
        let pushed = push(
            pom.group_id.as_deref(),
            &pom.artifact_id,
            &pom.version,
            "pom.properties",
        );
        if own_pom_index == Some(i) {
            own_at = pushed;
        }
    }
    // An instrumentation module names the library it instruments, not itself: no component.
    let instrumentation = archive.manifest.contains_key("Weave-Classes");
    if own_pom_index.is_none() && !instrumentation {
        let pushed = match own.version {
            Some(version) => push(own.group, own.name, version, own.evidence),
            // Like Syft: an archive with a manifest is a package even without a version.
            None if archive.has_manifest => push(own.group, own.name, "", own.evidence),
            None => None,
        };
        own_at = pushed;
    }
    // OSGi's `Bundle-License`: a comma-separated list of licences (names or URLs), a choice.
    let license = archive.manifest.get("Bundle-License").and_then(|l| {
        onus_inventory::license_choice(l.split(',').map(|p| p.split(';').next().unwrap_or(p)))
    });
    if let (Some(i), Some(license)) = (own_at, license) {
        if let Some(c) = parsed.components.get_mut(i) {
            c.metadata.insert("license".to_string(), license);
        }
    }
    if top && parsed.components.len() == before && !instrumentation {
        parsed.unknowns.push(crate::unknown(
            location,
            "java archive has no pom.properties, manifest or versioned file name",
        ));
    }
    for error in &archive.errors {
        parsed
            .unknowns
            .push(crate::unknown(location, format!("java archive: {error}")));
    }
    for nested in &archive.nested {
        archive_components(
            &nested.archive,
            &format!("{location}:{}", nested.path),
            false,
            parsed,
        );
    }
}

/// Catalogs Java archives.
pub(crate) struct JavaCataloger;

impl Cataloger for JavaCataloger {
    fn name(&self) -> &'static str {
        "java-archive"
    }

    fn matches(&self, path: &str, _entry: &onus_fs::FileVersion) -> bool {
        is_java_archive(path)
    }

    fn parse(&self, _ctx: &Ctx<'_>, path: &str, bytes: &[u8], complete: bool) -> Parsed {
        let mut parsed = Parsed::default();
        match decode_content(bytes) {
            Ok(archive) => archive_components(&archive, path, true, &mut parsed),
            Err(reason) => {
                let reason = crate::truncated(reason, complete);
                parsed.unknowns.push(crate::unknown(
                    path,
                    format!("cannot read java archive: {reason}"),
                ));
            }
        }
        parsed
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) mod tests {
    use std::io::Write;

    use super::*;
    use crate::testutil::ViewBuilder;

    /// Build a zip in memory from (name, bytes) entries; `deflate` picks the compression.
    pub fn zip_of(entries: &[(&str, &[u8])], deflate: bool) -> Vec<u8> {
        let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let method = if deflate {
            zip::CompressionMethod::Deflated
        } else {
            zip::CompressionMethod::Stored
        };
        let options = zip::write::SimpleFileOptions::default().compression_method(method);
        for (name, bytes) in entries {
            writer.start_file(*name, options).unwrap();
            writer.write_all(bytes).unwrap();
        }
        writer.finish().unwrap().into_inner()
    }

    pub fn spring_boot_jar() -> Vec<u8> {
        let inner = zip_of(
            &[(
                "META-INF/maven/org.springframework/spring-core/pom.properties",
                b"groupId=org.springframework\nartifactId=spring-core\nversion=6.1.2\n",
            )],
            true,
        );
        let manifest_only = zip_of(&[("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\nBundle-SymbolicName: org.example.bundle;singleton:=true\nBundle-Version: 2.0.0\n")], false);
        let name_only = zip_of(&[("a.txt", b"x")], false);
        zip_of(
            &[
                ("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\r\nImplementation-Title: demo\r\nImplementation-Version: 0.0.1\r\n"),
                ("META-INF/maven/com.example/demo/pom.properties", b"#Generated\ngroupId=com.example\nartifactId=demo\nversion=0.0.1-SNAPSHOT\n"),
                ("BOOT-INF/lib/spring-core-6.1.2.jar", &inner),
                ("BOOT-INF/lib/bundle.jar", &manifest_only),
                ("BOOT-INF/lib/guava-31.1-jre.jar", &name_only),
                ("BOOT-INF/lib/broken.jar", b"not a zip"),
            ],
            true,
        )
    }

    /// (purl, location) of every component the cataloger finds in one archive at `path`.
    fn purls_in(path: &str, archive: &[u8]) -> (Vec<(String, String)>, Vec<String>) {
        let view = ViewBuilder::new().layer().file(path, archive).build();
        let catalog = crate::catalog(&view, &onus_fs::NoReporter);
        let purls = catalog
            .components
            .iter()
            .map(|c| (c.purl.clone(), c.locations[0].clone()))
            .collect();
        let unknowns = catalog.unknowns.iter().map(|u| u.reason.clone()).collect();
        (purls, unknowns)
    }

    #[test]
    fn pom_files_anywhere_in_the_archive() {
        let pom_xml = br#"<?xml version="1.0"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <parent><groupId>org.example</groupId><artifactId>parent</artifactId><version>3.1.0</version></parent>
  <artifactId>from-xml</artifactId>
  <dependencies><dependency><groupId>x</groupId><artifactId>not-me</artifactId><version>9</version></dependency></dependencies>
</project>"#;
        let jar = zip_of(
            &[
                ("pom.properties", b"groupId=org.example\nartifactId=at-root\nversion=1.0\n".as_slice()),
                ("lib/shaded/pom.properties", b"groupId=com.shaded\nartifactId=shaded\nversion=2.0\n"),
                ("META-INF/maven/org.example/from-xml/pom.xml", pom_xml),
                // Beside a pom.properties, a pom.xml adds nothing.
                ("META-INF/maven/org.example/twice/pom.properties", b"groupId=org.example\nartifactId=twice\nversion=4.0\n"),
                ("META-INF/maven/org.example/twice/pom.xml", b"<project><artifactId>twice</artifactId><version>${revision}</version></project>"),
            ],
            true,
        );
        let (purls, _) = purls_in("/app/app.jar", &jar);
        let purls: Vec<&str> = purls.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(
            purls,
            [
                "pkg:maven/org.example/at-root@1.0",
                "pkg:maven/org.example/from-xml@3.1.0",
                "pkg:maven/com.shaded/shaded@2.0",
                "pkg:maven/org.example/twice@4.0",
            ]
        );
        // Hostile pom.xml files give nothing, never a panic.
        for bad in [
            b"<project><artifactId>a</artifactId>".as_slice(),
            b"<project><artifactId>a</artifactId><version>1</version><x></project>",
            &b"<a>".repeat(100),
            b"\xff\xfe<",
        ] {
            let _ = parse_pom_xml("p", bad);
        }
        assert!(parse_pom_xml("p", &b"<a>".repeat(100)).is_none());
    }

    #[test]
    fn nesting_is_bounded_by_the_budget_not_four_levels() {
        // Six levels of stored jars, each with its own pom.properties.
        let mut jar = zip_of(
            &[(
                "META-INF/maven/g/level6/pom.properties",
                b"groupId=g\nartifactId=level6\nversion=6\n".as_slice(),
            )],
            false,
        );
        for level in (1..6).rev() {
            let pom = format!("groupId=g\nartifactId=level{level}\nversion={level}\n");
            let pom_path = format!("META-INF/maven/g/level{level}/pom.properties");
            jar = zip_of(
                &[(pom_path.as_str(), pom.as_bytes()), ("lib/inner.jar", &jar)],
                false,
            );
        }
        let (purls, unknowns) = purls_in("/app/outer.jar", &jar);
        assert_eq!(purls.len(), 6, "{purls:?}");
        assert!(unknowns.is_empty(), "{unknowns:?}");
        assert_eq!(
            purls[5],
            (
                "pkg:maven/g/level6@6".to_string(),
                "/app/outer.jar:lib/inner.jar:lib/inner.jar:lib/inner.jar:lib/inner.jar:lib/inner.jar".to_string()
            )
        );
    }

    #[test]
    fn instrumentation_modules_and_group_prefixed_names() {
        // A New Relic instrumentation module is not the library it instruments.
        let weave = zip_of(
            &[("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\nImplementation-Title: com.newrelic.instrumentation.spring-4.0\nImplementation-Version: 1.0\nWeave-Classes: org/springframework/Foo\n".as_slice())],
            true,
        );
        let agent = zip_of(
            &[
                (
                    "META-INF/maven/com.newrelic.agent.java/newrelic-agent/pom.properties",
                    b"groupId=com.newrelic.agent.java\nartifactId=newrelic-agent\nversion=8.9.1\n"
                        .as_slice(),
                ),
                ("instrumentation/spring-4.0-1.0.jar", &weave),
            ],
            true,
        );
        let (purls, unknowns) = purls_in("/opt/newrelic/newrelic.jar", &agent);
        let purls: Vec<&str> = purls.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(
            purls,
            ["pkg:maven/com.newrelic.agent.java/newrelic-agent@8.9.1"]
        );
        assert!(unknowns.is_empty(), "{unknowns:?}");

        // `<group>.<artifact>-<version>.jar`, with and without a manifest group.
        let plain = zip_of(&[("a.txt", b"x".as_slice())], true);
        for (file, want) in [
            (
                "io.quarkus.quarkus-core-3.2.0.Final.jar",
                "pkg:maven/io.quarkus/quarkus-core@3.2.0.Final",
            ),
            (
                "jakarta.annotation-api-2.1.1.jar",
                "pkg:maven/jakarta.annotation-api/jakarta.annotation-api@2.1.1",
            ),
            (
                "org.osgi.core-4.3.1.jar",
                "pkg:maven/org.osgi.core/org.osgi.core@4.3.1",
            ),
        ] {
            let (purls, _) = purls_in(&format!("/deployments/lib/main/{file}"), &plain);
            assert_eq!(purls[0].0, want, "{file}");
        }
        let with_group = zip_of(
            &[(
                "META-INF/MANIFEST.MF",
                b"Manifest-Version: 1.0\nAutomatic-Module-Name: com.fasterxml.jackson.core\n"
                    .as_slice(),
            )],
            true,
        );
        let (purls, _) = purls_in(
            "/deployments/lib/main/com.fasterxml.jackson.core.jackson-core-2.15.2.jar",
            &with_group,
        );
        assert_eq!(
            purls[0].0,
            "pkg:maven/com.fasterxml.jackson.core/jackson-core@2.15.2"
        );
    }

    #[test]
    fn file_names_give_name_and_version() {
        assert_eq!(
            name_version_from_file("commons-lang3-3.12.0.jar"),
            ("commons-lang3".into(), Some("3.12.0".into()))
        );
        assert_eq!(
            name_version_from_file("log4j-1.2-api-2.17.1.jar"),
            ("log4j-1.2-api".into(), Some("2.17.1".into()))
        );
        assert_eq!(
            name_version_from_file("guava-31.1-jre.jar"),
            ("guava".into(), Some("31.1-jre".into()))
        );
        assert_eq!(name_version_from_file("app.jar"), ("app".into(), None));
        for (file, name, version) in [
            ("foo-1.0-beta-2.jar", "foo", "1.0-beta-2"),
            (
                "jenkins-core-2.0-hudson-1.jar",
                "jenkins-core",
                "2.0-hudson-1",
            ),
            ("spring-core-5.3.0-RC1.jar", "spring-core", "5.3.0-RC1"),
            (
                "commons-collections-20040616.jar",
                "commons-collections",
                "20040616",
            ),
            ("guava-r06.jar", "guava", "r06"),
            ("netty-all-4.1.94.Final.jar", "netty-all", "4.1.94.Final"),
        ] {
            assert_eq!(
                name_version_from_file(file),
                (name.into(), Some(version.into())),
                "{file}"
            );
        }
        assert_eq!(name_version_from_file("rt.jar"), ("rt".into(), None));
        assert!(
            is_java_archive("/x/A.JAR")
                && is_java_archive("/x/p.hpi")
                && !is_java_archive("/x/.jar")
                && !is_java_archive("/x/jar")
        );
    }

    #[test]
    fn parses_manifest_and_pom_properties() {
        let manifest = parse_manifest(b"Manifest-Version: 1.0\nImplementation-Title: very long\n  title\nBundle-Version: 1\n\nName: section\nImplementation-Version: 9\n");
        assert_eq!(
            manifest.get("Implementation-Title").map(String::as_str),
            Some("very long title")
        );
        assert!(
            !manifest.contains_key("Implementation-Version"),
            "only the main section"
        );
        assert_eq!(parse_pom_properties("p", b"artifactId=a\n"), None);
        let pom = parse_pom_properties("p", b"! c\nartifactId: a\nversion = 1\n").unwrap();
        assert_eq!(
            (pom.group_id, pom.artifact_id.as_str(), pom.version.as_str()),
            (None, "a", "1")
        );
    }

    #[test]
    fn reads_nested_archives() {
        let archive = parse_java_archive(&spring_boot_jar()).unwrap();
        assert_eq!(archive.pom_properties.len(), 1);
        assert_eq!(archive.nested.len(), 4);
        assert_eq!(archive.nested[0].path, "BOOT-INF/lib/broken.jar");
        assert_eq!(archive.nested[0].archive.errors.len(), 1);
        assert!(parse_java_archive(b"PK\x03\x04garbage").is_err());
        assert!(parse_java_archive(b"").is_err());
    }

    #[test]
    fn nesting_depth_is_bounded() {
        let mut jar = zip_of(
            &[(
                "META-INF/maven/g/a0/pom.properties",
                b"groupId=g\nartifactId=a0\nversion=1\n",
            )],
            false,
        );
        for _ in 0..MAX_DEPTH + 3 {
            jar = zip_of(&[("lib/inner.jar", &jar)], false);
        }
        let mut depth = 0;
        let mut archive = parse_java_archive(&jar).unwrap();
        while let Some(nested) = archive.nested.pop() {
            archive = nested.archive;
            depth += 1;
        }
        assert_eq!(depth, MAX_DEPTH);
    }

    #[test]
    fn sink_keeps_a_summary_or_an_error() {
        let jar = spring_boot_jar();
        let mut sink: Box<dyn ContentSink> = Box::new(JavaSink::new(1 << 20, jar.len() as u64));
        for chunk in jar.chunks(1000) {
            sink.write(chunk);
        }
        let out = sink.finish().unwrap();
        assert!(out.starts_with(SUMMARY_PREFIX));
        assert_eq!(
            decode_content(&out).unwrap(),
            parse_java_archive(&jar).unwrap()
        );
        let mut sink: Box<dyn ContentSink> = Box::new(JavaSink::new(100, 0));
        sink.write(&jar);
        assert!(decode_content(&sink.finish().unwrap())
            .unwrap_err()
            .contains("larger than"));
    }

    /// (purl, location, evidence) of every component cataloged from `files`, sorted.
    fn catalog_of(files: &[(&str, Vec<u8>)]) -> Vec<(String, String, String)> {
        let mut builder = ViewBuilder::new().layer();
        for (path, bytes) in files {
            builder = builder.file(path, bytes);
        }
        let catalog = crate::catalog(&builder.build(), &onus_fs::NoReporter);
        let mut got: Vec<(String, String, String)> = catalog
            .components
            .iter()
            .map(|c| {
                (
                    c.purl.clone(),
                    c.locations[0].clone(),
                    c.metadata["java_evidence"].clone(),
                )
            })
            .collect();
        got.sort();
        got
    }

    fn pom(group: &str, artifact: &str, version: &str) -> (String, Vec<u8>) {
        (
            format!("META-INF/maven/{group}/{artifact}/pom.properties"),
            format!("groupId={group}\nartifactId={artifact}\nversion={version}\n").into_bytes(),
        )
    }

    fn jar(manifest: Option<&str>, poms: &[(String, Vec<u8>)]) -> Vec<u8> {
        let mut entries: Vec<(&str, &[u8])> = Vec::new();
        if let Some(m) = manifest {
            entries.push(("META-INF/MANIFEST.MF", m.as_bytes()));
        }
        for (path, bytes) in poms {
            entries.push((path.as_str(), bytes.as_slice()));
        }
        entries.push(("a/A.class", b"\xca\xfe\xba\xbe"));
        zip_of(&entries, true)
    }

    fn triples(items: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
        let mut v: Vec<(String, String, String)> = items
            .iter()
            .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
            .collect();
        v.sort();
        v
    }

    #[test]
    fn bundle_license_goes_to_the_archive_not_its_shaded_poms() {
        let mut builder = ViewBuilder::new().layer();
        let bytes = jar(
            Some("Manifest-Version: 1.0\nBundle-SymbolicName: org.example.lib\nBundle-Version: 2.1.0\nBundle-License: https://www.apache.org/licenses/LICENSE-2.0.txt, MIT\n"),
            &[pom("com.shaded", "inner", "1.0")],
        );
        builder = builder.file("/app/lib/lib-2.1.0.jar", &bytes);
        let catalog = crate::catalog(&builder.build(), &onus_fs::NoReporter);
        let license = |name: &str| {
            catalog
                .components
                .iter()
                .find(|c| c.name == name)
                .and_then(|c| c.metadata.get("license").cloned())
        };
        assert_eq!(license("lib").as_deref(), Some("Apache-2.0 OR MIT"));
        assert_eq!(license("inner"), None);
    }

    #[test]
    fn manifest_group_looks_for_a_reverse_domain() {
        let manifest = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let guice = manifest(&[
            ("Bundle-SymbolicName", "com.google.inject;singleton:=true"),
            ("Implementation-Vendor", "Google, Inc."),
        ]);
        assert_eq!(manifest_group(&guice), Some("com.google.inject"));
        let main_class_only = manifest(&[
            ("Implementation-Title", "Update certificates"),
            ("Main-Class", "org.debian.security.UpdateCertificates"),
        ]);
        assert_eq!(
            manifest_group(&main_class_only),
            Some("org.debian.security.UpdateCertificates")
        );
        let none = manifest(&[("Implementation-Vendor", "The Apache Software Foundation")]);
        assert_eq!(manifest_group(&none), None);
        assert_eq!(
            manifest_group(&manifest(&[("Bundle-SymbolicName", "commons-io")])),
            None
        );
    }

    #[test]
    fn the_archive_is_a_package_beside_its_shaded_poms() {
        let got = catalog_of(&[
            // Debian's renamed jar: its only pom.properties is the archive itself.
            (
                "/usr/share/java/maven3-core.jar",
                jar(
                    Some("Manifest-Version: 1.0\nImplementation-Version: 3.8.7\n"),
                    &[pom("org.apache.maven", "maven-core", "3.8.7")],
                ),
            ),
            // A shaded jar: the archive (named by its file) and the two libraries inside.
            (
                "/usr/share/java/wagon-http-shaded-3.5.3.jar",
                jar(
                    Some("Manifest-Version: 1.0\n"),
                    &[
                        pom("org.apache.httpcomponents", "httpcore", "4.4.16"),
                        pom("org.apache.maven.wagon", "wagon-http", "3.5.3"),
                    ],
                ),
            ),
            // Named by its file name, with a shaded library.
            (
                "/usr/share/java/guice.jar",
                jar(
                    Some("Manifest-Version: 1.0\nBundle-Version: 4.2.3\n"),
                    &[
                        pom("cglib", "cglib", "3.2.12"),
                        pom("com.google.inject", "guice", "4.2.3"),
                    ],
                ),
            ),
            // A manifest without a version: a package without a version, like Syft.
            (
                "/usr/share/java/gettext.jar",
                jar(Some("Manifest-Version: 1.0\nCreated-By: 17\n"), &[]),
            ),
            // No manifest: the pom.properties alone (Syft reports nothing here).
            (
                "/opt/lib/plain.jar",
                jar(None, &[pom("org.example", "lib", "1.0")]),
            ),
        ]);
        assert_eq!(
            got,
            triples(&[
                (
                    "pkg:maven/org.apache.maven/maven-core@3.8.7",
                    "/usr/share/java/maven3-core.jar",
                    "pom.properties"
                ),
                (
                    "pkg:maven/wagon-http-shaded/wagon-http-shaded@3.5.3",
                    "/usr/share/java/wagon-http-shaded-3.5.3.jar",
                    "file name"
                ),
                (
                    "pkg:maven/org.apache.httpcomponents/httpcore@4.4.16",
                    "/usr/share/java/wagon-http-shaded-3.5.3.jar",
                    "pom.properties"
                ),
                (
                    "pkg:maven/org.apache.maven.wagon/wagon-http@3.5.3",
                    "/usr/share/java/wagon-http-shaded-3.5.3.jar",
                    "pom.properties"
                ),
                (
                    "pkg:maven/cglib/cglib@3.2.12",
                    "/usr/share/java/guice.jar",
                    "pom.properties"
                ),
                (
                    "pkg:maven/com.google.inject/guice@4.2.3",
                    "/usr/share/java/guice.jar",
                    "pom.properties"
                ),
                (
                    "pkg:maven/gettext/gettext",
                    "/usr/share/java/gettext.jar",
                    "MANIFEST.MF"
                ),
                (
                    "pkg:maven/org.example/lib@1.0",
                    "/opt/lib/plain.jar",
                    "pom.properties"
                ),
            ])
        );
    }

    #[test]
    fn stored_nested_archives_are_read_in_place_whatever_their_size() {
        // A stored nested jar over the inflate cap: read from the outer buffer, not copied.
        let mut inner_entries: Vec<(String, Vec<u8>)> = vec![pom("org.example", "big", "2.0")];
        inner_entries.push((
            "blob.bin".to_string(),
            vec![7u8; usize::try_from(MAX_NESTED_SIZE).unwrap() + 1024],
        ));
        let inner_refs: Vec<(&str, &[u8])> = inner_entries
            .iter()
            .map(|(p, b)| (p.as_str(), b.as_slice()))
            .collect();
        let inner = zip_of(&inner_refs, false);
        assert!(inner.len() as u64 > MAX_NESTED_SIZE);
        let outer = zip_of(&[("BOOT-INF/lib/big-2.0.jar", &inner)], false);
        let archive = parse_java_archive(&outer).unwrap();
        assert_eq!(archive.nested.len(), 1);
        assert!(archive.nested[0].archive.errors.is_empty());
        assert_eq!(
            archive.nested[0].archive.pom_properties[0].artifact_id,
            "big"
        );
        // The same archive compressed is over the cap: an error, not a read.
        let deflated = zip_of(&[("BOOT-INF/lib/big-2.0.jar", &inner)], true);
        let archive = parse_java_archive(&deflated).unwrap();
        assert!(archive.nested.is_empty());
        assert!(archive.errors.iter().any(|e| e.contains("larger than")));
    }

    #[test]
    fn archives_share_one_memory_budget_across_threads() {
        static BUDGET: MemoryBudget = MemoryBudget::new(100);
        let first = BUDGET.acquire(75);
        assert!(
            BUDGET.try_acquire(75).is_none(),
            "held by the first archive"
        );
        let small = BUDGET.try_acquire(25).unwrap();
        drop(small);
        // A second reader waits for the first to be given back.
        let waiter = std::thread::spawn(|| {
            let second = BUDGET.acquire(75);
            second.bytes
        });
        drop(first);
        assert_eq!(waiter.join().unwrap(), 75);
        assert!(BUDGET.try_acquire(100).is_some(), "everything given back");
        let refused = JavaSink::new(usize::MAX, MEMORY_BUDGET + 1);
        assert!(
            refused.too_big.is_some(),
            "over the budget: refused, not waited for"
        );
    }

    #[test]
    fn cataloger_reports_every_level_with_locations() {
        let view = ViewBuilder::new()
            .layer()
            .file("/app/app.jar", &spring_boot_jar())
            .file("/app/bad.war", b"garbage")
            .file("/app/anon.jar", &zip_of(&[("x", b"y")], false))
            .build();
        let catalog = crate::catalog(&view, &onus_fs::NoReporter);
        let got: Vec<(String, String, String)> = catalog
            .components
            .iter()
            .map(|c| {
                (
                    c.purl.clone(),
                    c.locations[0].clone(),
                    c.metadata["java_evidence"].clone(),
                )
            })
            .collect();
        let want = [
            (
                "pkg:maven/com.example/demo@0.0.1-SNAPSHOT",
                "/app/app.jar",
                "pom.properties",
            ),
            (
                "pkg:maven/guava/guava@31.1-jre",
                "/app/app.jar:BOOT-INF/lib/guava-31.1-jre.jar",
                "file name",
            ),
            (
                "pkg:maven/org.example.bundle/bundle@2.0.0",
                "/app/app.jar:BOOT-INF/lib/bundle.jar",
                "MANIFEST.MF",
            ),
            (
                "pkg:maven/org.springframework/spring-core@6.1.2",
                "/app/app.jar:BOOT-INF/lib/spring-core-6.1.2.jar",
                "pom.properties",
            ),
        ];
        let want: Vec<(String, String, String)> = want
            .iter()
            .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
            .collect();
        let mut got_sorted = got.clone();
        got_sorted.sort();
        let mut want_sorted = want.clone();
        want_sorted.sort();
        assert_eq!(got_sorted, want_sorted);
        assert!(catalog
            .components
            .iter()
            .all(|c| c.layer == Some(0) && c.found_by == "java-archive"));
        let unknown_locations: Vec<&str> = catalog
            .unknowns
            .iter()
            .map(|u| u.location.as_str())
            .collect();
        assert_eq!(
            unknown_locations,
            vec![
                "/app/anon.jar",
                "/app/app.jar:BOOT-INF/lib/broken.jar",
                "/app/bad.war"
            ]
        );
    }
}
