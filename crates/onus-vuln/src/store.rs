//! The local vulnerability store: an SQLite file with one table per kind of feed data, indexed
//! by (namespace or ecosystem, package) for the matcher, plus the provenance of every source.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rusqlite::{params, Connection, OpenFlags, OptionalExtension};
use serde::{Deserialize, Serialize};

use crate::error::VulnError;
use crate::versions::Range;

/// The store schema identifier, kept in the `meta` table.
/// v2: the advisory event time column is `event_time` (v1 named it `event_time`, which SQLite
/// reads as its own CURRENT_TIME keyword, the clock's time of day); the `integrity` meta record.
pub const STORE_SCHEMA: &str = "onus.vulndb/v2";

/// The data tables whose row counts the build records in `meta.integrity` and every open checks:
/// a dropped, emptied or truncated table makes the store unusable instead of silently empty.
const COUNTED_TABLES: [&str; 10] = [
    "sources",
    "vulnerabilities",
    "affected",
    "distro_advisories",
    "secdb",
    "debian",
    "kev",
    "cve_severity",
    "eol_products",
    "id_severity",
];

const SCHEMA_SQL: &str = "
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE sources (
  name TEXT PRIMARY KEY, kind TEXT NOT NULL, provenance TEXT NOT NULL, checksum TEXT,
  etag TEXT, records INTEGER NOT NULL, warnings INTEGER NOT NULL, built_at TEXT, data_time TEXT
);
CREATE TABLE vulnerabilities (
  id TEXT PRIMARY KEY, source TEXT NOT NULL, aliases TEXT NOT NULL, summary TEXT,
  severity TEXT, cvss_vector TEXT, cvss_score REAL, published TEXT, modified TEXT
);
CREATE TABLE affected (
  vuln_id TEXT NOT NULL, source TEXT NOT NULL, ecosystem TEXT NOT NULL, package TEXT NOT NULL,
  ranges TEXT NOT NULL, versions TEXT NOT NULL, not_affected INTEGER NOT NULL, best_sev TEXT
);
CREATE TABLE distro_advisories (
  namespace TEXT NOT NULL, package TEXT NOT NULL, advisory_id TEXT NOT NULL, aliases TEXT NOT NULL,
  current_event TEXT NOT NULL, event_time TEXT NOT NULL, fixed_version TEXT, note TEXT,
  justification TEXT, first_detection TEXT, events TEXT NOT NULL, source TEXT NOT NULL, best_sev TEXT
);
CREATE TABLE secdb (
  namespace TEXT NOT NULL, package TEXT NOT NULL, fixed_version TEXT NOT NULL, vuln_id TEXT NOT NULL,
  source TEXT NOT NULL, best_sev TEXT
);
CREATE TABLE debian (
  release TEXT NOT NULL, package TEXT NOT NULL, vuln_id TEXT NOT NULL, status TEXT NOT NULL,
  fixed_version TEXT, urgency TEXT, source TEXT NOT NULL, best_sev TEXT
);
CREATE TABLE kev (cve TEXT PRIMARY KEY, date_added TEXT, source TEXT NOT NULL);
CREATE TABLE cve_severity (
  cve TEXT PRIMARY KEY, severity TEXT NOT NULL, vector TEXT, score REAL, origin TEXT NOT NULL,
  source TEXT NOT NULL
);
CREATE TABLE eol_products (source TEXT PRIMARY KEY, records INTEGER NOT NULL, raw BLOB NOT NULL);
CREATE TABLE id_severity (
  id TEXT PRIMARY KEY, rank INTEGER NOT NULL, severity TEXT NOT NULL, vector TEXT, score REAL,
  source TEXT NOT NULL
) WITHOUT ROWID;
";

/// One severity per vulnerability id (and per alias), best source first: rank 1 the CVE
/// severity table, rank 2 a feed's CVSS vector, rank 3 a feed's label. Records are visited in
/// id order, so which record scores a shared alias is deterministic.
const ID_SEVERITY_SQL: &str = "
INSERT OR IGNORE INTO id_severity SELECT cve, 1, severity, vector, score, source FROM cve_severity;
INSERT OR IGNORE INTO id_severity SELECT id, 2, severity, cvss_vector, cvss_score, source
  FROM vulnerabilities WHERE cvss_score IS NOT NULL AND severity IS NOT NULL ORDER BY id;
