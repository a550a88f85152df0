//! One function per page.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::NaiveDate;
use onus_attribution::{Party, Tier};
use onus_fleet::query::{FindingPage, ImageFinding, Move, PackageAnswer, Summary};
use onus_fleet::views::{ClockGroup, ImagePage, KindCount, SearchResults, TrendPoint};
use onus_report::diff::ReportDiff;
use onus_report::html::{fleet_pyramids, TierCounts};
use onus_report::util::{self, html_escape as e, percent_encode_path};
use onus_report::Report;
use onus_vuln::Severity;

use crate::{charts, image_href, image_link, layout, package_href, vulnerability_href, Chrome};

/// The sign-in page: an API token with the read scope opens a session.
pub fn signin(error: Option<&str>, csrf: &str) -> String {
    let mut body = String::from(
        r#"<div class="signin"><div class="brand">onus · fleet</div><h1>Sign in</h1><p class="meta">Sign in with an API token that has the <code>read</code> scope (create one with <code>onus serve token create --scope read</code>).</p>"#,
    );
    if let Some(error) = error {
        let _ = write!(body, r#"<p class="error" role="alert">{}</p>"#, e(error));
    }
    let _ = write!(
        body,
        r#"<form method="post" action="/signin"><input type="hidden" name="csrf" value="{}"><label for="token">API token</label><input id="token" name="token" type="password" autocomplete="off" required><button type="submit">Sign in</button></form></div>"#,
        e(csrf)
    );
    layout("Sign in", None, &body)
}

/// A page for an error a person can read (404, 503, …).
pub fn error_page(chrome: Option<&Chrome<'_>>, title: &str, message: &str) -> String {
    let body = format!(
        r#"<section class="card"><h1>{}</h1><p>{}</p><p><a href="/">Back to the overview</a></p></section>"#,
        e(title),
        e(message)
    );
    layout(title, chrome, &body)
}

/// What the overview draws.
#[derive(Debug, Clone)]
pub struct OverviewData {
    pub summary: Summary,
    pub kind_counts: Vec<KindCount>,
    pub images_by_kind: BTreeMap<String, i64>,
    pub trend: Vec<TrendPoint>,
}

fn severity_of(label: &str) -> Severity {
    Severity::parse_label(label)
}

fn party_title(party: &str) -> String {
    match Party::parse(party) {
        Some(p) => util::party_label(p).to_string(),
        None if party == "none" => "Nobody".to_string(),
        None => party.to_string(),
    }
}

fn party_class(party: &str) -> &'static str {
    match party {
        "customer" => "p-customer",
        "vendor" => "p-vendor",
        "upstream" => "p-upstream",
        _ => "muted",
    }
}

fn tier_title(tier: &str) -> String {
    Tier::parse(tier).map_or_else(|| tier.to_string(), |t| util::tier_title(t).to_string())
}

