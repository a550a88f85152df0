//! `onus sbom` on the real apko images, and bad input.

use crate::common::{apko, onus, onus_json, onus_ok};

#[test]
fn top_image_lists_apk_packages_with_introducing_layer() {
    let Some(top) = apko("top_image") else { return };
    let sbom = onus_json(&["sbom", &top]);
    assert_eq!(sbom["schema"], "onus.sbom/v1");
    assert_eq!(sbom["image"]["layers"].as_array().map(Vec::len), Some(2));
    let layers: Vec<(String, u64)> = sbom["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_string(),
                c["layer"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        layers,
        vec![
            ("package-x".to_string(), 0),
            ("pretend-baselayout".to_string(), 0),
            ("replayout".to_string(), 1)
        ]
    );
    for c in sbom["components"].as_array().unwrap() {
        assert_eq!(c["ecosystem"], "apk");
        assert_eq!(c["found_by"], "apk-db");
        assert!(c["purl"].as_str().unwrap().starts_with("pkg:apk/"), "{c}");
    }
}

#[test]
fn platform_option_picks_from_a_multi_platform_index() {
    let Some(base) = apko("base_image") else {
        return;
    };
    let amd = onus_json(&["sbom", &base]);
    let arm = onus_json(&["sbom", &base, "--platform", "linux/arm64"]);
    assert_eq!(amd["source"]["platform"], "linux/amd64");
    assert_eq!(arm["source"]["platform"], "linux/arm64");
    assert_ne!(
        amd["image"]["manifest_digest"],
        arm["image"]["manifest_digest"]
    );
}

#[test]
fn output_is_byte_identical_across_runs_and_formats_parse() {
    let Some(top) = apko("golden") else { return };
    for format in ["json", "cyclonedx-json", "spdx-json", "table"] {
        let first = onus_ok(&["sbom", &top, "--format", format], 0);
        let second = onus_ok(&["sbom", &top, "--format", format], 0);
        assert_eq!(first, second, "format {format} is not deterministic");
        if format != "table" {
            let _: serde_json::Value = serde_json::from_str(&first).unwrap();
        }
    }
}

#[test]
fn missing_image_and_bad_arguments_exit_2() {
    let out = onus(&["sbom", "oci-dir:/nonexistent/image"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("/nonexistent/image"),
        "the error names the image: {stderr}"
    );
    assert_eq!(onus(&["sbom"]).status.code(), Some(2));
    assert_eq!(
        onus(&["sbom", "x", "--format", "xml"]).status.code(),
        Some(2)
    );
}

#[test]
fn output_file_receives_the_data() {
    let Some(top) = apko("top_image") else { return };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sbom.json");
    let stdout = onus_ok(&["sbom", &top, "-o", &path.display().to_string()], 0);
    assert!(stdout.is_empty());
    let written: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(written["schema"], "onus.sbom/v1");
}

#[test]
fn completions_and_the_man_page_come_from_the_cli_definitions() {
    for shell in ["bash", "zsh", "fish"] {
        let script = crate::common::onus_ok(&["completions", shell], 0);
        assert!(
            script.contains("onus") && script.contains("registry-ca"),
            "{shell}"
        );
    }
    let man = crate::common::onus_ok(&["man"], 0);
    assert!(man.contains(".TH onus 1") && man.contains("pin"), "{man}");
    assert_eq!(
        crate::common::onus(&["completions", "tcsh"]).status.code(),
        Some(2)
    );
}

#[test]
fn every_command_help_has_examples() {
    for command in [
        "sbom", "scan", "match", "diff", "pin", "db", "chp", "eol", "advisory", "sla",
    ] {
        let help = crate::common::onus_ok(&[command, "--help"], 0);
        assert!(
            help.contains("Examples:\n  onus "),
            "`onus {command} --help`:\n{help}"
        );
    }
}

#[test]
fn version_names_the_store_and_its_age() {
    let run = |db: &str| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_onus"))
            .arg("--version")
            .env("ONUS_DB", db)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        String::from_utf8(out.stdout).unwrap()
    };
    let missing = run("/nonexistent/onus.db");
    assert!(
        missing.starts_with("onus ") && missing.contains("none at /nonexistent/onus.db"),
        "{missing}"
    );
    let Some(db) = crate::common::store() else {
        return;
    };
    let db = crate::common::path_str(&db);
    let found = run(&db);
    assert!(found.contains(&db) && found.contains("days old"), "{found}");
}
