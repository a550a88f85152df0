//! `update` and build atomicity: a file:// mirror, a loopback HTTP server serving good,
//! truncated and corrupt responses, checksum and ETag handling, and a child process killed in
//! the middle of a build. In every failure the previous store must still open unchanged.

#![allow(clippy::unwrap_used, clippy::print_stderr)]

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use common::*;
use onus_vuln::*;

const SECDB: &str = r#"{"apkurl":"x","archs":["x86_64"],"reponame":"os","urlprefix":"https://packages.wolfi.dev",
 "packages":[{"pkg":{"name":"busybox","secfixes":{"1.36.0-r0":["CVE-2099-1000"]}}}]}"#;
const SECDB_V2: &str = r#"{"apkurl":"x","archs":["x86_64"],"reponame":"os","urlprefix":"https://packages.wolfi.dev",
 "packages":[{"pkg":{"name":"busybox","secfixes":{"1.36.0-r0":["CVE-2099-1000"],"1.37.0-r0":["CVE-2099-2000"]}}}]}"#;

fn file_url(p: &Path) -> String {
    format!("file://{}", p.display())
}

fn feed(url: String, kind: Option<FeedKind>, sha256: Option<String>) -> FeedSource {
    FeedSource {
        url,
        kind,
        sha256,
        namespace: None,
        content_sha256_url: None,
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

fn busybox_findings(target: &Path) -> Vec<String> {
    let store = Store::open_readonly(target).unwrap();
    let s = sbom(
        Some(("wolfi", "1", None)),
        vec![apk("wolfi", "busybox", "1.35.0-r0", None)],
    );
    match_sbom(&store, &s, &MatchOptions::default())
        .expect("match")
        .findings
        .into_iter()
        .map(|f| f.id)
        .collect()
}

/// Options for scripted servers: no retries, so each call takes exactly one scripted answer.
fn opts(dir: &Path) -> UpdateOptions {
    UpdateOptions {
        cache_dir: Some(dir.join("cache")),
        retries: 0,
        ..UpdateOptions::default()
    }
}

#[test]
fn file_mirror_update_and_failures_keep_old_store() {
    let dir = tempfile::tempdir().unwrap();
    let mirror = dir.path().join("mirror");
    std::fs::create_dir_all(&mirror).unwrap();
    std::fs::write(mirror.join("security.json"), SECDB).unwrap();
    let target = dir.path().join("store/vuln.db");
    let config = UpdateConfig {
        sources: vec![feed(
            file_url(&mirror.join("security.json")),
            Some(FeedKind::Secdb),
            Some(sha256_hex(SECDB.as_bytes())),
        )],
    };
    let summary = update(&target, &config, &opts(dir.path()), &mut |_| {}).unwrap();
    assert_eq!(summary.sources[0].records, 1);
    assert_eq!(busybox_findings(&target), ["CVE-2099-1000"]);
    let before = std::fs::read(&target).unwrap();

    // Checksum mismatch: refused before anything is written.
    std::fs::write(mirror.join("security.json"), SECDB_V2).unwrap();
    let err = update(&target, &config, &opts(dir.path()), &mut |_| {}).unwrap_err();
    assert!(matches!(err, VulnError::Checksum { .. }), "{err}");
    assert_eq!(std::fs::read(&target).unwrap(), before);

    // A corrupt archive in the mirror: refused.
    let mut zst = zstd::encode_all(
        &b"not a tar at all, but long enough to be cut somewhere in the middle"[..],
        3,
    )
    .unwrap();
    zst.truncate(zst.len() - 8);
    std::fs::write(mirror.join("osv.tar.zst"), &zst).unwrap();
    let bad = UpdateConfig {
        sources: vec![feed(
            file_url(&mirror.join("osv.tar.zst")),
            Some(FeedKind::Osv),
            None,
        )],
    };
    let err = update(&target, &bad, &opts(dir.path()), &mut |_| {}).unwrap_err();
    assert!(matches!(err, VulnError::FeedIncomplete { .. }), "{err}");
    // A missing mirror file and an unsupported scheme: refused.
    let missing = UpdateConfig {
        sources: vec![feed(file_url(&mirror.join("absent.json")), None, None)],
    };
    assert!(matches!(
        update(&target, &missing, &opts(dir.path()), &mut |_| {}),
        Err(VulnError::Fetch { .. })
    ));
    let ftp = UpdateConfig {
        sources: vec![feed("ftp://example.invalid/x".to_string(), None, None)],
    };
    assert!(matches!(
        update(&target, &ftp, &opts(dir.path()), &mut |_| {}),
        Err(VulnError::Fetch { .. })
    ));
    assert_eq!(std::fs::read(&target).unwrap(), before);
    assert_eq!(busybox_findings(&target), ["CVE-2099-1000"]);

    // A mirror directory works too, and the new data replaces the old store.
    let config = UpdateConfig {
        sources: vec![feed(file_url(&mirror), None, None)],
    };
    std::fs::remove_file(mirror.join("osv.tar.zst")).unwrap();
    update(&target, &config, &opts(dir.path()), &mut |_| {}).unwrap();
    assert_eq!(
        busybox_findings(&target),
        ["CVE-2099-1000", "CVE-2099-2000"]
    );

    // Config parsing.
    let cfg = UpdateConfig::from_json(
        br#"{"sources":[{"url":"https://x.invalid/security.json","kind":"secdb"}]}"#,
        Path::new("c.json"),
    )
    .unwrap();
    assert_eq!(cfg.sources[0].kind, Some(FeedKind::Secdb));
    assert!(UpdateConfig::from_json(b"{", Path::new("c.json")).is_err());
}

/// What the loopback server answers, in order; each entry is one raw HTTP response.
type Script = Arc<Mutex<Vec<Vec<u8>>>>;

/// Serve scripted responses on 127.0.0.1; returns the base URL and the requests seen.
fn serve(script: Script) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let seen2 = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { break };
            let mut buf = [0u8; 8192];
            let mut req = Vec::new();
            while !req.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => req.extend_from_slice(&buf[..n]),
                }
            }
            seen2
                .lock()
                .unwrap()
                .push(String::from_utf8_lossy(&req).into_owned());
            let next = {
                let mut s = script.lock().unwrap();
                if s.is_empty() {
                    None
                } else {
                    Some(s.remove(0))
                }
            };
            let Some(resp) = next else { break };
            let _ = stream.write_all(&resp);
            let _ = stream.flush();
            // Dropping the stream closes the connection (a truncated body stays truncated).
        }
    });
    (format!("http://{addr}"), seen)
}

