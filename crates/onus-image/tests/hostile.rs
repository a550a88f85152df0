//! Hostile and broken inputs built with the tar crate's low-level header API: each gives a clear
//! error or an unknown, never a panic, a hang, a huge allocation or a write outside the process.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Write;

use common::*;
use onus_fs::{
    Capture, CaptureNothing, CapturePolicy, ContentSink, EntryHeader, FileKind, FileView,
    NoReporter, ResolveError,
};
use onus_image::{open, read_metadata, scan_layer, Compression, ImageError, Limits, OpenOptions};

/// Captures every regular file whole.
struct All;

impl CapturePolicy for All {
    fn capture(&self, _header: &EntryHeader<'_>) -> Capture {
        Capture::Whole {
            max_bytes: u64::MAX,
        }
    }
}

fn open_layout(layout: &std::path::Path) -> Result<onus_image::Image, ImageError> {
    open(
        &format!("oci-dir:{}", layout.display()),
        &OpenOptions::default(),
        &All,
        &NoReporter,
    )
}

fn has_unknown(image: &onus_image::Image, location: &str, reason_part: &str) -> bool {
    image
        .unknowns
        .iter()
        .any(|(l, r)| l == location && r.contains(reason_part))
}

#[test]
fn escaping_and_absolute_member_paths_stay_inside_and_are_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let layout = tmp.path().join("layout");
    let blob = Blob::gzip_tar(&[
        Member::file("../../../../evil-escape", b"x"),
        Member::file("/etc/abs-evil", b"y"),
        Member::file("a/../../b/c", b"z"),
        Member::file("ok/./fine", b"w"),
    ]);
    oci_layout(&layout, &[blob]);
    let image = open_layout(&layout).unwrap();
    assert_eq!(
        image.view.entry("/evil-escape").map(|v| v.meta.size),
        Some(1)
    );
    assert!(image.view.entry("/etc/abs-evil").is_some());
    assert!(image.view.entry("/b/c").is_some());
    assert!(image.view.entry("/ok/fine").is_some());
    assert!(has_unknown(
        &image,
        "/evil-escape (layer 0)",
        "climbs above the layer root"
    ));
    assert!(has_unknown(&image, "/etc/abs-evil (layer 0)", "absolute"));
    assert!(has_unknown(&image, "/b/c (layer 0)", "climbs above"));
    assert!(!image
        .unknowns
        .iter()
        .any(|(l, _)| l.starts_with("/ok/fine")));
    // Nothing was written next to the layout (nor anywhere: the reader never writes).
    let mut names: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    assert_eq!(names, vec!["layout"]);
}

#[test]
fn symlinks_out_of_the_root_and_loops() {
    let tmp = tempfile::tempdir().unwrap();
    let blob = Blob::gzip_tar(&[
        Member::file("etc/shadow", b"inside"),
        Member::symlink("a/out", "../../../../etc/shadow"),
        Member::symlink("abs", "/etc/shadow"),
        Member::symlink("loop1", "loop2"),
        Member::symlink("loop2", "loop1"),
        Member::symlink("self", "./self/x"),
        Member::symlink("dangling", "/nowhere"),
    ]);
    oci_layout(tmp.path(), &[blob]);
    let image = open_layout(tmp.path()).unwrap();
    let view = &image.view;
    assert_eq!(view.resolve("/a/out").as_deref(), Ok("/etc/shadow"));
    assert_eq!(
        view.content("/a/out").map(|c| c.bytes.to_vec()),
        Some(b"inside".to_vec())
    );
    assert_eq!(view.resolve("/abs").as_deref(), Ok("/etc/shadow"));
    assert!(matches!(view.resolve("/loop1"), Err(ResolveError::Loop(_))));
    assert!(matches!(view.resolve("/self"), Err(ResolveError::Loop(_))));
    assert!(matches!(
        view.resolve("/dangling"),
        Err(ResolveError::NotFound(_))
    ));
    assert!(has_unknown(
        &image,
        "/a/out (layer 0)",
        "climbs above the image root"
    ));
    assert!(has_unknown(&image, "/loop1", "loops"));
    assert!(has_unknown(&image, "/loop2", "loops"));
    // Absolute and dangling links are ordinary, not unknowns.
    assert!(!image
        .unknowns
        .iter()
        .any(|(l, _)| l.starts_with("/abs") || l.starts_with("/dangling")));
}

