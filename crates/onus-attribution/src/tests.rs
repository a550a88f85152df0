//! Scenario tests: synthetic SBOMs mirroring the apko `top_image`, a Debian distroless base with
//! customer layers, and an application image with findings of every party.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use onus_inventory::{
    Component, Ecosystem, ImageInfo, LayerInfo, Owner, Sbom, SourceInfo, SBOM_SCHEMA,
};
use onus_vuln::{AdvisoryRef, AdvisoryStatus, Finding, Severity};

use crate::*;

// ---- builders ------------------------------------------------------------------------------

fn layer(index: usize, diff_id: &str, created_by: Option<&str>) -> LayerInfo {
    LayerInfo {
        index,
        diff_id: diff_id.to_string(),
        digest: None,
        size: 0,
        created_by: created_by.map(str::to_string),
    }
}

fn sbom(
    location: &str,
    layers: Vec<LayerInfo>,
    entrypoint: &[&str],
    components: Vec<Component>,
) -> Sbom {
    Sbom {
        schema: SBOM_SCHEMA.to_string(),
        source: SourceInfo {
            scheme: "oci-dir".into(),
            location: location.into(),
            platform: None,
        },
        image: ImageInfo {
            layers,
            entrypoint: entrypoint.iter().map(|s| s.to_string()).collect(),
            ..ImageInfo::default()
        },
        components,
        unknowns: Vec::new(),
    }
}

fn distro(
    eco: Ecosystem,
    name: &str,
    version: &str,
    origin: &str,
    layer: usize,
    files: &[&str],
) -> Component {
    let (ns, db) = match eco {
        Ecosystem::Deb => ("debian", "/var/lib/dpkg/status"),
        _ => ("wolfi", "/lib/apk/db/installed"),
    };
    Component {
        name: name.into(),
        version: version.into(),
        ecosystem: eco,
        purl: format!("pkg:{}/{ns}/{name}@{version}", eco.purl_type()),
        layer: Some(layer),
        locations: vec![db.into()],
        owner: None,
        found_by: "test".into(),
        origin: Some(origin.into()),
        origin_version: None,
        arch: None,
        files: files.iter().map(|s| s.to_string()).collect(),
        metadata: BTreeMap::new(),
    }
}

fn apk(name: &str, origin: &str, layer: usize, files: &[&str]) -> Component {
    distro(Ecosystem::Apk, name, "1.0.0-r0", origin, layer, files)
}

fn deb(name: &str, source: &str, layer: usize, files: &[&str]) -> Component {
    distro(Ecosystem::Deb, name, "1.0-1", source, layer, files)
}

fn lib(eco: Ecosystem, name: &str, version: &str, layer: usize, location: &str) -> Component {
    Component {
        name: name.into(),
        version: version.into(),
        ecosystem: eco,
        purl: format!("pkg:{}/{name}@{version}", eco.purl_type()),
        layer: Some(layer),
        locations: vec![location.into()],
        owner: None,
        found_by: "test".into(),
        origin: None,
        origin_version: None,
        arch: None,
        files: Vec::new(),
        metadata: BTreeMap::new(),
    }
}

fn finding(
    id: &str,
    purl: &str,
    severity: Severity,
    status: AdvisoryStatus,
    advisory: Option<&str>,
) -> Finding {
    Finding {
        id: id.into(),
        aliases: Vec::new(),
        purl: purl.into(),
        package: String::new(),
        version: String::new(),
        severity,
        severity_source: None,
        status,
        fixed_version: None,
        justification: None,
        advisory: advisory.map(|a| AdvisoryRef {
            id: a.into(),
            current_event: "pending-upstream-fix".into(),
            current_event_time: "2024-01-01T00:00:00Z".into(),
            first_detection: None,
            note: None,
            package: String::new(),
            fixed_version: None,
        }),
        sources: vec!["test".into()],
        known_exploited: false,
        suppressed: None,
    }
}

struct Run {
    base: BaseInput,
    base_layers: Option<usize>,
    kind: Option<ImageKind>,
    findings: Vec<Finding>,
}

impl Default for Run {
    fn default() -> Self {
        Run {
            base: BaseInput::None,
            base_layers: None,
            kind: None,
            findings: Vec::new(),
        }
    }
}

fn run(sbom: &Sbom, r: Run) -> AttributionResult {
    let rules = load_rules(None).unwrap();
    attribute(&AttributionInput {
        sbom,
        findings: &r.findings,
        base: &r.base,
        base_layers: r.base_layers,
        kind_override: r.kind,
        rules: &rules,
        executable: None,
    })
}

/// The attribution of the component named `name` (first match).
fn of<'a>(sbom: &Sbom, result: &'a AttributionResult, name: &str) -> &'a Attribution {
    let i = sbom
        .components
        .iter()
        .position(|c| c.name == name)
        .unwrap_or_else(|| panic!("no component {name}"));
    assert_eq!(result.components[i].index, i);
    &result.components[i].attribution
}

