//! Real-data tests: one store built from all of shared/data (read in place), then matching
//! against Wolfi advisories, PyPI and Go OSV, the secdb fixtures and the Debian tracker sample.

#![allow(clippy::unwrap_used, clippy::print_stderr)]

mod common;

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Instant;

use common::*;
use onus_inventory::Ecosystem;
use onus_vuln::*;

/// The shared store, built once per test binary (None when the data is absent).
fn store_path() -> Option<PathBuf> {
    static STORE: OnceLock<Option<PathBuf>> = OnceLock::new();
    STORE
        .get_or_init(|| {
            let data = shared_data()?;
            let dir = tempfile::tempdir().unwrap().keep();
            let target = dir.join("vuln.db");
            let inputs = vec![BuildInput::new(&data)];
            let start = Instant::now();
            let summary = build(&target, &inputs, &BuildOptions::default(), &mut |_| {}).unwrap();
            eprintln!(
                "built store from {} in {:.2?}: {} bytes; sources: {}",
                data.display(),
                start.elapsed(),
                summary.store_bytes,
                summary
                    .sources
                    .iter()
                    .map(|s| format!("{}={}/{}w", s.name, s.records, s.warning_count))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            for s in &summary.sources {
                for w in s.warnings.iter().take(5) {
                    eprintln!("  {}: {w}", s.name);
                }
            }
            for w in summary.warnings.iter().take(10) {
                eprintln!("  (input): {w}");
            }
            Some(target)
        })
        .clone()
}

fn open() -> Option<Store> {
    Some(Store::open_readonly(&store_path()?).unwrap())
}

fn ids(f: &Finding) -> Vec<&str> {
    std::iter::once(f.id.as_str())
        .chain(f.aliases.iter().map(String::as_str))
        .collect()
}

#[test]
fn builds_every_feed_from_shared_data() {
    let Some(path) = store_path() else { return };
    let store = Store::open_readonly(&path).unwrap();
    let sources = store.sources().unwrap();
    let count = |name: &str| {
        sources
            .iter()
            .find(|s| s.name == name)
            .map(|s| s.records)
            .unwrap_or(0)
    };
    // 30,030 real advisories plus one in each of the two advisory-schema fixtures.
    assert_eq!(count("wolfi-advisories"), 30_032);
    assert!(count("osv-pypi") >= 2_600, "osv-pypi {}", count("osv-pypi"));
    assert!(count("osv-go") >= 4_200, "osv-go {}", count("osv-go"));
    assert_eq!(count("cisa-kev"), 1_404);
    assert_eq!(count("endoflife"), 464);
    assert!(count("cve-severity") >= 50_000);
    assert!(
        count("secdb-wolfi") > 0 && count("secdb-chainguard") > 0 && count("secdb-alpine-3.15") > 0
    );
    assert!(count("debian-tracker") > 0);
    assert!(count("rustsec") >= 1_100);
    assert!(count("nodejs-security-wg") >= 600);
    assert!(store
        .eol_products()
        .unwrap()
        .is_some_and(|raw| raw.len() > 1_000_000));
    let st = status(
        &store,
        chrono::DateTime::parse_from_rfc3339("2099-01-01T00:00:00Z")
            .unwrap()
            .into(),
        None,
    )
    .unwrap();
    assert!(st.stale, "a store from 2026 data is stale in 2099");
    assert!(st
        .sources
        .iter()
        .all(|s| !s.record.provenance.is_empty() && s.record.checksum.is_some()));
}

/// Pick an advisory of the store by its current event (deterministically).
fn advisory_with(
    path: &PathBuf,
    event: &str,
) -> (String, String, Vec<String>, Option<String>, Option<String>) {
    let conn =
        rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    conn.query_row(
        "SELECT package, advisory_id, aliases, fixed_version, justification FROM distro_advisories
         WHERE namespace = 'wolfi' AND current_event = ?1 AND package NOT IN (SELECT package FROM secdb)
         ORDER BY package, advisory_id LIMIT 1",
        [event],
        |r| {
            let aliases: String = r.get(2)?;
            Ok((r.get(0)?, r.get(1)?, serde_json::from_str(&aliases).unwrap(), r.get(3)?, r.get(4)?))
        },
    )
    .unwrap()
}

#[test]
fn wolfi_fixed_advisory_matches_only_before_the_fix() {
    let Some(path) = store_path() else { return };
    let store = open().unwrap();
    let (package, id, aliases, fixed, _) = advisory_with(&path, "fixed");
    let fixed = fixed.unwrap();
    let before = sbom(
        Some(("wolfi", "20230201", None)),
        vec![apk(
            "wolfi",
            &format!("{package}-sub"),
            "0.0.1-r0",
            Some(&package),
        )],
    );
    let r = match_sbom(&store, &before, &MatchOptions::default()).expect("match");
    let hit = r
        .findings
        .iter()
        .find(|f| ids(f).contains(&id.as_str()))
        .expect("advisory matched before its fix");
    assert_eq!(hit.status, AdvisoryStatus::Affected);
    assert_eq!(hit.fixed_version.as_deref(), Some(fixed.as_str()));
    assert!(
        aliases.iter().all(|a| ids(hit).contains(&a.as_str())),
        "aliases collapsed into one finding"
    );
    assert_eq!(
        hit.advisory.as_ref().map(|a| a.id.as_str()),
        Some(id.as_str())
    );
    if aliases.iter().any(|a| a.starts_with("CVE-")) {
        assert!(
            hit.id.starts_with("CVE-"),
            "CVE preferred as id: {}",
            hit.id
        );
    }

    let at = sbom(
        Some(("wolfi", "20230201", None)),
        vec![apk("wolfi", &package, &fixed, None)],
    );
    let r = match_sbom(
        &store,
        &at,
        &MatchOptions {
            show_fixed: true,
            ..MatchOptions::default()
        },
    )
    .expect("match");
    assert!(
        !r.findings.iter().any(|f| ids(f).contains(&id.as_str())),
        "not a finding at the fixed version"
    );
    assert!(
        r.fixed.iter().any(|f| ids(f).contains(&id.as_str())),
        "listed with show_fixed"
    );
    let r = match_sbom(&store, &at, &MatchOptions::default()).expect("match");
    assert!(r.fixed.is_empty());
}

#[test]
fn wolfi_false_positive_is_suppressed_with_justification() {
    let Some(path) = store_path() else { return };
    let store = open().unwrap();
    let (package, id, _, _, justification) = advisory_with(&path, "false-positive-determination");
    let s = sbom(
        Some(("wolfi", "20230201", None)),
        vec![apk("wolfi", &package, "0.0.1-r0", None)],
    );
    let r = match_sbom(&store, &s, &MatchOptions::default()).expect("match");
    assert!(!r.findings.iter().any(|f| ids(f).contains(&id.as_str())));
    let sup = r
        .suppressed
        .iter()
        .find(|f| ids(f).contains(&id.as_str()))
        .expect("suppressed");
    assert_eq!(sup.status, AdvisoryStatus::NotAffected);
    let j = justification.unwrap();
    assert!(
        sup.justification.as_deref().unwrap().starts_with(&j),
        "{:?} vs {j}",
        sup.justification
    );
}

#[test]
fn wolfi_pending_upstream_fix_is_reported_as_such() {
    let Some(path) = store_path() else { return };
    let store = open().unwrap();
    let (package, id, _, _, _) = advisory_with(&path, "pending-upstream-fix");
    let s = sbom(
        Some(("wolfi", "20230201", None)),
        vec![apk("wolfi", &package, "999.0.0-r0", None)],
    );
    let r = match_sbom(&store, &s, &MatchOptions::default()).expect("match");
    let f = r
        .findings
        .iter()
        .find(|f| ids(f).contains(&id.as_str()))
        .expect("reported");
    assert_eq!(f.status, AdvisoryStatus::PendingUpstreamFix);
    assert!(
        f.justification.as_deref().is_some_and(|n| !n.is_empty()),
        "note kept"
    );
    assert_eq!(
        f.advisory.as_ref().map(|a| a.current_event.as_str()),
        Some("pending-upstream-fix")
    );
}

#[test]
fn pypi_requests_and_urllib3_known_cves() {
    let Some(store) = open() else { return };
    let s = sbom(
        None,
        vec![pypi("requests", "2.19.1"), pypi("urllib3", "1.24.1")],
    );
    let r = match_sbom(&store, &s, &MatchOptions::default()).expect("match");
    let find = |pkg: &str, cve: &str| {
        r.findings
            .iter()
            .find(|f| f.package == pkg && ids(f).contains(&cve))
            .cloned()
    };
    let req = find("requests", "CVE-2018-18074").expect("CVE-2018-18074 on requests 2.19.1");
    assert_eq!(req.id, "CVE-2018-18074");
    assert!(
        req.aliases.contains(&"PYSEC-2018-28".to_string())
            && req.aliases.contains(&"GHSA-x84v-xcm2-53pg".to_string())
    );
    assert_eq!(req.fixed_version.as_deref(), Some("2.20.0"));
    // Neither the CVE table (mostly 2023+) nor the PyPA records score these three CVEs.
    assert_eq!(req.severity, Severity::Unknown);
    for cve in ["CVE-2019-11324", "CVE-2019-11236"] {
        find("urllib3", cve).unwrap_or_else(|| panic!("{cve} on urllib3 1.24.1"));
    }
    // Later urllib3 CVEs are scored (CVE table or the PyPA record's CVSS vector).
    let scored: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.package == "urllib3" && f.severity != Severity::Unknown)
        .collect();
    assert!(
        scored.len() >= 2,
        "{:?}",
        r.findings
            .iter()
            .map(|f| (&f.id, f.severity))
            .collect::<Vec<_>>()
    );
    assert!(scored.iter().all(|f| f.severity_source.is_some()));
    // One finding per vulnerability: no duplicate ids per component.
    let mut keys: Vec<_> = r.findings.iter().map(|f| (&f.purl, &f.id)).collect();
    let n = keys.len();
    keys.dedup();
    assert_eq!(keys.len(), n);
    // Name normalisation (PEP 503).
    let s = sbom(None, vec![pypi("Requests", "2.19.1")]);
    assert!(match_sbom(&store, &s, &MatchOptions::default())
        .expect("match")
        .findings
        .iter()
        .any(|f| f.id == "CVE-2018-18074"));
    // A fixed version does not match.
    let s = sbom(None, vec![pypi("requests", "2.20.0")]);
    assert!(!match_sbom(&store, &s, &MatchOptions::default())
        .expect("match")
        .findings
        .iter()
        .any(|f| f.id == "CVE-2018-18074"));
}

