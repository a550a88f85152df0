//! `onus db update` against a loopback mirror laid out like the public sources: every default
//! URL is served (from the shared data, put in each source's published format), the update gives
//! the same store as `onus db build` from the same files, `db status` names each source by its
//! public URL, and a source that fails is named while the old store stays byte-identical.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use chrono::Datelike;
use serde_json::{json, Value};

use crate::common::{onus_json, onus_ok, path_str};
use crate::support;

const OSV_BUCKET: &str = "osv-vulnerabilities.storage.googleapis.com";
/// OSV ecosystems the default list fetches, and which of them the shared data holds.
const OSV_ECOSYSTEMS: [&str; 9] = [
    "PyPI",
    "npm",
    "Go",
    "Maven",
    "crates.io",
    "RubyGems",
    "Packagist",
    "NuGet",
    "Wolfi",
];
const ALPINE_BRANCHES: [&str; 4] = ["v3.21", "v3.22", "v3.23", "v3.24"];

/// `python3 -m http.server` on 127.0.0.1, serving `dir`; killed on drop.
struct Mirror {
    child: Child,
    url: String,
}

impl Mirror {
    fn start(dir: &Path) -> Mirror {
        let mut child = Command::new("python3")
            .args([
                "-u",
                "-m",
                "http.server",
                "0",
                "--bind",
                "127.0.0.1",
                "--directory",
            ])
            .arg(dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 runs http.server");
        let stdout = child.stdout.take().unwrap();
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        // "Serving HTTP on 127.0.0.1 port 40123 (http://127.0.0.1:40123/) ..."
        let port = line
            .split_whitespace()
            .skip_while(|w| *w != "port")
            .nth(1)
            .unwrap_or_else(|| panic!("http.server said: {line}"))
            .to_string();
        Mirror {
            child,
            url: format!("http://127.0.0.1:{port}"),
        }
    }
}

impl Mirror {
    /// `onus db update --db DB` with every feed fetched from this mirror.
    fn update(&self, db: &Path) -> Output {
        Command::new(env!("CARGO_BIN_EXE_onus"))
            .args(["db", "update", "--db", &path_str(db)])
            .env("ONUS_FEED_MIRROR", &self.url)
            .env("ONUS_NO_PROGRESS", "1")
            .output()
            .unwrap()
    }
}

impl Drop for Mirror {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn put(root: &Path, url_path: &str, bytes: &[u8]) {
    let path = root.join(url_path);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

fn zip_of(members: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    for (name, bytes) in members {
        zip.start_file(name.as_str(), options).unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

/// Every file of a `.tar.zst` archive of the shared data, as (member path, bytes).
fn tar_zst_members(archive: &Path) -> Vec<(String, Vec<u8>)> {
    let decoder = zstd::Decoder::new(std::fs::File::open(archive).unwrap()).unwrap();
    let mut tar = tar::Archive::new(decoder);
    let mut out = Vec::new();
    for entry in tar.entries().unwrap() {
        let mut entry = entry.unwrap();
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let path = entry.path().unwrap().to_string_lossy().into_owned();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        out.push((path, bytes));
    }
    out
}

fn archive_in(dir: &Path, suffix: &str) -> PathBuf {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with(suffix))
        .unwrap_or_else(|| panic!("no {suffix} in {}", dir.display()))
}

fn yaml_to_json(bytes: &[u8]) -> Vec<u8> {
    let value: Value = serde_yaml_ng::from_slice(bytes).unwrap();
    serde_json::to_vec(&value).unwrap()
}

/// The extracted endoflife.date products.json in the API v1 `products/full` form.
fn endoflife_api_v1(products_json: &[u8]) -> Vec<u8> {
    let doc: Value = serde_json::from_slice(products_json).unwrap();
    let mut aliases: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (alias, name) in doc["aliases"].as_object().unwrap() {
        aliases
            .entry(name.as_str().unwrap().to_string())
            .or_default()
            .push(alias.clone());
    }
    let dated =
        |release: &Value, key: &str, flag: &str, from: &str, out: &mut Value| match &release[key] {
            Value::String(date) => {
                out[flag] = Value::Bool(true);
                out[from] = Value::String(date.clone());
            }
            Value::Bool(b) => {
                out[flag] = Value::Bool(*b);
                out[from] = Value::Null;
            }
            _ => {}
        };
    let result: Vec<Value> = doc["products"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(name, product)| {
            let identifiers: Vec<Value> = product["identifiers"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|i| {
                    let (kind, id) = i.as_object()?.iter().next()?;
                    Some(json!({"id": id, "type": kind}))
                })
                .collect();
            let releases: Vec<Value> = product["releases"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|r| {
                    let mut out = json!({
                        "name": r["cycle"].as_str().map(str::to_string)
                            .unwrap_or_else(|| r["cycle"].to_string()),
                        "releaseDate": r["releaseDate"],
                        "latest": {"name": r["latest"], "date": r["latestReleaseDate"]},
                    });
                    dated(r, "eol", "isEol", "eolFrom", &mut out);
                    dated(r, "lts", "isLts", "ltsFrom", &mut out);
                    dated(r, "eoas", "isEoas", "eoasFrom", &mut out);
                    dated(r, "eoes", "isEoes", "eoesFrom", &mut out);
                    dated(
                        r,
                        "discontinued",
                        "isDiscontinued",
                        "discontinuedFrom",
                        &mut out,
                    );
                    out
                })
                .collect();
            json!({
                "name": name,
                "aliases": aliases.get(name).cloned().unwrap_or_default(),
                "label": product["title"],
                "category": product["category"],
                "identifiers": identifiers,
                "releases": releases,
            })
        })
        .collect();
    serde_json::to_vec(&json!({
        "schema_version": "1.2.0",
        "generated_at": doc["source"]["commit_date"],
        "total": result.len(),
        "result": result,
    }))
    .unwrap()
}

/// Split one CSV line (quoted fields allowed).
fn csv_fields(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                fields.last_mut().unwrap().push('"');
            }
            '"' => quoted = !quoted,
            ',' if !quoted => fields.push(String::new()),
            c => fields.last_mut().unwrap().push(c),
        }
    }
    fields
}

/// The Vulnrichment CVSS extract as NVD JSON 2.0 year feeds (`year -> (gzip bytes, .meta)`),
/// every year from 2002 to `last` (earlier CVEs go in 2002's, as the NVD does).
fn nvd_feeds(csv: &str, last: i32) -> BTreeMap<i32, (Vec<u8>, String)> {
    let mut lines = csv.lines();
    let header = csv_fields(lines.next().unwrap());
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let mut years: BTreeMap<i32, Vec<Value>> = (2002..=last).map(|y| (y, Vec::new())).collect();
    for line in lines {
        let row = csv_fields(line);
        if row.len() != header.len() {
            continue;
        }
        let get = |name: &str| row[col(name)].trim().to_string();
        let cve = get("cve_id");
        let Some(year) = cve.split('-').nth(1).and_then(|y| y.parse::<i32>().ok()) else {
            continue;
        };
        let metric = |prefix: &str, version: &str| -> Option<Value> {
            let vector = get(&format!("{prefix}_vector"));
            if vector.is_empty() {
                return None;
            }
            let score: Option<f64> = get(&format!("{prefix}_score")).parse().ok();
            let severity = get(&format!("{prefix}_severity"));
            let mut data = json!({"version": version, "vectorString": vector, "baseScore": score});
            let mut m = json!({"source": "cna@example", "type": "Secondary"});
            if version == "2.0" {
                m["baseSeverity"] = json!(severity);
            } else {
                data["baseSeverity"] = json!(severity);
            }
            m["cvssData"] = data;
            Some(m)
        };
        let mut metrics = serde_json::Map::new();
        for (key, prefixes, version) in [
            ("cvssMetricV40", &["cna_cvss40"][..], "4.0"),
            ("cvssMetricV31", &["cna_cvss31", "adp_cvss31"][..], "3.1"),
            ("cvssMetricV30", &["cna_cvss30"][..], "3.0"),
            ("cvssMetricV2", &["cna_cvss20"][..], "2.0"),
        ] {
            let list: Vec<Value> = prefixes.iter().filter_map(|p| metric(p, version)).collect();
            if !list.is_empty() {
                metrics.insert(key.to_string(), Value::Array(list));
            }
        }
        let item =
            json!({"cve": {"id": cve, "published": get("date_published"), "metrics": metrics}});
        years.entry(year.clamp(2002, last)).or_default().push(item);
    }
    years
        .into_iter()
        .map(|(year, items)| {
            let doc = json!({
                "resultsPerPage": items.len(), "startIndex": 0, "totalResults": items.len(),
                "format": "NVD_CVE", "version": "2.0", "timestamp": "2025-01-24T00:00:00.000",
                "vulnerabilities": items,
            });
            let json = serde_json::to_vec(&doc).unwrap();
            let gz = gzip(&json);
            // The NVD's .meta: the decompressed feed's size and sha256 (the .meta files are not
            // feeds, so a build from the same directory skips them).
            let meta = format!(
                "lastModifiedDate:2025-01-24T00:00:00-05:00\r\nsize:{}\r\ngzSize:{}\r\nsha256:{}\r\n",
                json.len(),
                gz.len(),
                hex::encode_upper(<sha2::Sha256 as sha2::Digest>::digest(&json))
            );
            (year, (gz, meta))
        })
        .collect()
}

/// Lay out every default source under `root` at `<host>/<path>`, from the shared data.
fn build_mirror(root: &Path, shared: &Path, year: i32) {
    let fixtures = shared.join("secdb-fixtures");
    put(
        root,
        "packages.wolfi.dev/os/security.json",
        &std::fs::read(fixtures.join("wolfi/security.json")).unwrap(),
    );
    put(
        root,
        "packages.cgr.dev/chainguard/security.json",
        &std::fs::read(fixtures.join("chainguard/security.json")).unwrap(),
    );
    // Chainguard's OSV tarball: the fixture records, one file each.
    let mut tar = tar::Builder::new(Vec::new());
    for entry in std::fs::read_dir(fixtures.join("chainguard/osv")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("CGA-") {
            tar.append_path_with_name(&path, &name).unwrap();
        }
    }
    put(
        root,
        "advisories.cgr.dev/chainguard/v3/osv/chainguard-osv.tar.gz",
        &gzip(&tar.into_inner().unwrap()),
    );
    // OSV exports: PyPI (PyPA's YAML records as OSV JSON) and Go; the other ecosystems have no
    // records in the shared data and are served as empty exports.
    let pypi: Vec<(String, Vec<u8>)> =
        tar_zst_members(&archive_in(&shared.join("osv-pypi"), ".tar.zst"))
            .into_iter()
            .filter(|(p, _)| p.ends_with(".yaml"))
            .map(|(p, bytes)| {
                let id = p.rsplit('/').next().unwrap().trim_end_matches(".yaml");
                (format!("{id}.json"), yaml_to_json(&bytes))
            })
            .collect();
    let go: Vec<(String, Vec<u8>)> =
        tar_zst_members(&archive_in(&shared.join("osv-go"), ".tar.zst"))
            .into_iter()
            .filter(|(p, _)| p.ends_with(".json"))
            .map(|(p, bytes)| (p.rsplit('/').next().unwrap().to_string(), bytes))
            .collect();
    for ecosystem in OSV_ECOSYSTEMS {
        let members = match ecosystem {
            "PyPI" => pypi.clone(),
            "Go" => go.clone(),
            _ => Vec::new(),
        };
        put(
            root,
            &format!("{OSV_BUCKET}/{ecosystem}/all.zip"),
            &zip_of(&members),
        );
    }
    // Alpine's secdb: the v3.15 sample (JSON, as secdb.alpinelinux.org publishes it) at each
    // branch's place; its own `distroversion` decides the namespace.
    for branch in ALPINE_BRANCHES {
        for repo in ["main", "community"] {
            let sample = std::fs::read(fixtures.join(format!("alpine/v3.15/{repo}.yaml"))).unwrap();
            put(
                root,
                &format!("secdb.alpinelinux.org/{branch}/{repo}.json"),
                &yaml_to_json(&sample),
            );
        }
    }
    put(
        root,
        "security-tracker.debian.org/tracker/data/json",
        &std::fs::read(fixtures.join("debian/debian.json")).unwrap(),
    );
    put(
        root,
        "www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json",
        &std::fs::read(shared.join("cisa-kev/known_exploited_vulnerabilities.json")).unwrap(),
    );
    put(
        root,
        "endoflife.date/api/v1/products/full",
        &endoflife_api_v1(&std::fs::read(shared.join("endoflife/products.json")).unwrap()),
    );
    let csv = std::fs::read_to_string(archive_in(&shared.join("cve-severity"), ".csv")).unwrap();
    for (y, (gz, meta)) in nvd_feeds(&csv, year) {
        let base = format!("nvd.nist.gov/feeds/json/cve/2.0/nvdcve-2.0-{y}");
        put(root, &format!("{base}.json.gz"), &gz);
        put(root, &format!("{base}.meta"), meta.as_bytes());
    }
}

/// Every row of every table, sorted, as text; of `sources` only what the data decides (name,
/// kind, records, warnings), not where it came from.
fn store_rows(db: &Path) -> BTreeMap<String, Vec<String>> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let mut out = BTreeMap::new();
    for table in tables {
        let sql = if table == "sources" {
            "SELECT name, kind, records, warnings FROM sources".to_string()
        } else {
            format!("SELECT * FROM \"{table}\"")
        };
        let mut stmt = conn.prepare(&sql).unwrap();
        let columns = stmt.column_count();
        let mut rows: Vec<String> = stmt
            .query_map([], |r| {
                Ok((0..columns)
                    .map(|i| format!("{:?}", r.get_ref(i).unwrap()))
                    .collect::<Vec<_>>()
                    .join(" | "))
            })
            .unwrap()
            .map(Result::unwrap)
            .collect();
        rows.sort();
        out.insert(table, rows);
    }
    out
}

