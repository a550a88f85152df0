//! Counts of open findings and of components per party, per tier and per tier × party.

use std::collections::BTreeMap;

use onus_vuln::{Finding, Severity};
use serde::{Deserialize, Serialize};

use crate::party::is_open;
use crate::types::{Attribution, Party, Tier};

/// Open findings by severity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeverityCounts {
    pub critical: usize,
    pub high: usize,
    pub medium: usize,
    pub low: usize,
    pub negligible: usize,
    pub unknown: usize,
    pub total: usize,
}

impl SeverityCounts {
    pub fn add(&mut self, severity: Severity) {
        match severity {
            Severity::Critical => self.critical += 1,
            Severity::High => self.high += 1,
            Severity::Medium => self.medium += 1,
            Severity::Low => self.low += 1,
            Severity::Negligible => self.negligible += 1,
            Severity::Unknown => self.unknown += 1,
        }
        self.total += 1;
    }
}

/// Who has to act on how much. Finding counts include only open findings (not fixed, not
/// suppressed); component counts include every component.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub by_party: BTreeMap<Party, SeverityCounts>,
    pub by_tier: BTreeMap<Tier, SeverityCounts>,
    /// Tier × party.
    pub matrix: BTreeMap<Tier, BTreeMap<Party, SeverityCounts>>,
    pub components_by_party: BTreeMap<Party, usize>,
    pub components_by_tier: BTreeMap<Tier, usize>,
}

pub(crate) fn build<'a>(
    components: impl Iterator<Item = &'a Attribution>,
    findings: &[Finding],
    finding_attr: impl Iterator<Item = &'a Attribution>,
) -> Summary {
    let mut s = Summary::default();
    for a in components {
        *s.components_by_party.entry(a.party).or_default() += 1;
        *s.components_by_tier.entry(a.tier).or_default() += 1;
    }
    for (f, a) in findings.iter().zip(finding_attr) {
        if !is_open(f) {
            continue;
        }
        s.by_party.entry(a.party).or_default().add(f.severity);
        s.by_tier.entry(a.tier).or_default().add(f.severity);
        s.matrix
            .entry(a.tier)
            .or_default()
            .entry(a.party)
            .or_default()
            .add(f.severity);
    }
    s
}
