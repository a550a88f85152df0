//! The Ruby, PHP and .NET catalogers end to end: a directory laid out as an image holds an
//! installed gem, a Composer `installed.json` and .NET `deps.json` files (application and shared
//! runtime); `onus sbom` lists them with their purls, and `onus scan` matches them through the
//! store's RubyGems, Packagist and NuGet records. The advisories are made up for this test (not
//! real vulnerabilities) and written by it.

use std::path::Path;

use serde_json::Value;

use crate::common::{onus_json, onus_ok, path_str};
use crate::support;

const GEMSPEC: &str = "# -*- encoding: utf-8 -*-
# stub: rack 2.2.3 ruby lib

Gem::Specification.new do |s|
  s.name = \"rack\".freeze
  s.version = \"2.2.3\"
  s.licenses = [\"MIT\".freeze]
end
";

const INSTALLED_JSON: &str = r#"{"packages": [
  {"name": "monolog/monolog", "version": "1.27.1", "version_normalized": "1.27.1.0", "license": ["MIT"], "type": "library"},
  {"name": "symfony/console", "version": "v5.4.21", "license": ["MIT"], "type": "library"}
], "dev": false, "dev-package-names": []}"#;

const APP_DEPS: &str = r#"{
  "runtimeTarget": {"name": ".NETCoreApp,Version=v6.0"},
  "targets": {".NETCoreApp,Version=v6.0": {}},
  "libraries": {
    "webapp/1.0.0": {"type": "project", "serviceable": false, "sha512": ""},
    "Newtonsoft.Json/12.0.1": {"type": "package", "serviceable": true, "path": "newtonsoft.json/12.0.1"}
  }
}"#;

/// One made-up OSV advisory per ecosystem.
fn advisory(id: &str, ecosystem: &str, name: &str, fixed: &str) -> String {
    format!(
        r#"{{"id": "{id}", "modified": "2026-11-20T00:00:00Z", "published": "2026-11-20T00:00:00Z",
  "summary": "Made up for the onus ecosystem test (not a real vulnerability).",
  "severity": [{{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}}],
  "affected": [{{"package": {{"ecosystem": "{ecosystem}", "name": "{name}"}},
    "ranges": [{{"type": "ECOSYSTEM", "events": [{{"introduced": "0"}}, {{"fixed": "{fixed}"}}]}}]}}]}}"#
    )
}

fn write(root: &Path, path: &str, text: &str) {
    let file = root.join(path.trim_start_matches('/'));
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(file, text).unwrap();
}

#[test]
fn ruby_php_and_dotnet_packages_are_cataloged_and_matched() {
    let dir = tempfile::tempdir().unwrap();
    let image = dir.path().join("rootfs");
    write(
        &image,
        "/usr/local/lib/ruby/gems/3.2.0/specifications/rack-2.2.3.gemspec",
        GEMSPEC,
    );
    write(
        &image,
        "/app/vendor/composer/installed.json",
        INSTALLED_JSON,
    );
    write(&image, "/app/webapp.deps.json", APP_DEPS);
    write(
        &image,
        "/usr/share/dotnet/shared/Microsoft.NETCore.App/6.0.5/Microsoft.NETCore.App.deps.json",
        r#"{"libraries": {}}"#,
    );

    let sbom = onus_json(&["sbom", &format!("dir:{}", path_str(&image)), "-f", "json"]);
    let purls: Vec<&str> = sbom["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["purl"].as_str().unwrap())
        .collect();
    for expected in [
        "pkg:gem/rack@2.2.3",
        "pkg:composer/monolog/monolog@1.27.1",
        "pkg:composer/symfony/console@5.4.21",
        "pkg:nuget/Newtonsoft.Json@12.0.1",
        "pkg:nuget/Microsoft.NETCore.App@6.0.5",
    ] {
        assert!(
            purls.contains(&expected),
            "{expected} missing from {purls:?}"
        );
    }
    assert!(
        sbom["unknowns"].as_array().unwrap().is_empty(),
        "{}",
        sbom["unknowns"]
    );

    let feeds = dir.path().join("feeds");
    for (id, ecosystem, name, fixed) in [
        ("ONUS-TEST-GEM-0001", "RubyGems", "rack", "2.2.6.4"),
        (
            "ONUS-TEST-PHP-0001",
            "Packagist",
            "monolog/monolog",
            "1.27.2",
        ),
        (
            "ONUS-TEST-PHP-0002",
            "Packagist",
            "symfony/console",
            "5.4.20",
        ),
        ("ONUS-TEST-NUGET-0001", "NuGet", "Newtonsoft.Json", "13.0.1"),
    ] {
        write(
            &feeds,
            &format!("osv-test/{id}.json"),
            &advisory(id, ecosystem, name, fixed),
        );
    }
    let examples = support::workspace_root().join("examples/feeds");
    let report = scan_against(dir.path(), &image, &[&examples, &feeds]);
    let found: Vec<(String, String, Option<String>)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["id"].as_str().unwrap().to_string(),
                f["purl"].as_str().unwrap().to_string(),
                f["advisory"]["fixed_version"]
                    .as_str()
                    .or_else(|| f["fixed_version"].as_str())
                    .map(str::to_string),
            )
        })
        .collect();
    let ids: Vec<&str> = found.iter().map(|f| f.0.as_str()).collect();
    // symfony/console 5.4.21 is past the fix (5.4.20): no finding.
    assert_eq!(
        ids,
        [
            "ONUS-TEST-GEM-0001",
            "ONUS-TEST-NUGET-0001",
            "ONUS-TEST-PHP-0001"
        ],
        "{found:?}"
    );
    let by_id = |id: &str| -> &Value {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["id"] == id)
            .unwrap()
    };
    assert_eq!(by_id("ONUS-TEST-GEM-0001")["purl"], "pkg:gem/rack@2.2.3");
    assert_eq!(
        by_id("ONUS-TEST-PHP-0001")["purl"],
        "pkg:composer/monolog/monolog@1.27.1"
    );
    assert_eq!(
        by_id("ONUS-TEST-NUGET-0001")["purl"],
        "pkg:nuget/Newtonsoft.Json@12.0.1"
    );
}

