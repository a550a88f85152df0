//! Squashing layer listings into one view, with OCI whiteout semantics.
//!
//! Layers are applied the way container runtimes unpack them (containerd's `applyNaive`, moby's
//! `UnpackLayer` inside a chroot): an entry's parent directory is resolved through symlinks that
//! lower layers (or earlier entries of the same layer) created, but never above the image root;
//! a non-directory replaces a directory together with its contents; whiteouts only hide what
//! lower layers wrote.
//!
//! Invariant kept by every mutation: each stored path's proper ancestors are stored too, as
//! directories. It makes the common case of `add` (parent already a directory) a single lookup.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use crate::{
    file_name, is_normalized, normalize_path, parent, Content, FileKind, FileMeta, FileVersion,
    FileView, LayerId, ResolveError, MAX_PATH_BYTES,
};

/// Symlink hops allowed while resolving one path (Linux uses 40).
const MAX_LINK_HOPS: usize = 40;
/// Path components one walk may process (symlink targets included); real paths need far fewer,
/// and the bound keeps a crafted chain of long link targets from creating or copying without end.
const MAX_WALK_STEPS: usize = 4096;

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
    /// Regular files kept without an entry ([`crate::CapturePolicy::keep_entry`]): their paths,
    /// each ended by a NUL (one buffer, not an allocation per file). Applied after `entries`.
    pub skeleton: String,
}

impl LayerListing {
    /// Record a regular file kept only as "exists since this layer".
    pub fn push_skeleton(&mut self, path: &str) {
        if !path.contains('\0') {
            self.skeleton.push_str(path);
            self.skeleton.push('\0');
        }
    }

    /// The paths recorded by [`Self::push_skeleton`].
    pub fn skeleton_paths(&self) -> impl Iterator<Item = &str> {
        self.skeleton.split_terminator('\0')
    }
}

/// A regular file kept without an entry: the layers its current chain starts and last
/// changed in.
#[derive(Debug, Clone, Copy)]
struct Since {
    first: u32,
    last: u32,
}

/// Layer indices as the skeleton stores them (images have far fewer than 2^32 layers).
fn narrow(layer: usize) -> u32 {
    u32::try_from(layer).unwrap_or(u32::MAX)
}

fn widen(layer: u32) -> usize {
    usize::try_from(layer).unwrap_or(usize::MAX)
}

/// Memory charged per skeleton file (hash map slot).
const PER_SKELETON_BYTES: usize = 16;

/// The skeleton's key: a fixed 64-bit hash of the real path (a collision can only merge the
/// "since" of two files).
fn path_key(path: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::hash::DefaultHasher::new();
    path.hash(&mut hasher);
    hasher.finish()
}

/// The squashed filesystem of an image, with each path's visible version chain.
#[derive(Debug)]
pub struct SquashedView {
    layers: Vec<LayerId>,
    files: BTreeMap<Box<str>, Chain>,
    /// Regular files kept without an entry, by [`path_key`].
    skeleton: std::collections::HashMap<u64, Since>,
    /// Trees removed (whiteouts, opaque directories, a directory replaced by another kind),
    /// with the latest layer that removed each. A skeleton file below one, last written before
    /// that layer, is gone.
    removed: BTreeMap<String, usize>,
    /// The layer [`Self::push_layer`] applies next.
    next_layer: usize,
    /// Approximate memory held for paths (see [`Self::set_size_limit`]).
    bytes: usize,
    limit: usize,
    over_limit: bool,
}

impl Default for SquashedView {
    fn default() -> Self {
        SquashedView::new(Vec::new())
    }
}

/// Memory charged per stored path besides its bytes (map node share, inline version).
const PER_PATH_BYTES: usize = 128;

/// The visible versions of one path, oldest first; most paths have one, kept inline.
#[derive(Debug)]
enum Chain {
    One(FileVersion),
    Many(Vec<FileVersion>),
}

impl Chain {
    fn as_slice(&self) -> &[FileVersion] {
        match self {
            Chain::One(version) => std::slice::from_ref(version),
            Chain::Many(versions) => versions,
        }
    }

    fn last(&self) -> Option<&FileVersion> {
        self.as_slice().last()
    }

    /// Add a version on top; a second write by the same layer replaces that layer's version.
    fn push(&mut self, version: FileVersion) {
        match self {
            Chain::One(last) if last.layer == version.layer => *last = version,
            Chain::Many(versions) if versions.last().is_some_and(|l| l.layer == version.layer) => {
                if let Some(last) = versions.last_mut() {
                    *last = version;
                }
            }
            Chain::Many(versions) => versions.push(version),
            Chain::One(_) => {
                let previous = std::mem::replace(self, Chain::Many(Vec::with_capacity(2)));
                if let (Chain::One(first), Chain::Many(versions)) = (previous, &mut *self) {
                    versions.push(first);
                    versions.push(version);
                }
            }
        }
    }
}

impl SquashedView {
    /// Apply `listings` (bottom first) on top of each other. `layers[i]` describes `listings[i]`.
    pub fn from_layers(layers: Vec<LayerId>, listings: Vec<LayerListing>) -> Self {
        let mut view = SquashedView::new(layers);
        for listing in listings {
            view.push_layer(listing);
        }
        view
    }