#[track_caller]
fn expect(
    sbom: &Sbom,
    result: &AttributionResult,
    name: &str,
    tier: Tier,
    party: Party,
    rule: &str,
) {
    let a = of(sbom, result, name);
    assert_eq!(
        (a.tier, a.party, a.rule.as_str()),
        (tier, party, rule),
        "{name}: {}",
        a.reason
    );
    assert!(
        !a.reason.is_empty() && !a.reason.contains('\n'),
        "{name}: one-line reason"
    );
}

// ---- (a) apko top_image: base_image's 1 layer + a layer adding `replayout` -----------------

const TOP_L0: &str = "sha256:783b8b05724ae7998917558527ef930f1442af2f071850913fc406992e44606c";
const TOP_L1: &str = "sha256:79551ed211a0ca334ac3206473ff5f46a095fb4baf5ee4d13b804d8acca517bf";

fn top_image() -> Sbom {
    sbom(
        "top_image",
        vec![
            layer(0, TOP_L0, Some("apko")),
            layer(1, TOP_L1, Some("apko")),
        ],
        &["/bin/sh", "-l"],
        vec![
            apk(
                "pretend-baselayout",
                "pretend-baselayout",
                0,
                &[
                    "etc/os-release",
                    "var/lib/db/sbom/pretend-baselayout-1.0.0-r0.spdx.json",
                ],
            ),
            apk(
                "package-x",
                "package-x",
                0,
                &[
                    "var/lib/db/sbom/package-x-1.0.0-r0.spdx.json",
                    "x/hello.txt",
                ],
            ),
            apk(
                "replayout",
                "replayout",
                1,
                &[
                    "etc/os-release",
                    "var/lib/db/sbom/replayout-1.0.0-r0.spdx.json",
                ],
            ),
        ],
    )
}

#[test]
fn top_image_with_base_diff_ids() {
    let s = top_image();
    let r = run(
        &s,
        Run {
            base: BaseInput::ImageDiffIds(vec![TOP_L0.into()]),
            ..Run::default()
        },
    );
    assert_eq!(r.base.layers, Some(1));
    assert_eq!(r.base.source, BaseSource::BaseImage);
    assert_eq!(r.base.confidence, Confidence::High);
    assert_eq!(r.kind.value, ImageKind::Base, "{}", r.kind.reason);
    assert!(r.kind.reason.contains("shell"), "{}", r.kind.reason);
    expect(
        &s,
        &r,
        "pretend-baselayout",
        Tier::System,
        Party::Vendor,
        "R-PAT-4",
    );
    expect(&s, &r, "package-x", Tier::System, Party::Vendor, "R-PAT-4");
    expect(
        &s,
        &r,
        "replayout",
        Tier::Custom,
        Party::Customer,
        "R-PAT-7",
    );
    let reason = &of(&s, &r, "replayout").reason;
    assert!(reason.contains("layer 1 (sha256:79551ed211a0)"), "{reason}");
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    assert_eq!(
        r.summary.components_by_party.get(&Party::Customer),
        Some(&1)
    );
    assert_eq!(r.summary.components_by_party.get(&Party::Vendor), Some(&2));
}

#[test]
fn top_image_with_base_sbom_missing_a_package() {
    // The base image's SBOM lists package-y, which the top image's apk db no longer does.
    let s = top_image();
    let base = sbom(
        "base_image",
        vec![layer(0, TOP_L0, Some("apko"))],
        &["/bin/sh", "-l"],
        vec![
            apk("pretend-baselayout", "pretend-baselayout", 0, &[]),
            apk("package-x", "package-x", 0, &[]),
            apk("package-y", "package-y", 0, &[]),
        ],
    );
    let r = run(
        &s,
        Run {
            base: BaseInput::Sbom(base),
            ..Run::default()
        },
    );
    assert_eq!(r.base.layers, Some(1), "{:?}", r.base);
    assert_eq!(r.base.source, BaseSource::BaseSbom);
    assert_eq!(r.base.confidence, Confidence::Medium);
    expect(&s, &r, "package-x", Tier::System, Party::Vendor, "R-PAT-4");
    expect(
        &s,
        &r,
        "replayout",
        Tier::Custom,
        Party::Customer,
        "R-PAT-7",
    );
}

#[test]
fn top_image_base_layers_option_and_history_only() {
    let s = top_image();
    let r = run(
        &s,
        Run {
            base_layers: Some(1),
            ..Run::default()
        },
    );
    assert_eq!(
        (r.base.layers, r.base.source, r.base.confidence),
        (Some(1), BaseSource::BaseLayersOption, Confidence::High)
    );
    expect(
        &s,
        &r,
        "replayout",
        Tier::Custom,
        Party::Customer,
        "R-PAT-7",
    );

    // History alone cannot tell apko-on-apko apart: both layers look like base, said with low
    // confidence, never silently.
    let r = run(&s, Run::default());
    assert_eq!(
        (r.base.layers, r.base.source, r.base.confidence),
        (Some(2), BaseSource::History, Confidence::Low)
    );
    let reason = &of(&s, &r, "replayout").reason;
    assert!(reason.contains("layer 1"), "{reason}");
}

