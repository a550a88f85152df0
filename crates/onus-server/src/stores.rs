//! Connections to the vulnerability store, shared by request handlers and the worker. The
//! store's digests are computed once per store file; a rebuilt store (a new file renamed over
//! the old one) is noticed by its identity and replaces every idle connection.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use onus_fleet::{FleetError, FleetStore};

/// What tells one store file from its replacement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FileIdentity {
    len: u64,
    modified: Option<SystemTime>,
    #[cfg(unix)]
    inode: u64,
}

pub(crate) fn identity(path: &Path) -> Option<FileIdentity> {
    let meta = std::fs::metadata(path).ok()?;
    Some(FileIdentity {
        len: meta.len(),
        modified: meta.modified().ok(),
        #[cfg(unix)]
        inode: std::os::unix::fs::MetadataExt::ino(&meta),
    })
}

/// Idle connections of the current store.
pub(crate) struct Stores {
    path: PathBuf,
    inner: Mutex<Inner>,
}

struct Inner {
    identity: Option<FileIdentity>,
    idle: Vec<FleetStore>,
}

/// Idle connections kept.
const IDLE: usize = 8;

impl Stores {
    pub(crate) fn open(path: &Path) -> Result<Stores, FleetError> {
        let identity = identity(path);
        let first = FleetStore::open(path)?;
        Ok(Stores {
            path: path.to_path_buf(),
            inner: Mutex::new(Inner {
                identity,
                idle: vec![first],
            }),
        })
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the file on disk is no longer the one the connections read.
    pub(crate) fn changed_on_disk(&self) -> bool {
        let now = identity(&self.path);
        self.inner.lock().is_ok_and(|inner| inner.identity != now)
    }

    /// Open the file now on disk and make it current; its connections replace the old ones.
    pub(crate) fn reload(&self) -> Result<String, FleetError> {
        let identity = identity(&self.path);
        let fresh = FleetStore::open(&self.path)?;
        let fingerprint = fresh.fingerprint.clone();
        let mut inner = self.inner.lock().map_err(|_| FleetError::Poisoned)?;
        inner.identity = identity;
        inner.idle = vec![fresh];
        Ok(fingerprint)
    }

    /// Run `work` with a connection to the current store.
    pub(crate) fn with<T>(
        &self,
        work: impl FnOnce(&FleetStore) -> Result<T, FleetError>,
    ) -> Result<T, FleetError> {
        let store = {
            let mut inner = self.inner.lock().map_err(|_| FleetError::Poisoned)?;
            match inner.idle.pop() {
                Some(store) if inner.idle.is_empty() => {
                    // Keep one behind as the template for further connections.
                    let copy = store.reopen();
                    inner.idle.push(store);
                    copy?
                }
                Some(store) => store,
                None => return Err(FleetError::Config("no store connection".into())),
            }
        };
        let result = work(&store);
        if let Ok(mut inner) = self.inner.lock() {
            // A connection to a replaced store is dropped, not returned.
            let current = inner
                .idle
                .first()
                .is_none_or(|s| s.fingerprint == store.fingerprint);
            if current && inner.idle.len() < IDLE {
                inner.idle.push(store);
            }
        }
        result
    }
}

/// Shared handle.
pub(crate) type SharedStores = Arc<Stores>;
