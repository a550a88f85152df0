//! Submissions in: a report from `onus scan --format json`, or an SBOM (onus, CycloneDX, SPDX)
//! with its image's digest. Each is re-assessed with the service's store (the service's store is
//! the one truth the fleet is matched against) and written with its rows, keys and tag history.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use onus_inventory::Sbom;
use onus_report::{Report, REPORT_SCHEMA};
use serde::Serialize;

use crate::db::{Conn, Value};
use crate::error::FleetError;
use crate::{timestamp, Fleet, FleetStore};

/// A parsed submission, before assessment.
#[derive(Debug)]
pub struct Submission {
    pub digest: String,
    pub sbom: Sbom,
    /// The submitted report, when it was one (its base boundary, kind and CHP are kept).
    pub report: Option<Report>,
    /// `repository:tag` references the image is known by.
    pub refs: Vec<String>,
}

/// The most a submission may hold, so one request cannot exhaust the server.
const MAX_COMPONENTS: usize = 200_000;

impl Submission {
    /// Parse a report or SBOM. `digest` and `refs` come from the request and fill in what the
    /// document lacks.
    pub fn parse(
        bytes: &[u8],
        digest: Option<&str>,
        refs: &[String],
    ) -> Result<Submission, FleetError> {
        let probe: Probe = serde_json::from_slice(bytes)
            .map_err(|e| FleetError::InvalidInput(format!("not a JSON object: {e}")))?;
        let (sbom, report) = if probe.schema.as_deref() == Some(REPORT_SCHEMA) {
            let report: Report = serde_json::from_slice(bytes).map_err(|e| {
                FleetError::InvalidInput(format!("invalid `{REPORT_SCHEMA}` report: {e}"))
            })?;
            (report.sbom(), Some(report))
        } else if probe
            .schema
            .as_deref()
            .is_some_and(|s| s.starts_with("onus.report/"))
        {
            return Err(FleetError::InvalidInput(format!(
                "report schema `{}` is not supported: submit `{REPORT_SCHEMA}`",
                probe.schema.unwrap_or_default()
            )));
        } else {
            let sbom = onus_vuln::read_sbom(bytes)
                .map_err(|e| FleetError::InvalidInput(error_chain(&e)))?;
            (sbom, None)
        };
        if sbom.components.len() > MAX_COMPONENTS {
            return Err(FleetError::InvalidInput(format!(
                "{} components is more than the {MAX_COMPONENTS} a submission may hold",
                sbom.components.len()
            )));
        }
        let digest = sbom
            .image
            .manifest_digest
            .clone()
            .or_else(|| digest.map(str::to_string))
            .ok_or(FleetError::UnknownImage)?;
        if !is_digest(&digest) {
            return Err(FleetError::InvalidInput(format!(
                "`{}` is not a sha256 manifest digest",
                digest.chars().take(80).collect::<String>()
            )));
        }
        let mut all_refs: BTreeSet<String> = BTreeSet::new();
        for r in refs {
            all_refs.insert(normalise_ref(r)?);
        }
        if sbom.source.scheme == "registry" {
            if let Ok(r) = normalise_ref(&sbom.source.location) {
                all_refs.insert(r);
            }
        }
        Ok(Submission {
            digest,
            sbom,
            report,
            refs: all_refs.into_iter().collect(),
        })
    }
}

#[derive(serde::Deserialize)]
struct Probe {
    #[serde(default)]
    schema: Option<String>,
}

/// An error and its causes on one line (the service's messages and logs).
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

