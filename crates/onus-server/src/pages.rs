//! The dashboard (`/`): server-rendered pages over the fleet, for a person with a browser.
//!
//! Sign-in takes an API token with the read scope and opens a session kept in the fleet
//! database (so every server sharing it knows the session); the cookie is `HttpOnly`,
//! `SameSite=Strict` and `Secure` under TLS. Every state-changing form (sign-in, sign-out)
//! carries a CSRF token: the session's, or before sign-in a random one also set as a cookie
//! only `/signin` sees. Every page goes out with a Content-Security-Policy that allows the
//! service's own style sheet and script and nothing inline. A request without a live session
//! gets the sign-in page and nothing else.

use std::collections::BTreeMap;

use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, Path, Query, State as AxumState};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::Utc;
use onus_dashboard::{self as dash, Chrome, Nav};
use onus_fleet::tokens::{random_hex, Scope, Session};
use onus_fleet::views::ImageFilter;
use onus_fleet::FleetError;
use onus_report::{render_report, Report, ReportFormat};
use serde::Deserialize;
use subtle::ConstantTimeEq;

use crate::api::State;

const SESSION_COOKIE: &str = "onus_session";
const SIGNIN_COOKIE: &str = "onus_signin";

/// No inline script or style, no plug-ins, no framing, forms post only here.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Moves listed on a page.
const MOVES_PER_PAGE: i64 = 100;
/// Images listed on a page.
const IMAGES_PER_PAGE: i64 = 50;

pub(crate) fn routes() -> Router<State> {
    Router::new()
        .route("/", get(overview))
        .route("/signin", get(signin_form).post(signin))
        .route("/signout", post(signout))
        .route("/moves", get(customer_moves))
        .route("/vendor", get(vendor))
        .route("/upstream", get(upstream))
        .route("/images", get(images))
        .route("/images/{digest}", get(image))
        .route("/images/{digest}/{file}", get(image_download))
        .route("/vulnerability", get(vulnerability))
        .route("/package", get(package))
        .route("/search", get(search))
        .route("/static/onus.css", get(style_sheet))
        .route("/static/onus.js", get(script))
        .layer(middleware::from_fn(security_headers))
}

