//! Export advisories to the formats scanners read (model §4.4): Alpine-style secdb, OSV, OpenVEX.
//!
//! Every export is a pure function of the documents: output order is fixed (sorted) and the
//! only timestamps are those of the events, so the same input gives byte-identical output.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::model::{Advisory, Document, EventKind};
use crate::validate::{is_cve_id, is_ghsa_id, is_go_id};

/// The secdb key of not-affected (false-positive) entries.
pub const SECDB_NOT_AFFECTED: &str = "0";

/// The apk URL template every secdb carries.
pub const SECDB_APKURL: &str = "{{urlprefix}}/{{reponame}}/{{arch}}/{{pkg.name}}-{{pkg.ver}}.apk";

/// The envelope fields of a secdb (defaults: the Wolfi feed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecdbOptions {
    pub archs: Vec<String>,
    pub reponame: String,
    pub urlprefix: String,
}

impl Default for SecdbOptions {
    fn default() -> Self {
        SecdbOptions {
            archs: vec!["x86_64".into(), "aarch64".into()],
            reponame: "os".into(),
            urlprefix: "https://packages.wolfi.dev".into(),
        }
    }
}

/// An Alpine-style security database (`security.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Secdb {
    pub apkurl: String,
    pub archs: Vec<String>,
    pub reponame: String,
    pub urlprefix: String,
    pub packages: Vec<SecdbEntry>,
}

/// `{"pkg": {...}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct SecdbEntry {
    pub pkg: SecdbPackage,
}

/// One origin package and its fixes: version → vulnerability ids (`"0"` = not affected).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct SecdbPackage {
    pub name: String,
    pub secfixes: BTreeMap<String, Vec<String>>,
}

/// Build a secdb from documents.
///
/// Per advisory, by current event: `fixed` ⇒ every alias under `secfixes[fixed-version]`;
/// `false-positive-determination` ⇒ every alias under `secfixes["0"]`; other states emit nothing.
/// CGA ids are never emitted. Packages are keyed by the document's (origin) package name,
/// documents of the same package are merged, packages without entries are left out. Order:
/// packages by name, keys by string order, ids in advisory-id order then alias order,
/// de-duplicated.
pub fn export_secdb<'a>(
    docs: impl IntoIterator<Item = &'a Document>,
    options: &SecdbOptions,
) -> Secdb {
    let mut by_package: BTreeMap<&str, BTreeMap<String, Vec<String>>> = BTreeMap::new();
    let mut advisories_by_package: BTreeMap<&str, Vec<&Advisory>> = BTreeMap::new();
    for doc in docs {
        advisories_by_package
            .entry(doc.package.name.as_str())
            .or_default()
            .extend(doc.advisories.iter());
    }
    for (name, mut advisories) in advisories_by_package {
        advisories.sort_by(|a, b| a.id.cmp(&b.id));
        let mut secfixes: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for adv in advisories {
            let key = match adv.current_event().map(|e| &e.kind) {
                Some(EventKind::Fixed {
                    fixed_version: Some(v),
                }) if !v.trim().is_empty() => v.trim().to_string(),
                Some(EventKind::FalsePositiveDetermination { .. }) => {
                    SECDB_NOT_AFFECTED.to_string()
                }
                _ => continue,
            };
            if adv.aliases.is_empty() {
                continue;
            }
            let ids = secfixes.entry(key).or_default();
            for alias in &adv.aliases {
                if !ids.contains(alias) {
                    ids.push(alias.clone());
                }
            }
        }
        if !secfixes.is_empty() {
            by_package.insert(name, secfixes);
        }
    }
    Secdb {
        apkurl: SECDB_APKURL.to_string(),
        archs: options.archs.clone(),
        reponame: options.reponame.clone(),
        urlprefix: options.urlprefix.clone(),
        packages: by_package
            .into_iter()
            .map(|(name, secfixes)| SecdbEntry {
                pkg: SecdbPackage {
                    name: name.to_string(),
                    secfixes,
                },
            })
            .collect(),
    }
}

/// OSV export options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OsvOptions {
    /// Ecosystems to list each package under (`Wolfi`, `Chainguard`); the purl namespace is
    /// the lower-cased ecosystem.
    pub ecosystems: Vec<String>,
    /// Subpackages per origin package, listed as affected packages too (optional; build
    /// configurations are not part of the advisory data).
    pub subpackages: BTreeMap<String, Vec<String>>,
}

impl Default for OsvOptions {
    fn default() -> Self {
        OsvOptions {
            ecosystems: vec!["Wolfi".into()],
            subpackages: BTreeMap::new(),
        }
    }
}

/// The OSV schema version written into records.
pub const OSV_SCHEMA_VERSION: &str = "1.6.0";

