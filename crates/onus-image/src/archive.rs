//! Outer archives (`oci-archive:`, `docker-archive:`), read in place.
//!
//! An uncompressed archive is indexed once (headers only, data skipped by seeking) and its
//! members are then opened by offset, so layers can be read in parallel. A compressed archive
//! cannot be seeked: it is read in one sequential pass that keeps the small JSON members and
//! scans every member that looks like a layer as it goes by; the layout is resolved at the end
//! (or as soon as it can be, to skip members nobody needs).

use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::Path;
use std::rc::Rc;
use std::sync::mpsc;

use onus_fs::{CapturePolicy, Reporter};

use crate::layer::{self, drain, read_up_to, sniff, Compression, Decoder, LayerJob, ScannedLayer};
use crate::limits::Totals;
use crate::store::{follow, relative_path, Located, MemStore};
use crate::{ImageError, Limits};

/// Report outer-archive progress in steps of this many bytes.
const PROGRESS_STEP: u64 = 1 << 20;

/// The compression of a file, from its first bytes.
pub(crate) fn file_compression(path: &Path) -> Result<Compression, ImageError> {
    let mut file = File::open(path).map_err(|e| ImageError::io(path.display(), &e))?;
    let mut magic = [0u8; 4];
    let got = read_up_to(&mut file, &mut magic).map_err(|e| ImageError::io(path.display(), &e))?;
    sniff(magic.get(..got).unwrap_or_default()).map_err(|reason| ImageError::Detect {
        path: path.display().to_string(),
        reason: reason.to_string(),
    })
}

/// A reader whose reads are bounded by a budget while one is set (tar extension records).
struct Budgeted<R> {
    inner: R,
    budget: Rc<Cell<Option<u64>>>,
    max: u64,
}

impl<R: Read> Read for Budgeted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let Some(budget) = self.budget.get() else {
            return self.inner.read(buf);
        };
        if budget == 0 && !buf.is_empty() {
            return Err(io::Error::other(format!(
                "tar extension records over {} bytes before one member (max_tar_header_bytes)",
                self.max
            )));
        }
        let len = buf.len().min(usize::try_from(budget).unwrap_or(usize::MAX));
        let Some(window) = buf.get_mut(..len) else {
            return Ok(0);
        };
        let n = self.inner.read(window)?;
        self.budget.set(Some(budget.saturating_sub(n as u64)));
        Ok(n)
    }
}

impl<R: Seek> Seek for Budgeted<R> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.inner.seek(pos)
    }
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Where a member link points, as a layout-relative path.
fn link_target(member: &str, kind: tar::EntryType, target: &str) -> Option<String> {
    if kind == tar::EntryType::Link {
        return relative_path(target);
    }
    let dir = match member.rfind('/') {
        Some(i) => member.get(..i).unwrap_or_default(),
        None => "",
    };
    relative_path(&format!("{dir}/{target}"))
}

fn header_budget(limits: &Limits) -> u64 {
    limits.max_tar_header_bytes.saturating_add(4 * 512)
}

