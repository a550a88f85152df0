//! OSV records (JSON or YAML): PyPI, Go, npm, Maven, crates.io, and the Wolfi/Chainguard OSV
//! feed. ECOSYSTEM and SEMVER ranges are kept (GIT ranges are skipped), with `versions` lists;
//! withdrawn records are skipped; severity comes from CVSS v3/v4 vectors or
//! `database_specific.severity`.

use serde::Deserialize;
use serde_json::Value;

use crate::error::VulnError;
use crate::feeds::severity::{score_vector, severity_label};
use crate::feeds::{as_text, package_key, Ctx, FeedKind};
use crate::finding::Severity;
use crate::input::InputFile;
use crate::store::{AffectedRow, VulnRow};
use crate::versions::{compare, Range, RangeEvent, Scheme};

const KIND: FeedKind = FeedKind::Osv;

#[derive(Debug, Deserialize)]
struct Osv {
    id: String,
    #[serde(default)]
    modified: Option<String>,
    #[serde(default)]
    published: Option<String>,
    #[serde(default)]
    withdrawn: Option<String>,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    related: Vec<String>,
    /// Chainguard OSV lists CVE/GHSA ids here.
    #[serde(default)]
    upstream: Vec<String>,
    #[serde(default)]
    summary: Option<String>,
    #[serde(default)]
    details: Option<String>,
    #[serde(default)]
    severity: Vec<OsvSeverity>,
    #[serde(default)]
    affected: Vec<OsvAffected>,
    #[serde(default)]
    database_specific: Option<Value>,
}

#[derive(Debug, Deserialize)]
struct OsvSeverity {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    score: Value,
}

#[derive(Debug, Deserialize)]
struct OsvAffected {
    #[serde(default)]
    package: Option<OsvPackage>,
    #[serde(default)]
    ranges: Vec<OsvRange>,
    #[serde(default)]
    versions: Vec<Value>,
    #[serde(default)]
    database_specific: Option<Value>,
    #[serde(default)]
    severity: Vec<OsvSeverity>,
}

#[derive(Debug, Deserialize)]
struct OsvPackage {
    #[serde(default)]
    ecosystem: String,
    #[serde(default)]
    name: String,
}

#[derive(Debug, Deserialize)]
struct OsvRange {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    events: Vec<serde_json::Map<String, Value>>,
}

