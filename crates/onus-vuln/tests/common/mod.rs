//! Helpers shared by the integration tests: locating shared data, building components.

#![allow(dead_code, clippy::print_stderr)]

use std::path::PathBuf;

use onus_inventory::{
    Component, Ecosystem, ImageInfo, OsInfo, Owner, Sbom, SourceInfo, SBOM_SCHEMA,
};

/// `ONUS_SHARED_DATA`, else `<workspace>/../shared/data`; `None` (with a message) when absent.
pub fn shared_data() -> Option<PathBuf> {
    let dir = std::env::var_os("ONUS_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data"))
        });
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("skipping: shared data not found at {}", dir.display());
        None
    }
}

pub fn component(eco: Ecosystem, name: &str, version: &str, purl: &str) -> Component {
    Component {
        name: name.to_string(),
        version: version.to_string(),
        ecosystem: eco,
        purl: purl.to_string(),
        layer: Some(0),
        locations: Vec::new(),
        owner: None,
        found_by: "test".to_string(),
        origin: None,
        origin_version: None,
        arch: None,
        files: Vec::new(),
        metadata: Default::default(),
    }
}

pub fn apk(ns: &str, name: &str, version: &str, origin: Option<&str>) -> Component {
    let mut c = component(
        Ecosystem::Apk,
        name,
        version,
        &format!("pkg:apk/{ns}/{name}@{version}?arch=x86_64"),
    );
    c.origin = origin.map(str::to_string);
    c
}

pub fn pypi(name: &str, version: &str) -> Component {
    component(
        Ecosystem::Pypi,
        name,
        version,
        &format!("pkg:pypi/{}@{version}", name.to_ascii_lowercase()),
    )
}

pub fn owned(mut c: Component, owner: &Component) -> Component {
    c.owner = Some(Owner {
        name: owner.name.clone(),
        version: owner.version.clone(),
        purl: owner.purl.clone(),
    });
    c
}

pub fn sbom(os: Option<(&str, &str, Option<&str>)>, components: Vec<Component>) -> Sbom {
    let mut s = Sbom {
        schema: SBOM_SCHEMA.to_string(),
        source: SourceInfo::default(),
        image: ImageInfo {
            os: os.map(|(id, v, codename)| OsInfo {
                id: id.to_string(),
                version_id: Some(v.to_string()),
                version_codename: codename.map(str::to_string),
                pretty_name: None,
            }),
            ..ImageInfo::default()
        },
        components,
        unknowns: Vec::new(),
    };
    s.normalize();
    s
}
