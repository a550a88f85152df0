//! onus-version: see Cargo.toml description.
