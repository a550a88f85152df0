//! The matcher: components of an inventory against the store. Distro packages go to their own
//! distro's feed through the origin package; language packages go to OSV by ecosystem and
//! normalised name; vendor advisory state, owner-package coverage (model §4.4) and OpenVEX
//! statements then decide what is open, fixed or suppressed; aliases collapse into one finding.

use std::cmp::Ordering;
use std::collections::{BTreeSet, HashMap};
use std::str::FromStr;

use onus_inventory::{Component, Ecosystem, OsInfo, Sbom};
use serde::{Deserialize, Serialize};

use crate::error::VulnError;
use crate::feeds::normalize_pypi;
use crate::feeds::parse_time;
use crate::finding::{AdvisoryRef, AdvisoryStatus, Finding, Severity, SeveritySource};
use crate::store::{id_rank, AdvisoryRow, IdSeverity, Store};
use crate::versions::{compare, fixed_after, range_contains, Scheme};
use crate::vex::{purl_covers, VexDocument, VexStatus};

/// Matching settings.
#[derive(Debug, Clone, Default)]
pub struct MatchOptions {
    /// Also list vulnerabilities the vendor fixed at or below the installed version.
    pub show_fixed: bool,
    /// OpenVEX documents whose statements apply like vendor advisories.
    pub vex: Vec<VexDocument>,
}

/// The findings of one inventory.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MatchResult {
    /// Open findings, sorted by package, version, purl and id.
    pub findings: Vec<Finding>,
    /// Fixed at or below the installed version (only with `show_fixed`).
    pub fixed: Vec<Finding>,
    /// Not affected / false positive / covered by the owner package / VEX, reason kept.
    pub suppressed: Vec<Finding>,
    pub warnings: Vec<String>,
    /// Every store key the match read ([`crate::lookup_key`]): the match can only change when
    /// the rows under one of them change ([`Store::lookup_digests`]).
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub lookups: BTreeSet<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Open,
    Fixed,
    Suppressed,
}

/// One feed record that applies to a component, before alias grouping.
#[derive(Debug, Clone)]
struct Candidate {
    ids: Vec<String>,
    source: String,
    /// Vendor advisory 3, distro secdb/tracker 2, OSV 1: the highest decides a group.
    precedence: u8,
    outcome: Outcome,
    status: AdvisoryStatus,
    fixed_version: Option<String>,
    justification: Option<String>,
    advisory: Option<AdvisoryRef>,
    suppressed: Option<String>,
    severity: Option<(Severity, SeveritySource)>,
    /// The best severity over this record's ids, computed at build time.
    best: Option<IdSeverity>,
}

impl Candidate {
    fn new(
        ids: Vec<String>,
        source: &str,
        precedence: u8,
        outcome: Outcome,
        status: AdvisoryStatus,
    ) -> Self {
        Candidate {
            ids,
            source: source.to_string(),
            precedence,
            outcome,
            status,
            fixed_version: None,
            justification: None,
            advisory: None,
            suppressed: None,
            severity: None,
            best: None,
        }
    }
}

/// Which distro feed a distro package is matched against.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Distro {
    /// Wolfi or Chainguard: advisories, secdb and OSV of that namespace.
    Vendor(&'static str),
    /// Alpine secdb for a branch (`3.15`).
    Alpine(String),
    /// Debian tracker for a codename (`bookworm`).
    Debian(String),
}

struct Matcher<'a> {
    store: &'a Store,
    os: Option<Distro>,
    by_purl: HashMap<&'a str, &'a Component>,
    owner_cache: HashMap<String, Vec<Candidate>>,
    warnings: Vec<String>,
    lookups: BTreeSet<String>,
    /// The first store read error; it makes the whole match fail.
    error: Option<VulnError>,
}

