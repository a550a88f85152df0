//! The HTTP API (`/api/v1`, documented in [`crate::OPENAPI`]). Every route but `/healthz`
//! needs a token; every error is JSON with a stable code:
//! `{"error": {"code": "...", "message": "..."}}`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, Query, Request, State as AxumState};
use axum::http::{header, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use onus_fleet::tokens::{Scope, TokenInfo};
use onus_fleet::{Fleet, FleetError, Submission};
use serde::{Deserialize, Serialize};

use crate::stores::SharedStores;
use crate::worker::Wake;
use crate::{Clock, FeedUpdate, Log};
use onus_fleet::error_chain as chain;

/// Shared by every handler.
#[derive(Clone)]
pub struct State {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) fleet: Arc<Fleet>,
    stores: SharedStores,
    pub(crate) clock: Clock,
    wake: Wake,
    feed_update: Option<FeedUpdate>,
    limiter: Limiter,
    open_options: onus_image::OpenOptions,
    pub(crate) log: Log,
    /// The service speaks TLS: session cookies are `Secure`.
    pub(crate) tls: bool,
}

pub(crate) struct StateParts {
    pub fleet: Arc<Fleet>,
    pub stores: SharedStores,
    pub clock: Clock,
    pub wake: Wake,
    pub feed_update: Option<FeedUpdate>,
    pub rate_limit: u32,
    pub open_options: onus_image::OpenOptions,
    pub log: Log,
    pub tls: bool,
}

impl State {
    pub(crate) fn new(parts: StateParts) -> State {
        State {
            inner: Arc::new(Inner {
                fleet: parts.fleet,
                stores: parts.stores,
                clock: parts.clock,
                wake: parts.wake,
                feed_update: parts.feed_update,
                limiter: Limiter::new(parts.rate_limit),
                open_options: parts.open_options,
                log: parts.log,
                tls: parts.tls,
            }),
        }
    }

    fn wake_worker(&self) {
        self.inner.wake.wake();
    }
}

/// The routes, with authentication, rate limits and the body limit.
pub fn router(state: State, max_body: usize) -> Router {
    let api = Router::new()
        .route("/api/v1/openapi.json", get(openapi))
        .route("/api/v1/summary", get(summary))
        .route("/api/v1/moves", get(moves))
        .route("/api/v1/images", get(images).post(submit_image))
        .route("/api/v1/images/{digest}", get(image))
        .route("/api/v1/reports", post(submit_report))
        .route("/api/v1/vulnerabilities/{id}", get(vulnerability))
        .route("/api/v1/packages/{*purl}", get(package))
        .route("/api/v1/events", get(events))
        .route("/api/v1/feeds/update", post(feeds_update))
        .route("/api/v1/rematch", post(rematch))
        .route_layer(middleware::from_fn_with_state(state.clone(), authenticate));
    Router::new()
        .route("/healthz", get(health))
        .merge(api)
        .merge(crate::pages::routes())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(max_body))
        .layer(middleware::from_fn(move |request: Request, next: Next| {
            declared_size(request, next, max_body)
        }))
        .with_state(state)
}

/// A JSON error with a stable code.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: ErrorDetail<'a>,
}

#[derive(Serialize)]
struct ErrorDetail<'a> {
    code: &'a str,
    message: &'a str,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code,
                message: &self.message,
            },
        };
        let mut response = (self.status, Json(body)).into_response();
        if self.status == StatusCode::SERVICE_UNAVAILABLE
            || self.status == StatusCode::TOO_MANY_REQUESTS
        {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
        }
        response
    }
}

impl From<FleetError> for ApiError {
    fn from(e: FleetError) -> ApiError {
        let status = match &e {
            FleetError::InvalidInput(_) | FleetError::UnknownImage => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            FleetError::NotFound(_) => StatusCode::NOT_FOUND,
            FleetError::Unavailable { .. }
            | FleetError::Store { .. }
            | FleetError::FeedUpdate(_) => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        ApiError::new(status, e.code(), chain(&e))
    }
}

type ApiResult<T> = Result<T, ApiError>;

/// Run blocking fleet work off the async workers.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, FleetError> + Send + 'static,
) -> ApiResult<T> {
    match tokio::task::spawn_blocking(work).await {
        Ok(result) => result.map_err(ApiError::from),
        Err(e) => Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            format!("the request's task failed: {e}"),
        )),
    }
}

