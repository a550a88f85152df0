//! The time-to-fix report on hand-written advisory documents, and its renderers.

#![allow(clippy::unwrap_used)]

use std::cell::RefCell;

use chrono::{DateTime, Utc};
use onus_advisory::{parse_document, Document};
use onus_sla::{
    render_csv, render_html, render_json, render_markdown, render_table, report, Fleet, FleetImage,
    Severity, CAVEAT,
};

fn t(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

/// `(id, alias, [(timestamp, event type)])`.
type Spec<'a> = (&'a str, &'a str, &'a [(&'a str, &'a str)]);

fn doc(package: &str, advisories: &[Spec<'_>]) -> (String, Document) {
    let mut yaml = format!(
        "schema-version: 2.0.2\npackage:\n  name: '{}'\nadvisories:\n",
        package.replace('\'', "''")
    );
    for (id, alias, events) in advisories {
        yaml.push_str(&format!(
            "  - id: {id}\n    aliases: [{alias}]\n    events:\n"
        ));
        for (ts, kind) in *events {
            let data = match *kind {
                "detection" => "\n        data: {type: manual}",
                "scan" => "\n        data:\n          type: scan/v1\n          data: {subpackageName: s, componentID: c, componentName: n, componentVersion: v, componentType: go-module, componentLocation: /x, scanner: grype}",
                "fixed" => "\n        data: {fixed-version: 1.0-r1}",
                "pending-upstream-fix" | "fix-not-planned" | "true-positive-determination" => "\n        data: {note: n}",
                "false-positive-determination" => "\n        data: {type: component-vulnerability-mismatch}",
                _ => "",
            };
            let kind = if *kind == "scan" { "detection" } else { kind };
            yaml.push_str(&format!(
                "      - timestamp: {ts}\n        type: {kind}{data}\n"
            ));
        }
    }
    let name = format!("{package}.advisories.yaml");
    (
        name.clone(),
        parse_document(yaml.as_bytes(), &name).unwrap(),
    )
}

fn sample() -> Vec<(String, Document)> {
    vec![
        doc(
            "alpha",
            &[
                // 0.5 days, go-module, critical.
                (
                    "CGA-2222-2222-2222",
                    "CVE-2024-0001",
                    &[
                        ("2024-01-01T00:00:00Z", "scan"),
                        ("2024-01-01T12:00:00Z", "fixed"),
                    ],
                ),
                // Exactly 7 days: within 7, bucket 2-7.
                (
                    "CGA-2222-2222-2223",
                    "CVE-2024-0002",
                    &[
                        ("2024-01-01T00:00:00Z", "detection"),
                        ("2024-01-08T00:00:00Z", "fixed"),
                    ],
                ),
                // 20 days, then re-detected, still open.
                (
                    "CGA-2222-2222-2224",
                    "CVE-2024-0003",
                    &[
                        ("2024-01-01T00:00:00Z", "detection"),
                        ("2024-01-21T00:00:00Z", "fixed"),
                        ("2024-03-01T00:00:00Z", "detection"),
                    ],
                ),
                // No detection.
                (
                    "CGA-2222-2222-2225",
                    "CVE-2024-0004",
                    &[("2024-01-05T00:00:00Z", "fixed")],
                ),
            ],
        ),
        doc(
            "beta",
            &[
                // Pending upstream since 2024-02-01 (two pending events in a row).
                (
                    "CGA-2222-2222-2226",
                    "CVE-2024-0005",
                    &[
                        ("2024-01-01T00:00:00Z", "detection"),
                        ("2024-02-01T00:00:00Z", "pending-upstream-fix"),
                        ("2024-02-10T00:00:00Z", "pending-upstream-fix"),
                    ],
                ),
                // Fix only before the detection: without fix; false positive: closed.
                (
                    "CGA-2222-2222-2227",
                    "CVE-2024-0006",
                    &[
                        ("2024-01-01T00:00:00Z", "fixed"),
                        ("2024-01-02T00:00:00Z", "detection"),
                        ("2024-01-03T00:00:00Z", "false-positive-determination"),
                    ],
                ),
                // 100 days.
                (
                    "CGA-2222-2222-2228",
                    "CVE-2024-0007",
                    &[
                        ("2024-01-01T00:00:00Z", "detection"),
                        ("2024-04-10T00:00:00Z", "fixed"),
                    ],
                ),
            ],
        ),
    ]
}

fn severity(ids: &[String]) -> Option<Severity> {
    match ids.first().map(String::as_str) {
        Some("CVE-2024-0001") => Some(Severity::Critical),
        Some("CVE-2024-0002") => Some(Severity::High),
        Some("CVE-2024-0007") => Some(Severity::Low),
        _ => None,
    }
}

#[test]
fn figures() {
    let seen = RefCell::new(Vec::new());
    let sev = |ids: &[String]| {
        seen.borrow_mut().push(ids.to_vec());
        severity(ids)
    };
    let now = t("2024-05-01T00:00:00Z");
    let r = report(sample(), &sev, None, now);
    assert_eq!(
        seen.borrow()[0],
        vec!["CVE-2024-0001", "CGA-2222-2222-2222"]
    );
    assert_eq!((r.documents, r.advisories), (2, 7));
    assert_eq!((r.without_detection, r.without_fix), (1, 2));
    let o = &r.time_to_fix.overall;
    // Days sorted: 0.5, 7, 20, 100 → median rank 2 = 7, p90 rank 4 = 100.
    assert_eq!(o.count, 4);
    assert_eq!(o.median_days, Some(7.0));
    assert_eq!(o.p90_days, Some(100.0));
    assert_eq!(o.max_days, Some(100.0));
    assert_eq!(o.mean_days, Some(31.88));
    assert_eq!((r.within_sla.count_7, r.within_sla.count_14), (2, 2));
    assert_eq!((r.within_sla.days_7, r.within_sla.days_14), (0.5, 0.5));
    // Critical 0.5 ≤ 7, high 7 ≤ 14, unknown 20 > 14, low 100 > 14.
    assert_eq!(r.within_sla.count_policy, 2);
    assert_eq!(r.time_to_fix.by_severity["critical"].count, 1);
    assert_eq!(r.time_to_fix.by_severity["unknown"].count, 1);
    assert_eq!(r.time_to_fix.by_severity["medium"].count, 0);
    assert_eq!(r.time_to_fix.by_severity["medium"].median_days, None);
    assert_eq!(r.time_to_fix.by_component_type["go-module"].count, 1);
    assert_eq!(r.time_to_fix.by_component_type["unknown"].count, 3);
    assert_eq!(r.time_to_fix.by_package["alpha"].count, 3);
    assert_eq!(r.time_to_fix.top_packages[0].package, "alpha");
    assert_eq!(r.time_to_fix.top_packages[0].advisories, 4);
    let counts: Vec<usize> = r.histogram.iter().map(|b| b.count).collect();
    assert_eq!(counts, vec![1, 0, 1, 0, 1, 0, 1]);

    // Open: the re-detected one (since its re-detection) and the pending one (since detection).
    assert_eq!(r.open.len(), 2);
    assert_eq!(r.open[0].advisory, "CGA-2222-2222-2226");
    assert_eq!(r.open[0].state, "pending-upstream-fix");
    assert_eq!(r.open[0].since, t("2024-01-01T00:00:00Z"));
    assert_eq!(r.open[1].advisory, "CGA-2222-2222-2224");
    assert_eq!(r.open[1].since, t("2024-03-01T00:00:00Z"));
    assert_eq!(r.open[1].age_days, 61.0);
    assert_eq!(r.pending_upstream_fix.count, 1);
    assert_eq!(r.pending_upstream_fix.median_days, Some(90.0));
    assert_eq!(r.redetections.advisories, 2);
    assert_eq!(r.redetections.items[0].advisory, "CGA-2222-2222-2224");
    assert_eq!(r.redetections.items[0].fixed_at, t("2024-01-21T00:00:00Z"));
    assert_eq!(r.caveat, CAVEAT);

    let v = serde_json::to_value(&r).unwrap();
    assert_eq!(v["time_to_fix"]["overall"]["count"], 4);
    assert_eq!(v["time_to_fix"]["overall"]["median_days"], 7.0);
    assert_eq!(v["time_to_fix"]["overall"]["p90_days"], 100.0);
    assert!(v["time_to_fix"]["by_severity"]["critical"].is_object());
    assert!(v["time_to_fix"]["by_component_type"]["go-module"].is_object());
    assert_eq!(v["within_sla"]["days_7"], 0.5);
    assert_eq!(v["within_sla"]["days_14"], 0.5);
    assert_eq!(v["open"][0]["package"], "beta");
    assert_eq!(v["open"][0]["age_days"], 121.0);
    assert_eq!(
        v["caveat"],
        "advisory timestamps are record times, not release times"
    );
}

#[test]
fn fleet_annotations() {
    let img = |name: &str, pkgs: &[&str]| FleetImage {
        file: format!("{name}.json"),
        schema: "onus.sbom/v1".into(),
        location: name.into(),
        packages: pkgs.iter().map(|s| s.to_string()).collect(),
    };
    let fleet = Fleet {
        images: vec![
            img("a", &["alpha"]),
            img("b", &["alpha"]),
            img("c", &[]),
            img("d", &["beta"]),
        ],
        warnings: vec![],
    };
    let none = |_: &[String]| None;
    let r = report(sample(), &none, Some(&fleet), t("2024-05-01T00:00:00Z"));
    let f = r.fleet.as_ref().unwrap();
    assert_eq!((f.images, f.open_in_fleet), (4, 2));
    // alpha is in 2 of 4 images (50 %): a Major CVE Event; beta in 1 of 4 (25 %) is not.
    assert_eq!(f.major_cve_events.len(), 1);
    assert_eq!(f.major_cve_events[0].package, "alpha");
    assert_eq!(f.major_cve_events[0].share_percent, 50.0);
}

fn render_all(r: &onus_sla::SlaReport) -> Vec<String> {
    [
        render_table,
        render_csv,
        render_markdown,
        render_html,
        render_json,
    ]
    .into_iter()
    .map(|render| {
        let mut out = Vec::new();
        render(r, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    })
    .collect()
}

#[test]
fn renderers_escape_and_are_deterministic() {
    let hostile = "<script>alert('x')</script>|=cmd,\"q\"";
    let mut docs = sample();
    docs.push(doc(
        hostile,
        &[(
            "CGA-2222-2222-2229",
            "CVE-2024-0008",
            &[("2024-04-01T00:00:00Z", "detection")],
        )],
    ));
    docs.push(doc(
        "=1+1",
        &[(
            "CGA-2222-2222-222c",
            "CVE-2024-0009",
            &[("2024-04-01T00:00:00Z", "detection")],
        )],
    ));
    let none = |_: &[String]| None;
    let now = t("2024-05-01T00:00:00Z");
    let r = report(docs.clone(), &none, None, now);
    let a = render_all(&r);
    let b = render_all(&report(docs, &none, None, now));
    assert_eq!(a, b, "same input, same bytes");
    let [table, csv, markdown, html, json] = <[String; 5]>::try_from(a).unwrap();

    assert!(table.contains("record times, not release times"));
    assert!(
        table.contains(hostile),
        "the table shows text as is (one line)"
    );

    let header = csv.lines().next().unwrap();
    let cols = header.split(',').count();
    assert!(csv.contains(",\"<script>alert('x')</script>|=cmd,\"\"q\"\"/CGA-2222-2222-2229\","));
    assert!(
        csv.contains("\nopen,'=1+1/CGA-2222-2222-222c,"),
        "formula defused"
    );
    assert!(csv.contains("\noverall,all,4,7,100,"));
    assert!(csv.contains("histogram,0-1,1"));
    // Every plain row has the header's column count (the hostile cell is quoted).
    for line in csv.lines().filter(|l| !l.contains('"')) {
        assert_eq!(line.split(',').count(), cols, "{line}");
    }

    assert!(markdown.contains("\\|=cmd"), "pipes escaped in Markdown");
    assert!(!markdown.contains("<script>"));

    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<svg"));
    assert!(html.contains("<style>"));
    assert!(!html.contains("<script"), "no raw script tag");
    assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
    assert!(
        !html.contains("src=\"http") && !html.contains("href=\"http"),
        "self-contained"
    );

    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["schema"], "onus.sla-report/v1");
    assert_eq!(v["open"].as_array().unwrap().len(), 4);
}
