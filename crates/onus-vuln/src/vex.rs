//! OpenVEX documents: statements (vulnerability name and aliases, product purls, status,
//! justification) that the matcher applies like vendor advisories.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::VulnError;

/// An OpenVEX statement status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VexStatus {
    NotAffected,
    Affected,
    Fixed,
    UnderInvestigation,
}

/// One statement, flattened: every id it names and every product purl it covers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VexStatement {
    /// The vulnerability name followed by its aliases.
    pub vulnerabilities: Vec<String>,
    /// Product and subcomponent purls.
    pub products: Vec<String>,
    pub status: VexStatus,
    pub justification: Option<String>,
    pub impact_statement: Option<String>,
    pub action_statement: Option<String>,
    /// Statement timestamp, else the document's.
    pub timestamp: Option<String>,
}

/// A parsed OpenVEX document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VexDocument {
    /// The document `@id`, or the name it was read under.
    pub id: String,
    pub statements: Vec<VexStatement>,
}

/// Parse an OpenVEX JSON document; `name` is used in errors. Statements with an unknown status
/// or no product are skipped (they would match nothing).
pub fn parse_vex(bytes: &[u8], name: &str) -> Result<VexDocument, VulnError> {
    let err = |message: String| VulnError::Vex {
        name: name.to_string(),
        message,
    };
    let doc: Value = serde_json::from_slice(bytes).map_err(|e| err(e.to_string()))?;
    let statements = doc
        .get("statements")
        .and_then(Value::as_array)
        .ok_or_else(|| err("no `statements` list".to_string()))?;
    let doc_time = doc
        .get("timestamp")
        .and_then(Value::as_str)
        .map(str::to_string);
    let text = |v: &Value, k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .map(str::to_string)
            .filter(|s| !s.is_empty())
    };
    let mut out = Vec::new();
    for s in statements {
        let status = match s.get("status").and_then(Value::as_str) {
            Some("not_affected") => VexStatus::NotAffected,
            Some("affected") => VexStatus::Affected,
            Some("fixed") => VexStatus::Fixed,
            Some("under_investigation") => VexStatus::UnderInvestigation,
            _ => continue,
        };
        let mut vulnerabilities = Vec::new();
        match s.get("vulnerability") {
            Some(Value::String(v)) => vulnerabilities.push(v.clone()),
            Some(v @ Value::Object(_)) => {
                vulnerabilities.extend(text(v, "name"));
                if let Some(aliases) = v.get("aliases").and_then(Value::as_array) {
                    vulnerabilities
                        .extend(aliases.iter().filter_map(Value::as_str).map(str::to_string));
                }
            }
            _ => {}
        }
        let mut products = Vec::new();
        for p in s
            .get("products")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            collect_product(p, &mut products);
            for sub in p
                .get("subcomponents")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                collect_product(sub, &mut products);
            }
        }
        if vulnerabilities.is_empty() || products.is_empty() {
            continue;
        }
        out.push(VexStatement {
            vulnerabilities,
            products,
            status,
            justification: text(s, "justification"),
            impact_statement: text(s, "impact_statement"),
            action_statement: text(s, "action_statement"),
            timestamp: text(s, "timestamp").or_else(|| doc_time.clone()),
        });
    }
    Ok(VexDocument {
        id: text(&doc, "@id").unwrap_or_else(|| name.to_string()),
        statements: out,
    })
}

fn collect_product(p: &Value, out: &mut Vec<String>) {
    match p {
        Value::String(s) if s.starts_with("pkg:") => out.push(s.clone()),
        Value::Object(_) => {
            if let Some(id) = p
                .get("@id")
                .and_then(Value::as_str)
                .filter(|s| s.starts_with("pkg:"))
            {
                out.push(id.to_string());
            }
            if let Some(purl) = p.pointer("/identifiers/purl").and_then(Value::as_str) {
                out.push(purl.to_string());
            }
        }
        _ => {}
    }
}

/// Whether a VEX product purl covers a component purl: type, namespace and name equal; a
/// version or qualifier in the VEX purl must match, absent ones match anything.
pub(crate) fn purl_covers(vex: &str, component: &str) -> bool {
    use std::str::FromStr;
    let (Ok(v), Ok(c)) = (
        packageurl::PackageUrl::from_str(vex),
        packageurl::PackageUrl::from_str(component),
    ) else {
        return vex == component;
    };
    if v.ty() != c.ty() || v.name() != c.name() || v.namespace() != c.namespace() {
        return false;
    }
    if v.version().is_some() && v.version() != c.version() {
        return false;
    }
    v.qualifiers()
        .iter()
        .all(|(k, val)| c.qualifiers().get(k) == Some(val))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_statements_and_matches_purls() {
        let doc = br#"{"@context":"https://openvex.dev/ns/v0.2.0","@id":"https://example.invalid/vex-1","author":"a",
          "timestamp":"2024-01-01T00:00:00Z","version":1,
          "statements":[{"vulnerability":{"name":"CVE-2018-18074","aliases":["GHSA-x84v-xcm2-53pg"]},
            "products":[{"@id":"pkg:pypi/requests@2.19.1"}],"status":"not_affected",
            "justification":"vulnerable_code_not_in_execute_path"},
            {"vulnerability":"CVE-1","products":["pkg:apk/wolfi/x"],"status":"bogus"}]}"#;
        let parsed = parse_vex(doc, "t.json");
        assert!(parsed.is_ok());
        let Ok(parsed) = parsed else { return };
        assert_eq!(parsed.statements.len(), 1);
        assert_eq!(parsed.statements[0].status, VexStatus::NotAffected);
        assert!(purl_covers(
            "pkg:pypi/requests@2.19.1",
            "pkg:pypi/requests@2.19.1"
        ));
        assert!(purl_covers(
            "pkg:apk/wolfi/curl",
            "pkg:apk/wolfi/curl@8.0-r0?arch=x86_64"
        ));
        assert!(!purl_covers(
            "pkg:apk/wolfi/curl?arch=aarch64",
            "pkg:apk/wolfi/curl@8.0-r0?arch=x86_64"
        ));
        assert!(!purl_covers(
            "pkg:pypi/requests@2.20.0",
            "pkg:pypi/requests@2.19.1"
        ));
    }
}
