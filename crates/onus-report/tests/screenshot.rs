//! Renders the HTML report in headless Chromium and checks that a real page came out.
//! Skipped with a message when `chromium` is not installed (CI installs it). Set
//! `ONUS_SCREENSHOT_OUT=<dir>` to keep the HTML and the PNG for a look.
#![allow(clippy::unwrap_used, clippy::print_stderr)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use onus_report::{render_report, ReportFormat};

fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| ["chromium", "chromium-browser"].map(|name| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// Run Chromium until it exits; a hung browser is killed after a generous grace period so the
/// test fails instead of blocking (this is a guard, not a timed assertion).
fn screenshot(browser: &Path, html: &Path, png: &Path, profile: &Path) -> std::process::ExitStatus {
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", png.display()))
        .arg("--window-size=1280,2000")
        .arg(format!("file://{}", html.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if start.elapsed() > Duration::from_secs(300) {
            let _ = child.kill();
            return child.wait().unwrap();
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn html_report_renders_in_chromium() {
    let Some(browser) = chromium() else {
        eprintln!("skipping: chromium not found on PATH (apt-get install chromium)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("report.html");
    let png = dir.path().join("report.png");
    let profile = dir.path().join("profile");
    std::fs::create_dir_all(&profile).unwrap();
    let mut out = Vec::new();
    render_report(&common::report(), ReportFormat::Html, &mut out).unwrap();
    std::fs::write(&html, &out).unwrap();
    let status = screenshot(&browser, &html, &png, &profile);
    assert!(status.success(), "chromium exited with {status}");
    let bytes = std::fs::read(&png).unwrap();
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    // A blank 1280x2000 page compresses to a few KB; a rendered report is far larger.
    assert!(
        bytes.len() > 40_000,
        "screenshot too small to be a rendered page: {} bytes",
        bytes.len()
    );
    if let Some(keep) = std::env::var_os("ONUS_SCREENSHOT_OUT") {
        let keep = PathBuf::from(keep);
        std::fs::create_dir_all(&keep).unwrap();
        std::fs::copy(&html, keep.join("report.html")).unwrap();
        std::fs::copy(&png, keep.join("report.png")).unwrap();
        // The other kinds, for a look only.
        let mut base = common::report();
        if let Some(kind) = base.image.kind.as_mut() {
            kind.value = onus_attribution::ImageKind::Base;
        }
        let mut unknown = common::report();
        unknown.image.kind = None;
        unknown.chp = None;
        unknown.eol.clear();
        for (name, report) in [("base", base), ("unknown", unknown)] {
            let mut out = Vec::new();
            render_report(&report, ReportFormat::Html, &mut out).unwrap();
            let html = keep.join(format!("report-{name}.html"));
            std::fs::write(&html, &out).unwrap();
            let profile = dir.path().join(format!("profile-{name}"));
            std::fs::create_dir_all(&profile).unwrap();
            screenshot(
                &browser,
                &html,
                &keep.join(format!("report-{name}.png")),
                &profile,
            );
        }
    }
}
