//! The pipeline as a library: [`inventory`] turns an image source into an inventory ([`Sbom`])
//! and its file view; [`scan`] runs the whole pipeline (match, EOL, owner, move, SLA, CHP) into
//! a [`onus_report::Report`]. The CLI and the service call these same functions.
//!
//! This is where image metadata (which knows nothing of packages) and the catalogers' output
//! (which know nothing of images) meet and become `onus.sbom/v1`.

mod pipeline;

pub use pipeline::{assess, assess_tracked, read_eol, scan, Assessed, ScanRequest, ScanTarget};

use onus_fs::{Capture, CapturePolicy, EntryHeader, Reporter, SquashedView};
use onus_image::{Image, ImageError, OpenOptions};
use onus_inventory::{ImageInfo, LayerInfo, Sbom, SourceInfo, Unknown, SBOM_SCHEMA};

/// Why a scan failed. Store and feed errors are errors, never "0 findings".
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error("cannot read image `{source_name}`")]
    Image {
        source_name: String,
        #[source]
        source: Box<ImageError>,
    },
    #[error("cannot match against the vulnerability store `{}`", store.display())]
    Match {
        store: std::path::PathBuf,
        #[source]
        source: Box<onus_vuln::VulnError>,
    },
    #[error("cannot {what} from the vulnerability store `{}`", store.display())]
    Store {
        store: std::path::PathBuf,
        what: &'static str,
        #[source]
        source: Box<onus_vuln::VulnError>,
    },
    #[error("cannot parse the endoflife.date data in the vulnerability store `{}`", store.display())]
    EolData {
        store: std::path::PathBuf,
        #[source]
        source: onus_eol::EolError,
    },
}

/// An inventoried image: the SBOM and the squashed view it was made from (CHP reads the view).
pub struct Scanned {
    pub sbom: Sbom,
    pub view: SquashedView,
}

/// Read `source` (`oci-dir:…`, `docker-archive:…`, …), catalog it and build the SBOM.
pub fn inventory(
    source: &str,
    options: &OpenOptions,
    reporter: &dyn Reporter,
) -> Result<Scanned, ScanError> {
    let capture = ScanCapture {
        catalog: onus_catalog::capture_policy(),
    };
    let image = onus_image::open(source, options, &capture, reporter).map_err(|error| {
        ScanError::Image {
            source_name: source.to_string(),
            source: Box::new(error),
        }
    })?;
    let catalog = onus_catalog::catalog(&image.view, reporter);
    let sbom = assemble(&image, catalog);
    Ok(Scanned {
        sbom,
        view: image.view,
    })
}

/// What the whole pipeline needs captured: the catalogers' files, plus `/etc/shells` for the
/// CHP shell detector (model.md §3.3).
struct ScanCapture<C> {
    catalog: C,
}

/// `/etc/shells` is a short list; anything larger is not a shells file.
const SHELLS_CAP: u64 = 64 * 1024;

impl<C: CapturePolicy> CapturePolicy for ScanCapture<C> {
    fn capture(&self, header: &EntryHeader<'_>) -> Capture {
        if header.path == "/etc/shells" {
            return Capture::Whole {
                max_bytes: SHELLS_CAP,
            };
        }
        self.catalog.capture(header)
    }

    /// Beside what the catalogers keep: executables (CHP's shells, utilities and package
    /// managers, the entrypoint check) and `/etc` (configuration evidence), as full entries.
    fn keep_entry(&self, header: &EntryHeader<'_>) -> bool {
        header.mode & 0o111 != 0
            || header.path.starts_with("/etc/")
            || self.catalog.keep_entry(header)
    }
}

/// Combine image metadata and catalog output into a normalised SBOM.
fn assemble(image: &Image, catalog: onus_catalog::Catalog) -> Sbom {
    let meta = &image.meta;
    let layers = meta
        .layers
        .iter()
        .map(|layer| LayerInfo {
            index: layer.index,
            diff_id: layer.diff_id.clone(),
            digest: layer.digest.clone(),
            size: layer.size,
            created_by: layer.created_by.clone(),
        })
        .collect();
    let mut unknowns = catalog.unknowns;
    unknowns.extend(image.unknowns.iter().map(|(location, reason)| Unknown {
        location: location.clone(),
        reason: reason.clone(),
    }));
    let mut sbom = Sbom {
        schema: SBOM_SCHEMA.to_string(),
        source: SourceInfo {
            scheme: image.scheme.clone(),
            location: image.location.clone(),
            platform: image.platform.clone(),
        },
        image: ImageInfo {
            manifest_digest: meta.manifest_digest.clone(),
            config_digest: meta.config_digest.clone(),
            os: catalog.os,
            layers,
            labels: meta.labels.clone(),
            annotations: meta.annotations.clone(),
            entrypoint: meta.entrypoint.clone(),
            cmd: meta.cmd.clone(),
            user: meta.user.clone(),
            exec_path: meta
                .env
                .iter()
                .find_map(|e| e.strip_prefix("PATH="))
                .map(str::to_string),
            created: meta.created.clone(),
            newer_build: meta.tag_moved.as_ref().map(|(reference, digest, created)| {
                onus_inventory::NewerBuild {
                    reference: reference.clone(),
                    digest: digest.clone(),
                    created: created.clone(),
                }
            }),
        },
        components: catalog.components,
        unknowns,
    };
    sbom.normalize();
    sbom
}
