//! Version ordering used by the matcher: one place that maps ecosystems to schemes and evaluates
//! OSV-style ranges, so the matcher never compares version strings itself.
//!
//! Per-scheme ordering comes from `onus-version`; the range model here is what the store
//! serialises (OSV events plus the requirement lists of RustSec and Node.js security-wg).

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

pub use onus_version::Scheme;

/// Compare two versions under `scheme`; `None` when either is not a version of the scheme.
pub fn compare(scheme: Scheme, a: &str, b: &str) -> Option<Ordering> {
    let (a, b) = (a.trim(), b.trim());
    if a.is_empty() || b.is_empty() {
        return None;
    }
    onus_version::compare(scheme, a, b).ok()
}

/// One OSV range event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RangeEvent {
    Introduced(String),
    Fixed(String),
    LastAffected(String),
    Limit(String),
}

/// An OSV range (`ECOSYSTEM` or `SEMVER`): events in their recorded order. Feeds that state
/// semver requirements instead (RustSec, Node.js security-wg) use the kinds [`REQ_AFFECTED`]
/// (vulnerable iff any requirement matches) and [`REQ_UNAFFECTED`] (vulnerable iff none does).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Range {
    pub kind: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<RangeEvent>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requirements: Vec<String>,
}

/// Range kind: the version is affected iff it matches one of `requirements`.
pub const REQ_AFFECTED: &str = "REQ-AFFECTED";
/// Range kind: the version is affected iff it matches none of `requirements`.
pub const REQ_UNAFFECTED: &str = "REQ-UNAFFECTED";

