//! The capture policy: which file contents the image reader keeps for the catalogers, and the
//! size caps on each. Package databases and npm manifests are kept whole (capped); Python
//! metadata is kept up to the end of its header block; Java archives and executables (found by
//! their magic, whatever their mode) are streamed through sinks that keep only a small derived
//! summary.

use onus_fs::{Capture, CapturePolicy, ContentSink, EntryHeader, FileKind};

use crate::golang_sink::GoSink;
use crate::java::{is_java_archive, JavaSink};
use crate::rust_audit::AuditSink;
use crate::{apk, binary, composer, dotnet, dpkg, gem, npm, os_release, python, rpm};

/// Size caps, in bytes, for each kind of captured content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caps {
    /// apk `installed`, dpkg `status` and `status.d/*` files, rpm databases, Composer's `installed.json` and
    /// .NET `*.deps.json`.
    pub database: u64,
    /// dpkg `info/*.list` and `*.md5sums`.
    pub file_list: u64,
    /// `os-release`.
    pub os_release: u64,
    /// Python `METADATA`/`PKG-INFO`, npm `package.json`, Ruby gemspecs.
    pub metadata: u64,
    /// Java archives are buffered up to this size to be unzipped; larger ones become unknowns.
    pub java_archive: u64,
    /// Bytes kept after an inline Go build-info header (the version and module strings).
    pub go_build_info: u64,
}

impl Default for Caps {
    fn default() -> Self {
        Caps {
            database: 64 << 20,
            file_list: 16 << 20,
            os_release: 64 << 10,
            metadata: 4 << 20,
            java_archive: 256 << 20,
            go_build_info: 1 << 20,
        }
    }
}

/// The [`CapturePolicy`] for every cataloger of this crate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CatalogCapture {
    pub caps: Caps,
}

/// The capture policy to hand to the image reader, with the default caps.
pub fn capture_policy() -> CatalogCapture {
    CatalogCapture::default()
}

/// Non-executable files smaller than this are not looked at for Go build info (the smallest Go
/// binaries are around a megabyte).
const MIN_EXECUTABLE_SIZE: u64 = 64 << 10;

fn cap_usize(cap: u64) -> usize {
    usize::try_from(cap).unwrap_or(usize::MAX)
}

impl CapturePolicy for CatalogCapture {
    fn capture(&self, header: &EntryHeader<'_>) -> Capture {
        if header.kind != FileKind::Regular {
            return Capture::Skip;
        }
        let path = header.path;
        let caps = &self.caps;
        if apk::APK_DB_PATHS.contains(&path)
            || rpm::rpm_database_at(path).is_some()
            || path == dpkg::STATUS_PATH
            || dpkg::is_status_d_file(path)
        {
            return Capture::Whole {
                max_bytes: caps.database,
            };
        }
        if dpkg::is_copyright_file(path) {
            return Capture::Sink(Box::new(dpkg::CopyrightSink::new()));
        }
        if dpkg::is_info_file_list(path) {
            return Capture::Whole {
                max_bytes: caps.file_list,
            };
        }
        if os_release::OS_RELEASE_PATHS.contains(&path) {
            return Capture::Whole {
                max_bytes: caps.os_release,
            };
        }
        // A zipped egg is read whole (its PKG-INFO is inside the zip), capped like a database.
        if python::is_zipped_egg(path) {
            return Capture::Whole {
                max_bytes: caps.database,
            };
        }
        if python::is_python_metadata(path) {
            return Capture::Sink(Box::new(python::HeaderSink::new(cap_usize(caps.metadata))));
        }
        if npm::is_npm_package_json(path)
            || npm::is_project_package_json(path)
            || gem::is_installed_gemspec(path)
        {
            return Capture::Whole {
                max_bytes: caps.metadata,
            };
        }
        // Package manifests that list many packages: capped like a package database.
        if composer::is_composer_installed(path) || dotnet::is_deps_json(path) {
            return Capture::Whole {
                max_bytes: caps.database,
            };
        }
        if is_java_archive(path) {
            return Capture::Sink(Box::new(JavaSink::new(
                cap_usize(caps.java_archive),
                header.size,
            )));
        }
        // Go binaries are found by content, like Syft (its MIME types), not by the mode: the
        // sink looks at the first four bytes and stops at once unless they announce an
        // executable format, so other files cost one allocation.
        // Programs recognised by their content (python, node, openssl, ...): only files whose
        // name a classifier names are scanned for its patterns.
        let classifiers = binary::classifiers_for(path);
        let classifier = (!classifiers.is_empty())
            .then(|| Box::new(binary::ClassifierSink::new(path, classifiers)));
        if header.mode & 0o111 != 0 || header.size >= MIN_EXECUTABLE_SIZE {
            return Capture::Sink(Box::new(ExecutableSink {
                go: Box::new(GoSink::new(cap_usize(caps.go_build_info))),
                rust: Box::new(AuditSink::new()),
                classifier,
            }));
        }
        match classifier {
            Some(sink) => Capture::Sink(sink),
            None => Capture::Skip,
        }
    }

