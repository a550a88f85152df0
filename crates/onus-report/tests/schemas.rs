//! The standard outputs validate against their official JSON schemas (read in place from the
//! shared data directory; skipped with a message when it is absent).
#![allow(clippy::unwrap_used, clippy::print_stderr)]

mod common;

use std::path::{Path, PathBuf};

use jsonschema::{Retrieve, Uri, Validator};
use onus_report::{render_report, render_sbom, ReportFormat, SbomFormat};
use serde_json::Value;

/// Resolves the CycloneDX schema's relative `$ref`s (`spdx.schema.json`,
/// `jsf-0.82.schema.json`) to the files beside it; nothing is fetched from the network.
struct LocalSchemas {
    dir: PathBuf,
}

impl Retrieve for LocalSchemas {
    fn retrieve(&self, uri: &Uri<&str>) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let name = uri
            .path()
            .as_str()
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_string();
        let file = match name.as_str() {
            "spdx.schema.json" => "cyclonedx-spdx.schema.json",
            "jsf-0.82.schema.json" => "cyclonedx-jsf-0.82.schema.json",
            _ => return Err(format!("schema `{uri}` is not available offline").into()),
        };
        let text = std::fs::read_to_string(self.dir.join(file))?;
        Ok(serde_json::from_str(&text)?)
    }
}

fn schema_dir() -> Option<PathBuf> {
    let dir = common::shared_data()?.join("schemas");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("skipping: schemas not found at {}", dir.display());
        None
    }
}

fn validator(dir: &Path, file: &str) -> Validator {
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join(file)).unwrap()).unwrap();
    jsonschema::options()
        .should_validate_formats(true)
        .with_retriever(LocalSchemas {
            dir: dir.to_path_buf(),
        })
        .build(&schema)
        .unwrap()
}

fn assert_valid(validator: &Validator, document: &[u8], what: &str) -> Value {
    let value: Value = serde_json::from_slice(document).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&value)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(
        errors.is_empty(),
        "{what} is not valid:\n{}",
        errors.join("\n")
    );
    value
}

fn sbom_output(format: SbomFormat) -> Vec<u8> {
    let mut out = Vec::new();
    render_sbom(&common::sbom(), format, &mut out).unwrap();
    out
}

fn report_output(format: ReportFormat) -> Vec<u8> {
    let mut out = Vec::new();
    render_report(&common::report(), format, &mut out).unwrap();
    out
}

#[test]
fn cyclonedx_is_valid_1_6() {
    let Some(dir) = schema_dir() else { return };
    let v = validator(&dir, "cyclonedx-bom-1.6.schema.json");
    let doc = assert_valid(
        &v,
        &sbom_output(SbomFormat::CycloneDxJson),
        "CycloneDX (sbom)",
    );
    assert_valid(
        &v,
        &report_output(ReportFormat::CycloneDxJson),
        "CycloneDX (report)",
    );
    // bom-refs are unique, and every component is listed.
    let components = doc["components"].as_array().unwrap();
    let mut refs: Vec<&str> = components
        .iter()
        .map(|c| c["bom-ref"].as_str().unwrap())
        .collect();
    let n = refs.len();
    refs.sort();
    refs.dedup();
    assert_eq!(refs.len(), n);
    assert_eq!(
        n,
        common::sbom().components.len() + 1,
        "components plus the operating system"
    );
    assert!(components.iter().any(|c| c["type"] == "operating-system"));
    assert!(components.iter().any(|c| c["type"] == "application"));
    let maven = components
        .iter()
        .find(|c| c["name"] == "commons-text")
        .unwrap();
    assert_eq!(maven["group"], "org.apache.commons");
    assert_eq!(doc["metadata"]["timestamp"], "2024-05-01T10:00:00Z");
    assert_eq!(doc["metadata"]["component"]["type"], "container");
}

