//! The README's first command: the example under `examples/` works with nothing beside the
//! checkout (no shared data, no network) and shows a move for each party.

use std::collections::BTreeSet;

use crate::common::{onus_json, onus_ok, path_str};
use crate::support;

#[test]
fn the_readme_example_shows_every_partys_move_offline() {
    let root = support::workspace_root();
    let tmp = tempfile::tempdir().unwrap();
    let db = path_str(&tmp.path().join("example.db"));
    let feeds = path_str(&root.join("examples/feeds"));
    let app = format!("oci-dir:{}", root.join("examples/images/app").display());
    let base = format!("oci-dir:{}", root.join("examples/images/base").display());
    onus_ok(&["db", "build", "--db", &db, "--from", &feeds], 0);
    let scan = [
        "scan",
        &app,
        "--base",
        &base,
        "--db",
        &db,
        "--now",
        "2026-11-25",
    ];
    let report = onus_json(&[&scan[..], &["--format", "json"]].concat());
    let moves: BTreeSet<(String, String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["id"].as_str().unwrap().to_string(),
                f["party"].as_str().unwrap().to_string(),
                f["rule"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected = [
        ("CVE-2018-18074", "customer", "R-MOVE-1"),
        ("CVE-2023-6237", "customer", "R-MOVE-2"),
        ("CVE-2024-6119", "vendor", "R-MOVE-6"),
        ("CVE-2023-42364", "upstream", "R-MOVE-4"),
    ];
    for (id, party, rule) in expected {
        assert!(
            moves.contains(&(id.to_string(), party.to_string(), rule.to_string())),
            "{id} should be {party} {rule}: {moves:?}"
        );
    }
    // The vendor's clock is open on the date the example was made for.
    let vendor = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "R-MOVE-6")
        .unwrap();
    assert_eq!(vendor["sla"]["state"], "running", "{vendor}");
    // No staleness warning or other noise on the README's command.
    let out = crate::common::onus(&scan);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The README runs exactly these arguments.
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let relative = "scan oci-dir:examples/images/app --base oci-dir:examples/images/base --db target/example.db --now 2026-11-25";
    assert!(readme.contains(relative), "README's first command changed");
    assert!(readme.contains("db build --db target/example.db --from examples/feeds"));
}
