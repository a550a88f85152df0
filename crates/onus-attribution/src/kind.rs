//! Image kind (Application or Base, model.md §2.1) and the application package, from the
//! entrypoint, `-dev` markers and the `kind` override (model.md §8 heuristics).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::index::{basename, evidence_path, normalize, usr_merge_aliases, SbomIndex};
use crate::rules::{first_match, Rules};
use crate::types::{ImageKind, KindDecision};

/// The `PATH` a container runtime uses when the image config sets none.
const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Looks a path up in the image: the real path of the executable regular file it names
/// (symlinks resolved inside the image), or `None`.
pub type ExecutableLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The application an Application image runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppInfo {
    /// The entrypoint file that identifies the app (after wrappers and interpreters).
    pub entrypoint: String,
    /// The distro package owning it, when one does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
    /// That package's origin: every package of this origin is App.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    /// Index of the owning component in the SBOM.
    #[serde(skip)]
    pub(crate) component: Option<usize>,
}

/// Facts the kind decision needs about each component.
pub(crate) struct KindContext<'a> {
    pub idx: &'a SbomIndex<'a>,
    pub rules: &'a Rules,
    pub toolchain: &'a BTreeSet<usize>,
    /// Components on the customer side of the base boundary or membership, with the reason.
    pub customer: &'a dyn Fn(usize) -> Option<String>,
    /// Whether the base boundary is known and places `layer` in the vendor part.
    pub vendor_layer: &'a dyn Fn(Option<usize>) -> bool,
    /// The real path of an executable regular file in the image (symlinks resolved inside it),
    /// when the file view is at hand; `None` for an SBOM alone.
    pub executable: Option<ExecutableLookup<'a>>,
}

/// Decide the kind and find the app.
pub(crate) fn decide(
    ctx: &KindContext<'_>,
    kind_override: Option<ImageKind>,
) -> (KindDecision, Option<AppInfo>) {
    let (decision, app) = from_image(ctx);
    match kind_override {
        None => (decision, app),
        Some(ImageKind::Base) => (
            KindDecision {
                value: ImageKind::Base,
                reason: "set by the kind option".to_string(),
            },
            None,
        ),
        Some(ImageKind::Application) => {
            let reason = match &app {
                Some(a) => format!(
                    "set by the kind option; app `{}` from entrypoint `{}`",
                    a.package.as_deref().unwrap_or("(no package)"),
                    a.entrypoint
                ),
                None => format!(
                    "set by the kind option; no app package found ({})",
                    decision.reason
                ),
            };
            (
                KindDecision {
                    value: ImageKind::Application,
                    reason,
                },
                app,
            )
        }
    }
}

fn base(reason: String) -> (KindDecision, Option<AppInfo>) {
    (
        KindDecision {
            value: ImageKind::Base,
            reason,
        },
        None,
    )
}

fn from_image(ctx: &KindContext<'_>) -> (KindDecision, Option<AppInfo>) {
    let image = &ctx.idx.sbom.image;
    if let Some(marker) = dev_marker(ctx) {
        return base(format!("`-dev` variant: {marker}"));
    }
    let argv = command(&image.entrypoint, &image.cmd, &ctx.rules.kind.wrappers);
    let Some(prog) = argv.first() else {
        return base("no entrypoint or cmd".to_string());
    };
    let (path, owner) = locate(ctx, prog);
    let name = basename(&path);
    if first_match(&ctx.rules.kind.shells, name).is_some() {
        return base(format!("entrypoint `{path}` is a shell"));
    }
    let owner_is_toolchain = owner.is_some_and(|o| ctx.toolchain.contains(&o));
    if first_match(&ctx.rules.kind.interpreters, name).is_some() || owner_is_toolchain {
        return interpreted(ctx, &path, owner, &argv[1..]);
    }
    if first_match(&ctx.rules.kind.toolchain_commands, name).is_some() {
        return base(format!("entrypoint `{path}` is a toolchain command"));
    }
    match owner {
        Some(o) => owned_app(ctx, &path, o, format!("entrypoint `{path}`")),
        None => unowned_app(ctx, &path),
    }
}

