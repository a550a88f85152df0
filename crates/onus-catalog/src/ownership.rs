//! Which distro package owns a file: an index from the apk/dpkg file lists, compared by listed
//! path and by the view's real path (so `/lib/…` in a dpkg list matches `/usr/lib/…` on a
//! usr-merged image, and the other way round).

use std::collections::{HashMap, HashSet};

use onus_fs::FileView;
use onus_inventory::Owner;

use crate::Found;

/// Path → owning distro package, for the paths a non-distro component's evidence can be looked
/// up by (the file lists of every distro package are not kept: only their matching entries).
pub(crate) struct OwnerIndex {
    owners: HashMap<String, usize>,
    list: Vec<Owner>,
}

/// Resolves the parent directory of paths through the view, with a cache per directory.
#[derive(Default)]
struct ParentResolver {
    cache: HashMap<String, Option<String>>,
}

impl ParentResolver {
    /// The path with its parent directories' symlinks resolved (the last component kept).
    fn real(&mut self, view: &dyn FileView, path: &str) -> Option<String> {
        let parent = onus_fs::parent(path);
        let real_parent = self
            .cache
            .entry(parent.to_string())
            .or_insert_with(|| view.resolve(parent).ok())
            .as_ref()?;
        let name = onus_fs::file_name(path);
        Some(if real_parent == "/" {
            format!("/{name}")
        } else {
            format!("{real_parent}/{name}")
        })
    }
}

impl OwnerIndex {
    /// Index the file lists of every distro component in `found` (the first owner listed, in
    /// component order, wins), keeping only the paths [`Self::owner_of`] will ask for: the
    /// evidence of the other components as given, with its parent resolved, or fully resolved.
    pub(crate) fn build(view: &dyn FileView, found: &[Found]) -> OwnerIndex {
        let mut index = OwnerIndex {
            owners: HashMap::new(),
            list: Vec::new(),
        };
        let mut resolver = ParentResolver::default();
        let mut wanted: HashSet<String> = HashSet::new();
        for item in found.iter().filter(|f| !f.component.ecosystem.is_distro()) {
            let evidence = item.evidence.as_str();
            wanted.extend(resolver.real(view, evidence));
            wanted.extend(view.resolve(evidence).ok());
            wanted.insert(evidence.to_string());
        }
        if wanted.is_empty() {
            return index;
        }
        // A listed file can only match through its name (symlinks are in its parents).
        let names: HashSet<&str> = wanted.iter().map(|p| onus_fs::file_name(p)).collect();
        let mut distro: Vec<&Found> = found
            .iter()
            .filter(|f| f.component.ecosystem.is_distro())
            .collect();
        distro.sort_by(|a, b| a.component.sort_key().cmp(&b.component.sort_key()));
        for item in distro {
            let c = &item.component;
            let mut slot: Option<usize> = None;
            for file in c
                .files
                .iter()
                .filter(|f| names.contains(onus_fs::file_name(f)))
            {
                let real = resolver.real(view, file).filter(|real| real != file);
                for key in real.iter().chain(std::iter::once(file)) {
                    if !wanted.contains(key) || index.owners.contains_key(key) {
                        continue;
                    }
                    let at = *slot.get_or_insert_with(|| {
                        index.list.push(Owner {
                            name: c.name.clone(),
                            version: c.version.clone(),
                            purl: c.purl.clone(),
                        });
                        index.list.len() - 1
                    });
                    index.owners.insert(key.clone(), at);
                }
            }
        }
        index
    }

    /// The distro package whose files include `evidence` (as given, or its real path).
    pub(crate) fn owner_of(&self, view: &dyn FileView, evidence: &str) -> Option<Owner> {
        if self.owners.is_empty() {
            return None;
        }
        let found = self.owners.get(evidence).or_else(|| {
            let mut resolver = ParentResolver::default();
            let candidates = [resolver.real(view, evidence), view.resolve(evidence).ok()];
            candidates
                .into_iter()
                .flatten()
                .find_map(|path| self.owners.get(&path))
        })?;
        self.list.get(*found).cloned()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use crate::testutil::ViewBuilder;

    #[test]
    fn python_package_shipped_by_a_deb_is_owned_through_usr_merge() {
        let status = b"Package: python3-six\nStatus: install ok installed\nVersion: 1.16.0-4\nArchitecture: all\nSource: six\n";
        let view = ViewBuilder::new()
            .layer()
            .symlink("/lib", "usr/lib")
            .file("/var/lib/dpkg/status", status)
            .file(
                "/var/lib/dpkg/info/python3-six.list",
                b"/.\n/lib/python3/dist-packages/six-1.16.0.egg-info/PKG-INFO\n",
            )
            .file(
                "/usr/lib/python3/dist-packages/six-1.16.0.egg-info/PKG-INFO",
                b"Name: six\nVersion: 1.16.0\n",
            )
            .file(
                "/opt/venv/lib/python3.11/site-packages/six-1.16.0.dist-info/METADATA",
                b"Name: six\nVersion: 1.16.0\n",
            )
            .build();
        let catalog = crate::catalog(&view, &onus_fs::NoReporter);
        let pypi: Vec<_> = catalog
            .components
            .iter()
            .filter(|c| c.purl.starts_with("pkg:pypi"))
            .collect();
        assert_eq!(pypi.len(), 2);
        let owned = pypi
            .iter()
            .find(|c| c.locations[0].starts_with("/usr/lib"))
            .unwrap();
        let owner = owned.owner.as_ref().unwrap();
        assert_eq!(
            (owner.name.as_str(), owner.version.as_str()),
            ("python3-six", "1.16.0-4")
        );
        assert_eq!(owner.purl, "pkg:deb/debian/python3-six@1.16.0-4?arch=all");
        let unowned = pypi
            .iter()
            .find(|c| c.locations[0].starts_with("/opt"))
            .unwrap();
        assert_eq!(unowned.owner, None);
        assert!(catalog
            .components
            .iter()
            .filter(|c| c.ecosystem.is_distro())
            .all(|c| c.owner.is_none()));
    }

    #[test]
    fn go_binary_in_an_apk_is_owned_by_it() {
        let bin = crate::golang::tests::inline_binary(0, "go1.21.5", crate::golang::tests::MODINFO);
        let view = ViewBuilder::new()
            .layer()
            .file("/etc/os-release", b"ID=wolfi\n")
            .file(
                "/lib/apk/db/installed",
                b"P:vault-env\nV:1.2-r0\no:vault-env\nF:usr/bin\nR:vault-env\n",
            )
            .exec("/usr/bin/vault-env", &bin)
            .build();
        let catalog = crate::catalog(&view, &onus_fs::NoReporter);
        let go: Vec<_> = catalog
            .components
            .iter()
            .filter(|c| c.found_by == "go-module-binary")
            .collect();
        assert_eq!(go.len(), 5);
        assert!(go
            .iter()
            .all(|c| c.owner.as_ref().map(|o| o.name.as_str()) == Some("vault-env")));
    }
}
