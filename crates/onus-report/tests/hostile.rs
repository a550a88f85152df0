//! Arbitrary text in names, versions, paths and reasons never panics a renderer, never becomes
//! HTML markup or a terminal escape, and keeps identifiers unique and well-formed.
#![allow(clippy::unwrap_used)]

mod common;

use onus_attribution::{Attribution, Party, Tier};
use onus_report::{
    render_report, render_sbom, AttributedFinding, Report, ReportFormat, SbomFormat,
};
use onus_vuln::{AdvisoryStatus, Finding, Severity};
use proptest::prelude::*;
use serde_json::Value;

const ESC: char = '\x1b';
const RLO: char = '\u{202e}';

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9.@/_-]{0,12}",
        "\\PC{0,16}",
        Just("<script>alert(1)</script>".to_string()),
        Just("\u{1b}[2J\u{202e}".to_string()),
        Just("\"'&<>".to_string()),
    ]
}

fn statuses() -> impl Strategy<Value = AdvisoryStatus> {
    prop_oneof![
        Just(AdvisoryStatus::Affected),
        Just(AdvisoryStatus::Fixed),
        Just(AdvisoryStatus::NotAffected),
        Just(AdvisoryStatus::PendingUpstreamFix),
        Just(AdvisoryStatus::FixNotPlanned),
        Just(AdvisoryStatus::UnderInvestigation),
        Just(AdvisoryStatus::AnalysisNotPlanned),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn renderers_survive_arbitrary_text(
        names in proptest::collection::vec((text(), text(), text(), text()), 1..6),
        status in statuses(),
        created in text(),
    ) {
        let mut sbom = common::sbom();
        sbom.image.created = Some(created);
        let base = sbom.components[0].clone();
        let mut findings = Vec::new();
        for (i, (name, version, purl, path)) in names.iter().enumerate() {
            let mut c = base.clone();
            c.name = name.clone();
            c.version = version.clone();
            c.purl = purl.clone();
            c.locations = vec![path.clone()];
            sbom.components.push(c);
            findings.push(with_move(
                Finding {
                    id: format!("{name}-{i}"),
                    aliases: vec![version.clone(), name.clone()],
                    purl: purl.clone(),
                    package: name.clone(),
                    version: version.clone(),
                    severity: Severity::High,
                    severity_source: None,
                    status,
                    fixed_version: Some(path.clone()),
                    justification: Some(name.clone()),
                    advisory: None,
                    sources: vec![],
                    known_exploited: i % 2 == 0,
                    suppressed: None,
                },
                Attribution { tier: Tier::Custom, party: Party::Customer, rule: "R-PAT-7".into(), reason: path.clone() },
            ));
        }
        let attributions = sbom
            .components
            .iter()
            .map(|_| Attribution { tier: Tier::System, party: Party::Vendor, rule: "R-PAT-4".into(), reason: "r".into() })
            .collect();
        let report = Report::new(sbom.clone(), None, None, attributions, findings);

        for format in ReportFormat::ALL {
            let mut out = Vec::new();
            render_report(&report, format, &mut out).unwrap();
            let text = String::from_utf8(out).unwrap();
            match format {
                ReportFormat::Html => {
                    prop_assert!(!text.contains("<script"));
                    prop_assert!(!text.contains(ESC));
                }
                ReportFormat::Table => prop_assert!(!text.contains(ESC) && !text.contains(RLO)),
                _ => { serde_json::from_str::<Value>(&text).unwrap(); }
            }
        }
        for format in SbomFormat::ALL {
            let mut out = Vec::new();
            render_sbom(&sbom, format, &mut out).unwrap();
            let text = String::from_utf8(out).unwrap();
            match format {
                SbomFormat::CycloneDxJson => {
                    let doc: Value = serde_json::from_str(&text).unwrap();
                    let mut refs: Vec<&str> =
                        doc["components"].as_array().unwrap().iter().map(|c| c["bom-ref"].as_str().unwrap()).collect();
                    let n = refs.len();
                    refs.sort();
                    refs.dedup();
                    prop_assert_eq!(refs.len(), n);
                }
                SbomFormat::SpdxJson => {
                    let doc: Value = serde_json::from_str(&text).unwrap();
                    let mut ids: Vec<&str> =
                        doc["packages"].as_array().unwrap().iter().map(|p| p["SPDXID"].as_str().unwrap()).collect();
                    for id in &ids {
                        let rest = id.strip_prefix("SPDXRef-").unwrap();
                        prop_assert!(!rest.is_empty() && rest.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-'), "{}", id);
                    }
                    let n = ids.len();
                    ids.sort();
                    ids.dedup();
                    prop_assert_eq!(ids.len(), n);
                }
                SbomFormat::Table => prop_assert!(!text.contains(ESC)),
                SbomFormat::Json => {}
            }
        }
    }
}

fn with_move(finding: Finding, attribution: Attribution) -> AttributedFinding {
    let next = onus_attribution::moves::decide(&onus_attribution::MoveInput {
        finding: &finding,
        tier: attribution.tier,
        kind: onus_attribution::ImageKind::Base,
        stream: None,
        newer_build: None,
    });
    AttributedFinding {
        finding,
        attribution,
        next,
        stream: None,
        sla: None,
    }
}
