//! Fuzz the dpkg status parser: any bytes give records and messages, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (records, errors) = onus_catalog::parse_dpkg_status(data);
    for record in &records {
        assert!(!record.package.is_empty() && !record.version.is_empty());
        let _ = record.is_installed();
    }
    // Messages are capped (plus one summary line).
    assert!(errors.len() <= 21);
});
