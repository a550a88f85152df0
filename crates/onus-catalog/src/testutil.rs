//! Test helpers: hand-built layered views, and a tiny tar-layer reader that applies the real
//! capture policy (so tests exercise the same sinks an image reader would).

#![allow(clippy::unwrap_used)]

use std::io::Read;
use std::sync::Arc;

use onus_fs::{
    normalize_path, Capture, CapturePolicy, Content, EntryHeader, FileKind, FileMeta, FileVersion,
    LayerId, LayerListing, ListingEntry, SquashedView,
};

/// Builds a [`SquashedView`] layer by layer; call [`ViewBuilder::layer`] before adding entries.
#[derive(Default)]
pub struct ViewBuilder {
    listings: Vec<LayerListing>,
}

impl ViewBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Start a new layer on top of the previous ones.
    pub fn layer(mut self) -> Self {
        self.listings.push(LayerListing::default());
        self
    }

    fn push(
        mut self,
        path: &str,
        kind: FileKind,
        mode: u32,
        link: Option<&str>,
        content: Option<Content>,
    ) -> Self {
        let layer = self.listings.len() - 1;
        let size = content.as_ref().map_or(0, |c| c.bytes.len() as u64);
        let version = FileVersion {
            layer,
            meta: FileMeta {
                kind,
                mode,
                size,
                link_target: link.map(str::to_string),
            },
            content,
        };
        self.listings[layer].entries.push(ListingEntry::File {
            path: path.to_string(),
            version,
        });
        self
    }

    /// A regular file with captured content.
    pub fn file(self, path: &str, bytes: &[u8]) -> Self {
        self.push(
            path,
            FileKind::Regular,
            0o644,
            None,
            Some(content(bytes, true)),
        )
    }

    /// A regular file whose capture stopped at a cap.
    pub fn truncated(self, path: &str, bytes: &[u8]) -> Self {
        self.push(
            path,
            FileKind::Regular,
            0o644,
            None,
            Some(content(bytes, false)),
        )
    }

    /// A regular file without captured content.
    pub fn bare(self, path: &str) -> Self {
        self.push(path, FileKind::Regular, 0o644, None, None)
    }

    /// An executable regular file with captured content.
    pub fn exec(self, path: &str, bytes: &[u8]) -> Self {
        self.push(
            path,
            FileKind::Regular,
            0o755,
            None,
            Some(content(bytes, true)),
        )
    }

    pub fn dir(self, path: &str) -> Self {
        self.push(path, FileKind::Directory, 0o755, None, None)
    }

    pub fn symlink(self, path: &str, target: &str) -> Self {
        self.push(path, FileKind::Symlink, 0o777, Some(target), None)
    }

    pub fn whiteout(mut self, path: &str) -> Self {
        let layer = self.listings.len() - 1;
        self.listings[layer].entries.push(ListingEntry::Whiteout {
            path: path.to_string(),
        });
        self
    }

    pub fn build(self) -> SquashedView {
        let ids = (0..self.listings.len())
            .map(|index| LayerId {
                index,
                diff_id: format!("sha256:{index}"),
            })
            .collect();
        SquashedView::from_layers(ids, self.listings)
    }
}

pub fn content(bytes: &[u8], complete: bool) -> Content {
    Content {
        bytes: Arc::from(bytes),
        complete,
    }
}

