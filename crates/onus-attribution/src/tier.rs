//! The tier of every component (model.md §2.3): Custom by layer or membership, App by the
//! entrypoint's owner and its origin, Toolchain by the rule table, LangLib by file ownership or
//! the app's tree, the owner's tier for owned non-distro components, System for the rest.

use std::collections::{BTreeMap, BTreeSet};

use onus_inventory::{Component, Ecosystem};

use crate::base::{confidence_text, source_text, Membership};
use crate::index::{evidence_path, normalize, parent, SbomIndex};
use crate::kind::AppInfo;
use crate::rules::{first_match, glob_match_path, Rules};
use crate::types::{BaseBoundary, Tier};

/// A component's tier and one line of evidence.
#[derive(Debug, Clone)]
pub(crate) struct Classified {
    pub tier: Tier,
    pub reason: String,
}

/// Distro components that are toolchains, with the rule that matched.
pub(crate) fn toolchains(idx: &SbomIndex<'_>, rules: &Rules) -> BTreeMap<usize, String> {
    let mut out = BTreeMap::new();
    let distro = || {
        idx.sbom
            .components
            .iter()
            .enumerate()
            .filter(|(_, c)| c.ecosystem.is_distro())
    };
    for (i, c) in distro() {
        if first_match(&rules.system.names, &c.name).is_some() {
            continue;
        }
        let hit = first_match(&rules.toolchain.origins, c.advisory_name())
            .map(|p| {
                format!(
                    "origin `{}` matches toolchain rule `{p}`",
                    c.advisory_name()
                )
            })
            .or_else(|| {
                first_match(&rules.toolchain.origins, &c.name)
                    .or_else(|| first_match(&rules.toolchain.names, &c.name))
                    .map(|p| format!("package `{}` matches toolchain rule `{p}`", c.name))
            });
        if let Some(hit) = hit {
            out.insert(i, hit);
        }
    }
    if !out.is_empty() {
        for (i, c) in distro() {
            if out.contains_key(&i) || first_match(&rules.system.names, &c.name).is_some() {
                continue;
            }
            if let Some(p) = first_match(&rules.toolchain.companions, c.advisory_name()) {
                out.insert(
                    i,
                    format!(
                        "origin `{}` is build tool `{p}` next to a toolchain",
                        c.advisory_name()
                    ),
                );
            }
        }
    }
    out
}

/// Why component `i` is customer content by the base boundary or the base SBOM, if it is.
pub(crate) fn customer_reason(
    idx: &SbomIndex<'_>,
    boundary: &BaseBoundary,
    membership: Option<&Membership>,
    i: usize,
) -> Option<String> {
    let c = idx.component(i);
    if let (Some(layer), Some(b)) = (c.layer, boundary.layers) {
        if layer >= b {
            return Some(format!(
                "introduced in {} above the {b}-layer vendor base ({}, {})",
                idx.layer_text(Some(layer)),
                source_text(boundary.source),
                confidence_text(boundary.confidence)
            ));
        }
    }
    let m = membership?;
    if c.ecosystem.is_distro() && m.lists(c.ecosystem, &c.name) == Some(false) {
        return Some(format!(
            "{} package `{}` is absent from the {} (model §2.3 rule 6a); {}",
            c.ecosystem.purl_type(),
            c.name,
            m.label(),
            idx.layer_text(c.layer)
        ));
    }
    None
}

/// The app packages and the app's file tree.
pub(crate) struct AppScope {
    /// Distro components of the app's origin.
    pub packages: BTreeSet<usize>,
    files: BTreeSet<String>,
    dirs: BTreeSet<String>,
}

