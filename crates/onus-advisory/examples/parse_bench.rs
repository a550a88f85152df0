//! Benchmark (not a test): read and parse every advisory document under a path, validate and
//! export secdb, and print counts and timings. Run with
//! `cargo run --release -p onus-advisory --example parse_bench -- <dir|tar.zst>` under
//! `/usr/bin/time -v` for the peak RSS.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::time::Instant;

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: parse_bench <advisories dir | .tar.zst>");
        std::process::exit(2);
    };
    let t_raw = Instant::now();
    let mut raw_bytes = 0usize;
    let mut raw: Vec<(String, Vec<u8>)> = Vec::new();
    for (name, bytes) in onus_advisory::read_files(&path).flatten() {
        raw_bytes += bytes.len();
        raw.push((name, bytes));
    }
    let raw_time = t_raw.elapsed();
    let t_yaml = Instant::now();
    let mut values = 0usize;
    for (_, bytes) in &raw {
        if serde_yaml_ng::from_slice::<serde_yaml_ng::Value>(bytes).is_ok() {
            values += 1;
        }
    }
    let yaml_time = t_yaml.elapsed();
    let t_parse = Instant::now();
    for (name, bytes) in &raw {
        let _ = onus_advisory::parse_document(bytes, name);
    }
    let parse_time = t_parse.elapsed();
    println!(
        "read={:.3}s ({raw_bytes} bytes) yaml_value={:.3}s ({values}) parse_document={:.3}s",
        raw_time.as_secs_f64(),
        yaml_time.as_secs_f64(),
        parse_time.as_secs_f64()
    );
    drop(raw);
    let t0 = Instant::now();
    let (mut files, mut advisories, mut events, mut errors) = (0usize, 0usize, 0usize, 0usize);
    let mut docs = Vec::new();
    for item in onus_advisory::read_documents(&path) {
        match item {
            Ok((_, doc)) => {
                files += 1;
                advisories += doc.advisories.len();
                events += doc.advisories.iter().map(|a| a.events.len()).sum::<usize>();
                docs.push(doc);
            }
            Err(e) => {
                errors += 1;
                eprintln!("{e}");
            }
        }
    }
    let parsed = t0.elapsed();
    let now = chrono::DateTime::parse_from_rfc3339("2026-01-08T00:00:00Z")
        .map(|t| t.with_timezone(&chrono::Utc))
        .unwrap_or_default();
    let mut validator = onus_advisory::Validator::new(onus_advisory::ValidateOptions::new(now));
    for doc in &docs {
        validator.add_document(&format!("{}.advisories.yaml", doc.package.name), doc);
    }
    let report = validator.finish();
    let validated = t0.elapsed();
    let secdb = onus_advisory::export_secdb(&docs, &onus_advisory::SecdbOptions::default());
    let exported = t0.elapsed();
    println!(
        "files={files} advisories={advisories} events={events} errors={errors} diagnostics={} secdb_packages={}",
        report.diagnostics.len(),
        secdb.packages.len()
    );
    println!(
        "read+parse={:.3}s validate={:.3}s secdb={:.3}s",
        parsed.as_secs_f64(),
        (validated - parsed).as_secs_f64(),
        (exported - validated).as_secs_f64()
    );
}