/// Index the members of an uncompressed tar: regular files by data offset, links by target.
pub(crate) fn index_tar(
    path: &Path,
    limits: &Limits,
) -> Result<BTreeMap<String, Located>, ImageError> {
    let shown = path.display().to_string();
    let file = File::open(path).map_err(|e| ImageError::io(&shown, &e))?;
    let budget = Rc::new(Cell::new(None));
    let reader = Budgeted {
        inner: BufReader::with_capacity(64 * 1024, file),
        budget: Rc::clone(&budget),
        max: limits.max_tar_header_bytes,
    };
    let mut archive = tar::Archive::new(reader);
    let mut entries = archive
        .entries_with_seek()
        .map_err(|e| ImageError::io(&shown, &e))?;
    let mut members = BTreeMap::new();
    let mut count = 0u64;
    loop {
        budget.set(Some(header_budget(limits)));
        let next = entries.next();
        budget.set(None);
        let Some(entry) = next else { break };
        let entry = entry.map_err(|e| ImageError::Invalid {
            what: "archive",
            object: shown.clone(),
            reason: e.to_string(),
        })?;
        count += 1;
        if count > limits.max_entries_per_layer {
            return Err(ImageError::Limit {
                object: format!("archive `{shown}`"),
                what: format!(
                    "more than {} members (max_entries_per_layer)",
                    limits.max_entries_per_layer
                ),
            });
        }
        let Some(name) = relative_path(&lossy(&entry.path_bytes())) else {
            continue;
        };
        let kind = entry.header().entry_type();
        match kind {
            tar::EntryType::Regular | tar::EntryType::Continuous => {
                members.insert(
                    name,
                    Located::Data {
                        offset: entry.raw_file_position(),
                        size: entry.size(),
                    },
                );
            }
            tar::EntryType::Symlink | tar::EntryType::Link => {
                let target = entry
                    .link_name_bytes()
                    .map(|t| lossy(&t))
                    .unwrap_or_default();
                if let Some(target) = link_target(&name, kind, &target) {
                    members.insert(name, Located::Link(target));
                }
            }
            _ => {}
        }
    }
    Ok(members)
}

/// Counts the outer compressed bytes for progress.
struct Progress<'a, R> {
    inner: R,
    read: Rc<Cell<u64>>,
    reporter: &'a dyn Reporter,
    unreported: u64,
}

impl<R: Read> Read for Progress<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.set(self.read.get() + n as u64);
        self.unreported += n as u64;
        if self.unreported >= PROGRESS_STEP {
            self.reporter.advance(self.unreported);
            self.unreported = 0;
        }
        Ok(n)
    }
}

/// Bounds the decompressed outer stream and records which limit stopped it.
struct OuterLimit<'a, R> {
    inner: R,
    count: u64,
    limits: &'a Limits,
    hit: Rc<Cell<Option<&'static str>>>,
}

impl<R: Read> Read for OuterLimit<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count += n as u64;
        if self.count > self.limits.max_total_bytes {
            self.hit.set(Some("max_total_bytes"));
            return Err(io::Error::other(
                "decompressed archive over max_total_bytes",
            ));
        }
        Ok(n)
    }
}

/// What one sequential pass found.
pub(crate) struct Streamed {
    pub store: MemStore,
    /// Scan results by member path (failures kept: they matter only if the layer is needed).
    pub layers: BTreeMap<String, Result<ScannedLayer, ImageError>>,
}

/// What the caller learned from the members seen so far.
pub(crate) struct Progressed {
    /// The layer member paths the image needs, once the layout can be resolved.
    pub wanted: Option<Vec<String>>,
    /// Stop reading: nothing further is needed.
    pub done: bool,
}

/// How a sequential pass treats layer members.
pub(crate) struct PassOptions<'a> {
    /// Scan layer members (false: metadata only).
    pub scan_layers: bool,
    pub limits: &'a Limits,
    pub capture: &'a dyn CapturePolicy,
    pub reporter: &'a dyn Reporter,
    pub total: &'a Totals,
}

/// Does the start of a member look like a JSON document?
fn looks_like_json(head: &[u8]) -> bool {
    head.iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| *b == b'{' || *b == b'[')
}

/// Resolve each wanted path through member links; `None` while some target is not yet seen.
fn resolved_wanted(
    wanted: &[String],
    members: &BTreeMap<String, Located>,
) -> Option<BTreeSet<String>> {
    wanted
        .iter()
        .map(|p| follow(members, p).map(|(real, _)| real.to_string()))
        .collect()
}