#[test]
fn hard_links_to_missing_targets_are_unknowns() {
    let tmp = tempfile::tempdir().unwrap();
    let blob = Blob::gzip_tar(&[
        Member::file("bin/real", b"#!/bin/sh\n"),
        Member::hardlink("bin/alias", "bin/real"),
        Member::hardlink("bin/broken", "bin/missing"),
        Member::hardlink("bin/me", "bin/me"),
        Member::hardlink("bin/up", "../../bin/real"),
    ]);
    oci_layout(tmp.path(), &[blob]);
    let image = open_layout(tmp.path()).unwrap();
    let view = &image.view;
    assert_eq!(
        view.entry("/bin/alias").map(|v| v.meta.kind),
        Some(FileKind::Hardlink)
    );
    assert_eq!(view.content("/bin/alias").map(|c| c.bytes.len()), Some(10));
    assert!(has_unknown(
        &image,
        "/bin/broken",
        "does not exist in the image"
    ));
    assert!(has_unknown(&image, "/bin/me (layer 0)", "itself"));
    assert!(has_unknown(&image, "/bin/up (layer 0)", "climbs above"));
    assert_eq!(view.resolve("/bin/up").as_deref(), Ok("/bin/real"));
    // A policy that wants the link's name but not the target's: the gap is reported.
    let tar = tar_bytes(
        &[
            Member::file("usr/bin/perl5.36", b"ELF"),
            Member::hardlink("usr/bin/perl", "usr/bin/perl5.36"),
        ],
        true,
    );
    let scanned = scan_layer(tar.as_slice(), 0, &OnlyPerl, &Limits::default()).unwrap();
    assert!(
        scanned
            .unknowns
            .iter()
            .any(|(p, r)| p == "/usr/bin/perl" && r.contains("content not captured")),
        "{:?}",
        scanned.unknowns
    );
    let scanned = scan_layer(tar.as_slice(), 0, &All, &Limits::default()).unwrap();
    assert!(scanned.unknowns.is_empty(), "{:?}", scanned.unknowns);
}

struct OnlyPerl;

impl CapturePolicy for OnlyPerl {
    fn capture(&self, header: &EntryHeader<'_>) -> Capture {
        if header.path == "/usr/bin/perl" {
            Capture::Whole { max_bytes: 1024 }
        } else {
            Capture::Skip
        }
    }
}

#[test]
fn whiteouts_and_opaque_directories_across_real_layers() {
    let tmp = tempfile::tempdir().unwrap();
    let base = Blob::gzip_tar(&[
        Member::file("etc/a", b"1"),
        Member::file("etc/b", b"2"),
        Member::file("opt/x/1", b"3"),
        Member::file("opt/x/2", b"4"),
    ]);
    let top = Blob::zstd_tar(&[
        Member::file("etc/.wh.a", b""),
        Member::file("opt/x/.wh..wh..opq", b""),
        Member::file("opt/x/3", b"5"),
        Member::file(".wh..wh.plnk", b""),
        Member::file("etc/.wh...", b""),
    ]);
    oci_layout(tmp.path(), &[base, top]);
    let image = open_layout(tmp.path()).unwrap();
    let paths: Vec<&str> = image.view.paths().collect();
    assert_eq!(
        paths,
        vec!["/", "/etc", "/etc/b", "/opt", "/opt/x", "/opt/x/3"]
    );
    assert!(has_unknown(
        &image,
        "/etc/.wh... (layer 1)",
        "malformed whiteout"
    ));
}

#[test]
fn truncated_gzip_layer_is_an_error_naming_the_layer() {
    let tmp = tempfile::tempdir().unwrap();
    let mut blob = Blob::gzip_tar(&[Member::file("big", &vec![7u8; 200_000])]);
    blob.bytes.truncate(blob.bytes.len() / 2);
    oci_layout(tmp.path(), &[blob]);
    match open_layout(tmp.path()) {
        Err(ImageError::Layer {
            index: 0,
            layer,
            reason,
        }) => {
            assert!(layer.starts_with("sha256:"));
            assert!(
                reason.contains("truncated") || reason.contains("ends"),
                "{reason}"
            );
        }
        other => panic!("expected a layer error, got {other:?}"),
    }
    // The same through the low-level entry point.
    let full = gzip(&tar_bytes(
        &[Member::file("big", &vec![7u8; 200_000])],
        true,
    ));
    let cut = &full[..full.len() - 100];
    assert!(matches!(
        scan_layer(cut, 0, &CaptureNothing, &Limits::default()),
        Err(ImageError::Layer { .. })
    ));
}

