//! Benchmark of `sla report` over a full advisory archive (not a test):
//! `cargo run --release -p onus-sla --example bench_report -- <advisories.tar.zst> [now] [format]`
//! Measure peak RSS with `/usr/bin/time -v`. With a format (`table`, `csv`, `markdown`, `html`,
//! `json`) the rendered report goes to stdout instead of the summary. With `ONUS_SEVERITY_CSV`
//! set to the CISA Vulnrichment extract (`cve-severity/*.csv`), severities come from it (CNA
//! CVSS 3.1, else 4.0, else 3.0, else CISA-ADP 3.1); otherwise every advisory is `unknown`.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::collections::HashMap;
use std::time::Instant;

use chrono::{DateTime, Utc};
use onus_advisory::read_documents;
use onus_sla::{report, Severity};

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: bench_report <advisories.tar.zst|dir> [now RFC 3339]");
        std::process::exit(2);
    };
    // A fixed default `now` keeps the output reproducible.
    let now: DateTime<Utc> = match args
        .next()
        .unwrap_or_else(|| "2026-01-08T00:00:00Z".to_string())
        .parse()
    {
        Ok(t) => t,
        Err(e) => {
            eprintln!("bad now: {e}");
            std::process::exit(2);
        }
    };
    let format = args.next();
    let started = Instant::now();
    let mut errors = 0usize;
    let docs = read_documents(&path).filter_map(|item| match item {
        Ok(doc) => Some(doc),
        Err(e) => {
            errors += 1;
            eprintln!("warning: {e}");
            None
        }
    });
    let table = std::env::var_os("ONUS_SEVERITY_CSV")
        .map(|p| load_severities(&p))
        .unwrap_or_default();
    let severity = |ids: &[String]| -> Option<Severity> {
        ids.iter().find_map(|id| table.get(id.as_str()).copied())
    };
    let r = report(docs, &severity, None, now);
    let elapsed = started.elapsed();
    if let Some(format) = format {
        let render = match format.as_str() {
            "table" => onus_sla::render_table,
            "csv" => onus_sla::render_csv,
            "markdown" => onus_sla::render_markdown,
            "html" => onus_sla::render_html,
            "json" => onus_sla::render_json,
            other => {
                eprintln!("unknown format `{other}`");
                std::process::exit(2);
            }
        };
        let stdout = std::io::stdout();
        let mut lock = stdout.lock();
        if let Err(e) = render(&r, &mut lock) {
            eprintln!("write failed: {e}");
            std::process::exit(1);
        }
        eprintln!("elapsed {:.3} s", elapsed.as_secs_f64());
        return;
    }
    let o = &r.time_to_fix.overall;
    println!(
        "documents {} advisories {} (read errors {errors})",
        r.documents, r.advisories
    );
    println!(
        "time to fix: count {} median {:?} d p90 {:?} d mean {:?} d; without detection {} without fix {}",
        o.count, o.median_days, o.p90_days, o.mean_days, r.without_detection, r.without_fix
    );
    println!(
        "within 7 days {} ({}), within 14 days {} ({})",
        r.within_sla.days_7, r.within_sla.count_7, r.within_sla.days_14, r.within_sla.count_14
    );
    println!(
        "open {} {:?}; pending upstream fix median age {:?} d; re-detections {} advisories / {} events",
        r.open.len(),
        r.open_by_state,
        r.pending_upstream_fix.median_days,
        r.redetections.advisories,
        r.redetections.events
    );
    for (k, s) in &r.time_to_fix.by_severity {
        println!(
            "  severity {k}: {} median {:?} p90 {:?} within policy {:?}",
            s.count, s.median_days, s.p90_days, s.within_policy
        );
    }
    for (k, s) in &r.time_to_fix.by_component_type {
        println!(
            "  {k}: {} median {:?} p90 {:?}",
            s.count, s.median_days, s.p90_days
        );
    }
    println!(
        "histogram: {:?}",
        r.histogram
            .iter()
            .map(|b| (b.label.as_str(), b.count))
            .collect::<Vec<_>>()
    );
    println!("elapsed {:.3} s", elapsed.as_secs_f64());
}

/// CVE → severity from the Vulnrichment extract (quote-aware CSV split; bad rows skipped).
fn load_severities(path: &std::ffi::OsStr) -> HashMap<String, Severity> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("cannot read severity CSV: {e}");
            return HashMap::new();
        }
    };
    let mut lines = text.lines();
    let header = split(lines.next().unwrap_or(""));
    let col = |name: &str| header.iter().position(|h| h == name);
    let cols: Vec<usize> = [
        "cna_cvss31_severity",
        "cna_cvss40_severity",
        "cna_cvss30_severity",
        "adp_cvss31_severity",
    ]
    .iter()
    .filter_map(|c| col(c))
    .collect();
    let mut out = HashMap::new();
    for line in lines {
        let cells = split(line);
        let Some(id) = cells.first() else { continue };
        let sev = cols
            .iter()
            .filter_map(|c| cells.get(*c))
            .map(|s| Severity::from_label(s))
            .find(|s| *s != Severity::Unknown);
        if let Some(sev) = sev {
            out.insert(id.clone(), sev);
        }
    }
    out
}

fn split(line: &str) -> Vec<String> {
    let mut cells = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                if let Some(cell) = cells.last_mut() {
                    cell.push('"');
                }
            }
            ('"', _) => quoted = !quoted,
            (',', false) => cells.push(String::new()),
            (c, _) => {
                if let Some(cell) = cells.last_mut() {
                    cell.push(c);
                }
            }
        }
    }
    cells
}
