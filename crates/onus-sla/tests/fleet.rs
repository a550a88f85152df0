//! Qualifying-patch evaluation over a synthetic fleet written to a temp dir (the 25 % rule).

#![allow(clippy::unwrap_used)]

use std::fs;
use std::path::Path;

use onus_advisory::{parse_document, Advisory};
use onus_sla::{
    clock_for_advisory, load_fleet, load_policy, qualifying_patch, AdvisoryClockContext,
    ClockState, FleetImage, Policy, Severity, FLAG_MAJOR_EVENT,
};
use serde_json::json;

fn advisory(events: &str) -> Advisory {
    let yaml = format!(
        "schema-version: 2.0.2\npackage:\n  name: openssl\nadvisories:\n  - id: CGA-2222-3333-4444\n    aliases: [CVE-2024-0001]\n    events:\n{events}"
    );
    let doc = parse_document(yaml.as_bytes(), "openssl.advisories.yaml").unwrap();
    doc.advisories.into_iter().next().unwrap()
}

fn fixed_advisory() -> Advisory {
    advisory(
        "      - timestamp: 2024-01-01T00:00:00Z\n        type: detection\n        data: {type: manual}\n      - timestamp: 2024-01-03T00:00:00Z\n        type: fixed\n        data: {fixed-version: 3.0.1-r0}\n",
    )
}

/// `n` images; the first `with` contain `libssl3` whose origin is `openssl`.
fn write_fleet(dir: &Path, n: usize, with: usize) {
    for i in 0..n {
        let mut components = vec![
            json!({"name": "busybox", "version": "1.36-r0", "ecosystem": "apk",
            "purl": "pkg:apk/wolfi/busybox@1.36-r0", "layer": 0, "locations": [], "found_by": "apk-db"}),
        ];
        if i < with {
            components.push(
                json!({"name": "libssl3", "version": "3.0.0-r0", "ecosystem": "apk",
                "purl": "pkg:apk/wolfi/libssl3@3.0.0-r0", "layer": 0, "locations": [],
                "found_by": "apk-db", "origin": "openssl"}),
            );
        }
        // Alternate SBOMs and reports: both carry `source` and `components`.
        let schema = if i % 2 == 0 {
            "onus.sbom/v1"
        } else {
            "onus.report/v1"
        };
        let doc = json!({"schema": schema, "source": {"scheme": "oci-dir", "location": format!("img-{i}")},
            "image": {"layers": []}, "components": components});
        fs::write(dir.join(format!("img-{i}.json")), doc.to_string()).unwrap();
    }
}

#[test]
fn quarter_of_the_fleet_still_qualifies() {
    let dir = tempfile::tempdir().unwrap();
    write_fleet(dir.path(), 8, 2);
    fs::write(dir.path().join("broken.json"), "{not json").unwrap();
    fs::write(
        dir.path().join("other.json"),
        r#"{"schema":"x","components":[]}"#,
    )
    .unwrap();
    fs::write(dir.path().join("notes.txt"), "ignored").unwrap();
    let fleet = load_fleet(dir.path()).unwrap();
    assert_eq!(fleet.images.len(), 8);
    assert_eq!(fleet.warnings.len(), 2, "{:?}", fleet.warnings);
    assert!(fleet.warnings[0].contains("broken.json"));

    let q = qualifying_patch(
        &fixed_advisory(),
        "openssl",
        &fleet,
        None,
        &Policy::default(),
    );
    assert_eq!((q.guarded_images, q.affected_images), (8, 2));
    assert_eq!(q.share_percent, 25.0);
    assert!(q.qualifies, "{}", q.why);
    assert!(!q.major_cve_event);
    assert!(q.scale.met && q.guarded.met && q.independently_fixable.met && q.fix_available.met);
    assert_eq!(q.affected, vec!["img-0", "img-1"]);
    let v = serde_json::to_value(&q).unwrap();
    assert_eq!(v["scale"]["met"], true);
    assert!(v["scale"]["why"].as_str().unwrap().contains("25 %"));

    // SRM-A's strict "< 25 %" reading turns the same fleet into a Major CVE Event.
    let srm = load_policy(Some("share-at-threshold-qualifies: false")).unwrap();
    let q = qualifying_patch(&fixed_advisory(), "openssl", &fleet, None, &srm);
    assert!(!q.qualifies && q.major_cve_event);
}

