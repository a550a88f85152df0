//! Python packages: `*.dist-info/METADATA`, `*.egg-info/PKG-INFO`, single-file `*.egg-info` (the
//! interpreter's own `Python-3.x.egg-info` too), unzipped eggs' `*.egg/EGG-INFO/PKG-INFO` and
//! zipped `*.egg` files, in any directory (site-packages, dist-packages, `pip install --target`
//! dirs). Headers repeated in a file: the first wins, as Python's own reader does.

use onus_inventory::{make_purl, Ecosystem};

use crate::text::{clip, rfc822_headers, strip_bom};
use crate::{Cataloger, Ctx, Parsed};

/// The identifying headers of a Python distribution's metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PythonMetadata {
    pub name: String,
    pub version: String,
    pub license: Option<String>,
}

/// Parse `METADATA`/`PKG-INFO` headers. An error names what is missing.
pub fn parse_python_metadata(bytes: &[u8]) -> Result<PythonMetadata, String> {
    let text = String::from_utf8_lossy(strip_bom(bytes));
    let headers = rfc822_headers(&text);
    let get = |key: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.to_string())
            .filter(|v| !v.is_empty())
    };
    let name = get("Name").ok_or("metadata has no `Name` header")?;
    let version = get("Version")
        .ok_or_else(|| format!("metadata of `{}` has no `Version` header", clip(&name)))?;
    // PEP 639's expression first; then a short `License` (some put the whole text there);
    // then the licence classifiers.
    let license = get("License-Expression")
        .and_then(|l| onus_inventory::normalize_license(&l))
        .or_else(|| {
            get("License")
                .filter(|l| l.len() <= 200 && !l.contains('\n'))
                .and_then(|l| onus_inventory::normalize_license(&l))
        })
        .or_else(|| {
            let classifiers: Vec<String> = headers
                .iter()
                .filter(|(k, _)| k.eq_ignore_ascii_case("Classifier"))
                .filter_map(|(_, v)| onus_inventory::license_from_classifier(v))
                .collect();
            onus_inventory::license_choice(classifiers.iter().map(String::as_str))
        });
    Ok(PythonMetadata {
        name,
        version,
        license,
    })
}

/// PEP 503 normalisation: lowercase, runs of `-`, `_` and `.` become one `-`.
pub fn normalize_python_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_separator = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_separator {
                out.push('-');
            }
            in_separator = true;
        } else {
            out.extend(c.to_lowercase());
            in_separator = false;
        }
    }
    out
}

/// A zipped egg (`six-1.16.0-py3.11.egg` as a file, not a directory).
pub(crate) fn is_zipped_egg(path: &str) -> bool {
    let name = onus_fs::file_name(path);
    name.len() > ".egg".len() && name.ends_with(".egg")
}

/// Largest `EGG-INFO/PKG-INFO` read from a zipped egg.
const MAX_EGG_PKG_INFO: u64 = 1 << 20;

/// The `EGG-INFO/PKG-INFO` of a zipped egg, read from the archive in memory.
fn zipped_egg_metadata(bytes: &[u8]) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| format!("zipped egg is not a readable zip archive: {e}"))?;
    let entry = zip
        .by_name("EGG-INFO/PKG-INFO")
        .map_err(|_| "zipped egg has no EGG-INFO/PKG-INFO".to_string())?;
    let mut out = Vec::new();
    entry
        .take(MAX_EGG_PKG_INFO)
        .read_to_end(&mut out)
        .map_err(|e| format!("zipped egg's EGG-INFO/PKG-INFO cannot be read: {e}"))?;
    Ok(out)
}

/// True for the metadata files this cataloger reads.
pub(crate) fn is_python_metadata(path: &str) -> bool {
    let name = onus_fs::file_name(path);
    let dir = onus_fs::file_name(onus_fs::parent(path));
    (name == "METADATA" && dir.ends_with(".dist-info"))
        || (name == "PKG-INFO" && dir.ends_with(".egg-info"))
        // An unzipped egg: `<name>-<version>-py3.11.egg/EGG-INFO/PKG-INFO`.
        || (name == "PKG-INFO"
            && dir == "EGG-INFO"
            && onus_fs::file_name(onus_fs::parent(onus_fs::parent(path))).ends_with(".egg"))
        || (name.ends_with(".egg-info") && name.len() > ".egg-info".len())
}

/// Streams a `METADATA`/`PKG-INFO` file and keeps only its header block (up to the first blank
/// line): the parser reads nothing else, and the body is the package's whole README.
pub(crate) struct HeaderSink {
    buf: Vec<u8>,
    /// `buf[..scanned]` holds complete lines, none blank.
    scanned: usize,
    cap: usize,
    done: bool,
}

impl HeaderSink {
    pub(crate) fn new(cap: usize) -> Self {
        HeaderSink {
            buf: Vec::new(),
            scanned: 0,
            cap,
            done: false,
        }
    }
}

