//! Image sources read in place into a layer-aware file view.
//!
//! Sources: `oci-dir:PATH` (OCI image layout), `oci-archive:PATH` (a tar of one), `docker-archive:PATH`
//! (`docker save` output, plain or compressed) and `dir:PATH` (a root filesystem directory); without a
//! scheme the format is detected from the path. Layer tars are streamed, never extracted: each blob is
//! decompressed (gzip, zstd or none, told by its magic bytes), its digest and diff_id are verified
//! while streaming, and its entries become an [`onus_fs::LayerListing`] that is squashed into an
//! [`onus_fs::SquashedView`]. Only the content that the [`CapturePolicy`] asks for is kept.
//!
//! Architecture invariant: this crate knows nothing about packages; [`ImageMeta`] is plain image
//! metadata that `onus-scan` turns into the SBOM's image description.

mod archive;
mod dir;
mod docker;
mod error;
mod layer;
mod limits;
mod meta;
mod oci;
mod plan;
mod registry;
mod sparse;
mod store;
mod walk;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

use crate::limits::Totals;
use onus_fs::{
    Capture, CapturePolicy, EntryHeader, FileKind, FileView, LayerId, ListingEntry, NoReporter,
    Reporter, ResolveError, SquashedView,
};

pub use error::ImageError;
pub use layer::{scan_layer, Compression, ScannedLayer};
pub use limits::Limits;
pub use meta::{ImageMeta, LayerMeta};

use archive::{PassOptions, Progressed};
use layer::LayerJob;
use plan::{Plan, PlatformSpec};
use store::{DirStore, MemStore, Store, TarStore};

/// How to open an image.
#[derive(Debug, Clone, Default)]
pub struct OpenOptions {
    /// `os/arch[/variant]` to pick from a multi-platform index (e.g. `linux/arm64`). Default:
    /// `linux/amd64`, or the only image there is.
    pub platform: Option<String>,
    pub limits: Limits,
    /// Worker threads reading layers in parallel; 0 = the available parallelism.
    pub threads: usize,
    /// How to reach registries (`registry:REF` and bare references).
    pub registry: onus_registry::RegistryOptions,
    /// A content-addressed cache for registry blobs (`--cache DIR`); nothing is written to
    /// disk without one.
    pub blob_cache: Option<PathBuf>,
}

/// The kind of image source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scheme {
    OciDir,
    OciArchive,
    DockerArchive,
    Dir,
    /// A registry (`registry:REF`, `docker://REF`, or a bare reference that is no local path).
    Registry,
}

impl Scheme {
    /// The scheme prefix (`oci-dir`, `oci-archive`, `docker-archive`, `dir`).
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::OciDir => "oci-dir",
            Scheme::OciArchive => "oci-archive",
            Scheme::DockerArchive => "docker-archive",
            Scheme::Dir => "dir",
            Scheme::Registry => "registry",
        }
    }

    fn from_prefix(prefix: &str) -> Option<Self> {
        match prefix {
            "oci-dir" | "oci" => Some(Scheme::OciDir),
            "oci-archive" => Some(Scheme::OciArchive),
            "docker-archive" => Some(Scheme::DockerArchive),
            "dir" => Some(Scheme::Dir),
            "registry" => Some(Scheme::Registry),
            _ => None,
        }
    }
}

/// An opened image: its metadata and its squashed, layer-aware file view.
#[derive(Debug)]
pub struct Image {
    /// `oci-dir`, `oci-archive`, `docker-archive` or `dir`.
    pub scheme: String,
    /// The path, as given.
    pub location: String,
    /// The platform read (`linux/amd64`), when the image says.
    pub platform: Option<String>,
    pub meta: ImageMeta,
    pub view: SquashedView,
    /// Entries recorded with a caveat or skipped, as `(location, reason)`; the location is
    /// `"<path> (layer <index>)"` for layer entries, the path for findings on the squashed view.
    pub unknowns: Vec<(String, String)>,
}

