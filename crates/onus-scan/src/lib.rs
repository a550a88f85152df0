//! onus-scan: see Cargo.toml description.