fn ok(body: &[u8], etag: &str) -> Vec<u8> {
    let mut r = format!(
        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nETag: {etag}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    r.extend_from_slice(body);
    r
}

#[test]
fn http_update_truncated_and_corrupt_responses_keep_old_store() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("vuln.db");
    let truncated = {
        let mut r = format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            SECDB_V2.len()
        )
        .into_bytes();
        r.extend_from_slice(&SECDB_V2.as_bytes()[..40]);
        r
    };
    let mut corrupt_zst = zstd::encode_all(&vec![b'x'; 300_000][..], 1).unwrap();
    corrupt_zst.truncate(corrupt_zst.len() / 2);
    let script: Script = Arc::new(Mutex::new(vec![
        ok(SECDB.as_bytes(), "\"v1\""),
        truncated,
        ok(&corrupt_zst, "\"bad\""),
        b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            .to_vec(),
        b"HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\nConnection: close\r\n\r\n".to_vec(),
    ]));
    let (base, seen) = serve(script);
    let config = UpdateConfig {
        sources: vec![feed(
            format!("{base}/os/security.json"),
            Some(FeedKind::Secdb),
            None,
        )],
    };
    update(&target, &config, &opts(dir.path()), &mut |_| {}).unwrap();
    let before = std::fs::read(&target).unwrap();
    assert_eq!(busybox_findings(&target), ["CVE-2099-1000"]);
    let store = Store::open_readonly(&target).unwrap();
    assert_eq!(store.sources().unwrap()[0].etag.as_deref(), Some("\"v1\""));
    drop(store);

    let err = update(&target, &config, &opts(dir.path()), &mut |_| {}).unwrap_err();
    assert!(matches!(err, VulnError::Fetch { .. }), "truncated: {err}");
    let corrupt = UpdateConfig {
        sources: vec![feed(
            format!("{base}/osv.tar.zst"),
            Some(FeedKind::Osv),
            None,
        )],
    };
    let err = update(&target, &corrupt, &opts(dir.path()), &mut |_| {}).unwrap_err();
    assert!(
        matches!(err, VulnError::FeedIncomplete { .. }),
        "corrupt: {err}"
    );
    let err = update(&target, &config, &opts(dir.path()), &mut |_| {}).unwrap_err();
    assert!(matches!(err, VulnError::Fetch { .. }), "HTTP 500: {err}");
    assert_eq!(std::fs::read(&target).unwrap(), before);
    assert_eq!(busybox_findings(&target), ["CVE-2099-1000"]);

    // Unchanged upstream: a conditional request, answered 304, rebuilt from the cached copy.
    update(&target, &config, &opts(dir.path()), &mut |_| {}).unwrap();
    assert_eq!(busybox_findings(&target), ["CVE-2099-1000"]);
    let requests = seen.lock().unwrap().clone();
    assert!(
        requests
            .last()
            .unwrap()
            .to_ascii_lowercase()
            .contains("if-none-match: \"v1\""),
        "{requests:?}"
    );

    // Offline: never fetches; the cached copy serves, an uncached URL fails.
    let offline = UpdateOptions {
        offline: true,
        ..opts(dir.path())
    };
    update(&target, &config, &offline, &mut |_| {}).unwrap();
    let n = seen.lock().unwrap().len();
    let uncached = UpdateConfig {
        sources: vec![feed(format!("{base}/other.json"), None, None)],
    };
    assert!(matches!(
        update(&target, &uncached, &offline, &mut |_| {}),
        Err(VulnError::Fetch { .. })
    ));
    assert_eq!(seen.lock().unwrap().len(), n, "offline made no request");
}