#[test]
fn go_old_x_crypto_matches() {
    let Some(store) = open() else { return };
    let c = component(
        Ecosystem::Golang,
        "golang.org/x/crypto",
        "v0.0.0-20210921155107-089bfa567519",
        "pkg:golang/golang.org/x/crypto@v0.0.0-20210921155107-089bfa567519",
    );
    let r = match_sbom(&store, &sbom(None, vec![c]), &MatchOptions::default()).expect("match");
    let f = r
        .findings
        .iter()
        .find(|f| ids(f).contains(&"GO-2022-0968"))
        .expect("GO-2022-0968");
    assert_eq!(f.id, "CVE-2021-43565");
    assert!(f.aliases.contains(&"GHSA-gwc9-m7rh-j2ww".to_string()));
    let new = component(
        Ecosystem::Golang,
        "golang.org/x/crypto",
        "v0.31.0",
        "pkg:golang/golang.org/x/crypto@v0.31.0",
    );
    let r = match_sbom(&store, &sbom(None, vec![new]), &MatchOptions::default()).expect("match");
    assert!(!r.findings.iter().any(|f| ids(f).contains(&"GO-2022-0968")));
}

#[test]
fn secdb_fixtures_wolfi_chainguard_alpine() {
    let Some(store) = open() else { return };
    // Wolfi secdb: busybox fixed at 1.35.0-r3. coreutils CVE-2016-2781 is under "0" in the
    // (older) secdb fixture, but the advisory's current event is a later true-positive: the
    // vendor advisory wins over the secdb entry for the same vulnerability.
    let s = sbom(
        Some(("wolfi", "20230201", None)),
        vec![
            apk("wolfi", "busybox", "1.35.0-r2", None),
            apk("wolfi", "coreutils", "9.1-r0", None),
        ],
    );
    let r = match_sbom(&store, &s, &MatchOptions::default()).expect("match");
    assert!(r
        .findings
        .iter()
        .any(|f| f.package == "busybox" && f.id == "CVE-2022-28391"));
    let cu = r
        .findings
        .iter()
        .find(|f| f.package == "coreutils" && f.id == "CVE-2016-2781")
        .expect("coreutils");
    assert_eq!(
        cu.advisory.as_ref().map(|a| a.id.as_str()),
        Some("CGA-758j-cqx5-pjx9")
    );
    assert_ne!(cu.status, AdvisoryStatus::NotAffected);
    assert!(
        cu.sources.contains(&"secdb-wolfi".to_string())
            && cu.sources.contains(&"wolfi-advisories".to_string())
    );
    let s = sbom(
        Some(("wolfi", "20230201", None)),
        vec![apk("wolfi", "busybox", "1.35.0-r3", None)],
    );
    assert!(!match_sbom(&store, &s, &MatchOptions::default())
        .expect("match")
        .findings
        .iter()
        .any(|f| f.id == "CVE-2022-28391"));
    // Chainguard secdb: grafana fixed at 7.5.19-r0.
    let s = sbom(
        Some(("chainguard", "20230214", None)),
        vec![apk("chainguard", "grafana", "7.5.18-r0", None)],
    );
    let r = match_sbom(&store, &s, &MatchOptions::default()).expect("match");
    assert!(
        r.findings.iter().any(|f| f.id == "CVE-2022-31130"),
        "{:?}",
        r.findings
    );
    // Not matched against another distro's feed.
    let s = sbom(
        Some(("wolfi", "20230201", None)),
        vec![apk("wolfi", "grafana", "7.5.18-r0", None)],
    );
    assert!(!match_sbom(&store, &s, &MatchOptions::default())
        .expect("match")
        .findings
        .iter()
        .any(|f| f.id == "CVE-2022-31130"));
    // Alpine 3.15 community: alpine 2.23-r0 fixes CVE-2020-14929.
    let s = sbom(
        Some(("alpine", "3.15.4", None)),
        vec![apk("alpine", "alpine", "2.22-r0", None)],
    );
    let r = match_sbom(&store, &s, &MatchOptions::default()).expect("match");
    assert!(r.findings.iter().any(|f| f.id == "CVE-2020-14929"));
    assert!(r.findings.iter().any(|f| f.id == "CVE-2021-38370"));
    let s = sbom(
        Some(("alpine", "3.16.0", None)),
        vec![apk("alpine", "alpine", "2.22-r0", None)],
    );
    assert!(
        match_sbom(&store, &s, &MatchOptions::default())
            .expect("match")
            .findings
            .is_empty(),
        "3.16 has no secdb here"
    );
}

