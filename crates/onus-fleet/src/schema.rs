//! Versioned migrations, one list for both backends (`{serial}` is the only difference). A
//! database newer than this build is refused rather than written to.

use crate::db::{Backend, Conn, Database, Value};
use crate::error::FleetError;

/// Every migration in order; the index + 1 is its version. Append, never edit.
const MIGRATIONS: &[&str] = &[
    // 1: images with their current report (zstd-compressed JSON in its own table, so scans of
    // `images` stay small), refs with digest history, the lookup keys and
    // the rows the queries group (components, findings, EOL streams), per-image aggregates the
    // summary and moves add up (open counts, move groups), events, the re-match job queue,
    // tokens, and the store the fleet's reports reflect.
    "
CREATE TABLE images (
  digest TEXT PRIMARY KEY,
  os TEXT,
  chp_level BIGINT NOT NULL,
  open_findings BIGINT NOT NULL,
  store TEXT NOT NULL,
  first_seen TEXT NOT NULL,
  last_seen TEXT NOT NULL,
  updated TEXT NOT NULL
);
CREATE TABLE image_reports (
  digest TEXT PRIMARY KEY,
  report {blob} NOT NULL
);
CREATE TABLE image_refs (
  repository TEXT NOT NULL,
  tag TEXT NOT NULL,
  digest TEXT NOT NULL,
  first_seen TEXT NOT NULL,
  last_seen TEXT NOT NULL,
  -- Order of sightings (times can tie under a fixed --now): the highest is where the tag is.
  seen BIGINT NOT NULL,
  PRIMARY KEY (repository, tag, digest)
);
CREATE INDEX image_refs_digest ON image_refs (digest);
CREATE TABLE image_keys (
  key TEXT NOT NULL,
  digest TEXT NOT NULL,
  PRIMARY KEY (key, digest)
);
CREATE INDEX image_keys_digest ON image_keys (digest);
CREATE TABLE components (
  digest TEXT NOT NULL,
  purl TEXT NOT NULL,
  name TEXT NOT NULL,
  version TEXT NOT NULL,
  ecosystem TEXT NOT NULL,
  layer BIGINT NOT NULL,
  owner TEXT NOT NULL,
  tier TEXT NOT NULL
);
CREATE INDEX components_digest ON components (digest);
CREATE INDEX components_purl ON components (purl);
CREATE TABLE findings (
  digest TEXT NOT NULL,
  vuln_id TEXT NOT NULL,
  purl TEXT NOT NULL,
  ids TEXT NOT NULL,
  package TEXT NOT NULL,
  version TEXT NOT NULL,
  severity TEXT NOT NULL,
  status TEXT NOT NULL,
  is_open BIGINT NOT NULL,
  kev BIGINT NOT NULL,
  owner TEXT NOT NULL,
  tier TEXT NOT NULL,
  party TEXT NOT NULL,
  move TEXT NOT NULL,
  rule TEXT NOT NULL,
  fixed_in TEXT,
  clock TEXT NOT NULL,
  deadline TEXT,
  stream TEXT,
  PRIMARY KEY (digest, vuln_id, purl)
);
CREATE INDEX findings_vuln ON findings (vuln_id);
CREATE INDEX findings_party ON findings (is_open, party);
CREATE TABLE image_counts (
  digest TEXT NOT NULL,
  owner TEXT NOT NULL,
  party TEXT NOT NULL,
  tier TEXT NOT NULL,
  severity TEXT NOT NULL,
  count BIGINT NOT NULL
);
CREATE INDEX image_counts_digest ON image_counts (digest);
CREATE TABLE move_groups (
  digest TEXT NOT NULL,
  party TEXT NOT NULL,
  kind TEXT NOT NULL,
  subject TEXT NOT NULL,
  fixed_in TEXT NOT NULL,
  findings BIGINT NOT NULL,
  critical BIGINT NOT NULL,
  kev BIGINT NOT NULL,
  running BIGINT NOT NULL,
  breached BIGINT NOT NULL,
  next_deadline TEXT,
  ids TEXT NOT NULL
);
-- Covering: /moves adds up the counts from the index alone.
CREATE INDEX move_groups_group ON move_groups (party, kind, subject, fixed_in, findings, critical,
  kev, running, breached, next_deadline);
CREATE INDEX move_groups_digest ON move_groups (digest);
CREATE TABLE eol_streams (
  digest TEXT NOT NULL,
  product TEXT NOT NULL,
  cycle TEXT NOT NULL,
  version TEXT NOT NULL,
  state TEXT NOT NULL,
  supported_cycle TEXT,
  PRIMARY KEY (digest, product, version)
);
CREATE TABLE events (
  seq {serial},
  time TEXT NOT NULL,
  kind TEXT NOT NULL,
  digest TEXT NOT NULL,
  vuln_id TEXT,
  purl TEXT,
  severity TEXT,
  party TEXT,
  detail TEXT NOT NULL,
  webhook BIGINT NOT NULL,
  attempts BIGINT NOT NULL,
  claimed TEXT
);
CREATE INDEX events_webhook ON events (webhook);
CREATE TABLE jobs (
  id {serial},
  digest TEXT NOT NULL,
  store TEXT NOT NULL,
  created TEXT NOT NULL,
  -- Wall-clock time until which a worker holds the job (then any worker may take it again).
  claimed TEXT,
  UNIQUE (digest, store)
);
CREATE TABLE tokens (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  hash TEXT NOT NULL,
  scopes TEXT NOT NULL,
  created TEXT NOT NULL
);
CREATE TABLE fleet_state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE store_keys (key TEXT PRIMARY KEY, digest TEXT NOT NULL);
",
    // The dashboard: the image's kind (the two pyramids), the daily change of open findings per
    // party (the trend), and browser sessions.
    "
ALTER TABLE images ADD COLUMN kind TEXT NOT NULL DEFAULT 'unknown';
ALTER TABLE image_counts ADD COLUMN kind TEXT NOT NULL DEFAULT 'unknown';
CREATE TABLE open_trend (
  day TEXT NOT NULL,
  party TEXT NOT NULL,
  delta BIGINT NOT NULL,
  PRIMARY KEY (day, party)
);
-- A session is found by the SHA-256 of its cookie, and lives while its token does.
CREATE TABLE sessions (
  id_hash TEXT PRIMARY KEY,
  token_id TEXT NOT NULL,
  csrf TEXT NOT NULL,
  expires TEXT NOT NULL
);
CREATE INDEX image_refs_tag ON image_refs (repository, tag, seen);
CREATE INDEX findings_clock ON findings (clock, package);
-- A finding's introducing layer, looked up per finding on the vulnerability and package pages;
-- it serves every lookup by purl, so the purl-only index goes (one index less to write).
CREATE INDEX components_purl_digest ON components (purl, digest, layer);
DROP INDEX components_purl;
-- Search by package name.
CREATE INDEX components_name ON components (name);
-- Every id a finding is known by (its own and its aliases), to find it by any of them.
CREATE TABLE finding_aliases (
  alias TEXT NOT NULL,
  vuln_id TEXT NOT NULL,
  PRIMARY KEY (alias, vuln_id)
)
",
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Bring the database to [`SCHEMA_VERSION`]. Servers sharing PostgreSQL serialise on an
/// advisory lock, so two starting at once migrate once.
pub fn migrate(db: &Database) -> Result<(), FleetError> {
    let location = db.location();
    db.transaction(|conn| {
        if conn.backend() == Backend::Postgres {
            conn.exec("SELECT pg_advisory_xact_lock(7300123001)", &[])?;
        }
        conn.exec(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied TEXT NOT NULL)",
            &[],
        )?;
        let current = conn
            .query_one("SELECT MAX(version) FROM schema_migrations", &[])?
            .and_then(|row| row.into_iter().next())
            .map_or(0, |v| v.int());
        if current > SCHEMA_VERSION {
            return Err(FleetError::SchemaTooNew {
                object: location.clone(),
                found: current,
                supported: SCHEMA_VERSION,
            });
        }
        for (index, migration) in MIGRATIONS.iter().enumerate().skip(current as usize) {
            let sql = migration
                .replace("{serial}", serial(conn.backend()))
                .replace("{blob}", blob(conn.backend()));
            for statement in statements(&sql) {
                conn.exec(&statement, &[])?;
            }
            conn.exec(
                "INSERT INTO schema_migrations (version, applied) VALUES ($1, $2)",
                &[Value::Int(index as i64 + 1), Value::from("migration")],
            )?;
            if index + 1 == 2 && current >= 1 {
                backfill_aliases(conn)?;
            }
        }
        Ok(())
    })
}