INSERT OR IGNORE INTO id_severity SELECT j.value, 2, v.severity, v.cvss_vector, v.cvss_score, v.source
  FROM vulnerabilities v, json_each(v.aliases) j
  WHERE v.cvss_score IS NOT NULL AND v.severity IS NOT NULL ORDER BY v.id, j.value;
INSERT OR IGNORE INTO id_severity SELECT id, 3, severity, NULL, NULL, source
  FROM vulnerabilities WHERE cvss_score IS NULL AND severity IS NOT NULL ORDER BY id;
INSERT OR IGNORE INTO id_severity SELECT j.value, 3, v.severity, NULL, NULL, v.source
  FROM vulnerabilities v, json_each(v.aliases) j
  WHERE v.cvss_score IS NULL AND v.severity IS NOT NULL ORDER BY v.id, j.value;
";

const INDEX_SQL: &str = "
CREATE INDEX affected_pkg ON affected (ecosystem, package);
CREATE INDEX distro_advisories_pkg ON distro_advisories (namespace, package);
CREATE INDEX secdb_pkg ON secdb (namespace, package);
CREATE INDEX debian_pkg ON debian (release, package);
";

/// Preferred-id order: CVE, GHSA, GO, PYSEC, RUSTSEC, CGA, anything else.
pub(crate) fn id_rank(id: &str) -> u8 {
    const ORDER: [&str; 6] = ["CVE-", "GHSA-", "GO-", "PYSEC-", "RUSTSEC-", "CGA-"];
    ORDER
        .iter()
        .position(|p| id.starts_with(p))
        .map_or(ORDER.len() as u8, |i| i as u8)
}

/// An opened store. Matching needs only [`Store::open_readonly`].
pub struct Store {
    pub(crate) conn: Connection,
    path: PathBuf,
    kev: HashSet<String>,
    /// Lookups already answered: inventories of one fleet share most packages.
    cache: RefCell<Cache>,
}

/// Entries kept before the lookup cache is emptied (bounds memory on huge fleets).
const CACHE_LIMIT: usize = 20_000;

type Key = (String, String);

#[derive(Default)]
struct Cache {
    affected: HashMap<Key, Arc<Vec<AffectedHit>>>,
    advisories: HashMap<Key, Arc<Vec<AdvisoryRow>>>,
    secdb: HashMap<Key, Arc<Vec<SecdbRow>>>,
    debian: HashMap<Key, Arc<Vec<DebianRow>>>,
    entries: usize,
}

impl Cache {
    fn note_insert(&mut self) {
        self.entries += 1;
        if self.entries > CACHE_LIMIT {
            *self = Cache::default();
        }
    }
}

/// The best known severity of one vulnerability id (see `id_severity`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct IdSeverity {
    /// 1 CVE table, 2 feed CVSS, 3 feed label.
    pub rank: i64,
    pub severity: String,
    pub vector: Option<String>,
    pub score: Option<f64>,
    pub source: String,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// Provenance and size of one feed in the store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceRecord {
    pub name: String,
    pub kind: String,
    /// Input paths or URLs, `; `-separated.
    pub provenance: String,
    /// sha256 of the input bytes.
    pub checksum: Option<String>,
    pub etag: Option<String>,
    pub records: u64,
    pub warnings: u64,
    /// When the store was built (injected clock), else the newest timestamp in the data.
    pub built_at: Option<String>,
    /// The newest timestamp found in the feed's own data.
    pub data_time: Option<String>,
}

/// Default store location: `<user cache dir>/onus/vuln.db`.
pub fn default_store_path() -> Result<PathBuf, VulnError> {
    dirs::cache_dir()
        .map(|d| d.join("onus").join("vuln.db"))
        .ok_or(VulnError::NoCacheDir)
}

