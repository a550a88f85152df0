//! What to read: the image metadata plus, per layer, where its blob is and what it must hash to.
//! Shared by the OCI and docker-archive layout parsers.

use oci_spec::image::ImageConfiguration;

use crate::{ImageError, ImageMeta, LayerMeta, Limits};

/// The metadata of the chosen image and how to read each of its layers.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub meta: ImageMeta,
    pub layers: Vec<PlannedLayer>,
}

/// One layer to read.
#[derive(Debug, Clone)]
pub(crate) struct PlannedLayer {
    /// Path of the blob inside the layout (`blobs/sha256/<hex>`, `<id>/layer.tar`).
    pub path: String,
    /// The digest the blob must hash to, when the layout names one.
    pub digest: Option<String>,
    /// The diff_id from the config the uncompressed stream must hash to.
    pub diff_id: String,
    /// The blob size, when known before reading.
    pub size: Option<u64>,
}

impl PlannedLayer {
    /// What to call the layer in messages: its digest, else its path.
    pub fn label(&self) -> String {
        self.digest.clone().unwrap_or_else(|| self.path.clone())
    }
}

/// A requested platform: `os/arch[/variant]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PlatformSpec {
    pub os: String,
    pub arch: String,
    pub variant: Option<String>,
    /// False for the default (`linux/amd64`), which may fall back to the only image there is.
    pub explicit: bool,
}

impl PlatformSpec {
    pub fn parse(raw: Option<&str>) -> Result<Self, ImageError> {
        let Some(raw) = raw else {
            return Ok(PlatformSpec {
                os: "linux".into(),
                arch: "amd64".into(),
                variant: None,
                explicit: false,
            });
        };
        let parts: Vec<&str> = raw.split('/').collect();
        let invalid = || ImageError::Invalid {
            what: "platform",
            object: raw.to_string(),
            reason: "expected `os/arch` or `os/arch/variant`, e.g. `linux/arm64`".to_string(),
        };
        match parts.as_slice() {
            [os, arch] if !os.is_empty() && !arch.is_empty() => Ok(PlatformSpec {
                os: os.to_string(),
                arch: normalize_arch(arch),
                variant: None,
                explicit: true,
            }),
            [os, arch, variant] if !os.is_empty() && !arch.is_empty() && !variant.is_empty() => {
                Ok(PlatformSpec {
                    os: os.to_string(),
                    arch: normalize_arch(arch),
                    variant: Some(variant.to_string()),
                    explicit: true,
                })
            }
            _ => Err(invalid()),
        }
    }

    /// Does an image of `os`/`arch`/`variant` satisfy this request?
    pub fn matches(&self, os: &str, arch: &str, variant: Option<&str>) -> bool {
        self.os == os
            && self.arch == normalize_arch(arch)
            && match (&self.variant, variant) {
                (None, _) => true,
                (Some(wanted), Some(got)) => wanted == got,
                // `linux/arm64/v8` is what an unvarianted arm64 image is.
                (Some(wanted), None) => self.arch == "arm64" && wanted == "v8",
            }
    }
}

impl std::fmt::Display for PlatformSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        platform_string(&self.os, &self.arch, self.variant.as_deref()).fmt(f)
    }
}

pub(crate) fn platform_string(os: &str, arch: &str, variant: Option<&str>) -> String {
    match variant {
        Some(v) if !v.is_empty() => format!("{os}/{arch}/{v}"),
        _ => format!("{os}/{arch}"),
    }
}

/// Architecture aliases people type (`uname -m` names) mapped to the OCI names.
pub(crate) fn normalize_arch(arch: &str) -> String {
    match arch {
        "x86_64" | "x86-64" => "amd64".to_string(),
        "aarch64" => "arm64".to_string(),
        "i686" | "i386" => "386".to_string(),
        other => other.to_string(),
    }
}

