//! The Debian-built test images: every package installed is found in the right layer, through
//! both the OCI layout and the docker-archive tar.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::common::{onus_json, path_str};
use crate::support;

/// (ecosystem, name, version) → layer, as onus names them, from the builder's ground truth.
fn expected(image: &std::path::Path) -> BTreeMap<(String, String, String), u64> {
    let text = std::fs::read_to_string(image.join("expected.json")).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    doc["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let ecosystem = p["ecosystem"].as_str().unwrap().to_string();
            let mut name = p["name"].as_str().unwrap().to_string();
            let mut version = p["version"].as_str().unwrap().to_string();
            if ecosystem == "maven" {
                name = p["artifact"].as_str().unwrap().to_string();
            }
            if ecosystem == "golang" && name == "stdlib" {
                version = version.trim_start_matches("go").to_string();
            }
            ((ecosystem, name, version), p["layer"].as_u64().unwrap())
        })
        .collect()
}

fn found(sbom: &Value) -> BTreeMap<(String, String, String), u64> {
    sbom["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let name = c["name"].as_str().unwrap().to_string();
            let mut version = c["version"].as_str().unwrap().to_string();
            if name == "stdlib" {
                // Go's own spelling (`go1.19.8`) and the bare version name the same toolchain.
                version = version.trim_start_matches("go").to_string();
            }
            let key = (c["ecosystem"].as_str().unwrap().to_string(), name, version);
            (key, c["layer"].as_u64().unwrap_or(u64::MAX))
        })
        .collect()
}

fn check_image(name: &str) {
    let Some(image) = support::test_image(name) else {
        return;
    };
    let want = expected(&image);
    for source in [
        format!("oci-dir:{}", path_str(&image.join("oci"))),
        format!("docker-archive:{}", path_str(&image.join("docker.tar"))),
    ] {
        let sbom = onus_json(&["sbom", &source]);
        let got = found(&sbom);
        for (key, layer) in &want {
            let got_layer = got
                .get(key)
                .unwrap_or_else(|| panic!("{name} ({source}): {key:?} not found"));
            assert_eq!(
                got_layer, layer,
                "{name} ({source}): {key:?} introduced in layer {got_layer}, expected {layer}"
            );
        }
        assert_eq!(sbom["image"]["os"]["id"], "debian");
        assert_eq!(sbom["image"]["os"]["version_id"], "12");
    }
}

#[test]
fn distroless_image_packages_and_layers() {
    check_image("distroless");
}

#[test]
fn minbase_image_packages_and_layers() {
    check_image("minbase");
}

#[test]
fn multilayer_image_packages_and_layers() {
    check_image("multilayer");
}

#[test]
fn runtimes_image_packages_and_layers() {
    check_image("runtimes");
}

#[test]
fn python_package_shipped_by_a_deb_names_its_owner() {
    let Some(image) = support::test_image("minbase") else {
        return;
    };
    let sbom = onus_json(&["sbom", &format!("oci-dir:{}", path_str(&image.join("oci")))]);
    // Every deb carries its file list; any language component inside one names it as owner.
    for c in sbom["components"].as_array().unwrap() {
        if c["ecosystem"] != "deb" {
            if let Some(owner) = c["owner"].as_object() {
                assert!(
                    owner["purl"]
                        .as_str()
                        .unwrap()
                        .starts_with("pkg:deb/debian/"),
                    "{c}"
                );
            }
        }
    }
}

#[test]
fn ecosystems_image_packages_and_layers() {
    check_image("ecosystems");
}

/// rpm databases of all three backends: each package with rpm's own `[epoch:]version-release`,
/// its source RPM, licence and files; the gems owned by the debs that shipped them; and a scan
/// that says the store has no rpm feed instead of printing no findings for them silently.
#[test]
fn rpm_databases_in_every_backend_and_no_feed_is_said() {
    let Some(image) = support::test_image("ecosystems") else {
        return;
    };
    let source = format!("oci-dir:{}", path_str(&image.join("oci")));
    let sbom = onus_json(&["sbom", &source]);
    let hello = crate::common::component(&sbom, "rpm", "onus-hello").unwrap();
    assert_eq!(
        hello["purl"],
        "pkg:rpm/debian/onus-hello@1.2.3-4.el9?arch=noarch&distro=debian-12&epoch=2&upstream=onus-hello-1.2.3-4.el9.src.rpm"
    );
    assert_eq!(hello["metadata"]["license"], "MIT AND Apache-2.0");
    assert_eq!(
        hello["files"],
        serde_json::json!(["/usr/share/onus-hello/README"])
    );
    let doc = crate::common::component(&sbom, "rpm", "onus-hello-doc").unwrap();
    assert_eq!(doc["origin"], "onus-hello");
    for (name, database) in [
        ("onus-data", "/usr/lib/sysimage/rpm/rpmdb.sqlite"),
        ("onus-legacy-libs", "/var/lib/rpm/Packages"),
        ("onus-suse-conf", "/var/lib/rpm/Packages.db"),
    ] {
        let c = crate::common::component(&sbom, "rpm", name).unwrap();
        assert_eq!(c["locations"], serde_json::json!([database]), "{name}");
        assert_eq!(c["found_by"], "rpm-db");
    }
    let legacy = crate::common::component(&sbom, "rpm", "onus-legacy").unwrap();
    assert_eq!(legacy["metadata"]["license"], "GPL-2.0-or-later");
    let rack = crate::common::component(&sbom, "gem", "rack").unwrap();
    assert_eq!(rack["owner"]["name"], "ruby-rack");
    assert_eq!(sbom["unknowns"], serde_json::json!([]));

    let Some(db) = crate::common::store() else {
        return;
    };
    let out = crate::common::onus(&["scan", &source, "--db", &path_str(&db), "--format", "json"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no vulnerability feed in the store for rpm packages of `debian-12`"),
        "{stderr}"
    );
}

/// Programs copied out of their debs are found by their content, each with the pattern that
/// matched; the same libcrypto where the libssl3 deb installed it is the package's, not a hit.
#[test]
fn programs_no_package_owns_are_found_by_content() {
    let Some(image) = support::test_image("ecosystems") else {
        return;
    };
    let sbom = onus_json(&["sbom", &format!("oci-dir:{}", path_str(&image.join("oci")))]);
    let hits: Vec<(String, String)> = sbom["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["found_by"] == "binary-classifier")
        .map(|c| {
            (
                c["locations"][0].as_str().unwrap().to_string(),
                c["metadata"]["binary_pattern"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            )
        })
        .collect();
    assert_eq!(hits.len(), 8, "{hits:?}");
    assert!(hits
        .iter()
        .all(|(path, _)| path.starts_with("/opt/scratch/")));
    assert!(hits.contains(&(
        "/opt/scratch/libcrypto.so.3".to_string(),
        "openssl-libcrypto".to_string()
    )));
}
