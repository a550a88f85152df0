//! CHP tests on hand-built layer listings: distroless, minbase, busybox images, runtime
//! manifests, CVE inputs and hostile file views (loops, dangling links, bare busybox).

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use onus_fs::{
    Content, FileKind, FileMeta, FileVersion, LayerId, LayerListing, ListingEntry, SquashedView,
};

use crate::*;

// ---- builders ------------------------------------------------------------------------------

fn entry(
    path: &str,
    layer: usize,
    kind: FileKind,
    mode: u32,
    target: Option<&str>,
    content: Option<&str>,
) -> ListingEntry {
    ListingEntry::File {
        path: path.to_string(),
        version: FileVersion {
            layer,
            meta: FileMeta {
                kind,
                mode,
                size: content.map_or(0, |c| c.len() as u64),
                link_target: target.map(str::to_string),
            },
            content: content.map(|c| Content {
                bytes: Arc::from(c.as_bytes()),
                complete: true,
            }),
        },
    }
}

fn exe(path: &str, layer: usize) -> ListingEntry {
    entry(path, layer, FileKind::Regular, 0o755, None, None)
}

fn data(path: &str, layer: usize) -> ListingEntry {
    entry(path, layer, FileKind::Regular, 0o644, None, None)
}

fn text(path: &str, layer: usize, content: &str) -> ListingEntry {
    entry(path, layer, FileKind::Regular, 0o644, None, Some(content))
}

fn link(path: &str, target: &str, layer: usize) -> ListingEntry {
    entry(path, layer, FileKind::Symlink, 0o777, Some(target), None)
}

fn hardlink(path: &str, target: &str, layer: usize) -> ListingEntry {
    entry(path, layer, FileKind::Hardlink, 0o755, Some(target), None)
}

fn dir(path: &str, layer: usize) -> ListingEntry {
    entry(path, layer, FileKind::Directory, 0o755, None, None)
}

fn view(layers: Vec<Vec<ListingEntry>>) -> SquashedView {
    let ids = (0..layers.len())
        .map(|index| LayerId {
            index,
            diff_id: format!("sha256:{index:064}"),
        })
        .collect();
    SquashedView::from_layers(
        ids,
        layers
            .into_iter()
            .map(|entries| LayerListing {
                skeleton: String::new(),
                entries,
            })
            .collect(),
    )
}

fn owners(pairs: &[(&str, &str)]) -> OwnerIndex {
    let mut o = OwnerIndex::default();
    for (path, pkg) in pairs {
        o.insert(path, pkg);
    }
    o
}

fn eval(v: &SquashedView, o: &OwnerIndex, rt: Option<&RuntimeConfig>, cves: &CveInput) -> Chp {
    evaluate(v, o, rt, cves, &load_detectors(None).unwrap())
}

fn paths(d: &Dimension) -> Vec<&str> {
    d.evidence
        .iter()
        .filter_map(|e| e.path.as_deref())
        .collect()
}

fn distroless() -> SquashedView {
    view(vec![
        vec![
            text("/etc/passwd", 0, "root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532::/home/nonroot:/sbin/nologin\n"),
            data("/etc/ssl/certs/ca-certificates.crt", 0),
            exe("/lib/x86_64-linux-gnu/libc.so.6", 0),
            dir("/usr/bin", 0),
            dir("/bin", 0),
        ],
        vec![exe("/app/server", 1)],
    ])
}

const READ_ONLY_POD: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers:\n  - name: app\n    image: registry.example/shop/server:1.4\n    securityContext: {readOnlyRootFilesystem: true}\n";

// ---- levels --------------------------------------------------------------------------------

