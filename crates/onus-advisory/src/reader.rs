//! Streaming reader over advisory documents: a directory, a `.tar`/`.tar.zst` archive, or one file.
//!
//! Archives are read in place, one member at a time (never extracted); only members whose name
//! ends in `.advisories.yaml` are read. A file that cannot be read or decoded is yielded as an
//! `Err` naming it, and reading carries on with the next one.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};

use crate::error::AdvisoryError;
use crate::model::Document;
use crate::parse::parse_document;

/// The largest document accepted (the largest real Wolfi document is about 150 KB).
pub const MAX_DOCUMENT_BYTES: u64 = 16 * 1024 * 1024;

/// The file-name suffix of advisory documents.
pub const DOCUMENT_SUFFIX: &str = ".advisories.yaml";

const BLOCK: usize = 512;
const MAX_LONG_NAME: u64 = 64 * 1024;
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// Iterate over the parsed documents under `path` (directory, `.tar`, `.tar.zst` or one file).
///
/// Items are `(file name, document)`; the name is the path inside the directory or archive.
/// Directory entries are read in name order (not recursively); archive members in archive order.
pub fn read_documents(path: impl AsRef<Path>) -> Documents {
    Documents {
        files: read_files(path),
    }
}

/// Iterate over the raw bytes of every `*.advisories.yaml` under `path` (same rules as
/// [`read_documents`]), for callers that decode the YAML themselves.
pub fn read_files(path: impl AsRef<Path>) -> RawFiles {
    let path = path.as_ref();
    let display = path.display().to_string();
    let source = match open_source(path) {
        Ok(source) => source,
        Err(source) => Source::Failed(Some(AdvisoryError::Io {
            path: display,
            source,
        })),
    };
    RawFiles { source }
}

/// Iterator returned by [`read_documents`].
pub struct Documents {
    files: RawFiles,
}

impl Iterator for Documents {
    type Item = Result<(String, Document), AdvisoryError>;

    fn next(&mut self) -> Option<Self::Item> {
        let item = self.files.next()?;
        Some(item.and_then(|(name, bytes)| parse_document(&bytes, &name).map(|doc| (name, doc))))
    }
}

/// Iterator returned by [`read_files`]: `(file name, bytes)`.
pub struct RawFiles {
    source: Source,
}

enum Source {
    Files {
        root: PathBuf,
        names: std::vec::IntoIter<String>,
    },
    Tar(TarStream<Box<dyn Read>>),
    Failed(Option<AdvisoryError>),
}

impl Iterator for RawFiles {
    type Item = Result<(String, Vec<u8>), AdvisoryError>;

    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.source {
            Source::Failed(err) => err.take().map(Err),
            Source::Files { root, names } => {
                let name = names.next()?;
                let full = root.join(&name);
                Some(read_capped(&full).map(|bytes| (name, bytes)))
            }
            Source::Tar(stream) => stream.next(),
        }
    }
}