impl Store {
    /// Open an existing store read-only (a store is never written after its build seals it);
    /// it must have our schema, its checksum and its table counts.
    pub fn open_readonly(path: &Path) -> Result<Store, VulnError> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let open_err = |source| VulnError::Open {
            path: path.to_path_buf(),
            source,
        };
        if !path.is_file() {
            return Err(open_err(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CANTOPEN),
                Some("no such file".to_string()),
            )));
        }
        // A file SQLite cannot read is reported as damaged when its checksum says so (a
        // truncated or overwritten store), else as SQLite's own error (not a store at all).
        let damaged_or = |source| match crate::seal::verify(path) {
            Some(reason) => VulnError::Damaged {
                path: path.to_path_buf(),
                reason,
            },
            None => open_err(source),
        };
        let conn = Connection::open_with_flags(path, flags).map_err(open_err)?;
        // Updates never write in place (they rename a new file over the old one), so a reader
        // may keep its shared lock for the connection's life instead of re-taking it (and
        // re-checking for a hot journal) on every query; mmap saves the read syscalls.
        conn.execute_batch("PRAGMA locking_mode = EXCLUSIVE; PRAGMA mmap_size = 268435456; PRAGMA cache_size = -32768;")
            .map_err(damaged_or)?;
        let found: Option<String> = conn
            .query_row("SELECT value FROM meta WHERE key = 'schema'", [], |r| {
                r.get(0)
            })
            .optional()
            .map_err(damaged_or)?;
        if found.as_deref() != Some(STORE_SCHEMA) {
            return Err(VulnError::Schema {
                path: path.to_path_buf(),
                found: found.unwrap_or_else(|| "none".to_string()),
                expected: STORE_SCHEMA.to_string(),
            });
        }
        if let Some(reason) = crate::seal::verify(path) {
            return Err(VulnError::Damaged {
                path: path.to_path_buf(),
                reason,
            });
        }
        let mut store = Store {
            conn,
            path: path.to_path_buf(),
            kev: HashSet::new(),
            cache: RefCell::new(Cache::default()),
        };
        store.check_integrity()?;
        store.kev = store.load_kev()?;
        Ok(store)
    }

    /// Compare every counted table's row count with the count the build recorded. SQLite reads
    /// a truncated file or a dropped table lazily, so without this (and the file's checksum,
    /// checked first) a damaged store could answer "no rows" and a scan would print zero
    /// findings. The counts also name the table when a store was rewritten and resealed.
    fn check_integrity(&self) -> Result<(), VulnError> {
        let damaged = |reason: String| VulnError::Damaged {
            path: self.path.clone(),
            reason,
        };
        let recorded = self
            .meta("integrity")
            .map_err(|e| damaged(format!("cannot read its integrity record: {}", chain(&e))))?
            .ok_or_else(|| damaged("it has no integrity record".to_string()))?;
        let recorded: std::collections::BTreeMap<String, i64> = serde_json::from_str(&recorded)
            .map_err(|e| damaged(format!("its integrity record does not parse: {e}")))?;
        for table in COUNTED_TABLES {
            let want = recorded
                .get(table)
                .ok_or_else(|| damaged(format!("its integrity record has no table `{table}`")))?;
            let found: i64 = self
                .conn
                .query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
                .map_err(|e| damaged(format!("cannot count table `{table}`: {e}")))?;
            if found != *want {
                return Err(damaged(format!(
                    "table `{table}` has {found} rows, the build wrote {want}"
                )));
            }
        }
        Ok(())
    }

    /// The file this store was opened from.
    /// Hold less memory per connection: no memory map of the file and a page cache of
    /// `cache_kib`. For a long-running process with several connections (the fleet service),
    /// where the operating system's page cache already holds the file once.
    pub fn limit_memory(&self, cache_kib: u32) -> Result<(), VulnError> {
        self.conn
            .execute_batch(&format!(
                "PRAGMA mmap_size = 0; PRAGMA cache_size = -{cache_kib};"
            ))
            .map_err(|source| VulnError::Query {
                path: self.path.clone(),
                source,
            })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn query_err(&self) -> impl Fn(rusqlite::Error) -> VulnError + '_ {
        move |source| VulnError::Query {
            path: self.path.clone(),
            source,
        }
    }

    fn load_kev(&self) -> Result<HashSet<String>, VulnError> {
        let mut stmt = self
            .conn
            .prepare("SELECT cve FROM kev")
            .map_err(self.query_err())?;
        let rows = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(self.query_err())?;
        rows.collect::<Result<HashSet<_>, _>>()
            .map_err(self.query_err())
    }

    /// A `meta` value (`schema`, `built_at`).
    pub fn meta(&self, key: &str) -> Result<Option<String>, VulnError> {
        self.conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .map_err(self.query_err())
    }

    /// Every source, sorted by name.
    pub fn sources(&self) -> Result<Vec<SourceRecord>, VulnError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT name, kind, provenance, checksum, etag, records, warnings, built_at, data_time
                 FROM sources ORDER BY name",
            )
            .map_err(self.query_err())?;
        let rows = stmt
            .query_map([], |r| {
                Ok(SourceRecord {
                    name: r.get(0)?,
                    kind: r.get(1)?,
                    provenance: r.get(2)?,
                    checksum: r.get(3)?,
                    etag: r.get(4)?,
                    records: r.get::<_, i64>(5)?.max(0) as u64,
                    warnings: r.get::<_, i64>(6)?.max(0) as u64,
                    built_at: r.get(7)?,
                    data_time: r.get(8)?,
                })
            })
            .map_err(self.query_err())?;
        rows.collect::<Result<Vec<_>, _>>()
            .map_err(self.query_err())
    }

    /// The raw endoflife.date `products.json` bytes, if a build included them.
    pub fn eol_products(&self) -> Result<Option<Vec<u8>>, VulnError> {
        self.conn
            .query_row(
                "SELECT raw FROM eol_products ORDER BY source LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(self.query_err())
    }

    /// Whether a CVE is in CISA's Known Exploited Vulnerabilities catalog.
    pub fn is_known_exploited(&self, cve: &str) -> bool {
        self.kev.contains(cve)
    }

    pub(crate) fn affected_for(
        &self,
        a: &str,
        b: &str,
    ) -> Result<Arc<Vec<AffectedHit>>, VulnError> {
        let key = (a.to_string(), b.to_string());
        if let Some(hit) = self.cache.borrow().affected.get(&key) {
            return Ok(hit.clone());
        }
        let rows = Arc::new(self.query_affected_for(a, b)?);
        let mut cache = self.cache.borrow_mut();
        cache.affected.insert(key, rows.clone());
        cache.note_insert();
        Ok(rows)
    }

    fn query_affected_for(
        &self,
        ecosystem: &str,
        package: &str,
    ) -> Result<Vec<AffectedHit>, VulnError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT a.vuln_id, a.source, a.ranges, a.versions, a.not_affected, v.aliases, v.severity,
                        v.cvss_vector, v.cvss_score, a.best_sev
                 FROM affected a LEFT JOIN vulnerabilities v ON v.id = a.vuln_id
                 WHERE a.ecosystem = ?1 AND a.package = ?2",
            )
            .map_err(self.query_err())?;
        let rows = stmt
            .query_map([ecosystem, package], |r| {
                let ranges: String = r.get(2)?;
                let versions: String = r.get(3)?;
                let aliases: Option<String> = r.get(5)?;
                Ok(AffectedHit {
                    vuln_id: r.get(0)?,
                    source: r.get(1)?,
                    ranges: json_column(2, &ranges)?,
                    versions: json_column(3, &versions)?,
                    not_affected: r.get::<_, i64>(4)? != 0,
                    aliases: match aliases {
                        Some(a) => json_column(5, &a)?,
                        None => Vec::new(),
                    },
                    severity: r.get(6)?,
                    cvss_vector: r.get(7)?,
                    cvss_score: r.get(8)?,
                    best_sev: parse_best(r.get(9)?)?,
                })
            })
            .map_err(self.query_err())?;
        rows.collect::<Result<Vec<_>, _>>()
            .map_err(self.query_err())
    }

    pub(crate) fn advisories_for(
        &self,
        a: &str,
        b: &str,
    ) -> Result<Arc<Vec<AdvisoryRow>>, VulnError> {
        let key = (a.to_string(), b.to_string());
        if let Some(hit) = self.cache.borrow().advisories.get(&key) {
            return Ok(hit.clone());
        }
        let rows = Arc::new(self.query_advisories_for(a, b)?);
        let mut cache = self.cache.borrow_mut();
        cache.advisories.insert(key, rows.clone());
        cache.note_insert();
        Ok(rows)
    }

    fn query_advisories_for(
        &self,
        namespace: &str,
        package: &str,
    ) -> Result<Vec<AdvisoryRow>, VulnError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT namespace, package, advisory_id, aliases, current_event, event_time, fixed_version,
                        note, justification, first_detection, '', source, best_sev
                 FROM distro_advisories WHERE namespace = ?1 AND package = ?2",
            )
            .map_err(self.query_err())?;
        let rows = stmt
            .query_map([namespace, package], |r| {
                let aliases: String = r.get(3)?;
                Ok(AdvisoryRow {
                    namespace: r.get(0)?,
                    package: r.get(1)?,
                    advisory_id: r.get(2)?,
                    aliases: json_column(3, &aliases)?,
                    current_event: r.get(4)?,
                    event_time: r.get(5)?,
                    fixed_version: r.get(6)?,
                    note: r.get(7)?,
                    justification: r.get(8)?,
                    first_detection: r.get(9)?,
                    events: r.get(10)?,
                    source: r.get(11)?,
                    best_sev: parse_best(r.get(12)?)?,
                })
            })
            .map_err(self.query_err())?;
        rows.collect::<Result<Vec<_>, _>>()
            .map_err(self.query_err())
    }

    pub(crate) fn secdb_for(&self, a: &str, b: &str) -> Result<Arc<Vec<SecdbRow>>, VulnError> {
        let key = (a.to_string(), b.to_string());
        if let Some(hit) = self.cache.borrow().secdb.get(&key) {
            return Ok(hit.clone());
        }
        let rows = Arc::new(self.query_secdb_for(a, b)?);
        let mut cache = self.cache.borrow_mut();
        cache.secdb.insert(key, rows.clone());
        cache.note_insert();
        Ok(rows)
    }

    fn query_secdb_for(&self, namespace: &str, package: &str) -> Result<Vec<SecdbRow>, VulnError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT namespace, package, fixed_version, vuln_id, source, best_sev FROM secdb
                 WHERE namespace = ?1 AND package = ?2",
            )
            .map_err(self.query_err())?;
        let rows = stmt
            .query_map([namespace, package], |r| {
                Ok(SecdbRow {
                    namespace: r.get(0)?,
                    package: r.get(1)?,
                    fixed_version: r.get(2)?,
                    vuln_id: r.get(3)?,
                    source: r.get(4)?,
                    best_sev: parse_best(r.get(5)?)?,
                })
            })
            .map_err(self.query_err())?;
        rows.collect::<Result<Vec<_>, _>>()
            .map_err(self.query_err())
    }

    pub(crate) fn debian_for(&self, a: &str, b: &str) -> Result<Arc<Vec<DebianRow>>, VulnError> {
        let key = (a.to_string(), b.to_string());
        if let Some(hit) = self.cache.borrow().debian.get(&key) {
            return Ok(hit.clone());
        }
        let rows = Arc::new(self.query_debian_for(a, b)?);
        let mut cache = self.cache.borrow_mut();
        cache.debian.insert(key, rows.clone());
        cache.note_insert();
        Ok(rows)
    }

    fn query_debian_for(&self, release: &str, package: &str) -> Result<Vec<DebianRow>, VulnError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT release, package, vuln_id, status, fixed_version, urgency, source, best_sev FROM debian
                 WHERE release = ?1 AND package = ?2",
            )
            .map_err(self.query_err())?;
        let rows = stmt
            .query_map([release, package], |r| {
                Ok(DebianRow {
                    release: r.get(0)?,
                    package: r.get(1)?,
                    vuln_id: r.get(2)?,
                    status: r.get(3)?,
                    fixed_version: r.get(4)?,
                    urgency: r.get(5)?,
                    source: r.get(6)?,
                    best_sev: parse_best(r.get(7)?)?,
                })
            })
            .map_err(self.query_err())?;
        rows.collect::<Result<Vec<_>, _>>()
            .map_err(self.query_err())
    }

    /// The qualitative severity the CVE severity table gives `cve` (for SLA reports and other
    /// callers outside the matcher); `None` when the table has no rating.
    pub fn severity_of_cve(&self, cve: &str) -> Option<crate::Severity> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT severity, score FROM cve_severity WHERE cve = ?1")
            .ok()?;
        let (label, score): (String, Option<f64>) = stmt
            .query_row([cve], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()
            .ok()??;
        let severity = match score {
            Some(score) => crate::Severity::from_score(score),
            None => crate::Severity::parse_label(&label),
        };
        (severity != crate::Severity::Unknown).then_some(severity)
    }
}

