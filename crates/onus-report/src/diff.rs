//! What changed between two scans of an image (an update, a rebuild, a new base): components
//! added, removed, upgraded and downgraded; open findings fixed, introduced and unchanged, each
//! with its move; the CHP level; EOL streams; layers and size. Rendered as a table, JSON
//! (`onus.diff/v1`) or Markdown for a pull-request comment.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::{self, Write};

use onus_attribution::MoveRule;
use onus_inventory::vocab::{EolState, Party, Severity};
use onus_inventory::Ecosystem;
use serde::Serialize;

use crate::util::{clean, markdown_cell};
use crate::{Report, ReportFinding};

/// Schema id of the JSON diff.
pub const DIFF_SCHEMA: &str = "onus.diff/v1";

/// One side of the comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Side {
    pub source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manifest_digest: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ComponentRef {
    pub ecosystem: Ecosystem,
    pub name: String,
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct VersionChange {
    pub ecosystem: Ecosystem,
    pub name: String,
    pub from: String,
    pub to: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ComponentChanges {
    pub added: Vec<ComponentRef>,
    pub removed: Vec<ComponentRef>,
    pub upgraded: Vec<VersionChange>,
    pub downgraded: Vec<VersionChange>,
    /// Versions that differ where the ecosystem's order cannot compare them.
    pub changed: Vec<VersionChange>,
}

/// An open finding and its move on the side it is reported from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FindingRef {
    pub id: String,
    pub package: String,
    pub version: String,
    pub severity: Severity,
    /// Whose move it is (`None`: nobody's).
    pub party: Option<Party>,
    pub rule: MoveRule,
    pub action: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FindingChanges {
    /// Open in the first image, not in the second (reported as the first saw it).
    pub fixed: Vec<FindingRef>,
    /// Open in the second image only.
    pub introduced: Vec<FindingRef>,
    /// Open in both (reported as the second sees it: the move may have changed).
    pub unchanged: Vec<FindingRef>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EolChange {
    pub product: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_cycle: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_cycle: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<EolState>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<EolState>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LayerChange {
    pub from_layers: usize,
    pub to_layers: usize,
    /// Layers (by diff_id) both images have.
    pub shared_layers: usize,
    pub from_bytes: u64,
    pub to_bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportDiff {
    pub schema: &'static str,
    pub from: Side,
    pub to: Side,
    pub components: ComponentChanges,
    pub findings: FindingChanges,
    /// CHP levels (`None` where not assessed, e.g. an SBOM).
    pub chp: (Option<u8>, Option<u8>),
    /// Streams whose cycle or EOL state changed, appeared or went.
    pub eol: Vec<EolChange>,
    pub layers: LayerChange,
}

fn side(report: &Report) -> Side {
    Side {
        source: report.source.location.clone(),
        manifest_digest: report.image.info.manifest_digest.clone(),
    }
}

fn finding_ref(f: &ReportFinding) -> FindingRef {
    FindingRef {
        id: f.finding.id.clone(),
        package: f.finding.package.clone(),
        version: f.finding.version.clone(),
        severity: f.finding.severity,
        party: f.next.party,
        rule: f.next.rule,
        action: f.next.action.clone(),
    }
}

/// Open findings keyed by (id, package).
fn open_findings(report: &Report) -> BTreeMap<(String, String), &ReportFinding> {
    report
        .findings
        .iter()
        .filter(|f| f.next.rule != MoveRule::Closed)
        .map(|f| ((f.finding.id.clone(), f.finding.package.clone()), f))
        .collect()
}

/// Versions of each (ecosystem, name).
fn versions(report: &Report) -> BTreeMap<(Ecosystem, String), BTreeSet<String>> {
    let mut out: BTreeMap<(Ecosystem, String), BTreeSet<String>> = BTreeMap::new();
    for c in &report.components {
        out.entry((c.component.ecosystem, c.component.name.clone()))
            .or_default()
            .insert(c.component.version.clone());
    }
    out
}

fn compare_components(from: &Report, to: &Report) -> ComponentChanges {
    let (a, b) = (versions(from), versions(to));
    let mut changes = ComponentChanges::default();
    let keys: BTreeSet<&(Ecosystem, String)> = a.keys().chain(b.keys()).collect();
    let empty = BTreeSet::new();
    for key in keys {
        let (eco, name) = key;
        let before = a.get(key).unwrap_or(&empty);
        let after = b.get(key).unwrap_or(&empty);
        let gone: Vec<&String> = before.difference(after).collect();
        let new: Vec<&String> = after.difference(before).collect();
        let reference = |version: &String| ComponentRef {
            ecosystem: *eco,
            name: name.clone(),
            version: version.clone(),
        };
        if let ([old], [newer]) = (gone.as_slice(), new.as_slice()) {
            let change = VersionChange {
                ecosystem: *eco,
                name: name.clone(),
                from: (*old).clone(),
                to: (*newer).clone(),
            };
            let scheme = onus_version::Scheme::for_ecosystem(eco.purl_type());
            match onus_version::compare(scheme, old, newer) {
                Ok(std::cmp::Ordering::Less) => changes.upgraded.push(change),
                Ok(std::cmp::Ordering::Greater) => changes.downgraded.push(change),
                _ => changes.changed.push(change),
            }
            continue;
        }
        changes.removed.extend(gone.into_iter().map(reference));
        changes.added.extend(new.into_iter().map(reference));
    }
    changes
}

fn compare_eol(from: &Report, to: &Report) -> Vec<EolChange> {
    let streams = |r: &Report| -> BTreeMap<String, (Option<String>, EolState)> {
        r.eol
            .iter()
            .map(|e| (e.product.clone(), (e.cycle.clone(), e.state)))
            .collect()
    };
    let (a, b) = (streams(from), streams(to));
    let products: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    products
        .into_iter()
        .filter_map(|product| {
            let before = a.get(product);
            let after = b.get(product);
            (before != after).then(|| EolChange {
                product: product.clone(),
                from_cycle: before.and_then(|(c, _)| c.clone()),
                to_cycle: after.and_then(|(c, _)| c.clone()),
                from: before.map(|(_, s)| *s),
                to: after.map(|(_, s)| *s),
            })
        })
        .collect()
}

/// Compare two reports (`from` the image in use, `to` the candidate).
pub fn diff(from: &Report, to: &Report) -> ReportDiff {
    let (a, b) = (open_findings(from), open_findings(to));
    let mut findings = FindingChanges::default();
    for (key, f) in &a {
        if !b.contains_key(key) {
            findings.fixed.push(finding_ref(f));
        }
    }
    for (key, f) in &b {
        if a.contains_key(key) {
            findings.unchanged.push(finding_ref(f));
        } else {
            findings.introduced.push(finding_ref(f));
        }
    }
    // Most severe first, then by id.
    for list in [
        &mut findings.fixed,
        &mut findings.introduced,
        &mut findings.unchanged,
    ] {
        list.sort_by(|x, y| {
            y.severity
                .cmp(&x.severity)
                .then_with(|| x.id.cmp(&y.id))
                .then_with(|| x.package.cmp(&y.package))
        });
    }
    let from_ids: BTreeSet<&str> = from
        .image
        .info
        .layers
        .iter()
        .map(|l| l.diff_id.as_str())
        .collect();
    let layers = LayerChange {
        from_layers: from.image.info.layers.len(),
        to_layers: to.image.info.layers.len(),
        shared_layers: to
            .image
            .info
            .layers
            .iter()
            .filter(|l| !l.diff_id.is_empty() && from_ids.contains(l.diff_id.as_str()))
            .count(),
        from_bytes: from.image.info.layers.iter().map(|l| l.size).sum(),
        to_bytes: to.image.info.layers.iter().map(|l| l.size).sum(),
    };
    ReportDiff {
        schema: DIFF_SCHEMA,
        from: side(from),
        to: side(to),
        components: compare_components(from, to),
        findings,
        chp: (
            from.chp.as_ref().map(|c| c.level),
            to.chp.as_ref().map(|c| c.level),
        ),
        eol: compare_eol(from, to),
        layers,
    }
}

/// Output formats of a diff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiffFormat {
    Table,
    Json,
    Markdown,
}

/// Render a diff.
pub fn render_diff(diff: &ReportDiff, format: DiffFormat, out: &mut dyn Write) -> io::Result<()> {
    match format {
        DiffFormat::Json => crate::write_json(diff, out),
        DiffFormat::Table => out.write_all(text(diff, false).as_bytes()),
        DiffFormat::Markdown => out.write_all(text(diff, true).as_bytes()),
    }
}

fn level(l: Option<u8>) -> String {
    l.map_or_else(|| "not assessed".to_string(), |l| format!("CHP {l}"))
}

fn state(s: Option<EolState>) -> &'static str {
    s.map_or("absent", |s| s.as_str())
}

/// The table and Markdown forms share one layout; Markdown escapes cells and uses headings.
fn text(d: &ReportDiff, markdown: bool) -> String {
    let cell = |s: &str| {
        if markdown {
            markdown_cell(s)
        } else {
            clean(s)
        }
    };
    let mut o = String::new();
    let heading = |o: &mut String, title: &str| {
        if markdown {
            let _ = writeln!(o, "\n### {title}\n");
        } else {
            let _ = writeln!(o, "\n{}", title.to_uppercase());
        }
    };
    let digest = |s: &Side| {
        s.manifest_digest
            .as_deref()
            .map(|d| format!(" ({})", crate::util::short_digest(d)))
            .unwrap_or_default()
    };
    if markdown {
        let _ = writeln!(
            o,
            "## onus diff\n\n`{}`{} → `{}`{}",
            cell(&d.from.source),
            digest(&d.from),
            cell(&d.to.source),
            digest(&d.to)
        );
    } else {
        let _ = writeln!(
            o,
            "FROM {}{}\nTO   {}{}",
            cell(&d.from.source),
            digest(&d.from),
            cell(&d.to.source),
            digest(&d.to)
        );
    }
    let f = &d.findings;
    let c = &d.components;
    let _ = writeln!(
        o,
        "{}findings: {} fixed, {} introduced, {} unchanged; components: {} added, {} removed, {} upgraded, {} downgraded{}; {} → {}; layers {} → {} ({} shared), {} → {} bytes",
        if markdown { "\n" } else { "" },
        f.fixed.len(),
        f.introduced.len(),
        f.unchanged.len(),
        c.added.len(),
        c.removed.len(),
        c.upgraded.len(),
        c.downgraded.len(),
        if c.changed.is_empty() { String::new() } else { format!(", {} changed", c.changed.len()) },
        level(d.chp.0),
        level(d.chp.1),
        d.layers.from_layers,
        d.layers.to_layers,
        d.layers.shared_layers,
        d.layers.from_bytes,
        d.layers.to_bytes,
    );
    let finding_rows = |o: &mut String, title: &str, list: &[FindingRef]| {
        if list.is_empty() {
            return;
        }
        heading(o, &format!("{title} ({})", list.len()));
        if markdown {
            let _ = writeln!(
                o,
                "| id | package | version | severity | move | action |\n|---|---|---|---|---|---|"
            );
        }
        for r in list {
            let party = r.party.map_or("nobody", |p| p.as_str());
            let row = [
                cell(&r.id),
                cell(&r.package),
                cell(&r.version),
                r.severity.as_str().to_string(),
                format!("{party} ({})", r.rule.id()),
                cell(&r.action),
            ];
            if markdown {
                let _ = writeln!(o, "| {} |", row.join(" | "));
            } else {
                let _ = writeln!(
                    o,
                    "{:<20} {:<28} {:<20} {:<9} {:<22} {}",
                    row[0], row[1], row[2], row[3], row[4], row[5]
                );
            }
        }
    };
    finding_rows(&mut o, "Fixed", &f.fixed);
    finding_rows(&mut o, "Introduced", &f.introduced);
    finding_rows(&mut o, "Unchanged", &f.unchanged);
    let component_rows = |o: &mut String, title: &str, list: &[VersionChange]| {
        if list.is_empty() {
            return;
        }
        heading(o, &format!("{title} ({})", list.len()));
        if markdown {
            let _ = writeln!(o, "| ecosystem | name | from | to |\n|---|---|---|---|");
        }
        for v in list {
            let (eco, name, from, to) = (
                v.ecosystem.purl_type(),
                cell(&v.name),
                cell(&v.from),
                cell(&v.to),
            );
            if markdown {
                let _ = writeln!(o, "| {eco} | {name} | {from} | {to} |");
            } else {
                let _ = writeln!(o, "{eco:<8} {name:<36} {from} → {to}");
            }
        }
    };
    component_rows(&mut o, "Upgraded", &c.upgraded);
    component_rows(&mut o, "Downgraded", &c.downgraded);
    component_rows(&mut o, "Changed", &c.changed);
    let ref_rows = |o: &mut String, title: &str, list: &[ComponentRef]| {
        if list.is_empty() {
            return;
        }
        heading(o, &format!("{title} ({})", list.len()));
        if markdown {
            let _ = writeln!(o, "| ecosystem | name | version |\n|---|---|---|");
        }
        for r in list {
            let (eco, name, version) = (r.ecosystem.purl_type(), cell(&r.name), cell(&r.version));
            if markdown {
                let _ = writeln!(o, "| {eco} | {name} | {version} |");
            } else {
                let _ = writeln!(o, "{eco:<8} {name:<36} {version}");
            }
        }
    };
    ref_rows(&mut o, "Added", &c.added);
    ref_rows(&mut o, "Removed", &c.removed);
    if !d.eol.is_empty() {
        heading(&mut o, &format!("End of life ({})", d.eol.len()));
        for e in &d.eol {
            let line = format!(
                "{} {} {} → {} {}",
                cell(&e.product),
                e.from_cycle.as_deref().unwrap_or("-"),
                state(e.from),
                e.to_cycle.as_deref().unwrap_or("-"),
                state(e.to)
            );
            if markdown {
                let _ = writeln!(o, "- {line}");
            } else {
                let _ = writeln!(o, "{line}");
            }
        }
    }
    o
}
