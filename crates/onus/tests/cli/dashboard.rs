//! The fleet dashboard in a real browser: Debian's chromium driven through chromedriver
//! (WebDriver) against `onus serve` seeded with the test images and one hostile SBOM, on SQLite
//! and on PostgreSQL. Each page is checked in the DOM (the pyramids' counts against the API's,
//! a filter narrowing the image list, a link leading to the right image), screenshotted at
//! desktop and phone widths, and checked by axe-core (from the npm registry, installed by
//! `.ci/run` under `tests/browser`) for serious or critical violations. The hostile SBOM's
//! markup, quotes and terminal escapes must come out as text on every page that shows them.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

use crate::common::{onus_ok, path_str};
use crate::fleet::{call, fixture, token, Server};
use crate::postgres::Cluster;
use crate::support;

/// Markup, quotes and a terminal escape, in every field the hostile SBOM controls.
const HOSTILE: &str =
    "<img src=x onerror=\"window.__pwned=1\"><script>window.__pwned=2</script>'\"\u{1b}[31m";

/// chromedriver on a free loopback port, stopped on drop.
struct Driver {
    child: Child,
    url: String,
    _profile: tempfile::TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Start chromedriver, or say why not (a failure where `ONUS_REQUIRE_BROWSER` is set).
fn driver() -> Option<Driver> {
    let found = ["/usr/bin/chromedriver", "/usr/bin/chromium"]
        .iter()
        .all(|p| Path::new(p).exists());
    if !found {
        assert!(
            std::env::var_os("ONUS_REQUIRE_BROWSER").is_none(),
            "ONUS_REQUIRE_BROWSER is set but chromium or chromedriver is missing"
        );
        eprintln!("skipping the dashboard browser tests: chromium and chromedriver are not installed (Debian: chromium, chromium-driver)");
        return None;
    }
    let port = free_port();
    let child = Command::new("/usr/bin/chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while ureq::get(&format!("{url}/status")).call().is_err() {
        assert!(Instant::now() < deadline, "chromedriver did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    Some(Driver {
        child,
        url,
        _profile: tempfile::tempdir().unwrap(),
    })
}

async fn browser(driver: &Driver) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".to_string(),
        json!({
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--hide-scrollbars",
                format!("--user-data-dir={}", path_str(driver._profile.path())),
            ]
        }),
    );
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    ClientBuilder::new(connector)
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .unwrap()
}

/// The app's SBOM with markup in its source, OS name, layer commands and a component's name,
/// version and paths, under a digest of its own.
fn hostile_sbom(dir: &Path) -> (Vec<u8>, String) {
    let root = support::workspace_root();
    let out = dir.join("hostile.sbom.json");
    onus_ok(
        &[
            "sbom",
            &format!("oci-dir:{}", path_str(&root.join("examples/images/app"))),
            "-f",
            "json",
            "-o",
            &path_str(&out),
        ],
        0,
    );
    let mut sbom: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let digest = format!("sha256:{}", "ab".repeat(32));
    sbom["image"]["manifest_digest"] = json!(digest);
    sbom["source"]["location"] = json!(format!("registry.example/hostile{HOSTILE}"));
    sbom["image"]["os"]["pretty_name"] = json!(format!("Wolfi {HOSTILE}"));
    for layer in sbom["image"]["layers"].as_array_mut().unwrap() {
        layer["created_by"] = json!(format!("RUN echo {HOSTILE}"));
    }
    let mut evil = sbom["components"][0].clone();
    evil["name"] = json!(format!("evil{HOSTILE}"));
    evil["version"] = json!(format!("1.0{HOSTILE}"));
    evil["purl"] = json!("pkg:apk/wolfi/evil%3Cimg%20src%3Dx%3E@1.0?arch=x86_64");
    evil["locations"] = json!([format!("/usr/lib/{HOSTILE}")]);
    evil["files"] = json!([format!("/usr/bin/{HOSTILE}")]);
    sbom["components"].as_array_mut().unwrap().push(evil);
    (serde_json::to_vec(&sbom).unwrap(), digest)
}

/// Page timings and checks, written beside the screenshots for the closing note.
struct Evidence {
    dir: PathBuf,
    lines: Vec<String>,
}

impl Evidence {
    fn new(backend: &str) -> Evidence {
        let dir = support::workspace_root()
            .join("target/dashboard-screenshots")
            .join(backend);
        std::fs::create_dir_all(&dir).unwrap();
        Evidence {
            dir,
            lines: Vec::new(),
        }
    }
}

