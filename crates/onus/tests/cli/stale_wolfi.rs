//! Whose move now, on a stale Wolfi image: real Wolfi package names and versions from late 2023,
//! scanned with the store built from the real Wolfi advisories at a fixed `--now`. Every finding
//! is checked against the raw advisory events themselves (model.md §2.5, §4.3, §5.6, §6), not
//! a sample.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{DateTime, Duration, Utc};
use serde_json::Value;

use crate::common::{onus_json, path_str, store, NOW};
use crate::support;

/// (package, version, origin, files) as apk records them.
type ApkPackage = (
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
);

/// The vendor's base layer: a Wolfi image built in November 2023 and never updated since.
const BASE: &[ApkPackage] = &[
    (
        "wolfi-baselayout",
        "20230201-r6",
        "wolfi-baselayout",
        &["etc/os-release"],
    ),
    (
        "ca-certificates-bundle",
        "20230506-r0",
        "ca-certificates",
        &["etc/ssl/certs/ca-certificates.crt"],
    ),
    ("glibc", "2.38-r5", "glibc", &["usr/lib/libc.so.6"]),
    (
        "ld-linux",
        "2.38-r5",
        "glibc",
        &["usr/lib/ld-linux-x86-64.so.2"],
    ),
    (
        "libcrypto3",
        "3.1.4-r0",
        "openssl",
        &["usr/lib/libcrypto.so.3"],
    ),
    ("libssl3", "3.1.4-r0", "openssl", &["usr/lib/libssl.so.3"]),
    ("openssl", "3.1.4-r0", "openssl", &["usr/bin/openssl"]),
    (
        "busybox",
        "1.36.1-r2",
        "busybox",
        &["bin/busybox", "bin/sh"],
    ),
    ("zlib", "1.3-r0", "zlib", &["usr/lib/libz.so.1"]),
    (
        "libcurl-openssl4",
        "8.4.0-r0",
        "curl",
        &["usr/lib/libcurl.so.4"],
    ),
    ("curl", "8.4.0-r0", "curl", &["usr/bin/curl"]),
    (
        "python-3.11",
        "3.11.6-r0",
        "python-3.11",
        &["usr/bin/python3.11"],
    ),
    ("nodejs-18", "18.18.2-r0", "nodejs-18", &["usr/bin/node"]),
    (
        "openjdk-9",
        "9.0.4-r4",
        "openjdk-9",
        &["usr/lib/jvm/java-9-openjdk/bin/java"],
    ),
    (
        "spark-3.5",
        "3.5.0-r0",
        "spark-3.5",
        &["usr/lib/spark/bin/spark-submit"],
    ),
];

/// The customer's layer on top.
const CUSTOMER: &[ApkPackage] = &[("git", "2.40.0-r0", "git", &["usr/bin/git"])];

const OS_RELEASE: &str = "ID=wolfi\nNAME=\"Wolfi\"\nPRETTY_NAME=\"Wolfi\"\nVERSION_ID=\"20230201\"\nHOME_URL=\"https://wolfi.dev\"\n";

fn apk_database(packages: &[&ApkPackage]) -> String {
    let mut db = String::new();
    for (name, version, origin, files) in packages {
        db.push_str(&format!(
            "P:{name}\nV:{version}\nA:x86_64\nL:MIT\no:{origin}\n"
        ));
        let mut dirs: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for file in *files {
            let (dir, base) = file.rsplit_once('/').unwrap();
            dirs.entry(dir).or_default().push(base);
        }
        for (dir, bases) in dirs {
            db.push_str(&format!("F:{dir}\n"));
            for base in bases {
                db.push_str(&format!("R:{base}\n"));
            }
        }
        db.push('\n');
    }
    db
}

