//! `onus sbom`: inventory an image.

use anyhow::Context as _;
use onus_fs::Reporter;
use onus_report::SbomFormat;

use crate::cli::{self, SbomArgs, SourceArgs};
use crate::{output, Outcome};

pub fn run(args: &SbomArgs, reporter: &dyn Reporter) -> anyhow::Result<Outcome> {
    let scanned = inventory(&args.source, reporter)?;
    let format = match args.format {
        cli::SbomFormat::Json => SbomFormat::Json,
        cli::SbomFormat::CyclonedxJson => SbomFormat::CycloneDxJson,
        cli::SbomFormat::SpdxJson => SbomFormat::SpdxJson,
        cli::SbomFormat::Table => SbomFormat::Table,
    };
    output::write_with(args.output.output.as_deref(), |out| {
        onus_report::render_sbom(&scanned.sbom, format, out)
    })?;
    Ok(Outcome::Pass)
}

/// Read and catalog an image source.
pub fn inventory(
    source: &SourceArgs,
    reporter: &dyn Reporter,
) -> anyhow::Result<onus_scan::Scanned> {
    let options = onus_image::OpenOptions {
        platform: source.platform.clone(),
        ..Default::default()
    };
    onus_scan::inventory(&source.source, &options, reporter)
        .with_context(|| format!("cannot inventory `{}`", source.source))
}