/// Best severities are written by the build itself; one that does not parse is damage.
fn parse_best(raw: Option<String>) -> rusqlite::Result<Option<IdSeverity>> {
    raw.map(|r| json_column(usize::MAX, &r)).transpose()
}

/// A JSON column written by the build; text that does not parse is a damaged store, reported as
/// a query error rather than read as empty.
fn json_column<T: serde::de::DeserializeOwned>(column: usize, text: &str) -> rusqlite::Result<T> {
    serde_json::from_str(text).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(column, rusqlite::types::Type::Text, Box::new(e))
    })
}

/// One `affected` row joined with its vulnerability record.
#[derive(Debug, Clone)]
pub(crate) struct AffectedHit {
    pub vuln_id: String,
    pub source: String,
    pub ranges: Vec<Range>,
    pub versions: Vec<String>,
    pub not_affected: bool,
    pub aliases: Vec<String>,
    pub severity: Option<String>,
    pub cvss_vector: Option<String>,
    pub cvss_score: Option<f64>,
    pub best_sev: Option<IdSeverity>,
}

/// A vulnerability record (OSV and the like).
#[derive(Debug, Clone, Default)]
pub(crate) struct VulnRow {
    pub id: String,
    pub source: String,
    pub aliases: Vec<String>,
    pub summary: Option<String>,
    pub severity: Option<String>,
    pub cvss_vector: Option<String>,
    pub cvss_score: Option<f64>,
    pub published: Option<String>,
    pub modified: Option<String>,
}

