//! The finding type: one vulnerability on one component, aliases collapsed.

use serde::{Deserialize, Serialize};

pub use onus_inventory::vocab::Severity;

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

pub use onus_inventory::vocab::AdvisoryStatus;

/// The vendor advisory behind a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdvisoryRef {
    /// Advisory id (`CGA-…`) or feed record id.
    pub id: String,
    /// The package (origin) the advisory is about: the component itself, or the distro package
    /// that owns a language component.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub package: String,
    /// Current event type (`detection`, `fixed`, …) as written in the advisory.
    pub current_event: String,
    /// RFC 3339 timestamp of the current event.
    pub current_event_time: String,
    /// The version of `package` that fixes it, when the current event is `fixed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed_version: Option<String>,
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
