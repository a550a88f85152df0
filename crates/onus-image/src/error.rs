//! The error type of image reading: every variant names the operation and the object.

/// Why an image could not be read. A bad file *inside* a layer is not an error (it becomes an
/// unknown); these are the failures that make the image as a whole unreadable or untrustworthy.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ImageError {
    /// The source string names a scheme or a kind of input that is not supported.
    #[error("unsupported image source `{input}`: {reason}")]
    UnsupportedSource { input: String, reason: String },
    /// No scheme was given and the format could not be told from the path.
    #[error("cannot detect the image format of `{path}`: {reason}")]
    Detect { path: String, reason: String },
    /// An I/O error on the host (open, read, seek).
    #[error("cannot read `{path}`: {message}")]
    Io { path: String, message: String },
    /// A file or blob that the metadata references is absent.
    #[error("`{object}` is missing from `{location}`")]
    Missing { object: String, location: String },
    /// Metadata (index, manifest, config, manifest.json) that does not parse or is inconsistent.
    #[error("invalid {what} `{object}`: {reason}")]
    Invalid {
        what: &'static str,
        object: String,
        reason: String,
    },
    /// A blob's content does not hash to the digest that references it.
    #[error("digest mismatch for {what} `{expected}`: the content hashes to `{actual}`")]
    DigestMismatch {
        what: &'static str,
        expected: String,
        actual: String,
    },
    /// A layer's uncompressed content does not hash to the config's `rootfs.diff_ids` entry.
    #[error(
        "diff_id mismatch for layer {index} `{layer}`: the config says `{expected}`, the uncompressed content hashes to `{actual}`"
    )]
    DiffIdMismatch {
        index: usize,
        layer: String,
        expected: String,
        actual: String,
    },
    /// A layer stream that cannot be decompressed or walked (truncated, not a tar, bad header).
    #[error("cannot read layer {index} `{layer}`: {reason}")]
    Layer {
        index: usize,
        layer: String,
        reason: String,
    },
    /// A hostile-input limit from [`crate::Limits`] was reached.
    #[error("limit exceeded reading {object}: {what}")]
    Limit { object: String, what: String },
    /// The registry could not be reached, refused the credentials, or served something wrong.
    #[error("cannot pull `{reference}`: {message}")]
    Registry { reference: String, message: String },
    /// The index has no image for the requested platform.
    #[error("no image for platform `{wanted}` in `{location}` (available: {available})")]
    Platform {
        wanted: String,
        location: String,
        available: String,
    },
}

impl ImageError {
    pub(crate) fn io(path: impl std::fmt::Display, err: &std::io::Error) -> Self {
        ImageError::Io {
            path: path.to_string(),
            message: err.to_string(),
        }
    }
}
