//! The Go capture sink: stream-scans an executable for the build-info header and keeps only the
//! two build-info strings, never the binary.
//!
//! Memory per file is bounded and small whatever the binary's size: the first bytes of an ELF
//! file (its program headers), a 15-byte overlap between chunks, the bytes after the header
//! (capped) and, for the pre-1.18 pointer format, a bounded set of candidate strings (the
//! sentinel-wrapped module info and `go1.` version strings) with their file offsets. The pointer
//! format's strings live in `.rodata`, before the header in `.go.buildinfo`, so they are kept as
//! candidates while streaming and picked by offset once the header's pointers are known.

use std::sync::OnceLock;

use memchr::memmem::Finder;
use onus_fs::ContentSink;

use crate::golang::{
    header_ok, read_inline_strings, strip_sentinels, Elf, GoSummary, ALIGN, FLAG_BIG_ENDIAN,
    FLAG_INLINE, HEADER_SIZE, MAGIC, MAX_STRING, SENTINEL_LEN, SUMMARY_PREFIX,
};

/// Start sentinel of `runtime.modinfo`.
pub(crate) const MODINFO_START: &[u8; SENTINEL_LEN] =
    b"0w\xaf\x0c\x92t\x08\x02A\xe1\xc1\x07\xe6\xd6\x18\xe6";
/// End sentinel of `runtime.modinfo`.
pub(crate) const MODINFO_END: &[u8; SENTINEL_LEN] = b"\xf92C1\x86\x18 r\x00\x82B\x10A\x16\xd8\xf2";
/// How a Go version string starts (`go1.16.5`).
const VERSION_PREFIX: &[u8] = b"go1.";
/// Bytes carried from one chunk to the next: the longest pattern minus one.
const OVERLAP: usize = SENTINEL_LEN - 1;
/// Bytes kept from the start of an ELF file (header and program headers).
const HEAD_BYTES: usize = 16 << 10;
/// Bytes kept after each `go1.` candidate.
const VERSION_BYTES: usize = 64;
/// `go1.` candidates kept (the version string is in `.rodata`, early in the file).
const MAX_VERSION_CANDIDATES: usize = 512;
/// Longest module-info candidate kept (sentinels included); real ones are a few KiB.
const MODINFO_BYTES: usize = 256 << 10;
/// Module-info candidates kept (complete or in progress).
const MAX_MODINFO_CANDIDATES: usize = 4;
/// Marks a module-info candidate whose end sentinel was found.
const COMPLETE: usize = usize::MAX;
/// Magic matches waiting for the rest of their header.
const MAX_PENDING_HEADERS: usize = 8;

struct Finders {
    magic: Finder<'static>,
    start: Finder<'static>,
    end: Finder<'static>,
    version: Finder<'static>,
}

fn finders() -> &'static Finders {
    static FINDERS: OnceLock<Finders> = OnceLock::new();
    FINDERS.get_or_init(|| Finders {
        magic: Finder::new(MAGIC),
        start: Finder::new(MODINFO_START),
        end: Finder::new(MODINFO_END),
        version: Finder::new(VERSION_PREFIX),
    })
}

/// Bytes of the stream from file offset `start`, up to `want` of them.
#[derive(Debug)]
struct Grab {
    start: u64,
    bytes: Vec<u8>,
    want: usize,
}

impl Grab {
    fn new(start: u64, want: usize) -> Self {
        Grab {
            start,
            bytes: Vec::new(),
            want,
        }
    }

    fn full(&self) -> bool {
        self.bytes.len() >= self.want
    }

    /// Take what this grab still wants from `chunk`, which starts at file offset `at`.
    fn feed(&mut self, chunk: &[u8], at: u64) {
        if self.full() {
            return;
        }
        let next = self.start + self.bytes.len() as u64;
        let Some(from) = next.checked_sub(at).and_then(|d| usize::try_from(d).ok()) else {
            return;
        };
        let Some(rest) = chunk.get(from..) else {
            return;
        };
        let take = rest.len().min(self.want - self.bytes.len());
        self.bytes.extend_from_slice(&rest[..take]);
    }
}

