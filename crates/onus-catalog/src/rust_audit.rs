//! Rust binaries built with `cargo auditable`: their `.dep-v0` section (ELF, PE and Mach-O
//! alike) holds the crate graph as zlib-compressed JSON (`{"packages":[…]}`).
//!
//! The section's place is only known from the section headers at the end of the file, so the
//! sink finds it by content while the binary streams past: every zlib header is a candidate,
//! inflated only until its first bytes either are `{"packages":[` or are not. Real binaries
//! have a candidate every few tens of KiB, each dropped after a few bytes; the one that
//! matches is inflated to its end, capped (a zlib bomb in `.dep-v0` is an error, not memory).

use flate2::{Decompress, FlushDecompress, Status};
use onus_fs::ContentSink;
use onus_inventory::{make_purl, Ecosystem};
use serde::{Deserialize, Serialize};

use crate::{Cataloger, Ctx, Parsed};

/// Marks content captured by [`AuditSink`].
pub(crate) const SUMMARY_PREFIX: &[u8] = b"onus-summary:rust-audit/v1\n";
/// How the section's JSON starts.
const JSON_START: &[u8] = b"{\"packages\":[";
/// The largest inflated `.dep-v0` kept (real ones are a few KiB to a few hundred).
const MAX_JSON: usize = 8 << 20;
/// Candidates inflated at once (each is dropped after a few bytes unless it matches); past
/// this, the oldest gives way.
const MAX_CANDIDATES: usize = 64;
/// Compressed bytes a candidate may take without producing the JSON's first bytes.
const MAX_PROBE_INPUT: u64 = 4096;

struct Candidate {
    inflater: Decompress,
    out: Vec<u8>,
}

