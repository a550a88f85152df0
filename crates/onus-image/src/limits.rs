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
    /// Tar entries in one layer (or in an outer archive). Far above real images: memory
    /// (`max_memory_bytes`) is the guard, this only bounds time on empty entries.
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
    /// Memory for the file view and the content kept for catalogers, all layers together:
    /// every entry is charged as it is read (its paths, link target, captured bytes and a fixed
    /// share for its node), so a layer is refused before it is held, not after (`--max-memory`).
    pub max_memory_bytes: u64,
}

/// Memory charged per entry besides its own bytes: the listing entry, the view's node and map
/// share (about 190 bytes measured on a layer of a million empty files).
pub(crate) const ENTRY_CHARGE: u64 = 192;

/// Memory charged up front for what every read holds besides the view: the program, the
/// decompressors and read buffers of the workers (about 8 MiB measured, kept generous), so the
/// process stays under `max_memory_bytes` when the budget stops a layer.
pub(crate) const FIXED_CHARGE: u64 = 16 << 20;

/// Running totals shared by the layers of one image, which are read in parallel.
#[derive(Debug)]
pub(crate) struct Totals {
    /// Uncompressed bytes read (for `max_total_bytes`).
    pub uncompressed: std::sync::atomic::AtomicU64,
    /// Memory charged so far (for `max_memory_bytes`), [`FIXED_CHARGE`] included.
    pub memory: std::sync::atomic::AtomicU64,
}

impl Default for Totals {
    fn default() -> Self {
        Totals {
            uncompressed: std::sync::atomic::AtomicU64::new(0),
            memory: std::sync::atomic::AtomicU64::new(FIXED_CHARGE),
        }
    }
}

const GIB: u64 = 1 << 30;
const MIB: u64 = 1 << 20;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_layer_bytes: 64 * GIB,
            max_total_bytes: 128 * GIB,
            max_entries_per_layer: 100_000_000,
            max_capture_bytes: 64 * MIB,
            max_json_bytes: 8 * MIB,
            max_index_depth: 4,
            max_tar_header_bytes: MIB,
            max_zstd_window_log: 29,
            max_layers: 1024,
            max_dir_depth: 256,
            max_memory_bytes: 256 * MIB,
        }
    }
}