/// What the first bytes say about the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    /// Fewer than four bytes seen yet.
    Unknown,
    Elf,
    /// PE, Mach-O or XCOFF: the inline format is read; the pointer format needs ELF.
    OtherExecutable,
}

/// The selected build-info header and what follows it.
#[derive(Debug)]
enum Header {
    /// Go 1.18+: the strings follow the header.
    Inline(Grab),
    /// Pre-1.18: pointers to two Go string headers, read as the stream passes them.
    Pointer {
        ptr_size: usize,
        big_endian: bool,
        version: Grab,
        modinfo: Grab,
    },
    /// The header is there but cannot be read; the reason.
    Broken(String),
}

/// Streams an executable and keeps only the build-info summary of a Go binary (see the module
/// documentation for what is kept).
pub(crate) struct GoSink {
    /// File offset of the next byte.
    pos: u64,
    format: Format,
    /// The first bytes of the file (all of [`HEAD_BYTES`] for ELF, four otherwise).
    head: Vec<u8>,
    /// The last [`OVERLAP`] bytes seen.
    carry: Vec<u8>,
    /// Magic matches at aligned offsets, waiting for the rest of their 32-byte header.
    pending: Vec<Grab>,
    header: Option<Header>,
    /// `runtime.modinfo` candidates: sentinel-wrapped text and where it starts.
    modinfo: Vec<Grab>,
    /// Bytes of each modinfo candidate already searched for the end sentinel ([`COMPLETE`] once
    /// it was found).
    modinfo_searched: Vec<usize>,
    /// `go1.` candidates and where they start.
    versions: Vec<Grab>,
    /// Bytes kept after an inline header.
    window: usize,
    /// Nothing more is needed (not an executable, or the header has been read).
    done: bool,
}

impl GoSink {
    /// `window`: bytes kept after an inline header (the version and module strings).
    pub(crate) fn new(window: usize) -> Self {
        GoSink {
            pos: 0,
            format: Format::Unknown,
            head: Vec::new(),
            carry: Vec::new(),
            pending: Vec::new(),
            header: None,
            modinfo: Vec::new(),
            modinfo_searched: Vec::new(),
            versions: Vec::new(),
            window: window.max(HEADER_SIZE),
            done: false,
        }
    }

    /// Keep the file's first bytes and decide its format once four are there.
    fn sniff(&mut self, chunk: &[u8]) {
        let keep = if self.format == Format::Elf || self.format == Format::Unknown {
            HEAD_BYTES
        } else {
            4
        };
        if self.head.len() < keep {
            let take = chunk.len().min(keep - self.head.len());
            self.head.extend_from_slice(&chunk[..take]);
        }
        if self.format == Format::Unknown && self.head.len() >= 4 {
            self.format = match executable_format(&self.head) {
                Some(format) => format,
                None => {
                    self.done = true;
                    Format::Unknown
                }
            };
            if self.format != Format::Elf {
                self.head.truncate(4);
            }
        }
    }

    /// Feed every open grab with `chunk` (at file offset `at`).
    fn feed_all(&mut self, chunk: &[u8], at: u64) {
        for grab in &mut self.pending {
            grab.feed(chunk, at);
        }
        match &mut self.header {
            Some(Header::Inline(grab)) => grab.feed(chunk, at),
            Some(Header::Pointer {
                version, modinfo, ..
            }) => {
                version.feed(chunk, at);
                modinfo.feed(chunk, at);
            }
            _ => {}
        }
        for grab in &mut self.modinfo {
            grab.feed(chunk, at);
        }
        for grab in &mut self.versions {
            grab.feed(chunk, at);
        }
    }