#[test]
fn a_member_declaring_ten_gigabytes_is_skipped_or_reported_truncated() {
    let ten_gb = 10u64 << 30;
    let mut member = Member::file("huge", b"only a little data");
    member.declared = Some(ten_gb);
    let tar = tar_bytes(&[member], false);
    for (bytes, compression) in [
        (tar.clone(), Compression::None),
        (gzip(&tar), Compression::Gzip),
    ] {
        // Skipped: the stream ends inside the member, which is a clear error, not a hang.
        let err = scan_layer(bytes.as_slice(), 0, &CaptureNothing, &Limits::default()).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("`/huge`") && text.contains("10737418240"),
            "{compression:?}: {text}"
        );
        // Captured whole: no 10 GB allocation, the same error.
        let err = scan_layer(bytes.as_slice(), 0, &All, &Limits::default()).unwrap_err();
        assert!(err.to_string().contains("ends inside"), "{err}");
    }
}

#[test]
fn decompression_bombs_hit_the_size_limits_not_a_ratio() {
    // 24 MiB of zeros compresses far beyond 1000:1, as layers with zero-filled files do: read.
    let zeros = vec![0u8; 24 << 20];
    let tar = tar_bytes(&[Member::file("zeros", &zeros)], true);
    // gzip tops out near 1000:1; zstd goes well past it (the old refusal point).
    for (blob, ratio) in [(gzip(&tar), 100), (zstd(&tar), 1000)] {
        assert!(
            tar.len() / blob.len() > ratio,
            "ratio {}",
            tar.len() / blob.len()
        );
        let layer = scan_layer(blob.as_slice(), 0, &CaptureNothing, &Limits::default()).unwrap();
        assert_eq!(layer.uncompressed_size, tar.len() as u64);
    }
    let limits = Limits {
        max_layer_bytes: 4 << 20,
        ..Limits::default()
    };
    match scan_layer(gzip(&tar).as_slice(), 0, &CaptureNothing, &limits) {
        Err(ImageError::Limit { what, .. }) => assert!(what.contains("max_layer_bytes"), "{what}"),
        other => panic!("expected the size limit, got {other:?}"),
    }
    // Through a layout, the total limit applies across layers.
    let tmp = tempfile::tempdir().unwrap();
    let blob = Blob::gzip_tar(&[Member::file("zeros", &zeros)]);
    let blob2 = Blob::gzip_tar(&[Member::file("zeros2", &zeros)]);
    oci_layout(tmp.path(), &[blob, blob2]);
    let options = OpenOptions {
        limits: Limits {
            max_total_bytes: 40 << 20,
            ..Limits::default()
        },
        threads: 1,
        ..OpenOptions::default()
    };
    match open(
        &tmp.path().display().to_string(),
        &options,
        &CaptureNothing,
        &NoReporter,
    ) {
        Err(ImageError::Limit { object, what }) => {
            // Layers are read largest first, so either may be the one that crosses the total.
            assert!(object.starts_with("layer "), "{object}");
            assert!(what.contains("max_total_bytes"), "{what}");
        }
        other => panic!("expected the total limit, got {other:?}"),
    }
}

#[test]
fn oversized_tar_extension_records_are_refused() {
    // A PAX header of 2 MiB (over the 1 MiB default) would otherwise be read into memory whole.
    let mut pax = Member::file("pax", &vec![b'a'; 2 << 20]);
    pax.kind = tar::EntryType::XHeader;
    let tar = tar_bytes(&[pax, Member::file("after", b"x")], true);
    match scan_layer(
        gzip(&tar).as_slice(),
        0,
        &CaptureNothing,
        &Limits::default(),
    ) {
        Err(ImageError::Limit { what, .. }) => {
            assert!(what.contains("max_tar_header_bytes"), "{what}")
        }
        other => panic!("expected the header limit, got {other:?}"),
    }
    let mut long_name = Member::file("././@LongLink", &vec![b'n'; 2 << 20]);
    long_name.kind = tar::EntryType::GNULongName;
    let tar = tar_bytes(&[long_name, Member::file("after", b"x")], true);
    assert!(matches!(
        scan_layer(tar.as_slice(), 0, &CaptureNothing, &Limits::default()),
        Err(ImageError::Limit { .. })
    ));
    // Ordinary long names (GNU and PAX, as the tar crate writes them) work.
    let long = format!("{}/file", "d".repeat(150));
    let mut builder = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(1);
    header.set_mode(0o644);
    builder.append_data(&mut header, &long, &b"x"[..]).unwrap();
    let scanned = scan_layer(
        builder.into_inner().unwrap().as_slice(),
        0,
        &CaptureNothing,
        &Limits::default(),
    )
    .unwrap();
    assert!(
        matches!(&scanned.listing.entries[..], [onus_fs::ListingEntry::File { path, .. }] if *path == format!("/{long}"))
    );
}