pub(crate) fn load(file: &InputFile, value: Value, ctx: &mut Ctx<'_>) -> Result<(), VulnError> {
    let record: Osv = match serde_json::from_value(value) {
        Ok(r) => r,
        Err(e) => {
            ctx.warn(
                "osv",
                KIND,
                format!("`{}`: skipped, not an OSV record: {e}", file.display),
            );
            return Ok(());
        }
    };
    let first_eco = record
        .affected
        .iter()
        .find_map(|a| {
            a.package.as_ref().map(|p| {
                p.ecosystem
                    .split(':')
                    .next()
                    .unwrap_or("")
                    .to_ascii_lowercase()
            })
        })
        .filter(|e| !e.is_empty())
        .unwrap_or_else(|| "unknown".to_string());
    let source = format!("osv-{first_eco}");
    if record
        .withdrawn
        .as_deref()
        .is_some_and(|w| !w.trim().is_empty())
    {
        // Withdrawn records are not vulnerabilities any more; nothing to warn about.
        return Ok(());
    }
    let id = record.id.trim().to_string();
    if id.is_empty() {
        ctx.warn(
            &source,
            KIND,
            format!("`{}`: skipped: empty `id`", file.display),
        );
        return Ok(());
    }
    let mut aliases: Vec<String> = record
        .aliases
        .iter()
        .chain(&record.upstream)
        .chain(&record.related)
        .map(|a| a.trim().to_string())
        .filter(|a| !a.is_empty() && *a != id)
        .collect();
    aliases.sort();
    aliases.dedup();

    let (mut vector, mut score) = (None, None);
    let all_severity = record
        .severity
        .iter()
        .chain(record.affected.iter().flat_map(|a| a.severity.iter()));
    let mut best: Option<(u8, String)> = None;
    for s in all_severity {
        let rank = match s.kind.as_str() {
            "CVSS_V4" => 2,
            "CVSS_V3" => 1,
            _ => continue,
        };
        if let Some(v) = as_text(&s.score) {
            if best.as_ref().is_none_or(|(r, _)| rank > *r) {
                best = Some((rank, v));
            }
        }
    }
    if let Some((_, v)) = best {
        match score_vector(&v) {
            Some(s) => score = Some(s),
            None => ctx.warn(
                &source,
                KIND,
                format!(
                    "`{}`: record `{id}`: unparseable CVSS vector `{v}`",
                    file.display
                ),
            ),
        }
        vector = Some(v);
    }
    let label = score
        .map(|s| severity_label(Severity::from_score(s)).to_string())
        .or_else(|| {
            let db = record
                .database_specific
                .as_ref()?
                .get("severity")?
                .as_str()?;
            let sev = Severity::parse_label(db);
            (sev != Severity::Unknown).then(|| severity_label(sev).to_string())
        });
    for t in [&record.modified, &record.published].into_iter().flatten() {
        ctx.saw_time(&source, KIND, t);
    }
    ctx.writer.vulnerability(&VulnRow {
        id: id.clone(),
        source: source.clone(),
        aliases,
        summary: record.summary.clone().or_else(|| {
            record
                .details
                .as_ref()
                .map(|d| d.chars().take(300).collect())
        }),
        severity: label,
        cvss_vector: vector,
        cvss_score: score,
        published: record.published.clone(),
        modified: record.modified.clone(),
    })?;
    for (i, affected) in record.affected.iter().enumerate() {
        let Some(package) = affected
            .package
            .as_ref()
            .filter(|p| !p.name.trim().is_empty() && !p.ecosystem.is_empty())
        else {
            continue;
        };
        let scheme = Scheme::for_ecosystem(&package.ecosystem);
        let mut ranges = Vec::new();
        let mut not_affected = affected
            .database_specific
            .as_ref()
            .and_then(|d| d.get("false_positive"))
            .and_then(Value::as_bool)
            .unwrap_or(false);
        for range in &affected.ranges {
            if !matches!(range.kind.as_str(), "ECOSYSTEM" | "SEMVER") {
                continue;
            }
            match convert_range(range, scheme) {
                Ok(r) => {
                    // Chainguard's not-affected encoding: introduced 0, fixed 0.
                    if r.events.iter().all(|e| matches!(e, RangeEvent::Introduced(v) | RangeEvent::Fixed(v) if v == "0"))
                        && r.events.iter().any(|e| matches!(e, RangeEvent::Fixed(_)))
                    {
                        not_affected = true;
                    }
                    ranges.push(r);
                }
                Err(bad) => ctx.warn(
                    &source,
                    KIND,
                    format!("`{}`: record `{id}` affected[{i}] `{}`: range skipped: invalid version `{bad}`", file.display, package.name),
                ),
            }
        }
        let versions: Vec<String> = affected.versions.iter().filter_map(as_text).collect();
        let has_git = affected.ranges.iter().any(|r| r.kind == "GIT");
        if ranges.is_empty() && versions.is_empty() && !not_affected {
            if !has_git {
                ctx.warn(&source, KIND, format!("`{}`: record `{id}` affected[{i}] `{}` skipped: no usable ranges or versions", file.display, package.name));
            }
            continue;
        }
        ctx.writer.affected(&AffectedRow {
            vuln_id: id.clone(),
            source: source.clone(),
            ecosystem: package.ecosystem.clone(),
            package: package_key(&package.ecosystem, &package.name),
            ranges,
            versions,
            not_affected,
        })?;
    }
    ctx.record(&source, KIND, 1);
    Ok(())
}

/// Convert one OSV range, checking that every version parses under the ecosystem's scheme.
fn convert_range(range: &OsvRange, scheme: Scheme) -> Result<Range, String> {
    let mut events = Vec::new();
    for event in &range.events {
        for (key, value) in event {
            let Some(v) = as_text(value) else { continue };
            let v = v.trim().to_string();
            if v != "0" && compare(scheme, &v, &v).is_none() {
                return Err(v);
            }
            events.push(match key.as_str() {
                "introduced" => RangeEvent::Introduced(v),
                "fixed" => RangeEvent::Fixed(v),
                "last_affected" => RangeEvent::LastAffected(v),
                "limit" => RangeEvent::Limit(v),
                _ => continue,
            });
        }
    }
    Ok(Range {
        kind: range.kind.clone(),
        events,
        requirements: Vec::new(),
        excluding: Vec::new(),
    })
}
