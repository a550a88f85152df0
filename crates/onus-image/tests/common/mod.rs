//! Helpers for the image tests: locating the shared data, and building layer tars, OCI layouts
//! and docker archives in temp dirs with the tar crate (including hostile headers).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::path::{Path, PathBuf};

use onus_fs::{Capture, CapturePolicy, EntryHeader};
use sha2::{Digest, Sha256};

/// The shared data directory, or None (after saying so) when it is absent.
pub fn shared_data() -> Option<PathBuf> {
    let dir = std::env::var_os("ONUS_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data"))
        });
    if dir.join("apko-images").is_dir() {
        Some(dir)
    } else {
        #[allow(clippy::print_stderr)]
        {
            eprintln!("skipping: shared data not found at {}", dir.display());
        }
        None
    }
}

pub fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

pub fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::MultiGzDecoder::new(bytes), &mut out).unwrap();
    out
}

pub fn zstd(bytes: &[u8]) -> Vec<u8> {
    zstd::encode_all(bytes, 3).unwrap()
}

/// One raw tar member; the name bytes go into the header as they are (no validation), so
/// hostile names (`../x`, `/abs`) can be written.
pub struct Member {
    pub name: Vec<u8>,
    pub kind: tar::EntryType,
    pub data: Vec<u8>,
    pub link: Option<Vec<u8>>,
    /// Size to declare instead of `data.len()` (for truncation tests).
    pub declared: Option<u64>,
    pub mode: u32,
}

impl Member {
    pub fn file(name: &str, data: &[u8]) -> Self {
        Member {
            name: name.into(),
            kind: tar::EntryType::Regular,
            data: data.to_vec(),
            link: None,
            declared: None,
            mode: 0o644,
        }
    }
    pub fn dir(name: &str) -> Self {
        Member {
            name: name.into(),
            kind: tar::EntryType::Directory,
            data: vec![],
            link: None,
            declared: None,
            mode: 0o755,
        }
    }
    pub fn symlink(name: &str, target: &str) -> Self {
        Member {
            name: name.into(),
            kind: tar::EntryType::Symlink,
            data: vec![],
            link: Some(target.into()),
            declared: None,
            mode: 0o777,
        }
    }
    pub fn hardlink(name: &str, target: &str) -> Self {
        Member {
            name: name.into(),
            kind: tar::EntryType::Link,
            data: vec![],
            link: Some(target.into()),
            declared: None,
            mode: 0o644,
        }
    }
}

/// Write a ustar header by hand (names up to 100 bytes, no checks) followed by the data.
pub fn raw_header(member: &Member) -> tar::Header {
    let mut header = tar::Header::new_ustar();
    {
        let old = header.as_old_mut();
        let n = member.name.len().min(100);
        old.name[..n].copy_from_slice(&member.name[..n]);
        if let Some(link) = &member.link {
            let n = link.len().min(100);
            old.linkname[..n].copy_from_slice(&link[..n]);
        }
    }
    header.set_entry_type(member.kind);
    header.set_mode(member.mode);
    header.set_size(member.declared.unwrap_or(member.data.len() as u64));
    header.set_mtime(0);
    header.set_uid(0);
    header.set_gid(0);
    header.set_cksum();
    header
}

/// A tar stream of `members`, with end-of-archive blocks unless `finish` is false.
pub fn tar_bytes(members: &[Member], finish: bool) -> Vec<u8> {
    let mut out = Vec::new();
    for member in members {
        let header = raw_header(member);
        out.extend_from_slice(header.as_bytes());
        out.extend_from_slice(&member.data);
        let pad = (512 - member.data.len() % 512) % 512;
        out.extend(std::iter::repeat_n(0u8, pad));
    }
    if finish {
        out.extend(std::iter::repeat_n(0u8, 1024));
    }
    out
}

/// A layer to put into a layout: the blob as stored and its diff_id.
pub struct Blob {
    pub bytes: Vec<u8>,
    pub diff_id: String,
    pub media_type: &'static str,
}

impl Blob {
    pub fn gzip_tar(members: &[Member]) -> Self {
        let tar = tar_bytes(members, true);
        Blob {
            diff_id: sha256(&tar),
            bytes: gzip(&tar),
            media_type: "application/vnd.oci.image.layer.v1.tar+gzip",
        }
    }
    pub fn plain_tar(members: &[Member]) -> Self {
        let tar = tar_bytes(members, true);
        Blob {
            diff_id: sha256(&tar),
            bytes: tar,
            media_type: "application/vnd.oci.image.layer.v1.tar",
        }
    }
    pub fn zstd_tar(members: &[Member]) -> Self {
        let tar = tar_bytes(members, true);
        Blob {
            diff_id: sha256(&tar),
            bytes: zstd(&tar),
            media_type: "application/vnd.oci.image.layer.v1.tar+zstd",
        }
    }
}

