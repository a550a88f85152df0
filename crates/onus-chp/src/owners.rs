//! Path → owning distro package, built from the SBOM's distro components' file lists.

use std::collections::BTreeMap;

use onus_fs::normalize_path;
use onus_inventory::Sbom;

/// Which distro package installed each path.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OwnerIndex {
    files: BTreeMap<String, String>,
}

impl OwnerIndex {
    /// Index every file of every distro component (the first owner wins on a shared path).
    pub fn from_sbom(sbom: &Sbom) -> Self {
        let mut files = BTreeMap::new();
        for c in sbom.components.iter().filter(|c| c.ecosystem.is_distro()) {
            for f in &c.files {
                if let Some(p) = normalize_path(f) {
                    files.entry(p).or_insert_with(|| c.name.clone());
                }
            }
        }
        OwnerIndex { files }
    }

    /// Add one owned path (tests, callers without an SBOM).
    pub fn insert(&mut self, path: &str, package: &str) {
        if let Some(p) = normalize_path(path) {
            self.files.entry(p).or_insert_with(|| package.to_string());
        }
    }

    /// The package owning `path`, trying usr-merge aliases (`/bin/sh` ↔ `/usr/bin/sh`).
    pub fn owner(&self, path: &str) -> Option<&str> {
        aliases(path)
            .iter()
            .find_map(|p| self.files.get(p))
            .map(String::as_str)
    }
}

fn aliases(path: &str) -> Vec<String> {
    const GROUPS: [&[&str]; 2] = [
        &["/bin/", "/usr/bin/", "/sbin/", "/usr/sbin/"],
        &["/lib/", "/usr/lib/"],
    ];
    let mut out = vec![path.to_string()];
    for group in GROUPS {
        if let Some(rest) = group.iter().find_map(|prefix| path.strip_prefix(prefix)) {
            out.extend(
                group
                    .iter()
                    .map(|prefix| format!("{prefix}{rest}"))
                    .filter(|a| a != path),
            );
        }
    }
    out
}
