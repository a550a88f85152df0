//! The SBOM model shared by every stage: what the image is and what is inside it.
//!
//! [`Sbom`] serialises to onus's own versioned schema, `onus.sbom/v1`. Every collection is kept
//! sorted (see [`Sbom::normalize`]) so the same image always gives byte-identical output.
//!
//! Architecture invariant: this crate is data only; it reads no files and knows no image format.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

mod glob;
mod license;
mod purl;
pub mod vocab;
pub use glob::glob_match;
pub use license::{license_all, license_choice, license_from_classifier, normalize_license};
pub use purl::{make_purl, PurlError};

/// The schema identifier written into every SBOM document.
pub const SBOM_SCHEMA: &str = "onus.sbom/v1";

/// An inventory of one image (or one SBOM read back in).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sbom {
    /// Always [`SBOM_SCHEMA`].
    pub schema: String,
    pub source: SourceInfo,
    pub image: ImageInfo,
    pub components: Vec<Component>,
    #[serde(default)]
    pub unknowns: Vec<Unknown>,
}

impl Sbom {
    /// Sort components, locations and unknowns so output is deterministic.
    pub fn normalize(&mut self) {
        for component in &mut self.components {
            component.locations.sort();
            component.locations.dedup();
            component.files.sort();
            component.files.dedup();
        }
        self.components
            .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        self.components
            .dedup_by(|a, b| a.sort_key() == b.sort_key());
        self.unknowns.sort();
        self.unknowns.dedup();
    }
}

/// Where the inventory came from, as the user named it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SourceInfo {
    /// `oci-dir`, `oci-archive`, `docker-archive`, `dir` or `sbom`.
    pub scheme: String,
    /// The path or reference as given (without the scheme prefix).
    pub location: String,
    /// The platform chosen from a multi-platform index (`linux/amd64`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
}

/// Image metadata: digests, layers, OS and runtime configuration.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ImageInfo {
    pub manifest_digest: Option<String>,
    pub config_digest: Option<String>,
    pub os: Option<OsInfo>,
    pub layers: Vec<LayerInfo>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entrypoint: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cmd: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// The `PATH` the image config sets (only that variable: other `Env` values may hold
    /// secrets and are never copied).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exec_path: Option<String>,
    /// Image creation time from the config, as written there (never the clock).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// For an image pulled as `name:tag@sha256:…`: the tag now points at another build.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub newer_build: Option<NewerBuild>,
}

/// A newer build of the tag an image was pinned from (model §7, R-TST-5: pinned images age).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct NewerBuild {
    /// `registry/repository:tag`.
    pub reference: String,
    /// The manifest digest the tag points at now.
    pub digest: String,
    /// That build's config `created`, as written there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
}

/// `/etc/os-release` fields that matter for matching and EOL.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct OsInfo {
    pub id: String,
    #[serde(default)]
    pub version_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_codename: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pretty_name: Option<String>,
}

/// One filesystem layer of the image.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct LayerInfo {
    pub index: usize,
    pub diff_id: String,
    /// Compressed blob digest as the manifest names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// Compressed blob size from the manifest.
    pub size: u64,
    /// `created_by` of the matching (non-empty) history entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
}

/// The package ecosystem (purl type) of a component.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Ecosystem {
    Apk,
    Deb,
    Pypi,
    Npm,
    Golang,
    Maven,
    Cargo,
    /// Packages in an rpm database (`rpmdb.sqlite`, `Packages`, `Packages.db`).
    Rpm,
    /// Ruby gems (`specifications/*.gemspec`).
    Gem,
    /// PHP packages installed by Composer (`vendor/composer/installed.json`).
    Composer,
    /// .NET packages (`*.deps.json`).
    Nuget,
    /// Binaries identified by other evidence (e.g. a Go toolchain `stdlib`).
    Binary,
}

impl Ecosystem {
    /// True for packages a distribution's package manager installed.
    pub fn is_distro(self) -> bool {
        matches!(self, Ecosystem::Apk | Ecosystem::Deb | Ecosystem::Rpm)
    }

