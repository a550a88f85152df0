//! Lookup tables over one SBOM: file → owning distro package, purl → components, origin → packages.

use std::collections::BTreeMap;

use onus_inventory::{Component, Sbom};

/// Indexes built once per attribution run.
pub(crate) struct SbomIndex<'a> {
    pub sbom: &'a Sbom,
    /// Normalised absolute file path → index of the first distro component listing it.
    files: BTreeMap<String, usize>,
    /// purl → component indices (a purl can repeat with different locations).
    pub by_purl: BTreeMap<&'a str, Vec<usize>>,
    /// origin (or name) → distro component indices.
    pub by_origin: BTreeMap<&'a str, Vec<usize>>,
}

impl<'a> SbomIndex<'a> {
    pub fn new(sbom: &'a Sbom) -> Self {
        let mut files = BTreeMap::new();
        let mut by_purl: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        let mut by_origin: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, c) in sbom.components.iter().enumerate() {
            by_purl.entry(c.purl.as_str()).or_default().push(i);
            if c.ecosystem.is_distro() {
                by_origin.entry(c.advisory_name()).or_default().push(i);
                for f in &c.files {
                    if let Some(p) = normalize(f) {
                        files.entry(p).or_insert(i);
                    }
                }
            }
        }
        SbomIndex {
            sbom,
            files,
            by_purl,
            by_origin,
        }
    }

    pub fn component(&self, i: usize) -> &'a Component {
        &self.sbom.components[i]
    }

    /// The distro component owning `path`, trying usr-merge aliases (`/bin` ↔ `/usr/bin`, …).
    pub fn owner_of_path(&self, path: &str) -> Option<usize> {
        let path = normalize(path)?;
        usr_merge_aliases(&path)
            .iter()
            .find_map(|p| self.files.get(p).copied())
    }

    /// The distro package owning a non-distro component: the SBOM's recorded owner first,
    /// then the owner of its first owned evidence path.
    pub fn owner_of_component(&self, c: &Component) -> Option<usize> {
        if let Some(owner) = &c.owner {
            let by_purl = self.by_purl.get(owner.purl.as_str()).and_then(|v| {
                v.iter()
                    .copied()
                    .find(|&i| self.component(i).ecosystem.is_distro())
            });
            let by_name = || {
                self.sbom.components.iter().position(|d| {
                    d.ecosystem.is_distro() && d.name == owner.name && d.version == owner.version
                })
            };
            if let Some(i) = by_purl.or_else(by_name) {
                return Some(i);
            }
        }
        c.locations
            .iter()
            .find_map(|l| self.owner_of_path(evidence_path(l)))
    }

    /// `sha256:` plus the first 12 hex digits of layer `index`'s diff_id.
    pub fn short_diff_id(&self, index: usize) -> String {
        match self.sbom.image.layers.iter().find(|l| l.index == index) {
            Some(l) => short_digest(&l.diff_id),
            None => "?".to_string(),
        }
    }

    /// `layer 1 (sha256:79551ed211a0)` or `layer unknown`.
    pub fn layer_text(&self, layer: Option<usize>) -> String {
        match layer {
            Some(i) => format!("layer {i} ({})", self.short_diff_id(i)),
            None => "layer unknown".to_string(),
        }
    }
}

/// `sha256:` plus 12 hex digits.
pub(crate) fn short_digest(digest: &str) -> String {
    match digest.split_once(':') {
        Some((algo, hex)) => format!("{algo}:{}", hex.get(..12).unwrap_or(hex)),
        None => digest.get(..12).unwrap_or(digest).to_string(),
    }
}

/// The filesystem part of an evidence location: nested archive members (`a.jar!/b.jar`) and
/// cataloger suffixes are cut at the first `!`.
pub(crate) fn evidence_path(location: &str) -> &str {
    location.split('!').next().unwrap_or(location)
}

/// Normalise a package file path to an absolute path (`usr/bin/x` → `/usr/bin/x`).
pub(crate) fn normalize(raw: &str) -> Option<String> {
    if raw.contains('\0') {
        return None;
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in raw.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    Some(format!("/{}", parts.join("/")))
}

/// The parent directory of a normalised path.
pub(crate) fn parent(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(i) => &path[..i],
    }
}

/// The last component of a path.
pub(crate) fn basename(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// `path` and its usr-merge aliases, `path` first: `/bin/x` ↔ `/usr/bin/x`, `/sbin/x` ↔
/// `/usr/sbin/x` (↔ `/usr/bin/x`, merged sbin), `/lib/x` ↔ `/usr/lib/x`.
pub(crate) fn usr_merge_aliases(path: &str) -> Vec<String> {
    const GROUPS: [&[&str]; 2] = [
        &["/bin/", "/usr/bin/", "/sbin/", "/usr/sbin/"],
        &["/lib/", "/usr/lib/"],
    ];
    let mut out = vec![path.to_string()];
    for group in GROUPS {
        if let Some(rest) = group.iter().find_map(|prefix| path.strip_prefix(prefix)) {
            for prefix in group {
                let alias = format!("{prefix}{rest}");
                if !out.contains(&alias) {
                    out.push(alias);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_cover_usr_merge() {
        let a = usr_merge_aliases("/bin/sh");
        assert_eq!(a[0], "/bin/sh");
        assert!(a.contains(&"/usr/bin/sh".to_string()));
        assert_eq!(usr_merge_aliases("/lib/x.so")[1], "/usr/lib/x.so");
        assert_eq!(usr_merge_aliases("/opt/x"), vec!["/opt/x".to_string()]);
        assert_eq!(normalize("usr/bin/../bin/x").as_deref(), Some("/usr/bin/x"));
        assert_eq!(evidence_path("/a.jar!/b.jar"), "/a.jar");
        assert_eq!(
            short_digest("sha256:0123456789abcdef"),
            "sha256:0123456789ab"
        );
    }
}