/// One affected package of a vulnerability record.
#[derive(Debug, Clone)]
pub(crate) struct AffectedRow {
    pub vuln_id: String,
    pub source: String,
    pub ecosystem: String,
    pub package: String,
    pub ranges: Vec<Range>,
    pub versions: Vec<String>,
    pub not_affected: bool,
}

/// The current state of one distro advisory (Wolfi/Chainguard).
#[derive(Debug, Clone, Default)]
pub(crate) struct AdvisoryRow {
    pub namespace: String,
    pub package: String,
    pub advisory_id: String,
    pub aliases: Vec<String>,
    pub current_event: String,
    pub event_time: String,
    pub fixed_version: Option<String>,
    pub note: Option<String>,
    pub justification: Option<String>,
    pub first_detection: Option<String>,
    /// The full event history, JSON (not read back by the matcher).
    pub events: String,
    pub source: String,
    pub best_sev: Option<IdSeverity>,
}

/// One secdb `secfixes` entry: `fixed_version` `"0"` means not affected.
#[derive(Debug, Clone)]
pub(crate) struct SecdbRow {
    pub namespace: String,
    pub package: String,
    pub fixed_version: String,
    pub vuln_id: String,
    pub source: String,
    pub best_sev: Option<IdSeverity>,
}

/// One Debian security tracker entry for a (release, source package, CVE).
#[derive(Debug, Clone)]
pub(crate) struct DebianRow {
    pub release: String,
    pub package: String,
    pub vuln_id: String,
    pub status: String,
    pub fixed_version: Option<String>,
    pub urgency: Option<String>,
    pub source: String,
    pub best_sev: Option<IdSeverity>,
}

