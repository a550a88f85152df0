//! The store's whole-file checksum.
//!
//! Row counts catch a dropped or emptied table, but garbage bytes inside a page (a bad disk, a
//! half-copied file) can leave every count right and still change what a lookup answers. So a
//! finished store is sealed: the CRC-32 of the whole file, with the four header bytes of
//! SQLite's `user_version` read as zero, is written into those four bytes. `user_version` is
//! the header field SQLite leaves to the application; the store never uses it otherwise, and
//! a store is never written after it is sealed (updates rename a new file over the old one).

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

/// Byte range of `user_version` in the SQLite file header (big-endian u32).
const SEAL_OFFSET: usize = 60;
const SEAL_LEN: usize = 4;
/// Bytes of the header that must be present for a file to be a store at all.
const HEADER_LEN: usize = 100;

/// CRC-32 of the file with the seal bytes read as zero, and the seal the file holds.
fn compute(path: &Path) -> std::io::Result<(u32, u32)> {
    let mut file = File::open(path)?;
    let mut hasher = crc32fast::Hasher::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut offset = 0usize;
    let mut stored = [0u8; SEAL_LEN];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        let chunk = &mut buf[..n];
        // Blank the seal bytes that fall inside this chunk (the first read always holds them
        // unless the file is shorter than the header, which `verify` reports).
        for (i, byte) in chunk.iter_mut().enumerate() {
            let at = offset + i;
            if at >= SEAL_OFFSET + SEAL_LEN {
                break;
            }
            if at >= SEAL_OFFSET {
                stored[at - SEAL_OFFSET] = *byte;
                *byte = 0;
            }
        }
        hasher.update(chunk);
        offset += n;
    }
    if offset < HEADER_LEN {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            format!("the file is {offset} bytes, shorter than a SQLite header"),
        ));
    }
    Ok((hasher.finalize(), u32::from_be_bytes(stored)))
}

/// Write the seal into a finished, closed store file.
pub(crate) fn seal(path: &Path) -> std::io::Result<()> {
    let (crc, _) = compute(path)?;
    let mut file = std::fs::OpenOptions::new().write(true).open(path)?;
    file.seek(SeekFrom::Start(SEAL_OFFSET as u64))?;
    file.write_all(&crc.to_be_bytes())?;
    file.sync_all()
}

/// Why a store's seal does not hold, or `None` when it does.
pub(crate) fn verify(path: &Path) -> Option<String> {
    match compute(path) {
        Err(e) => Some(format!("cannot read it to check its checksum: {e}")),
        Ok((crc, stored)) if crc != stored => Some(format!(
            "its checksum is {crc:08x}, the build wrote {stored:08x}: the file changed after it was built"
        )),
        Ok(_) => None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_file_verifies_and_any_changed_byte_is_caught() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store");
        let mut bytes: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
        bytes[SEAL_OFFSET..SEAL_OFFSET + SEAL_LEN].copy_from_slice(&[0; 4]);
        std::fs::write(&path, &bytes).unwrap();
        assert!(verify(&path).is_some(), "an unsealed file does not verify");
        seal(&path).unwrap();
        assert_eq!(verify(&path), None);
        for at in [0usize, 59, 64, 99, 1 << 20, (1 << 20) + 1, 2_999_999] {
            let mut sealed = std::fs::read(&path).unwrap();
            sealed[at] ^= 0x40;
            let damaged = dir.path().join(format!("damaged-{at}"));
            std::fs::write(&damaged, &sealed).unwrap();
            assert!(
                verify(&damaged).is_some(),
                "a flipped byte at {at} is caught"
            );
        }
        let truncated = dir.path().join("truncated");
        std::fs::write(&truncated, &std::fs::read(&path).unwrap()[..1_500_000]).unwrap();
        assert!(verify(&truncated).is_some());
        let tiny = dir.path().join("tiny");
        std::fs::write(&tiny, b"SQLite format 3\0").unwrap();
        assert!(verify(&tiny)
            .unwrap()
            .contains("shorter than a SQLite header"));
    }
}
