//! Shared helpers for onus's integration tests: the real test images and the shared data sets.
//!
//! Use from an integration test with `mod support;`. Plain std only.
//!
//! - [`test_images`] builds (once per process; the script itself holds a file lock across
//!   processes) and returns the directory with `distroless/`, `minbase/` and `multilayer/`, each
//!   holding `oci/` (OCI layout), `docker.tar` (docker save) and `expected.json` (ground truth).
//!   `None` (with a skip message on stderr) when they cannot be built here.
//! - [`shared_data`] returns `ONUS_SHARED_DATA` or `<workspace>/../shared/data` when it exists.
#![allow(dead_code, clippy::print_stderr)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The names of the images the script builds.
pub const TEST_IMAGE_NAMES: [&str; 5] = [
    "distroless",
    "minbase",
    "multilayer",
    "runtimes",
    "ecosystems",
];

/// The workspace root (two levels above this crate's manifest).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Where the images live: `ONUS_TEST_IMAGES` or `<workspace>/target/test-images`.
pub fn test_images_dir() -> PathBuf {
    match std::env::var_os("ONUS_TEST_IMAGES") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => workspace_root().join("target/test-images"),
    }
}

fn images_complete(dir: &Path) -> bool {
    TEST_IMAGE_NAMES.iter().all(|name| {
        let image = dir.join(name);
        image.join("expected.json").is_file()
            && image.join("docker.tar").is_file()
            && image.join("oci/index.json").is_file()
    })
}

/// The test-image directory, built by `scripts/build-test-images.sh` on first use.
///
/// The script is run once per process (it returns at once when the images are up to date).
/// When it fails but complete images are present (e.g. not root, no apt), those are used with
/// a warning. `None` means the tests that need them should skip.
pub fn test_images() -> Option<PathBuf> {
    static IMAGES: OnceLock<Option<PathBuf>> = OnceLock::new();
    IMAGES.get_or_init(build_test_images).clone()
}

fn build_test_images() -> Option<PathBuf> {
    let dir = test_images_dir();
    if std::env::var_os("ONUS_SKIP_TEST_IMAGE_BUILD").is_some() {
        if images_complete(&dir) {
            return Some(dir);
        }
        eprintln!(
            "skipping: test images not found at {} and ONUS_SKIP_TEST_IMAGE_BUILD is set",
            dir.display()
        );
        return None;
    }
    let script = workspace_root().join("scripts/build-test-images.sh");
    let status = Command::new("bash")
        .arg(&script)
        .env("ONUS_TEST_IMAGES", &dir)
        .status();
    match status {
        Ok(status) if status.success() && images_complete(&dir) => Some(dir),
        Ok(status) => {
            if images_complete(&dir) {
                eprintln!(
                    "warning: {} exited with {status}; using the existing images in {}",
                    script.display(),
                    dir.display()
                );
                return Some(dir);
            }
            eprintln!(
                "skipping: test images could not be built by {} ({status}); see its output above",
                script.display()
            );
            None
        }
        Err(err) => {
            eprintln!("skipping: cannot run bash {}: {err}", script.display());
            None
        }
    }
}

/// One test image's directory (`distroless`, `minbase` or `multilayer`), if the images exist.
pub fn test_image(name: &str) -> Option<PathBuf> {
    test_images().map(|dir| dir.join(name))
}

/// The shared data sets: `ONUS_SHARED_DATA` or `<workspace>/../shared/data`, if it exists.
pub fn shared_data() -> Option<PathBuf> {
    let dir = match std::env::var_os("ONUS_SHARED_DATA") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => workspace_root().join("../shared/data"),
    };
    if dir.is_dir() {
        Some(dir)
    } else {
        static SAID: std::sync::Once = std::sync::Once::new();
        SAID.call_once(|| {
            eprintln!(
                "skipping the real-data tests: the shared data set is not at {} (set ONUS_SHARED_DATA; CI requires it)",
                dir.display()
            );
        });
        None
    }
}
