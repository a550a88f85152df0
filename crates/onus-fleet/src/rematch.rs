//! Continuous re-matching: when the store changes, only the images whose reports read a changed
//! store key are queued; each job re-assesses one image in its own transaction and records what
//! changed as events.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use onus_report::Report;
use serde::Serialize;

use crate::db::{Conn, Value};
use crate::error::FleetError;
use crate::ingest::{
    finding_row, insert_rows, queue_jobs, read_report_json, write_image, FindingRow, Write,
    FINDING_COLUMNS,
};
use crate::schema::for_update_skip_locked;
use crate::{timestamp, Fleet, FleetStore};

/// What [`Fleet::refresh`] found.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Refreshed {
    /// The store's fingerprint (`sha256:…`).
    pub store: String,
    /// `false` when the fleet already reflected this store.
    pub changed: bool,
    /// Store keys whose rows changed.
    pub changed_keys: usize,
    /// Images queued for re-matching.
    pub queued: usize,
}

/// What one job did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobOutcome {
    pub digest: String,
    pub events: usize,
}

/// How many keys one `IN (…)` lookup names.
const KEYS_PER_QUERY: usize = 500;

impl Fleet {
    /// Make the fleet reflect `store`: compare its per-key digests with the ones the fleet's
    /// reports reflect, and queue the images that read a changed key. Idempotent, and safe
    /// with several servers (the state row is locked on PostgreSQL).
    pub fn refresh(&self, store: &FleetStore, now: DateTime<Utc>) -> Result<Refreshed, FleetError> {
        self.db.transaction(|conn| {
            conn.exec(
                "INSERT INTO fleet_state (key, value) VALUES ('store', '') ON CONFLICT (key) DO NOTHING",
                &[],
            )?;
            let lock = match conn.backend() {
                crate::Backend::Postgres => " FOR UPDATE",
                crate::Backend::Sqlite => "",
            };
            let current = conn
                .query_one(
                    &format!("SELECT value FROM fleet_state WHERE key = 'store'{lock}"),
                    &[],
                )?
                .map(|r| r[0].text().to_string())
                .unwrap_or_default();
            if current == store.fingerprint {
                return Ok(Refreshed {
                    store: store.fingerprint.clone(),
                    ..Refreshed::default()
                });
            }
            let old: BTreeMap<String, String> = conn
                .query("SELECT key, digest FROM store_keys", &[])?
                .into_iter()
                .map(|r| (r[0].text().to_string(), r[1].text().to_string()))
                .collect();
            let mut changed: Vec<&String> = Vec::new();
            for (key, digest) in store.digests.iter() {
                if old.get(key) != Some(digest) {
                    changed.push(key);
                }
            }
            let removed: Vec<&String> = old
                .keys()
                .filter(|k| !store.digests.contains_key(*k))
                .collect();

            let mut digests: BTreeSet<String> = BTreeSet::new();
            for chunk in changed
                .iter()
                .chain(removed.iter())
                .copied()
                .collect::<Vec<_>>()
                .chunks(KEYS_PER_QUERY)
            {
                let placeholders: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
                let params: Vec<Value> = chunk.iter().map(|k| Value::from(*k)).collect();
                for row in conn.query(
                    &format!(
                        "SELECT DISTINCT digest FROM image_keys WHERE key IN ({})",
                        placeholders.join(", ")
                    ),
                    &params,
                )? {
                    digests.insert(row[0].text().to_string());
                }
            }
            // Images assessed with a store that was never the fleet's (submitted while the
            // fleet moved on) are re-matched too.
            for row in conn.query(
                "SELECT digest FROM images WHERE store <> $1 AND store <> $2",
                &[Value::from(&current), Value::from(&store.fingerprint)],
            )? {
                digests.insert(row[0].text().to_string());
            }

            for chunk in removed.chunks(KEYS_PER_QUERY) {
                let placeholders: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
                let params: Vec<Value> = chunk.iter().map(|k| Value::from(*k)).collect();
                conn.exec(
                    &format!("DELETE FROM store_keys WHERE key IN ({})", placeholders.join(", ")),
                    &params,
                )?;
            }
            insert_rows(
                conn,
                "INSERT INTO store_keys (key, digest) VALUES",
                " ON CONFLICT (key) DO UPDATE SET digest = excluded.digest",
                changed
                    .iter()
                    .map(|k| vec![Value::from(*k), Value::from(&store.digests[*k])])
                    .collect(),
            )?;
            let digests: Vec<String> = digests.into_iter().collect();
            queue_jobs(conn, &digests, &store.fingerprint, now)?;
            // Jobs still queued for an earlier store carry over: their images reflect neither
            // store yet. (A worker still on the old store finds its job gone and drops its
            // result.)
            conn.exec(
                "INSERT INTO jobs (digest, store, created)
                 SELECT digest, $1, $2 FROM jobs WHERE store <> $1
                 ON CONFLICT (digest, store) DO NOTHING",
                &[Value::from(&store.fingerprint), timestamp(now).into()],
            )?;
            conn.exec(
                "DELETE FROM jobs WHERE store <> $1",
                &[Value::from(&store.fingerprint)],
            )?;
            // Images untouched by the change now reflect the new store as they are.
            conn.exec(
                "UPDATE images SET store = $1 WHERE store = $2",
                &[Value::from(&store.fingerprint), Value::from(&current)],
            )?;
            conn.exec(
                "UPDATE fleet_state SET value = $1 WHERE key = 'store'",
                &[Value::from(&store.fingerprint)],
            )?;
            Ok(Refreshed {
                store: store.fingerprint.clone(),
                changed: true,
                changed_keys: changed.len() + removed.len(),
                queued: digests.len(),
            })
        })
    }

