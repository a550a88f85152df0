//! Binaries recognised by their content (the "copied into a scratch image" case): a data table
//! (`data/binaries.yaml`) of file names and version patterns. A capture sink streams a matching
//! file once through the patterns that apply to its name and keeps only the hits; the cataloger
//! turns them into `pkg:generic/<name>@<version>` components, and the catalog drops those whose
//! file a distro package owns (the package is the better evidence).

use std::sync::OnceLock;

use onus_fs::ContentSink;
use onus_inventory::{make_purl, Ecosystem};
use serde::Deserialize;

use crate::{Cataloger, Ctx, Parsed};

/// The built-in table.
pub const BUILTIN_BINARIES: &str = include_str!("../data/binaries.yaml");

/// What a classifier sink keeps: this prefix, then one `id\tversion` line per hit.
const SUMMARY_PREFIX: &[u8] = b"onus-summary:binary/v1\n";
/// Bytes carried from one chunk to the next, so a version string split across chunks is found
/// (patterns match far shorter strings).
const OVERLAP: usize = 512;
/// Bytes of one file scanned at most (the largest real targets, libnode, are about 80 MB).
const MAX_SCANNED: u64 = 512 << 20;
/// Longest version kept.
const MAX_VERSION: usize = 64;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    id: String,
    name: String,
    files: Vec<String>,
    patterns: Vec<String>,
    #[serde(default)]
    version_from_name: bool,
}

/// One row of the table, compiled.
#[derive(Debug)]
pub(crate) struct Classifier {
    pub id: String,
    pub name: String,
    files: Vec<String>,
    patterns: Vec<regex::bytes::Regex>,
    version_from_name: bool,
}

impl Classifier {
    fn applies_to(&self, file_name: &str) -> bool {
        self.files.iter().any(|f| match f.strip_suffix('*') {
            Some(prefix) => file_name.starts_with(prefix),
            None => file_name == f,
        })
    }

    /// The version in `bytes`, if a pattern finds one that fits the file name.
    fn find(&self, file_name: &str, bytes: &[u8]) -> Option<String> {
        let name_version = self
            .version_from_name
            .then(|| version_in_name(file_name))
            .flatten();
        for pattern in &self.patterns {
            for captures in pattern.captures_iter(bytes) {
                let Some(version) = captures.name("version") else {
                    continue;
                };
                let Ok(version) = std::str::from_utf8(version.as_bytes()) else {
                    continue;
                };
                if version.len() > MAX_VERSION {
                    continue;
                }
                if let Some(prefix) = &name_version {
                    if !(version == prefix || version.starts_with(&format!("{prefix}."))) {
                        continue;
                    }
                }
                return Some(version.to_string());
            }
        }
        None
    }
}

/// `3.11` of `python3.11` / `libpython3.11.so.1.0`: the digits and dots after the letters.
fn version_in_name(file_name: &str) -> Option<String> {
    let start = file_name.find(|c: char| c.is_ascii_digit())?;
    let digits: String = file_name[start..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let digits = digits.trim_end_matches('.');
    // `python3` says only the major version; `.so.1.0` suffixes are not versions of python.
    let digits = digits.split('.').take(2).collect::<Vec<_>>().join(".");
    (!digits.is_empty()).then_some(digits)
}

/// Compile a classifier table; an error names the entry.
pub(crate) fn load(text: &str) -> Result<Vec<Classifier>, String> {
    let entries: Vec<Entry> =
        serde_yaml_ng::from_str(text).map_err(|e| format!("binary classifier table: {e}"))?;
    entries
        .into_iter()
        .map(|e| {
            let patterns = e
                .patterns
                .iter()
                .map(|p| {
                    regex::bytes::RegexBuilder::new(p)
                        .unicode(false)
                        .size_limit(1 << 20)
                        // The lazy DFA's cache is per regex and per thread: kept small, it bounds
                        // what every pattern adds to each image-reading thread.
                        .dfa_size_limit(1 << 17)
                        .build()
                        .map_err(|err| format!("binary classifier `{}`: {err}", e.id))
                })
                .collect::<Result<Vec<_>, _>>()?;
            if patterns
                .iter()
                .any(|p| !p.capture_names().any(|n| n == Some("version")))
            {
                return Err(format!(
                    "binary classifier `{}`: a pattern has no `version` group",
                    e.id
                ));
            }
            Ok(Classifier {
                id: e.id,
                name: e.name,
                files: e.files,
                patterns,
                version_from_name: e.version_from_name,
            })
        })
        .collect()
}

/// The built-in classifiers (empty if the table did not compile; a unit test keeps it compiling).
pub(crate) fn classifiers() -> &'static [Classifier] {
    static TABLE: OnceLock<Vec<Classifier>> = OnceLock::new();
    TABLE.get_or_init(|| load(BUILTIN_BINARIES).unwrap_or_default())
}

