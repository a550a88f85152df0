//! The CVE severity table (CSV extracted from CISA Vulnrichment: CNA CVSS 4.0/3.1/3.0, CISA-ADP
//! 3.1, KEV date) and the CISA Known Exploited Vulnerabilities catalog.

use std::collections::HashMap;

use serde_json::Value;

use crate::error::VulnError;
use crate::feeds::{Ctx, FeedKind};
use crate::finding::Severity;
use crate::input::InputFile;
use crate::store::CveSeverityRow;

const CSV_SOURCE: &str = "cve-severity";
const KEV_SOURCE: &str = "cisa-kev";

/// Vector columns in order of preference, with the origin label stored beside the score.
const PREFERENCE: [(&str, &str); 5] = [
    ("cna_cvss40", "cna-cvss40"),
    ("cna_cvss31", "cna-cvss31"),
    ("cna_cvss30", "cna-cvss30"),
    ("adp_cvss31", "adp-cvss31"),
    ("cna_cvss20", "cna-cvss20"),
];

pub(crate) fn load_csv(file: &InputFile, ctx: &mut Ctx<'_>) -> Result<(), VulnError> {
    let kind = FeedKind::CveSeverity;
    let Ok(text) = std::str::from_utf8(&file.bytes) else {
        ctx.warn(
            CSV_SOURCE,
            kind,
            format!("`{}`: skipped, not UTF-8", file.display),
        );
        return Ok(());
    };
    let mut rows = CsvRows::new(text);
    let Some(header) = rows.next() else {
        ctx.warn(
            CSV_SOURCE,
            kind,
            format!("`{}`: skipped, empty", file.display),
        );
        return Ok(());
    };
    let col: HashMap<&str, usize> = header
        .iter()
        .enumerate()
        .map(|(i, h)| (h.as_str(), i))
        .collect();
    let Some(&id_col) = col.get("cve_id") else {
        ctx.warn(
            CSV_SOURCE,
            kind,
            format!("`{}`: skipped, no `cve_id` column", file.display),
        );
        return Ok(());
    };
    for (line, row) in rows.enumerate() {
        let get = |name: &str| {
            col.get(name)
                .and_then(|&i| row.get(i))
                .map(|s| s.trim())
                .filter(|s| !s.is_empty())
        };
        if row.len() != header.len() {
            ctx.warn(
                CSV_SOURCE,
                kind,
                format!(
                    "`{}`: row {} skipped: {} fields, expected {}",
                    file.display,
                    line + 2,
                    row.len(),
                    header.len()
                ),
            );
            continue;
        }
        let Some(cve) = row
            .get(id_col)
            .map(|s| s.trim())
            .filter(|s| s.starts_with("CVE-"))
        else {
            ctx.warn(
                CSV_SOURCE,
                kind,
                format!("`{}`: row {} skipped: no CVE id", file.display, line + 2),
            );
            continue;
        };
        if let Some(date) = get("kev_date_added") {
            ctx.writer.kev(cve, Some(date), CSV_SOURCE)?;
        }
        if let Some(date) = get("date_published") {
            ctx.saw_time(CSV_SOURCE, kind, date);
        }
        for (prefix, origin) in PREFERENCE {
            let Some(vector) = get(&format!("{prefix}_vector")) else {
                continue;
            };
            let score = get(&format!("{prefix}_score"))
                .and_then(|s| s.parse::<f64>().ok())
                .or_else(|| score_vector(vector));
            let severity = severity_of(get(&format!("{prefix}_severity")), score);
            if severity == Severity::Unknown {
                ctx.warn(
                    CSV_SOURCE,
                    kind,
                    format!(
                        "`{}`: `{cve}` {origin} vector `{vector}` has no usable score",
                        file.display
                    ),
                );
                continue;
            }
            ctx.writer.cve_severity(&CveSeverityRow {
                cve: cve.to_string(),
                severity: severity_label(severity).to_string(),
                vector: Some(vector.to_string()),
                score,
                origin: origin.to_string(),
                source: CSV_SOURCE.to_string(),
            })?;
            ctx.record(CSV_SOURCE, kind, 1);
            break;
        }
    }
    Ok(())
}

