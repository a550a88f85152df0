//! Fuzz the apk `installed` database parser: any bytes give records and messages, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (records, errors) = onus_catalog::parse_apk_installed(data);
    for record in &records {
        assert!(!record.name.is_empty() && !record.version.is_empty());
        for file in &record.files {
            assert!(file.starts_with('/') && !file.split('/').any(|c| c == ".."));
        }
    }
    // Messages are capped (plus one summary line).
    assert!(errors.len() <= 21);
});