#[test]
fn too_many_entries_hit_the_entry_limit() {
    let members: Vec<Member> = (0..50)
        .map(|i| Member::file(&format!("f{i}"), b""))
        .collect();
    let tar = tar_bytes(&members, true);
    let limits = Limits {
        max_entries_per_layer: 10,
        ..Limits::default()
    };
    match scan_layer(tar.as_slice(), 0, &CaptureNothing, &limits) {
        Err(ImageError::Limit { what, .. }) => assert!(what.contains("max_entries_per_layer")),
        other => panic!("expected the entry limit, got {other:?}"),
    }
}

#[test]
fn missing_blobs_and_digest_mismatches_name_the_digest() {
    // A manifest that references a layer blob that is not there.
    let tmp = tempfile::tempdir().unwrap();
    let blob = Blob::gzip_tar(&[Member::file("f", b"1")]);
    let digest = sha256(&blob.bytes);
    oci_layout(tmp.path(), &[blob]);
    std::fs::remove_file(
        tmp.path()
            .join("blobs/sha256")
            .join(digest.trim_start_matches("sha256:")),
    )
    .unwrap();
    match open_layout(tmp.path()) {
        Err(e @ ImageError::Missing { .. }) => assert!(e.to_string().contains(&digest), "{e}"),
        other => panic!("expected a missing blob, got {other:?}"),
    }
    // A layer blob whose content does not hash to its name.
    let tmp = tempfile::tempdir().unwrap();
    let blob = Blob::gzip_tar(&[Member::file("f", b"1")]);
    let digest = sha256(&blob.bytes);
    oci_layout(tmp.path(), &[blob]);
    let path = tmp
        .path()
        .join("blobs/sha256")
        .join(digest.trim_start_matches("sha256:"));
    let tampered = gzip(&tar_bytes(&[Member::file("f", b"2")], true));
    std::fs::write(&path, tampered).unwrap();
    match open_layout(tmp.path()) {
        Err(ImageError::DigestMismatch { what, expected, .. }) => {
            assert_eq!(what, "layer blob");
            assert_eq!(expected, digest);
        }
        other => panic!("expected a digest mismatch, got {other:?}"),
    }
    // A manifest blob whose content was changed.
    let tmp = tempfile::tempdir().unwrap();
    let manifest = oci_layout(tmp.path(), &[Blob::plain_tar(&[Member::file("f", b"1")])]);
    let path = tmp
        .path()
        .join("blobs/sha256")
        .join(manifest.trim_start_matches("sha256:"));
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.push(b' ');
    std::fs::write(&path, bytes).unwrap();
    match read_metadata(&tmp.path().display().to_string(), &OpenOptions::default()) {
        Err(ImageError::DigestMismatch {
            what: "manifest",
            expected,
            ..
        }) => assert_eq!(expected, manifest),
        other => panic!("expected a manifest digest mismatch, got {other:?}"),
    }
}

#[test]
fn diff_id_mismatch_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let mut blob = Blob::gzip_tar(&[Member::file("f", b"1")]);
    blob.diff_id = sha256(b"something else");
    oci_layout(tmp.path(), &[blob]);
    match open_layout(tmp.path()) {
        Err(ImageError::DiffIdMismatch {
            index: 0, expected, ..
        }) => assert_eq!(expected, sha256(b"something else")),
        other => panic!("expected a diff_id mismatch, got {other:?}"),
    }
}

