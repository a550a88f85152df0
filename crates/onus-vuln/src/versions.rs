//! Version ordering used by the matcher: the one place that maps the store's ranges onto the
//! `onus-version` engine, so the matcher never compares version strings itself.
//!
//! OSV events (`introduced`, `fixed`, `last_affected`, `limit`) are evaluated by
//! [`onus_version::CompiledRange`]; the requirement lists of RustSec and Node.js security-wg
//! by [`onus_version::NpmRange`] (RustSec's Cargo requirements are stored already rewritten to
//! node-semver syntax by the feed, see [`onus_version::cargo_requirement`]).

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

pub use onus_version::{RangeEvent, Scheme};

/// Compare two versions under `scheme`; `None` when either is not a version of the scheme.
pub fn compare(scheme: Scheme, a: &str, b: &str) -> Option<Ordering> {
    let (a, b) = (a.trim(), b.trim());
    if a.is_empty() || b.is_empty() {
        return None;
    }
    onus_version::compare(scheme, a, b).ok()
}

/// An OSV range (`ECOSYSTEM` or `SEMVER`): events in their recorded order. Feeds that state
/// semver requirements instead (RustSec, Node.js security-wg) use the kinds [`REQ_AFFECTED`]
/// (vulnerable iff any requirement matches) and [`REQ_UNAFFECTED`] (vulnerable iff none does),
/// with requirements in node-semver syntax.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Range {
    pub kind: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<RangeEvent>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requirements: Vec<String>,
    /// Requirements that clear a version `requirements` marked (Node.js security-wg `patched`:
    /// affected iff vulnerable and not patched, as `onus_version::nodejs_affected` reads it).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub excluding: Vec<String>,
}

/// Range kind: the version is affected iff it matches one of `requirements`.
pub const REQ_AFFECTED: &str = "REQ-AFFECTED";
/// Range kind: the version is affected iff it matches none of `requirements`.
pub const REQ_UNAFFECTED: &str = "REQ-UNAFFECTED";

/// Whether `version` falls in `range` (the OSV algorithm: introduced inclusive, fixed
/// exclusive, last_affected inclusive, below a `limit` when there is one). `None` when the
/// version or a bound is not a version of the scheme.
pub fn range_contains(scheme: Scheme, range: &Range, version: &str) -> Option<bool> {
    let version = version.trim();
    if range.kind == REQ_AFFECTED || range.kind == REQ_UNAFFECTED {
        // A vulnerable pre-release is still vulnerable: pre-releases are included.
        let v = onus_version::semver::SemverVersion::parse(version).ok()?;
        let any_of = |reqs: &[String]| -> Option<bool> {
            let mut any = false;
            for req in reqs {
                any |= onus_version::NpmRange::parse(req)
                    .ok()?
                    .satisfies_with(&v, true);
            }
            Some(any)
        };
        let marked = any_of(&range.requirements)?;
        let cleared = any_of(&range.excluding)?;
        return Some(if range.kind == REQ_AFFECTED {
            marked && !cleared
        } else {
            !marked
        });
    }
    onus_version::CompiledRange::from_events(scheme, &range.events)
        .ok()?
        .contains_str(version)
        .ok()
}

