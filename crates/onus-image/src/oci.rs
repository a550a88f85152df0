//! The OCI image layout (`oci-layout`, `index.json`, `blobs/sha256/…`): choose the manifest for a
//! platform through possibly nested indexes, verify every metadata blob's digest, and plan the
//! layers.

use std::collections::BTreeMap;

use oci_spec::image::{Descriptor, ImageIndex, ImageManifest};

use crate::plan::{apply_config, parse_config, platform_string, Plan, PlannedLayer, PlatformSpec};
use crate::store::{read_blob, read_small, Store};
use crate::{ImageError, ImageMeta, Limits};

const INDEX_TYPES: [&str; 2] = [
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
];

/// The manifest chosen in the index, with what the index said about it.
struct Chosen {
    digest: String,
    platform: Option<String>,
    annotations: BTreeMap<String, String>,
}

/// Plan the image of an OCI layout for `platform`.
pub(crate) fn plan(
    store: &dyn Store,
    platform: &PlatformSpec,
    limits: &Limits,
) -> Result<Plan, ImageError> {
    let index_bytes = read_small(store, "index.json", "image index", limits)?;
    let index = parse_index(&index_bytes, "index.json")?;
    let chosen = choose(
        store,
        &index,
        "index.json",
        platform,
        limits,
        0,
        BTreeMap::new(),
    )?;
    let manifest_bytes = read_blob(store, &chosen.digest, "manifest", limits)?;
    let manifest: ImageManifest =
        serde_json::from_slice(&manifest_bytes).map_err(|e| ImageError::Invalid {
            what: "image manifest",
            object: chosen.digest.clone(),
            reason: e.to_string(),
        })?;
    let config_digest = manifest.config().digest().to_string();
    let config_bytes = read_blob(store, &config_digest, "config", limits)?;
    let config = parse_config(&config_bytes, &config_digest)?;
    if platform.explicit && chosen.platform.is_none() {
        // The descriptor had no platform: the config must say it is the one asked for.
        let os = config.os().to_string();
        let arch = config.architecture().to_string();
        if !platform.matches(&os, &arch, config.variant().as_deref()) {
            return Err(ImageError::Platform {
                wanted: platform.to_string(),
                location: store.location().to_string(),
                available: platform_string(&os, &arch, config.variant().as_deref()),
            });
        }
    }
    let mut meta = ImageMeta {
        manifest_digest: Some(chosen.digest.clone()),
        config_digest: Some(config_digest.clone()),
        platform: chosen.platform.clone(),
        annotations: chosen.annotations.clone(),
        ..ImageMeta::default()
    };
    if let Some(annotations) = manifest.annotations() {
        meta.annotations
            .extend(annotations.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    for key in [
        "org.opencontainers.image.ref.name",
        "io.containerd.image.name",
    ] {
        if let Some(name) = chosen.annotations.get(key) {
            if !meta.repo_tags.contains(name) {
                meta.repo_tags.push(name.clone());
            }
        }
    }
    let diff_ids = apply_config(
        &mut meta,
        &config,
        manifest.layers().len(),
        &config_digest,
        limits,
    )?;
    let mut layers = Vec::with_capacity(diff_ids.len());
    for ((descriptor, diff_id), layer_meta) in manifest
        .layers()
        .iter()
        .zip(diff_ids)
        .zip(meta.layers.iter_mut())
    {
        let digest = descriptor.digest().to_string();
        let path = crate::store::blob_path(&digest)?;
        layer_meta.digest = Some(digest.clone());
        layer_meta.size = descriptor.size();
        layer_meta.media_type = Some(descriptor.media_type().to_string());
        layers.push(PlannedLayer {
            path,
            digest: Some(digest),
            diff_id,
            size: Some(descriptor.size()),
        });
    }
    Ok(Plan { meta, layers })
}

fn parse_index(bytes: &[u8], object: &str) -> Result<ImageIndex, ImageError> {
    serde_json::from_slice(bytes).map_err(|e| ImageError::Invalid {
        what: "image index",
        object: object.to_string(),
        reason: e.to_string(),
    })
}

fn is_attestation(descriptor: &Descriptor) -> bool {
    let annotated = descriptor
        .annotations()
        .as_ref()
        .and_then(|a| a.get("vnd.docker.reference.type"))
        .is_some_and(|t| t == "attestation-manifest");
    let unknown_platform = descriptor.platform().as_ref().is_some_and(|p| {
        p.os().to_string() == "unknown" || p.architecture().to_string() == "unknown"
    });
    annotated || unknown_platform
}

fn descriptor_platform(descriptor: &Descriptor) -> Option<(String, String, Option<String>)> {
    descriptor.platform().as_ref().map(|p| {
        (
            p.os().to_string(),
            p.architecture().to_string(),
            p.variant().clone(),
        )
    })
}

/// Pick the manifest for `platform` in `index`, descending into nested indexes.
fn choose(
    store: &dyn Store,
    index: &ImageIndex,
    object: &str,
    platform: &PlatformSpec,
    limits: &Limits,
    depth: usize,
    mut annotations: BTreeMap<String, String>,
) -> Result<Chosen, ImageError> {
    if depth > limits.max_index_depth {
        return Err(ImageError::Limit {
            object: format!("image index `{object}`"),
            what: format!(
                "indexes nested more than {} deep (max_index_depth)",
                limits.max_index_depth
            ),
        });
    }
    if let Some(own) = index.annotations() {
        annotations.extend(own.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    let candidates: Vec<&Descriptor> = index
        .manifests()
        .iter()
        .filter(|d| !is_attestation(d))
        .collect();
    let exact = candidates.iter().find(|d| {
        descriptor_platform(d)
            .is_some_and(|(os, arch, variant)| platform.matches(&os, &arch, variant.as_deref()))
    });
    let unplatformed = candidates.iter().find(|d| d.platform().is_none());
    let only = (!platform.explicit && candidates.len() == 1)
        .then(|| candidates.first())
        .flatten();
    let Some(descriptor) = exact.or(unplatformed).or(only) else {
        let mut available: Vec<String> = candidates
            .iter()
            .filter_map(|d| descriptor_platform(d))
            .map(|(os, arch, variant)| platform_string(&os, &arch, variant.as_deref()))
            .collect();
        available.sort();
        available.dedup();
        return Err(ImageError::Platform {
            wanted: platform.to_string(),
            location: store.location().to_string(),
            available: if available.is_empty() {
                "none".to_string()
            } else {
                available.join(", ")
            },
        });
    };
    if let Some(own) = descriptor.annotations() {
        annotations.extend(own.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    let digest = descriptor.digest().to_string();
    let media_type = descriptor.media_type().to_string();
    if INDEX_TYPES.contains(&media_type.as_str()) {
        let bytes = read_blob(store, &digest, "image index", limits)?;
        let nested = parse_index(&bytes, &digest)?;
        return choose(
            store,
            &nested,
            &digest,
            platform,
            limits,
            depth + 1,
            annotations,
        );
    }
    let platform = descriptor_platform(descriptor)
        .map(|(os, arch, variant)| platform_string(&os, &arch, variant.as_deref()));
    Ok(Chosen {
        digest,
        platform,
        annotations,
    })
}
