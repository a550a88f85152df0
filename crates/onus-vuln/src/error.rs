//! Errors of the vulnerability store, the feed builder, the updater and the input readers.

use std::path::PathBuf;

/// Everything that can fail in this crate. Bad records inside a feed are not errors: they are
/// counted warnings in the build summary.
#[derive(Debug, thiserror::Error)]
pub enum VulnError {
    #[error("failed to open vulnerability store `{path}`")]
    Open {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("vulnerability store `{path}` has schema `{found}`, expected `{expected}` (rebuild it with `onus db build` or `onus db update`)")]
    Schema {
        path: PathBuf,
        found: String,
        expected: String,
    },
    #[error("vulnerability store `{path}` is damaged: {reason} (rebuild it with `onus db build` or `onus db update`)")]
    Damaged { path: PathBuf, reason: String },
    #[error("failed to query vulnerability store `{path}`")]
    Query {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("failed to write vulnerability store `{path}`")]
    Write {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("failed to read feed input `{path}`")]
    Input {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("failed to write the checksum of vulnerability store `{path}`")]
    Seal {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("failed to replace vulnerability store `{path}`")]
    Replace {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("no feed input was given to build the vulnerability store from")]
    NoInputs,
    #[error("the build of vulnerability store `{path}` was cancelled")]
    Cancelled { path: PathBuf },
    #[error(
        "no cache directory is known on this system for the vulnerability store: pass a store path"
    )]
    NoCacheDir,
    #[error("failed to read update config `{path}`")]
    ConfigRead {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("failed to parse update config `{path}`")]
    Config {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("failed to fetch feed `{url}`: {message}")]
    Fetch { url: String, message: String },
    #[error("checksum mismatch for feed `{url}`: expected sha256 `{expected}`, got `{actual}`")]
    Checksum {
        url: String,
        expected: String,
        actual: String,
    },
    #[error("feed `{url}` could not be read completely: {message}")]
    FeedIncomplete { url: String, message: String },
    #[error("failed to parse SBOM `{name}`: {message}")]
    Sbom { name: String, message: String },
    #[error("failed to parse OpenVEX document `{name}`: {message}")]
    Vex { name: String, message: String },
}