/// Headers every page and asset carries.
async fn security_headers(request: axum::extract::Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

fn html(status: StatusCode, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

/// A page that says what went wrong, with the status the API would give.
fn error_response(session: Option<&Session>, e: &FleetError) -> Response {
    let (status, title) = match e {
        FleetError::NotFound(_) => (StatusCode::NOT_FOUND, "Not found"),
        FleetError::InvalidInput(_) => (StatusCode::UNPROCESSABLE_ENTITY, "Invalid request"),
        FleetError::Unavailable { .. } => (
            StatusCode::SERVICE_UNAVAILABLE,
            "The fleet database is unavailable",
        ),
        _ => (StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong"),
    };
    let chrome = session.map(|s| Chrome {
        csrf: &s.csrf,
        active: Nav::None,
        query: "",
    });
    let mut response = html(
        status,
        dash::error_page(chrome.as_ref(), title, &onus_fleet::error_chain(e)),
    );
    if status == StatusCode::SERVICE_UNAVAILABLE {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    response
}

fn not_found(session: &Session, what: &str) -> Response {
    error_response(Some(session), &FleetError::NotFound(what.to_string()))
}

/// Blocking fleet work off the async workers.
async fn run<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, FleetError> + Send + 'static,
) -> Result<T, FleetError> {
    tokio::task::spawn_blocking(work).await.unwrap_or_else(|e| {
        Err(FleetError::Config(format!(
            "the request's task failed: {e}"
        )))
    })
}

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn set_cookie(state: &State, name: &str, value: &str, path: &str, max_age: i64) -> HeaderValue {
    let secure = if state.inner.tls { "; Secure" } else { "" };
    let text = format!(
        "{name}={value}; Path={path}; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    );
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The request's live session, or the response that sends the browser to sign in.
async fn session(state: &State, headers: &HeaderMap) -> Result<Session, Response> {
    let Some(cookie) = cookie(headers, SESSION_COOKIE).map(str::to_string) else {
        return Err(Redirect::to("/signin").into_response());
    };
    let fleet = state.inner.fleet.clone();
    // Sessions expire by the wall clock, whatever `--now` the assessments use.
    match run(move || fleet.session(&cookie, Utc::now())).await {
        Ok(Some(s)) if s.token.allows(Scope::Read) => Ok(s),
        Ok(_) => Err(Redirect::to("/signin").into_response()),
        Err(e) => Err(error_response(None, &e)),
    }
}

/// The fields the dashboard's forms post (url-encoded); a malformed body reads as empty.
#[derive(Deserialize, Default)]
struct FormFields {
    csrf: Option<String>,
    token: Option<String>,
}

fn form_fields(form: Result<Form<FormFields>, FormRejection>) -> FormFields {
    form.map(|Form(f)| f).unwrap_or_default()
}

fn same_secret(a: &str, b: &str) -> bool {
    !a.is_empty() && a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

async fn signin_form(AxumState(state): AxumState<State>) -> Response {
    signin_page(&state, None, StatusCode::OK)
}

/// The sign-in page with a fresh CSRF token, also set as a cookie only `/signin` receives.
fn signin_page(state: &State, error: Option<&str>, status: StatusCode) -> Response {
    let Ok(csrf) = random_hex(16) else {
        return html(
            StatusCode::INTERNAL_SERVER_ERROR,
            dash::error_page(
                None,
                "Something went wrong",
                "no randomness for a CSRF token",
            ),
        );
    };
    let mut response = html(status, dash::signin(error, &csrf));
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(state, SIGNIN_COOKIE, &csrf, "/signin", 3600),
    );
    response
}

async fn signin(
    AxumState(state): AxumState<State>,
    headers: HeaderMap,
    form: Result<Form<FormFields>, FormRejection>,
) -> Response {
    let fields = form_fields(form);
    let posted = fields.csrf.as_deref().unwrap_or("");
    let expected = cookie(&headers, SIGNIN_COOKIE).unwrap_or("");
    if !same_secret(posted, expected) {
        return signin_page(
            &state,
            Some("The form had expired or came from another site: sign in again."),
            StatusCode::FORBIDDEN,
        );
    }
    let token = fields.token.unwrap_or_default().trim().to_string();
    let fleet = state.inner.fleet.clone();
    let opened = run(move || {
        let Some(info) = fleet.verify_token(&token)? else {
            return Ok(None);
        };
        if !info.allows(Scope::Read) {
            return Ok(None);
        }
        fleet.create_session(&info, Utc::now()).map(Some)
    })
    .await;
    match opened {
        Ok(Some((cookie_value, session))) => {
            (state.inner.log)(&format!(
                "dashboard sign-in with token {}",
                session.token.id
            ));
            let mut response = Redirect::to("/").into_response();
            let headers = response.headers_mut();
            headers.append(
                header::SET_COOKIE,
                set_cookie(
                    &state,
                    SESSION_COOKIE,
                    &cookie_value,
                    "/",
                    onus_fleet::tokens::SESSION_HOURS * 3600,
                ),
            );
            headers.append(
                header::SET_COOKIE,
                set_cookie(&state, SIGNIN_COOKIE, "", "/signin", 0),
            );
            response
        }
        Ok(None) => signin_page(
            &state,
            Some("That token is unknown, revoked or lacks the read scope."),
            StatusCode::UNAUTHORIZED,
        ),
        Err(e) => error_response(None, &e),
    }
}

async fn signout(
    AxumState(state): AxumState<State>,
    headers: HeaderMap,
    form: Result<Form<FormFields>, FormRejection>,
) -> Response {
    let session = match session(&state, &headers).await {
        Ok(s) => s,
        Err(response) => return response,
    };
    let fields = form_fields(form);
    if !same_secret(fields.csrf.as_deref().unwrap_or(""), &session.csrf) {
        return html(
            StatusCode::FORBIDDEN,
            dash::error_page(
                None,
                "Forbidden",
                "the form's CSRF token does not match this session",
            ),
        );
    }
    if let Some(cookie_value) = cookie(&headers, SESSION_COOKIE).map(str::to_string) {
        let fleet = state.inner.fleet.clone();
        if let Err(e) = run(move || fleet.delete_session(&cookie_value)).await {
            return error_response(Some(&session), &e);
        }
    }
    let mut response = Redirect::to("/signin").into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(&state, SESSION_COOKIE, "", "/", 0),
    );
    response
}

async fn style_sheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        dash::style_sheet(),
    )
        .into_response()
}

async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        dash::SCRIPT,
    )
        .into_response()
}

