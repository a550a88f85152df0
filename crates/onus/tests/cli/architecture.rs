//! ARCHITECTURE.md stays true: every crate under `crates/` is in the code map, and each crate
//! depends only on crates above it there (invariant 8).

use crate::support::workspace_root;

/// The crates in code-map order, as `ARCHITECTURE.md` lists them (`crates/<name>` bullets).
fn code_map() -> Vec<String> {
    let text = std::fs::read_to_string(workspace_root().join("ARCHITECTURE.md")).unwrap();
    let map = text
        .split("## Code map")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("ARCHITECTURE.md has a `## Code map` section");
    map.lines()
        .filter_map(|line| line.strip_prefix("- `crates/"))
        .filter_map(|rest| rest.split('`').next())
        .map(str::to_string)
        .collect()
}

fn crates_on_disk() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(workspace_root().join("crates"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("Cargo.toml").is_file())
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The workspace crates a crate's `[dependencies]` name.
fn dependencies(name: &str) -> Vec<String> {
    let manifest = std::fs::read_to_string(
        workspace_root()
            .join("crates")
            .join(name)
            .join("Cargo.toml"),
    )
    .unwrap();
    let mut in_deps = false;
    let mut out = Vec::new();
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_deps = line == "[dependencies]";
            continue;
        }
        if in_deps {
            if let Some(dep) = line
                .split(['.', ' ', '='])
                .next()
                .filter(|d| *d == "onus" || d.starts_with("onus-"))
            {
                out.push(dep.to_string());
            }
        }
    }
    out
}

#[test]
fn every_crate_is_in_the_code_map() {
    let map = code_map();
    for name in crates_on_disk() {
        assert!(
            map.contains(&name),
            "crates/{name} is missing from the code map in ARCHITECTURE.md: {map:?}"
        );
    }
    for name in &map {
        assert!(
            workspace_root().join("crates").join(name).is_dir(),
            "ARCHITECTURE.md maps crates/{name}, which does not exist"
        );
    }
}

#[test]
fn dependencies_point_up_the_code_map() {
    let map = code_map();
    for (at, name) in map.iter().enumerate() {
        for dep in dependencies(name) {
            let dep_at = map.iter().position(|m| *m == dep);
            assert!(
                dep_at.is_some_and(|d| d < at),
                "crates/{name} depends on {dep}, which is not above it in the code map"
            );
        }
    }
}
