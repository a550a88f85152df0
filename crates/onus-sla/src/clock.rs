//! The SLA clock engine (model §5.6): one clock per (image or package, advisory), a pure function
//! of its inputs, the policy and an injected `now`.
//!
//! Advisory timestamps are *record* times (when the advisory page was updated), not release
//! times [ADV-ISSUE]: a clock built from them carries the flag `record-times-not-release-times`.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use onus_advisory::{Advisory, Event, EventKind};
use serde::{Deserialize, Serialize};

use crate::policy::{ClockStart, PinnedLangLibs, Policy};
use crate::qualify::QualifyingPatch;
use crate::severity::Severity;
use crate::stats::round2;

/// The rule every clock cites: the vendor assembles images under the CVE SLA.
pub const SLA_RULE: &str = "R-PAT-3";
/// The sources of the SLA numbers and clock semantics.
pub const SLA_SOURCE: &str = "SLA-24, SLA-25; model §5.6";

/// Flag: no severity known, the `unknown` days apply.
pub const FLAG_SEVERITY_UNKNOWN: &str = "severity-unknown";
/// Flag: the policy did not name a time zone; deadlines are start + N × 24 h in UTC.
pub const FLAG_TIMEZONE_ASSUMED_UTC: &str = "timezone-assumed-utc";
/// Flag: start or stop comes from advisory timestamps, which are record times.
pub const FLAG_RECORD_TIMES: &str = "record-times-not-release-times";
/// Flag: no fix-availability time was known; the fix is presumed public at detection.
pub const FLAG_FIX_ASSUMED_AT_DETECTION: &str = "fix-availability-assumed-at-detection";
/// Flag: a `pending-upstream-fix` interval preceded the start and was not counted.
pub const FLAG_PENDING_EXCLUDED: &str = "pending-interval-excluded";
/// Flag: the advisory has no `detection` event; the earliest record stands in.
pub const FLAG_NO_DETECTION: &str = "no-detection-record";
/// Flag: the vulnerability was detected again after a fix; the clock covers the new episode.
pub const FLAG_REDETECTED: &str = "re-detected-after-fix";
/// Flag: the fix was recorded before the clock would have started.
pub const FLAG_FIXED_BEFORE_START: &str = "fixed-before-start";
/// Flag: the status says fixed but no fix time is known.
pub const FLAG_FIX_TIME_UNKNOWN: &str = "fix-time-unknown";
/// Flag: the package is fixed upstream of this image, but the image still has an older version.
pub const FLAG_IMAGE_BEHIND: &str = "image-behind-fixed-version";
/// Flag: `fix-not-planned` on a guarded (supported) stream, which ADV-ET says should not happen.
pub const FLAG_FIX_NOT_PLANNED_GUARDED: &str = "fix-not-planned-on-guarded-stream";
/// Flag: the fix would touch more than the Major CVE Event share of guarded images.
pub const FLAG_MAJOR_EVENT: &str = "major-cve-event";

/// The clock state (kebab-case in JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClockState {
    NotApplicable,
    NotStarted,
    Running,
    Met,
    Breached,
}

impl ClockState {
    /// The kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            ClockState::NotApplicable => "not-applicable",
            ClockState::NotStarted => "not-started",
            ClockState::Running => "running",
            ClockState::Met => "met",
            ClockState::Breached => "breached",
        }
    }
}

/// The advisory status of the unit: the shared vocabulary's [`AdvisoryStatus`].
pub use onus_inventory::vocab::AdvisoryStatus as AdvisoryState;

/// The state an advisory event puts the advisory in (unknown types → under investigation).
pub fn state_of_event(kind: &EventKind) -> AdvisoryState {
    match kind {
        EventKind::Detection(_) | EventKind::Other(_) => AdvisoryState::UnderInvestigation,
        EventKind::TruePositiveDetermination { .. } => AdvisoryState::Affected,
        EventKind::Fixed { .. } => AdvisoryState::Fixed,
        EventKind::FalsePositiveDetermination { .. } => AdvisoryState::NotAffected,
        EventKind::FixNotPlanned { .. } => AdvisoryState::FixNotPlanned,
        EventKind::PendingUpstreamFix { .. } => AdvisoryState::PendingUpstreamFix,
        EventKind::AnalysisNotPlanned { .. } => AdvisoryState::AnalysisNotPlanned,
    }
}

