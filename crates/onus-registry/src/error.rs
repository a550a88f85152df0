//! Registry errors. Each names the reference or URL and the operation; none carries a secret
//! (credentials and tokens never enter a message).

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("`{input}` is not an image reference: {reason}")]
    Reference { input: String, reason: String },
    #[error("authentication to `{registry}` failed: {reason}")]
    Auth { registry: String, reason: String },
    #[error("cannot {op} `{object}`: HTTP {status}{detail}")]
    Status {
        op: &'static str,
        object: String,
        status: u16,
        /// The registry's own error text, clipped (never request headers).
        detail: String,
    },
    #[error("cannot {op} `{object}`: {reason}")]
    Transport {
        op: &'static str,
        object: String,
        reason: String,
    },
    #[error("{what} `{object}` is invalid: {reason}")]
    Invalid {
        what: &'static str,
        object: String,
        reason: String,
    },
    #[error("cannot read {what} `{}`", path.display())]
    Io {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("credential helper `{helper}` failed for `{registry}`: {reason}")]
    Helper {
        helper: String,
        registry: String,
        reason: String,
    },
}
