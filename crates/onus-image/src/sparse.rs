//! PAX-format sparse files (GNU tar's formats 0.0, 0.1 and 1.0): the real name and size from
//! the `GNU.sparse.*` records, and a reader that yields the logical content (holes as zeros,
//! generated as they are read) over the bytes actually stored. GNU's old sparse headers (type
//! `S`) are decoded by the tar reader itself.

use std::io::{self, Read};

/// Map entries accepted for one file (each one is a few bytes in the archive, and bounds work).
const MAX_SEGMENTS: usize = 1 << 16;
/// Bytes of a format 1.0 map at the start of the data.
const MAX_MAP_BYTES: u64 = 1 << 20;

/// Where a PAX sparse file keeps its map of data segments.
#[derive(Debug)]
enum MapAt {
    /// In the PAX records (formats 0.0 and 0.1).
    Records(Vec<(u64, u64)>),
    /// At the start of the data, in decimal lines, padded to a block (format 1.0).
    Data,
}

/// A PAX sparse file's logical identity.
#[derive(Debug)]
pub(crate) struct PaxSparse {
    /// `GNU.sparse.name`: the real path (the header holds `GNUSparseFile.N/name`).
    pub name: Option<String>,
    /// `GNU.sparse.realsize` (1.0) or `GNU.sparse.size` (0.x): the logical size.
    pub real_size: u64,
    map: MapAt,
}

/// The `GNU.sparse.*` records of `entry`: `None` when it is not a PAX sparse file, an error
/// text when its records are unusable.
pub(crate) fn pax_sparse<R: Read>(
    entry: &mut tar::Entry<'_, R>,
) -> Option<Result<PaxSparse, String>> {
    let extensions = entry.pax_extensions().ok()??;
    let mut name = None;
    let mut size = None;
    let mut major = None;
    let mut map_text = None;
    let mut offsets = Vec::new();
    let mut numbytes = Vec::new();
    let mut any = false;
    for ext in extensions.flatten() {
        let Ok(key) = ext.key() else { continue };
        let Some(field) = key.strip_prefix("GNU.sparse.") else {
            continue;
        };
        any = true;
        let value = String::from_utf8_lossy(ext.value_bytes()).into_owned();
        match field {
            "name" => name = Some(value),
            "realsize" | "size" => size = Some(value),
            "major" => major = Some(value),
            "map" => map_text = Some(value),
            "offset" => offsets.push(value),
            "numbytes" => numbytes.push(value),
            _ => {}
        }
    }
    if !any {
        return None;
    }
    Some(decode(name, size, major, map_text, offsets, numbytes))
}

fn number(text: &str, what: &str) -> Result<u64, String> {
    text.trim().parse::<u64>().map_err(|_| {
        format!(
            "sparse {what} `{}` is not a number",
            text.chars().take(40).collect::<String>()
        )
    })
}

fn decode(
    name: Option<String>,
    size: Option<String>,
    major: Option<String>,
    map_text: Option<String>,
    offsets: Vec<String>,
    numbytes: Vec<String>,
) -> Result<PaxSparse, String> {
    let real_size = number(
        size.as_deref()
            .ok_or("sparse records without a real size")?,
        "size",
    )?;
    let map = if major.as_deref().map(str::trim) == Some("1") {
        MapAt::Data
    } else if let Some(text) = map_text {
        let numbers: Vec<u64> = text
            .split(',')
            .filter(|p| !p.trim().is_empty())
            .map(|p| number(p, "map entry"))
            .collect::<Result<_, _>>()?;
        if !numbers.len().is_multiple_of(2) {
            return Err("sparse map with an odd number of values".to_string());
        }
        MapAt::Records(numbers.chunks(2).map(|c| (c[0], c[1])).collect())
    } else {
        if offsets.len() != numbytes.len() {
            return Err("sparse offsets and sizes do not pair up".to_string());
        }
        let pairs = offsets
            .iter()
            .zip(&numbytes)
            .map(|(o, n)| Ok((number(o, "offset")?, number(n, "numbytes")?)))
            .collect::<Result<Vec<_>, String>>()?;
        MapAt::Records(pairs)
    };
    Ok(PaxSparse {
        name,
        real_size,
        map,
    })
}

/// Check a map: sorted, not overlapping, inside the logical size, and storable in `stored`.
fn check(segments: &[(u64, u64)], real_size: u64, stored: u64) -> Result<(), String> {
    if segments.len() > MAX_SEGMENTS {
        return Err(format!("sparse map of {} segments", segments.len()));
    }
    let mut end = 0u64;
    let mut data = 0u64;
    for &(offset, len) in segments {
        let stop = offset
            .checked_add(len)
            .ok_or("sparse segment past 2^64 bytes")?;
        if offset < end || stop > real_size {
            return Err("sparse segments overlap or run past the real size".to_string());
        }
        end = stop;
        data = data.saturating_add(len);
    }
    if data > stored {
        return Err(format!(
            "sparse map holds {data} bytes of data, the archive stores {stored}"
        ));
    }
    Ok(())
}

/// The logical content of a PAX sparse file over its stored bytes.
pub(crate) struct SparseReader<'a, R> {
    inner: &'a mut R,
    segments: Vec<(u64, u64)>,
    real_size: u64,
    /// Logical position.
    pos: u64,
    /// Index of the segment at or after `pos`.
    next: usize,
}

