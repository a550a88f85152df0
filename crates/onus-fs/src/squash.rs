//! Squashing layer listings into one view, with OCI whiteout semantics.

use std::collections::BTreeMap;

use crate::{normalize_path, parent, FileKind, FileMeta, FileVersion, FileView, LayerId, ResolveError};

/// Symlink hops allowed while resolving one path (Linux uses 40).
const MAX_LINK_HOPS: usize = 40;

/// One entry of a layer as an image reader saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListingEntry {
    /// A file, directory, link or special file written by the layer.
    File { path: String, version: FileVersion },
    /// `.wh.<name>`: delete `path` (and its descendants) from the layers below.
    Whiteout { path: String },
    /// `.wh..wh..opq` in `dir`: hide everything the layers below put inside `dir`.
    Opaque { dir: String },
}

/// Everything one layer wrote, in archive order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LayerListing {
    pub entries: Vec<ListingEntry>,
}

/// The squashed filesystem of an image, with each path's visible version chain.
#[derive(Debug, Default)]
pub struct SquashedView {
    layers: Vec<LayerId>,
    files: BTreeMap<String, Vec<FileVersion>>,
}

impl SquashedView {
    /// Apply `listings` (bottom first) on top of each other. `layers[i]` describes `listings[i]`.
    pub fn from_layers(layers: Vec<LayerId>, listings: Vec<LayerListing>) -> Self {
        let mut view = SquashedView { layers, files: BTreeMap::new() };
        view.files.insert("/".to_string(), vec![root_version(0)]);
        for listing in listings {
            view.apply(listing);
        }
        view
    }

    /// Number of visible paths.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// True when the view holds only the root directory.
    pub fn is_empty(&self) -> bool {
        self.files.len() <= 1
    }

    fn apply(&mut self, listing: LayerListing) {
        // Whiteouts hide lower layers only, so they go first, then the layer's own entries.
        let (deletions, files): (Vec<_>, Vec<_>) =
            listing.entries.into_iter().partition(|e| !matches!(e, ListingEntry::File { .. }));
        for deletion in deletions {
            match deletion {
                ListingEntry::Whiteout { path } => {
                    if path != "/" {
                        self.remove_tree(&path, true);
                    }
                }
                ListingEntry::Opaque { dir } => self.remove_tree(&dir, false),
                ListingEntry::File { .. } => {}
            }
        }
        for entry in files {
            if let ListingEntry::File { path, version } = entry {
                self.add(path, version);
            }
        }
    }

    fn add(&mut self, path: String, version: FileVersion) {
        let Some(path) = normalize_path(&path) else { return };
        self.ensure_parent_dirs(&path, version.layer);
        let is_dir = version.meta.kind == FileKind::Directory;
        let replace = match self.files.get(&path).and_then(|chain| chain.last()) {
            Some(current) => current.meta.kind != version.meta.kind,
            None => true,
        };
        if replace {
            // A different kind of object replaces the old one and, for a directory, its contents.
            let was_dir = self
                .files
                .get(&path)
                .and_then(|chain| chain.last())
                .is_some_and(|v| v.meta.kind == FileKind::Directory);
            if was_dir && !is_dir {
                self.remove_tree(&path, true);
            }
            self.files.insert(path, vec![version]);
        } else if let Some(chain) = self.files.get_mut(&path) {
            chain.push(version);
        }
    }

    /// Make sure every ancestor of `path` is a directory, replacing non-directories on the way
    /// (a layer that writes `a/b` turns a lower-layer symlink `a` into a directory).
    fn ensure_parent_dirs(&mut self, path: &str, layer: usize) {
        let mut ancestors = Vec::new();
        let mut current = parent(path);
        while current != "/" {
            ancestors.push(current.to_string());
            current = parent(current);
        }
        for dir in ancestors.into_iter().rev() {
            let is_dir = self
                .files
                .get(&dir)
                .and_then(|chain| chain.last())
                .is_some_and(|v| v.meta.kind == FileKind::Directory);
            if !is_dir {
                self.files.insert(dir, vec![implicit_dir(layer)]);
            }
        }
    }

    /// Remove the descendants of `path`, and `path` itself when `including_self`.
    fn remove_tree(&mut self, path: &str, including_self: bool) {
        let Some(path) = normalize_path(path) else { return };
        if including_self {
            self.files.remove(&path);
        }
        let prefix = if path == "/" { "/".to_string() } else { format!("{path}/") };
        let doomed: Vec<String> =
            self.files.range(prefix.clone()..).take_while(|(k, _)| k.starts_with(&prefix)).map(|(k, _)| k.clone()).collect();
        for key in doomed {
            if key != "/" {
                self.files.remove(&key);
            }
        }
    }