#[test]
fn metadata_limits_and_nesting_depth() {
    // A config over the JSON limit.
    let tmp = tempfile::tempdir().unwrap();
    oci_layout(tmp.path(), &[Blob::plain_tar(&[Member::file("f", b"1")])]);
    let options = OpenOptions {
        limits: Limits {
            max_json_bytes: 300,
            ..Limits::default()
        },
        ..OpenOptions::default()
    };
    assert!(matches!(
        read_metadata(&tmp.path().display().to_string(), &options),
        Err(ImageError::Limit { .. })
    ));
    // An index that points at itself through nested indexes.
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("oci-layout"),
        br#"{"imageLayoutVersion":"1.0.0"}"#,
    )
    .unwrap();
    let mut inner = serde_json::json!({"schemaVersion": 2, "manifests": []});
    let mut digest = String::new();
    for _ in 0..8 {
        let bytes = serde_json::to_vec(&inner).unwrap();
        digest = write_blob(tmp.path(), &bytes);
        inner = serde_json::json!({"schemaVersion": 2, "manifests": [{
            "mediaType": "application/vnd.oci.image.index.v1+json", "digest": digest, "size": bytes.len()}]});
    }
    std::fs::write(
        tmp.path().join("index.json"),
        serde_json::to_vec(&inner).unwrap(),
    )
    .unwrap();
    match read_metadata(&tmp.path().display().to_string(), &OpenOptions::default()) {
        Err(ImageError::Limit { what, .. }) => assert!(what.contains("max_index_depth"), "{what}"),
        other => panic!("expected the depth limit, got {other:?} ({digest})"),
    }
    // Digests that try to leave the blob directory are refused before any file is opened.
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("oci-layout"),
        br#"{"imageLayoutVersion":"1.0.0"}"#,
    )
    .unwrap();
    let index = serde_json::json!({"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:../../../etc/passwd", "size": 1}]});
    std::fs::write(
        tmp.path().join("index.json"),
        serde_json::to_vec(&index).unwrap(),
    )
    .unwrap();
    assert!(read_metadata(&tmp.path().display().to_string(), &OpenOptions::default()).is_err());
}

#[test]
fn broken_archives_give_clear_errors() {
    let tmp = tempfile::tempdir().unwrap();
    // Not an archive at all.
    let junk = tmp.path().join("junk.bin");
    std::fs::write(&junk, b"this is not a tar archive, not even close.....").unwrap();
    assert!(matches!(
        read_metadata(&junk.display().to_string(), &OpenOptions::default()),
        Err(ImageError::Detect { .. })
    ));
    // A tar with neither layout file.
    let other = tmp.path().join("other.tar");
    std::fs::write(&other, tar_of(&[("README", Some(b"hi".as_slice()), None)])).unwrap();
    assert!(matches!(
        read_metadata(&other.display().to_string(), &OpenOptions::default()),
        Err(ImageError::Detect { .. })
    ));
    // A truncated gzipped archive.
    let layout = tmp.path().join("layout");
    oci_layout(
        &layout,
        &[Blob::gzip_tar(&[Member::file("f", &vec![1u8; 100_000])])],
    );
    let archive = gzip(&tar_dir(&layout));
    let cut = tmp.path().join("cut.tar.gz");
    std::fs::write(&cut, &archive[..archive.len() * 2 / 3]).unwrap();
    let err = open(
        &cut.display().to_string(),
        &OpenOptions::default(),
        &All,
        &NoReporter,
    )
    .unwrap_err();
    assert!(err.to_string().contains("cut.tar.gz"), "{err}");
    // A docker manifest.json that tries to read outside the archive.
    let evil = tmp.path().join("evil.tar");
    let manifest = br#"[{"Config":"../../etc/passwd","Layers":[]}]"#;
    std::fs::write(
        &evil,
        tar_of(&[("manifest.json", Some(manifest.as_slice()), None)]),
    )
    .unwrap();
    match read_metadata(&evil.display().to_string(), &OpenOptions::default()) {
        Err(ImageError::Invalid { reason, .. }) => {
            assert!(reason.contains("climbs above"), "{reason}")
        }
        other => panic!("expected an invalid manifest, got {other:?}"),
    }
    // Daemons are refused with a hint (registries are read: see the CLI registry tests).
    assert!(matches!(
        read_metadata("docker-daemon:alpine:3", &OpenOptions::default()),
        Err(ImageError::UnsupportedSource { .. })
    ));
    // A malformed registry reference is refused before any network access.
    assert!(matches!(
        read_metadata("registry:Not/A/Valid:Ref:", &OpenOptions::default()),
        Err(ImageError::UnsupportedSource { .. })
    ));
}

