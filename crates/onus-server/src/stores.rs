//! Connections to the vulnerability store, shared by request handlers and the worker. The
//! store's digests are computed once per store file; a rebuilt store (a new file renamed over
//! the old one) is noticed by its identity and replaces every idle connection.
//!
//! Connections are bounded by the number of cores: matching is CPU-bound, so more would not
//! go faster, and each one maps the store and keeps its own page cache and lookup cache (that
//! memory is what the bound caps). A request waits for a free connection.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
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
    freed: Condvar,
    limit: usize,
}

struct Inner {
    identity: Option<FileIdentity>,
    idle: Vec<FleetStore>,
    /// Connections handed out and not yet returned.
    busy: usize,
}

impl Stores {
    pub(crate) fn open(path: &Path) -> Result<Stores, FleetError> {
        let identity = identity(path);
        let first = FleetStore::open(path)?;
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Ok(Stores {
            path: path.to_path_buf(),
            inner: Mutex::new(Inner {
                identity,
                idle: vec![first],
                busy: 0,
            }),
            freed: Condvar::new(),
            limit: cores.max(2),
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

    /// Run `work` with a connection to the current store (waiting for one when all are busy).
    pub(crate) fn with<T>(
        &self,
        work: impl FnOnce(&FleetStore) -> Result<T, FleetError>,
    ) -> Result<T, FleetError> {
        let store = {
            let mut inner = self.inner.lock().map_err(|_| FleetError::Poisoned)?;
            while inner.busy >= self.limit {
                inner = self.freed.wait(inner).map_err(|_| FleetError::Poisoned)?;
            }
            let store = match inner.idle.pop() {
                Some(store) if inner.idle.is_empty() => {
                    // Keep one behind as the template for further connections.
                    let copy = store.reopen();
                    inner.idle.push(store);
                    copy?
                }
                Some(store) => store,
                None => return Err(FleetError::Config("no store connection".into())),
            };
            inner.busy += 1;
            store
        };
        // Returned (and `busy` released) even if `work` panics, so no request waits forever.
        struct Lease<'a> {
            stores: &'a Stores,
            store: Option<FleetStore>,
        }
        impl Drop for Lease<'_> {
            fn drop(&mut self) {
                if let Ok(mut inner) = self.stores.inner.lock() {
                    inner.busy = inner.busy.saturating_sub(1);
                    if let Some(store) = self.store.take() {
                        // A connection to a replaced store is dropped, not returned.
                        let current = inner
                            .idle
                            .first()
                            .is_none_or(|s| s.fingerprint == store.fingerprint);
                        if current && inner.idle.len() < self.stores.limit {
                            inner.idle.push(store);
                        }
                    }
                }
                self.stores.freed.notify_one();
            }
        }
        let lease = Lease {
            stores: self,
            store: Some(store),
        };
        match &lease.store {
            Some(store) => work(store),
            None => Err(FleetError::Config("no store connection".into())),
        }
    }
}

/// Shared handle.
pub(crate) type SharedStores = Arc<Stores>;
