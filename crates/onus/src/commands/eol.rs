//! `onus eol`: end-of-life state of what an image contains.

use std::io::Write;

use anyhow::Context as _;
use onus_eol::EolEntry;
use onus_fs::Reporter;
use onus_inventory::Sbom;

use crate::cli::{DbArgs, EolArgs, MatchFormat};
use crate::commands::{db, sbom};
use crate::{output, time, Outcome};

pub fn run(args: &EolArgs, reporter: &dyn Reporter) -> anyhow::Result<Outcome> {
    let now = time::parse_now(args.now.as_deref())?;
    let data = load_data(args.eol_data.as_deref(), &args.db)?;
    let scanned = sbom::inventory(&args.source, reporter)?;
    let entries = evaluate(&scanned.sbom, &data, None, now)?;
    output::write_with(args.output.output.as_deref(), |out| match args.format {
        MatchFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, &entries)?;
            writeln!(out)
        }
        MatchFormat::Table => render_table(&entries, out),
    })?;
    Ok(Outcome::Pass)
}

/// endoflife.date data from `--eol-data FILE`, else from the store.
pub fn load_data(
    file: Option<&std::path::Path>,
    db_args: &DbArgs,
) -> anyhow::Result<onus_eol::EolData> {
    let bytes = match file {
        Some(path) => std::fs::read(path)
            .with_context(|| format!("cannot read EOL data `{}`", path.display()))?,
        None => {
            let store = db::open_store(db_args)?;
            store
                .eol_products()
                .context("cannot read EOL data from the store")?
                .context("the store holds no endoflife.date data\nhint: rebuild it with `onus db build --from ../shared/data` or pass --eol-data products.json")?
        }
    };
    onus_eol::parse_products(&bytes).context("cannot parse endoflife.date data")
}

/// Evaluate EOL with the built-in product mapping.
pub fn evaluate(
    sbom: &Sbom,
    data: &onus_eol::EolData,
    vendor_layers: Option<usize>,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<Vec<EolEntry>> {
    let mapping =
        onus_eol::load_mapping(None).context("cannot load the built-in EOL product mapping")?;
    Ok(onus_eol::evaluate(
        sbom,
        data,
        &mapping,
        vendor_layers,
        now.date_naive(),
    ))
}

pub fn render_table(entries: &[EolEntry], out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        out,
        "{:<18} {:<12} {:<8} {:<11} {:<11} {:>6}  {:<9} {:<8} DETECTED-BY",
        "PRODUCT", "VERSION", "CYCLE", "EOL", "STATE", "DAYS", "PARTY", "RULE"
    )?;
    for entry in entries {
        let state = entry.state.as_str();
        writeln!(
            out,
            "{:<18} {:<12} {:<8} {:<11} {:<11} {:>6}  {:<9} {:<8} {}",
            entry.product,
            entry.version,
            entry.cycle.as_deref().unwrap_or("-"),
            entry.eol_date.as_deref().unwrap_or("-"),
            state,
            entry
                .days
                .map(|d| d.to_string())
                .unwrap_or_else(|| "-".to_string()),
            entry.party,
            entry.rule,
            entry.detected_by
        )?;
    }
    Ok(())
}