#[test]
fn top_image_wrong_base_is_a_warning_not_a_guess() {
    let mut s = top_image();
    for l in &mut s.image.layers {
        l.created_by = None;
    }
    let r = run(
        &s,
        Run {
            base: BaseInput::ImageDiffIds(vec!["sha256:ffff".into()]),
            ..Run::default()
        },
    );
    assert_eq!(r.base.layers, None);
    assert_eq!(r.base.source, BaseSource::BaseImage);
    assert_eq!(r.base.confidence, Confidence::Low);
    assert!(
        r.warnings.iter().any(|w| w.contains("not a prefix")),
        "{:?}",
        r.warnings
    );
    // Distro packages stay vendor without a boundary; only unowned non-distro content defaults
    // to the customer (rule 6b).
    expect(&s, &r, "replayout", Tier::System, Party::Vendor, "R-PAT-4");

    let r = run(&s, Run::default());
    assert_eq!(
        (r.base.layers, r.base.source, r.base.confidence),
        (None, BaseSource::Unknown, Confidence::Low)
    );
}

#[test]
fn annotation_with_history_is_medium_and_alone_is_low() {
    let mut s = sbom(
        "app",
        vec![
            layer(0, "sha256:aa", Some("apko")),
            layer(
                1,
                "sha256:bb",
                Some("RUN /bin/sh -c pip install flask # buildkit"),
            ),
        ],
        &[],
        vec![],
    );
    s.image.annotations.insert(
        "org.opencontainers.image.base.name".into(),
        "cgr.dev/chainguard/python:latest".into(),
    );
    s.image.annotations.insert(
        "org.opencontainers.image.base.digest".into(),
        "sha256:0123456789abcdef0123".into(),
    );
    let r = run(&s, Run::default());
    assert_eq!(
        (r.base.layers, r.base.source, r.base.confidence),
        (Some(1), BaseSource::Annotation, Confidence::Medium)
    );
    assert!(
        r.base
            .evidence
            .as_deref()
            .unwrap_or("")
            .contains("cgr.dev/chainguard/python"),
        "{:?}",
        r.base
    );

    s.image.layers[0].created_by = Some("COPY . /".into());
    let r = run(&s, Run::default());
    assert_eq!(
        (r.base.layers, r.base.source, r.base.confidence),
        (None, BaseSource::Annotation, Confidence::Low)
    );
    assert!(r
        .base
        .evidence
        .as_deref()
        .unwrap_or("")
        .contains("python:latest"));
}

#[test]
fn stronger_source_wins_and_disagreement_is_reported() {
    let s = top_image();
    let r = run(
        &s,
        Run {
            base: BaseInput::ImageDiffIds(vec![TOP_L0.into()]),
            base_layers: Some(2),
            ..Run::default()
        },
    );
    assert_eq!(
        (r.base.layers, r.base.source),
        (Some(1), BaseSource::BaseImage)
    );
    assert!(
        r.warnings.iter().any(|w| w.contains("disagrees")),
        "{:?}",
        r.warnings
    );
    let r = run(
        &s,
        Run {
            base_layers: Some(9),
            ..Run::default()
        },
    );
    assert!(
        r.warnings.iter().any(|w| w.contains("--base-layers 9")),
        "{:?}",
        r.warnings
    );
}

// ---- (b) Debian distroless base + customer layers -------------------------------------------

fn distroless_app(history: bool) -> Sbom {
    let h = |s: &'static str| if history { Some(s) } else { None };
    let mut go_main = lib(
        Ecosystem::Golang,
        "example.com/shop/server",
        "v0.0.0",
        4,
        "/app/server",
    );
    go_main
        .metadata
        .insert("main_module".into(), "example.com/shop/server".into());
    sbom(
        "registry.example/shop/server:1.4",
        vec![
            layer(
                0,
                "sha256:d0",
                h("bazel build //base:static_root_amd64_debian12"),
            ),
            layer(
                1,
                "sha256:d1",
                h("bazel build //base:cc_root_amd64_debian12"),
            ),
            layer(2, "sha256:c2", h("COPY requirements.txt /app/ # buildkit")),
            layer(
                3,
                "sha256:c3",
                h("RUN /bin/sh -c pip install -r /app/requirements.txt && npm ci # buildkit"),
            ),
            layer(4, "sha256:c4", h("COPY /out/server /app/server # buildkit")),
            layer(
                5,
                "sha256:c5",
                h("COPY app.jar /app/lib/app.jar # buildkit"),
            ),
        ],
        &["/app/server"],
        vec![
            deb(
                "base-files",
                "base-files",
                0,
                &["/etc/os-release", "/etc/debian_version"],
            ),
            deb("netbase", "netbase", 0, &["/etc/protocols"]),
            deb("tzdata", "tzdata", 0, &["/usr/share/zoneinfo/UTC"]),
            deb("libc6", "glibc", 1, &["/lib/x86_64-linux-gnu/libc.so.6"]),
            deb(
                "libssl3",
                "openssl",
                1,
                &["/usr/lib/x86_64-linux-gnu/libssl.so.3"],
            ),
            deb(
                "libgcc-s1",
                "gcc-12",
                1,
                &["/lib/x86_64-linux-gnu/libgcc_s.so.1"],
            ),
            lib(
                Ecosystem::Pypi,
                "requests",
                "2.31.0",
                3,
                "/usr/local/lib/python3.11/site-packages/requests-2.31.0.dist-info/METADATA",
            ),
            lib(
                Ecosystem::Npm,
                "express",
                "4.18.2",
                3,
                "/app/node_modules/express/package.json",
            ),
            go_main,
            lib(
                Ecosystem::Golang,
                "golang.org/x/net",
                "v0.17.0",
                4,
                "/app/server",
            ),
            lib(Ecosystem::Golang, "stdlib", "go1.21.3", 4, "/app/server"),
            lib(
                Ecosystem::Maven,
                "com.fasterxml.jackson.core:jackson-databind",
                "2.15.0",
                5,
                "/app/lib/app.jar!/BOOT-INF/lib/jackson-databind-2.15.0.jar",
            ),
        ],
    )
}

