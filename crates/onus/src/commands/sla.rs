//! `onus sla report`, and the SLA clocks attached to a scan's vendor-owned findings.

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use onus_attribution::{Attribution, Party, Tier};
use onus_fs::Reporter;
use onus_sla::{FindingClockInput, Policy, Severity as SlaSeverity};
use onus_vuln::{Finding, Severity};
use serde_json::Value;

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
        Some(sla_severity(best))
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

fn sla_severity(severity: Severity) -> SlaSeverity {
    SlaSeverity::from_label(match severity {
        Severity::Critical => "critical",
        Severity::High => "high",
        Severity::Medium => "medium",
        Severity::Low | Severity::Negligible => "low",
        Severity::Unknown => "unknown",
    })
}

/// One SLA clock per finding (aligned with `findings`): every finding outside the customer's
/// layers gets one; customer-added ones are not-applicable by construction (R-PAT-7).
pub fn clocks_for_findings(
    findings: &[Finding],
    attributions: &[Attribution],
    now: DateTime<Utc>,
) -> Vec<Option<Value>> {
    let policy = Policy::default();
    findings
        .iter()
        .zip(attributions)
        .map(|(finding, attribution)| {
            if attribution.party == Party::Customer {
                return None;
            }
            let status = serde_json::to_value(finding.status)
                .ok()?
                .as_str()?
                .to_string();
            let severity = serde_json::to_value(finding.severity)
                .ok()?
                .as_str()?
                .to_string();
            let advisory = finding.advisory.as_ref();
            let input = FindingClockInput {
                status,
                severity,
                first_detection: advisory
                    .and_then(|a| a.first_detection.as_deref())
                    .and_then(onus_sla::parse_time),
                current_event_time: advisory
                    .and_then(|a| onus_sla::parse_time(&a.current_event_time)),
                fixed_version: finding.fixed_version.clone(),
                vendor_owned: attribution.party == Party::Vendor,
                langlib_pending: attribution.tier == Tier::LangLib
                    && attribution.party == Party::Upstream,
                ..FindingClockInput::default()
            };
            serde_json::to_value(onus_sla::clock_for_finding(&input, &policy, now)).ok()
        })
        .collect()
}

/// True when a serialised clock says breached.
pub fn is_breached(clock: Option<&Value>) -> bool {
    clock.and_then(|c| c.get("state")).and_then(Value::as_str) == Some("breached")
}
