//! Reading one layer blob in a single pass: sniff the compression from magic bytes, hash the
//! blob (digest) and the uncompressed stream (diff_id), enforce the size and ratio limits, and
//! walk the tar into a listing.

use std::cell::{Cell, RefCell};
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::rc::Rc;
use std::sync::atomic::Ordering;

use onus_fs::{CapturePolicy, LayerListing, Reporter};
use sha2::{Digest as _, Sha256};

use crate::limits::Totals;
use crate::{walk, ImageError, Limits};

/// Report progress in steps of this many compressed bytes.
const PROGRESS_STEP: u64 = 1 << 20;
/// Read buffer between the blob source and the decompressor.
const SOURCE_BUFFER: usize = 256 * 1024;

/// How a layer blob is compressed (found from its first bytes, not from the media type).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

/// The result of reading one layer blob.
#[derive(Debug, Clone)]
pub struct ScannedLayer {
    /// What the layer wrote, in archive order.
    pub listing: LayerListing,
    /// Entries that were recorded with a caveat or skipped: `(path in the layer, reason)`.
    pub unknowns: Vec<(String, String)>,
    /// `sha256:…` of the blob bytes as read.
    pub digest: String,
    /// `sha256:…` of the uncompressed stream.
    pub diff_id: String,
    pub compressed_size: u64,
    pub uncompressed_size: u64,
    pub compression: Compression,
    /// Tar entries seen (extension headers not counted).
    pub entries: u64,
}

/// Everything needed to read one layer, besides the bytes.
pub(crate) struct LayerJob<'a> {
    pub index: usize,
    /// What to call the layer in errors: its digest, or its archive member path.
    pub label: String,
    pub expected_digest: Option<String>,
    pub expected_diff_id: Option<String>,
    pub limits: &'a Limits,
    pub capture: &'a dyn CapturePolicy,
    /// Receives compressed bytes as they are read, when the caller does not count them itself.
    pub progress: Option<&'a dyn Reporter>,
    /// Uncompressed bytes of all layers so far (for `max_total_bytes`).
    pub total: &'a Totals,
}

/// Read one layer blob (gzip, zstd or plain tar) and list what it writes.
///
/// No digest is checked; the computed digest and diff_id are returned. Every size limit of
/// `limits` applies. This is the entry point the fuzz target drives.
pub fn scan_layer<R: Read>(
    blob: R,
    index: usize,
    capture: &dyn CapturePolicy,
    limits: &Limits,
) -> Result<ScannedLayer, ImageError> {
    let total = Totals::default();
    let job = LayerJob {
        index,
        label: format!("layer-{index}"),
        expected_digest: None,
        expected_diff_id: None,
        limits,
        capture,
        progress: None,
        total: &total,
    };
    scan(blob, &job)
}

/// State shared by the readers of one layer's stack (all on one thread).
#[derive(Default)]
pub(crate) struct Shared {
    /// Compressed bytes read so far (for the ratio limit).
    compressed: Cell<u64>,
    /// Bytes the tar reader may still read before it returns the next entry (None: no bound).
    pub(crate) budget: Cell<Option<u64>>,
    /// The limit that stopped the stream, if one did.
    hit: RefCell<Option<String>>,
}

impl Shared {
    fn hit(&self, what: String) -> io::Error {
        let err = io::Error::other(what.clone());
        self.hit.replace(Some(what));
        err
    }
}

/// The blob as stored: hashed and counted as it is read.
struct Source<'a, R> {
    inner: R,
    hasher: Sha256,
    shared: Rc<Shared>,
    progress: Option<&'a dyn Reporter>,
    unreported: u64,
}

impl<R: Read> Read for Source<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let chunk = buf.get(..n).unwrap_or_default();
        self.hasher.update(chunk);
        self.shared
            .compressed
            .set(self.shared.compressed.get() + n as u64);
        self.unreported += n as u64;
        if self.unreported >= PROGRESS_STEP {
            if let Some(progress) = self.progress {
                progress.advance(self.unreported);
            }
            self.unreported = 0;
        }
        Ok(n)
    }
}

impl<R> Source<'_, R> {
    fn finish(self) -> String {
        if let Some(progress) = self.progress {
            if self.unreported > 0 {
                progress.advance(self.unreported);
            }
        }
        sha256_string(self.hasher)
    }
}

/// A decompressor chosen by [`sniff`].
pub(crate) enum Decoder<R: BufRead> {
    Plain(R),
    // Boxed: zlib-rs keeps its inflate state inline (~270 bytes).
    Gzip(Box<flate2::bufread::MultiGzDecoder<R>>),
    Zstd(zstd::stream::read::Decoder<'static, R>),
}

impl<R: BufRead> Read for Decoder<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Decoder::Plain(r) => r.read(buf),
            Decoder::Gzip(r) => r.read(buf),
            Decoder::Zstd(r) => r.read(buf),
        }
    }
}