/// Everything the engine needs for one clock. Build it by hand, with [`clock_for_advisory`]
/// (from an advisory history) or [`clock_for_finding`] (from a scanner finding).
#[derive(Debug, Clone, PartialEq)]
pub struct ClockInput {
    pub severity: Severity,
    pub status: AdvisoryState,
    /// The first `detection` of the vulnerability (record time).
    pub first_detection: Option<DateTime<Utc>>,
    /// The earliest record of the advisory: the start when there is no detection.
    pub first_record: Option<DateTime<Utc>>,
    /// When the qualifying fix became publicly available, when known.
    pub fix_available: Option<DateTime<Utc>>,
    /// True when `fix_available` is a caller-given upstream release time; false when it is an
    /// advisory record time.
    pub fix_available_is_release_time: bool,
    /// The end of the last `pending-upstream-fix` interval (the next event's record time): the
    /// clock never starts before it (used when no upstream release time is given).
    pub pending_end: Option<DateTime<Utc>>,
    /// Record times of the `fixed` events; the stop is the first at or after the start.
    pub fixed_times: Vec<DateTime<Utc>>,
    /// False for customer-added components: not applicable.
    pub vendor_owned: bool,
    /// False for EOL streams (and streams in grace, which is best effort): not applicable.
    pub guarded: bool,
    /// A pinned language library (an App-image LangLib whose bump breaks the app).
    pub pinned_langlib: bool,
    /// Why a qualifying-patch criterion failed, when one did: not started.
    pub not_qualifying: Option<String>,
    /// Extra flags the caller derived (kept, sorted, de-duplicated).
    pub flags: Vec<String>,
}

impl ClockInput {
    /// A vendor-owned, guarded unit with no times: fill in the rest.
    pub fn new(severity: Severity, status: AdvisoryState) -> ClockInput {
        ClockInput {
            severity,
            status,
            first_detection: None,
            first_record: None,
            fix_available: None,
            fix_available_is_release_time: false,
            pending_end: None,
            fixed_times: Vec::new(),
            vendor_owned: true,
            guarded: true,
            pinned_langlib: false,
            not_qualifying: None,
            flags: Vec::new(),
        }
    }
}

/// One SLA clock (serialised into scan reports).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SlaClock {
    pub state: ClockState,
    pub severity: Severity,
    /// Calendar days allowed (absent when not applicable).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sla_days: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop: Option<DateTime<Utc>>,
    /// Running: deadline − now; met: deadline − stop (the margin). Days, 2 decimals.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days_left: Option<f64>,
    /// Breached: stop − deadline, or now − deadline while still open. Days, 2 decimals.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days_overdue: Option<f64>,
    pub why: String,
    /// Sorted caveats (`severity-unknown`, `timezone-assumed-utc`, …).
    pub flags: Vec<String>,
    /// The rule the clock enforces ([`SLA_RULE`]).
    pub rule: String,
    /// Where the numbers come from ([`SLA_SOURCE`]).
    pub source: String,
}

impl SlaClock {
    /// True when the clock is breached.
    pub fn is_breached(&self) -> bool {
        self.state == ClockState::Breached
    }
}

fn days_between(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    round2((to - from).num_milliseconds() as f64 / 86_400_000.0)
}

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

