//! SLA clocks, qualifying-patch evaluation and time-to-fix reports over advisory histories
//! (model.md §5; owned by the SLA engineer; the advisory engineer should not edit this crate).
//!
//! Everything is pure: `now` is an argument, never read from a clock. Advisory timestamps are
//! record times (when the advisory was updated), not release times; clocks and reports built
//! from them say so. Policy keys and defaults: `docs/sla-policy.md`.
//!
//! ```
//! use onus_sla::{clock_for_finding, load_policy, AdvisoryState, ClockState, FindingClockInput, Severity};
//!
//! let policy = load_policy(None).unwrap();
//! let now = "2024-03-01T00:00:00Z".parse().unwrap();
//! let input = FindingClockInput {
//!     status: AdvisoryState::Affected,
//!     severity: Severity::Critical,
//!     first_detection: Some("2024-02-28T00:00:00Z".parse().unwrap()),
//!     vendor_owned: true,
//!     ..FindingClockInput::default()
//! };
//! let clock = clock_for_finding(&input, &policy, now);
//! assert_eq!(clock.state, ClockState::Running);
//! assert_eq!(clock.days_left, Some(5.0));
//! ```

mod clock;
mod error;
mod fleet_io;
mod policy;
mod qualify;
mod render;
mod report;
mod severity;
mod stats;

pub use clock::{
    advisory_clock_input, clock_for_advisory, clock_for_finding, evaluate_clock, parse_time,
    AdvisoryClockContext, AdvisoryState, ClockInput, ClockState, FindingClockInput, SlaClock,
    FLAG_FIXED_BEFORE_START, FLAG_FIX_ASSUMED_AT_DETECTION, FLAG_FIX_NOT_PLANNED_GUARDED,
    FLAG_FIX_TIME_UNKNOWN, FLAG_IMAGE_BEHIND, FLAG_MAJOR_EVENT, FLAG_NO_DETECTION,
    FLAG_PENDING_EXCLUDED, FLAG_RECORD_TIMES, FLAG_REDETECTED, FLAG_SEVERITY_UNKNOWN,
    FLAG_TIMEZONE_ASSUMED_UTC, SLA_RULE, SLA_SOURCE,
};
pub use error::SlaError;
pub use fleet_io::{load_fleet, MAX_FLEET_FILE_BYTES};
pub use policy::{
    load_policy, ClockStart, PinnedLangLibs, Policy, SeverityDays, DEFAULT_POLICY_YAML,
};
pub use qualify::{
    qualifying_patch, Criterion, Fleet, FleetImage, QualifyingPatch, REPORT_SCHEMA, SBOM_SCHEMA,
};
pub use render::{render_csv, render_html, render_json, render_markdown, render_table, OPEN_ROWS};
pub use report::{
    report, report_with_policy, time_to_fix, Bucket, FleetSummary, MajorEvent, OpenAdvisory,
    PackageStats, PendingAges, Redetection, Redetections, SlaReport, TimeToFix, TtfStats,
    WithinSla, BUCKETS, CAVEAT, SLA_REPORT_SCHEMA, TOP_PACKAGES,
};
pub use severity::Severity;
pub use stats::{nearest_rank, round2};
