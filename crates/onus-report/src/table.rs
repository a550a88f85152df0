//! Plain-text tables for a terminal: the SBOM as aligned columns, and the report as a summary
//! matrix followed by the customer's findings ("YOUR MOVE") and the rest by party and tier.
//! No colour, control characters from the input escaped, about 100 columns wide.

use std::io::{self, Write};

use onus_attribution::{ImageKind, MoveKind, Party, Tier};
use onus_inventory::{Component, Sbom};

use crate::extra;
use crate::report::{Report, ReportFinding, SeverityCounts};
use crate::util::{self, clean, truncate};

/// Write rows as left-aligned columns separated by two spaces (no trailing spaces).
fn write_columns(
    out: &mut dyn Write,
    indent: &str,
    rows: &[Vec<String>],
    right: &[usize],
) -> io::Result<()> {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0usize; columns];
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    for row in rows {
        let mut line = String::from(indent);
        for (i, cell) in row.iter().enumerate() {
            let pad = widths[i].saturating_sub(cell.chars().count());
            if i > 0 {
                line.push_str("  ");
            }
            if right.contains(&i) {
                line.push_str(&" ".repeat(pad));
                line.push_str(cell);
            } else {
                line.push_str(cell);
                if i + 1 < row.len() {
                    line.push_str(&" ".repeat(pad));
                }
            }
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

fn sbom_row(c: &Component) -> Vec<String> {
    vec![
        truncate(&clean(&c.name), 60),
        truncate(&clean(&c.version), 40),
        c.ecosystem.purl_type().to_string(),
        c.layer.map_or_else(|| "-".to_string(), |l| l.to_string()),
        c.owner
            .as_ref()
            .map_or_else(|| "-".to_string(), |o| truncate(&clean(&o.name), 30)),
        clean(&c.found_by),
    ]
}

const SBOM_HEADER: [&str; 6] = ["NAME", "VERSION", "ECOSYSTEM", "LAYER", "OWNER", "FOUND-BY"];

/// Render an SBOM as an aligned table sorted by name, version and ecosystem.
pub fn render_sbom(sbom: &Sbom, out: &mut dyn Write) -> io::Result<()> {
    let mut components: Vec<&Component> = sbom.components.iter().collect();
    components.sort_by(|a, b| {
        (&a.name, &a.version, a.ecosystem, &a.purl, &a.locations).cmp(&(
            &b.name,
            &b.version,
            b.ecosystem,
            &b.purl,
            &b.locations,
        ))
    });
    if components.is_empty() {
        writeln!(out, "No components found.")?;
    } else {
        let mut rows = vec![SBOM_HEADER
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>()];
        rows.extend(components.into_iter().map(sbom_row));
        write_columns(out, "", &rows, &[])?;
    }
    if !sbom.unknowns.is_empty() {
        writeln!(out)?;
        writeln!(
            out,
            "{} unreadable or unrecognised file(s):",
            sbom.unknowns.len()
        )?;
        for unknown in &sbom.unknowns {
            writeln!(
                out,
                "  {}: {}",
                clean(&unknown.location),
                clean(&unknown.reason)
            )?;
        }
    }
    Ok(())
}

fn kind_label(kind: ImageKind) -> &'static str {
    match kind {
        ImageKind::Application => "application",
        ImageKind::Base => "base",
    }
}

fn severity_header() -> Vec<String> {
    ["CRIT", "HIGH", "MED", "LOW", "NEGL", "UNK", "TOTAL"]
        .iter()
        .map(|s| s.to_string())
        .collect()
}

fn count_cells(counts: &SeverityCounts) -> Vec<String> {
    let mut cells: Vec<String> = util::SEVERITIES_DESC
        .iter()
        .map(|s| counts.get(*s).to_string())
        .collect();
    cells.push(counts.total.to_string());
    cells
}

/// Width the report aims to fit.
const WIDTH: usize = 100;
/// Indent of the values in the header block.
const LABEL: usize = 11;

/// `  Label    text`, word-wrapped to [`WIDTH`] with continuation lines under the text.
fn write_field(out: &mut dyn Write, label: &str, text: &str) -> io::Result<()> {
    let mut line = format!("  {label:<width$}", width = LABEL - 2);
    let mut empty = true;
    for word in text.split(' ') {
        let fits = line.chars().count() + 1 + word.chars().count() <= WIDTH;
        if !empty && !fits {
            writeln!(out, "{}", line.trim_end())?;
            line = " ".repeat(LABEL);
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(word);
        empty = false;
    }
    writeln!(out, "{}", line.trim_end())
}

fn write_header(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let source = &report.source;
    let mut title = format!("onus scan: {}", clean(&source.location));
    if !source.scheme.is_empty() {
        title.push_str(&format!(" ({})", clean(&source.scheme)));
    }
    writeln!(out, "{title}")?;
    let info = &report.image.info;
    let mut image = Vec::new();
    if let Some(d) = &info.manifest_digest {
        image.push(format!("manifest {}", clean(&util::short_digest(d))));
    }
    if let Some(created) = util::normalize_time(info.created.as_deref()) {
        image.push(format!("created {created}"));
    }
    if let Some(user) = &info.user {
        image.push(format!("user {}", clean(user)));
    }
    if !image.is_empty() {
        write_field(out, "Image", &image.join(" · "))?;
    }
    let mut content = Vec::new();
    if let Some(os) = &info.os {
        let name = os
            .pretty_name
            .clone()
            .unwrap_or_else(|| format!("{} {}", os.id, os.version_id.clone().unwrap_or_default()));
        content.push(format!("os {}", clean(name.trim())));
    }
    content.push(format!("{} layers", info.layers.len()));
    content.push(format!("{} components", report.components.len()));
    if !report.unknowns.is_empty() {
        content.push(format!("{} unreadable files", report.unknowns.len()));
    }
    write_field(out, "Content", &content.join(" · "))?;
    match &report.image.kind {
        Some(kind) => write_field(
            out,
            "Kind",
            &format!("{}: {}", kind_label(kind.value), clean(&kind.reason)),
        )?,
        None => write_field(out, "Kind", "undetermined")?,
    }
    if let Some(base) = &report.image.base {
        let layers = base.layers.map_or_else(
            || "unknown".to_string(),
            |n| format!("{n} of {}", info.layers.len()),
        );
        let mut line = format!(
            "{layers} layers from the vendor base ({}, {} confidence)",
            base.source.as_str(),
            base.confidence.as_str()
        );
        if let Some(evidence) = &base.evidence {
            line.push_str(&format!(": {}", clean(evidence)));
        }
        write_field(out, "Base", &line)?;
    }
    if let Some(chp) = &report.chp {
        write_field(out, "CHP", &clean(&extra::chp_line(chp)))?;
        for blocker in extra::chp_blockers(chp) {
            write_field(out, "", &format!("- {}", clean(&blocker)))?;
        }
    }
    for eol in &report.eol {
        write_field(out, "EOL", &clean(&extra::eol_line(eol)))?;
    }
    Ok(())
}

fn write_matrix(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let s = &report.summary;
    let by = |severity| s.by_severity.get(severity);
    let mut parts = Vec::new();
    for severity in util::SEVERITIES_DESC {
        if by(severity) > 0 {
            parts.push(format!(
                "{} {}",
                by(severity),
                util::severity_label(severity)
            ));
        }
    }
    let detail = if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join(", "))
    };
    writeln!(
        out,
        "OPEN FINDINGS: {}{detail} · {} closed",
        s.open, s.closed
    )?;
    if s.open == 0 {
        return Ok(());
    }
    writeln!(out)?;
    let mut rows = vec![["TIER", "OWNER"]
        .iter()
        .map(|s| s.to_string())
        .chain(severity_header())
        .collect::<Vec<_>>()];
    for tier in util::TIERS_TOP_DOWN {
        let Some(parties) = s.matrix.get(&tier) else {
            continue;
        };
        for party in util::PARTIES {
            if let Some(counts) = parties.get(&party) {
                let mut row = vec![
                    util::tier_label(tier).to_string(),
                    util::party_label(party).to_string(),
                ];
                row.extend(count_cells(counts));
                rows.push(row);
            }
        }
    }
    let mut total = vec!["all".to_string(), String::new()];
    total.extend(count_cells(&s.by_severity));
    rows.push(total);
    write_columns(out, "  ", &rows, &[2, 3, 4, 5, 6, 7, 8])
}

