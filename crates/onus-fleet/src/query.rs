//! Fleet-wide answers: the summary, each party's moves, images, a vulnerability or a package
//! across images, and the event log. Every list is sorted, so answers are deterministic.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::db::{Conn, Value};
use crate::error::FleetError;
use crate::ingest::{is_digest, FindingRow, FINDING_COLUMNS};
use crate::Fleet;

/// `GET /api/v1/summary`.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub images: i64,
    /// Images whose tag has moved on to another digest.
    pub stale_images: i64,
    /// Open findings by the pyramid's party (owner), tier and severity.
    pub open_by_owner: Vec<Count>,
    /// Open findings by who must act next (the move's party), tier and severity.
    pub open_by_move: Vec<Count>,
    /// Images per CHP level (`none` for images submitted without one).
    pub chp_levels: BTreeMap<String, i64>,
    /// Release streams per EOL state, counted once per image.
    pub eol: BTreeMap<String, i64>,
    pub pending_jobs: i64,
    /// The fingerprint of the store the fleet reflects.
    pub store: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Count {
    pub party: String,
    pub tier: String,
    pub severity: String,
    pub count: i64,
}

/// One action for a party across the fleet.
#[derive(Debug, Clone, Serialize)]
pub struct Move {
    pub party: String,
    /// `update`, `upgrade`, `fix-own-content`, `vendor-fix`, `upstream-fix`.
    pub kind: String,
    /// One line for a person.
    pub action: String,
    pub package: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fixed_in: Option<String>,
    pub findings: i64,
    pub critical: i64,
    pub known_exploited: i64,
    /// How many images it touches.
    pub image_count: i64,
    /// Digests of the images it touches (the first [`MOVE_IMAGES`]; `image_count` says how
    /// many there are, `/packages` and `/vulnerabilities` list them all).
    pub images: Vec<String>,
    /// Vendor clocks: how many run, how many are past their deadline, the nearest deadline.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clocks: Option<Clocks>,
    /// Vulnerability ids, for upstream's and the vendor's moves.
    pub ids: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Clocks {
    pub running: i64,
    pub breached: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_deadline: Option<String>,
}

/// Which moves a list keeps.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MoveFilter {
    /// `update`, `upgrade`, `fix-own-content`, …; empty keeps every kind.
    pub kind: Option<String>,
    /// A part of the package or stream name, any case.
    pub text: Option<String>,
}

impl MoveFilter {
    pub fn keeps(&self, m: &Move) -> bool {
        let kind_ok = self
            .kind
            .as_deref()
            .is_none_or(|k| k.is_empty() || m.kind == k);
        let text_ok =
            self.text.as_deref().map(str::trim).is_none_or(|t| {
                t.is_empty() || m.package.to_lowercase().contains(&t.to_lowercase())
            });
        kind_ok && text_ok
    }
}

/// One image in a list.
#[derive(Debug, Clone, Serialize)]
pub struct ImageSummary {
    pub digest: String,
    pub refs: Vec<String>,
    pub os: Option<String>,
    pub open_findings: i64,
    pub chp_level: Option<i64>,
    pub first_seen: String,
    pub last_seen: String,
    pub updated: String,
    /// A tag this image was known by now points at another digest.
    pub stale: bool,
}

/// A finding in one image, for the vulnerability and package pages.
#[derive(Debug, Clone, Serialize)]
pub struct ImageFinding {
    pub digest: String,
    pub refs: Vec<String>,
    pub vuln_id: String,
    pub purl: String,
    pub package: String,
    pub version: String,
    pub severity: String,
    pub status: String,
    pub open: bool,
    pub known_exploited: bool,
    pub owner: String,
    pub tier: String,
    /// Who must act next (`none` when nobody must).
    pub party: String,
    #[serde(rename = "move")]
    pub kind: String,
    pub rule: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fixed_in: Option<String>,
    pub clock: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deadline: Option<String>,
    /// The introducing layer of the component (0-based), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer: Option<i64>,
}

/// `GET /api/v1/packages/{purl}`.
#[derive(Debug, Clone, Serialize)]
pub struct PackageAnswer {
    pub purl: String,
    pub images: Vec<PackageInImage>,
    /// Images holding it (`images` lists the first of them).
    pub image_total: i64,
    pub findings: Vec<ImageFinding>,
    /// Its findings in the fleet (`findings` lists the first of them).
    pub finding_total: i64,
}