    /// An empty view (only `/`) for an image with these layers; fill it with [`Self::push_layer`].
    pub fn new(layers: Vec<LayerId>) -> Self {
        let mut files = BTreeMap::new();
        files.insert(Box::from("/"), Chain::One(implicit_dir(0)));
        SquashedView {
            layers,
            files,
            skeleton: std::collections::HashMap::new(),
            removed: BTreeMap::new(),
            next_layer: 0,
            bytes: 1 + PER_PATH_BYTES,
            limit: usize::MAX,
            over_limit: false,
        }
    }

    /// Bound the approximate memory the view holds for paths and versions. Once reached, new
    /// paths are dropped and [`Self::over_limit`] turns true, so an image reader can stop with an
    /// error (a crafted layer could otherwise create deep directory chains without end).
    pub fn set_size_limit(&mut self, bytes: usize) {
        self.limit = bytes;
    }

    /// True when some path was dropped because of [`Self::set_size_limit`].
    pub fn over_limit(&self) -> bool {
        self.over_limit
    }

    /// Approximate memory held for paths and versions, in bytes (content not included).
    pub fn approx_bytes(&self) -> usize {
        self.bytes
    }

    /// Store `chain` at a new or existing `path`, within the size limit; false when dropped.
    fn store(&mut self, path: &str, chain: Chain) -> bool {
        if let Some(existing) = self.files.get_mut(path) {
            *existing = chain;
            return true;
        }
        let cost = path.len() + PER_PATH_BYTES;
        if self.bytes.saturating_add(cost) > self.limit {
            self.over_limit = true;
            return false;
        }
        self.bytes += cost;
        self.files.insert(Box::from(path), chain);
        true
    }

    /// Apply the next layer's listing on top of what is already there (bottom layer first).
    ///
    /// Lets an image reader squash layers as they complete, without holding every listing.
    /// Give the version of `path` written by `layer` the content it was missing (content found
    /// by a second read, for a file reached through a link a later layer added). A version that
    /// already has content keeps it. Returns whether content was set.
    pub fn fill_content(&mut self, path: &str, layer: usize, content: Content) -> bool {
        if !self.files.contains_key(path) {
            // A file kept without an entry becomes one, with the content its last writer gave.
            let Some(since) = self.skeleton_file(path).filter(|s| widen(s.last) == layer) else {
                return false;
            };
            let chain = if widen(since.first) < layer {
                Chain::Many(vec![
                    skeleton_version(widen(since.first), None),
                    skeleton_version(layer, Some(content)),
                ])
            } else {
                Chain::One(skeleton_version(layer, Some(content)))
            };
            if self.skeleton.remove(&path_key(path)).is_some() {
                self.bytes = self.bytes.saturating_sub(PER_SKELETON_BYTES);
            }
            return self.store(path, chain);
        }
        let Some(chain) = self.files.get_mut(path) else {
            return false;
        };
        let versions: &mut [FileVersion] = match chain {
            Chain::One(version) => std::slice::from_mut(version),
            Chain::Many(versions) => versions,
        };
        match versions
            .iter_mut()
            .find(|v| v.layer == layer && v.content.is_none())
        {
            Some(version) => {
                self.bytes = self.bytes.saturating_add(content.bytes.len());
                version.content = Some(content);
                true
            }
            None => false,
        }
    }

    pub fn push_layer(&mut self, listing: LayerListing) {
        // Whiteouts hide lower layers only, so they go first, then the layer's own entries.
        for entry in &listing.entries {
            match entry {
                ListingEntry::Whiteout { path } => self.whiteout(path),
                ListingEntry::Opaque { dir } => self.opaque(dir),
                ListingEntry::File { .. } => {}
            }
        }
        let LayerListing { entries, skeleton } = listing;
        for entry in entries {
            if let ListingEntry::File { path, version } = entry {
                self.add(path, version);
            }
        }
        let layer = self.next_layer;
        for path in skeleton.split_terminator('\0') {
            self.add_skeleton(path, layer);
        }
        self.next_layer += 1;
    }

    /// Record that the regular file `path` was written by `layer`, without an entry.
    fn add_skeleton(&mut self, path: &str, layer: usize) {
        let Some(path) = self.place(path.to_string(), layer) else {
            return;
        };
        let key = path_key(&path);
        if let Some(chain) = self.files.get_mut(path.as_str()) {
            match chain.last().map(|v| v.meta.kind) {
                // A full entry before: its chain goes on (metadata unknown, as the reader chose
                // not to keep it).
                Some(FileKind::Regular) => {
                    chain.push(skeleton_version(layer, None));
                    return;
                }
                kind => {
                    // Another kind of object is replaced, a directory with its contents.
                    if self.files.remove(path.as_str()).is_some() {
                        self.bytes = self.bytes.saturating_sub(path.len() + PER_PATH_BYTES);
                    }
                    if kind == Some(FileKind::Directory) {
                        self.remove_tree(&path, false);
                    }
                }
            }
        }
        let removal = self.latest_removal_above(&path);
        match self.skeleton.get(&key).copied() {
            Some(since) if removal.is_none_or(|at| at <= widen(since.last)) => {
                self.skeleton.insert(
                    key,
                    Since {
                        first: since.first,
                        last: narrow(layer),
                    },
                );
            }
            Some(_) => {
                self.skeleton.insert(
                    key,
                    Since {
                        first: narrow(layer),
                        last: narrow(layer),
                    },
                );
            }
            None => {
                if self.bytes.saturating_add(PER_SKELETON_BYTES) > self.limit {
                    self.over_limit = true;
                    return;
                }
                self.bytes += PER_SKELETON_BYTES;
                self.skeleton.insert(
                    key,
                    Since {
                        first: narrow(layer),
                        last: narrow(layer),
                    },
                );
            }
        }
    }