/// Per-token token buckets.
struct Limiter {
    per_second: f64,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl Limiter {
    fn new(per_second: u32) -> Limiter {
        Limiter {
            per_second: f64::from(per_second.max(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    fn allow(&self, id: &str) -> bool {
        let Ok(mut buckets) = self.buckets.lock() else {
            return false;
        };
        let burst = self.per_second * 2.0;
        let now = Instant::now();
        let (tokens, last) = buckets.entry(id.to_string()).or_insert((burst, now));
        *tokens = (*tokens + now.duration_since(*last).as_secs_f64() * self.per_second).min(burst);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

async fn authenticate(
    AxumState(state): AxumState<State>,
    mut request: Request,
    next: Next,
) -> Response {
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_string());
    let Some(token) = presented else {
        return ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "an API token is required: `Authorization: Bearer <token>` (create one with `onus serve token create`)",
        )
        .into_response();
    };
    let fleet = state.inner.fleet.clone();
    let verified = blocking(move || fleet.verify_token(&token)).await;
    match verified {
        Ok(Some(info)) => {
            if !state.inner.limiter.allow(&info.id) {
                return ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate_limited",
                    "too many requests for this token; retry later",
                )
                .into_response();
            }
            request.extensions_mut().insert(info);
            next.run(request).await
        }
        Ok(None) => ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "unknown or revoked token",
        )
        .into_response(),
        Err(e) => e.into_response(),
    }
}

/// A body whose declared length is over the limit is refused before any of it is read (a
/// body without a length is cut at the limit as it is read).
async fn declared_size(request: Request, next: Next, max_body: usize) -> Response {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max_body as u64) {
        return ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the body is larger than this server's limit of {max_body} bytes (--max-body)"),
        )
        .into_response();
    }
    next.run(request).await
}

fn require(token: &TokenInfo, scope: Scope) -> ApiResult<()> {
    if token.allows(scope) {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!("this token lacks the `{}` scope", scope.as_str()),
        ))
    }
}

fn body_of(body: Result<Bytes, BytesRejection>) -> ApiResult<Bytes> {
    body.map_err(|rejection| {
        let status = rejection.status();
        let code = if status == StatusCode::PAYLOAD_TOO_LARGE {
            "payload_too_large"
        } else {
            "invalid_body"
        };
        ApiError::new(status, code, rejection.body_text())
    })
}

async fn health() -> Json<serde_json::Value> {
    Json(serde_json::json!({"status": "ok"}))
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such route")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this route does not take that method",
    )
}

async fn openapi(Extension(token): Extension<TokenInfo>) -> ApiResult<Response> {
    require(&token, Scope::Read)?;
    Ok(([(header::CONTENT_TYPE, "application/json")], crate::OPENAPI).into_response())
}

async fn summary(
    AxumState(state): AxumState<State>,
    Extension(token): Extension<TokenInfo>,
) -> ApiResult<Json<onus_fleet::query::Summary>> {
    require(&token, Scope::Read)?;
    let fleet = state.inner.fleet.clone();
    blocking(move || fleet.summary()).await.map(Json)
}

#[derive(Deserialize)]
struct MovesQuery {
    party: Option<String>,
    limit: Option<i64>,
}

async fn moves(
    AxumState(state): AxumState<State>,
    Extension(token): Extension<TokenInfo>,
    query: Result<Query<MovesQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<serde_json::Value>> {
    require(&token, Scope::Read)?;
    let Query(q) = query.map_err(query_error)?;
    let party = q.party.unwrap_or_else(|| "customer".to_string());
    let fleet = state.inner.fleet.clone();
    let shown = party.clone();
    let limit = q.limit.unwrap_or(100);
    let moves = blocking(move || fleet.moves(&party, limit)).await?;
    Ok(Json(serde_json::json!({"party": shown, "moves": moves})))
}

fn query_error(e: axum::extract::rejection::QueryRejection) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", e.body_text())
}

