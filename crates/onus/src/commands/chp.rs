//! `onus chp`: the hardening level of an image on its own.

use std::path::Path;

use anyhow::Context as _;
use onus_chp::{Chp, CveInput, OwnerIndex, RuntimeConfig};
use onus_fs::Reporter;

use crate::cli::{ChpArgs, MatchFormat};
use crate::commands::sbom;
use crate::{output, Outcome};

pub fn run(args: &ChpArgs, reporter: &dyn Reporter) -> anyhow::Result<Outcome> {
    let scanned = sbom::inventory(&args.source, reporter)?;
    let runtime = read_runtime(args.runtime.as_deref())?;
    let chp = evaluate(&scanned, runtime.as_ref(), &CveInput::NotAssessed)?;
    output::write_with(args.output.output.as_deref(), |out| match args.format {
        MatchFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, &chp)?;
            writeln!(out)
        }
        MatchFormat::Table => onus_chp::render_table(&chp, out),
    })?;
    Ok(Outcome::Pass)
}

/// Parse `--runtime FILE` (Kubernetes or Compose).
pub fn read_runtime(path: Option<&Path>) -> anyhow::Result<Option<RuntimeConfig>> {
    let Some(path) = path else { return Ok(None) };
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read runtime manifest `{}`", path.display()))?;
    let config = onus_chp::parse_runtime(&text, None)
        .with_context(|| format!("cannot use runtime manifest `{}`", path.display()))?;
    Ok(Some(config))
}

/// Evaluate CHP on an inventoried image with the built-in detector lists.
pub fn evaluate(
    scanned: &onus_scan::Scanned,
    runtime: Option<&RuntimeConfig>,
    cves: &CveInput,
) -> anyhow::Result<Chp> {
    let detectors =
        onus_chp::load_detectors(None).context("cannot load the built-in CHP detector lists")?;
    let owners = OwnerIndex::from_sbom(&scanned.sbom);
    Ok(onus_chp::evaluate(
        &scanned.view,
        &owners,
        runtime,
        cves,
        &detectors,
    ))
}
