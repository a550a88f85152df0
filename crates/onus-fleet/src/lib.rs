//! The fleet store: every image's inventory and current report, keyed by manifest digest, with
//! tag history, events and API tokens, on SQLite (embedded) or PostgreSQL (shared by several
//! servers).
//!
//! Reports are assessed with the service's own vulnerability store through the library
//! pipeline (`onus_scan::assess_tracked`), which also says which store keys each report read.
//! When the store changes, [`Fleet::refresh`] compares the store's per-key digests with the
//! ones the fleet's reports reflect and queues a re-match job only for the images that read a
//! changed key; [`Fleet::run_job`] re-assesses one image and records what changed as events.
//! Jobs are taken with `FOR UPDATE SKIP LOCKED` on PostgreSQL and done in the job's own
//! transaction, so a server that dies mid-job loses nothing: the job is taken again.
//!
//! Pure but for the database (and webhook deliveries in [`webhook`]); `now` is always passed in.

mod db;
mod error;
mod ingest;
pub mod query;
mod rematch;
mod schema;
pub mod tokens;
pub mod views;
pub mod webhook;

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, Utc};
use onus_fs::Reporter;
use onus_inventory::Sbom;
use onus_report::Report;
use onus_scan::{Assessed, ScanRequest, ScanTarget};
use onus_vuln::{MatchOptions, Store};
use sha2::{Digest, Sha256};

pub use db::{Backend, Database};
pub use error::FleetError;
pub use ingest::{error_chain, Ingested, Submission};
pub use rematch::{JobOutcome, Refreshed};
pub use schema::SCHEMA_VERSION;

/// The fleet: a database and the assessment configuration loaded once.
pub struct Fleet {
    db: Database,
    assessor: Assessor,
}

impl std::fmt::Debug for Fleet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fleet")
            .field("db", &self.db.location())
            .finish_non_exhaustive()
    }
}

impl Fleet {
    /// Open `sqlite:PATH` or `postgres://…` and bring its schema up to date.
    pub fn open(url: &str) -> Result<Fleet, FleetError> {
        let db = Database::open(url)?;
        schema::migrate(&db)?;
        Ok(Fleet {
            db,
            assessor: Assessor::builtin()?,
        })
    }

    pub fn database(&self) -> &Database {
        &self.db
    }

    pub fn assessor(&self) -> &Assessor {
        &self.assessor
    }
}

/// A vulnerability store opened for the fleet, with its content fingerprint.
pub struct FleetStore {
    pub store: Store,
    /// The store's per-key digests ([`Store::lookup_digests`]), shared by every connection.
    pub digests: std::sync::Arc<BTreeMap<String, String>>,
    /// A digest of `digests`: equal for stores with the same matching content.
    pub fingerprint: String,
    /// The store's endoflife.date data, parsed once for every assessment.
    pub eol: Option<std::sync::Arc<onus_eol::EolData>>,
}

impl std::fmt::Debug for FleetStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FleetStore")
            .field("path", &self.store.path())
            .field("fingerprint", &self.fingerprint)
            .finish_non_exhaustive()
    }
}

impl FleetStore {
    /// Open a store read-only (checksum and schema checked) and digest its content.
    pub fn open(path: &std::path::Path) -> Result<FleetStore, FleetError> {
        let store_err = |source| FleetError::Store {
            path: path.display().to_string(),
            source: Box::new(source),
        };
        let store = Store::open_readonly(path).map_err(store_err)?;
        store.limit_memory(STORE_CACHE_KIB).map_err(store_err)?;
        let digests = store.lookup_digests().map_err(store_err)?;
        let fingerprint = fingerprint(&digests);
        let digests = std::sync::Arc::new(digests);
        let eol = onus_scan::read_eol(&store)
            .map_err(|e| {
                FleetError::Config(format!(
                    "cannot read the EOL data of `{}`: {e}",
                    path.display()
                ))
            })?
            .map(std::sync::Arc::new);
        Ok(FleetStore {
            store,
            digests,
            fingerprint,
            eol,
        })
    }

    /// Another connection to the same store, sharing the digests already computed.
    pub fn reopen(&self) -> Result<FleetStore, FleetError> {
        let path = self.store.path();
        let store_err = |source| FleetError::Store {
            path: path.display().to_string(),
            source: Box::new(source),
        };
        let store = Store::open_readonly(path).map_err(store_err)?;
        store.limit_memory(STORE_CACHE_KIB).map_err(store_err)?;
        Ok(FleetStore {
            store,
            digests: self.digests.clone(),
            fingerprint: self.fingerprint.clone(),
            eol: self.eol.clone(),
        })
    }
}

