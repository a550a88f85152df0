//! One-line descriptions of the CHP, EOL and SLA results, which the report carries as JSON
//! (their crates are written in parallel): known fields first, then any other scalar field.

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

/// The CHP level, when the result has one.
pub(crate) fn chp_level(chp: &Value) -> Option<String> {
    field(chp, &["level", "chp", "value"])
}

/// `level 3 (…)`-style line for the CHP result.
pub(crate) fn chp_line(chp: &Value) -> String {
    let mut parts = Vec::new();
    if let Some(level) = chp_level(chp) {
        parts.push(format!("level {level}"));
    }
    let rest = other_fields(chp, &["level", "chp", "value"]);
    if !rest.is_empty() {
        parts.push(rest.join(", "));
    }
    for list in ["blockers", "next_level_blockers"] {
        if let Some(items) = chp.get(list).and_then(Value::as_array) {
            parts.push(format!(
                "{} {}",
                items.len(),
                if items.len() == 1 {
                    "blocker"
                } else {
                    "blockers"
                }
            ));
        }
    }
    if parts.is_empty() {
        chp.to_string()
    } else {
        parts.join(" · ")
    }
}

/// The blockers to the next CHP level, one line each, when the result lists them.
pub(crate) fn chp_blockers(chp: &Value) -> Vec<String> {
    ["blockers", "next_level_blockers"]
        .iter()
        .filter_map(|name| chp.get(*name).and_then(Value::as_array))
        .flatten()
        .map(|item| match scalar(item) {
            Some(s) => s,
            None => {
                let known = field(
                    item,
                    &["message", "reason", "description", "criterion", "name"],
                );
                known.unwrap_or_else(|| other_fields(item, &[]).join(", "))
            }
        })
        .collect()
}

const EOL_NAME: &[&str] = &["product", "name"];
const EOL_CYCLE: &[&str] = &["cycle", "release", "release_cycle", "version"];
const EOL_STATE: &[&str] = &["state", "status"];

/// The subject of an EOL entry (`nginx 1.25`).
pub(crate) fn eol_subject(eol: &Value) -> String {
    let name = field(eol, EOL_NAME).unwrap_or_default();
    match field(eol, EOL_CYCLE) {
        Some(cycle) if !name.is_empty() => format!("{name} {cycle}"),
        Some(cycle) => cycle,
        None => name,
    }
}

/// The state of an EOL entry, when given.
pub(crate) fn eol_state(eol: &Value) -> Option<String> {
    field(eol, EOL_STATE)
}

/// Everything else about an EOL entry as `key=value` pairs.
pub(crate) fn eol_details(eol: &Value) -> String {
    let skip: Vec<&str> = EOL_NAME
        .iter()
        .chain(EOL_CYCLE)
        .chain(EOL_STATE)
        .copied()
        .collect();
    other_fields(eol, &skip).join(", ")
}

/// One line for an EOL entry.
pub(crate) fn eol_line(eol: &Value) -> String {
    let mut parts = vec![eol_subject(eol)];
    if let Some(state) = eol_state(eol) {
        parts.push(state);
    }
    let details = eol_details(eol);
    if !details.is_empty() {
        parts.push(details);
    }
    parts.retain(|p| !p.is_empty());
    if parts.is_empty() {
        eol.to_string()
    } else {
        parts.join(" · ")
    }
}

/// One line for a finding's SLA clock: the state first.
pub(crate) fn sla_line(sla: &Value) -> String {
    let mut parts = Vec::new();
    if let Some(state) = field(sla, &["state", "status"]) {
        parts.push(state);
    }
    let rest = other_fields(sla, &["state", "status"]);
    if !rest.is_empty() {
        parts.push(rest.join(", "));
    }
    if parts.is_empty() {
        sla.to_string()
    } else {
        parts.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lines_from_loosely_shaped_values() {
        let chp = json!({"level": 3, "runtime": "config required", "blockers": ["shell present"]});
        assert_eq!(
            chp_line(&chp),
            "level 3 · runtime=config required · 1 blocker"
        );
        assert_eq!(chp_blockers(&chp), ["shell present"]);
        let eol = json!({"product": "nginx", "cycle": "1.25", "state": "eol", "eol": "2025-05-01"});
        assert_eq!(eol_line(&eol), "nginx 1.25 · eol · eol=2025-05-01");
        assert_eq!(
            sla_line(&json!({"state": "RUNNING", "days_remaining": 3})),
            "RUNNING days_remaining=3"
        );
        assert_eq!(eol_line(&json!("plain")), "plain");
    }
}
