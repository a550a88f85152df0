//! Node.js security-wg: `vuln/npm/*.json` (legacy npm advisories with `vulnerable_versions`)
//! and `vuln/core/*.json` (Node.js itself, stored as the npm-less package `node`).

use serde_json::Value;

use crate::error::VulnError;
use crate::feeds::severity::{score_vector, severity_label};
use crate::feeds::{as_text, Ctx, FeedKind};
use crate::finding::Severity;
use crate::input::InputFile;
use crate::store::{AffectedRow, VulnRow};
use crate::versions::{Range, REQ_AFFECTED};

const KIND: FeedKind = FeedKind::NodejsSecurityWg;
const SOURCE: &str = "nodejs-security-wg";

pub(crate) fn load(file: &InputFile, doc: &Value, ctx: &mut Ctx<'_>) -> Result<(), VulnError> {
    let core = file.member.contains("vuln/core/");
    let number = file
        .member
        .rsplit('/')
        .next()
        .unwrap_or(&file.member)
        .trim_end_matches(".json")
        .to_string();
    let id = if core {
        format!("NSWG-CORE-{number}")
    } else {
        format!("NSWG-NPM-{number}")
    };
    let (package, vulnerable, patched) = if core {
        (
            "node".to_string(),
            doc.get("vulnerable").and_then(Value::as_str),
            doc.get("patched").and_then(Value::as_str),
        )
    } else {
        (
            doc.get("module_name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            doc.get("vulnerable_versions").and_then(Value::as_str),
            doc.get("patched_versions").and_then(Value::as_str),
        )
    };
    // Affected iff vulnerable and not patched (the security-wg rule).
    let patched: Vec<String> = patched
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .into_iter()
        .collect();
    let Some(vulnerable) = vulnerable.filter(|v| !v.trim().is_empty()) else {
        ctx.warn(
            SOURCE,
            KIND,
            format!("`{}`: `{id}` skipped: no vulnerable versions", file.display),
        );
        return Ok(());
    };
    if package.is_empty() {
        ctx.warn(
            SOURCE,
            KIND,
            format!("`{}`: `{id}` skipped: no module name", file.display),
        );
        return Ok(());
    }
    let cves = doc
        .get("cves")
        .or_else(|| doc.get("cve"))
        .and_then(Value::as_array);
    let mut aliases: Vec<String> = cves.into_iter().flatten().filter_map(as_text).collect();
    aliases.sort();
    aliases.dedup();
    let vector = doc
        .get("cvss_vector")
        .and_then(Value::as_str)
        .map(str::to_string);
    let score = vector
        .as_deref()
        .and_then(score_vector)
        .or_else(|| doc.get("cvss_score").and_then(Value::as_f64));
    let label = score
        .map(|s| severity_label(Severity::from_score(s)).to_string())
        .or_else(|| {
            doc.get("severity")
                .and_then(Value::as_str)
                .map(|s| severity_label(Severity::parse_label(s)).to_string())
        });
    for key in ["updated_at", "created_at", "publish_date"] {
        if let Some(t) = doc.get(key).and_then(Value::as_str) {
            ctx.saw_time(SOURCE, KIND, t);
        }
    }
    ctx.writer.vulnerability(&VulnRow {
        id: id.clone(),
        source: SOURCE.to_string(),
        aliases,
        summary: doc
            .get("title")
            .or_else(|| doc.get("description"))
            .and_then(Value::as_str)
            .map(str::to_string),
        severity: label,
        cvss_vector: vector,
        cvss_score: score,
        published: doc
            .get("publish_date")
            .and_then(Value::as_str)
            .map(str::to_string),
        modified: doc
            .get("updated_at")
            .and_then(Value::as_str)
            .map(str::to_string),
    })?;
    ctx.writer.affected(&AffectedRow {
        vuln_id: id,
        source: SOURCE.to_string(),
        ecosystem: if core {
            "node".to_string()
        } else {
            "npm".to_string()
        },
        package,
        ranges: vec![Range {
            kind: REQ_AFFECTED.to_string(),
            events: Vec::new(),
            requirements: vec![vulnerable.to_string()],
            excluding: patched,
        }],
        versions: Vec::new(),
        not_affected: false,
    })?;
    ctx.record(SOURCE, KIND, 1);
    Ok(())
}