#[test]
fn debian_tracker_sample() {
    let Some(store) = open() else { return };
    let mut chromium = component(
        Ecosystem::Deb,
        "chromium",
        "97.0.4692.99-1~deb11u2",
        "pkg:deb/debian/chromium@97.0.4692.99-1~deb11u2?distro=debian-11",
    );
    chromium.origin = Some("chromium".to_string());
    let mut sope = component(
        Ecosystem::Deb,
        "libsope1",
        "5.8.0-1",
        "pkg:deb/debian/libsope1@5.8.0-1?distro=debian-12",
    );
    sope.origin = Some("sope".to_string());
    let r = match_sbom(
        &store,
        &sbom(Some(("debian", "11", None)), vec![chromium.clone()]),
        &MatchOptions::default(),
    )
    .expect("match");
    let f = r
        .findings
        .iter()
        .find(|f| f.id == "CVE-2022-0456")
        .expect("chromium bullseye");
    assert_eq!(f.fixed_version.as_deref(), Some("98.0.4758.80-1~deb11u1"));
    let r = match_sbom(
        &store,
        &sbom(Some(("debian", "12", Some("bookworm"))), vec![sope]),
        &MatchOptions::default(),
    )
    .expect("match");
    assert!(
        r.findings
            .iter()
            .any(|f| f.id == "CVE-2025-53603"
                && f.fixed_version.as_deref() == Some("5.8.0-1+deb12u1"))
    );
    let mut fixed = component(
        Ecosystem::Deb,
        "libsope1",
        "5.8.0-1+deb12u1",
        "pkg:deb/debian/libsope1@5.8.0-1+deb12u1",
    );
    fixed.origin = Some("sope".to_string());
    let r = match_sbom(
        &store,
        &sbom(Some(("debian", "12", None)), vec![fixed]),
        &MatchOptions::default(),
    )
    .expect("match");
    assert!(!r.findings.iter().any(|f| f.id == "CVE-2025-53603"));
}

