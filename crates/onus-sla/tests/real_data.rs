//! Real-data check over the full Wolfi advisory archive (read in place, never copied): the
//! report's headline figures agree with an independent computation over the raw YAML.

#![allow(clippy::unwrap_used, clippy::print_stderr)]

use std::io::Read;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use onus_advisory::read_documents;
use onus_sla::{
    render_csv, render_html, render_json, render_markdown, render_table, report, Severity,
};
use serde_yaml_ng::Value;

const ARCHIVE: &str = "wolfi-advisories/wolfi-advisories-3d461f6.tar.zst";

fn archive() -> Option<PathBuf> {
    let root = std::env::var_os("ONUS_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data"))
        });
    let path = root.join(ARCHIVE);
    if path.is_file() {
        Some(path)
    } else {
        eprintln!("skipping: shared data not found at {}", path.display());
        None
    }
}

/// The independent figures: raw YAML values, no onus-advisory types.
struct Independent {
    advisories: usize,
    without_detection: usize,
    without_fix: usize,
    days: Vec<f64>,
}

fn independent(path: &PathBuf) -> Independent {
    let file = std::fs::File::open(path).unwrap();
    let mut archive = tar::Archive::new(zstd::Decoder::new(file).unwrap());
    let mut out = Independent {
        advisories: 0,
        without_detection: 0,
        without_fix: 0,
        days: Vec::new(),
    };
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let name = entry.path().unwrap().to_string_lossy().into_owned();
        if !name.ends_with(".advisories.yaml") {
            continue;
        }
        let mut text = String::new();
        entry.read_to_string(&mut text).unwrap();
        let doc: Value = serde_yaml_ng::from_str(&text).unwrap();
        let Some(advisories) = doc.get("advisories").and_then(Value::as_sequence) else {
            continue;
        };
        for adv in advisories {
            out.advisories += 1;
            let mut detections: Vec<i64> = Vec::new();
            let mut fixes: Vec<i64> = Vec::new();
            for ev in adv
                .get("events")
                .and_then(Value::as_sequence)
                .into_iter()
                .flatten()
            {
                let ts = ev.get("timestamp").and_then(Value::as_str).unwrap();
                let millis = DateTime::parse_from_rfc3339(ts)
                    .unwrap()
                    .with_timezone(&Utc)
                    .timestamp_millis();
                match ev.get("type").and_then(Value::as_str) {
                    Some("detection") => detections.push(millis),
                    Some("fixed") => fixes.push(millis),
                    _ => {}
                }
            }
            let Some(first_detection) = detections.iter().min().copied() else {
                out.without_detection += 1;
                continue;
            };
            let Some(first_fix) = fixes
                .iter()
                .copied()
                .filter(|f| *f >= first_detection)
                .min()
            else {
                out.without_fix += 1;
                continue;
            };
            out.days
                .push((first_fix - first_detection) as f64 / 86_400_000.0);
        }
    }
    out
}

/// Nearest rank, written independently from its textbook definition: the smallest rank `k`
/// (1-based) such that at least p % of the values are ≤ the k-th value, i.e. k/n ≥ p/100.
fn percentile(sorted: &[f64], p: usize) -> f64 {
    let n = sorted.len();
    let rank = (1..=n).find(|k| k * 100 >= n * p).unwrap_or(n);
    sorted[rank - 1]
}

fn r2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

fn r4(v: f64) -> f64 {
    (v * 10_000.0).round() / 10_000.0
}

#[test]
fn report_agrees_with_raw_yaml() {
    let Some(path) = archive() else { return };
    let now: DateTime<Utc> = "2026-01-08T00:00:00Z".parse().unwrap();
    let mut errors = Vec::new();
    let docs: Vec<_> = read_documents(&path)
        .filter_map(|item| item.map_err(|e| errors.push(e.to_string())).ok())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    let none = |_: &[String]| -> Option<Severity> { None };
    let r = report(docs, &none, None, now);

    let mut ind = independent(&path);
    ind.days.sort_by(f64::total_cmp);
    let n = ind.days.len();
    assert_eq!(r.documents, 1616);
    assert_eq!(r.advisories, 30_030);
    assert_eq!(r.advisories, ind.advisories);
    assert_eq!(r.without_detection, ind.without_detection);
    assert_eq!(r.without_fix, ind.without_fix);
    let o = &r.time_to_fix.overall;
    assert_eq!(o.count, n);
    assert_eq!(o.median_days, Some(r2(percentile(&ind.days, 50))));
    assert_eq!(o.p90_days, Some(r2(percentile(&ind.days, 90))));
    let within = |d: f64| ind.days.iter().filter(|x| **x <= d).count();
    assert_eq!(r.within_sla.count_7, within(7.0));
    assert_eq!(r.within_sla.count_14, within(14.0));
    assert_eq!(r.within_sla.days_7, r4(within(7.0) as f64 / n as f64));
    assert_eq!(r.within_sla.days_14, r4(within(14.0) as f64 / n as f64));
    assert_eq!(r.histogram.iter().map(|b| b.count).sum::<usize>(), n);
    eprintln!(
        "wolfi: {n} fixed, median {:?} d, p90 {:?} d, within 7 d {}, within 14 d {}, open {}",
        o.median_days,
        o.p90_days,
        r.within_sla.days_7,
        r.within_sla.days_14,
        r.open.len()
    );

    // Everything unknown without a severity source; every group sums to the total.
    assert_eq!(r.time_to_fix.by_severity["unknown"].count, n);
    let by_type: usize = r
        .time_to_fix
        .by_component_type
        .values()
        .map(|s| s.count)
        .sum();
    assert_eq!(by_type, n);
    let by_pkg: usize = r.time_to_fix.by_package.values().map(|s| s.count).sum();
    assert_eq!(by_pkg, n);
    assert!(r.time_to_fix.by_component_type.contains_key("go-module"));
    assert!(r.open.windows(2).all(|w| w[0].since <= w[1].since));
    assert!(r.open.iter().all(|o| o.age_days >= 0.0));
    assert_eq!(
        r.pending_upstream_fix.count,
        r.open_by_state
            .get("pending-upstream-fix")
            .copied()
            .unwrap_or(0)
    );
    assert!(r.redetections.advisories > 0);

    // Every renderer runs over the real report.
    for render in [
        render_table,
        render_csv,
        render_markdown,
        render_html,
        render_json,
    ] {
        let mut out = Vec::new();
        render(&r, &mut out).unwrap();
        assert!(!out.is_empty());
    }
}
