//! `onus sla report`: time-to-fix and clock compliance over advisory histories.

use anyhow::Context as _;
use onus_fs::Reporter;
use onus_sla::{Policy, Severity as SlaSeverity};

use crate::cli::{SlaCommand, SlaFormat};
use crate::{output, time, Outcome};

pub fn run(command: SlaCommand, reporter: &dyn Reporter) -> anyhow::Result<Outcome> {
    let SlaCommand::Report {
        advisories,
        fleet,
        policy,
        now,
        db,
        format,
        output,
    } = command;
    let now = time::parse_now(now.as_deref())?;
    let policy = read_policy(policy.as_deref())?;
    let fleet = match &fleet {
        Some(dir) => Some(
            onus_sla::load_fleet(dir)
                .with_context(|| format!("cannot read fleet `{}`", dir.display()))?,
        ),
        None => None,
    };
    let store = match &db {
        Some(path) => Some(
            onus_vuln::Store::open_readonly(path)
                .with_context(|| format!("cannot open the store at `{}`", path.display()))?,
        ),
        None => None,
    };
    let severity = |aliases: &[String]| -> Option<SlaSeverity> {
        let store = store.as_ref()?;
        let best = aliases
            .iter()
            .filter(|a| a.starts_with("CVE-"))
            .filter_map(|cve| store.severity_of_cve(cve))
            .max()?;
        Some(SlaSeverity::from(best))
    };

    reporter.stage("reading advisories", None);
    let mut documents = Vec::new();
    for item in onus_advisory::read_documents(&advisories) {
        reporter.advance(1);
        match item {
            Ok(document) => documents.push(document),
            Err(error) => reporter.warn(&format!("skipped: {error}")),
        }
    }
    reporter.finish_stage();
    if documents.is_empty() {
        anyhow::bail!("no advisory documents found in `{}`", advisories.display());
    }
    let report = onus_sla::report_with_policy(documents, &severity, fleet.as_ref(), &policy, now);
    output::write_with(output.output.as_deref(), |out| match format {
        SlaFormat::Table => onus_sla::render_table(&report, out),
        SlaFormat::Json => onus_sla::render_json(&report, out),
        SlaFormat::Csv => onus_sla::render_csv(&report, out),
        SlaFormat::Markdown => onus_sla::render_markdown(&report, out),
        SlaFormat::Html => onus_sla::render_html(&report, out),
    })?;
    Ok(Outcome::Pass)
}

fn read_policy(path: Option<&std::path::Path>) -> anyhow::Result<Policy> {
    let text = match path {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .with_context(|| format!("cannot read SLA policy `{}`", path.display()))?,
        ),
        None => None,
    };
    onus_sla::load_policy(text.as_deref()).context("cannot load the SLA policy")
}