/// Read uncompressed tar layers the way an image reader would, applying `policy`.
pub fn view_from_tars(layers: &[Vec<u8>], policy: &dyn CapturePolicy) -> SquashedView {
    let mut listings = Vec::new();
    for (index, bytes) in layers.iter().enumerate() {
        let mut listing = LayerListing::default();
        let mut archive = tar::Archive::new(bytes.as_slice());
        for entry in archive.entries().unwrap() {
            let mut entry = entry.unwrap();
            let raw = entry.path().unwrap().to_string_lossy().to_string();
            let Some(path) = normalize_path(&raw) else {
                continue;
            };
            let name = onus_fs::file_name(&path).to_string();
            let parent = onus_fs::parent(&path).to_string();
            if name == ".wh..wh..opq" {
                listing.entries.push(ListingEntry::Opaque { dir: parent });
                continue;
            }
            if let Some(hidden) = name.strip_prefix(".wh.") {
                let target = if parent == "/" {
                    format!("/{hidden}")
                } else {
                    format!("{parent}/{hidden}")
                };
                listing
                    .entries
                    .push(ListingEntry::Whiteout { path: target });
                continue;
            }
            let header = entry.header();
            let kind = match header.entry_type() {
                tar::EntryType::Regular | tar::EntryType::Continuous => FileKind::Regular,
                tar::EntryType::Directory => FileKind::Directory,
                tar::EntryType::Symlink => FileKind::Symlink,
                tar::EntryType::Link => FileKind::Hardlink,
                _ => FileKind::Other,
            };
            let mode = header.mode().unwrap() & 0o7777;
            let size = if kind == FileKind::Regular {
                header.size().unwrap()
            } else {
                0
            };
            let link_target = entry.link_name().unwrap().map(|l| {
                let l = l.to_string_lossy().to_string();
                if kind == FileKind::Hardlink {
                    normalize_path(&l).unwrap()
                } else {
                    l
                }
            });
            let content = if kind == FileKind::Regular {
                match policy.capture(&EntryHeader {
                    path: &path,
                    kind,
                    mode,
                    size,
                }) {
                    Capture::Skip => None,
                    Capture::Whole { max_bytes } => {
                        let mut buf = Vec::new();
                        (&mut entry).take(max_bytes).read_to_end(&mut buf).unwrap();
                        let complete = buf.len() as u64 == size;
                        Some(Content {
                            bytes: Arc::from(buf),
                            complete,
                        })
                    }
                    Capture::Sink(mut sink) => {
                        let mut chunk = [0u8; 8192];
                        loop {
                            let n = entry.read(&mut chunk).unwrap();
                            if n == 0 {
                                break;
                            }
                            sink.write(&chunk[..n]);
                        }
                        sink.finish().map(|bytes| Content {
                            bytes: Arc::from(bytes),
                            complete: true,
                        })
                    }
                }
            } else {
                None
            };
            listing.entries.push(ListingEntry::File {
                path,
                version: FileVersion {
                    layer: index,
                    meta: FileMeta {
                        kind,
                        mode,
                        size,
                        link_target,
                    },
                    content,
                },
            });
        }
        listings.push(listing);
    }
    let ids = (0..layers.len())
        .map(|index| LayerId {
            index,
            diff_id: format!("sha256:{index}"),
        })
        .collect();
    SquashedView::from_layers(ids, listings)
}

/// Build an uncompressed tar from `(path, mode, bytes)` regular files and `(path, target)` symlinks.
pub fn tar_of(files: &[(&str, u32, &[u8])], symlinks: &[(&str, &str)]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (path, mode, bytes) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(*mode);
        header.set_entry_type(tar::EntryType::Regular);
        header.set_cksum();
        builder.append_data(&mut header, path, *bytes).unwrap();
    }
    for (path, target) in symlinks {
        let mut header = tar::Header::new_gnu();
        header.set_size(0);
        header.set_mode(0o777);
        header.set_entry_type(tar::EntryType::Symlink);
        header.set_cksum();
        builder.append_link(&mut header, path, target).unwrap();
    }
    builder.into_inner().unwrap()
}

/// Where the shared test data lives, or `None` (after saying so on stderr) when it is absent.
#[allow(clippy::print_stderr)]
pub fn shared_data() -> Option<std::path::PathBuf> {
    let dir = std::env::var_os("ONUS_SHARED_DATA")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data"))
        });
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("skipping: shared data not found at {}", dir.display());
        None
    }
}
