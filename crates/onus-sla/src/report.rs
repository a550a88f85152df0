//! `sla report`: time-to-fix statistics over a vendor's advisory history (what the SLA looks
//! like in practice), open advisories with their ages, re-detections and a histogram.
//!
//! Definitions (also in docs/sla-policy.md):
//! - time to fix of an advisory = from its first `detection` event (earliest timestamp) to the
//!   first `fixed` event whose timestamp is at or after it, in days (milliseconds / 86 400 000). An
//!   advisory with no `detection` counts in `without_detection`; one with a detection but no
//!   `fixed` at or after it counts in `without_fix`.
//! - median / p90: nearest rank over the unrounded days sorted ascending (see [`crate::stats`]),
//!   then rounded to 2 decimals; shares are rounded to 4 decimals.
//! - within 7 / 14 days: time to fix ≤ 7 (≤ 14) days, as a share of fixed advisories.
//! - open: the current event (latest timestamp) is `detection`, `true-positive-determination` or
//!   `pending-upstream-fix`; its age runs from the first event after the last closing event
//!   (`fixed`, false positive, fix-not-planned, analysis-not-planned), else from the first event.
//! - re-detection: a `detection` event after a `fixed` event (timestamp order).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use onus_advisory::{Advisory, Document, Event, EventKind};
use serde::{Deserialize, Serialize};

use crate::policy::Policy;
use crate::qualify::Fleet;
use crate::severity::Severity;
use crate::stats::{nearest_rank, round2};

/// The schema identifier of [`SlaReport`].
pub const SLA_REPORT_SCHEMA: &str = "onus.sla-report/v1";
/// The caveat every report carries.
pub const CAVEAT: &str = "advisory timestamps are record times, not release times";
/// How many packages `top_packages` lists.
pub const TOP_PACKAGES: usize = 20;

/// Histogram buckets in days; each bucket includes its upper bound (`(lo, hi]`, the first `[0, 1]`).
pub const BUCKETS: [(f64, Option<f64>, &str); 7] = [
    (0.0, Some(1.0), "0-1"),
    (1.0, Some(2.0), "1-2"),
    (2.0, Some(7.0), "2-7"),
    (7.0, Some(14.0), "7-14"),
    (14.0, Some(30.0), "14-30"),
    (30.0, Some(90.0), "30-90"),
    (90.0, None, "90+"),
];

/// Time-to-fix statistics of a group of fixed advisories.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TtfStats {
    /// Fixed advisories (with a time to fix) in the group.
    pub count: usize,
    pub median_days: Option<f64>,
    pub p90_days: Option<f64>,
    pub mean_days: Option<f64>,
    pub max_days: Option<f64>,
    /// Share fixed within 7 days (0..1, 4 decimals).
    pub within_7_days: Option<f64>,
    /// Share fixed within 14 days.
    pub within_14_days: Option<f64>,
    /// Share fixed within the policy days of its own severity (critical 7, else 14).
    pub within_policy: Option<f64>,
}

/// Time to fix overall and by group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimeToFix {
    pub overall: TtfStats,
    /// Keys: `critical`, `high`, `medium`, `low`, `unknown` (all present).
    pub by_severity: BTreeMap<String, TtfStats>,
    /// Keys: the first detection's scan/v1 `componentType` (`apk`, `go-module`, …) or `unknown`.
    pub by_component_type: BTreeMap<String, TtfStats>,
    /// Every package with at least one fixed advisory.
    pub by_package: BTreeMap<String, TtfStats>,
    /// The [`TOP_PACKAGES`] packages with the most fixed advisories (then by name).
    pub top_packages: Vec<PackageStats>,
}

/// One row of `top_packages`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PackageStats {
    pub package: String,
    /// All advisories of the package (fixed or not).
    pub advisories: usize,
    #[serde(flatten)]
    pub stats: TtfStats,
}

/// Shares of fixed advisories fixed within 7 and 14 days.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WithinSla {
    /// 0..1, 4 decimals (0 when nothing was fixed).
    pub days_7: f64,
    pub days_14: f64,
    /// Within the policy days of each advisory's own severity.
    pub policy: f64,
    pub count_7: usize,
    pub count_14: usize,
    pub count_policy: usize,
}

/// One histogram bucket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bucket {
    pub label: String,
    pub from_days: f64,
    /// `None` for the last, open-ended bucket.
    pub to_days: Option<f64>,
    pub count: usize,
}

/// An advisory whose current state is open.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpenAdvisory {
    pub package: String,
    pub advisory: String,
    /// The current event type: `detection`, `true-positive-determination`, `pending-upstream-fix`.
    pub state: String,
    pub severity: Severity,
    /// When the open episode began.
    pub since: DateTime<Utc>,
    pub age_days: f64,
    /// Guarded fleet images containing the package (when a fleet was given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fleet_images: Option<usize>,
}