impl Drop for Evidence {
    fn drop(&mut self) {
        let _ = std::fs::write(self.dir.join("checks.txt"), self.lines.join("\n") + "\n");
    }
}

/// Nothing injected: no element or handler from the hostile text, no script ran.
async fn assert_no_injection(client: &Client, page: &str) {
    let found = client
        .execute(
            r#"return {
                pwned: window.__pwned === undefined ? null : String(window.__pwned),
                images: document.querySelectorAll('img').length,
                inline_scripts: document.querySelectorAll('script:not([src])').length,
                handlers: document.querySelectorAll('[onerror],[onload],[onclick]').length
            };"#,
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        found,
        json!({"pwned": null, "images": 0, "inline_scripts": 0, "handlers": 0}),
        "{page}: injected content"
    );
}

/// Run axe-core on the page: no serious or critical violation.
async fn assert_accessible(client: &Client, page: &str, axe: &str, evidence: &mut Evidence) {
    client.execute(axe, vec![]).await.unwrap();
    let result = client
        .execute_async(
            r#"const done = arguments[arguments.length - 1];
               axe.run(document, {resultTypes: ['violations']}).then(
                 r => done(r.violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.length}))),
                 e => done([{id: 'axe-error', impact: 'critical', nodes: 0, error: String(e)}]));"#,
            vec![],
        )
        .await
        .unwrap();
    let violations = result.as_array().cloned().unwrap_or_default();
    evidence
        .lines
        .push(format!("axe {page}: {}", Value::Array(violations.clone())));
    let bad: Vec<&Value> = violations
        .iter()
        .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
        .collect();
    assert!(bad.is_empty(), "{page}: axe found {bad:?}");
}

async fn screenshot(client: &Client, name: &str, evidence: &Evidence) {
    for (width, height, label) in [(1280, 900, "desktop"), (390, 844, "phone")] {
        client.set_window_size(width, height).await.unwrap();
        let png = client.screenshot().await.unwrap();
        std::fs::write(evidence.dir.join(format!("{name}-{label}.png")), png).unwrap();
    }
    client.set_window_size(1280, 900).await.unwrap();
}

/// The text of the first element matching `css`, waiting for it (a click may still be loading
/// the next page).
async fn text_of(client: &Client, css: &str) -> String {
    client
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css(css))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// Wait until the browser's address satisfies `ok` (a click's navigation has finished).
async fn wait_for_url(client: &Client, ok: impl Fn(&str, &str) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let url = client.current_url().await.unwrap();
        let ready = client
            .execute("return document.readyState;", vec![])
            .await
            .unwrap();
        if ok(url.path(), url.query().unwrap_or("")) && ready == json!("complete") {
            return;
        }
        assert!(Instant::now() < deadline, "still at {url}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The numbers in the pyramids' bands, per pyramid and tier.
async fn pyramid_counts(client: &Client) -> Vec<(String, String, i64)> {
    let bands = client
        .execute(
            r#"return Array.from(document.querySelectorAll('[data-tier]')).map(g =>
                 [g.closest('[data-pyramid]').getAttribute('data-pyramid'),
                  g.getAttribute('data-tier'), Number(g.getAttribute('data-open'))]);"#,
            vec![],
        )
        .await
        .unwrap();
    bands
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b[0].as_str().unwrap().to_string(),
                b[1].as_str().unwrap().to_string(),
                b[2].as_i64().unwrap(),
            )
        })
        .collect()
}