    /// Catalogers read only what they capture; a file they do not is needed only as "exists
    /// since layer N" (a distro package's file, for its introducing layer).
    fn keep_entry(&self, _header: &EntryHeader<'_>) -> bool {
        false
    }
}

/// One pass over an executable for every kind of evidence it may hold: Go's build info,
/// `cargo auditable`'s crate graph and, for the names the classifier table lists, version
/// patterns. The first that finds something wins, in that order (build data names its modules;
/// a pattern only the program).
struct ExecutableSink {
    go: Box<GoSink>,
    rust: Box<AuditSink>,
    classifier: Option<Box<binary::ClassifierSink>>,
}

impl ContentSink for ExecutableSink {
    fn write(&mut self, chunk: &[u8]) {
        self.go.write(chunk);
        self.rust.write(chunk);
        if let Some(classifier) = self.classifier.as_mut() {
            classifier.write(chunk);
        }
    }

    fn finish(self: Box<Self>) -> Option<Vec<u8>> {
        let ExecutableSink {
            go,
            rust,
            classifier,
        } = *self;
        go.finish()
            .or_else(|| rust.finish())
            .or_else(|| classifier.and_then(|c| c.finish()))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn kind_of(path: &str, mode: u32) -> &'static str {
        let header = EntryHeader {
            path,
            kind: FileKind::Regular,
            mode,
            size: 10,
        };
        match capture_policy().capture(&header) {
            Capture::Skip => "skip",
            Capture::Whole { .. } => "whole",
            Capture::Sink(_) => "sink",
        }
    }

    #[test]
    fn captures_what_catalogers_read() {
        for path in [
            "/lib/apk/db/installed",
            "/usr/lib/apk/db/installed",
            "/var/lib/dpkg/status",
            "/var/lib/dpkg/status.d/libc6",
            "/var/lib/dpkg/status.d/libc6.md5sums",
            "/var/lib/dpkg/info/libc6:amd64.list",
            "/var/lib/dpkg/info/libc6.md5sums",
            "/etc/os-release",
            "/usr/lib/os-release",
            "/app/node_modules/@a/b/package.json",
        ] {
            assert_eq!(kind_of(path, 0o644), "whole", "{path}");
        }
        for path in [
            "/usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA",
            "/usr/lib/python3/dist-packages/six-1.16.0.egg-info/PKG-INFO",
            "/usr/lib/python3/dist-packages/six-1.16.0.egg-info",
        ] {
            assert_eq!(
                kind_of(path, 0o644),
                "sink",
                "{path}: the header block only"
            );
        }
        assert_eq!(kind_of("/app/app.jar", 0o644), "sink");
        assert_eq!(kind_of("/usr/bin/app", 0o755), "sink");
        assert_eq!(kind_of("/etc/passwd", 0o644), "skip");
        assert_eq!(kind_of("/var/lib/dpkg/info/libc6.postinst", 0o755), "sink");
        assert_eq!(kind_of("/var/lib/dpkg/info/libc6.conffiles", 0o644), "skip");
        assert_eq!(kind_of("/app/package.json", 0o644), "whole");
        let big = EntryHeader {
            path: "/usr/lib/plugin.so",
            kind: FileKind::Regular,
            mode: 0o644,
            size: MIN_EXECUTABLE_SIZE,
        };
        assert!(
            matches!(capture_policy().capture(&big), Capture::Sink(_)),
            "a non-executable file can be a Go binary"
        );
        let dir = EntryHeader {
            path: "/var/lib/dpkg/status",
            kind: FileKind::Directory,
            mode: 0o755,
            size: 0,
        };
        assert!(matches!(capture_policy().capture(&dir), Capture::Skip));
    }
}