/// A source after its scheme is known and, for archives, after the first look.
enum Source {
    Dir(PathBuf),
    Store(Box<dyn Store>, Scheme),
    /// A compressed archive, read in one pass; the scheme may only be known at its end.
    Stream(PathBuf, Option<Scheme>),
}

/// Split `scheme:path`. Paths that merely contain a colon are left whole.
fn split_scheme(source: &str) -> Result<(Option<Scheme>, &str), ImageError> {
    if let Some((prefix, rest)) = source.split_once(':') {
        if let Some(scheme) = Scheme::from_prefix(prefix) {
            return Ok((Some(scheme), rest));
        }
        if prefix == "docker" {
            // skopeo's spelling of a registry reference: `docker://REF`.
            if let Some(reference) = rest.strip_prefix("//") {
                return Ok((Some(Scheme::Registry), reference));
            }
        }
        if matches!(prefix, "docker" | "docker-daemon" | "podman" | "containerd") {
            return Err(ImageError::UnsupportedSource {
                input: source.to_string(),
                reason: "reading from a daemon is not supported; use the registry reference, `docker save` or an OCI layout".to_string(),
            });
        }
    }
    Ok((None, source))
}

fn open_source(source: &str, options: &OpenOptions) -> Result<Source, ImageError> {
    let limits = &options.limits;
    let (scheme, raw_path) = split_scheme(source)?;
    let path = PathBuf::from(raw_path);
    if raw_path.is_empty() {
        return Err(ImageError::UnsupportedSource {
            input: source.to_string(),
            reason: "no path given".to_string(),
        });
    }
    if scheme == Some(Scheme::Registry) {
        return open_registry(raw_path, options);
    }
    let meta = match std::fs::metadata(&path) {
        Ok(meta) => meta,
        // No such path: a bare image reference (`nginx`, `host:5000/app:tag`) means a registry.
        Err(e)
            if scheme.is_none()
                && e.kind() == std::io::ErrorKind::NotFound
                && looks_like_reference(raw_path) =>
        {
            return open_registry(raw_path, options);
        }
        Err(e) => return Err(ImageError::io(raw_path, &e)),
    };
    let scheme = match scheme {
        Some(scheme) => scheme,
        None if meta.is_dir() => {
            if path.join("oci-layout").is_file() {
                Scheme::OciDir
            } else {
                Scheme::Dir
            }
        }
        None => return open_archive(&path, raw_path, None, limits),
    };
    match scheme {
        Scheme::Dir => Ok(Source::Dir(path)),
        Scheme::OciDir => {
            if !meta.is_dir() {
                return Err(ImageError::Invalid {
                    what: "OCI layout",
                    object: raw_path.to_string(),
                    reason: "not a directory (use `oci-archive:` for a tar)".to_string(),
                });
            }
            Ok(Source::Store(
                Box::new(DirStore::new(&path, raw_path)),
                Scheme::OciDir,
            ))
        }
        Scheme::OciArchive | Scheme::DockerArchive => {
            open_archive(&path, raw_path, Some(scheme), limits)
        }
        Scheme::Registry => open_registry(raw_path, options),
    }
}

/// For `name:tag@sha256:…`: where the tag points now, when that is another build (its manifest
/// digest and config `created`). A tag that cannot be resolved says nothing (the pinned image
/// was read; the tag may be gone).
fn tag_now(
    location: &str,
    platform: &PlatformSpec,
    options: &OpenOptions,
) -> Option<(String, String, Option<String>)> {
    let pinned = onus_registry::Reference::parse(location).ok()?;
    let pinned_digest = pinned.digest.clone()?;
    pinned.tag.as_ref()?;
    let tag = onus_registry::Reference {
        digest: None,
        ..pinned
    };
    let store = registry::RegistryStore::connect(&tag, &options.registry, None).ok()?;
    let plan = plan_for(&store, Scheme::Registry, platform, &options.limits).ok()?;
    let now = plan.meta.manifest_digest?;
    // The pinned digest may name the index the tag pointed at, or its platform's manifest.
    if now == pinned_digest || store.top_digest() == pinned_digest {
        return None;
    }
    Some((
        tag.to_string(),
        store.top_digest().to_string(),
        plan.meta.created,
    ))
}

