//! What a match depends on, as keys: every store lookup the matcher makes is recorded as a key
//! (`MatchResult::lookups`), and [`Store::lookup_digests`] digests the rows under every key of
//! a store. Two stores' digests differ exactly where a stored inventory's match could change, so
//! a fleet re-matches only the inventories that read a changed key.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use crate::error::VulnError;
use crate::store::Store;

/// The tables a match reads, each keyed by two columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LookupTable {
    /// OSV `affected` rows (with their vulnerability) by ecosystem and package.
    Osv,
    /// Vendor advisories by namespace and package.
    Advisory,
    /// secdb rows by namespace and package.
    Secdb,
    /// Debian tracker rows by release and package.
    Debian,
    /// Known-exploited and CVSS data by vulnerability id (`scope` is empty).
    Id,
    /// The endoflife.date products (both parts empty): every EOL evaluation reads them.
    Eol,
}

impl LookupTable {
    fn prefix(self) -> &'static str {
        match self {
            LookupTable::Osv => "osv",
            LookupTable::Advisory => "advisory",
            LookupTable::Secdb => "secdb",
            LookupTable::Debian => "debian",
            LookupTable::Id => "id",
            LookupTable::Eol => "eol",
        }
    }
}

/// The key of one lookup: `table`, `scope` and `name` joined by tabs (which neither holds).
pub fn lookup_key(table: LookupTable, scope: &str, name: &str) -> String {
    match table {
        LookupTable::Eol => table.prefix().to_string(),
        LookupTable::Id => format!("{}\t{name}", table.prefix()),
        _ => format!("{}\t{scope}\t{name}", table.prefix()),
    }
}

/// Rows hashed under one key, in a deterministic order.
struct KeyHasher {
    digests: BTreeMap<String, String>,
    current: Option<(String, Sha256)>,
}

impl KeyHasher {
    fn new() -> Self {
        KeyHasher {
            digests: BTreeMap::new(),
            current: None,
        }
    }

    fn row(&mut self, key: String, fields: &[Option<String>]) {
        if self.current.as_ref().is_none_or(|(k, _)| *k != key) {
            self.flush();
            self.current = Some((key, Sha256::new()));
        }
        if let Some((_, hasher)) = self.current.as_mut() {
            for field in fields {
                match field {
                    // A length prefix keeps ("ab","c") and ("a","bc") apart; NULL is not "".
                    Some(text) => {
                        hasher.update((text.len() as u64).to_le_bytes());
                        hasher.update(text.as_bytes());
                    }
                    None => hasher.update(u64::MAX.to_le_bytes()),
                }
            }
        }
    }

    fn flush(&mut self) {
        if let Some((key, hasher)) = self.current.take() {
            let digest = hasher.finalize();
            // 128 bits: a digest only has to tell two versions of one key's rows apart.
            self.digests
                .entry(key)
                .or_insert_with(|| hex::encode(&digest[..16]));
        }
    }
}

/// Every table a match reads: the key columns first, then every column the match uses, in an
/// order that makes the row sequence deterministic.
const QUERIES: [(LookupTable, &str); 5] = [
    (
        LookupTable::Osv,
        "SELECT a.ecosystem, a.package, a.vuln_id, a.source, a.ranges, a.versions,
                CAST(a.not_affected AS TEXT), a.best_sev, v.aliases, v.severity, v.cvss_vector,
                CAST(v.cvss_score AS TEXT)
         FROM affected a LEFT JOIN vulnerabilities v ON v.id = a.vuln_id
         ORDER BY 1, 2, 3, 4, 5, 6, 7, 8",
    ),
    (
        LookupTable::Advisory,
        "SELECT namespace, package, advisory_id, aliases, current_event, event_time,
                fixed_version, note, justification, first_detection, events, source, best_sev
         FROM distro_advisories ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13",
    ),
    (
        LookupTable::Secdb,
        "SELECT namespace, package, fixed_version, vuln_id, source, best_sev
         FROM secdb ORDER BY 1, 2, 3, 4, 5, 6",
    ),
    (
        LookupTable::Debian,
        "SELECT release, package, vuln_id, status, fixed_version, urgency, source, best_sev
         FROM debian ORDER BY 1, 2, 3, 4, 5, 6, 7, 8",
    ),
    (
        LookupTable::Id,
        "SELECT '', id, CAST(rank AS TEXT), severity, vector, CAST(score AS TEXT), source,
                (SELECT date_added FROM kev WHERE kev.cve = id_severity.id)
         FROM id_severity
         UNION ALL
         SELECT '', cve, 'kev', date_added, source, NULL, NULL, NULL FROM kev
         ORDER BY 1, 2, 3, 4, 5, 6, 7, 8",
    ),
];

impl Store {
    /// A digest of the rows under every key a match can read ([`lookup_key`]). Keys with no
    /// rows are absent: a key that appears or disappears is a change.
    pub fn lookup_digests(&self) -> Result<BTreeMap<String, String>, VulnError> {
        let mut hasher = KeyHasher::new();
        for (table, sql) in QUERIES {
            let query_err = |source: rusqlite::Error| VulnError::Query {
                path: self.path().to_path_buf(),
                source,
            };
            let mut stmt = self.conn.prepare(sql).map_err(query_err)?;
            let columns = stmt.column_count();
            let mut rows = stmt.query([]).map_err(query_err)?;
            while let Some(row) = rows.next().map_err(query_err)? {
                let mut fields = Vec::with_capacity(columns);
                for i in 0..columns {
                    fields.push(row.get::<_, Option<String>>(i).map_err(query_err)?);
                }
                let scope = fields[0].as_deref().unwrap_or("");
                let name = fields[1].as_deref().unwrap_or("");
                let key = lookup_key(table, scope, name);
                hasher.row(key, &fields[2..]);
            }
            hasher.flush();
        }
        if let Some(raw) = self.eol_products()? {
            let digest = Sha256::digest(&raw);
            hasher.digests.insert(
                lookup_key(LookupTable::Eol, "", ""),
                hex::encode(&digest[..16]),
            );
        }
        Ok(hasher.digests)
    }
}
