//! The scan pipeline the CLI and the service share: inventory → match → EOL → owner → move →
//! SLA clock → CHP → report (model.md §2.5, §3, §5.6, §6). Pure but for reading the image and
//! the store; `now` is injected.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use onus_attribution::{
    AttributionInput, BaseInput, ImageKind, MoveInput, MoveKind, MoveRule, Rules, StreamStatus,
};
use onus_chp::{CveInput, OwnerIndex, RuntimeConfig};
use onus_fs::{FileView, Reporter, SquashedView};
use onus_image::OpenOptions;
use onus_inventory::vocab::{EolState, Party, Tier};
use onus_inventory::Sbom;
use onus_report::{AttributedFinding, Report};
use onus_sla::{FindingClockInput, Policy};
use onus_vuln::{Finding, MatchOptions, Store};

use crate::ScanError;

/// What to scan.
pub enum ScanTarget {
    /// An image source (`oci-dir:…`, `docker-archive:…`, …): inventoried, with its file view.
    Image {
        source: String,
        options: Box<OpenOptions>,
    },
    /// An SBOM read elsewhere: no file view, so no CHP.
    Sbom(Box<Sbom>),
}

/// Everything one scan needs. Configuration (rules, detector lists, EOL mapping, SLA policy) is
/// loaded by the caller, so a service loads it once for every scan.
pub struct ScanRequest<'a> {
    pub target: ScanTarget,
    /// The vulnerability store; `None` inventories and attributes without findings.
    pub store: Option<&'a Store>,
    pub match_options: MatchOptions,
    pub base: BaseInput,
    pub base_layers: Option<usize>,
    pub kind_override: Option<ImageKind>,
    pub rules: &'a Rules,
    pub runtime: Option<&'a RuntimeConfig>,
    pub detectors: &'a onus_chp::Detectors,
    pub eol_mapping: &'a onus_eol::Mapping,
    pub sla_policy: &'a Policy,
    /// The store's endoflife.date data, already parsed (a service parses it once per store);
    /// `None` reads it from `store`.
    pub eol_data: Option<&'a onus_eol::EolData>,
    pub now: DateTime<Utc>,
}

/// Run the whole pipeline on one image or SBOM.
pub fn scan(request: &ScanRequest<'_>, reporter: &dyn Reporter) -> Result<Report, ScanError> {
    let (sbom, view) = match &request.target {
        ScanTarget::Image { source, options } => {
            let scanned = crate::inventory(source, options, reporter)?;
            (scanned.sbom, Some(scanned.view))
        }
        ScanTarget::Sbom(sbom) => (sbom.as_ref().clone(), None),
    };
    assess(sbom, view.as_ref(), request, reporter)
}

/// The pipeline after the inventory: `view` is the image's file view (`None` for an SBOM).
pub fn assess(
    sbom: Sbom,
    view: Option<&SquashedView>,
    request: &ScanRequest<'_>,
    reporter: &dyn Reporter,
) -> Result<Report, ScanError> {
    assess_tracked(sbom, view, request, reporter).map(|assessed| assessed.report)
}

/// A report and what it read from the store.
pub struct Assessed {
    pub report: Report,
    /// The store keys the match read (`onus_vuln::lookup_key`), the EOL data included when the
    /// store has it: the report can only change when the rows under one of these change.
    pub lookups: BTreeSet<String>,
}

/// [`assess`], also returning the store keys the report depends on (for re-matching a fleet).
pub fn assess_tracked(
    sbom: Sbom,
    view: Option<&SquashedView>,
    request: &ScanRequest<'_>,
    reporter: &dyn Reporter,
) -> Result<Assessed, ScanError> {
    let now = request.now;
    let mut lookups = BTreeSet::new();
    let findings = match request.store {
        Some(store) => {
            reporter.stage("matching", None);
            let matched =
                onus_vuln::match_sbom(store, &sbom, &request.match_options).map_err(|source| {
                    ScanError::Match {
                        store: store.path().to_path_buf(),
                        source: Box::new(source),
                    }
                })?;
            reporter.finish_stage();
            for warning in &matched.warnings {
                reporter.warn(warning);
            }
            lookups = matched.lookups;
            let mut all = matched.findings;
            all.extend(matched.suppressed);
            all.extend(matched.fixed);
            all
        }
        None => Vec::new(),
    };

    let executable = |path: &str| -> Option<String> {
        let view = view?;
        let real = view.resolve(path).ok()?;
        view.entry(&real)
            .filter(|e| e.meta.is_executable_file())
            .map(|_| real)
    };
    let attribution = onus_attribution::attribute(&AttributionInput {
        sbom: &sbom,
        findings: &findings,
        base: &request.base,
        base_layers: request.base_layers,
        kind_override: request.kind_override,
        rules: request.rules,
        executable: view
            .is_some()
            .then_some(&executable as &dyn Fn(&str) -> Option<String>),
    });
    for warning in &attribution.warnings {
        reporter.warn(warning);
    }
    let vendor_layers = attribution.base.layers;

    // EOL first: a finding's move and clock depend on its stream (model.md §2.5, §6).
    let eol_data: Option<std::borrow::Cow<'_, onus_eol::EolData>> =
        match (request.eol_data, request.store) {
            (Some(data), _) => Some(std::borrow::Cow::Borrowed(data)),
            (None, Some(store)) => read_eol(store)?.map(std::borrow::Cow::Owned),
            (None, None) => None,
        };
    let eol = match eol_data {
        Some(data) => {
            lookups.insert(onus_vuln::lookup_key(onus_vuln::LookupTable::Eol, "", ""));
            onus_eol::evaluate(
                &sbom,
                &data,
                request.eol_mapping,
                vendor_layers,
                now.date_naive(),
            )
        }
        None => Vec::new(),
    };
    let streams = streams_by_purl(&eol);

    let kind = attribution.kind.value;
    let mut attributed = Vec::with_capacity(findings.len());
    for finding in findings {
        let Some(owner) = attribution.of_finding(&finding).cloned() else {
            continue;
        };
        let stream = streams.get(finding.purl.as_str()).cloned();
        let next = onus_attribution::moves::decide(&MoveInput {
            finding: &finding,
            tier: owner.tier,
            kind,
            stream: stream.as_ref(),
            newer_build: sbom.image.newer_build.as_ref(),
        });
        let sla = clock(
            &finding,
            owner.party,
            owner.tier,
            &next,
            stream.as_ref(),
            request,
        );
        attributed.push(AttributedFinding {
            finding,
            attribution: owner,
            next,
            stream,
            sla: Some(sla),
        });
    }

    let chp = match view {
        Some(view) => {
            let cves = cve_input(request.store.is_some(), &attributed, &eol);
            let owners = OwnerIndex::from_sbom(&sbom);
            Some(onus_chp::evaluate(
                view,
                &owners,
                request.runtime,
                &cves,
                request.detectors,
            ))
        }
        None => None,
    };

    let components = attribution
        .components
        .iter()
        .map(|c| c.attribution.clone())
        .collect();
    let report = Report::new(
        sbom,
        Some(attribution.kind),
        Some(attribution.base),
        components,
        attributed,
    )
    .with_chp(chp)
    .with_eol(eol);
    Ok(Assessed { report, lookups })
}

