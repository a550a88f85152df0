//! Reading the CHP, EOL and SLA results, which the report carries as JSON: the shapes of
//! `onus_chp::Chp` and `onus_eol::EolEntry` are understood field by field; anything else falls
//! back to its scalar fields, so a changed shape degrades to plainer text, never to an error.

use serde_json::Value;

/// A scalar as text; `None` for objects, arrays and null.
pub(crate) fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn field(value: &Value, names: &[&str]) -> Option<String> {
    names
        .iter()
        .find_map(|name| value.get(*name).and_then(scalar))
}

/// `key=value` for every scalar field not in `skip`, in document order.
fn other_fields(value: &Value, skip: &[&str]) -> Vec<String> {
    match value {
        Value::Object(map) => map
            .iter()
            .filter(|(k, _)| !skip.contains(&k.as_str()))
            .filter_map(|(k, v)| scalar(v).map(|s| format!("{k}={s}")))
            .collect(),
        other => scalar(other).into_iter().collect(),
    }
}

/// Up to `max` items of a list, with `(+N more)`.
fn some_of(items: &[String], max: usize) -> String {
    let mut text = items
        .iter()
        .take(max)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > max {
        text.push_str(&format!(" (+{} more)", items.len() - max));
    }
    text
}

// ---------------------------------------------------------------- CHP

/// The CHP dimensions in ladder order: name and the level that needs it locked (model.md §3.2).
pub(crate) const CHP_DIMENSIONS: [(&str, u8); 5] =
    [("cves", 1), ("net", 2), ("sys", 3), ("shell", 4), ("rw", 5)];

/// The CHP level, when the result has one.
pub(crate) fn chp_level(chp: &Value) -> Option<String> {
    field(chp, &["level"])
}

/// `level 4 (5 if run read-only)`.
pub(crate) fn chp_headline(chp: &Value) -> String {
    let mut text = match chp_level(chp) {
        Some(level) => format!("level {level}"),
        None => "level unknown".to_string(),
    };
    if let Some(ro) = field(chp, &["level_if_read_only"]) {
        text.push_str(&format!(" ({ro} if run read-only)"));
    }
    text
}

/// One CHP dimension as shown: name, needed-for level, state, evidence lines, note.
pub(crate) struct ChpDimension {
    pub name: &'static str,
    pub needed_for: u8,
    /// `Some(true)` locked, `Some(false)` not locked, `None` unknown.
    pub ok: Option<bool>,
    pub evidence: Vec<String>,
    pub note: Option<String>,
}

/// The dimensions of an `onus_chp::Chp`, in ladder order (empty for another shape).
pub(crate) fn chp_dimensions(chp: &Value) -> Vec<ChpDimension> {
    let Some(dims) = chp.get("dimensions") else {
        return Vec::new();
    };
    CHP_DIMENSIONS
        .iter()
        .filter_map(|(name, needed_for)| {
            let d = dims.get(*name)?;
            let evidence = d
                .get("evidence")
                .and_then(Value::as_array)
                .map(|items| {
                    items
                        .iter()
                        .map(|e| {
                            let mut s = field(e, &["path"])
                                .map(|p| format!("{p}: "))
                                .unwrap_or_default();
                            s.push_str(&field(e, &["detail"]).unwrap_or_default());
                            if let Some(package) = field(e, &["package"]) {
                                s.push_str(&format!(" [{package}]"));
                            }
                            s
                        })
                        .collect()
                })
                .unwrap_or_default();
            Some(ChpDimension {
                name,
                needed_for: *needed_for,
                ok: d.get("ok").and_then(Value::as_bool),
                evidence,
                note: field(d, &["note"]),
            })
        })
        .collect()
}

/// `level 3 · locked: cves, net, sys · not locked: shell · unknown: rw`.
pub(crate) fn chp_line(chp: &Value) -> String {
    let dims = chp_dimensions(chp);
    if dims.is_empty() {
        let rest = other_fields(chp, &["level", "level_if_read_only"]);
        return if rest.is_empty() {
            chp_headline(chp)
        } else {
            format!("{} · {}", chp_headline(chp), rest.join(", "))
        };
    }
    let mut parts = vec![chp_headline(chp)];
    for (label, state) in [
        ("locked", Some(true)),
        ("not locked", Some(false)),
        ("unknown", None),
    ] {
        let names: Vec<&str> = dims
            .iter()
            .filter(|d| d.ok == state)
            .map(|d| d.name)
            .collect();
        if !names.is_empty() {
            parts.push(format!("{label}: {}", names.join(", ")));
        }
    }
    parts.join(" · ")
}

