//! End-of-life state of an image's distribution, runtimes, servers and libraries, from
//! endoflife.date data (model §6).
//!
//! Pure: [`evaluate`] is a function of the SBOM, the data, the product mapping, the vendor layer
//! boundary and an injected `now`. For each detected product it reports the release cycle, its
//! EOL date, the grace end (EOL + 6 calendar months, normalised like Go's `AddDate(0, 6, 0)`),
//! days until (+) or since (−) EOL, a state and whose move an upgrade is.

use std::collections::BTreeMap;

use chrono::{Datelike, Days, NaiveDate};
use serde::{Deserialize, Serialize};

use onus_inventory::vocab::Party;
use onus_inventory::{Component, Sbom};

mod data;
mod mapping;

pub use data::{parse_products, DateOrBool, EolData, Product, Release};
pub use mapping::{
    glob, load_mapping, Detection, Mapping, MatchRule, OsRule, ProductRule, DEFAULT_MAPPING,
};

/// Days before EOL from which a cycle is `eol-soon` (model §6: ≤ 90 days).
pub const EOL_SOON_DAYS: i64 = 90;
/// Length of the vendor's EOL grace period in calendar months (model §6).
pub const GRACE_MONTHS: u32 = 6;
/// Rule when the customer must move (stay on an upstream-supported version).
pub const RULE_CUSTOMER: &str = "R-REL-4";
/// Rule when the vendor must move (build all upstream-supported versions).
pub const RULE_VENDOR: &str = "R-REL-2";

/// Errors loading EOL data or the product mapping.
#[derive(Debug, thiserror::Error)]
pub enum EolError {
    #[error("parse endoflife.date products JSON: {source}")]
    Json { source: serde_json::Error },
    #[error("parse endoflife.date products JSON: {reason}")]
    Shape { reason: &'static str },
    #[error("parse EOL product mapping `{origin}`: {source}")]
    Mapping {
        origin: String,
        source: serde_yaml_ng::Error,
    },
    #[error("check EOL product mapping `{origin}`: {reason}")]
    MappingRule { origin: String, reason: String },
}

pub use onus_inventory::vocab::EolState;

/// One detected product in one cycle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EolEntry {
    /// endoflife.date product slug (`python`, `debian`, `alpine-linux`).
    pub product: String,
    /// The version found in the image (`3.11.2`, `12`).
    pub version: String,
    /// The matched release cycle; `None` when no cycle matched.
    pub cycle: Option<String>,
    /// ISO date, when the data has one.
    pub eol_date: Option<String>,
    /// EOL + 6 calendar months.
    pub grace_end: Option<String>,
    pub state: EolState,
    /// Days until (+) or since (−) EOL.
    pub days: Option<i64>,
    /// Latest release of the cycle, per the data.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latest: Option<String>,
    /// Newest cycle that is still supported at `now`, as an upgrade target.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supported_cycle: Option<String>,
    /// The component's purl (`None` for the distribution).
    pub purl: Option<String>,
    /// Every component found in this stream (sorted): the findings on them inherit its state.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub purls: Vec<String>,
    /// `os-release`, `deb:python3.11`, `golang:stdlib`, …
    pub detected_by: String,
    /// Whose move an upgrade is.
    pub party: Party,
    /// `R-REL-4` (customer) or `R-REL-2` (vendor).
    pub rule: String,
    /// Mapping note (e.g. why a proxy product was chosen).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// EOL date + 6 calendar months with day overflow carried into the next month, exactly like Go's
/// `t.AddDate(0, 6, 0)`: 2026-10-31 → 2027-05-01, 2025-04-30 → 2025-10-30.
pub fn grace_end(eol: NaiveDate) -> NaiveDate {
    add_months(eol, GRACE_MONTHS)
}

fn add_months(date: NaiveDate, months: u32) -> NaiveDate {
    let total = date.year() * 12 + date.month0() as i32 + months as i32;
    let (year, month0) = (total.div_euclid(12), total.rem_euclid(12) as u32);
    NaiveDate::from_ymd_opt(year, month0 + 1, 1)
        .and_then(|first| first.checked_add_days(Days::new(u64::from(date.day0()))))
        .unwrap_or(NaiveDate::MAX)
}

/// The longest cycle that equals `version` or is a prefix of it ending at a `.` boundary.
pub fn match_cycle<'a>(product: &'a Product, version: &str) -> Option<&'a Release> {
    product
        .releases
        .iter()
        .filter(|r| {
            let c = r.cycle.as_str();
            version == c
                || (version.starts_with(c) && version.as_bytes().get(c.len()) == Some(&b'.'))
        })
        .max_by_key(|r| r.cycle.len())
}

