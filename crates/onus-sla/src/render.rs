//! Renderers of [`SlaReport`]: terminal table, CSV, Markdown, self-contained HTML and JSON, all
//! writing to `&mut dyn Write`; every text that came from the input is escaped for its format.

use std::io::{self, Write};

use crate::report::{OpenAdvisory, SlaReport, TtfStats};
use crate::severity::Severity;

/// How many open advisories the table and Markdown list (oldest first); CSV, HTML and JSON list
/// all of them.
pub const OPEN_ROWS: usize = 50;

/// One aggregate row: (section, key, stats).
fn rows(r: &SlaReport) -> Vec<(&'static str, String, &TtfStats)> {
    let t = &r.time_to_fix;
    let mut out = vec![("overall", "all".to_string(), &t.overall)];
    for s in Severity::ALL {
        if let Some(st) = t.by_severity.get(s.as_str()) {
            out.push(("severity", s.as_str().to_string(), st));
        }
    }
    let mut comps: Vec<(&String, &TtfStats)> = t.by_component_type.iter().collect();
    comps.sort_by(|a, b| b.1.count.cmp(&a.1.count).then_with(|| a.0.cmp(b.0)));
    for (k, st) in comps {
        out.push(("component-type", k.clone(), st));
    }
    for p in &t.top_packages {
        out.push(("top-package", p.package.clone(), &p.stats));
    }
    out
}

fn days(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_string(), |d| format!("{d:.2}"))
}

fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_string(), |s| format!("{:.1}%", s * 100.0))
}

