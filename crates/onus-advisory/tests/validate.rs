//! Validation tests: one hand-written document per rule, the schema fixtures, the code list.
#![allow(clippy::unwrap_used)]

use chrono::{DateTime, Utc};
use onus_advisory::{
    parse_document, validate_document, Code, Severity, ValidateOptions, Validator,
};

mod common;

fn now() -> DateTime<Utc> {
    "2025-06-01T00:00:00Z".parse().unwrap()
}

fn codes_of(
    file: &str,
    yaml: &str,
    options: &ValidateOptions<'_>,
) -> Vec<(&'static str, Option<usize>)> {
    let doc = parse_document(yaml.as_bytes(), file).unwrap();
    validate_document(file, &doc, options)
        .into_iter()
        .map(|d| (d.code.code(), d.event))
        .collect()
}

fn doc_with_events(events: &str) -> String {
    format!(
        "schema-version: 2.0.2\npackage:\n  name: foo\nadvisories:\n  - id: CGA-2222-3333-4444\n    aliases: [CVE-2024-0001]\n    events:\n{events}"
    )
}

fn check_events(events: &str) -> Vec<(&'static str, Option<usize>)> {
    codes_of(
        "foo.advisories.yaml",
        &doc_with_events(events),
        &ValidateOptions::new(now()),
    )
}

#[test]
fn a_clean_document_has_no_diagnostics() {
    let got = check_events(
        "      - timestamp: 2024-01-01T00:00:00Z\n        type: detection\n        data:\n          type: manual\n      - timestamp: 2024-01-02T00:00:00Z\n        type: fixed\n        data:\n          fixed-version: 1.2.3-r1\n",
    );
    assert_eq!(got, vec![]);
}

#[test]
fn event_data_rules() {
    assert_eq!(
        check_events("      - timestamp: 2024-01-02T00:00:00Z\n        type: fixed\n"),
        vec![("missing-fixed-version", Some(0))]
    );
    assert_eq!(
        check_events("      - timestamp: 2024-01-02T00:00:00Z\n        type: fixed\n        data:\n          fixed-version: 1.2.3\n"),
        vec![("fixed-version-without-release", Some(0))]
    );
    assert_eq!(
        check_events("      - timestamp: 2024-01-02T00:00:00Z\n        type: fixed\n        data:\n          fixed-version: 1.2.3-r9-r9\n"),
        vec![("invalid-fixed-version", Some(0))]
    );
    assert_eq!(
        check_events("      - timestamp: 2024-01-02T00:00:00Z\n        type: false-positive-determination\n        data:\n          type: it-is-fine\n"),
        vec![("unknown-false-positive-type", Some(0))]
    );
    assert_eq!(
        check_events(
            "      - timestamp: 2024-01-02T00:00:00Z\n        type: false-positive-determination\n"
        ),
        vec![("unknown-false-positive-type", Some(0))]
    );
    for t in [
        "fix-not-planned",
        "pending-upstream-fix",
        "analysis-not-planned",
    ] {
        assert_eq!(
            check_events(&format!(
                "      - timestamp: 2024-01-02T00:00:00Z\n        type: {t}\n"
            )),
            vec![("missing-note", Some(0))],
            "{t}"
        );
        assert_eq!(
            check_events(&format!(
                "      - timestamp: 2024-01-02T00:00:00Z\n        type: {t}\n        data:\n          note: \"  \"\n"
            )),
            vec![("missing-note", Some(0))],
            "{t}"
        );
    }
    assert_eq!(
        check_events(
            "      - timestamp: 2024-01-02T00:00:00Z\n        type: true-positive-determination\n"
        ),
        vec![]
    );
    assert_eq!(
        check_events("      - timestamp: 2024-01-02T00:00:00Z\n        type: detection\n        data:\n          type: scan/v1\n          data:\n            subpackageName: foo\n            componentID: ''\n            componentName: x\n            componentVersion: '1'\n            componentType: apk\n            componentLocation: /x\n            scanner: trivy\n"),
        vec![("empty-scan-field", Some(0)), ("unknown-scanner", Some(0))]
    );
    assert_eq!(
        check_events("      - timestamp: 2024-01-02T00:00:00Z\n        type: detection\n        data:\n          type: nvdapi\n          data:\n            cpeSearched: nope\n            cpeFound: cpe:2.3:a:x:y:*:*:*:*:*:*:*:*\n"),
        vec![("invalid-cpe", Some(0))]
    );
    assert_eq!(
        check_events("      - timestamp: 2024-01-02T00:00:00Z\n        type: detection\n"),
        vec![("unknown-detection-type", Some(0))]
    );
    assert_eq!(
        check_events("      - timestamp: 2024-01-02T00:00:00Z\n        type: exploded\n"),
        vec![("unknown-event-type", Some(0))]
    );
}

