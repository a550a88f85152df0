//! The pages as a person sees them (snapshots), and escaping: markup, quotes and terminal
//! escapes in every field the fleet hands over come out as text.
#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

use std::collections::BTreeMap;

use onus_dashboard::{Chrome, ImageListQuery, MovesQuery, Nav, OverviewData};
use onus_fleet::query::{Clocks, Count, ImageFinding, ImageSummary, Move, Summary};
use onus_fleet::views::{ClockGroup, ImagePage, KindCount, SearchResults, TrendPoint};

const HOSTILE: &str = "<img src=x onerror=alert(1)><script>alert(2)</script>\"'\u{1b}[31m";

fn chrome() -> Chrome<'static> {
    Chrome {
        csrf: "00112233445566778899aabbccddeeff",
        active: Nav::Overview,
        query: "",
    }
}

fn count(party: &str, tier: &str, severity: &str, n: i64) -> Count {
    Count {
        party: party.into(),
        tier: tier.into(),
        severity: severity.into(),
        count: n,
    }
}

fn overview_data() -> OverviewData {
    let kind =
        |kind: &str, owner: &str, party: &str, tier: &str, severity: &str, n: i64| KindCount {
            kind: kind.into(),
            owner: owner.into(),
            party: party.into(),
            tier: tier.into(),
            severity: severity.into(),
            count: n,
        };
    OverviewData {
        summary: Summary {
            images: 3,
            stale_images: 1,
            open_by_owner: vec![count("vendor", "System", "high", 4)],
            open_by_move: vec![
                count("customer", "System", "high", 3),
                count("vendor", "System", "high", 1),
                count("customer", "LangLib", "critical", 2),
            ],
            chp_levels: BTreeMap::from([("2".to_string(), 2), ("none".to_string(), 1)]),
            eol: BTreeMap::from([("eol".to_string(), 1), ("supported".to_string(), 2)]),
            pending_jobs: 0,
            store: Some("sha256:0123456789abcdef0123".into()),
        },
        kind_counts: vec![
            kind("application", "vendor", "customer", "System", "high", 3),
            kind(
                "application",
                "upstream",
                "customer",
                "LangLib",
                "critical",
                2,
            ),
            kind("base", "vendor", "vendor", "System", "high", 1),
        ],
        images_by_kind: BTreeMap::from([("application".to_string(), 2), ("base".to_string(), 1)]),
        trend: vec![
            TrendPoint {
                day: "2026-11-24".into(),
                open: BTreeMap::from([("customer".to_string(), 2), ("vendor".to_string(), 1)]),
            },
            TrendPoint {
                day: "2026-11-25".into(),
                open: BTreeMap::from([("customer".to_string(), 5), ("vendor".to_string(), 1)]),
            },
        ],
    }
}

fn hostile_move() -> Move {
    Move {
        party: "customer".into(),
        kind: "update".into(),
        action: format!("update {HOSTILE}"),
        package: format!("pkg{HOSTILE}"),
        fixed_in: Some(format!("2.0{HOSTILE}")),
        findings: 2,
        critical: 1,
        known_exploited: 0,
        image_count: 1,
        images: vec![format!("sha256:{HOSTILE}")],
        clocks: Some(Clocks {
            running: 1,
            breached: 0,
            next_deadline: Some(format!("2026-12-01{HOSTILE}")),
        }),
        ids: vec![format!("CVE-2026-0001{HOSTILE}")],
    }
}

fn hostile_finding() -> ImageFinding {
    ImageFinding {
        digest: format!("sha256:{HOSTILE}"),
        refs: vec![format!("registry.example/app{HOSTILE}:1")],
        vuln_id: format!("CVE{HOSTILE}"),
        purl: format!("pkg:npm/{HOSTILE}@1"),
        package: format!("p{HOSTILE}"),
        version: format!("1{HOSTILE}"),
        severity: "critical".into(),
        status: format!("affected{HOSTILE}"),
        open: true,
        known_exploited: true,
        owner: "customer".into(),
        tier: "App".into(),
        party: "customer".into(),
        kind: format!("update{HOSTILE}"),
        rule: format!("R-MOVE-1{HOSTILE}"),
        fixed_in: Some(format!("2{HOSTILE}")),
        clock: "running".into(),
        deadline: None,
        layer: Some(1),
    }
}

