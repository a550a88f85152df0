//! Answers the dashboard needs beyond the API's: open findings by image kind (the two
//! pyramids), the trend of open findings per party, vendor clocks by package, filtered image
//! lists, search, and the previous digest of an image's tag. Each reads aggregates or indexed
//! rows, so pages stay fast at tens of thousands of images.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::db::Value;
use crate::error::FleetError;
use crate::ingest::is_digest;
use crate::query::{like_escape, refs_map, refs_of, ImageSummary, MAX_PAGE};
use crate::Fleet;

/// Open findings of one kind of image, by owner, move party, tier and severity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KindCount {
    /// `application`, `base` or `unknown`.
    pub kind: String,
    pub owner: String,
    pub party: String,
    pub tier: String,
    pub severity: String,
    pub count: i64,
}

/// Open findings per party at the end of a day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrendPoint {
    /// `YYYY-MM-DD`.
    pub day: String,
    pub open: BTreeMap<String, i64>,
}

/// Vendor clocks of one package and severity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClockGroup {
    pub package: String,
    pub severity: String,
    /// `running`, `breached` or `met`.
    pub clock: String,
    pub findings: i64,
    pub images: i64,
    /// The nearest deadline among them.
    pub deadline: Option<String>,
}

/// Which images a list shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageFilter {
    /// A part of a `repository:tag` or the start of a digest.
    pub text: Option<String>,
    /// `application`, `base` or `unknown`.
    pub kind: Option<String>,
    /// Only images whose tag has moved on.
    pub stale_only: bool,
    /// Only images with open findings.
    pub open_only: bool,
}

/// One page of a filtered image list.
#[derive(Debug, Clone, Serialize)]
pub struct ImagePage {
    pub images: Vec<ImageSummary>,
    /// Images matching the filter, on every page.
    pub total: i64,
    /// The digest to list after for the next page.
    pub next_after: Option<String>,
}

/// What a search found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SearchResults {
    pub vulnerabilities: Vec<String>,
    /// Package URLs with how many images hold them.
    pub packages: Vec<(String, i64)>,
    /// Digests with the references they are known by.
    pub images: Vec<(String, Vec<String>)>,
}