/// Match every component of `sbom` against `store`. Any store read error fails the match.
pub fn match_sbom(
    store: &Store,
    sbom: &Sbom,
    options: &MatchOptions,
) -> Result<MatchResult, VulnError> {
    let mut m = Matcher {
        store,
        os: sbom.image.os.as_ref().and_then(distro_of_os),
        by_purl: sbom
            .components
            .iter()
            .map(|c| (c.purl.as_str(), c))
            .collect(),
        owner_cache: HashMap::new(),
        warnings: Vec::new(),
        lookups: BTreeSet::new(),
        error: None,
    };
    let mut result = MatchResult::default();
    let mut seen: BTreeSet<(String, String)> = BTreeSet::new();
    for component in &sbom.components {
        for finding in m.component(component) {
            if !seen.insert((finding.purl.clone(), finding.id.clone())) {
                continue;
            }
            let finding = apply_vex(finding, &options.vex);
            match (finding.suppressed.is_some(), finding.status) {
                (true, _) => result.suppressed.push(finding),
                (false, AdvisoryStatus::Fixed) => {
                    if options.show_fixed {
                        result.fixed.push(finding);
                    }
                }
                _ => result.findings.push(finding),
            }
        }
    }
    for list in [
        &mut result.findings,
        &mut result.fixed,
        &mut result.suppressed,
    ] {
        list.sort_by(|a, b| {
            (&a.package, &a.version, &a.purl, &a.id).cmp(&(&b.package, &b.version, &b.purl, &b.id))
        });
    }
    if let Some(error) = m.error {
        return Err(error);
    }
    m.warnings.sort();
    m.warnings.dedup();
    result.warnings = m.warnings;
    // Known-exploited and severity data are keyed by id: a finding depends on its ids' rows.
    for finding in result
        .findings
        .iter()
        .chain(&result.fixed)
        .chain(&result.suppressed)
    {
        for id in std::iter::once(&finding.id).chain(&finding.aliases) {
            m.lookups
                .insert(crate::lookup_key(crate::LookupTable::Id, "", id));
        }
    }
    result.lookups = m.lookups;
    Ok(result)
}

fn distro_of_os(os: &OsInfo) -> Option<Distro> {
    let id = os.id.trim().to_ascii_lowercase();
    match id.as_str() {
        "wolfi" => Some(Distro::Vendor("wolfi")),
        "chainguard" => Some(Distro::Vendor("chainguard")),
        "alpine" => {
            let v = os.version_id.as_deref().unwrap_or("edge");
            let branch: Vec<&str> = v.split('.').take(2).collect();
            Some(Distro::Alpine(branch.join(".")))
        }
        "debian" => os
            .version_codename
            .clone()
            .filter(|c| !c.is_empty())
            .or_else(|| debian_codename(os.version_id.as_deref()?).map(str::to_string))
            .map(Distro::Debian),
        _ => None,
    }
}

fn debian_codename(version: &str) -> Option<&'static str> {
    Some(match version.split('.').next()? {
        "8" => "jessie",
        "9" => "stretch",
        "10" => "buster",
        "11" => "bullseye",
        "12" => "bookworm",
        "13" => "trixie",
        "14" => "forky",
        "unstable" | "sid" => "sid",
        _ => return None,
    })
}

/// The distro of one distro package: the image OS, else its purl's namespace/distro qualifier.
fn distro_of_component(os: Option<&Distro>, c: &Component) -> Option<Distro> {
    let fits = |d: &Distro| match d {
        Distro::Vendor(_) | Distro::Alpine(_) => c.ecosystem == Ecosystem::Apk,
        Distro::Debian(_) => c.ecosystem == Ecosystem::Deb,
    };
    if let Some(d) = os.filter(|d| fits(d)) {
        // Wolfi and Chainguard images mix both repositories: the purl namespace says which.
        if let Distro::Vendor(_) = d {
            if c.purl.starts_with("pkg:apk/chainguard/") {
                return Some(Distro::Vendor("chainguard"));
            }
            if c.purl.starts_with("pkg:apk/wolfi/") {
                return Some(Distro::Vendor("wolfi"));
            }
        }
        return Some(d.clone());
    }
    let purl = packageurl::PackageUrl::from_str(&c.purl).ok()?;
    let distro = purl
        .qualifiers()
        .get("distro")
        .map(|d| d.to_ascii_lowercase());
    // `distro=debian-12`, `distro=alpine-3.15.4`, `distro=wolfi-20230201`, or a bare codename.
    let (id, version) = match distro.as_deref() {
        Some(d) => match d.split_once('-') {
            Some((id, v)) => (id.to_string(), Some(v.to_string())),
            None => (purl.namespace()?.to_ascii_lowercase(), Some(d.to_string())),
        },
        None => (purl.namespace()?.to_ascii_lowercase(), None),
    };
    let codename = version.as_deref().and_then(|v| {
        debian_codename(v)
            .map(str::to_string)
            .or_else(|| Some(v.to_string()))
    });
    let d = distro_of_os(&OsInfo {
        id,
        version_id: version.clone(),
        version_codename: codename,
        pretty_name: None,
    })?;
    fits(&d).then_some(d)
}

/// The distro a distro package names in its purl (`distro` qualifier, else namespace).
fn distro_name_of(c: &Component) -> String {
    packageurl::PackageUrl::from_str(&c.purl)
        .ok()
        .and_then(|p| {
            p.qualifiers()
                .get("distro")
                .map(|d| d.to_string())
                .or_else(|| p.namespace().map(str::to_string))
        })
        .unwrap_or_else(|| "unknown distribution".to_string())
}

