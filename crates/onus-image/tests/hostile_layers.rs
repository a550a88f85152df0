//! Hostile layers whose cost must stay bounded: sparse files with huge holes, invalid numeric
//! header fields, links added by later layers, odd compression. Every tar here is built byte by
//! byte in the test. A generous timeout turns a hang into a failure; timings go in the benchmark.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::mpsc;
use std::time::Duration;

use common::OsRelease;
use onus_fs::{Capture, CapturePolicy, EntryHeader};
use onus_image::{scan_layer, Limits};

const BLOCK: usize = 512;

/// Run `f` on another thread; fail the test if it takes more than `secs`.
fn within<T: Send + 'static>(secs: u64, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(secs))
        .unwrap_or_else(|_| panic!("did not finish within {secs} s"))
}

/// GNU base-256 number in a field of `width` bytes.
fn base256(field: &mut [u8], value: u64) {
    field.fill(0);
    field[0] = 0x80;
    let bytes = value.to_be_bytes();
    let n = field.len();
    field[n - 8..].copy_from_slice(&bytes);
}

/// Octal number, NUL-terminated, in a field.
fn octal(field: &mut [u8], value: u64) {
    let width = field.len() - 1;
    let text = format!("{value:0width$o}");
    field[..width].copy_from_slice(text.as_bytes());
    field[width] = 0;
}

fn checksum(header: &mut [u8; BLOCK]) {
    header[148..156].fill(b' ');
    let sum: u64 = header.iter().map(|&b| u64::from(b)).sum();
    let text = format!("{sum:06o}\0 ");
    header[148..156].copy_from_slice(text.as_bytes());
}

/// A GNU header of type `kind` for `name` with `size` stored bytes.
fn gnu_header(name: &str, kind: u8, size: u64) -> [u8; BLOCK] {
    let mut h = [0u8; BLOCK];
    h[..name.len()].copy_from_slice(name.as_bytes());
    octal(&mut h[100..108], 0o644);
    octal(&mut h[108..116], 0);
    octal(&mut h[116..124], 0);
    octal(&mut h[124..136], size);
    octal(&mut h[136..148], 0);
    h[156] = kind;
    h[257..263].copy_from_slice(b"ustar ");
    h[263..265].copy_from_slice(b" \0");
    h
}

/// A GNU sparse member (type `S`): a hole of `hole` bytes, then `data`.
fn sparse_member(name: &str, hole: u64, data: &[u8]) -> Vec<u8> {
    let mut h = gnu_header(name, b'S', data.len() as u64);
    // First sparse entry at 386: offset[12], numbytes[12]; isextended at 482; realsize at 483.
    base256(&mut h[386..398], hole);
    octal(&mut h[398..410], data.len() as u64);
    base256(&mut h[483..495], hole + data.len() as u64);
    checksum(&mut h);
    let mut out = h.to_vec();
    out.extend_from_slice(data);
    out.resize(out.len().div_ceil(BLOCK) * BLOCK, 0);
    out
}

fn regular_member(name: &str, data: &[u8]) -> Vec<u8> {
    let mut h = gnu_header(name, b'0', data.len() as u64);
    checksum(&mut h);
    let mut out = h.to_vec();
    out.extend_from_slice(data);
    out.resize(out.len().div_ceil(BLOCK) * BLOCK, 0);
    out
}