const CUSTOMER_LIBS: [&str; 6] = [
    "requests",
    "express",
    "example.com/shop/server",
    "golang.org/x/net",
    "stdlib",
    "com.fasterxml.jackson.core:jackson-databind",
];

#[test]
fn distroless_base_with_customer_layers() {
    let s = distroless_app(true);
    let r = run(
        &s,
        Run {
            base: BaseInput::ImageDiffIds(vec!["sha256:d0".into(), "sha256:d1".into()]),
            ..Run::default()
        },
    );
    assert_eq!(
        (r.base.layers, r.base.source),
        (Some(2), BaseSource::BaseImage)
    );
    assert_eq!(r.kind.value, ImageKind::Base, "{}", r.kind.reason);
    assert!(r.kind.reason.contains("/app/server"), "{}", r.kind.reason);
    for name in [
        "base-files",
        "netbase",
        "tzdata",
        "libc6",
        "libssl3",
        "libgcc-s1",
    ] {
        expect(&s, &r, name, Tier::System, Party::Vendor, "R-PAT-4");
    }
    for name in CUSTOMER_LIBS {
        expect(&s, &r, name, Tier::Custom, Party::Customer, "R-PAT-7");
    }
    // History alone finds the same boundary (bazel-built base, buildkit customer layers).
    let r = run(&s, Run::default());
    assert_eq!(
        (r.base.layers, r.base.source, r.base.confidence),
        (Some(2), BaseSource::History, Confidence::Low)
    );
    for name in CUSTOMER_LIBS {
        expect(&s, &r, name, Tier::Custom, Party::Customer, "R-PAT-7");
    }
    expect(&s, &r, "libc6", Tier::System, Party::Vendor, "R-PAT-4");
}

#[test]
fn distroless_without_any_boundary_defaults_unowned_to_customer() {
    let s = distroless_app(false);
    let r = run(&s, Run::default());
    assert_eq!(r.base.layers, None);
    assert_eq!(r.kind.value, ImageKind::Base);
    for name in CUSTOMER_LIBS {
        expect(&s, &r, name, Tier::Custom, Party::Customer, "R-PAT-7");
        let reason = &of(&s, &r, name).reason;
        assert!(
            reason.contains("rule 6b") && reason.contains("low confidence"),
            "{reason}"
        );
    }
    expect(&s, &r, "libssl3", Tier::System, Party::Vendor, "R-PAT-4");
}

#[test]
fn vendor_sbom_membership_marks_added_packages() {
    // The vendor SBOM lists the distroless packages; a customer `apt-get install curl` is absent.
    let mut s = distroless_app(true);
    s.components
        .push(deb("curl", "curl", 3, &["/usr/bin/curl"]));
    s.components.push(deb(
        "libcurl4",
        "curl",
        3,
        &["/usr/lib/x86_64-linux-gnu/libcurl.so.4"],
    ));
    let vendor = sbom(
        "vendor",
        vec![],
        &[],
        [
            "base-files",
            "netbase",
            "tzdata",
            "libc6",
            "libssl3",
            "libgcc-s1",
        ]
        .iter()
        .map(|n| deb(n, n, 0, &[]))
        .collect(),
    );
    let r = run(
        &s,
        Run {
            base: BaseInput::VendorSbom(vendor),
            ..Run::default()
        },
    );
    assert_eq!(
        (r.base.layers, r.base.source, r.base.confidence),
        (Some(2), BaseSource::VendorSbom, Confidence::High)
    );
    expect(&s, &r, "curl", Tier::Custom, Party::Customer, "R-PAT-7");
    expect(&s, &r, "libc6", Tier::System, Party::Vendor, "R-PAT-4");

    // Without layers (an SBOM read back without layer info) membership alone decides.
    let mut s2 = s.clone();
    for c in &mut s2.components {
        c.layer = None;
    }
    for l in &mut s2.image.layers {
        l.created_by = None;
    }
    let vendor = sbom(
        "vendor",
        vec![],
        &[],
        ["libc6", "libssl3"]
            .iter()
            .map(|n| deb(n, n, 0, &[]))
            .collect(),
    );
    let r = run(
        &s2,
        Run {
            base: BaseInput::VendorSbom(vendor),
            ..Run::default()
        },
    );
    assert_eq!(
        (r.base.layers, r.base.source, r.base.confidence),
        (None, BaseSource::VendorSbom, Confidence::Medium)
    );
    expect(&s2, &r, "curl", Tier::Custom, Party::Customer, "R-PAT-7");
    expect(&s2, &r, "libc6", Tier::System, Party::Vendor, "R-PAT-4");
    assert!(of(&s2, &r, "curl").reason.contains("rule 6a"));
}