/// Age statistics of the advisories currently pending an upstream fix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PendingAges {
    pub count: usize,
    pub median_days: Option<f64>,
    pub p90_days: Option<f64>,
    pub max_days: Option<f64>,
}

/// One advisory detected again after a fix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Redetection {
    pub package: String,
    pub advisory: String,
    /// The `fixed` event the first re-detection followed.
    pub fixed_at: DateTime<Utc>,
    pub redetected_at: DateTime<Utc>,
    /// `detection` events after a `fixed` in this advisory.
    pub events: usize,
}

/// Re-detections after a fix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Redetections {
    pub advisories: usize,
    pub events: usize,
    /// Sorted by package, then advisory.
    pub items: Vec<Redetection>,
}

/// A package in more than the Major CVE Event share of the fleet with an open advisory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MajorEvent {
    pub package: String,
    pub advisory: String,
    pub share_percent: f64,
}

/// How the open advisories sit in a fleet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FleetSummary {
    pub images: usize,
    /// Open advisories whose package is in at least one fleet image.
    pub open_in_fleet: usize,
    /// Open advisories that would be Major CVE Events (outside the SLA), sorted.
    pub major_cve_events: Vec<MajorEvent>,
}

/// The whole report (`onus.sla-report/v1`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SlaReport {
    pub schema: String,
    pub now: DateTime<Utc>,
    pub caveat: String,
    pub documents: usize,
    pub advisories: usize,
    /// Advisories with no `detection` event (no time to fix).
    pub without_detection: usize,
    /// Advisories with a detection but no `fixed` at or after it.
    pub without_fix: usize,
    pub time_to_fix: TimeToFix,
    pub within_sla: WithinSla,
    pub histogram: Vec<Bucket>,
    /// Oldest first (then package, advisory).
    pub open: Vec<OpenAdvisory>,
    /// Open advisories per current state.
    pub open_by_state: BTreeMap<String, usize>,
    pub pending_upstream_fix: PendingAges,
    pub redetections: Redetections,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fleet: Option<FleetSummary>,
}

/// What one fixed advisory contributes.
struct Fix {
    package: String,
    severity: Severity,
    component_type: String,
    days: f64,
}

fn days(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    (to - from).num_milliseconds() as f64 / 86_400_000.0
}

fn round4(v: f64) -> f64 {
    if !v.is_finite() {
        return 0.0;
    }
    (v * 10_000.0).round() / 10_000.0
}

fn share(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        round4(part as f64 / whole as f64)
    }
}

fn stats(mut values: Vec<(f64, u32)>) -> TtfStats {
    values.sort_by(|a, b| a.0.total_cmp(&b.0));
    let days: Vec<f64> = values.iter().map(|v| v.0).collect();
    let n = days.len();
    let some = |v: f64| (n > 0).then_some(v);
    let within = |limit: f64| days.iter().filter(|d| **d <= limit).count();
    let policy_ok = values
        .iter()
        .filter(|(d, lim)| *d <= f64::from(*lim))
        .count();
    TtfStats {
        count: n,
        median_days: nearest_rank(&days, 50).map(round2),
        p90_days: nearest_rank(&days, 90).map(round2),
        mean_days: some(round2(days.iter().sum::<f64>() / n.max(1) as f64)),
        max_days: days.last().copied().map(round2),
        within_7_days: some(share(within(7.0), n)),
        within_14_days: some(share(within(14.0), n)),
        within_policy: some(share(policy_ok, n)),
    }
}

/// The time to fix of one advisory: first detection → first `fixed` at or after it.
///
/// `Err(true)` when there is no detection, `Err(false)` when there is no fix at or after it.
pub fn time_to_fix(advisory: &Advisory) -> Result<(DateTime<Utc>, DateTime<Utc>), bool> {
    let detection = advisory.first_detection().ok_or(true)?;
    let fix = advisory
        .events
        .iter()
        .filter(|e| e.kind.is_fixed() && e.timestamp >= detection.timestamp)
        .map(|e| e.timestamp)
        .min()
        .ok_or(false)?;
    Ok((detection.timestamp, fix))
}

fn is_closing(kind: &EventKind) -> bool {
    matches!(
        kind,
        EventKind::Fixed { .. }
            | EventKind::FalsePositiveDetermination { .. }
            | EventKind::FixNotPlanned { .. }
            | EventKind::AnalysisNotPlanned { .. }
    )
}

/// Build the report with the default policy (for `within_policy`).
pub fn report(
    documents: impl IntoIterator<Item = (String, Document)>,
    severity: &dyn Fn(&[String]) -> Option<Severity>,
    fleet: Option<&Fleet>,
    now: DateTime<Utc>,
) -> SlaReport {
    report_with_policy(documents, severity, fleet, &Policy::default(), now)
}

