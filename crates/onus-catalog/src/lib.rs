//! Catalogers: find the packages inside an image through its layer-aware [`FileView`].
//!
//! Each cataloger is a name, a path predicate (its "globs") and a parser; one shared wrapper
//! ([`catalog`]) runs them over the view and post-processes their output the same way: it sets
//! `found_by`, the introducing layer (from every captured version of the evidence file), the
//! owning distro package (from apk/dpkg file lists) and collects unknowns. A malformed file is an
//! [`Unknown`], never an error or a panic.
//!
//! The image reader is told which file contents to keep by [`capture_policy`]; catalogers never
//! see image code and are tested against hand-built [`onus_fs::SquashedView`]s.
//!
//! ```
//! use onus_fs::{LayerId, LayerListing, NoReporter, SquashedView};
//! let view = SquashedView::from_layers(vec![LayerId { index: 0, diff_id: String::new() }], vec![LayerListing::default()]);
//! let catalog = onus_catalog::catalog(&view, &NoReporter);
//! assert!(catalog.components.is_empty());
//! ```

use std::collections::BTreeSet;

use onus_fs::{FileKind, FileVersion, FileView, Reporter};
use onus_inventory::{Component, OsInfo, Unknown};

mod apk;
mod binary;
mod capture;
mod composer;
mod dotnet;
mod dpkg;
#[cfg(test)]
mod e2e_tests;
mod gem;
mod golang;
mod golang_sink;
mod java;
mod layer;
mod npm;
mod os_release;
mod ownership;
#[cfg(test)]
mod proptests;
mod python;
mod rpm;
mod rust_audit;
#[cfg(test)]
mod testutil;
mod text;

pub use apk::{parse_apk_installed, ApkRecord};
pub use binary::BUILTIN_BINARIES;
pub use capture::{capture_policy, Caps, CatalogCapture};
pub use composer::{parse_composer_installed, ComposerPackage};
pub use dotnet::{parse_deps_json, DotnetLibrary};
pub use dpkg::{parse_copyright_license, parse_dpkg_status, DpkgRecord};
pub use gem::{parse_gemspec, Gemspec};
pub use golang::{parse_go_binary, parse_go_modinfo, GoBuildInfo, GoModule};
pub use java::{parse_java_archive, JavaArchive, NestedArchive, PomProperties};
pub use npm::{parse_package_json, NpmPackage};
pub use os_release::parse_os_release;
pub use python::{normalize_python_name, parse_python_metadata, PythonMetadata};
pub use rpm::{parse_rpm_header, read_rpm_database, rpm_database_at, RpmBackend, RpmHeader};
pub use rust_audit::{parse_cargo_auditable, AuditedCrate};

/// Everything the catalogers found in one view, sorted.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Catalog {
    /// The distribution from `/etc/os-release` (or `/usr/lib/os-release`).
    pub os: Option<OsInfo>,
    /// Components sorted by [`Component::sort_key`], exact duplicates removed.
    pub components: Vec<Component>,
    /// Files that could not be read or understood, sorted.
    pub unknowns: Vec<Unknown>,
}

/// Shared, read-only inputs of every cataloger.
pub(crate) struct Ctx<'a> {
    pub view: &'a dyn FileView,
    pub os: Option<&'a OsInfo>,
}

/// What one parser made of one file.
#[derive(Debug, Default)]
pub(crate) struct Parsed {
    pub components: Vec<Component>,
    pub unknowns: Vec<Unknown>,
}

