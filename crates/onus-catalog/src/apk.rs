//! apk package database (`lib/apk/db/installed`): Alpine, Wolfi, Chainguard.
//!
//! Records are blank-line separated `X:value` lines: `P` name, `V` version, `A` arch, `o` origin,
//! `L` licence, `F` a directory and the `R` files in it that follow.

use onus_inventory::{make_purl, Component, Ecosystem, OsInfo};

use crate::text::{clip, numbered_lines, Errors};
use crate::{Cataloger, Ctx, Parsed};

/// The two places apk-tools keeps its database (v2, and the usr-merged location).
pub(crate) const APK_DB_PATHS: [&str; 2] = ["/lib/apk/db/installed", "/usr/lib/apk/db/installed"];

/// One installed package of an apk database.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApkRecord {
    pub name: String,
    pub version: String,
    pub arch: Option<String>,
    /// `o:` the origin (source) package; subpackages share it.
    pub origin: Option<String>,
    pub license: Option<String>,
    /// Absolute paths of the files (`R:` under the preceding `F:`), in database order.
    pub files: Vec<String>,
    /// 1-based line number where the record starts.
    pub line: usize,
}

/// Parse an apk `installed` database. Records without a name or version are dropped and
/// reported, like any malformed line, in the returned messages (capped; never a panic).
pub fn parse_apk_installed(bytes: &[u8]) -> (Vec<ApkRecord>, Vec<String>) {
    let text = String::from_utf8_lossy(bytes);
    let mut records = Vec::new();
    let mut errors = Errors::default();
    let mut current: Option<ApkRecord> = None;
    let mut dir = String::new();
    for (number, line) in numbered_lines(&text) {
        if line.trim().is_empty() {
            finish(current.take(), &mut records, &mut errors);
            dir.clear();
            continue;
        }
        let record = current.get_or_insert_with(|| ApkRecord {
            line: number,
            ..ApkRecord::default()
        });
        let mut chars = line.chars();
        let (Some(key), Some(':')) = (chars.next(), chars.next()) else {
            errors.push(format!(
                "line {number}: expected `X:value`, found `{}`",
                clip(line)
            ));
            continue;
        };
        let value = chars.as_str();
        match key {
            'P' => record.name = value.to_string(),
            'V' => record.version = value.to_string(),
            'A' => record.arch = Some(value.to_string()).filter(|v| !v.is_empty()),
            'o' => record.origin = Some(value.to_string()).filter(|v| !v.is_empty()),
            'L' => record.license = Some(value.to_string()).filter(|v| !v.is_empty()),
            'F' => dir = value.trim_matches('/').to_string(),
            'R' => {
                let joined = if dir.is_empty() {
                    format!("/{value}")
                } else {
                    format!("/{dir}/{value}")
                };
                if let Some(path) = onus_fs::normalize_path(&joined) {
                    record.files.push(path);
                }
            }
            _ => {}
        }
    }
    finish(current, &mut records, &mut errors);
    (records, errors.into_vec())
}

fn finish(record: Option<ApkRecord>, records: &mut Vec<ApkRecord>, errors: &mut Errors) {
    let Some(record) = record else { return };
    match (record.name.is_empty(), record.version.is_empty()) {
        (false, false) => records.push(record),
        (true, _) => errors.push(format!(
            "record at line {}: no package name (`P:`)",
            record.line
        )),
        (false, true) => errors.push(format!(
            "record at line {} (`{}`): no version (`V:`)",
            record.line,
            clip(&record.name)
        )),
    }
}

/// The purl of an apk package: `pkg:apk/<os id>/<name>@<version>?arch=…&distro=<id>-<version_id>`.
pub(crate) fn apk_purl(
    os: Option<&OsInfo>,
    name: &str,
    version: &str,
    arch: Option<&str>,
) -> Result<String, onus_inventory::PurlError> {
    let namespace = os.map(|o| o.id.as_str());
    let distro = distro_qualifier(os);
    make_purl(
        "apk",
        namespace,
        name,
        version,
        &[("arch", arch.unwrap_or("")), ("distro", &distro)],
    )
}

/// `<id>-<version_id>`, or just `<id>` without a version, or empty without an OS.
pub(crate) fn distro_qualifier(os: Option<&OsInfo>) -> String {
    match os {
        Some(OsInfo {
            id,
            version_id: Some(v),
            ..
        }) => format!("{id}-{v}"),
        Some(OsInfo { id, .. }) => id.clone(),
        None => String::new(),
    }
}

