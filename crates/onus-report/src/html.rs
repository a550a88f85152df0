//! A single self-contained HTML page: inline CSS and SVG, no script, no external asset. Shows the
//! model's two pyramids (model.md §2.1–2.2) shaded by open findings per tier, the summary matrix,
//! the findings ("your move" first), CHP, EOL and the components. Every text from the input is
//! escaped, so content from a hostile image cannot inject markup.

use std::fmt::Write as _;
use std::io::{self, Write};

use onus_attribution::{ImageKind, MoveKind, Party, Tier};
use onus_vuln::Severity;

use crate::extra;
use std::collections::BTreeMap;

use crate::report::{Report, ReportFinding, SeverityCounts, Summary};
use crate::util::{self, html_escape as e};

/// Render a report as one HTML page.
pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    out.write_all(page(report).as_bytes())
}

/// The page's style sheet (the dashboard serves it as a file, with its own rules added).
pub const CSS: &str = r#"
*{box-sizing:border-box}
body{margin:0;background:#f3f5f8;color:#1f2933;font:14px/1.45 -apple-system,"Segoe UI",Roboto,"Helvetica Neue","DejaVu Sans",Arial,sans-serif}
main{max-width:1200px;margin:0 auto;padding:28px 32px 48px}
header.top{display:flex;justify-content:space-between;align-items:flex-start;gap:24px;margin-bottom:20px}
.brand{font-weight:700;letter-spacing:.08em;text-transform:uppercase;font-size:12px;color:#52606d}
h1{font-size:24px;margin:4px 0 6px;word-break:break-all}
h2{font-size:17px;margin:0 0 12px}
h3{font-size:14px;margin:18px 0 8px;color:#323f4b}
.meta{color:#52606d;font-size:13px}
.meta code{font-size:12px}
code{font-family:"SFMono-Regular",Menlo,Consolas,"DejaVu Sans Mono",monospace;font-size:12.5px}
.card{background:#fff;border:1px solid #dde3ea;border-radius:10px;padding:18px 20px;margin-bottom:18px;box-shadow:0 1px 2px rgba(16,24,40,.04)}
.kpis{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:12px;margin-bottom:18px}
.kpi{background:#fff;border:1px solid #dde3ea;border-radius:10px;padding:12px 16px}
.kpi .n{font-size:26px;font-weight:700;line-height:1.2}
.kpi .l{color:#52606d;font-size:12px;text-transform:uppercase;letter-spacing:.05em}
.kpi.you{border-color:#1d4ed8;box-shadow:inset 4px 0 0 #1d4ed8}
.badge{display:inline-block;padding:2px 9px;border-radius:999px;font-size:12px;font-weight:600;white-space:nowrap}
.kind{background:#1d4ed8;color:#fff}
.kind.none{background:#cbd2d9;color:#1f2933}
table{border-collapse:collapse;width:100%}
table.findings{table-layout:fixed}
table.findings td{overflow-wrap:anywhere}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #e4e7eb;vertical-align:top}
th{font-size:11.5px;text-transform:uppercase;letter-spacing:.04em;color:#52606d;background:#f8fafc}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
td.zero{color:#616e7c}
tr.total td{font-weight:700;border-top:2px solid #cbd2d9}
.sev{display:inline-block;white-space:nowrap;min-width:78px;text-align:center;padding:1px 6px;border-radius:4px;color:#fff;font-size:11.5px;font-weight:600;text-transform:uppercase}
.sev-critical{background:#991b1b}.sev-high{background:#b93a06}.sev-medium{background:#8a5a00}
.sev-low{background:#2563eb}.sev-negligible{background:#5b6777}.sev-unknown{background:#5b6777}
.party{font-weight:600}
.p-customer{color:#1d4ed8}.p-vendor{color:#6d28d9}.p-upstream{color:#0f766e}
.kev{background:#111827;color:#fff;font-size:10.5px;padding:1px 5px;border-radius:3px;margin-left:4px}
.reason{color:#52606d;font-size:12.5px}
.yours{border-left:4px solid #1d4ed8}
.muted{color:#5f6b7a}
details summary{cursor:pointer;font-weight:600}
ul.plain{margin:6px 0 0;padding-left:18px}
footer{color:#5f6b7a;font-size:12px;margin-top:24px}
.legend{display:flex;flex-wrap:wrap;align-items:center;gap:6px;color:#52606d;font-size:12.5px;margin-top:6px}
.legend .sw{display:inline-block;width:22px;height:12px;margin-left:6px}
.w70{width:70px}.w86{width:86px}.w90{width:90px}.w104{width:104px}.w110{width:110px}.w112{width:112px}.w118{width:118px}.w150{width:150px}.w23p{width:23%}
.kind-reason{margin-top:6px;max-width:320px}
.chp{display:flex;gap:24px;align-items:center;margin-bottom:14px}
.chp-level{font-size:40px;font-weight:800;line-height:1;color:#1f2933;min-width:120px}
.chp-level .l{font-size:14px;font-weight:700;color:#52606d;margin-right:6px;letter-spacing:.06em}
.ladder{display:flex;gap:6px;margin-top:8px}
.step{width:108px;border-radius:8px;padding:6px 8px;border:1px solid #dde3ea}
.step .n{font-size:11px;color:#52606d}.step .d{font-weight:700}.step .s{font-size:11.5px}
.step.ok{background:#e7f3ec;border-color:#9fd3b4}.step.bad{background:#fdecea;border-color:#f2b8b0}
.step.unk{background:#f1f3f5}
.ok-t{color:#1f7a45;font-weight:600}.bad-t{color:#b42318;font-weight:600}.warn-t{color:#b54708;font-weight:600}
svg text{font-family:-apple-system,"Segoe UI",Roboto,"Helvetica Neue","DejaVu Sans",Arial,sans-serif}
"#;

fn party_class(party: Party) -> &'static str {
    match party {
        Party::Customer => "p-customer",
        Party::Vendor => "p-vendor",
        Party::Upstream => "p-upstream",
    }
}

fn sev_chip(severity: Severity) -> String {
    let label = util::severity_label(severity);
    format!(r#"<span class="sev sev-{label}">{label}</span>"#)
}

/// Fill colour and text colour for a tier with `count` open findings out of `max` in any tier.
fn shade(count: usize, max: usize) -> (&'static str, &'static str) {
    const RAMP: [&str; 6] = [
        "#fde7c7", "#fbc990", "#f59e5b", "#e8673a", "#cc3a2b", "#9b1c1c",
    ];
    if count == 0 || max == 0 {
        return ("#e7f3ec", "#1f2933");
    }
    // Logarithmic: one finding is already visible, hundreds do not wash out the rest.
    let t = ((count as f64).ln_1p() / (max as f64).ln_1p()).clamp(0.0, 1.0);
    let i = ((t * (RAMP.len() - 1) as f64).round() as usize).min(RAMP.len() - 1);
    (RAMP[i], if i >= 4 { "#ffffff" } else { "#1f2933" })
}

/// The model's label for who acts in a tier (model.md §2.2).
fn tier_party_text(tier: Tier) -> &'static str {
    match tier {
        Tier::Custom => "Customer",
        Tier::App => "Upstream fixes · Vendor ships",
        Tier::LangLib => "Vendor (non-breaking) · Upstream (breaking)",
        Tier::Toolchain | Tier::System => "Vendor",
    }
}

/// Open findings per tier, and per tier and owner: what a pyramid draws. One image's come from
/// its summary; the dashboard adds up a fleet's.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TierCounts {
    pub by_tier: BTreeMap<Tier, SeverityCounts>,
    pub matrix: BTreeMap<Tier, BTreeMap<Party, SeverityCounts>>,
}

impl TierCounts {
    pub fn of(summary: &Summary) -> TierCounts {
        TierCounts {
            by_tier: summary.by_tier.clone(),
            matrix: summary.matrix.clone(),
        }
    }

    /// Count `n` open findings of `severity` in `tier`, owned by `owner`.
    pub fn add(&mut self, tier: Tier, owner: Party, severity: Severity, n: usize) {
        for counts in [
            self.by_tier.entry(tier).or_default(),
            self.matrix
                .entry(tier)
                .or_default()
                .entry(owner)
                .or_default(),
        ] {
            counts.add_many(severity, n);
        }
    }

    /// The most open findings in any tier.
    pub fn max(&self) -> usize {
        self.by_tier.values().map(|c| c.total).max().unwrap_or(0)
    }
}

fn open_by_party(counts: &TierCounts, tier: Tier) -> String {
    let Some(parties) = counts.matrix.get(&tier) else {
        return String::new();
    };
    util::PARTIES
        .iter()
        .filter_map(|p| {
            parties
                .get(p)
                .map(|c| format!("{} {}", util::party_label(*p), c.total))
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

struct Band {
    tier: Tier,
    title: &'static str,
}

/// One pyramid: where it goes, its bands (top first) and how it is drawn.
struct Pyramid<'a> {
    /// `application` or `base`, for `data-pyramid`.
    id: &'a str,
    x0: f64,
    title: &'a str,
    /// The line under the title.
    subtitle: &'a str,
    bands: &'a [Band],
    /// Draw the dashed customer-added band above the apex (Application pyramid).
    customer_band: bool,
    /// Show counts (the image's kind, or both when the kind is unknown); faded otherwise.
    active: bool,
    /// Outline as "this image".
    highlighted: bool,
}

/// One pyramid as an SVG group at `x0`; `active` draws counts, otherwise it is faded.
fn pyramid(svg: &mut String, tiers: &TierCounts, p: &Pyramid<'_>, max: usize) {
    let Pyramid {
        id,
        x0,
        title,
        subtitle,
        bands,
        customer_band,
        active,
        highlighted,
    } = *p;
    let width = 520.0;
    let cx = x0 + width / 2.0;
    let top_y = 92.0;
    let band_h = 66.0;
    let gap = 5.0;
    let (w_top, w_bottom) = (250.0, 500.0);
    let n = bands.len() as f64;
    let total_h = n * band_h + (n - 1.0) * gap;
    let opacity = if active { "1" } else { "0.55" };
    let _ = write!(svg, r#"<g opacity="{opacity}" data-pyramid="{id}">"#);
    if highlighted {
        let _ = write!(
            svg,
            r##"<rect x="{}" y="6" width="{}" height="{}" rx="14" fill="#eef4ff" stroke="#1d4ed8" stroke-width="2"/>"##,
            x0 - 10.0,
            width + 20.0,
            top_y + total_h + 14.0
        );
    }
    let _ = write!(
        svg,
        r##"<text x="{cx}" y="30" text-anchor="middle" font-size="16" font-weight="700" fill="#1f2933">{}</text>"##,
        e(title)
    );
    let color = if highlighted { "#1d4ed8" } else { "#5f6b7a" };
    let _ = write!(
        svg,
        r##"<text x="{cx}" y="48" text-anchor="middle" font-size="12" font-weight="600" fill="{color}">{subtitle}</text>"##
    );
    if customer_band {
        let count = tiers.by_tier.get(&Tier::Custom).map_or(0, |c| c.total);
        let (fill, ink) = if active {
            shade(count, max)
        } else {
            ("#e4e7eb", "#52606d")
        };
        let (bx, bw) = (cx - w_top / 2.0 - 30.0, w_top + 60.0);
        if active {
            let _ = write!(svg, r#"<g data-tier="Custom" data-open="{count}">"#);
        } else {
            svg.push_str("<g>");
        }
        let _ = write!(
            svg,
            r##"<rect x="{bx}" y="58" width="{bw}" height="28" rx="6" fill="{fill}" stroke="#1d4ed8" stroke-dasharray="5 3" stroke-width="1.5"/>"##
        );
        let label = if active {
            format!("Customer-added · Customer · {count} open")
        } else {
            "Customer-added · Customer".to_string()
        };
        let _ = write!(
            svg,
            r##"<text x="{cx}" y="76.5" text-anchor="middle" font-size="12" font-weight="600" fill="{ink}">{}</text>"##,
            e(&label)
        );
        svg.push_str("</g>");
    }
    for (i, band) in bands.iter().enumerate() {
        let y0 = top_y + i as f64 * (band_h + gap);
        let y1 = y0 + band_h;
        let w0 = w_top + (w_bottom - w_top) * (y0 - top_y) / total_h;
        let w1 = w_top + (w_bottom - w_top) * (y1 - top_y) / total_h;
        let counts = tiers.by_tier.get(&band.tier).copied().unwrap_or_default();
        let (fill, ink) = if active {
            shade(counts.total, max)
        } else {
            ("#e4e7eb", "#52606d")
        };
        if active {
            let _ = write!(
                svg,
                r#"<g data-tier="{}" data-open="{}">"#,
                band.tier.as_str(),
                counts.total
            );
        } else {
            svg.push_str("<g>");
        }
        let _ = write!(
            svg,
            r##"<polygon points="{:.1},{y0} {:.1},{y0} {:.1},{y1} {:.1},{y1}" fill="{fill}" stroke="#ffffff" stroke-width="1"/>"##,
            cx - w0 / 2.0,
            cx + w0 / 2.0,
            cx + w1 / 2.0,
            cx - w1 / 2.0
        );
        let heading = if active {
            format!("{} — {} open", band.title, counts.total)
        } else {
            band.title.to_string()
        };
        let _ = write!(
            svg,
            r##"<text x="{cx}" y="{:.1}" text-anchor="middle" font-size="14" font-weight="700" fill="{ink}">{}</text>"##,
            y0 + 22.0,
            e(&heading)
        );
        let _ = write!(
            svg,
            r##"<text x="{cx}" y="{:.1}" text-anchor="middle" font-size="12" fill="{ink}">{}</text>"##,
            y0 + 39.0,
            e(tier_party_text(band.tier))
        );
        let detail = if active {
            severity_brief(&counts, &open_by_party(tiers, band.tier))
        } else {
            String::new()
        };
        if !detail.is_empty() {
            let _ = write!(
                svg,
                r##"<text x="{cx}" y="{:.1}" text-anchor="middle" font-size="11" fill="{ink}" opacity="0.9">{}</text>"##,
                y0 + 56.0,
                e(&detail)
            );
        }
        svg.push_str("</g>");
    }
    svg.push_str("</g>");
}

/// Short severity names for the pyramid bands, where space is tight.
fn severity_short(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "crit",
        Severity::High => "high",
        Severity::Medium => "med",
        Severity::Low => "low",
        Severity::Negligible => "negl",
        Severity::Unknown => "unk",
    }
}

/// `1 crit, 2 high`, plus the split by party when more than one party acts in the tier.
fn severity_brief(counts: &SeverityCounts, parties: &str) -> String {
    let parts: Vec<String> = util::SEVERITIES_DESC
        .iter()
        .filter(|s| counts.get(**s) > 0)
        .map(|s| format!("{} {}", counts.get(*s), severity_short(*s)))
        .collect();
    if parts.is_empty() {
        return String::new();
    }
    if parties.contains(" · ") {
        format!("{} ({parties})", parts.join(", "))
    } else {
        parts.join(", ")
    }
}

const APP_BANDS: [Band; 4] = [
    Band {
        tier: Tier::App,
        title: "Apps",
    },
    Band {
        tier: Tier::LangLib,
        title: "LangLibs",
    },
    Band {
        tier: Tier::Toolchain,
        title: "Toolchains",
    },
    Band {
        tier: Tier::System,
        title: "System",
    },
];

const BASE_BANDS: [Band; 3] = [
    Band {
        tier: Tier::Custom,
        title: "Custom code",
    },
    Band {
        tier: Tier::Toolchain,
        title: "Toolchains",
    },
    Band {
        tier: Tier::System,
        title: "System",
    },
];

const PYRAMIDS_SVG: &str = r#"<svg viewBox="0 0 1120 400" width="100%" role="img" aria-label="Shared responsibility pyramids with open findings per tier" xmlns="http://www.w3.org/2000/svg">"#;

fn pyramids(report: &Report) -> String {
    let kind = report.image.kind.as_ref().map(|k| k.value);
    let tiers = TierCounts::of(&report.summary);
    let max = tiers.max();
    let subtitle = |this: ImageKind| match kind {
        Some(k) if k == this => "this image",
        Some(_) => "not this image",
        None => "kind undetermined: counts shown on both",
    };
    let mut svg = String::from(PYRAMIDS_SVG);
    let app = Pyramid {
        id: "application",
        x0: 20.0,
        title: "Application image",
        subtitle: subtitle(ImageKind::Application),
        bands: &APP_BANDS,
        customer_band: true,
        active: kind != Some(ImageKind::Base),
        highlighted: kind == Some(ImageKind::Application),
    };
    let base = Pyramid {
        id: "base",
        x0: 580.0,
        title: "Base image",
        subtitle: subtitle(ImageKind::Base),
        bands: &BASE_BANDS,
        customer_band: false,
        active: kind != Some(ImageKind::Application),
        highlighted: kind == Some(ImageKind::Base),
    };
    pyramid(&mut svg, &tiers, &app, max);
    pyramid(&mut svg, &tiers, &base, max);
    svg.push_str("</svg>");
    svg
}

/// The two pyramids over a fleet: open findings of application images on the left, of base
/// images on the right, labelled by the model's owner of each tier, on one shading scale.
pub fn fleet_pyramids(
    application: &TierCounts,
    application_images: &str,
    base: &TierCounts,
    base_images: &str,
) -> String {
    let max = application.max().max(base.max());
    let mut svg = String::from(PYRAMIDS_SVG);
    let app = Pyramid {
        id: "application",
        x0: 20.0,
        title: "Application images",
        subtitle: application_images,
        bands: &APP_BANDS,
        customer_band: true,
        active: true,
        highlighted: false,
    };
    let base_pyramid = Pyramid {
        id: "base",
        x0: 580.0,
        title: "Base images",
        subtitle: base_images,
        bands: &BASE_BANDS,
        customer_band: false,
        active: true,
        highlighted: false,
    };
    pyramid(&mut svg, application, &app, max);
    pyramid(&mut svg, base, &base_pyramid, max);
    svg.push_str("</svg>");
    svg.push_str(&legend_scale(max));
    svg
}

/// The shading scale under the pyramids, with the counts it spans.
fn legend_scale(max: usize) -> String {
    let mut html = String::from(r#"<div class="legend"><span>Open findings per tier:</span>"#);
    let mut steps = vec![0usize];
    if max > 0 {
        steps.push(1);
        if max > 2 {
            steps.push(max.div_ceil(2));
        }
        if max > 1 {
            steps.push(max);
        }
    }
    for n in steps {
        let (fill, _) = shade(n, max);
        let _ = write!(
            html,
            r#"<svg class="sw" viewBox="0 0 22 12" aria-hidden="true"><rect width="22" height="12" rx="3" fill="{fill}"/></svg><span>{n}</span>"#
        );
    }
    html.push_str(r#"<span class="muted">· labels give the party the model assigns to each tier (model.md §2.2)</span></div>"#);
    html
}

fn legend(report: &Report) -> String {
    let mut html = legend_scale(TierCounts::of(&report.summary).max());
    // A base image has no Apps or LangLibs tier: say where those findings went.
    if report.image.kind.as_ref().map(|k| k.value) == Some(ImageKind::Base) {
        let hidden: usize = [Tier::App, Tier::LangLib]
            .iter()
            .filter_map(|t| report.summary.by_tier.get(t))
            .map(|c| c.total)
            .sum();
        if hidden > 0 {
            let _ = write!(
                html,
                r#"<div class="meta">{hidden} open finding(s) are attributed to the Apps or LangLibs tiers, which a base image does not have: see the table below.</div>"#
            );
        }
    }
    html
}

fn matrix(report: &Report) -> String {
    let s = &report.summary;
    let mut html = String::from("<table><thead><tr><th>Tier</th><th>Party</th>");
    for severity in util::SEVERITIES_DESC {
        let _ = write!(
            html,
            r#"<th class="num">{}</th>"#,
            util::severity_label(severity)
        );
    }
    html.push_str(r#"<th class="num">Total</th></tr></thead><tbody>"#);
    let cell = |html: &mut String, n: usize| {
        if n == 0 {
            html.push_str(r#"<td class="num zero">0</td>"#);
        } else {
            let _ = write!(html, r#"<td class="num">{n}</td>"#);
        }
    };
    for tier in util::TIERS_TOP_DOWN {
        let Some(parties) = s.matrix.get(&tier) else {
            continue;
        };
        for party in util::PARTIES {
            let Some(counts) = parties.get(&party) else {
                continue;
            };
            let _ = write!(
                html,
                r#"<tr><td>{}</td><td class="party {}">{}</td>"#,
                util::tier_title(tier),
                party_class(party),
                util::party_label(party)
            );
            for severity in util::SEVERITIES_DESC {
                cell(&mut html, counts.get(severity));
            }
            cell(&mut html, counts.total);
            html.push_str("</tr>");
        }
    }
    html.push_str(r#"<tr class="total"><td>All tiers</td><td></td>"#);
    for severity in util::SEVERITIES_DESC {
        cell(&mut html, s.by_severity.get(severity));
    }
    cell(&mut html, s.by_severity.total);
    html.push_str("</tr></tbody></table>");
    html
}

/// Which attribution columns a findings table shows (a section heading may already say them).
#[derive(Clone, Copy)]
struct Columns {
    tier: bool,
    party: bool,
}

fn findings_table(findings: &[&ReportFinding], columns: Columns) -> String {
    let mut html = String::from(
        r#"<table class="findings"><colgroup><col class="w104"><col class="w150"><col class="w23p"><col class="w150"><col class="w112">"#,
    );
    if columns.tier {
        html.push_str(r#"<col class="w118">"#);
    }
    if columns.party {
        html.push_str(r#"<col class="w86">"#);
    }
    html.push_str("<col></colgroup><thead><tr><th>Severity</th><th>ID</th><th>Package</th><th>Status</th><th>Fixed in</th>");
    if columns.tier {
        html.push_str("<th>Tier</th>");
    }
    if columns.party {
        html.push_str("<th>Party</th>");
    }
    html.push_str("<th>Rule · reason</th></tr></thead><tbody>");
    for f in findings {
        let g = &f.finding;
        let kev = if g.known_exploited {
            r#" <span class="kev" title="CISA known exploited">KEV</span>"#
        } else {
            ""
        };
        let aliases = if g.aliases.is_empty() {
            String::new()
        } else {
            format!(r#"<div class="reason">{}</div>"#, e(&g.aliases.join(", ")))
        };
        let mut reason = format!(
            "<code>{}</code> {}<br>owner: {} (<code>{}</code>): {}",
            e(f.next.rule.id()),
            e(&f.next.action),
            util::party_label(f.owner),
            e(&f.owner_rule),
            e(&f.reason)
        );
        if let Some(sla) = &f.sla {
            let class = match extra::sla_state(sla) {
                "breached" => "bad-t",
                "running" => "warn-t",
                "met" => "ok-t",
                _ => "muted",
            };
            let _ = write!(
                reason,
                r#"<br>SLA: <span class="{class}">{}</span>"#,
                e(&extra::sla_line(sla))
            );
        }
        if let Some(why) = &g.suppressed {
            let _ = write!(reason, "<br>suppressed: {}", e(why));
        }
        if let Some(note) = &g.justification {
            let _ = write!(reason, "<br>note: {}", e(note));
        }
        let _ = write!(
            html,
            r#"<tr><td>{}</td><td><code>{}</code>{kev}{aliases}</td><td><code>{}@{}</code></td><td>{}</td><td><code>{}</code></td>"#,
            sev_chip(g.severity),
            e(&g.id),
            e(&g.package),
            e(&g.version),
            util::status_label(g.status),
            e(g.fixed_version.as_deref().unwrap_or("—")),
        );
        if columns.tier {
            let _ = write!(html, "<td>{}</td>", util::tier_title(f.tier));
        }
        if columns.party {
            match f.next.party {
                Some(p) => {
                    let _ = write!(
                        html,
                        r#"<td class="party {}">{}</td>"#,
                        party_class(p),
                        util::party_label(p)
                    );
                }
                None => html.push_str(r#"<td class="muted">nobody</td>"#),
            }
        }
        let _ = write!(html, r#"<td class="reason">{reason}</td></tr>"#);
    }
    html.push_str("</tbody></table>");
    html
}

fn header(report: &Report) -> String {
    let info = &report.image.info;
    let mut html =
        String::from(r#"<header class="top"><div><div class="brand">onus · scan report</div>"#);
    let name = if report.source.location.is_empty() {
        "image"
    } else {
        report.source.location.as_str()
    };
    let _ = write!(html, "<h1>{}</h1>", e(name));
    let mut meta = Vec::new();
    if !report.source.scheme.is_empty() {
        meta.push(e(&report.source.scheme));
    }
    if let Some(d) = &info.manifest_digest {
        meta.push(format!(
            "manifest <code title=\"{}\">{}</code>",
            e(d),
            e(&util::short_digest(d))
        ));
    }
    if let Some(os) = &info.os {
        let name = os
            .pretty_name
            .clone()
            .unwrap_or_else(|| format!("{} {}", os.id, os.version_id.clone().unwrap_or_default()));
        meta.push(e(name.trim()));
    }
    if let Some(created) = util::normalize_time(info.created.as_deref()) {
        meta.push(format!("created {created}"));
    }
    meta.push(format!("{} layers", info.layers.len()));
    meta.push(format!("{} components", report.components.len()));
    let _ = write!(html, r#"<div class="meta">{}</div>"#, meta.join(" · "));
    if let Some(base) = &report.image.base {
        let layers = base.layers.map_or_else(
            || "unknown".to_string(),
            |n| format!("{n} of {}", info.layers.len()),
        );
        let source = base.source.as_str();
        let confidence = base.confidence.as_str();
        let evidence = base
            .evidence
            .as_deref()
            .map(|ev| format!(": {}", e(ev)))
            .unwrap_or_default();
        let _ = write!(
            html,
            r#"<div class="meta">Vendor base: {layers} layers ({}, {} confidence){evidence}</div>"#,
            e(source),
            e(confidence)
        );
    }
    html.push_str("</div><div>");
    match &report.image.kind {
        Some(kind) => {
            let label = match kind.value {
                ImageKind::Application => "Application image",
                ImageKind::Base => "Base image",
            };
            let _ = write!(
                html,
                r#"<span class="badge kind" title="{}">{label}</span>"#,
                e(&kind.reason)
            );
            let _ = write!(
                html,
                r#"<div class="meta kind-reason">{}</div>"#,
                e(&kind.reason)
            );
        }
        None => html.push_str(r#"<span class="badge kind none">Kind undetermined</span>"#),
    }
    html.push_str("</div></header>");
    html
}

fn kpis(report: &Report) -> String {
    let s = &report.summary;
    let party = |p: Party| s.by_party.get(&p).map_or(0, |c| c.total);
    let mut html = String::from(r#"<div class="kpis">"#);
    let mut kpi = |class: &str, n: String, label: &str| {
        let _ = write!(
            html,
            r#"<div class="kpi {class}"><div class="n">{n}</div><div class="l">{label}</div></div>"#
        );
    };
    kpi("", s.open.to_string(), "open findings");
    kpi(
        "you",
        party(Party::Customer).to_string(),
        "your move (customer)",
    );
    kpi("", party(Party::Vendor).to_string(), "vendor");
    kpi("", party(Party::Upstream).to_string(), "upstream");
    kpi("", s.by_severity.critical.to_string(), "critical");
    if let Some(level) = report.chp.as_ref().map(extra::chp_level) {
        kpi("", format!("CHP {}", e(&level)), "hardening level");
    }
    if !report.eol.is_empty() {
        kpi("", report.eol.len().to_string(), "EOL entries");
    }
    html.push_str("</div>");
    html
}

/// What each CHP dimension means when locked (model.md §3.1).
fn chp_dimension_text(name: &str) -> &'static str {
    match name {
        "cves" => "CVEs addressed (low to zero unexplained)",
        "net" => "no outbound networking tools or package managers",
        "sys" => "no system utilities",
        "shell" => "no shell",
        "rw" => "read-only root filesystem (runtime)",
        _ => "",
    }
}

fn chp_section(chp: &onus_chp::Chp) -> String {
    let mut html = String::from(r#"<section class="card"><h2>Container Hardening Policy</h2>"#);
    let level = extra::chp_level(chp);
    let _ = write!(
        html,
        r#"<div class="chp"><div class="chp-level"><span class="l">CHP</span>{}</div><div><div class="meta">{}</div>"#,
        e(&level),
        match extra::chp_headline(chp) {
            h if h.contains("read-only") => format!("{}. ", e(&h)),
            _ => String::new(),
        } + "Each level needs its dimension and every one below it locked (model.md §3.2)."
    );
    let dims = extra::chp_dimensions(chp);
    if dims.is_empty() {
        let _ = write!(html, "<p>{}</p>", e(&extra::chp_line(chp)));
    } else {
        // The ladder: each step needs its dimension and every one below it locked.
        html.push_str(r#"<div class="ladder">"#);
        for d in &dims {
            let (class, state) = match d.ok {
                Some(true) => ("ok", "locked"),
                Some(false) => ("bad", "not locked"),
                None => ("unk", "unknown"),
            };
            let _ = write!(
                html,
                r#"<div class="step {class}"><div class="n">{}</div><div class="d">{}</div><div class="s">{state}</div></div>"#,
                d.needed_for,
                d.name.to_uppercase()
            );
        }
        html.push_str("</div>");
    }
    html.push_str("</div></div>");
    if !dims.is_empty() {
        html.push_str(r#"<table><thead><tr><th class="w90">Dimension</th><th class="w70 num">Level</th><th class="w110">State</th><th>Locked means</th><th>Evidence</th></tr></thead><tbody>"#);
        for d in &dims {
            let state = match d.ok {
                Some(true) => r#"<span class="ok-t">locked</span>"#,
                Some(false) => r#"<span class="bad-t">not locked</span>"#,
                None => r#"<span class="muted">unknown</span>"#,
            };
            let mut evidence: Vec<String> = d
                .evidence
                .iter()
                .take(4)
                .map(|x| format!("<code>{}</code>", e(x)))
                .collect();
            if d.evidence.len() > 4 {
                evidence.push(format!("+{} more", d.evidence.len() - 4));
            }
            if let Some(note) = &d.note {
                evidence.push(format!(r#"<span class="muted">{}</span>"#, e(note)));
            }
            let _ = write!(
                html,
                r#"<tr><td>{}</td><td class="num">{}</td><td>{state}</td><td class="reason">{}</td><td class="reason">{}</td></tr>"#,
                d.name,
                d.needed_for,
                chp_dimension_text(d.name),
                evidence.join("<br>")
            );
        }
        html.push_str("</tbody></table>");
    }
    let blockers = extra::chp_blockers(chp);
    if !blockers.is_empty() {
        html.push_str(r#"<h3>To reach the next level</h3><ul class="plain">"#);
        for blocker in blockers {
            let _ = write!(html, "<li>{}</li>", e(&blocker));
        }
        html.push_str("</ul>");
    }
    html.push_str("</section>");
    html
}

fn eol_section(entries: &[onus_eol::EolEntry]) -> String {
    let mut html = String::from(
        r#"<section class="card"><h2>End of life</h2><table><thead><tr><th>Product</th><th class="w110">State</th><th>Details</th></tr></thead><tbody>"#,
    );
    for eol in entries {
        let state = extra::eol_state(eol);
        let class = match state {
            "eol" => "bad-t",
            "in-grace" | "eol-soon" => "warn-t",
            "supported" => "ok-t",
            _ => "muted",
        };
        let _ = write!(
            html,
            r#"<tr><td><code>{}</code></td><td><span class="{class}">{}</span></td><td class="reason">{}</td></tr>"#,
            e(&extra::eol_subject(eol)),
            e(state),
            e(&extra::eol_details(eol))
        );
    }
    html.push_str("</tbody></table></section>");
    html
}

/// The image's layers, bottom first: size, `created_by`, which side of the base boundary each is
/// on, and how many components it introduced.
fn layers_section(report: &Report) -> String {
    let info = &report.image.info;
    let base = report.image.base.as_ref();
    let mut html = String::from(r#"<section class="card"><h2>Layers</h2>"#);
    match base {
        Some(b) => {
            let _ = write!(
                html,
                r#"<p class="meta">Base boundary: {} ({}, {} confidence{})</p>"#,
                b.layers.map_or_else(
                    || "unknown".to_string(),
                    |n| format!("the bottom {n} of {} layers", info.layers.len())
                ),
                e(b.source.as_str()),
                e(b.confidence.as_str()),
                b.evidence
                    .as_deref()
                    .map(|ev| format!(": {}", e(ev)))
                    .unwrap_or_default()
            );
        }
        None => html.push_str(r#"<p class="meta">Base boundary: not determined.</p>"#),
    }
    html.push_str(r#"<table><thead><tr><th class="w70 num">Layer</th><th class="w110">Side</th><th class="w110 num">Size</th><th class="w110 num">Components</th><th>Created by</th></tr></thead><tbody>"#);
    for layer in &info.layers {
        let side = match base.and_then(|b| b.layers) {
            Some(n) if layer.index < n => "vendor base",
            Some(_) => "added on top",
            None => "—",
        };
        let introduced = report
            .components
            .iter()
            .filter(|c| c.component.layer == Some(layer.index))
            .count();
        let _ = write!(
            html,
            r#"<tr><td class="num">{}</td><td>{side}</td><td class="num">{}</td><td class="num">{introduced}</td><td class="reason"><code>{}</code></td></tr>"#,
            layer.index,
            util::human_bytes(layer.size),
            e(layer.created_by.as_deref().unwrap_or("—"))
        );
    }
    html.push_str("</tbody></table></section>");
    html
}

fn page(report: &Report) -> String {
    let title = if report.source.location.is_empty() {
        "image"
    } else {
        report.source.location.as_str()
    };
    let mut html = String::with_capacity(64 * 1024);
    html.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
    html.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
    // No script, no external asset: a policy that also blocks anything injected.
    html.push_str(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">",
    );
    let _ = write!(
        html,
        "<title>onus · {}</title><style>{CSS}</style></head><body><main>",
        e(title)
    );
    html.push_str(&sections(report));
    let _ = write!(
        html,
        "<footer>Generated by {} {} · schema {} · rule ids refer to the shared responsibility model (model.md)</footer>",
        util::TOOL_NAME,
        util::TOOL_VERSION,
        e(&report.schema)
    );
    html.push_str("</main></body></html>\n");
    html
}

/// Everything the page shows of one image, without the page around it: the dashboard's image
/// page embeds it.
pub fn sections(report: &Report) -> String {
    let mut html = String::with_capacity(64 * 1024);
    html.push_str(&header(report));
    html.push_str(&kpis(report));

    html.push_str(
        r#"<section class="card"><h2>Who must act: the shared responsibility model</h2>"#,
    );
    html.push_str(&pyramids(report));
    html.push_str(&legend(report));
    html.push_str("</section>");

    html.push_str(r#"<section class="card"><h2>Open findings by tier and party</h2>"#);
    if report.summary.open == 0 {
        html.push_str(r#"<p class="muted">No open findings.</p>"#);
    } else {
        html.push_str(&matrix(report));
    }
    html.push_str("</section>");

    let open: Vec<&ReportFinding> = report.open_findings().collect();
    let yours: Vec<&ReportFinding> = open
        .iter()
        .copied()
        .filter(|f| f.next.party == Some(Party::Customer))
        .collect();
    let _ = write!(
        html,
        r#"<section class="card yours"><h2>Your move <span class="muted">· {} open for the customer</span></h2>"#,
        yours.len()
    );
    if yours.is_empty() {
        html.push_str(r#"<p class="muted">Nothing open for the customer.</p>"#);
    }
    for (kind, title) in util::CUSTOMER_MOVES {
        let group: Vec<&ReportFinding> = yours
            .iter()
            .copied()
            .filter(|f| f.next.kind == kind)
            .collect();
        if group.is_empty() {
            continue;
        }
        let _ = write!(
            html,
            r#"<h3>{} <span class="muted">({} open)</span></h3>"#,
            e(title),
            group.len()
        );
        if kind == MoveKind::Update {
            let _ = write!(html, r#"<p>{}</p>"#, e(&util::update_headline(&group)));
            if let Some(line) = util::newer_build_line(&report.image.info) {
                let _ = write!(html, r#"<p>{}</p>"#, e(&line));
            }
        }
        html.push_str(&findings_table(
            &group,
            Columns {
                tier: true,
                party: false,
            },
        ));
    }
    html.push_str("</section>");

    let others: Vec<&ReportFinding> = open
        .iter()
        .copied()
        .filter(|f| f.next.party != Some(Party::Customer))
        .collect();
    if !others.is_empty() {
        html.push_str(r#"<section class="card"><h2>Everyone else's move</h2>"#);
        for party in [Party::Vendor, Party::Upstream] {
            for tier in util::TIERS_TOP_DOWN {
                let group: Vec<&ReportFinding> = others
                    .iter()
                    .copied()
                    .filter(|f| f.next.party == Some(party) && f.tier == tier)
                    .collect();
                if group.is_empty() {
                    continue;
                }
                let _ = write!(
                    html,
                    r#"<h3><span class="party {}">{}</span> · {} <span class="muted">({} open)</span></h3>"#,
                    party_class(party),
                    util::party_label(party),
                    util::tier_title(tier),
                    group.len()
                );
                html.push_str(&findings_table(
                    &group,
                    Columns {
                        tier: false,
                        party: false,
                    },
                ));
            }
        }
        html.push_str("</section>");
    }

    let closed: Vec<&ReportFinding> = report.findings.iter().filter(|f| !f.is_open()).collect();
    if !closed.is_empty() {
        let _ = write!(
            html,
            r#"<section class="card"><details><summary>Closed findings ({}): fixed, not affected or suppressed</summary>"#,
            closed.len()
        );
        html.push_str(&findings_table(
            &closed,
            Columns {
                tier: true,
                party: true,
            },
        ));
        html.push_str("</details></section>");
    }

    if let Some(chp) = &report.chp {
        html.push_str(&chp_section(chp));
    }
    if !report.eol.is_empty() {
        html.push_str(&eol_section(&report.eol));
    }

    let _ = write!(
        html,
        r#"<section class="card"><details><summary>Components ({})</summary><table><thead><tr><th>Name</th><th>Version</th><th>Type</th><th class="num">Layer</th><th>Tier</th><th>Party</th><th>Evidence</th></tr></thead><tbody>"#,
        report.components.len()
    );
    for c in &report.components {
        let comp = &c.component;
        let (tier, party) = match &c.attribution {
            Some(a) => (
                util::tier_title(a.tier).to_string(),
                format!(
                    r#"<span class="party {}">{}</span>"#,
                    party_class(a.party),
                    util::party_label(a.party)
                ),
            ),
            None => ("—".to_string(), "—".to_string()),
        };
        let _ = write!(
            html,
            r#"<tr><td><code>{}</code></td><td><code>{}</code></td><td>{}</td><td class="num">{}</td><td>{tier}</td><td>{party}</td><td class="reason">{}</td></tr>"#,
            e(&comp.name),
            e(&comp.version),
            comp.ecosystem.purl_type(),
            comp.layer
                .map_or_else(|| "—".to_string(), |l| l.to_string()),
            e(&comp.locations.join(", "))
        );
    }
    html.push_str("</tbody></table></details></section>");
    html.push_str(&layers_section(report));
    html
}