/// Compute one clock (model §5.6).
///
/// Order of decisions: not applicable (customer-added, not guarded, not affected, Option-B pinned
/// LangLib) → not started (pending upstream fix, no fix planned, a failed qualifying criterion) →
/// start → stop (first `fixed` at/after start) → met iff stop ≤ deadline, breached iff stop >
/// deadline or (no stop and now > deadline), running otherwise (not started while start > now).
pub fn evaluate_clock(input: &ClockInput, policy: &Policy, now: DateTime<Utc>) -> SlaClock {
    let mut flags: BTreeSet<String> = input.flags.iter().cloned().collect();
    if !policy.timezone_explicit {
        flags.insert(FLAG_TIMEZONE_ASSUMED_UTC.to_string());
    }
    if input.severity == Severity::Unknown {
        flags.insert(FLAG_SEVERITY_UNKNOWN.to_string());
    }
    let days = policy.days_for(input.severity);
    let sev = input.severity;
    let mut clock = SlaClock {
        state: ClockState::NotApplicable,
        severity: sev,
        sla_days: None,
        start: None,
        deadline: None,
        stop: None,
        days_left: None,
        days_overdue: None,
        why: String::new(),
        flags: Vec::new(),
        rule: SLA_RULE.to_string(),
        source: SLA_SOURCE.to_string(),
    };
    let finish = |mut clock: SlaClock, flags: BTreeSet<String>| {
        clock.flags = flags.into_iter().collect();
        clock
    };

    // Not applicable: outside the SLA's scope altogether.
    let not_applicable = if !input.vendor_owned {
        Some("customer-added component: no vendor SLA (R-PAT-7)".to_string())
    } else if !input.guarded {
        Some("stream not guarded (end of life or in grace): no SLA".to_string())
    } else if input.status == AdvisoryState::NotAffected {
        Some("advisory says not affected (false positive): no SLA".to_string())
    } else if input.pinned_langlib && policy.pinned_langlibs == PinnedLangLibs::OptionB {
        Some("pinned language library: excluded from the SLA by policy option B".to_string())
    } else {
        None
    };
    if let Some(why) = not_applicable {
        clock.why = why;
        return finish(clock, flags);
    }
    clock.sla_days = Some(days);

    // Not started: no qualifying patch yet.
    let not_started = match input.status {
        AdvisoryState::PendingUpstreamFix if input.pinned_langlib => Some(
            "pinned language library pending upstream fix (option A): clock does not start (R-PAT-5)"
                .to_string(),
        ),
        AdvisoryState::PendingUpstreamFix => {
            Some("pending upstream fix: clock does not start (SRM-A)".to_string())
        }
        AdvisoryState::FixNotPlanned | AdvisoryState::AnalysisNotPlanned => {
            flags.insert(FLAG_FIX_NOT_PLANNED_GUARDED.to_string());
            Some(format!(
                "{}: the vendor plans no fix, so no qualifying patch exists (normally only for end-of-life packages)",
                input.status.as_str()
            ))
        }
        _ => input
            .not_qualifying
            .as_ref()
            .map(|why| format!("no qualifying patch: {why}")),
    };
    if let Some(why) = not_started {
        clock.state = ClockState::NotStarted;
        clock.why = why;
        return finish(clock, flags);
    }

    // Start.
    let det = input.first_detection;
    let fix = input.fix_available;
    if fix.is_some() && !input.fix_available_is_release_time {
        flags.insert(FLAG_RECORD_TIMES.to_string());
    }
    let mut start: Option<(DateTime<Utc>, &'static str)> = match policy.clock_start {
        ClockStart::FirstDetection => det
            .map(|d| (d, "first detection"))
            .or(fix.map(|f| (f, "fix availability"))),
        ClockStart::FixAvailable => match (fix, det) {
            (Some(f), _) => Some((f, "fix availability")),
            (None, Some(d)) => {
                flags.insert(FLAG_FIX_ASSUMED_AT_DETECTION.to_string());
                Some((d, "first detection"))
            }
            (None, None) => None,
        },
        ClockStart::LaterOfBoth => match (det, fix) {
            (Some(d), Some(f)) if f > d => Some((f, "fix availability, after the first detection")),
            (Some(d), Some(_)) => Some((d, "first detection, after the fix became available")),
            (Some(d), None) => {
                flags.insert(FLAG_FIX_ASSUMED_AT_DETECTION.to_string());
                Some((d, "first detection"))
            }
            (None, Some(f)) => Some((f, "fix availability")),
            (None, None) => None,
        },
    };
    if det.is_some() {
        flags.insert(FLAG_RECORD_TIMES.to_string());
    }
    // The pending interval never counts, unless a real upstream release time replaced it.
    if let Some(p) = input.pending_end {
        if !(fix.is_some() && input.fix_available_is_release_time) {
            flags.insert(FLAG_PENDING_EXCLUDED.to_string());
            flags.insert(FLAG_RECORD_TIMES.to_string());
            flags.remove(FLAG_FIX_ASSUMED_AT_DETECTION);
            if start.is_none_or(|(s, _)| p > s) {
                start = Some((
                    p,
                    "end of pending-upstream-fix (the pending interval never counts)",
                ));
            }
        }
    }
    if start.is_none() {
        if det.is_none() {
            flags.insert(FLAG_NO_DETECTION.to_string());
        }
        let earliest_fix = input.fixed_times.iter().min().copied();
        start = match (input.first_record, earliest_fix) {
            (Some(r), _) => Some((r, "earliest advisory record")),
            (None, Some(f)) => Some((f, "fix record")),
            (None, None) => None,
        };
        if start.is_some() {
            flags.insert(FLAG_RECORD_TIMES.to_string());
        }
    } else if det.is_none() {
        flags.insert(FLAG_NO_DETECTION.to_string());
    }
    let Some((start, start_label)) = start else {
        if input.status == AdvisoryState::Fixed {
            clock.state = ClockState::Met;
            flags.insert(FLAG_FIX_TIME_UNKNOWN.to_string());
            clock.why =
                "fixed; no detection or fix time is known, so nothing can be late".to_string();
        } else {
            clock.state = ClockState::NotStarted;
            clock.why = "no detection or fix-availability time to start the clock from".to_string();
        }
        return finish(clock, flags);
    };
    let Some(deadline) = start.checked_add_signed(Duration::days(i64::from(days))) else {
        clock.state = ClockState::NotStarted;
        clock.why = format!("start {} is out of the representable range", ts(start));
        return finish(clock, flags);
    };
    clock.start = Some(start);
    clock.deadline = Some(deadline);
    let what = format!("{sev}: {days} days from {} ({start_label})", ts(start));

    // Stop.
    let mut stop = input
        .fixed_times
        .iter()
        .filter(|t| **t >= start)
        .min()
        .copied();
    if stop.is_some() {
        flags.insert(FLAG_RECORD_TIMES.to_string());
    }
    if stop.is_none() && input.status == AdvisoryState::Fixed {
        if let Some(before) = input.fixed_times.iter().max().copied() {
            flags.insert(FLAG_FIXED_BEFORE_START.to_string());
            flags.insert(FLAG_RECORD_TIMES.to_string());
            stop = Some(before);
        } else {
            flags.insert(FLAG_FIX_TIME_UNKNOWN.to_string());
            clock.state = ClockState::Met;
            clock.why = format!("{what}; fixed, fix time unknown");
            return finish(clock, flags);
        }
    }

    match stop {
        Some(stop) => {
            clock.stop = Some(stop);
            if stop <= deadline {
                clock.state = ClockState::Met;
                clock.days_left = Some(days_between(stop, deadline));
                clock.why = format!(
                    "{what}; fixed at {} ({} days after the start), within the deadline {}",
                    ts(stop),
                    days_between(start, stop).max(0.0),
                    ts(deadline)
                );
            } else {
                clock.state = ClockState::Breached;
                clock.days_overdue = Some(days_between(deadline, stop));
                clock.why = format!(
                    "{what}; fixed at {}, {} days after the deadline {}",
                    ts(stop),
                    days_between(deadline, stop),
                    ts(deadline)
                );
            }
        }
        None if start > now => {
            clock.state = ClockState::NotStarted;
            clock.why = format!(
                "qualifying fix available only from {} ({start_label})",
                ts(start)
            );
        }
        None if now > deadline => {
            clock.state = ClockState::Breached;
            clock.days_overdue = Some(days_between(deadline, now));
            clock.why = format!(
                "{what}; still open {} days after the deadline {}",
                days_between(deadline, now),
                ts(deadline)
            );
        }
        None => {
            clock.state = ClockState::Running;
            clock.days_left = Some(days_between(now, deadline));
            clock.why = format!(
                "{what}; due {}, {} days left",
                ts(deadline),
                days_between(now, deadline)
            );
        }
    }
    finish(clock, flags)
}