/// Whether a string that names no local path reads as an image reference rather than a
/// mistyped path (`./x`, `/x`, `x.tar` and `x.json` stay paths).
fn looks_like_reference(raw: &str) -> bool {
    let pathish = raw.starts_with(['/', '.', '~'])
        || [".tar", ".tgz", ".gz", ".zst", ".json"]
            .iter()
            .any(|ext| raw.ends_with(ext));
    !pathish && onus_registry::Reference::parse(raw).is_ok()
}

fn open_registry(raw: &str, options: &OpenOptions) -> Result<Source, ImageError> {
    let reference =
        onus_registry::Reference::parse(raw).map_err(|e| ImageError::UnsupportedSource {
            input: raw.to_string(),
            reason: e.to_string(),
        })?;
    let store = registry::RegistryStore::connect(
        &reference,
        &options.registry,
        options.blob_cache.as_deref(),
    )?;
    Ok(Source::Store(Box::new(store), Scheme::Registry))
}

fn open_archive(
    path: &Path,
    shown: &str,
    scheme: Option<Scheme>,
    limits: &Limits,
) -> Result<Source, ImageError> {
    if !path.is_file() {
        return Err(ImageError::Detect {
            path: shown.to_string(),
            reason: "neither a directory nor a file".to_string(),
        });
    }
    if archive::file_compression(path)? != Compression::None {
        return Ok(Source::Stream(path.to_path_buf(), scheme));
    }
    let members = archive::index_tar(path, limits).map_err(|e| match (scheme, e) {
        (None, ImageError::Invalid { reason, .. }) => ImageError::Detect {
            path: shown.to_string(),
            reason: format!("not a tar archive: {reason}"),
        },
        (_, e) => e,
    })?;
    let store = TarStore::new(path, shown, members);
    let scheme = match scheme {
        Some(scheme) => scheme,
        None if store.contains("oci-layout") => Scheme::OciArchive,
        None if store.contains("manifest.json") => Scheme::DockerArchive,
        None => {
            return Err(ImageError::Detect {
                path: shown.to_string(),
                reason: "the archive has neither `oci-layout` nor `manifest.json`".to_string(),
            })
        }
    };
    Ok(Source::Store(Box::new(store), scheme))
}

fn plan_for(
    store: &dyn Store,
    scheme: Scheme,
    platform: &PlatformSpec,
    limits: &Limits,
) -> Result<Plan, ImageError> {
    match scheme {
        Scheme::DockerArchive => docker::plan(store, platform, limits),
        _ => oci::plan(store, platform, limits),
    }
}

/// The scheme of a streamed archive, from the members it kept.
fn stream_scheme(store: &MemStore, scheme: Option<Scheme>) -> Option<Scheme> {
    scheme.or_else(|| {
        if store.files.contains_key("oci-layout") {
            Some(Scheme::OciArchive)
        } else if store.files.contains_key("manifest.json") {
            Some(Scheme::DockerArchive)
        } else {
            None
        }
    })
}

fn dir_meta() -> ImageMeta {
    ImageMeta {
        layers: vec![LayerMeta {
            index: 0,
            ..LayerMeta::default()
        }],
        ..ImageMeta::default()
    }
}

