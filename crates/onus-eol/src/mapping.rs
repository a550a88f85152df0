//! The product mapping: which endoflife.date product an OS or a component belongs to.
//!
//! The built-in table is `data/products.yaml` (embedded); a user file of the same schema can be
//! merged on top with [`load_mapping`].

use serde::Deserialize;

use onus_inventory::{Component, Ecosystem};

use crate::EolError;

/// The embedded default mapping.
pub const DEFAULT_MAPPING: &str = include_str!("../data/products.yaml");

/// os-release `ID` → product.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OsRule {
    pub id: String,
    /// `None`: known distribution without release cycles (rolling); nothing is reported.
    #[serde(default)]
    pub product: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

/// One way to recognise a product's component.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatchRule {
    /// `apk`, `deb`, `pypi`, `npm`, `golang`, `maven`, `cargo` or `binary`; any when absent.
    #[serde(default)]
    pub ecosystem: Option<String>,
    #[serde(default)]
    pub names: Vec<String>,
    #[serde(default)]
    pub origins: Vec<String>,
    #[serde(default)]
    pub purls: Vec<String>,
    /// Evidence paths (component `locations`), e.g. an interpreter `/usr/local/bin/python3.*`.
    #[serde(default)]
    pub paths: Vec<String>,
    #[serde(default)]
    pub exclude: Vec<String>,
    /// `version` (default) or `metadata:<key>`.
    #[serde(default)]
    pub version_from: Option<String>,
}

/// A product and the rules that detect it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductRule {
    pub product: String,
    /// Shown with every entry of this product (e.g. why a proxy product was chosen).
    #[serde(default)]
    pub note: Option<String>,
    /// Products whose cycles are used, in order, when this product has no cycle for the
    /// version (Temurin never built the non-LTS OpenJDK 9, 10, 12–15; the upstream builds did).
    #[serde(default)]
    pub fallback: Vec<String>,
    #[serde(default, rename = "match")]
    pub rules: Vec<MatchRule>,
}

/// The whole mapping.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    #[serde(default)]
    pub os: Vec<OsRule>,
    #[serde(default)]
    pub products: Vec<ProductRule>,
}

/// How a component matched a product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detection<'a> {
    pub product: &'a ProductRule,
    /// The version to find the cycle from (before numeric reduction).
    pub version: String,
    /// `deb:python3.11`, `golang:stdlib`, `apk:origin:python-3.12`, …
    pub detected_by: String,
}

fn parse(text: &str, origin: &str) -> Result<Mapping, EolError> {
    let mapping: Mapping = serde_yaml_ng::from_str(text).map_err(|source| EolError::Mapping {
        origin: origin.to_string(),
        source,
    })?;
    for rule in mapping.products.iter().flat_map(|p| &p.rules) {
        if let Some(v) = rule.version_from.as_deref() {
            if v != "version" && !v.starts_with("metadata:") {
                return Err(EolError::MappingRule {
                    origin: origin.to_string(),
                    reason: format!("version_from `{v}` is neither `version` nor `metadata:<key>`"),
                });
            }
        }
        if let Some(e) = rule.ecosystem.as_deref() {
            if ecosystem(e).is_none() {
                return Err(EolError::MappingRule {
                    origin: origin.to_string(),
                    reason: format!("unknown ecosystem `{e}`"),
                });
            }
        }
    }
    Ok(mapping)
}

fn ecosystem(name: &str) -> Option<Ecosystem> {
    match name.to_ascii_lowercase().as_str() {
        "go" => Some(Ecosystem::Golang),
        "binary" => Some(Ecosystem::Binary),
        other => Ecosystem::from_purl_type(other),
    }
}

/// The built-in mapping, with `extra` (a user YAML file's text) merged on top: its `os` entries
/// replace built-in ones with the same `id`, its product rules are added (a product named in
/// both keeps the built-in rules and gains the user's).
pub fn load_mapping(extra: Option<&str>) -> Result<Mapping, EolError> {
    let mut mapping = parse(DEFAULT_MAPPING, "built-in data/products.yaml")?;
    if let Some(extra) = extra {
        let user = parse(extra, "user mapping")?;
        for os in user.os {
            mapping.os.retain(|o| !o.id.eq_ignore_ascii_case(&os.id));
            mapping.os.push(os);
        }
        for product in user.products {
            match mapping
                .products
                .iter_mut()
                .find(|p| p.product == product.product)
            {
                Some(existing) => {
                    existing.rules.extend(product.rules);
                    if product.note.is_some() {
                        existing.note = product.note;
                    }
                }
                None => mapping.products.push(product),
            }
        }
    }
    Ok(mapping)
}

/// Case-insensitive glob (`*` any run, `?` one character, `#` one ASCII digit): product names
/// in the mapping are matched without regard to case.
pub fn glob(pattern: &str, text: &str) -> bool {
    onus_inventory::glob_match(&pattern.to_ascii_lowercase(), &text.to_ascii_lowercase())
}

