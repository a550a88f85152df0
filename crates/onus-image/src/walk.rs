//! Walking one layer tar entry by entry into an `onus_fs::LayerListing`: path normalisation,
//! whiteouts, links, and content capture as the policy asks; everything else is skipped.

use std::borrow::Cow;
use std::cell::Cell;
use std::collections::HashSet;
use std::io::{self, Read, Seek};
use std::sync::atomic::{AtomicU64, Ordering};

use onus_fs::{
    file_name, normalize_path, parent, Capture, CapturePolicy, Content, EntryHeader, FileKind,
    FileMeta, FileVersion, LayerListing, ListingEntry, MAX_PATH_BYTES,
};

use crate::layer::drain;
use crate::limits::ENTRY_CHARGE;
use crate::Limits;

/// Why a walk stopped.
pub(crate) enum WalkError {
    /// The stream could not be read or is not a valid tar.
    Io(io::Error),
    /// A limit of [`Limits`] was reached; the text says which.
    Limit(String),
}

impl From<io::Error> for WalkError {
    fn from(e: io::Error) -> Self {
        WalkError::Io(e)
    }
}

/// What a walk produced.
#[derive(Default)]
pub(crate) struct Walked {
    pub listing: LayerListing,
    pub unknowns: Vec<(String, String)>,
    pub entries: u64,
    /// Paths of this layer whose content was captured (a hard link to one shares it).
    captured: HashSet<String>,
}

impl Walked {
    pub(crate) fn unknown(&mut self, path: &str, reason: String) {
        self.unknowns.push((path.to_string(), reason));
    }

    pub(crate) fn push(
        &mut self,
        path: String,
        layer: usize,
        meta: FileMeta,
        content: Option<Content>,
    ) {
        self.listing.entries.push(ListingEntry::File {
            path,
            version: FileVersion {
                layer,
                meta,
                content,
            },
        });
    }
}

/// Counts what is read of one entry, to tell a complete entry from a stream that ended inside it.
struct Counted<'e, R> {
    inner: &'e mut R,
    read: u64,
}

impl<R: Read> Read for Counted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        Ok(n)
    }
}

/// Walk every entry of `archive`. Each entry is read to its end before the next header, so the
/// header `budget` bounds exactly the extension records (PAX, GNU long names) of one entry.
pub(crate) fn walk<R: Read + Seek>(
    archive: &mut tar::Archive<R>,
    layer: usize,
    capture: &dyn CapturePolicy,
    limits: &Limits,
    budget: &Cell<Option<u64>>,
    memory: &AtomicU64,
) -> Result<Walked, WalkError> {
    let mut out = Walked::default();
    let mut charged = Charged::default();
    let mut buf = vec![0u8; 64 * 1024];
    // The seekable iterator skips inter-entry padding through `Seek` (a forward read in the
    // layer stream) instead of zeroing a 32 KiB buffer for every entry.
    let mut entries = archive.entries_with_seek()?;
    // Stored bytes of the previous entry left for the iterator to skip (a sparse file's).
    let mut left_to_skip: u64 = 0;
    loop {
        // Header blocks, plus the padding left by the previous entry, plus extension records.
        budget.set(Some(
            limits
                .max_tar_header_bytes
                .saturating_add(4 * 512)
                .saturating_add(left_to_skip),
        ));
        left_to_skip = 0;
        let next = entries.next();
        budget.set(None);
        let Some(entry) = next else { break };
        let mut entry = entry?;
        out.entries += 1;
        if out.entries > limits.max_entries_per_layer {
            return Err(WalkError::Limit(format!(
                "more than {} tar entries (max_entries_per_layer)",
                limits.max_entries_per_layer
            )));
        }
        check_pax_size(&mut entry)?;
        let size = entry.size();
        // A GNU sparse file reads as its logical size, holes generated as zeros: never read it
        // to the end. The iterator skips what is left of the bytes actually stored.
        if entry.header().entry_type() == tar::EntryType::GNUSparse {
            let stored = entry.header().entry_size().unwrap_or(0);
            left_to_skip = stored.div_ceil(512).saturating_mul(512);
            let mut counted = Counted {
                inner: &mut entry,
                read: 0,
            };
            visit(&mut counted, layer, capture, limits, &mut buf, &mut out)?;
            charged.charge(&out, memory, limits)?;
            continue;
        }
        let mut counted = Counted {
            inner: &mut entry,
            read: 0,
        };
        visit(&mut counted, layer, capture, limits, &mut buf, &mut out)?;
        charged.charge(&out, memory, limits)?;
        drain(&mut counted, &mut buf)?;
        if counted.read < size {
            let read = counted.read;
            let raw = lossy(&entry.path_bytes()).0.into_owned();
            let shown = normalize_path(&raw).unwrap_or(raw);
            return Err(truncated(&shown, read, size));
        }
    }
    Ok(out)
}