#[test]
fn distroless_is_4_or_5_with_read_only_manifest() {
    let v = distroless();
    let chp = eval(&v, &OwnerIndex::default(), None, &CveInput::NotAssessed);
    assert_eq!((chp.level, chp.level_if_read_only), (4, Some(5)));
    assert_eq!(chp.dimensions.shell.ok, Some(true));
    assert_eq!(chp.dimensions.sys.ok, Some(true));
    assert_eq!(chp.dimensions.net.ok, Some(true));
    assert_eq!(chp.dimensions.rw.ok, None);
    assert_eq!(chp.dimensions.cves.ok, None);
    assert!(chp
        .dimensions
        .rw
        .note
        .as_deref()
        .unwrap()
        .contains("runtime configuration required"));
    assert_eq!(chp.blockers.len(), 1);
    assert_eq!(
        (chp.blockers[0].dimension, chp.blockers[0].level),
        (DimensionName::Rw, 5)
    );

    let rt = parse_runtime(READ_ONLY_POD, Some("registry.example/shop/server")).unwrap();
    let chp = eval(
        &v,
        &OwnerIndex::default(),
        Some(&rt),
        &CveInput::Assessed {
            unexplained: vec![],
            past_sla: vec![],
            eol_or_stale: vec![],
        },
    );
    assert_eq!((chp.level, chp.level_if_read_only), (5, None));
    assert_eq!(chp.dimensions.rw.ok, Some(true));
    assert_eq!(paths(&chp.dimensions.rw), vec!["Pod/web/app"]);
    assert!(chp.blockers.is_empty());
}

#[test]
fn minbase_is_1_with_owners_and_layers() {
    let v = view(vec![
        vec![
            exe("/bin/dash", 0),
            link("/bin/sh", "dash", 0),
            exe("/bin/bash", 0),
            link("/bin/rbash", "bash", 0),
            exe("/bin/ls", 0),
            exe("/bin/cat", 0),
            exe("/usr/bin/dpkg", 0),
            text("/etc/shells", 0, "# /etc/shells: valid login shells\n/bin/sh\n/bin/bash\n/usr/bin/bash\n/bin/rbash\n/bin/dash\n"),
        ],
        vec![exe("/usr/bin/apt", 1), exe("/usr/bin/apt-get", 1), data("/usr/bin/not-exec-tar", 1)],
    ]);
    let o = owners(&[
        ("/bin/dash", "dash"),
        ("/usr/bin/bash", "bash"),
        ("/bin/ls", "coreutils"),
        ("/bin/cat", "coreutils"),
        ("/usr/bin/dpkg", "dpkg"),
        ("/usr/bin/apt", "apt"),
        ("/usr/bin/apt-get", "apt"),
    ]);
    let chp = eval(&v, &o, None, &CveInput::NotAssessed);
    assert_eq!((chp.level, chp.level_if_read_only), (1, None));
    assert_eq!(
        paths(&chp.dimensions.shell),
        vec!["/bin/bash", "/bin/dash", "/bin/rbash", "/bin/sh"]
    );
    assert_eq!(paths(&chp.dimensions.sys), vec!["/bin/cat", "/bin/ls"]);
    assert_eq!(
        paths(&chp.dimensions.net),
        vec!["/usr/bin/apt", "/usr/bin/apt-get", "/usr/bin/dpkg"]
    );
    let bash = chp
        .dimensions
        .shell
        .evidence
        .iter()
        .find(|e| e.path.as_deref() == Some("/bin/bash"))
        .unwrap();
    assert_eq!(
        (bash.layer, bash.package.as_deref()),
        (Some(0), Some("bash")),
        "usr-merge owner alias"
    );
    let sh = chp
        .dimensions
        .shell
        .evidence
        .iter()
        .find(|e| e.path.as_deref() == Some("/bin/sh"))
        .unwrap();
    assert_eq!(sh.package.as_deref(), Some("dash"));
    assert!(sh.detail.contains("→ /bin/dash"), "{}", sh.detail);
    let apt = chp
        .dimensions
        .net
        .evidence
        .iter()
        .find(|e| e.path.as_deref() == Some("/usr/bin/apt"))
        .unwrap();
    assert_eq!(
        (apt.layer, apt.detail.as_str()),
        (Some(1), "package manager")
    );
    let dims: Vec<DimensionName> = chp.blockers.iter().map(|b| b.dimension).collect();
    assert_eq!(
        dims,
        vec![
            DimensionName::Net,
            DimensionName::Sys,
            DimensionName::Shell,
            DimensionName::Rw
        ]
    );
    assert_eq!(
        chp.blockers[0].evidence,
        vec!["/usr/bin/apt", "/usr/bin/apt-get", "/usr/bin/dpkg"]
    );
}

