//! Test fixtures: an SBOM with every component kind and odd names, and a report over it.
#![allow(dead_code, clippy::unwrap_used, clippy::print_stderr)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use onus_attribution::{
    Attribution, BaseBoundary, BaseSource, Confidence, ImageKind, KindDecision, Party, Tier,
};
use onus_inventory::{
    make_purl, Component, Ecosystem, ImageInfo, LayerInfo, OsInfo, Owner, Sbom, SourceInfo, Unknown,
};
use onus_report::{AttributedFinding, Report};
use onus_vuln::{AdvisoryRef, AdvisoryStatus, Finding, Severity, SeveritySource};
use serde_json::json;

pub const XSS: &str = "<script>alert(1)</script>";

/// The shared data directory, or `None` (with a message) when absent.
pub fn shared_data() -> Option<PathBuf> {
    let dir = std::env::var_os("ONUS_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data"))
        });
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("skipping: shared data not found at {}", dir.display());
        None
    }
}

fn purl(t: &str, ns: Option<&str>, name: &str, version: &str, q: &[(&str, &str)]) -> String {
    make_purl(t, ns, name, version, q).unwrap()
}

fn comp(
    name: &str,
    version: &str,
    ecosystem: Ecosystem,
    purl: String,
    layer: Option<usize>,
    locations: &[&str],
    found_by: &str,
) -> Component {
    Component {
        name: name.to_string(),
        version: version.to_string(),
        ecosystem,
        purl,
        layer,
        locations: locations.iter().map(|s| s.to_string()).collect(),
        owner: None,
        found_by: found_by.to_string(),
        origin: None,
        origin_version: None,
        arch: None,
        files: vec![],
        metadata: BTreeMap::new(),
    }
}

fn digest(seed: char) -> String {
    format!("sha256:{}", seed.to_string().repeat(64))
}

