//! `onus scan`: arguments → [`onus_scan::ScanRequest`] → [`onus_scan::scan`] → renderer.

use std::path::Path;

use anyhow::Context as _;
use onus_attribution::{BaseInput, ImageKind, Party};
use onus_fs::Reporter;
use onus_inventory::Sbom;
use onus_report::ReportFormat;
use onus_scan::{ScanRequest, ScanTarget};
use onus_vuln::MatchOptions;

use crate::cli::{KindArg, PartyArg, ScanArgs, ScanFormat};
use crate::commands::{chp, db, matching};
use crate::{output, time, Outcome};

pub fn run(args: &ScanArgs, reporter: &dyn Reporter) -> anyhow::Result<Outcome> {
    let now = time::parse_now(args.matching.now.as_deref())?;
    let gate = args.matching.fail_on_party.is_some() || args.matching.fail_on_severity.is_some();
    let store = open_store(&args.matching.db, gate, now, reporter)?;
    let report = report(args, store.as_ref(), now, reporter)?;

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
    if let Some(url) = &args.submit {
        let digest = crate::commands::serve::submit(url, &report)?;
        reporter.note(&format!("submitted to {url}: {digest}"));
    }

    let party = args.matching.fail_on_party.map(|p| match p {
        PartyArg::Customer => Party::Customer,
        PartyArg::Vendor => Party::Vendor,
        PartyArg::Upstream => Party::Upstream,
    });
    let severity = args.matching.fail_on_severity.map(matching::severity_of);
    let failed = gate && onus_report::fail_on(&report, party, severity);
    Ok(if failed {
        Outcome::PolicyFailed
    } else {
        Outcome::Pass
    })
}

/// Map the arguments to a request and run the pipeline (also what `onus diff` runs per side).
pub fn report(
    args: &ScanArgs,
    store: Option<&onus_vuln::Store>,
    now: chrono::DateTime<chrono::Utc>,
    reporter: &dyn Reporter,
) -> anyhow::Result<onus_report::Report> {
    let rules = read_rules(args.rules.as_deref())?;
    let runtime = chp::read_runtime(args.runtime.as_deref())?;
    let detectors =
        onus_chp::load_detectors(None).context("cannot load the built-in CHP detector lists")?;
    let eol_mapping =
        onus_eol::load_mapping(None).context("cannot load the built-in EOL product mapping")?;
    let sla_policy = onus_sla::load_policy(None).context("cannot load the SLA policy")?;
    let request = ScanRequest {
        target: target(&args.source)?,
        store,
        match_options: MatchOptions {
            show_fixed: args.matching.show_fixed,
            vex: matching::read_vex(&args.matching.vex)?,
        },
        base: read_base(args.base.as_deref(), &args.source)?,
        base_layers: args.base_layers,
        kind_override: args.kind.map(|k| match k {
            KindArg::Application => ImageKind::Application,
            KindArg::Base => ImageKind::Base,
        }),
        rules: &rules,
        runtime: runtime.as_ref(),
        detectors: &detectors,
        eol_mapping: &eol_mapping,
        sla_policy: &sla_policy,
        eol_data: None,
        now,
    };
    onus_scan::scan(&request, reporter)
        .with_context(|| format!("cannot scan `{}`", args.source.source))
}

/// The store: required when named (`--db`, `ONUS_DB`) or when a `--fail-on-*` gate depends on
/// it (a gate must fail closed); otherwise a scan without one inventories and attributes only.
pub fn open_store(
    db: &crate::cli::DbArgs,
    gate: bool,
    now: chrono::DateTime<chrono::Utc>,
    reporter: &dyn Reporter,
) -> anyhow::Result<Option<onus_vuln::Store>> {
    let default_exists = db::store_path(db).is_ok_and(|p| p.exists());
    if db.db.is_some() || gate || default_exists {
        return db::open_checked(db, now, reporter).map(Some);
    }
    reporter.warn(
        "no vulnerability store: findings were not assessed (fetch the feeds with `onus db update`, or build a store with `onus db build --from DIR`)",
    );
    Ok(None)
}

fn target(source: &crate::cli::SourceArgs) -> anyhow::Result<ScanTarget> {
    Ok(match sbom_path(&source.source) {
        Some(path) => ScanTarget::Sbom(Box::new(read_sbom_file(path)?)),
        None => ScanTarget::Image {
            source: source.source.clone(),
            options: Box::new(crate::commands::sbom::open_options(source)),
        },
    })
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
fn read_base(base: Option<&str>, source: &crate::cli::SourceArgs) -> anyhow::Result<BaseInput> {
    let Some(base) = base else {
        return Ok(BaseInput::None);
    };
    if let Some(path) = sbom_path(base) {
        return Ok(BaseInput::Sbom(read_sbom_file(path)?));
    }
    let options = crate::commands::sbom::open_options(source);
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