#[test]
fn apko_busybox_with_applet_links_and_usr_merge() {
    // wolfi-base style: /bin is a symlink to usr/bin, busybox applets are symlinks.
    let v = view(vec![vec![
        link("/bin", "usr/bin", 0),
        link("/sbin", "usr/bin", 0),
        exe("/usr/bin/busybox", 0),
        link("/usr/bin/sh", "/usr/bin/busybox", 0),
        link("/usr/bin/ls", "busybox", 0),
        link("/usr/bin/wget", "busybox", 0),
        exe("/usr/bin/apk", 0),
        exe("/usr/bin/ssl_client", 0),
        exe("/usr/bin/python3.12", 0),
    ]]);
    let o = owners(&[
        ("/bin/busybox", "busybox"),
        ("/usr/bin/apk", "apk-tools"),
        ("/usr/bin/ssl_client", "ssl_client"),
    ]);
    let chp = eval(&v, &o, None, &CveInput::NotAssessed);
    assert_eq!(chp.level, 1);
    assert_eq!(
        paths(&chp.dimensions.shell),
        vec!["/usr/bin/busybox", "/usr/bin/sh"]
    );
    assert_eq!(
        paths(&chp.dimensions.sys),
        vec!["/usr/bin/busybox", "/usr/bin/ls"]
    );
    assert_eq!(
        paths(&chp.dimensions.net),
        vec!["/usr/bin/apk", "/usr/bin/ssl_client", "/usr/bin/wget"]
    );
    let sh = chp
        .dimensions
        .shell
        .evidence
        .iter()
        .find(|e| e.path.as_deref() == Some("/usr/bin/sh"))
        .unwrap();
    assert_eq!(
        sh.package.as_deref(),
        Some("busybox"),
        "owner found through the link target and usr-merge"
    );
    assert!(sh.detail.contains("applet link"), "{}", sh.detail);
}

#[test]
fn bare_busybox_counts_as_shell_and_sys_only() {
    let v = view(vec![vec![exe("/bin/busybox", 0)]]);
    let chp = eval(&v, &OwnerIndex::default(), None, &CveInput::NotAssessed);
    assert_eq!(chp.level, 2);
    assert_eq!(paths(&chp.dimensions.shell), vec!["/bin/busybox"]);
    assert_eq!(paths(&chp.dimensions.sys), vec!["/bin/busybox"]);
    assert_eq!(chp.dimensions.net.ok, Some(true));

    // gcr.io/distroless debug: busybox outside the usual dirs, hard-linked applets.
    let v = view(vec![vec![
        exe("/busybox/busybox", 0),
        hardlink("/busybox/sh", "/busybox/busybox", 0),
        hardlink("/busybox/nc", "/busybox/busybox", 0),
    ]]);
    let chp = eval(&v, &OwnerIndex::default(), None, &CveInput::NotAssessed);
    assert_eq!(chp.level, 1);
    assert_eq!(
        paths(&chp.dimensions.shell),
        vec!["/busybox/busybox", "/busybox/sh"]
    );
    assert_eq!(paths(&chp.dimensions.net), vec!["/busybox/nc"]);
}

#[test]
fn hostile_links_never_hang_and_never_count() {
    let v = view(vec![
        vec![
            link("/bin/sh", "/bin/sh2", 0),
            link("/bin/sh2", "/bin/sh", 0),
            link("/bin/bash", "/nonexistent/bash", 0),
            link("/bin/zsh", "../../../../../../zsh", 0),
            data("/bin/dash", 0),
            dir("/bin/ksh", 0),
            link("/usr/local/bin", "/usr/local/bin", 0),
            link("/usr/bin/curl", "../../usr/bin/./curl", 0),
            exe("/opt/real/mksh", 0),
        ],
        // A chain through several layers: layer 2 → layer 1 → layer 0.
        vec![link("/usr/lib/shells/mksh", "/opt/real/mksh", 1)],
        vec![link("/bin/mksh", "../usr/lib/shells/mksh", 2)],
    ]);
    let chp = eval(&v, &OwnerIndex::default(), None, &CveInput::NotAssessed);
    assert_eq!(paths(&chp.dimensions.shell), vec!["/bin/mksh"]);
    let mksh = &chp.dimensions.shell.evidence[0];
    assert_eq!(mksh.layer, Some(2));
    assert!(mksh.detail.contains("/opt/real/mksh"), "{}", mksh.detail);
    assert_eq!(chp.dimensions.net.ok, Some(true));
    assert_eq!(chp.level, 3);
}