/// An SBOM with apk, deb (with qualifiers), pypi, npm (scoped), golang, maven (with a group),
/// cargo and binary components, a duplicate purl, an empty version and hostile names.
pub fn sbom() -> Sbom {
    let apk_db = "/lib/apk/db/installed";
    let mut openssl = comp(
        "libssl3",
        "3.3.0-r0",
        Ecosystem::Apk,
        purl(
            "apk",
            Some("wolfi"),
            "libssl3",
            "3.3.0-r0",
            &[("arch", "x86_64"), ("distro", "wolfi-20230201")],
        ),
        Some(0),
        &[apk_db],
        "apk-db",
    );
    openssl.origin = Some("openssl".into());
    openssl.arch = Some("x86_64".into());
    openssl.files = vec!["/usr/lib/libssl.so.3".into()];
    let busybox = comp(
        "busybox",
        "1.36.1-r2",
        Ecosystem::Apk,
        purl(
            "apk",
            Some("wolfi"),
            "busybox",
            "1.36.1-r2",
            &[("arch", "x86_64")],
        ),
        Some(0),
        &[apk_db],
        "apk-db",
    );
    let mut nginx = comp(
        "nginx",
        "1.25.3-r0",
        Ecosystem::Apk,
        purl(
            "apk",
            Some("wolfi"),
            "nginx",
            "1.25.3-r0",
            &[("arch", "x86_64")],
        ),
        Some(1),
        &[apk_db],
        "apk-db",
    );
    nginx.origin = Some("nginx".into());
    let mut curl = comp(
        "curl",
        "7.88.1-10+deb12u5",
        Ecosystem::Deb,
        purl(
            "deb",
            Some("debian"),
            "curl",
            "7.88.1-10+deb12u5",
            &[("arch", "amd64"), ("distro", "debian-12")],
        ),
        Some(2),
        &["/var/lib/dpkg/status"],
        "dpkg-db",
    );
    curl.origin = Some("curl".into());
    curl.origin_version = Some("7.88.1-10+deb12u5".into());
    let mut requests = comp(
        "requests",
        "2.31.0",
        Ecosystem::Pypi,
        purl("pypi", None, "requests", "2.31.0", &[]),
        Some(3),
        &["/usr/lib/python3.12/site-packages/requests-2.31.0.dist-info/METADATA"],
        "python-package",
    );
    requests.owner = Some(Owner {
        name: "py3-pip".into(),
        version: "24.0-r0".into(),
        purl: "pkg:apk/wolfi/py3-pip@24.0-r0".into(),
    });
    let scoped = comp(
        "@babel/core",
        "7.24.0",
        Ecosystem::Npm,
        purl("npm", Some("@babel"), "core", "7.24.0", &[]),
        Some(3),
        &["/app/node_modules/@babel/core/package.json"],
        "npm-package",
    );
    let mut gomod = comp(
        "golang.org/x/crypto",
        "v0.17.0",
        Ecosystem::Golang,
        purl("golang", Some("golang.org/x"), "crypto", "v0.17.0", &[]),
        Some(1),
        &["/usr/bin/vault-env"],
        "go-binary",
    );
    gomod.owner = Some(Owner {
        name: "nginx".into(),
        version: "1.25.3-r0".into(),
        purl: "pkg:apk/wolfi/nginx@1.25.3-r0".into(),
    });
    let mut stdlib = comp(
        "stdlib",
        "go1.21.5",
        Ecosystem::Binary,
        "pkg:golang/stdlib@go1.21.5".into(),
        Some(1),
        &["/usr/bin/vault-env"],
        "go-binary",
    );
    stdlib
        .metadata
        .insert("go_version".into(), "go1.21.5".into());
    let maven = comp(
        "commons-text",
        "1.9",
        Ecosystem::Maven,
        purl(
            "maven",
            Some("org.apache.commons"),
            "commons-text",
            "1.9",
            &[],
        ),
        Some(3),
        &["/app/lib/app.jar:BOOT-INF/lib/commons-text-1.9.jar"],
        "java-archive",
    );
    let serde = comp(
        "serde",
        "1.0.200",
        Ecosystem::Cargo,
        purl("cargo", None, "serde", "1.0.200", &[]),
        Some(3),
        &["/usr/local/bin/tool"],
        "rust-audit",
    );
    let hostile = comp(
        XSS,
        "1.0\"><img src=x onerror=alert(2)>",
        Ecosystem::Npm,
        purl("npm", None, XSS, "1.0", &[]),
        Some(3),
        &["/app/node_modules/<script>/package.json"],
        "npm-package",
    );
    let odd = comp(
        "naïve pkg with spaces",
        "",
        Ecosystem::Pypi,
        String::new(),
        None,
        &["/opt/odd dir/METADATA"],
        "python-package",
    );
    let dup_a = comp(
        "lodash",
        "4.17.20",
        Ecosystem::Npm,
        purl("npm", None, "lodash", "4.17.20", &[]),
        Some(3),
        &["/app/a/node_modules/lodash/package.json"],
        "npm-package",
    );
    let dup_b = comp(
        "lodash",
        "4.17.20",
        Ecosystem::Npm,
        purl("npm", None, "lodash", "4.17.20", &[]),
        Some(3),
        &["/app/b/node_modules/lodash/package.json"],
        "npm-package",
    );
    let escape = comp(
        "term\u{1b}[31mred",
        "1",
        Ecosystem::Pypi,
        purl("pypi", None, "termred", "1", &[]),
        Some(3),
        &["/x/METADATA"],
        "python-package",
    );
    let layers = (0..4)
        .map(|i| LayerInfo {
            index: i,
            diff_id: digest(char::from(b'a' + i as u8)),
            digest: Some(digest(char::from(b'0' + i as u8))),
            size: 1000 * (i as u64 + 1),
            created_by: Some(format!("step {i}")),
        })
        .collect();
    Sbom {
        schema: onus_inventory::SBOM_SCHEMA.to_string(),
        source: SourceInfo {
            scheme: "oci-dir".into(),
            location: "cgr.dev/acme/nginx:1.25".into(),
            platform: Some("linux/amd64".into()),
        },
        image: ImageInfo {
            manifest_digest: Some(digest('f')),
            config_digest: Some(digest('e')),
            os: Some(OsInfo {
                id: "wolfi".into(),
                version_id: Some("20230201".into()),
                version_codename: None,
                pretty_name: Some("Wolfi".into()),
            }),
            layers,
            labels: BTreeMap::new(),
            annotations: BTreeMap::new(),
            entrypoint: vec!["/usr/sbin/nginx".into()],
            cmd: vec![],
            user: Some("65532".into()),
            exec_path: None,
            created: Some("2024-05-01T12:00:00.5+02:00".into()),
            newer_build: None,
        },
        components: vec![
            openssl, busybox, nginx, curl, requests, scoped, gomod, stdlib, maven, serde, hostile,
            odd, dup_a, dup_b, escape,
        ],
        unknowns: vec![Unknown {
            location: "/usr/lib/broken.jar".into(),
            reason: "not a zip archive".into(),
        }],
    }
}