/// A PAX `size` record overrides the header's size and so decides where the next header is. One
/// that is not a 64-bit number (the tar reader would silently fall back to the header field,
/// while Go's archive/tar, which runtimes unpack with, rejects the archive) leaves the rest of
/// the stream untrustworthy: the layer is refused, naming the entry and the record.
fn check_pax_size<R: Read>(entry: &mut tar::Entry<'_, R>) -> Result<(), WalkError> {
    let bad = match entry.pax_extensions() {
        Ok(Some(extensions)) => extensions.flatten().find_map(|ext| {
            (ext.key_bytes() == b"size"
                && std::str::from_utf8(ext.value_bytes())
                    .ok()
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .is_none())
            .then(|| {
                lossy(ext.value_bytes())
                    .0
                    .chars()
                    .take(40)
                    .collect::<String>()
            })
        }),
        _ => None,
    };
    let Some(value) = bad else {
        return Ok(());
    };
    let raw = lossy(&entry.path_bytes()).0.into_owned();
    let shown = normalize_path(&raw).unwrap_or(raw);
    Err(WalkError::Io(io::Error::new(
        io::ErrorKind::InvalidData,
        format!("entry `{shown}`: PAX `size` record `{value}` is not a 64-bit size; the archive cannot be framed past it"),
    )))
}

/// What a walk has charged to the image's memory budget so far.
#[derive(Default)]
struct Charged {
    entries: usize,
    unknowns: usize,
    /// Bytes of the listing's skeleton paths already charged.
    skeleton: usize,
    /// This layer's charges, for the message.
    bytes: u64,
    content: u64,
}

impl Charged {
    /// Charge what `out` gained since the last call: each listing entry's path, link target and
    /// captured bytes plus [`ENTRY_CHARGE`], each unknown's text. Past `max_memory_bytes` for
    /// the whole image, the walk stops, saying what was held and how to raise the budget.
    fn charge(
        &mut self,
        out: &Walked,
        memory: &AtomicU64,
        limits: &Limits,
    ) -> Result<(), WalkError> {
        let mut delta = 0u64;
        for entry in out.listing.entries.get(self.entries..).unwrap_or_default() {
            delta += ENTRY_CHARGE;
            match entry {
                onus_fs::ListingEntry::File { path, version } => {
                    delta += path.len() as u64;
                    delta += version
                        .meta
                        .link_target
                        .as_ref()
                        .map_or(0, |t| t.len() as u64);
                    let content = version.content.as_ref().map_or(0, |c| c.bytes.len() as u64);
                    self.content += content;
                    delta += content;
                }
                onus_fs::ListingEntry::Whiteout { path } => delta += path.len() as u64,
                onus_fs::ListingEntry::Opaque { dir } => delta += dir.len() as u64,
            }
        }
        for (path, reason) in out.unknowns.get(self.unknowns..).unwrap_or_default() {
            delta += (path.len() + reason.len()) as u64 + 64;
        }
        // Files kept without an entry: their path bytes (and, later, a slot in the view).
        let skeleton = out.listing.skeleton.len();
        delta += skeleton.saturating_sub(self.skeleton) as u64;
        self.skeleton = skeleton;
        self.entries = out.listing.entries.len();
        self.unknowns = out.unknowns.len();
        self.bytes += delta;
        let used = memory
            .fetch_add(delta, Ordering::Relaxed)
            .saturating_add(delta);
        if used > limits.max_memory_bytes {
            return Err(WalkError::Limit(format!(
                "memory budget of {} MiB reached (max_memory_bytes) holding the file view: this layer's {} entries took {} MiB ({} MiB of it captured content), {} MiB went to the layers read before or beside it and the reader itself; raise it with --max-memory",
                limits.max_memory_bytes >> 20,
                self.entries,
                self.bytes >> 20,
                self.content >> 20,
                used.saturating_sub(self.bytes) >> 20,
            )));
        }
        Ok(())
    }
}