/// What keeps the image from the next levels, one line each, first blocker first.
pub(crate) fn chp_blockers(chp: &Value) -> Vec<String> {
    let Some(items) = chp.get("blockers").and_then(Value::as_array) else {
        return Vec::new();
    };
    items
        .iter()
        .map(|item| {
            if let Some(s) = scalar(item) {
                return s;
            }
            let action = field(item, &["action", "message", "reason", "description"]);
            let Some(action) = action else {
                return other_fields(item, &[]).join(", ");
            };
            let mut line = match (field(item, &["dimension"]), field(item, &["level"])) {
                (Some(d), Some(l)) => format!("{d} (for level {l}): {action}"),
                (Some(d), None) => format!("{d}: {action}"),
                _ => action,
            };
            let evidence: Vec<String> = item
                .get("evidence")
                .and_then(Value::as_array)
                .map(|e| e.iter().filter_map(scalar).collect())
                .unwrap_or_default();
            if !evidence.is_empty() {
                line.push_str(&format!(" — {}", some_of(&evidence, 3)));
            }
            line
        })
        .collect()
}

// ---------------------------------------------------------------- EOL

/// `python 3.11.2 (cycle 3.11)`.
pub(crate) fn eol_subject(eol: &Value) -> String {
    let product = field(eol, &["product", "name"]).unwrap_or_default();
    let version = field(eol, &["version"]);
    let cycle = field(eol, &["cycle"]);
    let mut text = product;
    if let Some(version) = &version {
        text = format!("{text} {version}").trim().to_string();
    }
    match (cycle, version) {
        (Some(cycle), Some(version)) if cycle != version => {
            text.push_str(&format!(" (cycle {cycle})"))
        }
        (Some(cycle), None) => text = format!("{text} {cycle}").trim().to_string(),
        _ => {}
    }
    text
}

/// The EOL state (`supported`, `eol-soon`, `in-grace`, `eol`, `unknown`).
pub(crate) fn eol_state(eol: &Value) -> Option<String> {
    field(eol, &["state", "status"])
}

const EOL_KNOWN: &[&str] = &[
    "product",
    "name",
    "version",
    "cycle",
    "state",
    "status",
    "eol_date",
    "days",
    "grace_end",
    "party",
    "rule",
    "supported_cycle",
    "note",
    "purl",
    "detected_by",
    "latest",
];

/// `EOL 2024-10-31 (30 days ago) · grace until 2025-04-30 · customer (R-REL-4) · upgrade to 3.13`.
pub(crate) fn eol_details(eol: &Value) -> String {
    let mut parts = Vec::new();
    if let Some(date) = field(eol, &["eol_date", "eol"]) {
        let days = eol.get("days").and_then(Value::as_i64);
        parts.push(match days {
            Some(d) if d < 0 => format!("EOL {date} ({} days ago)", -d),
            Some(d) => format!("EOL {date} (in {d} days)"),
            None => format!("EOL {date}"),
        });
    }
    if let Some(grace) = field(eol, &["grace_end"]) {
        parts.push(format!("grace until {grace}"));
    }
    match (field(eol, &["party"]), field(eol, &["rule"])) {
        (Some(party), Some(rule)) => parts.push(format!("{party} ({rule})")),
        (Some(party), None) => parts.push(party),
        _ => {}
    }
    if let Some(target) = field(eol, &["supported_cycle"]) {
        parts.push(format!("upgrade to {target}"));
    }
    if let Some(note) = field(eol, &["note"]) {
        parts.push(note);
    }
    let rest = other_fields(eol, EOL_KNOWN);
    if !rest.is_empty() {
        parts.push(rest.join(", "));
    }
    parts.join(" · ")
}

/// One line for an EOL entry.
pub(crate) fn eol_line(eol: &Value) -> String {
    let mut parts = vec![eol_subject(eol)];
    if let Some(state) = eol_state(eol) {
        parts.push(state);
    }
    parts.push(eol_details(eol));
    parts.retain(|p| !p.is_empty());
    if parts.is_empty() {
        eol.to_string()
    } else {
        parts.join(" · ")
    }
}

// ---------------------------------------------------------------- SLA

/// The clock state (`running`, `breached`, `met`, `not-started`, `not-applicable`).
pub(crate) fn sla_state(sla: &Value) -> Option<String> {
    field(sla, &["state", "status"])
}