pub(crate) fn is_digest(s: &str) -> bool {
    s.strip_prefix("sha256:")
        .is_some_and(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// `registry/repository:tag` (Docker reference syntax, normalised); digests are dropped since
/// the image's digest is known.
fn normalise_ref(input: &str) -> Result<String, FleetError> {
    let r = onus_registry::Reference::parse(input)
        .map_err(|e| FleetError::InvalidInput(error_chain(&e)))?;
    let tag = r.tag.clone().unwrap_or_else(|| "latest".to_string());
    Ok(format!("{}/{}:{tag}", r.registry, r.repository))
}

/// What an ingest did.
#[derive(Debug, Clone, Serialize)]
pub struct Ingested {
    pub digest: String,
    /// `false` when the image was already in the fleet (the submission is idempotent).
    pub created: bool,
    pub open_findings: usize,
}

impl Fleet {
    /// Assess a submission with `store` and write it. A digest already in the fleet is not
    /// assessed again (its findings are kept current by re-matching); its refs are recorded.
    pub fn ingest(
        &self,
        submission: Submission,
        store: &FleetStore,
        now: DateTime<Utc>,
    ) -> Result<Ingested, FleetError> {
        let known = self.db.transaction(|conn| {
            let row = conn.query_one(
                "SELECT open_findings FROM images WHERE digest = $1",
                &[Value::from(&submission.digest)],
            )?;
            if let Some(row) = &row {
                record_refs(conn, &submission.digest, &submission.refs, now)?;
                conn.exec(
                    "UPDATE images SET last_seen = $1 WHERE digest = $2",
                    &[timestamp(now).into(), Value::from(&submission.digest)],
                )?;
                return Ok(Some(row[0].int()));
            }
            Ok(None)
        })?;
        if let Some(open) = known {
            return Ok(Ingested {
                digest: submission.digest,
                created: false,
                open_findings: open.max(0) as usize,
            });
        }
        let assessed = self
            .assessor
            .assess(
                submission.sbom,
                submission.report.as_ref(),
                store,
                now,
                &onus_fs::NoReporter,
            )
            .map_err(|source| FleetError::Assess {
                digest: submission.digest.clone(),
                source: Box::new(source),
            })?;
        self.ingest_assessed(submission.digest, &submission.refs, assessed, store, now)
    }

    /// Pull and scan an image from its registry reference, then write it (one assessment, with
    /// the image's own files, so CHP is computed too).
    pub fn ingest_reference(
        &self,
        reference: &str,
        options: &onus_image::OpenOptions,
        store: &FleetStore,
        now: DateTime<Utc>,
    ) -> Result<Ingested, FleetError> {
        let refs = [normalise_ref(reference)?];
        let assessed = self
            .assessor
            .scan(reference, options, store, now, &onus_fs::NoReporter)
            .map_err(|source| FleetError::Assess {
                digest: reference.to_string(),
                source: Box::new(source),
            })?;
        let digest = assessed
            .report
            .image
            .info
            .manifest_digest
            .clone()
            .ok_or(FleetError::UnknownImage)?;
        self.ingest_assessed(digest, &refs, assessed, store, now)
    }

    /// Write an assessed image with its refs; an image already in the fleet only gets its refs
    /// recorded (two submissions of one new image may race to here).
    fn ingest_assessed(
        &self,
        digest: String,
        refs: &[String],
        assessed: onus_scan::Assessed,
        store: &FleetStore,
        now: DateTime<Utc>,
    ) -> Result<Ingested, FleetError> {
        let mut report = assessed.report;
        report.image.info.manifest_digest = Some(digest.clone());
        let open = report.summary.open;
        let created = self.db.transaction(|conn| {
            let exists = conn
                .query_one(
                    "SELECT 1 FROM images WHERE digest = $1",
                    &[Value::from(&digest)],
                )?
                .is_some();
            if exists {
                conn.exec(
                    "UPDATE images SET last_seen = $1 WHERE digest = $2",
                    &[timestamp(now).into(), Value::from(&digest)],
                )?;
            } else {
                write_image(
                    conn,
                    &digest,
                    &report,
                    &assessed.lookups,
                    &store.fingerprint,
                    now,
                    Write::New,
                )?;
                conn.exec(
                    "INSERT INTO events (time, kind, digest, detail, webhook, attempts)
                     VALUES ($1, 'image_added', $2, $3, 0, 0)",
                    &[
                        timestamp(now).into(),
                        Value::from(&digest),
                        format!("{open} open findings").into(),
                    ],
                )?;
                // Assessed with a store the fleet has not caught up with (or has moved past):
                // re-match it once the fleet's store is known.
                if let Some(fleet_store) = fleet_store(conn)? {
                    if fleet_store != store.fingerprint {
                        queue_jobs(conn, std::slice::from_ref(&digest), &fleet_store, now)?;
                    }
                }
            }
            record_refs(conn, &digest, refs, now)?;
            Ok(!exists)
        })?;
        Ok(Ingested {
            digest,
            created,
            open_findings: open,
        })
    }
}

pub(crate) fn fleet_store(conn: &mut dyn Conn) -> Result<Option<String>, FleetError> {
    Ok(conn
        .query_one("SELECT value FROM fleet_state WHERE key = 'store'", &[])?
        .map(|row| row[0].text().to_string()))
}

pub(crate) fn queue_jobs(
    conn: &mut dyn Conn,
    digests: &[String],
    store: &str,
    now: DateTime<Utc>,
) -> Result<(), FleetError> {
    let rows: Vec<Vec<Value>> = digests
        .iter()
        .map(|d| vec![d.into(), store.into(), timestamp(now).into()])
        .collect();
    insert_rows(
        conn,
        "INSERT INTO jobs (digest, store, created) VALUES",
        " ON CONFLICT (digest, store) DO NOTHING",
        rows,
    )
}

/// Record `refs` for `digest`; a tag that pointed elsewhere before gets a `tag_moved` event.
fn record_refs(
    conn: &mut dyn Conn,
    digest: &str,
    refs: &[String],
    now: DateTime<Utc>,
) -> Result<(), FleetError> {
    let now_text = timestamp(now);
    for r in refs {
        let Some((repository, tag)) = r.rsplit_once(':') else {
            continue;
        };
        let seen = conn
            .query_one("SELECT COALESCE(MAX(seen), 0) + 1 FROM image_refs", &[])?
            .map_or(1, |row| row[0].int());
        let previous = conn.query_one(
            "SELECT digest FROM image_refs WHERE repository = $1 AND tag = $2
             ORDER BY seen DESC LIMIT 1",
            &[repository.into(), tag.into()],
        )?;
        let changed = conn.exec(
            "UPDATE image_refs SET last_seen = $1, seen = $2
             WHERE repository = $3 AND tag = $4 AND digest = $5",
            &[
                now_text.as_str().into(),
                Value::Int(seen),
                repository.into(),
                tag.into(),
                digest.into(),
            ],
        )?;
        if changed == 0 {
            conn.exec(
                "INSERT INTO image_refs (repository, tag, digest, first_seen, last_seen, seen)
                 VALUES ($1, $2, $3, $4, $4, $5)",
                &[
                    repository.into(),
                    tag.into(),
                    digest.into(),
                    now_text.as_str().into(),
                    Value::Int(seen),
                ],
            )?;
        }
        let moved_from = previous
            .map(|row| row[0].text().to_string())
            .filter(|p| p != digest);
        if let Some(previous) = moved_from {
            conn.exec(
                "INSERT INTO events (time, kind, digest, detail, webhook, attempts)
                 VALUES ($1, 'tag_moved', $2, $3, 0, 0)",
                &[
                    now_text.as_str().into(),
                    digest.into(),
                    format!("{r} moved from {previous} to {digest}").into(),
                ],
            )?;
        }
    }
    Ok(())
}

/// Whether an image is new or its report is being replaced by a re-match (same inventory).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Write {
    New,
    Rematch,
}

/// Reports are kept as zstd-compressed JSON (a tenth of the size: less to write per re-match).
fn pack_report(digest: &str, report: &Report) -> Result<Vec<u8>, FleetError> {
    let json = serde_json::to_vec(report).map_err(|e| FleetError::Corrupt {
        digest: digest.to_string(),
        message: format!("cannot serialise the report: {e}"),
    })?;
    zstd::bulk::compress(&json, 3).map_err(|e| FleetError::Corrupt {
        digest: digest.to_string(),
        message: format!("cannot compress the report: {e}"),
    })
}

/// The JSON of a stored report; `None` when the image is not in the fleet.
pub(crate) fn read_report_json(
    conn: &mut dyn Conn,
    digest: &str,
) -> Result<Option<Vec<u8>>, FleetError> {
    let Some(row) = conn.query_one(
        "SELECT report FROM image_reports WHERE digest = $1",
        &[digest.into()],
    )?
    else {
        return Ok(None);
    };
    // Decompressed with a bound: a report is at most a few hundred MB even for huge images.
    let packed = row[0].blob();
    let mut out = Vec::new();
    let mut decoder =
        zstd::stream::read::Decoder::new(packed).map_err(|e| FleetError::Corrupt {
            digest: digest.to_string(),
            message: format!("cannot decompress the stored report: {e}"),
        })?;
    std::io::Read::read_to_end(
        &mut std::io::Read::take(&mut decoder, MAX_REPORT_BYTES),
        &mut out,
    )
    .map_err(|e| FleetError::Corrupt {
        digest: digest.to_string(),
        message: format!("cannot decompress the stored report: {e}"),
    })?;
    Ok(Some(out))
}

/// The largest report JSON the fleet reads back.
const MAX_REPORT_BYTES: u64 = 1 << 30;

/// Write (or replace) an image's report and every row derived from it.
pub(crate) fn write_image(
    conn: &mut dyn Conn,
    digest: &str,
    report: &Report,
    lookups: &BTreeSet<String>,
    store: &str,
    now: DateTime<Utc>,
    write: Write,
) -> Result<(), FleetError> {
    let packed = pack_report(digest, report)?;
    let now_text = timestamp(now);
    let os = report.image.info.os.as_ref().map(|o| {
        format!("{} {}", o.id, o.version_id.as_deref().unwrap_or(""))
            .trim()
            .to_string()
    });
    let chp = report.chp.as_ref().map_or(-1, |c| i64::from(c.level));
    let open = report.summary.open as i64;
    let kind = image_kind(report);
    match write {
        Write::New => {
            conn.exec(
                "INSERT INTO images (digest, os, chp_level, open_findings, store, first_seen,
                                     last_seen, updated, kind)
                 VALUES ($1, $2, $3, $4, $5, $6, $6, $6, $7)",
                &[
                    digest.into(),
                    os.into(),
                    chp.into(),
                    open.into(),
                    store.into(),
                    now_text.as_str().into(),
                    kind.into(),
                ],
            )?;
            conn.exec(
                "INSERT INTO image_reports (digest, report) VALUES ($1, $2)",
                &[digest.into(), Value::Blob(packed)],
            )?;
        }
        Write::Rematch => {
            conn.exec(
                "UPDATE images SET os = $1, chp_level = $2, open_findings = $3, store = $4,
                        updated = $5 WHERE digest = $6",
                &[
                    os.into(),
                    chp.into(),
                    open.into(),
                    store.into(),
                    now_text.as_str().into(),
                    digest.into(),
                ],
            )?;
            conn.exec(
                "UPDATE image_reports SET report = $1 WHERE digest = $2",
                &[Value::Blob(packed), digest.into()],
            )?;
        }
    }
    // Open findings per party before this write, for the trend.
    let before: BTreeMap<String, i64> = conn
        .query(
            "SELECT party, CAST(SUM(count) AS BIGINT) FROM image_counts WHERE digest = $1 GROUP BY party",
            &[digest.into()],
        )?
        .iter()
        .map(|r| (r[0].text().to_string(), r[1].int()))
        .collect();
    for table in ["findings", "eol_streams", "image_counts", "move_groups"] {
        conn.exec(
            &format!("DELETE FROM {table} WHERE digest = $1"),
            &[digest.into()],
        )?;
    }
    // Keys change little between matches: only the difference is written.
    let old_keys: BTreeSet<String> = match write {
        Write::New => BTreeSet::new(),
        Write::Rematch => conn
            .query(
                "SELECT key FROM image_keys WHERE digest = $1",
                &[digest.into()],
            )?
            .into_iter()
            .map(|r| r[0].text().to_string())
            .collect(),
    };
    for gone in old_keys.difference(lookups) {
        conn.exec(
            "DELETE FROM image_keys WHERE key = $1 AND digest = $2",
            &[gone.into(), digest.into()],
        )?;
    }
    insert_rows(
        conn,
        "INSERT INTO image_keys (key, digest) VALUES",
        "",
        lookups
            .difference(&old_keys)
            .map(|k| vec![k.into(), digest.into()])
            .collect(),
    )?;
    // The inventory does not change on a re-match.
    if write == Write::New {
        insert_rows(
            conn,
            "INSERT INTO components (digest, purl, name, version, ecosystem, layer, owner, tier) VALUES",
            "",
            report
                .components
                .iter()
                .map(|c| {
                    let a = c.attribution.as_ref();
                    vec![
                        digest.into(),
                        c.component.purl.as_str().into(),
                        c.component.name.as_str().into(),
                        c.component.version.as_str().into(),
                        serde_label(&c.component.ecosystem).into(),
                        c.component.layer.map_or(-1, |l| l as i64).into(),
                        a.map_or("", |a| a.party.as_str()).into(),
                        a.map_or("", |a| a.tier.as_str()).into(),
                    ]
                })
                .collect(),
        )?;
    }
    let mut seen = BTreeSet::new();
    let rows: Vec<FindingRow> = report
        .findings
        .iter()
        .filter(|f| seen.insert((f.finding.id.clone(), f.finding.purl.clone())))
        .map(|f| finding_row(digest, f))
        .collect();
    write_aggregates(conn, digest, kind, &rows)?;
    insert_aliases(
        conn,
        rows.iter()
            .flat_map(|f| {
                f.ids
                    .split('|')
                    .filter(|a| !a.is_empty())
                    .map(|a| (a.to_string(), f.vuln_id.clone()))
            })
            .collect(),
    )?;
    record_trend(conn, &before, &rows, now)?;
    let finding_rows = rows.into_iter().map(FindingRow::into_values).collect();
    insert_rows(
        conn,
        "INSERT INTO findings (digest, vuln_id, purl, ids, package, version, severity, status,
                               is_open, kev, owner, tier, party, move, rule, fixed_in, clock,
                               deadline, stream) VALUES",
        "",
        finding_rows,
    )?;
    let mut streams = BTreeMap::new();
    for e in &report.eol {
        streams
            .entry((e.product.clone(), e.version.clone()))
            .or_insert_with(|| {
                vec![
                    digest.into(),
                    e.product.as_str().into(),
                    e.cycle.clone().unwrap_or_default().into(),
                    e.version.as_str().into(),
                    e.state.as_str().into(),
                    e.supported_cycle.clone().into(),
                ]
            });
    }
    insert_rows(
        conn,
        "INSERT INTO eol_streams (digest, product, cycle, version, state, supported_cycle) VALUES",
        "",
        streams.into_values().collect(),
    )
}

