//! `docker save` archives: `manifest.json` (read as plain JSON), the config it names and the
//! layer tars, in the legacy `<id>/layer.tar` layout or the newer `blobs/sha256/<hex>` one.

use serde_json::Value;
use sha2::{Digest as _, Sha256};

use crate::layer::sha256_string;
use crate::plan::{apply_config, parse_config, Plan, PlannedLayer, PlatformSpec};
use crate::store::{is_sha256_hex, read_small, relative_path, Store};
use crate::{ImageError, ImageMeta, Limits};

/// The digest a member name promises (`blobs/sha256/<hex>` or `<hex>.json`), if any.
fn digest_in_name(path: &str) -> Option<String> {
    let name = path
        .strip_prefix("blobs/sha256/")
        .or_else(|| path.strip_suffix(".json"))?;
    is_sha256_hex(name).then(|| format!("sha256:{name}"))
}

fn invalid(reason: impl Into<String>) -> ImageError {
    ImageError::Invalid {
        what: "docker archive manifest",
        object: "manifest.json".to_string(),
        reason: reason.into(),
    }
}

fn member_path(raw: &str) -> Result<String, ImageError> {
    relative_path(raw).ok_or_else(|| {
        invalid(format!(
            "path `{raw}` is absolute or climbs above the archive root"
        ))
    })
}

/// Plan the image of a docker archive for `platform`.
pub(crate) fn plan(
    store: &dyn Store,
    platform: &PlatformSpec,
    limits: &Limits,
) -> Result<Plan, ImageError> {
    let bytes = read_small(store, "manifest.json", "docker archive manifest", limits)?;
    let manifest: Value = serde_json::from_slice(&bytes).map_err(|e| invalid(e.to_string()))?;
    let entries = manifest
        .as_array()
        .ok_or_else(|| invalid("not a JSON array"))?;
    if entries.is_empty() {
        return Err(invalid("it lists no image"));
    }
    let mut available = Vec::new();
    for entry in entries {
        let config_raw = entry
            .get("Config")
            .and_then(Value::as_str)
            .ok_or_else(|| invalid("an entry has no `Config`"))?;
        let config_path = member_path(config_raw)?;
        let config_bytes = read_small(store, &config_path, "image config", limits)?;
        let config_digest = sha256_string(Sha256::new_with_prefix(&config_bytes));
        if let Some(expected) = digest_in_name(&config_path) {
            if expected != config_digest {
                return Err(ImageError::DigestMismatch {
                    what: "config",
                    expected,
                    actual: config_digest,
                });
            }
        }
        let config = parse_config(&config_bytes, &config_path)?;
        let os = config.os().to_string();
        let arch = config.architecture().to_string();
        // Without an explicit platform the first image is taken, whatever its platform.
        if platform.explicit && !platform.matches(&os, &arch, config.variant().as_deref()) {
            available.push(crate::plan::config_platform(&config));
            continue;
        }
        return plan_entry(store, entry, &config, config_digest, limits);
    }
    available.sort();
    available.dedup();
    Err(ImageError::Platform {
        wanted: platform.to_string(),
        location: store.location().to_string(),
        available: available.join(", "),
    })
}

fn plan_entry(
    store: &dyn Store,
    entry: &Value,
    config: &oci_spec::image::ImageConfiguration,
    config_digest: String,
    limits: &Limits,
) -> Result<Plan, ImageError> {
    let layer_paths = entry
        .get("Layers")
        .and_then(Value::as_array)
        .ok_or_else(|| invalid("an entry has no `Layers` list"))?
        .iter()
        .map(|l| {
            l.as_str()
                .ok_or_else(|| invalid("a layer path is not a string"))
                .and_then(member_path)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut meta = ImageMeta {
        config_digest: Some(config_digest.clone()),
        ..ImageMeta::default()
    };
    meta.repo_tags = entry
        .get("RepoTags")
        .and_then(Value::as_array)
        .map(|tags| {
            tags.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let diff_ids = apply_config(&mut meta, config, layer_paths.len(), &config_digest, limits)?;
    let sources = entry.get("LayerSources");
    let mut layers = Vec::with_capacity(layer_paths.len());
    for ((path, diff_id), layer_meta) in layer_paths
        .into_iter()
        .zip(diff_ids)
        .zip(meta.layers.iter_mut())
    {
        let digest = digest_in_name(&path);
        let size = store.size(&path)?;
        layer_meta.digest = digest.clone();
        layer_meta.size = size.unwrap_or(0);
        layer_meta.media_type = sources
            .and_then(|s| s.get(&diff_id))
            .and_then(|s| s.get("mediaType"))
            .and_then(Value::as_str)
            .map(str::to_string);
        layers.push(PlannedLayer {
            path,
            digest,
            diff_id,
            size,
        });
    }
    Ok(Plan { meta, layers })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_come_only_from_hex_names() {
        let hex = "0".repeat(64);
        assert_eq!(
            digest_in_name(&format!("blobs/sha256/{hex}")),
            Some(format!("sha256:{hex}"))
        );
        assert_eq!(
            digest_in_name(&format!("{hex}.json")),
            Some(format!("sha256:{hex}"))
        );
        assert_eq!(digest_in_name(&format!("{hex}/layer.tar")), None);
    }
}