/// Streams an executable and keeps only the inflated `.dep-v0` JSON (or why it could not).
pub(crate) struct AuditSink {
    /// Whether the first bytes were an executable's magic (decided once four have arrived).
    executable: Option<bool>,
    head: Vec<u8>,
    /// The last byte of the previous chunk (a zlib header may straddle two chunks).
    last: Option<u8>,
    candidates: Vec<Candidate>,
    /// The matching candidate, inflating to its end.
    found: Option<Candidate>,
    done: bool,
    error: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct Summary {
    #[serde(skip_serializing_if = "Option::is_none")]
    json: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

impl AuditSink {
    pub(crate) fn new() -> Self {
        AuditSink {
            executable: None,
            head: Vec::new(),
            last: None,
            candidates: Vec::new(),
            found: None,
            done: false,
            error: None,
        }
    }

    /// Feed `input` to a candidate; `Some(true)` when its output starts with the JSON's start,
    /// `Some(false)` when it cannot, `None` when more input is needed. Also how many bytes of
    /// `input` it took.
    fn probe(c: &mut Candidate, input: &[u8]) -> (Option<bool>, usize) {
        let (verdict, rest) = Self::probe_inner(c, input);
        (verdict, input.len() - rest)
    }

    fn probe_inner(c: &mut Candidate, input: &[u8]) -> (Option<bool>, usize) {
        let mut buf = [0u8; 64];
        let mut input = input;
        while c.out.len() < JSON_START.len() && !input.is_empty() {
            let (status, used, made) = Self::step(c, input, &mut buf);
            input = &input[used..];
            let n = c.out.len().min(JSON_START.len());
            if c.out[..n] != JSON_START[..n] {
                return (Some(false), input.len());
            }
            match status {
                Ok(Status::StreamEnd) => {
                    return (Some(c.out.starts_with(JSON_START)), input.len());
                }
                // No progress: it needs more input than this chunk had left.
                Ok(_) if used == 0 && made == 0 => break,
                Ok(_) => {}
                Err(_) => return (Some(false), input.len()),
            }
        }
        if c.out.len() >= JSON_START.len() {
            return (Some(true), input.len());
        }
        // Compressed JSON shows its first bytes within its first block; a stream that has read
        // this much without them is not the section.
        if c.inflater.total_in() > MAX_PROBE_INPUT {
            return (Some(false), input.len());
        }
        (None, input.len())
    }

    /// Inflate more of the matching stream; true when it has ended.
    fn inflate_found(&mut self, input: &[u8]) -> bool {
        let Some(c) = self.found.as_mut() else {
            return true;
        };
        let mut input = input;
        let mut buf = vec![0u8; 32 << 10];
        loop {
            let (status, used, made) = Self::step(c, input, &mut buf);
            input = &input[used..];
            if c.out.len() > MAX_JSON {
                self.error = Some(format!(
                    "cargo-auditable data inflates past {} MiB",
                    MAX_JSON >> 20
                ));
                self.found = None;
                return true;
            }
            match status {
                Ok(Status::StreamEnd) => return true,
                Ok(_) if used == 0 && made == 0 => return false,
                Ok(_) => {}
                Err(e) => {
                    self.error = Some(format!("cargo-auditable data is not valid zlib: {e}"));
                    self.found = None;
                    return true;
                }
            }
        }
    }

    /// One inflate call: the status, and how many bytes it took and made (appended to `out`).
    fn step(
        c: &mut Candidate,
        input: &[u8],
        buf: &mut [u8],
    ) -> (Result<Status, flate2::DecompressError>, usize, usize) {
        let before_in = c.inflater.total_in();
        let before_out = c.inflater.total_out();
        let status = c.inflater.decompress(input, buf, FlushDecompress::None);
        let used = ((c.inflater.total_in() - before_in) as usize).min(input.len());
        let made = (c.inflater.total_out() - before_out) as usize;
        c.out.extend_from_slice(&buf[..made]);
        (status, used, made)
    }

    /// Keep a candidate waiting for more input, evicting the oldest at the cap.
    fn keep(&mut self, c: Candidate) {
        if self.candidates.len() >= MAX_CANDIDATES {
            self.candidates.remove(0);
        }
        self.candidates.push(c);
    }

    /// A zlib header: deflate, a 32 KiB window, no preset dictionary, a valid check.
    fn zlib_header(cmf: u8, flg: u8) -> bool {
        cmf == 0x78 && flg & 0x20 == 0 && (u16::from(cmf) << 8 | u16::from(flg)) % 31 == 0
    }
}

impl ContentSink for AuditSink {
    fn write(&mut self, chunk: &[u8]) {
        if self.done || chunk.is_empty() {
            return;
        }
        if self.executable.is_none() {
            // The magic may arrive over several chunks.
            let want = 4 - self.head.len();
            self.head.extend_from_slice(&chunk[..want.min(chunk.len())]);
            if self.head.len() < 4 {
                return;
            }
            let magic = self.head.as_slice();
            let is_exe = magic.starts_with(b"\x7fELF")
                || magic.starts_with(b"MZ")
                || matches!(
                    magic,
                    [0xfe, 0xed, 0xfa, 0xce | 0xcf]
                        | [0xce | 0xcf, 0xfa, 0xed, 0xfe]
                        | [0xca, 0xfe, 0xba, 0xbe]
                );
            self.executable = Some(is_exe);
            if !is_exe {
                self.done = true;
                return;
            }
            // The first bytes of the file went by before the decision; they are the magic,
            // no zlib stream starts in them.
        }
        if self.found.is_some() {
            if self.inflate_found(chunk) {
                self.done = true;
            }
            return;
        }
        // Candidates opened before this chunk take its bytes first; a match carries where in
        // the chunk its inflater stopped.
        let mut matched: Option<(Candidate, usize)> = None;
        let mut kept = Vec::with_capacity(self.candidates.len());
        for mut c in std::mem::take(&mut self.candidates) {
            if matched.is_some() {
                break;
            }
            match Self::probe(&mut c, chunk) {
                (Some(true), used) => matched = Some((c, used)),
                (None, _) => kept.push(c),
                _ => {}
            }
        }
        self.candidates = kept;
        if matched.is_none() {
            // A header straddling the previous chunk and this one.
            if let Some(first) = self.last.filter(|b| Self::zlib_header(*b, chunk[0])) {
                let mut c = Candidate {
                    inflater: Decompress::new(true),
                    out: Vec::new(),
                };
                let mut joined = vec![first];
                joined.extend_from_slice(chunk);
                match Self::probe(&mut c, &joined) {
                    (Some(true), used) => matched = Some((c, used.saturating_sub(1))),
                    (None, _) => self.keep(c),
                    _ => {}
                }
            }
        }
        if matched.is_none() {
            for start in memchr::memchr_iter(0x78, chunk) {
                let Some(&flg) = chunk.get(start + 1) else {
                    break;
                };
                if !Self::zlib_header(0x78, flg) {
                    continue;
                }
                let mut c = Candidate {
                    inflater: Decompress::new(true),
                    out: Vec::new(),
                };
                match Self::probe(&mut c, &chunk[start..]) {
                    (Some(true), used) => {
                        matched = Some((c, start + used));
                        break;
                    }
                    (None, _) => self.keep(c),
                    _ => {}
                }
            }
        }
        self.last = chunk.last().copied();
        if let Some((c, used)) = matched {
            self.candidates.clear();
            self.found = Some(c);
            if self.inflate_found(chunk.get(used..).unwrap_or(&[])) {
                self.done = true;
            }
        }
    }

    fn finish(self: Box<Self>) -> Option<Vec<u8>> {
        if self.executable != Some(true) {
            return None;
        }
        let summary = match (self.found, self.error) {
            (_, Some(error)) => Summary {
                json: None,
                error: Some(error),
            },
            (Some(c), None) => match String::from_utf8(c.out) {
                Ok(json) => Summary {
                    json: Some(json),
                    error: None,
                },
                Err(_) => Summary {
                    json: None,
                    error: Some("cargo-auditable data is not UTF-8".to_string()),
                },
            },
            (None, None) => return None,
        };
        let mut out = SUMMARY_PREFIX.to_vec();
        out.extend(serde_json::to_vec(&summary).ok()?);
        Some(out)
    }
}

/// One crate of a binary's `cargo auditable` graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditedCrate {
    pub name: String,
    pub version: String,
    /// `crates.io`, `local`, `git`, `registry`, …
    pub source: String,
    /// The binary's own crate.
    pub root: bool,
    /// Only needed to build (a build script's dependency), not linked in.
    pub build_only: bool,
    /// Names of the crates it depends on.
    pub dependencies: Vec<String>,
}

#[derive(Deserialize)]
struct AuditJson {
    packages: Vec<AuditPackage>,
}

#[derive(Deserialize)]
struct AuditPackage {
    name: String,
    version: String,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    dependencies: Vec<usize>,
    #[serde(default)]
    root: bool,
}

/// The crate graph of a `.dep-v0` JSON document.
pub fn parse_cargo_auditable(json: &[u8]) -> Result<Vec<AuditedCrate>, String> {
    let doc: AuditJson = serde_json::from_slice(json)
        .map_err(|e| format!("cargo-auditable data is not the expected JSON: {e}"))?;
    let names: Vec<&str> = doc.packages.iter().map(|p| p.name.as_str()).collect();
    doc.packages
        .iter()
        .map(|p| {
            if p.name.is_empty() || p.version.is_empty() {
                return Err("cargo-auditable package without a name or version".to_string());
            }
            let dependencies = p
                .dependencies
                .iter()
                .map(|&i| {
                    names.get(i).map(|n| (*n).to_string()).ok_or_else(|| {
                        format!("`{}` depends on package {i}, which is not listed", p.name)
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok(AuditedCrate {
                name: p.name.clone(),
                version: p.version.clone(),
                source: p.source.clone().unwrap_or_else(|| "crates.io".to_string()),
                root: p.root,
                build_only: p.kind.as_deref() == Some("build"),
                dependencies,
            })
        })
        .collect()
}

/// Files whose captured content is an [`AuditSink`] summary.
pub(crate) fn is_audit_summary(entry: &onus_fs::FileVersion) -> bool {
    entry
        .content
        .as_ref()
        .is_some_and(|c| c.bytes.starts_with(SUMMARY_PREFIX))
}

/// Catalogs the crates `cargo auditable` recorded in Rust binaries.
pub(crate) struct RustAuditCataloger;

impl Cataloger for RustAuditCataloger {
    fn name(&self) -> &'static str {
        "rust-cargo-auditable"
    }

    fn matches(&self, _path: &str, entry: &onus_fs::FileVersion) -> bool {
        is_audit_summary(entry)
    }

    fn needs_content(&self) -> bool {
        false
    }

    fn parse(&self, _ctx: &Ctx<'_>, path: &str, bytes: &[u8], _complete: bool) -> Parsed {
        let mut parsed = Parsed::default();
        let Some(body) = bytes.strip_prefix(SUMMARY_PREFIX) else {
            return parsed;
        };
        let summary: Summary = match serde_json::from_slice(body) {
            Ok(s) => s,
            Err(e) => {
                parsed.unknowns.push(crate::unknown(
                    path,
                    format!("cargo-auditable summary: {e}"),
                ));
                return parsed;
            }
        };
        let crates = match (summary.json, summary.error) {
            (_, Some(error)) => Err(error),
            (Some(json), None) => parse_cargo_auditable(json.as_bytes()),
            (None, None) => Ok(Vec::new()),
        };
        match crates {
            Ok(crates) => {
                let root = crates.iter().find(|c| c.root).map(|c| c.name.clone());
                // Crates linked in from a registry: local and git crates have no advisories
                // under their name, and build-only crates are not in the binary.
                for c in crates.iter().filter(|c| !c.root && !c.build_only) {
                    if c.source != "crates.io" {
                        continue;
                    }
                    let dependencies = (!c.dependencies.is_empty())
                        .then(|| ("dependencies", c.dependencies.join(",")));
                    let binary = root.clone().map(|r| ("binary_crate", r));
                    crate::push_package(
                        &mut parsed,
                        (&c.name, &c.version),
                        Ecosystem::Cargo,
                        make_purl("cargo", None, &c.name, &c.version, &[]),
                        path,
                        dependencies.into_iter().chain(binary),
                    );
                }
            }
            Err(reason) => parsed.unknowns.push(crate::unknown(path, reason)),
        }
        parsed
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::io::Write;

    use super::*;

    const GRAPH: &str = r#"{"packages":[{"name":"demo","version":"0.1.0","source":"local","dependencies":[1,2],"root":true},{"name":"itoa","version":"1.0.9","source":"crates.io"},{"name":"cc","version":"1.0.83","source":"crates.io","kind":"build"}]}"#;

    fn zlib(bytes: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::new(7));
        e.write_all(bytes).unwrap();
        e.finish().unwrap()
    }

    /// A fake ELF with the section buried between noise that holds decoy zlib headers.
    fn binary(section: &[u8]) -> Vec<u8> {
        let mut b = b"\x7fELF\x02\x01\x01".to_vec();
        b.extend(std::iter::repeat_n(0x78u8, 1).chain([0x9c, 0x01, 0x02, 0x78, 0xda, 0xff]));
        b.extend((0..50_000u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8));
        b.extend_from_slice(section);
        b.extend((0..20_000u32).map(|i| (i.wrapping_mul(40503) >> 7) as u8));
        b
    }

    fn sink_output(bytes: &[u8], chunk: usize) -> Option<Vec<u8>> {
        let mut sink = Box::new(AuditSink::new());
        for part in bytes.chunks(chunk) {
            sink.write(part);
        }
        sink.finish()
    }

    #[test]
    fn finds_the_section_whatever_the_chunking() {
        let bin = binary(&zlib(GRAPH.as_bytes()));
        for chunk in [1, 7, 4096, 65536, bin.len()] {
            let out =
                sink_output(&bin, chunk).unwrap_or_else(|| panic!("nothing at chunk {chunk}"));
            let view = crate::testutil::ViewBuilder::new().layer().build();
            let ctx = Ctx {
                view: &view,
                os: None,
            };
            let parsed = RustAuditCataloger.parse(&ctx, "/usr/bin/demo", &out, true);
            let names: Vec<(&str, &str)> = parsed
                .components
                .iter()
                .map(|c| (c.name.as_str(), c.purl.as_str()))
                .collect();
            assert_eq!(names, [("itoa", "pkg:cargo/itoa@1.0.9")], "chunk {chunk}");
            assert_eq!(parsed.components[0].metadata["binary_crate"], "demo");
        }
    }

    #[test]
    fn other_files_and_bombs() {
        // Not an executable: nothing kept.
        assert!(sink_output(b"hello world, not a binary", 4).is_none());
        // An executable without the section: nothing kept.
        assert!(sink_output(&binary(b""), 4096).is_none());
        // A bomb: the JSON start, then far more than the cap.
        let mut bomb = GRAPH.as_bytes()[..13].to_vec();
        bomb.extend(std::iter::repeat_n(b' ', MAX_JSON + 1024));
        let out = sink_output(&binary(&zlib(&bomb)), 65536).unwrap();
        let text = String::from_utf8_lossy(&out);
        assert!(text.contains("inflates past"), "{text}");
        // A graph naming a package that is not listed.
        assert!(parse_cargo_auditable(
            br#"{"packages":[{"name":"a","version":"1","dependencies":[5]}]}"#
        )
        .is_err());
        assert!(parse_cargo_auditable(b"[]").is_err());
    }
}