/// One OSV record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OsvRecord {
    pub schema_version: String,
    pub id: String,
    pub modified: String,
    pub related: Vec<String>,
    pub affected: Vec<OsvAffected>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OsvAffected {
    pub package: OsvPackage,
    pub ranges: Vec<OsvRange>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OsvPackage {
    pub ecosystem: String,
    pub name: String,
    pub purl: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OsvRange {
    #[serde(rename = "type")]
    pub range_type: String,
    pub events: Vec<BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_specific: Option<BTreeMap<String, bool>>,
}

/// The OSV `all.json` index entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OsvIndexEntry {
    pub id: String,
    pub modified: String,
}

/// Build OSV records, one per advisory whose current event is `fixed` or a false positive.
///
/// `id` = the CGA id, `related` = [id, aliases…] (as wolfictl writes it), `modified` = the
/// current event's timestamp; `fixed` ⇒ range `introduced 0, fixed <version>`; FP ⇒
/// `introduced 0, fixed 0` with `database_specific.false_positive: true`. Sorted by id.
pub fn export_osv<'a>(
    docs: impl IntoIterator<Item = &'a Document>,
    options: &OsvOptions,
) -> Vec<OsvRecord> {
    let mut out: BTreeMap<String, OsvRecord> = BTreeMap::new();
    for doc in docs {
        let name = doc.package.name.as_str();
        let mut packages = vec![name.to_string()];
        if let Some(subs) = options.subpackages.get(name) {
            let mut subs = subs.clone();
            subs.sort();
            subs.dedup();
            packages.extend(subs.into_iter().filter(|s| s != name));
        }
        for adv in &doc.advisories {
            let Some(current) = adv.current_event() else {
                continue;
            };
            let range = match &current.kind {
                EventKind::Fixed {
                    fixed_version: Some(v),
                } if !v.trim().is_empty() => OsvRange {
                    range_type: "ECOSYSTEM".into(),
                    events: vec![event("introduced", "0"), event("fixed", v.trim())],
                    database_specific: None,
                },
                EventKind::FalsePositiveDetermination { .. } => OsvRange {
                    range_type: "ECOSYSTEM".into(),
                    events: vec![event("introduced", "0"), event("fixed", "0")],
                    database_specific: Some(BTreeMap::from([("false_positive".to_string(), true)])),
                },
                _ => continue,
            };
            let mut affected = Vec::new();
            for pkg in &packages {
                for eco in &options.ecosystems {
                    affected.push(OsvAffected {
                        package: OsvPackage {
                            ecosystem: eco.clone(),
                            name: pkg.clone(),
                            purl: apk_purl(&eco.to_ascii_lowercase(), pkg, None),
                        },
                        ranges: vec![range.clone()],
                    });
                }
            }
            let mut related = vec![adv.id.clone()];
            for alias in &adv.aliases {
                if !related.contains(alias) {
                    related.push(alias.clone());
                }
            }
            out.insert(
                adv.id.clone(),
                OsvRecord {
                    schema_version: OSV_SCHEMA_VERSION.into(),
                    id: adv.id.clone(),
                    modified: rfc3339(current.timestamp),
                    related,
                    affected,
                },
            );
        }
    }
    out.into_values().collect()
}

/// The `all.json` index of OSV records (`id`, `modified`), in record order.
pub fn osv_index(records: &[OsvRecord]) -> Vec<OsvIndexEntry> {
    records
        .iter()
        .map(|r| OsvIndexEntry {
            id: r.id.clone(),
            modified: r.modified.clone(),
        })
        .collect()
}

fn event(k: &str, v: &str) -> BTreeMap<String, String> {
    BTreeMap::from([(k.to_string(), v.to_string())])
}

/// OpenVEX export options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenVexOptions {
    pub author: String,
    /// purl namespace of products (`wolfi` or `chainguard`).
    pub namespace: String,
    /// Prefix of the document `@id`; a content hash is appended.
    pub id_prefix: String,
}

impl Default for OpenVexOptions {
    fn default() -> Self {
        OpenVexOptions {
            author: "onus (from vendor advisories)".into(),
            namespace: "wolfi".into(),
            id_prefix: "urn:onus:openvex:".into(),
        }
    }
}

/// The OpenVEX context of the documents written.
pub const OPENVEX_CONTEXT: &str = "https://openvex.dev/ns/v0.2.0";