impl Matcher<'_> {
    fn warn(&mut self, message: String) {
        self.warnings.push(message);
    }

    /// A store read failed: matching goes on to the end but the result is an error (fail closed:
    /// never "0 findings" from a store that could not be read).
    fn fail(&mut self, error: VulnError) {
        if self.error.is_none() {
            self.error = Some(error);
        }
    }

    fn component(&mut self, c: &Component) -> Vec<Finding> {
        let candidates = if c.ecosystem.is_distro() {
            let distro = distro_of_component(self.os.as_ref(), c);
            match distro {
                Some(d) => self.distro_candidates(&d, c),
                None => {
                    // Fail loud, not silent: an rpm package on any distro, or a deb or apk
                    // package of a distro whose feed the store does not have, is not matched.
                    self.warn(format!(
                        "no vulnerability feed in the store for {} packages of `{}`: they were not matched",
                        c.ecosystem.purl_type(),
                        distro_name_of(c)
                    ));
                    Vec::new()
                }
            }
        } else {
            self.language_candidates(c)
        };
        if candidates.is_empty() {
            return Vec::new();
        }
        let groups = group(candidates);
        let mut out = Vec::new();
        for g in groups {
            let mut finding = self.finding(c, g);
            if !c.ecosystem.is_distro() && finding.suppressed.is_none() {
                self.apply_owner(c, &mut finding);
            }
            out.push(finding);
        }
        out
    }

    fn distro_candidates(&mut self, distro: &Distro, c: &Component) -> Vec<Candidate> {
        let origin = c.advisory_name().to_string();
        let installed = c
            .origin_version
            .clone()
            .filter(|_| c.ecosystem == Ecosystem::Deb)
            .unwrap_or_else(|| c.version.clone());
        let mut out = Vec::new();
        match distro {
            Distro::Vendor(ns) => {
                self.lookups
                    .insert(crate::lookup_key(crate::LookupTable::Advisory, ns, &origin));
                match self.store.advisories_for(ns, &origin) {
                    Ok(rows) => {
                        for row in rows.iter() {
                            out.push(self.advisory_candidate(row, &installed, c));
                        }
                    }
                    Err(e) => self.fail(e),
                }
                self.secdb_candidates(ns, &origin, &installed, &mut out);
                let eco = if *ns == "wolfi" {
                    "Wolfi"
                } else {
                    "Chainguard"
                };
                self.osv_candidates(eco, &origin, &installed, Scheme::Apk, c, &mut out);
            }
            Distro::Alpine(branch) => {
                self.secdb_candidates(&format!("alpine:{branch}"), &origin, &installed, &mut out);
                self.osv_candidates(
                    &format!("Alpine:v{branch}"),
                    &origin,
                    &installed,
                    Scheme::Apk,
                    c,
                    &mut out,
                );
            }
            Distro::Debian(codename) => {
                self.debian_candidates(codename, &origin, &installed, c, &mut out)
            }
        }
        out
    }

    fn advisory_candidate(
        &mut self,
        row: &AdvisoryRow,
        installed: &str,
        c: &Component,
    ) -> Candidate {
        let mut ids = vec![row.advisory_id.clone()];
        ids.extend(row.aliases.iter().cloned());
        let note = row.note.clone();
        let (outcome, status) = match row.current_event.as_str() {
            "fixed" => match row
                .fixed_version
                .as_deref()
                .map(|fv| (fv, compare(Scheme::Apk, installed, fv)))
            {
                Some((_, Some(Ordering::Less))) => (Outcome::Open, AdvisoryStatus::Affected),
                Some((_, Some(_))) => (Outcome::Fixed, AdvisoryStatus::Fixed),
                Some((fv, None)) => {
                    self.warn(format!(
                        "`{}` `{installed}` vs advisory `{}` fixed version `{fv}`: not comparable as apk versions",
                        c.name, row.advisory_id
                    ));
                    (Outcome::Open, AdvisoryStatus::UnderInvestigation)
                }
                None => (Outcome::Open, AdvisoryStatus::UnderInvestigation),
            },
            "false-positive-determination" => (Outcome::Suppressed, AdvisoryStatus::NotAffected),
            "pending-upstream-fix" => (Outcome::Open, AdvisoryStatus::PendingUpstreamFix),
            "fix-not-planned" => (Outcome::Open, AdvisoryStatus::FixNotPlanned),
            "true-positive-determination" => (Outcome::Open, AdvisoryStatus::Affected),
            "analysis-not-planned" => (Outcome::Open, AdvisoryStatus::AnalysisNotPlanned),
            _ => (Outcome::Open, AdvisoryStatus::UnderInvestigation),
        };
        let mut cand = Candidate::new(ids, &row.source, 3, outcome, status);
        cand.best = row.best_sev.clone();
        cand.fixed_version = row.fixed_version.clone();
        cand.justification = match (&row.justification, &note) {
            (Some(j), Some(n)) => Some(format!("{j}: {n}")),
            (Some(j), None) => Some(j.clone()),
            (None, n) => n.clone(),
        };
        if outcome == Outcome::Suppressed {
            cand.suppressed = Some(format!(
                "vendor advisory `{}`: not affected",
                row.advisory_id
            ));
        }
        cand.advisory = Some(AdvisoryRef {
            id: row.advisory_id.clone(),
            package: row.package.clone(),
            current_event: row.current_event.clone(),
            current_event_time: row.event_time.clone(),
            fixed_version: row.fixed_version.clone(),
            first_detection: row.first_detection.clone(),
            note,
        });
        cand
    }

    fn secdb_candidates(
        &mut self,
        ns: &str,
        origin: &str,
        installed: &str,
        out: &mut Vec<Candidate>,
    ) {
        self.lookups
            .insert(crate::lookup_key(crate::LookupTable::Secdb, ns, origin));
        let rows = match self.store.secdb_for(ns, origin) {
            Ok(r) => r,
            Err(e) => {
                self.fail(e);
                return;
            }
        };
        for row in rows.iter() {
            let mut cand = if row.fixed_version == "0" {
                let mut c = Candidate::new(
                    vec![row.vuln_id.clone()],
                    &row.source,
                    2,
                    Outcome::Suppressed,
                    AdvisoryStatus::NotAffected,
                );
                c.suppressed = Some(format!("secdb `{ns}` lists `{origin}` as not affected"));
                c
            } else {
                match compare(Scheme::Apk, installed, &row.fixed_version) {
                    Some(Ordering::Less) => Candidate::new(
                        vec![row.vuln_id.clone()],
                        &row.source,
                        2,
                        Outcome::Open,
                        AdvisoryStatus::Affected,
                    ),
                    Some(_) => Candidate::new(
                        vec![row.vuln_id.clone()],
                        &row.source,
                        2,
                        Outcome::Fixed,
                        AdvisoryStatus::Fixed,
                    ),
                    None => {
                        self.warn(format!("`{origin}` version `{installed}` is not comparable with secdb fixed version `{}`", row.fixed_version));
                        continue;
                    }
                }
            };
            if row.fixed_version != "0" {
                cand.fixed_version = Some(row.fixed_version.clone());
            }
            cand.best = row.best_sev.clone();
            out.push(cand);
        }
    }

    fn debian_candidates(
        &mut self,
        codename: &str,
        origin: &str,
        installed: &str,
        c: &Component,
        out: &mut Vec<Candidate>,
    ) {
        self.lookups.insert(crate::lookup_key(
            crate::LookupTable::Debian,
            codename,
            origin,
        ));
        let rows = match self.store.debian_for(codename, origin) {
            Ok(r) => r,
            Err(e) => {
                self.fail(e);
                return;
            }
        };
        for row in rows.iter() {
            let urgency = row.urgency.clone().unwrap_or_default();
            let ids = vec![row.vuln_id.clone()];
            let mut cand = match (row.status.as_str(), row.fixed_version.as_deref()) {
                ("resolved", Some("0")) => {
                    let mut cand = Candidate::new(
                        ids,
                        &row.source,
                        2,
                        Outcome::Suppressed,
                        AdvisoryStatus::NotAffected,
                    );
                    cand.suppressed = Some(format!(
                        "Debian tracker: `{origin}` in `{codename}` not affected"
                    ));
                    cand
                }
                ("resolved", Some(fv)) => match compare(Scheme::Deb, installed, fv) {
                    Some(Ordering::Less) => {
                        Candidate::new(ids, &row.source, 2, Outcome::Open, AdvisoryStatus::Affected)
                    }
                    Some(_) => {
                        Candidate::new(ids, &row.source, 2, Outcome::Fixed, AdvisoryStatus::Fixed)
                    }
                    None => {
                        self.warn(format!("`{}` version `{installed}` is not comparable with Debian fixed version `{fv}`", c.name));
                        continue;
                    }
                },
                ("open", _) if urgency == "end-of-life" => {
                    let mut cand = Candidate::new(
                        ids,
                        &row.source,
                        2,
                        Outcome::Open,
                        AdvisoryStatus::FixNotPlanned,
                    );
                    cand.justification =
                        Some(format!("`{codename}` is end-of-life in the Debian tracker"));
                    cand
                }
                ("open", _) => {
                    Candidate::new(ids, &row.source, 2, Outcome::Open, AdvisoryStatus::Affected)
                }
                ("undetermined", _) => Candidate::new(
                    ids,
                    &row.source,
                    2,
                    Outcome::Open,
                    AdvisoryStatus::UnderInvestigation,
                ),
                _ => continue,
            };
            cand.fixed_version = row.fixed_version.clone().filter(|v| v != "0");
            let sev = Severity::parse_label(&urgency);
            if sev != Severity::Unknown {
                cand.severity = Some((
                    sev,
                    SeveritySource {
                        source: row.source.clone(),
                        vector: None,
                        score: None,
                    },
                ));
            }
            cand.best = row.best_sev.clone();
            out.push(cand);
        }
    }

    fn language_candidates(&mut self, c: &Component) -> Vec<Candidate> {
        // A jar named only by its file (no version anywhere) cannot be placed in any range.
        if c.version.trim().is_empty() {
            return Vec::new();
        }
        let Some((eco, name)) = osv_key(c) else {
            if c.ecosystem == Ecosystem::Binary {
                // A program found by its content has no feed keyed by its generic purl.
                self.warn(format!(
                    "no vulnerability feed in the store for programs found by their content (`{}`): they were not matched",
                    c.name
                ));
            }
            return Vec::new();
        };
        let scheme = Scheme::for_ecosystem(eco);
        let mut out = Vec::new();
        self.osv_candidates(eco, &name, &c.version, scheme, c, &mut out);
        out
    }

    fn osv_candidates(
        &mut self,
        eco: &str,
        name: &str,
        installed: &str,
        scheme: Scheme,
        c: &Component,
        out: &mut Vec<Candidate>,
    ) {
        self.lookups
            .insert(crate::lookup_key(crate::LookupTable::Osv, eco, name));
        let hits = match self.store.affected_for(eco, name) {
            Ok(h) => h,
            Err(e) => {
                self.fail(e);
                return;
            }
        };
        for hit in hits.iter() {
            let mut ids = vec![hit.vuln_id.clone()];
            ids.extend(hit.aliases.iter().cloned());
            if hit.not_affected {
                let mut cand = Candidate::new(
                    ids,
                    &hit.source,
                    1,
                    Outcome::Suppressed,
                    AdvisoryStatus::NotAffected,
                );
                cand.suppressed = Some(format!("`{}` marks `{name}` as not affected", hit.vuln_id));
                cand.best = hit.best_sev.clone();
                out.push(cand);
                continue;
            }
            let listed = hit.versions.iter().any(|v| same_version(v, installed));
            let mut in_range = false;
            let mut fixed: Option<String> = None;
            for range in &hit.ranges {
                match range_contains(scheme, range, installed) {
                    Some(true) => {
                        in_range = true;
                        if let Some(f) = fixed_after(scheme, range, installed) {
                            if fixed
                                .as_ref()
                                .is_none_or(|cur| compare(scheme, &f, cur) == Some(Ordering::Less))
                            {
                                fixed = Some(f);
                            }
                        }
                    }
                    Some(false) => {}
                    None => self.warn(format!(
                        "`{}` version `{installed}` is not comparable with the ranges of `{}`",
                        c.name, hit.vuln_id
                    )),
                }
            }
            if !(listed || in_range) {
                continue;
            }
            let mut cand =
                Candidate::new(ids, &hit.source, 1, Outcome::Open, AdvisoryStatus::Affected);
            cand.fixed_version = fixed;
            if let Some(score) = hit.cvss_score {
                cand.severity = Some((
                    Severity::from_score(score),
                    SeveritySource {
                        source: hit.source.clone(),
                        vector: hit.cvss_vector.clone(),
                        score: Some(score),
                    },
                ));
            } else if let Some(label) = hit
                .severity
                .as_deref()
                .map(Severity::parse_label)
                .filter(|s| *s != Severity::Unknown)
            {
                cand.severity = Some((
                    label,
                    SeveritySource {
                        source: hit.source.clone(),
                        vector: None,
                        score: None,
                    },
                ));
            }
            cand.best = hit.best_sev.clone();
            out.push(cand);
        }
    }

    /// Build the finding of one alias group.
    fn finding(&mut self, c: &Component, mut group: Vec<Candidate>) -> Finding {
        // Highest precedence decides; among equals an open record beats fixed beats suppressed.
        group.sort_by_key(|cand| {
            let o = match cand.outcome {
                Outcome::Open => 0,
                Outcome::Fixed => 1,
                Outcome::Suppressed => 2,
            };
            (std::cmp::Reverse(cand.precedence), o)
        });
        let mut ids: Vec<String> = group.iter().flat_map(|g| g.ids.iter().cloned()).collect();
        ids.sort_by(|a, b| (id_rank(a), a).cmp(&(id_rank(b), b)));
        ids.dedup();
        let id = ids.first().cloned().unwrap_or_default();
        let aliases: Vec<String> = {
            let mut a: Vec<String> = ids.iter().skip(1).cloned().collect();
            a.sort();
            a
        };
        let mut sources: Vec<String> = group.iter().map(|g| g.source.clone()).collect();
        sources.sort();
        sources.dedup();
        let (severity, severity_source) = self.severity(&group);
        let known_exploited = ids.iter().any(|i| self.store.is_known_exploited(i));
        let lead = &group[0];
        let fixed_version = lead.fixed_version.clone().or_else(|| {
            group
                .iter()
                .filter(|g| g.outcome == lead.outcome)
                .find_map(|g| g.fixed_version.clone())
        });
        Finding {
            id,
            aliases,
            purl: c.purl.clone(),
            package: c.name.clone(),
            version: c.version.clone(),
            severity,
            severity_source,
            status: lead.status,
            fixed_version,
            justification: lead.justification.clone(),
            advisory: group.iter().find_map(|g| g.advisory.clone()),
            sources,
            known_exploited,
            suppressed: lead.suppressed.clone(),
        }
    }

    /// CVE severity table first, then OSV CVSS, then database_specific, then distro urgency.
    fn severity(&self, group: &[Candidate]) -> (Severity, Option<SeveritySource>) {
        // The best-ranked entry over the group's records (CVE table, then any feed's CVSS,
        // then labels), precomputed per record at build time.
        let best: Option<IdSeverity> = group
            .iter()
            .filter_map(|g| g.best.clone())
            .min_by(|a, b| a.rank.cmp(&b.rank).then_with(|| a.source.cmp(&b.source)));
        let from_feed = |with_vector: bool| {
            group
                .iter()
                .filter_map(|g| g.severity.clone())
                .filter(|(_, s)| s.vector.is_some() == with_vector)
                .max_by_key(|(sev, _)| *sev)
        };
        let as_result = |row: IdSeverity| {
            (
                Severity::parse_label(&row.severity),
                Some(SeveritySource {
                    source: row.source,
                    vector: row.vector,
                    score: row.score,
                }),
            )
        };
        match best {
            Some(row) if row.rank <= 2 => return as_result(row),
            _ => {}
        }
        if let Some((sev, src)) = from_feed(true) {
            return (sev, Some(src));
        }
        if let Some(row) = best {
            return as_result(row);
        }
        if let Some((sev, src)) = from_feed(false) {
            return (sev, Some(src));
        }
        (Severity::Unknown, None)
    }

    /// Model §4.4: a language finding inside a distro package takes the owner's advisory state.
    fn apply_owner(&mut self, c: &Component, finding: &mut Finding) {
        let Some(owner) = &c.owner else { return };
        let owner_component = self.by_purl.get(owner.purl.as_str()).copied();
        let key = owner.purl.clone();
        if !self.owner_cache.contains_key(&key) {
            let cands = match owner_component {
                Some(oc) => match distro_of_component(self.os.as_ref(), oc) {
                    Some(d) => self.distro_candidates(&d, oc),
                    None => Vec::new(),
                },
                None => {
                    // The owner is not in the inventory: look it up by name and version.
                    let stub = Component {
                        name: owner.name.clone(),
                        version: owner.version.clone(),
                        ecosystem: if owner.purl.starts_with("pkg:deb/") {
                            Ecosystem::Deb
                        } else {
                            Ecosystem::Apk
                        },
                        purl: owner.purl.clone(),
                        layer: None,
                        locations: Vec::new(),
                        owner: None,
                        found_by: String::new(),
                        origin: None,
                        origin_version: None,
                        arch: None,
                        files: Vec::new(),
                        metadata: Default::default(),
                    };
                    match distro_of_component(self.os.as_ref(), &stub) {
                        Some(d) => self.distro_candidates(&d, &stub),
                        None => Vec::new(),
                    }
                }
            };
            self.owner_cache.insert(key.clone(), cands);
        }
        let Some(cands) = self.owner_cache.get(&key) else {
            return;
        };
        let ids: BTreeSet<&str> = std::iter::once(finding.id.as_str())
            .chain(finding.aliases.iter().map(String::as_str))
            .collect();
        let Some(best) = cands
            .iter()
            .filter(|cand| cand.ids.iter().any(|i| ids.contains(i.as_str())))
            .max_by_key(|cand| cand.precedence)
        else {
            return;
        };
        let owner_name = owner_component.map_or(owner.name.as_str(), |oc| oc.advisory_name());
        match best.outcome {
            Outcome::Suppressed => {
                finding.status = AdvisoryStatus::NotAffected;
                finding.justification = best
                    .justification
                    .clone()
                    .or_else(|| finding.justification.clone());
                finding.suppressed = Some(format!(
                    "owner package `{owner_name}`: not affected ({})",
                    best.source
                ));
            }
            Outcome::Fixed => {
                finding.status = AdvisoryStatus::Fixed;
                finding.suppressed = Some(format!(
                    "owner package `{owner_name}` `{}` includes the fix (fixed in `{}`)",
                    owner.version,
                    best.fixed_version.as_deref().unwrap_or("?")
                ));
            }
            Outcome::Open => {
                // The vendor's state for the owner applies (pending upstream fix, …).
                if best.precedence == 3 {
                    finding.status = best.status;
                    finding.justification = best
                        .justification
                        .clone()
                        .or_else(|| finding.justification.clone());
                }
            }
        }
        if best.advisory.is_some() {
            finding.advisory = best.advisory.clone();
        }
        if !finding.sources.contains(&best.source) {
            finding.sources.push(best.source.clone());
            finding.sources.sort();
        }
    }
}

