//! Whose move now (model.md §2.5): the owner of a finding's layer says who is responsible in
//! general; the move says who must act next on this image as it is today. Rules R-MOVE-1…7 are
//! evaluated in order, except that a closed finding (R-MOVE-7) needs no move whatever its layer.

use onus_inventory::vocab::{AdvisoryStatus, EolState, Party, Tier};
use onus_vuln::Finding;
use serde::{Deserialize, Serialize};

use crate::party::is_open;
use crate::types::ImageKind;

/// The rule that decided a move (model.md §2.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum MoveRule {
    /// The component is the customer's own content.
    #[serde(rename = "R-MOVE-1")]
    CustomerContent,
    /// The owner shipped a fix in a newer build: the customer updates.
    #[serde(rename = "R-MOVE-2")]
    FixShipped,
    /// The stream is past its EOL grace, or no fix is planned: the customer upgrades.
    #[serde(rename = "R-MOVE-3")]
    Unsupported,
    /// Pending an upstream fix.
    #[serde(rename = "R-MOVE-4")]
    PendingUpstream,
    /// The application itself, with no upstream fix in any feed.
    #[serde(rename = "R-MOVE-5")]
    AppWithoutFix,
    /// Any other open finding on a vendor-owned layer.
    #[serde(rename = "R-MOVE-6")]
    VendorOpen,
    /// Not affected, fixed at the installed version, or suppressed: nobody needs to act.
    #[serde(rename = "R-MOVE-7")]
    Closed,
}

impl MoveRule {
    /// The rule id (`R-MOVE-2`).
    pub fn id(self) -> &'static str {
        match self {
            MoveRule::CustomerContent => "R-MOVE-1",
            MoveRule::FixShipped => "R-MOVE-2",
            MoveRule::Unsupported => "R-MOVE-3",
            MoveRule::PendingUpstream => "R-MOVE-4",
            MoveRule::AppWithoutFix => "R-MOVE-5",
            MoveRule::VendorOpen => "R-MOVE-6",
            MoveRule::Closed => "R-MOVE-7",
        }
    }

    /// The responsibility rules the move rests on (model.md §1, §2.5).
    pub fn cites(self) -> &'static [&'static str] {
        match self {
            MoveRule::CustomerContent => &["R-PAT-7"],
            MoveRule::FixShipped => &["R-REL-4", "R-PAT-7"],
            MoveRule::Unsupported => &["R-REL-4", "R-REL-5"],
            MoveRule::PendingUpstream => &["R-PAT-2", "R-PAT-5"],
            MoveRule::AppWithoutFix => &["R-PAT-2"],
            MoveRule::VendorOpen => &["R-PAT-3", "R-PAT-4"],
            MoveRule::Closed => &["§4.3"],
        }
    }
}

impl std::fmt::Display for MoveRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

/// What kind of action the move is; the summary groups the customer's moves by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MoveKind {
    /// Fix your own content (R-MOVE-1).
    FixOwnContent,
    /// Update to a newer build: pull the newer digest, rebuild on the newer base (R-MOVE-2).
    Update,
    /// Move to a supported version (R-MOVE-3).
    Upgrade,
    /// Upstream must release a fix (R-MOVE-4, R-MOVE-5).
    UpstreamFix,
    /// The vendor must triage, fix or ship a fix (R-MOVE-6).
    VendorFix,
    /// Nothing to do (R-MOVE-7).
    None,
}

impl MoveKind {
    /// The kebab-case name, as serialized.
    pub fn as_str(self) -> &'static str {
        match self {
            MoveKind::FixOwnContent => "fix-own-content",
            MoveKind::Update => "update",
            MoveKind::Upgrade => "upgrade",
            MoveKind::UpstreamFix => "upstream-fix",
            MoveKind::VendorFix => "vendor-fix",
            MoveKind::None => "none",
        }
    }
}

/// The EOL state of the release stream a component belongs to (from the EOL stage).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamStatus {
    /// endoflife.date product (`openssl`, `eclipse-temurin`).
    pub product: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cycle: Option<String>,
    pub state: EolState,
    /// The newest supported cycle to move to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supported_cycle: Option<String>,
}

/// Everything one move decision reads.
#[derive(Debug, Clone, Copy)]
pub struct MoveInput<'a> {
    pub finding: &'a Finding,
    /// The tier of the finding's component.
    pub tier: Tier,
    pub kind: ImageKind,
    /// The component's release stream, when EOL data covers it.
    pub stream: Option<&'a StreamStatus>,
    /// The tag the image was pinned from now points at this newer build.
    pub newer_build: Option<&'a onus_inventory::NewerBuild>,
}