/// Reduce a package version to its upstream numeric part: drop an epoch (`2:`), a `v`/`go`
/// prefix, then keep the leading run of digits and dots (`18.19.0+dfsg-6` → `18.19.0`,
/// `8u382-ga-1` → `8`, `1.19~1` → `1.19`).
pub fn numeric_version(version: &str) -> String {
    let v = version.trim();
    let v = match v.split_once(':') {
        Some((epoch, rest)) if !epoch.is_empty() && epoch.bytes().all(|c| c.is_ascii_digit()) => {
            rest
        }
        _ => v,
    };
    let v = v
        .strip_prefix("go")
        .or_else(|| v.strip_prefix('v'))
        .unwrap_or(v);
    let end = v
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(v.len());
    v[..end].trim_matches('.').to_string()
}

fn state_of(
    release: Option<&Release>,
    now: NaiveDate,
) -> (EolState, Option<NaiveDate>, Option<i64>) {
    match release.and_then(|r| r.eol) {
        None => (EolState::Unknown, None, None),
        Some(DateOrBool::Bool(false)) => (EolState::Supported, None, None),
        Some(DateOrBool::Bool(true)) => (EolState::Eol, None, None),
        Some(DateOrBool::Date(eol)) => {
            let days = (eol - now).num_days();
            let state = if now < eol {
                if days <= EOL_SOON_DAYS {
                    EolState::EolSoon
                } else {
                    EolState::Supported
                }
            } else if now < grace_end(eol) {
                EolState::InGrace
            } else {
                EolState::Eol
            };
            (state, Some(eol), Some(days))
        }
    }
}

/// The newest cycle (by release date, then list order) still supported at `now`.
fn supported_cycle(product: &Product, now: NaiveDate) -> Option<&Release> {
    product
        .releases
        .iter()
        .filter(|r| {
            matches!(
                state_of(Some(r), now).0,
                EolState::Supported | EolState::EolSoon
            )
        })
        .enumerate()
        .max_by_key(|(i, r)| (r.release_date, std::cmp::Reverse(*i)))
        .map(|(_, r)| r)
}

/// One candidate before de-duplication.
struct Candidate {
    product: String,
    version: String,
    purl: Option<String>,
    detected_by: String,
    layer: Option<usize>,
    note: Option<String>,
    /// Products to take the cycle from when `product` has none for the version.
    fallback: Vec<String>,
    /// The main package of its origin (name == origin), preferred as evidence.
    main: bool,
}

/// The release cycle of `product` that `version` (reduced to `numeric`) belongs to: by number,
/// else by codename (`trixie`) when the version has no number.
fn cycle_of<'p>(product: &'p Product, numeric: &str, version: &str) -> Option<&'p Release> {
    match_cycle(product, numeric).or_else(|| {
        (!version.is_empty() && numeric.is_empty())
            .then(|| {
                product.releases.iter().find(|r| {
                    r.codename
                        .as_deref()
                        .is_some_and(|c| c.eq_ignore_ascii_case(version))
                })
            })
            .flatten()
    })
}

fn candidates(sbom: &Sbom, mapping: &Mapping) -> Vec<Candidate> {
    let mut out = Vec::new();
    if let Some(os) = &sbom.image.os {
        if let Some(product) = mapping.os_rule(&os.id).and_then(|r| r.product.clone()) {
            let version = os
                .version_id
                .clone()
                .or_else(|| os.version_codename.clone())
                .unwrap_or_default();
            out.push(Candidate {
                product,
                version,
                purl: None,
                detected_by: "os-release".to_string(),
                // The distribution comes with the bottom layer.
                layer: Some(0),
                note: mapping.os_rule(&os.id).and_then(|r| r.note.clone()),
                fallback: Vec::new(),
                main: true,
            });
        }
    }
    for c in &sbom.components {
        for d in mapping.detect(c) {
            out.push(Candidate {
                product: d.product.product.clone(),
                version: d.version,
                purl: Some(c.purl.clone()).filter(|p| !p.is_empty()),
                detected_by: d.detected_by,
                layer: c.layer,
                note: d.product.note.clone(),
                fallback: d.product.fallback.clone(),
                main: is_main(c),
            });
        }
    }
    out
}

fn is_main(c: &Component) -> bool {
    c.origin.as_deref().is_none_or(|o| o == c.name)
}