fn finding_rows(findings: &[&ReportFinding]) -> Vec<Vec<String>> {
    let mut rows = vec![["ID", "PACKAGE@VERSION", "SEVERITY", "STATUS", "FIXED-IN"]
        .iter()
        .map(|s| s.to_string())
        .collect()];
    for f in findings {
        let g = &f.finding;
        rows.push(vec![
            truncate(&clean(&g.id), 20),
            package_at_version(&g.package, &g.version, 36),
            util::severity_label(g.severity).to_string(),
            util::status_label(g.status).to_string(),
            g.fixed_version
                .as_deref()
                .map_or_else(|| "-".to_string(), |v| truncate(&clean(v), 22)),
        ]);
    }
    rows
}

/// `name@version` in at most `max` characters: the version is kept (up to 22 characters) and the
/// name loses its head, whose tail is the informative part (`…/service/s3@v1.2.3`).
fn package_at_version(name: &str, version: &str, max: usize) -> String {
    let version = truncate(&clean(version), 22);
    let name = clean(name);
    let room = max.saturating_sub(version.chars().count() + 1);
    let count = name.chars().count();
    let name = if count <= room {
        name
    } else {
        let tail: String = name.chars().skip(count - room.saturating_sub(1)).collect();
        format!("…{tail}")
    };
    format!("{name}@{version}")
}

