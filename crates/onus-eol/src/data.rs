//! endoflife.date product data: products, release cycles and aliases, parsed leniently.
//!
//! Input is the JSON extracted from endoflife.date's product front matter
//! (`{"aliases": {..}, "products": {slug: {title, category, identifiers, releases: [..]}}}`).
//! A release or product that cannot be understood is skipped and counted in
//! [`EolData::warnings`], never an error for the whole file.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;
use serde_json::Value;

use crate::EolError;

/// A field that endoflife.date writes as an ISO date or a boolean (`eol`, `lts`, `eoas`, `eoes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum DateOrBool {
    Date(NaiveDate),
    Bool(bool),
}

/// One release cycle of a product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Release {
    pub cycle: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub codename: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub release_date: Option<NaiveDate>,
    /// End of life: a date, `true` (ended, date unknown) or `false` (not announced).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eol: Option<DateOrBool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lts: Option<DateOrBool>,
    /// End of active support.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eoas: Option<DateOrBool>,
    /// End of extended support.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eoes: Option<DateOrBool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latest: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latest_release_date: Option<NaiveDate>,
}

/// One product (`python`, `debian`, `alpine-linux`, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Product {
    pub slug: String,
    pub title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// `(kind, value)` pairs such as `("purl", "pkg:generic/python")` or `("cpe", "cpe:/a:…")`.
    pub identifiers: Vec<(String, String)>,
    /// Release cycles as listed (newest first in the source data).
    pub releases: Vec<Release>,
}

/// Everything parsed from one products file.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct EolData {
    pub products: BTreeMap<String, Product>,
    /// Alternate names → product slug (`alpine` → `alpine-linux`).
    pub aliases: BTreeMap<String, String>,
    /// Records that were skipped, each naming the product (and cycle) and why.
    pub warnings: Vec<String>,
}

impl EolData {
    /// A product by slug or alias.
    pub fn product(&self, name: &str) -> Option<&Product> {
        self.products.get(name).or_else(|| {
            self.aliases
                .get(name)
                .and_then(|slug| self.products.get(slug))
        })
    }
}

fn date(v: &Value) -> Option<NaiveDate> {
    v.as_str()
        .and_then(|s| NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok())
}

fn date_or_bool(v: Option<&Value>) -> Result<Option<DateOrBool>, ()> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(DateOrBool::Bool(*b))),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => {
            Ok(Some(DateOrBool::Bool(true)))
        }
        Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => {
            Ok(Some(DateOrBool::Bool(false)))
        }
        Some(v) => date(v).map(|d| Some(DateOrBool::Date(d))).ok_or(()),
    }
}

fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn parse_release(slug: &str, v: &Value, warnings: &mut Vec<String>) -> Option<Release> {
    let Some(obj) = v.as_object() else {
        warnings.push(format!("product `{slug}`: release is not an object"));
        return None;
    };
    let Some(cycle) = text(obj.get("cycle")).filter(|c| !c.trim().is_empty()) else {
        warnings.push(format!("product `{slug}`: release without a cycle"));
        return None;
    };
    let mut field = |name: &str| match date_or_bool(obj.get(name)) {
        Ok(v) => v,
        Err(()) => {
            warnings.push(format!(
                "product `{slug}` cycle `{cycle}`: `{name}` is neither a date nor a boolean"
            ));
            None
        }
    };
    let (eol, lts, eoas, eoes) = (field("eol"), field("lts"), field("eoas"), field("eoes"));
    Some(Release {
        codename: text(obj.get("codename")),
        release_date: obj.get("releaseDate").and_then(date),
        eol,
        lts,
        eoas,
        eoes,
        latest: text(obj.get("latest")),
        latest_release_date: obj.get("latestReleaseDate").and_then(date),
        cycle,
    })
}

fn parse_product(slug: &str, v: &Value, warnings: &mut Vec<String>) -> Option<Product> {
    let Some(obj) = v.as_object() else {
        warnings.push(format!("product `{slug}`: not an object"));
        return None;
    };
    let identifiers = obj
        .get("identifiers")
        .and_then(Value::as_array)
        .map(|ids| {
            ids.iter()
                .filter_map(Value::as_object)
                .flat_map(|m| {
                    m.iter()
                        .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                })
                .collect()
        })
        .unwrap_or_default();
    let releases = match obj.get("releases") {
        Some(Value::Array(rs)) => rs
            .iter()
            .filter_map(|r| parse_release(slug, r, warnings))
            .collect(),
        None | Some(Value::Null) => Vec::new(),
        Some(_) => {
            warnings.push(format!("product `{slug}`: `releases` is not a list"));
            Vec::new()
        }
    };
    Some(Product {
        slug: slug.to_string(),
        title: text(obj.get("title")).unwrap_or_else(|| slug.to_string()),
        category: text(obj.get("category")),
        identifiers,
        releases,
    })
}

