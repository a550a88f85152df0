//! Text for the CHP, EOL and SLA results the report carries (`onus_chp::Chp`,
//! `onus_eol::EolEntry`, `onus_sla::SlaClock`): one wording shared by the table and HTML.

use onus_chp::{Chp, Dimension};
use onus_eol::EolEntry;
use onus_sla::{ClockState, SlaClock};

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

/// The CHP level.
pub(crate) fn chp_level(chp: &Chp) -> String {
    chp.level.to_string()
}

/// `level 4 (5 if run read-only)`.
pub(crate) fn chp_headline(chp: &Chp) -> String {
    let mut text = format!("level {}", chp.level);
    if let Some(ro) = chp.level_if_read_only {
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

/// The dimensions in ladder order, with the level that needs each locked (model.md §3.2).
pub(crate) fn chp_dimensions(chp: &Chp) -> Vec<ChpDimension> {
    let d = &chp.dimensions;
    let ladder: [(&'static str, u8, &Dimension); 5] = [
        ("cves", 1, &d.cves),
        ("net", 2, &d.net),
        ("sys", 3, &d.sys),
        ("shell", 4, &d.shell),
        ("rw", 5, &d.rw),
    ];
    ladder
        .into_iter()
        .map(|(name, needed_for, dim)| ChpDimension {
            name,
            needed_for,
            ok: dim.ok,
            evidence: dim
                .evidence
                .iter()
                .map(|e| {
                    let mut s = e
                        .path
                        .as_ref()
                        .map(|p| format!("{p}: "))
                        .unwrap_or_default();
                    s.push_str(&e.detail);
                    if let Some(package) = &e.package {
                        s.push_str(&format!(" [{package}]"));
                    }
                    s
                })
                .collect(),
            note: dim.note.clone(),
        })
        .collect()
}

/// `level 3 · locked: cves, net, sys · not locked: shell · unknown: rw`.
pub(crate) fn chp_line(chp: &Chp) -> String {
    let dims = chp_dimensions(chp);
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
pub(crate) fn chp_blockers(chp: &Chp) -> Vec<String> {
    chp.blockers
        .iter()
        .map(|b| {
            let name = serde_name(&b.dimension);
            let mut line = format!("{name} (for level {}): {}", b.level, b.action);
            if !b.evidence.is_empty() {
                line.push_str(&format!(" — {}", some_of(&b.evidence, 3)));
            }
            line
        })
        .collect()
}

/// The dimension's name as the JSON writes it.
fn serde_name(dimension: &onus_chp::DimensionName) -> &'static str {
    use onus_chp::DimensionName as D;
    match dimension {
        D::Cves => "cves",
        D::Net => "net",
        D::Sys => "sys",
        D::Shell => "shell",
        D::Rw => "rw",
    }
}

// ---------------------------------------------------------------- EOL

/// `python 3.11.2 (cycle 3.11)`.
pub(crate) fn eol_subject(eol: &EolEntry) -> String {
    let mut text = format!("{} {}", eol.product, eol.version)
        .trim()
        .to_string();
    match &eol.cycle {
        Some(cycle) if *cycle != eol.version && !eol.version.is_empty() => {
            text.push_str(&format!(" (cycle {cycle})"))
        }
        Some(cycle) if eol.version.is_empty() => {
            text = format!("{text} {cycle}").trim().to_string()
        }
        _ => {}
    }
    text
}

/// The EOL state (`supported`, `eol-soon`, `in-grace`, `eol`, `unknown`).
pub(crate) fn eol_state(eol: &EolEntry) -> &'static str {
    eol.state.as_str()
}

/// `EOL 2024-10-31 (30 days ago) · grace until 2025-04-30 · customer (R-REL-4) · upgrade to 3.13`.
pub(crate) fn eol_details(eol: &EolEntry) -> String {
    let mut parts = Vec::new();
    if let Some(date) = &eol.eol_date {
        parts.push(match eol.days {
            Some(d) if d < 0 => format!("EOL {date} ({} days ago)", -d),
            Some(d) => format!("EOL {date} (in {d} days)"),
            None => format!("EOL {date}"),
        });
    }
    if let Some(grace) = &eol.grace_end {
        parts.push(format!("grace until {grace}"));
    }
    parts.push(format!("{} ({})", eol.party, eol.rule));
    if let Some(target) = &eol.supported_cycle {
        parts.push(format!("upgrade to {target}"));
    }
    if let Some(note) = &eol.note {
        parts.push(note.clone());
    }
    parts.join(" · ")
}

/// One line for an EOL entry.
pub(crate) fn eol_line(eol: &EolEntry) -> String {
    let mut parts = vec![
        eol_subject(eol),
        eol_state(eol).to_string(),
        eol_details(eol),
    ];
    parts.retain(|p| !p.is_empty());
    parts.join(" · ")
}

// ---------------------------------------------------------------- SLA

/// The clock state (`running`, `breached`, `met`, `not-started`, `not-applicable`).
pub(crate) fn sla_state(sla: &SlaClock) -> &'static str {
    sla.state.as_str()
}

/// One line for a finding's SLA clock: `running, 3.5 days left (deadline 2024-05-08, 7-day SLA)`.
pub(crate) fn sla_line(sla: &SlaClock) -> String {
    let mut text = sla_state(sla).to_string();
    if let Some(days) = sla.days_overdue {
        text.push_str(&format!(", {days} days overdue"));
    } else if let Some(days) = sla.days_left {
        text.push_str(&format!(", {days} days left"));
    }
    let mut facts = Vec::new();
    if let Some(deadline) = sla.deadline {
        // The date is enough for a reader; the JSON keeps the full time.
        facts.push(format!("deadline {}", deadline.format("%Y-%m-%d")));
    }
    if let Some(days) = sla.sla_days {
        facts.push(format!("{days}-day SLA"));
    }
    if !facts.is_empty() {
        text.push_str(&format!(" ({})", facts.join(", ")));
    }
    if matches!(
        sla.state,
        ClockState::NotStarted | ClockState::NotApplicable
    ) && !sla.why.is_empty()
    {
        text.push_str(&format!(": {}", sla.why));
    }
    text
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn chp() -> Chp {
        serde_json::from_value(serde_json::json!({
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
        }))
        .unwrap()
    }

    #[test]
    fn chp_text() {
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
        let mut ro = chp();
        ro.level = 4;
        ro.level_if_read_only = Some(5);
        assert_eq!(chp_headline(&ro), "level 4 (5 if run read-only)");
    }

    #[test]
    fn eol_text() {
        let eol: EolEntry = serde_json::from_value(serde_json::json!({
            "product": "python", "version": "3.11.2", "cycle": "3.11", "eol_date": "2027-10-31",
            "grace_end": "2028-04-30", "state": "supported", "days": 400,
            "purl": "pkg:apk/wolfi/python-3.11@3.11.2",
            "detected_by": "apk:python-3.11", "party": "vendor", "rule": "R-REL-2"
        }))
        .unwrap();
        assert_eq!(
            eol_line(&eol),
            "python 3.11.2 (cycle 3.11) · supported · EOL 2027-10-31 (in 400 days) · grace until 2028-04-30 · vendor (R-REL-2)"
        );
    }
}
