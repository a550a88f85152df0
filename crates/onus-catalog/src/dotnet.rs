//! .NET: `*.deps.json`, the dependency manifest every .NET application and shared framework
//! ships. Its `libraries` lists NuGet packages (`"type": "package"`) and runtime packs
//! (`"runtimepack"`); the shared runtime itself is the framework's own manifest,
//! `…/shared/Microsoft.NETCore.App/<version>/Microsoft.NETCore.App.deps.json`.

use onus_inventory::{make_purl, Ecosystem};
use serde_json::Value;

use crate::text::strip_bom;
use crate::{Cataloger, Ctx, Parsed};

/// One library of a deps.json.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DotnetLibrary {
    pub name: String,
    pub version: String,
    /// `package`, `runtimepack`, `framework` (the shared runtime).
    pub kind: String,
}

/// The NuGet packages and runtime packs a deps.json lists, plus the shared runtime when
/// `path` is a framework's own manifest; one reason per library that is not a package.
pub fn parse_deps_json(
    path: &str,
    bytes: &[u8],
) -> Result<(Vec<DotnetLibrary>, Vec<String>), String> {
    let value: Value = serde_json::from_slice(strip_bom(bytes))
        .map_err(|e| format!("deps.json is not valid JSON: {e}"))?;
    let libraries = value
        .get("libraries")
        .and_then(Value::as_object)
        .ok_or("deps.json has no `libraries` object")?;
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for (key, library) in libraries {
        let kind = library.get("type").and_then(Value::as_str).unwrap_or("");
        if !matches!(kind, "package" | "runtimepack") {
            // `project` (the application itself) and `reference` assemblies are not packages.
            continue;
        }
        let Some((name, version)) = key.rsplit_once('/') else {
            problems.push(format!("library `{key}` is not `<name>/<version>`"));
            continue;
        };
        // Runtime packs are named `runtimepack.<package id>`.
        let name = name.strip_prefix("runtimepack.").unwrap_or(name);
        if !valid_id(name) || !valid_version(version) {
            problems.push(format!("library `{key}` is not a NuGet id and version"));
            continue;
        }
        out.push(DotnetLibrary {
            name: name.to_string(),
            version: version.to_string(),
            kind: kind.to_string(),
        });
    }
    if let Some((framework, version)) = shared_framework(path) {
        out.push(DotnetLibrary {
            name: framework.to_string(),
            version: version.to_string(),
            kind: "framework".to_string(),
        });
    }
    out.sort_by(|a, b| (&a.name, &a.version).cmp(&(&b.name, &b.version)));
    Ok((out, problems))
}

/// (`Microsoft.NETCore.App`, `8.0.1`) for
/// `…/shared/Microsoft.NETCore.App/8.0.1/Microsoft.NETCore.App.deps.json`.
fn shared_framework(path: &str) -> Option<(&str, &str)> {
    let mut parts = path.rsplit('/');
    let file = parts.next()?;
    let version = parts.next()?;
    let framework = parts.next()?;
    let shared = parts.next()?;
    (shared == "shared"
        && file.strip_suffix(".deps.json") == Some(framework)
        && valid_id(framework)
        && valid_version(version))
    .then_some((framework, version))
}

/// NuGet ids: letters, digits, `.`, `-` and `_`, at most 100 characters.
fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 100
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
}

/// NuGet versions: up to four numbers, an optional `-label` and `+metadata`.
fn valid_version(version: &str) -> bool {
    let core = version.split(['-', '+']).next().unwrap_or("");
    let numbers: Vec<&str> = core.split('.').collect();
    version.len() <= 128
        && (1..=4).contains(&numbers.len())
        && numbers
            .iter()
            .all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        && version
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'+'))
}

pub(crate) fn is_deps_json(path: &str) -> bool {
    path.ends_with(".deps.json")
}

pub(crate) struct DotnetCataloger;

impl Cataloger for DotnetCataloger {
    fn name(&self) -> &'static str {
        "dotnet-deps"
    }

    fn matches(&self, path: &str, _entry: &onus_fs::FileVersion) -> bool {
        is_deps_json(path)
    }

    fn parse(&self, _ctx: &Ctx<'_>, path: &str, bytes: &[u8], complete: bool) -> Parsed {
        let mut parsed = Parsed::default();
        match parse_deps_json(path, bytes) {
            Ok((libraries, problems)) => {
                for library in libraries {
                    crate::push_package(
                        &mut parsed,
                        (&library.name, &library.version),
                        Ecosystem::Nuget,
                        make_purl("nuget", None, &library.name, &library.version, &[]),
                        path,
                        [("type", library.kind.clone())],
                    );
                }
                for problem in problems {
                    parsed.unknowns.push(crate::unknown(path, problem));
                }
            }
            Err(reason) => parsed
                .unknowns
                .push(crate::unknown(path, crate::truncated(reason, complete))),
        }
        parsed
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const APP: &[u8] = br#"{
      "runtimeTarget": {"name": ".NETCoreApp,Version=v8.0/linux-x64"},
      "targets": {".NETCoreApp,Version=v8.0/linux-x64": {}},
      "libraries": {
        "webapp/1.0.0": {"type": "project", "serviceable": false, "sha512": ""},
        "Newtonsoft.Json/13.0.1": {"type": "package", "serviceable": true,
          "sha512": "sha512-ppPFpBcvxdsfUonNcvITKqLl3bqxWbDCZIzDWHzjpdAHRFfZe0Dw9HmA0+za13IdyrgJwpkDTDA9fHaxOrt20A==",
          "path": "newtonsoft.json/13.0.1"},
        "runtimepack.Microsoft.NETCore.App.Runtime.linux-x64/8.0.1": {"type": "runtimepack"},
        "System.Text.Json/8.0.0-rc.2.23479.6": {"type": "package"},
        "bogus": {"type": "package"}
      }
    }"#;

    #[test]
    fn reads_packages_runtime_packs_and_the_shared_runtime() {
        let (libraries, problems) = parse_deps_json("/app/webapp.deps.json", APP).unwrap();
        let names: Vec<(&str, &str, &str)> = libraries
            .iter()
            .map(|l| (l.name.as_str(), l.version.as_str(), l.kind.as_str()))
            .collect();
        assert_eq!(
            names,
            [
                (
                    "Microsoft.NETCore.App.Runtime.linux-x64",
                    "8.0.1",
                    "runtimepack"
                ),
                ("Newtonsoft.Json", "13.0.1", "package"),
                ("System.Text.Json", "8.0.0-rc.2.23479.6", "package"),
            ]
        );
        assert_eq!(problems.len(), 1, "{problems:?}");
        let framework = br#"{"libraries": {}}"#;
        let (libraries, _) = parse_deps_json(
            "/usr/share/dotnet/shared/Microsoft.NETCore.App/8.0.1/Microsoft.NETCore.App.deps.json",
            framework,
        )
        .unwrap();
        assert_eq!(libraries[0].name, "Microsoft.NETCore.App");
        assert_eq!(libraries[0].version, "8.0.1");
        assert_eq!(libraries[0].kind, "framework");
    }

    #[test]
    fn malformed_files_are_errors_not_panics() {
        for bad in [
            b"".as_slice(),
            b"[]",
            br#"{"libraries":[]}"#,
            b"{\"libraries\":",
        ] {
            assert!(parse_deps_json("/a.deps.json", bad).is_err());
        }
        assert!(!valid_version("1.2.3.4.5"));
        assert!(!valid_version("v1"));
        assert!(valid_version("1.0.0+build.5"));
    }
}
