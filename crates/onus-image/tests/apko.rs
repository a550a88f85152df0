//! Real images: the apko OCI layouts in the shared data, read as oci-dir and repackaged in
//! temp dirs as oci-archive and docker-archive (plain and gzipped), all giving the same result.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::*;
use onus_fs::{Capture, CapturePolicy, EntryHeader, FileKind, FileView, NoReporter};
use onus_image::{open, read_metadata, Image, ImageError, OpenOptions};

/// Captures the apk database wherever the layer puts it.
struct ApkDb;

impl CapturePolicy for ApkDb {
    fn capture(&self, header: &EntryHeader<'_>) -> Capture {
        if header.path.ends_with("/apk/db/installed") || header.path == "/etc/os-release" {
            Capture::Whole { max_bytes: 1 << 20 }
        } else {
            Capture::Skip
        }
    }
}

fn open_default(source: &str) -> Image {
    open(source, &OpenOptions::default(), &ApkDb, &NoReporter).unwrap()
}

/// Everything observable about a view: path → (kind, layer, link target, content length).
fn fingerprint(
    image: &Image,
) -> BTreeMap<String, (FileKind, usize, Option<String>, Option<usize>)> {
    image
        .view
        .paths()
        .map(|p| {
            let v = image.view.entry(p).unwrap();
            (
                p.to_string(),
                (
                    v.meta.kind,
                    v.layer,
                    v.meta.link_target.clone(),
                    v.content.as_ref().map(|c| c.bytes.len()),
                ),
            )
        })
        .collect()
}

#[test]
fn base_image_multi_arch_index_picks_amd64() {
    let Some(data) = shared_data() else { return };
    let dir = data.join("apko-images/base_image");
    let image = open_default(&format!("oci-dir:{}", dir.display()));
    assert_eq!(image.scheme, "oci-dir");
    assert_eq!(image.platform.as_deref(), Some("linux/amd64"));
    assert_eq!(
        image.meta.manifest_digest.as_deref(),
        Some("sha256:2ef91a9967f2e1759ea49a8c01cf6a45dd9f9af71fe09bcf2b86175bc4a71314")
    );
    assert_eq!(image.meta.layers.len(), 1);
    let layer = &image.meta.layers[0];
    assert_eq!(
        layer.digest.as_deref(),
        Some("sha256:bf74ddaf55d32ec9672a0a40efc6cb1bf0a167763c18fc22586c8a301167822f")
    );
    assert_eq!(layer.size, 4126);
    assert!(layer.diff_id.starts_with("sha256:"));
    let installed = image
        .view
        .content("/lib/apk/db/installed")
        .expect("apk db captured");
    assert!(installed.complete);
    assert!(std::str::from_utf8(&installed.bytes)
        .unwrap()
        .contains("P:pretend-baselayout"));
    assert_eq!(
        image.view.entry("/dev/null").map(|v| v.meta.kind),
        Some(FileKind::Other)
    );
    assert!(image.unknowns.is_empty(), "{:?}", image.unknowns);
    // Files the policy did not ask for carry no content.
    assert!(image.view.entry("/x/hello.txt").unwrap().content.is_none());
}

#[test]
fn platform_option_selects_arm64() {
    let Some(data) = shared_data() else { return };
    let dir = data.join("apko-images/base_image");
    let options = OpenOptions {
        platform: Some("linux/arm64".into()),
        ..OpenOptions::default()
    };
    let image = open(&dir.display().to_string(), &options, &ApkDb, &NoReporter).unwrap();
    assert_eq!(image.platform.as_deref(), Some("linux/arm64"));
    assert_eq!(
        image.meta.manifest_digest.as_deref(),
        Some("sha256:5a99438a9ced8193f1d71209d0b558fdc0b184aee5cf258e5f7aa9a6ab0f0671")
    );
    let arch = image.view.entry("/etc/apk/arch").map(|v| v.meta.size);
    assert_eq!(arch, Some(8), "aarch64 plus a newline");
    let options = OpenOptions {
        platform: Some("linux/s390x".into()),
        ..OpenOptions::default()
    };
    match open(&dir.display().to_string(), &options, &ApkDb, &NoReporter) {
        Err(ImageError::Platform {
            wanted, available, ..
        }) => {
            assert_eq!(wanted, "linux/s390x");
            assert_eq!(available, "linux/amd64, linux/arm64");
        }
        other => panic!("expected a platform error, got {other:?}"),
    }
}

