//! `onus db` and `onus match` on the real feeds.

use crate::common::{onus, onus_json, onus_ok, path_str, store, NOW};
use crate::support;

#[test]
fn db_status_lists_every_source_with_counts() {
    let Some(db) = store() else { return };
    let status = onus_json(&[
        "db",
        "status",
        "--db",
        &path_str(&db),
        "--format",
        "json",
        "--now",
        NOW,
    ]);
    let sources = status["sources"].as_array().unwrap();
    let names: Vec<&str> = sources
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    for expected in [
        "wolfi-advisories",
        "osv-pypi",
        "osv-go",
        "cve-severity",
        "cisa-kev",
        "endoflife",
        "debian-tracker",
    ] {
        assert!(
            names.contains(&expected),
            "{expected} missing from {names:?}"
        );
    }
    assert!(sources.iter().all(|s| s["records"].as_u64().unwrap() > 0));
    let table = onus_ok(&["db", "status", "--db", &path_str(&db), "--now", NOW], 0);
    assert!(table.contains("wolfi-advisories"));
}

#[test]
fn match_an_onus_sbom_of_the_multilayer_image() {
    let (Some(image), Some(db)) = (support::test_image("multilayer"), store()) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let sbom = dir.path().join("sbom.json");
    onus_ok(
        &[
            "sbom",
            &format!("oci-dir:{}", path_str(&image.join("oci"))),
            "-o",
            &path_str(&sbom),
        ],
        0,
    );
    let result = onus_json(&[
        "match",
        &path_str(&sbom),
        "--db",
        &path_str(&db),
        "--format",
        "json",
    ]);
    let ids: Vec<&str> = result["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"CVE-2018-18074"), "{ids:?}");
    assert!(ids.contains(&"CVE-2019-11324"), "{ids:?}");
}

#[test]
fn match_the_spdx_sbom_apko_attaches() {
    let (Some(data), Some(db)) = (support::shared_data(), store()) else {
        return;
    };
    let sbom = data.join("apko-images/golden/sboms/sbom-x86_64.spdx.json");
    let result = onus_json(&[
        "match",
        &path_str(&sbom),
        "--db",
        &path_str(&db),
        "--format",
        "json",
    ]);
    assert!(result["findings"].is_array());
}

#[test]
fn quiet_silences_db_build_and_the_summary_goes_to_stderr_otherwise() {
    let Some(data) = support::shared_data() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = path_str(&dir.path().join("kev.db"));
    let kev = path_str(&data.join("cisa-kev"));
    let out = onus(&["db", "build", "--quiet", "--db", &db, "--from", &kev]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        out.stdout.is_empty() && out.stderr.is_empty(),
        "--quiet prints nothing"
    );
    let out = onus(&["db", "build", "--db", &db, "--from", &kev]);
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty(), "stdout carries only data");
    assert!(String::from_utf8_lossy(&out.stderr).contains("1404 records"));
}

#[test]
fn match_refuses_a_party_gate_it_cannot_evaluate() {
    let Some(db) = store() else { return };
    let dir = tempfile::tempdir().unwrap();
    let sbom = dir.path().join("empty.spdx.json");
    std::fs::write(
        &sbom,
        r#"{"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT","name":"e","packages":[]}"#,
    )
    .unwrap();
    let out = onus(&[
        "match",
        &path_str(&sbom),
        "--db",
        &path_str(&db),
        "--fail-on-party",
        "vendor",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("onus scan sbom:"));
}
