//! EOL evaluation against the real endoflife.date snapshot in the shared data folder.

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use chrono::NaiveDate;
use onus_eol::{evaluate, load_mapping, parse_products, EolData, EolEntry, EolState};
use onus_inventory::{Component, Ecosystem, ImageInfo, OsInfo, Sbom, SourceInfo, SBOM_SCHEMA};

fn shared_data() -> Option<PathBuf> {
    let dir = std::env::var_os("ONUS_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data"))
        });
    if dir.join("endoflife/products.json").is_file() {
        Some(dir)
    } else {
        #[allow(clippy::print_stderr)]
        {
            eprintln!("skipping: shared data not found at {}", dir.display());
        }
        None
    }
}

fn real_data() -> Option<EolData> {
    let bytes = std::fs::read(shared_data()?.join("endoflife/products.json")).unwrap();
    Some(parse_products(&bytes).unwrap())
}

fn now() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 29).unwrap()
}

fn component(eco: Ecosystem, name: &str, version: &str, layer: usize) -> Component {
    Component {
        name: name.to_string(),
        version: version.to_string(),
        ecosystem: eco,
        purl: format!("pkg:{}/{name}@{version}", eco.purl_type()),
        layer: Some(layer),
        locations: vec![],
        owner: None,
        found_by: "test".to_string(),
        origin: None,
        origin_version: None,
        arch: None,
        files: vec![],
        metadata: Default::default(),
    }
}

fn sbom(os: Option<(&str, &str)>, components: Vec<Component>) -> Sbom {
    Sbom {
        schema: SBOM_SCHEMA.to_string(),
        source: SourceInfo::default(),
        image: ImageInfo {
            os: os.map(|(id, v)| OsInfo {
                id: id.to_string(),
                version_id: Some(v.to_string()),
                ..Default::default()
            }),
            ..Default::default()
        },
        components,
        unknowns: vec![],
    }
}

fn find<'a>(entries: &'a [EolEntry], product: &str) -> &'a EolEntry {
    entries
        .iter()
        .find(|e| e.product == product)
        .unwrap_or_else(|| panic!("no {product} in {entries:#?}"))
}

#[test]
fn real_products_json_loads() {
    let Some(data) = real_data() else { return };
    assert!(data.products.len() >= 450, "{}", data.products.len());
    for slug in [
        "debian",
        "ubuntu",
        "python",
        "nodejs",
        "go",
        "nginx",
        "openssl",
        "eclipse-temurin",
        "spring-boot",
    ] {
        assert!(
            data.product(slug).is_some_and(|p| !p.releases.is_empty()),
            "{slug}"
        );
    }
    assert_eq!(
        data.product("alpine").map(|p| p.slug.as_str()),
        Some("alpine-linux")
    );
    assert_eq!(data.product("golang").map(|p| p.slug.as_str()), Some("go"));
    assert!(data.warnings.is_empty(), "{:?}", data.warnings);
}

#[test]
fn debian_12_is_in_grace_at_the_end_of_2026() {
    let Some(data) = real_data() else { return };
    let mapping = load_mapping(None).unwrap();
    let entries = evaluate(
        &sbom(Some(("debian", "12")), vec![]),
        &data,
        &mapping,
        None,
        now(),
    );
    assert_eq!(entries.len(), 1);
    let e = &entries[0];
    assert_eq!(e.product, "debian");
    assert_eq!(e.cycle.as_deref(), Some("12"));
    assert_eq!(e.eol_date.as_deref(), Some("2026-07-11"));
    assert_eq!(e.grace_end.as_deref(), Some("2027-01-11"));
    assert_eq!(e.days, Some(-141));
    assert_eq!(e.state, EolState::InGrace);
    assert_eq!(e.detected_by, "os-release");
    assert_eq!((e.party.as_str(), e.rule.as_str()), ("customer", "R-REL-4"));
    assert_eq!(e.supported_cycle.as_deref(), Some("13"));
}

