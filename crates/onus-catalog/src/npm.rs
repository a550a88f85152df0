//! npm packages: `node_modules/<name>/package.json` and `node_modules/@scope/<name>/package.json`,
//! at any depth (nested `node_modules`, global installs, pnpm's `.pnpm` store).

use onus_inventory::{make_purl, Ecosystem};

use crate::text::strip_bom;
use crate::{Cataloger, Ctx, Parsed};

/// The identity of one installed npm package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NpmPackage {
    /// Full name, `@scope/name` for scoped packages.
    pub name: String,
    pub version: String,
    pub license: Option<String>,
}

impl NpmPackage {
    /// (`@scope`, `name`) for scoped packages, (none, `name`) otherwise.
    pub fn purl_parts(&self) -> (Option<&str>, &str) {
        match self.name.split_once('/') {
            Some((scope, name)) if scope.starts_with('@') => (Some(scope), name),
            _ => (None, &self.name),
        }
    }
}

/// Parse a `package.json`. `Ok(None)` when it is not an npm package's manifest: no string
/// `name` and `version` (a nested `{"type": "module"}` file, a private manifest), a VS Code
/// extension manifest (`engines.vscode`) or a Unity package (`unity`). `Err` when it is not a
/// JSON object, or names a package npm could not have installed (an invalid name or version).
pub fn parse_package_json(bytes: &[u8]) -> Result<Option<NpmPackage>, String> {
    let value: serde_json::Value = serde_json::from_slice(strip_bom(bytes))
        .map_err(|e| format!("package.json is not valid JSON: {e}"))?;
    let serde_json::Value::Object(map) = value else {
        return Err("package.json is not a JSON object".to_string());
    };
    let text = |key: &str| {
        map.get(key)
            .and_then(serde_json::Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
    };
    let (Some(name), Some(version)) = (text("name"), text("version")) else {
        return Ok(None);
    };
    // Manifests of other package systems that share the file name.
    let vscode = map
        .get("engines")
        .and_then(serde_json::Value::as_object)
        .is_some_and(|engines| engines.contains_key("vscode"));
    if vscode || map.get("unity").is_some_and(serde_json::Value::is_string) {
        return Ok(None);
    }
    if let Err(why) = check_name(name) {
        return Err(format!("not an npm package: name `{name}` {why}"));
    }
    if onus_version::semver::SemverVersion::parse(version).is_err() {
        return Err(format!(
            "not an npm package: version `{version}` of `{name}` is not a semantic version"
        ));
    }
    Ok(Some(NpmPackage {
        name: name.to_string(),
        version: version.to_string(),
        license: npm_license(&map),
    }))
}

/// `license` as a string (an SPDX expression) or a legacy `{"type": …}` object, or the legacy
/// `licenses` array of such objects or strings (a choice).
fn npm_license(map: &serde_json::Map<String, serde_json::Value>) -> Option<String> {
    use serde_json::Value;
    let name = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o.get("type").and_then(Value::as_str).map(str::to_string),
        _ => None,
    };
    if let Some(license) = map.get("license").and_then(name) {
        return onus_inventory::normalize_license(&license);
    }
    let listed: Vec<String> = map
        .get("licenses")
        .and_then(Value::as_array)
        .map(|list| list.iter().filter_map(name).collect())
        .unwrap_or_default();
    onus_inventory::license_choice(listed.iter().map(String::as_str))
}

/// The name rules npm applies to every package it installs (validate-npm-package-name's errors,
/// not its warnings for new packages: installed old packages may have capitals): at most 214
/// characters, not starting with `.` or `_`, no surrounding spaces, only URL-safe characters
/// (`@scope/name` checked part by part), and not a reserved name.
fn check_name(name: &str) -> Result<(), &'static str> {
    if name.len() > 214 {
        return Err("is longer than 214 characters");
    }
    if name.trim() != name {
        return Err("has surrounding spaces");
    }
    if name.starts_with('.') || name.starts_with('_') {
        return Err("starts with `.` or `_`");
    }
    if matches!(name, "node_modules" | "favicon.ico") {
        return Err("is reserved");
    }
    let url_safe = |part: &str| {
        !part.is_empty()
            && part.bytes().all(|b| {
                b.is_ascii_alphanumeric()
                    || matches!(
                        b,
                        b'-' | b'_' | b'.' | b'!' | b'~' | b'*' | b'\'' | b'(' | b')'
                    )
            })
    };
    let ok = match name.strip_prefix('@').map(|rest| rest.split_once('/')) {
        Some(Some((scope, package))) => {
            url_safe(scope)
                && url_safe(package)
                && !package.starts_with('.')
                && !package.starts_with('_')
        }
        Some(None) => false,
        None => url_safe(name),
    };
    if ok {
        Ok(())
    } else {
        Err("has characters npm does not allow in a package name")
    }
}