/// Page cache per store connection in the service (the file stays in the OS page cache, once).
const STORE_CACHE_KIB: u32 = 8192;

fn fingerprint(digests: &BTreeMap<String, String>) -> String {
    let mut hasher = Sha256::new();
    for (key, digest) in digests {
        hasher.update(key.as_bytes());
        hasher.update([0]);
        hasher.update(digest.as_bytes());
        hasher.update([0]);
    }
    format!("sha256:{}", hex::encode(hasher.finalize()))
}

/// The built-in configuration every assessment uses (tier rules, CHP detectors, EOL mapping,
/// SLA policy), loaded once per fleet.
pub struct Assessor {
    rules: onus_attribution::Rules,
    detectors: onus_chp::Detectors,
    eol_mapping: onus_eol::Mapping,
    sla_policy: onus_sla::Policy,
}

impl Assessor {
    pub fn builtin() -> Result<Assessor, FleetError> {
        let config = |what: &str, e: &dyn std::fmt::Display| {
            FleetError::Config(format!("cannot load the built-in {what}: {e}"))
        };
        Ok(Assessor {
            rules: onus_attribution::load_rules(None).map_err(|e| config("tier rules", &e))?,
            detectors: onus_chp::load_detectors(None)
                .map_err(|e| config("CHP detector lists", &e))?,
            eol_mapping: onus_eol::load_mapping(None)
                .map_err(|e| config("EOL product mapping", &e))?,
            sla_policy: onus_sla::load_policy(None).map_err(|e| config("SLA policy", &e))?,
        })
    }

    fn request<'a>(
        &'a self,
        target: ScanTarget,
        store: &'a FleetStore,
        previous: Option<&Report>,
        now: DateTime<Utc>,
    ) -> ScanRequest<'a> {
        ScanRequest {
            target,
            store: Some(&store.store),
            eol_data: store.eol.as_deref(),
            match_options: MatchOptions::default(),
            base: onus_attribution::BaseInput::None,
            base_layers: previous.and_then(|r| r.image.base.as_ref()?.layers),
            kind_override: previous.and_then(|r| r.image.kind.as_ref().map(|k| k.value)),
            rules: &self.rules,
            runtime: None,
            detectors: &self.detectors,
            eol_mapping: &self.eol_mapping,
            sla_policy: &self.sla_policy,
            now,
        }
    }

    /// Assess an inventory against `store`. With `previous` (the image's submitted or current
    /// report), its base boundary, image kind and CHP are kept: they come from the image's
    /// files, which the fleet does not hold.
    pub fn assess(
        &self,
        sbom: Sbom,
        previous: Option<&Report>,
        store: &FleetStore,
        now: DateTime<Utc>,
        reporter: &dyn Reporter,
    ) -> Result<Assessed, onus_scan::ScanError> {
        let request = self.request(no_target(), store, previous, now);
        let mut assessed = onus_scan::assess_tracked(sbom, None, &request, reporter)?;
        if let Some(previous) = previous {
            assessed.report.image.base = previous.image.base.clone();
            assessed.report.image.kind = previous.image.kind.clone();
            assessed.report.chp = previous.chp.clone();
        }
        Ok(assessed)
    }

    /// Pull and scan an image (a registry reference or any image source), then assess it.
    pub fn scan(
        &self,
        source: &str,
        options: &onus_image::OpenOptions,
        store: &FleetStore,
        now: DateTime<Utc>,
        reporter: &dyn Reporter,
    ) -> Result<Assessed, onus_scan::ScanError> {
        let scanned = onus_scan::inventory(source, options, reporter)?;
        let request = self.request(no_target(), store, None, now);
        onus_scan::assess_tracked(scanned.sbom, Some(&scanned.view), &request, reporter)
    }
}

/// `assess` reads the inventory it is given, not the request's target.
fn no_target() -> ScanTarget {
    ScanTarget::Sbom(Box::new(Sbom {
        schema: onus_inventory::SBOM_SCHEMA.to_string(),
        source: Default::default(),
        image: Default::default(),
        components: Vec::new(),
        unknowns: Vec::new(),
    }))
}

/// RFC 3339 in UTC to the second: every time the fleet writes.
pub fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}
