//! onus-advisory: see Cargo.toml description.