/// Read only the metadata (index, manifest, config) of an image: cheap, no layer is read.
///
/// For a compressed archive the members are still decompressed in order until the metadata is
/// complete, but no layer is scanned.
pub fn read_metadata(source: &str, options: &OpenOptions) -> Result<ImageMeta, ImageError> {
    let platform = PlatformSpec::parse(options.platform.as_deref())?;
    let limits = &options.limits;
    match open_source(source, options)? {
        Source::Dir(_) => Ok(dir_meta()),
        Source::Store(store, scheme) => {
            Ok(plan_for(store.as_ref(), scheme, &platform, limits)?.meta)
        }
        Source::Stream(path, scheme) => {
            let decide = |mem: &MemStore| {
                let done = stream_scheme(mem, scheme)
                    .and_then(|s| plan_for(mem, s, &platform, limits).ok())
                    .is_some_and(|plan| plan.layers.iter().all(|l| l.size.is_some()));
                Progressed { wanted: None, done }
            };
            let total = Totals::default();
            let pass = PassOptions {
                scan_layers: false,
                limits,
                capture: &onus_fs::CaptureNothing,
                reporter: &onus_fs::NoReporter,
                total: &total,
            };
            let streamed = archive::stream_pass(&path, source_path(source), &pass, &decide)?;
            let scheme = stream_scheme(&streamed.store, scheme).ok_or_else(|| no_layout(source))?;
            Ok(plan_for(&streamed.store, scheme, &platform, limits)?.meta)
        }
    }
}

fn source_path(source: &str) -> &str {
    split_scheme(source).map(|(_, p)| p).unwrap_or(source)
}

fn no_layout(source: &str) -> ImageError {
    ImageError::Detect {
        path: source_path(source).to_string(),
        reason: "the archive has neither `oci-layout` nor `manifest.json`".to_string(),
    }
}

/// Open an image: read its metadata, stream every layer (verifying digests and diff_ids) and
/// squash them into a file view, capturing the content `capture` asks for.
///
/// Progress: one stage, `reading layers` with the total compressed bytes (`reading files` for
/// `dir:`), advanced as bytes are read.
pub fn open(
    source: &str,
    options: &OpenOptions,
    capture: &dyn CapturePolicy,
    reporter: &dyn Reporter,
) -> Result<Image, ImageError> {
    let platform = PlatformSpec::parse(options.platform.as_deref())?;
    let mut location = source_path(source).to_string();
    let limits = &options.limits;
    let (scheme, meta, view, unknowns) = match open_source(source, options)? {
        Source::Dir(path) => {
            reporter.stage("reading files", None);
            let walked = dir::walk_dir(&path, capture, limits, reporter)?;
            reporter.finish_stage();
            let mut view = bounded_view(
                vec![LayerId {
                    index: 0,
                    diff_id: String::new(),
                }],
                limits,
            );
            view.push_layer(walked.listing);
            check_view(&view, 0, "", limits)?;
            let unknowns = walked
                .unknowns
                .into_iter()
                .map(|(p, r)| (format!("{p} (layer 0)"), r))
                .collect();
            (Scheme::Dir, dir_meta(), view, unknowns)
        }
        Source::Store(store, scheme) => {
            let mut tag_moved = None;
            if scheme == Scheme::Registry {
                // The normalised reference (`docker.io/library/nginx:latest`), not the input.
                location = store.location().to_string();
                tag_moved = tag_now(&location, &platform, options);
            }
            let mut plan = plan_for(store.as_ref(), scheme, &platform, limits)?;
            plan.meta.tag_moved = tag_moved;
            let total = plan.layers.iter().filter_map(|l| l.size).sum();
            reporter.stage("reading layers", Some(total));
            let read = read_parallel(store.as_ref(), &plan, options, capture, reporter);
            reporter.finish_stage();
            let (mut view, summaries) = read?;
            recapture_through_links(store.as_ref(), &plan, options, capture, &mut view)?;
            let (meta, unknowns) = finish_meta(plan, summaries);
            (scheme, meta, view, unknowns)
        }
        Source::Stream(path, scheme) => {
            let size = std::fs::metadata(&path).map(|m| m.len()).ok();
            reporter.stage("reading layers", size);
            let read = read_streamed(
                &path, &location, scheme, &platform, options, capture, reporter,
            );
            reporter.finish_stage();
            let (scheme, plan, view, summaries) = read?;
            let (meta, unknowns) = finish_meta(plan, summaries);
            (scheme, meta, view, unknowns)
        }
    };
    let mut unknowns: Vec<(String, String)> = unknowns;
    unknowns.extend(view_unknowns(&view));
    Ok(Image {
        scheme: scheme.as_str().to_string(),
        location,
        platform: meta.platform.clone(),
        meta,
        view,
        unknowns,
    })
}