/// The facts about one advisory unit that are not in the advisory.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdvisoryClockContext<'a> {
    pub severity: Severity,
    /// False for customer-added components.
    pub vendor_owned: bool,
    /// False for EOL / grace streams.
    pub guarded: bool,
    pub pinned_langlib: bool,
    /// The upstream release time of the fix, when the caller knows it (replaces record times).
    pub upstream_fix_time: Option<DateTime<Utc>>,
    /// The qualifying-patch evaluation, when a fleet was given.
    pub qualifying: Option<&'a QualifyingPatch>,
}

impl AdvisoryClockContext<'_> {
    /// A vendor-owned, guarded, non-pinned unit with no extra facts.
    pub fn new(severity: Severity) -> Self {
        AdvisoryClockContext {
            severity,
            vendor_owned: true,
            guarded: true,
            pinned_langlib: false,
            upstream_fix_time: None,
            qualifying: None,
        }
    }
}

/// Build the engine input from an advisory's event history.
///
/// Events are taken in timestamp order (file order on ties). The status is the current event
/// (latest timestamp). When the advisory is open again after a fix (a `detection` or
/// `true-positive-determination` after the last `fixed`), the clock covers only that new episode.
/// The end of the last `pending-upstream-fix` interval is the next event's time.
pub fn advisory_clock_input(advisory: &Advisory, ctx: &AdvisoryClockContext<'_>) -> ClockInput {
    let sorted = advisory.sorted_events();
    let status = advisory
        .current_event()
        .map_or(AdvisoryState::UnderInvestigation, |e| {
            state_of_event(&e.kind)
        });
    let mut flags = Vec::new();
    let last_fixed = sorted.iter().rposition(|e| e.kind.is_fixed());
    let episode: &[&Event] = match last_fixed {
        Some(pos)
            if matches!(
                status,
                AdvisoryState::UnderInvestigation | AdvisoryState::Affected
            ) =>
        {
            flags.push(FLAG_REDETECTED.to_string());
            sorted.get(pos + 1..).unwrap_or(&[])
        }
        _ => &sorted,
    };
    let pending_end = episode
        .iter()
        .rposition(|e| matches!(e.kind, EventKind::PendingUpstreamFix { .. }))
        .and_then(|pos| episode.get(pos + 1))
        .map(|e| e.timestamp);
    let mut input = ClockInput::new(ctx.severity, status);
    input.first_detection = episode
        .iter()
        .find(|e| e.kind.is_detection())
        .map(|e| e.timestamp);
    input.first_record = episode.first().map(|e| e.timestamp);
    input.fix_available = ctx.upstream_fix_time;
    input.fix_available_is_release_time = ctx.upstream_fix_time.is_some();
    input.pending_end = pending_end;
    input.fixed_times = episode
        .iter()
        .filter(|e| e.kind.is_fixed())
        .map(|e| e.timestamp)
        .collect();
    input.vendor_owned = ctx.vendor_owned;
    input.guarded = ctx.guarded;
    input.pinned_langlib = ctx.pinned_langlib;
    if let Some(q) = ctx.qualifying {
        if q.major_cve_event {
            flags.push(FLAG_MAJOR_EVENT.to_string());
        }
        input.not_qualifying = q.failure();
    }
    input.flags = flags;
    input
}

