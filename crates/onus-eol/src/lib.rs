//! onus-eol: see Cargo.toml description.