/// A page of findings across images.
#[derive(Debug, Clone, Serialize)]
pub struct FindingPage {
    pub findings: Vec<ImageFinding>,
    /// Findings matching, on every page.
    pub total: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct PackageInImage {
    pub digest: String,
    pub refs: Vec<String>,
    pub layer: Option<i64>,
    pub owner: String,
    pub tier: String,
}

/// One event.
#[derive(Debug, Clone, Serialize)]
pub struct Event {
    pub seq: i64,
    pub time: String,
    pub kind: String,
    pub digest: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vuln_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub party: Option<String>,
    pub detail: String,
}

pub(crate) const EVENT_COLUMNS: &str =
    "seq, time, kind, digest, vuln_id, purl, severity, party, detail";

pub(crate) fn event_from_row(r: &[Value]) -> Event {
    let opt = |i: usize| r.get(i).and_then(Value::opt_text).map(str::to_string);
    Event {
        seq: r.first().map_or(0, Value::int),
        time: r.get(1).map_or("", Value::text).to_string(),
        kind: r.get(2).map_or("", Value::text).to_string(),
        digest: r.get(3).map_or("", Value::text).to_string(),
        vuln_id: opt(4),
        purl: opt(5),
        severity: opt(6),
        party: opt(7),
        detail: r.get(8).map_or("", Value::text).to_string(),
    }
}

/// The most rows one list answer holds.
pub const MAX_PAGE: i64 = 1000;

/// Images named per move in `/moves`.
pub const MOVE_IMAGES: i64 = 20;

fn severity_rank(s: &str) -> u8 {
    match s {
        "critical" => 0,
        "high" => 1,
        "medium" => 2,
        "low" => 3,
        "negligible" => 4,
        _ => 5,
    }
}

impl Fleet {
    pub fn summary(&self) -> Result<Summary, FleetError> {
        self.db.transaction(|conn| {
            let images = count(conn, "SELECT COUNT(*) FROM images")?;
            let stale_images = stale_digests(conn)?.len() as i64;
            let grouped = |conn: &mut dyn Conn, column: &str| -> Result<Vec<Count>, FleetError> {
                let mut out: Vec<Count> = conn
                    .query(
                        &format!(
                            "SELECT {column}, tier, severity, CAST(SUM(count) AS BIGINT) FROM image_counts
                             GROUP BY {column}, tier, severity"
                        ),
                        &[],
                    )?
                    .iter()
                    .map(|r| Count {
                        party: r[0].text().to_string(),
                        tier: r[1].text().to_string(),
                        severity: r[2].text().to_string(),
                        count: r[3].int(),
                    })
                    .collect();
                out.sort_by(|a, b| {
                    (&a.party, &a.tier, severity_rank(&a.severity))
                        .cmp(&(&b.party, &b.tier, severity_rank(&b.severity)))
                });
                Ok(out)
            };
            let open_by_owner = grouped(conn, "owner")?;
            let open_by_move = grouped(conn, "party")?;
            let chp_levels = conn
                .query("SELECT chp_level, COUNT(*) FROM images GROUP BY chp_level", &[])?
                .iter()
                .map(|r| {
                    let level = r[0].int();
                    let name = if level < 0 { "none".to_string() } else { level.to_string() };
                    (name, r[1].int())
                })
                .collect();
            let eol = conn
                .query(
                    "SELECT state, COUNT(*) FROM (SELECT DISTINCT digest, product, cycle, state FROM eol_streams) s GROUP BY state",
                    &[],
                )?
                .iter()
                .map(|r| (r[0].text().to_string(), r[1].int()))
                .collect();
            let pending_jobs = count(conn, "SELECT COUNT(*) FROM jobs")?;
            let store = crate::ingest::fleet_store(conn)?.filter(|s| !s.is_empty());
            Ok(Summary {
                images,
                stale_images,
                open_by_owner,
                open_by_move,
                chp_levels,
                eol,
                pending_jobs,
                store,
            })
        })
    }

    /// The moves of one party (`customer`, `vendor`, `upstream`) across the fleet, most
    /// findings fixed first; at most `limit` moves, each naming at most [`MOVE_IMAGES`] images.
    pub fn moves(&self, party: &str, limit: i64) -> Result<Vec<Move>, FleetError> {
        self.moves_where(party, &MoveFilter::default(), limit)
    }