/// `application`, `base` or `unknown`: which of the model's two pyramids the image counts in.
fn image_kind(report: &Report) -> &'static str {
    match report.image.kind.as_ref().map(|k| k.value) {
        Some(onus_attribution::ImageKind::Application) => "application",
        Some(onus_attribution::ImageKind::Base) => "base",
        None => "unknown",
    }
}

/// Add this write's change of open findings per party to the day's row of the trend, so the
/// dashboard draws open findings over time from a few rows a day, whatever the fleet's size.
fn record_trend(
    conn: &mut dyn Conn,
    before: &BTreeMap<String, i64>,
    rows: &[FindingRow],
    now: DateTime<Utc>,
) -> Result<(), FleetError> {
    let mut delta: BTreeMap<&str, i64> = BTreeMap::new();
    for (party, n) in before {
        *delta.entry(party.as_str()).or_default() -= n;
    }
    for f in rows.iter().filter(|f| f.is_open) {
        *delta.entry(f.party.as_str()).or_default() += 1;
    }
    let day = now.format("%Y-%m-%d").to_string();
    for (party, n) in delta.into_iter().filter(|(p, n)| *n != 0 && *p != "none") {
        conn.exec(
            "INSERT INTO open_trend (day, party, delta) VALUES ($1, $2, $3)
             ON CONFLICT (day, party) DO UPDATE SET delta = open_trend.delta + excluded.delta",
            &[day.as_str().into(), party.into(), Value::Int(n)],
        )?;
    }
    Ok(())
}

