//! Reading feed inputs in place: a single file, a directory tree, or an archive (tar, tar.zst,
//! tar.gz, zip, or a single zstd/gzip-compressed file), without extracting anything to disk.

use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::error::VulnError;

/// Largest single feed file accepted (a bigger member is skipped with a warning).
const MAX_MEMBER: u64 = 256 * 1024 * 1024;
/// Largest total of decompressed bytes accepted from one input.
const MAX_TOTAL: u64 = 4 * 1024 * 1024 * 1024;

/// One file of an input, held in memory.
#[derive(Debug)]
pub(crate) struct InputFile {
    /// How warnings name it: `<input>` or `<input>!<member>`.
    pub display: String,
    /// The member path inside the input (the file name for a single file).
    pub member: String,
    pub bytes: Vec<u8>,
}

/// Every file of one input, its checksum, and what went wrong reading it.
#[derive(Debug, Default)]
pub(crate) struct ReadInput {
    pub files: Vec<InputFile>,
    /// sha256 of the input file, or of the sorted member list and contents for a directory.
    pub checksum: String,
    pub warnings: Vec<String>,
    /// Set when the container itself failed part-way (truncated or corrupt archive).
    pub incomplete: Option<String>,
}

/// Read every file of `path`.
pub(crate) fn read_input(path: &Path) -> Result<ReadInput, VulnError> {
    let io_err = |source| VulnError::Input {
        path: path.to_path_buf(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io_err)?;
    if meta.is_dir() {
        return read_dir(path);
    }
    let bytes = std::fs::read(path).map_err(io_err)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(read_bytes(&path.display().to_string(), &name, bytes))
}

/// Read an input that is already in memory (a download); `name` is its file name or URL path.
pub(crate) fn read_bytes(display: &str, name: &str, bytes: Vec<u8>) -> ReadInput {
    let checksum = hex::encode(Sha256::digest(&bytes));
    let mut out = ReadInput {
        checksum,
        ..ReadInput::default()
    };
    let lower = name.to_ascii_lowercase();
    if bytes.starts_with(b"PK\x03\x04") || lower.ends_with(".zip") {
        read_zip(display, &bytes, &mut out);
    } else if bytes.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        match zstd::stream::read::Decoder::new(bytes.as_slice()) {
            Ok(decoder) => read_compressed(display, name, decoder, &mut out),
            Err(e) => {
                out.incomplete = Some(format!("`{display}`: cannot start zstd decoding: {e}"))
            }
        }
    } else if bytes.starts_with(&[0x1f, 0x8b]) {
        read_compressed(
            display,
            name,
            flate2::read::GzDecoder::new(bytes.as_slice()),
            &mut out,
        );
    } else if is_tar(&bytes) {
        read_tar(display, bytes.as_slice(), &mut out);
    } else {
        out.files.push(InputFile {
            display: display.to_string(),
            member: name.to_string(),
            bytes,
        });
    }
    out
}

fn is_tar(bytes: &[u8]) -> bool {
    bytes.get(257..262) == Some(b"ustar".as_slice())
}

/// A compressed stream: a tar inside, or a single compressed file.
fn read_compressed<R: Read>(display: &str, name: &str, reader: R, out: &mut ReadInput) {
    let mut data = Vec::new();
    let result = reader.take(MAX_TOTAL).read_to_end(&mut data);
    if let Err(e) = result {
        // A truncated stream: keep what decoded, but say so (the tar reader sees the prefix).
        out.incomplete = Some(format!("`{display}`: decompression failed: {e}"));
    }
    if is_tar(&data) {
        read_tar(display, data.as_slice(), out);
    } else if out.incomplete.is_none() {
        let inner = name
            .trim_end_matches(".zst")
            .trim_end_matches(".gz")
            .trim_end_matches(".zstd")
            .to_string();
        out.files.push(InputFile {
            display: display.to_string(),
            member: inner,
            bytes: data,
        });
    }
}