/// Read a compressed (or plain) archive once, front to back.
pub(crate) fn stream_pass(
    path: &Path,
    location: &str,
    options: &PassOptions<'_>,
    decide: &dyn Fn(&MemStore) -> Progressed,
) -> Result<Streamed, ImageError> {
    let limits = options.limits;
    let shown = path.display().to_string();
    let mut file = File::open(path).map_err(|e| ImageError::io(&shown, &e))?;
    let mut magic = [0u8; 4];
    let got = read_up_to(&mut file, &mut magic).map_err(|e| ImageError::io(&shown, &e))?;
    let magic = magic.get(..got).unwrap_or_default().to_vec();
    let compression = sniff(&magic).map_err(|reason| ImageError::Detect {
        path: shown.clone(),
        reason: reason.to_string(),
    })?;
    let hit = Cell::new(None);
    // The outer decompression runs on its own thread, overlapping with the layer scans here.
    std::thread::scope(|scope| {
        let (tx, rx) = mpsc::sync_channel(4);
        let reporter = options.reporter;
        scope.spawn(move || produce(file, magic, compression, limits, reporter, &tx));
        let reader = ChannelReader {
            rx,
            chunk: Vec::new(),
            pos: 0,
            hit: &hit,
            done: false,
        };
        consume(reader, &shown, location, options, decide, &hit)
    })
}

/// Why the producer of the decompressed outer stream stopped early.
enum Stop {
    /// A limit (its name) was reached; the message says how.
    Limit(&'static str, String),
    Io(io::Error),
}

/// Chunk size handed from the decompressing thread to the scanning one.
const CHUNK: usize = 256 * 1024;

/// Decompress the outer archive (bounded by size and ratio) and send it on in chunks. Stops
/// quietly when the receiver is gone (the scan finished early or failed).
fn produce(
    file: File,
    magic: Vec<u8>,
    compression: Compression,
    limits: &Limits,
    reporter: &dyn Reporter,
    tx: &mpsc::SyncSender<Result<Vec<u8>, Stop>>,
) {
    let compressed = Rc::new(Cell::new(magic.len() as u64));
    let progress = Progress {
        inner: file,
        read: compressed,
        reporter,
        unreported: magic.len() as u64,
    };
    let head = io::Cursor::new(magic).chain(BufReader::with_capacity(CHUNK, progress));
    let decoder = match Decoder::new(head, compression, limits) {
        Ok(decoder) => decoder,
        Err(e) => {
            let _ = tx.send(Err(Stop::Io(e)));
            return;
        }
    };
    let hit = Rc::new(Cell::new(None));
    let mut outer = OuterLimit {
        inner: decoder,
        count: 0,
        limits,
        hit: Rc::clone(&hit),
    };
    loop {
        let mut chunk = vec![0u8; CHUNK];
        let n = match read_up_to(&mut outer, &mut chunk) {
            Ok(n) => n,
            Err(e) => {
                let stop = match hit.get() {
                    Some(limit) => Stop::Limit(limit, e.to_string()),
                    None => Stop::Io(e),
                };
                let _ = tx.send(Err(stop));
                return;
            }
        };
        if n == 0 {
            return;
        }
        chunk.truncate(n);
        if tx.send(Ok(chunk)).is_err() {
            return;
        }
    }
}

/// The decompressed outer stream, as received from [`produce`].
struct ChannelReader<'h> {
    rx: mpsc::Receiver<Result<Vec<u8>, Stop>>,
    chunk: Vec<u8>,
    pos: usize,
    hit: &'h Cell<Option<&'static str>>,
    done: bool,
}

impl Read for ChannelReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos >= self.chunk.len() {
            if self.done {
                return Ok(0);
            }
            match self.rx.recv() {
                Ok(Ok(chunk)) => {
                    self.chunk = chunk;
                    self.pos = 0;
                }
                Ok(Err(Stop::Limit(limit, message))) => {
                    self.done = true;
                    self.hit.set(Some(limit));
                    return Err(io::Error::other(message));
                }
                Ok(Err(Stop::Io(e))) => {
                    self.done = true;
                    return Err(e);
                }
                Err(_) => {
                    self.done = true;
                    return Ok(0);
                }
            }
        }
        let available = self.chunk.get(self.pos..).unwrap_or_default();
        let n = available.len().min(buf.len());
        if let (Some(dst), Some(src)) = (buf.get_mut(..n), available.get(..n)) {
            dst.copy_from_slice(src);
        }
        self.pos += n;
        Ok(n)
    }
}