/// What is kept of a layer once its listing went into the view.
struct Summary {
    digest: String,
    compressed_size: u64,
    unknowns: Vec<(String, String)>,
}

fn summary(index: usize, layer: &mut ScannedLayer) -> Summary {
    Summary {
        digest: layer.digest.clone(),
        compressed_size: layer.compressed_size,
        unknowns: std::mem::take(&mut layer.unknowns)
            .into_iter()
            .map(|(path, reason)| (format!("{path} (layer {index})"), reason))
            .collect(),
    }
}

/// Fill in what only reading the layers tells (digests of legacy docker layers, sizes).
fn finish_meta(plan: Plan, summaries: Vec<Summary>) -> (ImageMeta, Vec<(String, String)>) {
    let mut meta = plan.meta;
    let mut unknowns = Vec::new();
    for (layer, summary) in meta.layers.iter_mut().zip(summaries) {
        if layer.digest.is_none() {
            layer.digest = Some(summary.digest);
        }
        if layer.size == 0 {
            layer.size = summary.compressed_size;
        }
        unknowns.extend(summary.unknowns);
    }
    (meta, unknowns)
}

fn layer_ids(plan: &Plan) -> Vec<LayerId> {
    plan.layers
        .iter()
        .enumerate()
        .map(|(index, l)| LayerId {
            index,
            diff_id: l.diff_id.clone(),
        })
        .collect()
}

fn worker_count(options: &OpenOptions, layers: usize) -> usize {
    let available = std::thread::available_parallelism()
        .map(usize::from)
        .unwrap_or(1);
    let wanted = if options.threads == 0 {
        available
    } else {
        options.threads
    };
    wanted.clamp(1, layers.max(1))
}

