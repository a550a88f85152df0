//! A plain-text table of a CHP result (no colour; meaning never depends on colour).

use std::io::{self, Write};

use crate::model::{Chp, Dimension};

/// Write the level, one row per dimension with its first evidence, then the blockers.
pub fn render_table(chp: &Chp, out: &mut dyn Write) -> io::Result<()> {
    match chp.level_if_read_only {
        Some(ro) => writeln!(out, "CHP level {} ({ro} if run read-only)", chp.level)?,
        None => writeln!(out, "CHP level {}", chp.level)?,
    }
    writeln!(out)?;
    writeln!(out, "{:<10} {:<8} EVIDENCE", "DIMENSION", "LOCKED")?;
    let d = &chp.dimensions;
    for (name, dim) in [
        ("rw", &d.rw),
        ("shell", &d.shell),
        ("sys", &d.sys),
        ("net", &d.net),
        ("cves", &d.cves),
    ] {
        row(out, name, dim)?;
    }
    if !chp.blockers.is_empty() {
        writeln!(out)?;
        writeln!(out, "Blockers:")?;
        for b in &chp.blockers {
            writeln!(
                out,
                "  {} (needed for level {}): {}",
                b.dimension.as_str(),
                b.level,
                b.action
            )?;
            for e in &b.evidence {
                writeln!(out, "    - {}", printable(e))?;
            }
        }
    }
    Ok(())
}

fn row(out: &mut dyn Write, name: &str, dim: &Dimension) -> io::Result<()> {
    let ok = match dim.ok {
        Some(true) => "yes",
        Some(false) => "no",
        None => "unknown",
    };
    let mut lines: Vec<String> = dim
        .evidence
        .iter()
        .map(|e| {
            let mut s = e.path.clone().map(|p| format!("{p}: ")).unwrap_or_default();
            s.push_str(&e.detail);
            if let Some(l) = e.layer {
                s.push_str(&format!(" [layer {l}]"));
            }
            if let Some(p) = &e.package {
                s.push_str(&format!(" [{p}]"));
            }
            s
        })
        .collect();
    if let Some(note) = &dim.note {
        lines.push(format!("({note})"));
    }
    if lines.is_empty() {
        lines.push("-".to_string());
    }
    for (i, line) in lines.iter().map(|l| printable(l)).enumerate() {
        if i == 0 {
            writeln!(out, "{name:<10} {ok:<8} {line}")?;
        } else {
            writeln!(out, "{:<10} {:<8} {line}", "", "")?;
        }
    }
    Ok(())
}

/// Paths come from the image: control characters would break the table's lines.
fn printable(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}