#[test]
fn cyclonedx_rejects_what_it_should() {
    // The validator is really loading the referenced schemas: an unknown licence id fails.
    let Some(dir) = schema_dir() else { return };
    let v = validator(&dir, "cyclonedx-bom-1.6.schema.json");
    let bad: Value = serde_json::json!({
        "bomFormat": "CycloneDX", "specVersion": "1.6",
        "components": [{"type": "library", "name": "x", "licenses": [{"license": {"id": "Not-A-Licence"}}]}]
    });
    assert!(!v.is_valid(&bad));
    let good: Value = serde_json::json!({
        "bomFormat": "CycloneDX", "specVersion": "1.6",
        "components": [{"type": "library", "name": "x", "licenses": [{"license": {"id": "MIT"}}]}]
    });
    assert!(v.is_valid(&good));
}

#[test]
fn spdx_is_valid_2_3() {
    let Some(dir) = schema_dir() else { return };
    let v = validator(&dir, "spdx-2.3.schema.json");
    let doc = assert_valid(&v, &sbom_output(SbomFormat::SpdxJson), "SPDX (sbom)");
    assert_valid(&v, &report_output(ReportFormat::SpdxJson), "SPDX (report)");
    let packages = doc["packages"].as_array().unwrap();
    let mut ids: Vec<&str> = packages
        .iter()
        .map(|p| p["SPDXID"].as_str().unwrap())
        .collect();
    let n = ids.len();
    assert!(ids.iter().all(|id| {
        id.strip_prefix("SPDXRef-").is_some_and(|rest| {
            !rest.is_empty()
                && rest
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        })
    }));
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), n);
    assert_eq!(doc["creationInfo"]["created"], "2024-05-01T10:00:00Z");
    let relationships = doc["relationships"].as_array().unwrap();
    assert_eq!(
        relationships
            .iter()
            .filter(|r| r["relationshipType"] == "DESCRIBES")
            .count(),
        1
    );
    assert_eq!(
        relationships
            .iter()
            .filter(|r| r["relationshipType"] == "CONTAINS")
            .count(),
        n - 1
    );
    // The shipped example validates too: the schema is wired correctly.
    let example = std::fs::read(dir.join("spdx-2.3-example.spdx.json")).unwrap();
    assert_valid(&v, &example, "the SPDX example");
}

#[test]
fn sarif_is_valid_2_1_0() {
    let Some(dir) = schema_dir() else { return };
    let v = validator(&dir, "sarif-2.1.0.schema.json");
    let doc = assert_valid(&v, &report_output(ReportFormat::Sarif), "SARIF");
    let results = doc["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), common::report().findings.len());
    let uri = results
        .iter()
        .flat_map(|r| r["locations"].as_array().unwrap())
        .filter_map(|l| l["physicalLocation"]["artifactLocation"]["uri"].as_str())
        .find(|u| u.contains("odd"))
        .unwrap();
    assert_eq!(uri, "/opt/odd%20dir/METADATA");
}

#[test]
fn openvex_is_valid_0_2_0() {
    let Some(dir) = schema_dir() else { return };
    let v = validator(&dir, "openvex.schema.json");
    let doc = assert_valid(&v, &report_output(ReportFormat::OpenVex), "OpenVEX");
    assert_eq!(doc["timestamp"], "2024-05-01T10:00:00Z");
    let statements = doc["statements"].as_array().unwrap();
    let by_name = |name: &str| {
        statements
            .iter()
            .find(|s| s["vulnerability"]["name"] == name)
            .unwrap()
    };
    assert_eq!(by_name("CVE-2022-48174")["status"], "not_affected");
    assert_eq!(
        by_name("CVE-2022-48174")["justification"],
        "vulnerable_code_not_present"
    );
    assert_eq!(by_name("CVE-2023-42363")["status"], "fixed");
    assert_eq!(by_name("CVE-2024-24790")["status"], "under_investigation");
    let pending = by_name("CVE-2023-48795");
    assert_eq!(pending["status"], "affected");
    assert_eq!(
        pending["action_statement"],
        "move: upstream (R-MOVE-4): pending upstream fix: bump to v0.18.0 breaks the build"
    );
    assert_eq!(
        by_name("CVE-2024-5535")["action_statement"],
        "move: customer (R-MOVE-2): update to a newer build: libssl3 3.3.1-r0 is published"
    );
    assert_eq!(by_name("CVE-2024-5535")["status"], "affected");
}
