//! onus-chp: see Cargo.toml description.