    /// The layer that last wrote the regular file at `path`, when the view keeps it without an
    /// entry (see [`crate::CapturePolicy::keep_entry`]).
    pub fn skeleton_layer(&self, path: &str) -> Option<usize> {
        self.skeleton_file(path).map(|since| widen(since.last))
    }

    /// The skeleton record of `path` while the file is still there.
    fn skeleton_file(&self, path: &str) -> Option<Since> {
        let since = *self.skeleton.get(&path_key(path))?;
        let gone = self
            .latest_removal_above(path)
            .is_some_and(|at| at > widen(since.last));
        (!gone).then_some(since)
    }

    /// The latest layer that removed a directory above `path`.
    fn latest_removal_above(&self, path: &str) -> Option<usize> {
        if self.removed.is_empty() {
            return None;
        }
        let mut latest = None;
        let mut dir = path;
        while dir != "/" {
            dir = parent(dir);
            if let Some(&at) = self.removed.get(dir) {
                latest = latest.max(Some(at));
            }
        }
        latest
    }

    /// Number of visible paths.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// True when the view holds only the root directory.
    pub fn is_empty(&self) -> bool {
        self.files.len() <= 1
    }

    fn current(&self, path: &str) -> Option<&FileVersion> {
        self.files.get(path).and_then(|chain| chain.last())
    }

    fn is_dir(&self, path: &str) -> bool {
        self.current(path)
            .is_some_and(|v| v.meta.kind == FileKind::Directory)
    }

    fn whiteout(&mut self, path: &str) {
        let Some(path) = normalize_path(path) else {
            return;
        };
        if path == "/" {
            return;
        }
        if let Some(dir) = self.existing_dir(parent(&path)) {
            let real = join(&dir, file_name(&path));
            self.skeleton.remove(&path_key(&real));
            self.remove_tree(&real, true);
        }
    }

    fn opaque(&mut self, dir: &str) {
        let Some(dir) = normalize_path(dir) else {
            return;
        };
        if let Some(dir) = self.existing_dir(&dir) {
            self.remove_tree(&dir, false);
        }
    }

    /// The real path of directory `dir` (symlinks followed), if it exists.
    fn existing_dir(&self, dir: &str) -> Option<String> {
        if self.is_dir(dir) {
            return Some(dir.to_string());
        }
        let real = self.resolve(dir).ok()?;
        self.is_dir(&real).then_some(real)
    }

    /// Where a layer's entry for `path` lands: normalised, its parent directories made (links
    /// followed as the kernel would), `None` for the root and for paths no kernel would accept
    /// (image readers report them).
    fn place(&mut self, path: String, layer: usize) -> Option<String> {
        let path = if is_normalized(&path) {
            path
        } else {
            normalize_path(&path)?
        };
        // The root is always a directory; a layer cannot replace it.
        if path == "/" || path.len() > MAX_PATH_BYTES {
            return None;
        }
        let dir = parent(&path);
        // Fast path: the parent is a real directory (so are its ancestors, by the invariant).
        if self.is_dir(dir) {
            return Some(path);
        }
        let real = self.make_dirs(dir, layer)?;
        Some(join(&real, file_name(&path))).filter(|p| p.len() <= MAX_PATH_BYTES)
    }

    fn add(&mut self, path: String, mut version: FileVersion) {
        let Some(path) = self.place(path, version.layer) else {
            return;
        };
        if version.meta.kind == FileKind::Directory {
            // Directories carry no content; drop anything a reader attached by mistake.
            version.content = None;
        }
        match self.files.get_mut(path.as_str()) {
            Some(chain)
                if chain
                    .last()
                    .is_some_and(|v| v.meta.kind == version.meta.kind) =>
            {
                chain.push(version);
            }
            Some(chain) => {
                // A different kind of object replaces the old one and, for a directory, its contents.
                let was_dir = chain
                    .last()
                    .is_some_and(|v| v.meta.kind == FileKind::Directory);
                *chain = Chain::One(version);
                if was_dir {
                    self.remove_tree(&path, false);
                }
            }
            None => {
                // A file kept without an entry so far: its chain goes on under the new entry
                // (a regular file), or ends (another kind replaces it).
                let earlier = self.skeleton_file(&path);
                if self.skeleton.remove(&path_key(&path)).is_some() {
                    self.bytes = self.bytes.saturating_sub(PER_SKELETON_BYTES);
                }
                if let (Some(since), FileKind::Regular) = (earlier, version.meta.kind) {
                    let mut first = version.clone();
                    first.layer = widen(since.first);
                    first.content = None;
                    if widen(since.first) < version.layer {
                        self.store(&path, Chain::Many(vec![first, version]));
                        return;
                    }
                }
                self.store(&path, Chain::One(version));
            }
        }
    }