impl SearchResults {
    pub fn len(&self) -> usize {
        self.vulnerabilities.len() + self.packages.len() + self.images.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The most hits a search lists per kind.
const SEARCH_LIMIT: i64 = 50;

impl Fleet {
    /// Open findings by image kind, owner, move party, tier and severity.
    pub fn kind_counts(&self) -> Result<Vec<KindCount>, FleetError> {
        self.db.transaction(|conn| {
            Ok(conn
                .query(
                    "SELECT kind, owner, party, tier, severity, CAST(SUM(count) AS BIGINT)
                     FROM image_counts GROUP BY kind, owner, party, tier, severity
                     ORDER BY kind, owner, party, tier, severity",
                    &[],
                )?
                .iter()
                .map(|r| KindCount {
                    kind: r[0].text().to_string(),
                    owner: r[1].text().to_string(),
                    party: r[2].text().to_string(),
                    tier: r[3].text().to_string(),
                    severity: r[4].text().to_string(),
                    count: r[5].int(),
                })
                .collect())
        })
    }

    /// Open findings per move party at the end of each day with a change, oldest first.
    pub fn trend(&self) -> Result<Vec<TrendPoint>, FleetError> {
        let rows = self.db.transaction(|conn| {
            conn.query(
                "SELECT day, party, delta FROM open_trend ORDER BY day, party",
                &[],
            )
        })?;
        let mut running: BTreeMap<String, i64> = BTreeMap::new();
        let mut points: Vec<TrendPoint> = Vec::new();
        for r in rows {
            let day = r[0].text().to_string();
            *running.entry(r[1].text().to_string()).or_default() += r[2].int();
            match points.last_mut() {
                Some(last) if last.day == day => last.open = running.clone(),
                _ => points.push(TrendPoint {
                    day,
                    open: running.clone(),
                }),
            }
        }
        Ok(points)
    }

    /// Vendor SLA clocks (running, breached, met) by package and severity: breached first,
    /// then the nearest deadline.
    pub fn clocks(&self) -> Result<Vec<ClockGroup>, FleetError> {
        let mut groups: Vec<ClockGroup> = self.db.transaction(|conn| {
            Ok(conn
                .query(
                    "SELECT package, severity, clock, COUNT(*), COUNT(DISTINCT digest), MIN(deadline)
                     FROM findings WHERE clock IN ('running', 'breached', 'met')
                     GROUP BY package, severity, clock",
                    &[],
                )?
                .iter()
                .map(|r| ClockGroup {
                    package: r[0].text().to_string(),
                    severity: r[1].text().to_string(),
                    clock: r[2].text().to_string(),
                    findings: r[3].int(),
                    images: r[4].int(),
                    deadline: r[5].opt_text().map(str::to_string),
                })
                .collect())
        })?;
        let clock_rank = |c: &str| match c {
            "breached" => 0,
            "running" => 1,
            _ => 2,
        };
        groups.sort_by(|a, b| {
            (clock_rank(&a.clock), &a.deadline, &a.package, &a.severity).cmp(&(
                clock_rank(&b.clock),
                &b.deadline,
                &b.package,
                &b.severity,
            ))
        });
        Ok(groups)
    }

    /// A page of images matching `filter`, ordered by digest, `limit` after `after`.
    pub fn image_page(
        &self,
        filter: &ImageFilter,
        after: Option<&str>,
        limit: i64,
    ) -> Result<ImagePage, FleetError> {
        let limit = limit.clamp(1, MAX_PAGE);
        let mut conditions = vec!["1 = 1".to_string()];
        let mut params: Vec<Value> = Vec::new();
        if let Some(text) = filter
            .text
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            params.push(format!("{}%", like_escape(text)).into());
            params.push(format!("%{}%", like_escape(text)).into());
            conditions.push(format!(
                "(i.digest LIKE ${} ESCAPE '!' OR EXISTS (SELECT 1 FROM image_refs r WHERE r.digest = i.digest
                   AND (r.repository || ':' || r.tag) LIKE ${} ESCAPE '!'))",
                params.len() - 1,
                params.len()
            ));
        }
        if let Some(kind) = &filter.kind {
            params.push(kind.as_str().into());
            conditions.push(format!("i.kind = ${}", params.len()));
        }
        if filter.open_only {
            conditions.push("i.open_findings > 0".to_string());
        }
        if filter.stale_only {
            conditions.push(STALE_CONDITION.to_string());
        }
        let filter_sql = conditions.join(" AND ");
        self.db.transaction(|conn| {
            let total = conn
                .query_one(
                    &format!("SELECT COUNT(*) FROM images i WHERE {filter_sql}"),
                    &params,
                )?
                .map_or(0, |r| r[0].int());
            let mut page_params = params.clone();
            page_params.push(after.unwrap_or("").into());
            page_params.push(Value::Int(limit));
            let rows = conn.query(
                &format!(
                    "SELECT i.digest, i.os, i.open_findings, i.chp_level, i.first_seen, i.last_seen,
                            i.updated, CASE WHEN {STALE_CONDITION} THEN 1 ELSE 0 END
                     FROM images i WHERE {filter_sql} AND i.digest > ${} ORDER BY i.digest LIMIT ${}",
                    page_params.len() - 1,
                    page_params.len()
                ),
                &page_params,
            )?;
            let digests: Vec<String> = rows.iter().map(|r| r[0].text().to_string()).collect();
            let refs = refs_map(conn, &digests)?;
            let mut images = Vec::with_capacity(rows.len());
            for r in rows {
                let digest = r[0].text().to_string();
                images.push(ImageSummary {
                    refs: refs.get(&digest).cloned().unwrap_or_default(),
                    os: r[1].opt_text().map(str::to_string),
                    open_findings: r[2].int(),
                    chp_level: Some(r[3].int()).filter(|l| *l >= 0),
                    first_seen: r[4].text().to_string(),
                    last_seen: r[5].text().to_string(),
                    updated: r[6].text().to_string(),
                    stale: r[7].int() != 0,
                    digest,
                });
            }
            let next_after = (images.len() as i64 >= limit)
                .then(|| images.last().map(|i| i.digest.clone()))
                .flatten();
            Ok(ImagePage {
                images,
                total,
                next_after,
            })
        })
    }

    /// Images per kind (`application`, `base`, `unknown`).
    pub fn images_by_kind(&self) -> Result<BTreeMap<String, i64>, FleetError> {
        self.db.transaction(|conn| {
            Ok(conn
                .query("SELECT kind, COUNT(*) FROM images GROUP BY kind", &[])?
                .iter()
                .map(|r| (r[0].text().to_string(), r[1].int()))
                .collect())
        })
    }

    /// The references each of `digests` is known by.
    pub fn refs_of_many(
        &self,
        digests: &[String],
    ) -> Result<BTreeMap<String, Vec<String>>, FleetError> {
        self.db.transaction(|conn| refs_map(conn, digests))
    }

    /// The image's kind (`application`, `base`, `unknown`), or `None` when the fleet lacks it.
    pub fn image_kind(&self, digest: &str) -> Result<Option<String>, FleetError> {
        self.db.transaction(|conn| {
            Ok(conn
                .query_one(
                    "SELECT kind FROM images WHERE digest = $1",
                    &[digest.into()],
                )?
                .map(|r| r[0].text().to_string()))
        })
    }

    /// For each tag the image is known by, the digest the tag pointed at just before it:
    /// `(repository:tag, previous digest)`.
    pub fn previous_digests(&self, digest: &str) -> Result<Vec<(String, String)>, FleetError> {
        self.db.transaction(|conn| {
            let rows = conn.query(
                "SELECT r.repository, r.tag, (SELECT p.digest FROM image_refs p
                    WHERE p.repository = r.repository AND p.tag = r.tag AND p.seen < r.seen
                      AND p.digest <> r.digest
                    ORDER BY p.seen DESC LIMIT 1)
                 FROM image_refs r WHERE r.digest = $1 ORDER BY r.repository, r.tag",
                &[digest.into()],
            )?;
            Ok(rows
                .iter()
                .filter_map(|r| {
                    r[2].opt_text()
                        .map(|p| (format!("{}:{}", r[0].text(), r[1].text()), p.to_string()))
                })
                .collect())
        })
    }

    /// Vulnerability ids, package URLs and images that match `query`.
    pub fn search(&self, query: &str) -> Result<SearchResults, FleetError> {
        let q: String = query.trim().chars().take(200).collect();
        if q.is_empty() {
            return Ok(SearchResults::default());
        }
        let exact_digest = is_digest(&q);
        self.db.transaction(|conn| {
            let mut out = SearchResults::default();
            let upper = q.to_ascii_uppercase();
            out.vulnerabilities = conn
                .query(
                    &format!(
                        "SELECT DISTINCT vuln_id FROM finding_aliases WHERE alias = $1 OR alias = $2
                         ORDER BY vuln_id LIMIT {SEARCH_LIMIT}"
                    ),
                    &[q.as_str().into(), upper.as_str().into()],
                )?
                .iter()
                .map(|r| r[0].text().to_string())
                .collect();
            let package_rows = if q.starts_with("pkg:") {
                conn.query(
                    &format!(
                        "SELECT purl, COUNT(DISTINCT digest) FROM components WHERE purl = $1
                         GROUP BY purl LIMIT {SEARCH_LIMIT}"
                    ),
                    &[q.as_str().into()],
                )?
            } else {
                conn.query(
                    &format!(
                        "SELECT purl, COUNT(DISTINCT digest) FROM components WHERE name = $1
                         GROUP BY purl ORDER BY purl LIMIT {SEARCH_LIMIT}"
                    ),
                    &[q.as_str().into()],
                )?
            };
            out.packages = package_rows
                .iter()
                .map(|r| (r[0].text().to_string(), r[1].int()))
                .collect();
            let digests: Vec<String> = if exact_digest {
                conn.query(
                    "SELECT digest FROM images WHERE digest = $1",
                    &[q.as_str().into()],
                )?
            } else {
                conn.query(
                    &format!(
                        "SELECT DISTINCT digest FROM image_refs
                         WHERE (repository || ':' || tag) LIKE $1 ESCAPE '!' ORDER BY digest
                         LIMIT {SEARCH_LIMIT}"
                    ),
                    &[format!("%{}%", like_escape(&q)).into()],
                )?
            }
            .iter()
            .map(|r| r[0].text().to_string())
            .collect();
            for digest in digests {
                let refs = refs_of(conn, &digest)?;
                out.images.push((digest, refs));
            }
            Ok(out)
        })
    }
}

/// True for an image a tag pointed at before it moved to another digest (`i` is the image).
const STALE_CONDITION: &str = "EXISTS (SELECT 1 FROM image_refs r JOIN image_refs n
    ON n.repository = r.repository AND n.tag = r.tag AND n.digest <> r.digest AND n.seen > r.seen
    WHERE r.digest = i.digest)";
