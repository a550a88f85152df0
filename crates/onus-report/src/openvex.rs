//! OpenVEX 0.2.0: one statement per finding (identical statements merged), status from the
//! advisory status per model.md §4.4, and the responsible party in every `action_statement`.
//!
//! Determinism: the document `timestamp` is the image's creation time (normalised to UTC), or
//! `1970-01-01T00:00:00Z` when the image has none; the document `@id` is a `urn:uuid:` derived
//! from the statements and that timestamp. No clock is read.
//!
//! A report without findings renders `"statements": []`: honest, although the schema asks for
//! at least one statement.

use std::collections::BTreeSet;
use std::io::{self, Write};

use onus_vuln::AdvisoryStatus;
use serde_json::{json, Map, Value};

use crate::report::{Report, ReportFinding};
use crate::util;

const CONTEXT: &str = "https://openvex.dev/ns/v0.2.0";

/// Render a report as an OpenVEX document.
pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    crate::write_json(&document(report), out)
}

/// The OpenVEX justification for a vendor false-positive type (model.md §4.1), or for an
/// OpenVEX justification given as-is.
pub fn justification(text: &str) -> Option<&'static str> {
    let key = text.trim().to_ascii_lowercase().replace('_', "-");
    Some(match key.as_str() {
        "vulnerability-record-analysis-contested"
        | "vulnerable-code-version-not-used"
        | "vulnerable-code-not-included-in-package"
        | "vulnerable-code-not-present" => "vulnerable_code_not_present",
        "component-vulnerability-mismatch" | "component-not-present" => "component_not_present",
        "vulnerable-code-not-in-execution-path" | "vulnerable-code-not-in-execute-path" => {
            "vulnerable_code_not_in_execute_path"
        }
        "vulnerable-code-cannot-be-controlled-by-adversary" => {
            "vulnerable_code_cannot_be_controlled_by_adversary"
        }
        "inline-mitigations-exist" | "inline-mitigations-already-exist" => {
            "inline_mitigations_already_exist"
        }
        _ => return None,
    })
}

/// The OpenVEX status for an advisory status.
pub fn status(status: AdvisoryStatus) -> &'static str {
    match status {
        AdvisoryStatus::Fixed => "fixed",
        AdvisoryStatus::NotAffected => "not_affected",
        AdvisoryStatus::UnderInvestigation => "under_investigation",
        AdvisoryStatus::Affected
        | AdvisoryStatus::PendingUpstreamFix
        | AdvisoryStatus::FixNotPlanned
        | AdvisoryStatus::AnalysisNotPlanned => "affected",
    }
}

/// True when `text` can stand as an IRI without escaping (a purl built by onus can).
fn iri_safe(text: &str) -> bool {
    text.split_once(':').is_some_and(|(scheme, _)| {
        !scheme.is_empty()
            && scheme
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
    }) && !text
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || "<>\"{}|\\^`".contains(c))
}

fn product(f: &ReportFinding) -> Value {
    let g = &f.finding;
    let purl = if g.purl.is_empty() {
        format!(
            "pkg:generic/{}@{}",
            util::percent_encode_path(&g.package),
            util::percent_encode_path(&g.version)
        )
    } else {
        g.purl.clone()
    };
    if iri_safe(&purl) {
        json!({ "@id": purl, "identifiers": { "purl": purl } })
    } else {
        json!({ "identifiers": { "purl": purl } })
    }
}

/// What must happen next, naming the party and the rule: `party: vendor (R-PAT-4): …`.
fn action_statement(f: &ReportFinding) -> String {
    let g = &f.finding;
    let note = g
        .justification
        .as_deref()
        .or(g.advisory.as_ref().and_then(|a| a.note.as_deref()));
    let with_note = |what: &str| match note {
        Some(note) if !note.trim().is_empty() => format!("{what}: {}", note.trim()),
        _ => what.to_string(),
    };
    // The move names who acts and what to do; an R-MOVE-2 action names the fixed version.
    let what = match g.status {
        AdvisoryStatus::PendingUpstreamFix => with_note("pending upstream fix"),
        AdvisoryStatus::FixNotPlanned => with_note("no fix planned"),
        AdvisoryStatus::AnalysisNotPlanned => with_note("analysis not planned"),
        _ => f.next.action.clone(),
    };
    let party = f.next.party.map_or("nobody", util::party_label);
    format!("move: {party} ({}): {what}", f.next.rule)
}

