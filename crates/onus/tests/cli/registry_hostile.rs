//! A registry that misbehaves, served on loopback by the test: the Bearer token flow with
//! credentials from a credential helper, blob redirects to another host (which must not see the
//! `Authorization` header), 429 and 5xx, and every kind of bad content. Each failure is exit 2
//! with the reference and what failed named; none is a panic.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use serde_json::Value;

use crate::common::path_str;
use crate::support;

const TOKEN: &str = "tok-onus-test-123";
const HELPER_USER: &str = "helper-user";
const HELPER_SECRET: &str = "helper-secret-pw";

#[derive(Debug, Clone)]
struct Request {
    path: String,
    headers: BTreeMap<String, String>,
}

struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    /// A `Content-Length` to announce instead of the body's (a truncated body).
    declared: Option<usize>,
}

fn respond(status: u16, body: Vec<u8>) -> Response {
    Response {
        status,
        headers: Vec::new(),
        body,
        declared: None,
    }
}

type Handler = Arc<dyn Fn(&Request) -> Response + Send + Sync>;

/// Serve `handler` on 127.0.0.1 (one thread per connection, `Connection: close`).
fn serve(handler: Handler) -> (u16, Arc<Mutex<Vec<Request>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let log = Arc::new(Mutex::new(Vec::new()));
    let seen = log.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let handler = handler.clone();
            let seen = seen.clone();
            std::thread::spawn(move || {
                let _ = handle(stream, &handler, &seen);
            });
        }
    });
    (port, log)
}

fn handle(stream: TcpStream, handler: &Handler, log: &Mutex<Vec<Request>>) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
    let mut headers = BTreeMap::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h == "\r\n" {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    let request = Request { path, headers };
    log.lock().unwrap().push(request.clone());
    let response = handler(&request);
    let mut out = stream;
    let mut head = format!("HTTP/1.1 {} X\r\n", response.status);
    for (k, v) in &response.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        response.declared.unwrap_or(response.body.len())
    ));
    out.write_all(head.as_bytes())?;
    out.write_all(&response.body)?;
    out.flush()
}

/// The blobs and manifest of a one-platform test layout.
struct Layout {
    manifest: Vec<u8>,
    manifest_digest: String,
    blobs: PathBuf,
}

fn layout(dir: &Path) -> Layout {
    let index: Value =
        serde_json::from_slice(&std::fs::read(dir.join("index.json")).unwrap()).unwrap();
    let digest = index["manifests"][0]["digest"]
        .as_str()
        .unwrap()
        .to_string();
    let blobs = dir.join("blobs/sha256");
    let manifest = std::fs::read(blobs.join(&digest["sha256:".len()..])).unwrap();
    Layout {
        manifest,
        manifest_digest: digest,
        blobs,
    }
}

fn blob(layout: &Layout, digest: &str) -> Option<Vec<u8>> {
    let hex = digest.strip_prefix("sha256:")?;
    std::fs::read(layout.blobs.join(hex)).ok()
}

fn manifest_response(bytes: Vec<u8>) -> Response {
    let mut r = respond(200, bytes);
    r.headers.push((
        "Content-Type".into(),
        "application/vnd.oci.image.manifest.v1+json".into(),
    ));
    r
}

/// onus against `127.0.0.1:port` over plain HTTP, with `docker_config` as DOCKER_CONFIG.
fn onus_at(port: u16, source: &str, docker_config: &Path, path_prefix: Option<&Path>) -> Output {
    let mut path = std::env::var_os("PATH").unwrap_or_default();
    if let Some(prefix) = path_prefix {
        let mut joined = prefix.as_os_str().to_owned();
        joined.push(":");
        joined.push(&path);
        path = joined;
    }
    Command::new(env!("CARGO_BIN_EXE_onus"))
        .args([
            "sbom",
            source,
            "--insecure-registry",
            &format!("127.0.0.1:{port}"),
        ])
        .env("ONUS_NO_PROGRESS", "1")
        .env("DOCKER_CONFIG", docker_config)
        .env("PATH", path)
        .env_remove("ONUS_REGISTRY_USERNAME")
        .env_remove("ONUS_REGISTRY_PASSWORD")
        .env_remove("ONUS_REGISTRY_TOKEN")
        .env_remove("REGISTRY_AUTH_FILE")
        .output()
        .unwrap()
}