    /// [`Fleet::moves`] narrowed by `filter` before ranking and the limit.
    pub fn moves_where(
        &self,
        party: &str,
        filter: &MoveFilter,
        limit: i64,
    ) -> Result<Vec<Move>, FleetError> {
        if !matches!(party, "customer" | "vendor" | "upstream") {
            return Err(FleetError::InvalidInput(format!(
                "party `{}` is not one of customer, vendor, upstream",
                party.chars().take(40).collect::<String>()
            )));
        }
        let limit = limit.clamp(1, MAX_PAGE) as usize;
        self.db.transaction(|conn| {
            let rows = conn.query(
                "SELECT kind, subject, fixed_in, CAST(SUM(findings) AS BIGINT),
                        CAST(SUM(critical) AS BIGINT), CAST(SUM(kev) AS BIGINT), COUNT(*),
                        CAST(SUM(running) AS BIGINT), CAST(SUM(breached) AS BIGINT),
                        MIN(next_deadline)
                 FROM move_groups WHERE party = $1 GROUP BY kind, subject, fixed_in",
                &[party.into()],
            )?;
            let mut moves: Vec<Move> = rows
                .iter()
                .map(|r| {
                    let kind = r[0].text().to_string();
                    let subject = r[1].text().to_string();
                    let fixed_in = r[2].text().to_string();
                    let (n, critical, kev, m) = (
                        r[3].int(),
                        r[4].int(),
                        r[5].int(),
                        r[6].int(),
                    );
                    let findings_word = if n == 1 { "finding" } else { "findings" };
                    let images_word = if m == 1 { "image" } else { "images" };
                    let action = match kind.as_str() {
                        "update" => format!(
                            "update to the newer build with {subject} {fixed_in}: fixes {n} {findings_word} ({critical} critical) in {m} {images_word}"
                        ),
                        "upgrade" => format!(
                            "replace {subject} (end of life) in these {m} {images_word}: {n} {findings_word}"
                        ),
                        "fix-own-content" => format!(
                            "fix {subject} in your own content: {n} {findings_word} ({critical} critical) in {m} {images_word}"
                        ),
                        "vendor-fix" => format!(
                            "the vendor must fix {subject}: {n} {findings_word} in {m} {images_word}"
                        ),
                        "upstream-fix" => format!(
                            "upstream must release a fix for {subject}: {n} {findings_word} in {m} {images_word}"
                        ),
                        _ => format!("{subject}: {n} {findings_word} in {m} {images_word}"),
                    };
                    Move {
                        party: party.to_string(),
                        kind,
                        action,
                        package: subject,
                        fixed_in: Some(fixed_in).filter(|f| !f.is_empty()),
                        findings: n,
                        critical,
                        known_exploited: kev,
                        image_count: m,
                        images: Vec::new(),
                        clocks: (party == "vendor").then(|| Clocks {
                            running: r[7].int(),
                            breached: r[8].int(),
                            next_deadline: r[9].opt_text().map(str::to_string),
                        }),
                        ids: Vec::new(),
                    }
                })
                .collect();
            moves.retain(|m| filter.keeps(m));
            moves.sort_by(|a, b| {
                (b.critical, b.known_exploited, b.findings, &a.kind, &a.package, &a.fixed_in)
                    .cmp(&(a.critical, a.known_exploited, a.findings, &b.kind, &b.package, &b.fixed_in))
            });
            moves.truncate(limit);
            for mv in &mut moves {
                let rows = conn.query(
                    &format!(
                        "SELECT digest, ids FROM move_groups
                         WHERE party = $1 AND kind = $2 AND subject = $3 AND fixed_in = $4
                         ORDER BY digest LIMIT {MOVE_IMAGES}"
                    ),
                    &[
                        party.into(),
                        mv.kind.as_str().into(),
                        mv.package.as_str().into(),
                        mv.fixed_in.clone().unwrap_or_default().into(),
                    ],
                )?;
                let mut ids = BTreeSet::new();
                for r in &rows {
                    mv.images.push(r[0].text().to_string());
                    ids.extend(r[1].text().split(' ').filter(|s| !s.is_empty()).map(str::to_string));
                }
                mv.ids = ids.into_iter().collect();
            }
            Ok(moves)
        })
    }

    /// Images ordered by digest, `limit` after `after`.
    pub fn images(&self, after: Option<&str>, limit: i64) -> Result<Vec<ImageSummary>, FleetError> {
        let limit = limit.clamp(1, MAX_PAGE);
        self.db.transaction(|conn| {
            let rows = conn.query(
                "SELECT digest, os, open_findings, chp_level, first_seen, last_seen, updated
                 FROM images WHERE digest > $1 ORDER BY digest LIMIT $2",
                &[after.unwrap_or("").into(), Value::Int(limit)],
            )?;
            let stale = stale_digests(conn)?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                let digest = r[0].text().to_string();
                out.push(ImageSummary {
                    refs: refs_of(conn, &digest)?,
                    os: r[1].opt_text().map(str::to_string),
                    open_findings: r[2].int(),
                    chp_level: Some(r[3].int()).filter(|l| *l >= 0),
                    first_seen: r[4].text().to_string(),
                    last_seen: r[5].text().to_string(),
                    updated: r[6].text().to_string(),
                    stale: stale.contains(&digest),
                    digest,
                });
            }
            Ok(out)
        })
    }