fn ts(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

/// Control characters out: input-derived text must stay on one line in every format.
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn headline(r: &SlaReport) -> Vec<String> {
    let o = &r.time_to_fix.overall;
    vec![
        format!(
            "{} documents, {} advisories; now {}",
            r.documents,
            r.advisories,
            ts(&r.now)
        ),
        format!(
            "time to fix (first detection → first fix at or after it): {} fixed, median {} d, p90 {} d; {} without detection, {} without fix",
            o.count,
            days(o.median_days),
            days(o.p90_days),
            r.without_detection,
            r.without_fix
        ),
        format!(
            "fixed within 7 days {}, within 14 days {}, within the policy days of their severity {}",
            pct(Some(r.within_sla.days_7)),
            pct(Some(r.within_sla.days_14)),
            pct(Some(r.within_sla.policy))
        ),
        format!(
            "open {} ({}); pending upstream fix: median age {} d, p90 {} d; re-detected after a fix: {} advisories",
            r.open.len(),
            r.open_by_state
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect::<Vec<_>>()
                .join(", "),
            days(r.pending_upstream_fix.median_days),
            days(r.pending_upstream_fix.p90_days),
            r.redetections.advisories
        ),
        format!("caveat: {}", r.caveat),
    ]
}

fn write_aligned(w: &mut dyn Write, table: &[Vec<String>]) -> io::Result<()> {
    let cols = table.first().map_or(0, Vec::len);
    let widths: Vec<usize> = (0..cols)
        .map(|c| {
            table
                .iter()
                .map(|row| row.get(c).map_or(0, |s| s.chars().count()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in table {
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            let width = widths.get(c).copied().unwrap_or(0);
            if c + 1 == row.len() {
                line.push_str(cell);
            } else {
                line.push_str(cell);
                line.push_str(&" ".repeat(width.saturating_sub(cell.chars().count()) + 2));
            }
        }
        writeln!(w, "{}", line.trim_end())?;
    }
    Ok(())
}

fn stats_cells(st: &TtfStats) -> Vec<String> {
    vec![
        st.count.to_string(),
        days(st.median_days),
        days(st.p90_days),
        days(st.mean_days),
        days(st.max_days),
        pct(st.within_7_days),
        pct(st.within_14_days),
        pct(st.within_policy),
    ]
}

const STATS_HEADER: [&str; 10] = [
    "GROUP", "KEY", "FIXED", "MEDIAN_D", "P90_D", "MEAN_D", "MAX_D", "<=7D", "<=14D", "<=POLICY",
];

/// A plain-text report for a terminal.
pub fn render_table(r: &SlaReport, w: &mut dyn Write) -> io::Result<()> {
    writeln!(w, "SLA report ({})", r.schema)?;
    for line in headline(r) {
        writeln!(w, "  {line}")?;
    }
    writeln!(w)?;
    let mut table = vec![STATS_HEADER.iter().map(|s| s.to_string()).collect()];
    for (section, key, st) in rows(r) {
        let mut row = vec![section.to_string(), one_line(&key)];
        row.extend(stats_cells(st));
        table.push(row);
    }
    write_aligned(w, &table)?;
    writeln!(w)?;
    writeln!(w, "Time to fix (days)")?;
    let max = r
        .histogram
        .iter()
        .map(|b| b.count)
        .max()
        .unwrap_or(0)
        .max(1);
    let mut table = Vec::new();
    for b in &r.histogram {
        let bar = "#".repeat((b.count * 40).div_ceil(max).min(40));
        table.push(vec![b.label.clone(), b.count.to_string(), bar]);
    }
    write_aligned(w, &table)?;
    writeln!(w)?;
    writeln!(w, "Open advisories (oldest first)")?;
    let mut table = vec![vec![
        "PACKAGE".to_string(),
        "ADVISORY".to_string(),
        "STATE".to_string(),
        "SEVERITY".to_string(),
        "SINCE".to_string(),
        "AGE_D".to_string(),
    ]];
    for o in r.open.iter().take(OPEN_ROWS) {
        table.push(open_cells(o));
    }
    write_aligned(w, &table)?;
    if r.open.len() > OPEN_ROWS {
        writeln!(w, "… and {} more", r.open.len() - OPEN_ROWS)?;
    }
    if let Some(f) = &r.fleet {
        writeln!(w)?;
        writeln!(
            w,
            "Fleet: {} images; {} open advisories touch it; {} would be Major CVE Events",
            f.images,
            f.open_in_fleet,
            f.major_cve_events.len()
        )?;
    }
    Ok(())
}

fn open_cells(o: &OpenAdvisory) -> Vec<String> {
    vec![
        one_line(&o.package),
        one_line(&o.advisory),
        o.state.clone(),
        o.severity.as_str().to_string(),
        ts(&o.since),
        format!("{:.2}", o.age_days),
    ]
}

/// Quote a CSV cell when needed, and defuse formula injection in text cells.
fn csv_cell(s: &str, text: bool) -> String {
    let mut s = one_line(s);
    if text && s.starts_with(['=', '+', '-', '@']) {
        s.insert(0, '\'');
    }
    if s.contains([',', '"']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

fn num(v: Option<f64>) -> String {
    v.map_or_else(String::new, |d| d.to_string())
}

/// One rectangular CSV: aggregate rows (`overall`, `severity`, `component-type`, `package` for
/// every package), `histogram` rows and `open` rows; unused cells are empty.
pub fn render_csv(r: &SlaReport, w: &mut dyn Write) -> io::Result<()> {
    writeln!(
        w,
        "section,key,count,median_days,p90_days,mean_days,max_days,within_7_days,within_14_days,within_policy,state,since,age_days"
    )?;
    let mut aggregate: Vec<(&str, String, &TtfStats)> = rows(r)
        .into_iter()
        .filter(|(s, _, _)| *s != "top-package")
        .collect();
    for (k, st) in &r.time_to_fix.by_package {
        aggregate.push(("package", k.clone(), st));
    }
    for (section, key, st) in aggregate {
        writeln!(
            w,
            "{section},{},{},{},{},{},{},{},{},{},,,",
            csv_cell(&key, true),
            st.count,
            num(st.median_days),
            num(st.p90_days),
            num(st.mean_days),
            num(st.max_days),
            num(st.within_7_days),
            num(st.within_14_days),
            num(st.within_policy)
        )?;
    }
    for b in &r.histogram {
        writeln!(w, "histogram,{},{},,,,,,,,,,", b.label, b.count)?;
    }
    for o in &r.open {
        writeln!(
            w,
            "open,{},,,,,,,,,{},{},{}",
            csv_cell(&format!("{}/{}", o.package, o.advisory), true),
            csv_cell(&o.state, true),
            ts(&o.since),
            o.age_days
        )?;
    }
    Ok(())
}

fn md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in one_line(s).chars() {
        match c {
            '\\' | '|' | '`' | '*' | '_' | '[' | ']' | '#' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            c => out.push(c),
        }
    }
    out
}

/// A Markdown report (GitHub-flavoured tables).
pub fn render_markdown(r: &SlaReport, w: &mut dyn Write) -> io::Result<()> {
    writeln!(w, "# SLA report\n")?;
    for line in headline(r) {
        writeln!(w, "- {}", md(&line))?;
    }
    writeln!(w, "\n## Time to fix\n")?;
    writeln!(w, "| {} |", STATS_HEADER.join(" | ").replace('<', "&lt;"))?;
    writeln!(w, "|{}", "---|".repeat(STATS_HEADER.len()))?;
    for (section, key, st) in rows(r) {
        let cells = stats_cells(st);
        writeln!(w, "| {section} | {} | {} |", md(&key), cells.join(" | "))?;
    }
    writeln!(w, "\n## Histogram (days)\n")?;
    writeln!(w, "| bucket | fixed |\n|---|---|")?;
    for b in &r.histogram {
        writeln!(w, "| {} | {} |", b.label, b.count)?;
    }
    writeln!(w, "\n## Open advisories (oldest first)\n")?;
    writeln!(
        w,
        "| package | advisory | state | severity | since | age (days) |\n|---|---|---|---|---|---|"
    )?;
    for o in r.open.iter().take(OPEN_ROWS) {
        let c = open_cells(o);
        writeln!(
            w,
            "| {} | {} | {} | {} | {} | {} |",
            md(&c[0]),
            md(&c[1]),
            md(&c[2]),
            c[3],
            c[4],
            c[5]
        )?;
    }
    if r.open.len() > OPEN_ROWS {
        writeln!(w, "\n… and {} more.", r.open.len() - OPEN_ROWS)?;
    }
    Ok(())
}

fn html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

const CSS: &str = "body{font-family:system-ui,sans-serif;margin:2rem;color:#222}\
table{border-collapse:collapse;margin:1rem 0}th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left}\
td.n{text-align:right;font-variant-numeric:tabular-nums}th{background:#f3f3f3}\
.caveat{background:#fff6d6;border:1px solid #e5c100;padding:.5rem}svg text{font-size:12px;fill:#222}";

fn histogram_svg(r: &SlaReport) -> String {
    let (bar_w, gap, height, top, bottom) = (70usize, 14usize, 200usize, 20usize, 24usize);
    let max = r
        .histogram
        .iter()
        .map(|b| b.count)
        .max()
        .unwrap_or(0)
        .max(1);
    let width = r.histogram.len() * (bar_w + gap) + gap;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{}\" role=\"img\" aria-label=\"time to fix histogram\">",
        height + top + bottom
    );
    for (i, b) in r.histogram.iter().enumerate() {
        let h = b.count * height / max;
        let x = gap + i * (bar_w + gap);
        let y = top + height - h;
        svg.push_str(&format!(
            "<rect x=\"{x}\" y=\"{y}\" width=\"{bar_w}\" height=\"{h}\" fill=\"#4a7bd0\"><title>{} days: {}</title></rect>\
<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text><text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{} d</text>",
            html(&b.label),
            b.count,
            x + bar_w / 2,
            y.saturating_sub(4).max(12),
            b.count,
            x + bar_w / 2,
            top + height + 16,
            html(&b.label)
        ));
    }
    svg.push_str("</svg>");
    svg
}

/// A self-contained HTML page (inline CSS, inline SVG histogram, no scripts, text escaped).
pub fn render_html(r: &SlaReport, w: &mut dyn Write) -> io::Result<()> {
    writeln!(
        w,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>onus SLA report</title><style>{CSS}</style></head><body>"
    )?;
    writeln!(w, "<h1>SLA report</h1>")?;
    writeln!(w, "<p class=\"caveat\">Caveat: {}</p>", html(&r.caveat))?;
    writeln!(w, "<ul>")?;
    for line in headline(r) {
        writeln!(w, "<li>{}</li>", html(&line))?;
    }
    writeln!(w, "</ul>\n<h2>Time to fix</h2>\n<table><tr>")?;
    for h in STATS_HEADER {
        write!(w, "<th>{}</th>", html(h))?;
    }
    writeln!(w, "</tr>")?;
    for (section, key, st) in rows(r) {
        write!(w, "<tr><td>{section}</td><td>{}</td>", html(&key))?;
        for c in stats_cells(st) {
            write!(w, "<td class=\"n\">{}</td>", html(&c))?;
        }
        writeln!(w, "</tr>")?;
    }
    writeln!(
        w,
        "</table>\n<h2>Histogram (days from first detection to first fix)</h2>"
    )?;
    writeln!(w, "{}", histogram_svg(r))?;
    writeln!(
        w,
        "<h2>Open advisories ({})</h2>\n<table><tr><th>package</th><th>advisory</th><th>state</th><th>severity</th><th>since</th><th>age (days)</th></tr>",
        r.open.len()
    )?;
    for o in &r.open {
        let c = open_cells(o);
        writeln!(
            w,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td></tr>",
            html(&c[0]),
            html(&c[1]),
            html(&c[2]),
            html(&c[3]),
            html(&c[4]),
            html(&c[5])
        )?;
    }
    writeln!(w, "</table>")?;
    if let Some(f) = &r.fleet {
        writeln!(
            w,
            "<h2>Fleet</h2><p>{} images; {} open advisories touch it; {} would be Major CVE Events.</p>",
            f.images,
            f.open_in_fleet,
            f.major_cve_events.len()
        )?;
    }
    writeln!(w, "</body></html>")
}

/// The report as pretty JSON (the serde shape), newline-terminated.
pub fn render_json(r: &SlaReport, w: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *w, r).map_err(io::Error::other)?;
    writeln!(w)
}
