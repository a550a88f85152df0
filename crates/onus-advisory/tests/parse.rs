//! Parser and state-rule tests over the Apache-2.0 schema fixtures and hand-written documents.
#![allow(clippy::unwrap_used)]

use onus_advisory::{parse_document, AdvisoryError, Detection, EventKind, FalsePositiveType};

mod common;

#[test]
fn full_fixture_has_every_event_type() {
    let Some(full) = common::schema_fixture("full.advisories.yaml") else {
        return;
    };
    let doc = parse_document(full.as_bytes(), "full.advisories.yaml").unwrap();
    assert_eq!(doc.schema_version, "2.0.2");
    assert_eq!(doc.package.name, "full");
    assert!(!doc.is_future_schema());
    let adv = &doc.advisories[0];
    assert_eq!(adv.id, "CGA-2222-2222-2222");
    assert_eq!(
        adv.aliases,
        ["CVE-2000-0001", "GHSA-xxxx-xxxx-xxx9", "GO-2000-0001"]
    );
    let types: Vec<&str> = adv.events.iter().map(|e| e.type_name()).collect();
    assert_eq!(
        types,
        [
            "detection",
            "detection",
            "detection",
            "true-positive-determination",
            "false-positive-determination",
            "false-positive-determination",
            "false-positive-determination",
            "false-positive-determination",
            "false-positive-determination",
            "false-positive-determination",
            "false-positive-determination",
            "fixed",
            "analysis-not-planned",
            "fix-not-planned",
            "pending-upstream-fix",
        ]
    );
    assert_eq!(adv.events[0].kind, EventKind::Detection(Detection::Manual));
    match &adv.events[1].kind {
        EventKind::Detection(Detection::Nvdapi(n)) => {
            assert_eq!(n.cpe_searched, "cpe:2.3:a:*:tinyxml:*:*:*:*:*:*:*:*");
            assert_eq!(
                n.cpe_found,
                "cpe:2.3:a:tinyxml_project:tinyxml:*:*:*:*:*:*:*:*"
            );
        }
        other => panic!("unexpected {other:?}"),
    }
    let scan = adv.events[2].scan_v1().unwrap();
    assert_eq!(scan.subpackage_name, "test-sub");
    assert_eq!(scan.component_id, "fe8053a3adedc5d0");
    assert_eq!(scan.component_name, "github.com/docker/distribution");
    assert_eq!(scan.component_version, "v2.8.1+incompatible");
    assert_eq!(scan.component_type, "go-module");
    assert_eq!(scan.component_location, "/usr/bin/crane");
    assert_eq!(scan.scanner, "grype");
    assert_eq!(
        adv.events[3].kind.note(),
        Some("Something something true positive.")
    );
    let fp_types: Vec<FalsePositiveType> = adv.events[4..11]
        .iter()
        .map(|e| match &e.kind {
            EventKind::FalsePositiveDetermination { fp_type, .. } => fp_type.clone(),
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(fp_types, FalsePositiveType::KNOWN.to_vec());
    assert_eq!(adv.events[11].kind.fixed_version(), Some("1.2.3-r4"));
    assert_eq!(
        adv.events[12].kind.note(),
        Some("Something something analysis not planned.")
    );
    assert_eq!(
        adv.events[13].kind.note(),
        Some("Something something fix not planned.")
    );
    assert_eq!(
        adv.events[14].kind.note(),
        Some("Something something pending upstream fix.")
    );
    // All timestamps tie: the last in the file is current.
    assert_eq!(adv.current_index(), Some(14));
    assert_eq!(
        adv.current_event().unwrap().type_name(),
        "pending-upstream-fix"
    );
    assert!(adv.resolved());
    assert!(adv.resolved_at_version("0.1-r0", "apk"));
    assert!(!adv.concluded_at_version("9.9-r0", "apk"));
    // The first detection on a tie is the first one in the file.
    assert_eq!(
        adv.first_detection().unwrap().kind,
        EventKind::Detection(Detection::Manual)
    );
}

#[test]
fn future_fixture_is_accepted_with_unknowns_kept() {
    let Some(future) = common::schema_fixture("future.advisories.yaml") else {
        return;
    };
    let doc = parse_document(future.as_bytes(), "future.advisories.yaml").unwrap();
    assert_eq!(doc.schema_version, "2.0.99999");
    assert!(doc.is_future_schema());
    let adv = &doc.advisories[0];
    assert_eq!(adv.aliases.len(), 4);
    assert_eq!(
        adv.events[0].kind,
        EventKind::Other("future-event-type".into())
    );
    assert_eq!(
        adv.events[1].kind,
        EventKind::Detection(Detection::Other("future-detection-type".into()))
    );
    assert_eq!(
        adv.events[2].kind,
        EventKind::FalsePositiveDetermination {
            fp_type: FalsePositiveType::Other("future-false-positive-type".into()),
            note: Some("Something something false positive.".into()),
        }
    );
}

#[test]
fn schema_1_is_a_clear_error() {
    let v1 = b"package:\n  name: foo\nsecfixes:\n  1.0-r0:\n    - CVE-2020-0001\nadvisories:\n  CVE-2020-0001:\n    - timestamp: 2022-01-01T00:00:00Z\n      status: fixed\n";
    let err = parse_document(v1, "foo.advisories.yaml").unwrap_err();
    assert!(matches!(err, AdvisoryError::SchemaV1 { .. }), "{err:?}");
    assert!(
        err.to_string().contains("schema 1 is not supported"),
        "{err}"
    );

    let v1_explicit = b"schema-version: \"1\"\npackage:\n  name: foo\nadvisories: []\n";
    assert!(matches!(
        parse_document(v1_explicit, "foo.advisories.yaml"),
        Err(AdvisoryError::SchemaV1 { .. })
    ));
    let no_version = b"package:\n  name: foo\nadvisories: []\n";
    assert!(matches!(
        parse_document(no_version, "foo.advisories.yaml"),
        Err(AdvisoryError::SchemaV1 { .. })
    ));
    let v3 = b"schema-version: 3.0.0\npackage:\n  name: foo\nadvisories: []\n";
    assert!(matches!(
        parse_document(v3, "foo.advisories.yaml"),
        Err(AdvisoryError::SchemaVersion { .. })
    ));
}

#[test]
fn strict_structure_and_bad_input_are_errors_not_panics() {
    let unknown_top = b"schema-version: 2.0.2\npackage:\n  name: foo\nadvisories: []\nextra: 1\n";
    assert!(matches!(
        parse_document(unknown_top, "foo.advisories.yaml"),
        Err(AdvisoryError::Yaml { .. })
    ));
    let bad_ts = b"schema-version: 2.0.2\npackage:\n  name: foo\nadvisories:\n  - id: CGA-2222-2222-2222\n    events:\n      - timestamp: not-a-time\n        type: detection\n        data:\n          type: manual\n";
    let err = parse_document(bad_ts, "foo.advisories.yaml").unwrap_err();
    assert!(
        matches!(err, AdvisoryError::Timestamp { event: 0, .. }),
        "{err:?}"
    );
    let strict_data = b"schema-version: 2.0.2\npackage:\n  name: foo\nadvisories:\n  - id: CGA-2222-2222-2222\n    events:\n      - timestamp: 2024-01-01T00:00:00Z\n        type: fixed\n        data:\n          fixed-version: 1-r0\n          surprise: yes\n";
    assert!(matches!(
        parse_document(strict_data, "foo.advisories.yaml"),
        Err(AdvisoryError::EventData { .. })
    ));
    for junk in [
        &b""[..],
        b"[",
        b"- a\n- b\n",
        b"\xff\xfe",
        b"schema-version: [1,2]\n",
        b"a: &x [*x]\n",
    ] {
        assert!(parse_document(junk, "junk.advisories.yaml").is_err());
    }
}

const ORDERING: &str = r#"schema-version: "2"
package:
  name: spark
advisories:
  - id: CGA-2935-c55x-7fwm
    aliases: [CVE-2024-0001]
    events:
      - timestamp: 2024-02-05T00:00:00Z
        type: detection
        data:
          type: manual
      - timestamp: 2024-01-01T00:00:00Z
        type: detection
        data:
          type: manual
      - timestamp: 2024-02-02T00:00:00Z
        type: pending-upstream-fix
        data:
          note: waiting
  - id: CGA-2222-3333-4444
    aliases: [CVE-2024-0002]
    events:
      - timestamp: 2024-01-01T00:00:00Z
        type: detection
        data:
          type: manual
      - timestamp: 2024-01-03T00:00:00Z
        type: fixed
        data:
          fixed-version: 1.2.3-r1
"#;

#[test]
fn current_event_is_by_timestamp_not_file_order() {
    let doc = parse_document(ORDERING.as_bytes(), "spark.advisories.yaml").unwrap();
    let spark = &doc.advisories[0];
    assert_eq!(spark.current_event().unwrap().type_name(), "detection");
    assert!(!spark.resolved());
    assert!(!spark.resolved_at_version("9-r0", "apk"));
    assert_eq!(
        spark.first_detection().unwrap().timestamp.to_rfc3339(),
        "2024-01-01T00:00:00+00:00"
    );

    let fixed = &doc.advisories[1];
    assert!(fixed.resolved());
    assert!(fixed.resolved_at_version("1.2.3-r1", "apk"));
    assert!(fixed.resolved_at_version("1.2.10-r0", "apk"));
    assert!(!fixed.resolved_at_version("1.2.3-r0", "apk"));
    assert!(!fixed.resolved_at_version("1.2.3-r1", "go-module"));
    assert!(!fixed.resolved_at_version("garbage", "apk"));
    assert!(fixed.concluded_at_version("1.2.4-r0", "apk"));
    assert!(doc.get_by_vulnerability("CVE-2024-0002").is_some());
    assert!(doc
        .get_by_any_vulnerability(&["GHSA-x", "CGA-2935-c55x-7fwm"])
        .is_some());
}

#[test]
fn json_serialisation_keeps_the_schema_shape() {
    let Some(full) = common::schema_fixture("full.advisories.yaml") else {
        return;
    };
    let doc = parse_document(full.as_bytes(), "full.advisories.yaml").unwrap();
    let json = serde_json::to_value(&doc).unwrap();
    assert_eq!(json["schema-version"], "2.0.2");
    let ev = &json["advisories"][0]["events"];
    assert_eq!(ev[2]["data"]["type"], "scan/v1");
    assert_eq!(ev[2]["data"]["data"]["componentType"], "go-module");
    assert_eq!(ev[11]["data"]["fixed-version"], "1.2.3-r4");
    assert_eq!(ev[0]["timestamp"], "2000-01-01T00:00:00Z");
}

#[test]
fn hostile_documents_are_errors_not_crashes() {
    let mut nested = String::from("schema-version: 2.0.2\npackage:\n");
    for i in 1..3_000 {
        nested.push_str(&" ".repeat(i));
        nested.push_str("k:\n");
    }
    assert!(parse_document(nested.as_bytes(), "x.advisories.yaml").is_err());
    let bomb = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\ng: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]\n";
    assert!(parse_document(bomb.as_bytes(), "x.advisories.yaml").is_err());
    let wide: String = (0..20_000).map(|i| format!("k{i}: v\n")).collect();
    assert!(parse_document(wide.as_bytes(), "x.advisories.yaml").is_err());
}
