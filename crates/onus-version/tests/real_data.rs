//! Real feeds, read in place from the shared data folder: every version they use parses under
//! its scheme, and OSV's enumerated `versions` agree with our range evaluation.

#![allow(clippy::unwrap_used)]

use std::io::Read;
use std::path::PathBuf;

use onus_version::{validate, NpmRange, Range, RangeEvent, Scheme};
use serde_json::Value;

fn shared_data() -> Option<PathBuf> {
    let dir = std::env::var_os("ONUS_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data"))
        });
    if dir.is_dir() {
        Some(dir)
    } else {
        #[allow(clippy::print_stderr)]
        {
            eprintln!("skipping: shared data not found at {}", dir.display());
        }
        None
    }
}

/// `(path, text)` of every regular file in a `.tar.zst`.
fn tar_zst(path: PathBuf) -> Vec<(String, String)> {
    let file = std::fs::File::open(&path).unwrap();
    let mut archive = tar::Archive::new(zstd::Decoder::new(file).unwrap());
    let mut out = Vec::new();
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let name = entry.path().unwrap().to_string_lossy().into_owned();
        let mut text = String::new();
        if entry.read_to_string(&mut text).is_ok() {
            out.push((name, text));
        }
    }
    out
}

fn events(range: &Value) -> Vec<RangeEvent> {
    let mut out = Vec::new();
    for e in range["events"].as_array().into_iter().flatten() {
        let obj = e.as_object().unwrap();
        for (k, v) in obj {
            let v = v.as_str().unwrap().to_string();
            out.push(match k.as_str() {
                "introduced" => RangeEvent::Introduced(v),
                "fixed" => RangeEvent::Fixed(v),
                "last_affected" => RangeEvent::LastAffected(v),
                "limit" => RangeEvent::Limit(v),
                other => panic!("unknown event {other}"),
            });
        }
    }
    out
}

/// Checks one OSV record: event versions parse, and every enumerated version lies in a range.
/// Returns (versions checked, failures).
fn check_osv(id: &str, doc: &Value, scheme: Scheme, failures: &mut Vec<String>) -> usize {
    let mut checked = 0;
    for affected in doc["affected"].as_array().into_iter().flatten() {
        let ranges: Vec<Range> = affected["ranges"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|r| matches!(r["type"].as_str(), Some("ECOSYSTEM" | "SEMVER")))
            .map(|r| Range::new(events(r)))
            .collect();
        for r in &ranges {
            for e in &r.events {
                let v = e.version();
                if v != "0" && v != "*" {
                    if let Err(err) = validate(scheme, v) {
                        failures.push(format!("{id}: {err}"));
                    }
                }
            }
        }
        if ranges.is_empty() {
            continue;
        }
        for v in affected["versions"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            checked += 1;
            match ranges
                .iter()
                .map(|r| r.contains(scheme, v))
                .collect::<Result<Vec<bool>, _>>()
            {
                Ok(hits) if hits.iter().any(|&h| h) => {}
                Ok(_) => failures.push(format!("{id}: listed version `{v}` is in no range")),
                Err(err) => failures.push(format!("{id}: {err}")),
            }
        }
    }
    checked
}

#[test]
fn osv_pypi_versions_agree_with_pep440_ranges() {
    let Some(dir) = shared_data() else { return };
    let archive = dir.join("osv-pypi/pypa-advisory-database-3ccb612-vulns.tar.zst");
    if !archive.is_file() {
        return;
    }
    let mut failures = Vec::new();
    let mut checked = 0;
    let mut records = 0;
    for (name, text) in tar_zst(archive) {
        if !name.ends_with(".yaml") {
            continue;
        }
        let doc: Value = serde_yaml_ng::from_str(&text).unwrap();
        records += 1;
        checked += check_osv(&name, &doc, Scheme::Pep440, &mut failures);
    }
    assert!(records > 2000, "{records}");
    assert!(checked > 50_000, "{checked}");
    // PyPI accepted some pre-PEP 440 releases (`0.3.0-SNAPSHOT`, `2004d`); those are the only
    // tolerated misses.
    assert!(
        failures.len() * 1000 < checked,
        "{} failures of {checked}: {:#?}",
        failures.len(),
        &failures[..failures.len().min(30)]
    );
}

