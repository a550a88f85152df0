//! The scan report (`onus.report/v2`): the SBOM, attribution, findings with their owner and
//! move, CHP, EOL and SLA in one deterministic, versioned document that every renderer reads.
//!
//! v2 changed the meaning of a finding's `party` and `rule`: they are the move (who must act
//! next, R-MOVE-n, model.md §2.5); the pyramid's party is `owner` (with `owner_rule`).

use std::cmp::Reverse;
use std::collections::BTreeMap;

use onus_attribution::{
    Attribution, BaseBoundary, KindDecision, Move, MoveKind, Party, StreamStatus, Tier,
};
use onus_chp::Chp;
use onus_eol::EolEntry;
use onus_inventory::{Component, ImageInfo, Sbom, SourceInfo, Unknown, SBOM_SCHEMA};
use onus_sla::SlaClock;
use onus_vuln::{AdvisoryStatus, Finding, Severity};
use serde::{Deserialize, Serialize};

/// The schema identifier written into every report.
pub const REPORT_SCHEMA: &str = "onus.report/v2";

/// One scanned image: what is inside, what is vulnerable and whose move each fix is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Always [`REPORT_SCHEMA`].
    pub schema: String,
    pub source: SourceInfo,
    pub image: ReportImage,
    /// Sorted like [`Sbom::normalize`].
    pub components: Vec<ReportComponent>,
    #[serde(default)]
    pub unknowns: Vec<Unknown>,
    /// Sorted by severity (most severe first), then id, purl, package and version.
    pub findings: Vec<ReportFinding>,
    /// The CHP result (`None` for an SBOM-only scan).
    #[serde(default)]
    pub chp: Option<Chp>,
    /// EOL results, sorted by the EOL engine.
    #[serde(default)]
    pub eol: Vec<EolEntry>,
    /// Counts of open findings; recomputed by [`Report::new`].
    pub summary: Summary,
}

/// Image metadata plus the image kind and the base boundary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportImage {
    #[serde(flatten)]
    pub info: ImageInfo,
    /// `None` when the kind could not be decided.
    #[serde(default)]
    pub kind: Option<KindDecision>,
    #[serde(default)]
    pub base: Option<BaseBoundary>,
}

/// A component with its tier, party, rule and reason (absent when not attributed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportComponent {
    #[serde(flatten)]
    pub component: Component,
    #[serde(flatten, default)]
    pub attribution: Option<Attribution>,
}

/// A finding with its tier and owner (the pyramid, §2.2), its move (who acts next, §2.5), the
/// EOL state of its stream and the vendor's SLA clock.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportFinding {
    #[serde(flatten)]
    pub finding: Finding,
    pub tier: Tier,
    /// The party that owns the component's layer.
    pub owner: Party,
    /// The rule that made it the owner (`R-PAT-4`, `R-PAT-5`, …).
    pub owner_rule: String,
    /// One line of evidence for the owner: layer, owning package, advisory state.
    pub reason: String,
    /// `party`, `rule`, `move`, `action`, `fixed_in`, `fixed_since`.
    #[serde(flatten)]
    pub next: Move,
    /// The component's release stream, when EOL data covers it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<StreamStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sla: Option<SlaClock>,
}

/// Input for one finding of [`Report::new`].
#[derive(Debug, Clone, PartialEq)]
pub struct AttributedFinding {
    pub finding: Finding,
    /// Tier and owner of the finding's component.
    pub attribution: Attribution,
    pub next: Move,
    pub stream: Option<StreamStatus>,
    pub sla: Option<SlaClock>,
}

impl ReportFinding {
    /// Open = not suppressed, not fixed at the installed version and not `not-affected`.
    pub fn is_open(&self) -> bool {
        is_open(&self.finding)
    }
}

/// Whether a finding still needs a move (see [`ReportFinding::is_open`]).
pub fn is_open(finding: &Finding) -> bool {
    finding.suppressed.is_none()
        && !matches!(
            finding.status,
            AdvisoryStatus::Fixed | AdvisoryStatus::NotAffected
        )
}