/// An interpreter or toolchain entrypoint: Application only when it runs a file owned by a
/// vendor package that is not itself a toolchain (`java -jar /usr/share/app/app.jar`).
fn interpreted(
    ctx: &KindContext<'_>,
    path: &str,
    owner: Option<usize>,
    args: &[String],
) -> (KindDecision, Option<AppInfo>) {
    let what = match owner.filter(|o| ctx.toolchain.contains(o)) {
        Some(o) => {
            let c = ctx.idx.component(o);
            format!(
                "the toolchain `{}` (origin `{}`)",
                c.name,
                c.advisory_name()
            )
        }
        None => "an interpreter".to_string(),
    };
    for arg in script_args(args) {
        if let Some(o) = ctx.idx.owner_of_path(arg) {
            if !ctx.toolchain.contains(&o) && (ctx.customer)(o).is_none() {
                return owned_app(
                    ctx,
                    arg,
                    o,
                    format!("entrypoint `{path}` ({what}) runs `{arg}`"),
                );
            }
        }
    }
    base(format!("entrypoint `{path}` is {what}"))
}

fn owned_app(
    ctx: &KindContext<'_>,
    path: &str,
    owner: usize,
    what: String,
) -> (KindDecision, Option<AppInfo>) {
    let c = ctx.idx.component(owner);
    if let Some(why) = (ctx.customer)(owner) {
        return base(format!(
            "{what} is owned by `{}`, customer content ({why})",
            c.name
        ));
    }
    let app = AppInfo {
        entrypoint: path.to_string(),
        package: Some(c.name.clone()),
        origin: Some(c.advisory_name().to_string()),
        component: Some(owner),
    };
    let reason = format!(
        "{what} is an app binary owned by `{}` (origin `{}`)",
        c.name,
        c.advisory_name()
    );
    (
        KindDecision {
            value: ImageKind::Application,
            reason,
        },
        Some(app),
    )
}

/// An entrypoint no distro package owns: an Application only when the file is known to sit in
/// the vendor's layers; otherwise customer content on a Base image (model.md §2.3 rule 6b).
fn unowned_app(ctx: &KindContext<'_>, path: &str) -> (KindDecision, Option<AppInfo>) {
    let aliases = usr_merge_aliases(path);
    let found = ctx.idx.sbom.components.iter().find(|c| {
        !c.ecosystem.is_distro()
            && c.locations
                .iter()
                .any(|l| normalize(evidence_path(l)).is_some_and(|p| aliases.contains(&p)))
    });
    match found {
        Some(c) if (ctx.vendor_layer)(c.layer) => {
            let reason = format!(
                "entrypoint `{path}` is an app binary in vendor {} (not owned by a distro package)",
                ctx.idx.layer_text(c.layer)
            );
            let app = AppInfo { entrypoint: path.to_string(), package: None, origin: None, component: None };
            (KindDecision { value: ImageKind::Application, reason }, Some(app))
        }
        Some(c) => base(format!(
            "entrypoint `{path}` is not owned by a distro package and its {} is not known to be vendor content: customer content on a base image (model §2.3 rule 6b)",
            ctx.idx.layer_text(c.layer)
        )),
        None => base(format!(
            "entrypoint `{path}` is not owned by a distro package: customer content on a base image assumed (model §2.3 rule 6b)"
        )),
    }
}

/// The effective command line with init wrappers (`tini --`, `dumb-init`, `env A=b`) removed.
fn command(entrypoint: &[String], cmd: &[String], wrappers: &[String]) -> Vec<String> {
    // Docker semantics: `cmd` is the argument list of `entrypoint`, or the command without one.
    let mut argv: Vec<String> = entrypoint.iter().chain(cmd).cloned().collect();
    // Bounded: each round removes at least the wrapper itself.
    while let Some(first) = argv.first() {
        if first_match(wrappers, basename(first)).is_none() {
            break;
        }
        let skip = 1 + argv[1..]
            .iter()
            .take_while(|a| a.starts_with('-') || a.contains('='))
            .count();
        argv.drain(..skip.min(argv.len()));
    }
    argv
}

