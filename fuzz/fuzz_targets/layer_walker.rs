//! Fuzz the layer reader: compression sniffing, the tar walk (paths, whiteouts, links, PAX and
//! GNU extensions, captured content) and squashing into a view with in-image link resolution.
//!
//! Input, by its first byte:
//! - below 128: raw layer blobs (one, or two split in the middle when the byte is odd, so
//!   whiteouts and opaque markers meet a lower layer);
//! - 128 and above: structured: records `[type][name len][name][link len][link][data len][data]`
//!   written as valid ustar members (a type byte with the high bit set starts the next layer,
//!   up to four), which reaches the walk and the squash far faster than random bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use onus_fs::{Capture, CapturePolicy, EntryHeader, FileView, LayerId, SquashedView};
use onus_image::{scan_layer, Limits};

/// Captures every other file whole and streams the rest through nothing, exercising both paths.
struct Alternate;

impl CapturePolicy for Alternate {
    fn capture(&self, header: &EntryHeader<'_>) -> Capture {
        if header.path.len() % 2 == 0 {
            Capture::Whole { max_bytes: 4096 }
        } else {
            Capture::Skip
        }
    }
}

/// A ustar header block (no validation of the name: hostile names are the point).
fn header(name: &[u8], kind: u8, link: &[u8], size: usize) -> [u8; 512] {
    let mut block = [0u8; 512];
    let copy = |block: &mut [u8; 512], at: usize, len: usize, bytes: &[u8]| {
        let n = bytes.len().min(len);
        block[at..at + n].copy_from_slice(&bytes[..n]);
    };
    copy(&mut block, 0, 100, name);
    copy(&mut block, 100, 8, b"0000644\0");
    copy(&mut block, 108, 8, b"0000000\0");
    copy(&mut block, 116, 8, b"0000000\0");
    copy(&mut block, 124, 12, format!("{size:011o}\0").as_bytes());
    copy(&mut block, 136, 12, b"00000000000\0");
    block[156] = kind;
    copy(&mut block, 157, 100, link);
    copy(&mut block, 257, 8, b"ustar\x0000");
    block[148..156].copy_from_slice(b"        ");
    let sum: u32 = block.iter().map(|b| u32::from(*b)).sum();
    copy(&mut block, 148, 8, format!("{sum:06o}\0 ").as_bytes());
    block
}

/// Turn structured input into up to four layer tars.
fn structured(mut data: &[u8]) -> Vec<Vec<u8>> {
    let mut layers = vec![Vec::new()];
    let take = |data: &mut &[u8]| -> Option<Vec<u8>> {
        let (&len, rest) = data.split_first()?;
        let len = usize::from(len).min(rest.len());
        let (bytes, rest) = rest.split_at(len);
        *data = rest;
        Some(bytes.to_vec())
    };
    while let Some((&kind, rest)) = data.split_first() {
        data = rest;
        if kind & 0x80 != 0 && layers.len() < 4 {
            layers.push(Vec::new());
        }
        let kind = match kind & 0x0f {
            0 => b'0',
            1 => b'5',
            2 => b'2',
            3 => b'1',
            4 => b'3',
            5 => b'x',
            6 => b'L',
            7 => b'g',
            8 => b'7',
            n => b'0' + n,
        };
        let (Some(name), Some(link), Some(body)) =
            (take(&mut data), take(&mut data), take(&mut data))
        else {
            break;
        };
        let Some(tar) = layers.last_mut() else { break };
        tar.extend_from_slice(&header(&name, kind, &link, body.len()));
        tar.extend_from_slice(&body);
        tar.resize(tar.len().div_ceil(512) * 512, 0);
    }
    for tar in &mut layers {
        tar.extend_from_slice(&[0u8; 1024]);
    }
    layers
}

fuzz_target!(|data: &[u8]| {
    // Small limits keep each run fast; the limits themselves are part of what is exercised.
    let limits = Limits {
        max_layer_bytes: 16 << 20,
        max_total_bytes: 32 << 20,
        max_capture_bytes: 64 << 10,
        max_entries_per_layer: 10_000,
        max_tar_header_bytes: 64 << 10,
        ..Limits::default()
    };
    let blobs: Vec<Vec<u8>> = match data.split_first() {
        Some((first, rest)) if *first >= 128 => structured(rest),
        Some((first, rest)) if first % 2 == 1 && rest.len() > 1 => {
            let (a, b) = rest.split_at(rest.len() / 2);
            vec![a.to_vec(), b.to_vec()]
        }
        _ => vec![data.to_vec()],
    };
    let mut ids = Vec::new();
    let mut listings = Vec::new();
    for (index, blob) in blobs.iter().enumerate() {
        match scan_layer(blob.as_slice(), index, &Alternate, &limits) {
            Ok(scanned) => {
                ids.push(LayerId {
                    index,
                    diff_id: scanned.diff_id,
                });
                listings.push(scanned.listing);
            }
            Err(error) => {
                // Errors must render (they name the layer); nothing else to check.
                let _ = error.to_string();
                return;
            }
        }
    }
    let view = SquashedView::from_layers(ids, listings);
    for path in view.paths() {
        let _ = view.resolve(path);
        let _ = view.content(path);
        let _ = view.history(path);
    }
});
