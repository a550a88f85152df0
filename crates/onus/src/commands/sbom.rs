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
    let options = open_options(source);
    onus_scan::inventory(&source.source, &options, reporter)
        .with_context(|| format!("cannot inventory `{}`", source.source))
}

/// How to open `source`: its platform, and how to reach registries (the CA files named by
/// `--registry-ca` and `ONUS_REGISTRY_CA`, insecure hosts, credentials from the environment).
pub fn open_options(source: &SourceArgs) -> onus_image::OpenOptions {
    let mut limits = onus_image::Limits::default();
    if let Some(bytes) = source.max_memory {
        limits.max_memory_bytes = bytes;
    }
    onus_image::OpenOptions {
        platform: source.platform.clone(),
        limits,
        registry: registry_options(&source.registry),
        blob_cache: source.registry.cache.clone(),
        ..Default::default()
    }
}

/// How to reach registries: the CA files named by `--registry-ca` and `ONUS_REGISTRY_CA`, the
/// insecure hosts, credentials from the environment.
pub fn registry_options(args: &crate::cli::RegistryArgs) -> onus_registry::RegistryOptions {
    let mut ca_files = args.registry_ca.clone();
    if let Some(ca) = std::env::var_os("ONUS_REGISTRY_CA").filter(|v| !v.is_empty()) {
        ca_files.push(ca.into());
    }
    onus_registry::RegistryOptions {
        ca_files,
        insecure: args.insecure_registry.clone(),
        credentials: onus_registry::CredentialSources::from_env(),
        ..Default::default()
    }
}
