//! Real-data tests over the Wolfi advisories archive, read in place (never copied).
#![allow(clippy::unwrap_used, clippy::print_stderr)]

use std::path::PathBuf;
use std::sync::OnceLock;

use onus_advisory::{read_documents, Document};

fn shared_data() -> Option<PathBuf> {
    let dir = std::env::var_os("ONUS_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data"))
        });
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("skipping: shared data not found at {}", dir.display());
        None
    }
}

fn wolfi_archive() -> Option<PathBuf> {
    Some(shared_data()?.join("wolfi-advisories/wolfi-advisories-3d461f6.tar.zst"))
}

/// Every Wolfi document, read once for all tests of this file.
fn wolfi_docs() -> Option<&'static [(String, Document)]> {
    static DOCS: OnceLock<Vec<(String, Document)>> = OnceLock::new();
    let archive = wolfi_archive()?;
    Some(DOCS.get_or_init(|| read_documents(&archive).map(|item| item.unwrap()).collect()))
}

#[test]
fn every_wolfi_document_parses() {
    let Some(docs) = wolfi_docs() else { return };
    let (mut files, mut advisories, mut events) = (0, 0, 0);
    for (name, doc) in docs {
        assert_eq!(*name, format!("{}.advisories.yaml", doc.package.name));
        files += 1;
        advisories += doc.advisories.len();
        events += doc.advisories.iter().map(|a| a.events.len()).sum::<usize>();
        for adv in &doc.advisories {
            assert!(adv.current_event().is_some(), "{}", adv.id);
        }
    }
    assert_eq!((files, advisories, events), (1616, 30030, 50996));
}

#[test]
fn wolfi_validation_matches_the_published_anomaly_counts() {
    let Some(docs) = wolfi_docs() else { return };
    let now = "2026-01-08T00:00:00Z".parse().unwrap();
    let mut validator = onus_advisory::Validator::new(onus_advisory::ValidateOptions::new(now));
    for (name, doc) in docs {
        validator.add_document(name, doc);
    }
    let report = validator.finish();
    let mut by_code = std::collections::BTreeMap::new();
    for d in &report.diagnostics {
        *by_code.entry(d.code.code()).or_insert(0usize) += 1;
    }
    eprintln!("{by_code:?}");
    assert_eq!(report.files, 1616);
    assert_eq!(report.advisories, 30030);
    // model.md §4.3 (ADV-DATA): 41 advisories list events out of timestamp order, 17 have ties.
    assert_eq!(by_code.get("events-out-of-order"), Some(&41));
    assert_eq!(by_code.get("timestamp-tie"), Some(&17));
    // Advisories with a detection after a fix (313 fixed→detection transitions in the data).
    assert_eq!(by_code.get("redetected-after-fix"), Some(&236));
    // `1.2.3-r9-r9`-shaped: the only malformed fixed-version in the set.
    assert_eq!(by_code.get("invalid-fixed-version"), Some(&1));
}

/// The decision `resolved_at_version` implies for a secdb-style lookup (model §4.4): a current
/// `fixed` gives fixed/affected by version, a false positive gives not-affected, other states
/// are not listed (the scanner keeps its own match).
fn advisory_decision(
    adv: &onus_advisory::Advisory,
    installed: &str,
) -> onus_advisory::SecdbDecision {
    use onus_advisory::{EventKind, SecdbDecision};
    match adv.current_event().map(|e| &e.kind) {
        Some(EventKind::FalsePositiveDetermination { .. }) => SecdbDecision::NotAffected,
        Some(EventKind::Fixed {
            fixed_version: Some(_),
        }) => {
            if adv.resolved_at_version(installed, "apk") {
                SecdbDecision::Fixed
            } else {
                SecdbDecision::Affected
            }
        }
        _ => SecdbDecision::NotListed,
    }
}

#[test]
fn secdb_round_trip_agrees_with_resolved_at_version() {
    let Some(docs) = wolfi_docs() else { return };
    let secdb = onus_advisory::export_secdb(
        docs.iter().map(|(_, d)| d),
        &onus_advisory::SecdbOptions::default(),
    );
    // Through the serialised form, as a scanner would read it.
    let bytes = serde_json::to_vec(&secdb).unwrap();
    let secdb: onus_advisory::Secdb = serde_json::from_slice(&bytes).unwrap();
    let index = secdb.index();
    let (mut checked, mut fixed_seen, mut affected_seen, mut fp_seen) =
        (0usize, 0usize, 0usize, 0usize);
    // Every 7th package: candidate installed versions are the package's own fixed versions
    // (capped), plus the lowest and a very high version.
    for (_, doc) in docs.iter().step_by(7) {
        let mut candidates: Vec<String> = vec!["0-r0".into(), "99999-r0".into()];
        for adv in &doc.advisories {
            for e in &adv.events {
                if let Some(v) = e.kind.fixed_version() {
                    if candidates.len() < 8 && !candidates.iter().any(|c| c == v) {
                        candidates.push(v.to_string());
                    }
                }
            }
        }
        for adv in &doc.advisories {
            for installed in &candidates {
                let expected = advisory_decision(adv, installed);
                for alias in &adv.aliases {
                    let got = index.lookup(&doc.package.name, installed, alias);
                    assert_eq!(
                        got, expected,
                        "{} {} {} at {installed}",
                        doc.package.name, adv.id, alias
                    );
                    checked += 1;
                    match got {
                        onus_advisory::SecdbDecision::Fixed => fixed_seen += 1,
                        onus_advisory::SecdbDecision::Affected => affected_seen += 1,
                        onus_advisory::SecdbDecision::NotAffected => fp_seen += 1,
                        onus_advisory::SecdbDecision::NotListed => {}
                    }
                }
                // The CGA id is never in the secdb.
                assert_eq!(
                    index.lookup(&doc.package.name, installed, &adv.id),
                    onus_advisory::SecdbDecision::NotListed
                );
            }
        }
    }
    eprintln!("secdb round trip: {checked} lookups, {fixed_seen} fixed, {affected_seen} affected, {fp_seen} not affected");
    assert!(checked > 10_000 && fixed_seen > 1000 && affected_seen > 1000 && fp_seen > 100);
}