/// The moves a finding belongs to: upgrades by release stream, updates by package and fixed
/// version, the rest by package.
pub(crate) fn move_group(f: &FindingRow) -> (String, String) {
    match f.kind.as_str() {
        "upgrade" => (
            f.stream.clone().unwrap_or_else(|| f.package.clone()),
            String::new(),
        ),
        "update" => (f.package.clone(), f.fixed_in.clone().unwrap_or_default()),
        _ => (f.package.clone(), String::new()),
    }
}

/// Per-image aggregates of the open findings: counts by owner, move party, tier and severity
/// (the summary adds them up) and one row per move group (the moves answer adds them up), so
/// fleet-wide answers read thousands of rows, not every finding.
fn write_aggregates(
    conn: &mut dyn Conn,
    digest: &str,
    kind: &str,
    rows: &[FindingRow],
) -> Result<(), FleetError> {
    let mut counts: BTreeMap<(&str, &str, &str, &str), i64> = BTreeMap::new();
    #[derive(Default)]
    struct Group {
        findings: i64,
        critical: i64,
        kev: i64,
        running: i64,
        breached: i64,
        next_deadline: Option<String>,
        ids: BTreeSet<String>,
    }
    let mut groups: BTreeMap<(String, String, String, String), Group> = BTreeMap::new();
    for f in rows.iter().filter(|f| f.is_open) {
        *counts
            .entry((&f.owner, &f.party, &f.tier, &f.severity))
            .or_default() += 1;
        if f.party == "none" {
            continue;
        }
        let (subject, fixed_in) = move_group(f);
        let g = groups
            .entry((f.party.clone(), f.kind.clone(), subject, fixed_in))
            .or_default();
        g.findings += 1;
        g.critical += i64::from(f.severity == "critical");
        g.kev += i64::from(f.kev);
        match f.clock.as_str() {
            "running" => {
                g.running += 1;
                if let Some(d) = &f.deadline {
                    if g.next_deadline.as_ref().is_none_or(|cur| d < cur) {
                        g.next_deadline = Some(d.clone());
                    }
                }
            }
            "breached" => g.breached += 1,
            _ => {}
        }
        g.ids.insert(f.vuln_id.clone());
    }
    insert_rows(
        conn,
        "INSERT INTO image_counts (digest, kind, owner, party, tier, severity, count) VALUES",
        "",
        counts
            .into_iter()
            .map(|((owner, party, tier, severity), n)| {
                vec![
                    digest.into(),
                    kind.into(),
                    owner.into(),
                    party.into(),
                    tier.into(),
                    severity.into(),
                    Value::Int(n),
                ]
            })
            .collect(),
    )?;
    insert_rows(
        conn,
        "INSERT INTO move_groups (digest, party, kind, subject, fixed_in, findings, critical, kev,
                                  running, breached, next_deadline, ids) VALUES",
        "",
        groups
            .into_iter()
            .map(|((party, kind, subject, fixed_in), g)| {
                let ids: Vec<String> = g.ids.into_iter().collect();
                vec![
                    digest.into(),
                    party.into(),
                    kind.into(),
                    subject.into(),
                    fixed_in.into(),
                    Value::Int(g.findings),
                    Value::Int(g.critical),
                    Value::Int(g.kev),
                    Value::Int(g.running),
                    Value::Int(g.breached),
                    g.next_deadline.into(),
                    ids.join(" ").into(),
                ]
            })
            .collect(),
    )
}