#[test]
fn bearer_tokens_from_a_credential_helper_and_redirected_blobs_without_credentials() {
    let Some(images) = support::test_images() else {
        return;
    };
    let lay = Arc::new(layout(&images.join("distroless/oci")));
    // The storage host blobs are redirected to (another host name: `localhost`).
    let storage_lay = lay.clone();
    let (storage_port, storage_log) = serve(Arc::new(move |req: &Request| {
        let digest = req.path.rsplit('/').next().unwrap_or("");
        match blob(&storage_lay, digest) {
            Some(bytes) => respond(200, bytes),
            None => respond(404, Vec::new()),
        }
    }));
    let port_cell = Arc::new(AtomicUsize::new(0));
    let port_for_handler = port_cell.clone();
    let registry_lay = lay.clone();
    let (port, log) = serve(Arc::new(move |req: &Request| {
        let port = port_for_handler.load(Ordering::SeqCst);
        let bearer = req.headers.get("authorization").map(String::as_str)
            == Some(&format!("Bearer {TOKEN}"));
        if req.path.starts_with("/token") {
            let want = format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD
                    .encode(format!("{HELPER_USER}:{HELPER_SECRET}"))
            );
            return if req.headers.get("authorization") == Some(&want)
                && req.path.contains("scope=repository%3Aapp%3Apull")
            {
                respond(
                    200,
                    format!(r#"{{"token":"{TOKEN}","expires_in":300}}"#).into_bytes(),
                )
            } else {
                respond(401, Vec::new())
            };
        }
        if !bearer {
            let mut r = respond(
                401,
                br#"{"errors":[{"code":"UNAUTHORIZED","message":"token required"}]}"#.to_vec(),
            );
            r.headers.push((
                "WWW-Authenticate".into(),
                format!(r#"Bearer realm="http://127.0.0.1:{port}/token",service="fake-registry",scope="repository:app:pull""#),
            ));
            return r;
        }
        if req.path == "/v2/" {
            return respond(200, b"{}".to_vec());
        }
        if req.path.starts_with("/v2/app/manifests/") {
            return manifest_response(registry_lay.manifest.clone());
        }
        if let Some(digest) = req.path.strip_prefix("/v2/app/blobs/") {
            let mut r = respond(307, Vec::new());
            r.headers.push((
                "Location".into(),
                format!("http://localhost:{storage_port}/blobs/{digest}"),
            ));
            return r;
        }
        respond(404, Vec::new())
    }));
    port_cell.store(port as usize, Ordering::SeqCst);

    // A credential helper on PATH, named by credHelpers for this registry.
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let helper = bin.join("docker-credential-onustest");
    std::fs::write(
        &helper,
        format!("#!/bin/sh\nread server\nprintf '{{\"ServerURL\":\"%s\",\"Username\":\"{HELPER_USER}\",\"Secret\":\"{HELPER_SECRET}\"}}' \"$server\"\n"),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(
        dir.path().join("config.json"),
        format!(r#"{{"credHelpers":{{"127.0.0.1:{port}":"onustest"}}}}"#),
    )
    .unwrap();

    let out = onus_at(
        port,
        &format!("registry:127.0.0.1:{port}/app:v1"),
        dir.path(),
        Some(&bin),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains(HELPER_SECRET) && !stderr.contains(TOKEN));
    let pulled: Value = serde_json::from_slice(&out.stdout).unwrap();
    let local = crate::common::onus_json(&[
        "sbom",
        &format!("oci-dir:{}", path_str(&images.join("distroless/oci"))),
    ]);
    assert_eq!(pulled["components"], local["components"]);
    assert_eq!(
        pulled["image"]["manifest_digest"],
        lay.manifest_digest.as_str()
    );

    let storage = storage_log.lock().unwrap();
    assert!(
        !storage.is_empty(),
        "blobs were redirected to the storage host"
    );
    for req in storage.iter() {
        assert!(
            !req.headers.contains_key("authorization"),
            "the storage host received credentials: {req:?}"
        );
    }
    let registry_requests = log.lock().unwrap();
    let tokens = registry_requests
        .iter()
        .filter(|r| r.path.starts_with("/token"))
        .count();
    assert_eq!(tokens, 1, "one token for the repository, cached");
}

/// What the registry serves wrongly.
#[derive(Debug, Clone, Copy)]
enum Fault {
    /// 429 (Retry-After: 0) on the first manifest request, then fine.
    RateLimitedOnce,
    ServerErrorAlways,
    BlobDigestMismatch,
    TruncatedBlob,
    OversizedManifest,
    MalformedManifest,
    IndexLoop,
    UnknownMediaType,
}

fn faulty_registry(lay: Arc<Layout>, fault: Fault) -> u16 {
    let manifests = Arc::new(AtomicUsize::new(0));
    // The index that lists itself needs its own digest: the loop goes through a tag instead.
    let (port, _) = serve(Arc::new(move |req: &Request| {
        if req.path == "/v2/" {
            return respond(200, b"{}".to_vec());
        }
        if let Some(reference) = req.path.strip_prefix("/v2/app/manifests/") {
            let n = manifests.fetch_add(1, Ordering::SeqCst);
            return match fault {
                Fault::RateLimitedOnce if n == 0 => {
                    let mut r = respond(429, Vec::new());
                    r.headers.push(("Retry-After".into(), "0".into()));
                    r
                }
                Fault::ServerErrorAlways => {
                    let mut r = respond(503, Vec::new());
                    r.headers.push(("Retry-After".into(), "0".into()));
                    r
                }
                Fault::OversizedManifest => respond(200, vec![b' '; 5 << 20]),
                Fault::MalformedManifest => manifest_response(b"{not json".to_vec()),
                Fault::IndexLoop => {
                    // An index whose only child is an index with a child that is itself.
                    let child = r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}"#;
                    let _ = reference;
                    let digest = format!(
                        "sha256:{}",
                        hex::encode(<sha2::Sha256 as sha2::Digest>::digest(child.as_bytes()))
                    );
                    let body = format!(
                        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"{digest}","size":{}}}]}}"#,
                        child.len()
                    );
                    // Every manifest request answers the same self-referencing index; its
                    // content never matches a child digest, so the loop ends in an error.
                    let mut r = respond(200, body.into_bytes());
                    r.headers.push((
                        "Content-Type".into(),
                        "application/vnd.oci.image.index.v1+json".into(),
                    ));
                    r
                }
                Fault::UnknownMediaType => {
                    let mut r = respond(
                        200,
                        br#"{"schemaVersion":2,"mediaType":"application/vnd.example.unknown+json","layers":"no"}"#.to_vec(),
                    );
                    r.headers.push((
                        "Content-Type".into(),
                        "application/vnd.example.unknown+json".into(),
                    ));
                    r
                }
                _ => manifest_response(lay.manifest.clone()),
            };
        }
        if let Some(digest) = req.path.strip_prefix("/v2/app/blobs/") {
            let Some(mut bytes) = blob(&lay, digest) else {
                return respond(404, Vec::new());
            };
            let is_layer = bytes.len() > 4096;
            return match fault {
                Fault::BlobDigestMismatch if is_layer => {
                    // The gzip header's mtime: the stream still inflates, only the digest is wrong.
                    bytes[4] ^= 0xff;
                    respond(200, bytes)
                }
                Fault::TruncatedBlob if is_layer => {
                    let full = bytes.len();
                    bytes.truncate(full / 2);
                    let mut r = respond(200, bytes);
                    r.declared = Some(full);
                    r
                }
                _ => respond(200, bytes),
            };
        }
        respond(404, Vec::new())
    }));
    port
}