fn dashboard(backend: &str, data: &str) {
    let Some(driver) = driver() else { return };
    let axe_path = support::workspace_root().join("tests/browser/node_modules/axe-core/axe.min.js");
    let Ok(axe) = std::fs::read_to_string(&axe_path) else {
        assert!(
            std::env::var_os("ONUS_REQUIRE_BROWSER").is_none(),
            "ONUS_REQUIRE_BROWSER is set but {} is missing (npm ci --prefix tests/browser)",
            axe_path.display()
        );
        eprintln!("skipping the dashboard browser tests: axe-core is not installed (npm ci --prefix tests/browser)");
        return;
    };
    let fx = fixture();
    let work = tempfile::tempdir_in(fx.dir.path()).unwrap();
    let store = work.path().join("vuln.db");
    std::fs::copy(&fx.store_a, &store).unwrap();
    let admin = token(data, "admin");
    let read = token(data, "read");
    let submit_only = token(data, "submit");
    let server = Server::start(data, &store, &["--poll", "1h"]);
    let api = format!("{}/api/v1", server.url);

    // Seed: every test image; the base and then the application under one tag (so the
    // application's page has a previous digest to compare with); the hostile SBOM.
    let mut digests = Vec::new();
    for (i, report) in fx.reports.iter().enumerate() {
        let body = std::fs::read(report).unwrap();
        let reference = match i {
            0 | 1 => "registry.example/shop/app:1".to_string(),
            n => format!("registry.example/fleet/image-{n}:latest"),
        };
        let (status, body) = call(
            "POST",
            &format!("{api}/reports?ref={reference}"),
            Some(&admin),
            Some(&body),
        );
        assert!(status == 201 || status == 200, "{status} {body}");
        digests.push(body["digest"].as_str().unwrap().to_string());
    }
    // The base went in second: submit the application again so the tag ends on it.
    let (status, _) = call(
        "POST",
        &format!("{api}/reports?ref=registry.example/shop/app:1"),
        Some(&admin),
        Some(&std::fs::read(&fx.reports[0]).unwrap()),
    );
    assert_eq!(status, 200);
    let (hostile, hostile_digest) = hostile_sbom(work.path());
    let (status, body) = call(
        "POST",
        &format!("{api}/reports?ref=registry.example/hostile:1"),
        Some(&admin),
        Some(&hostile),
    );
    assert_eq!(status, 201, "{body}");

    let mut evidence = Evidence::new(backend);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let client = browser(&driver).await;
        let base = server.url.clone();

        // Signed out: every page is the sign-in page.
        for path in ["/", "/moves", "/images", &format!("/images/{}", digests[0])] {
            client.goto(&format!("{base}{path}")).await.unwrap();
            let url = client.current_url().await.unwrap();
            assert_eq!(url.path(), "/signin", "{path} while signed out");
            assert!(client.find(Locator::Css("main nav, .nav")).await.is_err());
        }
        assert_accessible(&client, "signin", &axe, &mut evidence).await;
        screenshot(&client, "signin", &evidence).await;

        // A token without the read scope, then a wrong one, are refused; the read token signs in.
        for wrong in [submit_only.as_str(), "onus_0123456789abcdef_nope"] {
            client.goto(&format!("{base}/signin")).await.unwrap();
            client.find(Locator::Id("token")).await.unwrap().send_keys(wrong).await.unwrap();
            client.find(Locator::Css("form button")).await.unwrap().click().await.unwrap();
            assert!(text_of(&client, ".error").await.contains("read scope"));
        }
        client.goto(&format!("{base}/signin")).await.unwrap();
        client.find(Locator::Id("token")).await.unwrap().send_keys(&read).await.unwrap();
        client.find(Locator::Css("form button")).await.unwrap().click().await.unwrap();
        text_of(&client, ".kpis").await;
        assert_eq!(client.current_url().await.unwrap().path(), "/");

        // Overview: the pyramids and the KPI agree with the API.
        let summary = call("GET", &format!("{api}/summary"), Some(&read), None).1;
        let open: i64 = summary["open_by_move"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["count"].as_i64().unwrap())
            .sum();
        let kpi = text_of(&client, ".kpis .kpi:nth-child(2) .n").await;
        assert_eq!(kpi, open.to_string(), "open findings KPI");
        let bands = pyramid_counts(&client).await;
        assert!(bands.len() >= 7, "{bands:?}");
        for tier in ["System", "Toolchain"] {
            let drawn: i64 = bands.iter().filter(|b| b.1 == tier).map(|b| b.2).sum();
            let api_count: i64 = summary["open_by_owner"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|c| c["tier"] == tier)
                .map(|c| c["count"].as_i64().unwrap())
                .sum();
            assert_eq!(drawn, api_count, "{tier}: pyramids against /summary");
        }
        let all_drawn: i64 = bands.iter().map(|b| b.2).sum();
        assert!(all_drawn <= open && all_drawn > 0, "{all_drawn} of {open}");
        evidence
            .lines
            .push(format!("overview: {open} open findings, pyramid bands {bands:?}"));
        assert_no_injection(&client, "overview").await;
        assert_accessible(&client, "overview", &axe, &mut evidence).await;
        screenshot(&client, "overview", &evidence).await;

        // Every page loads, shows no injected content and passes axe.
        let pages = [
            ("moves", "/moves".to_string()),
            ("vendor", "/vendor".to_string()),
            ("upstream", "/upstream".to_string()),
            ("images", "/images".to_string()),
            ("image-app", format!("/images/{}", digests[0])),
            ("image-hostile", format!("/images/{hostile_digest}")),
            (
                "package-hostile",
                "/package?purl=pkg%3Aapk%2Fwolfi%2Fevil%253Cimg%2520src%253Dx%253E%401.0%3Farch%3Dx86_64".to_string(),
            ),
            ("search-hostile", "/search?q=evil".to_string()),
        ];
        for (name, path) in &pages {
            client.goto(&format!("{base}{path}")).await.unwrap();
            let title = client.title().await.unwrap();
            assert!(!title.contains("Not found"), "{name}: {title}");
            assert_no_injection(&client, name).await;
            assert_accessible(&client, name, &axe, &mut evidence).await;
            screenshot(&client, name, &evidence).await;
        }

        // The hostile text is shown as text where it appears.
        client.goto(&format!("{base}/images/{hostile_digest}")).await.unwrap();
        let body = text_of(&client, "main").await;
        assert!(body.contains("<script>window.__pwned=2</script>"), "hostile text not shown");
        assert!(!body.contains('\u{1b}'), "a terminal escape reached the page");

        // The application's page compares with the tag's previous digest (the base).
        client.goto(&format!("{base}/images/{}", digests[0])).await.unwrap();
        let main = text_of(&client, "main").await;
        assert!(main.contains("registry.example/shop/app:1: from"), "{main}");
        let layers = text_of(&client, "main").await;
        assert!(layers.contains("RUN pip install requests==2.19.1"));

        // A filter narrows the image list; a link leads to the right image.
        client.goto(&format!("{base}/images")).await.unwrap();
        let all_rows = client.find_all(Locator::Css("#images tbody tr")).await.unwrap().len();
        client.find(Locator::Id("img-text")).await.unwrap().send_keys("image-2").await.unwrap();
        client.find(Locator::Css("form.filters button")).await.unwrap().click().await.unwrap();
        wait_for_url(&client, |_, q| q.contains("text=image-2")).await;
        assert_eq!(text_of(&client, "#images-count").await, "1 image match");
        let rows = client.find_all(Locator::Css("#images tbody tr")).await.unwrap();
        assert!(rows.len() == 1 && all_rows > 1, "{} of {all_rows}", rows.len());
        client
            .find(Locator::Css("#images tbody tr a"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let image_path = format!("/images/{}", digests[2]);
        wait_for_url(&client, |p, _| p == image_path).await;
        assert!(text_of(&client, "main").await.contains("registry.example/fleet/image-2:latest"));

        // Search: an id goes to its vulnerability page.
        let report = call("GET", &format!("{api}/images/{}", digests[0]), Some(&read), None).1;
        let id = report["findings"][0]["id"].as_str().unwrap();
        client.goto(&format!("{base}/")).await.unwrap();
        client.find(Locator::Id("q")).await.unwrap().send_keys(id).await.unwrap();
        client.find(Locator::Css("form.search button")).await.unwrap().click().await.unwrap();
        wait_for_url(&client, |p, _| p == "/vulnerability").await;
        assert!(text_of(&client, "h1").await.contains(id));

        // Every state-changing form carries a CSRF token; sign-out ends the session.
        let forms_without = client
            .execute(
                r#"return Array.from(document.querySelectorAll('form[method=post]'))
                     .filter(f => !f.querySelector('input[name=csrf]')).length;"#,
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(forms_without, json!(0));
        client
            .find(Locator::Css("form[action='/signout'] button"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        wait_for_url(&client, |p, _| p == "/signin").await;
        client.goto(&format!("{base}/moves")).await.unwrap();
        assert_eq!(client.current_url().await.unwrap().path(), "/signin");
        client.close().await.unwrap();
    });

    // Without the browser: a sign-out without the CSRF token is refused, the headers are set.
    let response = ureq::get(&format!("{}/signin", server.url)).call().unwrap();
    let csp = response.header("content-security-policy").unwrap_or("");
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    let cookie = response.header("set-cookie").unwrap_or("");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let forged = ureq::post(&format!("{}/signin", server.url))
        .send_form(&[("csrf", "0123"), ("token", read.as_str())]);
    assert!(
        matches!(forged, Err(ureq::Error::Status(403, _))),
        "sign-in without the form's CSRF cookie"
    );
}

#[test]
fn dashboard_in_a_browser_on_sqlite() {
    let fx = fixture();
    let work = tempfile::tempdir_in(fx.dir.path()).unwrap();
    let data = format!("sqlite:{}", path_str(&work.path().join("fleet.db")));
    dashboard("sqlite", &data);
}

#[test]
fn dashboard_in_a_browser_on_postgres() {
    let Some(cluster) = Cluster::start() else {
        return;
    };
    dashboard("postgres", &cluster.database());
}