    fn resolve_inner(&self, path: &str, hops: &mut usize) -> Result<String, ResolveError> {
        let normalized = normalize_path(path).ok_or_else(|| ResolveError::NotFound(path.to_string()))?;
        let components: Vec<&str> = normalized.split('/').filter(|c| !c.is_empty()).collect();
        let mut resolved = String::from("/");
        for (i, component) in components.iter().enumerate() {
            let candidate = if resolved == "/" { format!("/{component}") } else { format!("{resolved}/{component}") };
            let version = self.entry(&candidate).ok_or_else(|| ResolveError::NotFound(candidate.clone()))?;
            let is_last = i + 1 == components.len();
            match (&version.meta.kind, &version.meta.link_target) {
                (FileKind::Symlink, Some(target)) => {
                    *hops += 1;
                    if *hops > MAX_LINK_HOPS {
                        return Err(ResolveError::Loop(path.to_string()));
                    }
                    let joined = if target.starts_with('/') {
                        target.clone()
                    } else {
                        format!("{}/{}", parent(&candidate), target)
                    };
                    let rest = components[i + 1..].join("/");
                    let next = if rest.is_empty() { joined } else { format!("{joined}/{rest}") };
                    return self.resolve_inner(&next, hops);
                }
                (FileKind::Hardlink, Some(target)) if is_last => {
                    *hops += 1;
                    if *hops > MAX_LINK_HOPS {
                        return Err(ResolveError::Loop(path.to_string()));
                    }
                    return self.resolve_inner(target, hops);
                }
                _ => resolved = candidate,
            }
        }
        Ok(resolved)
    }
}

fn root_version(layer: usize) -> FileVersion {
    implicit_dir(layer)
}

fn implicit_dir(layer: usize) -> FileVersion {
    FileVersion {
        layer,
        meta: FileMeta { kind: FileKind::Directory, mode: 0o755, size: 0, link_target: None },
        content: None,
    }
}

impl FileView for SquashedView {
    fn layers(&self) -> &[LayerId] {
        &self.layers
    }

    fn paths(&self) -> Box<dyn Iterator<Item = &str> + '_> {
        Box::new(self.files.keys().map(String::as_str))
    }

    fn entry(&self, path: &str) -> Option<&FileVersion> {
        self.files.get(path).and_then(|chain| chain.last())
    }

    fn history(&self, path: &str) -> &[FileVersion] {
        self.files.get(path).map(Vec::as_slice).unwrap_or(&[])
    }

    fn resolve(&self, path: &str) -> Result<String, ResolveError> {
        let mut hops = 0;
        self.resolve_inner(path, &mut hops)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, layer: usize) -> ListingEntry {
        ListingEntry::File {
            path: path.to_string(),
            version: FileVersion {
                layer,
                meta: FileMeta { kind: FileKind::Regular, mode: 0o644, size: 1, link_target: None },
                content: None,
            },
        }
    }

    fn link(path: &str, target: &str, layer: usize) -> ListingEntry {
        ListingEntry::File {
            path: path.to_string(),
            version: FileVersion {
                layer,
                meta: FileMeta {
                    kind: FileKind::Symlink,
                    mode: 0o777,
                    size: 0,
                    link_target: Some(target.to_string()),
                },
                content: None,
            },
        }
    }

    fn layer_ids(n: usize) -> Vec<LayerId> {
        (0..n).map(|index| LayerId { index, diff_id: format!("sha256:{index}") }).collect()
    }

    #[test]
    fn whiteouts_and_opaque_dirs_hide_lower_layers() {
        let base = LayerListing { entries: vec![file("/a/x", 0), file("/a/y", 0), file("/b/z", 0)] };
        let top = LayerListing {
            entries: vec![
                ListingEntry::Whiteout { path: "/a/x".into() },
                ListingEntry::Opaque { dir: "/b".into() },
                file("/b/new", 1),
            ],
        };
        let view = SquashedView::from_layers(layer_ids(2), vec![base, top]);
        assert!(view.entry("/a/x").is_none());
        assert!(view.entry("/a/y").is_some());
        assert!(view.entry("/b/z").is_none());
        assert_eq!(view.entry("/b/new").map(|v| v.layer), Some(1));
    }

    #[test]
    fn symlink_replacing_directory_drops_old_children() {
        let base = LayerListing { entries: vec![file("/lib/apk/db/installed", 0), file("/usr/lib/apk/db/installed", 0)] };
        let top = LayerListing { entries: vec![link("/lib/apk", "../usr/lib/apk", 1)] };
        let view = SquashedView::from_layers(layer_ids(2), vec![base, top]);
        assert!(view.entry("/lib/apk/db/installed").is_none());
        assert_eq!(view.resolve("/lib/apk/db/installed").as_deref(), Ok("/usr/lib/apk/db/installed"));
    }

    #[test]
    fn symlink_loops_and_escapes_stay_inside() {
        let base = LayerListing {
            entries: vec![link("/a", "/b", 0), link("/b", "/a", 0), link("/up", "../../../etc", 0), file("/etc/passwd", 0)],
        };
        let view = SquashedView::from_layers(layer_ids(1), vec![base]);
        assert!(matches!(view.resolve("/a"), Err(ResolveError::Loop(_))));
        assert_eq!(view.resolve("/up/passwd").as_deref(), Ok("/etc/passwd"));
    }

    #[test]
    fn history_keeps_versions_until_deleted() {
        let l0 = LayerListing { entries: vec![file("/f", 0)] };
        let l1 = LayerListing { entries: vec![file("/f", 1)] };
        let l2 = LayerListing { entries: vec![ListingEntry::Whiteout { path: "/f".into() }] };
        let l3 = LayerListing { entries: vec![file("/f", 3)] };
        let view = SquashedView::from_layers(layer_ids(4), vec![l0.clone(), l1.clone()]);
        assert_eq!(view.history("/f").iter().map(|v| v.layer).collect::<Vec<_>>(), vec![0, 1]);
        let view = SquashedView::from_layers(layer_ids(4), vec![l0, l1, l2, l3]);
        assert_eq!(view.history("/f").iter().map(|v| v.layer).collect::<Vec<_>>(), vec![3]);
    }
}
