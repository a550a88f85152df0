//! Fuzz the rpm database readers (SQLite, Berkeley DB hash, NDB) and the header blob parser: any
//! bytes give header blobs or a reason, never a panic or an unbounded allocation, and every
//! header that parses has a name and a version.
#![no_main]

use libfuzzer_sys::fuzz_target;
use onus_catalog::{parse_rpm_header, read_rpm_database, RpmBackend};

fuzz_target!(|data: &[u8]| {
    if let Ok(header) = parse_rpm_header(data) {
        assert!(!header.name.is_empty() && !header.version.is_empty());
    }
    for backend in [RpmBackend::BerkeleyDb, RpmBackend::Ndb, RpmBackend::Sqlite] {
        if let Ok(blobs) = read_rpm_database(backend, data) {
            for blob in blobs {
                let _ = parse_rpm_header(&blob);
            }
        }
    }
});
