//! Real-data test: the apko `top_image` (built on `base_image`) from the shared data set, read in
//! place. The base's diff_ids must be found as a prefix, its packages attributed to the vendor and
//! the top layer's `replayout` to the customer.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use onus_attribution::*;
use onus_inventory::{Component, Ecosystem, ImageInfo, LayerInfo, Sbom, SourceInfo, SBOM_SCHEMA};
use serde_json::Value;

fn shared_data() -> Option<PathBuf> {
    let dir = std::env::var_os("ONUS_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data"))
        });
    if dir.join("apko-images").is_dir() {
        Some(dir)
    } else {
        #[allow(clippy::print_stderr)]
        {
            eprintln!("skipping: shared data not found at {}", dir.display());
        }
        None
    }
}

fn blob(layout: &Path, digest: &str) -> Vec<u8> {
    let hex = digest.trim_start_matches("sha256:");
    std::fs::read(layout.join("blobs/sha256").join(hex)).unwrap()
}

fn json(layout: &Path, digest: &str) -> Value {
    serde_json::from_slice(&blob(layout, digest)).unwrap()
}

/// (manifest layer digests, config) of the amd64 image in an OCI layout.
fn amd64(layout: &Path) -> (Vec<String>, Value) {
    let index: Value =
        serde_json::from_slice(&std::fs::read(layout.join("index.json")).unwrap()).unwrap();
    let m = index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["platform"]["architecture"] == "amd64")
        .unwrap();
    let manifest = json(layout, m["digest"].as_str().unwrap());
    let layers = manifest["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["digest"].as_str().unwrap().to_string())
        .collect();
    let config = json(layout, manifest["config"]["digest"].as_str().unwrap());
    (layers, config)
}

fn diff_ids(config: &Value) -> Vec<String> {
    config["rootfs"]["diff_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap().to_string())
        .collect()
}

/// The apk database of one gzipped layer: package → (origin, files).
fn apk_db(layout: &Path, layer_digest: &str) -> BTreeMap<String, (String, Vec<String>)> {
    let gz = blob(layout, layer_digest);
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(&gz[..]));
    let mut text = String::new();
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let path = entry.path().unwrap().to_string_lossy().to_string();
        if path.ends_with("apk/db/installed") {
            entry.read_to_string(&mut text).unwrap();
        }
    }
    let mut out = BTreeMap::new();
    for record in text.split("\n\n") {
        let (mut name, mut origin, mut dir, mut files) =
            (String::new(), String::new(), String::new(), Vec::new());
        for line in record.lines() {
            match line.split_once(':') {
                Some(("P", v)) => name = v.to_string(),
                Some(("o", v)) => origin = v.to_string(),
                Some(("F", v)) => dir = v.to_string(),
                Some(("R", v)) => files.push(format!("/{dir}/{v}")),
                _ => {}
            }
        }
        if !name.is_empty() {
            out.insert(name, (origin, files));
        }
    }
    out
}

#[test]
fn top_image_attribution_from_real_layouts() {
    let Some(data) = shared_data() else { return };
    let top = data.join("apko-images/top_image");
    let base = data.join("apko-images/base_image");
    let (top_layers, top_config) = amd64(&top);
    let (_, base_config) = amd64(&base);
    let top_ids = diff_ids(&top_config);
    let base_ids = diff_ids(&base_config);
    assert_eq!((top_ids.len(), base_ids.len()), (2, 1));

    // Packages as a cataloger would report them: a package present in the bottom layer's
    // database was introduced there, the others by the top layer.
    let bottom = apk_db(&top, &top_layers[0]);
    let squashed = apk_db(&top, &top_layers[1]);
    let components: Vec<Component> = squashed
        .iter()
        .map(|(name, (origin, files))| Component {
            name: name.clone(),
            version: "1.0.0-r0".into(),
            ecosystem: Ecosystem::Apk,
            purl: format!("pkg:apk/wolfi/{name}@1.0.0-r0"),
            layer: Some(if bottom.contains_key(name) { 0 } else { 1 }),
            locations: vec!["/usr/lib/apk/db/installed".into()],
            owner: None,
            found_by: "apk-db".into(),
            origin: Some(origin.clone()),
            origin_version: None,
            arch: Some("x86_64".into()),
            files: files.clone(),
            metadata: BTreeMap::new(),
        })
        .collect();
    assert!(components.iter().any(|c| c.name == "replayout"));
    let layers = top_ids
        .iter()
        .enumerate()
        .map(|(index, d)| LayerInfo {
            index,
            diff_id: d.clone(),
            digest: None,
            size: 0,
            created_by: top_config["history"][index]["created_by"]
                .as_str()
                .map(str::to_string),
        })
        .collect();
    let entrypoint = top_config["config"]["Entrypoint"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    let sbom = Sbom {
        schema: SBOM_SCHEMA.into(),
        source: SourceInfo {
            scheme: "oci-dir".into(),
            location: top.display().to_string(),
            platform: Some("linux/amd64".into()),
        },
        image: ImageInfo {
            layers,
            entrypoint,
            ..ImageInfo::default()
        },
        components,
        unknowns: vec![],
    };
    let rules = load_rules(None).unwrap();
    let base_input = BaseInput::ImageDiffIds(base_ids);
    let r = attribute(&AttributionInput {
        sbom: &sbom,
        findings: &[],
        base: &base_input,
        base_layers: None,
        kind_override: None,
        rules: &rules,
        executable: None,
    });
    assert_eq!(
        (r.base.layers, r.base.source, r.base.confidence),
        (Some(1), BaseSource::BaseImage, Confidence::High)
    );
    assert_eq!(r.kind.value, ImageKind::Base, "{}", r.kind.reason);
    for (c, a) in sbom.components.iter().zip(&r.components) {
        let want = if c.name == "replayout" {
            (Tier::Custom, Party::Customer, "R-PAT-7")
        } else {
            (Tier::System, Party::Vendor, "R-PAT-4")
        };
        assert_eq!(
            (
                a.attribution.tier,
                a.attribution.party,
                a.attribution.rule.as_str()
            ),
            want,
            "{}: {}",
            c.name,
            a.attribution.reason
        );
    }
}
