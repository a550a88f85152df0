//! `onus advisory validate|export` and `onus sla report` on the real Wolfi history.

use crate::common::{onus, onus_json, onus_ok, path_str, store, NOW};
use crate::support;

#[test]
fn validate_flags_the_future_schema_fixture_and_exits_1() {
    let Some(data) = support::shared_data() else {
        return;
    };
    let fixtures = data.join("advisory-schema-fixtures");
    let out = onus(&[
        "advisory",
        "validate",
        &path_str(&fixtures),
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let codes: Vec<&str> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"unknown-event-type"), "{codes:?}");
    // The fully valid fixture alone passes.
    onus_ok(
        &[
            "advisory",
            "validate",
            &path_str(&fixtures.join("full.advisories.yaml")),
        ],
        0,
    );
}

#[test]
fn export_formats_are_json_documents() {
    let Some(data) = support::shared_data() else {
        return;
    };
    let fixture = data.join("advisory-schema-fixtures/full.advisories.yaml");
    let secdb = onus_json(&["advisory", "export", "--to", "secdb", &path_str(&fixture)]);
    assert_eq!(secdb["reponame"], "os");
    let osv = onus_json(&["advisory", "export", "--to", "osv", &path_str(&fixture)]);
    assert!(osv.is_array());
    let vex = onus_json(&["advisory", "export", "--to", "openvex", &path_str(&fixture)]);
    assert_eq!(vex["@context"], "https://openvex.dev/ns/v0.2.0");
}

#[test]
fn sla_report_over_the_full_wolfi_history() {
    let (Some(data), Some(db)) = (support::shared_data(), store()) else {
        return;
    };
    let archive = data.join("wolfi-advisories/wolfi-advisories-3d461f6.tar.zst");
    let report = onus_json(&[
        "sla",
        "report",
        "--advisories",
        &path_str(&archive),
        "--now",
        NOW,
        "--db",
        &path_str(&db),
        "--format",
        "json",
    ]);
    let overall = &report["time_to_fix"]["overall"];
    assert!(overall["count"].as_u64().unwrap() > 10_000, "{overall}");
    assert!(overall["median_days"].as_f64().is_some());
    assert!(overall["p90_days"].as_f64().unwrap() >= overall["median_days"].as_f64().unwrap());
    let within = &report["within_sla"];
    assert!(within["days_7"].as_f64().unwrap() <= within["days_14"].as_f64().unwrap());
    assert!(report["open"].as_array().is_some_and(|o| !o.is_empty()));
    assert!(report["caveat"].as_str().unwrap().contains("record times"));
    for format in ["table", "csv", "markdown", "html"] {
        let text = onus_ok(
            &[
                "sla",
                "report",
                "--advisories",
                &path_str(&archive),
                "--now",
                NOW,
                "--format",
                format,
            ],
            0,
        );
        assert!(!text.is_empty(), "{format}");
    }
}