#[test]
fn whiteouts_remove_shells() {
    let v = view(vec![
        vec![exe("/bin/sh", 0), exe("/bin/ls", 0)],
        vec![
            ListingEntry::Whiteout {
                path: "/bin/sh".into(),
            },
            ListingEntry::Whiteout {
                path: "/bin/ls".into(),
            },
        ],
    ]);
    let chp = eval(&v, &OwnerIndex::default(), None, &CveInput::NotAssessed);
    assert_eq!(chp.level, 4);
}

#[test]
fn etc_shells_lists_extra_shells_and_missing_content_is_noted() {
    let v = view(vec![vec![
        exe("/opt/shells/xsh", 0),
        text("/etc/shells", 0, "/opt/shells/xsh\n/bin/gone\nnot-a-path\n"),
    ]]);
    let chp = eval(&v, &OwnerIndex::default(), None, &CveInput::NotAssessed);
    assert_eq!(paths(&chp.dimensions.shell), vec!["/opt/shells/xsh"]);
    assert!(chp.dimensions.shell.evidence[0]
        .detail
        .contains("/etc/shells"));
    assert_eq!(chp.level, 3);

    let v = view(vec![vec![
        exe("/opt/shells/xsh", 0),
        data("/etc/shells", 0),
    ]]);
    let chp = eval(&v, &OwnerIndex::default(), None, &CveInput::NotAssessed);
    assert_eq!(chp.level, 4);
    assert!(chp
        .dimensions
        .shell
        .note
        .as_deref()
        .unwrap()
        .contains("not captured"));
}

#[test]
fn user_detectors_add_names() {
    let v = view(vec![vec![exe("/usr/bin/htop", 0)]]);
    let d = load_detectors(Some("sys:\n  names: [htop]\n")).unwrap();
    let chp = evaluate(&v, &OwnerIndex::default(), None, &CveInput::NotAssessed, &d);
    assert_eq!(chp.level, 2);
}

// ---- CVEs ------------------------------------------------------------------------------------

#[test]
fn cve_dimension_policy() {
    let v = distroless();
    let o = OwnerIndex::default();
    let assessed = |u: &[&str], p: &[&str]| CveInput::Assessed {
        unexplained: u.iter().map(|s| s.to_string()).collect(),
        past_sla: p.iter().map(|s| s.to_string()).collect(),
        eol_or_stale: Vec::new(),
    };
    let chp = eval(&v, &o, None, &assessed(&[], &["CVE-2024-1 on libssl3"]));
    assert_eq!((chp.level, chp.level_if_read_only), (0, None));
    assert_eq!(chp.dimensions.cves.ok, Some(false));
    assert_eq!(chp.blockers[0].dimension, DimensionName::Cves);
    assert!(chp.blockers[0].evidence[0].contains("CVE-2024-1"));

    let chp = eval(&v, &o, None, &assessed(&["CVE-2024-2 on x"], &[]));
    assert_eq!(chp.level, 0);

    // A looser policy from a user file.
    let d = load_detectors(Some("cves: {max_unexplained: 1}\n")).unwrap();
    let chp = evaluate(&v, &o, None, &assessed(&["CVE-2024-2 on x"], &[]), &d);
    assert_eq!((chp.level, chp.dimensions.cves.ok), (4, Some(true)));

    let chp = eval(&v, &o, None, &CveInput::NotAssessed);
    assert!(chp
        .dimensions
        .cves
        .note
        .as_deref()
        .unwrap()
        .contains("not assessed"));
}

// ---- runtime manifests -----------------------------------------------------------------------

const DEPLOYMENT: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop
spec:
  template:
    spec:
      initContainers:
      - name: migrate
        image: registry.example/shop/server:1.4
        securityContext:
          readOnlyRootFilesystem: true
      containers:
      - name: server
        image: registry.example/shop/server:1.4
        securityContext:
          readOnlyRootFilesystem: true
      - name: sidecar
        image: registry.example/shop/server:1.4
        securityContext:
          runAsNonRoot: true
      - name: proxy
        image: envoyproxy/envoy:v1.29
---
apiVersion: v1
kind: Service
metadata:
  name: shop
"#;

