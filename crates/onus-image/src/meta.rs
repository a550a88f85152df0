//! Image metadata read from the index, manifest and config (no packages here).

use std::collections::BTreeMap;

/// What the image says about itself: digests, platform, layers and runtime configuration.
///
/// Architecture invariant: this type knows nothing about packages; `onus-scan` converts it into
/// the SBOM's image description.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImageMeta {
    /// `sha256:…` of the chosen manifest (None for `dir:` and legacy docker archives).
    pub manifest_digest: Option<String>,
    /// `sha256:…` of the config blob.
    pub config_digest: Option<String>,
    /// `os/arch[/variant]` of the chosen image, from the index descriptor or else the config.
    pub platform: Option<String>,
    pub layers: Vec<LayerMeta>,
    /// Config `Labels`.
    pub labels: BTreeMap<String, String>,
    /// Annotations: the index's, then the chosen descriptor's, then the manifest's (later wins),
    /// e.g. `org.opencontainers.image.base.name` / `.base.digest`.
    pub annotations: BTreeMap<String, String>,
    pub entrypoint: Vec<String>,
    pub cmd: Vec<String>,
    pub env: Vec<String>,
    pub user: Option<String>,
    pub working_dir: Option<String>,
    /// Config `created`, as written there.
    pub created: Option<String>,
    /// Names the archive gives the image (docker `RepoTags`, OCI `org.opencontainers.image.ref.name`).
    pub repo_tags: Vec<String>,
    /// For a registry image pulled as `name:tag@sha256:…` whose tag now points elsewhere:
    /// `(name:tag, digest now, its config created)`.
    pub tag_moved: Option<(String, String, Option<String>)>,
}

/// One filesystem layer.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct LayerMeta {
    /// Position in the image, 0 = bottom.
    pub index: usize,
    /// `sha256:…` of the uncompressed layer (config `rootfs.diff_ids`); empty for `dir:`.
    pub diff_id: String,
    /// `sha256:…` of the blob as stored (verified when the layer is read).
    pub digest: Option<String>,
    /// Size of the blob as stored (compressed), in bytes.
    pub size: u64,
    /// Media type from the manifest, when there is one.
    pub media_type: Option<String>,
    /// `created_by` of the matching history entry (entries with `empty_layer` are skipped).
    pub created_by: Option<String>,
    /// `comment` of the matching history entry.
    pub comment: Option<String>,
}