/// Whether `version` falls in `range` (OSV evaluation: introduced inclusive, fixed exclusive,
/// last_affected inclusive). `None` when a version in play cannot be compared.
pub fn range_contains(scheme: Scheme, range: &Range, version: &str) -> Option<bool> {
    if range.kind == REQ_AFFECTED || range.kind == REQ_UNAFFECTED {
        let mut any = false;
        for req in &range.requirements {
            any |= requirement_matches(scheme, req, version)?;
        }
        return Some(if range.kind == REQ_AFFECTED {
            any
        } else {
            !any
        });
    }
    // Sort events by version (OSV says events need not be ordered); "0" sorts first.
    let mut events: Vec<&RangeEvent> = range
        .events
        .iter()
        .filter(|e| !matches!(e, RangeEvent::Limit(_)))
        .collect();
    let mut failed = false;
    events.sort_by(|a, b| {
        let (va, vb) = (event_version(a), event_version(b));
        match (va == "0", vb == "0") {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Less,
            (false, true) => Ordering::Greater,
            _ => compare(scheme, va, vb).unwrap_or_else(|| {
                failed = true;
                Ordering::Equal
            }),
        }
    });
    if failed {
        return None;
    }
    let mut affected = false;
    for event in events {
        match event {
            RangeEvent::Introduced(v) => {
                if v == "0" || compare(scheme, version, v)? != Ordering::Less {
                    affected = true;
                }
            }
            RangeEvent::Fixed(v) => {
                if v == "0" || compare(scheme, version, v)? != Ordering::Less {
                    affected = false;
                }
            }
            RangeEvent::LastAffected(v) => {
                if compare(scheme, version, v)? == Ordering::Greater {
                    affected = false;
                }
            }
            RangeEvent::Limit(_) => {}
        }
    }
    Some(affected)
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

/// Whether `version` satisfies a semver requirement in npm/Cargo syntax: `||` alternatives of
/// space- or comma-separated comparators (`>=1.2`, `< 2`, `^1.2.3`, `~1.2`, `1.x`, `1.2 - 1.4`).
pub fn requirement_matches(scheme: Scheme, req: &str, version: &str) -> Option<bool> {
    for alternative in req.split("||") {
        let raw: Vec<&str> = alternative
            .split([' ', ','])
            .filter(|t| !t.is_empty())
            .collect();
        // Re-attach operators written apart from their version (`>= 1.2`).
        let mut tokens: Vec<String> = Vec::new();
        let mut pending = String::new();
        for t in raw {
            if t.chars().all(|c| matches!(c, '<' | '>' | '=' | '^' | '~')) && t != "-" {
                pending.push_str(t);
            } else {
                tokens.push(format!("{pending}{t}"));
                pending.clear();
            }
        }
        let mut ok = true;
        let mut i = 0;
        while i < tokens.len() {
            let satisfied =
                if tokens.get(i + 1).map(String::as_str) == Some("-") && i + 2 < tokens.len() {
                    let lo = comparator(scheme, &format!(">={}", tokens[i]), version)?;
                    let hi = comparator(scheme, &format!("<={}", tokens[i + 2]), version)?;
                    i += 3;
                    lo && hi
                } else {
                    i += 1;
                    comparator(scheme, &tokens[i - 1], version)?
                };
            ok &= satisfied;
        }
        if ok {
            return Some(true);
        }
    }
    Some(false)
}

fn comparator(scheme: Scheme, token: &str, version: &str) -> Option<bool> {
    let op_len = token
        .chars()
        .take_while(|c| matches!(c, '<' | '>' | '=' | '^' | '~'))
        .count();
    let (op, v) = token.split_at(op_len);
    let v = v.trim_start_matches('v');
    if matches!(v, "" | "*" | "x" | "X") {
        return Some(true);
    }
    let parts: Vec<&str> = v.split('.').collect();
    let wild = |p: &&str| matches!(*p, "x" | "X" | "*");
    let given: Vec<u64> = parts
        .iter()
        .take_while(|p| !wild(p))
        .map(|p| p.split(['-', '+']).next().unwrap_or(p).parse().ok())
        .collect::<Option<_>>()
        .unwrap_or_default();
    let partial = parts.iter().any(wild) || parts.len() < 3;
    let bump = |idx: usize| -> String {
        let mut nums: Vec<u64> = given
            .iter()
            .copied()
            .chain(std::iter::repeat(0))
            .take(3)
            .collect();
        if let Some(n) = nums.get_mut(idx) {
            *n += 1;
        }
        for n in nums.iter_mut().skip(idx + 1) {
            *n = 0;
        }
        format!("{}.{}.{}-0", nums[0], nums[1], nums[2])
    };
    let low: String = if partial {
        given
            .iter()
            .copied()
            .chain(std::iter::repeat(0))
            .take(3)
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
            .join(".")
    } else {
        v.to_string()
    };
    let cmp = |x: &str| compare(scheme, version, x);
    let in_range = |upper: String| -> Option<bool> {
        Some(cmp(&low)? != Ordering::Less && cmp(&upper)? == Ordering::Less)
    };
    match op {
        ">=" => Some(cmp(&low)? != Ordering::Less),
        ">" if partial && !given.is_empty() => Some(cmp(&bump(given.len() - 1))? != Ordering::Less),
        ">" => Some(cmp(&low)? == Ordering::Greater),
        "<=" if partial && !given.is_empty() => {
            Some(cmp(&bump(given.len() - 1))? == Ordering::Less)
        }
        "<=" => Some(cmp(&low)? != Ordering::Greater),
        "<" => Some(cmp(&low)? == Ordering::Less),
        "^" => {
            let idx = given
                .iter()
                .position(|n| *n != 0)
                .unwrap_or(given.len().saturating_sub(1))
                .min(2);
            in_range(bump(idx))
        }
        "~" | "~>" => in_range(bump(if given.len() >= 2 { 1 } else { 0 })),
        _ if partial && !given.is_empty() => in_range(bump(given.len() - 1)),
        _ => Some(cmp(&low)? == Ordering::Equal),
    }
}

fn event_version(event: &RangeEvent) -> &str {
    match event {
        RangeEvent::Introduced(v)
        | RangeEvent::Fixed(v)
        | RangeEvent::LastAffected(v)
        | RangeEvent::Limit(v) => v,
    }
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
        };
        assert_eq!(range_contains(Scheme::Semver, &la, "1.2.0"), Some(true));
        assert_eq!(range_contains(Scheme::Semver, &la, "1.2.1"), Some(false));
        assert_eq!(range_contains(Scheme::Semver, &la, "0.9.0"), Some(false));
    }

    #[test]
    fn requirements() {
        let m = |req: &str, v: &str| requirement_matches(Scheme::Semver, req, v);
        assert_eq!(m("<=1.5.1", "1.5.1"), Some(true));
        assert_eq!(m(">= 1.5.2", "1.5.1"), Some(false));
        assert_eq!(m("^8.1.4 || ^7.10.1", "7.11.0"), Some(true));
        assert_eq!(m("^8.1.4 || ^7.10.1", "8.0.0"), Some(false));
        assert_eq!(m("8.x || 7.x", "7.2.1"), Some(true));
        assert_eq!(m("8.x || 7.x", "9.0.0"), Some(false));
        assert_eq!(m("^0.2.3", "0.3.0"), Some(false));
        assert_eq!(m("~1.2", "1.2.9"), Some(true));
        assert_eq!(m(">=1.0.0 <2.0.0", "2.0.0"), Some(false));
        assert_eq!(m("1.0.0 - 1.4.0", "1.4.0"), Some(true));
        assert_eq!(m("*", "3.0.0"), Some(true));
        let unaffected = Range {
            kind: REQ_UNAFFECTED.into(),
            events: Vec::new(),
            requirements: vec![">= 0.9.1".into()],
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
}
