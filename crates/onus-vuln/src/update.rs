//! `onus db update`: fetch the configured feeds (https/http, or `file://` mirrors), check each
//! against its sha256 or ETag, then build a fresh store and swap it in atomically. Any failure
//! before the swap — a fetch error, a checksum mismatch, a truncated or corrupt archive —
//! leaves the old store untouched.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::build::{write_store, BuildOptions, BuildSummary, PendingRead, PreparedInput};
use crate::error::VulnError;
use crate::feeds::FeedKind;
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
    /// Where the source publishes the sha256 of the decompressed content (the NVD's `.meta`
    /// files: a `sha256:<HEX>` line); fetched beside the feed and checked after decompression.
    #[serde(default)]
    pub content_sha256_url: Option<String>,
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

    /// The public sources of every feed the store holds (`onus db status` lists them with
    /// their URLs). `year` is the current year: the NVD publishes one severity file per year
    /// from 2002 (libraries never read the clock, so the caller passes it).
    pub fn upstream(year: i32) -> UpdateConfig {
        let feed = |url: String, kind: FeedKind| FeedSource {
            url,
            kind: Some(kind),
            sha256: None,
            namespace: None,
            content_sha256_url: None,
        };
        let mut sources = vec![
            feed(
                "https://packages.wolfi.dev/os/security.json".into(),
                FeedKind::Secdb,
            ),
            feed(
                "https://packages.cgr.dev/chainguard/security.json".into(),
                FeedKind::Secdb,
            ),
            feed(
                "https://advisories.cgr.dev/chainguard/v3/osv/chainguard-osv.tar.gz".into(),
                FeedKind::Osv,
            ),
        ];
        // OSV's per-ecosystem exports; `Go` is the Go vulnerability database (vuln.go.dev) as
        // OSV publishes it, record for record.
        for ecosystem in OSV_ECOSYSTEMS {
            sources.push(feed(
                format!("https://osv-vulnerabilities.storage.googleapis.com/{ecosystem}/all.zip"),
                FeedKind::Osv,
            ));
        }
        for branch in ALPINE_BRANCHES {
            for repo in ["main", "community"] {
                sources.push(feed(
                    format!("https://secdb.alpinelinux.org/{branch}/{repo}.json"),
                    FeedKind::Secdb,
                ));
            }
        }
        sources.push(feed(
            "https://security-tracker.debian.org/tracker/data/json".into(),
            FeedKind::DebianTracker,
        ));
        sources.push(feed(
            "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json"
                .into(),
            FeedKind::Kev,
        ));
        sources.push(feed(
            "https://endoflife.date/api/v1/products/full".into(),
            FeedKind::Endoflife,
        ));
        for y in 2002..=year.max(2002) {
            let base = format!("https://nvd.nist.gov/feeds/json/cve/2.0/nvdcve-2.0-{y}");
            sources.push(FeedSource {
                content_sha256_url: Some(format!("{base}.meta")),
                ..feed(format!("{base}.json.gz"), FeedKind::CveSeverity)
            });
        }
        UpdateConfig { sources }
    }
}

/// OSV ecosystems fetched by default (the names OSV's export bucket uses).
const OSV_ECOSYSTEMS: [&str; 9] = [
    "PyPI",
    "npm",
    "Go",
    "Maven",
    "crates.io",
    "RubyGems",
    "Packagist",
    "NuGet",
    "Wolfi",
];

/// Alpine branches whose secdb is fetched by default (those supported in late 2026).
const ALPINE_BRANCHES: [&str; 4] = ["v3.21", "v3.22", "v3.23", "v3.24"];

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
    /// Fetch every http(s) feed from this base URL instead, at `<mirror>/<host>/<path>` (a
    /// mirror laid out like the public sources; the binary sets it from `ONUS_FEED_MIRROR`).
    pub mirror: Option<String>,
    /// Further attempts after a network error, HTTP 429 or 5xx.
    pub retries: u32,
}

impl UpdateOptions {
    /// The URL `url` is fetched from: itself, or its place on the mirror.
    pub fn mirrored(&self, url: &str) -> String {
        let Some(mirror) = self.mirror.as_deref().filter(|m| !m.trim().is_empty()) else {
            return url.to_string();
        };
        match url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"))
        {
            Some(rest) => format!("{}/{rest}", mirror.trim().trim_end_matches('/')),
            None => url.to_string(),
        }
    }
}