/// The detail line under a finding: the move, the owner's tier, rule and reason, SLA and
/// suppression.
fn detail_line(f: &ReportFinding) -> String {
    let mut line = format!(
        "{}: {} · owner {} ({} · {}: {})",
        f.next.rule,
        f.next.action,
        util::party_label(f.owner),
        util::tier_label(f.tier),
        f.owner_rule,
        f.reason
    );
    if f.finding.known_exploited {
        line.push_str(" · KNOWN EXPLOITED (CISA KEV)");
    }
    if let Some(sla) = &f.sla {
        line.push_str(&format!(" · SLA {}", extra::sla_line(sla)));
    }
    if let Some(why) = &f.finding.suppressed {
        line.push_str(&format!(" · suppressed: {why}"));
    }
    if let Some(note) = &f.finding.justification {
        line.push_str(&format!(" · note: {note}"));
    }
    clean(&line)
}

fn write_findings(out: &mut dyn Write, findings: &[&ReportFinding]) -> io::Result<()> {
    let rows = finding_rows(findings);
    let mut buffer = Vec::new();
    write_columns(&mut buffer, "  ", &rows, &[])?;
    let text = String::from_utf8_lossy(&buffer);
    let mut lines = text.lines();
    if let Some(header) = lines.next() {
        writeln!(out, "{header}")?;
    }
    for (line, f) in lines.zip(findings) {
        writeln!(out, "{line}")?;
        writeln!(out, "      {}", detail_line(f))?;
    }
    Ok(())
}

fn party_title(party: Party) -> &'static str {
    match party {
        Party::Customer => "CUSTOMER",
        Party::Vendor => "VENDOR",
        Party::Upstream => "UPSTREAM",
    }
}