/// Stage one layer's root: the files of `added` and the whole apk database after this layer.
fn stage(root: &Path, added: &[ApkPackage], installed: &[&ApkPackage]) {
    for (name, version, _, files) in added {
        for file in *files {
            let path = root.join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            if *file == "etc/os-release" {
                std::fs::write(&path, OS_RELEASE).unwrap();
            } else {
                std::fs::write(&path, format!("#!/bin/sh\n# {name} {version}\n")).unwrap();
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
            }
        }
    }
    let db = root.join("lib/apk/db");
    std::fs::create_dir_all(&db).unwrap();
    std::fs::write(db.join("installed"), apk_database(installed)).unwrap();
}

fn run_builder(args: &[&str]) {
    let helper = support::workspace_root().join("scripts/oci_build.py");
    let status = Command::new("python3")
        .arg(&helper)
        .args(args)
        .env("SOURCE_DATE_EPOCH", "1700006400")
        .status()
        .expect("python3 runs the image builder");
    assert!(status.success(), "oci_build.py {args:?} failed");
}

/// Build the two-layer image with the same helper as the other test images; returns the OCI
/// layout directory.
fn build_image(dir: &Path) -> PathBuf {
    let base: Vec<&ApkPackage> = BASE.iter().collect();
    let all: Vec<&ApkPackage> = BASE.iter().chain(CUSTOMER).collect();
    let mut layers = Vec::new();
    for (i, (added, installed)) in [(BASE, &base), (CUSTOMER, &all)].into_iter().enumerate() {
        let root = dir.join(format!("root{i}"));
        stage(&root, added, installed);
        let layer = dir.join(format!("layer{i}"));
        run_builder(&[
            "layer",
            "--root",
            &path_str(&root),
            "--out",
            &path_str(&layer),
            "--force-root",
        ]);
        layers.push(path_str(&layer));
    }
    let out = dir.join("image");
    let spec = serde_json::json!({
        "out": path_str(&out),
        "layers": layers,
        "history": [
            {"created_by": "apko"},
            {"created_by": "RUN apk add git"}
        ],
        "config": {
            "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
            "Cmd": ["/bin/sh", "-l"]
        },
        "annotations": {},
        "name": "wolfi-stale",
        "repo": "example.test/wolfi-stale",
        "tag": "20231115",
        "os_release_root": path_str(&dir.join("root0")),
    });
    let spec_path = dir.join("spec.json");
    std::fs::write(&spec_path, spec.to_string()).unwrap();
    run_builder(&["image", "--spec", &path_str(&spec_path)]);
    out.join("oci")
}

/// One raw advisory event: its type, timestamp and `fixed-version` (for `fixed`).
#[derive(Debug, Clone)]
struct RawEvent {
    kind: String,
    time: DateTime<Utc>,
    fixed_version: Option<String>,
}

