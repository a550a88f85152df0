//! Unit tests of the clock engine: every state, the pending → fixable transition, start modes.

#![allow(clippy::unwrap_used)]

use super::*;
use crate::policy::load_policy;
use onus_advisory::parse_document;

fn t(s: &str) -> DateTime<Utc> {
    parse_time(s).unwrap()
}

fn policy() -> Policy {
    Policy::default()
}

/// One advisory from hand-written events `(timestamp, type, data-yaml)`.
fn advisory(events: &[(&str, &str)]) -> Advisory {
    let mut yaml = String::from(
        "schema-version: 2.0.2\npackage:\n  name: demo\nadvisories:\n  - id: CGA-2222-3333-4444\n    aliases: [CVE-2024-0001]\n    events:\n",
    );
    for (ts, kind) in events {
        let data = match *kind {
            "detection" => "\n        data:\n          type: manual",
            "fixed" => "\n        data:\n          fixed-version: 1.2.3-r1",
            "pending-upstream-fix" | "fix-not-planned" | "true-positive-determination" => {
                "\n        data:\n          note: n"
            }
            "false-positive-determination" => {
                "\n        data:\n          type: component-vulnerability-mismatch"
            }
            _ => "",
        };
        yaml.push_str(&format!(
            "      - timestamp: {ts}\n        type: {kind}{data}\n"
        ));
    }
    let doc = parse_document(yaml.as_bytes(), "demo.advisories.yaml").unwrap();
    doc.advisories.into_iter().next().unwrap()
}

fn adv_clock(events: &[(&str, &str)], severity: Severity, now: &str) -> SlaClock {
    clock_for_advisory(
        &advisory(events),
        &AdvisoryClockContext::new(severity),
        &policy(),
        t(now),
    )
}

fn has(clock: &SlaClock, flag: &str) -> bool {
    clock.flags.iter().any(|f| f == flag)
}

#[test]
fn running_critical() {
    let c = adv_clock(
        &[("2024-02-28T00:00:00Z", "detection")],
        Severity::Critical,
        "2024-03-01T00:00:00Z",
    );
    assert_eq!(c.state, ClockState::Running, "{c:?}");
    assert_eq!(c.start, Some(t("2024-02-28T00:00:00Z")));
    assert_eq!(c.deadline, Some(t("2024-03-06T00:00:00Z")));
    assert_eq!(c.days_left, Some(5.0));
    assert_eq!(c.days_overdue, None);
    assert_eq!(c.sla_days, Some(7));
    assert!(has(&c, FLAG_TIMEZONE_ASSUMED_UTC));
    assert!(has(&c, FLAG_RECORD_TIMES));
    assert!(has(&c, FLAG_FIX_ASSUMED_AT_DETECTION));
    assert!(c.why.contains("days left"), "{}", c.why);
}

#[test]
fn met_and_boundary() {
    let c = adv_clock(
        &[
            ("2024-01-01T00:00:00Z", "detection"),
            ("2024-01-03T12:00:00Z", "fixed"),
        ],
        Severity::High,
        "2024-06-01T00:00:00Z",
    );
    assert_eq!(c.state, ClockState::Met);
    assert_eq!(c.stop, Some(t("2024-01-03T12:00:00Z")));
    assert_eq!(c.days_left, Some(11.5));
    // Exactly at the deadline is met (stop ≤ deadline).
    let c = adv_clock(
        &[
            ("2024-01-01T00:00:00Z", "detection"),
            ("2024-01-15T00:00:00Z", "fixed"),
        ],
        Severity::Medium,
        "2024-06-01T00:00:00Z",
    );
    assert_eq!(c.state, ClockState::Met);
    assert_eq!(c.days_left, Some(0.0));
}

#[test]
fn breached_fixed_late_and_open_late() {
    let c = adv_clock(
        &[
            ("2024-01-01T00:00:00Z", "detection"),
            ("2024-01-15T00:00:01Z", "fixed"),
        ],
        Severity::Low,
        "2024-06-01T00:00:00Z",
    );
    assert_eq!(c.state, ClockState::Breached);
    assert_eq!(c.days_overdue, Some(0.0));
    let c = adv_clock(
        &[
            ("2024-01-01T00:00:00Z", "detection"),
            ("2024-01-02T00:00:00Z", "true-positive-determination"),
        ],
        Severity::Critical,
        "2024-01-10T00:00:00Z",
    );
    assert_eq!(c.state, ClockState::Breached);
    assert_eq!(c.stop, None);
    assert_eq!(c.days_overdue, Some(2.0));
    assert!(c.why.contains("still open"), "{}", c.why);
    // One second before the deadline it is still running.
    let c = adv_clock(
        &[("2024-01-01T00:00:00Z", "detection")],
        Severity::Critical,
        "2024-01-08T00:00:00Z",
    );
    assert_eq!(c.state, ClockState::Running);
    assert_eq!(c.days_left, Some(0.0));
}