/// Arguments of an interpreter that name a file it runs: the value after `-jar`, and absolute
/// paths (options and their values are skipped).
fn script_args(args: &[String]) -> impl Iterator<Item = &str> {
    let mut after_jar = false;
    let mut skip_value = false;
    args.iter().filter_map(move |a| {
        let a = a.as_str();
        if after_jar {
            after_jar = false;
            return Some(a);
        }
        if skip_value {
            skip_value = false;
            return None;
        }
        match a {
            "-jar" => {
                after_jar = true;
                None
            }
            "-cp" | "-classpath" | "--class-path" | "-m" | "-c" | "-e" | "-r" => {
                skip_value = true;
                None
            }
            _ if a.starts_with('/') => Some(a),
            _ => None,
        }
    })
}

/// Resolve a command to an image path and its owning distro package (PATH search for a bare
/// name).
/// Where the runtime finds `prog`: as given when it holds a `/`, else the first directory of the
/// image's `PATH` (config `Env`, else the runtime default) holding an executable of that name.
/// With the file view, only a file that exists and is executable stops the search (a package's
/// file list can name `/usr/sbin/bash` on a usr-merged image where only `/usr/bin/bash` is a
/// file); with an SBOM alone, the first path a package owns does.
fn locate(ctx: &KindContext<'_>, prog: &str) -> (String, Option<usize>) {
    let idx = ctx.idx;
    let owner_of = |path: &str, real: Option<&str>| {
        idx.owner_of_path(path)
            .or_else(|| real.and_then(|r| idx.owner_of_path(r)))
    };
    if prog.contains('/') {
        let path = normalize(prog).unwrap_or_else(|| prog.to_string());
        let real = ctx.executable.and_then(|exe| exe(&path));
        let owner = owner_of(&path, real.as_deref());
        return (path, owner);
    }
    let search = idx.sbom.image.exec_path.as_deref().unwrap_or(DEFAULT_PATH);
    for dir in search.split(':').filter(|d| d.starts_with('/')) {
        let Some(path) = normalize(&format!("{dir}/{prog}")) else {
            continue;
        };
        match ctx.executable {
            Some(exe) => {
                if let Some(real) = exe(&path) {
                    let owner = owner_of(&path, Some(&real));
                    return (path, owner);
                }
            }
            None => {
                if let Some(o) = idx.owner_of_path(&path) {
                    return (path, Some(o));
                }
            }
        }
    }
    (prog.to_string(), None)
}

/// A `-dev` marker in the image reference's tag or the `ref.name`/`version` annotations (a
/// local path such as `./python-dev/` is not a tag and is not matched).
fn dev_marker(ctx: &KindContext<'_>) -> Option<String> {
    let image = &ctx.idx.sbom.image;
    let source = &ctx.idx.sbom.source.location;
    let mut names: Vec<(String, &str)> = Vec::new();
    let without_digest = source.split('@').next().unwrap_or(source);
    if let Some((_, tag)) = basename(without_digest).rsplit_once(':') {
        names.push((tag.to_string(), "tag"));
    }
    for key in [
        "org.opencontainers.image.ref.name",
        "org.opencontainers.image.version",
    ] {
        if let Some(v) = image.annotations.get(key).or_else(|| image.labels.get(key)) {
            names.push((v.clone(), key));
        }
    }
    names
        .into_iter()
        .filter(|(n, _)| !n.is_empty())
        .find_map(|(n, what)| {
            first_match(&ctx.rules.kind.dev_markers, &n)
                .map(|m| format!("{what} `{n}` matches `{m}`"))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn wrappers_are_skipped() {
        let w = s(&["tini", "dumb-init", "env"]);
        assert_eq!(
            command(&s(&["/sbin/tini", "--", "/usr/bin/app", "-x"]), &[], &w),
            s(&["/usr/bin/app", "-x"])
        );
        assert_eq!(command(&s(&["env", "A=b", "app"]), &[], &w), s(&["app"]));
        assert_eq!(command(&[], &s(&["nginx", "-g"]), &w), s(&["nginx", "-g"]));
        assert!(command(&s(&["tini"]), &[], &w).is_empty());
    }

    #[test]
    fn interpreter_script_args() {
        let a = s(&["-Xmx1g", "-cp", "/x", "-jar", "app.jar", "/y"]);
        assert_eq!(script_args(&a).collect::<Vec<_>>(), vec!["app.jar", "/y"]);
    }
}