    /// The current report of one image (`onus.report/v2` JSON).
    pub fn image_report(&self, digest: &str) -> Result<Vec<u8>, FleetError> {
        if !is_digest(digest) {
            return Err(FleetError::NotFound(digest.chars().take(80).collect()));
        }
        self.db.transaction(|conn| {
            crate::ingest::read_report_json(conn, digest)?
                .ok_or_else(|| FleetError::NotFound(digest.to_string()))
        })
    }

    /// Every image with a finding for `id` (the finding's own id or one of its aliases): the
    /// first [`MAX_PAGE`].
    pub fn vulnerability(&self, id: &str) -> Result<Vec<ImageFinding>, FleetError> {
        Ok(self.vulnerability_page(id, 0, MAX_PAGE)?.findings)
    }

    /// One page of [`Fleet::vulnerability`], `limit` findings after the first `offset`.
    pub fn vulnerability_page(
        &self,
        id: &str,
        offset: i64,
        limit: i64,
    ) -> Result<FindingPage, FleetError> {
        self.findings_where(
            "f.vuln_id = $1 OR f.vuln_id IN (SELECT a.vuln_id FROM finding_aliases a WHERE a.alias = $1)",
            &[id.into()],
            offset,
            limit,
        )
    }

    /// Which images hold `purl`, in which layer, and its findings with their moves (the first
    /// [`MAX_PAGE`] of each).
    pub fn package(&self, purl: &str) -> Result<PackageAnswer, FleetError> {
        self.package_page(purl, MAX_PAGE)
    }

    /// [`Fleet::package`] with at most `limit` images and findings.
    pub fn package_page(&self, purl: &str, limit: i64) -> Result<PackageAnswer, FleetError> {
        let limit = limit.clamp(1, MAX_PAGE);
        let findings = self.findings_where("f.purl = $1", &[purl.into()], 0, limit)?;
        let (images, image_total) = self.db.transaction(|conn| {
            let total = conn
                .query_one(
                    "SELECT COUNT(DISTINCT digest) FROM components WHERE purl = $1",
                    &[purl.into()],
                )?
                .map_or(0, |r| r[0].int());
            let rows = conn.query(
                "SELECT digest, layer, owner, tier FROM components WHERE purl = $1
                 ORDER BY digest, layer LIMIT $2",
                &[purl.into(), Value::Int(limit)],
            )?;
            let digests: Vec<String> = rows.iter().map(|r| r[0].text().to_string()).collect();
            let refs = refs_map(conn, &digests)?;
            let images = rows
                .iter()
                .map(|r| {
                    let digest = r[0].text().to_string();
                    PackageInImage {
                        refs: refs.get(&digest).cloned().unwrap_or_default(),
                        layer: Some(r[1].int()).filter(|l| *l >= 0),
                        owner: r[2].text().to_string(),
                        tier: r[3].text().to_string(),
                        digest,
                    }
                })
                .collect();
            Ok((images, total))
        })?;
        Ok(PackageAnswer {
            purl: purl.to_string(),
            images,
            image_total,
            finding_total: findings.total,
            findings: findings.findings,
        })
    }

