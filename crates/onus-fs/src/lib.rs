//! A read-only, layer-aware view of an image's files.
//!
//! Image readers (`onus-image`) turn each layer into a [`LayerListing`]; [`SquashedView`] applies
//! them in order (OCI whiteouts, opaque directories, a non-directory replacing a directory) and
//! answers path queries the way a running container would see the filesystem, while keeping for
//! every path the chain of layer versions that are still visible.
//!
//! Content is captured only for the files some cataloger asked for (see [`CapturePolicy`]), so
//! the view never holds bytes that nobody parses.
//!
//! Architecture invariant: this crate knows nothing about packages, images or tar; catalogers
//! are written and tested against it with hand-built listings.

use std::sync::Arc;

mod squash;
pub use squash::{LayerListing, ListingEntry, SquashedView};

/// The identity of one layer of the image being viewed.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct LayerId {
    /// Position in the image, 0 = bottom layer.
    pub index: usize,
    /// `sha256:…` of the uncompressed layer; empty for a plain directory source.
    pub diff_id: String,
}

/// What kind of filesystem object an entry is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum FileKind {
    Regular,
    Directory,
    Symlink,
    /// A hard link; `link_target` names the image path it points at.
    Hardlink,
    /// Devices, fifos and anything else that carries no content.
    Other,
}

/// Metadata of one version of a path, as the layer declared it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileMeta {
    pub kind: FileKind,
    /// Unix permission bits (`0o7777` mask).
    pub mode: u32,
    /// Declared size in bytes (0 for non-regular files).
    pub size: u64,
    /// Symlink or hard-link target exactly as stored (not resolved).
    pub link_target: Option<String>,
}

impl FileMeta {
    /// True when any execute bit is set on a regular file.
    pub fn is_executable_file(&self) -> bool {
        self.kind == FileKind::Regular && self.mode & 0o111 != 0
    }
}

/// Bytes captured for a file, or derived from it by a [`ContentSink`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Content {
    pub bytes: Arc<[u8]>,
    /// False when the capture stopped at its size cap.
    pub complete: bool,
}

/// One version of a path: the layer that wrote it, its metadata and captured content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileVersion {
    /// Index of the layer that wrote this version.
    pub layer: usize,
    pub meta: FileMeta,
    pub content: Option<Content>,
}

/// The header of a file as an image reader meets it, before its content is read.
#[derive(Debug, Clone, Copy)]
pub struct EntryHeader<'a> {
    /// Normalised absolute path (`/usr/bin/env`).
    pub path: &'a str,
    pub kind: FileKind,
    pub mode: u32,
    pub size: u64,
}

/// Receives a file's bytes chunk by chunk and keeps only what it needs.
pub trait ContentSink: Send {
    /// Called with consecutive chunks of the file.
    fn write(&mut self, chunk: &[u8]);
    /// Called once at the end; the result becomes the file's [`Content`] (`None`: nothing kept).
    fn finish(self: Box<Self>) -> Option<Vec<u8>>;
}

/// What to keep of one file's content.
pub enum Capture {
    /// Keep nothing (metadata only).
    Skip,
    /// Keep the bytes, up to `max_bytes`; a larger file is kept truncated with `complete = false`.
    Whole { max_bytes: u64 },
    /// Stream the bytes through a sink and keep what it returns.
    Sink(Box<dyn ContentSink>),
}

/// Decides, from a file's header, what of its content to capture. Catalogers provide it.
pub trait CapturePolicy: Send + Sync {
    fn capture(&self, header: &EntryHeader<'_>) -> Capture;

    /// For a regular file this policy does not capture: keep it as a full entry (listed by
    /// [`FileView::paths`], with its metadata)? When false the view keeps only that the file
    /// exists and since which layer ([`FileView::regular_file_since`]), about 16 bytes instead
    /// of a path and a version: what keeps memory bounded by what is needed, not by file count.
    fn keep_entry(&self, _header: &EntryHeader<'_>) -> bool {
        true
    }
}

/// A policy that captures nothing.
pub struct CaptureNothing;

impl CapturePolicy for CaptureNothing {
    fn capture(&self, _header: &EntryHeader<'_>) -> Capture {
        Capture::Skip
    }
}

/// Why a path could not be resolved inside the image.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    #[error("path `{0}` does not exist in the image")]
    NotFound(String),
    #[error("too many levels of symbolic links resolving `{0}`")]
    Loop(String),
}

