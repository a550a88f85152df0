//! Measures `onus_image::open` against the floor of just decompressing every layer.
//!
//! ```text
//! cargo run --release -p onus-image --example open_bench -- generate /tmp/img 4 256   # 4 layers, ~256 MiB each
//! cargo run --release -p onus-image --example open_bench -- generate /tmp/small 2 20 200  # files of ~200 bytes
//! cargo run --release -p onus-image --example open_bench -- baseline /tmp/img          # gunzip all layers to a sink
//! cargo run --release -p onus-image --example open_bench -- open /tmp/img              # onus_image::open
//! ```
//! Peak RSS: run either under `/usr/bin/time -v`. `generate DIR LAYERS MIB AVG` makes files of
//! about AVG bytes (many small files).
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::path::Path;
use std::time::Instant;

use onus_fs::{Capture, CapturePolicy, EntryHeader, FileView, NoReporter};
use sha2::{Digest, Sha256};

/// Captures what a typical cataloger set asks for: package databases and small metadata files.
struct Typical;

impl CapturePolicy for Typical {
    fn capture(&self, header: &EntryHeader<'_>) -> Capture {
        let p = header.path;
        if p.ends_with("/apk/db/installed")
            || p.ends_with("/dpkg/status")
            || p.ends_with("package.json")
        {
            Capture::Whole { max_bytes: 8 << 20 }
        } else {
            Capture::Skip
        }
    }
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

const WORDS: &[&str] = &[
    "lib",
    "usr",
    "share",
    "python",
    "module",
    "import",
    "return",
    "const",
    "function",
    "value",
    "error",
    "config",
    "static",
    "void",
    "struct",
    "package",
    "version",
    "license",
    "apache",
    "copyright",
    "the",
    "of",
    "and",
    "a",
    "to",
    "in",
    "is",
    "for",
    "that",
    "with",
    "0x7f",
    "main",
    "self",
    "data",
    "buffer",
];

/// Text-like content that compresses about as well as real file systems (3-4:1).
fn content(rng: &mut Rng, size: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(size + 16);
    while out.len() < size {
        let r = rng.next();
        if r.is_multiple_of(7) {
            out.extend_from_slice(&r.to_le_bytes()[..4]);
        } else {
            out.extend_from_slice(WORDS[(r as usize >> 8) % WORDS.len()].as_bytes());
            out.push(if r.is_multiple_of(11) { b'\n' } else { b' ' });
        }
    }
    out.truncate(size);
    out
}

fn generate(dir: &Path, layers: usize, mib: usize, small: Option<usize>) {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    std::fs::create_dir_all(dir.join("blobs/sha256")).unwrap();
    let mut descriptors = Vec::new();
    let mut diff_ids = Vec::new();
    for layer in 0..layers {
        let mut tar = tar::Builder::new(Vec::new());
        let mut written = 0usize;
        let mut n = 0usize;
        while written < mib << 20 {
            let r = rng.next();
            let size = match (small, r % 100) {
                (Some(avg), _) => (r as usize >> 16) % (2 * avg),
                (None, 0) => 4 << 20,
                (None, 1..=10) => 256 << 10,
                (None, _) => (r as usize >> 16) % 16_384,
            };
            let data = content(&mut rng, size);
            let mut header = tar::Header::new_gnu();
            header.set_size(data.len() as u64);
            header.set_mode(0o644);
            let path = format!("usr/lib/layer{layer}/d{}/f{n}.txt", n % 500);
            tar.append_data(&mut header, path, data.as_slice()).unwrap();
            written += size;
            n += 1;
        }
        if layer == 0 {
            let db = content(&mut rng, 200_000);
            let mut header = tar::Header::new_gnu();
            header.set_size(db.len() as u64);
            header.set_mode(0o644);
            tar.append_data(&mut header, "lib/apk/db/installed", db.as_slice())
                .unwrap();
        }
        let tar = tar.into_inner().unwrap();
        diff_ids.push(format!("sha256:{}", hex::encode(Sha256::digest(&tar))));
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&tar).unwrap();
        let blob = gz.finish().unwrap();
        let digest = hex::encode(Sha256::digest(&blob));
        std::fs::write(dir.join("blobs/sha256").join(&digest), &blob).unwrap();
        println!(
            "layer {layer}: {n} files, {} MiB -> {} MiB",
            tar.len() >> 20,
            blob.len() >> 20
        );
        descriptors.push(serde_json::json!({
            "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": format!("sha256:{digest}"), "size": blob.len()}));
    }
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": diff_ids}})).unwrap();
    let config_digest = hex::encode(Sha256::digest(&config));
    std::fs::write(dir.join("blobs/sha256").join(&config_digest), &config).unwrap();
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": format!("sha256:{config_digest}"), "size": config.len()},
        "layers": descriptors})).unwrap();
    let manifest_digest = hex::encode(Sha256::digest(&manifest));
    std::fs::write(dir.join("blobs/sha256").join(&manifest_digest), &manifest).unwrap();
    std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    let index = serde_json::json!({"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": format!("sha256:{manifest_digest}"), "size": manifest.len()}]});
    std::fs::write(dir.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
}

/// The floor: gunzip every layer blob to a sink, one after the other.
fn baseline(dir: &Path) {
    let meta = onus_image::read_metadata(
        &dir.display().to_string(),
        &onus_image::OpenOptions::default(),
    )
    .unwrap();
    let start = Instant::now();
    let mut total = 0u64;
    let mut buf = vec![0u8; 64 * 1024];
    for layer in &meta.layers {
        let digest = layer
            .digest
            .as_deref()
            .unwrap()
            .trim_start_matches("sha256:");
        let file = std::io::BufReader::new(
            std::fs::File::open(dir.join("blobs/sha256").join(digest)).unwrap(),
        );
        let mut gz = flate2::bufread::MultiGzDecoder::new(file);
        loop {
            let n = gz.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            total += n as u64;
        }
    }
    println!(
        "baseline: {} MiB decompressed in {:.2?}",
        total >> 20,
        start.elapsed()
    );
}

fn open(source: &str, threads: usize) {
    let start = Instant::now();
    let options = onus_image::OpenOptions {
        threads,
        ..onus_image::OpenOptions::default()
    };
    let image = onus_image::open(source, &options, &Typical, &NoReporter).unwrap();
    println!(
        "open: {} layers, {} paths, {} unknowns in {:.2?} (threads {threads})",
        image.meta.layers.len(),
        image.view.len(),
        image.unknowns.len(),
        start.elapsed()
    );
    assert!(image.view.content("/lib/apk/db/installed").is_some() || image.view.len() < 10);
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["generate", dir, layers, mib] => generate(
            Path::new(dir),
            layers.parse().unwrap(),
            mib.parse().unwrap(),
            None,
        ),
        ["generate", dir, layers, mib, avg] => generate(
            Path::new(dir),
            layers.parse().unwrap(),
            mib.parse().unwrap(),
            Some(avg.parse().unwrap()),
        ),
        ["baseline", dir] => baseline(Path::new(dir)),
        ["open", source] => open(source, 0),
        ["open", source, threads] => open(source, threads.parse().unwrap()),
        _ => println!(
            "usage: open_bench generate DIR LAYERS MIB | baseline DIR | open SOURCE [THREADS]"
        ),
    }
}