#[test]
fn old_runtimes_and_servers_are_eol() {
    let Some(data) = real_data() else { return };
    let mapping = load_mapping(None).unwrap();
    let mut libpython = component(Ecosystem::Deb, "libpython3.7-minimal", "3.7.3-2+deb10u7", 0);
    libpython.origin = Some("python3.7".to_string());
    let image = sbom(
        Some(("debian", "10")),
        vec![
            component(Ecosystem::Deb, "python3.7", "3.7.3-2+deb10u7", 0),
            libpython,
            component(Ecosystem::Deb, "nodejs", "14.21.3-deb-1nodesource1", 1),
            component(Ecosystem::Deb, "nginx", "1.18.0-6.1+deb11u3", 1),
            component(Ecosystem::Deb, "python3-pip", "18.1-5", 0),
        ],
    );
    let entries = evaluate(&image, &data, &mapping, None, now());
    let products: Vec<&str> = entries.iter().map(|e| e.product.as_str()).collect();
    assert_eq!(products, ["debian", "nginx", "nodejs", "python"]);
    for (product, cycle, eol) in [
        ("debian", "10", "2022-09-10"),
        ("python", "3.7", "2023-06-27"),
        ("nodejs", "14", "2023-04-30"),
        ("nginx", "1.18", "2021-04-20"),
    ] {
        let e = find(&entries, product);
        assert_eq!(e.cycle.as_deref(), Some(cycle), "{product}");
        assert_eq!(e.eol_date.as_deref(), Some(eol), "{product}");
        assert_eq!(e.state, EolState::Eol, "{product}");
        assert!(e.days.is_some_and(|d| d < -180), "{product}");
    }
    // The main package is preferred as evidence over its sibling library.
    assert_eq!(find(&entries, "python").detected_by, "deb:python3.7");
    assert_eq!(find(&entries, "python").version, "3.7.3");
}

#[test]
fn alpine_wolfi_go_java_and_libraries() {
    let Some(data) = real_data() else { return };
    let mapping = load_mapping(None).unwrap();
    let mut spring = component(Ecosystem::Maven, "spring-boot", "2.7.18", 2);
    spring.purl = "pkg:maven/org.springframework.boot/spring-boot@2.7.18".to_string();
    let image = sbom(
        Some(("alpine", "3.19.1")),
        vec![
            component(Ecosystem::Apk, "nodejs-20", "20.10.0-r0", 0),
            component(Ecosystem::Apk, "python-3.12", "3.12.1-r0", 0),
            component(Ecosystem::Golang, "stdlib", "1.21.5", 1),
            component(
                Ecosystem::Deb,
                "openjdk-17-jre-headless",
                "17.0.9+9-1~deb12u1",
                1,
            ),
            component(Ecosystem::Apk, "libssl3", "3.1.4-r5", 0),
            spring,
            component(Ecosystem::Pypi, "Django", "3.2.23", 2),
            component(Ecosystem::Deb, "python3.99", "9.9.9-1", 2),
        ],
    );
    let entries = evaluate(&image, &data, &mapping, Some(1), now());
    let get = |p: &str| find(&entries, p);
    let alpine = get("alpine-linux");
    assert_eq!(
        (alpine.cycle.as_deref(), alpine.state),
        (Some("3.19"), EolState::Eol)
    );
    assert_eq!(
        (alpine.party.as_str(), alpine.rule.as_str()),
        ("vendor", "R-REL-2")
    );
    let node = get("nodejs");
    assert_eq!(
        (node.cycle.as_deref(), node.eol_date.as_deref()),
        (Some("20"), Some("2026-04-30"))
    );
    assert_eq!(node.state, EolState::Eol);
    assert_eq!(node.detected_by, "apk:nodejs-20");
    assert_eq!(node.party.as_str(), "vendor");
    assert_eq!(get("go").cycle.as_deref(), Some("1.21"));
    assert_eq!(get("go").detected_by, "golang:stdlib");
    assert_eq!(
        get("go").party.as_str(),
        "customer",
        "layer 1 is above the vendor's layers"
    );
    let java = get("eclipse-temurin");
    assert_eq!(
        (java.cycle.as_deref(), java.state),
        (Some("17"), EolState::Supported)
    );
    assert!(java.note.as_deref().is_some_and(|n| n.contains("OpenJDK")));
    assert_eq!(get("openssl").cycle.as_deref(), Some("3.1"));
    assert_eq!(get("spring-boot").cycle.as_deref(), Some("2.7"));
    assert_eq!(get("django").cycle.as_deref(), Some("3.2"));
    assert_eq!(get("django").state, EolState::Eol);
    // A version without a cycle is reported, not dropped.
    let unknown: Vec<&EolEntry> = entries
        .iter()
        .filter(|e| e.state == EolState::Unknown)
        .collect();
    assert_eq!(unknown.len(), 1, "{unknown:#?}");
    assert_eq!(
        (unknown[0].product.as_str(), unknown[0].cycle.as_deref()),
        ("python", None)
    );
    // Deterministic and serialisable.
    let again = evaluate(&image, &data, &mapping, Some(1), now());
    assert_eq!(
        serde_json::to_string(&entries).unwrap(),
        serde_json::to_string(&again).unwrap()
    );
    let json = serde_json::to_value(&entries[0]).unwrap();
    assert_eq!(json["state"], "eol");
}

