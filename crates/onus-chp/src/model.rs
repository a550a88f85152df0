//! The CHP result type, serialised as `chp{level, level_if_read_only, dimensions, blockers}`.

use serde::{Deserialize, Serialize};

/// One piece of evidence: a file (with its layer and owning package), a container, a finding.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Evidence {
    /// Image path, `workload/container`, or `None` for a finding.
    pub path: Option<String>,
    /// Layer that wrote the path.
    pub layer: Option<usize>,
    /// Distro package owning the path.
    pub package: Option<String>,
    pub detail: String,
}

/// One CHP dimension. `ok` is true when the dimension is locked (hardened), false when not,
/// `None` when unknown (RW without runtime configuration, CVEs not assessed).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dimension {
    pub ok: Option<bool>,
    pub evidence: Vec<Evidence>,
    /// Why the answer is unknown or partial (`runtime configuration required`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The five dimensions of the SRM-A table (model.md §3.1).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dimensions {
    pub rw: Dimension,
    pub shell: Dimension,
    pub sys: Dimension,
    pub net: Dimension,
    pub cves: Dimension,
}

/// A dimension's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DimensionName {
    Cves,
    Net,
    Sys,
    Shell,
    Rw,
}

impl DimensionName {
    pub fn as_str(self) -> &'static str {
        match self {
            DimensionName::Cves => "cves",
            DimensionName::Net => "net",
            DimensionName::Sys => "sys",
            DimensionName::Shell => "shell",
            DimensionName::Rw => "rw",
        }
    }

    /// The lowest level that requires this dimension locked (the ladder of model.md §3.2).
    pub fn needed_for(self) -> u8 {
        match self {
            DimensionName::Cves => 1,
            DimensionName::Net => 2,
            DimensionName::Sys => 3,
            DimensionName::Shell => 4,
            DimensionName::Rw => 5,
        }
    }
}

/// What keeps the image from a level: the dimension, what to do, and where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Blocker {
    pub dimension: DimensionName,
    /// The lowest level this dimension blocks.
    pub level: u8,
    pub action: String,
    /// Paths, containers or finding ids to act on.
    pub evidence: Vec<String>,
}

/// The Container Hardening Policy result (model.md §3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chp {
    pub level: u8,
    /// The level the image would reach run with a read-only root filesystem, when only RW
    /// separates it from 5 (`4 (5 if run read-only)`).
    pub level_if_read_only: Option<u8>,
    pub dimensions: Dimensions,
    /// Every dimension not locked, in ladder order: the first one blocks the next level.
    pub blockers: Vec<Blocker>,
}

/// The vulnerability summary the caller computes for the CVE dimension.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum CveInput {
    /// No vulnerability store: the dimension is reported unknown and does not lower the level.
    #[default]
    NotAssessed,
    Assessed {
        /// Open findings without any advisory explanation (`CVE-… on pkg`).
        #[serde(default)]
        unexplained: Vec<String>,
        /// Open vendor-owned findings past their SLA window.
        #[serde(default)]
        past_sla: Vec<String>,
        /// Stream past EOL + grace, or a build older than the rebuild horizon.
        #[serde(default)]
        eol_or_stale: Vec<String>,
    },
}