// ---- (c) application image: app apk, Go binary, toolchain, system, customer additions -------

fn app_image() -> Sbom {
    let bin = "/usr/bin/acme-server";
    let mut main = lib(
        Ecosystem::Golang,
        "github.com/acme/server",
        "v1.2.3",
        0,
        bin,
    );
    main.metadata
        .insert("main_module".into(), "github.com/acme/server".into());
    let mut vendored = lib(
        Ecosystem::Pypi,
        "requests",
        "2.31.0",
        0,
        "/usr/lib/python3.12/site-packages/pip/_vendor/requests/__init__.py",
    );
    vendored.owner = Some(Owner {
        name: "py3-pip".into(),
        version: "1.0.0-r0".into(),
        purl: "pkg:apk/wolfi/py3-pip@1.0.0-r0".into(),
    });
    sbom(
        "cgr.dev/acme/acme-server:latest",
        vec![
            layer(0, "sha256:a0a0a0a0a0a0a0a0", Some("apko")),
            layer(
                1,
                "sha256:c1c1c1c1c1c1c1",
                Some("RUN apk add curl && pip install rich"),
            ),
        ],
        &["/usr/bin/acme-server", "serve"],
        vec![
            apk(
                "acme-server",
                "acme-server",
                0,
                &["usr/bin/acme-server", "usr/share/java/acme/acme.jar"],
            ),
            apk(
                "acme-server-config",
                "acme-server",
                0,
                &["etc/acme/config.yaml"],
            ),
            apk(
                "go-1.22",
                "go-1.22",
                0,
                &["usr/lib/go/bin/go", "usr/bin/go"],
            ),
            apk("git", "git", 0, &["usr/bin/git"]),
            apk(
                "py3-pip",
                "py3-pip",
                0,
                &["usr/lib/python3.12/site-packages/pip/_vendor/requests/__init__.py"],
            ),
            apk("glibc", "glibc", 0, &["lib/libc.so.6"]),
            apk("libssl3", "openssl", 0, &["usr/lib/libssl.so.3"]),
            apk("libgcc", "gcc", 0, &["usr/lib/libgcc_s.so.1"]),
            apk(
                "ca-certificates-bundle",
                "ca-certificates",
                0,
                &["etc/ssl/certs/ca-certificates.crt"],
            ),
            apk(
                "wolfi-baselayout",
                "wolfi-baselayout",
                0,
                &["etc/os-release"],
            ),
            apk("curl", "curl", 1, &["usr/bin/curl"]),
            main,
            lib(Ecosystem::Golang, "golang.org/x/crypto", "v0.14.0", 0, bin),
            lib(
                Ecosystem::Golang,
                "gopkg.in/square/go-jose.v2",
                "v2.6.0",
                0,
                bin,
            ),
            lib(Ecosystem::Golang, "stdlib", "go1.22.1", 0, bin),
            lib(
                Ecosystem::Maven,
                "com.fasterxml.jackson.core:jackson-databind",
                "2.15.0",
                0,
                "/usr/share/java/acme/lib/jackson-databind-2.15.0.jar",
            ),
            vendored,
            lib(
                Ecosystem::Pypi,
                "rich",
                "13.0.0",
                1,
                "/usr/lib/python3.12/site-packages/rich-13.0.0.dist-info/METADATA",
            ),
        ],
    )
}

fn purl_of(s: &Sbom, name: &str) -> String {
    s.components
        .iter()
        .find(|c| c.name == name)
        .map(|c| c.purl.clone())
        .unwrap()
}

