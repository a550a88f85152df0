//! Export tests: secdb, OSV and OpenVEX from hand-written documents and the schema fixtures.
#![allow(clippy::unwrap_used, clippy::print_stderr)]

use std::path::PathBuf;

mod common;

use onus_advisory::{
    export_openvex, export_osv, export_secdb, osv_index, parse_document, Document, OpenVexOptions,
    OsvOptions, SecdbDecision, SecdbOptions,
};

const STATES: &str = r#"schema-version: 2.0.2
package:
  name: foo
advisories:
  - id: CGA-2222-2222-2222
    aliases: [CVE-2024-0001, GHSA-2222-3333-4444]
    events:
      - timestamp: 2024-01-01T00:00:00Z
        type: detection
        data:
          type: manual
      - timestamp: 2024-01-05T00:00:00Z
        type: fixed
        data:
          fixed-version: 1.2.3-r1
  - id: CGA-3333-3333-3333
    aliases: [CVE-2024-0002]
    events:
      - timestamp: 2024-01-02T00:00:00Z
        type: false-positive-determination
        data:
          type: component-vulnerability-mismatch
          note: Not the same component.
  - id: CGA-4444-4444-4444
    aliases: [CVE-2024-0003]
    events:
      - timestamp: 2024-01-03T00:00:00Z
        type: detection
        data:
          type: manual
  - id: CGA-5555-5555-5555
    aliases: [CVE-2024-0004]
    events:
      - timestamp: 2024-01-03T00:00:00Z
        type: true-positive-determination
        data:
          note: Upgrade to 2.0.
  - id: CGA-6666-6666-6666
    aliases: [GHSA-6666-6666-6666]
    events:
      - timestamp: 2024-01-04T00:00:00Z
        type: pending-upstream-fix
        data:
          note: Needs a breaking change.
  - id: CGA-7777-7777-7777
    aliases: [CVE-2024-0007]
    events:
      - timestamp: 2024-01-04T00:00:00Z
        type: fix-not-planned
        data:
          note: End of life.
  - id: CGA-8888-8888-8888
    aliases: [CVE-2024-0008]
    events:
      - timestamp: 2024-01-06T00:00:00Z
        type: analysis-not-planned
        data:
          note: Out of scope.
  - id: CGA-9999-9999-9999
    aliases: [CVE-2024-0009]
    events:
      - timestamp: 2024-01-01T00:00:00Z
        type: fixed
        data:
          fixed-version: 1.0.0-r0
      - timestamp: 2024-01-02T00:00:00Z
        type: false-positive-determination
        data:
          type: future-fp-type
"#;

const BAR: &str = r#"schema-version: "2"
package:
  name: bar
advisories:
  - id: CGA-cccc-cccc-cccc
    aliases: [CVE-2023-0001]
    events:
      - timestamp: 2023-05-01T00:00:00Z
        type: fixed
        data:
          fixed-version: 0.9-r2
"#;

fn docs() -> Vec<Document> {
    vec![
        parse_document(STATES.as_bytes(), "foo.advisories.yaml").unwrap(),
        parse_document(BAR.as_bytes(), "bar.advisories.yaml").unwrap(),
    ]
}

#[test]
fn secdb_has_aliases_only_for_fixed_and_false_positive() {
    let db = export_secdb(&docs(), &SecdbOptions::default());
    let json = serde_json::to_string_pretty(&db).unwrap();
    let expected = r#"{
  "apkurl": "{{urlprefix}}/{{reponame}}/{{arch}}/{{pkg.name}}-{{pkg.ver}}.apk",
  "archs": [
    "x86_64",
    "aarch64"
  ],
  "reponame": "os",
  "urlprefix": "https://packages.wolfi.dev",
  "packages": [
    {
      "pkg": {
        "name": "bar",
        "secfixes": {
          "0.9-r2": [
            "CVE-2023-0001"
          ]
        }
      }
    },
    {
      "pkg": {
        "name": "foo",
        "secfixes": {
          "0": [
            "CVE-2024-0002",
            "CVE-2024-0009"
          ],
          "1.2.3-r1": [
            "CVE-2024-0001",
            "GHSA-2222-3333-4444"
          ]
        }
      }
    }
  ]
}"#;
    assert_eq!(json, expected);
    assert!(!json.contains("CGA-"));
    // The scanner-side lookup.
    assert_eq!(
        db.lookup("foo", "1.2.3-r0", "CVE-2024-0001"),
        SecdbDecision::Affected
    );
    assert_eq!(
        db.lookup("foo", "1.2.3-r1", "CVE-2024-0001"),
        SecdbDecision::Fixed
    );
    assert_eq!(
        db.lookup("foo", "0.1-r0", "CVE-2024-0002"),
        SecdbDecision::NotAffected
    );
    assert_eq!(
        db.lookup("foo", "9-r0", "CVE-2024-0003"),
        SecdbDecision::NotListed
    );
    assert_eq!(
        db.index().lookup("bar", "0.10-r0", "CVE-2023-0001"),
        SecdbDecision::Fixed
    );
    // Deterministic regardless of document order.
    let mut reversed = docs();
    reversed.reverse();
    assert_eq!(export_secdb(&reversed, &SecdbOptions::default()), db);
}