/// The classifiers that apply to the file at `path`.
pub(crate) fn classifiers_for(path: &str) -> Vec<&'static Classifier> {
    let name = onus_fs::file_name(path);
    classifiers()
        .iter()
        .filter(|c| c.applies_to(name))
        .collect()
}

/// Streams a file through the classifiers that apply to its name; keeps only their hits.
pub(crate) struct ClassifierSink {
    file_name: String,
    pending: Vec<&'static Classifier>,
    hits: Vec<(&'static str, String)>,
    window: Vec<u8>,
    scanned: u64,
}

impl ClassifierSink {
    pub(crate) fn new(path: &str, classifiers: Vec<&'static Classifier>) -> Self {
        ClassifierSink {
            file_name: onus_fs::file_name(path).to_string(),
            pending: classifiers,
            hits: Vec::new(),
            window: Vec::new(),
            scanned: 0,
        }
    }
}

impl ContentSink for ClassifierSink {
    fn write(&mut self, chunk: &[u8]) {
        if self.pending.is_empty() || self.scanned >= MAX_SCANNED {
            return;
        }
        self.scanned += chunk.len() as u64;
        self.window.extend_from_slice(chunk);
        let file_name = &self.file_name;
        let window = &self.window;
        let hits = &mut self.hits;
        self.pending.retain(|c| match c.find(file_name, window) {
            Some(version) => {
                hits.push((c.id.as_str(), version));
                false
            }
            None => true,
        });
        let keep = self.window.len().min(OVERLAP);
        let cut = self.window.len() - keep;
        self.window.drain(..cut);
    }

    fn finish(self: Box<Self>) -> Option<Vec<u8>> {
        if self.hits.is_empty() {
            return None;
        }
        let mut out = SUMMARY_PREFIX.to_vec();
        for (id, version) in &self.hits {
            out.extend_from_slice(format!("{id}\t{version}\n").as_bytes());
        }
        Some(out)
    }
}

/// The hits a [`ClassifierSink`] kept: (classifier id, version).
fn decode(bytes: &[u8]) -> Option<Vec<(String, String)>> {
    let text = std::str::from_utf8(bytes.strip_prefix(SUMMARY_PREFIX)?).ok()?;
    Some(
        text.lines()
            .filter_map(|l| l.split_once('\t'))
            .map(|(id, version)| (id.to_string(), version.to_string()))
            .collect(),
    )
}

/// Catalogs what the classifier sink found.
pub(crate) struct BinaryCataloger;

/// The `found_by` name; the catalog drops these components when a distro package owns the file.
pub(crate) const FOUND_BY: &str = "binary-classifier";

impl Cataloger for BinaryCataloger {
    fn name(&self) -> &'static str {
        FOUND_BY
    }

    fn matches(&self, _path: &str, entry: &onus_fs::FileVersion) -> bool {
        entry
            .content
            .as_ref()
            .is_some_and(|c| c.bytes.starts_with(SUMMARY_PREFIX))
    }

    fn needs_content(&self) -> bool {
        false
    }