impl<R: BufRead> Decoder<R> {
    /// Wrap `head` (which still starts with the magic bytes) in the right decompressor.
    pub(crate) fn new(head: R, compression: Compression, limits: &Limits) -> io::Result<Self> {
        Ok(match compression {
            Compression::None => Decoder::Plain(head),
            Compression::Gzip => {
                Decoder::Gzip(Box::new(flate2::bufread::MultiGzDecoder::new(head)))
            }
            Compression::Zstd => {
                let mut decoder = zstd::stream::read::Decoder::with_buffer(head)?;
                decoder.window_log_max(limits.max_zstd_window_log)?;
                Decoder::Zstd(decoder)
            }
        })
    }

    fn into_inner(self) -> R {
        match self {
            Decoder::Plain(r) => r,
            Decoder::Gzip(r) => r.into_inner(),
            Decoder::Zstd(r) => r.finish(),
        }
    }
}

/// The uncompressed stream: hashed (diff_id), counted and bounded.
struct Inflated<'a, R> {
    inner: R,
    /// None for an uncompressed blob, whose diff_id is its digest.
    hasher: Option<Sha256>,
    count: u64,
    shared: Rc<Shared>,
    limits: &'a Limits,
    total: &'a Totals,
    /// Discard buffer for forward seeks.
    scratch: Vec<u8>,
}

impl<R: Read> Read for Inflated<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut len = buf.len();
        let budget = self.shared.budget.get();
        if let Some(budget) = budget {
            if budget == 0 && len > 0 {
                return Err(self.shared.hit(format!(
                    "tar extension records (PAX headers, GNU long names) over {} bytes before one entry (max_tar_header_bytes)",
                    self.limits.max_tar_header_bytes
                )));
            }
            len = len.min(usize::try_from(budget).unwrap_or(usize::MAX));
        }
        let Some(window) = buf.get_mut(..len) else {
            return Ok(0);
        };
        let n = self.inner.read(window)?;
        if let Some(budget) = budget {
            self.shared
                .budget
                .set(Some(budget.saturating_sub(n as u64)));
        }
        self.count += n as u64;
        let limits = self.limits;
        if self.count > limits.max_layer_bytes {
            return Err(self.shared.hit(format!(
                "uncompressed layer over {} bytes (max_layer_bytes)",
                limits.max_layer_bytes
            )));
        }
        let total = self
            .total
            .uncompressed
            .fetch_add(n as u64, Ordering::Relaxed)
            .saturating_add(n as u64);
        if total > limits.max_total_bytes {
            return Err(self.shared.hit(format!(
                "uncompressed layers over {} bytes in total (max_total_bytes)",
                limits.max_total_bytes
            )));
        }
        if let Some(hasher) = self.hasher.as_mut() {
            hasher.update(window.get(..n).unwrap_or_default());
        }
        Ok(n)
    }
}

/// Forward-only seeking (reading and discarding), so the tar reader can skip padding without a
/// fresh zeroed buffer per entry; everything skipped is still hashed and counted.
impl<R: Read> Seek for Inflated<'_, R> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        let SeekFrom::Current(delta) = pos else {
            return Err(io::Error::other("a layer stream only seeks forward"));
        };
        let mut remaining = u64::try_from(delta)
            .map_err(|_| io::Error::other("a layer stream only seeks forward"))?;
        let mut scratch = std::mem::take(&mut self.scratch);
        if scratch.is_empty() {
            scratch = vec![0u8; 16 * 1024];
        }
        let result = loop {
            if remaining == 0 {
                break Ok(self.count);
            }
            let len = scratch
                .len()
                .min(usize::try_from(remaining).unwrap_or(usize::MAX));
            match self.read(scratch.get_mut(..len).unwrap_or_default()) {
                Ok(0) => {
                    break Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "unexpected EOF during skip",
                    ))
                }
                Ok(n) => remaining -= n as u64,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => break Err(e),
            }
        };
        self.scratch = scratch;
        result
    }
}