/// Walk the members of the decompressed outer stream.
fn consume(
    reader: ChannelReader<'_>,
    shown: &str,
    location: &str,
    options: &PassOptions<'_>,
    decide: &dyn Fn(&MemStore) -> Progressed,
    hit: &Cell<Option<&'static str>>,
) -> Result<Streamed, ImageError> {
    let limits = options.limits;
    let budget = Rc::new(Cell::new(None));
    let reader = Budgeted {
        inner: reader,
        budget: Rc::clone(&budget),
        max: limits.max_tar_header_bytes,
    };
    let mut archive = tar::Archive::new(reader);
    let fail = |e: io::Error| match hit.get() {
        Some(limit) => ImageError::Limit {
            object: format!("archive `{shown}`"),
            what: format!("{e} ({limit})"),
        },
        None => ImageError::Invalid {
            what: "archive",
            object: shown.to_string(),
            reason: e.to_string(),
        },
    };
    let mut entries = archive.entries().map_err(&fail)?;
    let mut out = Streamed {
        store: MemStore {
            location: location.to_string(),
            ..MemStore::default()
        },
        layers: BTreeMap::new(),
    };
    let mut buf = vec![0u8; 64 * 1024];
    let mut state = decide(&out.store);
    let mut count = 0u64;
    let mut layer_index = 0usize;
    while !state.done {
        budget.set(Some(header_budget(limits)));
        let next = entries.next();
        budget.set(None);
        let Some(entry) = next else { break };
        let mut entry = entry.map_err(&fail)?;
        count += 1;
        if count > limits.max_entries_per_layer {
            return Err(ImageError::Limit {
                object: format!("archive `{shown}`"),
                what: format!(
                    "more than {} members (max_entries_per_layer)",
                    limits.max_entries_per_layer
                ),
            });
        }
        let Some(name) = relative_path(&lossy(&entry.path_bytes())) else {
            drain(&mut entry, &mut buf).map_err(&fail)?;
            continue;
        };
        let kind = entry.header().entry_type();
        let size = entry.size();
        match kind {
            tar::EntryType::Symlink | tar::EntryType::Link => {
                let target = entry
                    .link_name_bytes()
                    .map(|t| lossy(&t))
                    .unwrap_or_default();
                if let Some(target) = link_target(&name, kind, &target) {
                    out.store.members.insert(name, Located::Link(target));
                }
                drain(&mut entry, &mut buf).map_err(&fail)?;
                continue;
            }
            tar::EntryType::Regular | tar::EntryType::Continuous => {}
            _ => {
                drain(&mut entry, &mut buf).map_err(&fail)?;
                continue;
            }
        }
        out.store
            .members
            .insert(name.clone(), Located::Data { offset: 0, size });
        let mut head = [0u8; 512];
        let got = read_up_to(&mut entry, &mut head).map_err(&fail)?;
        let head = head.get(..got).unwrap_or_default();
        if size <= limits.max_json_bytes && (looks_like_json(head) || name == "oci-layout") {
            let mut bytes = head.to_vec();
            entry.read_to_end(&mut bytes).map_err(&fail)?;
            out.store.files.insert(name, bytes);
            state = decide(&out.store);
            continue;
        }
        let wanted = state
            .wanted
            .as_deref()
            .and_then(|w| resolved_wanted(w, &out.store.members));
        let needed = wanted.as_ref().is_none_or(|w| w.contains(&name));
        if options.scan_layers && needed {
            let job = LayerJob {
                index: layer_index,
                label: name.clone(),
                expected_digest: None,
                expected_diff_id: None,
                limits,
                capture: options.capture,
                progress: None,
                total: options.total,
            };
            layer_index += 1;
            let result = layer::scan(io::Cursor::new(head).chain(&mut entry), &job);
            out.layers.insert(name, result);
        }
        drain(&mut entry, &mut buf).map_err(&fail)?;
        if let Some(wanted) = wanted {
            if options.scan_layers && wanted.iter().all(|w| out.layers.contains_key(w)) {
                break;
            }
        }
        if !options.scan_layers {
            state = decide(&out.store);
        }
    }
    Ok(out)
}