/// Who must act next on one finding, why, and what they should do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Move {
    /// `None` when nobody must act (R-MOVE-7).
    pub party: Option<Party>,
    pub rule: MoveRule,
    #[serde(rename = "move")]
    pub kind: MoveKind,
    /// One line for a person: what to do.
    pub action: String,
    /// The version that fixes it (R-MOVE-2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed_in: Option<String>,
    /// When the owner shipped that fix (the advisory's `fixed` event), where the data says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed_since: Option<String>,
}

/// The fix the owner already shipped for an open finding, if any: the vendor advisory's `fixed`
/// version for the finding's package (or the distro package that owns it), or the version a
/// distro feed (secdb, Debian tracker) names for a distro package. An upstream (OSV) fix on a
/// language component is not one: the vendor has yet to ship it.
pub fn shipped_fix(finding: &Finding) -> Option<ShippedFix<'_>> {
    if finding.status != AdvisoryStatus::Affected {
        return None;
    }
    if let Some(advisory) = &finding.advisory {
        if let Some(version) = &advisory.fixed_version {
            let package = if advisory.package.is_empty() {
                finding.package.as_str()
            } else {
                advisory.package.as_str()
            };
            return Some(ShippedFix {
                package,
                version,
                since: Some(advisory.current_event_time.as_str()),
            });
        }
    }
    let distro = ["pkg:apk/", "pkg:deb/", "pkg:rpm/"]
        .iter()
        .any(|p| finding.purl.starts_with(p));
    match (&finding.fixed_version, distro) {
        (Some(version), true) => Some(ShippedFix {
            package: finding.package.as_str(),
            version,
            since: None,
        }),
        _ => None,
    }
}

/// A fix the owner shipped: which package, which version, since when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShippedFix<'a> {
    pub package: &'a str,
    pub version: &'a str,
    /// RFC 3339 time of the `fixed` event, when the advisory gives one.
    pub since: Option<&'a str>,
}

