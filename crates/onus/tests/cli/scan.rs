//! `onus scan`: attribution of every component and finding, output formats, exit codes.

use serde_json::Value;

use crate::common::{
    apko, component, onus, onus_json, onus_ok, path_str, scan_on_distroless, store, NOW,
};
use crate::support;

fn assert_attr(report: &Value, ecosystem: &str, name: &str, tier: &str, party: &str, rule: &str) {
    let c = component(report, ecosystem, name)
        .unwrap_or_else(|| panic!("component {ecosystem}/{name} missing"));
    assert_eq!(
        (c["tier"].as_str(), c["party"].as_str(), c["rule"].as_str()),
        (Some(tier), Some(party), Some(rule)),
        "{name}: {c}"
    );
    assert!(
        !c["reason"].as_str().unwrap_or("").is_empty(),
        "{name} has a reason"
    );
}

#[test]
fn apko_top_image_on_its_base_splits_vendor_and_customer() {
    let (Some(top), Some(base), Some(db)) = (apko("top_image"), apko("base_image"), store()) else {
        return;
    };
    let report = onus_json(&[
        "scan",
        &top,
        "--base",
        &base,
        "--db",
        &path_str(&db),
        "--now",
        NOW,
        "--format",
        "json",
    ]);
    assert_eq!(report["schema"], "onus.report/v2");
    assert_eq!(report["image"]["base"]["layers"], 1);
    assert_eq!(report["image"]["base"]["source"], "base-image");
    assert_eq!(report["image"]["base"]["confidence"], "high");
    assert_attr(&report, "apk", "replayout", "Custom", "customer", "R-PAT-7");
    assert_attr(
        &report,
        "apk",
        "pretend-baselayout",
        "System",
        "vendor",
        "R-PAT-4",
    );
    assert_attr(&report, "apk", "package-x", "System", "vendor", "R-PAT-4");
    assert!(report["image"]["kind"]["reason"].as_str().is_some());
}

#[test]
fn without_a_base_the_boundary_is_a_low_confidence_guess() {
    let Some(top) = apko("top_image") else { return };
    let Some(db) = store() else { return };
    let db = path_str(&db);
    let report = onus_json(&["scan", &top, "--db", &db, "--format", "json"]);
    // Both layers say `apko` in their history: only a heuristic is left, and it says so.
    assert_ne!(report["image"]["base"]["source"], "base-image");
    assert_eq!(report["image"]["base"]["confidence"], "low");
    // --base-layers is the explicit alternative.
    let report = onus_json(&[
        "scan",
        &top,
        "--base-layers",
        "1",
        "--db",
        &db,
        "--format",
        "json",
    ]);
    assert_eq!(report["image"]["base"]["layers"], 1);
    assert_attr(&report, "apk", "replayout", "Custom", "customer", "R-PAT-7");
}

#[test]
fn debian_multilayer_on_distroless_base() {
    let (Some(images), Some(db)) = (support::test_images(), store()) else {
        return;
    };
    let report = scan_on_distroless(&images, "multilayer", &db);
    assert_eq!(report["image"]["base"]["layers"], 3);
    for c in report["components"].as_array().unwrap() {
        let layer = c["layer"].as_u64().unwrap();
        let expected = if layer >= 3 {
            ("Custom", "customer")
        } else {
            ("System", "vendor")
        };
        if c["ecosystem"] == "deb" && (c["name"] == "libc6" || c["name"] == "libssl3") {
            assert_eq!(
                (c["tier"].as_str(), c["party"].as_str()),
                (Some("System"), Some("vendor")),
                "{}",
                c["name"]
            );
        }
        if layer >= 3 {
            assert_eq!(
                (c["tier"].as_str(), c["party"].as_str()),
                (Some(expected.0), Some(expected.1)),
                "{}",
                c["name"]
            );
            assert_eq!(c["rule"], "R-PAT-7");
        } else {
            assert_eq!(c["party"], "vendor", "{}", c["name"]);
        }
    }
    // Known CVEs of the old Python packages, with their severity, owned by the customer.
    let findings = report["findings"].as_array().unwrap();
    let find = |id: &str, package: &str| {
        findings
            .iter()
            .find(|f| {
                (f["id"] == id || f["aliases"].as_array().unwrap().iter().any(|a| a == id))
                    && f["package"] == package
            })
            .unwrap_or_else(|| panic!("{id} on {package} not reported"))
    };
    for (id, package, severity) in [
        ("CVE-2018-18074", "requests", None),
        ("CVE-2023-32681", "requests", Some("medium")),
        ("CVE-2019-11324", "urllib3", None),
        ("CVE-2023-43804", "urllib3", Some("high")),
        ("CVE-2024-3651", "idna", Some("medium")),
    ] {
        let f = find(id, package);
        assert_eq!(f["party"], "customer");
        assert_eq!(f["tier"], "Custom");
        if let Some(severity) = severity {
            assert_eq!(f["severity"], severity, "{id}");
        }
    }
}

#[test]
fn report_formats_render_and_fail_on_thresholds_set_the_exit_code() {
    let (Some(images), Some(db)) = (support::test_images(), store()) else {
        return;
    };
    let image = format!("oci-dir:{}", path_str(&images.join("multilayer/oci")));
    let base = format!("oci-dir:{}", path_str(&images.join("distroless/oci")));
    let db = path_str(&db);
    let common = [
        "scan",
        image.as_str(),
        "--base",
        base.as_str(),
        "--db",
        db.as_str(),
        "--now",
        NOW,
    ];
    let with = |extra: &[&str]| -> Vec<String> {
        common.iter().chain(extra).map(|s| s.to_string()).collect()
    };
    let run = |args: Vec<String>| onus(&args.iter().map(String::as_str).collect::<Vec<_>>());

    let table = String::from_utf8(run(with(&["--format", "table"])).stdout).unwrap();
    assert!(table.contains("YOUR MOVE"), "{table}");
    let sarif: Value = serde_json::from_slice(&run(with(&["--format", "sarif"])).stdout).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let vex: Value = serde_json::from_slice(&run(with(&["--format", "openvex"])).stdout).unwrap();
    assert!(vex["statements"].as_array().is_some_and(|s| !s.is_empty()));
    let html = String::from_utf8(run(with(&["--format", "html"])).stdout).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>") || html.starts_with("<!doctype html>"));

    assert_eq!(
        run(with(&["--fail-on-party", "customer"])).status.code(),
        Some(1)
    );
    assert_eq!(
        run(with(&["--fail-on-party", "upstream"])).status.code(),
        Some(0)
    );
    assert_eq!(
        run(with(&["--fail-on-severity", "critical"])).status.code(),
        Some(1)
    );
}

#[test]
fn scan_of_an_apko_spdx_sbom() {
    let (Some(data), Some(db)) = (support::shared_data(), store()) else {
        return;
    };
    let sbom = data.join("apko-images/golden/sboms/sbom-x86_64.spdx.json");
    let report = onus_json(&[
        "scan",
        &format!("sbom:{}", path_str(&sbom)),
        "--db",
        &path_str(&db),
        "--now",
        NOW,
        "--format",
        "json",
    ]);
    let components = report["components"].as_array().unwrap();
    assert!(!components.is_empty());
    assert!(components
        .iter()
        .all(|c| c["tier"].is_string() && c["party"].is_string()));
    assert!(report["chp"].is_null(), "no file view, no CHP");
    let table = onus_ok(
        &[
            "scan",
            &format!("sbom:{}", path_str(&sbom)),
            "--db",
            &path_str(&db),
            "--now",
            NOW,
        ],
        0,
    );
    assert!(table.contains("onus scan"));
}
