//! Snapshots of what users read (tables, JSON), determinism, and HTML safety.
#![allow(clippy::unwrap_used)]

mod common;

use onus_report::{render_report, render_sbom, Report, ReportFormat, SbomFormat};

fn sbom_text(format: SbomFormat) -> String {
    let mut out = Vec::new();
    render_sbom(&common::sbom(), format, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

fn report_text(report: &Report, format: ReportFormat) -> String {
    let mut out = Vec::new();
    render_report(report, format, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

/// Digests and times vary with the input image; the tool version with the release.
fn settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(r"sha256:[0-9a-f]{64}", "sha256:[digest]");
    settings.add_filter(
        r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})",
        "[time]",
    );
    settings.add_filter(env!("CARGO_PKG_VERSION"), "[version]");
    settings
}

#[test]
fn sbom_table() {
    settings().bind(|| insta::assert_snapshot!(sbom_text(SbomFormat::Table)));
}

#[test]
fn sbom_json() {
    settings().bind(|| insta::assert_snapshot!(sbom_text(SbomFormat::Json)));
}

#[test]
fn report_table() {
    settings()
        .bind(|| insta::assert_snapshot!(report_text(&common::report(), ReportFormat::Table)));
}

#[test]
fn report_json() {
    settings().bind(|| insta::assert_snapshot!(report_text(&common::report(), ReportFormat::Json)));
}

#[test]
fn report_table_without_findings() {
    let report = Report::new(common::sbom(), None, None, vec![], vec![]);
    settings().bind(|| insta::assert_snapshot!(report_text(&report, ReportFormat::Table)));
}

#[test]
fn sbom_json_is_the_sbom_as_is() {
    let text = sbom_text(SbomFormat::Json);
    assert!(text.ends_with("}\n"));
    let back: onus_inventory::Sbom = serde_json::from_str(&text).unwrap();
    assert_eq!(back, common::sbom());
}

#[test]
fn report_json_round_trips() {
    let report = common::report();
    let back: Report = serde_json::from_str(&report_text(&report, ReportFormat::Json)).unwrap();
    assert_eq!(back, report);
}

#[test]
fn every_format_is_deterministic_and_order_independent() {
    let a = common::report();
    // The same input given in another order renders the same bytes.
    let mut sbom = common::sbom();
    sbom.components.reverse();
    let attributions = sbom
        .components
        .iter()
        .map(|c| {
            a.components
                .iter()
                .find(|r| &r.component == c)
                .unwrap()
                .attribution
                .clone()
                .unwrap()
        })
        .collect();
    let findings = a
        .findings
        .iter()
        .rev()
        .map(|f| onus_report::AttributedFinding {
            finding: f.finding.clone(),
            attribution: onus_attribution::Attribution {
                tier: f.tier,
                party: f.owner,
                rule: f.owner_rule.clone(),
                reason: f.reason.clone(),
            },
            next: f.next.clone(),
            stream: f.stream.clone(),
            sla: f.sla.clone(),
        })
        .collect();
    let shuffled = Report::new(
        sbom,
        a.image.kind.clone(),
        a.image.base.clone(),
        attributions,
        findings,
    )
    .with_chp(a.chp.clone())
    .with_eol(a.eol.clone());
    assert!(shuffled == a, "the report depends on input order");
    for format in ReportFormat::ALL {
        let first = report_text(&a, format);
        assert!(
            first == report_text(&common::report(), format),
            "{format} differs between runs"
        );
        assert!(
            first == report_text(&shuffled, format),
            "{format} depends on input order"
        );
    }
    for format in SbomFormat::ALL {
        if format != SbomFormat::Json {
            let mut reversed = common::sbom();
            reversed.components.reverse();
            let mut out = Vec::new();
            render_sbom(&reversed, format, &mut out).unwrap();
            assert!(
                sbom_text(format) == String::from_utf8(out).unwrap(),
                "{format} depends on input order"
            );
        }
    }
}

#[test]
fn serial_numbers_follow_the_content() {
    let a = sbom_text(SbomFormat::CycloneDxJson);
    let mut sbom = common::sbom();
    sbom.components.pop();
    let mut out = Vec::new();
    render_sbom(&sbom, SbomFormat::CycloneDxJson, &mut out).unwrap();
    let b = String::from_utf8(out).unwrap();
    let serial = |text: &str| {
        serde_json::from_str::<serde_json::Value>(text).unwrap()["serialNumber"].clone()
    };
    assert_ne!(serial(&a), serial(&b));
    assert!(serial(&a).as_str().unwrap().starts_with("urn:uuid:"));
}

#[test]
fn spdx_without_created_time_uses_the_epoch() {
    let mut sbom = common::sbom();
    sbom.image.created = None;
    let mut out = Vec::new();
    render_sbom(&sbom, SbomFormat::SpdxJson, &mut out).unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(doc["creationInfo"]["created"], onus_report::EPOCH);
    let mut out = Vec::new();
    render_sbom(&sbom, SbomFormat::CycloneDxJson, &mut out).unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert!(
        doc["metadata"].get("timestamp").is_none(),
        "no invented timestamp"
    );
}

#[test]
fn tables_escape_terminal_control_characters() {
    let sbom = sbom_text(SbomFormat::Table);
    let report = report_text(&common::report(), ReportFormat::Table);
    for text in [&sbom, &report] {
        assert!(!text.contains('\u{1b}'));
        assert!(text.contains("term\\u{1b}[31mred"));
    }
}

#[test]
fn report_table_fits_100_columns_for_ordinary_rows() {
    let mut report = common::report();
    report.findings.retain(|f| f.finding.package != common::XSS);
    let text = report_text(&report, ReportFormat::Table);
    let long: Vec<&str> = text
        .lines()
        .filter(|l| l.chars().count() > 100 && !l.starts_with("      "))
        .collect();
    assert!(
        long.is_empty(),
        "lines over 100 columns:\n{}",
        long.join("\n")
    );
    assert!(text.find("YOUR MOVE").unwrap() < text.find("VENDOR").unwrap());
}

#[test]
fn html_escapes_everything_from_the_input() {
    let html = report_text(&common::report(), ReportFormat::Html);
    assert!(!html.contains("<script"), "a component name became markup");
    assert!(!html.contains("<img"), "an attribute or note became markup");
    assert!(!html.contains("<b>"));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    // Self-contained: no external fetches.
    for needle in ["src=\"http", "href=\"http", "@import", "url(http"] {
        assert!(!html.contains(needle), "{needle}");
    }
    assert!(html.contains("Application image") && html.contains("Base image"));
    assert!(html.contains("Your move"));
    assert!(html.contains("Container Hardening Policy") && html.contains("End of life"));
}