    fn parse(&self, _ctx: &Ctx<'_>, path: &str, bytes: &[u8], _complete: bool) -> Parsed {
        let mut parsed = Parsed::default();
        for (id, version) in decode(bytes).unwrap_or_default() {
            let Some(classifier) = classifiers().iter().find(|c| c.id == id) else {
                continue;
            };
            crate::push_package(
                &mut parsed,
                (&classifier.name, &version),
                Ecosystem::Binary,
                make_purl("generic", None, &classifier.name, &version, &[]),
                path,
                [("binary_pattern", id)],
            );
        }
        parsed
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn scan(path: &str, content: &[u8], chunk: usize) -> Vec<(String, String)> {
        let mut sink: Box<dyn ContentSink> =
            Box::new(ClassifierSink::new(path, classifiers_for(path)));
        for part in content.chunks(chunk) {
            sink.write(part);
        }
        sink.finish().and_then(|b| decode(&b)).unwrap_or_default()
    }

    #[test]
    fn the_table_compiles_and_every_entry_finds_its_version() {
        assert!(classifiers().len() >= 10);
        // Each as the program's own bytes hold it (Debian 12's builds), split at every chunk size.
        let cases: [(&str, &[u8], &str); 12] = [
            (
                "/usr/local/bin/python3.11",
                b"pymalloc_debug\x003.11.2\x00strict\x00",
                "3.11.2",
            ),
            (
                "/usr/lib/libpython3.11.so.1.0",
                b"x\x003.10.1\x00y\x003.11.7\x00",
                "3.11.7",
            ),
            (
                "/usr/lib/libnode.so.108",
                b"\x00/json\x00node.js/v18.20.4\x00(delegate",
                "18.20.4",
            ),
            (
                "/opt/java/openjdk/release",
                b"IMPLEMENTOR=\"Eclipse Adoptium\"\nJAVA_VERSION=\"17.0.9\"\n",
                "17.0.9",
            ),
            (
                "/usr/sbin/nginx",
                b"nginx version: nginx/1.22.1\x00",
                "1.22.1",
            ),
            (
                "/usr/lib/libcrypto.so.3",
                b"\x00OpenSSL 3.0.22 25 Aug 2026\x00",
                "3.0.22",
            ),
            (
                "/lib/libcrypto.so.1.1",
                b"\x00OpenSSL 1.1.1w  11 Sep 2023\x00",
                "1.1.1w",
            ),
            (
                "/bin/busybox",
                b"BusyBox v1.35.0 (Debian 1:1.35.0-4+deb12u1+b1)",
                "1.35.0",
            ),
            (
                "/usr/bin/curl",
                b"curl 7.88.1 (x86_64-pc-linux-gnu) %s",
                "7.88.1",
            ),
            (
                "/usr/bin/redis-server",
                b"\x00upstart\x00err\x007.0.15\x00c11-builtin\x00",
                "7.0.15",
            ),
            (
                "/usr/lib/postgresql/15/bin/postgres",
                b"postgres (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)",
                "15.20",
            ),
            (
                "/usr/sbin/haproxy",
                b"\x00 version 2.6.12-1+deb12u4, released 2026/10/17\x00",
                "2.6.12",
            ),
        ];
        for (path, content, want) in cases {
            let mut padded = vec![0u8; 3000];
            padded.extend_from_slice(content);
            padded.extend(vec![0u8; 3000]);
            for chunk in [7, 100, 4096, 1 << 20] {
                let hits = scan(path, &padded, chunk);
                assert_eq!(hits.len(), 1, "{path} chunk {chunk}: {hits:?}");
                assert_eq!(hits[0].1, want, "{path} chunk {chunk}");
            }
        }
    }

    #[test]
    fn names_decide_which_patterns_run() {
        // The same bytes under another name are not looked at.
        assert!(scan("/usr/bin/other", b"BusyBox v1.35.0", 100).is_empty());
        // python3.12 does not take a 3.11 version string.
        assert!(scan("/usr/bin/python3.12", b"\x003.11.2\x00", 100).is_empty());
        assert_eq!(version_in_name("python3.11").as_deref(), Some("3.11"));
        assert_eq!(
            version_in_name("libpython3.11.so.1.0").as_deref(),
            Some("3.11")
        );
        assert_eq!(version_in_name("python3").as_deref(), Some("3"));
        assert_eq!(version_in_name("python"), None);
    }

    #[test]
    fn bad_tables_are_errors() {
        assert!(load("- id: x\n  name: x\n  files: [a]\n  patterns: ['(']\n").is_err());
        assert!(load("- id: x\n  name: x\n  files: [a]\n  patterns: ['abc']\n").is_err());
        assert!(load("- id: x\n  nme: x\n").is_err());
        assert!(load("[]").unwrap().is_empty());
    }
}
