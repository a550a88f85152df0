//! onus-sla: see Cargo.toml description.