#[derive(Deserialize)]
struct PageQuery {
    after: Option<String>,
    limit: Option<i64>,
}

async fn images(
    AxumState(state): AxumState<State>,
    Extension(token): Extension<TokenInfo>,
    query: Result<Query<PageQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<serde_json::Value>> {
    require(&token, Scope::Read)?;
    let Query(q) = query.map_err(query_error)?;
    let fleet = state.inner.fleet.clone();
    let limit = q.limit.unwrap_or(100);
    let list = blocking(move || fleet.images(q.after.as_deref(), limit)).await?;
    let next = (list.len() as i64 >= limit.clamp(1, onus_fleet::query::MAX_PAGE))
        .then(|| list.last().map(|i| i.digest.clone()))
        .flatten();
    Ok(Json(
        serde_json::json!({"images": list, "next_after": next}),
    ))
}

async fn image(
    AxumState(state): AxumState<State>,
    Extension(token): Extension<TokenInfo>,
    Path(digest): Path<String>,
) -> ApiResult<Response> {
    require(&token, Scope::Read)?;
    let fleet = state.inner.fleet.clone();
    let report = blocking(move || fleet.image_report(&digest)).await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], report).into_response())
}

#[derive(Deserialize)]
struct SubmitQuery {
    /// The image's manifest digest, for an SBOM that lacks it.
    digest: Option<String>,
    /// A `repository:tag` the image is known by.
    #[serde(rename = "ref")]
    reference: Option<String>,
}

async fn submit_report(
    AxumState(state): AxumState<State>,
    Extension(token): Extension<TokenInfo>,
    query: Result<Query<SubmitQuery>, axum::extract::rejection::QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    require(&token, Scope::Submit)?;
    let Query(q) = query.map_err(query_error)?;
    let body = body_of(body)?;
    let refs: Vec<String> = q.reference.into_iter().collect();
    let submission = Submission::parse(&body, q.digest.as_deref(), &refs)?;
    let inner = state.inner.clone();
    let ingested = blocking(move || {
        inner
            .stores
            .with(|store| inner.fleet.ingest(submission, store, inner.clock.now()))
    })
    .await?;
    state.wake_worker();
    Ok(ingested_response(ingested))
}

/// 201 for an image new to the fleet, 200 for one it had (submissions are idempotent).
fn ingested_response(ingested: onus_fleet::Ingested) -> Response {
    let status = if ingested.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    (status, Json(ingested)).into_response()
}

#[derive(Deserialize)]
struct ImageRequest {
    #[serde(rename = "ref")]
    reference: String,
}

async fn submit_image(
    AxumState(state): AxumState<State>,
    Extension(token): Extension<TokenInfo>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    require(&token, Scope::Submit)?;
    let body = body_of(body)?;
    let request: ImageRequest = serde_json::from_slice(&body).map_err(|e| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_submission",
            format!("expected {{\"ref\": \"registry/repository:tag\"}}: {e}"),
        )
    })?;
    let inner = state.inner.clone();
    let ingested = blocking(move || {
        inner.stores.with(|store| {
            inner.fleet.ingest_reference(
                &request.reference,
                &inner.open_options,
                store,
                inner.clock.now(),
            )
        })
    })
    .await;
    let ingested = match ingested {
        Ok(i) => i,
        Err(e) if e.code == "assessment_failed" => {
            (state.inner.log)(&format!("pull failed: {}", e.message));
            return Err(ApiError::new(
                StatusCode::BAD_GATEWAY,
                "pull_failed",
                e.message,
            ));
        }
        Err(e) => return Err(e),
    };
    state.wake_worker();
    Ok(ingested_response(ingested))
}

async fn vulnerability(
    AxumState(state): AxumState<State>,
    Extension(token): Extension<TokenInfo>,
    Path(id): Path<String>,
) -> ApiResult<Json<serde_json::Value>> {
    require(&token, Scope::Read)?;
    let fleet = state.inner.fleet.clone();
    let shown = id.clone();
    let findings = blocking(move || fleet.vulnerability(&id)).await?;
    if findings.is_empty() {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no image in the fleet has `{shown}`"),
        ));
    }
    Ok(Json(serde_json::json!({"id": shown, "findings": findings})))
}

