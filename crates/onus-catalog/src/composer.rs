//! PHP packages installed by Composer: `vendor/composer/installed.json`, in Composer 1's layout
//! (a JSON array of packages) and Composer 2's (`{"packages": [...], "dev-package-names": [...]}`).

use onus_inventory::{make_purl, Ecosystem};
use serde_json::Value;

use crate::text::strip_bom;
use crate::{Cataloger, Ctx, Parsed};

/// One installed Composer package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComposerPackage {
    /// `vendor/package`.
    pub name: String,
    /// As Composer records it, without a leading `v` (`v5.4.21` is `5.4.21`, as Packagist
    /// advisories name it).
    pub version: String,
    /// SPDX ids; several mean a choice (`OR`).
    pub licenses: Vec<String>,
    /// Installed as a development dependency.
    pub dev: bool,
}

/// The packages of an `installed.json`, and one reason per entry that is not a package.
pub fn parse_composer_installed(
    bytes: &[u8],
) -> Result<(Vec<ComposerPackage>, Vec<String>), String> {
    let value: Value = serde_json::from_slice(strip_bom(bytes))
        .map_err(|e| format!("installed.json is not valid JSON: {e}"))?;
    let (entries, dev_names): (&Vec<Value>, Vec<&str>) = match &value {
        Value::Array(list) => (list, Vec::new()),
        Value::Object(map) => match map.get("packages") {
            Some(Value::Array(list)) => (
                list,
                map.get("dev-package-names")
                    .and_then(Value::as_array)
                    .map(|names| names.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default(),
            ),
            _ => return Err("installed.json has no `packages` array".to_string()),
        },
        _ => return Err("installed.json is neither an array nor an object".to_string()),
    };
    let mut packages = Vec::new();
    let mut problems = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        let text = |key: &str| {
            entry
                .get(key)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
        };
        let (Some(name), Some(version)) = (text("name"), text("version")) else {
            problems.push(format!("package {i} has no `name` and `version`"));
            continue;
        };
        if !valid_name(name) {
            problems.push(format!("package name `{name}` is not `vendor/package`"));
            continue;
        }
        let version = match version.strip_prefix('v') {
            Some(rest) if rest.starts_with(|c: char| c.is_ascii_digit()) => rest,
            _ => version,
        };
        let licenses = match entry.get("license") {
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Array(list)) => list
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
            _ => Vec::new(),
        };
        packages.push(ComposerPackage {
            name: name.to_ascii_lowercase(),
            version: version.to_string(),
            licenses,
            dev: dev_names.contains(&name),
        });
    }
    Ok((packages, problems))
}

/// Composer's rule: `vendor/package`, lower-case letters, digits and `_.-` separators.
fn valid_name(name: &str) -> bool {
    let Some((vendor, package)) = name.split_once('/') else {
        return false;
    };
    let part = |p: &str| {
        !p.is_empty()
            && p.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
    };
    part(vendor) && part(package)
}

pub(crate) fn is_composer_installed(path: &str) -> bool {
    path.ends_with("/vendor/composer/installed.json")
}

pub(crate) struct ComposerCataloger;

impl Cataloger for ComposerCataloger {
    fn name(&self) -> &'static str {
        "php-composer-installed"
    }

    fn matches(&self, path: &str, _entry: &onus_fs::FileVersion) -> bool {
        is_composer_installed(path)
    }

    fn parse(&self, _ctx: &Ctx<'_>, path: &str, bytes: &[u8], complete: bool) -> Parsed {
        let mut parsed = Parsed::default();
        match parse_composer_installed(bytes) {
            Ok((packages, problems)) => {
                for p in packages {
                    let (vendor, name) = p.name.split_once('/').unwrap_or(("", &p.name));
                    let license =
                        onus_inventory::license_choice(p.licenses.iter().map(String::as_str));
                    let dev = p.dev.then(|| ("dev", "true".to_string()));
                    crate::push_package(
                        &mut parsed,
                        (&p.name, &p.version),
                        Ecosystem::Composer,
                        make_purl("composer", Some(vendor), name, &p.version, &[]),
                        path,
                        license.map(|l| ("license", l)).into_iter().chain(dev),
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

    #[test]
    fn reads_both_layouts() {
        let v1 = br#"[{"name":"monolog/monolog","version":"1.27.1","license":["MIT"]},
                     {"name":"Symfony/Console","version":"v5.4.21","license":"MIT"}]"#;
        let (packages, problems) = parse_composer_installed(v1).unwrap();
        assert!(problems.is_empty());
        assert_eq!(packages[0].name, "monolog/monolog");
        assert_eq!(packages[1].name, "symfony/console");
        assert_eq!(packages[1].version, "5.4.21");
        let v2 = br#"{"packages":[{"name":"phpunit/phpunit","version":"9.6.3","license":["BSD-3-Clause"]},
                      {"name":"psr/log","version":"3.0.0","license":["MIT","Apache-2.0"]},
                      {"name":"broken"},{"name":"not a name","version":"1.0"}],
                      "dev":true,"dev-package-names":["phpunit/phpunit"]}"#;
        let (packages, problems) = parse_composer_installed(v2).unwrap();
        assert_eq!(packages.len(), 2);
        assert!(packages[0].dev && !packages[1].dev);
        assert_eq!(packages[1].licenses, ["MIT", "Apache-2.0"]);
        assert_eq!(problems.len(), 2, "{problems:?}");
        // A version that only starts with `v` stays as it is.
        let odd = br#"[{"name":"a/b","version":"vdev-main"}]"#;
        assert_eq!(
            parse_composer_installed(odd).unwrap().0[0].version,
            "vdev-main"
        );
    }

    #[test]
    fn malformed_files_are_errors_not_panics() {
        for bad in [
            b"".as_slice(),
            b"{",
            b"3",
            br#"{"packages":{}}"#,
            br#"{"nope":[]}"#,
        ] {
            assert!(parse_composer_installed(bad).is_err());
        }
        assert!(is_composer_installed("/app/vendor/composer/installed.json"));
        assert!(!is_composer_installed("/app/vendor/composer/installed.php"));
    }
}
