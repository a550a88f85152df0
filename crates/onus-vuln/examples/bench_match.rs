//! Benchmarks for the store and the matcher (not a test; figures vary by machine).
//!
//! Run: `cargo run -p onus-vuln --release --example bench_match -- [DATA_DIR] [WORK_DIR]`
//! (defaults: `$ONUS_SHARED_DATA` or `../shared/data`, and a fresh directory under the system
//! temp dir). Measures: `build` from all of DATA_DIR (time, store size); matching one
//! inventory of 1,000 components with the store open; re-matching 1,000 stored SBOMs of
//! about 200 components on 2 threads.

#![allow(clippy::print_stdout, clippy::unwrap_used)]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use onus_inventory::{Component, Ecosystem, ImageInfo, OsInfo, Sbom, SourceInfo, SBOM_SCHEMA};
use onus_vuln::{build, match_sbom, BuildInput, BuildOptions, MatchOptions, Store};

fn component(eco: Ecosystem, name: &str, version: &str, purl: String) -> Component {
    Component {
        name: name.to_string(),
        version: version.to_string(),
        ecosystem: eco,
        purl,
        layer: Some(0),
        locations: Vec::new(),
        owner: None,
        found_by: "bench".to_string(),
        origin: None,
        origin_version: None,
        arch: None,
        files: Vec::new(),
        metadata: Default::default(),
    }
}

fn sbom(components: Vec<Component>) -> Sbom {
    Sbom {
        schema: SBOM_SCHEMA.to_string(),
        source: SourceInfo::default(),
        image: ImageInfo {
            os: Some(OsInfo {
                id: "wolfi".to_string(),
                version_id: Some("20230201".to_string()),
                ..OsInfo::default()
            }),
            ..ImageInfo::default()
        },
        components,
        unknowns: Vec::new(),
    }
}

/// Real package names from the store: apk origins with advisories, PyPI, Go and npm packages.
fn pool(db: &PathBuf) -> Vec<Component> {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let names = |sql: &str| -> Vec<String> {
        let mut stmt = conn.prepare(sql).unwrap();
        stmt.query_map([], |r| r.get::<_, String>(0))
            .unwrap()
            .map(|r| r.unwrap())
            .collect()
    };
    let mut out = Vec::new();
    for (i, p) in names("SELECT DISTINCT package FROM distro_advisories ORDER BY package LIMIT 400")
        .iter()
        .enumerate()
    {
        let v = if i % 2 == 0 { "0.0.1-r0" } else { "99.0.0-r0" };
        out.push(component(
            Ecosystem::Apk,
            p,
            v,
            format!("pkg:apk/wolfi/{p}@{v}?arch=x86_64"),
        ));
    }
    for p in names(
        "SELECT DISTINCT package FROM affected WHERE ecosystem = 'PyPI' ORDER BY package LIMIT 250",
    ) {
        out.push(component(
            Ecosystem::Pypi,
            &p,
            "1.0.0",
            format!("pkg:pypi/{p}@1.0.0"),
        ));
    }
    for p in names(
        "SELECT DISTINCT package FROM affected WHERE ecosystem = 'Go' ORDER BY package LIMIT 250",
    ) {
        out.push(component(
            Ecosystem::Golang,
            &p,
            "v0.1.0",
            format!("pkg:golang/{p}@v0.1.0"),
        ));
    }
    for p in names(
        "SELECT DISTINCT package FROM affected WHERE ecosystem = 'npm' ORDER BY package LIMIT 100",
    ) {
        out.push(component(
            Ecosystem::Npm,
            &p,
            "1.0.0",
            format!("pkg:npm/{p}@1.0.0"),
        ));
    }
    out.truncate(1000);
    out
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let data = args
        .get(1)
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("ONUS_SHARED_DATA").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("../shared/data"));
    let work = args
        .get(2)
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join(format!("onus-bench-{}", std::process::id())));
    std::fs::create_dir_all(&work).unwrap();
    let db = work.join("vuln.db");

    // BENCH_REUSE=1 reuses an existing store in WORK_DIR (for profiling the matcher alone).
    if std::env::var_os("BENCH_REUSE").is_none() || !db.exists() {
        let start = Instant::now();
        let summary = build(
            &db,
            &[BuildInput::new(&data)],
            &BuildOptions::default(),
            &mut |_| {},
        )
        .unwrap();
        let build_time = start.elapsed();
        let records: u64 = summary.sources.iter().map(|s| s.records).sum();
        println!(
            "db build from {}: {:.2?}, store {:.1} MiB, {} records in {} sources",
            data.display(),
            build_time,
            summary.store_bytes as f64 / 1_048_576.0,
            records,
            summary.sources.len()
        );
    }

    let components = pool(&db);
    let store = Store::open_readonly(&db).unwrap();
    let inventory = sbom(components.clone());
    // Cold: a freshly opened store for each run (empty lookup cache), timing the match only.
    let mut cold: Vec<Duration> = (0..5)
        .map(|_| {
            let fresh = Store::open_readonly(&db).unwrap();
            let t = Instant::now();
            let result = match_sbom(&fresh, &inventory, &MatchOptions::default()).expect("match");
            let elapsed = t.elapsed();
            drop(result);
            elapsed
        })
        .collect();
    cold.sort();
    println!(
        "match {} components on a freshly opened store: median {:.2?} (min {:.2?})",
        inventory.components.len(),
        cold[cold.len() / 2],
        cold[0]
    );
    if std::env::var_os("BENCH_COLD").is_some() {
        return;
    }
    let first = match_sbom(&store, &inventory, &MatchOptions::default()).expect("match");
    let mut times: Vec<Duration> = (0..7)
        .map(|_| {
            let t = Instant::now();
            let r = match_sbom(&store, &inventory, &MatchOptions::default()).expect("match");
            assert_eq!(r.findings.len(), first.findings.len());
            t.elapsed()
        })
        .collect();
    times.sort();
    println!(
        "match {} components again on the same store (warm lookup cache): median {:.2?} (min {:.2?}); {} findings, {} suppressed",
        inventory.components.len(),
        times[times.len() / 2],
        times[0],
        first.findings.len(),
        first.suppressed.len()
    );

    if std::env::var_os("BENCH_SINGLE").is_some() {
        return;
    }
    // 1,000 SBOMs of ~200 components drawn from the pool (deterministic LCG).
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (seed >> 33) as usize
    };
    let sboms: Vec<Sbom> = (0..1000)
        .map(|_| {
            let n = 180 + next() % 41;
            let mut picked: Vec<Component> = (0..n)
                .map(|_| components[next() % components.len()].clone())
                .collect();
            picked.sort_by(|a, b| a.purl.cmp(&b.purl));
            picked.dedup_by(|a, b| a.purl == b.purl);
            sbom(picked)
        })
        .collect();
    let total: usize = sboms.iter().map(|s| s.components.len()).sum();
    let start = Instant::now();
    let findings: usize = std::thread::scope(|scope| {
        let handles: Vec<_> = sboms
            .chunks(sboms.len().div_ceil(2))
            .map(|chunk| {
                let db = db.clone();
                scope.spawn(move || {
                    let store = Store::open_readonly(&db).unwrap();
                    chunk
                        .iter()
                        .map(|s| {
                            match_sbom(&store, s, &MatchOptions::default())
                                .expect("match")
                                .findings
                                .len()
                        })
                        .sum::<usize>()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    println!(
        "re-match {} SBOMs ({} components) on 2 threads: {:.2?}, {} findings",
        sboms.len(),
        total,
        start.elapsed(),
        findings
    );
}