/// The store's endoflife.date data, parsed; `None` when the store has none.
pub fn read_eol(store: &Store) -> Result<Option<onus_eol::EolData>, ScanError> {
    let raw = store.eol_products().map_err(|source| ScanError::Store {
        store: store.path().to_path_buf(),
        what: "read the endoflife.date data",
        source: Box::new(source),
    })?;
    raw.map(|bytes| {
        onus_eol::parse_products(&bytes).map_err(|source| ScanError::EolData {
            store: store.path().to_path_buf(),
            source,
        })
    })
    .transpose()
}

/// Each component's stream: the EOL entry that lists its purl (the distribution's entry, which
/// has no components, is not a stream of any package).
fn streams_by_purl(entries: &[onus_eol::EolEntry]) -> HashMap<&str, StreamStatus> {
    let mut out = HashMap::new();
    for e in entries {
        for purl in &e.purls {
            out.entry(purl.as_str()).or_insert_with(|| StreamStatus {
                product: e.product.clone(),
                cycle: e.cycle.clone(),
                state: e.state,
                supported_cycle: e.supported_cycle.clone(),
            });
        }
    }
    out
}

/// The vendor's SLA clock on one finding (model.md §5.6, §2.5): not applicable for the
/// customer's own content, closed findings and unguarded (EOL or in-grace) streams; closed at
/// the fix record when the owner shipped the fix (R-MOVE-2); not started while upstream holds it.
fn clock(
    f: &Finding,
    owner: Party,
    tier: Tier,
    next: &onus_attribution::Move,
    stream: Option<&StreamStatus>,
    request: &ScanRequest<'_>,
) -> onus_sla::SlaClock {
    let advisory = f.advisory.as_ref();
    let input = FindingClockInput {
        status: f.status,
        severity: f.severity.into(),
        first_detection: advisory
            .and_then(|a| a.first_detection.as_deref())
            .and_then(onus_sla::parse_time),
        current_event_time: advisory.and_then(|a| onus_sla::parse_time(&a.current_event_time)),
        fixed_version: f.fixed_version.clone(),
        fix_shipped: next.rule == MoveRule::FixShipped,
        vendor_owned: owner != Party::Customer && next.rule != MoveRule::CustomerContent,
        langlib_pending: tier == Tier::LangLib && owner == Party::Upstream,
        guarded: !stream.is_some_and(|s| s.state.is_unguarded()) && next.kind != MoveKind::Upgrade,
        upstream_fix_time: None,
        not_qualifying: (next.rule == MoveRule::AppWithoutFix)
            .then(|| "no upstream fix exists in any feed".to_string()),
    };
    onus_sla::clock_for_finding(&input, request.sla_policy, request.now)
}

/// The CHP CVE dimension (model.md §3.3): open findings outside the customer's layers that no
/// advisory explains, vendor clocks past their deadline, and streams past their EOL grace.
fn cve_input(
    assessed: bool,
    findings: &[AttributedFinding],
    eol: &[onus_eol::EolEntry],
) -> CveInput {
    if !assessed {
        return CveInput::NotAssessed;
    }
    let mut unexplained = Vec::new();
    let mut past_sla = Vec::new();
    for f in findings.iter().filter(|f| onus_report::is_open(&f.finding)) {
        let label = format!(
            "{} on {}@{}",
            f.finding.id, f.finding.package, f.finding.version
        );
        if f.attribution.tier != Tier::Custom && f.finding.advisory.is_none() {
            unexplained.push(label.clone());
        }
        if f.sla.as_ref().is_some_and(|c| c.is_breached()) && f.next.party == Some(Party::Vendor) {
            past_sla.push(label);
        }
    }
    let eol_or_stale = eol
        .iter()
        .filter(|e| e.state == EolState::Eol)
        .map(|e| match &e.cycle {
            Some(c) => format!("{} {c} is past its end-of-life grace", e.product),
            None => format!("{} is end of life", e.product),
        })
        .collect();
    CveInput::Assessed {
        unexplained,
        past_sla,
        eol_or_stale,
    }
}
