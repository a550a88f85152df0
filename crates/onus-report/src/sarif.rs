//! SARIF 2.1.0: one result per finding (rule = vulnerability id), the level from the severity,
//! the party, tier and rule as properties, and the component's evidence paths as locations.
//! Closed findings (fixed, not affected, suppressed) carry a SARIF suppression.

use std::collections::BTreeMap;
use std::io::{self, Write};

use onus_vuln::Severity;
use serde_json::{json, Map, Value};

use crate::report::{Report, ReportComponent, ReportFinding};
use crate::util;

const SARIF_SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// Render a report as SARIF 2.1.0.
pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    crate::write_json(&document(report), out)
}

/// SARIF level for a severity.
pub fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Negligible | Severity::Unknown => "note",
    }
}

/// GitHub's `security-severity` (a CVSS-like score as text): the finding's score when known,
/// else the middle of its severity band.
fn security_severity(f: &ReportFinding) -> Option<f64> {
    if let Some(score) = f.finding.severity_source.as_ref().and_then(|s| s.score) {
        return Some(score);
    }
    match f.finding.severity {
        Severity::Critical => Some(9.5),
        Severity::High => Some(8.0),
        Severity::Medium => Some(5.5),
        Severity::Low => Some(2.0),
        Severity::Negligible => Some(0.1),
        Severity::Unknown => None,
    }
}

fn message(f: &ReportFinding) -> String {
    let g = &f.finding;
    let mut text = format!(
        "{} in {}@{} ({}, {}); move: {} ({}): {}; owner: {} ({}, {}): {}",
        g.id,
        g.package,
        g.version,
        util::severity_label(g.severity),
        util::status_label(g.status),
        f.next.party.map_or("nobody", util::party_label),
        f.next.rule,
        f.next.action,
        util::party_label(f.owner),
        f.owner_rule,
        util::tier_label(f.tier),
        f.reason
    );
    if let Some(fixed) = &g.fixed_version {
        text.push_str(&format!("; fixed in {fixed}"));
    }
    text
}

/// Components by purl and by `name@version`, first one wins (as [`Report::component_of`]).
struct ComponentIndex<'a> {
    by_purl: BTreeMap<&'a str, &'a ReportComponent>,
    by_name: BTreeMap<(&'a str, &'a str), &'a ReportComponent>,
}

impl<'a> ComponentIndex<'a> {
    fn new(report: &'a Report) -> Self {
        let mut by_purl = BTreeMap::new();
        let mut by_name = BTreeMap::new();
        for c in &report.components {
            if !c.component.purl.is_empty() {
                by_purl.entry(c.component.purl.as_str()).or_insert(c);
            }
            by_name
                .entry((c.component.name.as_str(), c.component.version.as_str()))
                .or_insert(c);
        }
        ComponentIndex { by_purl, by_name }
    }

    fn of(&self, f: &onus_vuln::Finding) -> Option<&'a ReportComponent> {
        self.by_purl
            .get(f.purl.as_str())
            .or_else(|| self.by_name.get(&(f.package.as_str(), f.version.as_str())))
            .copied()
    }
}

