//! Matching semantics on a small hand-written feed set: vendor advisory states, owner-package
//! coverage (model §4.4), alias collapsing, severity sources, KEV, OpenVEX, and bad input.

#![allow(clippy::unwrap_used, clippy::print_stderr)]

mod common;

use std::path::Path;

use common::*;
use onus_vuln::*;

const ADVISORIES: &str = "schema-version: 2.0.2
package:
  name: app
advisories:
  - id: CGA-2222-3333-4444
    aliases: [CVE-2099-0001, GHSA-2222-3333-4444]
    events:
      - timestamp: 2024-01-01T00:00:00Z
        type: detection
        data: {type: manual}
      - timestamp: 2024-01-02T00:00:00Z
        type: fixed
        data: {fixed-version: 1.2.0-r1}
  - id: CGA-2222-3333-5555
    aliases: [CVE-2099-0002]
    events:
      - timestamp: 2024-01-03T00:00:00Z
        type: false-positive-determination
        data: {type: vulnerable-code-not-in-execution-path, note: The parser is never called.}
  - id: CGA-2222-3333-6666
    aliases: [CVE-2099-0003]
    events:
      - timestamp: 2024-01-05T00:00:00Z
        type: pending-upstream-fix
        data: {note: Needs a breaking upstream release.}
      - timestamp: 2024-01-05T00:00:00Z
        type: detection
        data: {type: manual}
      - timestamp: 2024-01-04T00:00:00Z
        type: fixed
        data: {fixed-version: 1.0.0-r0}
";

fn osv(id: &str, alias: &str, fixed: &str) -> String {
    format!(
        r#"{{"id":"{id}","modified":"2024-02-01T00:00:00Z","aliases":["{alias}"],
        "affected":[{{"package":{{"ecosystem":"PyPI","name":"LibX"}},"ranges":[{{"type":"ECOSYSTEM","events":[{{"introduced":"0"}},{{"fixed":"{fixed}"}}]}}]}}]}}"#
    )
}

const CSV: &str = "cve_id,date_published,cna,cna_cvss40_vector,cna_cvss40_score,cna_cvss40_severity,cna_cvss31_vector,cna_cvss31_score,cna_cvss31_severity,cna_cvss30_vector,cna_cvss30_score,cna_cvss30_severity,cna_cvss20_vector,cna_cvss20_score,cna_cvss20_severity,adp_cvss31_vector,adp_cvss31_score,adp_cvss31_severity,ssvc_exploitation,ssvc_automatable,ssvc_technical_impact,kev_date_added,cwe_ids
CVE-2099-0004,2099-01-01T00:00:00,x,,,,CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H,9.8,CRITICAL,,,,,,,CVSS:3.1/AV:L/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N,3.3,LOW,none,yes,total,,\"CWE-1,CWE-2\"
CVE-2099-0005,2099-01-01T00:00:00,x,,,,,,,,,,,,,CVSS:3.1/AV:L/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N,3.3,LOW,none,yes,total,2099-02-02,
broken,row
";

const KEV: &str = r#"{"title":"t","catalogVersion":"2099.01.01","dateReleased":"2099-01-01T00:00:00Z","count":1,
  "vulnerabilities":[{"cveID":"CVE-2099-0004","dateAdded":"2099-01-01"}]}"#;

fn write(dir: &Path, rel: &str, content: &[u8]) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, content).unwrap();
}

fn feeds(dir: &Path) {
    write(dir, "adv/app.advisories.yaml", ADVISORIES.as_bytes());
    write(
        dir,
        "osv/GHSA-2222-3333-4444.json",
        osv("GHSA-2222-3333-4444", "CVE-2099-0001", "2.0").as_bytes(),
    );
    write(
        dir,
        "osv/PYSEC-2099-2.json",
        osv("PYSEC-2099-2", "CVE-2099-0002", "2.0").as_bytes(),
    );
    write(
        dir,
        "osv/PYSEC-2099-3.json",
        osv("PYSEC-2099-3", "CVE-2099-0003", "2.0").as_bytes(),
    );
    write(
        dir,
        "osv/PYSEC-2099-4.json",
        osv("PYSEC-2099-4", "CVE-2099-0004", "2.0").as_bytes(),
    );
    write(
        dir,
        "osv/PYSEC-2099-5.json",
        osv("PYSEC-2099-5", "CVE-2099-0005", "2.0").as_bytes(),
    );
    write(dir, "sev/severity.csv", CSV.as_bytes());
    write(
        dir,
        "kev/known_exploited_vulnerabilities.json",
        KEV.as_bytes(),
    );
}

