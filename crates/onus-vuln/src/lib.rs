//! Vulnerability data: feeds loaded into a local SQLite store, and the matcher that turns an
//! inventory into findings while keeping the vendor's advisory state on each.
//!
//! - [`build`] writes a store from local feed files ([`BuildInput`]), [`update`] fetches
//!   configured feeds first; both replace the store atomically.
//! - [`Store::open_readonly`] opens it; [`status`] reports provenance and age.
//! - [`match_sbom`] matches an [`onus_inventory::Sbom`] (or one read with [`read_sbom`]) and
//!   applies vendor advisories and OpenVEX statements ([`parse_vex`]).
//!
//! Architecture invariant: only the feed loaders, the updater and the store do I/O; the matcher
//! reads the store and returns data; [`Finding`] is plain data. Nothing here reads the clock.

mod build;
mod error;
mod feeds;
mod finding;
mod input;
mod lookups;
mod matcher;
mod sbom;
mod seal;
mod status;
mod store;
mod update;
pub mod versions;
mod vex;

pub use build::{build, BuildInput, BuildOptions, BuildSummary, SourceSummary};
pub use error::VulnError;
pub use feeds::{normalize_pypi, FeedKind};
pub use finding::{AdvisoryRef, AdvisoryStatus, Finding, Severity, SeveritySource};
pub use lookups::{lookup_key, LookupTable};
pub use matcher::{match_sbom, MatchOptions, MatchResult};
pub use sbom::read_sbom;
pub use status::{status, SourceStatus, StoreStatus, DEFAULT_MAX_AGE_DAYS};
pub use store::{default_store_path, SourceRecord, Store, STORE_SCHEMA};
pub use update::{update, FeedSource, UpdateConfig, UpdateOptions};
pub use vex::{parse_vex, VexDocument, VexStatement, VexStatus};