fn read_capped(path: &Path) -> Result<Vec<u8>, AdvisoryError> {
    let display = || path.display().to_string();
    let file = File::open(path).map_err(|source| AdvisoryError::Io {
        path: display(),
        source,
    })?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    if size > MAX_DOCUMENT_BYTES {
        return Err(AdvisoryError::TooLarge {
            path: display(),
            size,
            limit: MAX_DOCUMENT_BYTES,
        });
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    file.take(MAX_DOCUMENT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| AdvisoryError::Io {
            path: display(),
            source,
        })?;
    if bytes.len() as u64 > MAX_DOCUMENT_BYTES {
        return Err(AdvisoryError::TooLarge {
            path: display(),
            size: bytes.len() as u64,
            limit: MAX_DOCUMENT_BYTES,
        });
    }
    Ok(bytes)
}

fn open_source(path: &Path) -> io::Result<Source> {
    let meta = std::fs::metadata(path)?;
    if meta.is_dir() {
        let mut names = Vec::new();
        for entry in std::fs::read_dir(path)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(DOCUMENT_SUFFIX)
                && entry.file_type().map(|t| !t.is_dir()).unwrap_or(false)
            {
                names.push(name);
            }
        }
        names.sort();
        return Ok(Source::Files {
            root: path.to_path_buf(),
            names: names.into_iter(),
        });
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if name.ends_with(DOCUMENT_SUFFIX) {
        let root = path.parent().map(Path::to_path_buf).unwrap_or_default();
        return Ok(Source::Files {
            root,
            names: vec![name].into_iter(),
        });
    }
    let mut file = BufReader::new(File::open(path)?);
    let mut magic = [0u8; 4];
    let n = read_up_to(&mut file, &mut magic)?;
    let head = io::Cursor::new(magic[..n].to_vec()).chain(file);
    let reader: Box<dyn Read> = if n == 4 && magic == ZSTD_MAGIC {
        Box::new(zstd::stream::read::Decoder::new(head)?)
    } else {
        Box::new(head)
    };
    Ok(Source::Tar(TarStream {
        reader,
        archive: path.display().to_string(),
        done: false,
    }))
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// A forward-only tar reader that owns its input, so it can be an iterator.
///
/// Header fields are decoded by the `tar` crate; this drives the stream and handles GNU long
/// names and pax `path` records.
struct TarStream<R: Read> {
    reader: R,
    archive: String,
    done: bool,
}

impl<R: Read> TarStream<R> {
    fn fail(&mut self, source: io::Error) -> Option<Result<(String, Vec<u8>), AdvisoryError>> {
        self.done = true;
        Some(Err(AdvisoryError::Io {
            path: self.archive.clone(),
            source,
        }))
    }

    fn skip(&mut self, amount: u64) -> io::Result<()> {
        let copied = io::copy(&mut (&mut self.reader).take(amount), &mut io::sink())?;
        if copied < amount {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "truncated tar member",
            ));
        }
        Ok(())
    }

    fn read_data(&mut self, size: u64) -> io::Result<Vec<u8>> {
        let mut data =
            Vec::with_capacity(usize::try_from(size.min(MAX_DOCUMENT_BYTES)).unwrap_or(0));
        (&mut self.reader).take(size).read_to_end(&mut data)?;
        if (data.len() as u64) < size {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "truncated tar member",
            ));
        }
        self.skip(padding(size))?;
        Ok(data)
    }

    fn next(&mut self) -> Option<Result<(String, Vec<u8>), AdvisoryError>> {
        let mut long_name: Option<String> = None;
        loop {
            if self.done {
                return None;
            }
            let mut block = [0u8; BLOCK];
            match read_up_to(&mut self.reader, &mut block) {
                Ok(0) => {
                    self.done = true;
                    return None;
                }
                Ok(BLOCK) => {}
                Ok(_) => {
                    return self.fail(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "truncated tar header",
                    ))
                }
                Err(e) => return self.fail(e),
            }
            if block.iter().all(|b| *b == 0) {
                // End-of-archive marker.
                self.done = true;
                return None;
            }
            if !checksum_ok(&block) {
                return self.fail(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "bad tar header checksum",
                ));
            }
            let header = tar::Header::from_byte_slice(&block);
            let size = match header.entry_size() {
                Ok(size) => size,
                Err(e) => return self.fail(e),
            };
            let entry_type = header.entry_type();
            if entry_type.is_gnu_longname() || entry_type.is_pax_local_extensions() {
                if size > MAX_LONG_NAME {
                    return self.fail(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "oversized tar extension header",
                    ));
                }
                let data = match self.read_data(size) {
                    Ok(data) => data,
                    Err(e) => return self.fail(e),
                };
                if entry_type.is_gnu_longname() {
                    let name = data.split(|b| *b == 0).next().unwrap_or_default();
                    long_name = Some(String::from_utf8_lossy(name).into_owned());
                } else if let Some(path) = pax_path(&data) {
                    long_name = Some(path);
                }
                continue;
            }
            let name = long_name
                .take()
                .unwrap_or_else(|| String::from_utf8_lossy(&header.path_bytes()).into_owned());
            let is_document = entry_type.is_file() && name.ends_with(DOCUMENT_SUFFIX);
            if !is_document {
                if let Err(e) = self.skip(size + padding(size)) {
                    return self.fail(e);
                }
                continue;
            }
            if size > MAX_DOCUMENT_BYTES {
                if let Err(e) = self.skip(size + padding(size)) {
                    return self.fail(e);
                }
                return Some(Err(AdvisoryError::TooLarge {
                    path: name,
                    size,
                    limit: MAX_DOCUMENT_BYTES,
                }));
            }
            return match self.read_data(size) {
                Ok(data) => Some(Ok((name, data))),
                Err(e) => self.fail(e),
            };
        }
    }
}