/// One cataloger: a name, the files it reads and how it reads them.
pub(crate) trait Cataloger: Sync {
    /// The `found_by` name.
    fn name(&self) -> &'static str;
    /// True for the (normalised, absolute) paths this cataloger parses; `entry` is the current
    /// version (a regular file or hard link).
    fn matches(&self, path: &str, entry: &FileVersion) -> bool;
    /// True when a matching file without captured content is itself worth an unknown (a package
    /// database); false when no content is the normal case (an executable that is not Go).
    fn needs_content(&self) -> bool {
        true
    }
    /// Parse one version of a matching file. Components come back without `found_by`, `layer` or
    /// `owner`; the wrapper fills those in.
    fn parse(&self, ctx: &Ctx<'_>, path: &str, bytes: &[u8], complete: bool) -> Parsed;
    /// Add what only the current version needs (file lists read from other files).
    fn enrich(
        &self,
        _ctx: &Ctx<'_>,
        _path: &str,
        _component: &mut Component,
        _unknowns: &mut Vec<Unknown>,
    ) {
    }
}

/// A component with the real path of the file it was parsed from.
pub(crate) struct Found {
    pub component: Component,
    /// The evidence file (the outer archive for nested jars).
    pub evidence: String,
    /// True when the layer came from the first version of the evidence's history, so it may be
    /// later than the package really is (a database that moved or was first written later).
    pub layer_at_chain_start: bool,
}

fn catalogers() -> [&'static dyn Cataloger; 13] {
    [
        &apk::ApkCataloger,
        &dpkg::StatusCataloger,
        &dpkg::StatusDirCataloger,
        &rpm::RpmCataloger,
        &python::PythonCataloger,
        &npm::NpmCataloger,
        &golang::GoCataloger,
        &java::JavaCataloger,
        &gem::GemCataloger,
        &composer::ComposerCataloger,
        &dotnet::DotnetCataloger,
        &rust_audit::RustAuditCataloger,
        &binary::BinaryCataloger,
    ]
}

/// Run every cataloger over `view` and return the sorted components, the OS and the unknowns.
pub fn catalog(view: &dyn FileView, reporter: &dyn Reporter) -> Catalog {
    let (os, mut unknowns) = os_release::detect(view);
    let ctx = Ctx {
        view,
        os: os.as_ref(),
    };
    let catalogers = catalogers();
    let mut found: Vec<Found> = Vec::new();

    reporter.stage("cataloging", None);
    for path in view.paths() {
        reporter.advance(1);
        let Some(entry) = view.entry(path) else {
            continue;
        };
        if !matches!(entry.meta.kind, FileKind::Regular | FileKind::Hardlink) {
            continue;
        }
        for cataloger in catalogers {
            if cataloger.matches(path, entry) {
                run_one(&ctx, cataloger, path, &mut found, &mut unknowns);
            }
        }
    }
    reporter.finish_stage();

    let index = ownership::OwnerIndex::build(view, &found);
    for item in &mut found {
        if item.component.ecosystem.is_distro() {
            if item.layer_at_chain_start {
                layer::refine_distro_layer(view, &mut item.component);
            }
        } else {
            item.component.owner = index.owner_of(view, &item.evidence);
        }
    }

    // A binary recognised by its content is reported only where no distro package owns the
    // file: the package, with its advisories, is the better evidence.
    found.retain(|f| !(f.component.found_by == binary::FOUND_BY && f.component.owner.is_some()));
    let mut components: Vec<Component> = found.into_iter().map(|f| f.component).collect();
    for component in &mut components {
        component.locations.sort();
        component.locations.dedup();
        component.files.sort();
        component.files.dedup();
    }
    components.sort_by(|a, b| {
        a.sort_key()
            .cmp(&b.sort_key())
            .then_with(|| a.layer.cmp(&b.layer))
    });
    components.dedup();
    let unknowns: Vec<Unknown> = unknowns
        .into_iter()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    Catalog {
        os,
        components,
        unknowns,
    }
}

fn run_one(
    ctx: &Ctx<'_>,
    cataloger: &dyn Cataloger,
    path: &str,
    found: &mut Vec<Found>,
    unknowns: &mut Vec<Unknown>,
) {
    let Some(content) = ctx.view.content(path) else {
        if cataloger.needs_content() {
            unknowns.push(unknown(
                path,
                "file content was not captured by the image reader",
            ));
        }
        return;
    };
    let parsed = cataloger.parse(ctx, path, &content.bytes, content.complete);
    unknowns.extend(parsed.unknowns);
    if parsed.components.is_empty() {
        return;
    }
    let layers = layer::introducing_layers(ctx, cataloger, path, &parsed.components);
    for (mut component, (layer, at_start)) in parsed.components.into_iter().zip(layers) {
        component.found_by = cataloger.name().to_string();
        component.layer = layer;
        cataloger.enrich(ctx, path, &mut component, unknowns);
        found.push(Found {
            component,
            evidence: path.to_string(),
            layer_at_chain_start: at_start,
        });
    }
}

/// An [`Unknown`] for `location`.
pub(crate) fn unknown(location: &str, reason: impl Into<String>) -> Unknown {
    Unknown {
        location: location.to_string(),
        reason: reason.into(),
    }
}

/// A parse failure's reason, saying so when the content was cut at the capture cap (the cause
/// is then likely the cap, not the file).
pub(crate) fn truncated(reason: String, complete: bool) -> String {
    if complete {
        reason
    } else {
        format!("{reason} (content truncated at the capture size cap)")
    }
}

/// A language package with its purl and metadata, or the purl's error as an unknown.
pub(crate) fn push_package(
    parsed: &mut Parsed,
    (name, version): (&str, &str),
    ecosystem: onus_inventory::Ecosystem,
    purl: Result<String, onus_inventory::PurlError>,
    location: &str,
    metadata: impl IntoIterator<Item = (&'static str, String)>,
) {
    match purl {
        Ok(purl) => {
            let mut c = component(name, version, ecosystem, purl, location);
            c.metadata
                .extend(metadata.into_iter().map(|(k, v)| (k.to_string(), v)));
            parsed.components.push(c);
        }
        Err(e) => parsed.unknowns.push(unknown(location, e.to_string())),
    }
}

/// A component with the fields every cataloger sets; the rest default to empty.
pub(crate) fn component(
    name: &str,
    version: &str,
    ecosystem: onus_inventory::Ecosystem,
    purl: String,
    location: &str,
) -> Component {
    Component {
        name: name.to_string(),
        version: version.to_string(),
        ecosystem,
        purl,
        layer: None,
        locations: vec![location.to_string()],
        owner: None,
        found_by: String::new(),
        origin: None,
        origin_version: None,
        arch: None,
        files: Vec::new(),
        metadata: Default::default(),
    }
}