#[test]
fn update_from_a_mirror_of_the_public_sources_equals_a_build_from_the_same_files() {
    let Some(shared) = support::shared_data() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let mirror_dir = tmp.path().join("mirror");
    // The binary asks for every NVD year up to the current one.
    build_mirror(&mirror_dir, &shared, chrono::Utc::now().year());
    let mirror = Mirror::start(&mirror_dir);

    let updated = tmp.path().join("updated/vuln.db");
    let out = mirror.update(&updated);
    assert!(
        out.status.success(),
        "db update failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let built = tmp.path().join("built/vuln.db");
    onus_ok(
        &[
            "db",
            "build",
            "--db",
            &path_str(&built),
            "--from",
            &path_str(&mirror_dir),
        ],
        0,
    );
    let (a, b) = (store_rows(&updated), store_rows(&built));
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (table, rows) in &a {
        assert!(
            rows == &b[table],
            "table `{table}` differs: {} rows from the update, {} from the build",
            rows.len(),
            b[table].len()
        );
    }
    // Every feed the store holds came in, each named by its public URL.
    let status = onus_json(&[
        "db",
        "status",
        "--db",
        &path_str(&updated),
        "--format",
        "json",
    ]);
    let sources: BTreeMap<String, (u64, String)> = status["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap().to_string(),
                (
                    s["records"].as_u64().unwrap(),
                    s["provenance"].as_str().unwrap().to_string(),
                ),
            )
        })
        .collect();
    for (name, url_part) in [
        ("osv-pypi", "googleapis.com/PyPI/all.zip"),
        ("osv-go", "googleapis.com/Go/all.zip"),
        ("secdb-wolfi", "packages.wolfi.dev/os/security.json"),
        ("secdb-alpine-3.15", "secdb.alpinelinux.org/v3.21/main.json"),
        ("cisa-kev", "www.cisa.gov/"),
        ("endoflife", "https://endoflife.date/api/v1/products/full"),
        (
            "nvd",
            "nvd.nist.gov/feeds/json/cve/2.0/nvdcve-2.0-2024.json.gz",
        ),
    ] {
        let (records, provenance) = sources
            .get(name)
            .unwrap_or_else(|| panic!("no source `{name}` in {sources:?}"));
        assert!(*records > 0, "{name} has no records");
        assert!(provenance.contains(url_part), "{name}: {provenance}");
        assert!(!provenance.contains("127.0.0.1"), "{name}: {provenance}");
    }
    // A source that fails is named; the update exits 2 and the old store stays byte-identical:
    // a feed whose content does not match the digest its source publishes, then a missing feed.
    let before = std::fs::read(&updated).unwrap();
    let meta = mirror_dir.join("nvd.nist.gov/feeds/json/cve/2.0/nvdcve-2.0-2024.meta");
    let genuine = std::fs::read_to_string(&meta).unwrap();
    let sha = genuine
        .lines()
        .find_map(|l| l.strip_prefix("sha256:"))
        .unwrap()
        .to_string();
    std::fs::write(&meta, genuine.replace(&sha, &"0".repeat(64))).unwrap();
    let out = mirror.update(&updated);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("nvdcve-2.0-2024.json.gz") && stderr.contains("checksum mismatch"),
        "{stderr}"
    );
    assert_eq!(std::fs::read(&updated).unwrap(), before);
    std::fs::write(&meta, genuine).unwrap();
    std::fs::remove_file(
        mirror_dir
            .join("www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json"),
    )
    .unwrap();
    let out = mirror.update(&updated);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("known_exploited_vulnerabilities.json") && stderr.contains("404"),
        "{stderr}"
    );
    assert_eq!(std::fs::read(&updated).unwrap(), before);
}