fn padding(size: u64) -> u64 {
    (BLOCK as u64 - size % BLOCK as u64) % BLOCK as u64
}

fn checksum_ok(block: &[u8; BLOCK]) -> bool {
    let header = tar::Header::from_byte_slice(block);
    let Ok(expected) = header.cksum() else {
        return false;
    };
    let sum: u32 = block
        .iter()
        .enumerate()
        .map(|(i, b)| {
            if (148..156).contains(&i) {
                u32::from(b' ')
            } else {
                u32::from(*b)
            }
        })
        .sum();
    sum == expected
}

/// The `path` record of a pax extended header (`"<len> path=<value>\n"` records).
fn pax_path(data: &[u8]) -> Option<String> {
    let mut rest = data;
    while !rest.is_empty() {
        let space = rest.iter().position(|b| *b == b' ')?;
        let len: usize = std::str::from_utf8(&rest[..space]).ok()?.parse().ok()?;
        if len <= space || len > rest.len() {
            return None;
        }
        let record = &rest[space + 1..len];
        let record = record.strip_suffix(b"\n").unwrap_or(record);
        if let Some(value) = record.strip_prefix(b"path=") {
            return Some(String::from_utf8_lossy(value).into_owned());
        }
        rest = &rest[len..];
    }
    None
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn tar_with(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        for (name, data) in entries {
            let mut header = tar::Header::new_gnu();
            header.set_size(data.len() as u64);
            header.set_mode(0o644);
            header.set_entry_type(tar::EntryType::Regular);
            builder.append_data(&mut header, name, *data).unwrap();
        }
        builder.into_inner().unwrap()
    }

    #[test]
    fn tar_stream_reads_documents_and_long_names() {
        let long = format!("{}/x.advisories.yaml", "d".repeat(150));
        let bytes = tar_with(&[
            ("a.advisories.yaml", b"one"),
            ("README.md", b"skip me"),
            (&long, b"two two"),
            ("empty.advisories.yaml", b""),
        ]);
        let mut stream = TarStream {
            reader: io::Cursor::new(bytes),
            archive: "t.tar".into(),
            done: false,
        };
        let mut got = Vec::new();
        while let Some(item) = stream.next() {
            let (name, data) = item.unwrap();
            got.push((name, data));
        }
        assert_eq!(
            got,
            vec![
                ("a.advisories.yaml".to_string(), b"one".to_vec()),
                (long, b"two two".to_vec()),
                ("empty.advisories.yaml".to_string(), Vec::new()),
            ]
        );
    }

    #[test]
    fn truncated_tar_is_an_error_not_a_panic() {
        let bytes = tar_with(&[("a.advisories.yaml", &[b'x'; 2000])]);
        for cut in [10, 512, 700, 1500] {
            let mut stream = TarStream {
                reader: io::Cursor::new(bytes[..cut].to_vec()),
                archive: "t.tar".into(),
                done: false,
            };
            let first = stream.next();
            assert!(matches!(first, Some(Err(_))), "cut {cut}");
            assert!(stream.next().is_none());
        }
    }

    #[test]
    fn missing_path_yields_one_error() {
        let mut it = read_documents("/nonexistent/onus/advisories");
        assert!(matches!(it.next(), Some(Err(AdvisoryError::Io { .. }))));
        assert!(it.next().is_none());
    }

    #[test]
    fn pax_records() {
        let rec = b"28 path=some/long/name.yaml\n20 mtime=1700000000\n";
        assert_eq!(pax_path(rec).as_deref(), Some("some/long/name.yaml"));
        assert_eq!(pax_path(b"garbage"), None);
    }
}