#[test]
fn application_image_tiers_parties_and_findings() {
    let s = app_image();
    let f = |name: &str, sev, status, adv| {
        finding(&format!("CVE-{name}"), &purl_of(&s, name), sev, status, adv)
    };
    let findings = vec![
        f(
            "acme-server",
            Severity::High,
            AdvisoryStatus::Affected,
            None,
        ),
        f(
            "golang.org/x/crypto",
            Severity::Critical,
            AdvisoryStatus::Affected,
            None,
        ),
        f(
            "gopkg.in/square/go-jose.v2",
            Severity::Medium,
            AdvisoryStatus::PendingUpstreamFix,
            Some("CGA-2222-3333-4444"),
        ),
        f(
            "stdlib",
            Severity::High,
            AdvisoryStatus::UnderInvestigation,
            Some("CGA-5555-6666-7777"),
        ),
        f("go-1.22", Severity::Low, AdvisoryStatus::Affected, None),
        f("libssl3", Severity::High, AdvisoryStatus::Fixed, None),
        f("curl", Severity::Critical, AdvisoryStatus::Affected, None),
        f("rich", Severity::Low, AdvisoryStatus::Affected, None),
        f(
            "com.fasterxml.jackson.core:jackson-databind",
            Severity::High,
            AdvisoryStatus::PendingUpstreamFix,
            Some("CGA-x"),
        ),
        finding(
            "CVE-ghost",
            "pkg:npm/ghost@1.0.0",
            Severity::Low,
            AdvisoryStatus::Affected,
            None,
        ),
    ];
    let r = run(
        &s,
        Run {
            base_layers: Some(1),
            findings,
            ..Run::default()
        },
    );
    assert_eq!(r.kind.value, ImageKind::Application, "{}", r.kind.reason);
    let app = r.app.as_ref().unwrap();
    assert_eq!(app.package.as_deref(), Some("acme-server"));
    assert_eq!(app.entrypoint, "/usr/bin/acme-server");

    // Components.
    expect(&s, &r, "acme-server", Tier::App, Party::Upstream, "R-PAT-2");
    expect(
        &s,
        &r,
        "acme-server-config",
        Tier::App,
        Party::Upstream,
        "R-PAT-2",
    );
    expect(
        &s,
        &r,
        "github.com/acme/server",
        Tier::App,
        Party::Upstream,
        "R-PAT-2",
    );
    expect(
        &s,
        &r,
        "golang.org/x/crypto",
        Tier::LangLib,
        Party::Vendor,
        "R-PAT-4",
    );
    expect(
        &s,
        &r,
        "gopkg.in/square/go-jose.v2",
        Tier::LangLib,
        Party::Vendor,
        "R-PAT-4",
    );
    expect(
        &s,
        &r,
        "com.fasterxml.jackson.core:jackson-databind",
        Tier::LangLib,
        Party::Vendor,
        "R-PAT-4",
    );
    expect(&s, &r, "stdlib", Tier::Toolchain, Party::Vendor, "R-PAT-4");
    expect(&s, &r, "go-1.22", Tier::Toolchain, Party::Vendor, "R-PAT-4");
    expect(&s, &r, "git", Tier::Toolchain, Party::Vendor, "R-PAT-4");
    expect(&s, &r, "py3-pip", Tier::Toolchain, Party::Vendor, "R-PAT-4");
    expect(
        &s,
        &r,
        "requests",
        Tier::Toolchain,
        Party::Vendor,
        "R-PAT-4",
    );
    for name in [
        "glibc",
        "libssl3",
        "libgcc",
        "ca-certificates-bundle",
        "wolfi-baselayout",
    ] {
        expect(&s, &r, name, Tier::System, Party::Vendor, "R-PAT-4");
    }
    expect(&s, &r, "curl", Tier::Custom, Party::Customer, "R-PAT-7");
    expect(&s, &r, "rich", Tier::Custom, Party::Customer, "R-PAT-7");
    assert!(of(&s, &r, "golang.org/x/crypto")
        .reason
        .contains("owned by `acme-server`"));
    assert!(of(&s, &r, "requests").reason.contains("rule 5"));

    // Findings, aligned with the input order.
    let got: Vec<(Tier, Party, &str)> = r
        .findings
        .iter()
        .map(|a| (a.tier, a.party, a.rule.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            (Tier::App, Party::Upstream, "R-PAT-2"),
            (Tier::LangLib, Party::Vendor, "R-PAT-4"),
            (Tier::LangLib, Party::Upstream, "R-PAT-5"),
            (Tier::Toolchain, Party::Vendor, "R-PAT-4"),
            (Tier::Toolchain, Party::Vendor, "R-PAT-4"),
            (Tier::System, Party::Vendor, "R-PAT-4"),
            (Tier::Custom, Party::Customer, "R-PAT-7"),
            (Tier::Custom, Party::Customer, "R-PAT-7"),
            (Tier::LangLib, Party::Upstream, "R-PAT-5"),
            (Tier::Custom, Party::Customer, "R-PAT-7"),
        ]
    );
    assert!(
        r.findings[2]
            .reason
            .contains("pending-upstream-fix (CGA-2222-3333-4444)"),
        "{}",
        r.findings[2].reason
    );
    assert!(
        r.findings[1].reason.contains("no advisory"),
        "{}",
        r.findings[1].reason
    );
    assert!(
        r.warnings.iter().any(|w| w.contains("CVE-ghost")),
        "{:?}",
        r.warnings
    );

    // Summary: open findings only (the fixed libssl3 one is left out).
    let party = |p| r.summary.by_party.get(&p).copied().unwrap_or_default();
    assert_eq!(party(Party::Upstream).total, 3);
    assert_eq!(party(Party::Upstream).high, 2);
    assert_eq!(party(Party::Vendor).total, 3);
    assert_eq!(party(Party::Vendor).critical, 1);
    assert_eq!(party(Party::Customer).total, 3);
    assert_eq!(r.summary.matrix[&Tier::LangLib][&Party::Upstream].total, 2);
    assert_eq!(r.summary.matrix[&Tier::LangLib][&Party::Vendor].total, 1);
    assert_eq!(r.summary.by_tier[&Tier::Toolchain].total, 2);

    // Deterministic and serialisable.
    let again = run(
        &s,
        Run {
            base_layers: Some(1),
            findings: Vec::new(),
            ..Run::default()
        },
    );
    assert_eq!(again.components, r.components);
}

#[test]
fn application_image_without_toolchain_keeps_git_system() {
    let mut s = app_image();
    s.components
        .retain(|c| c.name != "go-1.22" && c.name != "py3-pip" && c.name != "requests");
    let r = run(
        &s,
        Run {
            base_layers: Some(1),
            ..Run::default()
        },
    );
    expect(&s, &r, "git", Tier::System, Party::Vendor, "R-PAT-4");
}

