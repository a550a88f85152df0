//! onus: see Cargo.toml description.