#[test]
fn not_applicable_cases() {
    let adv = advisory(&[("2024-01-01T00:00:00Z", "detection")]);
    let now = t("2024-02-01T00:00:00Z");
    let mut ctx = AdvisoryClockContext::new(Severity::High);
    ctx.vendor_owned = false;
    let c = clock_for_advisory(&adv, &ctx, &policy(), now);
    assert_eq!(c.state, ClockState::NotApplicable);
    assert!(c.why.contains("customer-added"));
    assert_eq!((c.start, c.deadline, c.sla_days), (None, None, None));

    let mut ctx = AdvisoryClockContext::new(Severity::High);
    ctx.guarded = false;
    let c = clock_for_advisory(&adv, &ctx, &policy(), now);
    assert_eq!(c.state, ClockState::NotApplicable);
    assert!(c.why.contains("not guarded"));

    let fp = advisory(&[
        ("2024-01-01T00:00:00Z", "detection"),
        ("2024-01-02T00:00:00Z", "false-positive-determination"),
    ]);
    let c = clock_for_advisory(
        &fp,
        &AdvisoryClockContext::new(Severity::High),
        &policy(),
        now,
    );
    assert_eq!(c.state, ClockState::NotApplicable);
    assert!(c.why.contains("not affected"));

    let option_b = load_policy(Some("pinned-langlibs: option-b")).unwrap();
    let mut ctx = AdvisoryClockContext::new(Severity::High);
    ctx.pinned_langlib = true;
    let c = clock_for_advisory(&adv, &ctx, &option_b, now);
    assert_eq!(c.state, ClockState::NotApplicable);
    assert!(c.why.contains("option B"));
    // Option A keeps a pinned library in the SLA.
    let c = clock_for_advisory(&adv, &ctx, &policy(), now);
    assert_eq!(c.state, ClockState::Breached);
}

#[test]
fn not_started_cases() {
    let c = adv_clock(
        &[
            ("2024-01-01T00:00:00Z", "detection"),
            ("2024-01-02T00:00:00Z", "pending-upstream-fix"),
        ],
        Severity::Critical,
        "2024-06-01T00:00:00Z",
    );
    assert_eq!(c.state, ClockState::NotStarted);
    assert!(c.why.contains("clock does not start"), "{}", c.why);
    assert_eq!(c.start, None);

    let c = adv_clock(
        &[
            ("2024-01-01T00:00:00Z", "detection"),
            ("2024-01-02T00:00:00Z", "fix-not-planned"),
        ],
        Severity::High,
        "2024-06-01T00:00:00Z",
    );
    assert_eq!(c.state, ClockState::NotStarted);
    assert!(has(&c, FLAG_FIX_NOT_PLANNED_GUARDED));

    // An upstream release after now: the clock has not started yet.
    let adv = advisory(&[("2024-01-01T00:00:00Z", "detection")]);
    let mut ctx = AdvisoryClockContext::new(Severity::High);
    ctx.upstream_fix_time = Some(t("2024-03-01T00:00:00Z"));
    let c = clock_for_advisory(&adv, &ctx, &policy(), t("2024-02-01T00:00:00Z"));
    assert_eq!(c.state, ClockState::NotStarted);
    assert_eq!(c.start, Some(t("2024-03-01T00:00:00Z")));
    assert!(c.why.contains("available only from"), "{}", c.why);

    // A failed qualifying criterion (Major CVE Event) keeps the clock from starting.
    let mut input = ClockInput::new(Severity::High, AdvisoryState::Affected);
    input.first_detection = Some(t("2024-01-01T00:00:00Z"));
    input.not_qualifying = Some("Major CVE Event".to_string());
    let c = evaluate_clock(&input, &policy(), t("2024-06-01T00:00:00Z"));
    assert_eq!(c.state, ClockState::NotStarted);
    assert!(c.why.contains("Major CVE Event"));

    // Option A: a pinned library pending upstream does not start.
    let adv = advisory(&[
        ("2024-01-01T00:00:00Z", "detection"),
        ("2024-01-02T00:00:00Z", "pending-upstream-fix"),
    ]);
    let mut ctx = AdvisoryClockContext::new(Severity::High);
    ctx.pinned_langlib = true;
    let c = clock_for_advisory(&adv, &ctx, &policy(), t("2024-06-01T00:00:00Z"));
    assert_eq!(c.state, ClockState::NotStarted);
    assert!(c.why.contains("option A"), "{}", c.why);
}

