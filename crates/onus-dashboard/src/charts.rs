//! Inline SVG charts. Colours and sizes are presentation attributes, never `style`, so the
//! pages' Content-Security-Policy needs no inline style.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use onus_fleet::views::TrendPoint;
use onus_report::util::html_escape as e;

/// The parties' colours, as the report's party labels use them.
pub(crate) const PARTY_COLOURS: [(&str, &str); 3] = [
    ("customer", "#1d4ed8"),
    ("vendor", "#6d28d9"),
    ("upstream", "#0f766e"),
];

/// Open findings per party over time: one line per party, the last value labelled.
pub(crate) fn trend(points: &[TrendPoint]) -> String {
    if points.is_empty() {
        return r#"<p class="muted">No change recorded yet.</p>"#.to_string();
    }
    let (width, height) = (720.0, 220.0);
    let (left, right, top, bottom) = (48.0, 110.0, 12.0, 36.0);
    let max = points
        .iter()
        .flat_map(|p| p.open.values())
        .copied()
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let n = points.len();
    let x = |i: usize| {
        if n == 1 {
            left + (width - left - right) / 2.0
        } else {
            left + (width - left - right) * i as f64 / (n - 1) as f64
        }
    };
    let y = |v: i64| top + (height - top - bottom) * (1.0 - v as f64 / max);
    let mut svg = format!(
        r#"<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" aria-labelledby="trend-title" xmlns="http://www.w3.org/2000/svg"><title id="trend-title">Open findings per party from {} to {}</title>"#,
        e(&points[0].day),
        e(&points[n - 1].day)
    );
    // Axis and the gridline at the maximum.
    let _ = write!(
        svg,
        r##"<line x1="{left}" y1="{}" x2="{}" y2="{}" stroke="#9aa5b1"/><line x1="{left}" y1="{top}" x2="{}" y2="{top}" stroke="#e4e7eb"/><text x="{}" y="{}" text-anchor="end" font-size="11" fill="#3e4c59">{}</text><text x="{}" y="{}" text-anchor="end" font-size="11" fill="#3e4c59">0</text>"##,
        height - bottom,
        width - right,
        height - bottom,
        width - right,
        left - 6.0,
        top + 4.0,
        max as i64,
        left - 6.0,
        height - bottom + 4.0,
    );
    let _ = write!(
        svg,
        r##"<text x="{left}" y="{}" font-size="11" fill="#3e4c59">{}</text><text x="{}" y="{}" text-anchor="end" font-size="11" fill="#3e4c59">{}</text>"##,
        height - 12.0,
        e(&points[0].day),
        width - right,
        height - 12.0,
        e(&points[n - 1].day)
    );
    for (party, colour) in PARTY_COLOURS {
        let values: Vec<i64> = points
            .iter()
            .map(|p| p.open.get(party).copied().unwrap_or(0).max(0))
            .collect();
        let path: Vec<String> = values
            .iter()
            .enumerate()
            .map(|(i, v)| format!("{:.1},{:.1}", x(i), y(*v)))
            .collect();
        let _ = write!(
            svg,
            r#"<polyline points="{}" fill="none" stroke="{colour}" stroke-width="2.5"/>"#,
            path.join(" ")
        );
        for (i, v) in values.iter().enumerate() {
            let _ = write!(
                svg,
                r#"<circle cx="{:.1}" cy="{:.1}" r="3" fill="{colour}"><title>{}: {party} {v}</title></circle>"#,
                x(i),
                y(*v),
                e(&points[i].day)
            );
        }
        let last = values.last().copied().unwrap_or(0);
        let _ = write!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" font-size="12" font-weight="600" fill="{colour}">{party} {last}</text>"#,
            width - right + 8.0,
            y(last) + 4.0
        );
    }
    svg.push_str("</svg>");
    svg
}

/// Images per CHP level as horizontal bars (`none` for images without an assessment).
pub(crate) fn chp_bars(levels: &BTreeMap<String, i64>) -> String {
    let order = ["5", "4", "3", "2", "1", "0", "none"];
    let max = levels.values().copied().max().unwrap_or(0).max(1) as f64;
    let row = 26.0;
    let height = row * order.len() as f64 + 8.0;
    let mut svg = format!(
        r#"<svg class="chart" viewBox="0 0 420 {height}" width="420" height="{height}" role="img" aria-labelledby="chp-title" xmlns="http://www.w3.org/2000/svg"><title id="chp-title">Images per CHP level</title>"#
    );
    for (i, level) in order.iter().enumerate() {
        let n = levels.get(*level).copied().unwrap_or(0);
        let y = 4.0 + i as f64 * row;
        let w = 280.0 * n as f64 / max;
        let label = if *level == "none" {
            "not assessed".to_string()
        } else {
            format!("CHP {level}")
        };
        let _ = write!(
            svg,
            r##"<text x="0" y="{:.1}" font-size="12" fill="#1f2933">{label}</text><rect x="90" y="{:.1}" width="{w:.1}" height="16" rx="3" fill="#1d4ed8"/><text x="{:.1}" y="{:.1}" font-size="12" fill="#1f2933">{n}</text>"##,
            y + 13.0,
            y + 1.0,
            96.0 + w,
            y + 13.0
        );
    }
    svg.push_str("</svg>");
    svg
}
