//! `onus db status`: each source's provenance, record count and age, and a staleness flag when
//! the store is older than the allowed age (default 5 days). `now` is injected.

use std::path::PathBuf;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::error::VulnError;
use crate::feeds::parse_time;
use crate::store::{SourceRecord, Store};

/// The default maximum store age before `status` flags it as stale.
pub const DEFAULT_MAX_AGE_DAYS: i64 = 5;

/// One source as `status` reports it: its stored record plus its age at `now`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceStatus {
    #[serde(flatten)]
    pub record: SourceRecord,
    /// `now - built_at` in seconds.
    pub age_seconds: Option<i64>,
}

/// The state of a store at `now`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoreStatus {
    pub path: PathBuf,
    pub schema: String,
    pub built_at: Option<String>,
    pub age_seconds: Option<i64>,
    pub max_age_seconds: i64,
    /// True when the store is older than the allowed age or its age is unknown.
    pub stale: bool,
    pub sources: Vec<SourceStatus>,
}

/// Report `store`'s sources and age at `now`; `max_age` defaults to [`DEFAULT_MAX_AGE_DAYS`].
pub fn status(
    store: &Store,
    now: DateTime<Utc>,
    max_age: Option<Duration>,
) -> Result<StoreStatus, VulnError> {
    let max_age = max_age.unwrap_or_else(|| Duration::days(DEFAULT_MAX_AGE_DAYS));
    let age = |t: &Option<String>| {
        t.as_deref()
            .and_then(parse_time)
            .map(|t| (now - t).num_seconds())
    };
    let built_at = store.meta("built_at")?;
    let age_seconds = age(&built_at);
    let sources = store
        .sources()?
        .into_iter()
        .map(|record| SourceStatus {
            age_seconds: age(&record.built_at),
            record,
        })
        .collect();
    Ok(StoreStatus {
        path: store.path().to_path_buf(),
        schema: store.meta("schema")?.unwrap_or_default(),
        stale: age_seconds.is_none_or(|a| a > max_age.num_seconds()),
        built_at,
        age_seconds,
        max_age_seconds: max_age.num_seconds(),
        sources,
    })
}
