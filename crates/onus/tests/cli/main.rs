//! Integration tests: drive the real `onus` binary on real images and real feeds.
#![allow(
    clippy::unwrap_used,
    clippy::print_stderr,
    reason = "tests fail loudly on unexpected data"
)]

#[path = "../support/mod.rs"]
mod support;

mod advisories;
mod architecture;
mod common;
mod damaged_store;
mod dashboard;
mod debian_images;
mod ecosystems;
mod example;
mod feed_mirror;
mod fleet;
mod matching;
mod policy;
mod postgres;
mod registry;
mod registry_hostile;
mod registry_token;
mod roundtrip;
mod sbom;
mod scan;
mod stale_wolfi;