fn store(dir: &Path) -> (Store, BuildSummary) {
    feeds(&dir.join("in"));
    let target = dir.join("db/vuln.db");
    let summary = build(
        &target,
        &[BuildInput::new(dir.join("in"))],
        &BuildOptions::default(),
        &mut |_| {},
    )
    .unwrap();
    (Store::open_readonly(&target).unwrap(), summary)
}

#[test]
fn owner_advisory_covers_language_findings() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = store(dir.path());
    let app = apk("wolfi", "app", "1.2.0-r1", None);
    let lib = owned(pypi("libx", "1.0"), &app);
    let r = match_sbom(
        &store,
        &sbom(Some(("wolfi", "20230201", None)), vec![app.clone(), lib]),
        &MatchOptions::default(),
    )
    .expect("match");
    let on = |list: &[Finding], pkg: &str, id: &str| {
        list.iter()
            .find(|f| f.package == pkg && f.id == id)
            .cloned()
    };

    // Fixed in the owner at a version <= installed: suppressed on the language package.
    let f1 = on(&r.suppressed, "libx", "CVE-2099-0001").expect("suppressed by owner fix");
    assert!(f1
        .suppressed
        .as_deref()
        .unwrap()
        .contains("owner package `app`"));
    assert!(f1.aliases.contains(&"GHSA-2222-3333-4444".to_string()));
    // Owner false positive: suppressed, justification kept.
    let f2 = on(&r.suppressed, "libx", "CVE-2099-0002").expect("suppressed by owner FP");
    assert_eq!(f2.status, AdvisoryStatus::NotAffected);
    assert!(f2
        .justification
        .as_deref()
        .unwrap()
        .contains("vulnerable-code-not-in-execution-path"));
    assert!(f2
        .justification
        .as_deref()
        .unwrap()
        .contains("never called"));
    // Owner pending-upstream-fix: reported with that status (current = latest timestamp,
    // file order breaking the tie: detection was written after pending-upstream-fix).
    let f3 = on(&r.findings, "libx", "CVE-2099-0003").expect("open");
    assert_eq!(f3.status, AdvisoryStatus::UnderInvestigation);
    assert_eq!(f3.advisory.as_ref().unwrap().current_event, "detection");
    // No owner advisory: an ordinary finding, with CVE-table severity and KEV.
    let f4 = on(&r.findings, "libx", "CVE-2099-0004").expect("open");
    assert_eq!(f4.status, AdvisoryStatus::Affected);
    assert_eq!(
        f4.severity,
        Severity::Critical,
        "CNA 3.1 preferred over ADP"
    );
    assert_eq!(f4.severity_source.as_ref().unwrap().source, "cve-severity");
    assert!(f4.known_exploited);
    let f5 = on(&r.findings, "libx", "CVE-2099-0005").expect("open");
    assert_eq!(f5.severity, Severity::Low, "ADP 3.1 when the CNA has none");
    assert!(f5.known_exploited, "KEV date from the severity table");
    // The distro package itself: fixed at its version, so only listed with show_fixed.
    assert!(on(&r.findings, "app", "CVE-2099-0001").is_none());
    assert_eq!(
        on(&r.findings, "app", "CVE-2099-0003").map(|f| f.status),
        Some(AdvisoryStatus::UnderInvestigation)
    );
    assert_eq!(
        on(&r.suppressed, "app", "CVE-2099-0002").map(|f| f.status),
        Some(AdvisoryStatus::NotAffected)
    );

    // An older owner: the fix is not installed, the language finding stays open.
    let old = apk("wolfi", "app", "1.2.0-r0", None);
    let lib = owned(pypi("libx", "1.0"), &old);
    let r = match_sbom(
        &store,
        &sbom(Some(("wolfi", "20230201", None)), vec![old, lib]),
        &MatchOptions::default(),
    )
    .expect("match");
    assert!(on(&r.findings, "libx", "CVE-2099-0001").is_some());
    let app_f = on(&r.findings, "app", "CVE-2099-0001").expect("app itself before the fix");
    assert_eq!(app_f.fixed_version.as_deref(), Some("1.2.0-r1"));
    assert_eq!(app_f.advisory.as_ref().unwrap().id, "CGA-2222-3333-4444");
    assert_eq!(
        app_f.advisory.as_ref().unwrap().first_detection.as_deref(),
        Some("2024-01-01T00:00:00Z")
    );
}