    fn findings_where(
        &self,
        filter: &str,
        params: &[Value],
        offset: i64,
        limit: i64,
    ) -> Result<FindingPage, FleetError> {
        let limit = limit.clamp(1, MAX_PAGE);
        let offset = offset.max(0);
        self.db.transaction(|conn| {
            let total = conn
                .query_one(
                    &format!("SELECT COUNT(*) FROM findings f WHERE {filter}"),
                    params,
                )?
                .map_or(0, |r| r[0].int());
            let columns: Vec<String> = FINDING_COLUMNS
                .split(", ")
                .map(|c| format!("f.{c}"))
                .collect();
            let rows = conn.query(
                &format!(
                    "SELECT {}, (SELECT MIN(c.layer) FROM components c WHERE c.purl = f.purl AND c.digest = f.digest)
                     FROM findings f WHERE {filter} ORDER BY f.digest, f.vuln_id, f.purl
                     LIMIT {limit} OFFSET {offset}",
                    columns.join(", ")
                ),
                params,
            )?;
            let found: Vec<(FindingRow, Option<i64>)> = rows
                .iter()
                .map(|r| {
                    (
                        FindingRow::from_row(r),
                        r.get(19).map(Value::int).filter(|l| *l >= 0),
                    )
                })
                .collect();
            let digests: Vec<String> = found.iter().map(|(f, _)| f.digest.clone()).collect();
            let refs = refs_map(conn, &digests)?;
            let findings = found
                .into_iter()
                .map(|(f, layer)| ImageFinding {
                    refs: refs.get(&f.digest).cloned().unwrap_or_default(),
                    digest: f.digest,
                    vuln_id: f.vuln_id,
                    purl: f.purl,
                    package: f.package,
                    version: f.version,
                    severity: f.severity,
                    status: f.status,
                    open: f.is_open,
                    known_exploited: f.kev,
                    owner: f.owner,
                    tier: f.tier,
                    party: f.party,
                    kind: f.kind,
                    rule: f.rule,
                    fixed_in: f.fixed_in,
                    clock: f.clock,
                    deadline: f.deadline,
                    layer,
                })
                .collect();
            Ok(FindingPage { findings, total })
        })
    }

    /// Events after sequence number `since`, oldest first.
    pub fn events(&self, since: i64, limit: i64) -> Result<Vec<Event>, FleetError> {
        let limit = limit.clamp(1, MAX_PAGE);
        self.db.transaction(|conn| {
            Ok(conn
                .query(
                    &format!(
                        "SELECT {EVENT_COLUMNS} FROM events WHERE seq > $1 ORDER BY seq LIMIT $2"
                    ),
                    &[Value::Int(since), Value::Int(limit)],
                )?
                .iter()
                .map(|r| event_from_row(r))
                .collect())
        })
    }

    /// The first event at or after `time` (RFC 3339), as a sequence number to list from.
    pub fn event_seq_at(&self, time: &str) -> Result<i64, FleetError> {
        self.db.transaction(|conn| {
            Ok(conn
                .query_one(
                    "SELECT MIN(seq) FROM events WHERE time >= $1",
                    &[time.into()],
                )?
                .map_or(i64::MAX, |r| match r[0] {
                    Value::Int(seq) => seq - 1,
                    _ => i64::MAX,
                }))
        })
    }
}

fn count(conn: &mut dyn Conn, sql: &str) -> Result<i64, FleetError> {
    Ok(conn.query_one(sql, &[])?.map_or(0, |r| r[0].int()))
}

pub(crate) fn refs_of(conn: &mut dyn Conn, digest: &str) -> Result<Vec<String>, FleetError> {
    Ok(conn
        .query(
            "SELECT repository, tag FROM image_refs WHERE digest = $1 ORDER BY repository, tag",
            &[digest.into()],
        )?
        .iter()
        .map(|r| format!("{}:{}", r[0].text(), r[1].text()))
        .collect())
}

/// The references of each digest, one query per 500 digests.
pub(crate) fn refs_map(
    conn: &mut dyn Conn,
    digests: &[String],
) -> Result<BTreeMap<String, Vec<String>>, FleetError> {
    let unique: Vec<&String> = digests
        .iter()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut out: BTreeMap<String, Vec<String>> =
        unique.iter().map(|d| ((*d).clone(), Vec::new())).collect();
    for chunk in unique.chunks(500) {
        let placeholders: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let params: Vec<Value> = chunk.iter().map(|d| d.as_str().into()).collect();
        let rows = conn.query(
            &format!(
                "SELECT digest, repository, tag FROM image_refs WHERE digest IN ({})
                 ORDER BY digest, repository, tag",
                placeholders.join(", ")
            ),
            &params,
        )?;
        for r in rows {
            out.entry(r[0].text().to_string())
                .or_default()
                .push(format!("{}:{}", r[1].text(), r[2].text()));
        }
    }
    Ok(out)
}

/// Digests a tag pointed at before it moved to another digest.
fn stale_digests(conn: &mut dyn Conn) -> Result<BTreeSet<String>, FleetError> {
    let rows = conn.query(
        "SELECT r.digest FROM image_refs r WHERE EXISTS (
           SELECT 1 FROM image_refs n WHERE n.repository = r.repository AND n.tag = r.tag
             AND n.digest <> r.digest AND n.seen > r.seen)",
        &[],
    )?;
    Ok(rows.iter().map(|r| r[0].text().to_string()).collect())
}

/// `LIKE` with `!` as the escape character: ids are matched literally.
pub(crate) fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '!') {
            out.push('!');
        }
        out.push(c);
    }
    out
}
