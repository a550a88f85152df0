//! The advisory-schema fixtures, read in place from the shared data set (never copied here).
#![allow(dead_code, clippy::print_stderr)]

use std::path::PathBuf;

/// `ONUS_SHARED_DATA` or `<workspace>/../shared/data`.
fn shared_data() -> PathBuf {
    match std::env::var_os("ONUS_SHARED_DATA") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data")),
    }
}

/// `advisory-schema-fixtures/<name>`, or `None` (with a skip message) when the data is absent.
pub fn schema_fixture(name: &str) -> Option<String> {
    let path = shared_data().join("advisory-schema-fixtures").join(name);
    match std::fs::read_to_string(&path) {
        Ok(text) => Some(text),
        Err(_) => {
            eprintln!("skipping: shared data not found at {}", path.display());
            None
        }
    }
}
