//! onus-catalog: see Cargo.toml description.