#[test]
fn three_of_eight_is_a_major_event() {
    let dir = tempfile::tempdir().unwrap();
    write_fleet(dir.path(), 8, 3);
    let fleet = load_fleet(dir.path()).unwrap();
    let q = qualifying_patch(
        &fixed_advisory(),
        "openssl",
        &fleet,
        None,
        &Policy::default(),
    );
    assert_eq!(q.share_percent, 37.5);
    assert!(q.major_cve_event);
    assert!(!q.qualifies);
    assert!(!q.scale.met);
    assert!(q.why.contains("Major CVE Event"), "{}", q.why);

    // The clock of a major event does not start.
    let mut ctx = AdvisoryClockContext::new(Severity::High);
    ctx.qualifying = Some(&q);
    let now = "2024-02-01T00:00:00Z".parse().unwrap();
    let c = clock_for_advisory(&fixed_advisory(), &ctx, &Policy::default(), now);
    assert_eq!(c.state, ClockState::NotStarted);
    assert!(c.flags.iter().any(|f| f == FLAG_MAJOR_EVENT));

    // Guardedness is injected: with two of the matching images EOL, 1 of 6 remains.
    let eol = |img: &FleetImage| img.location != "img-0" && img.location != "img-1";
    let q = qualifying_patch(
        &fixed_advisory(),
        "openssl",
        &fleet,
        Some(&eol),
        &Policy::default(),
    );
    assert_eq!((q.guarded_images, q.affected_images), (6, 1));
    assert!(q.qualifies, "{}", q.why);
}

#[test]
fn pending_and_absent_packages_do_not_qualify() {
    let dir = tempfile::tempdir().unwrap();
    write_fleet(dir.path(), 4, 1);
    let fleet = load_fleet(dir.path()).unwrap();
    let pending = advisory(
        "      - timestamp: 2024-01-01T00:00:00Z\n        type: detection\n        data: {type: manual}\n      - timestamp: 2024-01-02T00:00:00Z\n        type: pending-upstream-fix\n        data: {note: waiting}\n",
    );
    let q = qualifying_patch(&pending, "openssl", &fleet, None, &Policy::default());
    assert!(!q.independently_fixable.met && !q.fix_available.met && !q.qualifies);
    let q = qualifying_patch(&fixed_advisory(), "curl", &fleet, None, &Policy::default());
    assert!(!q.guarded.met && !q.qualifies);
    // Matching by component name works as well as by origin.
    let q = qualifying_patch(
        &fixed_advisory(),
        "busybox",
        &fleet,
        None,
        &Policy::default(),
    );
    assert_eq!(q.affected_images, 4);
    assert!(q.major_cve_event);
}

#[test]
fn missing_directory_is_an_error() {
    let err = load_fleet("/nonexistent/onus-fleet").unwrap_err();
    assert!(err.to_string().contains("/nonexistent/onus-fleet"), "{err}");
}

#[test]
fn reads_real_sbom_type() {
    use onus_inventory::{Component, Ecosystem, ImageInfo, Sbom, SourceInfo, SBOM_SCHEMA};
    let component = |name: &str, origin: Option<&str>| Component {
        name: name.into(),
        version: "1.0-r0".into(),
        ecosystem: Ecosystem::Apk,
        purl: format!("pkg:apk/wolfi/{name}@1.0-r0"),
        layer: Some(0),
        locations: vec!["/lib/apk/db/installed".into()],
        owner: None,
        found_by: "apk-db".into(),
        origin: origin.map(str::to_string),
        origin_version: None,
        arch: None,
        files: vec![],
        metadata: Default::default(),
    };
    let sbom = Sbom {
        schema: SBOM_SCHEMA.into(),
        source: SourceInfo {
            scheme: "oci-dir".into(),
            location: "cgr.dev/demo".into(),
            platform: None,
        },
        image: ImageInfo::default(),
        components: vec![
            component("libssl3", Some("openssl")),
            component("zlib", None),
        ],
        unknowns: vec![],
    };
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("demo.json"),
        serde_json::to_vec(&sbom).unwrap(),
    )
    .unwrap();
    let fleet = load_fleet(dir.path()).unwrap();
    assert!(fleet.warnings.is_empty(), "{:?}", fleet.warnings);
    let img = &fleet.images[0];
    assert_eq!(img.location, "cgr.dev/demo");
    assert_eq!(
        img.packages.iter().map(String::as_str).collect::<Vec<_>>(),
        vec!["libssl3", "openssl", "zlib"]
    );
}