fn finish(mut tar: Vec<u8>) -> Vec<u8> {
    tar.extend_from_slice(&[0u8; 2 * BLOCK]);
    tar
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

/// Captures every regular file whole, up to 1 MiB.
struct Whole;

impl CapturePolicy for Whole {
    fn capture(&self, _header: &EntryHeader<'_>) -> Capture {
        Capture::Whole { max_bytes: 1 << 20 }
    }
}

#[test]
fn a_petabyte_hole_costs_what_the_archive_stores() {
    let data = b"ELF-ish payload after the hole";
    let tar = finish(
        [
            sparse_member("huge-hole", 1 << 50, data),
            regular_member("after", b"still read"),
        ]
        .concat(),
    );
    let blob = gzip(&tar);
    assert!(blob.len() < 4096, "the layer is {} bytes", blob.len());
    let layer = within(30, move || {
        scan_layer(blob.as_slice(), 0, &Whole, &Limits::default()).unwrap()
    });
    let sizes: Vec<(String, u64)> = layer
        .listing
        .entries
        .iter()
        .filter_map(|e| match e {
            onus_fs::ListingEntry::File { path, version } => {
                Some((path.clone(), version.meta.size))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        sizes,
        [
            ("/huge-hole".to_string(), (1u64 << 50) + data.len() as u64),
            ("/after".to_string(), 10)
        ]
    );
}

#[test]
fn two_hundred_sparse_files_of_eight_gib_holes() {
    let mut tar = Vec::new();
    for i in 0..200 {
        tar.extend(sparse_member(&format!("hole-{i}"), 8 << 30, b"x"));
    }
    let blob = gzip(&finish(tar));
    let layer = within(30, move || {
        scan_layer(blob.as_slice(), 0, &Whole, &Limits::default()).unwrap()
    });
    assert_eq!(layer.entries, 200);
}

fn zstd_with_window(bytes: &[u8], window_log: u32) -> Vec<u8> {
    use std::io::Write;
    let mut enc = zstd::stream::Encoder::new(Vec::new(), 1).unwrap();
    enc.window_log(window_log).unwrap();
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

fn one_file_layer() -> Vec<u8> {
    finish(regular_member("etc/os-release", b"ID=wolfi\n"))
}

#[test]
fn trailing_zeros_or_junk_after_the_compressed_stream_are_ignored_and_said() {
    for trailer in [vec![0u8; 4096], b"not gzip at all".to_vec()] {
        let mut blob = gzip(&one_file_layer());
        blob.extend_from_slice(&trailer);
        let layer = scan_layer(blob.as_slice(), 0, &Whole, &Limits::default()).unwrap();
        assert_eq!(layer.entries, 1);
        assert_eq!(layer.compressed_size, blob.len() as u64);
        assert!(
            layer
                .unknowns
                .iter()
                .any(|(_, why)| why.contains("after the end of the compressed stream")),
            "{:?}",
            layer.unknowns
        );
    }
    // The same after a zstd frame.
    let mut blob = zstd_with_window(&one_file_layer(), 20);
    blob.extend_from_slice(&[0u8; 100]);
    let layer = scan_layer(blob.as_slice(), 0, &Whole, &Limits::default()).unwrap();
    assert_eq!(layer.entries, 1);
}

#[test]
fn zstd_windows_as_large_as_runtimes_accept() {
    // 2^28 was refused with libzstd's default limit (2^27); runtimes read it.
    let blob = zstd_with_window(&one_file_layer(), 28);
    let layer = scan_layer(blob.as_slice(), 0, &Whole, &Limits::default()).unwrap();
    assert_eq!(layer.entries, 1);
    // Above the configured maximum: refused, and the reason says so.
    let blob = zstd_with_window(&one_file_layer(), 30);
    let err = scan_layer(blob.as_slice(), 0, &Whole, &Limits::default()).unwrap_err();
    assert!(err.to_string().contains("memory"), "{err}");
}

#[test]
fn a_pax_size_over_64_bits_refuses_the_layer_naming_entry_and_record() {
    let record = "size=99999999999999999999999\n";
    // PAX record: "<len> <key>=<value>\n", the length counting itself.
    let mut len = record.len() + 3;
    if format!("{len} {record}").len() != len {
        len += 1;
    }
    let pax_body = format!("{len} {record}");
    assert_eq!(pax_body.len(), len);
    let mut pax = gnu_header("PaxHeaders/f", b'x', pax_body.len() as u64);
    pax[257..265].copy_from_slice(b"ustar\x0000");
    checksum(&mut pax);
    let mut tar = pax.to_vec();
    tar.extend_from_slice(pax_body.as_bytes());
    tar.resize(tar.len().div_ceil(BLOCK) * BLOCK, 0);
    tar.extend(regular_member("f", b"data"));
    let blob = gzip(&finish(tar));
    let err = scan_layer(blob.as_slice(), 3, &Whole, &Limits::default()).unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("layer 3") && message.contains("`/f`") && message.contains("PAX `size`"),
        "{message}"
    );
}

/// A PAX extended header carrying `path`, then a placeholder ustar header for the entry.
fn pax_path_member(path: &str) -> Vec<u8> {
    let record = format!(" path={path}\n");
    let mut len = record.len() + 1;
    while format!("{len}{record}").len() != len {
        len += 1;
    }
    let body = format!("{len}{record}");
    let mut pax = gnu_header("PaxHeaders/p", b'x', body.len() as u64);
    pax[257..265].copy_from_slice(b"ustar\x0000");
    checksum(&mut pax);
    let mut out = pax.to_vec();
    out.extend_from_slice(body.as_bytes());
    out.resize(out.len().div_ceil(BLOCK) * BLOCK, 0);
    let mut h = gnu_header("placeholder", b'0', 0);
    h[257..265].copy_from_slice(b"ustar\x0000");
    checksum(&mut h);
    out.extend_from_slice(&h);
    out
}

#[test]
fn long_paths_stop_at_the_memory_budget_naming_it() {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let stem = "p/".to_string() + &"x".repeat(3980);
    for i in 0..20_000 {
        gz.write_all(&pax_path_member(&format!("{stem}{i:08}")))
            .unwrap();
    }
    gz.write_all(&[0u8; 2 * BLOCK]).unwrap();
    let blob = gz.finish().unwrap();
    let limits = Limits {
        max_memory_bytes: 48 << 20,
        ..Limits::default()
    };
    let err = within(60, move || {
        scan_layer(blob.as_slice(), 0, &Whole, &limits).unwrap_err()
    });
    let message = err.to_string();
    assert!(
        message.contains("layer 0")
            && message.contains("memory budget of 48 MiB")
            && message.contains("--max-memory"),
        "{message}"
    );
}

#[test]
fn a_million_and_one_empty_files_are_read() {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    for i in 0..1_000_001u32 {
        let mut h = gnu_header(&format!("d/f{i}"), b'0', 0);
        checksum(&mut h);
        gz.write_all(&h).unwrap();
    }
    gz.write_all(&[0u8; 2 * BLOCK]).unwrap();
    let blob = gz.finish().unwrap();
    let layer = within(120, move || {
        scan_layer(
            blob.as_slice(),
            0,
            &onus_fs::CaptureNothing,
            &Limits::default(),
        )
        .unwrap()
    });
    assert_eq!(layer.entries, 1_000_001);
}

#[test]
fn header_fields_that_frame_the_stream_refuse_the_layer_naming_it() {
    // A checksum that does not match, and a size in base-256 with the sign bit (negative).
    let mut bad_sum = gnu_header("etc/passwd", b'0', 4);
    checksum(&mut bad_sum);
    bad_sum[0] = b'E';
    let mut negative = gnu_header("etc/group", b'0', 0);
    negative[124..136].fill(0xff);
    checksum(&mut negative);
    for header in [bad_sum, negative] {
        let mut tar = regular_member("ok", b"fine");
        tar.extend_from_slice(&header);
        tar.extend_from_slice(&[b'x'; BLOCK]);
        let blob = gzip(&finish(tar));
        let err = scan_layer(blob.as_slice(), 5, &Whole, &Limits::default()).unwrap_err();
        assert!(err.to_string().contains("layer 5"), "{err}");
    }
}

#[test]
fn an_unreadable_mode_is_an_unknown_naming_the_entry() {
    let mut h = gnu_header("bin/tool", b'0', 2);
    h[100..108].copy_from_slice(b"zzzzzzz\0");
    checksum(&mut h);
    let mut tar = h.to_vec();
    tar.extend_from_slice(b"hi");
    tar.resize(2 * BLOCK, 0);
    let blob = gzip(&finish(tar));
    let layer = scan_layer(blob.as_slice(), 0, &Whole, &Limits::default()).unwrap();
    assert!(
        layer
            .unknowns
            .iter()
            .any(|(path, why)| path.contains("bin/tool") && why.contains("mode")),
        "{:?}",
        layer.unknowns
    );
}

/// A PAX header with `records`, then a ustar header named `name` with `data` stored.
fn pax_member(records: &[(&str, String)], name: &str, data: &[u8]) -> Vec<u8> {
    let mut body = String::new();
    for (key, value) in records {
        let record = format!(" {key}={value}\n");
        let mut len = record.len() + 1;
        while format!("{len}{record}").len() != len {
            len += 1;
        }
        body.push_str(&format!("{len}{record}"));
    }
    let mut pax = gnu_header("PaxHeaders/s", b'x', body.len() as u64);
    pax[257..265].copy_from_slice(b"ustar\x0000");
    checksum(&mut pax);
    let mut out = pax.to_vec();
    out.extend_from_slice(body.as_bytes());
    out.resize(out.len().div_ceil(BLOCK) * BLOCK, 0);
    let mut h = gnu_header(name, b'0', data.len() as u64);
    h[257..265].copy_from_slice(b"ustar\x0000");
    checksum(&mut h);
    out.extend_from_slice(&h);
    out.extend_from_slice(data);
    out.resize(out.len().div_ceil(BLOCK) * BLOCK, 0);
    out
}

fn os_release_of(layer: &onus_image::ScannedLayer) -> Option<(u64, Vec<u8>)> {
    layer.listing.entries.iter().find_map(|e| match e {
        onus_fs::ListingEntry::File { path, version } if path == "/etc/os-release" => {
            Some((version.meta.size, version.content.as_ref()?.bytes.to_vec()))
        }
        _ => None,
    })
}

#[test]
fn pax_sparse_files_read_as_their_real_name_and_logical_content() {
    let text = b"ID=wolfi\n";
    // Format 1.0: the map leads the data, padded to a block.
    let mut data = format!("1\n0\n{}\n", text.len()).into_bytes();
    data.resize(BLOCK, 0);
    data.extend_from_slice(text);
    let v1 = pax_member(
        &[
            ("GNU.sparse.major", "1".into()),
            ("GNU.sparse.minor", "0".into()),
            ("GNU.sparse.name", "etc/os-release".into()),
            ("GNU.sparse.realsize", "4096".into()),
        ],
        "GNUSparseFile.0/os-release",
        &data,
    );
    // Format 0.1: the map in a record; a hole first, then the text.
    let v01 = pax_member(
        &[
            ("GNU.sparse.size", "4105".into()),
            ("GNU.sparse.numblocks", "1".into()),
            ("GNU.sparse.map", format!("4096,{}", text.len())),
            ("GNU.sparse.name", "etc/os-release".into()),
        ],
        "GNUSparseFile.0/os-release",
        text,
    );
    for (member, expected) in [
        (v1, [text.to_vec(), vec![0u8; 4096 - text.len()]].concat()),
        (v01, [vec![0u8; 4096], text.to_vec()].concat()),
    ] {
        let blob = gzip(&finish(member));
        let layer = scan_layer(blob.as_slice(), 0, &OsRelease, &Limits::default()).unwrap();
        let (size, content) = os_release_of(&layer).expect("the real name is listed");
        assert_eq!(size, expected.len() as u64);
        assert_eq!(content, expected);
    }
    // A petabyte of PAX sparse hole: listed at its logical size, not read, said so.
    let huge = pax_member(
        &[
            ("GNU.sparse.major", "1".into()),
            ("GNU.sparse.minor", "0".into()),
            ("GNU.sparse.name", "etc/os-release".into()),
            ("GNU.sparse.realsize", (1u64 << 50).to_string()),
        ],
        "GNUSparseFile.0/os-release",
        &data,
    );
    let blob = gzip(&finish(huge));
    let layer = within(30, move || {
        scan_layer(blob.as_slice(), 0, &OsRelease, &Limits::default()).unwrap()
    });
    assert!(layer
        .unknowns
        .iter()
        .any(|(_, why)| why.contains("over max_capture_bytes")));
    // A map that claims more data than is stored: an unknown, the layer still reads.
    let lying = pax_member(
        &[
            ("GNU.sparse.size", "100".into()),
            ("GNU.sparse.map", "0,90".into()),
            ("GNU.sparse.name", "etc/os-release".into()),
        ],
        "GNUSparseFile.0/os-release",
        text,
    );
    let blob = gzip(&finish(lying));
    let layer = scan_layer(blob.as_slice(), 0, &OsRelease, &Limits::default()).unwrap();
    assert!(
        layer
            .unknowns
            .iter()
            .any(|(_, why)| why.contains("sparse map unusable")),
        "{:?}",
        layer.unknowns
    );
}