/// True when a raw member path is absolute or climbs above the root with `..`.
pub(crate) fn path_escapes(raw: &str) -> bool {
    if raw.starts_with('/') {
        return true;
    }
    climbs_above(raw, 0)
}

/// True when resolving `relative` lexically from a directory `depth` levels below the root
/// climbs above the root.
fn climbs_above(relative: &str, depth: usize) -> bool {
    let mut depth = depth as i64;
    for part in relative.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                depth -= 1;
                if depth < 0 {
                    return true;
                }
            }
            _ => depth += 1,
        }
    }
    false
}

fn depth_of(path: &str) -> usize {
    path.split('/').filter(|c| !c.is_empty()).count()
}

fn lossy(bytes: &[u8]) -> (Cow<'_, str>, bool) {
    match std::str::from_utf8(bytes) {
        Ok(s) => (Cow::Borrowed(s), false),
        Err(_) => (String::from_utf8_lossy(bytes), true),
    }
}

/// Record one entry, reading the content the policy wants.
fn visit<R: Read>(
    counted: &mut Counted<'_, tar::Entry<'_, R>>,
    layer: usize,
    capture: &dyn CapturePolicy,
    limits: &Limits,
    buf: &mut [u8],
    out: &mut Walked,
) -> Result<(), WalkError> {
    let entry = &mut *counted.inner;
    // A PAX sparse file (GNU formats 0.x/1.0) names its real path and size in PAX records.
    let pax_sparse = crate::sparse::pax_sparse(entry);
    let sparse_name = match &pax_sparse {
        Some(Ok(sparse)) => sparse.name.clone(),
        _ => None,
    };
    let path_bytes = entry.path_bytes();
    let (raw_path, not_utf8): (Cow<'_, str>, bool) = match &sparse_name {
        Some(name) => (Cow::Borrowed(name.as_str()), false),
        None => lossy(&path_bytes),
    };
    let header = entry.header();
    let kind = match header.entry_type() {
        tar::EntryType::Regular if raw_path.ends_with('/') && entry.size() == 0 => {
            FileKind::Directory
        }
        tar::EntryType::Regular | tar::EntryType::Continuous | tar::EntryType::GNUSparse => {
            FileKind::Regular
        }
        tar::EntryType::Directory => FileKind::Directory,
        tar::EntryType::Symlink => FileKind::Symlink,
        tar::EntryType::Link => FileKind::Hardlink,
        tar::EntryType::Char | tar::EntryType::Block | tar::EntryType::Fifo => FileKind::Other,
        // A PAX global header describes the archive, not a file.
        tar::EntryType::XGlobalHeader => return Ok(()),
        other => {
            let shown = normalize_path(&raw_path).unwrap_or_else(|| raw_path.to_string());
            out.unknown(
                &shown,
                format!(
                    "unsupported tar entry type `{}`; skipped",
                    char::from(other.as_byte()).escape_default()
                ),
            );
            return Ok(());
        }
    };
    let mode = match header.mode() {
        Ok(mode) => mode & 0o7777,
        Err(_) => {
            out.unknown(
                &raw_path,
                "unreadable mode field; recorded as 0".to_string(),
            );
            0
        }
    };
    let Some(path) = normalize_path(&raw_path) else {
        out.unknown(
            &raw_path.replace('\0', "\\0"),
            "member path contains a NUL byte; skipped".to_string(),
        );
        return Ok(());
    };
    if path.len() > MAX_PATH_BYTES {
        out.unknown(
            &format!("{}…", path.chars().take(200).collect::<String>()),
            format!(
                "member path of {} bytes is over {MAX_PATH_BYTES} bytes; skipped",
                path.len()
            ),
        );
        return Ok(());
    }
    if not_utf8 {
        out.unknown(
            &path,
            "member path is not valid UTF-8; recorded with replacement characters".to_string(),
        );
    }
    if path_escapes(&raw_path) {
        out.unknown(&path, format!("member path `{raw_path}` is absolute or climbs above the layer root; recorded inside the image"),
        );
    }
    if path == "/" {
        if kind != FileKind::Directory {
            out.unknown(
                &path,
                "a non-directory entry for the root; skipped".to_string(),
            );
        }
        return Ok(());
    }
    if let Some(rest) = file_name(&path).strip_prefix(".wh.") {
        let dir = parent(&path);
        if rest == ".wh..opq" {
            out.listing.entries.push(ListingEntry::Opaque {
                dir: dir.to_string(),
            });
        } else if rest.starts_with(".wh.") {
            // AUFS bookkeeping (`.wh..wh.plnk`, `.wh..wh.aufs`), not part of the filesystem.
        } else if rest.is_empty() || rest == "." || rest == ".." {
            out.unknown(&path, "malformed whiteout name; skipped".to_string());
        } else {
            let target = if dir == "/" {
                format!("/{rest}")
            } else {
                format!("{dir}/{rest}")
            };
            out.listing
                .entries
                .push(ListingEntry::Whiteout { path: target });
        }
        return Ok(());
    }
    let link = entry.link_name_bytes().map(|b| lossy(&b).0.into_owned());
    match kind {
        FileKind::Symlink => {
            let Some(target) = link.filter(|t| !t.is_empty() && t.len() <= MAX_PATH_BYTES) else {
                out.unknown(
                    &path,
                    "symlink without a usable target (empty or over 4096 bytes); skipped"
                        .to_string(),
                );
                return Ok(());
            };
            if !target.starts_with('/') && climbs_above(&target, depth_of(parent(&path))) {
                out.unknown(&path, format!("symlink target `{target}` climbs above the image root; it resolves inside the image"),
                );
            }
            let meta = FileMeta {
                kind,
                mode,
                size: 0,
                link_target: Some(target),
            };
            out.push(path, layer, meta, None);
        }
        FileKind::Hardlink => {
            let target = link.filter(|t| !t.is_empty());
            let Some(normalized) = target
                .as_deref()
                .and_then(normalize_path)
                .filter(|t| t != "/" && t.len() <= MAX_PATH_BYTES)
            else {
                out.unknown(
                    &path,
                    "hard link without a usable target; skipped".to_string(),
                );
                return Ok(());
            };
            if target.as_deref().is_some_and(path_escapes) {
                out.unknown(
                    &path,
                    format!(
                        "hard link target `{}` is absolute or climbs above the layer root",
                        target.unwrap_or_default()
                    ),
                );
            }
            if normalized == path {
                out.unknown(&path, "hard link to itself; skipped".to_string());
                return Ok(());
            }
            // The data went with the link's target, earlier in the archive: if the policy wants
            // this name but the target's bytes were not kept, say so rather than stay silent.
            let header = EntryHeader {
                path: &path,
                kind,
                mode,
                size: 0,
            };
            if !matches!(capture.capture(&header), Capture::Skip)
                && !out.captured.contains(&normalized)
            {
                out.unknown(
                    &path,
                    format!("content not captured: hard link to `{normalized}`, whose content was not kept"),
                );
            }
            let meta = FileMeta {
                kind,
                mode,
                size: 0,
                link_target: Some(normalized),
            };
            out.push(path, layer, meta, None);
        }
        FileKind::Regular => {
            let stored = entry.size();
            let mut sparse = None;
            match pax_sparse {
                Some(Ok(s)) => sparse = Some(s),
                Some(Err(why)) => out.unknown(
                    &path,
                    format!("PAX sparse records unusable ({why}); recorded with its stored bytes"),
                ),
                None => {}
            }
            let size = sparse.as_ref().map_or(stored, |s| s.real_size);
            let file_header = EntryHeader {
                path: &path,
                kind,
                mode,
                size,
            };
            let mut wanted = capture.capture(&file_header);
            // A file nobody reads or lists is kept as "exists since this layer" only.
            if matches!(wanted, Capture::Skip) && !capture.keep_entry(&file_header) {
                out.listing.push_skeleton(&path);
                return Ok(());
            }
            // A sparse file's content is its logical bytes, holes read as zeros: reading one
            // costs its logical size, so only files within the capture bound are read.
            if (header.entry_type() == tar::EntryType::GNUSparse || sparse.is_some())
                && size > limits.max_capture_bytes
                && !matches!(wanted, Capture::Skip)
            {
                out.unknown(
                    &path,
                    format!("sparse file of {size} logical bytes is over max_capture_bytes; content not read"),
                );
                wanted = Capture::Skip;
            }
            let content = match sparse {
                Some(sparse) if !matches!(wanted, Capture::Skip) => {
                    match crate::sparse::SparseReader::new(counted, sparse, stored) {
                        Ok(mut logical) => {
                            read_content(&mut logical, &path, size, wanted, limits, buf, out)?
                        }
                        Err(why) => {
                            out.unknown(
                                &path,
                                format!("sparse map unusable ({why}); content not read"),
                            );
                            None
                        }
                    }
                }
                _ => read_content(counted, &path, size, wanted, limits, buf, out)?,
            };
            if content.is_some() {
                out.captured.insert(path.clone());
            }
            let meta = FileMeta {
                kind,
                mode,
                size,
                link_target: None,
            };
            out.push(path, layer, meta, content);
        }
        FileKind::Directory | FileKind::Other => {
            let meta = FileMeta {
                kind,
                mode,
                size: 0,
                link_target: None,
            };
            out.push(path, layer, meta, None);
        }
    }
    Ok(())
}

