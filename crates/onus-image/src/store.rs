//! Where the files of an image layout live: a directory, members of an uncompressed tar read in
//! place by offset, or (for a compressed archive read in one pass) the small JSON members kept
//! in memory. Layout parsers (`oci`, `docker`) read through this one interface.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};

use crate::layer::sha256_string;
use crate::{ImageError, Limits};

/// Symlink hops allowed between members of an archive (docker's legacy format links layers).
const MAX_MEMBER_HOPS: usize = 16;

/// An opened file of the layout.
pub(crate) struct Member {
    pub reader: Box<dyn Read + Send>,
    pub size: u64,
}

/// Read access to the files of an image layout, by relative path (`index.json`,
/// `blobs/sha256/<hex>`, `<id>/layer.tar`).
pub(crate) trait Store: Sync {
    /// The source location, for error messages.
    fn location(&self) -> &str;
    /// Open a file; `Ok(None)` when it does not exist.
    fn open(&self, path: &str) -> Result<Option<Member>, ImageError>;
    /// The size of a file, if it exists.
    fn size(&self, path: &str) -> Result<Option<u64>, ImageError>;
}

/// Normalise a layout-relative path (`./a//b` → `a/b`); `None` when it is absolute or escapes.
pub(crate) fn relative_path(raw: &str) -> Option<String> {
    if raw.starts_with('/') || crate::walk::path_escapes(raw) {
        return None;
    }
    let normalized = onus_fs::normalize_path(raw)?;
    let relative = normalized.trim_start_matches('/');
    (!relative.is_empty()).then(|| relative.to_string())
}

/// The layout path of a blob, after checking the digest's form (`sha256:` + 64 hex digits).
pub(crate) fn blob_path(digest: &str) -> Result<String, ImageError> {
    let hex = digest
        .strip_prefix("sha256:")
        .filter(|h| is_sha256_hex(h))
        .ok_or_else(|| ImageError::Invalid {
            what: "digest",
            object: digest.to_string(),
            reason: "only `sha256:` digests of 64 lowercase hex digits are supported".to_string(),
        })?;
    Ok(format!("blobs/sha256/{hex}"))
}

pub(crate) fn is_sha256_hex(hex: &str) -> bool {
    hex.len() == 64
        && hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Read a whole metadata file, bounded by `max_json_bytes`.
pub(crate) fn read_small(
    store: &dyn Store,
    path: &str,
    what: &'static str,
    limits: &Limits,
) -> Result<Vec<u8>, ImageError> {
    let member = store.open(path)?.ok_or_else(|| ImageError::Missing {
        object: path.to_string(),
        location: store.location().to_string(),
    })?;
    if member.size > limits.max_json_bytes {
        return Err(ImageError::Limit {
            object: format!("{what} `{path}`"),
            what: format!(
                "{} bytes is over {} bytes (max_json_bytes)",
                member.size, limits.max_json_bytes
            ),
        });
    }
    let mut bytes = Vec::with_capacity(usize::try_from(member.size).unwrap_or(0));
    member
        .reader
        .take(limits.max_json_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| ImageError::io(format!("{}:{path}", store.location()), &e))?;
    if bytes.len() as u64 > limits.max_json_bytes {
        return Err(ImageError::Limit {
            object: format!("{what} `{path}`"),
            what: format!("over {} bytes (max_json_bytes)", limits.max_json_bytes),
        });
    }
    Ok(bytes)
}

/// Read a metadata blob by digest and verify that its content hashes to that digest.
pub(crate) fn read_blob(
    store: &dyn Store,
    digest: &str,
    what: &'static str,
    limits: &Limits,
) -> Result<Vec<u8>, ImageError> {
    let path = blob_path(digest)?;
    let bytes = match read_small(store, &path, what, limits) {
        Err(ImageError::Missing { location, .. }) => {
            return Err(ImageError::Missing {
                object: format!("{what} blob `{digest}`"),
                location,
            })
        }
        other => other?,
    };
    let actual = sha256_string(Sha256::new_with_prefix(&bytes));
    if actual != digest {
        return Err(ImageError::DigestMismatch {
            what,
            expected: digest.to_string(),
            actual,
        });
    }
    Ok(bytes)
}

/// An image layout in a host directory (`oci-dir:`). Blobs must be regular files.
pub(crate) struct DirStore {
    root: PathBuf,
    location: String,
}

impl DirStore {
    pub fn new(root: &Path, location: &str) -> Self {
        DirStore {
            root: root.to_path_buf(),
            location: location.to_string(),
        }
    }

    fn file(&self, path: &str) -> Result<Option<(File, u64)>, ImageError> {
        let relative = relative_path(path).ok_or_else(|| ImageError::Invalid {
            what: "layout path",
            object: path.to_string(),
            reason: "absolute or climbs above the layout root".to_string(),
        })?;
        let full = self.root.join(&relative);
        let file = match File::open(&full) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(ImageError::io(full.display(), &e)),
        };
        let meta = file
            .metadata()
            .map_err(|e| ImageError::io(full.display(), &e))?;
        if !meta.is_file() {
            // A device or fifo posing as a blob would never end.
            return Err(ImageError::Invalid {
                what: "layout file",
                object: full.display().to_string(),
                reason: "not a regular file".to_string(),
            });
        }
        Ok(Some((file, meta.len())))
    }
}