/// Read exactly `buf.len()` bytes unless the stream ends first; returns how many were read.
pub(crate) fn read_up_to<R: Read>(reader: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        let Some(rest) = buf.get_mut(filled..) else {
            break;
        };
        match reader.read(rest) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Read and discard the rest of a stream.
pub(crate) fn drain<R: Read + ?Sized>(reader: &mut R, buf: &mut [u8]) -> io::Result<u64> {
    let mut total = 0u64;
    loop {
        match reader.read(buf) {
            Ok(0) => return Ok(total),
            Ok(n) => total += n as u64,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// Which compression the first bytes announce.
pub(crate) fn sniff(magic: &[u8]) -> Result<Compression, &'static str> {
    match magic {
        [0x1f, 0x8b, ..] => Ok(Compression::Gzip),
        [0x28, 0xb5, 0x2f, 0xfd, ..] => Ok(Compression::Zstd),
        [0xfd, b'7', b'z', b'X', ..] => Err("xz compression is not supported"),
        [b'B', b'Z', b'h', ..] => Err("bzip2 compression is not supported"),
        _ => Ok(Compression::None),
    }
}

pub(crate) fn sha256_string(hasher: Sha256) -> String {
    format!("sha256:{}", hex::encode(hasher.finalize()))
}

impl LayerJob<'_> {
    fn error(&self, shared: &Shared, err: &io::Error) -> ImageError {
        if let Some(what) = shared.hit.borrow().clone() {
            return ImageError::Limit {
                object: format!("layer {} `{}`", self.index, self.label),
                what,
            };
        }
        let reason = if err.kind() == io::ErrorKind::UnexpectedEof {
            format!("the stream ends early (truncated?): {err}")
        } else {
            err.to_string()
        };
        ImageError::Layer {
            index: self.index,
            layer: self.label.clone(),
            reason,
        }
    }
}

/// Read one layer blob for `job`, checking the expected digest and diff_id when given.
pub(crate) fn scan<R: Read>(blob: R, job: &LayerJob<'_>) -> Result<ScannedLayer, ImageError> {
    let shared = Rc::new(Shared::default());
    let source = Source {
        inner: blob,
        hasher: Sha256::new(),
        shared: Rc::clone(&shared),
        progress: job.progress,
        unreported: 0,
    };
    let mut buffered = BufReader::with_capacity(SOURCE_BUFFER, source);
    let mut magic = [0u8; 4];
    let got = read_up_to(&mut buffered, &mut magic).map_err(|e| job.error(&shared, &e))?;
    let magic = magic.get(..got).unwrap_or_default().to_vec();
    let compression = sniff(&magic).map_err(|reason| ImageError::Layer {
        index: job.index,
        layer: job.label.clone(),
        reason: reason.to_string(),
    })?;
    let head = io::Cursor::new(magic).chain(buffered);
    let decoder =
        Decoder::new(head, compression, job.limits).map_err(|e| job.error(&shared, &e))?;
    let inflated = Inflated {
        inner: decoder,
        hasher: (compression != Compression::None).then(Sha256::new),
        count: 0,
        shared: Rc::clone(&shared),
        limits: job.limits,
        total: job.total,
        scratch: Vec::new(),
    };
    let mut archive = tar::Archive::new(inflated);
    let walked = walk::walk(
        &mut archive,
        job.index,
        job.capture,
        job.limits,
        &shared.budget,
        &job.total.memory,
    )
    .map_err(|e| match e {
        walk::WalkError::Io(e) => job.error(&shared, &e),
        walk::WalkError::Limit(what) => ImageError::Limit {
            object: format!("layer {} `{}`", job.index, job.label),
            what,
        },
    })?;
    let mut buf = vec![0u8; 64 * 1024];
    let mut unknowns = walked.unknowns;
    // The rest of the uncompressed stream (end-of-archive blocks, padding) is part of the diff_id,
    // and the rest of the blob part of its digest.
    let mut inflated = archive.into_inner();
    if let Err(e) = drain(&mut inflated, &mut buf) {
        // Past the end of the archive, bytes that do not decompress (zero padding or junk after
        // the last gzip member or zstd frame) cannot change what the layer holds: the runtimes'
        // tar readers stop at the end-of-archive blocks too. A limit is still a limit.
        if compression == Compression::None || shared.hit.borrow().is_some() {
            return Err(job.error(&shared, &e));
        }
        unknowns.push((
            "(layer stream)".to_string(),
            format!("bytes after the end of the compressed stream ignored: {e}"),
        ));
    }
    let Inflated {
        inner: decoder,
        hasher: diff_hasher,
        count: uncompressed_size,
        ..
    } = inflated;
    let mut head = decoder.into_inner();
    drain(&mut head, &mut buf).map_err(|e| job.error(&shared, &e))?;
    let (_, buffered) = head.into_inner();
    let compressed_size = shared.compressed.get();
    let digest = buffered.into_inner().finish();
    let diff_id = diff_hasher.map_or_else(|| digest.clone(), sha256_string);
    if let Some(expected) = &job.expected_digest {
        if *expected != digest {
            return Err(ImageError::DigestMismatch {
                what: "layer blob",
                expected: expected.clone(),
                actual: digest,
            });
        }
    }
    if let Some(expected) = &job.expected_diff_id {
        if *expected != diff_id {
            return Err(ImageError::DiffIdMismatch {
                index: job.index,
                layer: job.label.clone(),
                expected: expected.clone(),
                actual: diff_id,
            });
        }
    }
    Ok(ScannedLayer {
        listing: walked.listing,
        unknowns,
        digest,
        diff_id,
        compressed_size,
        uncompressed_size,
        compression,
        entries: walked.entries,
    })
}