/// True for `…/node_modules/<name>/package.json` and `…/node_modules/@scope/<name>/package.json`.
pub(crate) fn is_npm_package_json(path: &str) -> bool {
    let parts: Vec<&str> = path.split('/').collect();
    let n = parts.len();
    if n < 4 || parts[n - 1] != "package.json" {
        return false;
    }
    let package_dir = parts[n - 2];
    if package_dir.starts_with('.') || package_dir.starts_with('@') {
        return false;
    }
    if parts[n - 3] == "node_modules" {
        return true;
    }
    n >= 5
        && parts[n - 4] == "node_modules"
        && parts[n - 3].starts_with('@')
        && parts[n - 3].len() > 1
}

/// True for a project's own manifest (`/app/package.json`): a `package.json` outside any
/// `node_modules` tree. Syft lists these too; they are the customer's application package.
pub(crate) fn is_project_package_json(path: &str) -> bool {
    path.ends_with("/package.json") && !path.split('/').any(|part| part == "node_modules")
}

/// Catalogs installed npm packages and project manifests.
pub(crate) struct NpmCataloger;

impl Cataloger for NpmCataloger {
    fn name(&self) -> &'static str {
        "npm-package"
    }

    fn matches(&self, path: &str, _entry: &onus_fs::FileVersion) -> bool {
        is_npm_package_json(path) || is_project_package_json(path)
    }

    fn parse(&self, _ctx: &Ctx<'_>, path: &str, bytes: &[u8], complete: bool) -> Parsed {
        let mut parsed = Parsed::default();
        match parse_package_json(bytes) {
            Ok(Some(package)) => {
                let (namespace, name) = package.purl_parts();
                match make_purl("npm", namespace, name, &package.version, &[]) {
                    Ok(purl) => {
                        let mut c = crate::component(
                            &package.name,
                            &package.version,
                            Ecosystem::Npm,
                            purl,
                            path,
                        );
                        if let Some(license) = package.license {
                            c.metadata.insert("license".to_string(), license);
                        }
                        parsed.components.push(c);
                    }
                    Err(e) => parsed.unknowns.push(crate::unknown(path, e.to_string())),
                }
            }
            Ok(None) => {}
            Err(reason) => {
                let reason = crate::truncated(reason, complete);
                parsed.unknowns.push(crate::unknown(path, reason));
            }
        }
        parsed
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::testutil::ViewBuilder;

    #[test]
    fn licenses_in_every_form_npm_has_used() {
        let license = |json: &str| {
            parse_package_json(json.as_bytes())
                .unwrap()
                .unwrap()
                .license
        };
        assert_eq!(
            license(r#"{"name":"a","version":"1.0.0","license":"(mit OR Apache-2.0)"}"#).as_deref(),
            Some("(MIT OR Apache-2.0)")
        );
        assert_eq!(
            license(r#"{"name":"a","version":"1.0.0","license":{"type":"ISC","url":"x"}}"#)
                .as_deref(),
            Some("ISC")
        );
        assert_eq!(
            license(r#"{"name":"a","version":"1.0.0","licenses":[{"type":"MIT"},{"type":"Apache 2.0"}]}"#)
                .as_deref(),
            Some("MIT OR Apache-2.0")
        );
        assert_eq!(
            license(r#"{"name":"a","version":"1.0.0","license":"UNKNOWN"}"#),
            None
        );
    }

    #[test]
    fn parses_package_json() {
        let p = parse_package_json(br#"{"name":"@babel/core","version":"7.23.0","license":"MIT"}"#)
            .unwrap()
            .unwrap();
        assert_eq!(p.purl_parts(), (Some("@babel"), "core"));
        assert_eq!(parse_package_json(br#"{"type":"module"}"#), Ok(None));
        assert_eq!(parse_package_json(br#"{"name":"x","version":3}"#), Ok(None));
        assert!(parse_package_json(b"{\"name\":").is_err());
        // Manifests of other systems are not npm packages.
        let vscode = br#"{"name":"python","version":"2024.0.1","engines":{"vscode":"^1.80.0"}}"#;
        assert_eq!(parse_package_json(vscode), Ok(None));
        let unity = br#"{"name":"com.unity.textmeshpro","version":"3.0.6","unity":"2020.3"}"#;
        assert_eq!(parse_package_json(unity), Ok(None));
        // Names and versions npm could not have installed become unknowns.
        for bad in [
            br#"{"name":"My Package","version":"1.0.0"}"#.as_slice(),
            br#"{"name":".hidden","version":"1.0.0"}"#,
            br#"{"name":"@scope","version":"1.0.0"}"#,
            br#"{"name":"ok-name","version":"latest"}"#,
            br#"{"name":"ok-name","version":"1.2"}"#,
        ] {
            let err = parse_package_json(bad).unwrap_err();
            assert!(err.starts_with("not an npm package"), "{err}");
        }
        // Old packages with capitals, and URL-safe punctuation, are still packages.
        assert!(
            parse_package_json(br#"{"name":"JSONStream","version":"1.3.5"}"#)
                .unwrap()
                .is_some()
        );
        assert!(
            parse_package_json(br#"{"name":"@types/node","version":"20.1.0-beta.1"}"#)
                .unwrap()
                .is_some()
        );
        assert!(parse_package_json(b"[1,2]").is_err());
        assert!(
            parse_package_json(b"\xef\xbb\xbf{\"name\":\"a\",\"version\":\"1.0.0\"}")
                .unwrap()
                .is_some()
        );
    }

    #[test]
    fn matches_only_package_dirs_under_node_modules() {
        assert!(is_npm_package_json(
            "/app/node_modules/express/package.json"
        ));
        assert!(is_npm_package_json(
            "/app/node_modules/@types/node/package.json"
        ));
        assert!(is_npm_package_json(
            "/usr/lib/node_modules/npm/node_modules/semver/package.json"
        ));
        assert!(!is_npm_package_json("/app/package.json"));
        assert!(is_project_package_json("/app/package.json"));
        assert!(!is_project_package_json(
            "/app/node_modules/x/lib/package.json"
        ));
        assert!(!is_npm_package_json(
            "/app/node_modules/express/lib/package.json"
        ));
        assert!(!is_npm_package_json("/app/node_modules/.bin/package.json"));
        assert!(!is_npm_package_json(
            "/app/node_modules/@scope/package.json"
        ));
        assert!(!is_npm_package_json("/node_modules/package.json"));
    }

    #[test]
    fn catalogs_scoped_and_plain_packages() {
        let view = ViewBuilder::new()
            .layer()
            .file(
                "/app/package.json",
                br#"{"name":"my-app","version":"1.0.0"}"#,
            )
            .file(
                "/app/node_modules/@babel/core/package.json",
                br#"{"name":"@babel/core","version":"7.23.0"}"#,
            )
            .file(
                "/app/node_modules/left-pad/package.json",
                br#"{"name":"left-pad","version":"1.3.0"}"#,
            )
            .file("/app/node_modules/bad/package.json", b"{oops")
            .file(
                "/app/node_modules/nover/package.json",
                br#"{"name":"nover"}"#,
            )
            .build();
        let catalog = crate::catalog(&view, &onus_fs::NoReporter);
        let purls: Vec<&str> = catalog.components.iter().map(|c| c.purl.as_str()).collect();
        assert_eq!(
            purls,
            vec![
                "pkg:npm/%40babel/core@7.23.0",
                "pkg:npm/left-pad@1.3.0",
                "pkg:npm/my-app@1.0.0"
            ]
        );
        assert_eq!(catalog.components[0].name, "@babel/core");
        assert_eq!(catalog.unknowns.len(), 1);
        assert_eq!(
            catalog.unknowns[0].location,
            "/app/node_modules/bad/package.json"
        );
    }
}
