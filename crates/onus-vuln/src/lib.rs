//! Vulnerability data: feeds loaded into a local SQLite store, and the matcher that turns an
//! inventory into findings while keeping the vendor's advisory state on each.
//!
//! Architecture invariant: only the feed loaders and the store do I/O; [`Finding`] is plain data.

mod finding;
pub use finding::{AdvisoryRef, AdvisoryStatus, Finding, Severity, SeveritySource};