fn attribution_for(c: &Component) -> Attribution {
    let (tier, party, rule, reason) = match (c.layer, c.ecosystem, c.name.as_str()) {
        (Some(3), _, _) | (None, _, _) => (
            Tier::Custom,
            Party::Customer,
            "R-PAT-7",
            "added in a layer above the vendor base",
        ),
        (_, _, "nginx") => (
            Tier::App,
            Party::Upstream,
            "R-PAT-2",
            "main package (origin nginx)",
        ),
        (_, Ecosystem::Golang, _) => (
            Tier::LangLib,
            Party::Vendor,
            "R-PAT-4",
            "built into nginx; non-breaking bump",
        ),
        (_, Ecosystem::Binary, _) => (
            Tier::Toolchain,
            Party::Vendor,
            "R-PAT-4",
            "Go stdlib: fixed by a toolchain rebuild",
        ),
        _ => (
            Tier::System,
            Party::Vendor,
            "R-PAT-4",
            "vendor system package",
        ),
    };
    Attribution {
        tier,
        party,
        rule: rule.into(),
        reason: reason.into(),
    }
}

#[allow(clippy::too_many_arguments)]
fn finding(
    c: &Component,
    id: &str,
    aliases: &[&str],
    severity: Severity,
    status: AdvisoryStatus,
    fixed: Option<&str>,
    justification: Option<&str>,
) -> Finding {
    Finding {
        id: id.into(),
        aliases: aliases.iter().map(|s| s.to_string()).collect(),
        purl: c.purl.clone(),
        package: c.name.clone(),
        version: c.version.clone(),
        severity,
        severity_source: Some(SeveritySource {
            source: "cve-severity".into(),
            vector: None,
            score: match severity {
                Severity::Critical => Some(9.8),
                Severity::High => Some(7.5),
                _ => None,
            },
        }),
        status,
        fixed_version: fixed.map(str::to_string),
        justification: justification.map(str::to_string),
        advisory: None,
        sources: vec!["test-feed".into()],
        known_exploited: false,
        suppressed: None,
    }
}