/// Open findings counted by severity.
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
        *self.slot(severity) += 1;
        self.total += 1;
    }

    /// Count `n` findings of one severity.
    pub fn add_many(&mut self, severity: Severity, n: usize) {
        *self.slot(severity) += n;
        self.total += n;
    }

    pub fn get(&self, severity: Severity) -> usize {
        match severity {
            Severity::Critical => self.critical,
            Severity::High => self.high,
            Severity::Medium => self.medium,
            Severity::Low => self.low,
            Severity::Negligible => self.negligible,
            Severity::Unknown => self.unknown,
        }
    }

    fn slot(&mut self, severity: Severity) -> &mut usize {
        match severity {
            Severity::Critical => &mut self.critical,
            Severity::High => &mut self.high,
            Severity::Medium => &mut self.medium,
            Severity::Low => &mut self.low,
            Severity::Negligible => &mut self.negligible,
            Severity::Unknown => &mut self.unknown,
        }
    }
}

/// Counts of open findings by move party and kind, by owner, by tier and by tier × owner.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Open findings.
    pub open: usize,
    /// Findings that need no move: fixed at the installed version, not affected, suppressed.
    pub closed: usize,
    pub by_severity: SeverityCounts,
    /// By who must act next (the move).
    pub by_party: BTreeMap<Party, SeverityCounts>,
    /// By kind of move (`update`, `upgrade`, `fix-own-content`, …).
    pub by_move: BTreeMap<MoveKind, SeverityCounts>,
    /// By the owner of the layer (the pyramid).
    pub by_owner: BTreeMap<Party, SeverityCounts>,
    pub by_tier: BTreeMap<Tier, SeverityCounts>,
    /// Tier × owner: the pyramids.
    pub matrix: BTreeMap<Tier, BTreeMap<Party, SeverityCounts>>,
}

impl Summary {
    /// Count the open findings.
    pub fn of(findings: &[ReportFinding]) -> Summary {
        let mut summary = Summary::default();
        for f in findings {
            if !f.is_open() {
                summary.closed += 1;
                continue;
            }
            let (tier, owner, severity) = (f.tier, f.owner, f.finding.severity);
            summary.open += 1;
            summary.by_severity.add(severity);
            if let Some(party) = f.next.party {
                summary.by_party.entry(party).or_default().add(severity);
            }
            summary
                .by_move
                .entry(f.next.kind)
                .or_default()
                .add(severity);
            summary.by_owner.entry(owner).or_default().add(severity);
            summary.by_tier.entry(tier).or_default().add(severity);
            summary
                .matrix
                .entry(tier)
                .or_default()
                .entry(owner)
                .or_default()
                .add(severity);
        }
        summary
    }
}

impl Report {
    /// Assemble a report. `component_attributions` is aligned by index with `sbom.components`
    /// (as given, before any sorting); components without an entry stay unattributed.
    /// Components, unknowns and findings are sorted here, so the output is deterministic.
    pub fn new(
        sbom: Sbom,
        kind: Option<KindDecision>,
        base: Option<BaseBoundary>,
        component_attributions: Vec<Attribution>,
        findings: Vec<AttributedFinding>,
    ) -> Report {
        let Sbom {
            schema: _,
            source,
            image,
            components,
            mut unknowns,
        } = sbom;
        let mut attributions = component_attributions.into_iter();
        let mut components: Vec<ReportComponent> = components
            .into_iter()
            .map(|mut component| {
                component.locations.sort();
                component.locations.dedup();
                component.files.sort();
                component.files.dedup();
                ReportComponent {
                    component,
                    attribution: attributions.next(),
                }
            })
            .collect();
        components.sort_by(|a, b| a.component.sort_key().cmp(&b.component.sort_key()));
        unknowns.sort();
        unknowns.dedup();
        let mut findings: Vec<ReportFinding> = findings
            .into_iter()
            .map(|f| {
                let mut finding = f.finding;
                finding.aliases.sort();
                finding.aliases.dedup();
                finding.sources.sort();
                finding.sources.dedup();
                ReportFinding {
                    finding,
                    tier: f.attribution.tier,
                    owner: f.attribution.party,
                    owner_rule: f.attribution.rule,
                    reason: f.attribution.reason,
                    next: f.next,
                    stream: f.stream,
                    sla: f.sla,
                }
            })
            .collect();
        findings.sort_by(|a, b| finding_order(a).cmp(&finding_order(b)));
        let summary = Summary::of(&findings);
        Report {
            schema: REPORT_SCHEMA.to_string(),
            source,
            image: ReportImage {
                info: image,
                kind,
                base,
            },
            components,
            unknowns,
            findings,
            chp: None,
            eol: Vec::new(),
            summary,
        }
    }

