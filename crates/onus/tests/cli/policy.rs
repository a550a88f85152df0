//! `onus chp` and `onus eol` on the Debian images.

use std::path::Path;

use serde_json::Value;

use crate::common::{onus_json, path_str, scan_on_distroless, store, NOW};
use crate::support;

#[test]
fn distroless_is_chp4_and_5_when_run_read_only() {
    let Some(image) = support::test_image("distroless") else {
        return;
    };
    let source = format!("oci-dir:{}", path_str(&image.join("oci")));
    let chp = onus_json(&["chp", &source, "--format", "json"]);
    assert_eq!(chp["level"], 4, "{chp}");
    assert_eq!(chp["level_if_read_only"], 5);
    for dim in ["shell", "sys", "net"] {
        assert_eq!(chp["dimensions"][dim]["ok"], true, "{dim}: {chp}");
    }
    assert!(chp["dimensions"]["rw"]["ok"].is_null());

    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("deploy.yaml");
    std::fs::write(
        &manifest,
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app}\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: onus-test/distroless\n          securityContext: {readOnlyRootFilesystem: true}\n",
    )
    .unwrap();
    let chp = onus_json(&[
        "chp",
        &source,
        "--runtime",
        &path_str(&manifest),
        "--format",
        "json",
    ]);
    assert_eq!(chp["level"], 5, "{chp}");
}

#[test]
fn minbase_is_chp1_with_shell_sys_and_package_manager_evidence() {
    let Some(image) = support::test_image("minbase") else {
        return;
    };
    let chp = onus_json(&[
        "chp",
        &format!("oci-dir:{}", path_str(&image.join("oci"))),
        "--format",
        "json",
    ]);
    assert_eq!(chp["level"], 1, "{chp}");
    let paths = |dim: &str| -> Vec<String> {
        chp["dimensions"][dim]["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["path"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(
        paths("shell")
            .iter()
            .any(|p| p.ends_with("/sh") || p.ends_with("/bash")),
        "{:?}",
        paths("shell")
    );
    assert!(
        paths("sys").iter().any(|p| p.ends_with("/ls")),
        "{:?}",
        paths("sys")
    );
    assert!(
        paths("net")
            .iter()
            .any(|p| p.ends_with("/apt-get") || p.ends_with("/dpkg")),
        "{:?}",
        paths("net")
    );
    assert!(chp["blockers"].as_array().is_some_and(|b| !b.is_empty()));
}

#[test]
fn eol_of_debian_go_and_openssl_in_the_multilayer_image() {
    let (Some(image), Some(data)) = (support::test_image("multilayer"), support::shared_data())
    else {
        return;
    };
    let entries = eol_json(&image, &data);
    let find = |product: &str| eol_entry(&entries, product);
    let debian = find("debian");
    assert_eq!(debian["cycle"], "12");
    assert_eq!(debian["detected_by"], "os-release");
    let go = find("go");
    assert_eq!(go["cycle"], "1.19");
    assert_eq!(go["state"], "eol");
    assert_eq!(go["party"], "customer");
    assert_eq!(go["rule"], "R-REL-4");
}

#[test]
fn eol_of_debian_python_and_node_in_the_runtimes_image() {
    let (Some(images), Some(data)) = (support::test_images(), support::shared_data()) else {
        return;
    };
    let entries = eol_json(&images.join("runtimes"), &data);
    let find = |product: &str| eol_entry(&entries, product);
    // (cycle, EOL, grace end, state, evidence) at 2026-11-29, from endoflife.date's dates.
    for (product, cycle, eol, grace_end, state, detected_by) in [
        (
            "debian",
            "12",
            "2026-07-11",
            "2027-01-11",
            "in-grace",
            "os-release",
        ),
        (
            "python",
            "3.11",
            "2027-10-31",
            "2028-05-01",
            "supported",
            "deb:libpython3.11-minimal",
        ),
        (
            "nodejs",
            "18",
            "2025-04-30",
            "2025-10-30",
            "eol",
            "deb:nodejs",
        ),
    ] {
        let e = find(product);
        assert_eq!(e["cycle"], cycle, "{product}");
        assert_eq!(e["eol_date"], eol, "{product}");
        assert_eq!(e["grace_end"], grace_end, "{product}");
        assert_eq!(e["state"], state, "{product}");
        assert_eq!(e["detected_by"], detected_by, "{product}");
    }
    assert!(find("python")["version"]
        .as_str()
        .unwrap()
        .starts_with("3.11."));
    assert!(find("nodejs")["version"]
        .as_str()
        .unwrap()
        .starts_with("18."));

    // With the base known, the distribution is the vendor's move and the runtimes the customer
    // added are the customer's.
    let Some(db) = store() else {
        return;
    };
    let report = scan_on_distroless(&images, "runtimes", &db);
    let party = |product: &str| {
        let e = eol_entry(&report["eol"], product);
        (e["party"].clone(), e["rule"].clone())
    };
    assert_eq!(party("debian"), ("vendor".into(), "R-REL-2".into()));
    assert_eq!(party("nodejs"), ("customer".into(), "R-REL-4".into()));
    assert_eq!(party("python"), ("customer".into(), "R-REL-4".into()));
}

/// `onus eol` of a test image at [`NOW`] with the shared endoflife.date data, as JSON.
fn eol_json(image: &Path, data: &Path) -> Value {
    onus_json(&[
        "eol",
        &format!("oci-dir:{}", path_str(&image.join("oci"))),
        "--eol-data",
        &path_str(&data.join("endoflife/products.json")),
        "--now",
        NOW,
        "--format",
        "json",
    ])
}

/// The entry for `product` in a list of EOL entries; fails the test when it is missing.
fn eol_entry<'a>(entries: &'a Value, product: &str) -> &'a Value {
    entries
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["product"] == product)
        .unwrap_or_else(|| panic!("{product} not detected: {entries}"))
}
