//! `onus advisory validate|export`: vendor advisory documents (model.md §4.2, §4.4).

use std::io::Write;
use std::path::Path;

use anyhow::Context as _;
use chrono::NaiveDate;
use onus_advisory::{Document, ValidateOptions, ValidationReport};
use onus_fs::Reporter;

use crate::cli::{AdvisoryCommand, ExportFormat, MatchFormat};
use crate::{output, time, Outcome};

pub fn run(command: AdvisoryCommand, reporter: &dyn Reporter) -> anyhow::Result<Outcome> {
    match command {
        AdvisoryCommand::Validate {
            path,
            eol_data,
            now,
            format,
        } => {
            let now = time::parse_now(now.as_deref())?;
            let eol =
                match &eol_data {
                    Some(file) => Some(
                        onus_eol::parse_products(&std::fs::read(file).with_context(|| {
                            format!("cannot read EOL data `{}`", file.display())
                        })?)
                        .context("cannot parse endoflife.date data")?,
                    ),
                    None => None,
                };
            let today = now.date_naive();
            let oracle = |package: &str| {
                eol.as_ref()
                    .and_then(|data| is_supported(data, package, today))
            };
            let mut options = ValidateOptions::new(now);
            if eol.is_some() {
                options.is_supported = Some(&oracle);
            }
            reporter.stage("validating advisories", None);
            let report = onus_advisory::validate_path(&path, options);
            reporter.finish_stage();
            output::write_with(None, |out| match format {
                MatchFormat::Json => {
                    serde_json::to_writer_pretty(&mut *out, &report)?;
                    writeln!(out)
                }
                MatchFormat::Table => render_validation(&report, out),
            })?;
            Ok(if report.is_ok() {
                Outcome::Pass
            } else {
                Outcome::PolicyFailed
            })
        }
        AdvisoryCommand::Export { to, path, output } => {
            let documents = read_all(&path, reporter)?;
            let docs = documents.iter();
            output::write_with(output.output.as_deref(), |out| {
                match to {
                    ExportFormat::Secdb => serde_json::to_writer_pretty(
                        &mut *out,
                        &onus_advisory::export_secdb(docs, &Default::default()),
                    )?,
                    ExportFormat::Osv => serde_json::to_writer_pretty(
                        &mut *out,
                        &onus_advisory::export_osv(docs, &Default::default()),
                    )?,
                    ExportFormat::Openvex => serde_json::to_writer_pretty(
                        &mut *out,
                        &onus_advisory::export_openvex(docs, &Default::default()),
                    )?,
                }
                writeln!(out)
            })?;
            Ok(Outcome::Pass)
        }
    }
}

/// Every document under `path`; a file that does not parse is an error here, since an export
/// that silently drops advisories would tell scanners that nothing is fixed.
fn read_all(path: &Path, reporter: &dyn Reporter) -> anyhow::Result<Vec<Document>> {
    reporter.stage("reading advisories", None);
    let mut documents = Vec::new();
    for item in onus_advisory::read_documents(path) {
        reporter.advance(1);
        let (_, document) =
            item.with_context(|| format!("cannot read advisories from `{}`", path.display()))?;
        documents.push(document);
    }
    reporter.finish_stage();
    Ok(documents)
}

/// Whether a versioned package (`python-3.10`, `nodejs-18`) is on a supported release cycle per
/// endoflife.date; `None` when the name carries no cycle or the product is unknown.
fn is_supported(data: &onus_eol::EolData, package: &str, today: NaiveDate) -> Option<bool> {
    let (product, cycle) = package.rsplit_once('-')?;
    if !cycle.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let product = data.product(product)?;
    let release = onus_eol::match_cycle(product, cycle)?;
    Some(match &release.eol {
        Some(onus_eol::DateOrBool::Date(date)) => *date > today,
        Some(onus_eol::DateOrBool::Bool(ended)) => !ended,
        None => true,
    })
}

fn render_validation(report: &ValidationReport, out: &mut dyn Write) -> std::io::Result<()> {
    for d in &report.diagnostics {
        let severity = d.severity.as_str();
        let place = match (&d.advisory, d.event) {
            (Some(advisory), Some(event)) => format!("{} {advisory} event {event}", d.file),
            (Some(advisory), None) => format!("{} {advisory}", d.file),
            _ => d.file.clone(),
        };
        writeln!(out, "{severity}[{}]: {place}: {}", d.code, d.message)?;
    }
    writeln!(
        out,
        "{} files, {} advisories: {} errors, {} warnings",
        report.files, report.advisories, report.errors, report.warnings
    )
}
