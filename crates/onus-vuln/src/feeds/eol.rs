//! endoflife.date `products.json`: stored raw (another crate interprets it) with its product count.

use serde_json::Value;

use crate::error::VulnError;
use crate::feeds::{Ctx, FeedKind};
use crate::input::InputFile;

const KIND: FeedKind = FeedKind::Endoflife;
const SOURCE: &str = "endoflife";

pub(crate) fn load(file: &InputFile, ctx: &mut Ctx<'_>) -> Result<(), VulnError> {
    let doc: Value = match serde_json::from_slice(&file.bytes) {
        Ok(v) => v,
        Err(e) => {
            ctx.warn(
                SOURCE,
                KIND,
                format!("`{}`: skipped, not JSON: {e}", file.display),
            );
            return Ok(());
        }
    };
    // endoflife.date's API v1 (`/api/v1/products/full`) is stored in the products.json form
    // the EOL crate reads.
    let converted;
    let (doc, bytes) = if doc.get("result").is_some_and(Value::is_array) {
        let products = from_api_v1(&doc);
        converted = match serde_json::to_vec(&products) {
            Ok(bytes) => bytes,
            Err(e) => {
                ctx.warn(
                    SOURCE,
                    KIND,
                    format!("`{}`: skipped, cannot be converted: {e}", file.display),
                );
                return Ok(());
            }
        };
        (products, converted.as_slice())
    } else {
        (doc, file.bytes.as_slice())
    };
    let Some(products) = doc.get("products").and_then(Value::as_object) else {
        ctx.warn(
            SOURCE,
            KIND,
            format!("`{}`: skipped: no `products` object", file.display),
        );
        return Ok(());
    };
    let count = products.len() as u64;
    ctx.writer.eol_products(SOURCE, count, bytes)?;
    ctx.record(SOURCE, KIND, count);
    for pointer in ["/source/commit_date", "/source/generated_at"] {
        if let Some(date) = doc.pointer(pointer).and_then(Value::as_str) {
            ctx.saw_time(SOURCE, KIND, date);
        }
    }
    Ok(())
}

/// endoflife.date API v1 (`{"schema_version", "generated_at", "result": [product…]}`, each product
/// with `releases` of `name`, `releaseDate`, `isEol`/`eolFrom`, `isLts`/`ltsFrom`,
/// `isEoas`/`eoasFrom`, `isEoes`/`eoesFrom`, `isDiscontinued`/`discontinuedFrom`, `latest`) in
/// the products.json form: per product `title`, `category`, `identifiers: [{purl|cpe}]` and
/// `releases` of `cycle`, `releaseDate`, `eol`/`lts`/`eoas`/`eoes`/`discontinued` (the date when
/// one is set, else the flag), `latest`, `latestReleaseDate`, `codename`.
fn from_api_v1(doc: &Value) -> Value {
    let mut products = serde_json::Map::new();
    let mut aliases = serde_json::Map::new();
    let text = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).map(str::to_string);
    for product in doc
        .get("result")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(name) = text(product, "name") else {
            continue;
        };
        for alias in product
            .get("aliases")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(alias) = alias.as_str().filter(|a| *a != name) {
                aliases.insert(alias.to_string(), Value::String(name.clone()));
            }
        }
        let identifiers: Vec<Value> = product
            .get("identifiers")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|i| {
                let (kind, id) = (text(i, "type")?, text(i, "id")?);
                let mut one = serde_json::Map::new();
                one.insert(kind, Value::String(id));
                Some(Value::Object(one))
            })
            .collect();
        let releases: Vec<Value> = product
            .get("releases")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|r| {
                let mut out = serde_json::Map::new();
                out.insert("cycle".into(), Value::String(text(r, "name")?));
                if let Some(d) = text(r, "releaseDate") {
                    out.insert("releaseDate".into(), Value::String(d));
                }
                for (flag, from, key) in [
                    ("isEol", "eolFrom", "eol"),
                    ("isLts", "ltsFrom", "lts"),
                    ("isEoas", "eoasFrom", "eoas"),
                    ("isEoes", "eoesFrom", "eoes"),
                    ("isDiscontinued", "discontinuedFrom", "discontinued"),
                ] {
                    let value = match (text(r, from), r.get(flag).and_then(Value::as_bool)) {
                        (Some(date), _) => Value::String(date),
                        (None, Some(b)) => Value::Bool(b),
                        (None, None) => continue,
                    };
                    out.insert(key.into(), value);
                }
                if let Some(latest) = r.get("latest") {
                    if let Some(v) = text(latest, "name") {
                        out.insert("latest".into(), Value::String(v));
                    }
                    if let Some(d) = text(latest, "date") {
                        out.insert("latestReleaseDate".into(), Value::String(d));
                    }
                }
                if let Some(c) = text(r, "codename") {
                    out.insert("codename".into(), Value::String(c));
                }
                Some(Value::Object(out))
            })
            .collect();
        let mut entry = serde_json::Map::new();
        if let Some(label) = text(product, "label") {
            entry.insert("title".into(), Value::String(label));
        }
        if let Some(category) = text(product, "category") {
            entry.insert("category".into(), Value::String(category));
        }
        entry.insert("identifiers".into(), Value::Array(identifiers));
        entry.insert("releases".into(), Value::Array(releases));
        products.insert(name, Value::Object(entry));
    }
    let mut source = serde_json::Map::new();
    source.insert(
        "api".into(),
        Value::String("https://endoflife.date/api/v1/products/full".into()),
    );
    for key in ["schema_version", "generated_at"] {
        if let Some(v) = doc.get(key) {
            source.insert(key.into(), v.clone());
        }
    }
    let mut out = serde_json::Map::new();
    out.insert("source".into(), Value::Object(source));
    out.insert("product_count".into(), Value::from(products.len()));
    out.insert("aliases".into(), Value::Object(aliases));
    out.insert("products".into(), Value::Object(products));
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_v1_products_become_the_products_json_form() {
        let api = serde_json::json!({
            "schema_version": "1.2.0",
            "generated_at": "2026-12-01T00:00:00Z",
            "result": [{
                "name": "python", "aliases": ["py"], "label": "Python", "category": "lang",
                "identifiers": [{"id": "pkg:generic/python", "type": "purl"}],
                "releases": [
                    {"name": "3.11", "releaseDate": "2022-10-24", "isLts": false, "ltsFrom": null,
                     "isEoas": true, "eoasFrom": "2024-04-01", "isEol": false, "eolFrom": "2027-10-31",
                     "isMaintained": true, "latest": {"name": "3.11.14", "date": "2025-10-09"}},
                    {"name": "2.7", "isEol": true, "eolFrom": null}
                ]
            }]
        });
        let doc = from_api_v1(&api);
        let python = &doc["products"]["python"];
        assert_eq!(python["title"], "Python");
        assert_eq!(python["identifiers"][0]["purl"], "pkg:generic/python");
        let r = &python["releases"][0];
        assert_eq!(r["cycle"], "3.11");
        assert_eq!(r["eol"], "2027-10-31");
        assert_eq!(r["lts"], false);
        assert_eq!(r["eoas"], "2024-04-01");
        assert_eq!(r["latest"], "3.11.14");
        assert_eq!(python["releases"][1]["eol"], true);
        assert_eq!(doc["aliases"]["py"], "python");
        assert_eq!(doc["product_count"], 1);
    }
}