fn chrome<'a>(session: &'a Session, active: Nav, query: &'a str) -> Chrome<'a> {
    Chrome {
        csrf: &session.csrf,
        active,
        query,
    }
}

/// Sign in first, then run `page` with the session.
macro_rules! signed_in {
    ($state:expr, $headers:expr) => {
        match session(&$state, &$headers).await {
            Ok(s) => s,
            Err(response) => return response,
        }
    };
}

async fn overview(AxumState(state): AxumState<State>, headers: HeaderMap) -> Response {
    let session = signed_in!(state, headers);
    let fleet = state.inner.fleet.clone();
    let data = run(move || {
        Ok(dash::OverviewData {
            summary: fleet.summary()?,
            kind_counts: fleet.kind_counts()?,
            images_by_kind: fleet.images_by_kind()?,
            trend: fleet.trend()?,
        })
    })
    .await;
    match data {
        Ok(data) => html(
            StatusCode::OK,
            dash::overview(&chrome(&session, Nav::Overview, ""), &data),
        ),
        Err(e) => error_response(Some(&session), &e),
    }
}

#[derive(Deserialize, Default)]
struct MovesParams {
    kind: Option<String>,
    text: Option<String>,
}

/// The moves of `party` and the references of the images they name.
async fn party_moves(
    state: &State,
    party: &'static str,
    filter: dash::MovesQuery,
) -> Result<(Vec<onus_fleet::query::Move>, BTreeMap<String, Vec<String>>), FleetError> {
    let fleet = state.inner.fleet.clone();
    run(move || {
        let moves = fleet.moves_where(party, &filter, MOVES_PER_PAGE)?;
        let digests: Vec<String> = moves
            .iter()
            .flat_map(|m| m.images.iter().cloned())
            .collect();
        let refs = fleet.refs_of_many(&digests)?;
        Ok((moves, refs))
    })
    .await
}

async fn customer_moves(
    AxumState(state): AxumState<State>,
    headers: HeaderMap,
    params: Result<Query<MovesParams>, QueryRejection>,
) -> Response {
    let session = signed_in!(state, headers);
    let params = params.map(|Query(p)| p).unwrap_or_default();
    let filter = dash::MovesQuery {
        kind: params.kind,
        text: params.text,
    };
    match party_moves(&state, "customer", filter.clone()).await {
        Ok((moves, refs)) => html(
            StatusCode::OK,
            dash::moves(&chrome(&session, Nav::Moves, ""), &moves, &refs, &filter),
        ),
        Err(e) => error_response(Some(&session), &e),
    }
}

async fn vendor(AxumState(state): AxumState<State>, headers: HeaderMap) -> Response {
    let session = signed_in!(state, headers);
    let moves = party_moves(&state, "vendor", dash::MovesQuery::default()).await;
    let fleet = state.inner.fleet.clone();
    let clocks = run(move || fleet.clocks()).await;
    let today = state.inner.clock.now().date_naive();
    match (moves, clocks) {
        (Ok((moves, refs)), Ok(groups)) => html(
            StatusCode::OK,
            dash::clocks(
                &chrome(&session, Nav::Vendor, ""),
                &moves,
                &groups,
                &refs,
                today,
            ),
        ),
        (Err(e), _) | (_, Err(e)) => error_response(Some(&session), &e),
    }
}

async fn upstream(AxumState(state): AxumState<State>, headers: HeaderMap) -> Response {
    let session = signed_in!(state, headers);
    match party_moves(&state, "upstream", dash::MovesQuery::default()).await {
        Ok((moves, refs)) => html(
            StatusCode::OK,
            dash::upstream(&chrome(&session, Nav::Upstream, ""), &moves, &refs),
        ),
        Err(e) => error_response(Some(&session), &e),
    }
}