/// Evaluate every product found in `sbom` at `now`.
///
/// `vendor_layers = Some(n)`: components in layers `< n` (and the distribution) were shipped by
/// the vendor; an EOL there is the vendor's move (R-REL-2) while the product still has a
/// supported cycle to move to. Everything else is the customer's (R-REL-4).
///
/// One entry per (product, cycle, party), sorted by product, cycle, party, then evidence.
pub fn evaluate(
    sbom: &Sbom,
    data: &EolData,
    mapping: &Mapping,
    vendor_layers: Option<usize>,
    now: NaiveDate,
) -> Vec<EolEntry> {
    let mut entries: BTreeMap<(String, Option<String>, Party), (bool, EolEntry)> = BTreeMap::new();
    for cand in candidates(sbom, mapping) {
        let numeric = numeric_version(&cand.version);
        let mut product = data.product(&cand.product);
        let mut release = product.and_then(|p| cycle_of(p, &numeric, &cand.version));
        if release.is_none() {
            // The first fallback product that has the cycle answers for it.
            if let Some((p, r)) = cand
                .fallback
                .iter()
                .filter_map(|name| data.product(name))
                .find_map(|p| cycle_of(p, &numeric, &cand.version).map(|r| (p, r)))
            {
                product = Some(p);
                release = Some(r);
            }
        }
        let slug = product.map_or(cand.product.clone(), |p| p.slug.clone());
        let (state, eol, days) = state_of(release, now);
        let supported = product.and_then(|p| supported_cycle(p, now));
        let vendor_layer = match (vendor_layers, cand.layer) {
            (Some(n), Some(layer)) => layer < n,
            _ => false,
        };
        let vendor = vendor_layer && supported.is_some();
        let (party, rule) = if vendor {
            (Party::Vendor, RULE_VENDOR)
        } else {
            (Party::Customer, RULE_CUSTOMER)
        };
        let entry = EolEntry {
            product: slug.clone(),
            version: if numeric.is_empty() {
                cand.version.clone()
            } else {
                numeric
            },
            cycle: release.map(|r| r.cycle.clone()),
            eol_date: eol.map(|d| d.to_string()),
            grace_end: eol.map(|d| grace_end(d).to_string()),
            state,
            days,
            latest: release.and_then(|r| r.latest.clone()),
            supported_cycle: supported.map(|r| r.cycle.clone()),
            purls: cand.purl.iter().cloned().collect(),
            purl: cand.purl,
            detected_by: cand.detected_by,
            party,
            rule: rule.to_string(),
            note: cand.note,
        };
        let key = (slug, entry.cycle.clone(), entry.party);
        // Keep one entry per key: prefer a main package, then the smallest evidence.
        let better = |old: &(bool, EolEntry)| {
            (!cand.main, &entry.detected_by, &entry.purl)
                < (!old.0, &old.1.detected_by, &old.1.purl)
        };
        let keep_old = entries.get(&key).is_some_and(|old| !better(old));
        let mut entry = entry;
        match entries.get_mut(&key) {
            Some(old) if keep_old => old.1.purls.append(&mut entry.purls),
            Some(old) => {
                entry.purls.append(&mut old.1.purls);
                *old = (cand.main, entry);
            }
            None => {
                entries.insert(key, (cand.main, entry));
            }
        }
    }
    entries
        .into_values()
        .map(|(_, mut e)| {
            e.purls.sort();
            e.purls.dedup();
            e
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn grace_end_matches_go_add_date() {
        for (eol, end) in [
            ("2026-10-31", "2027-05-01"),
            ("2027-10-31", "2028-05-01"),
            ("2025-04-30", "2025-10-30"),
            ("2026-07-11", "2027-01-11"),
            // Feb 29/30/31 overflow into March, leap years included.
            ("2027-08-29", "2028-02-29"),
            ("2027-08-30", "2028-03-01"),
            ("2027-08-31", "2028-03-02"),
            ("2026-08-29", "2027-03-01"),
            ("2026-08-31", "2027-03-03"),
            ("2023-08-31", "2024-03-02"),
            ("2024-02-29", "2024-08-29"),
            ("2025-12-31", "2026-07-01"),
            ("2025-07-01", "2026-01-01"),
        ] {
            assert_eq!(grace_end(d(eol)), d(end), "{eol}");
        }
    }

    #[test]
    fn numeric_versions() {
        for (raw, want) in [
            ("3.11.2-6+deb12u1", "3.11.2"),
            ("18.19.0+dfsg-6~deb12u1", "18.19.0"),
            ("2:1.19~1", "1.19"),
            ("go1.21.5", "1.21.5"),
            ("v2.10.7", "2.10.7"),
            ("8u382-ga-1", "8"),
            ("17.0.9_p9-r0", "17.0.9"),
            ("5:7.0.15-1~deb12u1", "7.0.15"),
            ("12", "12"),
            ("trixie", ""),
        ] {
            assert_eq!(numeric_version(raw), want, "{raw}");
        }
    }

    #[test]
    fn states_around_eol() {
        let release = |eol| Release {
            cycle: "1".into(),
            codename: None,
            release_date: None,
            eol: Some(DateOrBool::Date(d(eol))),
            lts: None,
            eoas: None,
            eoes: None,
            latest: None,
            latest_release_date: None,
        };
        let now = d("2026-11-29");
        assert_eq!(
            state_of(Some(&release("2027-03-01")), now).0,
            EolState::Supported
        );
        assert_eq!(
            state_of(Some(&release("2027-02-27")), now),
            (EolState::EolSoon, Some(d("2027-02-27")), Some(90))
        );
        assert_eq!(
            state_of(Some(&release("2026-11-29")), now).0,
            EolState::InGrace
        );
        assert_eq!(
            state_of(Some(&release("2026-05-30")), now).0,
            EolState::InGrace
        );
        assert_eq!(state_of(Some(&release("2026-05-29")), now).0, EolState::Eol);
        assert_eq!(state_of(None, now).0, EolState::Unknown);
    }
}
