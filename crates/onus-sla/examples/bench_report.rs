//! Benchmark of `sla report` over a full advisory archive (not a test):
//! `cargo run --release -p onus-sla --example bench_report -- <advisories.tar.zst> [now]`
//! Measure peak RSS with `/usr/bin/time -v`.

#![allow(clippy::print_stdout, clippy::print_stderr)]

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
    let no_severity = |_: &[String]| -> Option<Severity> { None };
    let r = report(docs, &no_severity, None, now);
    let elapsed = started.elapsed();
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