/// A sink that keeps a byte count only.
struct Counter(u64);

impl ContentSink for Counter {
    fn write(&mut self, chunk: &[u8]) {
        self.0 += chunk.len() as u64;
    }
    fn finish(self: Box<Self>) -> Option<Vec<u8>> {
        Some(self.0.to_string().into_bytes())
    }
}

struct Mixed;

impl CapturePolicy for Mixed {
    fn capture(&self, header: &EntryHeader<'_>) -> Capture {
        match header.path {
            "/count" => Capture::Sink(Box::new(Counter(0))),
            "/head" => Capture::Whole { max_bytes: 4 },
            "/capped" => Capture::Whole {
                max_bytes: u64::MAX,
            },
            _ => Capture::Skip,
        }
    }
}

#[test]
fn capture_sinks_and_caps() {
    let tar = tar_bytes(
        &[
            Member::file("count", &vec![1u8; 150_000]),
            Member::file("head", b"0123456789"),
            Member::file("capped", &vec![2u8; 5000]),
            Member::file("skipped", b"zzz"),
        ],
        true,
    );
    let limits = Limits {
        max_capture_bytes: 1000,
        ..Limits::default()
    };
    let scanned = scan_layer(zstd(&tar).as_slice(), 3, &Mixed, &limits).unwrap();
    assert_eq!(scanned.compression, Compression::Zstd);
    assert_eq!(scanned.diff_id, sha256(&tar));
    assert_eq!(scanned.uncompressed_size, tar.len() as u64);
    let view = onus_fs::SquashedView::from_layers(
        (0..4)
            .map(|index| onus_fs::LayerId {
                index,
                diff_id: String::new(),
            })
            .collect(),
        vec![
            Default::default(),
            Default::default(),
            Default::default(),
            scanned.listing,
        ],
    );
    assert_eq!(
        view.content("/count").map(|c| c.bytes.to_vec()),
        Some(b"150000".to_vec())
    );
    let head = view.content("/head").unwrap();
    assert_eq!((&head.bytes[..], head.complete), (&b"0123"[..], false));
    let capped = view.content("/capped").unwrap();
    assert_eq!((capped.bytes.len(), capped.complete), (1000, false));
    assert!(view.content("/skipped").is_none());
    assert_eq!(
        view.entry("/skipped").map(|v| (v.layer, v.meta.size)),
        Some((3, 3))
    );
    assert!(scanned
        .unknowns
        .iter()
        .any(|(p, r)| p == "/capped" && r.contains("max_capture_bytes")));
    assert!(
        !scanned.unknowns.iter().any(|(p, _)| p == "/head"),
        "a policy's own cap is not an unknown"
    );
}

#[test]
fn dir_source_never_follows_host_symlinks() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("rootfs");
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::create_dir_all(root.join("usr/lib/apk/db")).unwrap();
    std::fs::write(root.join("usr/lib/apk/db/installed"), b"P:musl\nV:1\n").unwrap();
    std::fs::write(root.join("etc/os-release"), b"ID=test\n").unwrap();
    std::os::unix::fs::symlink("/etc", root.join("host-etc")).unwrap();
    std::os::unix::fs::symlink("../usr/lib/apk", root.join("etc/apk")).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", root.join("etc/passwd")).unwrap();
    let _socket = std::os::unix::net::UnixListener::bind(root.join("sock")).unwrap();
    let image = open(
        &format!("dir:{}", root.display()),
        &OpenOptions::default(),
        &All,
        &NoReporter,
    )
    .unwrap();
    assert_eq!(image.scheme, "dir");
    assert_eq!(image.meta.layers.len(), 1);
    assert_eq!(image.meta.layers[0].diff_id, "");
    let view = &image.view;
    assert_eq!(view.layers()[0].diff_id, "");
    // `/host-etc` points at the image's own /etc, never the host's.
    assert_eq!(
        view.entry("/host-etc").map(|v| v.meta.kind),
        Some(FileKind::Symlink)
    );
    assert_eq!(
        view.resolve("/host-etc/os-release").as_deref(),
        Ok("/etc/os-release")
    );
    assert_eq!(
        view.content("/host-etc/os-release")
            .map(|c| c.bytes.to_vec()),
        Some(b"ID=test\n".to_vec())
    );
    // `/etc/passwd` is a link into the image, where nothing is: the host file is not read.
    assert!(view.content("/etc/passwd").is_none());
    assert_eq!(
        view.resolve("/etc/apk/db/installed").as_deref(),
        Ok("/usr/lib/apk/db/installed")
    );
    assert_eq!(
        view.entry("/sock").map(|v| v.meta.kind),
        Some(FileKind::Other)
    );
    // Detection without a scheme.
    let detected = open(
        &root.display().to_string(),
        &OpenOptions::default(),
        &CaptureNothing,
        &NoReporter,
    )
    .unwrap();
    assert_eq!(detected.scheme, "dir");
}