fn sev_chip(label: &str) -> String {
    let label = util::severity_label(severity_of(label));
    format!(r#"<span class="sev sev-{label}">{label}</span>"#)
}

fn plural(n: i64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn kpi(html: &mut String, class: &str, n: i64, label: &str, href: Option<&str>) {
    let number = match href {
        Some(href) => format!(r#"<a href="{href}">{n}</a>"#),
        None => n.to_string(),
    };
    let _ = write!(
        html,
        r#"<div class="kpi {class}"><div class="n">{number}</div><div class="l">{label}</div></div>"#
    );
}

/// Open findings by tier, owner and severity for one kind of image.
fn tier_counts(counts: &[KindCount], kinds: &[&str]) -> TierCounts {
    let mut out = TierCounts::default();
    for c in counts.iter().filter(|c| kinds.contains(&c.kind.as_str())) {
        if let (Some(tier), Some(owner)) = (Tier::parse(&c.tier), Party::parse(&c.owner)) {
            out.add(
                tier,
                owner,
                severity_of(&c.severity),
                usize::try_from(c.count).unwrap_or(0),
            );
        }
    }
    out
}

/// The fleet overview: the two pyramids, open findings by party, tier and severity, CHP levels,
/// EOL streams and the trend.
pub fn overview(chrome: &Chrome<'_>, data: &OverviewData) -> String {
    let s = &data.summary;
    let by_party = |party: &str| -> i64 {
        s.open_by_move
            .iter()
            .filter(|c| c.party == party)
            .map(|c| c.count)
            .sum()
    };
    let open: i64 = s.open_by_move.iter().map(|c| c.count).sum();
    let mut html = String::from(
        r#"<header class="top"><div><div class="brand">onus · fleet</div><h1>Whose move across the fleet</h1>"#,
    );
    let _ = write!(
        html,
        r#"<div class="meta">{} · {} stale · {} waiting to be re-matched{}</div></div></header>"#,
        plural(s.images, "image", "images"),
        s.stale_images,
        s.pending_jobs,
        s.store
            .as_deref()
            .map(|st| format!(" · store <code>{}</code>", e(&util::truncate(st, 19))))
            .unwrap_or_default()
    );
    html.push_str(r#"<div class="kpis">"#);
    kpi(&mut html, "", s.images, "images", Some("/images"));
    kpi(&mut html, "", open, "open findings", None);
    kpi(
        &mut html,
        "you",
        by_party("customer"),
        "your move (customer)",
        Some("/moves"),
    );
    kpi(
        &mut html,
        "",
        by_party("vendor"),
        "vendor's move",
        Some("/vendor"),
    );
    kpi(
        &mut html,
        "",
        by_party("upstream"),
        "upstream's move",
        Some("/upstream"),
    );
    kpi(
        &mut html,
        "",
        s.stale_images,
        "stale images",
        Some("/images?stale=on"),
    );
    html.push_str("</div>");

    let images = |kind: &str| data.images_by_kind.get(kind).copied().unwrap_or(0);
    let unknown = images("unknown");
    let app_label = if unknown > 0 {
        format!(
            "{} (and {} of undetermined kind)",
            plural(images("application"), "image", "images"),
            unknown
        )
    } else {
        plural(images("application"), "image", "images")
    };
    html.push_str(
        r#"<section class="card"><h2>The shared responsibility model over the fleet</h2><p class="meta">Open findings per tier, labelled by the party the model makes the tier's owner; images of undetermined kind count on the application pyramid.</p>"#,
    );
    html.push_str(&fleet_pyramids(
        &tier_counts(&data.kind_counts, &["application", "unknown"]),
        &app_label,
        &tier_counts(&data.kind_counts, &["base"]),
        &plural(images("base"), "image", "images"),
    ));
    html.push_str("</section>");

    html.push_str(
        r#"<section class="card"><h2>Open findings by who must act, tier and severity</h2>"#,
    );
    if s.open_by_move.is_empty() {
        html.push_str(r#"<p class="muted">No open findings.</p>"#);
    } else {
        html.push_str(
            r#"<div class="table-wrap"><table class="sortable" id="matrix"><thead><tr><th>Party</th><th>Tier</th>"#,
        );
        for sev in util::SEVERITIES_DESC {
            let _ = write!(
                html,
                r#"<th class="num">{}</th>"#,
                util::severity_label(sev)
            );
        }
        html.push_str(r#"<th class="num">Total</th></tr></thead><tbody>"#);
        let mut rows: BTreeMap<(usize, usize, String, String), BTreeMap<Severity, i64>> =
            BTreeMap::new();
        let party_rank = |p: &str| {
            ["customer", "vendor", "upstream"]
                .iter()
                .position(|x| *x == p)
                .unwrap_or(3)
        };
        let tier_rank = |t: &str| {
            util::TIERS_TOP_DOWN
                .iter()
                .position(|x| x.as_str() == t)
                .unwrap_or(5)
        };
        for c in &s.open_by_move {
            *rows
                .entry((
                    party_rank(&c.party),
                    tier_rank(&c.tier),
                    c.party.clone(),
                    c.tier.clone(),
                ))
                .or_default()
                .entry(severity_of(&c.severity))
                .or_default() += c.count;
        }
        for ((_, _, party, tier), counts) in &rows {
            let _ = write!(
                html,
                r#"<tr><td class="party {}">{}</td><td>{}</td>"#,
                party_class(party),
                e(&party_title(party)),
                e(&tier_title(tier))
            );
            for sev in util::SEVERITIES_DESC {
                let n = counts.get(&sev).copied().unwrap_or(0);
                let class = if n == 0 { "num zero" } else { "num" };
                let _ = write!(html, r#"<td class="{class}">{n}</td>"#);
            }
            let _ = write!(
                html,
                r#"<td class="num">{}</td></tr>"#,
                counts.values().sum::<i64>()
            );
        }
        html.push_str("</tbody></table></div>");
    }
    html.push_str("</section>");

    html.push_str(r#"<div class="grid2"><section class="card"><h2>Hardening (CHP levels)</h2>"#);
    html.push_str(&charts::chp_bars(&s.chp_levels));
    html.push_str(r#"</section><section class="card"><h2>End-of-life streams</h2>"#);
    if s.eol.is_empty() {
        html.push_str(r#"<p class="muted">No release stream with end-of-life data.</p>"#);
    } else {
        html.push_str(r#"<table id="eol"><thead><tr><th>State</th><th class="num">Streams</th></tr></thead><tbody>"#);
        for state in ["eol", "in-grace", "eol-soon", "supported", "unknown"] {
            if let Some(n) = s.eol.get(state) {
                let class = match state {
                    "eol" => "bad-t",
                    "in-grace" | "eol-soon" => "warn-t",
                    "supported" => "ok-t",
                    _ => "muted",
                };
                let _ = write!(
                    html,
                    r#"<tr><td><span class="{class}">{state}</span></td><td class="num">{n}</td></tr>"#
                );
            }
        }
        for (state, n) in s.eol.iter().filter(|(k, _)| {
            !["eol", "in-grace", "eol-soon", "supported", "unknown"].contains(&k.as_str())
        }) {
            let _ = write!(
                html,
                r#"<tr><td>{}</td><td class="num">{n}</td></tr>"#,
                e(state)
            );
        }
        html.push_str("</tbody></table>");
    }
    html.push_str("</section></div>");

    html.push_str(r#"<section class="card"><h2>Open findings per party over time</h2>"#);
    html.push_str(&charts::trend(&data.trend));
    html.push_str("</section>");
    layout("Fleet overview", Some(chrome), &html)
}

/// Server-side filters of the moves pages.
pub use onus_fleet::query::MoveFilter as MovesQuery;

fn moves_filter(html: &mut String, action: &str, kinds: &[(&str, &str)], q: &MovesQuery) {
    let _ = write!(
        html,
        r#"<form class="filters" method="get" action="{action}"><label for="mv-text">Package or stream<input id="mv-text" name="text" type="text" value="{}"></label><label for="mv-kind">Kind of move<select id="mv-kind" name="kind"><option value="">any</option>"#,
        e(q.text.as_deref().unwrap_or(""))
    );
    for (value, label) in kinds {
        let selected = if q.kind.as_deref() == Some(*value) {
            " selected"
        } else {
            ""
        };
        let _ = write!(
            html,
            r#"<option value="{value}"{selected}>{label}</option>"#
        );
    }
    html.push_str(r#"</select></label><button type="submit">Filter</button></form>"#);
}

fn images_of(m: &Move, refs: &BTreeMap<String, Vec<String>>) -> String {
    let mut html = String::from(r#"<ul class="images">"#);
    for digest in &m.images {
        let r = refs.get(digest).map(Vec::as_slice).unwrap_or(&[]);
        let _ = write!(html, "<li>{}</li>", image_link(digest, r));
    }
    html.push_str("</ul>");
    if m.image_count > m.images.len() as i64 {
        let _ = write!(
            html,
            r#"<p class="meta">and {} more: see the <a href="{}">package</a>.</p>"#,
            m.image_count - m.images.len() as i64,
            e(&format!("/search?q={}", percent_encode_path(&m.package)))
        );
    }
    html
}

/// What a customer copies to make the move.
fn customer_change(m: &Move, refs: &BTreeMap<String, Vec<String>>) -> String {
    let first_ref = m
        .images
        .iter()
        .filter_map(|d| refs.get(d).and_then(|r| r.first()))
        .next()
        .cloned();
    match m.kind.as_str() {
        "update" => {
            let mut text = String::from(
                "# The vendor has shipped a build with the fix: re-pin every reference to the\n# digest its tag points at now, then rebuild and redeploy.\nonus pin --update Dockerfile",
            );
            if let Some(r) = &first_ref {
                let _ = write!(text, "\n# e.g. FROM {r}@sha256:<new digest>");
            }
            text
        }
        "upgrade" => {
            let mut text = format!(
                "# {} has reached end of life: move to a supported release stream.\n",
                m.package
            );
            if let Some(r) = &first_ref {
                let _ = writeln!(text, "onus eol {r}   # names the supported release");
            }
            text.push_str("# then change the FROM line to that release and re-pin:\nonus pin --update Dockerfile");
            text
        }
        "fix-own-content" => match &m.fixed_in {
            Some(fixed) => format!(
                "# In your application's dependency manifest:\n{} >= {fixed}",
                m.package
            ),
            None => format!(
                "# No fixed version is known: remove or replace {} in your own content.",
                m.package
            ),
        },
        _ => String::new(),
    }
}

fn move_item(html: &mut String, m: &Move, refs: &BTreeMap<String, Vec<String>>, change: bool) {
    let _ = write!(
        html,
        r#"<article class="move" data-kind="{}"><div class="action">{}</div><div class="counts">{} · {} critical · {} known exploited · {}{}</div>"#,
        e(&m.kind),
        e(&m.action),
        plural(m.findings, "finding", "findings"),
        m.critical,
        m.known_exploited,
        plural(m.image_count, "image", "images"),
        m.clocks
            .as_ref()
            .map(|c| format!(
                " · clocks: {} running, {} breached{}",
                c.running,
                c.breached,
                c.next_deadline
                    .as_deref()
                    .map(|d| format!(", next deadline {}", e(d)))
                    .unwrap_or_default()
            ))
            .unwrap_or_default()
    );
    if !m.ids.is_empty() {
        let links: Vec<String> = m
            .ids
            .iter()
            .take(12)
            .map(|id| format!(r#"<a href="{}">{}</a>"#, e(&vulnerability_href(id)), e(id)))
            .collect();
        let more = if m.ids.len() > 12 {
            format!(" and {} more", m.ids.len() - 12)
        } else {
            String::new()
        };
        let _ = write!(
            html,
            r#"<div class="meta">{}{more}</div>"#,
            links.join(", ")
        );
    }
    if change {
        let text = customer_change(m, refs);
        if !text.is_empty() {
            let _ = write!(html, r#"<pre class="copy"><code>{}</code></pre>"#, e(&text));
        }
    }
    let _ = write!(
        html,
        r#"<details><summary>{}</summary>{}</details></article>"#,
        plural(m.image_count, "image", "images"),
        images_of(m, refs)
    );
}

/// The customer's moves, most findings fixed first.
pub fn moves(
    chrome: &Chrome<'_>,
    list: &[Move],
    refs: &BTreeMap<String, Vec<String>>,
    q: &MovesQuery,
) -> String {
    let mut html = String::from(
        r#"<h1>Your moves</h1><p class="meta">What the customer must do across the fleet, ranked by what it fixes: critical and known-exploited first.</p><section class="card">"#,
    );
    moves_filter(
        &mut html,
        "/moves",
        &[
            ("update", "update to a newer build"),
            ("upgrade", "upgrade an end-of-life stream"),
            ("fix-own-content", "fix your own content"),
        ],
        q,
    );
    let shown: Vec<&Move> = list.iter().collect();
    let _ = write!(
        html,
        r#"<p class="meta" id="moves-count">{}</p>"#,
        plural(shown.len() as i64, "move", "moves")
    );
    if shown.is_empty() {
        html.push_str(r#"<p class="muted">Nothing for the customer to do.</p>"#);
    }
    for m in shown {
        move_item(&mut html, m, refs, true);
    }
    html.push_str("</section>");
    layout("Your moves", Some(chrome), &html)
}

/// The vendor's clocks and moves.
pub fn clocks(
    chrome: &Chrome<'_>,
    vendor_moves: &[Move],
    groups: &[ClockGroup],
    refs: &BTreeMap<String, Vec<String>>,
    today: NaiveDate,
) -> String {
    let mut html = String::from(
        r#"<h1>Vendor clocks</h1><p class="meta">The vendor's remediation SLA clocks by package and severity: breached first, then the nearest deadline.</p><section class="card"><h2>Clocks</h2>"#,
    );
    if groups.is_empty() {
        html.push_str(r#"<p class="muted">No SLA clock is running, breached or met.</p>"#);
    } else {
        html.push_str(r#"<label for="clock-filter" class="visually-hidden">Filter clocks</label><input id="clock-filter" type="search" data-filter="clocks" placeholder="Filter clocks" hidden><div class="table-wrap"><table class="sortable" id="clocks"><thead><tr><th>Package</th><th>Severity</th><th>Clock</th><th class="num">Findings</th><th class="num">Images</th><th>Deadline</th><th class="num">Days left</th></tr></thead><tbody>"#);
        for g in groups {
            let class = match g.clock.as_str() {
                "breached" => "bad-t",
                "running" => "warn-t",
                _ => "ok-t",
            };
            let deadline_day = g
                .deadline
                .as_deref()
                .and_then(|d| d.get(..10))
                .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
            let days_left = match (g.clock.as_str(), deadline_day) {
                ("met", _) | (_, None) => "—".to_string(),
                (_, Some(d)) => (d - today).num_days().to_string(),
            };
            let _ = write!(
                html,
                r#"<tr><td><a href="{}"><code>{}</code></a></td><td data-value="{}">{}</td><td><span class="{class}">{}</span></td><td class="num">{}</td><td class="num">{}</td><td>{}</td><td class="num">{days_left}</td></tr>"#,
                e(&format!("/search?q={}", percent_encode_path(&g.package))),
                e(&g.package),
                severity_rank(&g.severity),
                sev_chip(&g.severity),
                e(&g.clock),
                g.findings,
                g.images,
                e(g.deadline.as_deref().unwrap_or("—"))
            );
        }
        html.push_str("</tbody></table></div>");
    }
    html.push_str(r#"</section><section class="card"><h2>The vendor's moves</h2>"#);
    if vendor_moves.is_empty() {
        html.push_str(r#"<p class="muted">Nothing open for the vendor.</p>"#);
    }
    for m in vendor_moves {
        move_item(&mut html, m, refs, false);
    }
    html.push_str("</section>");
    layout("Vendor clocks", Some(chrome), &html)
}

fn severity_rank(label: &str) -> usize {
    let s = severity_of(label);
    util::SEVERITIES_DESC
        .iter()
        .position(|x| *x == s)
        .unwrap_or(util::SEVERITIES_DESC.len())
}

/// What waits on upstream projects (`pending-upstream-fix`), by project.
pub fn upstream(
    chrome: &Chrome<'_>,
    list: &[Move],
    refs: &BTreeMap<String, Vec<String>>,
) -> String {
    let mut html = String::from(
        r#"<h1>Upstream</h1><p class="meta">Findings that wait on an upstream project's release, by project.</p><section class="card">"#,
    );
    if list.is_empty() {
        html.push_str(r#"<p class="muted">Nothing waits on upstream.</p>"#);
    }
    for m in list {
        move_item(&mut html, m, refs, false);
    }
    html.push_str("</section>");
    layout("Upstream", Some(chrome), &html)
}

/// The image list's filters and paging, as the query string carries them.
#[derive(Debug, Clone, Default)]
pub struct ImageListQuery {
    pub text: String,
    pub kind: String,
    pub stale: bool,
    pub open: bool,
    pub after: Option<String>,
}

impl ImageListQuery {
    /// The query string of this list after `after`.
    fn href_after(&self, after: &str) -> String {
        let mut parts = vec![format!("after={}", percent_encode_path(after))];
        if !self.text.is_empty() {
            parts.push(format!("text={}", percent_encode_path(&self.text)));
        }
        if !self.kind.is_empty() {
            parts.push(format!("kind={}", percent_encode_path(&self.kind)));
        }
        if self.stale {
            parts.push("stale=on".to_string());
        }
        if self.open {
            parts.push("open=on".to_string());
        }
        format!("/images?{}", parts.join("&"))
    }
}

/// The images, filtered and paged on the server.
pub fn image_list(chrome: &Chrome<'_>, page: &ImagePage, q: &ImageListQuery) -> String {
    let mut html = String::from(r#"<h1>Images</h1><section class="card">"#);
    let _ = write!(
        html,
        r#"<form class="filters" method="get" action="/images"><label for="img-text">Reference or digest<input id="img-text" name="text" type="text" value="{}"></label><label for="img-kind">Kind<select id="img-kind" name="kind">"#,
        e(&q.text)
    );
    for (value, label) in [
        ("", "any"),
        ("application", "application"),
        ("base", "base"),
        ("unknown", "undetermined"),
    ] {
        let selected = if q.kind == value { " selected" } else { "" };
        let _ = write!(
            html,
            r#"<option value="{value}"{selected}>{label}</option>"#
        );
    }
    let checked = |b: bool| if b { " checked" } else { "" };
    let _ = write!(
        html,
        r#"</select></label><label class="check" for="img-stale"><input id="img-stale" name="stale" type="checkbox"{}> stale only</label><label class="check" for="img-open"><input id="img-open" name="open" type="checkbox"{}> with open findings</label><button type="submit">Filter</button></form>"#,
        checked(q.stale),
        checked(q.open)
    );
    let _ = write!(
        html,
        r#"<p class="meta" id="images-count">{} match</p>"#,
        plural(page.total, "image", "images")
    );
    html.push_str(r#"<div class="table-wrap"><table class="sortable" id="images"><thead><tr><th>Image</th><th>Digest</th><th>OS</th><th class="num">Open findings</th><th class="num">CHP</th><th>Last seen</th></tr></thead><tbody>"#);
    for i in &page.images {
        let stale = if i.stale {
            r#" <span class="tag">stale</span>"#
        } else {
            ""
        };
        let _ = write!(
            html,
            r#"<tr><td>{}{stale}</td><td><code>{}</code></td><td>{}</td><td class="num">{}</td><td class="num">{}</td><td>{}</td></tr>"#,
            image_link(&i.digest, &i.refs),
            e(&util::short_digest(&i.digest)),
            e(i.os.as_deref().unwrap_or("—")),
            i.open_findings,
            i.chp_level
                .map_or_else(|| "—".to_string(), |l| l.to_string()),
            e(&i.last_seen)
        );
    }
    html.push_str("</tbody></table></div>");
    html.push_str(r#"<nav class="pager" aria-label="Pages">"#);
    if q.after.is_some() {
        let mut first = q.clone();
        first.after = None;
        let href = first.href_after("");
        let _ = write!(html, r#"<a href="{}">First page</a>"#, e(&href));
    }
    if let Some(next) = &page.next_after {
        let _ = write!(
            html,
            r#"<a href="{}" rel="next">Next page</a>"#,
            e(&q.href_after(next))
        );
    }
    html.push_str("</nav></section>");
    layout("Images", Some(chrome), &html)
}

/// One image: its report's sections, downloads, and what changed since the tag's previous
/// digest.
#[derive(Debug, Clone)]
pub struct ImagePageData {
    pub digest: String,
    pub refs: Vec<String>,
    pub report: Report,
    /// For each tag: its previous digest and the difference from it to this image (`None`
    /// when the previous image's report could not be read).
    pub previous: Vec<(String, String, Option<ReportDiff>)>,
}

pub fn image(chrome: &Chrome<'_>, data: &ImagePageData) -> String {
    let mut html = String::new();
    let _ = write!(
        html,
        r#"<nav class="meta" aria-label="Breadcrumb"><a href="/images">Images</a> › <code>{}</code></nav>"#,
        e(&util::short_digest(&data.digest))
    );
    if !data.refs.is_empty() {
        let refs: Vec<String> = data
            .refs
            .iter()
            .map(|r| format!("<code>{}</code>", e(r)))
            .collect();
        let _ = write!(html, r#"<p class="meta">Known as {}</p>"#, refs.join(", "));
    }
    html.push_str(&onus_report::html::sections(&data.report));
    let base = image_href(&data.digest);
    let _ = write!(
        html,
        r#"<section class="card"><h2>Downloads</h2><ul class="plain"><li><a href="{0}/sbom.cdx.json" download>CycloneDX 1.6 (JSON)</a></li><li><a href="{0}/sbom.spdx.json" download>SPDX 2.3 (JSON)</a></li><li><a href="{0}/vex.openvex.json" download>OpenVEX 0.2.0</a></li><li><a href="{0}/report.json" download>onus report (JSON)</a></li></ul></section>"#,
        e(&base)
    );
    html.push_str(r#"<section class="card"><h2>Since the previous digest of the same tag</h2>"#);
    if data.previous.is_empty() {
        html.push_str(r#"<p class="muted">No earlier digest of this image's tags is known.</p>"#);
    }
    for (tag, previous, diff) in &data.previous {
        let _ = write!(
            html,
            r#"<h3><code>{}</code>: from {} to this image</h3>"#,
            e(tag),
            image_link(previous, &[])
        );
        match diff {
            None => html
                .push_str(r#"<p class="muted">The previous image's report could not be read.</p>"#),
            Some(d) => html.push_str(&diff_section(d)),
        }
    }
    html.push_str("</section>");
    let title = data
        .refs
        .first()
        .cloned()
        .unwrap_or_else(|| util::short_digest(&data.digest));
    layout(&title, Some(chrome), &html)
}

fn diff_section(d: &ReportDiff) -> String {
    let mut html = String::from("<ul class=\"plain\">");
    let c = &d.components;
    let _ = write!(
        html,
        "<li>Components: {} added, {} removed, {} upgraded, {} downgraded, {} changed</li>",
        c.added.len(),
        c.removed.len(),
        c.upgraded.len(),
        c.downgraded.len(),
        c.changed.len()
    );
    let f = &d.findings;
    let _ = write!(
        html,
        "<li>Findings: {} fixed, {} introduced, {} still open</li>",
        f.fixed.len(),
        f.introduced.len(),
        f.unchanged.len()
    );
    if d.chp.0 != d.chp.1 {
        let level = |l: Option<u8>| l.map_or_else(|| "—".to_string(), |l| l.to_string());
        let _ = write!(
            html,
            "<li>CHP: {} → {}</li>",
            level(d.chp.0),
            level(d.chp.1)
        );
    }
    let _ = write!(
        html,
        "<li>Layers: {} → {} ({} shared)</li>",
        d.layers.from_layers, d.layers.to_layers, d.layers.shared_layers
    );
    html.push_str("</ul>");
    for (title, list) in [("Introduced", &f.introduced), ("Fixed", &f.fixed)] {
        if list.is_empty() {
            continue;
        }
        let _ = write!(
            html,
            r#"<h4>{title}</h4><table><thead><tr><th>Severity</th><th>ID</th><th>Package</th><th>Whose move</th></tr></thead><tbody>"#
        );
        for r in list.iter().take(100) {
            let party = r.party.map_or("nobody", |p| util::party_label(p));
            let _ = write!(
                html,
                r#"<tr><td>{}</td><td><a href="{}">{}</a></td><td><code>{}@{}</code></td><td>{}</td></tr>"#,
                sev_chip(util::severity_label(r.severity)),
                e(&vulnerability_href(&r.id)),
                e(&r.id),
                e(&r.package),
                e(&r.version),
                e(party)
            );
        }
        html.push_str("</tbody></table>");
    }
    for (title, list) in [("Upgraded", &c.upgraded), ("Downgraded", &c.downgraded)] {
        if list.is_empty() {
            continue;
        }
        let items: Vec<String> = list
            .iter()
            .take(100)
            .map(|v| format!("<code>{}</code> {} → {}", e(&v.name), e(&v.from), e(&v.to)))
            .collect();
        let _ = write!(html, r#"<h4>{title}</h4><p>{}</p>"#, items.join(", "));
    }
    html
}

fn findings_table(html: &mut String, id: &str, findings: &[ImageFinding], image_column: bool) {
    let _ = write!(
        html,
        r#"<label for="{id}-filter" class="visually-hidden">Filter</label><input id="{id}-filter" type="search" data-filter="{id}" placeholder="Filter" hidden><div class="table-wrap"><table class="sortable" id="{id}"><thead><tr>"#
    );
    if image_column {
        html.push_str("<th>Image</th>");
    }
    html.push_str(r#"<th>Severity</th><th>ID</th><th>Package</th><th>Status</th><th>Whose move</th><th>Move</th><th>Owner · tier</th><th>Fixed in</th><th>Rule</th><th>Clock</th></tr></thead><tbody>"#);
    for f in findings {
        html.push_str("<tr>");
        if image_column {
            let _ = write!(html, "<td>{}</td>", image_link(&f.digest, &f.refs));
        }
        let kev = if f.known_exploited {
            r#" <span class="kev" title="CISA known exploited">KEV</span>"#
        } else {
            ""
        };
        let _ = write!(
            html,
            r#"<td data-value="{}">{}</td><td><a href="{}">{}</a>{kev}</td><td><a href="{}"><code>{}@{}</code></a></td><td>{}</td><td class="party {}">{}</td><td>{}</td><td>{} · {}</td><td><code>{}</code></td><td><code>{}</code></td><td>{}</td></tr>"#,
            severity_rank(&f.severity),
            sev_chip(&f.severity),
            e(&vulnerability_href(&f.vuln_id)),
            e(&f.vuln_id),
            e(&package_href(&f.purl)),
            e(&f.package),
            e(&f.version),
            e(&f.status),
            party_class(&f.party),
            e(&party_title(&f.party)),
            e(&f.kind),
            e(&party_title(&f.owner)),
            e(&tier_title(&f.tier)),
            e(f.fixed_in.as_deref().unwrap_or("—")),
            e(&f.rule),
            e(&f.clock)
        );
    }
    html.push_str("</tbody></table></div>");
}

/// Every image with a finding for one vulnerability, a page at a time.
pub fn vulnerability(chrome: &Chrome<'_>, id: &str, page: &FindingPage, offset: i64) -> String {
    let open = page.findings.iter().filter(|f| f.open).count();
    let mut html = format!(
        r#"<h1><code>{}</code></h1><p class="meta">{} in the fleet · showing {}–{} ({} open among them)</p><section class="card">"#,
        e(id),
        plural(page.total, "finding", "findings"),
        if page.findings.is_empty() {
            0
        } else {
            offset + 1
        },
        offset + page.findings.len() as i64,
        open
    );
    findings_table(&mut html, "findings", &page.findings, true);
    html.push_str(r#"<nav class="pager" aria-label="Pages">"#);
    let href = |at: i64| e(&format!("{}&offset={at}", vulnerability_href(id)));
    if offset > 0 {
        let _ = write!(
            html,
            r#"<a href="{}" rel="prev">Previous page</a>"#,
            href((offset - FINDINGS_PER_PAGE).max(0))
        );
    }
    if offset + (page.findings.len() as i64) < page.total {
        let _ = write!(
            html,
            r#"<a href="{}" rel="next">Next page</a>"#,
            href(offset + page.findings.len() as i64)
        );
    }
    html.push_str("</nav></section>");
    layout(id, Some(chrome), &html)
}

/// Findings listed per page of the vulnerability page.
pub const FINDINGS_PER_PAGE: i64 = 100;

/// Which images hold a package, in which layer, and its findings.
pub fn package(chrome: &Chrome<'_>, answer: &PackageAnswer) -> String {
    let shown = if answer.image_total > answer.images.len() as i64 {
        format!(" (the first {} shown)", answer.images.len())
    } else {
        String::new()
    };
    let mut html = format!(
        r#"<h1><code>{}</code></h1><p class="meta">In {}{shown}</p><section class="card"><h2>Images</h2><div class="table-wrap"><table class="sortable" id="holders"><thead><tr><th>Image</th><th class="num">Layer</th><th>Owner</th><th>Tier</th></tr></thead><tbody>"#,
        e(&answer.purl),
        plural(answer.image_total, "image", "images")
    );
    for i in &answer.images {
        let _ = write!(
            html,
            r#"<tr><td>{}</td><td class="num">{}</td><td class="party {}">{}</td><td>{}</td></tr>"#,
            image_link(&i.digest, &i.refs),
            i.layer.map_or_else(|| "—".to_string(), |l| l.to_string()),
            party_class(&i.owner),
            e(&party_title(&i.owner)),
            e(&tier_title(&i.tier))
        );
    }
    let _ = write!(
        html,
        r#"</tbody></table></div></section><section class="card"><h2>Findings <span class="muted">· {}{}</span></h2>"#,
        answer.finding_total,
        if answer.finding_total > answer.findings.len() as i64 {
            format!(", the first {} shown", answer.findings.len())
        } else {
            String::new()
        }
    );
    if answer.findings.is_empty() {
        html.push_str(r#"<p class="muted">No finding for this package.</p>"#);
    } else {
        findings_table(&mut html, "findings", &answer.findings, true);
    }
    html.push_str("</section>");
    layout(&answer.purl, Some(chrome), &html)
}

/// What a search found, when it was not exactly one thing.
pub fn search(chrome: &Chrome<'_>, query: &str, results: &SearchResults) -> String {
    let mut html = format!(
        r#"<h1>Search</h1><p class="meta">{} for <code>{}</code></p>"#,
        plural(results.len() as i64, "result", "results"),
        e(query)
    );
    if results.is_empty() {
        html.push_str(r#"<section class="card"><p>Nothing in the fleet matches. Search by a CVE or GHSA id, a package name, a package URL (<code>pkg:…</code>), an image reference or a digest.</p></section>"#);
    }
    if !results.vulnerabilities.is_empty() {
        html.push_str(r#"<section class="card"><h2>Vulnerabilities</h2><ul class="plain">"#);
        for id in &results.vulnerabilities {
            let _ = write!(
                html,
                r#"<li><a href="{}">{}</a></li>"#,
                e(&vulnerability_href(id)),
                e(id)
            );
        }
        html.push_str("</ul></section>");
    }
    if !results.packages.is_empty() {
        html.push_str(r#"<section class="card"><h2>Packages</h2><ul class="plain">"#);
        for (purl, n) in &results.packages {
            let _ = write!(
                html,
                r#"<li><a href="{}"><code>{}</code></a> <span class="muted">in {}</span></li>"#,
                e(&package_href(purl)),
                e(purl),
                plural(*n, "image", "images")
            );
        }
        html.push_str("</ul></section>");
    }
    if !results.images.is_empty() {
        html.push_str(r#"<section class="card"><h2>Images</h2><ul class="plain">"#);
        for (digest, refs) in &results.images {
            let _ = write!(html, "<li>{}</li>", image_link(digest, refs));
        }
        html.push_str("</ul></section>");
    }
    layout("Search", Some(chrome), &html)
}
