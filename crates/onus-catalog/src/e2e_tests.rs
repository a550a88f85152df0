//! End-to-end tests: tar layers read with the real capture policy (sinks included), and the
//! apko test images of the shared data set as ground truth for the apk cataloger.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::io::Read;
use std::path::Path;

use onus_fs::FileView;

use crate::testutil::{shared_data, tar_of, view_from_tars};

/// The uncompressed layers of the `arch` manifest of an OCI layout's index.
fn oci_layers(layout: &Path, arch: &str) -> Vec<Vec<u8>> {
    let blob = |digest: &str| {
        std::fs::read(
            layout
                .join("blobs/sha256")
                .join(digest.trim_start_matches("sha256:")),
        )
        .unwrap()
    };
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(layout.join("index.json")).unwrap()).unwrap();
    let manifest = index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["platform"]["architecture"] == arch)
        .unwrap();
    let manifest: serde_json::Value =
        serde_json::from_slice(&blob(manifest["digest"].as_str().unwrap())).unwrap();
    manifest["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|layer| {
            let mut tar = Vec::new();
            flate2::read::GzDecoder::new(blob(layer["digest"].as_str().unwrap()).as_slice())
                .read_to_end(&mut tar)
                .unwrap();
            tar
        })
        .collect()
}

#[test]
fn apko_base_image_matches_its_spdx_sbom() {
    let Some(data) = shared_data() else { return };
    let dir = data.join("apko-images/base_image");
    for (arch, apk_arch) in [("amd64", "x86_64"), ("arm64", "aarch64")] {
        let view = view_from_tars(&oci_layers(&dir, arch), &crate::capture_policy());
        let catalog = crate::catalog(&view, &onus_fs::NoReporter);
        assert!(catalog.unknowns.is_empty(), "{:?}", catalog.unknowns);
        assert_eq!(catalog.os.as_ref().unwrap().id, "pretend");

        // The SBOM has a trailing comma (not strict JSON), so its apk purls are read as text.
        let sbom =
            std::fs::read_to_string(dir.join(format!("sboms/sbom-{apk_arch}.spdx.json"))).unwrap();
        let want: BTreeSet<(String, String)> = sbom
            .split("pkg:apk/unknown/")
            .skip(1)
            .filter_map(|rest| {
                let (name, rest) = rest.split_once('@')?;
                let version = rest.split(['?', '"']).next()?;
                Some((name.to_string(), version.to_string()))
            })
            .collect();
        let got: BTreeSet<(String, String)> = catalog
            .components
            .iter()
            .map(|c| (c.name.clone(), c.version.clone()))
            .collect();
        assert_eq!(want.len(), 3);
        assert_eq!(got, want, "{arch}");
        for c in &catalog.components {
            assert_eq!(c.arch.as_deref(), Some(apk_arch));
            assert_eq!(c.layer, Some(0));
            assert_eq!(
                c.purl,
                format!(
                    "pkg:apk/pretend/{}@{}?arch={apk_arch}&distro=pretend-1.0.0",
                    c.name, c.version
                )
            );
            assert_eq!(c.locations, vec!["/lib/apk/db/installed"]);
        }
        let x = catalog
            .components
            .iter()
            .find(|c| c.name == "package-x")
            .unwrap();
        assert_eq!(
            x.files,
            vec![
                "/var/lib/db/sbom/package-x-1.0.0-r0.spdx.json",
                "/x/hello.txt"
            ]
        );
        assert_eq!(x.origin.as_deref(), Some("package-x"));
    }
}

#[test]
fn apko_top_image_usr_merge_and_introducing_layers() {
    let Some(data) = shared_data() else { return };
    let layers = oci_layers(&data.join("apko-images/top_image"), "amd64");
    assert_eq!(layers.len(), 2);
    let view = view_from_tars(&layers, &crate::capture_policy());
    let catalog = crate::catalog(&view, &onus_fs::NoReporter);
    assert!(catalog.unknowns.is_empty(), "{:?}", catalog.unknowns);
    let os = catalog.os.unwrap();
    assert_eq!(
        (os.id.as_str(), os.version_id.as_deref()),
        ("replaces", Some("1.0.0"))
    );
    let got: Vec<(&str, Option<usize>, &str)> = catalog
        .components
        .iter()
        .map(|c| (c.name.as_str(), c.layer, c.locations[0].as_str()))
        .collect();
    // The top layer moved the database to /usr/lib/apk (lib/apk became a symlink) and rewrote
    // it; packages whose files all date from the base layer keep layer 0.
    assert_eq!(
        got,
        vec![
            ("package-x", Some(0), "/usr/lib/apk/db/installed"),
            ("pretend-baselayout", Some(0), "/usr/lib/apk/db/installed"),
            ("replayout", Some(1), "/usr/lib/apk/db/installed"),
        ]
    );
    let replayout = &catalog.components[2];
    assert_eq!(
        replayout.purl,
        "pkg:apk/replaces/replayout@1.0.0-r0?arch=x86_64&distro=replaces-1.0.0"
    );
}