#[test]
fn rolling_distributions_report_nothing() {
    let Some(data) = real_data() else { return };
    let mapping = load_mapping(None).unwrap();
    let entries = evaluate(
        &sbom(Some(("wolfi", "20230201")), vec![]),
        &data,
        &mapping,
        Some(1),
        now(),
    );
    assert!(entries.is_empty(), "{entries:#?}");
}

#[test]
fn interpreter_path_grace_and_eol_soon() {
    let Some(data) = real_data() else { return };
    let mapping = load_mapping(None).unwrap();
    let mut python = component(Ecosystem::Binary, "python-binary", "3.10.12", 0);
    python.locations = vec!["/usr/local/bin/python3.10".to_string()];
    let mut spring = component(Ecosystem::Maven, "spring-boot", "4.0.1", 1);
    spring.purl = "pkg:maven/org.springframework.boot/spring-boot@4.0.1".to_string();
    let entries = evaluate(
        &sbom(None, vec![python, spring]),
        &data,
        &mapping,
        None,
        now(),
    );
    let py = find(&entries, "python");
    assert_eq!(py.detected_by, "path:/usr/local/bin/python3.10");
    assert_eq!(
        (py.cycle.as_deref(), py.eol_date.as_deref()),
        (Some("3.10"), Some("2026-10-31"))
    );
    assert_eq!(
        (py.state, py.days, py.grace_end.as_deref()),
        (EolState::InGrace, Some(-29), Some("2027-05-01"))
    );
    let sb = find(&entries, "spring-boot");
    assert_eq!(
        (sb.cycle.as_deref(), sb.state, sb.days),
        (Some("4.0"), EolState::EolSoon, Some(32))
    );
    assert_eq!(
        sb.detected_by,
        "maven:maven/org.springframework.boot/spring-boot"
    );
}

#[test]
fn openjdk_releases_temurin_never_built_fall_back_to_the_upstream_builds() {
    let Some(data) = real_data() else { return };
    let mapping = load_mapping(None).unwrap();
    let s = sbom(
        Some(("wolfi", "20230201")),
        vec![
            component(Ecosystem::Apk, "openjdk-9", "9.0.4-r4", 0),
            component(Ecosystem::Apk, "openjdk-17", "17.0.9-r0", 0),
            component(Ecosystem::Apk, "spark-3.5", "3.5.0-r0", 0),
        ],
    );
    let entries = evaluate(&s, &data, &mapping, Some(1), now());
    let jdk9 = find(&entries, "openjdk-builds-from-oracle");
    assert_eq!(jdk9.cycle.as_deref(), Some("9"));
    assert_eq!(jdk9.eol_date.as_deref(), Some("2018-03-20"));
    assert_eq!(jdk9.state, EolState::Eol);
    // A cycle Temurin has stays with Temurin.
    let jdk17 = find(&entries, "eclipse-temurin");
    assert_eq!(jdk17.cycle.as_deref(), Some("17"));
    assert_eq!(jdk17.state, EolState::Supported);
    let spark = find(&entries, "apache-spark");
    assert_eq!(spark.cycle.as_deref(), Some("3.5"));
}
