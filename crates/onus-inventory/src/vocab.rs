//! The small vocabulary every stage shares: severity, advisory status, party, tier and the
//! end-of-life state of a release stream. One definition each, so no crate recovers an enum
//! from text (model.md §1, §2, §4, §6).

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

    /// The lowercase name, as serialised.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Unknown => "unknown",
            Severity::Negligible => "negligible",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The vendor's (or feed's) state for a vulnerability on a package (model.md §4.1, §4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AdvisoryStatus {
    /// Vulnerable and no advisory explains it (or the advisory says true-positive).
    Affected,
    /// Fixed at the fixed version.
    Fixed,
    /// False positive / not affected.
    NotAffected,
    PendingUpstreamFix,
    FixNotPlanned,
    /// `detection`: the vendor is triaging.
    UnderInvestigation,
    AnalysisNotPlanned,
}

impl AdvisoryStatus {
    /// Every status, in declaration order.
    pub const ALL: [AdvisoryStatus; 7] = [
        AdvisoryStatus::Affected,
        AdvisoryStatus::Fixed,
        AdvisoryStatus::NotAffected,
        AdvisoryStatus::PendingUpstreamFix,
        AdvisoryStatus::FixNotPlanned,
        AdvisoryStatus::UnderInvestigation,
        AdvisoryStatus::AnalysisNotPlanned,
    ];

    /// The kebab-case name, as serialised.
    pub fn as_str(self) -> &'static str {
        match self {
            AdvisoryStatus::Affected => "affected",
            AdvisoryStatus::Fixed => "fixed",
            AdvisoryStatus::NotAffected => "not-affected",
            AdvisoryStatus::PendingUpstreamFix => "pending-upstream-fix",
            AdvisoryStatus::FixNotPlanned => "fix-not-planned",
            AdvisoryStatus::UnderInvestigation => "under-investigation",
            AdvisoryStatus::AnalysisNotPlanned => "analysis-not-planned",
        }
    }

    /// Parse the kebab-case name; `None` when unknown.
    pub fn from_kebab(s: &str) -> Option<AdvisoryStatus> {
        AdvisoryStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == s.trim())
    }
}

impl std::fmt::Display for AdvisoryStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A layer of the model's pyramids (model.md §2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Tier {
    System,
    Toolchain,
    LangLib,
    App,
    Custom,
}

impl Tier {
    pub const ALL: [Tier; 5] = [
        Tier::System,
        Tier::Toolchain,
        Tier::LangLib,
        Tier::App,
        Tier::Custom,
    ];

    /// The tier named as [`Tier::as_str`] writes it (stored rows read back).
    pub fn parse(name: &str) -> Option<Tier> {
        Tier::ALL.into_iter().find(|t| t.as_str() == name)
    }

    /// The name, as serialised.
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::System => "System",
            Tier::Toolchain => "Toolchain",
            Tier::LangLib => "LangLib",
            Tier::App => "App",
            Tier::Custom => "Custom",
        }
    }
}

impl std::fmt::Display for Tier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who owns a layer or must act (model.md §1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Party {
    Customer,
    Vendor,
    Upstream,
}

impl Party {
    pub const ALL: [Party; 3] = [Party::Customer, Party::Vendor, Party::Upstream];

    /// The party named as [`Party::as_str`] writes it (stored rows read back).
    pub fn parse(name: &str) -> Option<Party> {
        Party::ALL.into_iter().find(|p| p.as_str() == name)
    }

    /// The lowercase name, as serialised.
    pub fn as_str(self) -> &'static str {
        match self {
            Party::Customer => "customer",
            Party::Vendor => "vendor",
            Party::Upstream => "upstream",
        }
    }
}

impl std::fmt::Display for Party {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a release stream stands at `now` (model.md §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EolState {
    /// Not EOL, and EOL (if announced) is more than 90 days away.
    Supported,
    /// EOL within 90 days.
    EolSoon,
    /// Past EOL but before EOL + 6 months (the vendor's grace period).
    InGrace,
    /// Past the grace period, or EOL with no date.
    Eol,
    /// No cycle matched, or the cycle has no EOL information.
    Unknown,
}

impl EolState {
    /// The kebab-case name, as serialised.
    pub fn as_str(self) -> &'static str {
        match self {
            EolState::Supported => "supported",
            EolState::EolSoon => "eol-soon",
            EolState::InGrace => "in-grace",
            EolState::Eol => "eol",
            EolState::Unknown => "unknown",
        }
    }

    /// In grace or past it: the stream is not guarded and carries no vendor SLA (§5.6, §6).
    pub fn is_unguarded(self) -> bool {
        matches!(self, EolState::InGrace | EolState::Eol)
    }
}

impl std::fmt::Display for EolState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_serde() {
        for s in AdvisoryStatus::ALL {
            assert_eq!(
                serde_json::to_value(s).ok(),
                Some(serde_json::Value::from(s.as_str()))
            );
            assert_eq!(AdvisoryStatus::from_kebab(s.as_str()), Some(s));
        }
        for p in [Party::Customer, Party::Vendor, Party::Upstream] {
            assert_eq!(
                serde_json::to_value(p).ok(),
                Some(serde_json::Value::from(p.as_str()))
            );
        }
        for t in [
            Tier::System,
            Tier::Toolchain,
            Tier::LangLib,
            Tier::App,
            Tier::Custom,
        ] {
            assert_eq!(
                serde_json::to_value(t).ok(),
                Some(serde_json::Value::from(t.as_str()))
            );
        }
        for s in [
            EolState::Supported,
            EolState::EolSoon,
            EolState::InGrace,
            EolState::Eol,
            EolState::Unknown,
        ] {
            assert_eq!(
                serde_json::to_value(s).ok(),
                Some(serde_json::Value::from(s.as_str()))
            );
        }
        assert_eq!(
            Severity::parse_label(Severity::High.as_str()),
            Severity::High
        );
    }
}
