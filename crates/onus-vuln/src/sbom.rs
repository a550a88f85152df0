//! Reading SBOMs back into the inventory model: onus's own `onus.sbom/v1`, CycloneDX JSON
//! (components with purls) and SPDX JSON (packages with purl external refs, as apko writes them).

use std::collections::HashMap;
use std::str::FromStr;

use onus_inventory::{
    Component, Ecosystem, ImageInfo, OsInfo, Sbom, SourceInfo, Unknown, SBOM_SCHEMA,
};
use serde_json::Value;

use crate::error::VulnError;

/// Parse an SBOM in any supported format.
pub fn read_sbom(bytes: &[u8]) -> Result<Sbom, VulnError> {
    let err = |message: String| VulnError::Sbom {
        name: "input".to_string(),
        message,
    };
    let doc: Value = serde_json::from_slice(bytes).map_err(|e| err(format!("not JSON: {e}")))?;
    let mut sbom = if doc.get("schema").and_then(Value::as_str) == Some(SBOM_SCHEMA) {
        serde_json::from_value::<Sbom>(doc)
            .map_err(|e| err(format!("invalid `{SBOM_SCHEMA}` document: {e}")))?
    } else if doc.get("bomFormat").and_then(Value::as_str) == Some("CycloneDX") {
        from_cyclonedx(&doc)
    } else if doc.get("spdxVersion").is_some() {
        from_spdx(&doc)
    } else {
        return Err(err(format!(
            "not an `{SBOM_SCHEMA}`, CycloneDX or SPDX JSON document"
        )));
    };
    if sbom.image.os.is_none() {
        sbom.image.os = os_from_components(&sbom.components);
    }
    sbom.normalize();
    Ok(sbom)
}

fn empty_sbom(format: &str) -> Sbom {
    Sbom {
        schema: SBOM_SCHEMA.to_string(),
        source: SourceInfo {
            scheme: "sbom".to_string(),
            location: format.to_string(),
            platform: None,
        },
        image: ImageInfo::default(),
        components: Vec::new(),
        unknowns: Vec::new(),
    }
}

fn from_cyclonedx(doc: &Value) -> Sbom {
    let mut sbom = empty_sbom("cyclonedx");
    let mut stack: Vec<&Value> = Vec::new();
    stack.extend(doc.pointer("/metadata/component"));
    stack.extend(
        doc.get("components")
            .and_then(Value::as_array)
            .into_iter()
            .flatten(),
    );
    while let Some(c) = stack.pop() {
        stack.extend(
            c.get("components")
                .and_then(Value::as_array)
                .into_iter()
                .flatten(),
        );
        let text = |k: &str| c.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        if text("type") == "operating-system" {
            sbom.image.os.get_or_insert(OsInfo {
                id: text("name").to_ascii_lowercase(),
                version_id: Some(text("version")).filter(|v| !v.is_empty()),
                ..OsInfo::default()
            });
            continue;
        }
        let purl = text("purl");
        if purl.is_empty() {
            continue;
        }
        push_purl(&mut sbom, &purl, &text("version"), "sbom-cyclonedx", None);
    }
    sbom
}

fn from_spdx(doc: &Value) -> Sbom {
    let mut sbom = empty_sbom("spdx");
    let packages: Vec<&Value> = doc
        .get("packages")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .collect();
    let by_id: HashMap<&str, &Value> = packages
        .iter()
        .filter_map(|p| Some((p.get("SPDXID")?.as_str()?, *p)))
        .collect();
    // apko links each apk to the melange config it was built from: `<origin>.melange.yaml`.
    let mut origin_of: HashMap<&str, String> = HashMap::new();
    for rel in doc
        .get("relationships")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if rel.get("relationshipType").and_then(Value::as_str) != Some("DESCRIBED_BY") {
            continue;
        }
        let (Some(from), Some(to)) = (
            rel.get("spdxElementId").and_then(Value::as_str),
            rel.get("relatedSpdxElement").and_then(Value::as_str),
        ) else {
            continue;
        };
        let name = by_id
            .get(to)
            .and_then(|p| p.get("name"))
            .and_then(Value::as_str)
            .unwrap_or("");
        if let Some(origin) = name.strip_suffix(".melange.yaml") {
            origin_of.insert(from, origin.to_string());
        }
    }
    for p in packages {
        let text = |k: &str| p.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        if text("primaryPackagePurpose") == "OPERATING_SYSTEM" {
            sbom.image.os.get_or_insert(OsInfo {
                id: text("name").to_ascii_lowercase(),
                version_id: Some(text("versionInfo")).filter(|v| !v.is_empty()),
                ..OsInfo::default()
            });
            continue;
        }
        let purl = p
            .get("externalRefs")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .find(|r| r.get("referenceType").and_then(Value::as_str) == Some("purl"))
            .and_then(|r| r.get("referenceLocator"))
            .and_then(Value::as_str);
        let Some(purl) = purl else { continue };
        let origin = origin_of.get(text("SPDXID").as_str()).cloned();
        push_purl(&mut sbom, purl, &text("versionInfo"), "sbom-spdx", origin);
    }
    sbom
}