pub fn write_blob(layout: &Path, bytes: &[u8]) -> String {
    let digest = sha256(bytes);
    let dir = layout.join("blobs/sha256");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(digest.trim_start_matches("sha256:")), bytes).unwrap();
    digest
}

pub fn config_json(diff_ids: &[String], arch: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "architecture": arch,
        "os": "linux",
        "created": "2024-01-02T03:04:05Z",
        "config": {"Entrypoint": ["/bin/app"], "Cmd": ["--serve"], "User": "65532", "Labels": {"team": "onus"}},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": diff_ids.iter().enumerate().flat_map(|(i, _)| vec![
            serde_json::json!({"created_by": "ENV X=1", "empty_layer": true}),
            serde_json::json!({"created_by": format!("RUN step {i}")}),
        ]).collect::<Vec<_>>(),
    }))
    .unwrap()
}

/// Write an OCI layout with one linux/amd64 image made of `blobs`; returns the manifest digest.
pub fn oci_layout(layout: &Path, blobs: &[Blob]) -> String {
    let diff_ids: Vec<String> = blobs.iter().map(|b| b.diff_id.clone()).collect();
    oci_layout_with_config(layout, blobs, &config_json(&diff_ids, "amd64"))
}

pub fn oci_layout_with_config(layout: &Path, blobs: &[Blob], config: &[u8]) -> String {
    std::fs::create_dir_all(layout).unwrap();
    std::fs::write(
        layout.join("oci-layout"),
        br#"{"imageLayoutVersion":"1.0.0"}"#,
    )
    .unwrap();
    let config_digest = write_blob(layout, config);
    let layers: Vec<serde_json::Value> = blobs
        .iter()
        .map(|b| {
            let digest = write_blob(layout, &b.bytes);
            serde_json::json!({"mediaType": b.media_type, "digest": digest, "size": b.bytes.len()})
        })
        .collect();
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config.len()},
        "layers": layers,
        "annotations": {"org.opencontainers.image.base.name": "example.invalid/base:1"},
    }))
    .unwrap();
    let manifest_digest = write_blob(layout, &manifest);
    let index = serde_json::json!({
        "schemaVersion": 2,
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": manifest_digest, "size": manifest.len(),
            "platform": {"os": "linux", "architecture": "amd64"},
            "annotations": {"org.opencontainers.image.ref.name": "example.invalid/app:1"},
        }],
    });
    std::fs::write(
        layout.join("index.json"),
        serde_json::to_vec(&index).unwrap(),
    )
    .unwrap();
    manifest_digest
}

/// Tar up every file under `dir` (sorted, relative names), in place of `tar -cf`.
pub fn tar_dir(dir: &Path) -> Vec<u8> {
    let mut files = Vec::new();
    collect(dir, dir, &mut files);
    files.sort();
    let mut builder = tar::Builder::new(Vec::new());
    for rel in files {
        let data = std::fs::read(dir.join(&rel)).unwrap();
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_entry_type(tar::EntryType::Regular);
        builder
            .append_data(&mut header, &rel, data.as_slice())
            .unwrap();
    }
    builder.into_inner().unwrap()
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect(root, &path, out);
        } else {
            out.push(
                path.strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
            );
        }
    }
}

/// A member for [`tar_of`]: name, data (a file) or link target (a symlink).
pub type ArchiveFile<'a> = (&'a str, Option<&'a [u8]>, Option<&'a str>);

/// A tar of named in-memory files (and symlinks: data None, link Some).
pub fn tar_of(files: &[ArchiveFile<'_>]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (name, data, link) in files {
        let mut header = tar::Header::new_gnu();
        header.set_mode(0o644);
        match (data, link) {
            (Some(data), _) => {
                header.set_size(data.len() as u64);
                header.set_entry_type(tar::EntryType::Regular);
                builder.append_data(&mut header, name, *data).unwrap();
            }
            (None, Some(link)) => {
                header.set_size(0);
                header.set_entry_type(tar::EntryType::Symlink);
                builder.append_link(&mut header, name, link).unwrap();
            }
            _ => unreachable!("a member is data or a link"),
        }
    }
    builder.into_inner().unwrap()
}

/// Captures `/etc/os-release` whole, as the os-release cataloger asks.
pub struct OsRelease;

impl CapturePolicy for OsRelease {
    fn capture(&self, header: &EntryHeader<'_>) -> Capture {
        if header.path == "/etc/os-release" {
            Capture::Whole { max_bytes: 1 << 16 }
        } else {
            Capture::Skip
        }
    }
}

/// [`OsRelease`], keeping every file it does not capture without an entry.
pub struct OsReleaseOnly;

impl CapturePolicy for OsReleaseOnly {
    fn capture(&self, header: &EntryHeader<'_>) -> Capture {
        OsRelease.capture(header)
    }

    fn keep_entry(&self, _header: &EntryHeader<'_>) -> bool {
        false
    }
}