impl onus_fs::ContentSink for HeaderSink {
    fn write(&mut self, chunk: &[u8]) {
        if self.done {
            return;
        }
        let room = self.cap.saturating_sub(self.buf.len());
        self.buf
            .extend_from_slice(chunk.get(..room.min(chunk.len())).unwrap_or_default());
        while let Some(end) = memchr::memchr(b'\n', &self.buf[self.scanned..]) {
            let line = &self.buf[self.scanned..self.scanned + end];
            if line.iter().all(|b| matches!(b, b' ' | b'\t' | b'\r')) {
                self.buf.truncate(self.scanned);
                self.done = true;
                return;
            }
            self.scanned += end + 1;
        }
        if self.buf.len() >= self.cap {
            self.done = true;
        }
    }

    fn finish(self: Box<Self>) -> Option<Vec<u8>> {
        Some(self.buf)
    }
}

/// Catalogs installed Python distributions.
pub(crate) struct PythonCataloger;

impl Cataloger for PythonCataloger {
    fn name(&self) -> &'static str {
        "python-package"
    }

    fn matches(&self, path: &str, _entry: &onus_fs::FileVersion) -> bool {
        is_python_metadata(path) || is_zipped_egg(path)
    }

    fn parse(&self, _ctx: &Ctx<'_>, path: &str, bytes: &[u8], complete: bool) -> Parsed {
        let mut parsed = Parsed::default();
        let metadata = if is_zipped_egg(path) {
            zipped_egg_metadata(bytes).and_then(|pkg_info| parse_python_metadata(&pkg_info))
        } else {
            parse_python_metadata(bytes)
        };
        match metadata {
            Ok(meta) => match make_purl(
                "pypi",
                None,
                &normalize_python_name(&meta.name),
                &meta.version,
                &[],
            ) {
                Ok(purl) => {
                    let mut c =
                        crate::component(&meta.name, &meta.version, Ecosystem::Pypi, purl, path);
                    if let Some(license) = meta.license {
                        c.metadata.insert("license".to_string(), license);
                    }
                    parsed.components.push(c);
                }
                Err(e) => parsed.unknowns.push(crate::unknown(path, e.to_string())),
            },
            Err(reason) => {
                let reason = crate::truncated(reason, complete);
                parsed.unknowns.push(crate::unknown(path, reason));
            }
        }
        parsed
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::testutil::ViewBuilder;

    #[test]
    fn license_expression_then_license_then_classifiers() {
        let license = |text: &str| parse_python_metadata(text.as_bytes()).unwrap().license;
        assert_eq!(
            license("Name: a\nVersion: 1\nLicense-Expression: mit or apache-2.0\nLicense: BSD\n")
                .as_deref(),
            Some("MIT OR Apache-2.0")
        );
        assert_eq!(
            license("Name: a\nVersion: 1\nLicense: Apache 2.0\n").as_deref(),
            Some("Apache-2.0")
        );
        assert_eq!(
            license("Name: a\nVersion: 1\nLicense: UNKNOWN\nClassifier: License :: OSI Approved :: BSD License\nClassifier: License :: OSI Approved :: MIT License\nClassifier: Programming Language :: Python\n")
                .as_deref(),
            Some("BSD License OR MIT")
        );
    }

    #[test]
    fn zipped_eggs_and_the_interpreters_egg_info() {
        // The interpreter's own single-file egg-info.
        assert!(is_python_metadata(
            "/usr/lib/python2.7/lib-dynload/Python-2.7.egg-info"
        ));
        // A zipped egg: its EGG-INFO/PKG-INFO.
        let egg = crate::java::tests::zip_of(
            &[
                ("six.py", b"# six".as_slice()),
                (
                    "EGG-INFO/PKG-INFO",
                    b"Metadata-Version: 1.1\nName: six\nVersion: 1.16.0\nLicense: MIT\n",
                ),
            ],
            true,
        );
        let view = ViewBuilder::new()
            .layer()
            .file(
                "/usr/lib/python3.11/site-packages/six-1.16.0-py3.11.egg",
                &egg,
            )
            .file(
                "/usr/lib/python3.11/site-packages/broken-1.0-py3.11.egg",
                b"PK not a zip",
            )
            .build();
        let catalog = crate::catalog(&view, &onus_fs::NoReporter);
        let six: Vec<_> = catalog
            .components
            .iter()
            .map(|c| (c.name.as_str(), c.version.as_str(), c.purl.as_str()))
            .collect();
        assert_eq!(six, [("six", "1.16.0", "pkg:pypi/six@1.16.0")]);
        assert_eq!(catalog.unknowns.len(), 1, "{:?}", catalog.unknowns);
        assert!(catalog.unknowns[0].reason.contains("zip"));
    }

    #[test]
    fn sink_keeps_the_header_block_only() {
        use onus_fs::ContentSink;
        let text = b"Metadata-Version: 2.1\r\nName: six\r\nVersion: 1.16.0\r\n  \r\n# six\n\nA very long README\n";
        for chunk in [1, 3, 7, 100] {
            let mut sink: Box<dyn ContentSink> = Box::new(HeaderSink::new(1 << 20));
            for part in text.chunks(chunk) {
                sink.write(part);
            }
            let kept = sink.finish().unwrap();
            assert_eq!(
                kept,
                b"Metadata-Version: 2.1\r\nName: six\r\nVersion: 1.16.0\r\n".to_vec()
            );
            let meta = parse_python_metadata(&kept).unwrap();
            assert_eq!(
                (meta.name.as_str(), meta.version.as_str()),
                ("six", "1.16.0")
            );
        }
        let mut capped: Box<dyn ContentSink> = Box::new(HeaderSink::new(8));
        capped.write(b"Name: a-long-name\n");
        assert_eq!(capped.finish().unwrap(), b"Name: a-".to_vec());
        let mut no_blank: Box<dyn ContentSink> = Box::new(HeaderSink::new(64));
        no_blank.write(b"Name: x\nVersion: 1");
        assert_eq!(no_blank.finish().unwrap(), b"Name: x\nVersion: 1".to_vec());
    }

    #[test]
    fn unzipped_eggs_and_repeated_headers() {
        assert!(is_python_metadata(
            "/usr/lib/python3/dist-packages/six-1.16.0-py3.11.egg/EGG-INFO/PKG-INFO"
        ));
        assert!(!is_python_metadata("/srv/app/EGG-INFO/PKG-INFO"));
        // Python's own reader keeps the first of a repeated header.
        let meta = parse_python_metadata(
            b"Name: first
Name: second
Version: 1.0
Version: 2.0
",
        )
        .unwrap();
        assert_eq!(
            (meta.name.as_str(), meta.version.as_str()),
            ("first", "1.0")
        );
        let view = ViewBuilder::new()
            .layer()
            .file(
                "/usr/lib/python3.11/site-packages/six-1.16.0-py3.11.egg/EGG-INFO/PKG-INFO",
                b"Metadata-Version: 1.1\nName: six\nVersion: 1.16.0\n",
            )
            .build();
        let catalog = crate::catalog(&view, &onus_fs::NoReporter);
        let purls: Vec<&str> = catalog.components.iter().map(|c| c.purl.as_str()).collect();
        assert_eq!(purls, ["pkg:pypi/six@1.16.0"]);
    }

    #[test]
    fn parses_metadata_and_normalises_names() {
        let meta = parse_python_metadata(b"Metadata-Version: 2.1\nName: Flask_SQLAlchemy\nVersion: 3.1.1\nLicense: BSD\n\nName: not-a-header\n").unwrap();
        assert_eq!(meta.name, "Flask_SQLAlchemy");
        assert_eq!(meta.version, "3.1.1");
        assert_eq!(
            normalize_python_name("Flask__SQL.-Alchemy"),
            "flask-sql-alchemy"
        );
        assert_eq!(normalize_python_name("zope.interface"), "zope-interface");
    }

    #[test]
    fn malformed_metadata_is_an_error() {
        assert!(parse_python_metadata(b"").is_err());
        assert!(parse_python_metadata(b"Name: x\n")
            .unwrap_err()
            .contains("Version"));
        assert!(parse_python_metadata(b"\xff\xfe\x00garbage").is_err());
        assert!(
            parse_python_metadata(b"\nName: x\nVersion: 1\n").is_err(),
            "headers end at the first blank line"
        );
    }

    #[test]
    fn matches_metadata_paths() {
        assert!(is_python_metadata(
            "/usr/lib/python3.11/site-packages/requests-2.31.0.dist-info/METADATA"
        ));
        assert!(is_python_metadata(
            "/app/deps/six-1.16.0.dist-info/METADATA"
        ));
        assert!(is_python_metadata(
            "/usr/lib/python3/dist-packages/six-1.16.0.egg-info/PKG-INFO"
        ));
        assert!(is_python_metadata(
            "/usr/lib/python3/dist-packages/foo-1.0.egg-info"
        ));
        assert!(!is_python_metadata(
            "/usr/lib/python3/dist-packages/foo-1.0.dist-info/RECORD"
        ));
        assert!(!is_python_metadata("/METADATA"));
    }

    #[test]
    fn catalogs_dist_info_and_reports_bad_metadata() {
        let view = ViewBuilder::new()
            .layer()
            .file(
                "/opt/app/lib/Django-4.2.dist-info/METADATA",
                b"Name: Django\nVersion: 4.2\n",
            )
            .file(
                "/usr/lib/python3/dist-packages/broken.egg-info/PKG-INFO",
                b"Version: 1\n",
            )
            .build();
        let catalog = crate::catalog(&view, &onus_fs::NoReporter);
        assert_eq!(catalog.components.len(), 1);
        assert_eq!(catalog.components[0].purl, "pkg:pypi/django@4.2");
        assert_eq!(catalog.components[0].name, "Django");
        assert_eq!(catalog.unknowns.len(), 1);
        assert_eq!(
            catalog.unknowns[0].location,
            "/usr/lib/python3/dist-packages/broken.egg-info/PKG-INFO"
        );
    }
}
