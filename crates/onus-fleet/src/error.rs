//! Fleet errors, each with a stable code the service returns in its JSON error body.

/// Why a fleet operation failed. Every variant names the operation and the object.
#[derive(Debug, thiserror::Error)]
pub enum FleetError {
    #[error("{0}")]
    Config(String),
    #[error("cannot {operation} in the fleet database `{object}`")]
    Sqlite {
        operation: String,
        object: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error("cannot {operation} in the fleet database `{object}`: {message}")]
    Postgres {
        operation: String,
        object: String,
        message: String,
    },
    /// The database cannot be reached now (refused, restarted, lost); worth retrying.
    #[error("the fleet database `{object}` is unavailable: {message}")]
    Unavailable { object: String, message: String },
    #[error("the fleet database `{object}` holds schema version {found}, newer than this onus ({supported}); upgrade onus")]
    SchemaTooNew {
        object: String,
        found: i64,
        supported: i64,
    },
    /// The submitted document is not a report or SBOM onus can read.
    #[error("invalid submission: {0}")]
    InvalidInput(String),
    /// An SBOM without the manifest digest that keys images.
    #[error("the submission names no image manifest digest (`image.manifest_digest`): images are keyed by digest; scan the image itself, or add `?digest=sha256:…`")]
    UnknownImage,
    #[error("no image `{0}` in the fleet")]
    NotFound(String),
    #[error("cannot assess image `{digest}`")]
    Assess {
        digest: String,
        #[source]
        source: Box<onus_scan::ScanError>,
    },
    #[error("cannot read the vulnerability store `{path}`")]
    Store {
        path: String,
        #[source]
        source: Box<onus_vuln::VulnError>,
    },
    #[error("the feed update failed: {0}")]
    FeedUpdate(String),
    #[error("stored report of `{digest}` is unreadable: {message}")]
    Corrupt { digest: String, message: String },
    #[error("cannot draw random bytes for a token: {0}")]
    Random(String),
    #[error("a lock in the fleet store was poisoned by a panic")]
    Poisoned,
}

impl FleetError {
    /// The stable code of the service's JSON error body.
    pub fn code(&self) -> &'static str {
        match self {
            FleetError::Config(_) => "configuration",
            FleetError::Sqlite { .. } | FleetError::Postgres { .. } => "database_error",
            FleetError::Unavailable { .. } => "database_unavailable",
            FleetError::SchemaTooNew { .. } => "schema_too_new",
            FleetError::InvalidInput(_) => "invalid_submission",
            FleetError::UnknownImage => "unknown_image",
            FleetError::NotFound(_) => "not_found",
            FleetError::Assess { .. } => "assessment_failed",
            FleetError::Store { .. } => "store_error",
            FleetError::FeedUpdate(_) => "feed_update_failed",
            FleetError::Corrupt { .. } => "corrupt_record",
            FleetError::Random(_) => "internal",
            FleetError::Poisoned => "internal",
        }
    }

    /// Whether a client may retry later (the database is down, not the request wrong).
    pub fn is_transient(&self) -> bool {
        matches!(self, FleetError::Unavailable { .. })
    }
}