/// The `os/arch[/variant]` a config declares.
pub(crate) fn config_platform(config: &ImageConfiguration) -> String {
    platform_string(
        &config.os().to_string(),
        &config.architecture().to_string(),
        config.variant().as_deref(),
    )
}

/// Parse a config document.
pub(crate) fn parse_config(bytes: &[u8], object: &str) -> Result<ImageConfiguration, ImageError> {
    serde_json::from_slice(bytes).map_err(|e| ImageError::Invalid {
        what: "image config",
        object: object.to_string(),
        reason: e.to_string(),
    })
}

/// Fill the runtime configuration, labels and per-layer history of `meta` from `config`, and
/// check the layer count against `rootfs.diff_ids`.
pub(crate) fn apply_config(
    meta: &mut ImageMeta,
    config: &ImageConfiguration,
    layer_count: usize,
    object: &str,
    limits: &Limits,
) -> Result<Vec<String>, ImageError> {
    let diff_ids = config.rootfs().diff_ids().clone();
    if layer_count > limits.max_layers {
        return Err(ImageError::Limit {
            object: object.to_string(),
            what: format!(
                "{layer_count} layers is over {} (max_layers)",
                limits.max_layers
            ),
        });
    }
    if diff_ids.len() != layer_count {
        return Err(ImageError::Invalid {
            what: "image config",
            object: object.to_string(),
            reason: format!(
                "it lists {} diff_ids but the image has {layer_count} layers",
                diff_ids.len()
            ),
        });
    }
    if let Some(bad) = diff_ids
        .iter()
        .find(|d| crate::store::blob_path(d).is_err())
    {
        return Err(ImageError::Invalid {
            what: "image config",
            object: object.to_string(),
            reason: format!("diff_id `{bad}` is not a sha256 digest"),
        });
    }
    if let Some(runtime) = config.config() {
        meta.entrypoint = runtime.entrypoint().clone().unwrap_or_default();
        meta.cmd = runtime.cmd().clone().unwrap_or_default();
        meta.env = runtime.env().clone().unwrap_or_default();
        meta.user = runtime.user().clone().filter(|u| !u.is_empty());
        meta.working_dir = runtime.working_dir().clone().filter(|w| !w.is_empty());
        if let Some(labels) = runtime.labels() {
            meta.labels = labels.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        }
    }
    meta.created = config.created().clone();
    if meta.platform.is_none() {
        meta.platform = Some(config_platform(config));
    }
    // History entries with `empty_layer` made no layer; the rest pair with layers in order.
    let history: Vec<_> = config
        .history()
        .as_ref()
        .map(|h| {
            h.iter()
                .filter(|e| !e.empty_layer().unwrap_or(false))
                .collect()
        })
        .unwrap_or_default();
    meta.layers = diff_ids
        .iter()
        .enumerate()
        .map(|(index, diff_id)| LayerMeta {
            index,
            diff_id: diff_id.clone(),
            created_by: history.get(index).and_then(|h| h.created_by().clone()),
            comment: history.get(index).and_then(|h| h.comment().clone()),
            ..LayerMeta::default()
        })
        .collect();
    Ok(diff_ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platforms_parse_and_match() {
        let p = PlatformSpec::parse(Some("linux/aarch64")).ok();
        assert_eq!(p.as_ref().map(|p| p.arch.as_str()), Some("arm64"));
        assert!(p
            .as_ref()
            .is_some_and(|p| p.matches("linux", "arm64", Some("v8"))));
        let v8 = PlatformSpec::parse(Some("linux/arm64/v8")).ok();
        assert!(v8
            .as_ref()
            .is_some_and(|p| p.matches("linux", "arm64", None)));
        assert!(PlatformSpec::parse(Some("linux")).is_err());
        assert!(PlatformSpec::parse(Some("linux//")).is_err());
        let default = PlatformSpec::parse(None).ok();
        assert_eq!(
            default.map(|p| p.to_string()).as_deref(),
            Some("linux/amd64")
        );
    }
}
