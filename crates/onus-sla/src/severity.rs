//! The severity buckets the SLA distinguishes (its own enum: onus-sla does not depend on onus-vuln).

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