    /// Resolve directory `dir` for writing into it, the way the kernel walks a path inside a
    /// chroot: symlinks are followed where they are met (`..` after a symlink climbs from its
    /// target), never above `/`; a missing component, a file, or a dangling or looping link is
    /// replaced by a directory, as the runtime's `mkdir -p` would after removing the obstacle.
    /// Returns the real path, or `None` when the walk is longer than any real path could be.
    fn make_dirs(&mut self, dir: &str, layer: usize) -> Option<String> {
        let normalized = normalize_path(dir)?;
        let mut pending: VecDeque<String> = components(&normalized).map(str::to_string).collect();
        let mut current = String::from("/");
        let mut hops = 0usize;
        let mut steps = 0usize;
        // Directories to create (or to put in place of an obstacle), committed only when the
        // whole walk succeeds.
        let mut created: BTreeSet<String> = BTreeSet::new();
        while let Some(component) = pending.pop_front() {
            steps += 1;
            if steps > MAX_WALK_STEPS || current.len() + component.len() >= MAX_PATH_BYTES {
                return None;
            }
            if component == ".." {
                current = parent(&current).to_string();
                continue;
            }
            let candidate = join(&current, &component);
            let found = if created.contains(&candidate) {
                Some((FileKind::Directory, None))
            } else {
                self.current(&candidate)
                    .map(|v| (v.meta.kind, v.meta.link_target.clone()))
            };
            match found {
                Some((FileKind::Directory, _)) => current = candidate,
                Some((FileKind::Symlink, Some(target)))
                    if !target.is_empty() && hops < MAX_LINK_HOPS =>
                {
                    hops += 1;
                    if target.starts_with('/') {
                        current = String::from("/");
                    }
                    for part in components(&target).rev() {
                        pending.push_front(part.to_string());
                    }
                }
                _ => {
                    created.insert(candidate.clone());
                    current = candidate;
                }
            }
        }
        // Sorted order puts every parent before its children, keeping the ancestor invariant
        // even if the size limit stops the commit half way.
        for dir in created {
            if !self.store(&dir, Chain::One(implicit_dir(layer))) {
                return None;
            }
        }
        Some(current)
    }

    /// Remove the descendants of `path`, and `path` itself when `including_self`.
    fn remove_tree(&mut self, path: &str, including_self: bool) {
        if !self.skeleton.is_empty() {
            // Skeleton files have no paths to enumerate: the removal is remembered instead.
            let at = self.next_layer;
            let latest = self.removed.entry(path.to_string()).or_insert(at);
            *latest = (*latest).max(at);
        }
        if including_self && path != "/" && self.files.remove(path).is_some() {
            self.bytes = self.bytes.saturating_sub(path.len() + PER_PATH_BYTES);
        }
        let prefix = if path == "/" {
            "/".to_string()
        } else {
            format!("{path}/")
        };
        let doomed: Vec<Box<str>> = self
            .files
            .range::<str, _>((
                std::ops::Bound::Included(prefix.as_str()),
                std::ops::Bound::Unbounded,
            ))
            .take_while(|(k, _)| k.starts_with(&prefix))
            .filter(|(k, _)| &***k != "/")
            .map(|(k, _)| k.clone())
            .collect();
        for key in doomed {
            if self.files.remove(&key).is_some() {
                self.bytes = self.bytes.saturating_sub(key.len() + PER_PATH_BYTES);
            }
        }
    }
}

/// The non-empty, non-`.` components of a path; `..` is kept for the walk to apply in place.
fn components(path: &str) -> impl DoubleEndedIterator<Item = &str> {
    path.split('/').filter(|c| !c.is_empty() && *c != ".")
}

fn join(dir: &str, name: &str) -> String {
    if dir == "/" {
        format!("/{name}")
    } else {
        format!("{dir}/{name}")
    }
}

/// The version of a regular file the reader kept without an entry, when the view needs one:
/// mode and size unknown (0o644; the content's length when content is given).
fn skeleton_version(layer: usize, content: Option<Content>) -> FileVersion {
    FileVersion {
        layer,
        meta: FileMeta {
            kind: FileKind::Regular,
            mode: 0o644,
            size: content.as_ref().map_or(0, |c| c.bytes.len() as u64),
            link_target: None,
        },
        content,
    }
}

fn implicit_dir(layer: usize) -> FileVersion {
    FileVersion {
        layer,
        meta: FileMeta {
            kind: FileKind::Directory,
            mode: 0o755,
            size: 0,
            link_target: None,
        },
        content: None,
    }
}

impl FileView for SquashedView {
    fn layers(&self) -> &[LayerId] {
        &self.layers
    }

    fn paths(&self) -> Box<dyn Iterator<Item = &str> + '_> {
        Box::new(self.files.keys().map(|k| &**k))
    }

    fn entry(&self, path: &str) -> Option<&FileVersion> {
        self.current(path)
    }

    fn history(&self, path: &str) -> &[FileVersion] {
        self.files.get(path).map(Chain::as_slice).unwrap_or(&[])
    }

    fn regular_file_since(&self, path: &str) -> Option<usize> {
        match self.files.get(path) {
            Some(chain) => crate::regular_since(chain.as_slice()),
            None => self.skeleton_file(path).map(|since| widen(since.first)),
        }
    }

    fn resolve(&self, path: &str) -> Result<String, ResolveError> {
        self.resolve_path(path)
    }
}

