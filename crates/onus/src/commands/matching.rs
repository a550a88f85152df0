//! `onus match`: match an SBOM file against the store.

use std::io::Write;

use anyhow::Context as _;
use onus_fs::Reporter;
use onus_vuln::{Finding, MatchOptions, MatchResult, Severity};
use serde::Serialize;

use crate::cli::{MatchArgs, MatchFormat, MatchingArgs, SeverityArg};
use crate::commands::db;
use crate::{output, time, Outcome};

/// The JSON written by `onus match --format json`.
#[derive(Serialize)]
struct MatchOutput<'a> {
    schema: &'static str,
    sbom: String,
    findings: &'a [Finding],
    #[serde(skip_serializing_if = "<[Finding]>::is_empty")]
    fixed: &'a [Finding],
    suppressed: &'a [Finding],
}

pub fn run(args: &MatchArgs, reporter: &dyn Reporter) -> anyhow::Result<Outcome> {
    // A gate that cannot be evaluated must not pass silently.
    if args.matching.fail_on_party.is_some() {
        anyhow::bail!(
            "`--fail-on-party` needs each finding's move, which `onus match` does not decide\nhint: run `onus scan sbom:{}` with the same options",
            args.sbom.display()
        );
    }
    let bytes = std::fs::read(&args.sbom)
        .with_context(|| format!("cannot read SBOM `{}`", args.sbom.display()))?;
    let sbom = onus_vuln::read_sbom(&bytes)
        .with_context(|| format!("cannot parse SBOM `{}`", args.sbom.display()))?;
    let now = time::parse_now(args.matching.now.as_deref())?;
    let store = db::open_checked(&args.matching.db, now, reporter)?;
    let result = match_with(&store, &sbom, &args.matching, reporter)?;
    output::write_with(args.output.output.as_deref(), |out| match args.format {
        MatchFormat::Json => {
            let doc = MatchOutput {
                schema: "onus.match/v1",
                sbom: args.sbom.display().to_string(),
                findings: &result.findings,
                fixed: &result.fixed,
                suppressed: &result.suppressed,
            };
            serde_json::to_writer_pretty(&mut *out, &doc)?;
            writeln!(out)
        }
        MatchFormat::Table => render_table(&result, out),
    })?;
    let threshold = args.matching.fail_on_severity.map(severity_of);
    let failed = threshold.is_some_and(|min| {
        result
            .findings
            .iter()
            .any(|f| f.suppressed.is_none() && f.severity >= min)
    });
    Ok(if failed {
        Outcome::PolicyFailed
    } else {
        Outcome::Pass
    })
}

/// Read `--vex` documents.
pub fn read_vex(paths: &[std::path::PathBuf]) -> anyhow::Result<Vec<onus_vuln::VexDocument>> {
    let mut vex = Vec::new();
    for path in paths {
        let bytes = std::fs::read(path)
            .with_context(|| format!("cannot read VEX document `{}`", path.display()))?;
        vex.push(
            onus_vuln::parse_vex(&bytes, &path.display().to_string())
                .with_context(|| format!("cannot parse VEX document `{}`", path.display()))?,
        );
    }
    Ok(vex)
}

/// Load `--vex` documents and match.
pub fn match_with(
    store: &onus_vuln::Store,
    sbom: &onus_inventory::Sbom,
    args: &MatchingArgs,
    reporter: &dyn Reporter,
) -> anyhow::Result<MatchResult> {
    let options = MatchOptions {
        show_fixed: args.show_fixed,
        vex: read_vex(&args.vex)?,
    };
    reporter.stage("matching", None);
    let result = onus_vuln::match_sbom(store, sbom, &options).with_context(|| {
        format!(
            "cannot match against the store at `{}`",
            store.path().display()
        )
    })?;
    reporter.finish_stage();
    for warning in &result.warnings {
        reporter.warn(warning);
    }
    Ok(result)
}

pub fn severity_of(arg: SeverityArg) -> Severity {
    match arg {
        SeverityArg::Low => Severity::Low,
        SeverityArg::Medium => Severity::Medium,
        SeverityArg::High => Severity::High,
        SeverityArg::Critical => Severity::Critical,
    }
}

fn render_table(result: &MatchResult, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        out,
        "{:<20} {:<32} {:<22} {:<9} {:<22} FIXED-IN",
        "ID", "PACKAGE", "VERSION", "SEVERITY", "STATUS"
    )?;
    for finding in result.findings.iter().chain(&result.fixed) {
        let (status, severity) = (finding.status.as_str(), finding.severity.as_str());
        writeln!(
            out,
            "{:<20} {:<32} {:<22} {:<9} {:<22} {}",
            finding.id,
            finding.package,
            finding.version,
            severity,
            status,
            finding.fixed_version.as_deref().unwrap_or("-")
        )?;
    }
    writeln!(
        out,
        "\n{} open, {} suppressed",
        result.findings.len(),
        result.suppressed.len()
    )
}