#[test]
fn outer_archive_members_outside_the_root_are_ignored() {
    let tmp = tempfile::tempdir().unwrap();
    let layout = tmp.path().join("layout");
    oci_layout(&layout, &[Blob::gzip_tar(&[Member::file("f", b"1")])]);
    let mut tar = tar_dir(&layout);
    // Append a hostile member before the end blocks: a name that climbs out.
    tar.truncate(tar.len() - 1024);
    let evil = raw_header(&Member::file("../../outside", b"boom"));
    tar.extend_from_slice(evil.as_bytes());
    tar.extend_from_slice(b"boom");
    tar.extend(std::iter::repeat_n(0u8, 508 + 1024));
    let path = tmp.path().join("oci.tar");
    std::fs::write(&path, &tar).unwrap();
    let image = open(
        &path.display().to_string(),
        &OpenOptions::default(),
        &All,
        &NoReporter,
    )
    .unwrap();
    assert_eq!(image.scheme, "oci-archive");
    assert!(image.view.entry("/f").is_some());
    assert!(!tmp.path().parent().unwrap().join("outside").exists());
    let gz = tmp.path().join("oci.tar.gz");
    let mut encoder = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::fast(),
    );
    encoder.write_all(&tar).unwrap();
    encoder.finish().unwrap();
    assert!(open(
        &gz.display().to_string(),
        &OpenOptions::default(),
        &All,
        &NoReporter
    )
    .is_ok());
}

#[test]
fn zstd_and_plain_layers_and_layer_sizes() {
    let tmp = tempfile::tempdir().unwrap();
    let a = Blob::zstd_tar(&[Member::file("a", b"1")]);
    let b = Blob::plain_tar(&[Member::dir("d"), Member::file("d/b", b"2")]);
    let sizes = (a.bytes.len() as u64, b.bytes.len() as u64);
    oci_layout(tmp.path(), &[a, b]);
    let image = open_layout(tmp.path()).unwrap();
    assert_eq!(
        (image.meta.layers[0].size, image.meta.layers[1].size),
        sizes
    );
    assert_eq!(
        image.meta.layers[1].created_by.as_deref(),
        Some("RUN step 1"),
        "empty_layer history entries skipped"
    );
    assert_eq!(image.meta.entrypoint, vec!["/bin/app".to_string()]);
    assert_eq!(image.meta.cmd, vec!["--serve".to_string()]);
    assert_eq!(image.meta.user.as_deref(), Some("65532"));
    assert_eq!(
        image.meta.labels.get("team").map(String::as_str),
        Some("onus")
    );
    assert_eq!(image.meta.created.as_deref(), Some("2024-01-02T03:04:05Z"));
    assert_eq!(
        image
            .meta
            .annotations
            .get("org.opencontainers.image.base.name")
            .map(String::as_str),
        Some("example.invalid/base:1")
    );
    assert_eq!(
        image.meta.repo_tags,
        vec!["example.invalid/app:1".to_string()]
    );
    assert_eq!(image.view.entry("/d/b").map(|v| v.layer), Some(1));
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 256, ..Default::default() })]

    /// Random bytes as a layer (plain, behind a gzip or zstd magic, or as a corrupted real tar)
    /// never panic.
    #[test]
    fn random_layers_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..4096), flip in 0usize..4096) {
        let limits = Limits::default();
        let _ = scan_layer(bytes.as_slice(), 0, &All, &limits);
        let mut gz = vec![0x1f, 0x8b];
        gz.extend_from_slice(&bytes);
        let _ = scan_layer(gz.as_slice(), 0, &All, &limits);
        let mut zst = vec![0x28, 0xb5, 0x2f, 0xfd];
        zst.extend_from_slice(&bytes);
        let _ = scan_layer(zst.as_slice(), 0, &All, &limits);
        let mut tar = tar_bytes(&[Member::file("a/b", b"hello"), Member::symlink("c", "a/b"), Member::file("a/.wh.b", b"")], true);
        let at = flip % tar.len();
        tar[at] ^= bytes.first().copied().unwrap_or(0xff);
        tar.extend_from_slice(&bytes);
        if let Ok(scanned) = scan_layer(tar.as_slice(), 0, &All, &limits) {
            let view = onus_fs::SquashedView::from_layers(
                vec![onus_fs::LayerId { index: 0, diff_id: scanned.diff_id.clone() }],
                vec![scanned.listing],
            );
            for path in view.paths() {
                let _ = view.resolve(path);
            }
        }
    }
}