#[derive(Deserialize, Default)]
struct ImagesParams {
    text: Option<String>,
    kind: Option<String>,
    stale: Option<String>,
    open: Option<String>,
    after: Option<String>,
}

async fn images(
    AxumState(state): AxumState<State>,
    headers: HeaderMap,
    params: Result<Query<ImagesParams>, QueryRejection>,
) -> Response {
    let session = signed_in!(state, headers);
    let p = params.map(|Query(p)| p).unwrap_or_default();
    let query = dash::ImageListQuery {
        text: p.text.unwrap_or_default().chars().take(200).collect(),
        kind: p
            .kind
            .filter(|k| matches!(k.as_str(), "application" | "base" | "unknown"))
            .unwrap_or_default(),
        stale: p.stale.is_some_and(|v| !v.is_empty()),
        open: p.open.is_some_and(|v| !v.is_empty()),
        after: p.after.filter(|a| !a.is_empty()),
    };
    let filter = ImageFilter {
        text: Some(query.text.clone()).filter(|t| !t.is_empty()),
        kind: Some(query.kind.clone()).filter(|k| !k.is_empty()),
        stale_only: query.stale,
        open_only: query.open,
    };
    let after = query.after.clone();
    let fleet = state.inner.fleet.clone();
    match run(move || fleet.image_page(&filter, after.as_deref(), IMAGES_PER_PAGE)).await {
        Ok(page) => html(
            StatusCode::OK,
            dash::image_list(&chrome(&session, Nav::Images, ""), &page, &query),
        ),
        Err(e) => error_response(Some(&session), &e),
    }
}

fn parse_report(digest: &str, bytes: &[u8]) -> Result<Report, FleetError> {
    serde_json::from_slice(bytes).map_err(|e| {
        FleetError::Config(format!("the stored report of {digest} does not parse: {e}"))
    })
}

async fn image(
    AxumState(state): AxumState<State>,
    headers: HeaderMap,
    Path(digest): Path<String>,
) -> Response {
    let session = signed_in!(state, headers);
    let fleet = state.inner.fleet.clone();
    let data = run(move || {
        let report = parse_report(&digest, &fleet.image_report(&digest)?)?;
        let refs = fleet
            .refs_of_many(std::slice::from_ref(&digest))?
            .remove(&digest)
            .unwrap_or_default();
        let mut previous = Vec::new();
        for (tag, earlier) in fleet.previous_digests(&digest)? {
            let diff = fleet
                .image_report(&earlier)
                .and_then(|bytes| parse_report(&earlier, &bytes))
                .ok()
                .map(|from| onus_report::diff::diff(&from, &report));
            previous.push((tag, earlier, diff));
        }
        Ok(dash::ImagePageData {
            digest,
            refs,
            report,
            previous,
        })
    })
    .await;
    match data {
        Ok(data) => html(
            StatusCode::OK,
            dash::image(&chrome(&session, Nav::Images, ""), &data),
        ),
        Err(e) => error_response(Some(&session), &e),
    }
}

/// The image's SBOMs, VEX and report as files.
async fn image_download(
    AxumState(state): AxumState<State>,
    headers: HeaderMap,
    Path((digest, file)): Path<(String, String)>,
) -> Response {
    let session = signed_in!(state, headers);
    let format = match file.as_str() {
        "sbom.cdx.json" => ReportFormat::CycloneDxJson,
        "sbom.spdx.json" => ReportFormat::SpdxJson,
        "vex.openvex.json" => ReportFormat::OpenVex,
        "report.json" => ReportFormat::Json,
        _ => return not_found(&session, &file),
    };
    let fleet = state.inner.fleet.clone();
    let shown = digest.clone();
    let rendered = run(move || {
        let report = parse_report(&digest, &fleet.image_report(&digest)?)?;
        let mut out = Vec::new();
        render_report(&report, format, &mut out)
            .map_err(|e| FleetError::Config(format!("cannot render {digest}: {e}")))?;
        Ok(out)
    })
    .await;
    match rendered {
        Ok(bytes) => {
            let name = format!(
                "{}-{file}",
                shown
                    .trim_start_matches("sha256:")
                    .chars()
                    .take(12)
                    .collect::<String>()
            );
            let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{name}\""))
                .unwrap_or_else(|_| HeaderValue::from_static("attachment"));
            (
                [
                    (
                        header::CONTENT_TYPE,
                        HeaderValue::from_static("application/json"),
                    ),
                    (header::CONTENT_DISPOSITION, disposition),
                ],
                bytes,
            )
                .into_response()
        }
        Err(e) => error_response(Some(&session), &e),
    }
}