impl<'a, R: Read> SparseReader<'a, R> {
    /// Start reading `inner` (the entry's stored bytes, `stored` of them) as the logical file.
    pub(crate) fn new(inner: &'a mut R, sparse: PaxSparse, stored: u64) -> Result<Self, String> {
        let segments = match sparse.map {
            MapAt::Records(segments) => segments,
            MapAt::Data => read_data_map(inner)?,
        };
        check(&segments, sparse.real_size, stored)?;
        Ok(SparseReader {
            inner,
            segments,
            real_size: sparse.real_size,
            pos: 0,
            next: 0,
        })
    }
}

/// Read a format 1.0 map: `count\n` then `offset\nsize\n` pairs, padded to a 512-byte block.
fn read_data_map<R: Read>(inner: &mut R) -> Result<Vec<(u64, u64)>, String> {
    let mut consumed = 0u64;
    let mut line = || -> Result<u64, String> {
        let mut text = Vec::new();
        loop {
            let mut byte = [0u8; 1];
            match inner.read(&mut byte) {
                Ok(0) => return Err("sparse map ends early".to_string()),
                Ok(_) => {}
                Err(e) => return Err(format!("sparse map unreadable: {e}")),
            }
            consumed += 1;
            if consumed > MAX_MAP_BYTES {
                return Err(format!("sparse map over {MAX_MAP_BYTES} bytes"));
            }
            if byte[0] == b'\n' {
                break;
            }
            text.push(byte[0]);
        }
        number(&String::from_utf8_lossy(&text), "map entry")
    };
    let count = usize::try_from(line()?).unwrap_or(usize::MAX);
    if count > MAX_SEGMENTS {
        return Err(format!("sparse map of {count} segments"));
    }
    let mut segments = Vec::with_capacity(count);
    for _ in 0..count {
        let offset = line()?;
        let len = line()?;
        segments.push((offset, len));
    }
    let pad = (512 - consumed % 512) % 512;
    let skipped = io::copy(&mut inner.by_ref().take(pad), &mut io::sink())
        .map_err(|e| format!("sparse map unreadable: {e}"))?;
    if skipped < pad {
        return Err("sparse map ends early".to_string());
    }
    Ok(segments)
}

impl<R: Read> SparseReader<'_, R> {
    /// Fill `buf` with the zeros of the hole that ends at `hole_end`.
    fn zeros(&mut self, buf: &mut [u8], hole_end: u64, room: u64) -> io::Result<usize> {
        let n = hole_end.saturating_sub(self.pos).min(room);
        let n_usize = usize::try_from(n).unwrap_or(buf.len());
        buf.get_mut(..n_usize).unwrap_or_default().fill(0);
        self.pos += n;
        Ok(n_usize)
    }
}

impl<R: Read> Read for SparseReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let room = u64::try_from(buf.len()).unwrap_or(u64::MAX);
        // Empty segments are stepped over in a loop (a map may hold thousands of them).
        loop {
            if self.pos >= self.real_size || buf.is_empty() {
                return Ok(0);
            }
            let next = self.segments.get(self.next).copied();
            return match next {
                // Inside a hole (or past the last segment): zeros, generated only as read.
                None => self.zeros(buf, self.real_size, room),
                Some((offset, _)) if self.pos < offset => self.zeros(buf, offset, room),
                Some((offset, len)) => {
                    let left = (offset + len).saturating_sub(self.pos);
                    if left == 0 {
                        self.next += 1;
                        continue;
                    }
                    let want = usize::try_from(left.min(room)).unwrap_or(buf.len());
                    let n = self.inner.read(buf.get_mut(..want).unwrap_or_default())?;
                    if n == 0 {
                        return Err(io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            "sparse data ends early",
                        ));
                    }
                    self.pos += n as u64;
                    if self.pos == offset + len {
                        self.next += 1;
                    }
                    Ok(n)
                }
            };
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn holes_read_as_zeros_between_segments() {
        let sparse = PaxSparse {
            name: None,
            real_size: 10,
            map: MapAt::Records(vec![(2, 3), (8, 1)]),
        };
        let mut stored: &[u8] = b"abcd";
        let mut reader = SparseReader::new(&mut stored, sparse, 4).unwrap();
        let mut out = Vec::new();
        reader.read_to_end(&mut out).unwrap();
        assert_eq!(out, b"\0\0abc\0\0\0d\0");
    }

    #[test]
    fn format_one_map_in_the_data() {
        let mut data = b"2\n0\n2\n6\n1\n".to_vec();
        data.resize(512, 0);
        data.extend_from_slice(b"xyz");
        let sparse = PaxSparse {
            name: Some("f".into()),
            real_size: 7,
            map: MapAt::Data,
        };
        let mut stored: &[u8] = &data;
        let mut reader = SparseReader::new(&mut stored, sparse, data.len() as u64).unwrap();
        let mut out = Vec::new();
        reader.read_to_end(&mut out).unwrap();
        assert_eq!(out, b"xy\0\0\0\0z");
    }

    #[test]
    fn bad_maps_are_refused() {
        assert!(check(&[(5, 5), (4, 1)], 100, 100).is_err());
        assert!(check(&[(0, 10)], 5, 100).is_err());
        assert!(check(&[(0, 10)], 50, 5).is_err());
        assert!(check(&[(u64::MAX, 2)], u64::MAX, 5).is_err());
        assert!(decode(None, Some("x".into()), None, None, vec![], vec![]).is_err());
        assert!(decode(
            None,
            Some("9".into()),
            None,
            Some("1,2,3".into()),
            vec![],
            vec![]
        )
        .is_err());
    }
}