/// A finding as the fleet keeps it: enough to group, compare and answer queries.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FindingRow {
    pub digest: String,
    pub vuln_id: String,
    pub purl: String,
    pub ids: String,
    pub package: String,
    pub version: String,
    pub severity: String,
    pub status: String,
    pub is_open: bool,
    pub kev: bool,
    pub owner: String,
    pub tier: String,
    pub party: String,
    pub kind: String,
    pub rule: String,
    pub fixed_in: Option<String>,
    pub clock: String,
    pub deadline: Option<String>,
    pub stream: Option<String>,
}

/// The column list every finding query selects, in [`FindingRow::from_row`] order.
pub(crate) const FINDING_COLUMNS: &str = "digest, vuln_id, purl, ids, package, version, severity, \
     status, is_open, kev, owner, tier, party, move, rule, fixed_in, clock, deadline, stream";

impl FindingRow {
    fn into_values(self) -> Vec<Value> {
        vec![
            self.digest.into(),
            self.vuln_id.into(),
            self.purl.into(),
            self.ids.into(),
            self.package.into(),
            self.version.into(),
            self.severity.into(),
            self.status.into(),
            Value::Int(i64::from(self.is_open)),
            Value::Int(i64::from(self.kev)),
            self.owner.into(),
            self.tier.into(),
            self.party.into(),
            self.kind.into(),
            self.rule.into(),
            self.fixed_in.into(),
            self.clock.into(),
            self.deadline.into(),
            self.stream.into(),
        ]
    }

