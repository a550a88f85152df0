//! The finding type: one vulnerability on one component, aliases collapsed.

use serde::{Deserialize, Serialize};

/// Qualitative severity, ordered from least to most severe.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    #[default]
    Unknown,
    Negligible,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    /// Map a CVSS base score to its qualitative rating (CVSS v3/v4 bands).
    pub fn from_score(score: f64) -> Self {
        match score {
            s if s >= 9.0 => Severity::Critical,
            s if s >= 7.0 => Severity::High,
            s if s >= 4.0 => Severity::Medium,
            s if s > 0.0 => Severity::Low,
            _ => Severity::Negligible,
        }
    }

    /// Parse a label such as `HIGH`, `moderate` or `important`.
    pub fn parse_label(label: &str) -> Self {
        match label.trim().to_ascii_lowercase().as_str() {
            "critical" => Severity::Critical,
            "high" | "important" => Severity::High,
            "medium" | "moderate" => Severity::Medium,
            "low" => Severity::Low,
            "negligible" | "none" | "unimportant" => Severity::Negligible,
            _ => Severity::Unknown,
        }
    }
}

/// Where a severity came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeveritySource {
    /// `cve-severity`, `osv`, `debian-tracker`, …
    pub source: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vector: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
}

/// The vendor's (or feed's) state for a vulnerability on a package (model.md §4.1, §4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AdvisoryStatus {
    /// Vulnerable and no vendor advisory explains it (or the advisory says true-positive).
    Affected,
    /// Fixed at `fixed_version`; a finding with this status is only listed with `--show-fixed`.
    Fixed,
    /// False positive / not affected; suppressed, justification kept.
    NotAffected,
    PendingUpstreamFix,
    FixNotPlanned,
    UnderInvestigation,
    AnalysisNotPlanned,
}

/// The vendor advisory behind a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdvisoryRef {
    /// Advisory id (`CGA-…`) or feed record id.
    pub id: String,
    /// Current event type (`detection`, `fixed`, …) as written in the advisory.
    pub current_event: String,
    /// RFC 3339 timestamp of the current event.
    pub current_event_time: String,
    /// RFC 3339 timestamp of the first `detection` event, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_detection: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// One vulnerability on one component, all aliases collapsed into one record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Preferred id: the CVE when there is one, else GHSA, GO, PYSEC, CGA.
    pub id: String,
    /// Every other id for the same vulnerability, sorted.
    pub aliases: Vec<String>,
    /// Component identity (matches `Component::purl`).
    pub purl: String,
    pub package: String,
    pub version: String,
    pub severity: Severity,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity_source: Option<SeveritySource>,
    pub status: AdvisoryStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed_version: Option<String>,
    /// Justification (not-affected) or note (pending, fix-not-planned, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advisory: Option<AdvisoryRef>,
    /// Feed(s) that produced the match (`wolfi-advisories`, `osv-pypi`, `debian-tracker`, …).
    pub sources: Vec<String>,
    /// Listed in CISA's Known Exploited Vulnerabilities catalog.
    #[serde(default)]
    pub known_exploited: bool,
    /// Why the finding is suppressed (not-affected, owner advisory covers it, VEX); `None` = open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<String>,
}