fn truncated(path: &str, got: u64, size: u64) -> WalkError {
    WalkError::Io(io::Error::new(
        io::ErrorKind::UnexpectedEof,
        format!("the stream ends inside `{path}` after {got} of {size} bytes"),
    ))
}

/// Read what `wanted` asks of an entry's `size` bytes; the caller drains the rest.
pub(crate) fn read_content<R: Read>(
    entry: &mut R,
    path: &str,
    size: u64,
    wanted: Capture,
    limits: &Limits,
    buf: &mut [u8],
    out: &mut Walked,
) -> Result<Option<Content>, WalkError> {
    match wanted {
        Capture::Skip => Ok(None),
        Capture::Whole { max_bytes } => {
            let cap = max_bytes.min(limits.max_capture_bytes);
            let want = size.min(cap);
            // Grow as bytes arrive: the declared size is input, not a promise.
            let mut data = Vec::with_capacity(usize::try_from(want.min(1 << 20)).unwrap_or(0));
            let got = entry.by_ref().take(want).read_to_end(&mut data)? as u64;
            if got < want {
                return Err(truncated(path, got, size));
            }
            let complete = size <= cap;
            if !complete && cap < max_bytes {
                out.unknown(path, format!("content of {size} bytes is over max_capture_bytes; only the first {cap} bytes were kept"),
                );
            }
            Ok(Some(Content {
                bytes: data.into(),
                complete,
            }))
        }
        Capture::Sink(mut sink) => {
            let mut remaining = size;
            while remaining > 0 {
                let len = buf
                    .len()
                    .min(usize::try_from(remaining).unwrap_or(usize::MAX));
                let Some(window) = buf.get_mut(..len) else {
                    break;
                };
                let n = entry.read(window)?;
                if n == 0 {
                    return Err(truncated(path, size - remaining, size));
                }
                sink.write(window.get(..n).unwrap_or_default());
                remaining -= n as u64;
            }
            Ok(sink.finish().map(|bytes| Content {
                bytes: bytes.into(),
                complete: true,
            }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_paths_are_detected() {
        assert!(path_escapes("/etc/passwd"));
        assert!(path_escapes("../x"));
        assert!(path_escapes("a/../../x"));
        assert!(!path_escapes("a/../x"));
        assert!(!path_escapes("./a/b"));
        assert!(climbs_above("../../x", 1));
        assert!(!climbs_above("../x", 1));
    }
}