/// Parse endoflife.date products JSON.
///
/// Accepts the extracted form (`{"products": {slug: {..}}, "aliases": {..}}`) and, for
/// convenience, a bare `{slug: {..}}` map or a list of products with a `name`/`slug` field.
pub fn parse_products(json: &[u8]) -> Result<EolData, EolError> {
    let root: Value = serde_json::from_slice(json).map_err(|source| EolError::Json { source })?;
    let mut data = EolData::default();
    let products: Vec<(String, &Value)> = match &root {
        Value::Object(obj) => match obj.get("products") {
            Some(Value::Object(p)) => p.iter().map(|(k, v)| (k.clone(), v)).collect(),
            Some(Value::Array(list)) => named(list),
            Some(_) => {
                return Err(EolError::Shape {
                    reason: "`products` is neither an object nor a list",
                })
            }
            None => obj
                .iter()
                .filter(|(_, v)| v.get("releases").is_some())
                .map(|(k, v)| (k.clone(), v))
                .collect(),
        },
        Value::Array(list) => named(list),
        _ => {
            return Err(EolError::Shape {
                reason: "top level is neither an object nor a list",
            })
        }
    };
    if products.is_empty() {
        return Err(EolError::Shape {
            reason: "no products found",
        });
    }
    let mut warnings = Vec::new();
    for (slug, v) in products {
        if let Some(p) = parse_product(&slug, v, &mut warnings) {
            data.products.insert(slug, p);
        }
    }
    if let Some(aliases) = root.get("aliases").and_then(Value::as_object) {
        for (alias, target) in aliases {
            if let Some(target) = target.as_str() {
                data.aliases.insert(alias.clone(), target.to_string());
            }
        }
    }
    // Products also name their alternate URLs (`/alpine`); keep them as aliases too.
    if let Value::Object(obj) = &root {
        if let Some(Value::Object(p)) = obj.get("products") {
            for (slug, v) in p {
                for alt in v
                    .get("alternate_urls")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    if let Some(a) = alt.as_str().map(|a| a.trim_start_matches('/')) {
                        data.aliases
                            .entry(a.to_string())
                            .or_insert_with(|| slug.clone());
                    }
                }
            }
        }
    }
    warnings.sort();
    data.warnings = warnings;
    Ok(data)
}

fn named(list: &[Value]) -> Vec<(String, &Value)> {
    list.iter()
        .filter_map(|v| {
            let name = v
                .get("slug")
                .or_else(|| v.get("name"))
                .and_then(Value::as_str)?;
            Some((name.to_string(), v))
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_dates_booleans_and_aliases() {
        let json = br#"{"aliases": {"alpine": "alpine-linux"}, "products": {
            "alpine-linux": {"title": "Alpine Linux", "category": "os",
              "identifiers": [{"purl": "pkg:swid/alpine?tag_id=alpine"}],
              "releases": [
                {"cycle": "3.19", "releaseDate": "2023-12-07", "eol": "2025-11-01", "latest": "3.19.9"},
                {"cycle": "3.20", "eol": false, "lts": true},
                {"cycle": "3.1", "eol": true},
                {"cycle": "bad", "eol": "soon"},
                {"eol": "2020-01-01"}
              ]}}}"#;
        let data = parse_products(json).unwrap();
        let p = data.product("alpine").unwrap();
        assert_eq!(p.title, "Alpine Linux");
        assert_eq!(
            p.identifiers,
            vec![(
                "purl".to_string(),
                "pkg:swid/alpine?tag_id=alpine".to_string()
            )]
        );
        assert_eq!(p.releases.len(), 4);
        assert_eq!(
            p.releases[0].eol,
            Some(DateOrBool::Date(
                NaiveDate::from_ymd_opt(2025, 11, 1).unwrap()
            ))
        );
        assert_eq!(p.releases[1].eol, Some(DateOrBool::Bool(false)));
        assert_eq!(p.releases[1].lts, Some(DateOrBool::Bool(true)));
        assert_eq!(p.releases[2].eol, Some(DateOrBool::Bool(true)));
        assert_eq!(p.releases[3].eol, None);
        assert_eq!(data.warnings.len(), 2, "{:?}", data.warnings);
        assert!(data.warnings.iter().any(|w| w.contains("cycle `bad`")));
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        assert!(parse_products(b"").is_err());
        assert!(parse_products(b"[1, 2]").is_err());
        assert!(parse_products(b"{\"products\": 3}").is_err());
        assert!(parse_products(b"{\"products\": {}}").is_err());
        let msg = parse_products(b"{")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            msg.starts_with("parse endoflife.date products JSON"),
            "{msg}"
        );
    }
}
