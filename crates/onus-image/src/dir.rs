//! The `dir:` source: a root filesystem in a host directory, walked as one layer without ever
//! following a host symlink (symlinks are recorded as symlinks and resolved inside the view).

use std::fs::{self, File, Metadata};
use std::path::{Path, PathBuf};

use onus_fs::{CapturePolicy, EntryHeader, FileKind, FileMeta, Reporter};

use crate::walk::{read_content, WalkError, Walked};
use crate::{ImageError, Limits};

#[cfg(unix)]
fn mode_of(meta: &Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o7777
}

#[cfg(not(unix))]
fn mode_of(meta: &Metadata) -> u32 {
    if meta.is_dir() {
        0o755
    } else {
        0o644
    }
}

/// The same file as `lstat` saw (not swapped for a link or another file since).
#[cfg(unix)]
fn same_file(a: &Metadata, b: &Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    a.dev() == b.dev() && a.ino() == b.ino()
}

#[cfg(not(unix))]
fn same_file(a: &Metadata, b: &Metadata) -> bool {
    a.len() == b.len() && b.is_file()
}

fn join(dir: &str, name: &str) -> String {
    if dir == "/" {
        format!("/{name}")
    } else {
        format!("{dir}/{name}")
    }
}

/// Walk `root` into one layer listing (layer 0) plus unknowns.
pub(crate) fn walk_dir(
    root: &Path,
    capture: &dyn CapturePolicy,
    limits: &Limits,
    reporter: &dyn Reporter,
) -> Result<Walked, ImageError> {
    let meta = fs::metadata(root).map_err(|e| ImageError::io(root.display(), &e))?;
    if !meta.is_dir() {
        return Err(ImageError::Invalid {
            what: "directory source",
            object: root.display().to_string(),
            reason: "not a directory".to_string(),
        });
    }
    let mut out = Walked::default();
    let mut buf = vec![0u8; 64 * 1024];
    let mut stack: Vec<(PathBuf, String, usize)> = vec![(root.to_path_buf(), "/".to_string(), 0)];
    while let Some((host_dir, image_dir, depth)) = stack.pop() {
        let listing = match fs::read_dir(&host_dir) {
            Ok(listing) => listing,
            Err(e) => {
                out.unknown(&image_dir, format!("cannot list directory: {e}"));
                continue;
            }
        };
        let mut names = Vec::new();
        for child in listing {
            match child {
                Ok(child) => names.push(child.file_name()),
                Err(e) => out.unknown(&image_dir, format!("cannot list directory: {e}")),
            }
        }
        names.sort();
        let mut subdirs = Vec::new();
        for name in names {
            out.entries += 1;
            if out.entries > limits.max_entries_per_layer {
                return Err(ImageError::Limit {
                    object: format!("directory `{}`", root.display()),
                    what: format!(
                        "more than {} entries (max_entries_per_layer)",
                        limits.max_entries_per_layer
                    ),
                });
            }
            reporter.advance(1);
            let host = host_dir.join(&name);
            let (name, not_utf8) = match name.to_str() {
                Some(s) => (s.to_string(), false),
                None => (name.to_string_lossy().into_owned(), true),
            };
            let path = join(&image_dir, &name);
            if not_utf8 {
                out.unknown(
                    &path,
                    "file name is not valid UTF-8; recorded with replacement characters"
                        .to_string(),
                );
            }
            let meta = match fs::symlink_metadata(&host) {
                Ok(meta) => meta,
                Err(e) => {
                    out.unknown(&path, format!("cannot stat: {e}"));
                    continue;
                }
            };
            let mode = mode_of(&meta);
            let file_type = meta.file_type();
            if file_type.is_symlink() {
                match fs::read_link(&host) {
                    Ok(target) => {
                        let target = target.to_string_lossy().into_owned();
                        let meta = FileMeta {
                            kind: FileKind::Symlink,
                            mode,
                            size: 0,
                            link_target: Some(target),
                        };
                        out.push(path, 0, meta, None);
                    }
                    Err(e) => out.unknown(&path, format!("cannot read symlink: {e}")),
                }
            } else if file_type.is_dir() {
                let meta = FileMeta {
                    kind: FileKind::Directory,
                    mode,
                    size: 0,
                    link_target: None,
                };
                out.push(path.clone(), 0, meta, None);
                if depth + 1 > limits.max_dir_depth {
                    out.unknown(
                        &path,
                        format!(
                            "deeper than {} levels (max_dir_depth); not walked",
                            limits.max_dir_depth
                        ),
                    );
                } else {
                    subdirs.push((host, path, depth + 1));
                }
            } else if file_type.is_file() {
                let Some(content) = read_file(
                    &host, &path, &meta, mode, capture, limits, &mut buf, &mut out,
                ) else {
                    // A file nobody reads or lists: "exists since this layer" only.
                    out.listing.push_skeleton(&path);
                    continue;
                };
                let meta = FileMeta {
                    kind: FileKind::Regular,
                    mode,
                    size: meta.len(),
                    link_target: None,
                };
                out.push(path, 0, meta, content);
            } else {
                let meta = FileMeta {
                    kind: FileKind::Other,
                    mode,
                    size: 0,
                    link_target: None,
                };
                out.push(path, 0, meta, None);
            }
        }
        // Depth first, in name order (the stack pops the last pushed first).
        stack.extend(subdirs.into_iter().rev());
    }
    Ok(out)
}

/// Capture a regular file's content as the policy asks; failures become unknowns. `None` when
/// the policy neither captures the file nor keeps its entry ([`CapturePolicy::keep_entry`]).
#[allow(clippy::too_many_arguments)]
fn read_file(
    host: &Path,
    path: &str,
    lstat: &Metadata,
    mode: u32,
    capture: &dyn CapturePolicy,
    limits: &Limits,
    buf: &mut [u8],
    out: &mut Walked,
) -> Option<Option<onus_fs::Content>> {
    let size = lstat.len();
    let header = EntryHeader {
        path,
        kind: FileKind::Regular,
        mode,
        size,
    };
    let wanted = capture.capture(&header);
    if matches!(wanted, onus_fs::Capture::Skip) {
        return capture.keep_entry(&header).then_some(None);
    }
    let file = match File::open(host) {
        Ok(file) => file,
        Err(e) => {
            out.unknown(path, format!("cannot open: {e}"));
            return Some(None);
        }
    };
    match file.metadata() {
        Ok(opened) if opened.is_file() && same_file(lstat, &opened) => {}
        _ => {
            out.unknown(
                path,
                "the file changed while it was being read; content not captured".to_string(),
            );
            return Some(None);
        }
    }
    let mut bounded = std::io::Read::take(file, size);
    Some(
        match read_content(&mut bounded, path, size, wanted, limits, buf, out) {
            Ok(content) => content,
            Err(WalkError::Io(e)) => {
                out.unknown(path, format!("cannot read: {e}"));
                None
            }
            Err(WalkError::Limit(what)) => {
                out.unknown(path, what);
                None
            }
        },
    )
}