#[test]
fn top_image_layers_and_usr_merge_symlink() {
    let Some(data) = shared_data() else { return };
    let base = open_default(&data.join("apko-images/base_image").display().to_string());
    let top = open_default(&data.join("apko-images/top_image").display().to_string());
    assert_eq!(top.scheme, "oci-dir");
    assert_eq!(top.meta.layers.len(), 2);
    // The first layer is the base image's layer.
    assert_eq!(top.meta.layers[0].digest, base.meta.layers[0].digest);
    assert_eq!(top.meta.layers[0].diff_id, base.meta.layers[0].diff_id);
    assert_ne!(top.meta.layers[1].diff_id, base.meta.layers[0].diff_id);
    assert_eq!(top.meta.layers[1].created_by.as_deref(), Some("apko"));
    let view = &top.view;
    assert_eq!(view.layers().len(), 2);
    // `lib/apk` (a directory in layer 0) became a symlink in layer 1; its old children are gone.
    let lib_apk = view.entry("/lib/apk").unwrap();
    assert_eq!((lib_apk.meta.kind, lib_apk.layer), (FileKind::Symlink, 1));
    assert_eq!(lib_apk.meta.link_target.as_deref(), Some("../usr/lib/apk"));
    assert!(view.entry("/lib/apk/db/installed").is_none());
    assert_eq!(
        view.resolve("/lib/apk/db/installed").as_deref(),
        Ok("/usr/lib/apk/db/installed")
    );
    let installed = view.content("/lib/apk/db/installed").unwrap();
    assert!(std::str::from_utf8(&installed.bytes)
        .unwrap()
        .contains("P:replayout"));
    assert_eq!(view.entry("/usr/lib/apk/db/installed").unwrap().layer, 1);
    // Layer 0 files not touched by layer 1 are still visible; rewritten ones show both versions.
    assert_eq!(view.entry("/x/hello.txt").unwrap().layer, 0);
    assert_eq!(
        view.history("/etc/os-release")
            .iter()
            .map(|v| v.layer)
            .collect::<Vec<_>>(),
        vec![0, 1]
    );
    assert!(top.unknowns.is_empty(), "{:?}", top.unknowns);
}

#[test]
fn golden_index_annotations_reach_the_metadata() {
    let Some(data) = shared_data() else { return };
    let dir = data.join("apko-images/golden");
    let meta = read_metadata(&dir.display().to_string(), &OpenOptions::default()).unwrap();
    assert_eq!(
        meta.annotations
            .get("org.opencontainers.image.title")
            .map(String::as_str),
        Some("Title")
    );
    assert_eq!(
        meta.annotations
            .get("org.opencontainers.image.vendor")
            .map(String::as_str),
        Some("Vendor")
    );
    assert_eq!(meta.platform.as_deref(), Some("linux/amd64"));
    let image = open_default(&dir.display().to_string());
    assert_eq!(image.meta, meta);
}

