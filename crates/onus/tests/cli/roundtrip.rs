//! Advisories → `onus advisory export --to secdb` → `onus db build` → `onus match` gives the same
//! fixed / not-affected decisions as the advisories themselves (model.md §4.3, §4.4).

use std::collections::{BTreeMap, BTreeSet};

use onus_advisory::{Document, EventKind};
use onus_inventory::{Component, Ecosystem, ImageInfo, OsInfo, Sbom, SourceInfo, SBOM_SCHEMA};

use crate::common::{onus_json, onus_ok, path_str};
use crate::support;

/// Every 40th package of the real Wolfi history keeps the run short while covering ~40 packages.
const SAMPLE_EVERY: usize = 40;

fn component(package: &str, version: &str) -> Component {
    Component {
        name: package.to_string(),
        version: version.to_string(),
        ecosystem: Ecosystem::Apk,
        purl: format!("pkg:apk/wolfi/{package}@{version}?arch=x86_64&distro=wolfi-20230201"),
        layer: Some(0),
        locations: vec!["/lib/apk/db/installed".to_string()],
        owner: None,
        found_by: "apk-db".to_string(),
        origin: Some(package.to_string()),
        origin_version: None,
        arch: Some("x86_64".to_string()),
        files: Vec::new(),
        metadata: BTreeMap::new(),
    }
}

#[test]
fn secdb_export_round_trips_through_the_matcher() {
    let Some(data) = support::shared_data() else {
        return;
    };
    let archive = data.join("wolfi-advisories/wolfi-advisories-3d461f6.tar.zst");
    let documents: Vec<Document> = onus_advisory::read_documents(&archive)
        .filter_map(Result::ok)
        .map(|(_, doc)| doc)
        .enumerate()
        .filter(|(i, _)| i % SAMPLE_EVERY == 0)
        .map(|(_, doc)| doc)
        .collect();
    assert!(documents.len() > 20);

    // Installed versions per package: below every fix, and at each fixed version.
    let mut components = Vec::new();
    for doc in &documents {
        let name = &doc.package.name;
        let mut versions: BTreeSet<String> = BTreeSet::from(["0.0.0-r0".to_string()]);
        for advisory in &doc.advisories {
            if let Some(EventKind::Fixed {
                fixed_version: Some(v),
            }) = advisory.current_event().map(|e| &e.kind)
            {
                versions.insert(v.clone());
            }
        }
        components.extend(versions.iter().map(|v| component(name, v)));
    }
    let sbom = Sbom {
        schema: SBOM_SCHEMA.to_string(),
        source: SourceInfo {
            scheme: "sbom".into(),
            location: "round-trip".into(),
            platform: None,
        },
        image: ImageInfo {
            os: Some(OsInfo {
                id: "wolfi".into(),
                version_id: Some("20230201".into()),
                ..OsInfo::default()
            }),
            ..ImageInfo::default()
        },
        components,
        unknowns: Vec::new(),
    };

    let dir = tempfile::tempdir().unwrap();
    let sbom_path = dir.path().join("sbom.json");
    std::fs::write(&sbom_path, serde_json::to_vec(&sbom).unwrap()).unwrap();
    let secdb = dir.path().join("security.json");
    // The export covers the whole history; the matcher sees only what secdb carries.
    onus_ok(
        &[
            "advisory",
            "export",
            "--to",
            "secdb",
            &path_str(&archive),
            "-o",
            &path_str(&secdb),
        ],
        0,
    );
    let db = dir.path().join("rt.db");
    onus_ok(
        &[
            "db",
            "build",
            "--db",
            &path_str(&db),
            "--from",
            &path_str(&secdb),
        ],
        0,
    );
    let result = onus_json(&[
        "match",
        &path_str(&sbom_path),
        "--db",
        &path_str(&db),
        "--format",
        "json",
    ]);

    // (package, version) → every id of every open finding.
    let mut open: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for f in result["findings"].as_array().unwrap() {
        let ids = open
            .entry((
                f["package"].as_str().unwrap().into(),
                f["version"].as_str().unwrap().into(),
            ))
            .or_default();
        ids.insert(f["id"].as_str().unwrap().to_string());
        ids.extend(
            f["aliases"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a.as_str().unwrap().to_string()),
        );
    }

    let mut checked = 0;
    for doc in &documents {
        let name = &doc.package.name;
        for c in sbom.components.iter().filter(|c| &c.name == name) {
            for advisory in &doc.advisories {
                let decided = matches!(
                    advisory.current_event().map(|e| &e.kind),
                    Some(EventKind::Fixed { .. } | EventKind::FalsePositiveDetermination { .. })
                );
                if !decided || advisory.aliases.is_empty() {
                    continue;
                }
                let resolved = advisory.resolved_at_version(&c.version, "apk");
                let reported = open
                    .get(&(name.clone(), c.version.clone()))
                    .is_some_and(|ids| advisory.aliases.iter().any(|a| ids.contains(a)));
                assert_eq!(
                    reported, !resolved,
                    "{name}@{} {} ({:?}): advisory says resolved={resolved}, matcher reported={reported}",
                    c.version, advisory.id, advisory.aliases
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 100, "only {checked} decisions compared");
    eprintln!("round trip: {checked} decisions agree");
}
