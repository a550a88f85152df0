//! OSV-style affected ranges: `introduced` (inclusive), `fixed` (exclusive), `last_affected`
//! (inclusive) and `limit` events, evaluated as the OSV schema's reference algorithm does.
//!
//! Events are sorted by version (`introduced: "0"` before everything, `limit: "*"` after
//! everything); walking them in order, `introduced` at or below the version turns "affected" on,
//! `fixed` at or below / `last_affected` below turn it off. When `limit` events exist, the
//! version must also be below one of them.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

use crate::{Scheme, Version, VersionError};

/// One OSV range event; serialises as OSV writes it (`{"introduced": "0"}`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RangeEvent {
    Introduced(String),
    Fixed(String),
    LastAffected(String),
    Limit(String),
}

impl RangeEvent {
    /// The event's version string.
    pub fn version(&self) -> &str {
        match self {
            RangeEvent::Introduced(v)
            | RangeEvent::Fixed(v)
            | RangeEvent::LastAffected(v)
            | RangeEvent::Limit(v) => v,
        }
    }
}

/// An OSV range (the `events` of one `affected[].ranges[]` entry).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Range {
    pub events: Vec<RangeEvent>,
}

impl Range {
    pub fn new(events: Vec<RangeEvent>) -> Self {
        Range { events }
    }

    /// Parse every event version under `scheme` once and sort the events.
    pub fn compile(&self, scheme: Scheme) -> Result<CompiledRange, VersionError> {
        CompiledRange::from_events(scheme, &self.events)
    }

    /// Whether `version` is affected by this range under `scheme`.
    pub fn contains(&self, scheme: Scheme, version: &str) -> Result<bool, VersionError> {
        self.compile(scheme)?.contains_str(version)
    }
}

impl CompiledRange {
    /// Compile OSV events held elsewhere (a store record) without copying them into a [`Range`].
    pub fn from_events(scheme: Scheme, given: &[RangeEvent]) -> Result<Self, VersionError> {
        let mut events = Vec::with_capacity(given.len());
        for event in given {
            let v = event.version();
            let kind = match event {
                RangeEvent::Introduced(_) => Kind::Introduced,
                RangeEvent::Fixed(_) => Kind::Fixed,
                RangeEvent::LastAffected(_) => Kind::LastAffected,
                RangeEvent::Limit(_) => Kind::Limit,
            };
            let bound = match (kind, v) {
                (Kind::Introduced, "0") => Bound::Zero,
                (Kind::Limit, "*") => Bound::Infinity,
                _ => Bound::At(Version::parse(scheme, v)?),
            };
            events.push((kind, bound));
        }
        // Stable sort: events at one version keep their given order.
        events.sort_by(|a, b| a.1.cmp(&b.1));
        Ok(CompiledRange { scheme, events })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Introduced,
    Fixed,
    LastAffected,
    Limit,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Bound {
    Zero,
    At(Version),
    Infinity,
}

impl Bound {
    /// Bounds of one compiled range share a scheme, so the comparison cannot fail.
    fn cmp(&self, other: &Bound) -> Ordering {
        match (self, other) {
            (Bound::Zero, Bound::Zero) | (Bound::Infinity, Bound::Infinity) => Ordering::Equal,
            (Bound::Zero, _) | (_, Bound::Infinity) => Ordering::Less,
            (_, Bound::Zero) | (Bound::Infinity, _) => Ordering::Greater,
            (Bound::At(a), Bound::At(b)) => a.cmp_same(b).unwrap_or(Ordering::Equal),
        }
    }

    /// `version` compared with this bound.
    fn version_cmp(&self, version: &Version) -> Result<Ordering, VersionError> {
        match self {
            Bound::Zero => Ok(Ordering::Greater),
            Bound::Infinity => Ok(Ordering::Less),
            Bound::At(b) => version.cmp_same(b),
        }
    }
}

/// A [`Range`] with parsed, sorted events: evaluate it against many versions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompiledRange {
    scheme: Scheme,
    events: Vec<(Kind, Bound)>,
}

impl CompiledRange {
    /// The scheme the events were parsed under.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// Whether a parsed version is affected (error when its scheme differs).
    pub fn contains(&self, version: &Version) -> Result<bool, VersionError> {
        if version.scheme() != self.scheme {
            return Err(VersionError::SchemeMismatch {
                a: version.scheme(),
                b: self.scheme,
            });
        }
        let mut has_limit = false;
        let mut below_limit = false;
        let mut affected = false;
        for (kind, bound) in &self.events {
            let ord = bound.version_cmp(version)?;
            match kind {
                Kind::Introduced => {
                    if ord != Ordering::Less {
                        affected = true;
                    }
                }
                Kind::Fixed => {
                    if ord != Ordering::Less {
                        affected = false;
                    }
                }
                Kind::LastAffected => {
                    if ord == Ordering::Greater {
                        affected = false;
                    }
                }
                Kind::Limit => {
                    has_limit = true;
                    if ord == Ordering::Less {
                        below_limit = true;
                    }
                }
            }
        }
        Ok(affected && (!has_limit || below_limit))
    }