impl AppScope {
    pub fn new(
        idx: &SbomIndex<'_>,
        rules: &Rules,
        app: Option<&AppInfo>,
        customer: &dyn Fn(usize) -> Option<String>,
    ) -> Self {
        let mut scope = AppScope {
            packages: BTreeSet::new(),
            files: BTreeSet::new(),
            dirs: BTreeSet::new(),
        };
        let Some(app) = app else { return scope };
        if let Some(origin) = &app.origin {
            if let Some(members) = idx.by_origin.get(origin.as_str()) {
                // Siblings added by the customer stay Custom.
                scope
                    .packages
                    .extend(members.iter().copied().filter(|&i| customer(i).is_none()));
            }
        }
        if let Some(i) = app.component {
            scope.packages.insert(i);
        }
        for &i in &scope.packages {
            scope
                .files
                .extend(idx.component(i).files.iter().filter_map(|f| normalize(f)));
        }
        if app.component.is_none() {
            // An unowned app binary: the binary itself and its own directory.
            scope.files.extend(normalize(&app.entrypoint));
        }
        let shared = &rules.app_tree.shared_dirs;
        scope.dirs = scope
            .files
            .iter()
            .map(|f| parent(f).to_string())
            .filter(|d| !shared.iter().any(|p| glob_match_path(p, d)))
            .collect();
        scope
    }

    /// True when every evidence path of `c` is an app file or lies under an app directory.
    fn contains(&self, c: &Component) -> bool {
        if self.files.is_empty() || c.locations.is_empty() {
            return false;
        }
        c.locations.iter().all(|l| {
            let Some(p) = normalize(evidence_path(l)) else {
                return false;
            };
            if self.files.contains(&p) {
                return true;
            }
            let mut dir = parent(&p);
            loop {
                if self.dirs.contains(dir) {
                    return true;
                }
                if dir == "/" {
                    return false;
                }
                dir = parent(dir);
            }
        })
    }
}

/// Everything [`classify_all`] needs.
pub(crate) struct TierContext<'a> {
    pub idx: &'a SbomIndex<'a>,
    pub boundary: &'a BaseBoundary,
    pub membership: Option<&'a Membership>,
    pub toolchain: &'a BTreeMap<usize, String>,
    pub app: Option<&'a AppInfo>,
    pub scope: &'a AppScope,
}

/// Classify every component, aligned with `sbom.components`.
pub(crate) fn classify_all(ctx: &TierContext<'_>) -> Vec<Classified> {
    let comps = &ctx.idx.sbom.components;
    let mut out: Vec<Option<Classified>> = vec![None; comps.len()];
    // Distro packages first: non-distro components take their owner's tier.
    for (i, c) in comps.iter().enumerate() {
        if c.ecosystem.is_distro() {
            out[i] = Some(classify_distro(ctx, i));
        }
    }
    for (i, c) in comps.iter().enumerate() {
        if !c.ecosystem.is_distro() {
            out[i] = Some(classify_other(ctx, i, &out));
        }
    }
    out.into_iter()
        .map(|c| {
            c.unwrap_or(Classified {
                tier: Tier::Custom,
                reason: "unclassified".to_string(),
            })
        })
        .collect()
}

fn classify_distro(ctx: &TierContext<'_>, i: usize) -> Classified {
    let idx = ctx.idx;
    let c = idx.component(i);
    if let Some(reason) = customer_reason(idx, ctx.boundary, ctx.membership, i) {
        return Classified {
            tier: Tier::Custom,
            reason,
        };
    }
    let layer = idx.layer_text(c.layer);
    if ctx.scope.packages.contains(&i) {
        let app = ctx.app.map(|a| a.entrypoint.as_str()).unwrap_or("?");
        let reason = if ctx.app.and_then(|a| a.component) == Some(i) {
            format!(
                "owns the entrypoint `{app}` (origin `{}`); {layer}",
                c.advisory_name()
            )
        } else {
            format!(
                "origin `{}` of the app owning `{app}`; {layer}",
                c.advisory_name()
            )
        };
        return Classified {
            tier: Tier::App,
            reason,
        };
    }
    if let Some(hit) = ctx.toolchain.get(&i) {
        return Classified {
            tier: Tier::Toolchain,
            reason: format!("{hit}; {layer}"),
        };
    }
    Classified {
        tier: Tier::System,
        reason: format!(
            "vendor {} package, not a toolchain or app package; {layer}",
            c.ecosystem.purl_type()
        ),
    }
}