/// The lowest `fixed` version of `range` above `version`, for reporting.
pub fn fixed_after(scheme: Scheme, range: &Range, version: &str) -> Option<String> {
    range
        .events
        .iter()
        .filter_map(|e| match e {
            RangeEvent::Fixed(v)
                if v != "0" && compare(scheme, version, v) == Some(Ordering::Less) =>
            {
                Some(v)
            }
            _ => None,
        })
        .min_by(|a, b| compare(scheme, a, b).unwrap_or(Ordering::Equal))
        .cloned()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn ladder(scheme: Scheme, versions: &[&str]) {
        for (i, a) in versions.iter().enumerate() {
            for (j, b) in versions.iter().enumerate() {
                assert_eq!(
                    compare(scheme, a, b),
                    Some(i.cmp(&j)),
                    "{scheme:?}: {a} vs {b}"
                );
            }
        }
    }

    #[test]
    fn apk_ladder() {
        ladder(
            Scheme::Apk,
            &[
                "1.0_alpha1-r0",
                "1.0_rc1-r0",
                "1.0-r0",
                "1.0-r1",
                "1.0_p1-r0",
                "1.0a-r0",
                "1.0.1-r0",
                "1.10-r0",
            ],
        );
    }

    #[test]
    fn deb_ladder() {
        ladder(
            Scheme::Deb,
            &[
                "1.0~rc1-1",
                "1.0-1",
                "1.0-1+deb12u1",
                "1.0-2",
                "1.0.1-1",
                "1:0.9-1",
            ],
        );
    }

    #[test]
    fn pep440_ladder() {
        ladder(
            Scheme::Pep440,
            &[
                "1.0.dev1",
                "1.0a1",
                "1.0b2",
                "1.0rc1",
                "1.0",
                "1.0.post1",
                "1.1",
                "2.19.1",
                "2.20.0",
            ],
        );
    }

    #[test]
    fn semver_ladder() {
        ladder(
            Scheme::Go,
            &[
                "v0.0.0-20211202192323-5770296d904e",
                "v0.0.1",
                "v1.0.0-rc.1",
                "v1.0.0",
                "v1.2.0",
                "v1.10.0",
            ],
        );
    }

    #[test]
    fn ranges() {
        let r = Range {
            kind: "ECOSYSTEM".into(),
            events: vec![
                RangeEvent::Introduced("0".into()),
                RangeEvent::Fixed("2.20.0".into()),
            ],
            requirements: Vec::new(),
            excluding: Vec::new(),
        };
        assert_eq!(range_contains(Scheme::Pep440, &r, "2.19.1"), Some(true));
        assert_eq!(range_contains(Scheme::Pep440, &r, "2.20.0"), Some(false));
        assert_eq!(
            fixed_after(Scheme::Pep440, &r, "2.19.1").as_deref(),
            Some("2.20.0")
        );
        let la = Range {
            kind: "SEMVER".into(),
            events: vec![
                RangeEvent::Introduced("1.0.0".into()),
                RangeEvent::LastAffected("1.2.0".into()),
            ],
            requirements: Vec::new(),
            excluding: Vec::new(),
        };
        assert_eq!(range_contains(Scheme::Semver, &la, "1.2.0"), Some(true));
        assert_eq!(range_contains(Scheme::Semver, &la, "1.2.1"), Some(false));
        assert_eq!(range_contains(Scheme::Semver, &la, "0.9.0"), Some(false));
    }

    #[test]
    fn requirements() {
        let affected = |reqs: &[&str], v: &str| {
            let r = Range {
                kind: REQ_AFFECTED.into(),
                events: Vec::new(),
                requirements: reqs.iter().map(|s| s.to_string()).collect(),
                excluding: Vec::new(),
            };
            range_contains(Scheme::Semver, &r, v)
        };
        assert_eq!(affected(&["<=1.5.1"], "1.5.1"), Some(true));
        assert_eq!(affected(&[">= 1.5.2"], "1.5.1"), Some(false));
        assert_eq!(affected(&["^8.1.4 || ^7.10.1"], "7.11.0"), Some(true));
        assert_eq!(affected(&["^8.1.4 || ^7.10.1"], "8.0.0"), Some(false));
        assert_eq!(affected(&["8.x || 7.x"], "7.2.1"), Some(true));
        assert_eq!(affected(&["8.x || 7.x"], "9.0.0"), Some(false));
        assert_eq!(affected(&["1.0.0 - 1.4.0"], "1.4.0"), Some(true));
        assert_eq!(affected(&["*"], "3.0.0"), Some(true));
        assert_eq!(affected(&["*"], "not a version"), None);
        let unaffected = Range {
            kind: REQ_UNAFFECTED.into(),
            events: Vec::new(),
            requirements: vec![">= 0.9.1".into()],
            excluding: Vec::new(),
        };
        assert_eq!(
            range_contains(Scheme::Semver, &unaffected, "0.9.0"),
            Some(true)
        );
        assert_eq!(
            range_contains(Scheme::Semver, &unaffected, "0.9.1"),
            Some(false)
        );
    }

    #[test]
    fn patched_clears_what_vulnerable_marks() {
        // NSWG-style: vulnerable `<=1.5.1 || 2.x`, patched `>=2.0.5`.
        let r = Range {
            kind: REQ_AFFECTED.into(),
            events: Vec::new(),
            requirements: vec!["<=1.5.1 || 2.x".into()],
            excluding: vec![">=2.0.5".into()],
        };
        assert_eq!(range_contains(Scheme::Semver, &r, "1.5.1"), Some(true));
        assert_eq!(range_contains(Scheme::Semver, &r, "2.0.4"), Some(true));
        assert_eq!(range_contains(Scheme::Semver, &r, "2.0.5"), Some(false));
        assert_eq!(range_contains(Scheme::Semver, &r, "1.6.0"), Some(false));
    }

    #[test]
    fn limit_caps_an_osv_range() {
        let r = Range {
            kind: "ECOSYSTEM".into(),
            events: vec![
                RangeEvent::Introduced("0".into()),
                RangeEvent::Limit("2.0".into()),
            ],
            requirements: Vec::new(),
            excluding: Vec::new(),
        };
        assert_eq!(range_contains(Scheme::Pep440, &r, "1.9"), Some(true));
        assert_eq!(range_contains(Scheme::Pep440, &r, "2.0"), Some(false));
    }
}