/// A purl without `@version`, qualifiers or subpath.
fn purl_base(purl: &str) -> &str {
    let end = purl.find(['@', '?', '#']).unwrap_or(purl.len());
    &purl[..end]
}

impl Mapping {
    /// The OS rule for an os-release `ID`.
    pub fn os_rule(&self, id: &str) -> Option<&OsRule> {
        self.os.iter().find(|o| o.id.eq_ignore_ascii_case(id))
    }

    /// Every product this component is evidence of (at most one detection per product).
    pub fn detect<'a>(&'a self, c: &Component) -> Vec<Detection<'a>> {
        let mut out = Vec::new();
        for product in &self.products {
            if let Some(d) = product.rules.iter().find_map(|r| r.detect(product, c)) {
                out.push(d);
            }
        }
        out
    }
}

impl MatchRule {
    fn detect<'a>(&self, product: &'a ProductRule, c: &Component) -> Option<Detection<'a>> {
        if let Some(e) = self.ecosystem.as_deref() {
            if ecosystem(e) != Some(c.ecosystem) {
                return None;
            }
        }
        if self.exclude.iter().any(|p| glob(p, &c.name)) {
            return None;
        }
        let eco = c.ecosystem.purl_type();
        let eco = if c.ecosystem == Ecosystem::Binary {
            "binary"
        } else {
            eco
        };
        let (mut version, detected_by) = if self.names.iter().any(|p| glob(p, &c.name)) {
            (c.version.clone(), format!("{eco}:{}", c.name))
        } else if let Some(origin) = c
            .origin
            .as_deref()
            .filter(|o| self.origins.iter().any(|p| glob(p, o)))
        {
            let v = c
                .origin_version
                .clone()
                .unwrap_or_else(|| c.version.clone());
            (v, format!("{eco}:{}(origin {origin})", c.name))
        } else if self.purls.iter().any(|p| glob(p, purl_base(&c.purl))) {
            (
                c.version.clone(),
                format!("{eco}:{}", purl_base(&c.purl).trim_start_matches("pkg:")),
            )
        } else if let Some(path) = c
            .locations
            .iter()
            .find(|l| self.paths.iter().any(|p| glob(p, l)))
        {
            (c.version.clone(), format!("path:{path}"))
        } else {
            return None;
        };
        let mut detected_by = detected_by;
        if let Some(key) = self
            .version_from
            .as_deref()
            .and_then(|v| v.strip_prefix("metadata:"))
        {
            version = c.metadata.get(key)?.clone();
            detected_by.push_str(&format!("#{key}"));
        }
        Some(Detection {
            product,
            version,
            detected_by,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob("python#.#*", "python3.11"));
        assert!(glob("python#.#*", "Python3.11-minimal"));
        assert!(!glob("python#.#*", "python3-pip"));
        assert!(glob("libssl#*", "libssl1.1"));
        assert!(!glob("libssl#*", "libssl-dev"));
        assert!(glob("*", ""));
        assert!(glob("a*b*c", "aXXbYYc"));
        assert!(!glob("a*b*c", "aXXbYY"));
        assert!(glob("php##", "php82"));
        assert!(!glob("php##", "php8"));
        assert!(glob(
            "pkg:maven/org.springframework.boot/spring-boot",
            "PKG:maven/org.springframework.boot/spring-boot"
        ));
    }

    #[test]
    fn builtin_mapping_loads_and_merges() {
        let m = load_mapping(None).unwrap();
        assert_eq!(
            m.os_rule("alpine").and_then(|o| o.product.as_deref()),
            Some("alpine-linux")
        );
        assert_eq!(m.os_rule("wolfi").map(|o| o.product.is_none()), Some(true));
        let user = "os:\n  - id: wolfi\n    product: wolfi-os\nproducts:\n  - product: python\n    match:\n      - names: [mypython]\n  - product: envoy\n    match:\n      - ecosystem: binary\n        names: [envoy]\n";
        let m = load_mapping(Some(user)).unwrap();
        assert_eq!(
            m.os_rule("wolfi").and_then(|o| o.product.as_deref()),
            Some("wolfi-os")
        );
        assert!(m.products.iter().any(|p| p.product == "envoy"));
        let python = m.products.iter().find(|p| p.product == "python").unwrap();
        assert!(python.rules.iter().any(|r| r.names == ["mypython"]));
    }

    #[test]
    fn bad_user_mapping_is_an_error() {
        assert!(load_mapping(Some("products: 3")).is_err());
        assert!(load_mapping(Some(
            "products:\n  - product: x\n    match:\n      - ecosystem: conan\n"
        ))
        .is_err());
        assert!(load_mapping(Some(
            "products:\n  - product: x\n    match:\n      - version_from: name\n"
        ))
        .is_err());
        let msg = load_mapping(Some("bogus: ["))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            msg.starts_with("parse EOL product mapping `user mapping`"),
            "{msg}"
        );
    }
}
