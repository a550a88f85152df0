//! A registry seen as an OCI layout: `index.json` is synthesised around the manifest the
//! reference resolves to, and `blobs/sha256/<hex>` is fetched on demand: from the manifests
//! endpoint for the manifests and indexes met on the way down, from the blobs endpoint for
//! everything else. The OCI planner then chooses the platform, verifies every metadata blob
//! and plans the layers exactly as for a layout on disk, and layers stream from the registry
//! straight into the layer scan, in parallel, never written to disk.

use std::collections::BTreeSet;
use std::io::{Cursor, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use sha2::{Digest as _, Sha256};

use onus_registry::{Client, Manifest, Reference, RegistryOptions};

use crate::store::{Member, Store};
use crate::ImageError;

/// Index media types whose `manifests[]` name further manifests.
const INDEX_TYPES: [&str; 2] = [
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
];

pub(crate) struct RegistryStore {
    client: Client,
    /// A content-addressed blob cache (`DIR/blobs/sha256/<hex>`), when the user names one.
    cache: Option<PathBuf>,
    location: String,
    top: Manifest,
    /// Digests known to be manifests or indexes (fetched from the manifests endpoint).
    manifests: Mutex<BTreeSet<String>>,
}

pub(crate) fn registry_error(reference: &str, e: &onus_registry::RegistryError) -> ImageError {
    let mut message = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    ImageError::Registry {
        reference: reference.to_string(),
        message,
    }
}

impl RegistryStore {
    /// Resolve `reference` to its manifest (by digest when pinned, else by tag).
    pub fn connect(
        reference: &Reference,
        options: &RegistryOptions,
        cache: Option<&Path>,
    ) -> Result<Self, ImageError> {
        let location = reference.to_string();
        let client =
            Client::connect(reference, options).map_err(|e| registry_error(&location, &e))?;
        let top = client
            .manifest(reference.manifest_reference())
            .map_err(|e| registry_error(&location, &e))?;
        let store = RegistryStore {
            client,
            cache: cache.map(Path::to_path_buf),
            location,
            manifests: Mutex::new(BTreeSet::from([top.digest.clone()])),
            top,
        };
        store.learn(&store.top);
        Ok(store)
    }

    /// The digest the reference resolved to (an index for a multi-platform image).
    pub fn top_digest(&self) -> &str {
        &self.top.digest
    }

    /// Remember the children of an index as manifests.
    fn learn(&self, manifest: &Manifest) {
        if !INDEX_TYPES.contains(&manifest.media_type.as_str()) {
            return;
        }
        #[derive(serde::Deserialize)]
        struct Child {
            digest: String,
        }
        #[derive(serde::Deserialize)]
        struct Index {
            #[serde(default)]
            manifests: Vec<Child>,
        }
        if let Ok(index) = serde_json::from_slice::<Index>(&manifest.bytes) {
            if let Ok(mut known) = self.manifests.lock() {
                known.extend(index.manifests.into_iter().map(|c| c.digest));
            }
        }
    }

    /// The one-entry `index.json` around the resolved manifest.
    fn index_json(&self) -> Vec<u8> {
        let reference = self.client.reference();
        serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": [{
                "mediaType": self.top.media_type,
                "digest": self.top.digest,
                "size": self.top.bytes.len(),
                "annotations": {
                    "org.opencontainers.image.ref.name": reference.to_string(),
                },
            }],
        })
        .to_string()
        .into_bytes()
    }
}

fn member(bytes: Vec<u8>) -> Member {
    Member {
        size: bytes.len() as u64,
        reader: Box::new(Cursor::new(bytes)),
    }
}

impl Store for RegistryStore {
    fn location(&self) -> &str {
        &self.location
    }

