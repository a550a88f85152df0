//! onus-report: see Cargo.toml description.