impl Store for DirStore {
    fn location(&self) -> &str {
        &self.location
    }

    fn open(&self, path: &str) -> Result<Option<Member>, ImageError> {
        Ok(self.file(path)?.map(|(file, size)| Member {
            reader: Box::new(file.take(size)),
            size,
        }))
    }

    fn size(&self, path: &str) -> Result<Option<u64>, ImageError> {
        Ok(self.file(path)?.map(|(_, size)| size))
    }
}

/// Where a member of an archive is.
#[derive(Debug, Clone)]
pub(crate) enum Located {
    /// File data at `offset` in the archive.
    Data { offset: u64, size: u64 },
    /// A symlink or hard link to another member (a normalised relative path).
    Link(String),
}

/// Follow member links; `None` when missing or looping.
pub(crate) fn follow<'m>(
    members: &'m BTreeMap<String, Located>,
    path: &str,
) -> Option<(&'m str, &'m Located)> {
    let mut current = members.get_key_value(path)?;
    for _ in 0..MAX_MEMBER_HOPS {
        match current.1 {
            Located::Link(target) => current = members.get_key_value(target.as_str())?,
            Located::Data { .. } => return Some((current.0.as_str(), current.1)),
        }
    }
    None
}

/// An uncompressed tar of an image layout, members read in place by seeking.
pub(crate) struct TarStore {
    archive: PathBuf,
    location: String,
    members: BTreeMap<String, Located>,
}

impl TarStore {
    pub fn new(archive: &Path, location: &str, members: BTreeMap<String, Located>) -> Self {
        TarStore {
            archive: archive.to_path_buf(),
            location: location.to_string(),
            members,
        }
    }

    pub fn contains(&self, path: &str) -> bool {
        self.members.contains_key(path)
    }

    fn locate(&self, path: &str) -> Option<(u64, u64)> {
        let relative = relative_path(path)?;
        match follow(&self.members, &relative)?.1 {
            Located::Data { offset, size } => Some((*offset, *size)),
            Located::Link(_) => None,
        }
    }
}

impl Store for TarStore {
    fn location(&self) -> &str {
        &self.location
    }

    fn open(&self, path: &str) -> Result<Option<Member>, ImageError> {
        let Some((offset, size)) = self.locate(path) else {
            return Ok(None);
        };
        let mut file =
            File::open(&self.archive).map_err(|e| ImageError::io(self.archive.display(), &e))?;
        file.seek(SeekFrom::Start(offset))
            .map_err(|e| ImageError::io(self.archive.display(), &e))?;
        Ok(Some(Member {
            reader: Box::new(file.take(size)),
            size,
        }))
    }

    fn size(&self, path: &str) -> Result<Option<u64>, ImageError> {
        Ok(self.locate(path).map(|(_, size)| size))
    }
}

/// Small members of a compressed archive, kept from the one sequential pass.
#[derive(Default)]
pub(crate) struct MemStore {
    pub location: String,
    /// Kept content (JSON documents).
    pub files: BTreeMap<String, Vec<u8>>,
    /// Every regular member's size, kept or not, plus links.
    pub members: BTreeMap<String, Located>,
}

impl MemStore {
    fn target(&self, path: &str) -> Option<String> {
        let relative = relative_path(path)?;
        follow(&self.members, &relative).map(|(p, _)| p.to_string())
    }
}

impl Store for MemStore {
    fn location(&self) -> &str {
        &self.location
    }

    fn open(&self, path: &str) -> Result<Option<Member>, ImageError> {
        let Some(target) = self.target(path) else {
            return Ok(None);
        };
        Ok(self.files.get(&target).map(|bytes| Member {
            reader: Box::new(io::Cursor::new(bytes.clone())),
            size: bytes.len() as u64,
        }))
    }

    fn size(&self, path: &str) -> Result<Option<u64>, ImageError> {
        let Some(target) = self.target(path) else {
            return Ok(None);
        };
        Ok(match self.members.get(&target) {
            Some(Located::Data { size, .. }) => Some(*size),
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blob_paths_accept_only_sha256_hex() {
        let hex = "a".repeat(64);
        assert_eq!(
            blob_path(&format!("sha256:{hex}")).ok(),
            Some(format!("blobs/sha256/{hex}"))
        );
        assert!(blob_path("sha256:../../etc/passwd").is_err());
        assert!(blob_path(&format!("sha512:{hex}")).is_err());
        assert!(blob_path(&format!("sha256:{}", "A".repeat(64))).is_err());
    }

    #[test]
    fn relative_paths_stay_inside() {
        assert_eq!(
            relative_path("./blobs//sha256/x").as_deref(),
            Some("blobs/sha256/x")
        );
        assert_eq!(relative_path("../x"), None);
        assert_eq!(relative_path("/etc/passwd"), None);
        assert_eq!(relative_path("."), None);
    }
}