/// The preferred CVSS of a CVE from the severity table.
#[derive(Debug, Clone)]
pub(crate) struct CveSeverityRow {
    pub cve: String,
    pub severity: String,
    pub vector: Option<String>,
    pub score: Option<f64>,
    /// Which container scored it (`cna-cvss40`, `adp-cvss31`, …).
    pub origin: String,
    pub source: String,
}

/// Writes a new store file inside one transaction.
pub(crate) struct Writer {
    conn: Connection,
    path: PathBuf,
}

impl Writer {
    /// Create a fresh store at `path` (which must not exist) and begin the write transaction.
    pub fn create(path: &Path) -> Result<Writer, VulnError> {
        let write_err = |source| VulnError::Write {
            path: path.to_path_buf(),
            source,
        };
        let conn = Connection::open(path).map_err(write_err)?;
        // A temp file that is renamed only when complete needs no journal.
        conn.execute_batch(
            "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA page_size = 8192;",
        )
        .map_err(write_err)?;
        conn.execute_batch(SCHEMA_SQL).map_err(write_err)?;
        conn.execute_batch("BEGIN").map_err(write_err)?;
        conn.execute(
            "INSERT INTO meta (key, value) VALUES ('schema', ?1)",
            [STORE_SCHEMA],
        )
        .map_err(write_err)?;
        Ok(Writer {
            conn,
            path: path.to_path_buf(),
        })
    }

