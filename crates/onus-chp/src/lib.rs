//! Container Hardening Policy (CHP 0–5, model.md §3): SHELL, SYS and NET from the image's
//! files, RW from runtime configuration, CVEs from a caller-computed summary, the level by the
//! strict ladder of §3.2, and the blockers that keep the image from the next level.
//!
//! Architecture invariant: pure over the file view, the owner index and the inputs; no I/O.
//! Only configuration and manifest parsing can fail ([`load_detectors`], [`parse_runtime`]).
//!
//! `CveInput::NotAssessed` (no vulnerability store) leaves the CVE dimension unknown
//! (`ok: null`) and does not lower the level: the ladder treats it as locked, so a level read
//! without a store is an upper bound on the hardening the files and runtime allow.

mod detect;
mod detectors;
mod error;
mod model;
mod owners;
mod render;
mod runtime;

#[cfg(test)]
mod tests;

use onus_fs::FileView;

pub use detectors::{
    load_detectors, CvePolicy, Detectors, MulticallDetector, NetDetector, ShellDetector,
    SysDetector, BUILTIN_DETECTORS,
};
pub use error::ChpError;
pub use model::{Blocker, Chp, CveInput, Dimension, DimensionName, Dimensions, Evidence};
pub use owners::OwnerIndex;
pub use render::render_table;
pub use runtime::{parse_runtime, ContainerRuntime, RuntimeConfig};

/// Evaluate the CHP level of one image.
pub fn evaluate(
    view: &dyn FileView,
    owners: &OwnerIndex,
    runtime: Option<&RuntimeConfig>,
    cves: &CveInput,
    detectors: &Detectors,
) -> Chp {
    let hits = detect::detect(view, owners, detectors);
    let file_dim = |set: std::collections::BTreeSet<Evidence>, note: Option<String>| Dimension {
        ok: Some(set.is_empty()),
        evidence: set.into_iter().collect(),
        note,
    };
    let dimensions = Dimensions {
        rw: rw_dimension(runtime),
        shell: file_dim(hits.shell, hits.shells_note),
        sys: file_dim(hits.sys, None),
        net: file_dim(hits.net, None),
        cves: cve_dimension(cves, detectors),
    };
    let locked = |d: &Dimension| d.ok != Some(false);
    let level = if !locked(&dimensions.cves) {
        0
    } else if !locked(&dimensions.net) {
        1
    } else if !locked(&dimensions.sys) {
        2
    } else if !locked(&dimensions.shell) {
        3
    } else if dimensions.rw.ok != Some(true) {
        4
    } else {
        5
    };
    let level_if_read_only = (level == 4).then_some(5);
    let blockers = blockers(&dimensions, runtime);
    Chp {
        level,
        level_if_read_only,
        dimensions,
        blockers,
    }
}

fn rw_dimension(runtime: Option<&RuntimeConfig>) -> Dimension {
    let Some(rc) = runtime else {
        return Dimension {
            ok: None,
            evidence: Vec::new(),
            note: Some(
                "runtime configuration required: pass the Kubernetes or Compose manifest that runs the image"
                    .to_string(),
            ),
        };
    };
    let evidence = rc
        .containers
        .iter()
        .map(|c| Evidence {
            path: Some(format!("{}/{}", c.workload, c.name)),
            layer: None,
            package: None,
            detail: format!(
                "{} `{}` ({}): {}",
                c.role,
                c.name,
                c.image.as_deref().unwrap_or("no image"),
                c.setting
            ),
        })
        .collect();
    let note = rc
        .containers
        .is_empty()
        .then(|| "the runtime configuration lists no container".to_string());
    Dimension {
        ok: rc.read_only(),
        evidence,
        note,
    }
}

fn cve_dimension(cves: &CveInput, detectors: &Detectors) -> Dimension {
    match cves {
        CveInput::NotAssessed => Dimension {
            ok: None,
            evidence: Vec::new(),
            note: Some(
                "not assessed (no vulnerability store): treated as low for the level".to_string(),
            ),
        },
        CveInput::Assessed {
            unexplained,
            past_sla,
            eol_or_stale,
        } => {
            let policy = detectors.cves;
            let mut evidence = Vec::new();
            let mut push = |items: &Vec<String>, what: &str| {
                let mut items: Vec<&String> = items.iter().collect();
                items.sort();
                items.dedup();
                evidence.extend(items.into_iter().map(|i| Evidence {
                    path: None,
                    layer: None,
                    package: None,
                    detail: format!("{what}: {i}"),
                }));
            };
            push(past_sla, "past its SLA window");
            push(unexplained, "no advisory explanation");
            push(eol_or_stale, "end of life or stale");
            let ok = past_sla.len() <= policy.max_past_sla
                && unexplained.len() <= policy.max_unexplained
                && eol_or_stale.len() <= policy.max_eol_or_stale;
            let note = Some(format!(
                "{} past SLA (max {}), {} unexplained (max {}), {} EOL/stale (max {})",
                past_sla.len(),
                policy.max_past_sla,
                unexplained.len(),
                policy.max_unexplained,
                eol_or_stale.len(),
                policy.max_eol_or_stale
            ));
            Dimension {
                ok: Some(ok),
                evidence,
                note,
            }
        }
    }
}

fn blockers(d: &Dimensions, runtime: Option<&RuntimeConfig>) -> Vec<Blocker> {
    let mut out = Vec::new();
    let paths = |dim: &Dimension| -> Vec<String> {
        dim.evidence
            .iter()
            .map(|e| e.path.clone().unwrap_or_else(|| e.detail.clone()))
            .collect()
    };
    let mut add = |name: DimensionName, action: String, evidence: Vec<String>| {
        out.push(Blocker {
            dimension: name,
            level: name.needed_for(),
            action,
            evidence,
        });
    };
    if d.cves.ok == Some(false) {
        add(
            DimensionName::Cves,
            "explain every finding with an advisory and remediate vendor-owned findings past their SLA window"
                .to_string(),
            d.cves.evidence.iter().map(|e| e.detail.clone()).collect(),
        );
    }
    if d.net.ok == Some(false) {
        add(
            DimensionName::Net,
            "remove the network clients and package managers (e.g. a `-dev` variant's apk, curl, wget, git)".to_string(),
            paths(&d.net),
        );
    }
    if d.sys.ok == Some(false) {
        add(
            DimensionName::Sys,
            "remove the system utilities (coreutils, busybox, findutils, …)".to_string(),
            paths(&d.sys),
        );
    }
    if d.shell.ok == Some(false) {
        add(
            DimensionName::Shell,
            "remove every shell (and busybox/toybox)".to_string(),
            paths(&d.shell),
        );
    }
    match (d.rw.ok, runtime) {
        (Some(true), _) => {}
        (Some(false), Some(rc)) => add(
            DimensionName::Rw,
            "set `securityContext.readOnlyRootFilesystem: true` (Compose `read_only: true`) on every container that runs the image"
                .to_string(),
            rc.containers.iter().filter(|c| !c.read_only).map(|c| format!("{}/{}", c.workload, c.name)).collect(),
        ),
        _ => add(
            DimensionName::Rw,
            "run with a read-only root filesystem and pass the Kubernetes or Compose manifest to verify it".to_string(),
            Vec::new(),
        ),
    }
    out
}