    /// Every ecosystem a package URL names (all but [`Ecosystem::Binary`]).
    pub const PACKAGE_TYPES: [Ecosystem; 11] = [
        Ecosystem::Apk,
        Ecosystem::Deb,
        Ecosystem::Rpm,
        Ecosystem::Pypi,
        Ecosystem::Npm,
        Ecosystem::Golang,
        Ecosystem::Maven,
        Ecosystem::Cargo,
        Ecosystem::Gem,
        Ecosystem::Composer,
        Ecosystem::Nuget,
    ];

    /// The ecosystem of a purl type (`pkg:<type>/…`), case-insensitive; `None` for `generic`
    /// and types onus does not catalog.
    pub fn from_purl_type(purl_type: &str) -> Option<Ecosystem> {
        Ecosystem::PACKAGE_TYPES
            .into_iter()
            .find(|e| e.purl_type().eq_ignore_ascii_case(purl_type))
    }

    /// The purl type for this ecosystem.
    pub fn purl_type(self) -> &'static str {
        match self {
            Ecosystem::Apk => "apk",
            Ecosystem::Deb => "deb",
            Ecosystem::Rpm => "rpm",
            Ecosystem::Pypi => "pypi",
            Ecosystem::Npm => "npm",
            Ecosystem::Golang => "golang",
            Ecosystem::Maven => "maven",
            Ecosystem::Cargo => "cargo",
            Ecosystem::Gem => "gem",
            Ecosystem::Composer => "composer",
            Ecosystem::Nuget => "nuget",
            Ecosystem::Binary => "generic",
        }
    }

    /// The OSV ecosystem name, when OSV covers it.
    pub fn osv_name(self) -> Option<&'static str> {
        match self {
            Ecosystem::Pypi => Some("PyPI"),
            Ecosystem::Npm => Some("npm"),
            Ecosystem::Golang => Some("Go"),
            Ecosystem::Maven => Some("Maven"),
            Ecosystem::Cargo => Some("crates.io"),
            Ecosystem::Gem => Some("RubyGems"),
            Ecosystem::Composer => Some("Packagist"),
            Ecosystem::Nuget => Some("NuGet"),
            _ => None,
        }
    }
}

/// The distro package whose file list contains a component's evidence.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Owner {
    pub name: String,
    pub version: String,
    pub purl: String,
}

/// One package found in the image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Component {
    pub name: String,
    pub version: String,
    pub ecosystem: Ecosystem,
    pub purl: String,
    /// Index of the layer that introduced it: the first layer from which it stays present.
    pub layer: Option<usize>,
    /// Evidence paths (package database, metadata file, binary, archive).
    pub locations: Vec<String>,
    /// The distro package owning the evidence, if any.
    #[serde(default)]
    pub owner: Option<Owner>,
    /// The cataloger that found it (`apk-db`, `dpkg-db`, `python-package`, …).
    pub found_by: String,
    /// Source/origin package for distro packages (apk `o:`, deb `Source:`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    /// The source package's version when it differs (deb `Source: name (version)`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arch: Option<String>,
    /// Files installed by a distro package (absolute paths); empty for language packages.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<String>,
    /// Free-form, ecosystem-specific facts (e.g. `go_version`, `main_module`), sorted by key.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub metadata: BTreeMap<String, String>,
}

impl Component {
    /// The key components are sorted and de-duplicated by.
    pub fn sort_key(&self) -> (Ecosystem, &str, &str, &str, Option<&str>) {
        (
            self.ecosystem,
            &self.name,
            &self.version,
            &self.purl,
            self.locations.first().map(String::as_str),
        )
    }

    /// The package name used to look up distro advisories: the origin/source package.
    pub fn advisory_name(&self) -> &str {
        self.origin.as_deref().unwrap_or(&self.name)
    }
}

/// Something that could not be read or understood, kept as data rather than an error.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Unknown {
    pub location: String,
    pub reason: String,
}
