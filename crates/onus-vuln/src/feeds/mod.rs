//! Feed loaders: recognise each input file by name and content, parse it, and write its records
//! into the store. A bad record or file becomes a counted warning naming the file and record.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::error::VulnError;
use crate::input::InputFile;
use crate::store::Writer;

pub(crate) mod debian;
pub(crate) mod eol;
pub(crate) mod nodejs;
pub(crate) mod osv;
pub(crate) mod rustsec;
pub(crate) mod secdb;
pub(crate) mod severity;
pub(crate) mod wolfi;

/// Warnings kept verbatim per source; the rest are only counted.
const MAX_WARNINGS_KEPT: usize = 200;

/// The kind of a feed, as recognised from a file (or forced by the caller).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum FeedKind {
    /// Wolfi/Chainguard `*.advisories.yaml` (schema 2).
    WolfiAdvisories,
    /// Alpine-format secdb (`security.json`, Alpine `main.yaml`).
    Secdb,
    /// OSV records (JSON or YAML).
    Osv,
    /// Debian security tracker JSON.
    DebianTracker,
    /// The CVE severity CSV (CISA Vulnrichment extract).
    CveSeverity,
    /// CISA Known Exploited Vulnerabilities JSON.
    Kev,
    /// endoflife.date `products.json`, stored raw.
    Endoflife,
    /// RustSec advisories (markdown with TOML front matter).
    Rustsec,
    /// Node.js security-wg `vuln/npm` and `vuln/core` JSON.
    NodejsSecurityWg,
}

impl FeedKind {
    /// The kebab-case name used in `sources.kind` and configs.
    pub fn as_str(self) -> &'static str {
        match self {
            FeedKind::WolfiAdvisories => "wolfi-advisories",
            FeedKind::Secdb => "secdb",
            FeedKind::Osv => "osv",
            FeedKind::DebianTracker => "debian-tracker",
            FeedKind::CveSeverity => "cve-severity",
            FeedKind::Kev => "kev",
            FeedKind::Endoflife => "endoflife",
            FeedKind::Rustsec => "rustsec",
            FeedKind::NodejsSecurityWg => "nodejs-security-wg",
        }
    }
}

/// Per-source counters collected while loading.
#[derive(Debug, Default)]
pub(crate) struct SourceStats {
    pub kind: BTreeSet<&'static str>,
    pub records: u64,
    pub warnings: Vec<String>,
    pub warning_count: u64,
    pub data_time: Option<DateTime<Utc>>,
}

/// What loaders write into: the store writer plus per-source statistics.
pub(crate) struct Ctx<'a> {
    pub writer: &'a Writer,
    pub stats: BTreeMap<String, SourceStats>,
    /// Warnings that belong to no recognised source (unreadable files of unknown kind).
    pub loose_warnings: Vec<String>,
    /// Namespace for advisory documents (`wolfi` unless the input says otherwise).
    pub advisory_namespace: String,
    /// Files seen but not recognised as any feed (not an error).
    pub skipped: u64,
}

impl<'a> Ctx<'a> {
    pub fn new(writer: &'a Writer) -> Self {
        Ctx {
            writer,
            stats: BTreeMap::new(),
            loose_warnings: Vec::new(),
            advisory_namespace: "wolfi".to_string(),
            skipped: 0,
        }
    }

    fn entry(&mut self, source: &str, kind: FeedKind) -> &mut SourceStats {
        let stats = self.stats.entry(source.to_string()).or_default();
        stats.kind.insert(kind.as_str());
        stats
    }

    pub fn record(&mut self, source: &str, kind: FeedKind, n: u64) {
        self.entry(source, kind).records += n;
    }

    pub fn warn(&mut self, source: &str, kind: FeedKind, message: String) {
        let stats = self.entry(source, kind);
        stats.warning_count += 1;
        if stats.warnings.len() < MAX_WARNINGS_KEPT {
            stats.warnings.push(message);
        }
    }

    /// Note a timestamp seen in the data (RFC 3339 or a plain date); the newest one is kept.
    pub fn saw_time(&mut self, source: &str, kind: FeedKind, value: &str) {
        if let Some(t) = parse_time(value) {
            let stats = self.entry(source, kind);
            if stats.data_time.is_none_or(|d| t > d) {
                stats.data_time = Some(t);
            }
        }
    }
}

/// Parse an RFC 3339 timestamp or a `YYYY-MM-DD` date; year-1 placeholders are ignored.
pub(crate) fn parse_time(value: &str) -> Option<DateTime<Utc>> {
    let t = DateTime::parse_from_rfc3339(value.trim())
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            chrono::NaiveDate::parse_from_str(value.trim().get(..10)?, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|d| d.and_utc())
        })?;
    (chrono::Datelike::year(&t) > 1900).then_some(t)
}

