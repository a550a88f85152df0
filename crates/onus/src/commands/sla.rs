//! `onus sla report`, and the SLA clocks attached to a scan's vendor-owned findings.

use chrono::{DateTime, Utc};
use onus_attribution::Attribution;
use onus_fs::Reporter;
use onus_vuln::Finding;
use serde_json::Value;

use crate::cli::SlaCommand;
use crate::Outcome;

pub fn run(command: SlaCommand, _reporter: &dyn Reporter) -> anyhow::Result<Outcome> {
    match command {
        SlaCommand::Report { .. } => anyhow::bail!("sla report: wiring in progress"),
    }
}

/// One SLA clock per finding (aligned), for vendor-owned findings only.
pub fn clocks_for_findings(findings: &[Finding], _attributions: &[Attribution], _now: DateTime<Utc>) -> Vec<Option<Value>> {
    findings.iter().map(|_| None).collect()
}

/// True when a serialised clock says breached.
pub fn is_breached(clock: Option<&Value>) -> bool {
    clock.and_then(|c| c.get("state")).and_then(Value::as_str) == Some("breached")
}