    /// Take one queued job for `store` and do it; `None` when there is none.
    ///
    /// A job is claimed for a lease (`clock` is the wall clock, never the assessment's `now`),
    /// assessed outside any transaction (so workers assess in parallel, also on SQLite), and
    /// written in one transaction that also deletes the job. A worker that dies leaves the job
    /// queued; once the lease runs out any worker takes it again.
    pub fn run_job(
        &self,
        store: &FleetStore,
        now: DateTime<Utc>,
        clock: DateTime<Utc>,
    ) -> Result<Option<JobOutcome>, FleetError> {
        let lease = timestamp(clock + chrono::Duration::seconds(JOB_LEASE_SECONDS));
        let claimed = self.db.transaction(|conn| {
            let skip = for_update_skip_locked(conn);
            let Some(job) = conn.query_one(
                &format!(
                    "SELECT id, digest FROM jobs WHERE store = $1 AND (claimed IS NULL OR claimed < $2)
                     ORDER BY id LIMIT 1{skip}"
                ),
                &[Value::from(&store.fingerprint), timestamp(clock).into()],
            )?
            else {
                return Ok(None);
            };
            let (id, digest) = (job[0].int(), job[1].text().to_string());
            conn.exec(
                "UPDATE jobs SET claimed = $1 WHERE id = $2",
                &[lease.as_str().into(), Value::Int(id)],
            )?;
            let json = read_report_json(conn, &digest)?;
            Ok(Some((id, digest, json)))
        })?;
        let Some((id, digest, json)) = claimed else {
            return Ok(None);
        };
        let Some(json) = json else {
            // The image was removed after the job was queued: nothing to do.
            self.db.transaction(|conn| {
                conn.exec("DELETE FROM jobs WHERE id = $1", &[Value::Int(id)])?;
                Ok(())
            })?;
            return Ok(Some(JobOutcome { digest, events: 0 }));
        };
        let previous: Report = serde_json::from_slice(&json).map_err(|e| FleetError::Corrupt {
            digest: digest.clone(),
            message: e.to_string(),
        })?;
        let assessed = self
            .assessor
            .assess(
                previous.sbom(),
                Some(&previous),
                store,
                now,
                &onus_fs::NoReporter,
            )
            .map_err(|source| FleetError::Assess {
                digest: digest.clone(),
                source: Box::new(source),
            })?;
        let mut report = assessed.report;
        report.image.info.manifest_digest = Some(digest.clone());
        self.db.transaction(|conn| {
            // Done by another worker whose turn came after this one's lease ran out.
            if conn.exec("DELETE FROM jobs WHERE id = $1", &[Value::Int(id)])? == 0 {
                return Ok(Some(JobOutcome {
                    digest: digest.clone(),
                    events: 0,
                }));
            }
            let events = record_rematch(conn, &digest, &report, &assessed.lookups, store, now)?;
            Ok(Some(JobOutcome {
                digest: digest.clone(),
                events,
            }))
        })
    }

    /// Queue every image for re-assessment with `store`: SLA clocks breach as time passes, so
    /// the service re-checks the whole fleet on a schedule, not only on store changes.
    pub fn queue_all(&self, store: &FleetStore, now: DateTime<Utc>) -> Result<usize, FleetError> {
        self.db.transaction(|conn| {
            let digests: Vec<String> = conn
                .query("SELECT digest FROM images ORDER BY digest", &[])?
                .into_iter()
                .map(|r| r[0].text().to_string())
                .collect();
            queue_jobs(conn, &digests, &store.fingerprint, now)?;
            Ok(digests.len())
        })
    }
}