/// Load one input file, recognising its kind unless `forced`.
pub(crate) fn load_file(
    file: &InputFile,
    forced: Option<FeedKind>,
    ctx: &mut Ctx<'_>,
) -> Result<(), VulnError> {
    let lower = file.member.to_ascii_lowercase();
    let base = lower.rsplit('/').next().unwrap_or(&lower);
    if forced == Some(FeedKind::WolfiAdvisories)
        || lower.ends_with(".advisories.yaml")
        || lower.ends_with(".advisories.yml")
    {
        return wolfi::load(file, ctx);
    }
    // Licence texts and dotfiles beside the data are not feeds.
    let licence = ["license", "licence"].iter().any(|l| {
        base == *l || base.starts_with(&format!("{l}.")) || base.starts_with(&format!("{l}-"))
    });
    if licence || base.starts_with('.') {
        ctx.skipped += 1;
        return Ok(());
    }
    if forced == Some(FeedKind::Endoflife) {
        return eol::load(file, ctx);
    }
    // NVD feeds are read typed (a year is hundreds of MB of JSON), before the generic parse.
    if (forced == Some(FeedKind::CveSeverity) || lower.ends_with(".json"))
        && severity::is_nvd_feed(&file.bytes)
    {
        return severity::load_nvd(file, ctx);
    }
    if forced == Some(FeedKind::CveSeverity) || lower.ends_with(".csv") {
        if forced.is_some() || file.bytes.starts_with(b"cve_id,") {
            return severity::load_csv(file, ctx);
        }
        ctx.skipped += 1;
        return Ok(());
    }
    if forced == Some(FeedKind::Rustsec) || lower.ends_with(".md") {
        if forced.is_some() || file.bytes.starts_with(b"```toml") {
            return rustsec::load(file, ctx);
        }
        ctx.skipped += 1;
        return Ok(());
    }
    let is_yaml = lower.ends_with(".yaml") || lower.ends_with(".yml");
    // API answers saved under their URL's last segment have no extension (endoflife.date's
    // `…/products/full`): JSON when they look like it.
    let is_json = lower.ends_with(".json")
        || (!base.contains('.') && file.bytes.trim_ascii_start().starts_with(b"{"));
    if !is_yaml && !is_json && forced.is_none() {
        ctx.skipped += 1;
        return Ok(());
    }
    let value = match parse_value(&file.bytes, is_yaml) {
        Ok(v) => v,
        Err(message) => {
            let warning = format!("`{}`: skipped, cannot be parsed: {message}", file.display);
            match forced.or_else(|| kind_from_name(&lower)) {
                Some(kind) => ctx.warn(&default_source(kind, &lower), kind, warning),
                None => ctx.loose_warnings.push(warning),
            }
            return Ok(());
        }
    };
    match forced.or_else(|| detect(&lower, &value)) {
        Some(FeedKind::Kev) => severity::load_kev(file, &value, ctx),
        Some(FeedKind::Endoflife) => eol::load(file, ctx),
        Some(FeedKind::Secdb) => secdb::load(file, &value, ctx),
        Some(FeedKind::Osv) => osv::load(file, value, ctx),
        Some(FeedKind::DebianTracker) => debian::load(file, &value, ctx),
        Some(FeedKind::NodejsSecurityWg) => nodejs::load(file, &value, ctx),
        Some(FeedKind::WolfiAdvisories | FeedKind::CveSeverity | FeedKind::Rustsec) | None => {
            ctx.skipped += 1;
            Ok(())
        }
    }
}

/// The source name a kind gets when nothing more specific is known.
fn default_source(kind: FeedKind, lower_name: &str) -> String {
    match kind {
        FeedKind::Osv if lower_name.contains("pysec-") => "osv-pypi".to_string(),
        FeedKind::Osv if lower_name.contains("go-") => "osv-go".to_string(),
        FeedKind::Osv => "osv".to_string(),
        FeedKind::Secdb => "secdb".to_string(),
        FeedKind::Kev => "cisa-kev".to_string(),
        other => other.as_str().to_string(),
    }
}

fn kind_from_name(lower: &str) -> Option<FeedKind> {
    let base = lower.rsplit('/').next().unwrap_or(lower);
    if ["pysec-", "go-", "ghsa-", "cga-", "osv-", "rustsec-"]
        .iter()
        .any(|p| base.starts_with(p))
    {
        Some(FeedKind::Osv)
    } else if base == "security.json" || lower.contains("secdb") {
        Some(FeedKind::Secdb)
    } else if base.starts_with("known_exploited") {
        Some(FeedKind::Kev)
    } else if base == "products.json" {
        Some(FeedKind::Endoflife)
    } else if lower.contains("debian") {
        Some(FeedKind::DebianTracker)
    } else if lower.contains("vuln/npm/") || lower.contains("vuln/core/") {
        Some(FeedKind::NodejsSecurityWg)
    } else {
        None
    }
}