#[test]
fn osv_records_for_fixed_and_false_positive_only() {
    let records = export_osv(&docs(), &OsvOptions::default());
    let ids: Vec<&str> = records.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "CGA-2222-2222-2222",
            "CGA-3333-3333-3333",
            "CGA-9999-9999-9999",
            "CGA-cccc-cccc-cccc"
        ]
    );
    let json = serde_json::to_value(&records[0]).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "schema_version": "1.6.0",
            "id": "CGA-2222-2222-2222",
            "modified": "2024-01-05T00:00:00Z",
            "related": ["CGA-2222-2222-2222", "CVE-2024-0001", "GHSA-2222-3333-4444"],
            "affected": [{
                "package": {"ecosystem": "Wolfi", "name": "foo", "purl": "pkg:apk/wolfi/foo"},
                "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.2.3-r1"}]}]
            }]
        })
    );
    let fp = serde_json::to_value(&records[1]).unwrap();
    assert_eq!(
        fp["affected"][0]["ranges"][0],
        serde_json::json!({"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "0"}], "database_specific": {"false_positive": true}})
    );
    let opts = OsvOptions {
        ecosystems: vec!["Chainguard".into(), "Wolfi".into()],
        subpackages: [("foo".to_string(), vec!["foo-dev".to_string()])]
            .into_iter()
            .collect(),
    };
    let records = export_osv(&docs(), &opts);
    let purls: Vec<&str> = records[0]
        .affected
        .iter()
        .map(|a| a.package.purl.as_str())
        .collect();
    assert_eq!(
        purls,
        [
            "pkg:apk/chainguard/foo",
            "pkg:apk/wolfi/foo",
            "pkg:apk/chainguard/foo-dev",
            "pkg:apk/wolfi/foo-dev"
        ]
    );
    assert_eq!(osv_index(&records)[3].modified, "2023-05-01T00:00:00Z");
}

fn schema_validator() -> Option<jsonschema::Validator> {
    let dir = std::env::var_os("ONUS_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data"))
        });
    let path = dir.join("schemas/openvex.schema.json");
    if !path.is_file() {
        eprintln!("skipping: shared data not found at {}", dir.display());
        return None;
    }
    let schema: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    Some(jsonschema::validator_for(&schema).unwrap())
}

fn assert_valid(validator: &jsonschema::Validator, doc: &serde_json::Value) {
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn openvex_maps_every_state_and_validates() {
    let vex = export_openvex(&docs(), &OpenVexOptions::default());
    let json = serde_json::to_value(&vex).unwrap();
    // The latest current-event timestamp, not the clock.
    assert_eq!(json["timestamp"], "2024-01-06T00:00:00Z");
    assert!(json["@id"]
        .as_str()
        .unwrap()
        .starts_with("urn:onus:openvex:"));
    let by_name = |name: &str| {
        json["statements"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["vulnerability"]["name"] == name)
            .cloned()
            .unwrap()
    };
    let fixed = by_name("CVE-2024-0001");
    assert_eq!(fixed["status"], "fixed");
    assert_eq!(
        fixed["products"][0]["identifiers"]["purl"],
        "pkg:apk/wolfi/foo@1.2.3-r1"
    );
    assert_eq!(
        fixed["vulnerability"]["aliases"],
        serde_json::json!(["CGA-2222-2222-2222", "GHSA-2222-3333-4444"])
    );
    let fp = by_name("CVE-2024-0002");
    assert_eq!(fp["status"], "not_affected");
    assert_eq!(fp["justification"], "component_not_present");
    assert_eq!(fp["impact_statement"], "Not the same component.");
    assert_eq!(by_name("CVE-2024-0003")["status"], "under_investigation");
    let tp = by_name("CVE-2024-0004");
    assert_eq!(
        (tp["status"].as_str(), tp["action_statement"].as_str()),
        (Some("affected"), Some("Upgrade to 2.0."))
    );
    let puf = by_name("GHSA-6666-6666-6666");
    assert_eq!(
        puf["action_statement"],
        "pending upstream fix: Needs a breaking change."
    );
    assert_eq!(
        by_name("CVE-2024-0007")["action_statement"],
        "no fix planned: End of life."
    );
    assert_eq!(
        by_name("CVE-2024-0008")["action_statement"],
        "analysis not planned: Out of scope."
    );
    let unknown_fp = by_name("CVE-2024-0009");
    assert_eq!(unknown_fp["status"], "not_affected");
    assert!(unknown_fp.get("justification").is_none());
    assert_eq!(
        unknown_fp["impact_statement"],
        "not affected (future-fp-type)"
    );
    assert_eq!(json["statements"].as_array().unwrap().len(), 9);
    // Same input, same bytes (and the same @id).
    let again =
        serde_json::to_string(&export_openvex(&docs(), &OpenVexOptions::default())).unwrap();
    assert_eq!(serde_json::to_string(&vex).unwrap(), again);
    if let Some(validator) = schema_validator() {
        assert_valid(&validator, &json);
        // The schema does catch a broken statement (affected without an action statement).
        let mut broken = json.clone();
        let tp_index = broken["statements"]
            .as_array()
            .unwrap()
            .iter()
            .position(|s| s["vulnerability"]["name"] == "CVE-2024-0004")
            .unwrap();
        broken["statements"][tp_index]
            .as_object_mut()
            .unwrap()
            .remove("action_statement");
        assert!(validator.iter_errors(&broken).next().is_some());
    }
}

#[test]
fn openvex_of_the_schema_fixtures_validates() {
    let Some(validator) = schema_validator() else {
        return;
    };
    for name in ["full.advisories.yaml", "future.advisories.yaml"] {
        let Some(text) = common::schema_fixture(name) else {
            return;
        };
        let doc = parse_document(text.as_bytes(), name).unwrap();
        let vex = export_openvex([&doc], &OpenVexOptions::default());
        if vex.statements.is_empty() {
            continue;
        }
        assert_valid(&validator, &serde_json::to_value(&vex).unwrap());
    }
}