impl Default for UpdateOptions {
    fn default() -> Self {
        UpdateOptions {
            offline: false,
            cache_dir: None,
            timeout: Duration::from_secs(60),
            build: BuildOptions::default(),
            mirror: None,
            retries: 2,
        }
    }
}

/// Fetch every configured feed and rebuild the store at `target`.
///
/// Every feed is downloaded into the cache directory first (streamed to disk, verified), then
/// the store is built reading one feed at a time; any failure leaves the old store in place.
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
    // Connect and per-read timeouts (not a whole-request one: a large feed may take minutes).
    let agent = ureq::AgentBuilder::new()
        .timeout_connect(options.timeout)
        .timeout_read(options.timeout)
        .build();
    let mut prepared = Vec::new();
    for (i, feed) in config.sources.iter().enumerate() {
        let url = options.mirrored(&feed.url);
        progress(&format!(
            "fetching {}/{} {url}",
            i + 1,
            config.sources.len()
        ));
        let fetcher = Fetcher {
            agent: &agent,
            cache_dir: &cache_dir,
            offline: options.offline,
            old_etags: &old_etags,
            retries: options.retries,
        };
        let (read, etag) = fetcher.fetch(feed, &url)?;
        let content_sha256 = match &feed.content_sha256_url {
            Some(meta) => Some(fetcher.published_sha256(&options.mirrored(meta))?),
            None => None,
        };
        prepared.push(PreparedInput {
            provenance: feed.url.clone(),
            read: read.expecting(content_sha256),
            kind: feed.kind,
            namespace: feed.namespace.clone(),
            etag,
            strict: true,
        });
    }
    write_store(target, prepared, &options.build, progress)
}

struct Fetcher<'a> {
    agent: &'a ureq::Agent,
    cache_dir: &'a Path,
    offline: bool,
    old_etags: &'a [String],
    retries: u32,
}

impl Fetcher<'_> {
    /// Bring `feed` (fetched from `url`, its mirror when one is set) into the cache.
    fn fetch(
        &self,
        feed: &FeedSource,
        url: &str,
    ) -> Result<(PendingRead, Option<String>), VulnError> {
        let url = url.trim();
        let fetch_err = |message: String| VulnError::Fetch {
            url: url.to_string(),
            message,
        };
        let pending = |path: PathBuf| PendingRead::Path {
            path,
            display: feed.url.clone(),
            name: file_name(&feed.url),
            content_sha256: None,
        };
        if let Some(path) = url.strip_prefix("file://") {
            let path = PathBuf::from(percent_decode(path));
            if path.is_dir() {
                if feed.sha256.is_some() {
                    return Err(fetch_err(
                        "a sha256 cannot be checked for a directory".to_string(),
                    ));
                }
            } else {
                let file = std::fs::File::open(&path).map_err(|e| fetch_err(e.to_string()))?;
                verify(
                    feed,
                    &sha256_of(file).map_err(|e| fetch_err(e.to_string()))?,
                )?;
            }
            return Ok((pending(path), None));
        }
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(fetch_err(
                "only https://, http:// and file:// URLs are supported".to_string(),
            ));
        }
        let cached = self.cache_dir.join(cache_name(&feed.url));
        let etag_file = cached.with_extension("etag");
        let cached_etag = std::fs::read_to_string(&etag_file)
            .ok()
            .map(|e| e.trim().to_string());
        let use_cached = |etag: Option<String>| {
            let file = std::fs::File::open(&cached)
                .map_err(|e| fetch_err(format!("cached copy unreadable: {e}")))?;
            verify(
                feed,
                &sha256_of(file).map_err(|e| fetch_err(e.to_string()))?,
            )?;
            Ok((pending(cached.clone()), etag))
        };
        if self.offline {
            if !cached.is_file() {
                return Err(fetch_err("offline and no cached copy".to_string()));
            }
            return use_cached(cached_etag);
        }
        // Only trust the cached copy for a conditional request if the store was built from it.
        let conditional = cached_etag
            .clone()
            .filter(|e| self.old_etags.contains(e) && cached.is_file());
        let response = self.get(url, conditional.as_deref()).map_err(fetch_err)?;
        if response.status() == 304 {
            return use_cached(cached_etag);
        }
        let etag = response.header("ETag").map(str::to_string);
        let expected_len: Option<u64> = response
            .header("Content-Length")
            .and_then(|l| l.trim().parse().ok());
        std::fs::create_dir_all(self.cache_dir)
            .map_err(|e| fetch_err(format!("cannot create the feed cache: {e}")))?;
        // Streamed to a part file, hashed on the way, renamed into place only when complete.
        let part = cached.with_extension("part");
        let mut out = std::fs::File::create(&part)
            .map_err(|e| fetch_err(format!("cannot write `{}`: {e}", part.display())))?;
        let mut reader = response.into_reader().take(MAX_DOWNLOAD + 1);
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 256 * 1024];
        let mut total: u64 = 0;
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    let _ = std::fs::remove_file(&part);
                    return Err(fetch_err(format!(
                        "reading the response failed after {total} bytes: {e}"
                    )));
                }
            };
            let chunk = buf.get(..n).unwrap_or_default();
            hasher.update(chunk);
            total += n as u64;
            if let Err(e) = out.write_all(chunk) {
                let _ = std::fs::remove_file(&part);
                return Err(fetch_err(format!("cannot write `{}`: {e}", part.display())));
            }
        }
        drop(out);
        let fail = |message: String| {
            let _ = std::fs::remove_file(&part);
            Err(fetch_err(message))
        };
        if total > MAX_DOWNLOAD {
            return fail(format!("larger than {MAX_DOWNLOAD} bytes"));
        }
        if let Some(len) = expected_len.filter(|l| *l != total) {
            return fail(format!("response truncated: {total} of {len} bytes"));
        }
        if let Err(e) = verify(feed, &hex::encode(hasher.finalize())) {
            let _ = std::fs::remove_file(&part);
            return Err(e);
        }
        std::fs::rename(&part, &cached)
            .map_err(|e| fetch_err(format!("cannot write `{}`: {e}", cached.display())))?;
        match &etag {
            Some(e) => {
                let _ = std::fs::write(&etag_file, e);
            }
            None => {
                let _ = std::fs::remove_file(&etag_file);
            }
        }
        Ok((pending(cached), etag))
    }
}

