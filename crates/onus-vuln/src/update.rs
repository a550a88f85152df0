//! `onus db update`: fetch the configured feeds (https/http, or `file://` mirrors), check each
//! against its sha256 or ETag, then build a fresh store and swap it in atomically. Any failure
//! before the swap — a fetch error, a checksum mismatch, a truncated or corrupt archive —
//! leaves the old store untouched.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::build::{write_store, BuildOptions, BuildSummary, PreparedInput};
use crate::error::VulnError;
use crate::feeds::FeedKind;
use crate::input::{read_bytes, read_input, ReadInput};
use crate::store::Store;

/// Largest download accepted for one feed.
const MAX_DOWNLOAD: u64 = 1024 * 1024 * 1024;

/// The list of feeds `update` fetches (JSON: `{"sources": [{"url": …, "kind": …}]}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateConfig {
    pub sources: Vec<FeedSource>,
}

/// One configured feed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedSource {
    /// `https://…`, `http://…` or `file:///path` (a file, archive or directory).
    pub url: String,
    /// The feed kind; recognised from the content when absent.
    #[serde(default)]
    pub kind: Option<FeedKind>,
    /// Expected sha256 of the downloaded bytes (hex).
    #[serde(default)]
    pub sha256: Option<String>,
    /// Namespace for advisory documents (`wolfi`, `chainguard`).
    #[serde(default)]
    pub namespace: Option<String>,
}

impl UpdateConfig {
    /// Parse a JSON config; `name` is used in errors.
    pub fn from_json(bytes: &[u8], name: &Path) -> Result<UpdateConfig, VulnError> {
        serde_json::from_slice(bytes).map_err(|source| VulnError::Config {
            path: name.to_path_buf(),
            source,
        })
    }

