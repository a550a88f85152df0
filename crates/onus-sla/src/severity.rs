//! The severity buckets the SLA distinguishes: the shared severity with negligible folded into
//! low (`From<onus_inventory::vocab::Severity>`).

use serde::{Deserialize, Serialize};

/// SLA severity: Critical gets 7 days, the others 14 by default; Unknown is flagged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Critical,
    High,
    Medium,
    Low,
    Unknown,
}

impl Severity {
    /// Every severity, most severe first.
    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Unknown,
    ];

    /// Parse a label (`CRITICAL`, `high`, `moderate`, `important`, `negligible`, …).
    ///
    /// `important` → high, `moderate` → medium, `negligible`/`none`/`unimportant` → low (the SLA
    /// has no lower bucket); anything else, including an empty label, → unknown.
    pub fn from_label(label: &str) -> Severity {
        match label.trim().to_ascii_lowercase().as_str() {
            "critical" => Severity::Critical,
            "high" | "important" => Severity::High,
            "medium" | "moderate" => Severity::Medium,
            "low" | "negligible" | "none" | "unimportant" => Severity::Low,
            _ => Severity::Unknown,
        }
    }

    /// The lowercase label.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
            Severity::Unknown => "unknown",
        }
    }
}

/// The SLA bucket of a finding's severity: negligible counts as low (the SLA has no lower
/// bucket).
impl From<onus_inventory::vocab::Severity> for Severity {
    fn from(severity: onus_inventory::vocab::Severity) -> Severity {
        use onus_inventory::vocab::Severity as Finding;
        match severity {
            Finding::Critical => Severity::Critical,
            Finding::High => Severity::High,
            Finding::Medium => Severity::Medium,
            Finding::Low | Finding::Negligible => Severity::Low,
            Finding::Unknown => Severity::Unknown,
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels() {
        assert_eq!(Severity::from_label("CRITICAL"), Severity::Critical);
        assert_eq!(Severity::from_label(" important "), Severity::High);
        assert_eq!(Severity::from_label("Moderate"), Severity::Medium);
        assert_eq!(Severity::from_label("negligible"), Severity::Low);
        assert_eq!(Severity::from_label(""), Severity::Unknown);
        assert_eq!(Severity::from_label("bogus"), Severity::Unknown);
        for s in Severity::ALL {
            assert_eq!(Severity::from_label(s.as_str()), s);
        }
    }
}