#[test]
fn openvex_statements_apply() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = store(dir.path());
    let vex = parse_vex(
        br#"{"@context":"https://openvex.dev/ns/v0.2.0","@id":"https://example.invalid/vex/1","author":"me",
        "timestamp":"2099-01-01T00:00:00Z","version":1,"statements":[
          {"vulnerability":{"name":"PYSEC-2099-4"},"products":[{"@id":"pkg:pypi/libx"}],
           "status":"not_affected","justification":"vulnerable_code_not_present"},
          {"vulnerability":{"name":"CVE-2099-0005"},"products":[{"@id":"pkg:pypi/libx@1.0"}],
           "status":"affected","action_statement":"upgrade to 2.0"},
          {"vulnerability":{"name":"CVE-2099-0005"},"products":[{"@id":"pkg:pypi/libx@1.0"}],
           "status":"fixed","timestamp":"2098-01-01T00:00:00Z"}]}"#,
        "vex.json",
    )
    .unwrap();
    let s = sbom(None, vec![pypi("libx", "1.0")]);
    let r = match_sbom(
        &store,
        &s,
        &MatchOptions {
            show_fixed: false,
            vex: vec![vex],
        },
    )
    .expect("match");
    let f4 = r
        .suppressed
        .iter()
        .find(|f| f.id == "CVE-2099-0004")
        .expect("VEX not_affected");
    assert_eq!(
        f4.justification.as_deref(),
        Some("vulnerable_code_not_present")
    );
    assert!(f4.sources.contains(&"openvex".to_string()));
    // The later statement wins over the older `fixed` one.
    let f5 = r
        .findings
        .iter()
        .find(|f| f.id == "CVE-2099-0005")
        .expect("VEX affected");
    assert_eq!(f5.justification.as_deref(), Some("upgrade to 2.0"));
}

#[test]
fn output_is_deterministic() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let (sa, _) = store(a.path());
    let (sb, _) = store(b.path());
    let app = apk("wolfi", "app", "1.0.0-r0", None);
    let s = sbom(
        Some(("wolfi", "1", None)),
        vec![owned(pypi("libx", "1.0"), &app), app],
    );
    let ra = serde_json::to_string(&match_sbom(&sa, &s, &MatchOptions::default()).expect("match"))
        .unwrap();
    let rb = serde_json::to_string(&match_sbom(&sb, &s, &MatchOptions::default()).expect("match"))
        .unwrap();
    assert_eq!(ra, rb);
}