#[test]
fn osv_go_versions_parse_and_ranges_are_sorted() {
    let Some(dir) = shared_data() else { return };
    let archive = dir.join("osv-go/golang-vulndb-a752ea5-osv.tar.zst");
    if !archive.is_file() {
        return;
    }
    let mut failures = Vec::new();
    let mut events_seen = 0;
    for (name, text) in tar_zst(archive) {
        if !name.ends_with(".json") {
            continue;
        }
        let doc: Value = serde_json::from_str(&text).unwrap();
        check_osv(&name, &doc, Scheme::Go, &mut failures);
        for affected in doc["affected"].as_array().into_iter().flatten() {
            for r in affected["ranges"].as_array().into_iter().flatten() {
                let evs = events(r);
                events_seen += evs.len();
                // The Go database writes events in ascending order.
                for w in evs.windows(2) {
                    let (a, b) = (w[0].version(), w[1].version());
                    if a != "0" {
                        let ord = onus_version::compare(Scheme::Go, a, b).unwrap();
                        assert_eq!(ord, std::cmp::Ordering::Less, "{name}: {a} before {b}");
                    }
                }
            }
        }
    }
    assert!(events_seen > 5000, "{events_seen}");
    assert!(
        failures.is_empty(),
        "{:#?}",
        &failures[..failures.len().min(30)]
    );
}

#[test]
fn wolfi_fixed_versions_are_valid_apk_versions() {
    let Some(dir) = shared_data() else { return };
    let archive = dir.join("wolfi-advisories/wolfi-advisories-3d461f6.tar.zst");
    if !archive.is_file() {
        return;
    }
    let mut seen = 0;
    let mut failures = Vec::new();
    for (name, text) in tar_zst(archive) {
        if !name.ends_with(".yaml") {
            continue;
        }
        // Only the `fixed-version:` lines are needed; read them without a schema.
        for line in text.lines() {
            if let Some(v) = line.trim().strip_prefix("fixed-version:") {
                let v = v.trim().trim_matches('"').trim_matches('\'');
                seen += 1;
                if let Err(e) = validate(Scheme::Apk, v) {
                    failures.push(format!("{name}: {e}"));
                }
            }
        }
    }
    assert!(seen > 10_000, "{seen}");
    // The snapshot holds one version apk-tools itself rejects (`opa-envoy`: `1.1.0-r1-r0`, two
    // package releases); it must stay an error, and nothing else may fail.
    assert!(
        failures.iter().all(|f| f.contains("-r1-r0")) && failures.len() <= 1,
        "{} of {seen}: {:#?}",
        failures.len(),
        &failures[..failures.len().min(30)]
    );
}

#[test]
fn nodejs_security_wg_ranges_parse() {
    let Some(dir) = shared_data() else { return };
    let archive = dir.join("nodejs-security-wg/nodejs-security-wg-f1288d0-vuln.tar.zst");
    if !archive.is_file() {
        return;
    }
    let mut seen = 0;
    let mut failures = Vec::new();
    for (name, text) in tar_zst(archive) {
        if !name.ends_with(".json") || name.ends_with("index.json") {
            continue;
        }
        let Ok(doc) = serde_json::from_str::<Value>(&text) else {
            continue;
        };
        for key in [
            "vulnerable",
            "patched",
            "vulnerable_versions",
            "patched_versions",
        ] {
            if let Some(r) = doc.get(key).and_then(Value::as_str) {
                seen += 1;
                if let Err(e) = NpmRange::parse(r) {
                    failures.push(format!("{name}: {e}"));
                }
            }
        }
    }
    assert!(seen > 1000, "{seen}");
    assert!(failures.is_empty(), "{:#?}", failures);
}