/// How long a worker holds a job before another may take it.
const JOB_LEASE_SECONDS: i64 = 30;

/// Write a re-matched report and the events its findings' changes make.
fn record_rematch(
    conn: &mut dyn Conn,
    digest: &str,
    report: &Report,
    lookups: &BTreeSet<String>,
    store: &FleetStore,
    now: DateTime<Utc>,
) -> Result<usize, FleetError> {
    let before: BTreeMap<(String, String), FindingRow> = conn
        .query(
            &format!("SELECT {FINDING_COLUMNS} FROM findings WHERE digest = $1"),
            &[Value::from(digest)],
        )?
        .iter()
        .map(|r| {
            let f = FindingRow::from_row(r);
            ((f.vuln_id.clone(), f.purl.clone()), f)
        })
        .collect();
    let after: BTreeMap<(String, String), FindingRow> = report
        .findings
        .iter()
        .map(|f| {
            let row = finding_row(digest, f);
            ((row.vuln_id.clone(), row.purl.clone()), row)
        })
        .collect();
    let events = changes(&before, &after);
    write_image(
        conn,
        digest,
        report,
        lookups,
        &store.fingerprint,
        now,
        Write::Rematch,
    )?;
    let count = events.len();
    let time = timestamp(now);
    for e in events {
        conn.exec(
            "INSERT INTO events (time, kind, digest, vuln_id, purl, severity, party, detail,
                                 webhook, attempts)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0)",
            &[
                time.as_str().into(),
                e.kind.into(),
                digest.into(),
                e.finding.vuln_id.as_str().into(),
                e.finding.purl.as_str().into(),
                e.finding.severity.as_str().into(),
                e.finding.party.as_str().into(),
                e.detail.into(),
                Value::Int(if e.notify { 1 } else { 0 }),
            ],
        )?;
    }
    Ok(count)
}

struct Change<'a> {
    kind: &'static str,
    finding: &'a FindingRow,
    detail: String,
    /// Worth a webhook: a new critical or known-exploited finding, or a breached clock.
    notify: bool,
}

/// What changed between an image's findings before and after a re-match.
fn changes<'a>(
    before: &'a BTreeMap<(String, String), FindingRow>,
    after: &'a BTreeMap<(String, String), FindingRow>,
) -> Vec<Change<'a>> {
    let mut out = Vec::new();
    for (key, now) in after {
        let was = before.get(key);
        let was_open = was.is_some_and(|w| w.is_open);
        if now.is_open && !was_open {
            out.push(Change {
                kind: "finding_new",
                finding: now,
                detail: format!(
                    "{} in {} {}: {} ({}), move: {} ({})",
                    now.vuln_id,
                    now.package,
                    now.version,
                    now.status,
                    now.severity,
                    now.party,
                    now.rule
                ),
                notify: now.severity == "critical" || now.kev,
            });
            continue;
        }
        let Some(was) = was else {
            continue;
        };
        if was.is_open && !now.is_open {
            out.push(Change {
                kind: "finding_fixed",
                finding: now,
                detail: format!(
                    "{} in {} {}: {}",
                    now.vuln_id, now.package, now.version, now.status
                ),
                notify: false,
            });
            continue;
        }
        if was.status != now.status {
            out.push(Change {
                kind: "state_changed",
                finding: now,
                detail: format!("{}: {} → {}", now.vuln_id, was.status, now.status),
                notify: false,
            });
        }
        if now.is_open && (was.party != now.party || was.kind != now.kind) {
            out.push(Change {
                kind: "move_changed",
                finding: now,
                detail: format!(
                    "{}: {} ({}) → {} ({})",
                    now.vuln_id, was.party, was.rule, now.party, now.rule
                ),
                notify: false,
            });
        }
        if now.clock == "breached" && was.clock != "breached" {
            out.push(Change {
                kind: "clock_breached",
                finding: now,
                detail: format!(
                    "{} in {}: the vendor's SLA deadline {} has passed",
                    now.vuln_id,
                    now.package,
                    now.deadline.as_deref().unwrap_or("?")
                ),
                notify: true,
            });
        }
    }
    for (key, was) in before {
        if was.is_open && !after.contains_key(key) {
            out.push(Change {
                kind: "finding_fixed",
                finding: was,
                detail: format!(
                    "{} in {} {}: no longer matched",
                    was.vuln_id, was.package, was.version
                ),
                notify: false,
            });
        }
    }
    out
}