#[test]
fn a_misbehaving_registry_is_exit_2_with_the_reason_never_a_panic() {
    let Some(images) = support::test_images() else {
        return;
    };
    let lay = Arc::new(layout(&images.join("distroless/oci")));
    let nobody = tempfile::tempdir().unwrap();
    let cases: [(Fault, Option<&str>); 8] = [
        (Fault::RateLimitedOnce, None),
        (Fault::ServerErrorAlways, Some("HTTP 503")),
        (Fault::BlobDigestMismatch, Some("mismatch")),
        (Fault::TruncatedBlob, Some("layer")),
        (Fault::OversizedManifest, Some("manifest limit")),
        (Fault::MalformedManifest, Some("not JSON")),
        (Fault::IndexLoop, Some("")),
        (Fault::UnknownMediaType, Some("")),
    ];
    for (fault, expect) in cases {
        let port = faulty_registry(lay.clone(), fault);
        let source = format!("registry:127.0.0.1:{port}/app:v1");
        let out = onus_at(port, &source, nobody.path(), None);
        let stderr = String::from_utf8_lossy(&out.stderr);
        match expect {
            None => assert_eq!(out.status.code(), Some(0), "{fault:?}: {stderr}"),
            Some(text) => {
                assert_eq!(out.status.code(), Some(2), "{fault:?}: {stderr}");
                assert!(out.stdout.is_empty(), "{fault:?}");
                assert!(
                    stderr.contains(&format!("127.0.0.1:{port}/app")),
                    "{fault:?} names the reference: {stderr}"
                );
                assert!(stderr.contains(text), "{fault:?} says `{text}`: {stderr}");
            }
        }
    }
}