#[test]
fn apko_spdx_sboms_read() {
    let Some(data) = shared_data() else { return };
    let Some(store) = open() else { return };
    let path = data.join("apko-images/golden/sboms/sbom-x86_64.spdx.json");
    let sbom = read_sbom(&std::fs::read(path).unwrap()).unwrap();
    let names: Vec<&str> = sbom.components.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["pretend-baselayout", "replayout"]);
    assert!(sbom
        .components
        .iter()
        .all(|c| c.ecosystem == Ecosystem::Apk && c.version == "1.0.0-r0"));
    assert_eq!(
        sbom.image.os.as_ref().map(|o| o.id.as_str()),
        Some("replaces")
    );
    let r = match_sbom(&store, &sbom, &MatchOptions::default()).expect("match");
    assert!(r.findings.is_empty());
}

#[test]
fn go_stdlib_rustsec_and_nodejs_npm() {
    let Some(store) = open() else { return };
    let stdlib = component(
        Ecosystem::Golang,
        "stdlib",
        "go1.20.1",
        "pkg:golang/stdlib@go1.20.1",
    );
    let abi = component(
        Ecosystem::Cargo,
        "abi_stable",
        "0.9.0",
        "pkg:cargo/abi_stable@0.9.0",
    );
    let abi_fixed = component(
        Ecosystem::Cargo,
        "abi_stable",
        "0.9.1",
        "pkg:cargo/abi_stable@0.9.1",
    );
    let bassmaster = component(
        Ecosystem::Npm,
        "bassmaster",
        "1.5.1",
        "pkg:npm/bassmaster@1.5.1",
    );
    let r = match_sbom(
        &store,
        &sbom(None, vec![stdlib, abi, abi_fixed, bassmaster]),
        &MatchOptions::default(),
    )
    .expect("match");
    assert!(
        r.findings.iter().filter(|f| f.package == "stdlib").count() > 10,
        "old Go toolchain has many GO- records"
    );
    let abi: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.package == "abi_stable")
        .collect();
    assert!(abi
        .iter()
        .any(|f| ids(f).contains(&"RUSTSEC-2020-0105") && f.version == "0.9.0"));
    assert!(
        abi.iter()
            .all(|f| f.version != "0.9.1" || !ids(f).contains(&"RUSTSEC-2020-0105")),
        "patched >= 0.9.1"
    );
    let b = r
        .findings
        .iter()
        .find(|f| f.package == "bassmaster")
        .expect("bassmaster <= 1.5.1");
    assert_eq!(b.id, "CVE-2014-7205");
}