/// A real Rust binary built with `cargo auditable` (scripts/build-test-binaries.sh): the crates
/// its `.dep-v0` section records are cataloged and matched through crates.io records.
#[test]
fn crates_recorded_by_cargo_auditable_are_cataloged_and_matched() {
    let Some(binary) = test_binary("audit-demo") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let image = dir.path().join("rootfs");
    std::fs::create_dir_all(image.join("usr/local/bin")).unwrap();
    std::fs::copy(&binary, image.join("usr/local/bin/audit-demo")).unwrap();
    let sbom = onus_json(&["sbom", &format!("dir:{}", path_str(&image)), "-f", "json"]);
    let crates: Vec<(&str, &str, &str)> = sbom["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["purl"].as_str().unwrap(),
                c["found_by"].as_str().unwrap(),
                c["metadata"]["binary_crate"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        crates,
        [
            ("pkg:cargo/itoa@1.0.9", "rust-cargo-auditable", "audit-demo"),
            (
                "pkg:cargo/smallvec@1.11.0",
                "rust-cargo-auditable",
                "audit-demo"
            ),
        ]
    );

    let feeds = dir.path().join("feeds");
    write(
        &feeds,
        "osv-test/ONUS-TEST-CRATE-0001.json",
        &advisory("ONUS-TEST-CRATE-0001", "crates.io", "itoa", "1.0.10"),
    );
    let report = scan_against(dir.path(), &image, &[&feeds]);
    let found: Vec<(&str, &str)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["id"].as_str().unwrap(), f["purl"].as_str().unwrap()))
        .collect();
    assert_eq!(found, [("ONUS-TEST-CRATE-0001", "pkg:cargo/itoa@1.0.9")]);
}

/// `onus scan dir:<image>` (JSON) against a store built in `work` from the feed directories.
fn scan_against(work: &Path, image: &Path, feeds: &[&Path]) -> Value {
    let store = path_str(&work.join("vuln.db"));
    let mut build = vec![
        "db".to_string(),
        "build".into(),
        "--db".into(),
        store.clone(),
    ];
    for feed in feeds {
        build.push("--from".into());
        build.push(path_str(feed));
    }
    onus_ok(&build.iter().map(String::as_str).collect::<Vec<_>>(), 0);
    onus_json(&[
        "scan",
        &format!("dir:{}", path_str(image)),
        "--db",
        &store,
        "--now",
        "2026-11-25",
        "-f",
        "json",
    ])
}

/// `target/test-binaries/<name>` (scripts/build-test-binaries.sh), or `None` after saying why
/// the test skips; a failure when `ONUS_REQUIRE_TEST_BINARIES` is set.
fn test_binary(name: &str) -> Option<std::path::PathBuf> {
    let binary = support::workspace_root()
        .join("target/test-binaries")
        .join(name);
    if binary.exists() {
        return Some(binary);
    }
    assert!(
        std::env::var_os("ONUS_REQUIRE_TEST_BINARIES").is_none(),
        "ONUS_REQUIRE_TEST_BINARIES is set but {} is missing (scripts/build-test-binaries.sh)",
        binary.display()
    );
    eprintln!(
        "skipping: {} is missing (scripts/build-test-binaries.sh)",
        binary.display()
    );
    None
}

/// One Go program built by the machine's Go for Linux, Windows and macOS: the build info is
/// read from the ELF, PE and Mach-O files alike, and the main module's version is the one set
/// at link time (`-ldflags -X main.version=1.4.2`), not `(devel)`.
#[test]
fn go_binaries_in_elf_pe_and_mach_o_files() {
    let Some(dir) = test_binary("go-cross") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let image = tmp.path().join("rootfs");
    std::fs::create_dir_all(image.join("app")).unwrap();
    for name in ["onus-cross-linux", "onus-cross.exe", "onus-cross-darwin"] {
        std::fs::copy(dir.join(name), image.join("app").join(name)).unwrap();
    }
    let sbom = onus_json(&["sbom", &format!("dir:{}", path_str(&image)), "-f", "json"]);
    let mains: Vec<(&str, &str)> = sbom["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["name"] == "example.com/onus-cross")
        .map(|c| {
            (
                c["locations"][0].as_str().unwrap(),
                c["purl"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        mains,
        [
            (
                "/app/onus-cross-darwin",
                "pkg:golang/example.com/onus-cross@v1.4.2"
            ),
            (
                "/app/onus-cross-linux",
                "pkg:golang/example.com/onus-cross@v1.4.2"
            ),
            (
                "/app/onus-cross.exe",
                "pkg:golang/example.com/onus-cross@v1.4.2"
            ),
        ]
    );
    let stdlib = sbom["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["name"] == "stdlib")
        .count();
    assert_eq!(stdlib, 3);
    assert_eq!(sbom["unknowns"], serde_json::json!([]));
}
