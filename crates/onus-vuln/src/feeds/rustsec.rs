//! RustSec advisories: markdown whose ```` ```toml ```` front matter has `[advisory]` (id,
//! package, aliases, cvss, date, withdrawn) and `[versions]` (patched, unaffected semver
//! requirements). Crate advisories go to the `crates.io` ecosystem; `rust/` toolchain ones are skipped.

use std::collections::BTreeMap;

use crate::error::VulnError;
use crate::feeds::severity::{score_vector, severity_label};
use crate::feeds::{Ctx, FeedKind};
use crate::finding::Severity;
use crate::input::InputFile;
use crate::store::{AffectedRow, VulnRow};
use crate::versions::{Range, REQ_UNAFFECTED};

const KIND: FeedKind = FeedKind::Rustsec;
const SOURCE: &str = "rustsec";

/// A TOML value of the subset RustSec front matter uses.
#[derive(Debug, Clone, PartialEq)]
enum TomlValue {
    Str(String),
    List(Vec<String>),
    Other,
}

pub(crate) fn load(file: &InputFile, ctx: &mut Ctx<'_>) -> Result<(), VulnError> {
    if file.member.starts_with("rust/") || file.member.contains("/rust/") {
        ctx.skipped += 1;
        return Ok(());
    }
    let Ok(text) = std::str::from_utf8(&file.bytes) else {
        ctx.warn(
            SOURCE,
            KIND,
            format!("`{}`: skipped, not UTF-8", file.display),
        );
        return Ok(());
    };
    let Some(front) = text
        .strip_prefix("```toml")
        .and_then(|rest| rest.split("\n```").next())
    else {
        ctx.warn(
            SOURCE,
            KIND,
            format!("`{}`: skipped: no TOML front matter", file.display),
        );
        return Ok(());
    };
    let tables = match parse_toml_subset(front) {
        Ok(t) => t,
        Err(e) => {
            ctx.warn(SOURCE, KIND, format!("`{}`: skipped: {e}", file.display));
            return Ok(());
        }
    };
    let get = |table: &str, key: &str| tables.get(table).and_then(|t| t.get(key));
    let text_of = |table: &str, key: &str| match get(table, key) {
        Some(TomlValue::Str(s)) => Some(s.clone()),
        _ => None,
    };
    let list_of = |table: &str, key: &str| match get(table, key) {
        Some(TomlValue::List(l)) => l.clone(),
        _ => Vec::new(),
    };
    let (Some(id), Some(package)) = (text_of("advisory", "id"), text_of("advisory", "package"))
    else {
        ctx.warn(
            SOURCE,
            KIND,
            format!(
                "`{}`: skipped: no `advisory.id` or `advisory.package`",
                file.display
            ),
        );
        return Ok(());
    };
    if text_of("advisory", "withdrawn").is_some() {
        return Ok(());
    }
    let vector = text_of("advisory", "cvss");
    let score = vector.as_deref().and_then(score_vector);
    if let Some(date) = text_of("advisory", "date") {
        ctx.saw_time(SOURCE, KIND, &date);
    }
    let mut aliases = list_of("advisory", "aliases");
    aliases.sort();
    aliases.dedup();
    ctx.writer.vulnerability(&VulnRow {
        id: id.clone(),
        source: SOURCE.to_string(),
        aliases,
        summary: text
            .lines()
            .find(|l| l.starts_with("# "))
            .map(|l| l.trim_start_matches("# ").to_string()),
        severity: score.map(|s| severity_label(Severity::from_score(s)).to_string()),
        cvss_vector: vector,
        cvss_score: score,
        published: text_of("advisory", "date"),
        modified: None,
    })?;
    // Cargo requirements, stored in node-semver syntax so one engine evaluates every list.
    let requirements: Vec<String> = list_of("versions", "patched")
        .into_iter()
        .chain(list_of("versions", "unaffected"))
        .map(|req| onus_version::cargo_requirement(&req))
        .collect();
    ctx.writer.affected(&AffectedRow {
        vuln_id: id,
        source: SOURCE.to_string(),
        ecosystem: "crates.io".to_string(),
        package,
        // No patched or unaffected versions: every version is affected.
        ranges: vec![Range {
            kind: REQ_UNAFFECTED.to_string(),
            events: Vec::new(),
            requirements,
            excluding: Vec::new(),
        }],
        versions: Vec::new(),
        not_affected: false,
    })?;
    ctx.record(SOURCE, KIND, 1);
    Ok(())
}

/// Parse `[table]` headers, `key = "string"` and `key = ["a", "b"]` (possibly multi-line).
fn parse_toml_subset(text: &str) -> Result<BTreeMap<String, BTreeMap<String, TomlValue>>, String> {
    let mut tables: BTreeMap<String, BTreeMap<String, TomlValue>> = BTreeMap::new();
    let mut table = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line.starts_with('[') && !line.contains('=') {
            table = line.trim_matches(['[', ']', ' ']).to_string();
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            return Err(format!("unreadable TOML line `{line}`"));
        };
        let mut value = value.trim().to_string();
        if value.starts_with('[') {
            while !balanced(&value) {
                match lines.next() {
                    Some(next) => {
                        value.push(' ');
                        value.push_str(next.trim());
                    }
                    None => return Err(format!("unterminated list for key `{}`", key.trim())),
                }
            }
        }
        tables
            .entry(table.clone())
            .or_default()
            .insert(key.trim().to_string(), parse_value(&value));
    }
    Ok(tables)
}

fn balanced(value: &str) -> bool {
    let mut depth = 0i32;
    let mut in_str = false;
    let mut prev = ' ';
    for c in value.chars() {
        match c {
            '"' if prev != '\\' => in_str = !in_str,
            '[' if !in_str => depth += 1,
            ']' if !in_str => depth -= 1,
            _ => {}
        }
        prev = c;
    }
    depth <= 0 && !in_str
}

fn parse_value(value: &str) -> TomlValue {
    let strings = |s: &str| -> Vec<String> {
        let mut out = Vec::new();
        let mut cur = String::new();
        let mut in_str = false;
        let mut prev = ' ';
        for c in s.chars() {
            if c == '"' && prev != '\\' {
                if in_str {
                    out.push(std::mem::take(&mut cur));
                }
                in_str = !in_str;
            } else if in_str {
                cur.push(c);
            }
            prev = c;
        }
        out
    };
    if value.starts_with('[') {
        TomlValue::List(strings(value))
    } else if value.starts_with('"') {
        strings(value)
            .into_iter()
            .next()
            .map(TomlValue::Str)
            .unwrap_or(TomlValue::Other)
    } else {
        TomlValue::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn front_matter_subset() {
        let t = parse_toml_subset("[advisory]\nid = \"RUSTSEC-1\"\naliases = [\n  \"CVE-1\",\n  \"GHSA-2\",\n]\n[versions]\npatched = [\">= 0.9.1\"]\ninformational = 3\n");
        let t = t.unwrap_or_default();
        assert_eq!(t["advisory"]["id"], TomlValue::Str("RUSTSEC-1".into()));
        assert_eq!(
            t["advisory"]["aliases"],
            TomlValue::List(vec!["CVE-1".into(), "GHSA-2".into()])
        );
        assert_eq!(
            t["versions"]["patched"],
            TomlValue::List(vec![">= 0.9.1".into()])
        );
    }
}