#[derive(Deserialize, Default)]
struct IdParams {
    id: Option<String>,
    offset: Option<i64>,
}

/// Images and findings listed on a package page.
const PACKAGE_ROWS: i64 = 200;

async fn vulnerability(
    AxumState(state): AxumState<State>,
    headers: HeaderMap,
    params: Result<Query<IdParams>, QueryRejection>,
) -> Response {
    let session = signed_in!(state, headers);
    let params = params.map(|Query(p)| p).unwrap_or_default();
    let id: String = params.id.unwrap_or_default().chars().take(200).collect();
    let offset = params.offset.unwrap_or(0).max(0);
    let fleet = state.inner.fleet.clone();
    let lookup = id.clone();
    let found =
        run(move || fleet.vulnerability_page(&lookup, offset, dash::FINDINGS_PER_PAGE)).await;
    match found {
        Ok(page) if page.total == 0 => {
            not_found(&session, &format!("no image in the fleet has `{id}`"))
        }
        Ok(page) => html(
            StatusCode::OK,
            dash::vulnerability(&chrome(&session, Nav::None, ""), &id, &page, offset),
        ),
        Err(e) => error_response(Some(&session), &e),
    }
}

#[derive(Deserialize, Default)]
struct PurlParams {
    purl: Option<String>,
}

async fn package(
    AxumState(state): AxumState<State>,
    headers: HeaderMap,
    params: Result<Query<PurlParams>, QueryRejection>,
) -> Response {
    let session = signed_in!(state, headers);
    let purl: String = params
        .ok()
        .and_then(|Query(p)| p.purl)
        .unwrap_or_default()
        .chars()
        .take(2000)
        .collect();
    let fleet = state.inner.fleet.clone();
    match run(move || fleet.package_page(&purl, PACKAGE_ROWS)).await {
        Ok(answer) if answer.images.is_empty() => not_found(
            &session,
            &format!("no image in the fleet holds `{}`", answer.purl),
        ),
        Ok(answer) => html(
            StatusCode::OK,
            dash::package(&chrome(&session, Nav::None, ""), &answer),
        ),
        Err(e) => error_response(Some(&session), &e),
    }
}

#[derive(Deserialize, Default)]
struct SearchParams {
    q: Option<String>,
}

/// One hit goes straight to its page; otherwise the list.
async fn search(
    AxumState(state): AxumState<State>,
    headers: HeaderMap,
    params: Result<Query<SearchParams>, QueryRejection>,
) -> Response {
    let session = signed_in!(state, headers);
    let q: String = params
        .ok()
        .and_then(|Query(p)| p.q)
        .unwrap_or_default()
        .trim()
        .chars()
        .take(200)
        .collect();
    let fleet = state.inner.fleet.clone();
    let query = q.clone();
    let results = match run(move || fleet.search(&query)).await {
        Ok(r) => r,
        Err(e) => return error_response(Some(&session), &e),
    };
    if results.len() == 1 {
        let target = if let Some(id) = results.vulnerabilities.first() {
            format!(
                "/vulnerability?id={}",
                onus_report::util::percent_encode_path(id)
            )
        } else if let Some((purl, _)) = results.packages.first() {
            format!(
                "/package?purl={}",
                onus_report::util::percent_encode_path(purl)
            )
        } else if let Some((digest, _)) = results.images.first() {
            format!("/images/{digest}")
        } else {
            String::from("/")
        };
        return Redirect::to(&target).into_response();
    }
    html(
        StatusCode::OK,
        dash::search(&chrome(&session, Nav::None, &q), &q, &results),
    )
}