/// Build the report. `severity` receives the advisory's aliases followed by its id and returns
/// its severity (`None` → unknown). `fleet`, when given, annotates open advisories with how many
/// fleet images hold the package (every image counted as guarded).
pub fn report_with_policy(
    documents: impl IntoIterator<Item = (String, Document)>,
    severity: &dyn Fn(&[String]) -> Option<Severity>,
    fleet: Option<&Fleet>,
    policy: &Policy,
    now: DateTime<Utc>,
) -> SlaReport {
    let mut n_documents = 0;
    let mut n_advisories = 0;
    let mut without_detection = 0;
    let mut without_fix = 0;
    let mut fixes: Vec<Fix> = Vec::new();
    let mut advisories_per_package: BTreeMap<String, usize> = BTreeMap::new();
    let mut open = Vec::new();
    let mut pending_ages = Vec::new();
    let mut redetections = Vec::new();
    let mut redetection_events = 0;

    for (_file, doc) in documents {
        n_documents += 1;
        let package = doc.package.name.clone();
        for adv in &doc.advisories {
            n_advisories += 1;
            *advisories_per_package.entry(package.clone()).or_default() += 1;
            let mut ids = adv.aliases.clone();
            ids.push(adv.id.clone());
            let sev = severity(&ids).unwrap_or(Severity::Unknown);

            match time_to_fix(adv) {
                Ok((detected, fixed)) => {
                    let component_type = adv
                        .first_detection()
                        .and_then(Event::scan_v1)
                        .map(|s| s.component_type.trim())
                        .filter(|s| !s.is_empty())
                        .unwrap_or("unknown")
                        .to_string();
                    fixes.push(Fix {
                        package: package.clone(),
                        severity: sev,
                        component_type,
                        days: days(detected, fixed),
                    });
                }
                Err(true) => without_detection += 1,
                Err(false) => without_fix += 1,
            }

            let sorted = adv.sorted_events();
            // Re-detections: a detection after a fixed, in timestamp order.
            let mut first_redetection: Option<(DateTime<Utc>, DateTime<Utc>)> = None;
            let mut events_here = 0;
            let mut last_fix: Option<DateTime<Utc>> = None;
            for e in &sorted {
                if e.kind.is_fixed() {
                    last_fix = Some(e.timestamp);
                } else if e.kind.is_detection() {
                    if let Some(fixed_at) = last_fix {
                        events_here += 1;
                        first_redetection.get_or_insert((fixed_at, e.timestamp));
                    }
                }
            }
            if let Some((fixed_at, redetected_at)) = first_redetection {
                redetection_events += events_here;
                redetections.push(Redetection {
                    package: package.clone(),
                    advisory: adv.id.clone(),
                    fixed_at,
                    redetected_at,
                    events: events_here,
                });
            }

            // Open advisories and their ages.
            let Some(current) = adv.current_event() else {
                continue;
            };
            if !matches!(
                current.kind,
                EventKind::Detection(_)
                    | EventKind::TruePositiveDetermination { .. }
                    | EventKind::PendingUpstreamFix { .. }
            ) {
                continue;
            }
            let since = sorted
                .iter()
                .rposition(|e| is_closing(&e.kind))
                .and_then(|pos| sorted.get(pos + 1))
                .or(sorted.first())
                .map_or(current.timestamp, |e| e.timestamp);
            if matches!(current.kind, EventKind::PendingUpstreamFix { .. }) {
                // The trailing run of pending events: when it became pending.
                let pending_since = sorted
                    .iter()
                    .rev()
                    .take_while(|e| matches!(e.kind, EventKind::PendingUpstreamFix { .. }))
                    .last()
                    .map_or(current.timestamp, |e| e.timestamp);
                pending_ages.push(days(pending_since, now));
            }
            let fleet_images =
                fleet.map(|f| f.images.iter().filter(|img| img.contains(&package)).count());
            open.push(OpenAdvisory {
                package: package.clone(),
                advisory: adv.id.clone(),
                state: current.type_name().to_string(),
                severity: sev,
                since,
                age_days: round2(days(since, now)),
                fleet_images,
            });
        }
    }

    // Aggregates.
    let limit = |s: Severity| policy.days_for(s);
    let overall = stats(fixes.iter().map(|f| (f.days, limit(f.severity))).collect());
    let mut by_severity: BTreeMap<String, Vec<(f64, u32)>> = Severity::ALL
        .iter()
        .map(|s| (s.as_str().to_string(), Vec::new()))
        .collect();
    let mut by_component: BTreeMap<String, Vec<(f64, u32)>> = BTreeMap::new();
    let mut by_package: BTreeMap<String, Vec<(f64, u32)>> = BTreeMap::new();
    let mut histogram: Vec<Bucket> = BUCKETS
        .iter()
        .map(|(from, to, label)| Bucket {
            label: (*label).to_string(),
            from_days: *from,
            to_days: *to,
            count: 0,
        })
        .collect();
    for f in &fixes {
        let v = (f.days, limit(f.severity));
        by_severity
            .entry(f.severity.as_str().to_string())
            .or_default()
            .push(v);
        by_component
            .entry(f.component_type.clone())
            .or_default()
            .push(v);
        by_package.entry(f.package.clone()).or_default().push(v);
        // Buckets include their upper bound; negative values cannot occur (fix ≥ detection).
        let idx = BUCKETS
            .iter()
            .position(|(_, to, _)| to.is_none_or(|to| f.days <= to))
            .unwrap_or(BUCKETS.len() - 1);
        if let Some(b) = histogram.get_mut(idx) {
            b.count += 1;
        }
    }
    let by_package: BTreeMap<String, TtfStats> =
        by_package.into_iter().map(|(k, v)| (k, stats(v))).collect();
    let mut top: Vec<PackageStats> = by_package
        .iter()
        .map(|(package, s)| PackageStats {
            package: package.clone(),
            advisories: advisories_per_package.get(package).copied().unwrap_or(0),
            stats: s.clone(),
        })
        .collect();
    top.sort_by(|a, b| {
        b.stats
            .count
            .cmp(&a.stats.count)
            .then_with(|| a.package.cmp(&b.package))
    });
    top.truncate(TOP_PACKAGES);

    let n_fixed = fixes.len();
    let count_7 = fixes.iter().filter(|f| f.days <= 7.0).count();
    let count_14 = fixes.iter().filter(|f| f.days <= 14.0).count();
    let count_policy = fixes
        .iter()
        .filter(|f| f.days <= f64::from(limit(f.severity)))
        .count();

    open.sort_by(|a, b| {
        a.since
            .cmp(&b.since)
            .then_with(|| a.package.cmp(&b.package))
            .then_with(|| a.advisory.cmp(&b.advisory))
    });
    let mut open_by_state: BTreeMap<String, usize> = BTreeMap::new();
    for o in &open {
        *open_by_state.entry(o.state.clone()).or_default() += 1;
    }
    pending_ages.sort_by(f64::total_cmp);
    redetections.sort_by(|a, b| {
        a.package
            .cmp(&b.package)
            .then_with(|| a.advisory.cmp(&b.advisory))
    });

    let fleet = fleet.map(|f| {
        let mut major: Vec<MajorEvent> = open
            .iter()
            .filter_map(|o| {
                let n = o.fleet_images?;
                policy
                    .is_major_event(n, f.images.len())
                    .then(|| MajorEvent {
                        package: o.package.clone(),
                        advisory: o.advisory.clone(),
                        share_percent: round2(n as f64 * 100.0 / f.images.len().max(1) as f64),
                    })
            })
            .collect();
        major.sort_by(|a, b| {
            a.package
                .cmp(&b.package)
                .then_with(|| a.advisory.cmp(&b.advisory))
        });
        FleetSummary {
            images: f.images.len(),
            open_in_fleet: open
                .iter()
                .filter(|o| o.fleet_images.is_some_and(|n| n > 0))
                .count(),
            major_cve_events: major,
        }
    });

    SlaReport {
        schema: SLA_REPORT_SCHEMA.to_string(),
        now,
        caveat: CAVEAT.to_string(),
        documents: n_documents,
        advisories: n_advisories,
        without_detection,
        without_fix,
        time_to_fix: TimeToFix {
            overall,
            by_severity: by_severity
                .into_iter()
                .map(|(k, v)| (k, stats(v)))
                .collect(),
            by_component_type: by_component
                .into_iter()
                .map(|(k, v)| (k, stats(v)))
                .collect(),
            by_package,
            top_packages: top,
        },
        within_sla: WithinSla {
            days_7: share(count_7, n_fixed),
            days_14: share(count_14, n_fixed),
            policy: share(count_policy, n_fixed),
            count_7,
            count_14,
            count_policy,
        },
        histogram,
        open,
        open_by_state,
        pending_upstream_fix: PendingAges {
            count: pending_ages.len(),
            median_days: nearest_rank(&pending_ages, 50).map(round2),
            p90_days: nearest_rank(&pending_ages, 90).map(round2),
            max_days: pending_ages.last().copied().map(round2),
        },
        redetections: Redetections {
            advisories: redetections.len(),
            events: redetection_events,
            items: redetections,
        },
        fleet,
    }
}
