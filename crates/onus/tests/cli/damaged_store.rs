//! A security gate fails closed: a store that is damaged, truncated, of another schema or
//! missing is an error (exit 2) naming the store, never "0 findings" and exit 0.

use std::path::{Path, PathBuf};

use crate::common::{onus, path_str, store, NOW};

/// An SPDX SBOM with one Wolfi package that the shared data has findings for.
const SBOM: &str = r#"{"spdxVersion":"SPDX-2.3","dataLicense":"CC0-1.0","SPDXID":"SPDXRef-DOCUMENT",
"name":"damaged-store","documentNamespace":"https://example.invalid/damaged-store",
"creationInfo":{"created":"2024-01-01T00:00:00Z","creators":["Tool: test"]},
"packages":[{"SPDXID":"SPDXRef-P1","name":"openssl","versionInfo":"3.1.0-r0",
"downloadLocation":"NOASSERTION","externalRefs":[{"referenceCategory":"PACKAGE-MANAGER",
"referenceType":"purl","referenceLocator":"pkg:apk/wolfi/openssl@3.1.0-r0?arch=x86_64&distro=wolfi"}]}]}"#;

/// Copy the shared store into `dir` as `name` and damage the copy with `damage`.
fn damaged_copy(dir: &Path, name: &str, damage: impl FnOnce(&Path)) -> PathBuf {
    let good = store().expect("the caller checked the store exists");
    let copy = dir.join(name);
    std::fs::copy(good, &copy).unwrap();
    damage(&copy);
    copy
}

fn with_sql(sql: &str) -> impl FnOnce(&Path) + '_ {
    move |path| {
        let conn = rusqlite::Connection::open(path).unwrap();
        conn.execute_batch(sql).unwrap();
    }
}

/// Run the gate through `match` and `scan`; both must exit 2 and name the store.
fn assert_gate_fails_closed(what: &str, db: &Path, sbom: &Path, expect_in_message: &str) {
    let db = path_str(db);
    let sbom = path_str(sbom);
    let scan_source = format!("sbom:{sbom}");
    let runs: [Vec<&str>; 3] = [
        vec!["match", &sbom, "--db", &db, "--fail-on-severity", "low"],
        vec!["match", &sbom, "--db", &db, "--format", "json"],
        vec![
            "scan",
            &scan_source,
            "--db",
            &db,
            "--now",
            NOW,
            "--fail-on-severity",
            "low",
        ],
    ];
    for args in runs {
        let out = onus(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{what}: onus {args:?} must exit 2\nstdout:\n{}\nstderr:\n{stderr}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert!(
            stderr.contains(&db),
            "{what}: the error names the store: {stderr}"
        );
        assert!(
            stderr.contains(expect_in_message),
            "{what}: the error says `{expect_in_message}`: {stderr}"
        );
        assert!(
            out.stdout.is_empty(),
            "{what}: nothing is printed as if it were a result"
        );
    }
}

#[test]
fn a_healthy_store_finds_the_openssl_findings_so_the_damage_tests_mean_something() {
    let Some(db) = store() else { return };
    let dir = tempfile::tempdir().unwrap();
    let sbom = dir.path().join("sbom.spdx.json");
    std::fs::write(&sbom, SBOM).unwrap();
    let out = onus(&[
        "match",
        &path_str(&sbom),
        "--db",
        &path_str(&db),
        "--fail-on-severity",
        "low",
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "openssl 3.1.0-r0 has findings, so the gate trips: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn every_kind_of_damage_exits_2_from_match_and_scan() {
    let Some(good) = store() else { return };
    let dir = tempfile::tempdir().unwrap();
    let sbom = dir.path().join("sbom.spdx.json");
    std::fs::write(&sbom, SBOM).unwrap();
    let len = std::fs::metadata(&good).unwrap().len();

    let cases: Vec<(&str, PathBuf, &str)> = vec![
        (
            "a dropped table",
            damaged_copy(
                dir.path(),
                "dropped.db",
                with_sql("DROP TABLE distro_advisories"),
            ),
            "is damaged",
        ),
        (
            "an emptied table",
            damaged_copy(dir.path(), "emptied.db", with_sql("DELETE FROM affected")),
            "is damaged",
        ),
        (
            "a truncated file",
            damaged_copy(dir.path(), "truncated.db", |p| {
                let f = std::fs::OpenOptions::new().write(true).open(p).unwrap();
                f.set_len(len / 2).unwrap();
            }),
            "is damaged",
        ),
        (
            "garbage bytes inside a page's cells",
            damaged_copy(dir.path(), "garbage.db", |p| {
                use std::io::{Seek, SeekFrom, Write};
                let mut f = std::fs::OpenOptions::new().write(true).open(p).unwrap();
                // Mid-page, past the page header: SQLite's own structure checks miss this.
                f.seek(SeekFrom::Start((len / 2 / 8192) * 8192 + 2000))
                    .unwrap();
                f.write_all(&[0xA5; 512]).unwrap();
            }),
            "is damaged",
        ),
        (
            "a store from a newer schema",
            damaged_copy(
                dir.path(),
                "newer.db",
                with_sql("UPDATE meta SET value = 'onus.vulndb/v99' WHERE key = 'schema'"),
            ),
            "has schema `onus.vulndb/v99`",
        ),
        (
            "a file that is not a store",
            {
                let p = dir.path().join("text.db");
                std::fs::write(&p, "not a database\n".repeat(1000)).unwrap();
                p
            },
            "vulnerability store",
        ),
        (
            "a store that is not there",
            dir.path().join("missing.db"),
            "no vulnerability store",
        ),
    ];
    for (what, db, message) in &cases {
        assert_gate_fails_closed(what, db, &sbom, message);
    }
}