/// Catalogs apk databases.
pub(crate) struct ApkCataloger;

impl Cataloger for ApkCataloger {
    fn name(&self) -> &'static str {
        "apk-db"
    }

    fn matches(&self, path: &str, _entry: &onus_fs::FileVersion) -> bool {
        APK_DB_PATHS.contains(&path)
    }

    fn parse(&self, ctx: &Ctx<'_>, path: &str, bytes: &[u8], complete: bool) -> Parsed {
        let (records, errors) = parse_apk_installed(bytes);
        let mut parsed = Parsed::default();
        for error in errors {
            parsed.unknowns.push(crate::unknown(path, error));
        }
        if !complete {
            parsed.unknowns.push(crate::unknown(
                path,
                "database was truncated at the capture size cap; later packages are missing",
            ));
        }
        for record in records {
            let purl = match apk_purl(
                ctx.os,
                &record.name,
                &record.version,
                record.arch.as_deref(),
            ) {
                Ok(purl) => purl,
                Err(e) => {
                    parsed.unknowns.push(crate::unknown(path, e.to_string()));
                    continue;
                }
            };
            let mut c: Component =
                crate::component(&record.name, &record.version, Ecosystem::Apk, purl, path);
            c.origin = record.origin;
            c.arch = record.arch;
            c.files = record.files;
            if let Some(license) = record.license {
                c.metadata.insert("license".to_string(), license);
            }
            parsed.components.push(c);
        }
        parsed
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::testutil::ViewBuilder;

    const DB: &[u8] = b"C:Q1abc=\nP:busybox\nV:1.36.1-r0\nA:x86_64\nL:GPL-2.0-only\no:busybox\nF:bin\nR:busybox\nR:sh\nF:etc/busybox\nR:conf\n\nP:libcrypto3\nV:3.1.4-r0\nA:x86_64\no:openssl\nF:usr/lib\nR:libcrypto.so.3\n\n";

    #[test]
    fn parses_records_and_file_lists() {
        let (records, errors) = parse_apk_installed(DB);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].name, "busybox");
        assert_eq!(
            records[0].files,
            vec!["/bin/busybox", "/bin/sh", "/etc/busybox/conf"]
        );
        assert_eq!(records[1].origin.as_deref(), Some("openssl"));
        assert_eq!(records[1].line, 13);
    }

    #[test]
    fn malformed_records_are_reported_not_fatal() {
        let (records, errors) =
            parse_apk_installed(b"P:ok\nV:1\n\ngarbage line\nV:2\n\nP:noversion\n\n\x00\xff\n");
        assert_eq!(records.len(), 1);
        assert_eq!(errors.len(), 5, "{errors:?}");
        assert!(errors[0].contains("line 4"));
        assert!(errors.iter().any(|e| e.contains("no version")));
        let (records, _) = parse_apk_installed(b"P:x\nV:1\nR:../../../etc/shadow\n");
        assert_eq!(records[0].files, vec!["/etc/shadow"]);
        assert!(parse_apk_installed(b"").0.is_empty());
        assert!(parse_apk_installed(b"\n\n\r\n").1.is_empty());
    }

    #[test]
    fn cataloger_builds_purls_with_distro() {
        let view = ViewBuilder::new()
            .layer()
            .file("/etc/os-release", b"ID=wolfi\nVERSION_ID=20230201\n")
            .file("/lib/apk/db/installed", DB)
            .build();
        let catalog = crate::catalog(&view, &onus_fs::NoReporter);
        assert_eq!(catalog.components.len(), 2);
        let busybox = &catalog.components[0];
        assert_eq!(
            busybox.purl,
            "pkg:apk/wolfi/busybox@1.36.1-r0?arch=x86_64&distro=wolfi-20230201"
        );
        assert_eq!(busybox.found_by, "apk-db");
        assert_eq!(busybox.layer, Some(0));
        assert_eq!(
            busybox.metadata.get("license").map(String::as_str),
            Some("GPL-2.0-only")
        );
        assert_eq!(catalog.components[1].origin.as_deref(), Some("openssl"));
        assert!(catalog.unknowns.is_empty());
    }
}