const SLA_KNOWN: &[&str] = &[
    "state",
    "status",
    "severity",
    "sla_days",
    "start",
    "deadline",
    "stop",
    "days_left",
    "days_overdue",
    "why",
    "flags",
    "rule",
    "source",
];

/// One line for a finding's SLA clock (`onus_sla::SlaClock`): `running, 3.5 days left (deadline
/// 2024-05-08, 7-day SLA)`; other shapes fall back to their scalar fields.
pub(crate) fn sla_line(sla: &Value) -> String {
    let mut text = sla_state(sla).unwrap_or_else(|| "sla".to_string());
    if let Some(days) = field(sla, &["days_overdue"]) {
        text.push_str(&format!(", {days} days overdue"));
    } else if let Some(days) = field(sla, &["days_left"]) {
        text.push_str(&format!(", {days} days left"));
    }
    let mut facts = Vec::new();
    if let Some(deadline) = field(sla, &["deadline"]) {
        // The date is enough for a reader; the JSON keeps the full time.
        facts.push(format!(
            "deadline {}",
            deadline.get(..10).unwrap_or(&deadline)
        ));
    }
    if let Some(days) = field(sla, &["sla_days"]) {
        facts.push(format!("{days}-day SLA"));
    }
    if !facts.is_empty() {
        text.push_str(&format!(" ({})", facts.join(", ")));
    }
    let state = sla_state(sla).unwrap_or_default();
    if matches!(state.as_str(), "not-started" | "not-applicable") {
        if let Some(why) = field(sla, &["why"]) {
            text.push_str(&format!(": {why}"));
        }
    }
    let rest = other_fields(sla, SLA_KNOWN);
    if !rest.is_empty() {
        text.push_str(&format!(" {}", rest.join(", ")));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn chp() -> Value {
        json!({
            "level": 3,
            "level_if_read_only": null,
            "dimensions": {
                "rw": {"ok": null, "evidence": [], "note": "runtime configuration required"},
                "shell": {"ok": false, "evidence": [{"path": "/bin/sh", "layer": 0, "package": "busybox", "detail": "shell"}]},
                "sys": {"ok": true, "evidence": []},
                "net": {"ok": true, "evidence": []},
                "cves": {"ok": true, "evidence": []}
            },
            "blockers": [
                {"dimension": "shell", "level": 4, "action": "remove shells", "evidence": ["/bin/sh", "/bin/ash", "/bin/bash", "/bin/zsh"]},
                {"dimension": "rw", "level": 5, "action": "run with a read-only root filesystem", "evidence": []}
            ]
        })
    }

    #[test]
    fn chp_result_shape() {
        assert_eq!(
            chp_line(&chp()),
            "level 3 · locked: cves, net, sys · not locked: shell · unknown: rw"
        );
        assert_eq!(
            chp_blockers(&chp()),
            [
                "shell (for level 4): remove shells — /bin/sh, /bin/ash, /bin/bash (+1 more)",
                "rw (for level 5): run with a read-only root filesystem"
            ]
        );
        let dims = chp_dimensions(&chp());
        assert_eq!(dims[3].evidence, ["/bin/sh: shell [busybox]"]);
        assert_eq!(
            chp_headline(&json!({"level": 4, "level_if_read_only": 5})),
            "level 4 (5 if run read-only)"
        );
    }

    #[test]
    fn eol_entry_shape() {
        let eol = json!({
            "product": "python", "version": "3.11.2", "cycle": "3.11", "eol_date": "2027-10-31",
            "grace_end": "2028-04-30", "state": "supported", "days": 400, "purl": "pkg:apk/wolfi/python-3.11@3.11.2",
            "detected_by": "apk:python-3.11", "party": "vendor", "rule": "R-REL-2"
        });
        assert_eq!(
            eol_line(&eol),
            "python 3.11.2 (cycle 3.11) · supported · EOL 2027-10-31 (in 400 days) · grace until 2028-04-30 · vendor (R-REL-2)"
        );
        assert_eq!(
            eol_line(&json!({"product": "nginx", "cycle": "1.25", "state": "eol"})),
            "nginx 1.25 · eol"
        );
    }

    #[test]
    fn other_shapes_degrade_to_plain_text() {
        assert_eq!(chp_line(&json!({"level": 2, "x": "y"})), "level 2 · x=y");
        assert_eq!(
            chp_blockers(&json!({"blockers": ["a", {"message": "b"}]})),
            ["a", "b"]
        );
        assert_eq!(
            sla_line(&json!({"state": "running", "days_remaining": 3})),
            "running days_remaining=3"
        );
        assert_eq!(eol_line(&json!("plain")), "plain");
    }
}