    pub(crate) fn from_row(row: &[Value]) -> FindingRow {
        let text = |i: usize| row.get(i).map_or("", Value::text).to_string();
        let opt = |i: usize| row.get(i).and_then(Value::opt_text).map(str::to_string);
        let int = |i: usize| row.get(i).map_or(0, Value::int);
        FindingRow {
            digest: text(0),
            vuln_id: text(1),
            purl: text(2),
            ids: text(3),
            package: text(4),
            version: text(5),
            severity: text(6),
            status: text(7),
            is_open: int(8) != 0,
            kev: int(9) != 0,
            owner: text(10),
            tier: text(11),
            party: text(12),
            kind: text(13),
            rule: text(14),
            fixed_in: opt(15),
            clock: text(16),
            deadline: opt(17),
            stream: opt(18),
        }
    }
}

pub(crate) fn finding_row(digest: &str, f: &onus_report::ReportFinding) -> FindingRow {
    let mut ids = String::from("|");
    for id in std::iter::once(&f.finding.id).chain(&f.finding.aliases) {
        ids.push_str(id);
        ids.push('|');
    }
    FindingRow {
        digest: digest.to_string(),
        vuln_id: f.finding.id.clone(),
        purl: f.finding.purl.clone(),
        ids,
        package: f.finding.package.clone(),
        version: f.finding.version.clone(),
        severity: f.finding.severity.as_str().to_string(),
        status: f.finding.status.as_str().to_string(),
        is_open: f.is_open(),
        kev: f.finding.known_exploited,
        owner: f.owner.as_str().to_string(),
        tier: f.tier.as_str().to_string(),
        party: f.next.party.map_or("none", |p| p.as_str()).to_string(),
        kind: f.next.kind.as_str().to_string(),
        rule: f.next.rule.id().to_string(),
        fixed_in: f.next.fixed_in.clone(),
        clock: f
            .sla
            .as_ref()
            .map_or("none", |c| c.state.as_str())
            .to_string(),
        deadline: f
            .sla
            .as_ref()
            .and_then(|c| c.deadline)
            .map(crate::timestamp),
        stream: f.stream.as_ref().map(|s| match &s.cycle {
            Some(cycle) => format!("{} {cycle}", s.product),
            None => s.product.clone(),
        }),
    }
}