/// The severity a feed states, else the one its score gives (`Unknown` when neither does).
fn severity_of(label: Option<&str>, score: Option<f64>) -> Severity {
    label
        .map(Severity::parse_label)
        .filter(|s| *s != Severity::Unknown)
        .or_else(|| score.map(Severity::from_score))
        .unwrap_or(Severity::Unknown)
}

/// Score a CVSS v3.x/v4.0 vector with the `cvss` crate.
pub(crate) fn score_vector(vector: &str) -> Option<f64> {
    vector.parse::<cvss::Cvss>().ok().map(|c| c.score())
}

pub(crate) fn severity_label(s: Severity) -> &'static str {
    match s {
        Severity::Unknown => "unknown",
        Severity::Negligible => "negligible",
        Severity::Low => "low",
        Severity::Medium => "medium",
        Severity::High => "high",
        Severity::Critical => "critical",
    }
}

pub(crate) fn load_kev(file: &InputFile, doc: &Value, ctx: &mut Ctx<'_>) -> Result<(), VulnError> {
    let kind = FeedKind::Kev;
    let Some(list) = doc.get("vulnerabilities").and_then(Value::as_array) else {
        ctx.warn(
            KEV_SOURCE,
            kind,
            format!("`{}`: skipped: no `vulnerabilities` list", file.display),
        );
        return Ok(());
    };
    if let Some(released) = doc.get("dateReleased").and_then(Value::as_str) {
        ctx.saw_time(KEV_SOURCE, kind, released);
    }
    for (i, entry) in list.iter().enumerate() {
        let Some(cve) = entry
            .get("cveID")
            .and_then(Value::as_str)
            .filter(|c| c.starts_with("CVE-"))
        else {
            ctx.warn(
                KEV_SOURCE,
                kind,
                format!("`{}`: entry {i} skipped: no `cveID`", file.display),
            );
            continue;
        };
        ctx.writer.kev(
            cve,
            entry.get("dateAdded").and_then(Value::as_str),
            KEV_SOURCE,
        )?;
        ctx.record(KEV_SOURCE, kind, 1);
    }
    Ok(())
}

/// A minimal RFC 4180 reader: quoted fields, doubled quotes, CRLF or LF line ends.
struct CsvRows<'a> {
    rest: &'a str,
}

impl<'a> CsvRows<'a> {
    fn new(text: &'a str) -> Self {
        CsvRows { rest: text }
    }
}

