//! The SLA policy (days per severity, clock start, pinned language libraries, time zone, Major
//! CVE Event threshold), loaded from YAML with documented defaults (docs/sla-policy.md).

use serde::{Deserialize, Serialize};

use crate::error::SlaError;
use crate::severity::Severity;

/// Calendar days allowed per severity (model §5.3: critical 7, high/medium/low 14; unknown is a
/// proposal of model §5.6: 14, flagged).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeverityDays {
    pub critical: u32,
    pub high: u32,
    pub medium: u32,
    pub low: u32,
    pub unknown: u32,
}

impl Default for SeverityDays {
    fn default() -> Self {
        SeverityDays {
            critical: 7,
            high: 14,
            medium: 14,
            low: 14,
            unknown: 14,
        }
    }
}

impl SeverityDays {
    /// The days allowed for `severity`.
    pub fn for_severity(&self, severity: Severity) -> u32 {
        match severity {
            Severity::Critical => self.critical,
            Severity::High => self.high,
            Severity::Medium => self.medium,
            Severity::Low => self.low,
            Severity::Unknown => self.unknown,
        }
    }
}

/// Which time starts the clock (model §5.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum ClockStart {
    /// The first detection of the vulnerability.
    FirstDetection,
    /// The public availability of the qualifying fix (falls back to the first detection).
    FixAvailable,
    /// The later of the two (model §5.6 default).
    #[default]
    LaterOfBoth,
}

impl ClockStart {
    /// The YAML spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ClockStart::FirstDetection => "first-detection",
            ClockStart::FixAvailable => "fix-available",
            ClockStart::LaterOfBoth => "later-of-both",
        }
    }
}

/// SRM-A options for pinned language libraries (model §5.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum PinnedLangLibs {
    /// Option A (recommended): pinned libraries stay in the SLA; one pending an upstream fix has a
    /// clock that does not start.
    #[default]
    OptionA,
    /// Option B: pinned libraries are outside the SLA (not applicable).
    OptionB,
}

impl PinnedLangLibs {
    /// The YAML spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            PinnedLangLibs::OptionA => "option-a",
            PinnedLangLibs::OptionB => "option-b",
        }
    }
}

/// The effective SLA policy.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Policy {
    pub days: SeverityDays,
    pub clock_start: ClockStart,
    pub pinned_langlibs: PinnedLangLibs,
    /// Always `UTC` (the only zone supported: deadlines are start + N × 24 h).
    pub timezone: String,
    /// True when the policy named the time zone; otherwise clocks carry `timezone-assumed-utc`.
    #[serde(skip)]
    pub timezone_explicit: bool,
    /// The share of guarded images above which a fix is a Major CVE Event (0.25).
    pub major_event_share: f64,
    /// True (default, SLA-24/25 "not more than one quarter"): a share exactly at the threshold
    /// still qualifies; false follows SRM-A's "< 25 %".
    pub share_at_threshold_qualifies: bool,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            days: SeverityDays::default(),
            clock_start: ClockStart::default(),
            pinned_langlibs: PinnedLangLibs::default(),
            timezone: "UTC".to_string(),
            timezone_explicit: false,
            major_event_share: 0.25,
            share_at_threshold_qualifies: true,
        }
    }
}

impl Policy {
    /// The calendar days allowed for `severity`.
    pub fn days_for(&self, severity: Severity) -> u32 {
        self.days.for_severity(severity)
    }

    /// True when `affected` of `guarded` images is a Major CVE Event (outside the SLA).
    pub fn is_major_event(&self, affected: usize, guarded: usize) -> bool {
        if guarded == 0 {
            return false;
        }
        // Exact: IEEE division and decimal parsing are both correctly rounded, so a share equal
        // to the threshold compares equal.
        let share = affected as f64 / guarded as f64;
        if self.share_at_threshold_qualifies {
            share > self.major_event_share
        } else {
            share >= self.major_event_share
        }
    }
}

