//! SHELL, SYS and NET detection on the squashed file view (model.md §3.3): names in the search
//! directories, multi-call binaries and their applet links, and `/etc/shells`.

use std::collections::BTreeSet;

use onus_fs::{file_name, normalize_path, parent, FileKind, FileView, ResolveError};

use crate::detectors::{any_match, Detectors};
use crate::model::Evidence;
use crate::owners::OwnerIndex;

/// What the file view showed for each file-based dimension.
#[derive(Debug, Default)]
pub(crate) struct Hits {
    pub shell: BTreeSet<Evidence>,
    pub sys: BTreeSet<Evidence>,
    pub net: BTreeSet<Evidence>,
    /// Set when `/etc/shells` exists but its content was not captured.
    pub shells_note: Option<String>,
}

/// Where an executable name resolved to.
struct Target {
    real: String,
    /// The basename of the real file is a multi-call binary (the path is an applet link).
    multicall: bool,
}

pub(crate) fn detect(view: &dyn FileView, owners: &OwnerIndex, det: &Detectors) -> Hits {
    let mut hits = Hits::default();
    let dirs: BTreeSet<String> = det
        .search_dirs
        .iter()
        .filter_map(|d| normalize_path(d))
        .filter_map(|d| view.resolve(&d).ok())
        .filter(|d| {
            view.entry(d)
                .is_some_and(|e| e.meta.kind == FileKind::Directory)
        })
        .collect();
    let mut multicall_present = false;
    for path in view.paths() {
        let name = file_name(path);
        let in_dirs = dirs.contains(parent(path));
        let is_multicall = any_match(&det.multicall.names, name);
        if !in_dirs && !is_multicall {
            continue;
        }
        let shell = any_match(&det.shell.names, name);
        let sys = any_match(&det.sys.names, name);
        let client = any_match(&det.net.clients, name);
        let pm = any_match(&det.net.package_managers, name);
        if !(shell || sys || client || pm || is_multicall) {
            continue;
        }
        let Ok(target) = executable(view, path, det) else {
            continue;
        };
        let via = if target.real == path {
            String::new()
        } else if target.multicall {
            format!(" → {} (applet link)", target.real)
        } else {
            format!(" → {}", target.real)
        };
        let ev = |what: &str| evidence(view, owners, path, &target.real, format!("{what}{via}"));
        if is_multicall {
            // A multi-call binary is a shell and the system utilities by itself (model §3.3).
            multicall_present = true;
            hits.shell.insert(ev("multi-call binary (shell)"));
            hits.sys.insert(ev("multi-call binary (system utilities)"));
            continue;
        }
        if shell && in_dirs {
            hits.shell.insert(ev("shell"));
        }
        if sys && in_dirs {
            hits.sys.insert(ev("system utility"));
        }
        if client && in_dirs {
            hits.net.insert(ev("network client"));
        }
        if pm && in_dirs {
            hits.net.insert(ev("package manager"));
        }
    }
    if multicall_present {
        for path in view.paths() {
            if dirs.contains(parent(path)) && any_match(&det.multicall.net_helpers, file_name(path))
            {
                if let Ok(target) = executable(view, path, det) {
                    let detail =
                        "network helper of a multi-call binary (e.g. busybox wget over TLS)"
                            .to_string();
                    hits.net
                        .insert(evidence(view, owners, path, &target.real, detail));
                }
            }
        }
    }
    shells_file(view, owners, det, &mut hits);
    hits
}

/// Listed login shells that exist as executables count as SHELL, whatever their name.
fn shells_file(view: &dyn FileView, owners: &OwnerIndex, det: &Detectors, hits: &mut Hits) {
    let Some(file) = det.shell.shells_file.as_deref().and_then(normalize_path) else {
        return;
    };
    let Some(content) = view.content(&file) else {
        if view.resolve(&file).is_ok() {
            hits.shells_note = Some(format!(
                "`{file}` exists but its content was not captured: only the shell name list was used"
            ));
        }
        return;
    };
    let text = String::from_utf8_lossy(&content.bytes);
    let listed: BTreeSet<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with('/'))
        .filter_map(normalize_path)
        .collect();
    let known: BTreeSet<String> = hits.shell.iter().filter_map(|e| e.path.clone()).collect();
    for path in listed.iter().filter(|p| !known.contains(*p)) {
        if let Ok(target) = executable(view, path, det) {
            let via = if &target.real == path {
                String::new()
            } else {
                format!(" → {}", target.real)
            };
            hits.shell.insert(evidence(
                view,
                owners,
                path,
                &target.real,
                format!("listed in `{file}`{via}"),
            ));
        }
    }
}

/// The real file behind `path` when it is an executable regular file inside the image.
/// Loops and dangling links are errors (the resolver bounds its hops, so this never hangs).
fn executable(view: &dyn FileView, path: &str, det: &Detectors) -> Result<Target, ResolveError> {
    let real = view.resolve(path)?;
    match view.entry(&real) {
        Some(e) if e.meta.is_executable_file() => {
            let multicall = real != path && any_match(&det.multicall.names, file_name(&real));
            Ok(Target { real, multicall })
        }
        _ => Err(ResolveError::NotFound(real)),
    }
}

fn evidence(
    view: &dyn FileView,
    owners: &OwnerIndex,
    path: &str,
    real: &str,
    detail: String,
) -> Evidence {
    Evidence {
        path: Some(path.to_string()),
        layer: view.entry(path).map(|e| e.layer),
        package: owners
            .owner(path)
            .or_else(|| owners.owner(real))
            .map(str::to_string),
        detail,
    }
}