/// The read-only query interface that catalogers and detectors use.
///
/// Paths are absolute and normalised (`/etc/os-release`). Symlinks are followed only inside the
/// image: `..` never climbs above `/`, and absolute targets are taken relative to the image root.
pub trait FileView: Send + Sync {
    /// The layers of the image, bottom first.
    fn layers(&self) -> &[LayerId];
    /// Every visible path (squashed), sorted, without resolving symlinks.
    fn paths(&self) -> Box<dyn Iterator<Item = &str> + '_>;
    /// The current (topmost visible) version of `path`, without resolving symlinks.
    fn entry(&self, path: &str) -> Option<&FileVersion>;
    /// All visible versions of `path`, oldest first: the versions written by successive layers
    /// since the path last appeared (a delete or replacement by a whiteout starts a new chain).
    fn history(&self, path: &str) -> &[FileVersion];
    /// Follow symlinks (in every path component) and hard links inside the image and return the
    /// real path.
    fn resolve(&self, path: &str) -> Result<String, ResolveError>;
    /// The layer since which the regular file at `path` (a real path) has been present, or
    /// `None` when it is not a regular file. Unlike [`Self::history`] it also answers for files
    /// the image reader kept without an entry ([`CapturePolicy::keep_entry`]).
    fn regular_file_since(&self, path: &str) -> Option<usize> {
        regular_since(self.history(path))
    }
    /// Captured content of the file at `path` (after resolving links), if any was captured.
    fn content(&self, path: &str) -> Option<&Content> {
        let real = self.resolve(path).ok()?;
        self.entry(&real)?.content.as_ref()
    }
}

/// The longest path (in bytes) a view holds or resolves, as Linux's `PATH_MAX`; longer archive
/// paths cannot exist in a running container and are reported and skipped by image readers.
/// The first layer of a version chain whose current version is a regular file.
pub(crate) fn regular_since(history: &[FileVersion]) -> Option<usize> {
    match (history.first(), history.last()) {
        (Some(first), Some(last)) if last.meta.kind == FileKind::Regular => Some(first.layer),
        _ => None,
    }
}

pub const MAX_PATH_BYTES: usize = 4096;

/// Normalise a path from an archive into an absolute image path, or `None` when it cannot be
/// made safe (it is empty after normalisation or it contains a NUL byte).
///
/// `./a/b`, `a//b/` and `/a/./b` all become `/a/b`; `..` components are resolved lexically and
/// never climb above the root, so `../../etc/passwd` becomes `/etc/passwd`.
pub fn normalize_path(raw: &str) -> Option<String> {
    if raw.contains('\0') {
        return None;
    }
    // One allocation: components are appended, and `..` truncates back to the previous `/`.
    let mut out = String::with_capacity(raw.len() + 1);
    for part in raw.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                let keep = out.rfind('/').unwrap_or(0);
                out.truncate(keep);
            }
            other => {
                out.push('/');
                out.push_str(other);
            }
        }
    }
    if out.is_empty() {
        out.push('/');
    }
    Some(out)
}

/// True when `path` is already what [`normalize_path`] would make of it.
pub fn is_normalized(path: &str) -> bool {
    if path == "/" {
        return true;
    }
    path.starts_with('/')
        && !path.contains('\0')
        && path[1..]
            .split('/')
            .all(|c| !c.is_empty() && c != "." && c != "..")
}

/// The parent of a normalised absolute path (`/a/b` → `/a`, `/a` → `/`).
pub fn parent(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(i) => &path[..i],
    }
}

/// The last component of a normalised absolute path.
pub fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Progress of long work, reported by libraries and drawn by the binary (indicatif on stderr).
///
/// Libraries never print; they call these methods. Every method has a no-op default.
pub trait Reporter: Send + Sync {
    /// A new stage begins (`reading layers`, `matching`); `total` in units of the stage, if known.
    fn stage(&self, _name: &str, _total: Option<u64>) {}
    /// `delta` more units of the current stage are done (bytes, files, records).
    fn advance(&self, _delta: u64) {}
    /// The current stage is over.
    fn finish_stage(&self) {}
    /// A non-fatal warning worth showing to the user (a skipped feed record, a stale store).
    fn warn(&self, _message: &str) {}
    /// A one-line status for a person watching (`built … 13 sources`); `--quiet` hides it.
    fn note(&self, _message: &str) {}
}

/// A [`Reporter`] that ignores everything (tests, `--quiet`).
pub struct NoReporter;

impl Reporter for NoReporter {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_paths_without_escaping_root() {
        assert_eq!(normalize_path("./a//b/").as_deref(), Some("/a/b"));
        assert_eq!(
            normalize_path("../../etc/passwd").as_deref(),
            Some("/etc/passwd")
        );
        assert_eq!(normalize_path("/a/./b/../c").as_deref(), Some("/a/c"));
        assert_eq!(normalize_path("").as_deref(), Some("/"));
        assert_eq!(normalize_path("a\0b"), None);
        assert_eq!(normalize_path("a/b/../../..").as_deref(), Some("/"));
        assert_eq!(normalize_path("/x/../y/./z/..").as_deref(), Some("/y"));
        for clean in ["/", "/a", "/a/b.c", "/..a/b"] {
            assert!(is_normalized(clean), "{clean}");
            assert_eq!(normalize_path(clean).as_deref(), Some(clean));
        }
        for dirty in ["", "a", "/a/", "//a", "/a/./b", "/a/../b", "/a/..", "/a\0"] {
            assert!(!is_normalized(dirty), "{dirty}");
        }
        assert_eq!(parent("/a/b"), "/a");
        assert_eq!(parent("/a"), "/");
        assert_eq!(file_name("/a/b"), "b");
    }
}