/// A serde unit-variant name (`apk`, `deb`, `pypi`), for enums without an `as_str`.
fn serde_label<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

/// Multi-row `INSERT`s, a bounded number of parameters per statement (PostgreSQL allows 65535).
/// Record which ids each vulnerability is known by (kept once for the fleet, never removed:
/// an id that no image has any more matches no finding).
pub(crate) fn insert_aliases(
    conn: &mut dyn Conn,
    pairs: BTreeSet<(String, String)>,
) -> Result<(), FleetError> {
    insert_rows(
        conn,
        "INSERT INTO finding_aliases (alias, vuln_id) VALUES",
        " ON CONFLICT (alias, vuln_id) DO NOTHING",
        pairs
            .into_iter()
            .map(|(alias, vuln_id)| vec![alias.into(), vuln_id.into()])
            .collect(),
    )
}

pub(crate) fn insert_rows(
    conn: &mut dyn Conn,
    head: &str,
    tail: &str,
    rows: Vec<Vec<Value>>,
) -> Result<(), FleetError> {
    let Some(width) = rows.first().map(Vec::len) else {
        return Ok(());
    };
    let per_statement = (4000 / width.max(1)).max(1);
    for chunk in rows.chunks(per_statement) {
        let mut sql = String::from(head);
        let mut params = Vec::with_capacity(chunk.len() * width);
        for (r, row) in chunk.iter().enumerate() {
            sql.push_str(if r == 0 { " (" } else { ", (" });
            for c in 0..width {
                if c > 0 {
                    sql.push_str(", ");
                }
                sql.push_str(&format!("${}", r * width + c + 1));
            }
            sql.push(')');
            params.extend(row.iter().cloned());
        }
        sql.push_str(tail);
        conn.exec(&sql, &params)?;
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn submissions_need_a_digest_and_valid_json() {
        assert!(matches!(
            Submission::parse(b"not json", None, &[]),
            Err(FleetError::InvalidInput(_))
        ));
        let sbom = br#"{"schema":"onus.sbom/v1","source":{"scheme":"dir","location":"x"},"image":{"layers":[]},"components":[]}"#;
        assert!(matches!(
            Submission::parse(sbom, None, &[]),
            Err(FleetError::UnknownImage)
        ));
        assert!(matches!(
            Submission::parse(sbom, Some("sha256:short"), &[]),
            Err(FleetError::InvalidInput(_))
        ));
        let digest = format!("sha256:{}", "a".repeat(64));
        let s = Submission::parse(sbom, Some(&digest), &["localhost:5000/app:1".into()]).unwrap();
        assert_eq!(s.digest, digest);
        assert_eq!(s.refs, vec!["localhost:5000/app:1".to_string()]);
        assert!(matches!(
            Submission::parse(br#"{"schema":"onus.report/v1"}"#, None, &[]),
            Err(FleetError::InvalidInput(_))
        ));
    }
}