#[test]
fn kind_decisions_and_override() {
    let mut s = app_image();
    // Override to Base: no App tier, the app's libraries are vendor-owned via the owner.
    let r = run(
        &s,
        Run {
            base_layers: Some(1),
            kind: Some(ImageKind::Base),
            ..Run::default()
        },
    );
    assert_eq!(r.kind.value, ImageKind::Base);
    assert!(r.kind.reason.contains("kind option"));
    expect(
        &s,
        &r,
        "acme-server",
        Tier::System,
        Party::Vendor,
        "R-PAT-4",
    );

    // A `-dev` variant is a Base image whatever its entrypoint.
    s.source.location = "cgr.dev/acme/acme-server:latest-dev".into();
    let r = run(
        &s,
        Run {
            base_layers: Some(1),
            ..Run::default()
        },
    );
    assert_eq!(r.kind.value, ImageKind::Base);
    assert!(r.kind.reason.contains("-dev"), "{}", r.kind.reason);

    // A local path is not a tag: `./acme-dev` is no `-dev` variant.
    s.source.location = "./images/acme-dev".into();
    let r = run(
        &s,
        Run {
            base_layers: Some(1),
            ..Run::default()
        },
    );
    assert_eq!(r.kind.value, ImageKind::Application, "{}", r.kind.reason);

    // Bare command found on PATH, behind tini.
    s.source.location = "acme.tar".into();
    s.image.entrypoint = vec!["/sbin/tini".into(), "--".into(), "acme-server".into()];
    let r = run(
        &s,
        Run {
            base_layers: Some(1),
            ..Run::default()
        },
    );
    assert_eq!(r.kind.value, ImageKind::Application, "{}", r.kind.reason);

    // A toolchain entrypoint makes a Base (toolchain) image.
    s.image.entrypoint = vec!["/usr/bin/go".into()];
    let r = run(
        &s,
        Run {
            base_layers: Some(1),
            ..Run::default()
        },
    );
    assert_eq!(r.kind.value, ImageKind::Base);
    assert!(r.kind.reason.contains("toolchain"), "{}", r.kind.reason);

    // No entrypoint.
    s.image.entrypoint.clear();
    let r = run(
        &s,
        Run {
            base_layers: Some(1),
            ..Run::default()
        },
    );
    assert_eq!(r.kind.value, ImageKind::Base);
    assert_eq!(r.kind.reason, "no entrypoint or cmd");

    // Interpreter running a jar owned by the app package → Application.
    s.image.entrypoint = vec![
        "java".into(),
        "-Xmx1g".into(),
        "-jar".into(),
        "/usr/share/java/acme/acme.jar".into(),
    ];
    s.components
        .push(apk("openjdk-17-jre", "openjdk-17", 0, &["usr/bin/java"]));
    let r = run(
        &s,
        Run {
            base_layers: Some(1),
            ..Run::default()
        },
    );
    assert_eq!(r.kind.value, ImageKind::Application, "{}", r.kind.reason);
    expect(
        &s,
        &r,
        "openjdk-17-jre",
        Tier::Toolchain,
        Party::Vendor,
        "R-PAT-4",
    );

    // A plain interpreter is a Base image.
    s.image.entrypoint = vec!["/usr/bin/python3.12".into()];
    let r = run(
        &s,
        Run {
            base_layers: Some(1),
            ..Run::default()
        },
    );
    assert_eq!(r.kind.value, ImageKind::Base, "{}", r.kind.reason);

    // An entrypoint owned by a package the customer added: Base.
    s.image.entrypoint = vec!["/usr/bin/curl".into()];
    let r = run(
        &s,
        Run {
            base_layers: Some(1),
            ..Run::default()
        },
    );
    assert_eq!(r.kind.value, ImageKind::Base);
    assert!(r.kind.reason.contains("customer"), "{}", r.kind.reason);
}

#[test]
fn debian_usr_merge_entrypoint_and_source_toolchains() {
    let s = sbom(
        "debian-app",
        vec![layer(0, "sha256:00", None)],
        &["/usr/bin/myapp"],
        vec![
            deb("myapp", "myapp", 0, &["/bin/myapp"]),
            deb(
                "python3.11-minimal",
                "python3.11",
                0,
                &["/usr/bin/python3.11"],
            ),
            deb(
                "golang-1.19-go",
                "golang-1.19",
                0,
                &["/usr/lib/go-1.19/bin/go"],
            ),
            deb("nodejs", "nodejs", 0, &["/usr/bin/node"]),
            deb(
                "openjdk-17-jre-headless",
                "openjdk-17",
                0,
                &["/usr/lib/jvm/java-17-openjdk-amd64/bin/java"],
            ),
            deb("libssl3", "openssl", 0, &[]),
        ],
    );
    let r = run(
        &s,
        Run {
            base_layers: Some(1),
            ..Run::default()
        },
    );
    assert_eq!(r.kind.value, ImageKind::Application, "{}", r.kind.reason);
    expect(&s, &r, "myapp", Tier::App, Party::Upstream, "R-PAT-2");
    for name in [
        "python3.11-minimal",
        "golang-1.19-go",
        "nodejs",
        "openjdk-17-jre-headless",
    ] {
        expect(&s, &r, name, Tier::Toolchain, Party::Vendor, "R-PAT-4");
    }
    expect(&s, &r, "libssl3", Tier::System, Party::Vendor, "R-PAT-4");
}