    /// Find the patterns that start in `data` (at file offset `at`) before `limit` bytes.
    fn find_new(&mut self, data: &[u8], at: u64, limit: usize) {
        let finders = finders();
        let before = |i: &usize| *i < limit;
        if self.header.is_none() {
            for i in finders.magic.find_iter(data).take_while(before) {
                let offset = at + i as u64;
                if !offset.is_multiple_of(ALIGN) {
                    continue;
                }
                // A header wholly in `data` is judged at once (any number of bogus ones); only
                // one cut by the chunk's end waits for the next chunk.
                match data.get(i..i + HEADER_SIZE) {
                    Some(header) if header_ok(header) => {
                        let mut grab = Grab::new(offset, HEADER_SIZE);
                        grab.bytes.extend_from_slice(header);
                        self.pending.push(grab);
                        break;
                    }
                    Some(_) => {}
                    None if self.pending.len() < MAX_PENDING_HEADERS => {
                        self.pending.push(Grab::new(offset, HEADER_SIZE));
                    }
                    None => {}
                }
            }
        }
        if self.format == Format::Elf && !self.pointer_resolved() {
            for i in finders.start.find_iter(data).take_while(before) {
                if self.modinfo.len() >= MAX_MODINFO_CANDIDATES {
                    break;
                }
                self.modinfo.push(Grab::new(at + i as u64, MODINFO_BYTES));
                self.modinfo_searched.push(0);
            }
            for i in finders.version.find_iter(data).take_while(before) {
                if self.versions.len() >= MAX_VERSION_CANDIDATES {
                    break;
                }
                self.versions.push(Grab::new(at + i as u64, VERSION_BYTES));
            }
        }
    }

    /// True once the pointer-format strings can no longer change (no need for candidates).
    fn pointer_resolved(&self) -> bool {
        matches!(self.header, Some(Header::Inline(_) | Header::Broken(_)))
    }

    /// Promote the first complete, valid header; drop invalid ones; settle modinfo candidates.
    fn settle(&mut self, chunk: &[u8]) {
        if self.header.is_none() {
            let mut chosen = None;
            let mut index = 0;
            while index < self.pending.len() {
                if !self.pending[index].full() {
                    index += 1;
                    continue;
                }
                let grab = self.pending.remove(index);
                if header_ok(&grab.bytes) {
                    chosen = Some(grab);
                    break;
                }
            }
            if let Some(grab) = chosen {
                self.pending.clear();
                self.header = Some(self.open_header(grab));
                // The bytes after the header may already be in this chunk (or the carry).
                let carry = std::mem::take(&mut self.carry);
                let carry_at = self.pos - carry.len() as u64;
                self.feed_header(&carry, carry_at);
                self.feed_header(chunk, self.pos);
                self.carry = carry;
            }
        }
        let end = finders();
        let mut index = 0;
        while index < self.modinfo.len() {
            let grab = &mut self.modinfo[index];
            let searched = self.modinfo_searched[index];
            if searched == COMPLETE {
                index += 1;
                continue;
            }
            let from = searched.saturating_sub(OVERLAP).max(SENTINEL_LEN);
            let found = grab
                .bytes
                .get(from..)
                .and_then(|rest| end.end.find(rest))
                .map(|i| from + i + SENTINEL_LEN);
            match found {
                Some(stop) => {
                    grab.bytes.truncate(stop);
                    grab.bytes.shrink_to_fit();
                    grab.want = stop;
                    self.modinfo_searched[index] = COMPLETE;
                    index += 1;
                }
                None if grab.full() => {
                    self.modinfo.remove(index);
                    self.modinfo_searched.remove(index);
                }
                None => {
                    self.modinfo_searched[index] = grab.bytes.len();
                    index += 1;
                }
            }
        }
        if self.pointer_resolved() {
            self.modinfo.clear();
            self.modinfo_searched.clear();
            self.versions.clear();
        }
        match &self.header {
            Some(Header::Inline(grab))
                if grab.full() || read_inline_strings(&grab.bytes).is_ok() =>
            {
                self.done = true;
            }
            Some(Header::Broken(_)) => self.done = true,
            Some(Header::Pointer {
                version, modinfo, ..
            }) => self.done = version.full() && modinfo.full(),
            _ => {}
        }
    }