async fn package(
    AxumState(state): AxumState<State>,
    Extension(token): Extension<TokenInfo>,
    Path(purl): Path<String>,
) -> ApiResult<Json<onus_fleet::query::PackageAnswer>> {
    require(&token, Scope::Read)?;
    let fleet = state.inner.fleet.clone();
    let answer = blocking(move || fleet.package(&purl)).await?;
    if answer.images.is_empty() {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no image in the fleet holds `{}`", answer.purl),
        ));
    }
    Ok(Json(answer))
}

#[derive(Deserialize)]
struct EventsQuery {
    /// A sequence number (events after it) or an RFC 3339 time (events at or after it).
    since: Option<String>,
    limit: Option<i64>,
}

async fn events(
    AxumState(state): AxumState<State>,
    Extension(token): Extension<TokenInfo>,
    query: Result<Query<EventsQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<serde_json::Value>> {
    require(&token, Scope::Read)?;
    let Query(q) = query.map_err(query_error)?;
    let fleet = state.inner.fleet.clone();
    let limit = q.limit.unwrap_or(100);
    let list = blocking(move || {
        let since = match q.since.as_deref() {
            None | Some("") => 0,
            Some(s) => match s.parse::<i64>() {
                Ok(seq) => seq,
                Err(_) => {
                    let time = chrono::DateTime::parse_from_rfc3339(s).map_err(|_| {
                        FleetError::InvalidInput(format!(
                            "`since` must be an event number or an RFC 3339 time, not `{}`",
                            s.chars().take(40).collect::<String>()
                        ))
                    })?;
                    fleet.event_seq_at(&onus_fleet::timestamp(time.to_utc()))?
                }
            },
        };
        fleet.events(since, limit)
    })
    .await?;
    let last = list.last().map(|e| e.seq);
    Ok(Json(serde_json::json!({"events": list, "last": last})))
}

#[derive(Deserialize, Default)]
struct FeedsUpdateRequest {
    /// Fetch the feeds first (`onus db update`); `false` only reloads the store on disk.
    #[serde(default = "yes")]
    fetch: bool,
}

fn yes() -> bool {
    true
}

async fn feeds_update(
    AxumState(state): AxumState<State>,
    Extension(token): Extension<TokenInfo>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<serde_json::Value>> {
    require(&token, Scope::Admin)?;
    let body = body_of(body)?;
    let request: FeedsUpdateRequest = if body.is_empty() {
        FeedsUpdateRequest { fetch: true }
    } else {
        serde_json::from_slice(&body).map_err(|e| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_body",
                format!("expected {{\"fetch\": true|false}}: {e}"),
            )
        })?
    };
    let inner = state.inner.clone();
    let (fetched, refreshed) = blocking(move || {
        let fetched = if request.fetch {
            let update = inner
                .feed_update
                .as_ref()
                .ok_or_else(|| FleetError::Config("this server cannot fetch feeds".to_string()))?;
            Some(update(inner.stores.path()).map_err(FleetError::FeedUpdate)?)
        } else {
            None
        };
        inner.stores.reload()?;
        let refreshed = inner
            .stores
            .with(|store| inner.fleet.refresh(store, inner.clock.now()))?;
        Ok((fetched, refreshed))
    })
    .await?;
    state.wake_worker();
    Ok(Json(
        serde_json::json!({"fetched": fetched, "refreshed": refreshed}),
    ))
}

/// Queue every image for re-assessment now (what `--recheck-every` does on a schedule).
async fn rematch(
    AxumState(state): AxumState<State>,
    Extension(token): Extension<TokenInfo>,
) -> ApiResult<Json<serde_json::Value>> {
    require(&token, Scope::Admin)?;
    let inner = state.inner.clone();
    let queued = blocking(move || {
        inner
            .stores
            .with(|store| inner.fleet.queue_all(store, inner.clock.now()))
    })
    .await?;
    state.wake_worker();
    Ok(Json(serde_json::json!({"queued": queued})))
}