/// An OpenVEX 0.2.0 document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OpenVex {
    #[serde(rename = "@context")]
    pub context: String,
    #[serde(rename = "@id")]
    pub id: String,
    pub author: String,
    pub timestamp: String,
    pub version: u32,
    pub tooling: String,
    pub statements: Vec<VexStatement>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VexStatement {
    pub vulnerability: VexVulnerability,
    pub timestamp: String,
    pub products: Vec<VexProduct>,
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_notes: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub impact_statement: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action_statement: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VexVulnerability {
    pub name: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VexProduct {
    #[serde(rename = "@id")]
    pub id: String,
    pub identifiers: BTreeMap<String, String>,
}

/// Build one OpenVEX document with one statement per advisory (model §4.4 mapping).
///
/// detection ⇒ `under_investigation`; true-positive ⇒ `affected` (note ⇒ `action_statement`);
/// fixed ⇒ `fixed` with product `pkg:apk/<ns>/<pkg>@<fixed-version>`; false positive ⇒
/// `not_affected` with the §4.1 justification and note ⇒ `impact_statement`;
/// pending-upstream-fix / fix-not-planned / analysis-not-planned ⇒ `affected` with
/// `action_statement` "pending upstream fix: <note>" / "no fix planned: <note>" /
/// "analysis not planned: <note>". Advisories with no events or an unknown current type are
/// left out. The document timestamp is the latest current-event timestamp (never the clock)
/// and its `@id` is a hash of the content. Statements are sorted by package then advisory id.
pub fn export_openvex<'a>(
    docs: impl IntoIterator<Item = &'a Document>,
    options: &OpenVexOptions,
) -> OpenVex {
    let mut keyed: Vec<((String, String), VexStatement)> = Vec::new();
    let mut latest: Option<DateTime<Utc>> = None;
    for doc in docs {
        let pkg = doc.package.name.as_str();
        for adv in &doc.advisories {
            let Some(statement) = vex_statement(pkg, adv, &options.namespace) else {
                continue;
            };
            if let Some(t) = adv.current_event().map(|e| e.timestamp) {
                latest = Some(latest.map_or(t, |l| l.max(t)));
            }
            keyed.push(((pkg.to_string(), adv.id.clone()), statement));
        }
    }
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    let statements: Vec<VexStatement> = keyed.into_iter().map(|(_, s)| s).collect();
    let timestamp = latest
        .map(rfc3339)
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".to_string());
    let mut hasher = Fnv64::new();
    hasher.write(options.author.as_bytes());
    hasher.write(timestamp.as_bytes());
    if let Ok(body) = serde_json::to_vec(&statements) {
        hasher.write(&body);
    }
    OpenVex {
        context: OPENVEX_CONTEXT.into(),
        id: format!("{}{:016x}", options.id_prefix, hasher.finish()),
        author: options.author.clone(),
        timestamp,
        version: 1,
        tooling: concat!("onus-advisory ", env!("CARGO_PKG_VERSION")).into(),
        statements,
    }
}

/// The statement for one advisory of package `pkg`, or `None` (no events, unknown state).
pub fn vex_statement(pkg: &str, adv: &Advisory, namespace: &str) -> Option<VexStatement> {
    let current = adv.current_event()?;
    let note = current.kind.note().map(str::trim).filter(|n| !n.is_empty());
    let with_note = |prefix: &str| match note {
        Some(n) => format!("{prefix}: {n}"),
        None => prefix.to_string(),
    };
    let base_purl = apk_purl(namespace, pkg, None);
    let mut statement = VexStatement {
        vulnerability: vex_vulnerability(adv),
        timestamp: rfc3339(current.timestamp),
        products: vec![product(base_purl)],
        status: String::new(),
        status_notes: None,
        justification: None,
        impact_statement: None,
        action_statement: None,
    };
    match &current.kind {
        EventKind::Detection(_) => statement.status = "under_investigation".into(),
        EventKind::TruePositiveDetermination { .. } => {
            statement.status = "affected".into();
            statement.action_statement = Some(
                note.map(str::to_string)
                    .unwrap_or_else(|| "affected: no remediation recorded yet".into()),
            );
        }
        EventKind::Fixed { fixed_version } => {
            statement.status = "fixed".into();
            if let Some(v) = fixed_version
                .as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
            {
                statement.products = vec![product(apk_purl(namespace, pkg, Some(v)))];
            }
        }
        EventKind::FalsePositiveDetermination { fp_type, .. } => {
            statement.status = "not_affected".into();
            statement.justification = fp_type.openvex_justification().map(str::to_string);
            statement.status_notes = Some(format!(
                "false-positive-determination: {}",
                fp_type.as_str()
            ));
            statement.impact_statement = note.map(str::to_string);
            if statement.justification.is_none() && statement.impact_statement.is_none() {
                statement.impact_statement = Some(format!("not affected ({})", fp_type.as_str()));
            }
        }
        EventKind::PendingUpstreamFix { .. } => {
            statement.status = "affected".into();
            statement.action_statement = Some(with_note("pending upstream fix"));
        }
        EventKind::FixNotPlanned { .. } => {
            statement.status = "affected".into();
            statement.action_statement = Some(with_note("no fix planned"));
        }
        EventKind::AnalysisNotPlanned { .. } => {
            statement.status = "affected".into();
            statement.action_statement = Some(with_note("analysis not planned"));
        }
        EventKind::Other(_) => return None,
    }
    Some(statement)
}

/// Name = the preferred public id (CVE, then GHSA, then Go, else the CGA id); aliases = the rest.
fn vex_vulnerability(adv: &Advisory) -> VexVulnerability {
    let pick = |f: fn(&str) -> bool| adv.aliases.iter().find(|a| f(a)).cloned();
    let name = pick(is_cve_id)
        .or_else(|| pick(is_ghsa_id))
        .or_else(|| pick(is_go_id))
        .unwrap_or_else(|| adv.id.clone());
    let mut seen = BTreeSet::from([name.clone()]);
    let mut aliases = Vec::new();
    for id in std::iter::once(&adv.id).chain(adv.aliases.iter()) {
        if !id.is_empty() && seen.insert(id.clone()) {
            aliases.push(id.clone());
        }
    }
    VexVulnerability { name, aliases }
}

fn product(purl: String) -> VexProduct {
    VexProduct {
        id: purl.clone(),
        identifiers: BTreeMap::from([("purl".to_string(), purl)]),
    }
}

/// `pkg:apk/<namespace>/<name>[@<version>]` with the purl percent-encoding of name and version.
pub fn apk_purl(namespace: &str, name: &str, version: Option<&str>) -> String {
    let mut s = format!("pkg:apk/{}/{}", pct(namespace), pct(name));
    if let Some(v) = version {
        s.push('@');
        s.push_str(&pct(v));
    }
    s
}

fn pct(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

/// FNV-1a 64: a stable, dependency-free content hash for document ids (not for security).
struct Fnv64(u64);

impl Fnv64 {
    fn new() -> Self {
        Fnv64(0xcbf2_9ce4_8422_2325)
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// A minimal secdb lookup, the way scanners use it (model §4.4 "Matching"): for `package`
/// (origin) at `installed`, the decision about vulnerability `id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SecdbDecision {
    /// Listed under `"0"`: never affected.
    NotAffected,
    /// Listed under a version `≤ installed`: fixed in this version.
    Fixed,
    /// Listed under a version `> installed`: affected, a fix exists.
    Affected,
    /// Not listed: the scanner keeps its own match.
    NotListed,
}

impl Secdb {
    /// The decision for `id` on `package` at `installed` (see [`SecdbIndex::lookup`]).
    pub fn lookup(&self, package: &str, installed: &str, id: &str) -> SecdbDecision {
        let entries: Vec<&SecdbPackage> = self
            .packages
            .iter()
            .map(|p| &p.pkg)
            .filter(|p| p.name == package)
            .collect();
        decide(&entries, installed, id)
    }

    /// An index by package name for many lookups.
    pub fn index(&self) -> SecdbIndex<'_> {
        let mut by_name: BTreeMap<&str, Vec<&SecdbPackage>> = BTreeMap::new();
        for p in &self.packages {
            by_name.entry(p.pkg.name.as_str()).or_default().push(&p.pkg);
        }
        SecdbIndex { by_name }
    }
}

/// A [`Secdb`] indexed by package name.
pub struct SecdbIndex<'a> {
    by_name: BTreeMap<&'a str, Vec<&'a SecdbPackage>>,
}

impl SecdbIndex<'_> {
    /// The decision for `id` on origin `package` at `installed`: listed under `"0"` ⇒ not
    /// affected; under a version `> installed` ⇒ affected; only under versions `≤ installed` ⇒
    /// fixed; not listed ⇒ not listed. apk ordering; an unparsable version counts as not fixed.
    pub fn lookup(&self, package: &str, installed: &str, id: &str) -> SecdbDecision {
        match self.by_name.get(package) {
            Some(entries) => decide(entries, installed, id),
            None => SecdbDecision::NotListed,
        }
    }
}

fn decide(entries: &[&SecdbPackage], installed: &str, id: &str) -> SecdbDecision {
    let mut decision = SecdbDecision::NotListed;
    for entry in entries {
        for (version, ids) in &entry.secfixes {
            if !ids.iter().any(|i| i == id) {
                continue;
            }
            if version == SECDB_NOT_AFFECTED {
                return SecdbDecision::NotAffected;
            }
            match crate::apk::compare(installed, version) {
                Some(std::cmp::Ordering::Less) | None => decision = SecdbDecision::Affected,
                Some(_) => {
                    if decision == SecdbDecision::NotListed {
                        decision = SecdbDecision::Fixed;
                    }
                }
            }
        }
    }
    decision
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purls_are_encoded() {
        assert_eq!(
            apk_purl("wolfi", "libstdc++", Some("1.0-r0")),
            "pkg:apk/wolfi/libstdc%2B%2B@1.0-r0"
        );
        assert_eq!(apk_purl("wolfi", "go-1.20", None), "pkg:apk/wolfi/go-1.20");
    }
}