#[test]
fn tar_layers_through_the_capture_sinks() {
    let go = crate::golang::tests::inline_binary(4096, "go1.22.1", crate::golang::tests::MODINFO);
    let jar = crate::java::tests::spring_boot_jar();
    let base = tar_of(
        &[
            ("etc/os-release", 0o644, b"ID=debian\nVERSION_ID=\"12\"\n"),
            ("var/lib/dpkg/status", 0o644, b"Package: libc6\nStatus: install ok installed\nVersion: 2.36-9\nArchitecture: amd64\n"),
            ("usr/bin/not-go", 0o755, &[0x7f; 100_000]),
        ],
        &[],
    );
    let app = tar_of(
        &[
            ("app/app.jar", 0o644, &jar),
            ("app/server", 0o755, &go),
            ("app/node_modules/express/package.json", 0o644, br#"{"name":"express","version":"4.18.2"}"#),
            ("app/deps/flask-3.0.0.dist-info/METADATA", 0o644, b"Name: Flask\nVersion: 3.0.0\n"),
            ("var/lib/dpkg/status", 0o644, b"Package: libc6\nStatus: install ok installed\nVersion: 2.36-9\nArchitecture: amd64\n\nPackage: curl\nStatus: install ok installed\nVersion: 7.88.1-10\nArchitecture: amd64\n"),
        ],
        &[],
    );
    let view = view_from_tars(&[base, app], &crate::capture_policy());
    // Sinks keep summaries, not the binary or the archive.
    assert!(
        view.entry("/app/server")
            .unwrap()
            .content
            .as_ref()
            .unwrap()
            .bytes
            .len()
            < 2048
    );
    assert!(view.entry("/usr/bin/not-go").unwrap().content.is_none());
    let catalog = crate::catalog(&view, &onus_fs::NoReporter);
    let by_cataloger = |name: &str| {
        catalog
            .components
            .iter()
            .filter(|c| c.found_by == name)
            .count()
    };
    assert_eq!(by_cataloger("dpkg-db"), 2);
    assert_eq!(by_cataloger("go-module-binary"), 5);
    assert_eq!(by_cataloger("java-archive"), 4);
    assert_eq!(by_cataloger("npm-package"), 1);
    assert_eq!(by_cataloger("python-package"), 1);
    let layer_of = |name: &str| {
        catalog
            .components
            .iter()
            .find(|c| c.name == name)
            .unwrap()
            .layer
    };
    assert_eq!(layer_of("libc6"), Some(0));
    assert_eq!(layer_of("curl"), Some(1));
    assert_eq!(layer_of("express"), Some(1));
    assert_eq!(catalog.unknowns.len(), 1, "{:?}", catalog.unknowns);
}

/// Sanity check against the real Debian-based images built by `scripts/build-test-images.sh`
/// (not part of the default run: the images are built on demand, outside this crate).
#[test]
#[ignore = "needs target/test-images from scripts/build-test-images.sh"]
fn real_test_images_match_their_expected_packages() {
    let root = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../target/test-images"
    ));
    let mut problems = Vec::new();
    for image in ["distroless", "minbase", "multilayer"] {
        let dir = root.join(image);
        let expected: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join("expected.json")).unwrap()).unwrap();
        let view = view_from_tars(
            &oci_layers(&dir.join("oci"), "amd64"),
            &crate::capture_policy(),
        );
        let catalog = crate::catalog(&view, &onus_fs::NoReporter);
        let os = catalog.os.clone().unwrap();
        assert_eq!(
            (os.id.as_str(), os.version_id.as_deref()),
            ("debian", Some("12"))
        );
        let mut matched = BTreeSet::new();
        for want in expected["packages"].as_array().unwrap() {
            let s = |k: &str| want[k].as_str().unwrap_or_default().to_string();
            let name = if s("ecosystem") == "maven" {
                s("artifact")
            } else {
                s("name")
            };
            let hit = catalog.components.iter().enumerate().find(|(_, c)| {
                c.name == name
                    && c.version == s("version")
                    && c.locations.contains(&s("path"))
                    && c.purl.starts_with(&format!("pkg:{}", s("ecosystem")))
            });
            match hit {
                None => problems.push(format!("{image}: missing {want}")),
                Some((i, c)) => {
                    matched.insert(i);
                    if c.layer != want["layer"].as_u64().map(|l| l as usize) {
                        problems.push(format!(
                            "{image}: {name}@{} layer {:?}, want {}",
                            c.version, c.layer, want["layer"]
                        ));
                    }
                    if want.get("source").is_some() && c.origin.as_deref() != Some(&s("source")) {
                        problems.push(format!(
                            "{image}: {name} origin {:?}, want {}",
                            c.origin,
                            s("source")
                        ));
                    }
                    if c.ecosystem.is_distro() && c.files.is_empty() {
                        problems.push(format!("{image}: {name} has no files"));
                    }
                }
            }
        }
        for (i, c) in catalog.components.iter().enumerate() {
            // A project's own manifest (`/app/package.json`) is not in the installed-package
            // ground truth, but is reported like Syft does.
            let project_manifest = c
                .locations
                .iter()
                .any(|l| crate::npm::is_project_package_json(l));
            if !matched.contains(&i) && !project_manifest {
                problems.push(format!(
                    "{image}: extra {} {} {} at {:?} layer {:?}",
                    c.purl, c.version, c.found_by, c.locations, c.layer
                ));
            }
        }
        for u in &catalog.unknowns {
            problems.push(format!("{image}: unknown {} {}", u.location, u.reason));
        }
        let owned: Vec<String> = catalog
            .components
            .iter()
            .filter_map(|c| {
                c.owner
                    .as_ref()
                    .map(|o| format!("{} <- {}", c.name, o.name))
            })
            .collect();
        problems.push(format!(
            "{image}: info: {} components, owned: {owned:?}",
            catalog.components.len()
        ));
    }
    let real: Vec<&String> = problems
        .iter()
        .filter(|p| !p.contains(": info: "))
        .collect();
    assert!(real.is_empty(), "{}", problems.join("\n"));
}
