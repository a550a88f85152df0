//! An OCI Distribution client for reading images straight from registries: Docker-style
//! references, credentials (environment, Docker and containers credential files, credential
//! helpers), Basic and Bearer-token authentication, TLS with the user's CAs, manifests fetched
//! size-capped and digest-checked, and blobs opened as streams for the layer scan.
//!
//! Secrets never leave this crate except in request headers: errors, `Debug` output and
//! messages name registries, references and URLs only.

mod auth;
mod client;
mod error;
mod reference;

pub use auth::{Credential, CredentialSources};
pub use client::{Blob, Client, Manifest, RegistryOptions, MANIFEST_TYPES};
pub use error::RegistryError;
pub use reference::{Reference, DOCKER_HUB};
