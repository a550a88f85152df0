//! Real-data tests over the Wolfi advisories archive, read in place (never copied).
#![allow(clippy::unwrap_used, clippy::print_stderr)]

use std::path::PathBuf;

use onus_advisory::read_documents;

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

#[test]
fn every_wolfi_document_parses() {
    let Some(archive) = wolfi_archive() else {
        return;
    };
    let (mut files, mut advisories, mut events) = (0, 0, 0);
    for item in read_documents(&archive) {
        let (name, doc) = item.unwrap();
        assert_eq!(name, format!("{}.advisories.yaml", doc.package.name));
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
    let Some(archive) = wolfi_archive() else {
        return;
    };
    let now = "2026-01-08T00:00:00Z".parse().unwrap();
    let report = onus_advisory::validate_path(&archive, onus_advisory::ValidateOptions::new(now));
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