#[test]
fn pending_to_fixable_transition() {
    // detection → pending (a month) → fixed: the clock starts at the fix, pending never counts.
    let events = [
        ("2024-01-01T00:00:00Z", "detection"),
        ("2024-01-02T00:00:00Z", "pending-upstream-fix"),
        ("2024-03-01T00:00:00Z", "fixed"),
    ];
    let c = adv_clock(&events, Severity::Critical, "2024-06-01T00:00:00Z");
    assert_eq!(c.state, ClockState::Met, "{c:?}");
    assert_eq!(c.start, Some(t("2024-03-01T00:00:00Z")));
    assert_eq!(c.stop, Some(t("2024-03-01T00:00:00Z")));
    assert_eq!(c.days_left, Some(7.0));
    assert!(has(&c, FLAG_PENDING_EXCLUDED));
    assert!(!has(&c, FLAG_FIX_ASSUMED_AT_DETECTION));

    // pending → true positive (upstream fixed, vendor working on it): starts at the TP record.
    let events = [
        ("2024-01-01T00:00:00Z", "detection"),
        ("2024-01-02T00:00:00Z", "pending-upstream-fix"),
        ("2024-02-01T00:00:00Z", "true-positive-determination"),
    ];
    let c = adv_clock(&events, Severity::High, "2024-02-10T00:00:00Z");
    assert_eq!(c.state, ClockState::Running);
    assert_eq!(c.start, Some(t("2024-02-01T00:00:00Z")));
    assert_eq!(c.days_left, Some(5.0));
    let c = adv_clock(&events, Severity::High, "2024-02-20T00:00:00Z");
    assert_eq!(c.state, ClockState::Breached);
    assert_eq!(c.days_overdue, Some(5.0));

    // With a caller-given upstream release time, that time starts the clock instead.
    let adv = advisory(&[
        ("2024-01-01T00:00:00Z", "detection"),
        ("2024-01-02T00:00:00Z", "pending-upstream-fix"),
        ("2024-03-01T00:00:00Z", "fixed"),
    ]);
    let mut ctx = AdvisoryClockContext::new(Severity::Critical);
    ctx.upstream_fix_time = Some(t("2024-02-20T00:00:00Z"));
    let c = clock_for_advisory(&adv, &ctx, &policy(), t("2024-06-01T00:00:00Z"));
    assert_eq!(c.start, Some(t("2024-02-20T00:00:00Z")));
    assert_eq!(c.state, ClockState::Breached);
    // Deadline 2024-02-27; fixed 2024-03-01 (a leap year): 3 days late.
    assert_eq!(c.days_overdue, Some(3.0));
    assert!(!has(&c, FLAG_PENDING_EXCLUDED));
}

#[test]
fn unknown_severity_is_fourteen_days_and_flagged() {
    let c = adv_clock(
        &[("2024-01-01T00:00:00Z", "detection")],
        Severity::Unknown,
        "2024-01-02T00:00:00Z",
    );
    assert_eq!(c.sla_days, Some(14));
    assert_eq!(c.days_left, Some(13.0));
    assert!(has(&c, FLAG_SEVERITY_UNKNOWN));
}

#[test]
fn explicit_timezone_drops_the_flag() {
    let p = load_policy(Some("timezone: UTC")).unwrap();
    let mut input = ClockInput::new(Severity::High, AdvisoryState::Affected);
    input.first_detection = Some(t("2024-01-01T00:00:00Z"));
    let c = evaluate_clock(&input, &p, t("2024-01-02T00:00:00Z"));
    assert!(!has(&c, FLAG_TIMEZONE_ASSUMED_UTC));
}

