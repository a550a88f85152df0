//! Wolfi/Chainguard advisory documents (schema 2): every advisory with its aliases, its current
//! state (latest timestamp, file order breaking ties) and its full event history.

use crate::error::VulnError;
use crate::feeds::{Ctx, FeedKind};
use crate::input::InputFile;
use crate::store::AdvisoryRow;

const KIND: FeedKind = FeedKind::WolfiAdvisories;

pub(crate) fn load(file: &InputFile, ctx: &mut Ctx<'_>) -> Result<(), VulnError> {
    let namespace = ctx.advisory_namespace.clone();
    let source = format!("{namespace}-advisories");
    let doc = match onus_advisory::parse_document(&file.bytes, &file.display) {
        Ok(doc) => doc,
        Err(e) => {
            ctx.warn(
                &source,
                KIND,
                format!("`{}`: skipped: {}", file.display, error_chain(&e)),
            );
            return Ok(());
        }
    };
    if doc.is_future_schema() {
        ctx.warn(
            &source,
            KIND,
            format!(
                "`{}`: schema version `{}` is newer than supported; read leniently",
                file.display, doc.schema_version
            ),
        );
    }
    let package = doc.package.name.trim().to_string();
    if package.is_empty() {
        ctx.warn(
            &source,
            KIND,
            format!("`{}`: skipped: no `package.name`", file.display),
        );
        return Ok(());
    }
    for advisory in &doc.advisories {
        let Some(current) = advisory.current_event() else {
            ctx.warn(
                &source,
                KIND,
                format!(
                    "`{}`: advisory `{}` skipped: no events",
                    file.display, advisory.id
                ),
            );
            continue;
        };
        let justification = match &current.kind {
            onus_advisory::EventKind::FalsePositiveDetermination { fp_type, .. } => {
                Some(fp_type.as_str().to_string())
            }
            _ => None,
        };
        let mut aliases = advisory.aliases.clone();
        aliases.sort();
        aliases.dedup();
        let row = AdvisoryRow {
            namespace: namespace.clone(),
            package: package.clone(),
            advisory_id: advisory.id.clone(),
            aliases,
            current_event: current.type_name().to_string(),
            event_time: rfc3339(&current.timestamp),
            fixed_version: current.kind.fixed_version().map(str::to_string),
            note: current.kind.note().map(str::to_string),
            justification,
            first_detection: advisory.first_detection().map(|e| rfc3339(&e.timestamp)),
            events: serde_json::to_string(&advisory.events).unwrap_or_else(|_| "[]".to_string()),
            source: source.clone(),
            best_sev: None,
        };
        ctx.writer.advisory(&row)?;
        ctx.record(&source, KIND, 1);
        ctx.saw_time(&source, KIND, &row.event_time);
    }
    Ok(())
}

fn rfc3339(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

/// An error and its causes on one line, for a warning.
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}