/// No markup from the input survives: every `<` of it is `&lt;`, no terminal escape is left.
fn assert_escaped(html: &str) {
    assert!(!html.contains("<img"), "an <img> element got through");
    assert!(
        !html.contains("<script>alert"),
        "a <script> element got through"
    );
    assert!(
        !html.contains("onerror=alert(1)>"),
        "an attribute got through"
    );
    assert!(!html.contains('\u{1b}'), "a terminal escape got through");
    assert!(html.contains("&lt;script&gt;alert(2)&lt;/script&gt;"));
}

#[test]
fn overview_page() {
    let html = onus_dashboard::overview(&chrome(), &overview_data());
    assert!(
        !html.contains("style="),
        "inline style would need 'unsafe-inline'"
    );
    assert!(
        !html.contains("<script>"),
        "inline script would need 'unsafe-inline'"
    );
    insta::assert_snapshot!("overview", html);
}

#[test]
fn signin_page() {
    insta::assert_snapshot!("signin", onus_dashboard::signin(Some(HOSTILE), "abc123"));
}

#[test]
fn every_page_escapes_what_the_fleet_holds() {
    let refs = BTreeMap::from([(
        format!("sha256:{HOSTILE}"),
        vec![format!("registry.example/app{HOSTILE}:1")],
    )]);
    let chrome = Chrome {
        csrf: "00",
        active: Nav::Moves,
        query: HOSTILE,
    };
    let filter = MovesQuery {
        kind: Some(HOSTILE.into()),
        text: Some(HOSTILE.into()),
    };
    let mv = hostile_move();
    let clock = ClockGroup {
        package: format!("openssl{HOSTILE}"),
        severity: "high".into(),
        clock: "running".into(),
        findings: 1,
        images: 1,
        deadline: Some(format!("2026-12-01{HOSTILE}")),
    };
    let page = ImagePage {
        images: vec![ImageSummary {
            digest: format!("sha256:{HOSTILE}"),
            refs: vec![format!("registry.example/app{HOSTILE}:1")],
            os: Some(format!("wolfi{HOSTILE}")),
            open_findings: 1,
            chp_level: Some(2),
            first_seen: HOSTILE.into(),
            last_seen: HOSTILE.into(),
            updated: HOSTILE.into(),
            stale: true,
        }],
        total: 1,
        next_after: Some(format!("sha256:{HOSTILE}")),
    };
    let list_query = ImageListQuery {
        text: HOSTILE.into(),
        kind: "base".into(),
        stale: true,
        open: false,
        after: Some(HOSTILE.into()),
    };
    let answer = onus_fleet::query::PackageAnswer {
        purl: format!("pkg:npm/{HOSTILE}@1"),
        images: vec![onus_fleet::query::PackageInImage {
            digest: format!("sha256:{HOSTILE}"),
            refs: vec![HOSTILE.into()],
            layer: Some(0),
            owner: HOSTILE.into(),
            tier: HOSTILE.into(),
        }],
        image_total: 5,
        findings: vec![hostile_finding()],
        finding_total: 5,
    };
    let results = SearchResults {
        vulnerabilities: vec![HOSTILE.into()],
        packages: vec![(HOSTILE.into(), 1)],
        images: vec![(format!("sha256:{HOSTILE}"), vec![HOSTILE.into()])],
    };
    let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    for html in [
        onus_dashboard::moves(&chrome, std::slice::from_ref(&mv), &refs, &filter),
        onus_dashboard::clocks(&chrome, std::slice::from_ref(&mv), &[clock], &refs, day),
        onus_dashboard::upstream(&chrome, std::slice::from_ref(&mv), &refs),
        onus_dashboard::image_list(&chrome, &page, &list_query),
        onus_dashboard::vulnerability(
            &chrome,
            HOSTILE,
            &onus_fleet::query::FindingPage {
                findings: vec![hostile_finding()],
                total: 3,
            },
            1,
        ),
        onus_dashboard::package(&chrome, &answer),
        onus_dashboard::search(&chrome, HOSTILE, &results),
        onus_dashboard::error_page(Some(&chrome), HOSTILE, HOSTILE),
        onus_dashboard::signin(Some(HOSTILE), HOSTILE),
    ] {
        assert_escaped(&html);
        assert!(!html.contains("style="));
    }
}
