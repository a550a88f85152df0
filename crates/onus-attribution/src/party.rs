//! Party and rule from the tier and, for findings, the advisory state (model.md §2.2, §2.4).

use onus_vuln::{AdvisoryStatus, Finding};

use crate::types::{Party, Tier};

/// The party and rule for a component without a finding (LangLib → vendor: a non-breaking
/// bump is presumed until an advisory says otherwise).
pub(crate) fn for_component(tier: Tier) -> (Party, &'static str, &'static str) {
    match tier {
        Tier::Custom => (Party::Customer, "R-PAT-7", "customer patches what it adds"),
        Tier::System | Tier::Toolchain => (
            Party::Vendor,
            "R-PAT-4",
            "vendor owns toolchain and system CVEs",
        ),
        Tier::App => (
            Party::Upstream,
            "R-PAT-2",
            "upstream patches the app; vendor ships its release",
        ),
        Tier::LangLib => (
            Party::Vendor,
            "R-PAT-4",
            "vendor bumps app libraries where non-breaking",
        ),
    }
}

/// The party and rule for a finding on a component of `tier`.
pub(crate) fn for_finding(tier: Tier, finding: &Finding) -> (Party, &'static str, &'static str) {
    match (tier, finding.status) {
        (Tier::LangLib, AdvisoryStatus::PendingUpstreamFix) => (
            Party::Upstream,
            "R-PAT-5",
            "bump breaks the app: pending upstream fix, no SLA clock",
        ),
        (Tier::LangLib, _) => (
            Party::Vendor,
            "R-PAT-4",
            "non-breaking library bump by the vendor",
        ),
        _ => for_component(tier),
    }
}

/// `advisory pending-upstream-fix (CGA-…)` or `no advisory`.
pub(crate) fn advisory_text(f: &Finding) -> String {
    let status = f.status.as_str();
    match &f.advisory {
        Some(a) => format!("advisory {status} ({})", a.id),
        None if f.status == AdvisoryStatus::Affected => "no advisory (affected)".to_string(),
        None => format!("status {status}"),
    }
}

/// True for a finding that still needs someone to act (not fixed, not suppressed).
pub(crate) fn is_open(f: &Finding) -> bool {
    f.suppressed.is_none()
        && !matches!(
            f.status,
            AdvisoryStatus::Fixed | AdvisoryStatus::NotAffected
        )
}