/// Findings written before version 2 get their alias rows from their `ids` column.
fn backfill_aliases(conn: &mut dyn Conn) -> Result<(), FleetError> {
    let rows = conn.query("SELECT DISTINCT vuln_id, ids FROM findings", &[])?;
    let pairs: std::collections::BTreeSet<(String, String)> = rows
        .iter()
        .flat_map(|r| {
            let vuln_id = r[0].text().to_string();
            r[1].text()
                .split('|')
                .filter(|a| !a.is_empty())
                .map(move |a| (a.to_string(), vuln_id.clone()))
                .collect::<Vec<_>>()
        })
        .collect();
    crate::ingest::insert_aliases(conn, pairs)
}

/// A migration's statements: comment lines dropped (they may hold any punctuation), then split
/// on `;` (no statement has one inside a literal).
fn statements(sql: &str) -> Vec<String> {
    let code: String = sql
        .lines()
        .filter(|line| !line.trim_start().starts_with("--"))
        .collect::<Vec<_>>()
        .join("\n");
    code.split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

fn serial(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "INTEGER PRIMARY KEY AUTOINCREMENT",
        Backend::Postgres => "BIGSERIAL PRIMARY KEY",
    }
}

fn blob(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "BLOB",
        Backend::Postgres => "BYTEA",
    }
}

/// Run with the connection's backend for statements that differ.
pub(crate) fn for_update_skip_locked(conn: &dyn Conn) -> &'static str {
    match conn.backend() {
        Backend::Sqlite => "",
        Backend::Postgres => " FOR UPDATE SKIP LOCKED",
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn every_statement_is_schema_code_and_a_new_database_migrates() {
        for migration in MIGRATIONS {
            for statement in statements(migration) {
                assert!(
                    ["CREATE ", "ALTER ", "DROP "]
                        .iter()
                        .any(|k| statement.starts_with(k)),
                    "{statement}"
                );
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite:{}", dir.path().join("fleet.db").display());
        let db = Database::open(&url).unwrap();
        migrate(&db).unwrap();
        // Twice is a no-op.
        migrate(&db).unwrap();
    }
}