    fn feed_header(&mut self, data: &[u8], at: u64) {
        match &mut self.header {
            Some(Header::Inline(grab)) => grab.feed(data, at),
            Some(Header::Pointer {
                version, modinfo, ..
            }) => {
                version.feed(data, at);
                modinfo.feed(data, at);
            }
            _ => {}
        }
    }

    /// Turn a valid 32-byte header into what is read next.
    fn open_header(&self, grab: Grab) -> Header {
        let flags = grab.bytes.get(15).copied().unwrap_or(0);
        if flags & FLAG_INLINE != 0 {
            let mut inline = Grab::new(grab.start, HEADER_SIZE.saturating_add(self.window));
            inline.bytes = grab.bytes;
            return Header::Inline(inline);
        }
        if self.format != Format::Elf {
            return Header::Broken(
                "build info uses the pre-1.18 pointer format and the binary is not a readable ELF file"
                    .to_string(),
            );
        }
        let ptr_size = usize::from(grab.bytes.get(14).copied().unwrap_or(0));
        let big_endian = flags & FLAG_BIG_ENDIAN != 0;
        let elf = match Elf::parse(&self.head) {
            Ok(elf) => elf,
            Err(e) => return Header::Broken(e),
        };
        let pointer = |at: usize| {
            grab.bytes
                .get(at..at + ptr_size)
                .map(|b| crate::golang::decode(b, big_endian))
        };
        let (Some(version_ptr), Some(modinfo_ptr)) = (pointer(16), pointer(16 + ptr_size)) else {
            return Header::Broken("build info header is cut short".to_string());
        };
        let want = 2 * ptr_size;
        let locate = |addr: u64| {
            elf.offset_of(addr, want as u64).ok_or_else(|| {
                format!("build info pointer `{addr:#x}` does not point into the binary")
            })
        };
        let (version_at, modinfo_at) = match (locate(version_ptr), locate(modinfo_ptr)) {
            (Ok(v), Ok(m)) => (v, m),
            (Err(e), _) | (_, Err(e)) => return Header::Broken(e),
        };
        let seen_from = self.pos.saturating_sub(self.carry.len() as u64);
        if version_at < seen_from || modinfo_at < seen_from {
            return Header::Broken(
                "build info string headers lie before the build info header".to_string(),
            );
        }
        Header::Pointer {
            ptr_size,
            big_endian,
            version: Grab::new(version_at, want),
            modinfo: Grab::new(modinfo_at, want),
        }
    }

    /// The pointer format: follow the string headers to the candidates kept by offset.
    fn resolve_pointers(
        &self,
        ptr_size: usize,
        big_endian: bool,
        version: &Grab,
        modinfo: &Grab,
    ) -> Result<(String, String), String> {
        let elf = Elf::parse(&self.head)?;
        let string = |grab: &Grab| -> Result<(u64, u64), String> {
            if !grab.full() {
                return Err("the binary ends before the build info string headers".to_string());
            }
            let data = crate::golang::decode(&grab.bytes[..ptr_size], big_endian);
            let len = crate::golang::decode(&grab.bytes[ptr_size..2 * ptr_size], big_endian);
            if len > MAX_STRING {
                return Err(format!(
                    "build info string at `{data:#x}` claims `{len}` bytes"
                ));
            }
            if len == 0 {
                return Ok((0, 0));
            }
            let offset = elf.offset_of(data, len).ok_or_else(|| {
                format!("build info pointer `{data:#x}` does not point into the binary")
            })?;
            Ok((offset, len))
        };
        let (modinfo_at, modinfo_len) = string(modinfo)?;
        let modinfo_text = if modinfo_len == 0 {
            String::new()
        } else {
            let found = self
                .modinfo
                .iter()
                .find(|g| g.start == modinfo_at && g.bytes.len() as u64 >= modinfo_len)
                .ok_or("the module info string was not found where the build info points")?;
            let len = usize::try_from(modinfo_len).map_err(|e| e.to_string())?;
            strip_sentinels(&found.bytes[..len])
        };
        // A version string that is not `go1.…` (a `devel` toolchain) is left empty: the modules
        // are still reported, without `stdlib`.
        let version_text = match string(version) {
            Ok((at, len)) if len > 0 => self
                .versions
                .iter()
                .find(|g| g.start == at && g.bytes.len() as u64 >= len)
                .and_then(|g| g.bytes.get(..usize::try_from(len).ok()?))
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .unwrap_or_default(),
            _ => String::new(),
        };
        Ok((version_text, modinfo_text))
    }