    /// Attach the CHP result.
    pub fn with_chp(mut self, chp: Option<Chp>) -> Report {
        self.chp = chp;
        self
    }

    /// Attach the EOL results (kept in the order given: the EOL engine sorts them).
    pub fn with_eol(mut self, eol: Vec<EolEntry>) -> Report {
        self.eol = eol;
        self
    }

    /// The SBOM part of the report (without attribution).
    pub fn sbom(&self) -> Sbom {
        Sbom {
            schema: SBOM_SCHEMA.to_string(),
            source: self.source.clone(),
            image: self.image.info.clone(),
            components: self
                .components
                .iter()
                .map(|c| c.component.clone())
                .collect(),
            unknowns: self.unknowns.clone(),
        }
    }

    /// Open findings, in report order.
    pub fn open_findings(&self) -> impl Iterator<Item = &ReportFinding> {
        self.findings.iter().filter(|f| f.is_open())
    }
}

type FindingKey<'a> = (Reverse<Severity>, &'a str, &'a str, &'a str, &'a str);

fn finding_order(f: &ReportFinding) -> FindingKey<'_> {
    let g = &f.finding;
    (Reverse(g.severity), &g.id, &g.purl, &g.package, &g.version)
}

/// Exit-code helper: true when any open finding is `party`'s move (when given) and is at least
/// as severe as `severity` (when given). With neither, true when any finding is open.
pub fn fail_on(report: &Report, party: Option<Party>, severity: Option<Severity>) -> bool {
    report.open_findings().any(|f| {
        party.is_none_or(|p| f.next.party == Some(p))
            && severity.is_none_or(|s| f.finding.severity >= s)
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use onus_inventory::Ecosystem;
    use serde_json::Value;

    fn component(name: &str) -> Component {
        Component {
            name: name.to_string(),
            version: "1.0".to_string(),
            ecosystem: Ecosystem::Apk,
            purl: format!("pkg:apk/wolfi/{name}@1.0"),
            layer: Some(0),
            locations: vec!["/lib/apk/db/installed".to_string()],
            owner: None,
            found_by: "apk-db".to_string(),
            origin: None,
            origin_version: None,
            arch: None,
            files: vec![],
            metadata: BTreeMap::new(),
        }
    }

    fn finding(id: &str, package: &str, severity: Severity, status: AdvisoryStatus) -> Finding {
        Finding {
            id: id.to_string(),
            aliases: vec![],
            purl: format!("pkg:apk/wolfi/{package}@1.0"),
            package: package.to_string(),
            version: "1.0".to_string(),
            severity,
            severity_source: None,
            status,
            fixed_version: None,
            justification: None,
            advisory: None,
            sources: vec![],
            known_exploited: false,
            suppressed: None,
        }
    }

    fn attribution(tier: Tier, party: Party) -> Attribution {
        Attribution {
            tier,
            party,
            rule: "R-PAT-4".to_string(),
            reason: "test".to_string(),
        }
    }

    fn attributed(finding: Finding, attribution: Attribution) -> AttributedFinding {
        let next = onus_attribution::moves::decide(&onus_attribution::MoveInput {
            finding: &finding,
            tier: attribution.tier,
            kind: onus_attribution::ImageKind::Base,
            stream: None,
            newer_build: None,
        });
        AttributedFinding {
            finding,
            attribution,
            next,
            stream: None,
            sla: None,
        }
    }

    fn report() -> Report {
        let sbom = Sbom {
            schema: SBOM_SCHEMA.to_string(),
            source: SourceInfo::default(),
            image: ImageInfo::default(),
            components: vec![component("zlib"), component("busybox")],
            unknowns: vec![],
        };
        let findings = vec![
            attributed(
                finding("CVE-1", "zlib", Severity::Medium, AdvisoryStatus::Affected),
                attribution(Tier::System, Party::Vendor),
            ),
            attributed(
                finding(
                    "CVE-2",
                    "busybox",
                    Severity::Critical,
                    AdvisoryStatus::Fixed,
                ),
                attribution(Tier::System, Party::Customer),
            ),
            attributed(
                finding(
                    "CVE-3",
                    "busybox",
                    Severity::High,
                    AdvisoryStatus::PendingUpstreamFix,
                ),
                attribution(Tier::Custom, Party::Customer),
            ),
        ];
        Report::new(
            sbom,
            None,
            None,
            vec![
                attribution(Tier::System, Party::Vendor),
                attribution(Tier::System, Party::Customer),
            ],
            findings,
        )
    }

    #[test]
    fn constructor_sorts_and_keeps_attribution_aligned() {
        let r = report();
        assert_eq!(r.components[0].component.name, "busybox");
        assert_eq!(
            r.components[0].attribution.as_ref().unwrap().party,
            Party::Customer
        );
        assert_eq!(
            r.components[1].attribution.as_ref().unwrap().party,
            Party::Vendor
        );
        let ids: Vec<_> = r.findings.iter().map(|f| f.finding.id.as_str()).collect();
        assert_eq!(ids, ["CVE-2", "CVE-3", "CVE-1"]);
    }

    #[test]
    fn summary_counts_open_findings_only() {
        let s = &report().summary;
        assert_eq!((s.open, s.closed), (2, 1));
        assert_eq!(s.by_party[&Party::Customer].high, 1);
        assert_eq!(s.by_party[&Party::Vendor].medium, 1);
        assert_eq!(s.matrix[&Tier::Custom][&Party::Customer].total, 1);
        assert_eq!(s.by_severity.critical, 0);
    }

    #[test]
    fn fail_on_thresholds() {
        let r = report();
        assert!(fail_on(&r, None, None));
        assert!(fail_on(&r, Some(Party::Customer), None));
        assert!(fail_on(&r, Some(Party::Customer), Some(Severity::High)));
        // The critical customer finding is fixed: it does not count.
        assert!(!fail_on(&r, None, Some(Severity::Critical)));
        assert!(!fail_on(&r, Some(Party::Vendor), Some(Severity::High)));
        assert!(!fail_on(&r, Some(Party::Upstream), None));
    }

    #[test]
    fn json_round_trips() {
        let r = report();
        let text = serde_json::to_string(&r).unwrap();
        let back: Report = serde_json::from_str(&text).unwrap();
        assert_eq!(back, r);
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["schema"], REPORT_SCHEMA);
        assert_eq!(v["findings"][0]["owner"], "customer");
        assert_eq!(v["findings"][0]["party"], Value::Null);
        assert_eq!(v["findings"][0]["rule"], "R-MOVE-7");
        assert_eq!(v["findings"][1]["rule"], "R-MOVE-1");
        assert_eq!(v["findings"][0]["tier"], "System");
        assert_eq!(v["components"][0]["rule"], "R-PAT-4");
    }

    #[test]
    fn missing_component_attribution_is_not_a_panic() {
        let sbom = Sbom {
            schema: SBOM_SCHEMA.to_string(),
            source: SourceInfo::default(),
            image: ImageInfo::default(),
            components: vec![component("a"), component("b")],
            unknowns: vec![],
        };
        let r = Report::new(sbom, None, None, vec![], vec![]);
        assert!(r.components.iter().all(|c| c.attribution.is_none()));
        let back: Report = serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
        assert_eq!(back, r);
    }
}