#[test]
fn deep_paths_are_bounded() {
    // A path longer than PATH_MAX is reported and skipped; distinct deep directory chains stop at
    // the view's size limit instead of growing memory with the square of the depth.
    let mut builder = tar::Builder::new(Vec::new());
    let mut add = |path: &str| {
        let mut header = tar::Header::new_gnu();
        header.set_size(1);
        header.set_mode(0o644);
        builder.append_data(&mut header, path, &b"x"[..]).unwrap();
    };
    let too_long = format!("{}f", "d/".repeat(2100));
    add(&too_long);
    for i in 0..200 {
        add(&format!("top{i}/{}f", "abcdefgh/".repeat(100)));
    }
    let tar = builder.into_inner().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let blob = Blob::gzip_tar(&[]);
    let blob = Blob {
        diff_id: sha256(&tar),
        bytes: gzip(&tar),
        ..blob
    };
    oci_layout(tmp.path(), &[blob]);
    let image = open_layout(tmp.path()).unwrap();
    assert!(
        image
            .unknowns
            .iter()
            .any(|(_, r)| r.contains("over 4096 bytes")),
        "{:?}",
        image.unknowns
    );
    assert_eq!(
        image.view.paths().filter(|p| p.ends_with("/f")).count(),
        200
    );
    let options = OpenOptions {
        limits: Limits {
            max_memory_bytes: 1 << 20,
            ..Limits::default()
        },
        ..OpenOptions::default()
    };
    match open(
        &tmp.path().display().to_string(),
        &options,
        &All,
        &NoReporter,
    ) {
        Err(ImageError::Limit { object, what }) => {
            assert!(object.starts_with("layer 0 `sha256:"), "{object}");
            assert!(
                what.contains("memory budget of 1 MiB") && what.contains("--max-memory"),
                "{what}"
            );
        }
        other => panic!("expected the memory budget, got {other:?}"),
    }
}

#[test]
fn content_reached_through_links_a_later_layer_adds_is_found() {
    let tmp = tempfile::tempdir().unwrap();
    let layout = tmp.path().join("layout");
    let base = Blob::gzip_tar(&[
        Member::dir("data"),
        Member::file("data/os", b"ID=wolfi\nVERSION_ID=20230201\n"),
    ]);
    // 39 hops: /etc/os-release -> /l/1 -> ... -> /l/38 -> /data/os (Linux allows 40).
    let mut members = vec![Member::dir("etc"), Member::dir("l")];
    members.push(Member::symlink("etc/os-release", "/l/1"));
    for i in 1..38 {
        members.push(Member::symlink(&format!("l/{i}"), &format!("/l/{}", i + 1)));
    }
    members.push(Member::symlink("l/38", "/data/os"));
    let links = Blob::gzip_tar(&members);
    oci_layout(&layout, &[base, links]);
    // The file reached is read again whether the view kept it with an entry or without one.
    for keeps_entries in [true, false] {
        let policy: &dyn onus_fs::CapturePolicy = if keeps_entries {
            &OsRelease
        } else {
            &common::OsReleaseOnly
        };
        let image = open(
            &format!("oci-dir:{}", layout.display()),
            &OpenOptions::default(),
            policy,
            &NoReporter,
        )
        .unwrap();
        let target = image.view.resolve("/etc/os-release").unwrap();
        assert_eq!(target, "/data/os");
        let content = image.view.entry(&target).unwrap().content.clone().unwrap();
        assert_eq!(&*content.bytes, b"ID=wolfi\nVERSION_ID=20230201\n");
    }
}