    fn summary(&self) -> Option<GoSummary> {
        let strings = match self.header.as_ref()? {
            Header::Inline(grab) => read_inline_strings(&grab.bytes),
            Header::Pointer {
                ptr_size,
                big_endian,
                version,
                modinfo,
            } => self.resolve_pointers(*ptr_size, *big_endian, version, modinfo),
            Header::Broken(reason) => Err(reason.clone()),
        };
        Some(match strings {
            Ok((version, modinfo)) => GoSummary {
                go_version: Some(version),
                modinfo: Some(modinfo),
                error: None,
            },
            Err(error) => GoSummary {
                error: Some(error),
                ..GoSummary::default()
            },
        })
    }
}

/// The executable format announced by the first four bytes, if any.
fn executable_format(head: &[u8]) -> Option<Format> {
    match head.get(..4)? {
        b"\x7fELF" => Some(Format::Elf),
        [b'M', b'Z', ..]
        | [0xfe, 0xed, 0xfa, 0xce | 0xcf]
        | [0xce | 0xcf, 0xfa, 0xed, 0xfe]
        | [0x01, 0xdf | 0xf7, ..] => Some(Format::OtherExecutable),
        _ => None,
    }
}

impl ContentSink for GoSink {
    fn write(&mut self, chunk: &[u8]) {
        if self.done || chunk.is_empty() {
            return;
        }
        if self.head.len() < HEAD_BYTES && self.format != Format::OtherExecutable {
            self.sniff(chunk);
            if self.done {
                return;
            }
        }
        let at = self.pos;
        // Open grabs take their bytes first; then new matches: those straddling the previous
        // chunk (found in the carry plus this chunk's first bytes), then those inside the chunk.
        self.feed_all(chunk, at);
        if !self.carry.is_empty() {
            let carry_len = self.carry.len();
            let carry_at = at - carry_len as u64;
            let mut joint = self.carry.clone();
            joint.extend_from_slice(&chunk[..chunk.len().min(OVERLAP)]);
            let first_new = self.new_indices();
            self.find_new(&joint, carry_at, carry_len);
            self.feed_new(first_new, &joint, carry_at);
            self.feed_new(first_new, chunk, at);
        }
        let first_new = self.new_indices();
        self.find_new(chunk, at, chunk.len());
        self.feed_new(first_new, chunk, at);
        self.settle(chunk);
        // The next carry: the last OVERLAP bytes of carry + chunk.
        let mut next = std::mem::take(&mut self.carry);
        next.extend_from_slice(&chunk[chunk.len().saturating_sub(OVERLAP)..]);
        let excess = next.len().saturating_sub(OVERLAP);
        next.drain(..excess);
        self.carry = next;
        self.pos += chunk.len() as u64;
    }

    fn finish(self: Box<Self>) -> Option<Vec<u8>> {
        let summary = self.summary()?;
        let mut out = SUMMARY_PREFIX.to_vec();
        out.extend(serde_json::to_vec(&summary).ok()?);
        Some(out)
    }
}

