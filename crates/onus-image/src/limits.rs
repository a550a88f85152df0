//! Hostile-input limits: every size, count and depth the reader will accept.

/// Bounds that keep a hostile or broken image from exhausting memory, disk or time.
///
/// Content that is only skipped costs time, not memory, so the byte limits are generous. A
/// decompression bomb is bounded by the uncompressed byte limits, not by a ratio: legitimate
/// layers holding large zero-filled files compress far beyond 1000:1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Uncompressed bytes of one layer stream.
    pub max_layer_bytes: u64,
    /// Uncompressed bytes of all layers together.
    pub max_total_bytes: u64,
    /// Tar entries in one layer (or in an outer archive).
    pub max_entries_per_layer: u64,
    /// Bytes kept for one captured file, whatever the capture policy asks.
    pub max_capture_bytes: u64,
    /// Size of one JSON metadata document (oci-layout, index, manifest, config, manifest.json).
    pub max_json_bytes: u64,
    /// Nesting of image indexes (an index pointing at an index).
    pub max_index_depth: usize,
    /// Bytes of tar extension records (PAX headers, GNU long names) before one entry.
    pub max_tar_header_bytes: u64,
    /// Largest zstd window accepted (log2 bytes). The default, 29 (512 MiB), is what the Go zstd
    /// decoder of containerd's stack (klauspost/compress) accepts by default on 64-bit machines;
    /// libzstd's own default stops at 27, which refuses layers runtimes pull.
    pub max_zstd_window_log: u32,
    /// Layers in one image.
    pub max_layers: usize,
    /// Directory depth walked by the `dir:` source.
    pub max_dir_depth: usize,
    /// Approximate memory of the squashed view's paths (content not included); bounds what a
    /// crafted layer of deep, distinct directory chains could make the view hold.
    pub max_view_bytes: u64,
}

const GIB: u64 = 1 << 30;
const MIB: u64 = 1 << 20;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_layer_bytes: 64 * GIB,
            max_total_bytes: 128 * GIB,
            max_entries_per_layer: 1_000_000,
            max_capture_bytes: 64 * MIB,
            max_json_bytes: 8 * MIB,
            max_index_depth: 4,
            max_tar_header_bytes: MIB,
            max_zstd_window_log: 29,
            max_layers: 1024,
            max_dir_depth: 256,
            max_view_bytes: GIB,
        }
    }
}