/// Unpack the gzip layers of an OCI layout into a legacy `docker save` directory tree in memory:
/// `manifest.json`, `<config hex>.json`, `<n>/layer.tar` (uncompressed).
fn docker_legacy_files(layout: &Path, platform: &str) -> Vec<(String, Vec<u8>)> {
    let meta = read_metadata(
        &layout.display().to_string(),
        &OpenOptions {
            platform: Some(platform.into()),
            ..OpenOptions::default()
        },
    )
    .unwrap();
    let blob = |digest: &str| {
        std::fs::read(
            layout
                .join("blobs/sha256")
                .join(digest.trim_start_matches("sha256:")),
        )
        .unwrap()
    };
    let config_digest = meta.config_digest.clone().unwrap();
    let config_name = format!("{}.json", config_digest.trim_start_matches("sha256:"));
    let mut files = vec![(config_name.clone(), blob(&config_digest))];
    let mut layers = Vec::new();
    for layer in &meta.layers {
        let name = format!("{}/layer.tar", layer.index);
        files.push((
            name.clone(),
            gunzip(&blob(layer.digest.as_deref().unwrap())),
        ));
        layers.push(name);
    }
    let manifest = serde_json::json!([{"Config": config_name, "RepoTags": ["example.invalid/top:1"], "Layers": layers}]);
    files.insert(
        0,
        (
            "manifest.json".to_string(),
            serde_json::to_vec(&manifest).unwrap(),
        ),
    );
    files
}

fn tar_files(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let members: Vec<ArchiveFile<'_>> = files
        .iter()
        .map(|(n, d)| (n.as_str(), Some(d.as_slice()), None))
        .collect();
    tar_of(&members)
}

#[test]
fn archives_give_the_same_view_as_the_layout() {
    let Some(data) = shared_data() else { return };
    let layout = data.join("apko-images/top_image");
    let reference = open_default(&layout.display().to_string());
    let expected = fingerprint(&reference);
    let tmp = tempfile::tempdir().unwrap();

    // oci-archive, plain and gzipped, with and without the scheme prefix.
    let oci_tar = tar_dir(&layout);
    std::fs::write(tmp.path().join("oci.tar"), &oci_tar).unwrap();
    std::fs::write(tmp.path().join("oci.tar.gz"), gzip(&oci_tar)).unwrap();
    // docker-archive, legacy layout with uncompressed layers, plain and gzipped.
    let docker_tar = tar_files(&docker_legacy_files(&layout, "linux/amd64"));
    std::fs::write(tmp.path().join("docker.tar"), &docker_tar).unwrap();
    std::fs::write(tmp.path().join("docker.tar.gz"), gzip(&docker_tar)).unwrap();

    for (source, scheme) in [
        (
            format!("oci-archive:{}", tmp.path().join("oci.tar").display()),
            "oci-archive",
        ),
        (
            tmp.path().join("oci.tar").display().to_string(),
            "oci-archive",
        ),
        (
            tmp.path().join("oci.tar.gz").display().to_string(),
            "oci-archive",
        ),
        (
            format!("docker-archive:{}", tmp.path().join("docker.tar").display()),
            "docker-archive",
        ),
        (
            tmp.path().join("docker.tar").display().to_string(),
            "docker-archive",
        ),
        (
            tmp.path().join("docker.tar.gz").display().to_string(),
            "docker-archive",
        ),
    ] {
        let image = open(&source, &OpenOptions::default(), &ApkDb, &NoReporter)
            .unwrap_or_else(|e| panic!("{source}: {e}"));
        assert_eq!(image.scheme, scheme, "{source}");
        assert_eq!(fingerprint(&image), expected, "{source}");
        let diff_ids: Vec<_> = image
            .meta
            .layers
            .iter()
            .map(|l| l.diff_id.clone())
            .collect();
        let expected_ids: Vec<_> = reference
            .meta
            .layers
            .iter()
            .map(|l| l.diff_id.clone())
            .collect();
        assert_eq!(diff_ids, expected_ids, "{source}");
        assert_eq!(
            image.meta.config_digest, reference.meta.config_digest,
            "{source}"
        );
        assert!(image.unknowns.is_empty(), "{source}: {:?}", image.unknowns);
        let meta = read_metadata(&source, &OpenOptions::default()).unwrap();
        assert_eq!(meta.config_digest, reference.meta.config_digest, "{source}");
        if scheme == "oci-archive" {
            assert_eq!(image.meta, reference.meta, "{source}");
            assert_eq!(meta, reference.meta, "{source}");
        } else {
            assert_eq!(
                image.meta.repo_tags,
                vec!["example.invalid/top:1".to_string()]
            );
            assert_eq!(image.meta.manifest_digest, None);
            // Legacy layers are stored uncompressed: their digest is their diff_id.
            assert_eq!(
                image.meta.layers[0].digest.as_deref(),
                Some(diff_ids[0].as_str())
            );
            assert_eq!(meta.layers.len(), 2);
        }
    }
}

