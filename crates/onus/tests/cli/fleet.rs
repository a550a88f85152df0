//! The fleet service end to end: `onus serve` on SQLite and on a real PostgreSQL, reports of
//! real images submitted, the store rebuilt with one more advisory, and the new finding seen
//! without resubmitting: in the image's report, in the customer's moves, as an event and as a
//! signed webhook call. Two servers sharing PostgreSQL, one killed during the re-match, lose and
//! duplicate nothing.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

use crate::common::{apko, onus_ok, path_str};
use crate::postgres::Cluster;
use crate::support;

/// The advisory the rebuilt store adds (made up for this test; `requests` is in the example
/// application's own layer, so the move is the customer's).
const NEW_ID: &str = "ONUS-TEST-2026-0001";
const NEW_ADVISORY: &str = "id: ONUS-TEST-2026-0001
summary: A made-up critical advisory for the fleet test (not a real vulnerability).
modified: '2026-11-20T00:00:00Z'
published: '2026-11-20T00:00:00Z'
severity:
- type: CVSS_V3
  score: CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H
affected:
- package:
    name: requests
    ecosystem: PyPI
  ranges:
  - type: ECOSYSTEM
    events:
    - introduced: '0'
    - fixed: 2.31.0
";
const SECRET: &str = "fleet-test-secret";
const NOW: &str = "2026-11-25";

/// Stores and reports shared by the tests of one process.
pub(crate) struct Fixture {
    pub(crate) dir: tempfile::TempDir,
    /// The store built from `examples/feeds`.
    pub(crate) store_a: PathBuf,
    /// The same feeds plus [`NEW_ADVISORY`].
    store_b: PathBuf,
    /// `onus scan --format json` of each test image.
    pub(crate) reports: Vec<PathBuf>,
    /// The source of the first report (the example application), for `scan --submit`.
    app_args: Vec<String>,
}

pub(crate) fn fixture() -> &'static Fixture {
    static FIXTURE: std::sync::OnceLock<Fixture> = std::sync::OnceLock::new();
    FIXTURE.get_or_init(|| {
        let root = support::workspace_root();
        let dir = tempfile::tempdir().unwrap();
        let feeds_b = dir.path().join("feeds-b");
        copy_dir(&root.join("examples/feeds"), &feeds_b);
        std::fs::write(
            feeds_b.join("osv-pypi/ONUS-TEST-2026-0001.yaml"),
            NEW_ADVISORY,
        )
        .unwrap();
        let store_a = dir.path().join("a.db");
        let store_b = dir.path().join("b.db");
        onus_ok(
            &[
                "db",
                "build",
                "--db",
                &path_str(&store_a),
                "--from",
                &path_str(&root.join("examples/feeds")),
            ],
            0,
        );
        onus_ok(
            &[
                "db",
                "build",
                "--db",
                &path_str(&store_b),
                "--from",
                &path_str(&feeds_b),
            ],
            0,
        );
        let examples = root.join("examples/images");
        let app_args = vec![
            format!("oci-dir:{}", path_str(&examples.join("app"))),
            "--base".to_string(),
            format!("oci-dir:{}", path_str(&examples.join("base"))),
        ];
        let mut sources: Vec<Vec<String>> = vec![
            app_args.clone(),
            vec![format!("oci-dir:{}", path_str(&examples.join("base")))],
        ];
        for name in ["base_image", "top_image"] {
            if let Some(source) = apko(name) {
                sources.push(vec![source]);
            }
        }
        if let Some(images) = support::test_images() {
            for name in ["runtimes", "multilayer"] {
                sources.push(vec![format!(
                    "oci-dir:{}",
                    path_str(&images.join(name).join("oci"))
                )]);
            }
        }
        let mut reports = Vec::new();
        for (i, source) in sources.iter().enumerate() {
            let out = dir.path().join(format!("report-{i}.json"));
            let mut args: Vec<&str> = vec!["scan"];
            args.extend(source.iter().map(String::as_str));
            let store = path_str(&store_a);
            let out_text = path_str(&out);
            args.extend(["--db", &store, "--now", NOW, "-f", "json", "-o", &out_text]);
            onus_ok(&args, 0);
            reports.push(out);
        }
        Fixture {
            dir,
            store_a,
            store_b,
            reports,
            app_args,
        }
    })
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A running `onus serve`.
pub(crate) struct Server {
    child: Child,
    pub(crate) url: String,
    log: Arc<Mutex<String>>,
}