/// Every range the shared data puts in the store evaluates under the version engine at every
/// version it names (and the neighbours of each requirement bound): no record is unreadable.
/// Before the matcher's own range code was replaced, this test compared the two over the same
/// 167,657 probes: OSV (PyPI, Go, Chainguard), secdb, Debian and Node.js agreed everywhere; the
/// 55 disagreements were all RustSec bare versions (`0.54.2` in `patched`), which Cargo reads
/// as `^0.54.2` and the old code read as exact, reporting patched versions as vulnerable.
#[test]
fn every_stored_range_evaluates_under_the_version_engine() {
    use onus_vuln::versions::{range_contains, Range, Scheme};
    let Some(path) = store_path() else { return };
    let conn =
        rusqlite::Connection::open_with_flags(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let mut stmt = conn
        .prepare("SELECT vuln_id, ecosystem, package, ranges, versions FROM affected")
        .unwrap();
    let rows: Vec<(String, String, String, String, String)> = stmt
        .query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let mut probed = 0usize;
    let mut unknown = Vec::new();
    for (id, eco, package, ranges, versions) in &rows {
        let ranges: Vec<Range> = serde_json::from_str(ranges).unwrap();
        let versions: Vec<String> = serde_json::from_str(versions).unwrap();
        let scheme = Scheme::for_ecosystem(eco);
        for range in &ranges {
            let mut probes = versions.clone();
            probes.extend(
                range
                    .events
                    .iter()
                    .map(|e| e.version().to_string())
                    .filter(|v| v != "0" && v != "*"),
            );
            for req in range.requirements.iter().chain(&range.excluding) {
                for token in req
                    .split(|c: char| c.is_whitespace() || ",|<>=^~".contains(c))
                    .filter(|t| t.starts_with(|c: char| c.is_ascii_digit()))
                {
                    probes.extend(neighbours(token));
                }
            }
            let requirement = !range.requirements.is_empty();
            probes.retain(|v| {
                if requirement {
                    onus_version::semver::SemverVersion::parse(v).is_ok()
                } else {
                    onus_version::validate(scheme, v).is_ok()
                }
            });
            probes.sort();
            probes.dedup();
            for probe in &probes {
                probed += 1;
                if range_contains(scheme, range, probe).is_none() {
                    unknown.push(format!("{eco} {package} {id} at `{probe}`"));
                }
            }
        }
    }
    eprintln!("{probed} range evaluations over {} records", rows.len());
    assert!(probed > 100_000, "the shared data was probed: {probed}");
    assert!(
        unknown.is_empty(),
        "unevaluable: {:#?}",
        &unknown[..unknown.len().min(20)]
    );

    // RustSec's Cargo requirements: a bare version is a caret requirement.
    let sigv4 = |v: &str| {
        let (_, _, _, ranges, _) = rows
            .iter()
            .find(|r| r.0 == "RUSTSEC-2023-0125")
            .expect("RUSTSEC-2023-0125 is in the shared data");
        let ranges: Vec<Range> = serde_json::from_str(ranges).unwrap();
        range_contains(Scheme::Semver, &ranges[0], v)
    };
    assert_eq!(sigv4("0.54.1"), Some(true));
    assert_eq!(sigv4("0.54.2"), Some(false));
    assert_eq!(
        sigv4("0.54.3"),
        Some(false),
        "patched by `0.54.2` (^0.54.2)"
    );
    assert_eq!(sigv4("0.55.0"), Some(true));
}

/// Versions around a requirement's bound (`1.2.x` -> 1.2.0, 1.3.0, 1.0.0; `1.2.3` -> 1.2.2,
/// 1.2.4, 1.3.0), so both sides of every comparator are probed.
fn neighbours(token: &str) -> Vec<String> {
    let nums: Vec<u64> = token
        .split('.')
        .map_while(|p| p.split(['-', '+']).next().and_then(|n| n.parse().ok()))
        .collect();
    let (a, b, c) = (
        nums.first().copied().unwrap_or(0),
        nums.get(1).copied().unwrap_or(0),
        nums.get(2).copied().unwrap_or(0),
    );
    let mut out = vec![
        token.to_string(),
        format!("{a}.{b}.{c}"),
        format!("{a}.{b}.{}", c + 1),
        format!("{a}.{}.0", b + 1),
        format!("{a}.0.0"),
        format!("{}.0.0", a + 1),
    ];
    if c > 0 {
        out.push(format!("{a}.{b}.{}", c - 1));
    }
    if b > 0 {
        out.push(format!("{a}.{}.99", b - 1));
    }
    out
}