impl Fetcher<'_> {
    /// The sha256 a source publishes for its decompressed content: the `sha256:<HEX>` line of a
    /// small text file (the NVD's `.meta`), fetched fresh every time.
    fn published_sha256(&self, url: &str) -> Result<String, VulnError> {
        let fetch_err = |message: String| VulnError::Fetch {
            url: url.to_string(),
            message,
        };
        if self.offline {
            return Err(fetch_err(
                "offline: the published digest cannot be fetched".into(),
            ));
        }
        let response = self.get(url, None).map_err(fetch_err)?;
        let mut text = String::new();
        response
            .into_reader()
            .take(64 * 1024)
            .read_to_string(&mut text)
            .map_err(|e| fetch_err(format!("reading the response failed: {e}")))?;
        text.lines()
            .find_map(|line| line.trim().strip_prefix("sha256:"))
            .map(|hex| hex.trim().to_ascii_lowercase())
            .filter(|hex| hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| fetch_err("no `sha256:<64 hex digits>` line".into()))
    }
}

impl Fetcher<'_> {
    /// GET `url` (conditional on `etag` when given), retrying network errors, 429 and 5xx up to
    /// `retries` more times; other statuses fail at once. The error text is for the caller to
    /// wrap with the URL.
    fn get(&self, url: &str, etag: Option<&str>) -> Result<ureq::Response, String> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut request = self.agent.get(url);
            if let Some(etag) = etag {
                request = request.set("If-None-Match", etag);
            }
            match request.call() {
                Ok(r) => return Ok(r),
                Err(ureq::Error::Status(code, _))
                    if (code == 429 || code >= 500) && attempt <= self.retries =>
                {
                    backoff(attempt)
                }
                Err(ureq::Error::Status(code, _)) => return Err(format!("HTTP status {code}")),
                Err(_) if attempt <= self.retries => backoff(attempt),
                Err(e) => return Err(format!("{e} (after {attempt} attempts)")),
            }
        }
    }
}

/// Wait before retry `attempt` (1 s, 2 s, 4 s, …, at most 8 s).
fn backoff(attempt: u32) {
    std::thread::sleep(Duration::from_secs(
        1u64 << attempt.saturating_sub(1).min(3),
    ));
}

fn sha256_of(mut file: std::fs::File) -> std::io::Result<String> {
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher)?;
    Ok(hex::encode(hasher.finalize()))
}

fn verify(feed: &FeedSource, actual: &str) -> Result<(), VulnError> {
    let Some(expected) = &feed.sha256 else {
        return Ok(());
    };
    if !actual.eq_ignore_ascii_case(expected.trim()) {
        return Err(VulnError::Checksum {
            url: feed.url.clone(),
            expected: expected.clone(),
            actual: actual.to_string(),
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