#[test]
fn start_modes() {
    let mut input = ClockInput::new(Severity::High, AdvisoryState::Affected);
    input.first_detection = Some(t("2024-01-01T00:00:00Z"));
    input.fix_available = Some(t("2024-01-05T00:00:00Z"));
    input.fix_available_is_release_time = true;
    let now = t("2024-01-06T00:00:00Z");
    let start = |input: &ClockInput, text: &str| {
        evaluate_clock(input, &load_policy(Some(text)).unwrap(), now)
            .start
            .unwrap()
    };
    assert_eq!(
        start(&input, "clock-start: later-of-both"),
        t("2024-01-05T00:00:00Z")
    );
    assert_eq!(
        start(&input, "clock-start: first-detection"),
        t("2024-01-01T00:00:00Z")
    );
    assert_eq!(
        start(&input, "clock-start: fix-available"),
        t("2024-01-05T00:00:00Z")
    );
    // A fix available before the detection: the later one (detection) starts it.
    input.fix_available = Some(t("2023-12-01T00:00:00Z"));
    assert_eq!(
        start(&input, "clock-start: later-of-both"),
        t("2024-01-01T00:00:00Z")
    );
    assert_eq!(
        start(&input, "clock-start: fix-available"),
        t("2023-12-01T00:00:00Z")
    );
}

#[test]
fn redetection_starts_a_new_episode() {
    let c = adv_clock(
        &[
            ("2024-01-01T00:00:00Z", "detection"),
            ("2024-01-02T00:00:00Z", "fixed"),
            ("2024-05-01T00:00:00Z", "detection"),
        ],
        Severity::High,
        "2024-05-03T00:00:00Z",
    );
    assert_eq!(c.state, ClockState::Running);
    assert_eq!(c.start, Some(t("2024-05-01T00:00:00Z")));
    assert!(has(&c, FLAG_REDETECTED));
}

#[test]
fn fixed_without_detection() {
    let c = adv_clock(
        &[("2024-01-02T00:00:00Z", "fixed")],
        Severity::High,
        "2024-05-03T00:00:00Z",
    );
    assert_eq!(c.state, ClockState::Met);
    assert_eq!(c.start, Some(t("2024-01-02T00:00:00Z")));
    assert!(has(&c, FLAG_NO_DETECTION));
}

#[test]
fn events_out_of_file_order_use_timestamps() {
    // File order says pending last, timestamps say detection is current (model §4.3 example).
    let c = adv_clock(
        &[
            ("2024-02-05T00:00:00Z", "detection"),
            ("2024-02-02T00:00:00Z", "pending-upstream-fix"),
        ],
        Severity::High,
        "2024-02-06T00:00:00Z",
    );
    assert_eq!(c.state, ClockState::Running, "{c:?}");
    assert_eq!(c.start, Some(t("2024-02-05T00:00:00Z")));
}

fn finding(status: &str, severity: &str) -> FindingClockInput {
    FindingClockInput {
        status: AdvisoryState::from_kebab(status).unwrap(),
        severity: Severity::from_label(severity),
        first_detection: Some(t("2024-01-01T00:00:00Z")),
        current_event_time: Some(t("2024-01-04T00:00:00Z")),
        vendor_owned: true,
        ..FindingClockInput::default()
    }
}