fn classify_other(ctx: &TierContext<'_>, i: usize, done: &[Option<Classified>]) -> Classified {
    let idx = ctx.idx;
    let c = idx.component(i);
    if let Some(reason) = customer_reason(idx, ctx.boundary, ctx.membership, i) {
        return Classified {
            tier: Tier::Custom,
            reason,
        };
    }
    let layer = idx.layer_text(c.layer);
    let at = c
        .locations
        .first()
        .map(|l| format!(" `{l}`"))
        .unwrap_or_default();
    let stdlib = is_go_stdlib(c);
    if let Some(o) = idx.owner_of_component(c) {
        let owner = idx.component(o);
        let owner_tier = done
            .get(o)
            .and_then(|x| x.as_ref())
            .map(|x| x.tier)
            .unwrap_or(Tier::System);
        let owned = format!("inside{at} owned by `{}`", owner.name);
        return match owner_tier {
            Tier::Custom => Classified { tier: Tier::Custom, reason: format!("{owned}, a customer package; {layer}") },
            _ if stdlib => Classified {
                tier: Tier::Toolchain,
                reason: format!("Go stdlib {owned}: fixed by a rebuild with a newer Go (model §2.3 rule 3); {layer}"),
            },
            Tier::App if is_main_module(c) => Classified {
                tier: Tier::App,
                reason: format!("main module of the app binary {owned}; {layer}"),
            },
            Tier::App | Tier::LangLib => Classified {
                tier: Tier::LangLib,
                reason: format!("{owned}, an app package (model §2.3 rule 2); {layer}"),
            },
            tier => Classified {
                tier,
                reason: format!("{owned}, a {} package (model §2.3 rule 5); {layer}", tier_text(tier)),
            },
        };
    }
    if ctx.scope.contains(c) {
        let tier = if stdlib {
            Tier::Toolchain
        } else if is_main_module(c) {
            Tier::App
        } else {
            Tier::LangLib
        };
        let app = ctx.app.map(|a| a.entrypoint.as_str()).unwrap_or("?");
        return Classified {
            tier,
            reason: format!(
                "unowned{at} inside the tree of the app `{app}` (model §2.3 rule 2); {layer}"
            ),
        };
    }
    let stdlib_or_system = if stdlib {
        Tier::Toolchain
    } else {
        Tier::System
    };
    if let Some(m) = ctx.membership {
        if m.lists(c.ecosystem, &c.name) == Some(true) {
            return Classified {
                tier: stdlib_or_system,
                reason: format!(
                    "listed in the {}, not owned by a distro package; {layer}",
                    m.label()
                ),
            };
        }
    }
    match (c.layer, ctx.boundary.layers) {
        (Some(l), Some(b)) if l < b => Classified {
            tier: stdlib_or_system,
            reason: format!(
                "unowned{at} in vendor {layer} below the {b}-layer base ({}, {})",
                source_text(ctx.boundary.source),
                confidence_text(ctx.boundary.confidence)
            ),
        },
        (_, None) => Classified {
            tier: Tier::Custom,
            reason: format!(
                "not owned by any distro package{at} and base boundary unknown: customer content assumed (model §2.3 rule 6b, low confidence); {layer}"
            ),
        },
        _ => Classified {
            tier: Tier::Custom,
            reason: format!(
                "not owned by any distro package{at} and introducing layer unknown: customer content assumed (model §2.3 rule 6b, low confidence)"
            ),
        },
    }
}

/// The Go standard library component of a Go binary.
fn is_go_stdlib(c: &Component) -> bool {
    matches!(c.ecosystem, Ecosystem::Golang | Ecosystem::Binary) && c.name == "stdlib"
}

/// The main module of a Go binary (the app itself, not a library), as the cataloger marks it.
fn is_main_module(c: &Component) -> bool {
    c.metadata.get("main_module").is_some_and(|m| m == &c.name)
        || c.metadata.get("main").is_some_and(|m| m == "true")
}

pub(crate) fn tier_text(t: Tier) -> &'static str {
    match t {
        Tier::System => "System",
        Tier::Toolchain => "Toolchain",
        Tier::LangLib => "LangLib",
        Tier::App => "App",
        Tier::Custom => "Custom",
    }
}