#[test]
fn bad_input_becomes_counted_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    feeds(&input);
    write(&input, "osv/GO-2099-0001.json", b"{ broken");
    write(
        &input,
        "osv/PYSEC-2099-9.json",
        br#"{"id":"PYSEC-2099-9","affected":[{"package":{"ecosystem":"PyPI","name":"y"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"not a version!"}]}]}]}"#,
    );
    write(
        &input,
        "osv/PYSEC-2099-10.json",
        br#"{"id":"PYSEC-2099-10","withdrawn":"2099-01-01T00:00:00Z","affected":[]}"#,
    );
    write(
        &input,
        "adv/v3.advisories.yaml",
        b"schema-version: 3.0.0\npackage: {name: v3}\nadvisories: []\n",
    );
    write(
        &input,
        "adv/v1.advisories.yaml",
        b"package: {name: v1}\nsecfixes: {}\n",
    );
    write(
        &input,
        "adv/garbage.advisories.yaml",
        &[0xff, 0xfe, 0x00, 0x01],
    );
    write(&input, "secdb/security.json", br#"{"reponame":"os","urlprefix":"https://packages.wolfi.dev","packages":[{"pkg":{"name":"z","secfixes":{"not-a-version":["CVE-1"],"1.0-r0":["CVE-2099-0009"]}}}]}"#);
    // A truncated archive: the members before the cut are kept, the source marked incomplete.
    let mut tar = tar::Builder::new(Vec::new());
    for i in 0..40 {
        // Large, varied members so the archive spans several zstd blocks.
        let details: String = (0..2000)
            .map(|n| format!("{:x}", (n * 7919 + i * 104_729) % 65_521))
            .collect();
        let body = format!(
            r#"{{"id":"PYSEC-2098-{i}","details":"{details}","aliases":["CVE-2098-{i:04}"],"affected":[{{"package":{{"ecosystem":"PyPI","name":"t{i}"}},"versions":["1.0"]}}]}}"#
        );
        let mut h = tar::Header::new_gnu();
        h.set_size(body.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        tar.append_data(
            &mut h,
            format!("vulns/x/PYSEC-2098-{i}.json"),
            body.as_bytes(),
        )
        .unwrap();
    }
    let zst = zstd::encode_all(tar.into_inner().unwrap().as_slice(), 19).unwrap();
    let cut = dir.path().join("cut.tar.zst");
    std::fs::write(&cut, &zst[..zst.len() * 2 / 3]).unwrap();

    let target = dir.path().join("vuln.db");
    let summary = build(
        &target,
        &[BuildInput::new(&input), BuildInput::new(&cut)],
        &BuildOptions::default(),
        &mut |_| {},
    )
    .unwrap();
    let src = |name: &str| {
        summary
            .sources
            .iter()
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("source {name}: {summary:#?}"))
    };
    let all: Vec<&String> = summary
        .sources
        .iter()
        .flat_map(|s| &s.warnings)
        .chain(&summary.warnings)
        .collect();
    let has = |needle: &str| all.iter().any(|w| w.contains(needle));
    assert!(has("GO-2099-0001.json"), "{all:#?}");
    assert!(has("PYSEC-2099-9") && has("not a version!"), "{all:#?}");
    assert!(has("v3.advisories.yaml"), "{all:#?}");
    assert!(has("v1.advisories.yaml"), "{all:#?}");
    assert!(has("garbage.advisories.yaml"), "{all:#?}");
    assert!(has("not-a-version"), "{all:#?}");
    assert!(has("row 4"), "CSV row with the wrong field count: {all:#?}");
    assert!(
        !has("PYSEC-2099-10"),
        "withdrawn records are skipped silently"
    );
    assert_eq!(src("wolfi-advisories").records, 3);
    assert_eq!(src("secdb-wolfi").records, 1);
    assert!(src("osv-pypi").warning_count >= 2);
    assert!(
        !src("osv-pypi").complete,
        "the truncated archive marks its source incomplete"
    );
    let kept = src("osv-pypi").records;
    assert!(
        kept > 5 && kept < 5 + 40,
        "prefix of the truncated archive kept: {kept}"
    );
    // The store still works.
    let store = Store::open_readonly(&target).unwrap();
    let r = match_sbom(
        &store,
        &sbom(None, vec![pypi("libx", "1.0")]),
        &MatchOptions::default(),
    )
    .expect("match");
    assert_eq!(r.findings.len(), 5);
}