impl SquashedView {
    /// Follow symlinks in every component (and a hard link in the last one) inside the image,
    /// walking as the kernel does (see [`Self::make_dirs`]) but failing on a missing component.
    fn resolve_path(&self, path: &str) -> Result<String, ResolveError> {
        let view = self;
        let normalized =
            normalize_path(path).ok_or_else(|| ResolveError::NotFound(path.to_string()))?;
        let mut pending: VecDeque<String> = components(&normalized).map(str::to_string).collect();
        let mut current = String::from("/");
        let mut hops = 0usize;
        let mut steps = 0usize;
        while let Some(component) = pending.pop_front() {
            steps += 1;
            if steps > MAX_WALK_STEPS || current.len() + component.len() >= MAX_PATH_BYTES {
                return Err(ResolveError::Loop(path.to_string()));
            }
            if component == ".." {
                current = parent(&current).to_string();
                continue;
            }
            let candidate = join(&current, &component);
            let is_last = pending.is_empty();
            let Some(version) = view.current(&candidate) else {
                // A regular file kept without an entry ends a path; it is no directory.
                if view.skeleton_file(&candidate).is_some() {
                    if is_last {
                        current = candidate;
                        continue;
                    }
                    return Err(ResolveError::NotFound(join(
                        &candidate,
                        pending.front().map_or("", String::as_str),
                    )));
                }
                return Err(ResolveError::NotFound(candidate));
            };
            match (version.meta.kind, version.meta.link_target.as_deref()) {
                (FileKind::Directory, _) => current = candidate,
                (FileKind::Symlink, Some(target)) if !target.is_empty() => {
                    hops += 1;
                    if hops > MAX_LINK_HOPS {
                        return Err(ResolveError::Loop(path.to_string()));
                    }
                    if target.starts_with('/') {
                        current = String::from("/");
                    }
                    for part in components(target).rev() {
                        pending.push_front(part.to_string());
                    }
                }
                (FileKind::Hardlink, Some(target)) if is_last => {
                    hops += 1;
                    if hops > MAX_LINK_HOPS {
                        return Err(ResolveError::Loop(path.to_string()));
                    }
                    let target = normalize_path(target)
                        .ok_or_else(|| ResolveError::NotFound(target.to_string()))?;
                    current = String::from("/");
                    pending = components(&target).map(str::to_string).collect();
                }
                _ if is_last => current = candidate,
                // A regular file (or a broken link) used as a directory.
                _ => {
                    return Err(ResolveError::NotFound(join(
                        &candidate,
                        pending.front().map_or("", String::as_str),
                    )))
                }
            }
        }
        Ok(current)
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
                meta: FileMeta {
                    kind: FileKind::Regular,
                    mode: 0o644,
                    size: 1,
                    link_target: None,
                },
                content: None,
            },
        }
    }

    fn dir(path: &str, layer: usize) -> ListingEntry {
        ListingEntry::File {
            path: path.to_string(),
            version: implicit_dir(layer),
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

    fn hardlink(path: &str, target: &str, layer: usize) -> ListingEntry {
        ListingEntry::File {
            path: path.to_string(),
            version: FileVersion {
                layer,
                meta: FileMeta {
                    kind: FileKind::Hardlink,
                    mode: 0o644,
                    size: 0,
                    link_target: Some(target.to_string()),
                },
                content: None,
            },
        }
    }

    fn layer_ids(n: usize) -> Vec<LayerId> {
        (0..n)
            .map(|index| LayerId {
                index,
                diff_id: format!("sha256:{index}"),
            })
            .collect()
    }

    fn layers_of(view: &SquashedView, path: &str) -> Vec<usize> {
        view.history(path).iter().map(|v| v.layer).collect()
    }

    /// Every stored path's ancestors are stored directories.
    fn assert_invariant(view: &SquashedView) {
        for path in view.paths() {
            let mut current = path;
            while current != "/" {
                current = parent(current);
                assert!(
                    view.is_dir(current),
                    "ancestor `{current}` of `{path}` is not a directory"
                );
            }
        }
    }

    #[test]
    fn whiteouts_and_opaque_dirs_hide_lower_layers() {
        let base = LayerListing {
            skeleton: String::new(),
            entries: vec![file("/a/x", 0), file("/a/y", 0), file("/b/z", 0)],
        };
        let top = LayerListing {
            skeleton: String::new(),
            entries: vec![
                ListingEntry::Whiteout {
                    path: "/a/x".into(),
                },
                ListingEntry::Opaque { dir: "/b".into() },
                file("/b/new", 1),
            ],
        };
        let view = SquashedView::from_layers(layer_ids(2), vec![base, top]);
        assert!(view.entry("/a/x").is_none());
        assert!(view.entry("/a/y").is_some());
        assert!(view.entry("/b/z").is_none());
        assert!(view.entry("/b").is_some());
        assert_eq!(view.entry("/b/new").map(|v| v.layer), Some(1));
        assert_invariant(&view);
    }

    #[test]
    fn whiteout_of_a_directory_removes_its_tree() {
        let base = LayerListing {
            skeleton: String::new(),
            entries: vec![file("/a/b/c", 0), file("/a/b/d", 0), file("/a/bc", 0)],
        };
        let top = LayerListing {
            skeleton: String::new(),
            entries: vec![ListingEntry::Whiteout {
                path: "/a/b".into(),
            }],
        };
        let view = SquashedView::from_layers(layer_ids(2), vec![base, top]);
        assert_eq!(view.paths().collect::<Vec<_>>(), vec!["/", "/a", "/a/bc"]);
    }

    #[test]
    fn whiteout_in_same_layer_does_not_hide_that_layers_file() {
        let base = LayerListing {
            skeleton: String::new(),
            entries: vec![file("/f", 0)],
        };
        let top = LayerListing {
            skeleton: String::new(),
            entries: vec![file("/f", 1), ListingEntry::Whiteout { path: "/f".into() }],
        };
        let view = SquashedView::from_layers(layer_ids(2), vec![base, top]);
        assert_eq!(layers_of(&view, "/f"), vec![1]);
    }

    #[test]
    fn symlink_replacing_directory_drops_old_children() {
        let base = LayerListing {
            skeleton: String::new(),
            entries: vec![
                file("/lib/apk/db/installed", 0),
                file("/usr/lib/apk/db/installed", 0),
            ],
        };
        let top = LayerListing {
            skeleton: String::new(),
            entries: vec![link("/lib/apk", "../usr/lib/apk", 1)],
        };
        let view = SquashedView::from_layers(layer_ids(2), vec![base, top]);
        assert!(view.entry("/lib/apk/db/installed").is_none());
        assert_eq!(
            view.resolve("/lib/apk/db/installed").as_deref(),
            Ok("/usr/lib/apk/db/installed")
        );
        assert_invariant(&view);
    }

    #[test]
    fn entries_written_through_a_symlinked_parent_land_in_its_target() {
        // usr-merge: `/bin -> usr/bin`; a later layer writes `bin/tool` as a runtime would.
        let base = LayerListing {
            skeleton: String::new(),
            entries: vec![dir("/usr/bin", 0), link("/bin", "usr/bin", 0)],
        };
        let top = LayerListing {
            skeleton: String::new(),
            entries: vec![file("/bin/tool", 1)],
        };
        let view = SquashedView::from_layers(layer_ids(2), vec![base, top]);
        assert_eq!(
            view.entry("/bin").map(|v| v.meta.kind),
            Some(FileKind::Symlink)
        );
        assert_eq!(view.entry("/usr/bin/tool").map(|v| v.layer), Some(1));
        assert_eq!(view.resolve("/bin/tool").as_deref(), Ok("/usr/bin/tool"));
        assert_invariant(&view);
    }

    #[test]
    fn dangling_or_file_parents_become_directories() {
        let base = LayerListing {
            skeleton: String::new(),
            entries: vec![link("/d", "/nowhere", 0), file("/f", 0)],
        };
        let top = LayerListing {
            skeleton: String::new(),
            entries: vec![file("/d/x", 1), file("/f/y", 1)],
        };
        let view = SquashedView::from_layers(layer_ids(2), vec![base, top]);
        // `/d` follows to `/nowhere`, which is created; `/f` (a file) becomes a directory.
        assert_eq!(view.entry("/nowhere/x").map(|v| v.layer), Some(1));
        assert_eq!(
            view.entry("/f").map(|v| v.meta.kind),
            Some(FileKind::Directory)
        );
        assert!(view.entry("/f/y").is_some());
        assert_invariant(&view);
    }

    #[test]
    fn whiteout_through_symlinked_parent_deletes_in_target() {
        let base = LayerListing {
            skeleton: String::new(),
            entries: vec![file("/usr/lib/x", 0), link("/lib", "usr/lib", 0)],
        };
        let top = LayerListing {
            skeleton: String::new(),
            entries: vec![ListingEntry::Whiteout {
                path: "/lib/x".into(),
            }],
        };
        let view = SquashedView::from_layers(layer_ids(2), vec![base, top]);
        assert!(view.entry("/usr/lib/x").is_none());
        assert!(view.entry("/lib").is_some());
    }

    #[test]
    fn symlink_loops_and_escapes_stay_inside() {
        let base = LayerListing {
            skeleton: String::new(),
            entries: vec![
                link("/a", "/b", 0),
                link("/b", "/a", 0),
                link("/self", "self", 0),
                link("/up", "../../../etc", 0),
                file("/etc/passwd", 0),
            ],
        };
        let view = SquashedView::from_layers(layer_ids(1), vec![base]);
        assert!(matches!(view.resolve("/a"), Err(ResolveError::Loop(_))));
        assert!(matches!(
            view.resolve("/self/x"),
            Err(ResolveError::Loop(_))
        ));
        assert_eq!(view.resolve("/up/passwd").as_deref(), Ok("/etc/passwd"));
        assert!(matches!(
            view.resolve("/etc/passwd/x"),
            Err(ResolveError::NotFound(_))
        ));
        // Writing through a looping link does not hang and keeps the tree consistent.
        let top = LayerListing {
            skeleton: String::new(),
            entries: vec![file("/a/x", 1)],
        };
        let mut view = view;
        view.push_layer(top);
        assert_invariant(&view);
    }

    #[test]
    fn dot_dot_after_symlink_climbs_from_its_target() {
        let base = LayerListing {
            skeleton: String::new(),
            entries: vec![
                dir("/x/y", 0),
                file("/x/c", 0),
                link("/a", "/x/y", 0),
                link("/x/y/b", "../c", 0),
            ],
        };
        let view = SquashedView::from_layers(layer_ids(1), vec![base]);
        assert_eq!(view.resolve("/a/b").as_deref(), Ok("/x/c"));
        // Query paths are normalised lexically first, as callers pass image paths.
        assert_eq!(
            view.resolve("/a/../c"),
            Err(ResolveError::NotFound("/c".into()))
        );
    }

    #[test]
    fn hardlinks_resolve_to_their_target() {
        let base = LayerListing {
            skeleton: String::new(),
            entries: vec![
                file("/bin/a", 0),
                hardlink("/bin/b", "bin/a", 0),
                hardlink("/bin/c", "bin/none", 0),
            ],
        };
        let view = SquashedView::from_layers(layer_ids(1), vec![base]);
        assert_eq!(view.resolve("/bin/b").as_deref(), Ok("/bin/a"));
        assert!(matches!(
            view.resolve("/bin/c"),
            Err(ResolveError::NotFound(_))
        ));
    }

    #[test]
    fn history_keeps_versions_until_deleted() {
        let l0 = LayerListing {
            skeleton: String::new(),
            entries: vec![file("/f", 0)],
        };
        let l1 = LayerListing {
            skeleton: String::new(),
            entries: vec![file("/f", 1), file("/f", 1)],
        };
        let l2 = LayerListing {
            skeleton: String::new(),
            entries: vec![ListingEntry::Whiteout { path: "/f".into() }],
        };
        let l3 = LayerListing {
            skeleton: String::new(),
            entries: vec![file("/f", 3)],
        };
        let view = SquashedView::from_layers(layer_ids(4), vec![l0.clone(), l1.clone()]);
        assert_eq!(layers_of(&view, "/f"), vec![0, 1]);
        let view = SquashedView::from_layers(layer_ids(4), vec![l0.clone(), l1.clone(), l2, l3]);
        assert_eq!(layers_of(&view, "/f"), vec![3]);
        // A replacement by another kind starts a new chain too.
        let l2 = LayerListing {
            skeleton: String::new(),
            entries: vec![link("/f", "g", 2)],
        };
        let view = SquashedView::from_layers(layer_ids(3), vec![l0, l1, l2]);
        assert_eq!(layers_of(&view, "/f"), vec![2]);
    }

    #[test]
    fn long_link_chains_are_bounded() {
        // `l -> l/l/l/…`: writing or resolving through it must stay small and end.
        let target = vec!["l"; 2000].join("/");
        let base = LayerListing {
            skeleton: String::new(),
            entries: vec![link("/l", &target, 0)],
        };
        let top = LayerListing {
            skeleton: String::new(),
            entries: vec![file("/l/x", 1), file(&format!("/{}", "d/".repeat(3000)), 1)],
        };
        let view = SquashedView::from_layers(layer_ids(2), vec![base, top]);
        assert!(view.len() < 100, "{} paths", view.len());
        assert!(view.paths().all(|p| p.len() <= MAX_PATH_BYTES));
        assert!(matches!(view.resolve("/l/x"), Err(ResolveError::Loop(_))));
        assert_invariant(&view);
    }

    #[test]
    fn the_size_limit_drops_new_paths_and_says_so() {
        let mut view = SquashedView::new(layer_ids(1));
        view.set_size_limit(20 * (PER_PATH_BYTES + 16));
        let entries = (0..100)
            .map(|i| file(&format!("/d{}/f{i}", i % 3), 0))
            .collect();
        view.push_layer(LayerListing {
            skeleton: String::new(),
            entries,
        });
        assert!(view.over_limit());
        assert!(view.len() < 25);
        assert!(view.approx_bytes() <= 20 * (PER_PATH_BYTES + 16));
        assert_invariant(&view);
        let unlimited = SquashedView::from_layers(
            layer_ids(1),
            vec![LayerListing {
                skeleton: String::new(),
                entries: vec![file("/a/b", 0)],
            }],
        );
        assert!(!unlimited.over_limit());
        assert_eq!(
            unlimited.approx_bytes(),
            3 * PER_PATH_BYTES + "/".len() + "/a".len() + "/a/b".len()
        );
    }

    #[test]
    fn root_cannot_be_replaced() {
        let base = LayerListing {
            skeleton: String::new(),
            entries: vec![link("/", "/etc", 0), file("/etc/x", 0)],
        };
        let view = SquashedView::from_layers(layer_ids(1), vec![base]);
        assert!(view.is_dir("/"));
        assert_eq!(view.resolve("/etc/x").as_deref(), Ok("/etc/x"));
    }

    #[test]
    fn many_files_and_a_large_opaque_are_handled() {
        let mut entries = Vec::new();
        for i in 0..20_000 {
            entries.push(file(&format!("/usr/share/d{}/f{i}", i % 100), 0));
        }
        let base = LayerListing {
            skeleton: String::new(),
            entries,
        };
        let top = LayerListing {
            skeleton: String::new(),
            entries: vec![
                ListingEntry::Opaque {
                    dir: "/usr/share".into(),
                },
                file("/usr/share/x", 1),
            ],
        };
        let view = SquashedView::from_layers(layer_ids(2), vec![base, top]);
        assert_eq!(
            view.paths().collect::<Vec<_>>(),
            vec!["/", "/usr", "/usr/share", "/usr/share/x"]
        );
    }

    proptest::proptest! {
        /// Arbitrary listings over a small name space never panic, keep the ancestor invariant and
        /// resolve every path (or fail cleanly) within the hop bound.
        #[test]
        fn random_listings_keep_the_view_consistent(
            layers in proptest::collection::vec(
                proptest::collection::vec((0u8..6, "[abc./]{1,8}", "[abc./]{0,8}"), 0..24),
                1..4,
            )
        ) {
            let mut view = SquashedView::new(layer_ids(layers.len()));
            for (index, entries) in layers.iter().enumerate() {
                let entries = entries
                    .iter()
                    .map(|(kind, path, target)| match kind {
                        0 => file(path, index),
                        1 => dir(path, index),
                        2 => link(path, target, index),
                        3 => hardlink(path, target, index),
                        4 => ListingEntry::Whiteout { path: path.clone() },
                        _ => ListingEntry::Opaque { dir: path.clone() },
                    })
                    .collect();
                view.push_layer(LayerListing { skeleton: String::new(), entries });
                assert_invariant(&view);
            }
            let paths: Vec<String> = view.paths().map(str::to_string).collect();
            for path in paths {
                let _ = view.resolve(&path);
                let _ = view.resolve(&format!("{path}/x/../y"));
            }
        }
    }

    fn skeleton_layer(entries: Vec<ListingEntry>, files: &[&str]) -> LayerListing {
        let mut listing = LayerListing {
            skeleton: String::new(),
            entries,
        };
        for path in files {
            listing.push_skeleton(path);
        }
        listing
    }

    #[test]
    fn files_kept_without_entries_exist_since_their_layer() {
        let base = skeleton_layer(
            vec![dir("/usr/lib", 0), link("/lib", "usr/lib", 0)],
            &["/usr/lib/a.so", "/usr/share/doc/x/copyright"],
        );
        // Rewritten through the /lib link: the same file, still there since layer 0.
        let top = skeleton_layer(vec![], &["/lib/a.so", "/usr/share/doc/y/copyright"]);
        let view = SquashedView::from_layers(layer_ids(2), vec![base, top]);
        assert_eq!(view.regular_file_since("/usr/lib/a.so"), Some(0));
        assert_eq!(
            view.regular_file_since("/usr/share/doc/y/copyright"),
            Some(1)
        );
        assert_eq!(view.resolve("/lib/a.so").as_deref(), Ok("/usr/lib/a.so"));
        assert!(view.resolve("/usr/lib/a.so/x").is_err());
        // Not listed, no entry; the implicit directories are.
        assert!(view.entry("/usr/lib/a.so").is_none());
        assert!(!view.paths().any(|p| p == "/usr/lib/a.so"));
        assert!(view.entry("/usr/share/doc/x").is_some());
        assert_eq!(view.regular_file_since("/usr/lib/missing.so"), None);
        assert_eq!(view.regular_file_since("/usr/lib"), None);
    }

    #[test]
    fn whiteouts_remove_files_kept_without_entries() {
        let base = skeleton_layer(
            vec![dir("/a", 0), dir("/b", 0)],
            &["/a/x", "/a/y", "/b/z", "/c/w"],
        );
        let top = skeleton_layer(
            vec![
                ListingEntry::Whiteout {
                    path: "/a/x".into(),
                },
                ListingEntry::Opaque { dir: "/b".into() },
                ListingEntry::Whiteout { path: "/c".into() },
            ],
            &[],
        );
        // Layer 2 brings back /b/z and /c/w: their chains start again.
        let again = skeleton_layer(vec![], &["/b/z", "/c/w"]);
        let view = SquashedView::from_layers(layer_ids(3), vec![base.clone(), top.clone()]);
        assert_eq!(view.regular_file_since("/a/x"), None);
        assert_eq!(view.regular_file_since("/a/y"), Some(0));
        assert_eq!(view.regular_file_since("/b/z"), None);
        assert_eq!(view.regular_file_since("/c/w"), None);
        assert!(view.resolve("/c/w").is_err());
        let view = SquashedView::from_layers(layer_ids(3), vec![base, top, again]);
        assert_eq!(view.regular_file_since("/b/z"), Some(2));
        assert_eq!(view.regular_file_since("/c/w"), Some(2));
    }

    #[test]
    fn entries_and_skeleton_files_replace_each_other() {
        // A file kept without an entry, then written with one: the history starts at layer 0.
        let base = skeleton_layer(vec![], &["/bin/tool", "/etc/d/conf"]);
        let top = skeleton_layer(vec![file("/bin/tool", 1), dir("/etc/d/conf", 1)], &[]);
        let view = SquashedView::from_layers(layer_ids(2), vec![base, top]);
        assert_eq!(view.regular_file_since("/bin/tool"), Some(0));
        assert_eq!(view.history("/bin/tool").len(), 2);
        assert_eq!(view.entry("/bin/tool").map(|v| v.layer), Some(1));
        // A directory replaced the file.
        assert_eq!(view.regular_file_since("/etc/d/conf"), None);
        // A directory (with its contents) replaced by a file kept without an entry.
        let base = skeleton_layer(vec![dir("/opt/x", 0), file("/opt/x/inner", 0)], &[]);
        let top = skeleton_layer(vec![], &["/opt/x"]);
        let view = SquashedView::from_layers(layer_ids(2), vec![base, top]);
        assert_eq!(view.regular_file_since("/opt/x"), Some(1));
        assert!(view.entry("/opt/x/inner").is_none());
        // A hard link to a file kept without an entry resolves to it.
        let mut hard = skeleton_layer(vec![], &["/usr/bin/a"]);
        hard.entries.push(ListingEntry::File {
            path: "/usr/bin/b".into(),
            version: FileVersion {
                layer: 0,
                meta: FileMeta {
                    kind: FileKind::Hardlink,
                    mode: 0o755,
                    size: 0,
                    link_target: Some("/usr/bin/a".into()),
                },
                content: None,
            },
        });
        let view = SquashedView::from_layers(layer_ids(1), vec![hard]);
        assert_eq!(view.resolve("/usr/bin/b").as_deref(), Ok("/usr/bin/a"));
    }
}
