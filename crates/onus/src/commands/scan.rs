//! `onus scan`: inventory, match, attribute, grade and report one image (or SBOM).

use std::path::Path;

use anyhow::Context as _;
use onus_attribution::{AttributionInput, BaseInput, ImageKind, Party, Tier};
use onus_chp::CveInput;
use onus_fs::Reporter;
use onus_inventory::Sbom;
use onus_report::{AttributedFinding, Report, ReportFormat};
use onus_vuln::Finding;

use crate::cli::{KindArg, PartyArg, ScanArgs, ScanFormat};
use crate::commands::{chp, db, eol, matching, sbom, sla};
use crate::{output, time, Outcome};

pub fn run(args: &ScanArgs, reporter: &dyn Reporter) -> anyhow::Result<Outcome> {
    let now = time::parse_now(args.matching.now.as_deref())?;
    let target = Target::read(&args.source, reporter)?;
    let base = read_base(args.base.as_deref(), args.source.platform.as_deref())?;
    let rules = read_rules(args.rules.as_deref())?;

    // Vulnerabilities need a store; without one the scan still inventories and attributes.
    let store = match db::store_path(&args.matching.db) {
        Ok(path) if path.exists() => Some(db::open_checked(&args.matching.db, now, reporter)?),
        _ => {
            reporter.warn("no vulnerability store: findings were not assessed (build one with `onus db build`)");
            None
        }
    };
    let mut findings: Vec<Finding> = Vec::new();
    if let Some(store) = &store {
        let result = matching::match_with(store, target.sbom(), &args.matching, reporter)?;
        findings.extend(result.findings);
        findings.extend(result.suppressed);
        findings.extend(result.fixed);
    }

    let attribution = onus_attribution::attribute(&AttributionInput {
        sbom: target.sbom(),
        findings: &findings,
        base: &base,
        base_layers: args.base_layers,
        kind_override: args.kind.map(|k| match k {
            KindArg::Application => ImageKind::Application,
            KindArg::Base => ImageKind::Base,
        }),
        rules: &rules,
    });
    for warning in &attribution.warnings {
        reporter.warn(warning);
    }

    let vendor_layers = attribution.base.layers;
    let clocks = sla::clocks_for_findings(&findings, &attribution.findings, now);
    let attributed: Vec<AttributedFinding> = findings
        .into_iter()
        .zip(attribution.findings.iter().cloned())
        .zip(clocks)
        .map(|((finding, attribution), sla)| AttributedFinding {
            finding,
            attribution,
            sla,
        })
        .collect();

    let eol_entries = match store.as_ref().map(|s| s.eol_products()) {
        Some(Ok(Some(bytes))) => {
            let data = onus_eol::parse_products(&bytes)
                .context("cannot parse endoflife.date data from the store")?;
            eol::evaluate(target.sbom(), &data, vendor_layers, now)?
        }
        _ => Vec::new(),
    };

    let chp = match &target {
        Target::Image(scanned) => {
            let runtime = chp::read_runtime(args.runtime.as_deref())?;
            let cves = cve_input(store.is_some(), &attributed);
            Some(chp::evaluate(scanned, runtime.as_ref(), &cves)?)
        }
        Target::Sbom(_) => None,
    };

    let component_attributions = attribution
        .components
        .iter()
        .map(|c| c.attribution.clone())
        .collect();
    let report = Report::new(
        target.into_sbom(),
        Some(attribution.kind),
        Some(attribution.base),
        component_attributions,
        attributed,
    )
    .with_chp(
        chp.map(serde_json::to_value)
            .transpose()
            .context("cannot serialise the CHP result")?,
    )
    .with_eol(
        eol_entries
            .iter()
            .map(serde_json::to_value)
            .collect::<Result<_, _>>()
            .context("cannot serialise EOL results")?,
    );

    let format = match args.format {
        ScanFormat::Table => ReportFormat::Table,
        ScanFormat::Json => ReportFormat::Json,
        ScanFormat::Sarif => ReportFormat::Sarif,
        ScanFormat::Openvex => ReportFormat::OpenVex,
        ScanFormat::Html => ReportFormat::Html,
    };
    output::write_with(args.output.output.as_deref(), |out| {
        onus_report::render_report(&report, format, out)
    })?;

    let party = args.matching.fail_on_party.map(|p| match p {
        PartyArg::Customer => Party::Customer,
        PartyArg::Vendor => Party::Vendor,
        PartyArg::Upstream => Party::Upstream,
    });
    let severity = args.matching.fail_on_severity.map(matching::severity_of);
    let failed =
        (party.is_some() || severity.is_some()) && onus_report::fail_on(&report, party, severity);
    Ok(if failed {
        Outcome::PolicyFailed
    } else {
        Outcome::Pass
    })
}