fn push_purl(sbom: &mut Sbom, purl: &str, version: &str, found_by: &str, origin: Option<String>) {
    match component_from_purl(purl, version, found_by) {
        Some(mut c) => {
            if c.origin.is_none() {
                c.origin = origin.filter(|o| *o != c.name);
            }
            sbom.components.push(c);
        }
        None => {
            // Image, layer and build-config purls (oci, github) are not packages to match.
            let ty = purl
                .strip_prefix("pkg:")
                .and_then(|r| r.split('/').next())
                .unwrap_or("");
            if !matches!(ty, "oci" | "github" | "docker") {
                sbom.unknowns.push(Unknown {
                    location: purl.to_string(),
                    reason: "unsupported or invalid purl".to_string(),
                });
            }
        }
    }
}

/// Turn a purl back into a component: ecosystem from the type, the name as catalogers write it
/// (Go module path, `@scope/name`, Maven artifact), origin from an `upstream` qualifier.
pub(crate) fn component_from_purl(
    purl: &str,
    fallback_version: &str,
    found_by: &str,
) -> Option<Component> {
    let parsed = packageurl::PackageUrl::from_str(purl).ok()?;
    let ecosystem = Ecosystem::from_purl_type(parsed.ty())?;
    let name = match (ecosystem, parsed.namespace()) {
        (Ecosystem::Golang | Ecosystem::Npm | Ecosystem::Composer, Some(ns)) => {
            format!("{ns}/{}", parsed.name())
        }
        _ => parsed.name().to_string(),
    };
    let version = parsed
        .version()
        .map(str::to_string)
        .unwrap_or_else(|| fallback_version.to_string());
    let qualifier = |k: &str| parsed.qualifiers().get(k).map(|v| v.to_string());
    let mut metadata = std::collections::BTreeMap::new();
    if let Some(ns) = parsed.namespace().filter(|_| ecosystem.is_distro()) {
        metadata.insert("purl_namespace".to_string(), ns.to_string());
    }
    if let Some(distro) = qualifier("distro") {
        metadata.insert("distro".to_string(), distro);
    }
    Some(Component {
        name,
        version,
        ecosystem,
        purl: purl.to_string(),
        layer: None,
        locations: Vec::new(),
        owner: None,
        found_by: found_by.to_string(),
        origin: qualifier("upstream").map(|u| u.split('@').next().unwrap_or(&u).to_string()),
        origin_version: None,
        arch: qualifier("arch"),
        files: Vec::new(),
        metadata,
    })
}

/// Guess the OS from distro package purls (`pkg:apk/wolfi/…`, `?distro=alpine-3.15.4`).
fn os_from_components(components: &[Component]) -> Option<OsInfo> {
    components
        .iter()
        .filter(|c| c.ecosystem.is_distro())
        .find_map(|c| {
            let distro = c.metadata.get("distro");
            let (id, version) = match distro.and_then(|d| d.split_once('-')) {
                Some((id, v)) => (id.to_string(), Some(v.to_string())),
                None => (c.metadata.get("purl_namespace")?.to_ascii_lowercase(), None),
            };
            (!id.is_empty() && id != "unknown").then(|| OsInfo {
                id,
                version_id: version,
                ..OsInfo::default()
            })
        })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn purls_to_components() {
        let go = component_from_purl("pkg:golang/golang.org/x/crypto@v0.1.0", "", "t");
        assert_eq!(
            go.map(|c| (c.ecosystem, c.name)),
            Some((Ecosystem::Golang, "golang.org/x/crypto".to_string()))
        );
        let apk = component_from_purl(
            "pkg:apk/wolfi/libcrypto3@3.1.4-r0?arch=x86_64&upstream=openssl&distro=wolfi-20230201",
            "",
            "t",
        )
        .unwrap();
        assert_eq!(apk.origin.as_deref(), Some("openssl"));
        assert_eq!(apk.arch.as_deref(), Some("x86_64"));
        let os = os_from_components(&[apk]);
        assert_eq!(os.map(|o| o.id), Some("wolfi".to_string()));
    }

    #[test]
    fn cyclonedx_and_spdx() {
        let cdx = br#"{"bomFormat":"CycloneDX","specVersion":"1.6","components":[
            {"type":"operating-system","name":"debian","version":"12"},
            {"type":"library","name":"requests","version":"2.19.1","purl":"pkg:pypi/requests@2.19.1"}]}"#;
        let sbom = read_sbom(cdx).map_err(|e| e.to_string());
        assert_eq!(sbom.as_ref().map(|s| s.components.len()), Ok(1));
        assert_eq!(
            sbom.ok().and_then(|s| s.image.os).map(|o| o.id),
            Some("debian".to_string())
        );
        let spdx = br#"{"spdxVersion":"SPDX-2.3","packages":[
            {"SPDXID":"SPDXRef-a","name":"curl","versionInfo":"8.0-r0","externalRefs":[{"referenceCategory":"PACKAGE-MANAGER","referenceType":"purl","referenceLocator":"pkg:apk/wolfi/curl@8.0-r0?arch=x86_64"}]},
            {"SPDXID":"SPDXRef-m","name":"curl-src.melange.yaml","versionInfo":"abc"}],
            "relationships":[{"spdxElementId":"SPDXRef-a","relationshipType":"DESCRIBED_BY","relatedSpdxElement":"SPDXRef-m"}]}"#;
        let sbom = read_sbom(spdx).map_err(|e| e.to_string());
        let c = sbom
            .as_ref()
            .ok()
            .and_then(|s| s.components.first().cloned());
        assert_eq!(c.and_then(|c| c.origin), Some("curl-src".to_string()));
        assert_eq!(
            sbom.ok().and_then(|s| s.image.os).map(|o| o.id),
            Some("wolfi".to_string())
        );
    }
}
