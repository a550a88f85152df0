//! Fuzz a whole layer stream through the file view and every cataloger: compression sniffing,
//! the tar walk with the catalogers' own capture policy, squashing, then cataloguing (apk and
//! dpkg databases, Python and npm metadata, jars, Go binaries, os-release) of whatever the
//! walk kept.
//!
//! Input: one or two layer blobs (split in the middle when the first byte is odd), so content
//! written by one layer can be reached through links added by the other.
#![no_main]

use libfuzzer_sys::fuzz_target;
use onus_fs::{LayerId, NoReporter, SquashedView};
use onus_image::{scan_layer, Limits};

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        max_layer_bytes: 16 << 20,
        max_total_bytes: 32 << 20,
        max_capture_bytes: 1 << 20,
        max_entries_per_layer: 10_000,
        max_tar_header_bytes: 64 << 10,
        ..Limits::default()
    };
    let blobs: Vec<&[u8]> = match data.split_first() {
        Some((first, rest)) if first % 2 == 1 && rest.len() > 1 => {
            let (a, b) = rest.split_at(rest.len() / 2);
            vec![a, b]
        }
        _ => vec![data],
    };
    let policy = onus_catalog::capture_policy();
    let mut ids = Vec::new();
    let mut listings = Vec::new();
    for (index, blob) in blobs.into_iter().enumerate() {
        match scan_layer(blob, index, &policy, &limits) {
            Ok(scanned) => {
                ids.push(LayerId {
                    index,
                    diff_id: scanned.diff_id,
                });
                listings.push(scanned.listing);
            }
            Err(error) => {
                let _ = error.to_string();
                return;
            }
        }
    }
    let view = SquashedView::from_layers(ids, listings);
    let catalog = onus_catalog::catalog(&view, &NoReporter);
    let _ = format!("{catalog:?}");
});