/// The YAML shape: every key optional, unknown keys rejected (a typo must not silently fall back).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawPolicy {
    days: Option<RawDays>,
    clock_start: Option<String>,
    pinned_langlibs: Option<String>,
    timezone: Option<String>,
    major_event_share: Option<f64>,
    share_at_threshold_qualifies: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDays {
    critical: Option<u32>,
    high: Option<u32>,
    medium: Option<u32>,
    low: Option<u32>,
    unknown: Option<u32>,
}

/// The defaults as a commented YAML policy (a starting point for a custom one). Loading it gives
/// [`Policy::default`] except that the time zone is then explicit.
pub const DEFAULT_POLICY_YAML: &str = "\
# onus SLA policy (docs/sla-policy.md explains every key). All keys are optional.
# Calendar days to remediate, per severity (public CVE SLA: critical 7, others 14).
days:
  critical: 7
  high: 14
  medium: 14
  low: 14
  unknown: 14        # no severity known yet: the SLA is silent; flagged `severity-unknown`
# What starts the clock: later-of-both | first-detection | fix-available
clock-start: later-of-both
# Pinned language libraries (SRM-A): option-a (in the SLA) | option-b (excluded)
pinned-langlibs: option-a
# Only UTC is supported: deadline = start + N x 24 h
timezone: UTC
# A fix touching more than this share of guarded images is a Major CVE Event (outside the SLA)
major-event-share: 0.25
# Exactly the share still qualifies (SLA-24/25); false follows SRM-A's strict < 25 %
share-at-threshold-qualifies: true
";

/// The longest deadline accepted (ten years): larger values are typos.
const MAX_DAYS: u32 = 3650;

/// Load the policy from YAML text; `None`, an empty or comment-only text gives the defaults.
///
/// Keys and defaults are documented in `docs/sla-policy.md`.
pub fn load_policy(text: Option<&str>) -> Result<Policy, SlaError> {
    let mut policy = Policy::default();
    let Some(text) = text else {
        return Ok(policy);
    };
    let value: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(text).map_err(|source| SlaError::PolicyYaml { source })?;
    if value.is_null() {
        return Ok(policy);
    }
    let raw: RawPolicy =
        serde_yaml_ng::from_value(value).map_err(|source| SlaError::PolicyYaml { source })?;

    if let Some(days) = raw.days {
        let slots = [
            ("days.critical", days.critical, &mut policy.days.critical),
            ("days.high", days.high, &mut policy.days.high),
            ("days.medium", days.medium, &mut policy.days.medium),
            ("days.low", days.low, &mut policy.days.low),
            ("days.unknown", days.unknown, &mut policy.days.unknown),
        ];
        for (key, value, slot) in slots {
            if let Some(v) = value {
                if v == 0 || v > MAX_DAYS {
                    return Err(bad(key, v, &format!("expected 1 to {MAX_DAYS} days")));
                }
                *slot = v;
            }
        }
    }
    if let Some(s) = raw.clock_start {
        policy.clock_start = match s.as_str() {
            "first-detection" => ClockStart::FirstDetection,
            "fix-available" => ClockStart::FixAvailable,
            "later-of-both" => ClockStart::LaterOfBoth,
            _ => {
                return Err(bad(
                    "clock-start",
                    s,
                    "expected `first-detection`, `fix-available` or `later-of-both`",
                ))
            }
        };
    }
    if let Some(s) = raw.pinned_langlibs {
        policy.pinned_langlibs = match s.to_ascii_lowercase().as_str() {
            "option-a" | "a" => PinnedLangLibs::OptionA,
            "option-b" | "b" => PinnedLangLibs::OptionB,
            _ => {
                return Err(bad(
                    "pinned-langlibs",
                    s,
                    "expected `option-a` or `option-b`",
                ))
            }
        };
    }
    if let Some(tz) = raw.timezone {
        match tz.as_str() {
            "UTC" | "utc" | "Etc/UTC" | "Z" | "+00:00" => {
                policy.timezone = "UTC".to_string();
                policy.timezone_explicit = true;
            }
            _ => {
                return Err(bad(
                    "timezone",
                    tz,
                    "only `UTC` is supported (deadlines are start + N × 24 h)",
                ))
            }
        }
    }
    if let Some(share) = raw.major_event_share {
        if !(share > 0.0 && share <= 1.0) {
            return Err(bad(
                "major-event-share",
                share,
                "expected a share greater than 0 and at most 1",
            ));
        }
        policy.major_event_share = share;
    }
    if let Some(q) = raw.share_at_threshold_qualifies {
        policy.share_at_threshold_qualifies = q;
    }
    Ok(policy)
}

