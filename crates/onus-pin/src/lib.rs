//! Pin image references by digest (model §7, R-TST-5): find every reference in Dockerfiles,
//! Containerfiles, Kubernetes manifests, Compose files and GitHub Actions workflows; report the
//! unpinned ones; rewrite them as `name:tag@sha256:…` in place (atomically, keeping comments and
//! formatting); or re-resolve pinned references whose tag has moved.
//!
//! Resolution is the caller's (a function from `name:tag` to the digest it points at), so this
//! crate does no network I/O and is tested without a registry.

mod find;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

pub use find::{file_kind, find, FileKind, Found, RefKind};

/// Files larger than this are not configuration files.
const MAX_FILE_BYTES: u64 = 4 << 20;
/// Files visited under the given directories, at most.
const MAX_FILES: usize = 100_000;
/// Directories never descended into.
const SKIP_DIRS: [&str; 5] = [".git", "node_modules", "target", "vendor", ".venv"];

#[derive(Debug, thiserror::Error)]
pub enum PinError {
    #[error("cannot read `{}`", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write `{}`", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`{}` is not a Dockerfile, Containerfile or YAML file", path.display())]
    NotConfig { path: PathBuf },
    #[error("more than {MAX_FILES} files under the given paths")]
    TooMany,
}

/// One file and the references in it.
#[derive(Debug, Clone)]
pub struct FileRefs {
    pub path: PathBuf,
    pub text: String,
    pub refs: Vec<Found>,
}

/// Read every Dockerfile, Containerfile and YAML file under `paths` (files given explicitly
/// must be one of those; directories are walked, skipping `.git`, `node_modules`, …).
pub fn scan(paths: &[PathBuf]) -> Result<Vec<FileRefs>, PinError> {
    let mut files: Vec<(PathBuf, FileKind)> = Vec::new();
    for path in paths {
        let meta = std::fs::metadata(path).map_err(|source| PinError::Read {
            path: path.clone(),
            source,
        })?;
        if meta.is_dir() {
            walk(path, &mut files)?;
        } else {
            let kind = path
                .file_name()
                .and_then(|n| file_kind(&n.to_string_lossy()))
                .ok_or_else(|| PinError::NotConfig { path: path.clone() })?;
            files.push((path.clone(), kind));
        }
    }
    files.sort();
    files.dedup();
    let mut out = Vec::new();
    for (path, kind) in files {
        let read = |source| PinError::Read {
            path: path.clone(),
            source,
        };
        let meta = std::fs::metadata(&path).map_err(read)?;
        if meta.len() > MAX_FILE_BYTES {
            continue;
        }
        let bytes = std::fs::read(&path).map_err(read)?;
        // Not UTF-8: not a file onus can rewrite safely (and not a config file).
        let Ok(text) = String::from_utf8(bytes) else {
            continue;
        };
        let refs = find(kind, &text);
        if !refs.is_empty() {
            out.push(FileRefs { path, text, refs });
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<(PathBuf, FileKind)>) -> Result<(), PinError> {
    let entries = std::fs::read_dir(dir).map_err(|source| PinError::Read {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        // Symlinks are not followed: a link may leave the tree or loop.
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            if !SKIP_DIRS.contains(&name.as_str()) {
                walk(&entry.path(), out)?;
            }
        } else if kind.is_file() {
            if let Some(k) = file_kind(&name) {
                out.push((entry.path(), k));
                if out.len() > MAX_FILES {
                    return Err(PinError::TooMany);
                }
            }
        }
    }
    Ok(())
}

/// What to do with the references.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Report only.
    Check,
    /// Pin unpinned references by the digest their tag points at now.
    Write,
    /// Pin unpinned references and re-resolve pinned `name:tag@digest` references.
    Update,
}

/// The state of one reference after the run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum State {
    Unpinned,
    Pinned,
    /// Pinned by this run.
    PinnedNow {
        digest: String,
    },
    /// The tag moved: the pin was updated.
    Moved {
        from: String,
        to: String,
    },
    /// Cannot be pinned where it is written (assembled from build arguments) or resolved.
    Unresolved {
        reason: String,
    },
}

