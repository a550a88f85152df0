//! The Debian security tracker JSON: source package → CVE → release codename →
//! {status, fixed_version, urgency}.

use serde_json::Value;

use crate::error::VulnError;
use crate::feeds::{Ctx, FeedKind};
use crate::input::InputFile;
use crate::store::DebianRow;
use crate::versions::{compare, Scheme};

const KIND: FeedKind = FeedKind::DebianTracker;
const SOURCE: &str = "debian-tracker";

pub(crate) fn load(file: &InputFile, doc: &Value, ctx: &mut Ctx<'_>) -> Result<(), VulnError> {
    let Some(packages) = doc.as_object() else {
        ctx.warn(
            SOURCE,
            KIND,
            format!("`{}`: skipped: not a JSON object", file.display),
        );
        return Ok(());
    };
    for (package, cves) in packages {
        let Some(cves) = cves.as_object() else {
            ctx.warn(
                SOURCE,
                KIND,
                format!(
                    "`{}`: package `{package}` skipped: not an object",
                    file.display
                ),
            );
            continue;
        };
        for (cve, entry) in cves {
            // An empty `releases` is written as a list; it carries nothing to match.
            let Some(releases) = entry.get("releases").and_then(Value::as_object) else {
                continue;
            };
            for (release, state) in releases {
                let status = state
                    .get("status")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                if status.is_empty() {
                    ctx.warn(
                        SOURCE,
                        KIND,
                        format!(
                            "`{}`: `{package}` `{cve}` release `{release}` skipped: no status",
                            file.display
                        ),
                    );
                    continue;
                }
                let fixed = state
                    .get("fixed_version")
                    .and_then(Value::as_str)
                    .map(str::trim)
                    .filter(|v| !v.is_empty());
                if let Some(v) = fixed.filter(|v| *v != "0") {
                    if compare(Scheme::Deb, v, v).is_none() {
                        ctx.warn(
                            SOURCE,
                            KIND,
                            format!("`{}`: `{package}` `{cve}` release `{release}` skipped: invalid fixed version `{v}`", file.display),
                        );
                        continue;
                    }
                }
                let urgency = state
                    .get("urgency")
                    .and_then(Value::as_str)
                    .map(|u| u.trim_end_matches('*').to_string());
                ctx.writer.debian(&DebianRow {
                    release: release.clone(),
                    package: package.clone(),
                    vuln_id: cve.clone(),
                    status,
                    fixed_version: fixed.map(str::to_string),
                    urgency,
                    source: SOURCE.to_string(),
                    best_sev: None,
                })?;
                ctx.record(SOURCE, KIND, 1);
            }
        }
    }
    Ok(())
}