fn statement(f: &ReportFinding) -> Value {
    let g = &f.finding;
    let mut vulnerability = Map::new();
    vulnerability.insert("name".into(), g.id.clone().into());
    let aliases: BTreeSet<&str> = g
        .aliases
        .iter()
        .map(String::as_str)
        .filter(|a| *a != g.id)
        .collect();
    if !aliases.is_empty() {
        vulnerability.insert(
            "aliases".into(),
            aliases.into_iter().collect::<Vec<_>>().into(),
        );
    }
    let mut s = Map::new();
    s.insert("vulnerability".into(), Value::Object(vulnerability));
    s.insert("products".into(), json!([product(f)]));
    let vex_status = status(g.status);
    s.insert("status".into(), vex_status.into());
    let mut notes = vec![format!(
        "tier {}, owner {} ({}): {}; move {} ({})",
        util::tier_label(f.tier),
        util::party_label(f.owner),
        f.owner_rule,
        f.reason,
        f.next.party.map_or("nobody", util::party_label),
        f.next.rule
    )];
    if let Some(advisory) = &g.advisory {
        notes.push(format!(
            "advisory {} ({})",
            advisory.id, advisory.current_event
        ));
    }
    if let Some(why) = &g.suppressed {
        notes.push(format!("suppressed: {why}"));
    }
    s.insert("status_notes".into(), notes.join("; ").into());
    match vex_status {
        "not_affected" => {
            let text = g.justification.as_deref().unwrap_or_default();
            match justification(text) {
                Some(j) => {
                    s.insert("justification".into(), j.into());
                }
                None => {
                    let impact = if text.trim().is_empty() {
                        g.suppressed
                            .clone()
                            .unwrap_or_else(|| "not affected per the vendor advisory".to_string())
                    } else {
                        text.trim().to_string()
                    };
                    s.insert("impact_statement".into(), impact.into());
                }
            }
        }
        "affected" => {
            s.insert("action_statement".into(), action_statement(f).into());
        }
        _ => {}
    }
    Value::Object(s)
}

/// The whole document as a JSON value.
pub(crate) fn document(report: &Report) -> Value {
    let mut seen = BTreeSet::new();
    let statements: Vec<Value> = report
        .findings
        .iter()
        .map(statement)
        .filter(|s| seen.insert(s.to_string()))
        .collect();
    let timestamp = util::time_or_epoch(report.image.info.created.as_deref());
    let content = json!([timestamp, statements]).to_string();
    json!({
        "@context": CONTEXT,
        "@id": format!("urn:uuid:{}", util::content_uuid(content.as_bytes())),
        "author": util::TOOL_NAME,
        "timestamp": timestamp,
        "version": 1,
        "tooling": format!("{} {}", util::TOOL_NAME, util::TOOL_VERSION),
        "statements": statements,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn false_positive_types_map_to_vex_justifications() {
        assert_eq!(
            justification("vulnerable-code-not-included-in-package"),
            Some("vulnerable_code_not_present")
        );
        assert_eq!(
            justification("component-vulnerability-mismatch"),
            Some("component_not_present")
        );
        assert_eq!(
            justification("vulnerable-code-not-in-execution-path"),
            Some("vulnerable_code_not_in_execute_path")
        );
        assert_eq!(
            justification("vulnerable-code-cannot-be-controlled-by-adversary"),
            Some("vulnerable_code_cannot_be_controlled_by_adversary")
        );
        assert_eq!(
            justification("inline-mitigations-exist"),
            Some("inline_mitigations_already_exist")
        );
        assert_eq!(
            justification("vulnerable_code_not_present"),
            Some("vulnerable_code_not_present")
        );
        assert_eq!(justification("because we said so"), None);
    }

    #[test]
    fn iri_check() {
        assert!(iri_safe("pkg:apk/wolfi/busybox@1.36.1-r0?arch=x86_64"));
        assert!(!iri_safe("pkg:npm/a b@1"));
        assert!(!iri_safe("no-scheme"));
    }
}