/// Where the grabs added by the next [`GoSink::find_new`] start, per list.
#[derive(Clone, Copy)]
struct NewIndices {
    pending: usize,
    modinfo: usize,
    versions: usize,
}

impl GoSink {
    fn new_indices(&self) -> NewIndices {
        NewIndices {
            pending: self.pending.len(),
            modinfo: self.modinfo.len(),
            versions: self.versions.len(),
        }
    }

    fn feed_new(&mut self, from: NewIndices, data: &[u8], at: u64) {
        for grab in self.pending.iter_mut().skip(from.pending) {
            grab.feed(data, at);
        }
        for grab in self.modinfo.iter_mut().skip(from.modinfo) {
            grab.feed(data, at);
        }
        for grab in self.versions.iter_mut().skip(from.versions) {
            grab.feed(data, at);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::golang::decode_content;
    use crate::golang::tests::{header_at, inline_binary, pointer_elf, MODINFO};

    fn stream(bytes: &[u8], chunk: usize) -> Option<Vec<u8>> {
        let mut sink: Box<dyn ContentSink> = Box::new(GoSink::new(1 << 16));
        for part in bytes.chunks(chunk.max(1)) {
            sink.write(part);
        }
        sink.finish()
    }

    impl GoSink {
        /// Bytes this sink holds right now.
        fn held(&self) -> usize {
            let grabs = |v: &[Grab]| v.iter().map(|g| g.bytes.capacity()).sum::<usize>();
            let header = match &self.header {
                Some(Header::Inline(g)) => g.bytes.capacity(),
                Some(Header::Pointer {
                    version, modinfo, ..
                }) => version.bytes.capacity() + modinfo.bytes.capacity(),
                _ => 0,
            };
            self.head.capacity()
                + self.carry.capacity()
                + grabs(&self.pending)
                + grabs(&self.modinfo)
                + grabs(&self.versions)
                + header
        }
    }

    #[test]
    fn keeps_only_the_summary_for_any_chunking() {
        let bin = inline_binary(64 * 1024, "go1.22.1", MODINFO);
        for chunk in [1, 7, 13, 15, 16, 17, 4096, 1 << 20] {
            let out = stream(&bin, chunk).unwrap();
            assert!(out.starts_with(SUMMARY_PREFIX));
            assert!(out.len() < 2048, "summary only");
            let info = decode_content(&out).unwrap().unwrap();
            assert_eq!(info.go_version, "go1.22.1", "chunk {chunk}");
            assert_eq!(info.deps.len(), 3, "chunk {chunk}");
        }
        let mut not_go = vec![0u8; 100_000];
        not_go[..4].copy_from_slice(b"\x7fELF");
        assert_eq!(stream(&not_go, 4096), None);
    }

    #[test]
    fn finds_a_header_deep_in_a_large_binary_with_bounded_memory() {
        // 40 MiB of code before the header, streamed in 64 KiB chunks like the tar walker does.
        let code = {
            let mut c = vec![0x90u8; 64 << 10];
            c[..4].copy_from_slice(b"\x7fELF");
            c
        };
        let mut sink = GoSink::new(1 << 20);
        sink.write(&code);
        let filler = vec![0xccu8; 64 << 10];
        let mut peak = 0;
        for _ in 1..640 {
            sink.write(&filler);
            peak = peak.max(sink.held());
        }
        let tail = inline_binary(0, "go1.23.4", MODINFO);
        for part in tail.chunks(1000) {
            sink.write(part);
            peak = peak.max(sink.held());
        }
        assert!(peak < 64 << 10, "held {peak} bytes");
        let out = Box::new(sink).finish().unwrap();
        let info = decode_content(&out).unwrap().unwrap();
        assert_eq!(info.go_version, "go1.23.4");
        assert_eq!(
            info.main.unwrap().path,
            "example.com/app",
            "the header 40 MiB in"
        );
    }

    #[test]
    fn resolves_the_pointer_format_while_streaming() {
        let elf = pointer_elf("go1.16.5", MODINFO);
        for chunk in [1, 5, 16, 100, 4096] {
            let out = stream(&elf, chunk).unwrap();
            let info = decode_content(&out).unwrap().unwrap();
            assert_eq!(info.go_version, "go1.16.5", "chunk {chunk}");
            assert_eq!(info.deps.len(), 3, "chunk {chunk}");
        }
    }

    #[test]
    fn unreadable_pointer_format_is_an_error_not_a_panic() {
        // A pointer into nowhere.
        let mut bad = pointer_elf("go1.16.5", MODINFO);
        let at = header_at(&bad) + 16;
        bad[at..at + 8].copy_from_slice(&0xdead_beefu64.to_le_bytes());
        let out = stream(&bad, 100).unwrap();
        assert!(decode_content(&out).unwrap_err().contains("does not point"));
        // The module info moved away from where the string header points.
        let mut moved = pointer_elf("go1.16.5", MODINFO);
        moved[0x300] ^= 0xff;
        let out = stream(&moved, 100).unwrap();
        assert!(decode_content(&out).unwrap_err().contains("module info"));
        // String headers before the build-info header cannot be read from a stream.
        let mut before = pointer_elf("go1.16.5", MODINFO);
        let at = header_at(&before) + 16;
        before[at..at + 8].copy_from_slice(&0x400010u64.to_le_bytes());
        let out = stream(&before, 100).unwrap();
        assert!(decode_content(&out).unwrap_err().contains("before"));
        // Not ELF: the pointer format cannot be mapped.
        let mut pe = pointer_elf("go1.16.5", MODINFO);
        pe[..4].copy_from_slice(b"MZ\x90\x00");
        let out = stream(&pe, 100).unwrap();
        assert!(decode_content(&out)
            .unwrap_err()
            .contains("not a readable ELF"));
    }

    #[test]
    fn only_executable_formats_are_scanned() {
        let mut script = inline_binary(64, "go1.22.1", MODINFO);
        script[..4].copy_from_slice(b"#!/b");
        assert_eq!(stream(&script, 10), None, "not an executable format");
        for magic in [&b"MZ\x90\x00"[..], b"\xcf\xfa\xed\xfe", b"\x01\xdf\x00\x00"] {
            let mut bin = inline_binary(64, "go1.22.1", MODINFO);
            bin[..4].copy_from_slice(magic);
            let info = decode_content(&stream(&bin, 10).unwrap()).unwrap().unwrap();
            assert_eq!(info.go_version, "go1.22.1");
        }
        assert_eq!(stream(b"\x7fE", 1), None, "too short");
    }

    #[test]
    fn many_bogus_headers_do_not_hide_the_real_one() {
        let mut bin = inline_binary(64 * 1024, "go1.22.1", MODINFO);
        for k in 1..2000 {
            let at = 16 * k;
            bin[at..at + MAGIC.len()].copy_from_slice(MAGIC);
            bin[at + 14] = 77; // not a pointer size
        }
        for chunk in [64 << 10, 1 << 20, 100] {
            let info = decode_content(&stream(&bin, chunk).unwrap())
                .unwrap()
                .unwrap();
            assert_eq!(info.go_version, "go1.22.1", "chunk {chunk}");
        }
    }

    #[test]
    fn misaligned_magic_is_ignored_and_a_later_header_found() {
        let mut bin = inline_binary(4096, "go1.22.1", MODINFO);
        bin[17..17 + MAGIC.len()].copy_from_slice(MAGIC);
        bin[32..32 + MAGIC.len()].copy_from_slice(MAGIC);
        bin[32 + 14] = 77;
        for chunk in [3, 64, 4096] {
            let info = decode_content(&stream(&bin, chunk).unwrap())
                .unwrap()
                .unwrap();
            assert_eq!(info.go_version, "go1.22.1");
        }
    }
}