/// Read the layers of a seekable store with a few workers; the view is squashed in layer order
/// as results arrive. On failure the error of the lowest failing layer is returned (every lower
/// layer is always read, so the choice does not depend on timing).
fn read_parallel(
    store: &dyn Store,
    plan: &Plan,
    options: &OpenOptions,
    capture: &dyn CapturePolicy,
    reporter: &dyn Reporter,
) -> Result<(SquashedView, Vec<Summary>), ImageError> {
    let count = plan.layers.len();
    let mut view = bounded_view(layer_ids(plan), &options.limits);
    let mut summaries: Vec<Summary> = Vec::with_capacity(count);
    let next = AtomicUsize::new(0);
    let failed_at = AtomicUsize::new(usize::MAX);
    let total = Totals::default();
    let mut first_error: Option<(usize, ImageError)> = None;
    let order = largest_first(plan);
    std::thread::scope(|scope| {
        let (tx, rx) = mpsc::channel::<(usize, Result<ScannedLayer, ImageError>)>();
        for _ in 0..worker_count(options, count) {
            let tx = tx.clone();
            let (next, failed_at, total) = (&next, &failed_at, &total);
            let order = &order;
            scope.spawn(move || {
                while let Some(&index) = order.get(next.fetch_add(1, Ordering::SeqCst)) {
                    if index > failed_at.load(Ordering::SeqCst) {
                        continue;
                    }
                    let result = read_one(store, plan, index, options, capture, reporter, total);
                    if result.is_err() {
                        failed_at.fetch_min(index, Ordering::SeqCst);
                    }
                    if tx.send((index, result)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        let mut pending: BTreeMap<usize, ScannedLayer> = BTreeMap::new();
        for (index, result) in rx {
            match result {
                Ok(layer) => {
                    pending.insert(index, layer);
                }
                Err(e) => {
                    if first_error.as_ref().is_none_or(|(at, _)| index < *at) {
                        first_error = Some((index, e));
                    }
                }
            }
            while let Some(mut layer) = pending.remove(&summaries.len()) {
                let index = summaries.len();
                summaries.push(summary(index, &mut layer));
                view.push_layer(std::mem::take(&mut layer.listing));
                let label = plan
                    .layers
                    .get(index)
                    .map(|l| l.label())
                    .unwrap_or_default();
                if let Err(e) = check_view(&view, index, &label, &options.limits) {
                    failed_at.fetch_min(index, Ordering::SeqCst);
                    if first_error.as_ref().is_none_or(|(at, _)| index < *at) {
                        first_error = Some((index, e));
                    }
                }
            }
        }
    });
    if let Some((_, e)) = first_error {
        return Err(e);
    }
    Ok((view, summaries))
}

/// Layer indices, largest blob first (stable for equal or unknown sizes): with a few workers,
/// starting the big layers first keeps every core busy until the end instead of leaving one
/// worker alone on a big layer it picked up last.
fn largest_first(plan: &Plan) -> Vec<usize> {
    let mut order: Vec<usize> = (0..plan.layers.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(plan.layers.get(i).and_then(|l| l.size).unwrap_or(0)));
    order
}

/// Content a cataloger asks for under a link's name (`/etc/os-release`), when the link was added
/// by a later layer than the file it reaches: the policy saw only the file's own name while its
/// layer was read, so the content was not kept. Those layers are read once more, capturing just
/// the files such links reach, decided as if they had the link's name.
fn recapture_through_links(
    store: &dyn Store,
    plan: &Plan,
    options: &OpenOptions,
    capture: &dyn CapturePolicy,
    view: &mut SquashedView,
) -> Result<(), ImageError> {
    // layer -> (file reached, the link's name the policy wants it under)
    let mut wanted: BTreeMap<usize, BTreeMap<String, String>> = BTreeMap::new();
    for path in view.paths() {
        let Some(link) = view.entry(path) else {
            continue;
        };
        if link.meta.kind != FileKind::Symlink {
            continue;
        }
        let Ok(target) = view.resolve(path) else {
            continue;
        };
        // The file reached: an entry without content, or one kept without an entry (its mode
        // and size unknown here; the second read sees its real header).
        let (mode, size, layer) = match view.entry(&target) {
            Some(file) if file.meta.kind == FileKind::Regular && file.content.is_none() => {
                (file.meta.mode, file.meta.size, file.layer)
            }
            Some(_) => continue,
            None => match view.skeleton_layer(&target) {
                Some(layer) => (0o644, 0, layer),
                None => continue,
            },
        };
        let header = EntryHeader {
            path,
            kind: FileKind::Regular,
            mode,
            size,
        };
        if matches!(capture.capture(&header), Capture::Skip) {
            continue;
        }
        wanted
            .entry(layer)
            .or_default()
            .entry(target)
            .or_insert_with(|| path.to_string());
    }
    let total = Totals::default();
    for (index, names) in wanted {
        let policy = UnderLinkName {
            names: &names,
            inner: capture,
        };
        let layer = read_one(store, plan, index, options, &policy, &NoReporter, &total)?;
        for entry in layer.listing.entries {
            if let ListingEntry::File { path, version } = entry {
                if let Some(content) = version.content {
                    view.fill_content(&path, index, content);
                }
            }
        }
    }
    Ok(())
}

/// Captures only the named files, as the inner policy would under the link's name.
struct UnderLinkName<'a> {
    names: &'a BTreeMap<String, String>,
    inner: &'a dyn CapturePolicy,
}

impl CapturePolicy for UnderLinkName<'_> {
    fn capture(&self, header: &EntryHeader<'_>) -> Capture {
        match self.names.get(header.path) {
            Some(link) => self.inner.capture(&EntryHeader {
                path: link,
                ..*header
            }),
            None => Capture::Skip,
        }
    }
}

fn read_one(
    store: &dyn Store,
    plan: &Plan,
    index: usize,
    options: &OpenOptions,
    capture: &dyn CapturePolicy,
    reporter: &dyn Reporter,
    total: &Totals,
) -> Result<ScannedLayer, ImageError> {
    let planned = plan.layers.get(index).ok_or_else(|| ImageError::Missing {
        object: format!("layer {index}"),
        location: store.location().to_string(),
    })?;
    let member = store
        .open(&planned.path)?
        .ok_or_else(|| ImageError::Missing {
            object: format!("layer blob `{}`", planned.label()),
            location: store.location().to_string(),
        })?;
    let job = LayerJob {
        index,
        label: planned.label(),
        expected_digest: planned.digest.clone(),
        expected_diff_id: Some(planned.diff_id.clone()),
        limits: &options.limits,
        capture,
        progress: Some(reporter),
        total,
    };
    layer::scan(member.reader, &job)
}

type StreamedImage = (Scheme, Plan, SquashedView, Vec<Summary>);

/// Read a compressed archive in one pass, then map the scanned members onto the layers.
fn read_streamed(
    path: &Path,
    location: &str,
    scheme: Option<Scheme>,
    platform: &PlatformSpec,
    options: &OpenOptions,
    capture: &dyn CapturePolicy,
    reporter: &dyn Reporter,
) -> Result<StreamedImage, ImageError> {
    let limits = &options.limits;
    let decide = |mem: &MemStore| Progressed {
        wanted: stream_scheme(mem, scheme)
            .and_then(|s| plan_for(mem, s, platform, limits).ok())
            .map(|plan| plan.layers.into_iter().map(|l| l.path).collect()),
        done: false,
    };
    let total = Totals::default();
    let pass = PassOptions {
        scan_layers: true,
        limits,
        capture,
        reporter,
        total: &total,
    };
    let mut streamed = archive::stream_pass(path, location, &pass, &decide)?;
    let scheme = stream_scheme(&streamed.store, scheme).ok_or_else(|| ImageError::Detect {
        path: location.to_string(),
        reason: "the archive has neither `oci-layout` nor `manifest.json`".to_string(),
    })?;
    let plan = plan_for(&streamed.store, scheme, platform, limits)?;
    let mut view = bounded_view(layer_ids(&plan), limits);
    let mut summaries = Vec::with_capacity(plan.layers.len());
    for (index, planned) in plan.layers.iter().enumerate() {
        let real = store::follow(&streamed.store.members, &planned.path)
            .map(|(real, _)| real.to_string())
            .ok_or_else(|| ImageError::Missing {
                object: format!("layer blob `{}`", planned.label()),
                location: location.to_string(),
            })?;
        let uses_left = plan.layers[index + 1..]
            .iter()
            .filter(|l| {
                store::follow(&streamed.store.members, &l.path).is_some_and(|(r, _)| r == real)
            })
            .count();
        let result = if uses_left == 0 {
            streamed.layers.remove(&real)
        } else {
            streamed.layers.get(&real).cloned()
        };
        let mut layer = match result {
            Some(result) => result.map_err(|e| relabel(e, index, &planned.label()))?,
            None => rescan_kept(
                &streamed.store,
                &real,
                index,
                planned,
                options,
                capture,
                &total,
            )?,
        };
        check_layer(&layer, index, planned)?;
        for entry in &mut layer.listing.entries {
            if let ListingEntry::File { version, .. } = entry {
                version.layer = index;
            }
        }
        summaries.push(summary(index, &mut layer));
        view.push_layer(std::mem::take(&mut layer.listing));
        check_view(&view, index, &planned.label(), limits)?;
    }
    Ok((scheme, plan, view, summaries))
}

/// A needed layer member that the pass kept as a small document (it looked like JSON) or
/// skipped: read it from memory, or report it missing.
fn rescan_kept(
    store: &MemStore,
    real: &str,
    index: usize,
    planned: &plan::PlannedLayer,
    options: &OpenOptions,
    capture: &dyn CapturePolicy,
    total: &Totals,
) -> Result<ScannedLayer, ImageError> {
    let bytes: &[u8] = match (store.files.get(real), store.members.get(real)) {
        (Some(bytes), _) => bytes,
        (None, Some(store::Located::Data { size: 0, .. })) => &[],
        _ => {
            return Err(ImageError::Missing {
                object: format!("layer blob `{}`", planned.label()),
                location: store.location.clone(),
            })
        }
    };
    let job = LayerJob {
        index,
        label: planned.label(),
        expected_digest: None,
        expected_diff_id: None,
        limits: &options.limits,
        capture,
        progress: None,
        total,
    };
    layer::scan(bytes, &job)
}

fn check_layer(
    layer: &ScannedLayer,
    index: usize,
    planned: &plan::PlannedLayer,
) -> Result<(), ImageError> {
    if let Some(expected) = &planned.digest {
        if *expected != layer.digest {
            return Err(ImageError::DigestMismatch {
                what: "layer blob",
                expected: expected.clone(),
                actual: layer.digest.clone(),
            });
        }
    }
    if planned.diff_id != layer.diff_id {
        return Err(ImageError::DiffIdMismatch {
            index,
            layer: planned.label(),
            expected: planned.diff_id.clone(),
            actual: layer.diff_id.clone(),
        });
    }
    Ok(())
}

/// Errors of a speculative scan name the member; once mapped, name the layer.
fn relabel(error: ImageError, index: usize, label: &str) -> ImageError {
    match error {
        ImageError::Layer { reason, .. } => ImageError::Layer {
            index,
            layer: label.to_string(),
            reason,
        },
        ImageError::Limit { what, .. } => ImageError::Limit {
            object: format!("layer {index} `{label}`"),
            what,
        },
        other => other,
    }
}

fn bounded_view(layers: Vec<LayerId>, limits: &Limits) -> SquashedView {
    let mut view = SquashedView::new(layers);
    view.set_size_limit(usize::try_from(limits.max_memory_bytes).unwrap_or(usize::MAX));
    view
}

/// Fail when squashing layer `index` pushed the view's own count over `max_memory_bytes` (a
/// backstop: the walk charges every entry against the same budget as it reads).
fn check_view(
    view: &SquashedView,
    index: usize,
    label: &str,
    limits: &Limits,
) -> Result<(), ImageError> {
    if view.over_limit() {
        return Err(ImageError::Limit {
            object: format!("layer {index} `{label}`"),
            what: format!(
                "file view over the memory budget of {} MiB (max_memory_bytes); raise it with --max-memory",
                limits.max_memory_bytes >> 20
            ),
        });
    }
    Ok(())
}

/// Findings on the squashed view: hard links whose target is missing, link loops.
fn view_unknowns(view: &SquashedView) -> Vec<(String, String)> {
    let mut unknowns = Vec::new();
    for path in view.paths() {
        let Some(version) = view.entry(path) else {
            continue;
        };
        if !matches!(version.meta.kind, FileKind::Hardlink | FileKind::Symlink) {
            continue;
        }
        let target = version.meta.link_target.as_deref().unwrap_or_default();
        match (version.meta.kind, view.resolve(path)) {
            (FileKind::Hardlink, Err(ResolveError::NotFound(_))) => unknowns.push((
                path.to_string(),
                format!("hard link target `{target}` does not exist in the image"),
            )),
            (FileKind::Hardlink | FileKind::Symlink, Err(ResolveError::Loop(_))) => {
                unknowns.push((
                    path.to_string(),
                    format!("link to `{target}` loops (more than 40 hops); it resolves to nothing"),
                ))
            }
            _ => {}
        }
    }
    unknowns
}