fn result(index: &ComponentIndex<'_>, f: &ReportFinding, rule_index: usize) -> Value {
    let g = &f.finding;
    let mut properties = Map::new();
    properties.insert(
        "party".into(),
        f.next
            .party
            .map_or(Value::Null, |p| util::party_label(p).into()),
    );
    properties.insert("rule".into(), f.next.rule.id().into());
    properties.insert("action".into(), f.next.action.clone().into());
    properties.insert("owner".into(), util::party_label(f.owner).into());
    properties.insert("owner_rule".into(), f.owner_rule.clone().into());
    properties.insert("tier".into(), util::tier_label(f.tier).into());
    properties.insert("reason".into(), f.reason.clone().into());
    properties.insert("status".into(), util::status_label(g.status).into());
    properties.insert("severity".into(), util::severity_label(g.severity).into());
    properties.insert(
        "fixed_version".into(),
        g.fixed_version.clone().map_or(Value::Null, Value::from),
    );
    properties.insert("purl".into(), g.purl.clone().into());
    properties.insert("aliases".into(), g.aliases.clone().into());
    properties.insert("known_exploited".into(), g.known_exploited.into());
    if let Some(sla) = &f.sla {
        if let Ok(sla) = serde_json::to_value(sla) {
            properties.insert("sla".into(), sla);
        }
    }
    let mut locations = Vec::new();
    let logical = json!([{ "name": format!("{}@{}", g.package, g.version), "fullyQualifiedName": g.purl, "kind": "package" }]);
    let paths = index
        .of(g)
        .map(|c| c.component.locations.as_slice())
        .unwrap_or_default();
    for path in paths {
        locations.push(json!({
            "physicalLocation": { "artifactLocation": { "uri": util::percent_encode_path(path) } },
            "logicalLocations": logical,
        }));
    }
    if locations.is_empty() {
        locations.push(json!({ "logicalLocations": logical }));
    }
    let mut result = Map::new();
    result.insert("ruleId".into(), g.id.clone().into());
    result.insert("ruleIndex".into(), rule_index.into());
    result.insert("level".into(), level(g.severity).into());
    result.insert("message".into(), json!({ "text": message(f) }));
    result.insert("locations".into(), Value::Array(locations));
    result.insert(
        "partialFingerprints".into(),
        json!({ "onusFinding/v1": util::sha256_hex(format!("{}\n{}", g.id, g.purl).as_bytes()) }),
    );
    if !f.is_open() {
        let justification = g
            .suppressed
            .clone()
            .or_else(|| g.justification.clone())
            .unwrap_or_else(|| util::status_label(g.status).to_string());
        result.insert(
            "suppressions".into(),
            json!([{ "kind": "external", "status": "accepted", "justification": justification }]),
        );
    }
    result.insert("properties".into(), Value::Object(properties));
    Value::Object(result)
}

/// The whole document as a JSON value.
pub(crate) fn document(report: &Report) -> Value {
    // One rule per vulnerability id, sorted; its severity is the worst seen for that id.
    let mut rules: BTreeMap<&str, (&ReportFinding, Option<f64>)> = BTreeMap::new();
    for f in &report.findings {
        let score = security_severity(f);
        rules
            .entry(f.finding.id.as_str())
            .and_modify(|(first, best)| {
                if score > *best {
                    *best = score;
                }
                if f.finding.severity > first.finding.severity {
                    *first = f;
                }
            })
            .or_insert((f, score));
    }
    let rule_index: BTreeMap<&str, usize> =
        rules.keys().enumerate().map(|(i, id)| (*id, i)).collect();
    let components = ComponentIndex::new(report);
    let rule_values: Vec<Value> = rules
        .iter()
        .map(|(id, (f, score))| {
            let mut properties = Map::new();
            properties.insert("tags".into(), json!(["security", "vulnerability"]));
            if let Some(score) = score {
                properties.insert("security-severity".into(), format!("{score:.1}").into());
            }
            let mut rule = Map::new();
            rule.insert("id".into(), (*id).into());
            rule.insert("name".into(), (*id).into());
            rule.insert(
                "shortDescription".into(),
                json!({ "text": format!("{id} ({})", util::severity_label(f.finding.severity)) }),
            );
            if !f.finding.aliases.is_empty() {
                properties.insert("aliases".into(), f.finding.aliases.clone().into());
            }
            rule.insert("properties".into(), Value::Object(properties));
            Value::Object(rule)
        })
        .collect();
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            let index = rule_index.get(f.finding.id.as_str()).copied().unwrap_or(0);
            result(&components, f, index)
        })
        .collect();
    let mut run_properties = Map::new();
    run_properties.insert("image".into(), report.source.location.clone().into());
    if let Some(digest) = &report.image.info.manifest_digest {
        run_properties.insert("manifest_digest".into(), digest.clone().into());
    }
    json!({
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": util::TOOL_NAME,
                "version": util::TOOL_VERSION,
                "semanticVersion": util::TOOL_VERSION,
                "rules": rule_values,
            } },
            "results": results,
            "properties": run_properties,
        }],
    })
}
