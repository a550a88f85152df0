//! Attribution result types.

use serde::{Deserialize, Serialize};

pub use onus_inventory::vocab::{Party, Tier};

/// Tier, party, the rule that decided it and one line of evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attribution {
    pub tier: Tier,
    pub party: Party,
    /// Rule id from model.md (`R-PAT-4`, `R-PAT-7`, `R-REL-4`, …).
    pub rule: String,
    /// One line of evidence: layer, owning package, advisory state.
    pub reason: String,
}

/// Application or base image (model.md §2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ImageKind {
    Application,
    Base,
}

/// The kind and why it was chosen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KindDecision {
    pub value: ImageKind,
    pub reason: String,
}

/// How the base boundary was found, strongest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BaseSource {
    BaseImage,
    BaseSbom,
    Annotation,
    BaseLayersOption,
    VendorSbom,
    History,
    Unknown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    Low,
    Medium,
    High,
}

impl Confidence {
    /// The name, as serialised.
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }
}

impl BaseSource {
    /// The name, as serialised.
    pub fn as_str(self) -> &'static str {
        match self {
            BaseSource::BaseImage => "base-image",
            BaseSource::BaseSbom => "base-sbom",
            BaseSource::Annotation => "annotation",
            BaseSource::BaseLayersOption => "base-layers-option",
            BaseSource::VendorSbom => "vendor-sbom",
            BaseSource::History => "history",
            BaseSource::Unknown => "unknown",
        }
    }
}

/// Which layers came from the vendor's base image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaseBoundary {
    /// Number of bottom layers that belong to the base; `None` when unknown.
    pub layers: Option<usize>,
    pub source: BaseSource,
    pub confidence: Confidence,
    /// What the decision rests on (a digest, a label, an option).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
}