/// Decide the move for one finding (model.md §2.5).
pub fn decide(input: &MoveInput<'_>) -> Move {
    let f = input.finding;
    let mv = |party, rule, kind, action: String| Move {
        party,
        rule,
        kind,
        action,
        fixed_in: None,
        fixed_since: None,
    };
    if !is_open(f) {
        let why = match (&f.suppressed, f.status) {
            (Some(reason), _) => reason.clone(),
            (None, AdvisoryStatus::Fixed) => format!(
                "fixed at the installed version ({})",
                f.fixed_version.as_deref().unwrap_or("version unknown")
            ),
            (None, _) => match &f.justification {
                Some(j) => format!("not affected: {j}"),
                None => "not affected".to_string(),
            },
        };
        return mv(
            None,
            MoveRule::Closed,
            MoveKind::None,
            format!("nothing to do: {why}"),
        );
    }
    if input.tier == Tier::Custom {
        let action = match &f.fixed_version {
            Some(v) => format!("fix your own content: update {} to {v}", f.package),
            None => format!(
                "fix your own content: no fixed version of {} is known yet",
                f.package
            ),
        };
        return mv(
            Some(Party::Customer),
            MoveRule::CustomerContent,
            MoveKind::FixOwnContent,
            action,
        );
    }
    if let Some(fix) = shipped_fix(f) {
        let since = fix
            .since
            .map(|t| format!(" since {}", t.get(..10).unwrap_or(t)))
            .unwrap_or_default();
        let mut m = mv(
            Some(Party::Customer),
            MoveRule::FixShipped,
            MoveKind::Update,
            format!(
                "update to a newer build: {} {} is published{since}",
                fix.package, fix.version
            ),
        );
        if let Some(newer) = input.newer_build {
            let short = newer.digest.get(..19).unwrap_or(&newer.digest);
            let created = newer
                .created
                .as_deref()
                .map(|c| format!(", created {}", c.get(..10).unwrap_or(c)))
                .unwrap_or_default();
            m.action.push_str(&format!(
                "; a newer build of this tag exists: {} is {short}…{created}",
                newer.reference
            ));
        }
        m.fixed_in = Some(fix.version.to_string());
        m.fixed_since = fix.since.map(str::to_string);
        return m;
    }
    let past_grace = input.stream.filter(|s| s.state == EolState::Eol);
    if past_grace.is_some() || f.status == AdvisoryStatus::FixNotPlanned {
        let action = match past_grace {
            Some(s) => {
                let stream = match &s.cycle {
                    Some(c) => format!("{} {c}", s.product),
                    None => s.product.clone(),
                };
                match &s.supported_cycle {
                    Some(to) => format!(
                        "move to a supported version: {stream} is past its end-of-life grace; {} {to} is supported",
                        s.product
                    ),
                    None => format!(
                        "move to a supported version: {stream} is past its end-of-life grace"
                    ),
                }
            }
            None => format!(
                "move to a supported version: the vendor plans no fix for {} {}",
                f.package, f.version
            ),
        };
        return mv(
            Some(Party::Customer),
            MoveRule::Unsupported,
            MoveKind::Upgrade,
            action,
        );
    }
    if f.status == AdvisoryStatus::PendingUpstreamFix {
        let note = f
            .advisory
            .as_ref()
            .and_then(|a| a.note.as_deref())
            .map(|n| format!(": {n}"))
            .unwrap_or_default();
        return mv(
            Some(Party::Upstream),
            MoveRule::PendingUpstream,
            MoveKind::UpstreamFix,
            format!("upstream must release a fix (pending upstream fix){note}"),
        );
    }
    if input.tier == Tier::App && input.kind == ImageKind::Application && f.fixed_version.is_none()
    {
        return mv(
            Some(Party::Upstream),
            MoveRule::AppWithoutFix,
            MoveKind::UpstreamFix,
            format!(
                "upstream must release a fix: no feed names a fixed version of {}",
                f.package
            ),
        );
    }
    let action = match (&f.fixed_version, f.status, &f.advisory) {
        (Some(v), _, _) => format!("the vendor must ship the upstream fix: {} {v}", f.package),
        (None, AdvisoryStatus::UnderInvestigation, _) => {
            "the vendor is triaging it (detection)".to_string()
        }
        (None, _, None) => "the vendor must triage and fix it (no advisory yet)".to_string(),
        (None, _, Some(a)) => format!("the vendor must fix it ({} {})", a.id, f.status),
    };
    mv(
        Some(Party::Vendor),
        MoveRule::VendorOpen,
        MoveKind::VendorFix,
        action,
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use onus_vuln::{AdvisoryRef, Severity};

    fn finding(status: AdvisoryStatus, fixed: Option<&str>) -> Finding {
        Finding {
            id: "CVE-2024-0001".into(),
            aliases: vec![],
            purl: "pkg:apk/wolfi/openssl@3.1.0-r0".into(),
            package: "openssl".into(),
            version: "3.1.0-r0".into(),
            severity: Severity::High,
            severity_source: None,
            status,
            fixed_version: fixed.map(str::to_string),
            justification: None,
            advisory: None,
            sources: vec![],
            known_exploited: false,
            suppressed: None,
        }
    }

    fn advisory(event: &str, fixed: Option<&str>) -> AdvisoryRef {
        AdvisoryRef {
            id: "CGA-aaaa-bbbb-cccc".into(),
            package: "openssl".into(),
            current_event: event.into(),
            current_event_time: "2024-06-28T16:12:19Z".into(),
            fixed_version: fixed.map(str::to_string),
            first_detection: Some("2024-06-28T16:10:54Z".into()),
            note: None,
        }
    }

    fn decide_for(f: &Finding, tier: Tier, stream: Option<&StreamStatus>) -> Move {
        decide(&MoveInput {
            finding: f,
            tier,
            kind: ImageKind::Application,
            stream,
            newer_build: None,
        })
    }

    fn eol(state: EolState) -> StreamStatus {
        StreamStatus {
            product: "openssl".into(),
            cycle: Some("3.1".into()),
            state,
            supported_cycle: Some("3.5".into()),
        }
    }

    #[test]
    fn rules_in_order() {
        // R-MOVE-1 before everything else that is open.
        let mut f = finding(AdvisoryStatus::PendingUpstreamFix, None);
        assert_eq!(
            decide_for(&f, Tier::Custom, None).rule,
            MoveRule::CustomerContent
        );
        // R-MOVE-2: a vendor fix above the installed version, with its time.
        f = finding(AdvisoryStatus::Affected, Some("3.3.1-r3"));
        f.advisory = Some(advisory("fixed", Some("3.3.1-r3")));
        let m = decide_for(&f, Tier::System, Some(&eol(EolState::Eol)));
        assert_eq!(
            (m.party, m.rule, m.kind),
            (
                Some(Party::Customer),
                MoveRule::FixShipped,
                MoveKind::Update
            )
        );
        assert_eq!(m.fixed_in.as_deref(), Some("3.3.1-r3"));
        assert_eq!(m.fixed_since.as_deref(), Some("2024-06-28T16:12:19Z"));
        // A distro feed's fixed version (secdb, Debian) is a shipped fix too, time unknown.
        f.advisory = None;
        let m = decide_for(&f, Tier::System, None);
        assert_eq!((m.rule, m.fixed_since), (MoveRule::FixShipped, None));
        // An OSV fix on a language component is upstream's, not shipped by the vendor.
        f.purl = "pkg:pypi/requests@2.19.1".into();
        let m = decide_for(&f, Tier::LangLib, None);
        assert_eq!(
            (m.party, m.rule),
            (Some(Party::Vendor), MoveRule::VendorOpen)
        );
        // R-MOVE-3: past grace, or no fix planned; in grace is not enough.
        f = finding(AdvisoryStatus::PendingUpstreamFix, None);
        let m = decide_for(&f, Tier::System, Some(&eol(EolState::Eol)));
        assert_eq!(
            (m.party, m.rule),
            (Some(Party::Customer), MoveRule::Unsupported)
        );
        assert!(
            m.action.contains("openssl 3.5 is supported"),
            "{}",
            m.action
        );
        let m = decide_for(&f, Tier::System, Some(&eol(EolState::InGrace)));
        assert_eq!(
            (m.party, m.rule),
            (Some(Party::Upstream), MoveRule::PendingUpstream)
        );
        let f = finding(AdvisoryStatus::FixNotPlanned, None);
        assert_eq!(
            decide_for(&f, Tier::System, None).rule,
            MoveRule::Unsupported
        );
        // R-MOVE-4 on any tier.
        let f = finding(AdvisoryStatus::PendingUpstreamFix, None);
        for tier in [Tier::System, Tier::Toolchain, Tier::LangLib, Tier::App] {
            assert_eq!(decide_for(&f, tier, None).party, Some(Party::Upstream));
        }
        // R-MOVE-5: the app with no fix anywhere; R-MOVE-6 once upstream has one.
        let f = finding(AdvisoryStatus::Affected, None);
        assert_eq!(
            decide_for(&f, Tier::App, None).rule,
            MoveRule::AppWithoutFix
        );
        assert_eq!(
            decide_for(&f, Tier::System, None).rule,
            MoveRule::VendorOpen
        );
        let mut f = finding(AdvisoryStatus::Affected, Some("1.2.3"));
        f.purl = "pkg:golang/example.com/app@1.2.0".into();
        assert_eq!(decide_for(&f, Tier::App, None).rule, MoveRule::VendorOpen);
        // R-MOVE-7: closed findings need nobody, even in the customer's layers.
        let mut f = finding(AdvisoryStatus::NotAffected, None);
        f.suppressed = Some("vendor advisory: not affected".into());
        let m = decide_for(&f, Tier::Custom, None);
        assert_eq!((m.party, m.rule), (None, MoveRule::Closed));
    }

    #[test]
    fn serialised_names() {
        let f = finding(AdvisoryStatus::Affected, None);
        let v = serde_json::to_value(decide_for(&f, Tier::System, None)).unwrap();
        assert_eq!(v["party"], "vendor");
        assert_eq!(v["rule"], "R-MOVE-6");
        assert_eq!(v["move"], "vendor-fix");
        for rule in [
            MoveRule::CustomerContent,
            MoveRule::FixShipped,
            MoveRule::Unsupported,
            MoveRule::PendingUpstream,
            MoveRule::AppWithoutFix,
            MoveRule::VendorOpen,
            MoveRule::Closed,
        ] {
            assert_eq!(serde_json::to_value(rule).unwrap(), rule.id());
        }
        for kind in [
            MoveKind::FixOwnContent,
            MoveKind::Update,
            MoveKind::Upgrade,
            MoveKind::UpstreamFix,
            MoveKind::VendorFix,
            MoveKind::None,
        ] {
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
        }
    }

    #[test]
    fn an_update_names_the_newer_build_of_the_pinned_tag() {
        let mut f = finding(AdvisoryStatus::Affected, Some("3.3.1-r3"));
        f.advisory = Some(advisory("fixed", Some("3.3.1-r3")));
        let newer = onus_inventory::NewerBuild {
            reference: "cgr.dev/chainguard/python:latest".into(),
            digest: format!("sha256:{}", "c".repeat(64)),
            created: Some("2026-11-20T03:04:05Z".into()),
        };
        let m = decide(&MoveInput {
            finding: &f,
            tier: Tier::System,
            kind: ImageKind::Application,
            stream: None,
            newer_build: Some(&newer),
        });
        assert_eq!(m.rule, MoveRule::FixShipped);
        assert!(
            m.action.ends_with(
                "a newer build of this tag exists: cgr.dev/chainguard/python:latest is sha256:cccccccccccc…, created 2026-11-20"
            ),
            "{}",
            m.action
        );
    }
}
