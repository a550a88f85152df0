//! onus-image: see Cargo.toml description.