#[test]
fn timestamp_rules() {
    // now + 2h is allowed, one second more is not.
    assert_eq!(
        check_events(
            "      - timestamp: 2025-06-01T02:00:00Z\n        type: true-positive-determination\n"
        ),
        vec![]
    );
    assert_eq!(
        check_events(
            "      - timestamp: 2025-06-01T02:00:01Z\n        type: true-positive-determination\n"
        ),
        vec![("future-timestamp", Some(0))]
    );
    assert_eq!(
        check_events(
            "      - timestamp: 0001-01-01T00:00:00Z\n        type: true-positive-determination\n"
        ),
        vec![("zero-timestamp", Some(0))]
    );
    let tie = "      - timestamp: 2024-01-01T00:00:00Z\n        type: detection\n        data:\n          type: manual\n      - timestamp: 2024-01-01T00:00:00Z\n        type: true-positive-determination\n";
    assert_eq!(check_events(tie), vec![("timestamp-tie", Some(1))]);
    let out_of_order = "      - timestamp: 2024-02-05T00:00:00Z\n        type: detection\n        data:\n          type: manual\n      - timestamp: 2024-02-02T00:00:00Z\n        type: pending-upstream-fix\n        data:\n          note: waiting\n";
    assert_eq!(
        check_events(out_of_order),
        vec![("events-out-of-order", Some(1))]
    );
    let redetected = "      - timestamp: 2024-01-01T00:00:00Z\n        type: fixed\n        data:\n          fixed-version: 1-r1\n      - timestamp: 2024-03-01T00:00:00Z\n        type: detection\n        data:\n          type: manual\n";
    assert_eq!(
        check_events(redetected),
        vec![("redetected-after-fix", Some(1))]
    );
}

#[test]
fn id_and_alias_rules() {
    let yaml = r#"schema-version: 2.0.2
package:
  name: foo
advisories:
  - id: CGA-bad
    aliases: [CVE-2024-0001, CVE-2024-0001, DSA-1-1, CGA-bad]
    events:
      - timestamp: 2024-01-01T00:00:00Z
        type: true-positive-determination
  - id: CGA-2222-3333-4444
    aliases: [CVE-2024-0001]
    events:
      - timestamp: 2024-01-01T00:00:00Z
        type: true-positive-determination
  - id: CGA-2222-3333-4444
    aliases: []
    events: []
"#;
    let got = codes_of("foo.advisories.yaml", yaml, &ValidateOptions::new(now()));
    let mut codes: Vec<&str> = got.iter().map(|(c, _)| *c).collect();
    codes.sort();
    assert_eq!(
        codes,
        [
            "alias-equals-id",
            "duplicate-alias",
            "duplicate-id-or-alias",
            "duplicate-id-or-alias",
            "invalid-advisory-id",
            "invalid-alias",
            "no-events"
        ]
    );
}

