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