#[test]
fn finding_states() {
    let now = t("2024-02-01T00:00:00Z");
    let p = policy();
    let c = clock_for_finding(&finding("fixed", "critical"), &p, now);
    assert_eq!(c.state, ClockState::Met);
    assert_eq!(c.stop, Some(t("2024-01-04T00:00:00Z")));
    assert_eq!(c.days_left, Some(4.0));

    let mut f = finding("affected", "high");
    f.fixed_version = Some("1.2-r1".into());
    f.fix_shipped = true;
    let c = clock_for_finding(&f, &p, now);
    assert_eq!(c.state, ClockState::Met);
    assert!(has(&c, FLAG_IMAGE_BEHIND));
    // A fix recorded before the first detection still closes the clock (never "still open").
    f.current_event_time = Some(t("2023-12-01T00:00:00Z"));
    let c = clock_for_finding(&f, &p, now);
    assert_eq!(c.state, ClockState::Met);
    assert_eq!(c.stop, Some(t("2023-12-01T00:00:00Z")));

    let c = clock_for_finding(&finding("affected", "high"), &p, now);
    assert_eq!(c.state, ClockState::Breached);
    assert_eq!(c.days_overdue, Some(17.0));

    let c = clock_for_finding(
        &finding("under-investigation", "HIGH"),
        &p,
        t("2024-01-02T00:00:00Z"),
    );
    assert_eq!(c.state, ClockState::Running);

    let c = clock_for_finding(&finding("not-affected", "high"), &p, now);
    assert_eq!(c.state, ClockState::NotApplicable);
    let c = clock_for_finding(&finding("pending-upstream-fix", "high"), &p, now);
    assert_eq!(c.state, ClockState::NotStarted);
    let c = clock_for_finding(&finding("fix-not-planned", "high"), &p, now);
    assert_eq!(c.state, ClockState::NotStarted);

    let mut f = finding("affected", "high");
    f.vendor_owned = false;
    assert_eq!(
        clock_for_finding(&f, &p, now).state,
        ClockState::NotApplicable
    );
    let mut f = finding("affected", "high");
    f.guarded = false;
    assert_eq!(
        clock_for_finding(&f, &p, now).state,
        ClockState::NotApplicable
    );

    let mut f = finding("pending-upstream-fix", "high");
    f.langlib_pending = true;
    let c = clock_for_finding(&f, &p, now);
    assert_eq!(c.state, ClockState::NotStarted);
    let b = load_policy(Some("pinned-langlibs: option-b")).unwrap();
    assert_eq!(
        clock_for_finding(&f, &b, now).state,
        ClockState::NotApplicable
    );

    let c = clock_for_finding(
        &finding("under-investigation", ""),
        &p,
        t("2024-01-02T00:00:00Z"),
    );
    assert_eq!(c.state, ClockState::Running);
    assert!(has(&c, FLAG_SEVERITY_UNKNOWN));

    // No times at all.
    let f = FindingClockInput {
        status: AdvisoryState::Affected,
        vendor_owned: true,
        ..FindingClockInput::default()
    };
    let c = clock_for_finding(&f, &p, now);
    assert_eq!(c.state, ClockState::NotStarted);
    let f = FindingClockInput {
        status: AdvisoryState::Fixed,
        vendor_owned: true,
        ..FindingClockInput::default()
    };
    let c = clock_for_finding(&f, &p, now);
    assert_eq!(c.state, ClockState::Met);
    assert!(has(&c, FLAG_FIX_TIME_UNKNOWN));
}

#[test]
fn serialised_shape() {
    let c = clock_for_finding(
        &finding("affected", "high"),
        &policy(),
        t("2024-01-02T00:00:00Z"),
    );
    let v = serde_json::to_value(&c).unwrap();
    assert_eq!(v["state"], "running");
    assert_eq!(v["severity"], "high");
    assert_eq!(v["start"], "2024-01-01T00:00:00Z");
    assert_eq!(v["deadline"], "2024-01-15T00:00:00Z");
    assert_eq!(v["days_left"], 13.0);
    assert!(v.get("stop").is_none());
    assert_eq!(v["rule"], SLA_RULE);
    assert!(v["flags"]
        .as_array()
        .unwrap()
        .windows(2)
        .all(|w| w[0].as_str() < w[1].as_str()));
    let back: SlaClock = serde_json::from_value(v).unwrap();
    assert_eq!(back, c);
    for (state, name) in [
        (ClockState::NotApplicable, "not-applicable"),
        (ClockState::NotStarted, "not-started"),
        (ClockState::Breached, "breached"),
        (ClockState::Met, "met"),
    ] {
        assert_eq!(serde_json::to_value(state).unwrap(), name);
        assert_eq!(state.as_str(), name);
    }
    // The scanner can hand the input over as JSON with RFC 3339 strings.
    let input: FindingClockInput = serde_json::from_str(
        r#"{"status":"affected","severity":"critical","first_detection":"2024-01-01T00:00:00+02:00","vendor_owned":true}"#,
    )
    .unwrap();
    assert!(input.guarded);
    assert_eq!(input.first_detection, Some(t("2023-12-31T22:00:00Z")));
}

#[test]
fn extreme_times_do_not_panic() {
    let mut input = ClockInput::new(Severity::High, AdvisoryState::Affected);
    input.first_detection = Some(DateTime::<Utc>::MAX_UTC);
    let c = evaluate_clock(&input, &policy(), DateTime::<Utc>::MIN_UTC);
    assert_eq!(c.state, ClockState::NotStarted);
    input.first_detection = Some(DateTime::<Utc>::MIN_UTC);
    input.fixed_times = vec![DateTime::<Utc>::MAX_UTC];
    let c = evaluate_clock(&input, &policy(), DateTime::<Utc>::MAX_UTC);
    assert_eq!(c.state, ClockState::Breached);
    assert!(c.days_overdue.unwrap() > 0.0);
}