    fn open(&self, path: &str) -> Result<Option<Member>, ImageError> {
        if path == "index.json" {
            return Ok(Some(member(self.index_json())));
        }
        let Some(hex) = path.strip_prefix("blobs/sha256/") else {
            return Ok(None);
        };
        let digest = format!("sha256:{hex}");
        if digest == self.top.digest {
            return Ok(Some(member(self.top.bytes.clone())));
        }
        let is_manifest = self
            .manifests
            .lock()
            .map(|known| known.contains(&digest))
            .unwrap_or(false);
        if is_manifest {
            let manifest = self
                .client
                .manifest(&digest)
                .map_err(|e| registry_error(&self.location, &e))?;
            self.learn(&manifest);
            return Ok(Some(member(manifest.bytes)));
        }
        let cached = self
            .cache
            .as_ref()
            .map(|dir| dir.join("blobs/sha256").join(hex));
        if let Some(path) = cached.as_ref().filter(|p| p.is_file()) {
            // The layer scan and the metadata reader verify the digest of what they read, so a
            // damaged cache entry is an error, never wrong data.
            let file = std::fs::File::open(path).map_err(|e| ImageError::io(path.display(), &e))?;
            let size = file.metadata().map(|m| m.len()).unwrap_or(0);
            return Ok(Some(Member {
                reader: Box::new(file),
                size,
            }));
        }
        let blob = self
            .client
            .blob(&digest)
            .map_err(|e| registry_error(&self.location, &e))?;
        let size = blob.size.unwrap_or(0);
        let reader: Box<dyn Read + Send> = match cached {
            Some(path) => Box::new(CacheTee::new(blob.reader, path, digest)?),
            None => blob.reader,
        };
        Ok(Some(Member { reader, size }))
    }

    fn size(&self, path: &str) -> Result<Option<u64>, ImageError> {
        // Sizes come from the descriptors; asking the registry would cost a request per blob.
        Ok((path == "index.json").then(|| self.index_json().len() as u64))
    }
}

/// A blob stream that is also written to the cache: into a temporary file, renamed into place
/// only once the whole blob was read and hashes to its digest (a partial or wrong blob never
/// enters the cache).
struct CacheTee {
    inner: Box<dyn Read + Send>,
    temp: Option<(std::fs::File, PathBuf)>,
    target: PathBuf,
    digest: String,
    hasher: Sha256,
}

impl CacheTee {
    fn new(
        inner: Box<dyn Read + Send>,
        target: PathBuf,
        digest: String,
    ) -> Result<Self, ImageError> {
        let dir = target.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|e| ImageError::io(dir.display(), &e))?;
        let temp_path = dir.join(format!(
            ".{}.part-{}",
            target
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            std::process::id()
        ));
        let file = std::fs::File::create(&temp_path)
            .map_err(|e| ImageError::io(temp_path.display(), &e))?;
        Ok(CacheTee {
            inner,
            temp: Some((file, temp_path)),
            target,
            digest,
            hasher: Sha256::new(),
        })
    }

    fn finish(&mut self) {
        let Some((file, temp_path)) = self.temp.take() else {
            return;
        };
        drop(file);
        let actual = format!("sha256:{}", hex::encode(self.hasher.clone().finalize()));
        if actual == self.digest {
            let _ = std::fs::rename(&temp_path, &self.target);
        } else {
            let _ = std::fs::remove_file(&temp_path);
        }
    }
}

impl Read for CacheTee {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 {
            self.finish();
            return Ok(0);
        }
        self.hasher.update(&buf[..n]);
        if let Some((file, temp_path)) = self.temp.as_mut() {
            if file.write_all(&buf[..n]).is_err() {
                // A full disk stops the caching, not the scan.
                let _ = std::fs::remove_file(&*temp_path);
                self.temp = None;
            }
        }
        Ok(n)
    }
}

impl Drop for CacheTee {
    fn drop(&mut self) {
        // Not read to the end: the blob is incomplete and is not cached.
        if let Some((_, temp_path)) = self.temp.take() {
            let _ = std::fs::remove_file(temp_path);
        }
    }
}