impl Server {
    pub(crate) fn start(data: &str, store: &Path, extra: &[&str]) -> Server {
        Server::start_with_env(data, store, extra, &[])
    }

    pub(crate) fn start_with_env(
        data: &str,
        store: &Path,
        extra: &[&str],
        env: &[(&str, PathBuf)],
    ) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_onus"))
            .envs(env.iter().map(|(k, v)| (*k, v.as_os_str())))
            .args(["serve", "--listen", "127.0.0.1:0", "--data", data])
            .args(["--db", &path_str(store), "--now", NOW])
            .args(extra)
            .env("ONUS_WEBHOOK_SECRET", SECRET)
            .env_remove("ONUS_DB")
            .env_remove("ONUS_DATA")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let log = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if let Some(url) = line.split("listening on ").nth(1) {
                    let _ = tx.send(url.trim().to_string());
                }
                let mut log = sink.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        let url = rx
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| {
                let _ = child.kill();
                panic!("onus serve did not start:\n{}", log.lock().unwrap())
            });
        Server { child, url, log }
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub(crate) fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// One HTTP call: status and JSON body (`Null` when the body is not JSON).
pub(crate) fn call(
    method: &str,
    url: &str,
    token: Option<&str>,
    body: Option<&[u8]>,
) -> (u16, Value) {
    let mut request = ureq::request(method, url).timeout(Duration::from_secs(120));
    if let Some(token) = token {
        request = request.set("Authorization", &format!("Bearer {token}"));
    }
    let response = match body {
        Some(bytes) => request
            .set("Content-Type", "application/json")
            .send_bytes(bytes),
        None => request.call(),
    };
    let (status, text) = match response {
        Ok(r) => (r.status(), r.into_string().unwrap()),
        Err(ureq::Error::Status(code, r)) => (code, r.into_string().unwrap_or_default()),
        Err(e) => panic!("{method} {url}: {e}"),
    };
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

pub(crate) fn token(data: &str, scope: &str) -> String {
    onus_ok(
        &[
            "serve", "token", "create", "--scope", scope, "--name", scope, "--data", data,
        ],
        0,
    )
    .trim()
    .to_string()
}

/// Webhook calls received by a loopback listener: (headers, body).
type Calls = Arc<Mutex<Vec<(HashMap<String, String>, Vec<u8>)>>>;

fn webhook_receiver() -> (String, Calls) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let calls: Calls = Arc::new(Mutex::new(Vec::new()));
    let sink = calls.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut headers = HashMap::new();
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            loop {
                line.clear();
                if reader.read_line(&mut line).unwrap() == 0 || line == "\r\n" {
                    break;
                }
                if let Some((k, v)) = line.split_once(':') {
                    headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
                }
            }
            let length: usize = headers
                .get("content-length")
                .and_then(|l| l.parse().ok())
                .unwrap_or(0);
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            let _ = stream.write_all(
                b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
            sink.lock().unwrap().push((headers, body));
        }
    });
    (url, calls)
}