fn bad(key: &str, value: impl std::fmt::Display, reason: &str) -> SlaError {
    SlaError::PolicyValue {
        key: key.to_string(),
        value: value.to_string(),
        reason: reason.to_string(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn defaults() {
        let p = load_policy(None).unwrap();
        assert_eq!(p, Policy::default());
        assert_eq!(p.days_for(Severity::Critical), 7);
        assert_eq!(p.days_for(Severity::Low), 14);
        assert_eq!(p.days_for(Severity::Unknown), 14);
        assert_eq!(p.clock_start, ClockStart::LaterOfBoth);
        assert_eq!(p.pinned_langlibs, PinnedLangLibs::OptionA);
        assert!(!p.timezone_explicit);
        assert_eq!(load_policy(Some("")).unwrap(), Policy::default());
        assert_eq!(load_policy(Some("# nothing\n")).unwrap(), Policy::default());
    }

    #[test]
    fn default_yaml_is_the_default() {
        let p = load_policy(Some(DEFAULT_POLICY_YAML)).unwrap();
        assert_eq!(
            p,
            Policy {
                timezone_explicit: true,
                ..Policy::default()
            }
        );
    }

    #[test]
    fn every_key() {
        let text = "days: {critical: 3, high: 10, medium: 20, low: 30, unknown: 5}\n\
                    clock-start: first-detection\npinned-langlibs: option-b\ntimezone: UTC\n\
                    major-event-share: 0.5\nshare-at-threshold-qualifies: false\n";
        let p = load_policy(Some(text)).unwrap();
        assert_eq!(
            p.days,
            SeverityDays {
                critical: 3,
                high: 10,
                medium: 20,
                low: 30,
                unknown: 5
            }
        );
        assert_eq!(p.clock_start, ClockStart::FirstDetection);
        assert_eq!(p.pinned_langlibs, PinnedLangLibs::OptionB);
        assert!(p.timezone_explicit);
        assert!(!p.share_at_threshold_qualifies);
        assert!(!p.is_major_event(1, 3));
        assert!(p.is_major_event(1, 2));
    }

    #[test]
    fn partial_days_keep_defaults() {
        let p = load_policy(Some("days:\n  high: 10\n")).unwrap();
        assert_eq!(p.days.critical, 7);
        assert_eq!(p.days.high, 10);
    }

    #[test]
    fn rejects_bad_values() {
        for text in [
            "dayz: {}",
            "days: {critical: 0}",
            "days: {critical: 99999}",
            "days: {severe: 3}",
            "clock-start: whenever",
            "pinned-langlibs: option-c",
            "timezone: Europe/Berlin",
            "major-event-share: 0",
            "major-event-share: 1.5",
            "[1, 2",
        ] {
            let err = load_policy(Some(text)).unwrap_err();
            assert!(!err.to_string().ends_with('.'), "{err}");
        }
        let err = load_policy(Some("timezone: Europe/Berlin")).unwrap_err();
        assert!(err.to_string().contains("`timezone`"), "{err}");
    }

    #[test]
    fn threshold_rule() {
        let p = Policy::default();
        assert!(!p.is_major_event(2, 8), "exactly 25 % qualifies");
        assert!(p.is_major_event(3, 8));
        assert!(!p.is_major_event(0, 0));
        let srm = Policy {
            share_at_threshold_qualifies: false,
            ..Policy::default()
        };
        assert!(srm.is_major_event(2, 8));
    }
}