impl Iterator for CsvRows<'_> {
    type Item = Vec<String>;

    fn next(&mut self) -> Option<Vec<String>> {
        if self.rest.is_empty() {
            return None;
        }
        let mut fields = Vec::new();
        let mut field = String::new();
        let mut quoted = false;
        let mut chars = self.rest.char_indices().peekable();
        let mut end = self.rest.len();
        while let Some((i, c)) = chars.next() {
            if quoted {
                if c == '"' {
                    if chars.peek().is_some_and(|(_, n)| *n == '"') {
                        field.push('"');
                        chars.next();
                    } else {
                        quoted = false;
                    }
                } else {
                    field.push(c);
                }
            } else if c == '"' {
                quoted = true;
            } else if c == ',' {
                fields.push(std::mem::take(&mut field));
            } else if c == '\n' {
                end = i + 1;
                break;
            } else if c != '\r' {
                field.push(c);
            }
        }
        fields.push(field);
        self.rest = &self.rest[end..];
        Some(fields)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes() {
        let rows: Vec<_> = CsvRows::new("a,b\n\"x,1\",\"say \"\"hi\"\"\"\r\n").collect();
        assert_eq!(
            rows,
            vec![
                vec!["a".to_string(), "b".to_string()],
                vec!["x,1".to_string(), "say \"hi\"".to_string()]
            ]
        );
    }

    #[test]
    fn scores_vectors() {
        assert_eq!(
            score_vector("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),
            Some(9.8)
        );
        assert!(
            score_vector("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N")
                .is_some()
        );
        assert_eq!(score_vector("nonsense"), None);
    }
}

const NVD_SOURCE: &str = "nvd";

/// One NVD CVE API 2.0 / JSON feed document (`nvdcve-2.0-<year>.json`), only the fields read:
/// typed so a 300 MB year file is not held as a JSON tree.
#[derive(serde::Deserialize)]
struct NvdFeed {
    #[serde(default)]
    timestamp: Option<String>,
    #[serde(default)]
    vulnerabilities: Vec<NvdItem>,
}

#[derive(serde::Deserialize)]
struct NvdItem {
    cve: NvdCve,
}

#[derive(serde::Deserialize)]
struct NvdCve {
    id: String,
    #[serde(default)]
    metrics: NvdMetrics,
}

#[derive(serde::Deserialize, Default)]
struct NvdMetrics {
    #[serde(default, rename = "cvssMetricV40")]
    v40: Vec<NvdMetric>,
    #[serde(default, rename = "cvssMetricV31")]
    v31: Vec<NvdMetric>,
    #[serde(default, rename = "cvssMetricV30")]
    v30: Vec<NvdMetric>,
    #[serde(default, rename = "cvssMetricV2")]
    v2: Vec<NvdMetric>,
}

#[derive(serde::Deserialize)]
struct NvdMetric {
    /// `Primary` (scored by the NVD) or `Secondary` (by the CNA or another party).
    #[serde(default, rename = "type")]
    kind: String,
    #[serde(rename = "cvssData")]
    data: NvdCvssData,
    /// CVSS v2 keeps its severity label beside `cvssData`.
    #[serde(default, rename = "baseSeverity")]
    v2_severity: Option<String>,
}

#[derive(serde::Deserialize)]
struct NvdCvssData {
    #[serde(rename = "vectorString")]
    vector: String,
    #[serde(default, rename = "baseScore")]
    score: Option<f64>,
    #[serde(default, rename = "baseSeverity")]
    severity: Option<String>,
}

/// Whether `bytes` look like an NVD JSON feed (checked on the first bytes only).
pub(crate) fn is_nvd_feed(bytes: &[u8]) -> bool {
    let head = bytes.get(..4096).unwrap_or(bytes);
    let head = String::from_utf8_lossy(head);
    head.contains("\"NVD_CVE\"") && head.contains("\"vulnerabilities\"")
}

/// Load CVSS scores from an NVD JSON feed: per CVE the newest CVSS version, the NVD's own
/// (Primary) score before a CNA's (Secondary).
pub(crate) fn load_nvd(file: &InputFile, ctx: &mut Ctx<'_>) -> Result<(), VulnError> {
    let kind = FeedKind::CveSeverity;
    let feed: NvdFeed = match serde_json::from_slice(&file.bytes) {
        Ok(f) => f,
        Err(e) => {
            ctx.warn(
                NVD_SOURCE,
                kind,
                format!("`{}`: skipped, not an NVD JSON feed: {e}", file.display),
            );
            return Ok(());
        }
    };
    if let Some(t) = &feed.timestamp {
        ctx.saw_time(NVD_SOURCE, kind, t);
    }
    // Make sure an empty year still shows up as a source.
    ctx.record(NVD_SOURCE, kind, 0);
    for item in feed.vulnerabilities {
        let cve = item.cve;
        if !cve.id.starts_with("CVE-") {
            continue;
        }
        let m = &cve.metrics;
        let versions: [(&[NvdMetric], &str); 4] = [
            (&m.v40, "cvss40"),
            (&m.v31, "cvss31"),
            (&m.v30, "cvss30"),
            (&m.v2, "cvss20"),
        ];
        let best = versions.iter().find_map(|(metrics, version)| {
            let primary = metrics.iter().find(|x| x.kind == "Primary");
            primary.or_else(|| metrics.first()).map(|x| (x, *version))
        });
        let Some((metric, version)) = best else {
            continue;
        };
        let data = &metric.data;
        let score = data.score.or_else(|| score_vector(&data.vector));
        let severity = severity_of(
            data.severity.as_deref().or(metric.v2_severity.as_deref()),
            score,
        );
        if severity == Severity::Unknown {
            ctx.warn(
                NVD_SOURCE,
                kind,
                format!(
                    "`{}`: `{}` vector `{}` has no usable score",
                    file.display, cve.id, data.vector
                ),
            );
            continue;
        }
        let who = if metric.kind == "Primary" {
            "nvd"
        } else {
            "cna"
        };
        ctx.writer.cve_severity(&CveSeverityRow {
            cve: cve.id.clone(),
            severity: severity_label(severity).to_string(),
            vector: Some(data.vector.clone()),
            score,
            origin: format!("{who}-{version}"),
            source: NVD_SOURCE.to_string(),
        })?;
        ctx.record(NVD_SOURCE, kind, 1);
    }
    Ok(())
}
