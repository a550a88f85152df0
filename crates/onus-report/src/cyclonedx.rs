//! CycloneDX 1.6 JSON: the image as `metadata.component` (a container), every package as a
//! component with onus's facts as `onus:*` properties. Deterministic: the serial number is a
//! UUID derived from the document's content and the only timestamp is the image's creation time.

use std::collections::BTreeSet;
use std::io::{self, Write};

use onus_inventory::{Ecosystem, Sbom};
use serde_json::{json, Map, Value};

use crate::doc::{purl_namespace, unique, DocView, Entry};
use crate::report::Report;
use crate::util;

/// Render an SBOM as CycloneDX 1.6 JSON.
pub fn render_sbom(sbom: &Sbom, out: &mut dyn Write) -> io::Result<()> {
    crate::write_json(&document(&DocView::of_sbom(sbom)), out)
}

/// Render a report's inventory as CycloneDX 1.6 JSON, with tier, party, rule and reason as
/// `onus:*` properties on each component.
pub fn render_report(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    crate::write_json(&document(&DocView::of_report(report)), out)
}

fn properties(pairs: Vec<(String, String)>) -> Value {
    Value::Array(
        pairs
            .into_iter()
            .map(|(name, value)| json!({ "name": name, "value": value }))
            .collect(),
    )
}

fn component_type(entry: &Entry<'_>) -> &'static str {
    match entry.component.ecosystem {
        // A binary identified by other evidence (a Go `stdlib`, a main module) is an application.
        Ecosystem::Binary => "application",
        _ => "library",
    }
}

fn component(view: &DocView<'_>, entry: &Entry<'_>, bom_ref: &str) -> Value {
    let c = entry.component;
    let mut map = Map::new();
    map.insert("type".into(), component_type(entry).into());
    map.insert("bom-ref".into(), bom_ref.into());
    if c.ecosystem == Ecosystem::Maven && !c.name.contains(':') && !c.name.contains('/') {
        if let Some(group) = purl_namespace(&c.purl) {
            map.insert("group".into(), group.into());
        }
    }
    map.insert("name".into(), c.name.clone().into());
    if !c.version.is_empty() {
        map.insert("version".into(), c.version.clone().into());
    }
    if !c.purl.is_empty() {
        map.insert("purl".into(), c.purl.clone().into());
    }
    map.insert(
        "properties".into(),
        properties(view.component_properties(entry)),
    );
    Value::Object(map)
}

fn image_component(view: &DocView<'_>, bom_ref: &str) -> Value {
    let mut map = Map::new();
    map.insert("type".into(), "container".into());
    map.insert("bom-ref".into(), bom_ref.into());
    map.insert("name".into(), view.image_name().into());
    if let Some(digest) = &view.image.manifest_digest {
        map.insert("version".into(), digest.clone().into());
        if let Some(hex) = util::sha256_of_digest(digest) {
            map.insert(
                "hashes".into(),
                json!([{ "alg": "SHA-256", "content": hex }]),
            );
        }
    }
    map.insert("properties".into(), properties(view.image_properties()));
    Value::Object(map)
}

/// The whole document as a JSON value.
pub(crate) fn document(view: &DocView<'_>) -> Value {
    let mut taken = BTreeSet::new();
    let image_ref = unique(
        &mut taken,
        format!(
            "image:{}",
            view.image
                .manifest_digest
                .clone()
                .unwrap_or_else(|| view.image_name())
        ),
        "-",
    );
    let mut components = Vec::new();
    let mut refs = Vec::new();
    if let Some(os) = &view.image.os {
        let version = os.version_id.clone().unwrap_or_default();
        let bom_ref = unique(&mut taken, format!("os:{}@{}", os.id, version), "-");
        let mut map = Map::new();
        map.insert("type".into(), "operating-system".into());
        map.insert("bom-ref".into(), bom_ref.clone().into());
        map.insert("name".into(), os.id.clone().into());
        if !version.is_empty() {
            map.insert("version".into(), version.into());
        }
        if let Some(pretty) = &os.pretty_name {
            map.insert("description".into(), pretty.clone().into());
        }
        components.push(Value::Object(map));
        refs.push(bom_ref);
    }
    for entry in &view.entries {
        let c = entry.component;
        let base = if c.purl.is_empty() {
            format!("{}@{}", c.name, c.version)
        } else {
            c.purl.clone()
        };
        let bom_ref = unique(&mut taken, base, "#");
        components.push(component(view, entry, &bom_ref));
        refs.push(bom_ref);
    }
    let mut metadata = Map::new();
    if let Some(time) = util::normalize_time(view.image.created.as_deref()) {
        metadata.insert("timestamp".into(), time.into());
    }
    metadata.insert(
        "tools".into(),
        json!({ "components": [{ "type": "application", "name": util::TOOL_NAME, "version": util::TOOL_VERSION }] }),
    );
    metadata.insert("component".into(), image_component(view, &image_ref));
    let dependencies = json!([{ "ref": image_ref, "dependsOn": refs }]);
    let metadata = Value::Object(metadata);
    let components = Value::Array(components);
    // The serial number names this content: hash what the document says, nothing else.
    let content = json!([metadata, components, dependencies]).to_string();
    json!({
        "$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": format!("urn:uuid:{}", util::content_uuid(content.as_bytes())),
        "version": 1,
        "metadata": metadata,
        "components": components,
        "dependencies": dependencies,
    })
}