/// What is being scanned: an image (with its file view) or an SBOM alone.
enum Target {
    Image(onus_scan::Scanned),
    Sbom(Sbom),
}

impl Target {
    fn read(source: &crate::cli::SourceArgs, reporter: &dyn Reporter) -> anyhow::Result<Target> {
        match sbom_path(&source.source) {
            Some(path) => Ok(Target::Sbom(read_sbom_file(path)?)),
            None => Ok(Target::Image(sbom::inventory(source, reporter)?)),
        }
    }

    fn sbom(&self) -> &Sbom {
        match self {
            Target::Image(scanned) => &scanned.sbom,
            Target::Sbom(sbom) => sbom,
        }
    }

    fn into_sbom(self) -> Sbom {
        match self {
            Target::Image(scanned) => scanned.sbom,
            Target::Sbom(sbom) => sbom,
        }
    }
}

/// `sbom:PATH`, or a `.json` file, is an SBOM rather than an image.
fn sbom_path(source: &str) -> Option<&Path> {
    if let Some(path) = source.strip_prefix("sbom:") {
        return Some(Path::new(path));
    }
    let path = Path::new(source);
    (path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
        && path.is_file())
    .then_some(path)
}

fn read_sbom_file(path: &Path) -> anyhow::Result<Sbom> {
    let bytes =
        std::fs::read(path).with_context(|| format!("cannot read SBOM `{}`", path.display()))?;
    onus_vuln::read_sbom(&bytes).with_context(|| format!("cannot parse SBOM `{}`", path.display()))
}

/// `--base`: an SBOM gives its packages; an image gives its layer diff_ids.
fn read_base(base: Option<&str>, platform: Option<&str>) -> anyhow::Result<BaseInput> {
    let Some(base) = base else {
        return Ok(BaseInput::None);
    };
    if let Some(path) = sbom_path(base) {
        return Ok(BaseInput::Sbom(read_sbom_file(path)?));
    }
    let options = onus_image::OpenOptions {
        platform: platform.map(str::to_string),
        ..Default::default()
    };
    let meta = onus_image::read_metadata(base, &options)
        .with_context(|| format!("cannot read base image `{base}`"))?;
    Ok(BaseInput::ImageDiffIds(
        meta.layers.iter().map(|l| l.diff_id.clone()).collect(),
    ))
}

fn read_rules(path: Option<&Path>) -> anyhow::Result<onus_attribution::Rules> {
    let extra = match path {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .with_context(|| format!("cannot read rules `{}`", path.display()))?,
        ),
        None => None,
    };
    onus_attribution::load_rules(extra.as_deref()).context("cannot load tier rules")
}

/// The CHP CVE dimension from the scan's findings (model.md §3.3): open findings outside the
/// customer's layers that no advisory explains, and vendor-owned findings past their SLA.
fn cve_input(assessed: bool, findings: &[AttributedFinding]) -> CveInput {
    if !assessed {
        return CveInput::NotAssessed;
    }
    let open = findings.iter().filter(|f| onus_report::is_open(&f.finding));
    let mut unexplained = Vec::new();
    let mut past_sla = Vec::new();
    for f in open {
        let label = format!(
            "{} on {}@{}",
            f.finding.id, f.finding.package, f.finding.version
        );
        if f.attribution.tier != Tier::Custom && f.finding.advisory.is_none() {
            unexplained.push(label.clone());
        }
        if sla::is_breached(f.sla.as_ref()) {
            past_sla.push(label);
        }
    }
    CveInput::Assessed {
        unexplained,
        past_sla,
        eol_or_stale: Vec::new(),
    }
}
