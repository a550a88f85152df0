//! Pulling from a real registry: Debian's `docker-registry` (the CNCF distribution registry) on
//! loopback with TLS from a CA the test makes and htpasswd Basic auth, images pushed with
//! `skopeo`. Credentials reach onus through `DOCKER_CONFIG`, the CA through `ONUS_REGISTRY_CA`.
//!
//! The tools come from Debian packages (`docker-registry`, `skopeo`, `apache2-utils`,
//! `openssl`); `.ci/run` installs them and sets `ONUS_REQUIRE_REGISTRY=1`, which turns a missing
//! tool into a failure instead of a skip.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::Value;
use sha2::Digest as _;

use crate::common::{apko, path_str};
use crate::support;

pub(crate) const USER: &str = "alice";
pub(crate) const PASSWORD: &str = "s3cret-registry-pw";

/// A running registry and the files a client needs to talk to it.
struct Registry {
    dir: tempfile::TempDir,
    child: Child,
    /// `127.0.0.1:PORT`.
    host: String,
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn have(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Registry {
    /// Start a TLS + Basic-auth registry on a free loopback port; `None` (skip) when the tools
    /// are missing and the environment does not require them.
    fn start() -> Option<Registry> {
        Registry::start_with(false)
    }

    /// `token`: the registry's `auth: token` behind a token server the test runs (JWTs signed
    /// with a key whose certificate is the registry's `rootcertbundle`); else htpasswd Basic.
    fn start_with(token: bool) -> Option<Registry> {
        let tools = ["docker-registry", "skopeo", "htpasswd", "openssl"];
        let missing: Vec<&str> = tools.iter().copied().filter(|t| !have(t)).collect();
        if !missing.is_empty() {
            assert!(
                std::env::var_os("ONUS_REQUIRE_REGISTRY").is_none(),
                "ONUS_REQUIRE_REGISTRY is set and these tools are missing: {missing:?}"
            );
            eprintln!("skipping: registry tests need {missing:?} (Debian: docker-registry skopeo apache2-utils openssl)");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let ossl = |args: &[&str]| {
            run(Command::new("openssl").args(args).current_dir(d));
        };
        ossl(&[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.crt",
            "-days",
            "2",
            "-subj",
            "/CN=onus test CA",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ]);
        ossl(&[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=127.0.0.1",
        ]);
        std::fs::write(
            d.join("ext.cnf"),
            "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n",
        )
        .unwrap();
        ossl(&[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.crt",
            "-days",
            "2",
            "-extfile",
            "ext.cnf",
        ]);
        let htpasswd = Command::new("htpasswd")
            .args(["-Bbn", USER, PASSWORD])
            .output()
            .unwrap();
        assert!(htpasswd.status.success());
        std::fs::write(d.join("htpasswd"), htpasswd.stdout).unwrap();
        // The certificate directory skopeo reads (`*.crt` are CAs).
        std::fs::create_dir_all(d.join("certs")).unwrap();
        std::fs::copy(d.join("ca.crt"), d.join("certs/ca.crt")).unwrap();

        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let host = format!("127.0.0.1:{port}");
        let auth = if token {
            ossl(&[
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "token.key",
                "-out",
                "token.crt",
                "-days",
                "2",
                "-subj",
                "/CN=onus test token issuer",
            ]);
            let realm = crate::registry_token::serve(d);
            format!(
                "auth:\n  token:\n    realm: {realm}\n    service: {service}\n    issuer: {issuer}\n    rootcertbundle: {bundle}\n",
                service = crate::registry_token::SERVICE,
                issuer = crate::registry_token::ISSUER,
                bundle = path_str(&d.join("token.crt")),
            )
        } else {
            format!(
                "auth:\n  htpasswd:\n    realm: onus-test\n    path: {}\n",
                path_str(&d.join("htpasswd"))
            )
        };
        let config = format!(
            "version: 0.1\nlog:\n  level: info\nstorage:\n  filesystem:\n    rootdirectory: {root}\nhttp:\n  addr: {host}\n  tls:\n    certificate: {crt}\n    key: {key}\n{auth}",
            root = path_str(&d.join("data")),
            crt = path_str(&d.join("server.crt")),
            key = path_str(&d.join("server.key")),
        );
        std::fs::write(d.join("config.yml"), config).unwrap();
        // The access log (one `response completed` line per request) counts requests.
        let log = std::fs::File::create(d.join("registry.log")).unwrap();
        let child = Command::new("docker-registry")
            .args(["serve", &path_str(&d.join("config.yml"))])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        let registry = Registry { dir, child, host };
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(&registry.host).is_err() {
            assert!(Instant::now() < deadline, "the registry did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        registry.write_docker_config("good", PASSWORD);
        registry.write_docker_config("wrong", "not-the-password");
        Some(registry)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `<dir>/<name>/config.json` with an `auths` entry for this registry.
    fn write_docker_config(&self, name: &str, password: &str) {
        let auth = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{password}"));
        let dir = self.path(name);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("config.json"),
            format!(r#"{{"auths":{{"{}":{{"auth":"{auth}"}}}}}}"#, self.host),
        )
        .unwrap();
    }

    /// Push an OCI layout (`--all`: every platform of an index) as `repo:tag`.
    fn push(&self, layout: &Path, repo: &str, tag: &str) {
        run(Command::new("skopeo").args([
            "copy",
            "--quiet",
            "--all",
            "--dest-cert-dir",
            &path_str(&self.path("certs")),
            "--dest-creds",
            &format!("{USER}:{PASSWORD}"),
            &format!("oci:{}", path_str(layout)),
            &format!("docker://{}/{repo}:{tag}", self.host),
        ]));
    }

    /// Blob requests onus made for `repo` so far (skopeo's pushes are not counted).
    fn blob_requests(&self, repo: &str) -> usize {
        let log = std::fs::read_to_string(self.path("registry.log")).unwrap_or_default();
        let uri = format!("/v2/{repo}/blobs/");
        log.lines()
            .filter(|l| {
                l.contains("response completed")
                    && l.contains(&uri)
                    && l.contains("http.request.useragent=onus/")
            })
            .count()
    }

    /// Run onus with this registry's CA and the named Docker config.
    fn onus(&self, config: &str, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_onus"))
            .args(args)
            .env("ONUS_NO_PROGRESS", "1")
            .env("DOCKER_CONFIG", self.path(config))
            .env("ONUS_REGISTRY_CA", self.path("ca.crt"))
            .env_remove("ONUS_DB")
            .env_remove("ONUS_REGISTRY_USERNAME")
            .env_remove("ONUS_REGISTRY_PASSWORD")
            .env_remove("ONUS_REGISTRY_TOKEN")
            .env_remove("REGISTRY_AUTH_FILE")
            .output()
            .unwrap()
    }

    fn sbom(&self, args: &[&str]) -> Value {
        let out = self.onus("good", args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "onus {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }
}

/// What must agree between a registry pull and the layout it was pushed from.
fn essence(sbom: &Value) -> (Vec<(String, u64)>, Value, Value) {
    let mut components: Vec<(String, u64)> = sbom["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["purl"].as_str().unwrap().to_string(),
                c["layer"].as_u64().unwrap_or(u64::MAX),
            )
        })
        .collect();
    components.sort();
    (
        components,
        sbom["image"]["layers"].clone(),
        sbom["image"]["manifest_digest"].clone(),
    )
}

/// An OCI layout whose `index.json` points at one nested index holding `layout`'s manifests,
/// so that `skopeo copy --all` pushes the whole multi-platform index.
fn nested_index_layout(layout: &Path, out: &Path) -> String {
    let index = std::fs::read(layout.join("index.json")).unwrap();
    let digest = format!("sha256:{}", hex::encode(sha2::Sha256::digest(&index)));
    let blobs = out.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    for entry in std::fs::read_dir(layout.join("blobs/sha256")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), blobs.join(entry.file_name())).unwrap();
    }
    std::fs::write(blobs.join(&digest["sha256:".len()..]), &index).unwrap();
    std::fs::write(out.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    std::fs::write(
        out.join("index.json"),
        format!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{{"mediaType":"application/vnd.oci.image.index.v1+json","size":{},"digest":"{digest}"}}]}}"#,
            index.len()
        ),
    )
    .unwrap();
    digest
}

#[test]
fn pull_from_a_tls_registry_with_basic_auth_equals_the_layout() {
    let Some(images) = support::test_images() else {
        return;
    };
    let Some(registry) = Registry::start() else {
        return;
    };
    let layout = images.join("multilayer/oci");
    registry.push(&layout, "test/multilayer", "v1");
    let local = registry.sbom(&["sbom", &format!("oci-dir:{}", path_str(&layout))]);
    let expected = essence(&local);
    let digest = local["image"]["manifest_digest"]
        .as_str()
        .unwrap()
        .to_string();

    let bare = format!("{}/test/multilayer:v1", registry.host);
    for source in [
        bare.clone(),
        format!("registry:{bare}"),
        format!("registry:{}/test/multilayer@{digest}", registry.host),
        format!("docker://{bare}"),
    ] {
        let pulled = registry.sbom(&["sbom", &source]);
        assert_eq!(
            essence(&pulled),
            expected,
            "{source} gives what the layout gives"
        );
        assert_eq!(pulled["source"]["scheme"], "registry");
    }
    let pulled = registry.sbom(&["sbom", &bare]);
    assert_eq!(pulled["source"]["location"], bare.as_str());

    // Docker schema 2 (what `docker push` writes): the same packages in the same layers.
    run(Command::new("skopeo").args([
        "copy",
        "--quiet",
        "--format",
        "v2s2",
        "--dest-cert-dir",
        &path_str(&registry.path("certs")),
        "--dest-creds",
        &format!("{USER}:{PASSWORD}"),
        &format!("oci:{}", path_str(&layout)),
        &format!("docker://{}/test/docker-v2:v1", registry.host),
    ]));
    let docker = registry.sbom(&[
        "sbom",
        &format!("registry:{}/test/docker-v2:v1", registry.host),
    ]);
    assert_eq!(
        essence(&docker).0,
        expected.0,
        "schema 2 gives the same components"
    );

    // Nothing is written to disk without --cache: an empty home, temp dir and working dir
    // stay empty.
    let scratch = tempfile::tempdir().unwrap();
    for sub in ["home", "tmp", "cwd"] {
        std::fs::create_dir_all(scratch.path().join(sub)).unwrap();
    }
    let out = Command::new(env!("CARGO_BIN_EXE_onus"))
        .args(["sbom", &bare, "-o", "/dev/null"])
        .current_dir(scratch.path().join("cwd"))
        .env("HOME", scratch.path().join("home"))
        .env("TMPDIR", scratch.path().join("tmp"))
        .env("XDG_CACHE_HOME", scratch.path().join("home/.cache"))
        .env("ONUS_NO_PROGRESS", "1")
        .env("DOCKER_CONFIG", registry.path("good"))
        .env("ONUS_REGISTRY_CA", registry.path("ca.crt"))
        .env_remove("ONUS_CACHE")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for sub in ["home", "tmp", "cwd"] {
        let left: Vec<_> = std::fs::read_dir(scratch.path().join(sub))
            .unwrap()
            .collect();
        assert!(left.is_empty(), "{sub} was written to: {left:?}");
    }
}

#[test]
fn a_multi_platform_index_pulls_each_platform_as_the_layout_does() {
    let Some(base) = apko("base_image") else {
        return;
    };
    let Some(registry) = Registry::start() else {
        return;
    };
    let layout = PathBuf::from(base.trim_start_matches("oci-dir:"));
    let nested = registry.path("nested");
    nested_index_layout(&layout, &nested);
    registry.push(&nested, "apko/base", "multi");
    let reference = format!("registry:{}/apko/base:multi", registry.host);
    for platform in ["linux/amd64", "linux/arm64"] {
        let local = registry.sbom(&["sbom", &base, "--platform", platform]);
        let pulled = registry.sbom(&["sbom", &reference, "--platform", platform]);
        assert_eq!(essence(&pulled), essence(&local), "{platform}");
        assert_eq!(pulled["source"]["platform"], platform);
    }
}

#[test]
fn wrong_credentials_unknown_ca_and_missing_tags_exit_2_and_say_why() {
    let Some(images) = support::test_images() else {
        return;
    };
    let Some(registry) = Registry::start() else {
        return;
    };
    registry.push(&images.join("distroless/oci"), "test/distroless", "v1");
    let source = format!("registry:{}/test/distroless:v1", registry.host);

    let out = registry.onus("wrong", &["sbom", &source]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(out.stdout.is_empty());
    assert!(
        stderr.contains("authentication to") && stderr.contains("failed"),
        "{stderr}"
    );
    assert!(stderr.contains(&registry.host), "{stderr}");
    assert!(!stderr.contains("not-the-password") && !stderr.contains(PASSWORD));

    let out = registry.onus("nobody", &["sbom", &source]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("none are configured"), "{stderr}");

    // Without the CA: the certificate is the problem, and the message says how to fix it.
    let out = Command::new(env!("CARGO_BIN_EXE_onus"))
        .args(["sbom", &source])
        .env("ONUS_NO_PROGRESS", "1")
        .env("DOCKER_CONFIG", registry.path("good"))
        .env_remove("ONUS_REGISTRY_CA")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--registry-ca"), "{stderr}");

    let out = registry.onus(
        "good",
        &[
            "sbom",
            &format!("registry:{}/test/distroless:nope", registry.host),
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("test/distroless:nope") && stderr.contains("404"),
        "{stderr}"
    );
}

#[test]
fn scan_works_on_a_registry_reference() {
    let Some(images) = support::test_images() else {
        return;
    };
    let Some(registry) = Registry::start() else {
        return;
    };
    registry.push(&images.join("multilayer/oci"), "test/app", "v1");
    let report = registry.sbom(&[
        "scan",
        &format!("{}/test/app:v1", registry.host),
        "--base-layers",
        "3",
        "--format",
        "json",
    ]);
    assert_eq!(report["source"]["scheme"], "registry");
    assert!(!report["components"].as_array().unwrap().is_empty());
}

#[test]
fn diff_compares_a_layout_with_a_registry_image() {
    let Some(images) = support::test_images() else {
        return;
    };
    let Some(db) = crate::common::store() else {
        return;
    };
    let Some(registry) = Registry::start() else {
        return;
    };
    registry.push(&images.join("multilayer/oci"), "test/app", "v2");
    let from = format!("oci-dir:{}", path_str(&images.join("distroless/oci")));
    let to = format!("{}/test/app:v2", registry.host);
    let db = path_str(&db);
    let common = ["--db", db.as_str(), "--now", crate::common::NOW];
    let mut args = vec!["diff", from.as_str(), to.as_str(), "--format", "json"];
    args.extend(common);
    let diff = registry.sbom(&args);
    assert_eq!(diff["schema"], "onus.diff/v1");
    assert_eq!(diff["to"]["source"], to.as_str());
    // multilayer is distroless's three layers plus five.
    assert_eq!(diff["layers"]["shared_layers"], 3);
    assert_eq!(diff["layers"]["to_layers"], 8);
    assert!(diff["components"]["removed"].as_array().unwrap().is_empty());
    let added = diff["components"]["added"].as_array().unwrap();
    assert!(added.iter().any(|c| c["name"] == "lodash"), "{added:?}");
    let introduced = diff["findings"]["introduced"].as_array().unwrap();
    assert!(!introduced.is_empty());
    for f in introduced {
        assert!(f["rule"].as_str().unwrap().starts_with("R-MOVE-"), "{f}");
    }

    // An image against itself: nothing changed.
    let mut args = vec!["diff", to.as_str(), to.as_str(), "--format", "json"];
    args.extend(common);
    let same = registry.sbom(&args);
    for list in [
        &same["components"]["added"],
        &same["components"]["removed"],
        &same["findings"]["fixed"],
        &same["findings"]["introduced"],
    ] {
        assert!(list.as_array().unwrap().is_empty(), "{same}");
    }

    let mut args = vec!["diff", from.as_str(), to.as_str(), "--format", "markdown"];
    args.extend(common);
    let out = registry.onus("good", &args);
    assert_eq!(out.status.code(), Some(0));
    let md = String::from_utf8(out.stdout).unwrap();
    assert!(md.starts_with("## onus diff"), "{md}");
    assert!(
        md.contains("### Introduced") && md.contains("| id | package |"),
        "{md}"
    );
}

#[test]
fn pin_checks_writes_and_updates_references_against_the_registry() {
    let Some(images) = support::test_images() else {
        return;
    };
    let Some(registry) = Registry::start() else {
        return;
    };
    registry.push(&images.join("distroless/oci"), "test/base", "v1");
    registry.push(&images.join("minbase/oci"), "test/tools", "v1");
    let host = &registry.host;
    let project = registry.path("project");
    std::fs::create_dir_all(project.join("deploy")).unwrap();
    let dockerfile = format!(
        "# syntax=docker/dockerfile:1\nARG BASE={host}/test/base:v1\n\nFROM --platform=$BUILDPLATFORM {host}/test/tools:v1 AS build\n# build it\nRUN --mount=type=cache,target=/root/.cache \\\n    make\nFROM ${{BASE}}\nCOPY --from=build /out /app\nCOPY --from={host}/test/tools:v1 /bin/sh /bin/sh\n"
    );
    let k8s = format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: app # the app\nspec:\n  initContainers:\n    - name: init\n      image: {host}/test/tools:v1\n  containers:\n    - name: app\n      image: \"{host}/test/base:v1\"  # keep quoted\n---\napiVersion: batch/v1\nkind: Job\nspec:\n  template:\n    spec:\n      containers:\n        - image: {host}/test/base:v1\n"
    );
    let compose =
        format!("services:\n  app:\n    image: {host}/test/base:v1\n    ports: [\"8080:8080\"]\n");
    std::fs::write(project.join("Dockerfile"), &dockerfile).unwrap();
    std::fs::write(project.join("deploy/pod.yaml"), &k8s).unwrap();
    std::fs::write(project.join("compose.yml"), &compose).unwrap();
    let dir = path_str(&project);

    let out = registry.onus("good", &["pin", &dir, "--check"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "unpinned references fail --check"
    );
    let listing = String::from_utf8_lossy(&out.stdout);
    assert!(
        listing.contains("Dockerfile:2") && listing.contains("pod.yaml:8"),
        "{listing}"
    );
    assert!(listing.contains("7 references, 7 unpinned"), "{listing}");

    let digest_of = |repo: &str| -> String {
        registry.sbom(&["sbom", &format!("registry:{host}/{repo}:v1")])["image"]["manifest_digest"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (base, tools) = (digest_of("test/base"), digest_of("test/tools"));
    let out = registry.onus("good", &["pin", &dir, "--write"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pinned_docker = std::fs::read_to_string(project.join("Dockerfile")).unwrap();
    assert_eq!(
        pinned_docker,
        dockerfile
            .replace(
                &format!("{host}/test/base:v1"),
                &format!("{host}/test/base:v1@{base}")
            )
            .replace(
                &format!("{host}/test/tools:v1"),
                &format!("{host}/test/tools:v1@{tools}")
            )
    );
    let pinned_k8s = std::fs::read_to_string(project.join("deploy/pod.yaml")).unwrap();
    assert!(pinned_k8s.contains(&format!(
        "image: \"{host}/test/base:v1@{base}\"  # keep quoted"
    )));
    assert!(pinned_k8s.contains("name: app # the app"));
    let snapshot = |p: &Path| std::fs::read(p).unwrap();
    let before: Vec<Vec<u8>> = ["Dockerfile", "deploy/pod.yaml", "compose.yml"]
        .iter()
        .map(|f| snapshot(&project.join(f)))
        .collect();
    let out = registry.onus("good", &["pin", &dir, "--write"]);
    assert_eq!(out.status.code(), Some(0));
    let after: Vec<Vec<u8>> = ["Dockerfile", "deploy/pod.yaml", "compose.yml"]
        .iter()
        .map(|f| snapshot(&project.join(f)))
        .collect();
    assert_eq!(before, after, "--write twice gives identical files");
    assert_eq!(
        registry
            .onus("good", &["pin", &dir, "--check"])
            .status
            .code(),
        Some(0)
    );

    // The tag moves to another build: --update follows it and says so.
    registry.push(&images.join("multilayer/oci"), "test/base", "v1");
    let moved = digest_of("test/base");
    assert_ne!(moved, base);
    let out = registry.onus("good", &["pin", &dir, "--update", "--format", "json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let outcomes: Value = serde_json::from_slice(&out.stdout).unwrap();
    let moves: Vec<&Value> = outcomes
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["state"] == "moved")
        .collect();
    assert_eq!(moves.len(), 4, "{outcomes}");
    assert!(moves
        .iter()
        .all(|o| o["from"] == base.as_str() && o["to"] == moved.as_str()));
    assert!(std::fs::read_to_string(project.join("compose.yml"))
        .unwrap()
        .contains(&format!("{host}/test/base:v1@{moved}")));
}

#[test]
fn a_blob_cache_fetches_shared_layers_once() {
    let Some(images) = support::test_images() else {
        return;
    };
    let Some(registry) = Registry::start() else {
        return;
    };
    // multilayer is distroless's three layers (byte-identical) plus five.
    registry.push(&images.join("distroless/oci"), "test/base", "v1");
    registry.push(&images.join("multilayer/oci"), "test/app", "v1");
    let cache = registry.path("cache");
    let cache_arg = path_str(&cache);
    let base = format!("registry:{}/test/base:v1", registry.host);
    let app = format!("registry:{}/test/app:v1", registry.host);

    registry.sbom(&["sbom", &base, "--cache", &cache_arg]);
    assert_eq!(
        registry.blob_requests("test/base"),
        4,
        "config and three layers"
    );
    let cached = registry.sbom(&["sbom", &app, "--cache", &cache_arg]);
    assert_eq!(
        registry.blob_requests("test/app"),
        6,
        "only the config and the five new layers are fetched"
    );
    let uncached = registry.sbom(&["sbom", &app]);
    assert_eq!(essence(&cached), essence(&uncached));

    // Every cache entry is a whole, verified blob; no partial files are left.
    let blobs = cache.join("blobs/sha256");
    let names: Vec<String> = std::fs::read_dir(&blobs)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 10, "{names:?}");
    for name in names {
        let bytes = std::fs::read(blobs.join(&name)).unwrap();
        assert_eq!(hex::encode(sha2::Sha256::digest(&bytes)), name);
    }
}

#[test]
fn a_pinned_image_whose_tag_moved_says_a_newer_build_exists() {
    let Some(images) = support::test_images() else {
        return;
    };
    let Some(db) = crate::common::store() else {
        return;
    };
    let Some(registry) = Registry::start() else {
        return;
    };
    let host = &registry.host;
    registry.push(&images.join("distroless/oci"), "test/aging", "v1");
    let old = registry.sbom(&["sbom", &format!("registry:{host}/test/aging:v1")])["image"]
        ["manifest_digest"]
        .as_str()
        .unwrap()
        .to_string();
    let pinned = format!("registry:{host}/test/aging:v1@{old}");
    let fresh = registry.sbom(&["sbom", &pinned]);
    assert!(
        fresh["image"]["newer_build"].is_null(),
        "the tag has not moved"
    );

    registry.push(&images.join("runtimes/oci"), "test/aging", "v1");
    let db = path_str(&db);
    let report = registry.sbom(&[
        "scan",
        &pinned,
        "--base-layers",
        "3",
        "--db",
        &db,
        "--now",
        crate::common::NOW,
        "--format",
        "json",
    ]);
    let newer = &report["image"]["newer_build"];
    assert_eq!(newer["reference"], format!("{host}/test/aging:v1").as_str());
    assert_ne!(newer["digest"], old.as_str());
    assert!(newer["created"].is_string(), "{newer}");
    // The image scanned is still the pinned one.
    assert_eq!(report["image"]["manifest_digest"], old.as_str());
    let updates: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "R-MOVE-2")
        .collect();
    // (The moves unit tests cover the action text; here every update names the newer build.)
    for f in updates {
        assert!(
            f["action"]
                .as_str()
                .unwrap()
                .contains("a newer build of this tag exists"),
            "{}",
            f["action"]
        );
    }
}

#[test]
fn the_bearer_token_flow_against_the_registry_behind_a_token_server() {
    let Some(images) = support::test_images() else {
        return;
    };
    let Some(registry) = Registry::start_with(true) else {
        return;
    };
    let layout = images.join("distroless/oci");
    registry.push(&layout, "test/tokened", "v1");
    let source = format!("registry:{}/test/tokened:v1", registry.host);
    let pulled = registry.sbom(&["sbom", &source]);
    let local = registry.sbom(&["sbom", &format!("oci-dir:{}", path_str(&layout))]);
    assert_eq!(essence(&pulled), essence(&local));
    let log = std::fs::read_to_string(registry.path("token.log")).unwrap();
    assert!(
        log.contains(r#"issued alice [("test/tokened", ["pull"])]"#),
        "onus asked for pull access to the repository: {log}"
    );

    let out = registry.onus("wrong", &["sbom", &source]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("token server rejected the credentials"),
        "{stderr}"
    );
    let out = registry.onus("nobody", &["sbom", &source]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("refused anonymous access"), "{stderr}");
}

/// The fleet service over HTTPS pulls images from the TLS registry itself (`POST
/// /api/v1/images`), keeps the tag's digest history, and marks the older image stale when the
/// tag moves on.
#[test]
fn the_fleet_service_pulls_from_the_registry_and_follows_a_moving_tag() {
    let Some(images) = support::test_images() else {
        return;
    };
    let Some(registry) = Registry::start() else {
        return;
    };
    let root = support::workspace_root();
    let store = registry.path("vuln.db");
    crate::common::onus_ok(
        &[
            "db",
            "build",
            "--db",
            &path_str(&store),
            "--from",
            &path_str(&root.join("examples/feeds")),
        ],
        0,
    );
    let data = format!("sqlite:{}", path_str(&registry.path("fleet.db")));
    let admin = crate::fleet::token(&data, "admin");
    let server = crate::fleet::Server::start_with_env(
        &data,
        &store,
        &[
            "--tls-cert",
            &path_str(&registry.path("server.crt")),
            "--tls-key",
            &path_str(&registry.path("server.key")),
        ],
        &[
            ("DOCKER_CONFIG", registry.path("good")),
            ("ONUS_REGISTRY_CA", registry.path("ca.crt")),
        ],
    );
    assert!(server.url.starts_with("https://"), "{}", server.url);

    // A client that trusts the test CA.
    let mut roots = rustls::RootCertStore::empty();
    let ca = std::fs::read(registry.path("ca.crt")).unwrap();
    for cert in
        <rustls_pki_types::CertificateDer as rustls_pki_types::pem::PemObject>::pem_slice_iter(&ca)
    {
        roots.add(cert.unwrap()).unwrap();
    }
    let tls = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let agent = ureq::AgentBuilder::new()
        .tls_config(std::sync::Arc::new(tls))
        .timeout(Duration::from_secs(120))
        .build();
    let call = |method: &str, path: &str, body: Option<&str>| -> (u16, Value) {
        let request = agent
            .request(method, &format!("{}{path}", server.url))
            .set("Authorization", &format!("Bearer {admin}"));
        let result = match body {
            Some(b) => request.send_string(b),
            None => request.call(),
        };
        let (status, text) = match result {
            Ok(r) => (r.status(), r.into_string().unwrap()),
            Err(ureq::Error::Status(code, r)) => (code, r.into_string().unwrap_or_default()),
            Err(e) => panic!("{method} {path}: {e}\n{}", server.log()),
        };
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    };

    let reference = format!("{}/test/fleet:v1", registry.host);
    registry.push(&images.join("multilayer/oci"), "test/fleet", "v1");
    let body = format!(r#"{{"ref":"{reference}"}}"#);
    let (status, first) = call("POST", "/api/v1/images", Some(&body));
    assert_eq!(status, 201, "{first}\n{}", server.log());
    let first_digest = first["digest"].as_str().unwrap().to_string();

    // The tag moves on to another image.
    registry.push(&images.join("runtimes/oci"), "test/fleet", "v1");
    let (status, second) = call("POST", "/api/v1/images", Some(&body));
    assert_eq!(status, 201, "{second}");
    assert_ne!(second["digest"], first_digest.as_str());

    let (_, summary) = call("GET", "/api/v1/summary", None);
    assert_eq!(
        (summary["images"].clone(), summary["stale_images"].clone()),
        (2.into(), 1.into()),
        "{summary}"
    );
    let (_, list) = call("GET", "/api/v1/images", None);
    let old = list["images"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["digest"] == first_digest.as_str())
        .unwrap();
    assert_eq!(old["stale"], true);
    assert_eq!(old["refs"], serde_json::json!([reference]));
    let (_, events) = call("GET", "/api/v1/events", None);
    assert!(
        events["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "tag_moved" && e["digest"] == second["digest"]),
        "{events}"
    );
    // An unreachable reference is a JSON error, not a crash.
    let (status, error) = call(
        "POST",
        "/api/v1/images",
        Some(&format!(r#"{{"ref":"{}/test/missing:v1"}}"#, registry.host)),
    );
    assert_eq!(
        (status, error["error"]["code"].as_str()),
        (502, Some("pull_failed")),
        "{error}"
    );
    // Under TLS the dashboard's cookies are `Secure`.
    let signin = agent.get(&format!("{}/signin", server.url)).call().unwrap();
    let cookie = signin.header("set-cookie").unwrap_or("").to_string();
    assert!(
        cookie.contains("; Secure") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
}