    /// Read and parse a JSON config file.
    pub fn load(path: &Path) -> Result<UpdateConfig, VulnError> {
        let bytes = std::fs::read(path).map_err(|source| VulnError::ConfigRead {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_json(&bytes, path)
    }

    /// The public upstream feeds onus knows by default.
    pub fn upstream() -> UpdateConfig {
        let feed = |url: &str, kind: FeedKind| FeedSource {
            url: url.to_string(),
            kind: Some(kind),
            sha256: None,
            namespace: None,
        };
        UpdateConfig {
            sources: vec![
                feed("https://packages.wolfi.dev/os/security.json", FeedKind::Secdb),
                feed("https://packages.cgr.dev/chainguard/security.json", FeedKind::Secdb),
                feed("https://advisories.cgr.dev/chainguard/v3/osv/chainguard-osv.tar.gz", FeedKind::Osv),
                feed(
                    "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json",
                    FeedKind::Kev,
                ),
                feed("https://security-tracker.debian.org/tracker/data/json", FeedKind::DebianTracker),
            ],
        }
    }
}

/// Update settings.
#[derive(Debug, Clone)]
pub struct UpdateOptions {
    /// Never fetch over the network: http(s) feeds come from the download cache or fail.
    pub offline: bool,
    /// Where downloads and their ETags are cached (default: `feeds/` beside the store).
    pub cache_dir: Option<PathBuf>,
    /// Per-request timeout.
    pub timeout: Duration,
    /// Passed to the build (the recorded build time).
    pub build: BuildOptions,
}

impl Default for UpdateOptions {
    fn default() -> Self {
        UpdateOptions {
            offline: false,
            cache_dir: None,
            timeout: Duration::from_secs(60),
            build: BuildOptions::default(),
        }
    }
}

/// Fetch every configured feed and rebuild the store at `target`.
pub fn update(
    target: &Path,
    config: &UpdateConfig,
    options: &UpdateOptions,
    progress: &mut dyn FnMut(&str),
) -> Result<BuildSummary, VulnError> {
    if config.sources.is_empty() {
        return Err(VulnError::NoInputs);
    }
    let cache_dir = options.cache_dir.clone().unwrap_or_else(|| {
        target
            .parent()
            .map(|p| p.join("feeds"))
            .unwrap_or_else(|| PathBuf::from("feeds"))
    });
    // Previous ETags, so an unchanged feed is not downloaded again.
    let old_etags: Vec<String> = Store::open_readonly(target)
        .and_then(|s| s.sources())
        .map(|sources| sources.into_iter().filter_map(|s| s.etag).collect())
        .unwrap_or_default();
    let agent = ureq::AgentBuilder::new().timeout(options.timeout).build();
    let mut prepared = Vec::new();
    for feed in &config.sources {
        progress(&format!("fetching {}", feed.url));
        let (read, etag) = fetch(&agent, feed, &cache_dir, options.offline, &old_etags)?;
        if let Some(message) = &read.incomplete {
            return Err(VulnError::FeedIncomplete {
                url: feed.url.clone(),
                message: message.clone(),
            });
        }
        prepared.push(PreparedInput {
            provenance: feed.url.clone(),
            read,
            kind: feed.kind,
            namespace: feed.namespace.clone(),
            etag,
        });
    }
    write_store(target, prepared, &options.build, progress)
}

fn fetch(
    agent: &ureq::Agent,
    feed: &FeedSource,
    cache_dir: &Path,
    offline: bool,
    old_etags: &[String],
) -> Result<(ReadInput, Option<String>), VulnError> {
    let url = feed.url.trim();
    let fetch_err = |message: String| VulnError::Fetch {
        url: url.to_string(),
        message,
    };
    if let Some(path) = url.strip_prefix("file://") {
        let path = PathBuf::from(percent_decode(path));
        if path.is_dir() {
            if feed.sha256.is_some() {
                return Err(fetch_err(
                    "a sha256 cannot be checked for a directory".to_string(),
                ));
            }
            return Ok((read_input(&path)?, None));
        }
        let bytes = std::fs::read(&path).map_err(|e| fetch_err(e.to_string()))?;
        verify(feed, &bytes)?;
        return Ok((read_bytes(url, &file_name(url), bytes), None));
    }
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(fetch_err(
            "only https://, http:// and file:// URLs are supported".to_string(),
        ));
    }
    let cached = cache_dir.join(cache_name(url));
    let etag_file = cached.with_extension("etag");
    let cached_etag = std::fs::read_to_string(&etag_file)
        .ok()
        .map(|e| e.trim().to_string());
    if offline {
        let bytes = std::fs::read(&cached)
            .map_err(|_| fetch_err("offline and no cached copy".to_string()))?;
        verify(feed, &bytes)?;
        return Ok((read_bytes(url, &file_name(url), bytes), cached_etag));
    }
    let mut request = agent.get(url);
    // Only trust the cached copy for a conditional request if the store was built from it.
    if let Some(etag) = cached_etag
        .as_ref()
        .filter(|e| old_etags.contains(e) && cached.is_file())
    {
        request = request.set("If-None-Match", etag);
    }
    let response = match request.call() {
        Ok(r) => r,
        Err(ureq::Error::Status(code, _)) => return Err(fetch_err(format!("HTTP status {code}"))),
        Err(e) => return Err(fetch_err(e.to_string())),
    };
    if response.status() == 304 {
        let bytes = std::fs::read(&cached)
            .map_err(|e| fetch_err(format!("cached copy unreadable: {e}")))?;
        verify(feed, &bytes)?;
        return Ok((read_bytes(url, &file_name(url), bytes), cached_etag));
    }
    let etag = response.header("ETag").map(str::to_string);
    let expected_len: Option<u64> = response
        .header("Content-Length")
        .and_then(|l| l.trim().parse().ok());
    let mut bytes = Vec::new();
    response
        .into_reader()
        .take(MAX_DOWNLOAD)
        .read_to_end(&mut bytes)
        .map_err(|e| fetch_err(format!("reading the response failed: {e}")))?;
    if let Some(len) = expected_len.filter(|l| *l != bytes.len() as u64) {
        return Err(fetch_err(format!(
            "response truncated: {} of {len} bytes",
            bytes.len()
        )));
    }
    verify(feed, &bytes)?;
    // Cache for conditional requests next time; a failure here only costs a re-download.
    if std::fs::create_dir_all(cache_dir).is_ok() {
        let tmp = cached.with_extension("part");
        if std::fs::write(&tmp, &bytes).is_ok() && std::fs::rename(&tmp, &cached).is_ok() {
            if let Some(e) = &etag {
                let _ = std::fs::write(&etag_file, e);
            }
        }
    }
    Ok((read_bytes(url, &file_name(url), bytes), etag))
}

fn verify(feed: &FeedSource, bytes: &[u8]) -> Result<(), VulnError> {
    let Some(expected) = &feed.sha256 else {
        return Ok(());
    };
    let actual = hex::encode(Sha256::digest(bytes));
    if !actual.eq_ignore_ascii_case(expected.trim()) {
        return Err(VulnError::Checksum {
            url: feed.url.clone(),
            expected: expected.clone(),
            actual,
        });
    }
    Ok(())
}

fn file_name(url: &str) -> String {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    path.rsplit('/').next().unwrap_or(path).to_string()
}

fn cache_name(url: &str) -> String {
    let hash = hex::encode(Sha256::digest(url.as_bytes()));
    let name: String = file_name(url)
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        .collect();
    format!("{}-{name}", &hash[..16])
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            if let Some(v) = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