#[test]
fn document_rules_and_cross_document_ids() {
    let yaml = "schema-version: 2.0.2\npackage:\n  name: foo\nadvisories: []\n";
    let got = codes_of("bar.advisories.yaml", yaml, &ValidateOptions::new(now()));
    assert_eq!(
        got,
        vec![("file-name-mismatch", None), ("no-advisories", None)]
    );
    let got = codes_of(
        "x/.advisories.yaml",
        "schema-version: 2.0.2\npackage:\n  name: ''\nadvisories: []\n",
        &ValidateOptions::new(now()),
    );
    assert_eq!(
        got,
        vec![("empty-package-name", None), ("no-advisories", None)]
    );

    let one = doc_with_events(
        "      - timestamp: 2024-01-01T00:00:00Z\n        type: true-positive-determination\n",
    );
    let doc = parse_document(one.as_bytes(), "foo.advisories.yaml").unwrap();
    let mut v = Validator::new(ValidateOptions::new(now()));
    v.add_document("foo.advisories.yaml", &doc);
    v.add_document("dir/foo.advisories.yaml", &doc);
    let err =
        parse_document(b"package: {name: x}\nsecfixes: {}\n", "x.advisories.yaml").unwrap_err();
    v.add_error(&err);
    let report = v.finish();
    assert_eq!(report.files, 3);
    let codes: Vec<&str> = report.diagnostics.iter().map(|d| d.code.code()).collect();
    assert_eq!(
        codes,
        ["duplicate-advisory-id", "unsupported-schema-version"]
    );
    assert_eq!(report.errors, 2);
    assert!(!report.is_ok());
}

#[test]
fn fix_not_planned_on_a_supported_package() {
    let yaml = doc_with_events(
        "      - timestamp: 2024-01-01T00:00:00Z\n        type: fix-not-planned\n        data:\n          note: EOL\n",
    );
    let supported = |p: &str| if p == "foo" { Some(true) } else { None };
    let eol = |_: &str| Some(false);
    let opts = ValidateOptions {
        now: now(),
        is_supported: Some(&supported),
    };
    assert_eq!(
        codes_of("foo.advisories.yaml", &yaml, &opts),
        vec![("fix-not-planned-on-supported", Some(0))]
    );
    let opts = ValidateOptions {
        now: now(),
        is_supported: Some(&eol),
    };
    assert_eq!(codes_of("foo.advisories.yaml", &yaml, &opts), vec![]);
    assert_eq!(
        codes_of("foo.advisories.yaml", &yaml, &ValidateOptions::new(now())),
        vec![]
    );
}

#[test]
fn schema_fixtures() {
    let opts = ValidateOptions::new(now());
    let Some(full) = common::schema_fixture("full.advisories.yaml") else {
        return;
    };
    let got = codes_of("full.advisories.yaml", &full, &opts);
    // Every event has the same timestamp.
    assert_eq!(got, vec![("timestamp-tie", Some(1))]);
    let Some(future) = common::schema_fixture("future.advisories.yaml") else {
        return;
    };
    let got = codes_of("future.advisories.yaml", &future, &opts);
    assert_eq!(
        got,
        vec![
            ("newer-schema-version", None),
            ("invalid-alias", None),
            ("unknown-event-type", Some(0)),
            ("unknown-detection-type", Some(1)),
            ("timestamp-tie", Some(1)),
            ("unknown-false-positive-type", Some(2)),
        ]
    );
}

/// The code list is part of the interface: changing it must be deliberate (and documented).
#[test]
fn code_list_snapshot_and_docs() {
    let listed: Vec<String> = Code::ALL
        .iter()
        .map(|c| {
            let sev = match c.severity() {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            format!("{} {sev}", c.code())
        })
        .collect();
    let expected = [
        "parse-error error",
        "unsupported-schema-version error",
        "newer-schema-version warning",
        "empty-package-name error",
        "file-name-mismatch error",
        "no-advisories error",
        "invalid-advisory-id error",
        "duplicate-advisory-id error",
        "duplicate-id-or-alias error",
        "invalid-alias error",
        "alias-equals-id error",
        "duplicate-alias error",
        "no-events error",
        "zero-timestamp error",
        "future-timestamp error",
        "unknown-event-type error",
        "unknown-detection-type error",
        "invalid-cpe error",
        "empty-scan-field error",
        "unknown-scanner error",
        "missing-fixed-version error",
        "invalid-fixed-version error",
        "fixed-version-without-release error",
        "unknown-false-positive-type error",
        "missing-note error",
        "events-out-of-order warning",
        "timestamp-tie warning",
        "redetected-after-fix warning",
        "fix-not-planned-on-supported warning",
    ];
    assert_eq!(listed, expected);
    let docs = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/diagnostics/advisory.md"
    ))
    .unwrap();
    for c in Code::ALL {
        assert!(
            docs.contains(&format!("### `{}`", c.code())),
            "docs/diagnostics/advisory.md lacks `{}`",
            c.code()
        );
    }
}