/// One reference and what became of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outcome {
    pub file: String,
    pub line: usize,
    pub kind: RefKind,
    pub reference: String,
    #[serde(flatten)]
    pub state: State,
}

/// Split `name:tag@sha256:…` into the part before the digest and the digest.
fn split_digest(reference: &str) -> (&str, Option<&str>) {
    match reference.split_once('@') {
        Some((name, digest)) => (name, Some(digest)),
        None => (reference, None),
    }
}

/// Apply `mode` to every reference; `resolve` maps `name:tag` to its current digest. Files are
/// rewritten atomically (a temporary file renamed over the original, its permissions kept).
pub fn run(
    files: &[FileRefs],
    mode: Mode,
    resolve: &mut dyn FnMut(&str) -> Result<String, String>,
) -> Result<Vec<Outcome>, PinError> {
    let mut outcomes = Vec::new();
    let mut cache: BTreeMap<String, Result<String, String>> = BTreeMap::new();
    let mut lookup = |name: &str| -> Result<String, String> {
        cache
            .entry(name.to_string())
            .or_insert_with(|| resolve(name))
            .clone()
    };
    for file in files {
        // (line index, span) -> replacement text.
        let mut edits: BTreeMap<(usize, usize, usize), String> = BTreeMap::new();
        for found in &file.refs {
            let (name, digest) = split_digest(&found.reference);
            let state = match (digest, mode) {
                (Some(_), Mode::Check | Mode::Write) => State::Pinned,
                // A digest with no tag names nothing that can move.
                (Some(_), Mode::Update) if !has_tag(name) => State::Pinned,
                (None, Mode::Check) => State::Unpinned,
                (digest, _) => match (found.span, lookup(name)) {
                    (_, Err(reason)) => State::Unresolved { reason },
                    (None, Ok(_)) => State::Unresolved {
                        reason: "assembled from build arguments; pin the argument's value"
                            .to_string(),
                    },
                    (Some((start, end)), Ok(current)) => {
                        let replacement = format!("{name}@{current}");
                        match digest {
                            Some(old) if old == current => State::Pinned,
                            Some(old) => {
                                edits.insert((found.line - 1, start, end), replacement);
                                State::Moved {
                                    from: old.to_string(),
                                    to: current,
                                }
                            }
                            None => {
                                edits.insert((found.line - 1, start, end), replacement);
                                State::PinnedNow { digest: current }
                            }
                        }
                    }
                },
            };
            outcomes.push(Outcome {
                file: file.path.display().to_string(),
                line: found.line,
                kind: found.kind,
                reference: found.reference.clone(),
                state,
            });
        }
        if !edits.is_empty() {
            let text = rewrite(&file.text, &edits);
            write_atomically(&file.path, &text)?;
        }
    }
    Ok(outcomes)
}

/// Whether the name part of a reference carries a tag (a `:` after the last `/`).
fn has_tag(name: &str) -> bool {
    let last = name.rsplit('/').next().unwrap_or(name);
    last.contains(':')
}

/// Replace byte ranges on given lines, keeping every line ending as it was.
fn rewrite(text: &str, edits: &BTreeMap<(usize, usize, usize), String>) -> String {
    let mut out = String::with_capacity(text.len() + edits.len() * 72);
    for (index, segment) in text.split_inclusive('\n').enumerate() {
        let body_len = segment
            .strip_suffix("\r\n")
            .or_else(|| segment.strip_suffix('\n'))
            .map_or(segment.len(), str::len);
        let mut cursor = 0;
        for ((_, start, end), replacement) in edits.range((index, 0, 0)..(index + 1, 0, 0)) {
            if *start < cursor
                || *end > body_len
                || !segment.is_char_boundary(*start)
                || !segment.is_char_boundary(*end)
            {
                continue;
            }
            out.push_str(&segment[cursor..*start]);
            out.push_str(replacement);
            cursor = *end;
        }
        out.push_str(&segment[cursor..]);
    }
    out
}