fn read_tar<R: Read>(display: &str, reader: R, out: &mut ReadInput) {
    let mut archive = tar::Archive::new(reader);
    let entries = match archive.entries() {
        Ok(e) => e,
        Err(e) => {
            out.incomplete
                .get_or_insert(format!("`{display}`: not a readable tar archive: {e}"));
            return;
        }
    };
    for entry in entries {
        let mut entry = match entry {
            Ok(e) => e,
            Err(e) => {
                out.incomplete.get_or_insert(format!(
                    "`{display}`: tar archive is truncated or corrupt: {e}"
                ));
                return;
            }
        };
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let member = match entry.path() {
            Ok(p) => p.to_string_lossy().into_owned(),
            Err(_) => continue,
        };
        let member_display = format!("{display}!{member}");
        if entry.size() > MAX_MEMBER {
            out.warnings.push(format!(
                "`{member_display}`: skipped, larger than {MAX_MEMBER} bytes"
            ));
            continue;
        }
        let mut bytes = Vec::with_capacity(usize::try_from(entry.size()).unwrap_or(0));
        if let Err(e) = entry.read_to_end(&mut bytes) {
            out.incomplete
                .get_or_insert(format!("`{member_display}`: truncated archive member: {e}"));
            return;
        }
        out.files.push(InputFile {
            display: member_display,
            member,
            bytes,
        });
    }
}

fn read_zip(display: &str, bytes: &[u8], out: &mut ReadInput) {
    let mut archive = match zip::ZipArchive::new(std::io::Cursor::new(bytes)) {
        Ok(a) => a,
        Err(e) => {
            out.incomplete = Some(format!("`{display}`: not a readable zip archive: {e}"));
            return;
        }
    };
    for i in 0..archive.len() {
        let mut file = match archive.by_index(i) {
            Ok(f) => f,
            Err(e) => {
                out.warnings
                    .push(format!("`{display}`: zip member {i} unreadable: {e}"));
                continue;
            }
        };
        if !file.is_file() {
            continue;
        }
        let member = file.name().to_string();
        let member_display = format!("{display}!{member}");
        if file.size() > MAX_MEMBER {
            out.warnings.push(format!(
                "`{member_display}`: skipped, larger than {MAX_MEMBER} bytes"
            ));
            continue;
        }
        let mut data = Vec::new();
        if let Err(e) = (&mut file).take(MAX_MEMBER).read_to_end(&mut data) {
            out.warnings
                .push(format!("`{member_display}`: unreadable zip member: {e}"));
            continue;
        }
        out.files.push(InputFile {
            display: member_display,
            member,
            bytes: data,
        });
    }
}

fn read_dir(root: &Path) -> Result<ReadInput, VulnError> {
    let mut paths = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|source| VulnError::Input {
            path: dir.clone(),
            source,
        })?;
        for entry in entries {
            let entry = entry.map_err(|source| VulnError::Input {
                path: dir.clone(),
                source,
            })?;
            let file_type = entry.file_type().map_err(|source| VulnError::Input {
                path: entry.path(),
                source,
            })?;
            if file_type.is_dir() {
                stack.push(entry.path());
            } else if file_type.is_file() {
                paths.push(entry.path());
            }
        }
    }
    paths.sort();
    let mut out = ReadInput::default();
    let mut hasher = Sha256::new();
    for path in paths {
        let member = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .to_string_lossy()
            .into_owned();
        let bytes = std::fs::read(&path).map_err(|source| VulnError::Input {
            path: path.clone(),
            source,
        })?;
        hasher.update(member.as_bytes());
        hasher.update([0]);
        hasher.update(Sha256::digest(&bytes));
        // An archive or compressed file inside a directory (the shared data layout, a mirror of
        // the public sources) is read in place too.
        let lower = member.to_ascii_lowercase();
        if [".zst", ".gz", ".tgz", ".zip"]
            .iter()
            .any(|ext| lower.ends_with(ext))
        {
            let inner = read_bytes(&path.display().to_string(), &member, bytes);
            out.files.extend(inner.files);
            out.warnings.extend(inner.warnings);
            if let Some(e) = inner.incomplete {
                out.warnings.push(e);
            }
        } else {
            out.files.push(InputFile {
                display: path.display().to_string(),
                member,
                bytes,
            });
        }
    }
    out.checksum = hex::encode(hasher.finalize());
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn truncated_zstd_is_incomplete() {
        let mut builder = tar::Builder::new(Vec::new());
        for i in 0..50 {
            let data = format!("{{\"id\": \"X-{i}\"}}").repeat(200);
            let mut header = tar::Header::new_gnu();
            header.set_size(data.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            builder
                .append_data(&mut header, format!("x/{i}.json"), data.as_bytes())
                .unwrap();
        }
        let tar = builder.into_inner().unwrap();
        let zst = zstd::encode_all(tar.as_slice(), 3).unwrap();
        let whole = read_bytes("t", "t.tar.zst", zst.clone());
        assert_eq!(whole.files.len(), 50);
        assert!(whole.incomplete.is_none());
        let cut = read_bytes("t", "t.tar.zst", zst[..zst.len() / 2].to_vec());
        assert!(cut.incomplete.is_some());
        assert!(cut.files.len() < 50);
    }
}
