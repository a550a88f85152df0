//! Reports and SBOMs posted to the fleet service by strangers: parsing a submission never
//! panics, whatever the bytes, and an accepted one always has a valid digest.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let digest = format!("sha256:{}", "0".repeat(64));
    if let Ok(submission) = onus_fleet::Submission::parse(data, Some(&digest), &[]) {
        assert!(submission.digest.starts_with("sha256:"));
    }
});