fn write_atomically(path: &Path, text: &str) -> Result<(), PinError> {
    let write_err = |source| PinError::Write {
        path: path.to_path_buf(),
        source,
    };
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = dir.join(format!(".{name}.onus-pin-{}", std::process::id()));
    let permissions = std::fs::metadata(path).map_err(write_err)?.permissions();
    std::fs::write(&temp, text).map_err(write_err)?;
    let done =
        std::fs::set_permissions(&temp, permissions).and_then(|()| std::fs::rename(&temp, path));
    if let Err(e) = done {
        let _ = std::fs::remove_file(&temp);
        return Err(write_err(e));
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const DIGEST_A: &str =
        "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const DIGEST_B: &str =
        "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    #[test]
    fn write_pins_in_place_keeping_everything_else_and_is_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        let docker = dir.path().join("Dockerfile");
        let original = "# base image\r\nARG BASE=cgr.dev/chainguard/python:latest-dev\r\nFROM ${BASE} AS build  # the builder\r\nFROM   nginx:1.25\r\nCOPY --from=build /a /b\r\n";
        std::fs::write(&docker, original).unwrap();
        let mut resolve = |name: &str| -> Result<String, String> {
            Ok(if name.contains("python") {
                DIGEST_A
            } else {
                DIGEST_B
            }
            .to_string())
        };
        let files = scan(&[dir.path().to_path_buf()]).unwrap();
        let check = run(&files, Mode::Check, &mut resolve).unwrap();
        assert!(
            check.iter().all(|o| o.state == State::Unpinned),
            "{check:?}"
        );
        run(&files, Mode::Write, &mut resolve).unwrap();
        let pinned = std::fs::read_to_string(&docker).unwrap();
        assert_eq!(
            pinned,
            format!("# base image\r\nARG BASE=cgr.dev/chainguard/python:latest-dev@{DIGEST_A}\r\nFROM ${{BASE}} AS build  # the builder\r\nFROM   nginx:1.25@{DIGEST_B}\r\nCOPY --from=build /a /b\r\n")
        );
        // Twice gives the same file.
        let files = scan(&[dir.path().to_path_buf()]).unwrap();
        let again = run(&files, Mode::Write, &mut resolve).unwrap();
        assert!(again.iter().all(|o| o.state == State::Pinned), "{again:?}");
        assert_eq!(std::fs::read_to_string(&docker).unwrap(), pinned);

        // The tag moves: --update rewrites the pin and says from where to where.
        let mut moved = |_: &str| -> Result<String, String> { Ok(DIGEST_A.to_string()) };
        let files = scan(&[dir.path().to_path_buf()]).unwrap();
        let updated = run(&files, Mode::Update, &mut moved).unwrap();
        assert!(updated.iter().any(|o| o.state
            == State::Moved {
                from: DIGEST_B.to_string(),
                to: DIGEST_A.to_string()
            }));
        assert!(std::fs::read_to_string(&docker)
            .unwrap()
            .contains(&format!("nginx:1.25@{DIGEST_A}")));
    }

    #[test]
    fn unresolvable_references_are_reported_not_guessed() {
        let dir = tempfile::tempdir().unwrap();
        let docker = dir.path().join("Dockerfile");
        std::fs::write(&docker, "ARG V=3.12\nFROM python:${V}\n").unwrap();
        let files = scan(std::slice::from_ref(&docker)).unwrap();
        let out = run(&files, Mode::Write, &mut |_| Ok(DIGEST_A.to_string())).unwrap();
        assert!(matches!(out[0].state, State::Unresolved { .. }), "{out:?}");
        assert_eq!(
            std::fs::read_to_string(&docker).unwrap(),
            "ARG V=3.12\nFROM python:${V}\n"
        );
        let out = run(&files, Mode::Write, &mut |_| Err("HTTP 404".to_string())).unwrap();
        assert_eq!(
            out[0].state,
            State::Unresolved {
                reason: "HTTP 404".into()
            }
        );
        assert!(scan(&[dir.path().join("README.md")]).is_err());
    }
}