/// The clock of one advisory unit from its event history (see [`advisory_clock_input`]).
pub fn clock_for_advisory(
    advisory: &Advisory,
    ctx: &AdvisoryClockContext<'_>,
    policy: &Policy,
    now: DateTime<Utc>,
) -> SlaClock {
    evaluate_clock(&advisory_clock_input(advisory, ctx), policy, now)
}

/// What the scanner knows about one finding (JSON-deserialisable; times are RFC 3339 strings).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FindingClockInput {
    /// The advisory status of the finding.
    pub status: AdvisoryState,
    #[serde(default = "unknown_severity")]
    pub severity: Severity,
    #[serde(default)]
    pub first_detection: Option<DateTime<Utc>>,
    /// The time of the advisory's current event (for `fixed`: the fix record time).
    #[serde(default)]
    pub current_event_time: Option<DateTime<Utc>>,
    #[serde(default)]
    pub fixed_version: Option<String>,
    /// The owner already shipped the fix in a newer build than this image's (R-MOVE-2): the
    /// vendor's clock is closed at the fix record, met or breached, never still open.
    #[serde(default)]
    pub fix_shipped: bool,
    /// False for customer-added components (no SLA).
    #[serde(default)]
    pub vendor_owned: bool,
    /// An App-image LangLib pending an upstream fix (the SRM-A "pinned" library).
    #[serde(default)]
    pub langlib_pending: bool,
    /// False for EOL / grace streams (default true).
    #[serde(default = "default_true")]
    pub guarded: bool,
    /// The upstream release time of the fix, when known.
    #[serde(default)]
    pub upstream_fix_time: Option<DateTime<Utc>>,
    /// Why no qualifying patch exists (an App with no upstream fix in any feed, R-MOVE-5).
    #[serde(default)]
    pub not_qualifying: Option<String>,
}