/// Poll `check` until it returns `Some`, or fail after `timeout` with `what` and the log.
fn wait_for<T>(
    what: &str,
    timeout: Duration,
    log: impl Fn() -> String,
    mut check: impl FnMut() -> Option<T>,
) -> T {
    let start = Instant::now();
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(
            start.elapsed() < timeout,
            "timed out waiting for {what}\nserver log:\n{}",
            log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Replace the server's store with `from` the way `onus db build` does: a new file renamed over.
fn swap_store(store: &Path, from: &Path) {
    let staged = store.with_extension("staged");
    std::fs::copy(from, &staged).unwrap();
    std::fs::rename(&staged, store).unwrap();
}

/// `template` as the report of another image: the digest `sha256:<n as 64 hex digits>`.
fn copy_as(template: &Value, n: u64) -> (String, Vec<u8>) {
    let digest = format!("sha256:{n:064x}");
    let mut doc = template.clone();
    doc["image"]["manifest_digest"] = Value::String(digest.clone());
    (digest, serde_json::to_vec(&doc).unwrap())
}

fn digest_of(report: &Path) -> String {
    let doc: Value = serde_json::from_slice(&std::fs::read(report).unwrap()).unwrap();
    doc["image"]["manifest_digest"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The whole round trip on one fleet database.
fn round_trip(data: &str) {
    let fx = fixture();
    let work = tempfile::tempdir_in(fx.dir.path()).unwrap();
    let store = work.path().join("vuln.db");
    std::fs::copy(&fx.store_a, &store).unwrap();
    let admin = token(data, "admin");
    let submit = token(data, "submit");
    let read = token(data, "read");
    let (hook_url, calls) = webhook_receiver();
    // A long poll: the store change is picked up by the explicit feeds update below, so the
    // number of images it queues is checked exactly.
    let server = Server::start(data, &store, &["--poll", "1h", "--webhook", &hook_url]);
    let api = format!("{}/api/v1", server.url);

    // Authentication and scopes.
    let app_report = std::fs::read(&fx.reports[0]).unwrap();
    assert_eq!(call("GET", &format!("{api}/summary"), None, None).0, 401);
    assert_eq!(
        call(
            "GET",
            &format!("{api}/summary"),
            Some("onus_0123456789abcdef_nope"),
            None
        )
        .0,
        401
    );
    let (status, body) = call(
        "POST",
        &format!("{api}/reports"),
        Some(&read),
        Some(&app_report),
    );
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"]["code"], "forbidden");
    assert_eq!(
        call("GET", &format!("{}/healthz", server.url), None, None).0,
        200
    );

    // Submissions: the example application through `onus scan --submit`, the rest over HTTP.
    let mut args: Vec<&str> = vec!["scan"];
    args.extend(fx.app_args.iter().map(String::as_str));
    let store_text = path_str(&fx.store_a);
    args.extend([
        "--db",
        &store_text,
        "--now",
        NOW,
        "-f",
        "json",
        "-o",
        "/dev/null",
        "--submit",
        &server.url,
    ]);
    let out = Command::new(env!("CARGO_BIN_EXE_onus"))
        .args(&args)
        .env("ONUS_NO_PROGRESS", "1")
        .env("ONUS_TOKEN", &submit)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "scan --submit: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let digests: Vec<String> = fx.reports.iter().map(|r| digest_of(r)).collect();
    for (i, report) in fx.reports.iter().enumerate().skip(1) {
        let (status, body) = call(
            "POST",
            &format!("{api}/reports?ref=registry.test/fleet/image{i}:1"),
            Some(&submit),
            Some(&std::fs::read(report).unwrap()),
        );
        assert_eq!(status, 201, "{body}");
        assert_eq!(body["digest"], digests[i].as_str());
    }
    // Idempotent by digest.
    let (status, body) = call(
        "POST",
        &format!("{api}/reports"),
        Some(&submit),
        Some(&app_report),
    );
    assert_eq!(
        (status, body["created"].clone()),
        (200, Value::Bool(false)),
        "{body}"
    );
    // Bad input is a JSON error with a stable code.
    let (status, body) = call(
        "POST",
        &format!("{api}/reports"),
        Some(&submit),
        Some(b"{\"schema\":"),
    );
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (422, Some("invalid_submission"))
    );
    let sbom_without_digest = br#"{"schema":"onus.sbom/v1","source":{"scheme":"dir","location":"x"},"image":{"layers":[]},"components":[]}"#;
    let (status, body) = call(
        "POST",
        &format!("{api}/reports"),
        Some(&submit),
        Some(sbom_without_digest),
    );
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (422, Some("unknown_image"))
    );

    let (_, summary) = call("GET", &format!("{api}/summary"), Some(&read), None);
    assert_eq!(summary["images"], fx.reports.len() as i64, "{summary}");
    let (_, before) = call(
        "GET",
        &format!("{api}/images/{}", digests[0]),
        Some(&read),
        None,
    );
    assert!(
        !before["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["id"] == NEW_ID),
        "the advisory is not in the first store"
    );

    // The store gains one advisory; only the image holding `requests` is re-matched.
    swap_store(&store, &fx.store_b);
    let (status, body) = call(
        "POST",
        &format!("{api}/feeds/update"),
        Some(&read),
        Some(b"{\"fetch\":false}"),
    );
    assert_eq!(status, 403, "{body}");
    let (status, body) = call(
        "POST",
        &format!("{api}/feeds/update"),
        Some(&admin),
        Some(b"{\"fetch\":false}"),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["refreshed"]["changed"], true, "{body}");
    // Exactly the images that hold `requests` (the example application, and the Debian
    // multi-layer image when the test images are built).
    let with_requests: Vec<&String> = fx
        .reports
        .iter()
        .zip(&digests)
        .filter(|(report, _)| {
            let doc: Value = serde_json::from_slice(&std::fs::read(report).unwrap()).unwrap();
            doc["components"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["name"] == "requests")
        })
        .map(|(_, digest)| digest)
        .collect();
    assert_eq!(
        body["refreshed"]["queued"],
        with_requests.len(),
        "only the images with `requests`: {body}"
    );

    let event = wait_for(
        "the finding_new event",
        Duration::from_secs(60),
        || server.log(),
        || {
            let (_, events) = call("GET", &format!("{api}/events?since=0"), Some(&read), None);
            events["events"]
                .as_array()
                .unwrap()
                .iter()
                .find(|e| {
                    e["kind"] == "finding_new"
                        && e["vuln_id"] == NEW_ID
                        && e["digest"] == digests[0].as_str()
                })
                .cloned()
        },
    );
    assert_eq!(event["party"], "customer");
    assert_eq!(event["severity"], "critical");

    // In the image's report, without resubmitting.
    let (_, after) = call(
        "GET",
        &format!("{api}/images/{}", digests[0]),
        Some(&read),
        None,
    );
    let finding = after["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == NEW_ID)
        .unwrap_or_else(|| panic!("no {NEW_ID} in the report:\n{after}"));
    assert_eq!(finding["package"], "requests");
    assert_eq!(finding["party"], "customer");
    assert_eq!(finding["owner"], "customer");

    // In the customer's moves.
    let (_, moves) = call(
        "GET",
        &format!("{api}/moves?party=customer"),
        Some(&read),
        None,
    );
    let mv = moves["moves"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["ids"].as_array().unwrap().iter().any(|i| i == NEW_ID))
        .unwrap_or_else(|| panic!("no move for {NEW_ID}:\n{moves}"));
    assert_eq!(mv["package"], "requests");
    assert!(mv["critical"].as_i64().unwrap() >= 1, "{mv}");
    assert!(
        mv["images"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d == digests[0].as_str()),
        "{mv}"
    );
    let (_, vendor) = call(
        "GET",
        &format!("{api}/moves?party=vendor"),
        Some(&read),
        None,
    );
    assert!(!vendor["moves"].as_array().unwrap().iter().any(|m| m["ids"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i == NEW_ID)));

    // Across the fleet: the vulnerability and the package, once every queued image is done.
    wait_for(
        "the re-match to finish",
        Duration::from_secs(60),
        || server.log(),
        || {
            let (_, s) = call("GET", &format!("{api}/summary"), Some(&read), None);
            (s["pending_jobs"] == 0).then_some(())
        },
    );
    let (status, vuln) = call(
        "GET",
        &format!("{api}/vulnerabilities/{NEW_ID}"),
        Some(&read),
        None,
    );
    assert_eq!(status, 200, "{vuln}");
    assert_eq!(
        vuln["findings"].as_array().unwrap().len(),
        with_requests.len(),
        "{vuln}"
    );
    let purl = finding["purl"]
        .as_str()
        .unwrap()
        .replace('/', "%2F")
        .replace('@', "%40");
    let (status, package) = call("GET", &format!("{api}/packages/{purl}"), Some(&read), None);
    assert_eq!(status, 200, "{package}");
    assert!(
        package["images"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["digest"] == digests[0].as_str()),
        "{package}"
    );

    // As a signed webhook call.
    let (headers, body) = wait_for(
        "the webhook call",
        Duration::from_secs(60),
        || server.log(),
        || {
            calls
                .lock()
                .unwrap()
                .iter()
                .find(|(_, body)| {
                    serde_json::from_slice::<Value>(body).is_ok_and(|v| {
                        v["event"]["vuln_id"] == NEW_ID
                            && v["event"]["digest"] == digests[0].as_str()
                    })
                })
                .cloned()
        },
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(&body);
    let expected = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    assert_eq!(headers.get("x-onus-signature-256"), Some(&expected));
    assert_eq!(
        headers.get("x-onus-event").map(String::as_str),
        Some("finding_new")
    );

    // The OpenAPI document names every route.
    let (status, doc) = call("GET", &format!("{api}/openapi.json"), Some(&read), None);
    assert_eq!(status, 200);
    for path in [
        "/api/v1/summary",
        "/api/v1/moves",
        "/api/v1/images",
        "/api/v1/images/{digest}",
        "/api/v1/reports",
        "/api/v1/vulnerabilities/{id}",
        "/api/v1/packages/{purl}",
        "/api/v1/events",
        "/api/v1/feeds/update",
        "/api/v1/rematch",
    ] {
        assert!(
            doc["paths"].get(path).is_some(),
            "{path} missing from the OpenAPI document"
        );
    }
}

#[test]
fn fleet_round_trip_on_sqlite() {
    let fx = fixture();
    let work = tempfile::tempdir_in(fx.dir.path()).unwrap();
    let data = format!("sqlite:{}", path_str(&work.path().join("fleet.db")));
    round_trip(&data);
}

#[test]
fn fleet_round_trip_on_postgres() {
    let Some(cluster) = Cluster::start() else {
        return;
    };
    round_trip(&cluster.database());
}

/// Two servers share one PostgreSQL; one is killed while the re-match runs. The other finishes
/// every job: each image gets the new finding once, and one event for it.
#[test]
fn two_servers_share_postgres_and_one_dies_mid_rematch() {
    let Some(cluster) = Cluster::start() else {
        return;
    };
    let fx = fixture();
    let data = cluster.database();
    let work = tempfile::tempdir_in(fx.dir.path()).unwrap();
    let store = work.path().join("vuln.db");
    std::fs::copy(&fx.store_a, &store).unwrap();
    let submit = token(&data, "submit");
    let read = token(&data, "read");
    let mut first = Server::start(&data, &store, &["--poll", "100ms"]);
    let second = Server::start(&data, &store, &["--poll", "100ms"]);

    // Many copies of the example application, each its own image.
    let template: Value = serde_json::from_slice(&std::fs::read(&fx.reports[0]).unwrap()).unwrap();
    let copies = 40;
    let mut digests = Vec::new();
    for i in 0..copies {
        let (digest, report) = copy_as(&template, 0xf1ee7_u64 * 1000 + i);
        let server = if i % 2 == 0 { &first } else { &second };
        let (status, body) = call(
            "POST",
            &format!("{}/api/v1/reports", server.url),
            Some(&submit),
            Some(&report),
        );
        assert_eq!(status, 201, "{body}");
        digests.push(digest);
    }

    swap_store(&store, &fx.store_b);
    // Kill the first server as soon as the re-match is under way.
    wait_for(
        "the re-match to start",
        Duration::from_secs(60),
        || first.log(),
        || {
            let (_, summary) = call(
                "GET",
                &format!("{}/api/v1/summary", second.url),
                Some(&read),
                None,
            );
            (summary["pending_jobs"].as_i64().unwrap_or(0) > 0
                || summary["store"] != Value::Null && first.log().contains("store changed"))
            .then_some(())
        },
    );
    first.kill();

    let api = format!("{}/api/v1", second.url);
    wait_for(
        "every image re-matched",
        Duration::from_secs(120),
        || second.log(),
        || {
            let (_, summary) = call("GET", &format!("{api}/summary"), Some(&read), None);
            let (_, vuln) = call(
                "GET",
                &format!("{api}/vulnerabilities/{NEW_ID}"),
                Some(&read),
                None,
            );
            let found = vuln["findings"].as_array().map_or(0, Vec::len);
            (summary["pending_jobs"] == 0 && found == copies as usize).then_some(())
        },
    );
    let mut events = Vec::new();
    let mut since = 0;
    loop {
        let (_, page) = call(
            "GET",
            &format!("{api}/events?since={since}&limit=1000"),
            Some(&read),
            None,
        );
        let list = page["events"].as_array().unwrap().clone();
        if list.is_empty() {
            break;
        }
        since = page["last"].as_i64().unwrap();
        events.extend(list);
    }
    for digest in &digests {
        let new: Vec<&Value> = events
            .iter()
            .filter(|e| {
                e["kind"] == "finding_new"
                    && e["vuln_id"] == NEW_ID
                    && e["digest"] == digest.as_str()
            })
            .collect();
        assert_eq!(new.len(), 1, "{digest}: {new:?}");
        let (_, report) = call("GET", &format!("{api}/images/{digest}"), Some(&read), None);
        let count = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["id"] == NEW_ID)
            .count();
        assert_eq!(count, 1, "{digest}");
    }
}

/// PostgreSQL restarted under the server: requests fail with 503 and a JSON error while it is
/// down, and succeed again once it is back, without restarting the server.
#[test]
fn postgres_restart_gives_503_then_recovers() {
    let Some(cluster) = Cluster::start() else {
        return;
    };
    let fx = fixture();
    let data = cluster.database();
    let read = token(&data, "read");
    let submit = token(&data, "submit");
    let server = Server::start(&data, &fx.store_a, &["--poll", "1h"]);
    let api = format!("{}/api/v1", server.url);
    let report = std::fs::read(&fx.reports[1]).unwrap();
    assert_eq!(
        call(
            "POST",
            &format!("{api}/reports"),
            Some(&submit),
            Some(&report)
        )
        .0,
        201
    );
    cluster.restart();
    let mut statuses = Vec::new();
    wait_for(
        "the service to recover",
        Duration::from_secs(30),
        || server.log(),
        || {
            let (status, body) = call("GET", &format!("{api}/summary"), Some(&read), None);
            if status != 200 {
                assert_eq!(status, 503, "{body}");
                assert_eq!(body["error"]["code"], "database_unavailable", "{body}");
            }
            statuses.push(status);
            (status == 200 && body["images"] == 1).then_some(())
        },
    );
    // Submitting works again too.
    let again = std::fs::read(&fx.reports[0]).unwrap();
    assert_eq!(
        call(
            "POST",
            &format!("{api}/reports"),
            Some(&submit),
            Some(&again)
        )
        .0,
        201
    );
}

/// Hostile and concurrent clients: oversized and malformed bodies, unknown routes and methods,
/// eight clients submitting at once, and a server killed during ingest. Every error is JSON with
/// a stable code; nothing is lost or half-written.
#[test]
fn bad_input_concurrency_and_a_kill_during_ingest() {
    let fx = fixture();
    let work = tempfile::tempdir_in(fx.dir.path()).unwrap();
    let data = format!("sqlite:{}", path_str(&work.path().join("fleet.db")));
    let submit = token(&data, "submit");
    let read = token(&data, "read");
    let mut server = Server::start(
        &data,
        &fx.store_a,
        &["--poll", "1h", "--max-body", "256K", "--rate-limit", "1000"],
    );
    let api = format!("{}/api/v1", server.url);

    // A body declared larger than the limit is refused before it is sent.
    let address = server.url.trim_start_matches("http://").to_string();
    let mut stream = std::net::TcpStream::connect(&address).unwrap();
    write!(
        stream,
        "POST /api/v1/reports HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {submit}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        300 << 10
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("\"payload_too_large\""), "{answer}");
    for bad in [
        &b"[1,2,3]"[..],
        b"{}",
        b"\xff\xfe",
        br#"{"schema":"onus.report/v2"}"#,
        br#"{"bomFormat":"CycloneDX","components":"x"}"#,
    ] {
        let (status, body) = call("POST", &format!("{api}/reports"), Some(&submit), Some(bad));
        assert_eq!(status, 422, "{body}");
        assert!(body["error"]["code"].is_string(), "{body}");
    }
    for (method, path, status, code) in [
        ("GET", "/nothing", 404, "not_found"),
        ("DELETE", "/summary", 405, "method_not_allowed"),
        ("GET", "/images/sha256:nothex", 404, "not_found"),
        ("GET", "/moves?party=nobody", 422, "invalid_submission"),
        ("GET", "/events?since=yesterday", 422, "invalid_submission"),
    ] {
        let (got, body) = call(method, &format!("{api}{path}"), Some(&read), None);
        assert_eq!(
            (got, body["error"]["code"].as_str()),
            (status, Some(code)),
            "{method} {path}: {body}"
        );
    }

    // Eight clients at once, each submitting its own images (and one shared image).
    let template: Value = serde_json::from_slice(&std::fs::read(&fx.reports[0]).unwrap()).unwrap();
    let shared = serde_json::to_vec(&template).unwrap();
    let threads: Vec<_> = (0..8u64)
        .map(|client| {
            let api = api.clone();
            let submit = submit.clone();
            let template = template.clone();
            let shared = shared.clone();
            std::thread::spawn(move || {
                for i in 0..5u64 {
                    let (_, report) = copy_as(&template, 0xc0ffee_u64 * 100 + client * 10 + i);
                    let (status, body) = call(
                        "POST",
                        &format!("{api}/reports"),
                        Some(&submit),
                        Some(&report),
                    );
                    assert_eq!(status, 201, "{body}");
                }
                let (status, body) = call(
                    "POST",
                    &format!("{api}/reports"),
                    Some(&submit),
                    Some(&shared),
                );
                assert!(status == 201 || status == 200, "{body}");
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let (_, summary) = call("GET", &format!("{api}/summary"), Some(&read), None);
    assert_eq!(summary["images"], 41, "{summary}");
    let (_, events) = call(
        "GET",
        &format!("{api}/events?limit=1000"),
        Some(&read),
        None,
    );
    let added = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "image_added")
        .count();
    assert_eq!(added, 41, "one image_added per image, the shared one once");

    // Killed while clients submit: every image that exists afterwards is whole.
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writers: Vec<_> = (0..4u64)
        .map(|client| {
            let api = api.clone();
            let submit = submit.clone();
            let template = template.clone();
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut i = 0u64;
                while !stop.load(std::sync::atomic::Ordering::SeqCst) && i < 500 {
                    let (_, report) = copy_as(&template, 0xdead_u64 * 10_000 + client * 1000 + i);
                    let request = ureq::post(&format!("{api}/reports"))
                        .timeout(Duration::from_secs(10))
                        .set("Authorization", &format!("Bearer {submit}"))
                        .send_bytes(&report);
                    if request.is_err() {
                        break;
                    }
                    i += 1;
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(700));
    server.kill();
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    for w in writers {
        w.join().unwrap();
    }
    let server = Server::start(
        &data,
        &fx.store_a,
        &["--poll", "1h", "--rate-limit", "100000"],
    );
    let api = format!("{}/api/v1", server.url);
    let expected_findings = template["findings"].as_array().unwrap().len();
    let mut after = None;
    let mut total = 0;
    loop {
        let url = match &after {
            None => format!("{api}/images?limit=1000"),
            Some(a) => format!("{api}/images?limit=1000&after={a}"),
        };
        let (_, page) = call("GET", &url, Some(&read), None);
        for image in page["images"].as_array().unwrap() {
            total += 1;
            let digest = image["digest"].as_str().unwrap();
            let (status, report) =
                call("GET", &format!("{api}/images/{digest}"), Some(&read), None);
            assert_eq!(status, 200);
            assert_eq!(
                report["findings"].as_array().unwrap().len(),
                expected_findings,
                "{digest}"
            );
        }
        match page["next_after"].as_str() {
            Some(next) => after = Some(next.to_string()),
            None => break,
        }
    }
    assert!(total > 41, "the kill came after some submissions: {total}");
    let (_, summary) = call("GET", &format!("{api}/summary"), Some(&read), None);
    assert_eq!(summary["images"], total, "{summary}");

    drop(server);

    // A token over its rate gets 429 with a JSON error.
    let limited = Server::start(&data, &fx.store_a, &["--poll", "1h", "--rate-limit", "1"]);
    let codes: Vec<(u16, Value)> = (0..6)
        .map(|_| {
            call(
                "GET",
                &format!("{}/api/v1/summary", limited.url),
                Some(&read),
                None,
            )
        })
        .collect();
    assert!(
        codes
            .iter()
            .any(|(s, b)| *s == 429 && b["error"]["code"] == "rate_limited"),
        "{codes:?}"
    );
}

/// The store is swapped twice while a re-match runs (to the store with the new advisory and
/// straight back): when the worker settles, every image reflects the store on disk, as if the
/// first swap had never happened, and no job is left.
#[test]
fn a_store_swapped_back_during_a_rematch_leaves_the_fleet_on_the_store_on_disk() {
    let fx = fixture();
    let work = tempfile::tempdir_in(fx.dir.path()).unwrap();
    let data = format!("sqlite:{}", path_str(&work.path().join("fleet.db")));
    let store = work.path().join("vuln.db");
    std::fs::copy(&fx.store_a, &store).unwrap();
    let submit = token(&data, "submit");
    let read = token(&data, "read");
    let server = Server::start(&data, &store, &["--poll", "50ms", "--rate-limit", "100000"]);
    let api = format!("{}/api/v1", server.url);
    let template: Value = serde_json::from_slice(&std::fs::read(&fx.reports[0]).unwrap()).unwrap();
    for i in 0..30u64 {
        let (_, report) = copy_as(&template, 0x5a4b_u64 * 100 + i);
        let (status, body) = call(
            "POST",
            &format!("{api}/reports"),
            Some(&submit),
            Some(&report),
        );
        assert_eq!(status, 201, "{body}");
    }
    let (_, before) = call("GET", &format!("{api}/summary"), Some(&read), None);
    swap_store(&store, &fx.store_b);
    wait_for(
        "the re-match to start",
        Duration::from_secs(30),
        || server.log(),
        || server.log().contains("store changed").then_some(()),
    );
    swap_store(&store, &fx.store_a);
    wait_for(
        "the fleet back on the first store",
        Duration::from_secs(60),
        || server.log(),
        || {
            let (_, s) = call("GET", &format!("{api}/summary"), Some(&read), None);
            (s["store"] == before["store"] && s["pending_jobs"] == 0).then_some(())
        },
    );
    let (status, vuln) = call(
        "GET",
        &format!("{api}/vulnerabilities/{NEW_ID}"),
        Some(&read),
        None,
    );
    let open = vuln["findings"]
        .as_array()
        .map_or(0, |f| f.iter().filter(|f| f["open"] == true).count());
    assert_eq!(open, 0, "{status} {vuln}");
    let (_, after) = call("GET", &format!("{api}/summary"), Some(&read), None);
    assert_eq!(after["open_by_move"], before["open_by_move"]);
}
