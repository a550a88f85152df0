//! Running the binary and the shared vulnerability store fixture.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use serde_json::Value;

use crate::support;

/// The date every test evaluates EOL and SLA at.
pub const NOW: &str = "2026-11-29";

/// Run `onus` with `args`; progress is off so stderr holds only warnings and errors.
pub fn onus(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_onus"))
        .args(args)
        .env("ONUS_NO_PROGRESS", "1")
        .env_remove("ONUS_DB")
        .output()
        .expect("the onus binary runs")
}

/// Run `onus`, assert exit code `code`, return stdout.
pub fn onus_ok(args: &[&str], code: i32) -> String {
    let out = onus(args);
    assert_eq!(
        out.status.code(),
        Some(code),
        "onus {args:?} exited {:?}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("stdout is UTF-8")
}

/// Run `onus` expecting success and JSON on stdout.
pub fn onus_json(args: &[&str]) -> Value {
    let stdout = onus_ok(args, 0);
    serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("onus {args:?}: stdout is not JSON: {e}\n{stdout}"))
}

/// `../shared/data/apko-images/<name>` as an `oci-dir:` source.
pub fn apko(name: &str) -> Option<String> {
    let dir = support::shared_data()?.join("apko-images").join(name);
    Some(format!("oci-dir:{}", dir.display()))
}

/// A store built once per test run from all of the shared data.
pub fn store() -> Option<PathBuf> {
    static STORE: OnceLock<Option<PathBuf>> = OnceLock::new();
    STORE
        .get_or_init(|| {
            let data = support::shared_data()?;
            let path = support::workspace_root().join("target/onus-test-store/vuln.db");
            let from = data.display().to_string();
            let db = path.display().to_string();
            onus_ok(&["db", "build", "--db", &db, "--from", &from], 0);
            Some(path)
        })
        .clone()
}

/// Components of a report or SBOM, keyed by (ecosystem, name, version).
pub fn component<'a>(doc: &'a Value, ecosystem: &str, name: &str) -> Option<&'a Value> {
    doc["components"]
        .as_array()?
        .iter()
        .find(|c| c["ecosystem"] == ecosystem && c["name"] == name)
}

pub fn path_str(path: &Path) -> String {
    path.display().to_string()
}

/// `onus scan` of a Debian test image on the distroless base, as JSON.
pub fn scan_on_distroless(images: &Path, name: &str, db: &Path) -> Value {
    let image = format!("oci-dir:{}", path_str(&images.join(name).join("oci")));
    let base = format!("oci-dir:{}", path_str(&images.join("distroless/oci")));
    onus_json(&[
        "scan",
        &image,
        "--base",
        &base,
        "--db",
        &path_str(db),
        "--now",
        NOW,
        "--format",
        "json",
    ])
}