/// Recognise a parsed document by its shape.
fn detect(lower: &str, value: &Value) -> Option<FeedKind> {
    let obj = value.as_object()?;
    if obj.contains_key("catalogVersion") && obj.contains_key("vulnerabilities") {
        return Some(FeedKind::Kev);
    }
    if obj.get("products").is_some_and(Value::is_object)
        || (obj.contains_key("schema_version") && obj.get("result").is_some_and(Value::is_array))
    {
        return Some(FeedKind::Endoflife);
    }
    if obj.get("packages").is_some_and(Value::is_array)
        && (obj.contains_key("reponame") || obj.contains_key("urlprefix"))
    {
        return Some(FeedKind::Secdb);
    }
    if obj.contains_key("module_name") && obj.contains_key("vulnerable_versions") {
        return Some(FeedKind::NodejsSecurityWg);
    }
    if lower.contains("vuln/core/") && obj.contains_key("vulnerable") {
        return Some(FeedKind::NodejsSecurityWg);
    }
    if obj.get("id").is_some_and(Value::is_string)
        && (obj.contains_key("affected")
            || obj.contains_key("withdrawn")
            || obj.contains_key("schema_version"))
    {
        return Some(FeedKind::Osv);
    }
    // Debian tracker: package -> CVE/TEMP id -> {releases: ...}.
    let mut values = obj.values().take(3).peekable();
    values.peek()?;
    let debian = values.all(|v| {
        v.as_object().is_some_and(|m| {
            m.iter().take(3).all(|(k, v)| {
                (k.starts_with("CVE-") || k.starts_with("TEMP-")) && v.get("releases").is_some()
            })
        })
    });
    debian.then_some(FeedKind::DebianTracker)
}

/// Parse JSON, or YAML converted to JSON values (mapping keys become strings).
pub(crate) fn parse_value(bytes: &[u8], yaml: bool) -> Result<Value, String> {
    if yaml {
        let value: serde_yaml_ng::Value =
            serde_yaml_ng::from_slice(bytes).map_err(|e| e.to_string())?;
        Ok(yaml_to_json(value))
    } else {
        serde_json::from_slice(bytes).map_err(|e| e.to_string())
    }
}

fn yaml_to_json(value: serde_yaml_ng::Value) -> Value {
    match value {
        serde_yaml_ng::Value::Null => Value::Null,
        serde_yaml_ng::Value::Bool(b) => Value::Bool(b),
        // Versions written unquoted (`1.0`) must stay strings: keep the number's text.
        serde_yaml_ng::Value::Number(n) => Value::String(n.to_string()),
        serde_yaml_ng::Value::String(s) => Value::String(s),
        serde_yaml_ng::Value::Sequence(seq) => {
            Value::Array(seq.into_iter().map(yaml_to_json).collect())
        }
        serde_yaml_ng::Value::Mapping(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let key = match k {
                        serde_yaml_ng::Value::String(s) => s,
                        serde_yaml_ng::Value::Number(n) => n.to_string(),
                        serde_yaml_ng::Value::Bool(b) => b.to_string(),
                        other => serde_yaml_ng::to_string(&other)
                            .unwrap_or_default()
                            .trim()
                            .to_string(),
                    };
                    (key, yaml_to_json(v))
                })
                .collect(),
        ),
        serde_yaml_ng::Value::Tagged(tagged) => yaml_to_json(tagged.value),
    }
}

/// A JSON string or number as text.
pub(crate) fn as_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// PEP 503 name normalisation: lowercase, runs of `-`, `_`, `.` become one `-`.
pub fn normalize_pypi(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.trim().chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
        } else {
            if sep && !out.is_empty() {
                out.push('-');
            }
            sep = false;
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

/// The store key for a package name in an OSV ecosystem.
pub(crate) fn package_key(ecosystem: &str, name: &str) -> String {
    if ecosystem.eq_ignore_ascii_case("pypi") {
        normalize_pypi(name)
    } else {
        name.trim().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pep503() {
        assert_eq!(normalize_pypi("Foo.Bar__baz"), "foo-bar-baz");
        assert_eq!(normalize_pypi("requests"), "requests");
    }

    #[test]
    fn yaml_numbers_stay_text() {
        let v = parse_value(b"versions: [1.10, \"1.2\"]\nsecfixes: {0: [CVE-1]}", true)
            .unwrap_or_default();
        assert_eq!(v["versions"][0], Value::String("1.1".into()));
        assert!(v["secfixes"].get("0").is_some());
    }
}