#[test]
fn server_errors_are_retried_then_named() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("vuln.db");
    let error =
        b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    let script: Script = Arc::new(Mutex::new(vec![
        error.to_vec(),
        ok(SECDB.as_bytes(), "\"v1\""),
        error.to_vec(),
        error.to_vec(),
    ]));
    let (base, seen) = serve(script);
    let config = UpdateConfig {
        sources: vec![feed(
            format!("{base}/os/security.json"),
            Some(FeedKind::Secdb),
            None,
        )],
    };
    let retry_once = UpdateOptions {
        retries: 1,
        ..opts(dir.path())
    };
    // A 503 then the feed: the update succeeds on the second attempt.
    update(&target, &config, &retry_once, &mut |_| {}).unwrap();
    assert_eq!(seen.lock().unwrap().len(), 2);
    let before = std::fs::read(&target).unwrap();
    // Two 503s exhaust the one retry: the error names the URL and the status; old store kept.
    let err = update(&target, &config, &retry_once, &mut |_| {}).unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("/os/security.json") && message.contains("503"),
        "{message}"
    );
    assert_eq!(std::fs::read(&target).unwrap(), before);
}

const CHILD_TARGET: &str = "ONUS_VULN_TEST_CHILD_TARGET";
const CHILD_INPUT: &str = "ONUS_VULN_TEST_CHILD_INPUT";
const CHILD_MARKER: &str = "ONUS_VULN_TEST_CHILD_MARKER";

/// Run only as the child of `killed_build_keeps_old_store`: builds, and hangs mid-way.
#[test]
#[ignore = "helper: run by killed_build_keeps_old_store in a child process"]
fn child_build_that_hangs() {
    let (Some(target), Some(input), Some(marker)) = (
        std::env::var_os(CHILD_TARGET),
        std::env::var_os(CHILD_INPUT),
        std::env::var_os(CHILD_MARKER),
    ) else {
        return;
    };
    let _ = build(
        Path::new(&target),
        &[BuildInput::new(PathBuf::from(input))],
        &BuildOptions::default(),
        &mut |msg| {
            if msg.starts_with("loading") {
                std::fs::write(&marker, b"mid-build").unwrap();
                loop {
                    std::thread::sleep(std::time::Duration::from_millis(200));
                }
            }
        },
    );
}

#[test]
fn killed_build_keeps_old_store() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    std::fs::create_dir_all(&input).unwrap();
    std::fs::write(input.join("security.json"), SECDB).unwrap();
    let target = dir.path().join("vuln.db");
    build(
        &target,
        &[BuildInput::new(&input)],
        &BuildOptions::default(),
        &mut |_| {},
    )
    .unwrap();
    let before = std::fs::read(&target).unwrap();

    std::fs::write(input.join("security.json"), SECDB_V2).unwrap();
    let marker = dir.path().join("marker");
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_build_that_hangs",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_TARGET, &target)
        .env(CHILD_INPUT, &input)
        .env(CHILD_MARKER, &marker)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait (bounded) until the child is inside the build, then kill it.
    for _ in 0..1200 {
        if marker.exists() || child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(marker.exists(), "the child reached the middle of the build");
    child.kill().unwrap();
    child.wait().unwrap();

    assert_eq!(
        std::fs::read(&target).unwrap(),
        before,
        "the old store is untouched"
    );
    assert_eq!(busybox_findings(&target), ["CVE-2099-1000"]);
    // The next build cleans up the dead build's temp file and succeeds.
    build(
        &target,
        &[BuildInput::new(&input)],
        &BuildOptions::default(),
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(
        busybox_findings(&target),
        ["CVE-2099-1000", "CVE-2099-2000"]
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