#[test]
fn result_serialises_deterministically() {
    let s = app_image();
    let a = serde_json::to_string(&run(
        &s,
        Run {
            base_layers: Some(1),
            ..Run::default()
        },
    ))
    .unwrap();
    let b = serde_json::to_string(&run(
        &s,
        Run {
            base_layers: Some(1),
            ..Run::default()
        },
    ))
    .unwrap();
    assert_eq!(a, b);
    assert!(
        a.contains("\"tier\":\"LangLib\"") && a.contains("\"party\":\"upstream\""),
        "{a}"
    );
    assert!(a.contains("\"source\":\"base-layers-option\""));
}

#[test]
fn user_rules_extend_toolchains() {
    let s = sbom(
        "x",
        vec![layer(0, "sha256:00", None)],
        &[],
        vec![apk("zig", "zig", 0, &[])],
    );
    let base = BaseInput::None;
    let rules = load_rules(Some("toolchain:\n  origins: [zig]\n")).unwrap();
    let r = attribute(&AttributionInput {
        sbom: &s,
        findings: &[],
        base: &base,
        base_layers: Some(1),
        kind_override: None,
        rules: &rules,
        executable: None,
    });
    expect(&s, &r, "zig", Tier::Toolchain, Party::Vendor, "R-PAT-4");
}

#[test]
fn empty_sbom_is_fine() {
    let s = sbom("empty", vec![], &[], vec![]);
    let r = run(
        &s,
        Run {
            base_layers: Some(0),
            ..Run::default()
        },
    );
    assert!(r.components.is_empty());
    assert_eq!(r.kind.value, ImageKind::Base);
    assert_eq!(r.base.layers, Some(0));
}

#[test]
fn hostile_text_stays_on_one_line() {
    let mut s = top_image();
    s.image.layers[1].created_by = Some("RUN <<EOF\napk add x\nEOF".into());
    s.image.layers[0].created_by = Some("apko".into());
    s.components[2].name = "evil\nname".into();
    s.image
        .annotations
        .insert("org.opencontainers.image.base.name".into(), "a\nb".into());
    let r = run(&s, Run::default());
    assert!(
        !r.base.evidence.as_deref().unwrap_or("").contains('\n'),
        "{:?}",
        r.base
    );
    for c in &r.components {
        assert!(!c.attribution.reason.contains('\n'));
    }
    assert_eq!(r.base.layers, Some(1));
}

#[test]
fn names_are_the_serialised_names() {
    for source in [
        BaseSource::BaseImage,
        BaseSource::BaseSbom,
        BaseSource::Annotation,
        BaseSource::BaseLayersOption,
        BaseSource::VendorSbom,
        BaseSource::History,
        BaseSource::Unknown,
    ] {
        assert_eq!(serde_json::to_value(source).unwrap(), source.as_str());
    }
    for confidence in [Confidence::Low, Confidence::Medium, Confidence::High] {
        assert_eq!(
            serde_json::to_value(confidence).unwrap(),
            confidence.as_str()
        );
    }
}

#[test]
fn path_lookup_stops_only_at_an_executable_that_exists() {
    // Usr-merged Debian: dpkg lists /bin/bash, /bin is a symlink to usr/bin, and nothing is at
    // /usr/sbin/bash or /sbin/bash although the default PATH searches those first.
    let mut s = sbom(
        "debian",
        vec![layer(0, "sha256:00", None)],
        &["bash"],
        vec![deb("bash", "bash", 0, &["/bin/bash"])],
    );
    s.image.exec_path = Some("/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".into());
    let exists = |path: &str| -> Option<String> {
        matches!(path, "/usr/bin/bash" | "/bin/bash").then(|| "/usr/bin/bash".to_string())
    };
    let rules = load_rules(None).unwrap();
    let r = attribute(&AttributionInput {
        sbom: &s,
        findings: &[],
        base: &BaseInput::None,
        base_layers: Some(1),
        kind_override: None,
        rules: &rules,
        executable: Some(&exists),
    });
    assert!(r.kind.reason.contains("/usr/bin/bash"), "{}", r.kind.reason);
    assert!(!r.kind.reason.contains("sbin"), "{}", r.kind.reason);

    // The image's own PATH decides the order: /opt/bin first.
    s.image.exec_path = Some("/opt/bin:/usr/bin".into());
    let exists = |path: &str| -> Option<String> {
        matches!(path, "/usr/bin/bash" | "/opt/bin/bash").then(|| path.to_string())
    };
    let r = attribute(&AttributionInput {
        sbom: &s,
        findings: &[],
        base: &BaseInput::None,
        base_layers: Some(1),
        kind_override: None,
        rules: &rules,
        executable: Some(&exists),
    });
    assert!(r.kind.reason.contains("/opt/bin/bash"), "{}", r.kind.reason);
}