#[test]
fn deployment_with_one_writable_container() {
    let rt = parse_runtime(DEPLOYMENT, Some("registry.example/shop/server:1.4")).unwrap();
    let names: Vec<&str> = rt.containers.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, vec!["server", "sidecar", "migrate"]);
    assert_eq!(rt.read_only(), Some(false));
    let chp = eval(
        &distroless(),
        &OwnerIndex::default(),
        Some(&rt),
        &CveInput::NotAssessed,
    );
    assert_eq!((chp.level, chp.level_if_read_only), (4, Some(5)));
    assert_eq!(chp.dimensions.rw.ok, Some(false));
    let b = &chp.blockers[0];
    assert_eq!(b.dimension, DimensionName::Rw);
    assert_eq!(b.evidence, vec!["Deployment/shop/sidecar"]);
    let sidecar = chp
        .dimensions
        .rw
        .evidence
        .iter()
        .find(|e| e.path.as_deref() == Some("Deployment/shop/sidecar"))
        .unwrap();
    assert!(
        sidecar.detail.contains("readOnlyRootFilesystem: unset"),
        "{}",
        sidecar.detail
    );

    // Without an image reference every container counts, the envoy proxy included.
    let all = parse_runtime(DEPLOYMENT, None).unwrap();
    assert_eq!(all.containers.len(), 4);
}

#[test]
fn every_workload_kind_and_compose() {
    let cron = "kind: CronJob\nmetadata: {name: nightly}\nspec:\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers: [{name: job, image: app, securityContext: {readOnlyRootFilesystem: true}}]\n          ephemeralContainers: [{name: debug, image: app}]\n";
    let rt = parse_runtime(cron, None).unwrap();
    assert_eq!(rt.containers.len(), 2);
    assert!(rt
        .containers
        .iter()
        .any(|c| c.role == "ephemeralContainer" && !c.read_only));
    assert_eq!(rt.containers[0].workload, "CronJob/nightly");

    let list = "kind: List\nitems:\n- kind: StatefulSet\n  metadata: {name: db}\n  spec: {template: {spec: {containers: [{name: pg, image: postgres}]}}}\n- kind: DaemonSet\n  metadata: {name: agent}\n  spec: {template: {spec: {containers: [{name: a, image: agent}]}}}\n";
    let rt = parse_runtime(list, Some("postgres")).unwrap();
    assert_eq!(rt.containers.len(), 1);
    assert_eq!(rt.containers[0].workload, "StatefulSet/db");

    for kind in ["ReplicaSet", "Job", "Deployment"] {
        let doc = format!("kind: {kind}\nmetadata: {{name: x}}\nspec: {{template: {{spec: {{containers: [{{name: c, image: i}}]}}}}}}\n");
        assert_eq!(
            parse_runtime(&doc, None).unwrap().containers.len(),
            1,
            "{kind}"
        );
    }

    let compose = "services:\n  web:\n    image: nginx:1.25\n    read_only: true\n  worker:\n    image: cgr.dev/chainguard/nginx\n";
    let rt = parse_runtime(compose, Some("nginx")).unwrap();
    assert_eq!(rt.containers.len(), 2);
    assert_eq!(rt.read_only(), Some(false));
    let web = rt.containers.iter().find(|c| c.name == "web").unwrap();
    assert!(web.read_only && web.setting == "read_only: true");
}

#[test]
fn bad_manifests_are_clear_errors() {
    let err = parse_runtime("kind: Pod\nspec: [unclosed\n", None).unwrap_err();
    assert!(
        matches!(err, ChpError::ManifestYaml { document: 1, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("as YAML"));

    let err = parse_runtime("kind: Pod\n---\n\tkey: : :\n", None).unwrap_err();
    assert!(matches!(err, ChpError::ManifestYaml { .. }), "{err}");

    let err = parse_runtime("this is just prose, not a manifest", None).unwrap_err();
    assert!(
        matches!(err, ChpError::NoContainers { documents: 1, .. }),
        "{err}"
    );

    let err =
        parse_runtime("apiVersion: v1\nkind: Service\nmetadata: {name: s}\n", None).unwrap_err();
    assert!(err.to_string().contains("kinds seen: Service"), "{err}");

    let err = parse_runtime("", None).unwrap_err();
    assert!(
        matches!(err, ChpError::NoContainers { documents: 0, .. }),
        "{err}"
    );

    let err = parse_runtime(DEPLOYMENT, Some("redis")).unwrap_err();
    assert!(err.to_string().contains("envoyproxy/envoy:v1.29"), "{err}");

    // Deep nesting and alias bombs are rejected by the parser or bounded, never a hang.
    let deep = format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000));
    assert!(parse_runtime(&deep, None).is_err());
    let bomb = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\ng: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]\n";
    assert!(parse_runtime(bomb, None).is_err());
}

