//! SPDX 2.3 JSON: one package for the image (a container) that CONTAINS one package per
//! component. Deterministic: the document namespace is derived from the content and
//! `creationInfo.created` is the image's creation time, or `1970-01-01T00:00:00Z` when the image
//! has none (the field is required).

use std::collections::BTreeSet;
use std::io::{self, Write};

use onus_inventory::Sbom;
use serde_json::{json, Map, Value};

use crate::doc::{unique, DocView, Entry};
use crate::report::Report;
use crate::util;

/// Render an SBOM as SPDX 2.3 JSON.
pub fn render_sbom(sbom: &Sbom, out: &mut dyn Write) -> io::Result<()> {
    crate::write_json(&document(&DocView::of_sbom(sbom)), out)
}

/// Render a report's inventory as SPDX 2.3 JSON, with tier, party and rule in each package's
/// comment.
pub fn render_report(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    crate::write_json(&document(&DocView::of_report(report)), out)
}

/// `text` reduced to letters, digits, `.` and single `-` (no leading or trailing `-`).
pub(crate) fn slug(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || c == '.' {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    out
}

/// An SPDX identifier: `SPDXRef-` followed by letters, digits, `.` and `-` only.
pub(crate) fn spdx_id(prefix: &str, text: &str) -> String {
    let slug = slug(&format!("{prefix}{text}"));
    if slug.is_empty() {
        "SPDXRef-unnamed".to_string()
    } else {
        format!("SPDXRef-{slug}")
    }
}

fn package(view: &DocView<'_>, entry: &Entry<'_>, id: &str) -> Value {
    let c = entry.component;
    let mut map = Map::new();
    map.insert("SPDXID".into(), id.into());
    map.insert("name".into(), c.name.clone().into());
    if !c.version.is_empty() {
        map.insert("versionInfo".into(), c.version.clone().into());
    }
    map.insert("downloadLocation".into(), "NOASSERTION".into());
    map.insert("filesAnalyzed".into(), false.into());
    map.insert("licenseConcluded".into(), "NOASSERTION".into());
    map.insert("licenseDeclared".into(), "NOASSERTION".into());
    map.insert("copyrightText".into(), "NOASSERTION".into());
    let mut source_info = format!("found by {}", c.found_by);
    if !c.locations.is_empty() {
        source_info.push_str(" at ");
        source_info.push_str(&c.locations.join(", "));
    }
    map.insert("sourceInfo".into(), source_info.into());
    // The purl goes in externalRefs; a locator must not contain spaces.
    if !c.purl.is_empty() && !c.purl.contains(char::is_whitespace) {
        map.insert(
            "externalRefs".into(),
            json!([{ "referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": c.purl }]),
        );
    }
    let facts: Vec<String> = view
        .component_properties(entry)
        .into_iter()
        .filter(|(name, _)| name != "onus:location")
        .map(|(name, value)| format!("{name}={value}"))
        .collect();
    map.insert("comment".into(), facts.join("; ").into());
    Value::Object(map)
}

fn image_package(view: &DocView<'_>, id: &str) -> Value {
    let mut map = Map::new();
    map.insert("SPDXID".into(), id.into());
    map.insert("name".into(), view.image_name().into());
    if let Some(digest) = &view.image.manifest_digest {
        map.insert("versionInfo".into(), digest.clone().into());
        if let Some(hex) = util::sha256_of_digest(digest) {
            map.insert(
                "checksums".into(),
                json!([{ "algorithm": "SHA256", "checksumValue": hex }]),
            );
        }
    }
    map.insert("downloadLocation".into(), "NOASSERTION".into());
    map.insert("filesAnalyzed".into(), false.into());
    map.insert("licenseConcluded".into(), "NOASSERTION".into());
    map.insert("licenseDeclared".into(), "NOASSERTION".into());
    map.insert("copyrightText".into(), "NOASSERTION".into());
    map.insert("primaryPackagePurpose".into(), "CONTAINER".into());
    let facts: Vec<String> = view
        .image_properties()
        .into_iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect();
    map.insert("comment".into(), facts.join("; ").into());
    Value::Object(map)
}

/// The whole document as a JSON value.
pub(crate) fn document(view: &DocView<'_>) -> Value {
    let mut taken = BTreeSet::new();
    taken.insert("SPDXRef-DOCUMENT".to_string());
    let image_id = unique(&mut taken, "SPDXRef-Image".to_string(), "-");
    let mut packages = vec![image_package(view, &image_id)];
    let mut relationships = vec![json!({
        "spdxElementId": "SPDXRef-DOCUMENT",
        "relationshipType": "DESCRIBES",
        "relatedSpdxElement": image_id,
    })];
    if let Some(os) = &view.image.os {
        let version = os.version_id.clone().unwrap_or_default();
        let id = unique(
            &mut taken,
            spdx_id("OperatingSystem-", &format!("{}-{}", os.id, version)),
            "-",
        );
        let mut map = Map::new();
        map.insert("SPDXID".into(), id.clone().into());
        map.insert("name".into(), os.id.clone().into());
        if !version.is_empty() {
            map.insert("versionInfo".into(), version.into());
        }
        map.insert("downloadLocation".into(), "NOASSERTION".into());
        map.insert("filesAnalyzed".into(), false.into());
        map.insert("primaryPackagePurpose".into(), "OPERATING_SYSTEM".into());
        if let Some(pretty) = &os.pretty_name {
            map.insert("description".into(), pretty.clone().into());
        }
        packages.push(Value::Object(map));
        relationships.push(json!({
            "spdxElementId": image_id,
            "relationshipType": "CONTAINS",
            "relatedSpdxElement": id,
        }));
    }
    for entry in &view.entries {
        let c = entry.component;
        let prefix = format!("Package-{}-", c.ecosystem.purl_type());
        let id = unique(
            &mut taken,
            spdx_id(&prefix, &format!("{}-{}", c.name, c.version)),
            "-",
        );
        packages.push(package(view, entry, &id));
        relationships.push(json!({
            "spdxElementId": image_id,
            "relationshipType": "CONTAINS",
            "relatedSpdxElement": id,
        }));
    }
    let name = view.image_name();
    let packages = Value::Array(packages);
    let relationships = Value::Array(relationships);
    let created = util::time_or_epoch(view.image.created.as_deref());
    // The namespace names this content: hash what the document says, nothing else.
    let content = json!([name, created, packages, relationships]).to_string();
    let namespace = format!(
        "https://spdx.org/spdxdocs/{}-{}",
        match slug(&name) {
            s if s.is_empty() => "image".to_string(),
            s => s,
        },
        util::content_uuid(content.as_bytes())
    );
    json!({
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": name,
        "documentNamespace": namespace,
        "creationInfo": {
            "created": created,
            "creators": [format!("Tool: {}-{}", util::TOOL_NAME, util::TOOL_VERSION)],
        },
        "packages": packages,
        "relationships": relationships,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_sanitised() {
        assert_eq!(
            spdx_id("Package-npm-", "@scope/na me!-1.0"),
            "SPDXRef-Package-npm-scope-na-me-1.0"
        );
        assert_eq!(spdx_id("", "<script>"), "SPDXRef-script");
        assert_eq!(spdx_id("", "é"), "SPDXRef-unnamed");
        assert_eq!(slug("/tmp/x y/"), "tmp-x-y");
    }
}