    /// Whether a version string is affected.
    pub fn contains_str(&self, version: &str) -> Result<bool, VersionError> {
        self.contains(&Version::parse(self.scheme, version)?)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn range(json: &str) -> Range {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn introduced_fixed_is_half_open() {
        let r = range(r#"{"events":[{"introduced":"1.0.0"},{"fixed":"1.2.0"}]}"#);
        let got: Vec<bool> = ["0.9.0", "1.0.0", "1.1.9", "1.2.0", "2.0.0"]
            .iter()
            .map(|v| r.contains(Scheme::Semver, v).unwrap())
            .collect();
        assert_eq!(got, [false, true, true, false, false]);
    }

    #[test]
    fn introduced_zero_and_last_affected() {
        let r = range(r#"{"events":[{"introduced":"0"},{"last_affected":"2.0.0"}]}"#);
        assert!(r.contains(Scheme::Semver, "0.0.1").unwrap());
        assert!(r.contains(Scheme::Semver, "2.0.0").unwrap());
        assert!(!r.contains(Scheme::Semver, "2.0.1").unwrap());
    }

    #[test]
    fn unsorted_multi_interval_events() {
        // Given out of order; evaluated sorted: [1.0, 1.5) and [2.0, 2.3).
        let r = range(
            r#"{"events":[{"fixed":"2.3"},{"introduced":"2.0"},{"fixed":"1.5"},{"introduced":"1.0"}]}"#,
        );
        let got: Vec<bool> = ["0.5", "1.0", "1.4", "1.5", "1.9", "2.0", "2.2", "2.3"]
            .iter()
            .map(|v| r.contains(Scheme::Pep440, v).unwrap())
            .collect();
        assert_eq!(got, [false, true, true, false, false, true, true, false]);
    }

    #[test]
    fn limit_caps_the_range() {
        let r = range(r#"{"events":[{"introduced":"0"},{"limit":"1.5"}]}"#);
        assert!(
            r.contains(Scheme::Semver, "1.4.0").is_err(),
            "1.5 is not semver"
        );
        assert!(r.contains(Scheme::Pep440, "1.4").unwrap());
        assert!(!r.contains(Scheme::Pep440, "1.5").unwrap());
        let r = range(r#"{"events":[{"introduced":"0"},{"limit":"*"}]}"#);
        assert!(r.contains(Scheme::Pep440, "99").unwrap());
    }

    #[test]
    fn apk_range_with_release() {
        let r = Range::new(vec![
            RangeEvent::Introduced("0".into()),
            RangeEvent::Fixed("3.0.15-r1".into()),
        ]);
        assert!(r.contains(Scheme::Apk, "3.0.15-r0").unwrap());
        assert!(r.contains(Scheme::Apk, "3.0.15_rc1-r5").unwrap());
        assert!(!r.contains(Scheme::Apk, "3.0.15-r1").unwrap());
        assert!(!r.contains(Scheme::Apk, "3.0.15_p1-r0").unwrap());
        assert!(r.contains(Scheme::Apk, "bogus").is_err());
    }

    #[test]
    fn compiled_range_is_reusable_and_checks_scheme() {
        let r = range(r#"{"events":[{"introduced":"1.0-1"},{"fixed":"1.0-3"}]}"#)
            .compile(Scheme::Deb)
            .unwrap();
        assert!(r.contains_str("1.0-2").unwrap());
        assert!(!r.contains_str("1.0-3").unwrap());
        let other = Version::parse(Scheme::Generic, "1.0").unwrap();
        assert!(r.contains(&other).is_err());
        let json =
            serde_json::to_string(&Range::new(vec![RangeEvent::LastAffected("1".into())])).unwrap();
        assert_eq!(json, r#"{"events":[{"last_affected":"1"}]}"#);
    }
}