/// Render a report as text: header, summary matrix, YOUR MOVE, the rest by party and tier.
pub fn render_report(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    write_header(report, out)?;
    writeln!(out)?;
    write_matrix(report, out)?;
    let open: Vec<&ReportFinding> = report.open_findings().collect();
    let of = |party: Party, tier: Option<Tier>| -> Vec<&ReportFinding> {
        open.iter()
            .copied()
            .filter(|f| f.next.party == Some(party) && tier.is_none_or(|t| f.tier == t))
            .collect()
    };
    writeln!(out)?;
    let yours = of(Party::Customer, None);
    if yours.is_empty() {
        writeln!(out, "YOUR MOVE: nothing open for the customer")?;
    } else {
        writeln!(out, "YOUR MOVE: {} open for the customer", yours.len())?;
        for (kind, title) in util::CUSTOMER_MOVES {
            let group: Vec<&ReportFinding> = yours
                .iter()
                .copied()
                .filter(|f| f.next.kind == kind)
                .collect();
            if group.is_empty() {
                continue;
            }
            writeln!(out)?;
            writeln!(out, "{} · {} open", title.to_uppercase(), group.len())?;
            if kind == MoveKind::Update {
                write_field(out, "", &clean(&util::update_headline(&group)))?;
                if let Some(line) = util::newer_build_line(&report.image.info) {
                    write_field(out, "", &clean(&line))?;
                }
            }
            write_findings(out, &group)?;
        }
    }
    for party in [Party::Vendor, Party::Upstream] {
        for tier in util::TIERS_TOP_DOWN {
            let group = of(party, Some(tier));
            if group.is_empty() {
                continue;
            }
            writeln!(out)?;
            writeln!(
                out,
                "{} · {}: {} open",
                party_title(party),
                util::tier_title(tier),
                group.len()
            )?;
            write_findings(out, &group)?;
        }
    }
    let closed: Vec<&ReportFinding> = report.findings.iter().filter(|f| !f.is_open()).collect();
    if !closed.is_empty() {
        writeln!(out)?;
        writeln!(
            out,
            "CLOSED: {} fixed, not affected or suppressed",
            closed.len()
        )?;
        write_findings(out, &closed)?;
    }
    write_components(report, out)
}

/// Who owns each component, most urgent party first: the attribution is the point of the tool,
/// so it is shown even when nothing is vulnerable.
fn write_components(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    if report.components.is_empty() {
        return Ok(());
    }
    let mut attributed: Vec<_> = report.components.iter().collect();
    attributed.sort_by_key(|c| {
        c.attribution
            .as_ref()
            .map(|a| (a.party, std::cmp::Reverse(a.tier)))
    });
    writeln!(out)?;
    writeln!(out, "COMPONENTS: {} by party and tier", attributed.len())?;
    let mut rows = vec![[
        "PARTY",
        "TIER",
        "PACKAGE@VERSION",
        "LAYER",
        "RULE",
        "REASON",
    ]
    .map(String::from)
    .to_vec()];
    for c in attributed {
        let (party, tier, rule, reason) = match &c.attribution {
            Some(a) => (
                util::party_label(a.party),
                util::tier_label(a.tier),
                a.rule.as_str(),
                a.reason.as_str(),
            ),
            None => ("-", "-", "-", ""),
        };
        rows.push(vec![
            party.to_string(),
            tier.to_string(),
            package_at_version(&clean(&c.component.name), &clean(&c.component.version), 30),
            c.component
                .layer
                .map_or_else(|| "-".to_string(), |l| l.to_string()),
            rule.to_string(),
            truncate(&clean(reason), 29),
        ]);
    }
    write_columns(out, "  ", &rows, &[3])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_package_names_keep_their_tail_and_version() {
        assert_eq!(package_at_version("zlib", "1.3-r0", 32), "zlib@1.3-r0");
        let fitted = package_at_version("github.com/aws/aws-sdk-go-v2/service/s3", "v1.48.0", 32);
        assert_eq!(fitted, "…ws-sdk-go-v2/service/s3@v1.48.0");
        assert_eq!(fitted.chars().count(), 32);
    }
}
