//! Errors of parsing and reading advisory documents.

/// A document that could not be read or decoded (one per file; the reader carries on).
#[derive(Debug, thiserror::Error)]
pub enum AdvisoryError {
    #[error("failed to decode advisory document `{path}`")]
    Yaml {
        path: String,
        #[source]
        source: serde_yaml_ng::Error,
    },
    #[error("advisory document `{path}` uses schema version `{found}`: schema 1 is not supported, only schema 2 (`2`, `2.0.1`, `2.0.2`)")]
    SchemaV1 { path: String, found: String },
    #[error("advisory document `{path}` has unsupported schema version `{found}`: only schema 2.x is supported")]
    SchemaVersion { path: String, found: String },
    #[error("invalid timestamp `{value}` in advisory `{advisory}` event {event} of `{path}`: expected RFC 3339")]
    Timestamp {
        path: String,
        advisory: String,
        event: usize,
        value: String,
    },
    #[error("failed to decode the `{event_type}` data of advisory `{advisory}` event {event} in `{path}`")]
    EventData {
        path: String,
        advisory: String,
        event: usize,
        event_type: String,
        #[source]
        source: serde_yaml_ng::Error,
    },
    #[error("failed to read advisories from `{path}`")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "advisory document `{path}` is too large: {size} bytes exceeds the limit of {limit} bytes"
    )]
    TooLarge { path: String, size: u64, limit: u64 },
}

impl AdvisoryError {
    /// The file (or archive member) the error is about.
    pub fn path(&self) -> &str {
        match self {
            AdvisoryError::Yaml { path, .. }
            | AdvisoryError::SchemaV1 { path, .. }
            | AdvisoryError::SchemaVersion { path, .. }
            | AdvisoryError::Timestamp { path, .. }
            | AdvisoryError::EventData { path, .. }
            | AdvisoryError::Io { path, .. }
            | AdvisoryError::TooLarge { path, .. } => path,
        }
    }
}
