//! Fuzz the layer reader: compression sniffing, the tar walk (paths, whiteouts, links, PAX and
//! GNU extensions, captured content) and squashing into a view with in-image link resolution.
//! Input: one layer blob, or two when the first byte is odd (split in the middle), so whiteouts
//! and opaque markers meet a lower layer.
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

fuzz_target!(|data: &[u8]| {
    // Small limits keep each run fast; the limits themselves are part of what is exercised.
    let limits = Limits {
        max_layer_bytes: 16 << 20,
        max_total_bytes: 32 << 20,
        ratio_grace_bytes: 1 << 20,
        max_capture_bytes: 64 << 10,
        max_entries_per_layer: 10_000,
        max_tar_header_bytes: 64 << 10,
        ..Limits::default()
    };
    let blobs: Vec<&[u8]> = match data.first() {
        Some(first) if first % 2 == 1 && data.len() > 2 => {
            let (a, b) = data[1..].split_at((data.len() - 1) / 2);
            vec![a, b]
        }
        _ => vec![data],
    };
    let mut ids = Vec::new();
    let mut listings = Vec::new();
    for (index, blob) in blobs.into_iter().enumerate() {
        match scan_layer(blob, index, &Alternate, &limits) {
            Ok(scanned) => {
                ids.push(LayerId { index, diff_id: scanned.diff_id });
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