#[test]
fn failed_build_keeps_the_previous_store() {
    let dir = tempfile::tempdir().unwrap();
    let (_, first) = store(dir.path());
    let target = first.path.clone();
    let before = std::fs::read(&target).unwrap();
    let missing = build(
        &target,
        &[BuildInput::new(dir.path().join("nope"))],
        &BuildOptions::default(),
        &mut |_| {},
    );
    assert!(matches!(missing, Err(VulnError::Input { .. })));
    assert!(matches!(
        build(&target, &[], &BuildOptions::default(), &mut |_| {}),
        Err(VulnError::NoInputs)
    ));
    assert_eq!(std::fs::read(&target).unwrap(), before);
    // A corrupt store file is refused, not half-read.
    let bogus = dir.path().join("bogus.db");
    std::fs::write(&bogus, b"not sqlite").unwrap();
    assert!(Store::open_readonly(&bogus).is_err());
    assert!(Store::open_readonly(&dir.path().join("absent.db")).is_err());
    let leftovers: Vec<_> = std::fs::read_dir(target.parent().unwrap())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn status_reports_age_with_injected_clock() {
    let dir = tempfile::tempdir().unwrap();
    feeds(&dir.path().join("in"));
    let target = dir.path().join("vuln.db");
    let built = chrono::DateTime::parse_from_rfc3339("2099-03-01T00:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    build(
        &target,
        &[BuildInput::new(dir.path().join("in"))],
        &BuildOptions { now: Some(built) },
        &mut |_| {},
    )
    .unwrap();
    let store = Store::open_readonly(&target).unwrap();
    let fresh = status(&store, built + chrono::Duration::days(4), None).unwrap();
    assert!(!fresh.stale);
    assert_eq!(fresh.age_seconds, Some(4 * 86_400));
    let old = status(&store, built + chrono::Duration::days(6), None).unwrap();
    assert!(old.stale);
    let custom = status(
        &store,
        built + chrono::Duration::days(6),
        Some(chrono::Duration::days(7)),
    )
    .unwrap();
    assert!(!custom.stale);
    let kev = fresh
        .sources
        .iter()
        .find(|s| s.record.name == "cisa-kev")
        .map(|s| &s.record)
        .unwrap();
    assert_eq!(kev.records, 1);
    assert_eq!(kev.data_time.as_deref(), Some("2099-01-01T00:00:00Z"));
    assert!(kev.provenance.ends_with("in") && kev.checksum.as_ref().is_some_and(|c| c.len() == 64));
}

#[test]
fn osv_zip_archives_are_read_in_place() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let zip_path = dir.path().join("PyPI.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("PYSEC-2099-4.json", options).unwrap();
    zip.write_all(osv("PYSEC-2099-4", "CVE-2099-0004", "2.0").as_bytes())
        .unwrap();
    zip.finish().unwrap();
    let target = dir.path().join("vuln.db");
    let summary = build(
        &target,
        &[BuildInput::new(&zip_path)],
        &BuildOptions::default(),
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(
        summary
            .sources
            .iter()
            .map(|s| (s.name.as_str(), s.records))
            .collect::<Vec<_>>(),
        [("osv-pypi", 1)]
    );
    let store = Store::open_readonly(&target).unwrap();
    let r = match_sbom(
        &store,
        &sbom(None, vec![pypi("LibX", "1.9")]),
        &MatchOptions::default(),
    )
    .expect("match");
    assert_eq!(
        r.findings.iter().map(|f| f.id.as_str()).collect::<Vec<_>>(),
        ["CVE-2099-0004"]
    );
}

/// The keys a match reads, and the store digests under them: a store that gains one advisory
/// differs from the old one under exactly that package's key and the new id's key, and a
/// match of that package reports reading the package's key.
#[test]
fn lookup_digests_change_only_under_the_changed_package() {
    let dir = tempfile::tempdir().unwrap();
    let (before, _) = store(dir.path());
    let old = before.lookup_digests().unwrap();
    write(
        &dir.path().join("in"),
        "osv/PYSEC-2099-9.json",
        osv("PYSEC-2099-9", "CVE-2099-0009", "9.0").as_bytes(),
    );
    let target = dir.path().join("db2/vuln.db");
    build(
        &target,
        &[BuildInput::new(dir.path().join("in"))],
        &BuildOptions::default(),
        &mut |_| {},
    )
    .unwrap();
    let after = Store::open_readonly(&target).unwrap();
    let new = after.lookup_digests().unwrap();
    let changed: Vec<&String> = new
        .keys()
        .chain(old.keys())
        .filter(|k| old.get(*k) != new.get(*k))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert!(!changed.is_empty());
    let package_key = lookup_key(LookupTable::Osv, "PyPI", "libx");
    assert!(changed.contains(&&package_key), "{changed:?}");
    for key in &changed {
        assert!(
            **key == package_key || key.starts_with("id\t"),
            "only the package and the new ids change: {key}"
        );
    }
    // Built twice from the same feeds, a store digests the same.
    let (again, _) = store(&dir.path().join("again"));
    assert_eq!(again.lookup_digests().unwrap(), old);
    let r = match_sbom(
        &after,
        &sbom(None, vec![pypi("libx", "1.0")]),
        &MatchOptions::default(),
    )
    .unwrap();
    assert!(r.lookups.contains(&package_key), "{:?}", r.lookups);
}