pub fn report() -> Report {
    let sbom = sbom();
    let by_name = |name: &str| {
        sbom.components
            .iter()
            .find(|c| c.name == name)
            .unwrap()
            .clone()
    };
    let attributions: Vec<Attribution> = sbom.components.iter().map(attribution_for).collect();
    let mut findings = Vec::new();
    let mut push = |f: Finding, sla: Option<serde_json::Value>| {
        let c = sbom
            .components
            .iter()
            .find(|c| c.purl == f.purl && c.name == f.package)
            .unwrap();
        let mut attribution = attribution_for(c);
        if f.status == AdvisoryStatus::PendingUpstreamFix && attribution.tier == Tier::LangLib {
            attribution = Attribution {
                tier: Tier::LangLib,
                party: Party::Upstream,
                rule: "R-PAT-5".into(),
                reason: "pending-upstream-fix: bump breaks nginx".into(),
            };
        }
        let next = onus_attribution::moves::decide(&onus_attribution::MoveInput {
            finding: &f,
            tier: attribution.tier,
            kind: ImageKind::Application,
            stream: None,
            newer_build: None,
        });
        findings.push(AttributedFinding {
            finding: f,
            attribution,
            next,
            stream: None,
            sla: sla.map(|v| serde_json::from_value(v).unwrap()),
        });
    };
    let openssl = by_name("libssl3");
    push(
        finding(
            &openssl,
            "CVE-2024-5535",
            &["GHSA-aaaa-bbbb-cccc"],
            Severity::Critical,
            AdvisoryStatus::Affected,
            Some("3.3.1-r0"),
            None,
        ),
        Some(
            json!({"state": "running", "severity": "critical", "sla_days": 7, "start": "2024-05-01T00:00:00Z", "deadline": "2024-05-08T00:00:00Z", "days_left": 3.5, "why": "fix available upstream", "flags": [], "rule": "R-PAT-3", "source": "SLA-25"}),
        ),
    );
    let mut kev = finding(
        &by_name("curl"),
        "CVE-2023-38545",
        &[],
        Severity::High,
        AdvisoryStatus::Affected,
        Some("7.88.1-10+deb12u6"),
        None,
    );
    kev.known_exploited = true;
    push(kev, None);
    push(
        finding(
            &by_name("golang.org/x/crypto"),
            "CVE-2023-48795",
            &["GHSA-45x7-px36-x8w8", "GO-2023-2402"],
            Severity::Medium,
            AdvisoryStatus::PendingUpstreamFix,
            None,
            Some("bump to v0.18.0 breaks the build"),
        ),
        Some(
            json!({"state": "not-started", "severity": "medium", "why": "pending upstream fix: the clock does not start", "flags": [], "rule": "R-PAT-5", "source": "SRM-A"}),
        ),
    );
    push(
        finding(
            &by_name("stdlib"),
            "CVE-2024-24790",
            &[],
            Severity::Critical,
            AdvisoryStatus::UnderInvestigation,
            Some("go1.21.11"),
            None,
        ),
        Some(
            json!({"state": "breached", "severity": "critical", "sla_days": 7, "start": "2024-04-01T00:00:00Z", "deadline": "2024-04-08T00:00:00Z", "days_overdue": 12.25, "why": "no fix released within the SLA", "flags": ["timezone-assumed-utc"], "rule": "R-PAT-3", "source": "SLA-25"}),
        ),
    );
    push(
        finding(
            &by_name("nginx"),
            "CVE-2024-7347",
            &[],
            Severity::Medium,
            AdvisoryStatus::FixNotPlanned,
            None,
            Some("upstream EOL branch"),
        ),
        None,
    );
    push(
        finding(
            &by_name("busybox"),
            "CVE-2022-48174",
            &[],
            Severity::Critical,
            AdvisoryStatus::NotAffected,
            None,
            Some("vulnerable-code-not-included-in-package"),
        ),
        None,
    );
    push(
        finding(
            &by_name("busybox"),
            "CVE-2023-42363",
            &[],
            Severity::Medium,
            AdvisoryStatus::Fixed,
            Some("1.36.1-r2"),
            None,
        ),
        None,
    );
    push(
        finding(
            &by_name("requests"),
            "CVE-2024-35195",
            &["GHSA-9wx4-h78v-vm56", "PYSEC-2024-1"],
            Severity::Medium,
            AdvisoryStatus::Affected,
            Some("2.32.0"),
            None,
        ),
        None,
    );
    push(
        finding(
            &by_name("commons-text"),
            "CVE-2022-42889",
            &["GHSA-599f-7c49-w659"],
            Severity::Critical,
            AdvisoryStatus::Affected,
            Some("1.10.0"),
            None,
        ),
        None,
    );
    push(
        finding(
            &by_name(XSS),
            "GHSA-xxxx-<b>-yyyy",
            &[],
            Severity::High,
            AdvisoryStatus::Affected,
            None,
            Some("<img src=x onerror=alert(3)>"),
        ),
        None,
    );
    push(
        finding(
            &by_name("lodash"),
            "CVE-2021-23337",
            &["GHSA-35jh-r3h4-6jhm"],
            Severity::High,
            AdvisoryStatus::Affected,
            Some("4.17.21"),
            None,
        ),
        None,
    );
    let mut suppressed = finding(
        &by_name("requests"),
        "CVE-2023-32681",
        &[],
        Severity::Medium,
        AdvisoryStatus::Affected,
        Some("2.31.0"),
        None,
    );
    suppressed.suppressed = Some("owner py3-pip advisory covers it".into());
    suppressed.advisory = Some(AdvisoryRef {
        id: "CGA-2222-3333-4444".into(),
        current_event: "fixed".into(),
        current_event_time: "2024-01-01T00:00:00Z".into(),
        first_detection: None,
        note: None,
        package: String::new(),
        fixed_version: None,
    });
    push(suppressed, None);
    push(
        finding(
            &by_name("term\u{1b}[31mred"),
            "CVE-2024-0001",
            &[],
            Severity::Low,
            AdvisoryStatus::Affected,
            None,
            None,
        ),
        None,
    );
    push(
        finding(
            &by_name("naïve pkg with spaces"),
            "PYSEC-2024-99",
            &[],
            Severity::Unknown,
            AdvisoryStatus::AnalysisNotPlanned,
            None,
            None,
        ),
        None,
    );
    Report::new(
        sbom.clone(),
        Some(KindDecision { value: ImageKind::Application, reason: "entrypoint /usr/sbin/nginx belongs to the main package nginx".into() }),
        Some(BaseBoundary { layers: Some(3), source: BaseSource::Annotation, confidence: Confidence::High, evidence: Some("org.opencontainers.image.base.digest".into()) }),
        attributions,
        findings,
    )
    .with_chp(Some(serde_json::from_value(json!({
        "level": 3,
        "level_if_read_only": null,
        "dimensions": {
            "rw": {"ok": null, "evidence": [], "note": "runtime configuration required"},
            "shell": {"ok": false, "evidence": [
                {"path": "/bin/sh", "layer": 0, "package": "busybox", "detail": "shell (busybox applet)"},
                {"path": "/bin/ash", "layer": 0, "package": "busybox", "detail": "shell (busybox applet)"}
            ]},
            "sys": {"ok": true, "evidence": []},
            "net": {"ok": true, "evidence": []},
            "cves": {"ok": true, "evidence": []}
        },
        "blockers": [
            {"dimension": "shell", "level": 4, "action": "remove shells (busybox)", "evidence": ["/bin/sh", "/bin/ash"]},
            {"dimension": "rw", "level": 5, "action": "run with a read-only root filesystem", "evidence": []}
        ]
    })).unwrap()))
    .with_eol(serde_json::from_value(json!([
        json!({"product": "nginx", "version": "1.25.3", "cycle": "1.25", "eol_date": "2024-05-29", "grace_end": "2024-11-29",
               "state": "eol", "days": -300, "supported_cycle": "1.27", "purl": "pkg:apk/wolfi/nginx@1.25.3-r0",
               "detected_by": "apk:nginx", "party": "vendor", "rule": "R-REL-2"}),
        json!({"product": "python", "version": "3.12.1", "cycle": "3.12", "eol_date": "2028-10-31", "grace_end": "2029-04-30",
               "state": "supported", "days": 1200, "purl": null, "detected_by": "pypi:<script>", "party": "customer",
               "rule": "R-REL-4", "note": "<b>proxy</b> product"}),
    ])).unwrap())
}