#[test]
fn archive_with_arm64_platform() {
    let Some(data) = shared_data() else { return };
    let layout = data.join("apko-images/top_image");
    let options = OpenOptions {
        platform: Some("linux/arm64".into()),
        ..OpenOptions::default()
    };
    let reference = open(&layout.display().to_string(), &options, &ApkDb, &NoReporter).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let oci_gz = tmp.path().join("oci.tgz");
    std::fs::write(&oci_gz, gzip(&tar_dir(&layout))).unwrap();
    let image = open(&oci_gz.display().to_string(), &options, &ApkDb, &NoReporter).unwrap();
    assert_eq!(image.platform.as_deref(), Some("linux/arm64"));
    assert_eq!(fingerprint(&image), fingerprint(&reference));
    // A docker archive of the arm64 image: the config says arm64, so asking for amd64 fails.
    let docker = tmp.path().join("docker-arm64.tar");
    std::fs::write(
        &docker,
        tar_files(&docker_legacy_files(&layout, "linux/arm64")),
    )
    .unwrap();
    let image = open(&docker.display().to_string(), &options, &ApkDb, &NoReporter).unwrap();
    assert_eq!(image.platform.as_deref(), Some("linux/arm64"));
    let amd64 = OpenOptions {
        platform: Some("linux/amd64".into()),
        ..OpenOptions::default()
    };
    assert!(matches!(
        open(&docker.display().to_string(), &amd64, &ApkDb, &NoReporter),
        Err(ImageError::Platform { .. })
    ));
}

#[test]
fn docker_archive_blob_layout_with_gzipped_layers_and_linked_duplicates() {
    let Some(data) = shared_data() else { return };
    let layout = data.join("apko-images/top_image");
    let reference = open_default(&layout.display().to_string());
    let blob = |digest: &str| {
        std::fs::read(
            layout
                .join("blobs/sha256")
                .join(digest.trim_start_matches("sha256:")),
        )
        .unwrap()
    };
    let config = reference.meta.config_digest.clone().unwrap();
    let config_path = format!("blobs/sha256/{}", config.trim_start_matches("sha256:"));
    let mut layers = vec![];
    for layer in &reference.meta.layers {
        let digest = layer.digest.clone().unwrap();
        layers.push(format!(
            "blobs/sha256/{}",
            digest.trim_start_matches("sha256:")
        ));
    }
    let manifest =
        serde_json::to_vec(&serde_json::json!([{"Config": config_path, "Layers": layers}]))
            .unwrap();
    let config_blob = blob(&config);
    let first_blob = blob(reference.meta.layers[0].digest.as_deref().unwrap());
    let second_blob = blob(reference.meta.layers[1].digest.as_deref().unwrap());
    // The second layer is stored as a symlink to a copy under another name, as docker does for
    // layers shared between images.
    let members: Vec<ArchiveFile<'_>> = vec![
        ("manifest.json", Some(&manifest), None),
        (&config_path, Some(&config_blob), None),
        (&layers[0], Some(&first_blob), None),
        (&layers[1], None, Some("../../shared/layer.tar.gz")),
        ("shared/layer.tar.gz", Some(&second_blob), None),
    ];
    let tar = tar_of(&members);
    let tmp = tempfile::tempdir().unwrap();
    for (name, bytes) in [("d.tar", tar.clone()), ("d.tar.gz", gzip(&tar))] {
        let path = tmp.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let image = open(
            &path.display().to_string(),
            &OpenOptions::default(),
            &ApkDb,
            &NoReporter,
        )
        .unwrap();
        assert_eq!(image.scheme, "docker-archive");
        assert_eq!(fingerprint(&image), fingerprint(&reference), "{name}");
        assert_eq!(
            image.meta.layers[1].digest, reference.meta.layers[1].digest,
            "{name}"
        );
    }
}