// ---- output ----------------------------------------------------------------------------------

#[test]
fn json_shape_and_table() {
    let v = view(vec![vec![exe("/bin/busybox", 0)]]);
    let chp = eval(
        &v,
        &owners(&[("/bin/busybox", "busybox")]),
        None,
        &CveInput::NotAssessed,
    );
    let json: serde_json::Value = serde_json::to_value(&chp).unwrap();
    assert_eq!(json["level"], 2);
    assert!(json["level_if_read_only"].is_null());
    for d in ["rw", "shell", "sys", "net", "cves"] {
        assert!(json["dimensions"][d].get("ok").is_some(), "{d}");
        assert!(json["dimensions"][d]["evidence"].is_array(), "{d}");
    }
    assert!(json["dimensions"]["rw"]["ok"].is_null());
    assert_eq!(json["dimensions"]["shell"]["ok"], false);
    let ev = &json["dimensions"]["shell"]["evidence"][0];
    assert_eq!(ev["path"], "/bin/busybox");
    assert_eq!(ev["layer"], 0);
    assert_eq!(ev["package"], "busybox");
    assert!(ev["detail"].is_string());
    assert_eq!(json["blockers"][0]["dimension"], "sys");
    assert_eq!(json["blockers"][0]["level"], 3);

    let mut out = Vec::new();
    render_table(&chp, &mut out).unwrap();
    let table = String::from_utf8(out).unwrap();
    assert!(table.starts_with("CHP level 2\n"), "{table}");
    assert!(
        table.contains(
            "shell      no       /bin/busybox: multi-call binary (shell) [layer 0] [busybox]"
        ),
        "{table}"
    );
    assert!(
        table.contains("rw         unknown  (runtime configuration required"),
        "{table}"
    );
    assert!(
        table.contains("Blockers:\n  sys (needed for level 3)"),
        "{table}"
    );

    let chp = eval(
        &distroless(),
        &OwnerIndex::default(),
        None,
        &CveInput::NotAssessed,
    );
    let mut out = Vec::new();
    render_table(&chp, &mut out).unwrap();
    assert!(String::from_utf8(out)
        .unwrap()
        .starts_with("CHP level 4 (5 if run read-only)\n"));
    // Deterministic.
    assert_eq!(
        chp,
        eval(
            &distroless(),
            &OwnerIndex::default(),
            None,
            &CveInput::NotAssessed
        )
    );
}

#[test]
fn owner_index_from_sbom() {
    use onus_inventory::{Component, Ecosystem, ImageInfo, Sbom, SourceInfo};
    let c = |name: &str, eco, files: &[&str]| Component {
        name: name.into(),
        version: "1".into(),
        ecosystem: eco,
        purl: format!("pkg:x/{name}@1"),
        layer: Some(0),
        locations: vec![],
        owner: None,
        found_by: "t".into(),
        origin: None,
        origin_version: None,
        arch: None,
        files: files.iter().map(|s| s.to_string()).collect(),
        metadata: Default::default(),
    };
    let sbom = Sbom {
        schema: onus_inventory::SBOM_SCHEMA.into(),
        source: SourceInfo::default(),
        image: ImageInfo::default(),
        components: vec![
            c("busybox", Ecosystem::Apk, &["bin/busybox"]),
            c("lib", Ecosystem::Pypi, &["bin/sh"]),
        ],
        unknowns: vec![],
    };
    let o = OwnerIndex::from_sbom(&sbom);
    assert_eq!(o.owner("/usr/bin/busybox"), Some("busybox"));
    assert_eq!(
        o.owner("/bin/sh"),
        None,
        "non-distro components own nothing"
    );
}

#[test]
fn hostile_paths_keep_the_table_one_line_per_entry() {
    let v = view(vec![vec![
        exe("/bin/sh", 0),
        link("/bin/ls", "/x\ny", 0),
        exe("/x\ny", 0),
    ]]);
    let chp = eval(&v, &OwnerIndex::default(), None, &CveInput::NotAssessed);
    let mut out = Vec::new();
    render_table(&chp, &mut out).unwrap();
    let table = String::from_utf8(out).unwrap();
    assert!(table.contains("/bin/ls: system utility → /x?y"), "{table}");
}