    fn err(&self) -> impl Fn(rusqlite::Error) -> VulnError + '_ {
        move |source| VulnError::Write {
            path: self.path.clone(),
            source,
        }
    }

    pub fn meta(&self, key: &str, value: &str) -> Result<(), VulnError> {
        self.conn
            .execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)",
                [key, value],
            )
            .map(drop)
            .map_err(self.err())
    }

    pub fn source(&self, s: &SourceRecord) -> Result<(), VulnError> {
        self.conn
            .execute(
                "INSERT OR REPLACE INTO sources (name, kind, provenance, checksum, etag, records, warnings, built_at, data_time)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    s.name,
                    s.kind,
                    s.provenance,
                    s.checksum,
                    s.etag,
                    s.records as i64,
                    s.warnings as i64,
                    s.built_at,
                    s.data_time
                ],
            )
            .map(drop)
            .map_err(self.err())
    }

    pub fn vulnerability(&self, v: &VulnRow) -> Result<(), VulnError> {
        let aliases = serde_json::to_string(&v.aliases).unwrap_or_else(|_| "[]".to_string());
        self.conn
            .prepare_cached(
                "INSERT OR REPLACE INTO vulnerabilities (id, source, aliases, summary, severity, cvss_vector, cvss_score, published, modified)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    v.id,
                    v.source,
                    aliases,
                    v.summary,
                    v.severity,
                    v.cvss_vector,
                    v.cvss_score,
                    v.published,
                    v.modified
                ])
            })
            .map(drop)
            .map_err(self.err())
    }

    pub fn affected(&self, a: &AffectedRow) -> Result<(), VulnError> {
        let ranges = serde_json::to_string(&a.ranges).unwrap_or_else(|_| "[]".to_string());
        let versions = serde_json::to_string(&a.versions).unwrap_or_else(|_| "[]".to_string());
        self.conn
            .prepare_cached(
                "INSERT INTO affected (vuln_id, source, ecosystem, package, ranges, versions, not_affected)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )
            .and_then(|mut s| {
                s.execute(params![a.vuln_id, a.source, a.ecosystem, a.package, ranges, versions, a.not_affected as i64])
            })
            .map(drop)
            .map_err(self.err())
    }

    pub fn advisory(&self, a: &AdvisoryRow) -> Result<(), VulnError> {
        let aliases = serde_json::to_string(&a.aliases).unwrap_or_else(|_| "[]".to_string());
        self.conn
            .prepare_cached(
                "INSERT INTO distro_advisories (namespace, package, advisory_id, aliases, current_event, event_time,
                   fixed_version, note, justification, first_detection, events, source)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    a.namespace,
                    a.package,
                    a.advisory_id,
                    aliases,
                    a.current_event,
                    a.event_time,
                    a.fixed_version,
                    a.note,
                    a.justification,
                    a.first_detection,
                    a.events,
                    a.source
                ])
            })
            .map(drop)
            .map_err(self.err())
    }

    pub fn secdb(&self, r: &SecdbRow) -> Result<(), VulnError> {
        self.conn
            .prepare_cached("INSERT INTO secdb (namespace, package, fixed_version, vuln_id, source) VALUES (?1, ?2, ?3, ?4, ?5)")
            .and_then(|mut s| s.execute(params![r.namespace, r.package, r.fixed_version, r.vuln_id, r.source]))
            .map(drop)
            .map_err(self.err())
    }

    pub fn debian(&self, r: &DebianRow) -> Result<(), VulnError> {
        self.conn
            .prepare_cached(
                "INSERT INTO debian (release, package, vuln_id, status, fixed_version, urgency, source)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )
            .and_then(|mut s| {
                s.execute(params![r.release, r.package, r.vuln_id, r.status, r.fixed_version, r.urgency, r.source])
            })
            .map(drop)
            .map_err(self.err())
    }

    pub fn kev(&self, cve: &str, date_added: Option<&str>, source: &str) -> Result<(), VulnError> {
        self.conn
            .prepare_cached(
                "INSERT OR IGNORE INTO kev (cve, date_added, source) VALUES (?1, ?2, ?3)",
            )
            .and_then(|mut s| s.execute(params![cve, date_added, source]))
            .map(drop)
            .map_err(self.err())
    }

    pub fn cve_severity(&self, r: &CveSeverityRow) -> Result<(), VulnError> {
        self.conn
            .prepare_cached(
                "INSERT OR REPLACE INTO cve_severity (cve, severity, vector, score, origin, source) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .and_then(|mut s| s.execute(params![r.cve, r.severity, r.vector, r.score, r.origin, r.source]))
            .map(drop)
            .map_err(self.err())
    }

    pub fn eol_products(&self, source: &str, records: u64, raw: &[u8]) -> Result<(), VulnError> {
        self.conn
            .execute(
                "INSERT OR REPLACE INTO eol_products (source, records, raw) VALUES (?1, ?2, ?3)",
                params![source, records as i64, raw],
            )
            .map(drop)
            .map_err(self.err())
    }

    /// Record on every matchable row the best severity over its ids (CVE table first), so the
    /// matcher needs no severity lookups.
    fn precompute_severity(&self) -> Result<(), VulnError> {
        let err = |source| VulnError::Write {
            path: self.path.clone(),
            source,
        };
        let mut memo: HashMap<String, Option<IdSeverity>> = HashMap::new();
        let mut lookup = self
            .conn
            .prepare("SELECT rank, severity, vector, score, source FROM id_severity WHERE id = ?1")
            .map_err(err)?;
        let jobs = [
            ("affected", "SELECT a.rowid, a.vuln_id, COALESCE(v.aliases, '[]') FROM affected a LEFT JOIN vulnerabilities v ON v.id = a.vuln_id"),
            ("distro_advisories", "SELECT rowid, advisory_id, aliases FROM distro_advisories"),
            ("secdb", "SELECT rowid, vuln_id, '[]' FROM secdb"),
            ("debian", "SELECT rowid, vuln_id, '[]' FROM debian"),
        ];
        for (table, select) in jobs {
            let rows: Vec<(i64, String, String)> = {
                let mut stmt = self.conn.prepare(select).map_err(err)?;
                let mapped = stmt
                    .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                    .map_err(err)?;
                mapped.collect::<Result<_, _>>().map_err(err)?
            };
            let mut update = self
                .conn
                .prepare(&format!(
                    "UPDATE {table} SET best_sev = ?1 WHERE rowid = ?2"
                ))
                .map_err(err)?;
            for (rowid, id, aliases) in rows {
                let mut ids: Vec<String> = serde_json::from_str(&aliases).unwrap_or_default();
                ids.push(id);
                ids.sort_by(|a, b| (id_rank(a), a).cmp(&(id_rank(b), b)));
                let mut best: Option<IdSeverity> = None;
                for id in &ids {
                    if !memo.contains_key(id) {
                        let row = lookup
                            .query_row([id], |r| {
                                Ok(IdSeverity {
                                    rank: r.get(0)?,
                                    severity: r.get(1)?,
                                    vector: r.get(2)?,
                                    score: r.get(3)?,
                                    source: r.get(4)?,
                                })
                            })
                            .optional()
                            .map_err(err)?;
                        memo.insert(id.clone(), row);
                    }
                    if let Some(Some(row)) = memo.get(id) {
                        if best.as_ref().is_none_or(|b| row.rank < b.rank) {
                            best = Some(row.clone());
                        }
                    }
                }
                if let Some(best) = best {
                    let json = serde_json::to_string(&best).unwrap_or_default();
                    update.execute(params![json, rowid]).map_err(err)?;
                }
            }
        }
        Ok(())
    }

    /// Create the indexes, commit, and close the file so it can be renamed.
    pub fn finish(self) -> Result<(), VulnError> {
        let err = |source| VulnError::Write {
            path: self.path.clone(),
            source,
        };
        self.conn.execute_batch(ID_SEVERITY_SQL).map_err(err)?;
        self.precompute_severity()?;
        self.conn.execute_batch(INDEX_SQL).map_err(err)?;
        let mut counts = std::collections::BTreeMap::new();
        for table in COUNTED_TABLES {
            let n: i64 = self
                .conn
                .query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
                .map_err(err)?;
            counts.insert(table, n);
        }
        let integrity = serde_json::to_string(&counts).map_err(|e| VulnError::Write {
            path: self.path.clone(),
            source: rusqlite::Error::ToSqlConversionFailure(Box::new(e)),
        })?;
        self.conn
            .execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('integrity', ?1)",
                [integrity],
            )
            .map_err(err)?;
        // No ANALYZE: with STAT4 statistics SQLite re-plans a statement on every new binding,
        // and each lookup has exactly one usable index anyway.
        self.conn.execute_batch("COMMIT").map_err(err)?;
        self.conn.close().map_err(|(_, source)| VulnError::Write {
            path: self.path.clone(),
            source,
        })?;
        crate::seal::seal(&self.path).map_err(|source| VulnError::Seal {
            path: self.path,
            source,
        })
    }
}

/// An error and its causes on one line.
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}