/// Raw advisories keyed by (package, advisory id), events in file order.
fn raw_advisories(shared: &Path, packages: &[&str]) -> BTreeMap<(String, String), Vec<RawEvent>> {
    let archive = std::fs::read_dir(shared.join("wolfi-advisories"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with(".tar.zst"))
        .expect("the Wolfi advisories archive");
    let decoder = zstd::Decoder::new(std::fs::File::open(archive).unwrap()).unwrap();
    let mut tar = tar::Archive::new(decoder);
    let mut out = BTreeMap::new();
    for entry in tar.entries().unwrap() {
        let mut entry = entry.unwrap();
        let path = entry.path().unwrap().to_string_lossy().into_owned();
        let Some(package) = path
            .rsplit('/')
            .next()
            .and_then(|f| f.strip_suffix(".advisories.yaml"))
            .map(str::to_string)
        else {
            continue;
        };
        if !packages.contains(&package.as_str()) {
            continue;
        }
        let mut text = String::new();
        entry.read_to_string(&mut text).unwrap();
        let doc: serde_yaml_ng::Value = serde_yaml_ng::from_str(&text).unwrap();
        for advisory in doc["advisories"].as_sequence().into_iter().flatten() {
            let id = advisory["id"].as_str().unwrap().to_string();
            let events = advisory["events"]
                .as_sequence()
                .into_iter()
                .flatten()
                .map(|e| RawEvent {
                    kind: e["type"].as_str().unwrap().to_string(),
                    time: time(e["timestamp"].as_str().unwrap()),
                    fixed_version: e["data"]["fixed-version"].as_str().map(str::to_string),
                })
                .collect();
            out.insert((package.clone(), id), events);
        }
    }
    out
}

fn time(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .unwrap_or_else(|e| panic!("`{s}` is not RFC 3339: {e}"))
        .with_timezone(&Utc)
}

/// Model §4.3: the current event is the latest by timestamp; on a tie, the later in the file.
fn current(events: &[RawEvent]) -> &RawEvent {
    let mut best = &events[0];
    for e in &events[1..] {
        if e.time >= best.time {
            best = e;
        }
    }
    best
}

/// The first `detection` event by timestamp.
fn first_detection(events: &[RawEvent]) -> Option<DateTime<Utc>> {
    events
        .iter()
        .filter(|e| e.kind == "detection")
        .map(|e| e.time)
        .min()
}

fn opt_time(v: &Value) -> Option<DateTime<Utc>> {
    v.as_str().map(time)
}

fn apk_newer(a: &str, b: &str) -> bool {
    onus_version::compare(onus_version::Scheme::Apk, a, b).unwrap() == std::cmp::Ordering::Greater
}

#[test]
fn every_finding_on_a_stale_wolfi_image_has_the_move_and_clock_its_raw_events_give() {
    let (Some(shared), Some(db)) = (support::shared_data(), store()) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let image = format!("oci-dir:{}", path_str(&build_image(dir.path())));
    let report = onus_json(&[
        "scan",
        &image,
        "--base-layers",
        "1",
        "--db",
        &path_str(&db),
        "--now",
        NOW,
        "--format",
        "json",
    ]);
    let origins: Vec<&str> = BASE.iter().chain(CUSTOMER).map(|p| p.2).collect();
    let raw = raw_advisories(&shared, &origins);
    let layer_of: BTreeMap<String, u64> = report["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["purl"].as_str().unwrap().to_string(),
                c["layer"].as_u64().unwrap(),
            )
        })
        .collect();

    let findings = report["findings"].as_array().unwrap();
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for f in findings {
        let what = format!(
            "{} on {} {} ({})",
            f["id"], f["package"], f["version"], f["advisory"]["id"]
        );
        let stream_state = f["stream"]["state"].as_str();
        let unguarded = matches!(stream_state, Some("eol" | "in-grace"));
        let sla = f["sla"]["state"].as_str().unwrap();
        let rule = f["rule"].as_str().unwrap();
        let party = f["party"].as_str();

        // Model §2.5 note: an EOL stream never carries a running or breached vendor clock, and
        // its moves are never the vendor's.
        if unguarded {
            *seen.entry("unguarded").or_default() += 1;
            assert!(
                !matches!(sla, "running" | "breached"),
                "{what}: stream {stream_state:?} must not have a {sla} clock"
            );
            assert_ne!(
                party,
                Some("vendor"),
                "{what}: no vendor move on an EOL stream"
            );
        }

        let customer_layer = layer_of[f["purl"].as_str().unwrap()] >= 1;
        let open =
            f["suppressed"].is_null() && f["status"] != "fixed" && f["status"] != "not-affected";
        if !open {
            assert_eq!(
                rule, "R-MOVE-7",
                "{what}: closed findings are nobody's move"
            );
            continue;
        }
        if customer_layer {
            assert_eq!((party, rule), (Some("customer"), "R-MOVE-1"), "{what}");
            assert_eq!(sla, "not-applicable", "{what}");
            continue;
        }

        let Some(advisory) = f["advisory"].as_object() else {
            continue;
        };
        let package = advisory["package"].as_str().unwrap();
        let id = advisory["id"].as_str().unwrap();
        let events = raw
            .get(&(package.to_string(), id.to_string()))
            .unwrap_or_else(|| panic!("{what}: advisory {package}/{id} is in the raw data"));
        let now_event = current(events);
        // Event times in the JSON are the raw advisory's, for every finding.
        assert_eq!(
            opt_time(&advisory["current_event_time"]),
            Some(now_event.time),
            "{what}: current_event_time"
        );
        assert_eq!(advisory["current_event"], now_event.kind.as_str(), "{what}");
        assert_eq!(
            opt_time(advisory.get("first_detection").unwrap_or(&Value::Null)),
            first_detection(events),
            "{what}: first_detection"
        );

        match now_event.kind.as_str() {
            "fixed" => {
                let fixed = now_event.fixed_version.as_deref().unwrap();
                assert!(
                    apk_newer(fixed, f["version"].as_str().unwrap()),
                    "{what}: an open finding with a current `fixed` is fixed above the installed version"
                );
                *seen.entry("R-MOVE-2").or_default() += 1;
                assert_eq!((party, rule), (Some("customer"), "R-MOVE-2"), "{what}");
                assert_eq!(f["move"], "update", "{what}");
                assert_eq!(f["fixed_in"], fixed, "{what}");
                assert_eq!(opt_time(&f["fixed_since"]), Some(now_event.time), "{what}");
                if unguarded {
                    assert_eq!(sla, "not-applicable", "{what}: EOL stream, no clock");
                    continue;
                }
                // The vendor's clock is closed: from the first detection (the fix itself when
                // none was recorded before it) to the `fixed` event, 7 days for Critical, else 14.
                let stop = now_event.time;
                let start = first_detection(events)
                    .filter(|d| *d <= stop)
                    .unwrap_or(stop);
                let days = if f["severity"] == "critical" { 7 } else { 14 };
                let deadline = start + Duration::days(days);
                let want = if stop <= deadline { "met" } else { "breached" };
                *seen.entry(want).or_default() += 1;
                assert_eq!(sla, want, "{what}: start {start}, stop {stop}, {days} days");
                assert_eq!(
                    opt_time(&f["sla"]["start"]),
                    Some(start),
                    "{what}: clock start"
                );
                assert_eq!(
                    opt_time(&f["sla"]["stop"]),
                    Some(stop),
                    "{what}: clock stop"
                );
                assert_eq!(opt_time(&f["sla"]["deadline"]), Some(deadline), "{what}");
            }
            "pending-upstream-fix" => {
                *seen.entry("pending").or_default() += 1;
                if stream_state == Some("eol") {
                    // R-MOVE-3 comes before R-MOVE-4: past its grace, nobody will ship a fix.
                    assert_eq!((party, rule), (Some("customer"), "R-MOVE-3"), "{what}");
                } else {
                    assert_eq!((party, rule), (Some("upstream"), "R-MOVE-4"), "{what}");
                    let want = if unguarded {
                        "not-applicable"
                    } else {
                        "not-started"
                    };
                    assert_eq!(sla, want, "{what}");
                }
            }
            _ => {}
        }
    }

    // The image really exercises each case (a regression that drops findings fails here too).
    for (case, at_least) in [
        ("R-MOVE-2", 100),
        ("met", 30),
        ("breached", 3),
        ("pending", 40),
        ("unguarded", 200),
    ] {
        let n = seen.get(case).copied().unwrap_or(0);
        assert!(
            n >= at_least,
            "expected at least {at_least} `{case}` findings, saw {n}: {seen:?}"
        );
    }
    let eol_streams: Vec<&str> = report["eol"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["state"] == "eol")
        .filter_map(|e| e["product"].as_str())
        .collect();
    for product in ["openssl", "nodejs", "openjdk-builds-from-oracle"] {
        assert!(
            eol_streams.contains(&product),
            "{product} is an EOL stream at {NOW}: {eol_streams:?}"
        );
    }
}