/// Merge candidates whose id sets intersect (union-find over ids).
fn group(candidates: Vec<Candidate>) -> Vec<Vec<Candidate>> {
    let n = candidates.len();
    let mut parent: Vec<usize> = (0..n).collect();
    fn find(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    let mut owner_of_id: HashMap<&str, usize> = HashMap::new();
    for (i, cand) in candidates.iter().enumerate() {
        for id in &cand.ids {
            match owner_of_id.get(id.as_str()) {
                Some(&j) => {
                    let (ri, rj) = (find(&mut parent, i), find(&mut parent, j));
                    if ri != rj {
                        parent[ri] = rj;
                    }
                }
                None => {
                    owner_of_id.insert(id.as_str(), i);
                }
            }
        }
    }
    let roots: Vec<usize> = (0..n).map(|i| find(&mut parent, i)).collect();
    let mut groups: HashMap<usize, Vec<Candidate>> = HashMap::new();
    let mut order = Vec::new();
    for (cand, root) in candidates.into_iter().zip(roots) {
        if !groups.contains_key(&root) {
            order.push(root);
        }
        groups.entry(root).or_default().push(cand);
    }
    order
        .into_iter()
        .filter_map(|r| groups.remove(&r))
        .collect()
}

/// The OSV ecosystem and package key of a language component.
fn osv_key(c: &Component) -> Option<(&'static str, String)> {
    // Parse the purl only when the name alone is not the ecosystem's package key.
    let from_purl = |sep: &str| {
        packageurl::PackageUrl::from_str(&c.purl)
            .ok()
            .map(|p| match p.namespace() {
                Some(ns) => format!("{ns}{sep}{}", p.name()),
                None => p.name().to_string(),
            })
    };
    match c.ecosystem {
        Ecosystem::Pypi => Some(("PyPI", normalize_pypi(&c.name))),
        Ecosystem::Npm => Some((
            "npm",
            if c.name.is_empty() {
                from_purl("/")?
            } else {
                c.name.clone()
            },
        )),
        Ecosystem::Golang if c.name == "go" || c.name == "stdlib" => {
            Some(("Go", "stdlib".to_string()))
        }
        Ecosystem::Golang => Some((
            "Go",
            if c.name.contains('/') {
                c.name.clone()
            } else {
                from_purl("/").unwrap_or_else(|| c.name.clone())
            },
        )),
        Ecosystem::Binary if c.name == "stdlib" => Some(("Go", "stdlib".to_string())),
        Ecosystem::Maven => Some((
            "Maven",
            if c.name.contains(':') {
                c.name.clone()
            } else {
                from_purl(":").unwrap_or_else(|| c.name.clone())
            },
        )),
        Ecosystem::Cargo => Some(("crates.io", c.name.clone())),
        Ecosystem::Gem => Some(("RubyGems", c.name.clone())),
        // Packagist names are `vendor/package`, as Composer writes them.
        Ecosystem::Composer => Some((
            "Packagist",
            if c.name.contains('/') {
                c.name.clone()
            } else {
                from_purl("/").unwrap_or_else(|| c.name.clone())
            },
        )),
        Ecosystem::Nuget => Some(("NuGet", c.name.clone())),
        _ => None,
    }
}

fn same_version(listed: &str, installed: &str) -> bool {
    let strip = |v: &str| {
        v.trim()
            .trim_start_matches("go")
            .trim_start_matches('v')
            .to_string()
    };
    listed == installed || strip(listed) == strip(installed)
}

/// Apply the latest matching OpenVEX statement to a finding.
fn apply_vex(mut finding: Finding, docs: &[VexDocument]) -> Finding {
    let ids: BTreeSet<&str> = std::iter::once(finding.id.as_str())
        .chain(finding.aliases.iter().map(String::as_str))
        .collect();
    let mut best: Option<(&VexDocument, &crate::vex::VexStatement, usize)> = None;
    let mut position = 0usize;
    for doc in docs {
        for st in &doc.statements {
            position += 1;
            if !st.vulnerabilities.iter().any(|v| ids.contains(v.as_str())) {
                continue;
            }
            if !st.products.iter().any(|p| purl_covers(p, &finding.purl)) {
                continue;
            }
            let newer = match &best {
                None => true,
                Some((_, b, bpos)) => {
                    let (t, bt) = (
                        st.timestamp.as_deref().and_then(parse_time),
                        b.timestamp.as_deref().and_then(parse_time),
                    );
                    (t, position) >= (bt, *bpos)
                }
            };
            if newer {
                best = Some((doc, st, position));
            }
        }
    }
    let Some((doc, st, _)) = best else {
        return finding;
    };
    match st.status {
        VexStatus::NotAffected => {
            finding.status = AdvisoryStatus::NotAffected;
            finding.justification = st
                .justification
                .clone()
                .or_else(|| st.impact_statement.clone());
            finding.suppressed = Some(format!("OpenVEX `{}`: not affected", doc.id));
        }
        VexStatus::Fixed => {
            finding.status = AdvisoryStatus::Fixed;
            finding.suppressed = None;
        }
        VexStatus::Affected => {
            finding.status = AdvisoryStatus::Affected;
            finding.suppressed = None;
            if st.action_statement.is_some() {
                finding.justification = st.action_statement.clone();
            }
        }
        VexStatus::UnderInvestigation => {
            finding.status = AdvisoryStatus::UnderInvestigation;
            finding.suppressed = None;
        }
    }
    if !finding.sources.iter().any(|s| s == "openvex") {
        finding.sources.push("openvex".to_string());
        finding.sources.sort();
    }
    finding
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_prefer_cve() {
        let mut ids = ["GHSA-x", "PYSEC-1", "CVE-2", "CGA-3"];
        ids.sort_by(|a, b| (id_rank(a), a).cmp(&(id_rank(b), b)));
        assert_eq!(ids[0], "CVE-2");
    }

    #[test]
    fn groups_by_alias() {
        let c = |ids: &[&str]| {
            Candidate::new(
                ids.iter().map(|s| s.to_string()).collect(),
                "s",
                1,
                Outcome::Open,
                AdvisoryStatus::Affected,
            )
        };
        let groups = group(vec![
            c(&["A", "B"]),
            c(&["C"]),
            c(&["B", "D"]),
            c(&["D", "E"]),
        ]);
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0].len(), 3);
    }

    #[test]
    fn distro_from_purl_qualifiers() {
        let c = |purl: &str| Component {
            name: "x".into(),
            version: "1".into(),
            ecosystem: if purl.starts_with("pkg:deb") {
                Ecosystem::Deb
            } else {
                Ecosystem::Apk
            },
            purl: purl.into(),
            layer: None,
            locations: Vec::new(),
            owner: None,
            found_by: String::new(),
            origin: None,
            origin_version: None,
            arch: None,
            files: Vec::new(),
            metadata: Default::default(),
        };
        let d = |purl: &str| distro_of_component(None, &c(purl));
        assert_eq!(
            d("pkg:deb/debian/x@1?distro=debian-12"),
            Some(Distro::Debian("bookworm".into()))
        );
        assert_eq!(
            d("pkg:deb/debian/x@1?distro=bookworm"),
            Some(Distro::Debian("bookworm".into()))
        );
        assert_eq!(
            d("pkg:apk/alpine/x@1?distro=alpine-3.18.4"),
            Some(Distro::Alpine("3.18".into()))
        );
        assert_eq!(d("pkg:apk/wolfi/x@1"), Some(Distro::Vendor("wolfi")));
        assert_eq!(d("pkg:apk/unknown/x@1"), None);
        let wolfi = Distro::Vendor("wolfi");
        assert_eq!(
            distro_of_component(Some(&wolfi), &c("pkg:apk/chainguard/x@1")),
            Some(Distro::Vendor("chainguard"))
        );
        assert_eq!(
            distro_of_component(Some(&wolfi), &c("pkg:deb/debian/x@1")),
            None
        );
    }

    #[test]
    fn debian_codenames() {
        let os = OsInfo {
            id: "debian".into(),
            version_id: Some("12".into()),
            ..OsInfo::default()
        };
        assert_eq!(distro_of_os(&os), Some(Distro::Debian("bookworm".into())));
        let os = OsInfo {
            id: "alpine".into(),
            version_id: Some("3.15.4".into()),
            ..OsInfo::default()
        };
        assert_eq!(distro_of_os(&os), Some(Distro::Alpine("3.15".into())));
    }
}
