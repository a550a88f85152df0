//! Java archives (jar, war, ear, par, sar, jpi, hpi): `META-INF/maven/**/pom.properties`, else
//! `META-INF/MANIFEST.MF`, else the file name; nested archives (`BOOT-INF/lib/*.jar`,
//! `WEB-INF/lib/*.jar`, …) to a bounded depth and count.
//!
//! The capture sink parses the zip while the image is read and keeps a small JSON summary
//! ([`JavaArchive`]), never the archive.

use std::collections::BTreeMap;
use std::io::{Cursor, Read};

use onus_fs::ContentSink;
use onus_inventory::{make_purl, Ecosystem};
use serde::{Deserialize, Serialize};

use crate::text::{clip, numbered_lines};
use crate::{Cataloger, Ctx, Parsed};

/// Marks the summary a [`JavaSink`] keeps.
pub(crate) const SUMMARY_PREFIX: &[u8] = b"onus-summary:java/v1\n";

/// File extensions of Java archives (compared case-insensitively).
const EXTENSIONS: [&str; 7] = ["jar", "war", "ear", "par", "sar", "jpi", "hpi"];
/// Nesting depth followed below the outer archive.
const MAX_DEPTH: usize = 3;
/// Nested archives read per outer archive, all depths together.
const MAX_NESTED: usize = 512;
/// Largest nested archive read into memory.
const MAX_NESTED_SIZE: u64 = 64 << 20;
/// Decompressed bytes read per outer archive, all entries together (zip bombs).
const MAX_INFLATED: u64 = 512 << 20;
/// Largest `pom.properties` / `MANIFEST.MF` read.
const MAX_SMALL_ENTRY: u64 = 256 << 10;
/// Entries looked at per archive.
const MAX_ENTRIES: usize = 200_000;
/// Error messages kept per archive.
const MAX_ERRORS: usize = 10;

/// Manifest main-section attributes kept in the summary.
const MANIFEST_KEYS: [&str; 12] = [
    "Implementation-Title",
    "Implementation-Version",
    "Implementation-Vendor",
    "Implementation-Vendor-Id",
    "Specification-Title",
    "Specification-Version",
    "Bundle-SymbolicName",
    "Bundle-Name",
    "Bundle-Version",
    "Short-Name",
    "Plugin-Version",
    "Group-Id",
];

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
        let is_pom = name.starts_with("META-INF/maven/") && name.ends_with("/pom.properties");
        let is_manifest = name.eq_ignore_ascii_case("META-INF/MANIFEST.MF");
        let is_nested = depth < MAX_DEPTH && is_java_archive(&name);
        if !(is_pom || is_manifest || is_nested) {
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
            if file.size() > MAX_NESTED_SIZE {
                push_error(
                    &mut archive.errors,
                    format!(
                        "`{}`: nested archive larger than `{MAX_NESTED_SIZE}` bytes, not read",
                        clip(&name)
                    ),
                );
                continue;
            }
            budget.nested_left -= 1;
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
        } else if is_manifest {
            archive.manifest = parse_manifest(&data);
        } else {
            let nested = match read_archive(&data, depth + 1, budget) {
                Ok(nested) => nested,
                Err(e) => JavaArchive {
                    errors: vec![e],
                    ..JavaArchive::default()
                },
            };
            archive.nested.push(NestedArchive {
                path: name,
                archive: nested,
            });
        }
    }
    if zip.len() > MAX_ENTRIES {
        push_error(
            &mut archive.errors,
            format!("only the first `{MAX_ENTRIES}` entries were read"),
        );
    }
    archive.pom_properties.sort_by(|a, b| a.path.cmp(&b.path));
    archive.nested.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(archive)
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

/// `commons-lang3-3.12.0.jar` → (`commons-lang3`, `3.12.0`): the version starts at the last `-`
/// followed by a digit; (stem, none) when there is none.
fn name_version_from_file(file_name: &str) -> (String, Option<String>) {
    let stem = file_name
        .rsplit_once('.')
        .map_or(file_name, |(stem, _)| stem);
    let bytes = stem.as_bytes();
    let split = (1..bytes.len())
        .rev()
        .find(|&i| bytes[i - 1] == b'-' && bytes[i].is_ascii_digit());
    match split {
        Some(i) => (stem[..i - 1].to_string(), Some(stem[i..].to_string())),
        None => (stem.to_string(), None),
    }
}

/// Streams a Java archive into memory (up to a cap) and keeps only its summary.
pub(crate) struct JavaSink {
    buf: Vec<u8>,
    cap: usize,
    too_big: bool,
}

impl JavaSink {
    /// `declared_size` lets an archive over the cap be refused before any byte is buffered.
    pub(crate) fn new(cap: usize, declared_size: u64) -> Self {
        let too_big = declared_size > cap as u64;
        JavaSink {
            buf: Vec::new(),
            cap,
            too_big,
        }
    }
}

impl ContentSink for JavaSink {
    fn write(&mut self, chunk: &[u8]) {
        if self.too_big {
            return;
        }
        if self.buf.len() + chunk.len() > self.cap {
            self.too_big = true;
            self.buf = Vec::new();
            return;
        }
        self.buf.extend_from_slice(chunk);
    }

    fn finish(self: Box<Self>) -> Option<Vec<u8>> {
        let summary = if self.too_big {
            JavaSummary {
                archive: None,
                error: Some(format!(
                    "archive is larger than the capture cap of `{}` bytes",
                    self.cap
                )),
            }
        } else {
            match parse_java_archive(&self.buf) {
                Ok(archive) => JavaSummary {
                    archive: Some(archive),
                    error: None,
                },
                Err(error) => JavaSummary {
                    archive: None,
                    error: Some(error),
                },
            }
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

/// Emit the components of `archive` (at `location`) and of its nested archives.
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
            }
            Err(e) => parsed
                .unknowns
                .push(crate::unknown(location, e.to_string())),
        }
    };
    for pom in &archive.pom_properties {
        push(
            pom.group_id.as_deref(),
            &pom.artifact_id,
            &pom.version,
            "pom.properties",
        );
    }
    if archive.pom_properties.is_empty() {
        let file_name = location.rsplit([':', '/']).next().unwrap_or(location);
        let (file_stem_name, file_version) = name_version_from_file(file_name);
        let m = |key: &str| archive.manifest.get(key).map(String::as_str);
        let symbolic = m("Bundle-SymbolicName").map(|s| s.split(';').next().unwrap_or(s).trim());
        let name = m("Short-Name")
            .or(file_version.as_ref().map(|_| file_stem_name.as_str()))
            .or(symbolic)
            .or(m("Implementation-Title"))
            .or(m("Bundle-Name"))
            .unwrap_or(file_stem_name.as_str());
        let manifest_version = m("Plugin-Version")
            .or(m("Implementation-Version"))
            .or(m("Bundle-Version"))
            .or(m("Specification-Version"));
        let group = m("Group-Id").or(m("Implementation-Vendor-Id"));
        match (manifest_version, file_version.as_deref()) {
            (Some(version), _) => push(group, name, version, "MANIFEST.MF"),
            (None, Some(version)) => push(group, name, version, "file name"),
            (None, None) => {}
        }
    }
    if top && parsed.components.len() == before {
        parsed.unknowns.push(crate::unknown(
            location,
            "java archive has no pom.properties, manifest version or versioned file name",
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
                let reason = if complete {
                    reason
                } else {
                    format!("{reason} (content truncated at the capture size cap)")
                };
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
        for _ in 0..6 {
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
                "pkg:maven/org.example.bundle/org.example.bundle@2.0.0",
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