fn default_true() -> bool {
    true
}

fn unknown_severity() -> Severity {
    Severity::Unknown
}

impl Default for FindingClockInput {
    /// Under investigation, unknown severity, not vendor-owned (the caller must say so), guarded.
    fn default() -> Self {
        FindingClockInput {
            status: AdvisoryState::UnderInvestigation,
            severity: Severity::Unknown,
            first_detection: None,
            current_event_time: None,
            fixed_version: None,
            fix_shipped: false,
            vendor_owned: false,
            langlib_pending: false,
            guarded: true,
            upstream_fix_time: None,
            not_qualifying: None,
        }
    }
}

/// Parse an RFC 3339 time (as found in `AdvisoryRef`); `None` when it does not parse.
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s.trim())
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// The clock of one scanner finding.
///
/// `fixed` stops at `current_event_time`. A fix the owner shipped in a newer build than this
/// image's (`fix_shipped`, R-MOVE-2) is the same closed clock, flagged
/// `image-behind-fixed-version`: the vendor met or missed its deadline when it published the fix;
/// what is left is the customer's update. Other open states have no stop. A pending LangLib is
/// the pinned-library case (option A: not started; option B: not applicable).
pub fn clock_for_finding(
    input: &FindingClockInput,
    policy: &Policy,
    now: DateTime<Utc>,
) -> SlaClock {
    let mut flags = Vec::new();
    let status = if input.fix_shipped {
        flags.push(FLAG_IMAGE_BEHIND.to_string());
        AdvisoryState::Fixed
    } else {
        input.status
    };
    let mut clock = ClockInput::new(input.severity, status);
    clock.first_detection = input.first_detection;
    clock.first_record = input
        .first_detection
        .or(input.current_event_time)
        .map(|t| input.current_event_time.map_or(t, |c| c.min(t)));
    clock.fix_available = input.upstream_fix_time;
    clock.fix_available_is_release_time = input.upstream_fix_time.is_some();
    if let (AdvisoryState::Fixed, Some(t)) = (status, input.current_event_time) {
        clock.fixed_times.push(t);
    }
    clock.not_qualifying = input.not_qualifying.clone();
    clock.vendor_owned = input.vendor_owned;
    clock.guarded = input.guarded;
    clock.pinned_langlib = input.langlib_pending;
    clock.flags = flags;
    evaluate_clock(&clock, policy, now)
}

#[cfg(test)]
#[path = "clock_tests.rs"]
mod tests;
