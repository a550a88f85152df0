//! `onus serve`: the fleet service. An HTTP API (axum on tokio) over the fleet store
//! (`onus-fleet`), and one background worker per process that notices store changes, re-matches
//! the images they touch, re-checks SLA clocks on a schedule and delivers webhooks.
//!
//! Database and store work is blocking (SQLite, the synchronous PostgreSQL client, the matcher)
//! and runs on tokio's blocking pool, never on the async workers. The library never prints:
//! the binary passes a [`Log`] that draws on stderr.

mod api;
mod openapi;
mod pages;
mod stores;
mod worker;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use onus_fleet::webhook::Webhooks;
use onus_fleet::{Fleet, FleetError};

pub use api::router;
pub use openapi::OPENAPI;

/// Where the service writes what an operator should see (one line each).
pub type Log = Arc<dyn Fn(&str) + Send + Sync>;

/// Fetches the feeds and rebuilds the store at the given path (the binary's `onus db update`);
/// returns a one-line summary, or the error as text.
pub type FeedUpdate = Arc<dyn Fn(&Path) -> Result<String, String> + Send + Sync>;

/// Everything `onus serve` needs.
pub struct ServeConfig {
    pub listen: SocketAddr,
    /// `sqlite:PATH` or `postgres://…`.
    pub data: String,
    /// The vulnerability store (`--db`).
    pub store: PathBuf,
    /// A fixed assessment time (`--now`); the wall clock otherwise.
    pub now: Option<DateTime<Utc>>,
    /// How often the worker looks for a changed store and queued jobs.
    pub poll: Duration,
    /// Re-assess every image this often, so SLA clocks that breach with time are seen.
    pub recheck: Option<Duration>,
    /// Run `feed_update` this often.
    pub update_every: Option<Duration>,
    pub feed_update: Option<FeedUpdate>,
    pub webhooks: Option<Webhooks>,
    pub tls: Option<TlsFiles>,
    /// The largest request body accepted.
    pub max_body: usize,
    /// Requests per second per token (a burst of twice as many is allowed).
    pub rate_limit: u32,
    /// How `POST /api/v1/images` reaches registries (credentials, CAs, blob cache).
    pub open_options: onus_image::OpenOptions,
}

/// PEM files for `--tls-cert` and `--tls-key`.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// Why the service could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Fleet(#[from] FleetError),
    #[error("cannot listen on {addr}")]
    Listen {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read TLS {what} `{}`: {message}", path.display())]
    Tls {
        what: &'static str,
        path: PathBuf,
        message: String,
    },
    #[error("cannot start the async runtime")]
    Runtime(#[source] std::io::Error),
}

/// The clock assessments use: `--now` when given.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Clock(Option<DateTime<Utc>>);

impl Clock {
    pub(crate) fn now(self) -> DateTime<Utc> {
        self.0.unwrap_or_else(Utc::now)
    }
}

/// Open the fleet and the store, start the worker and serve until SIGINT or SIGTERM.
pub fn run(config: ServeConfig, log: Log) -> Result<(), ServeError> {
    // Blocking work (assessments, database) is bounded: each in-flight submission holds a
    // parsed report, so the bound is what caps the service's memory under load.
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(cores * 4)
        .build()
        .map_err(ServeError::Runtime)?;
    runtime.block_on(serve(config, log))
}

async fn serve(config: ServeConfig, log: Log) -> Result<(), ServeError> {
    let ServeConfig {
        listen,
        data,
        store,
        now,
        poll,
        recheck,
        update_every,
        feed_update,
        webhooks,
        tls,
        max_body,
        rate_limit,
        open_options,
    } = config;
    let clock = Clock(now);
    // Opening migrates and reads the store's digests: blocking work.
    let (fleet, stores) = tokio::task::spawn_blocking(move || {
        let fleet = Fleet::open(&data)?;
        let stores = stores::Stores::open(&store)?;
        let refreshed = stores.with(|s| fleet.refresh(s, clock.now()))?;
        Ok::<_, FleetError>((Arc::new(fleet), Arc::new(stores), refreshed))
    })
    .await
    .map_err(|e| FleetError::Config(format!("startup task failed: {e}")))?
    .map(|(fleet, stores, refreshed)| {
        log(&format!(
            "fleet {} on store {} ({}; {} images queued for re-matching)",
            fleet.database().location(),
            stores.path().display(),
            refreshed.store,
            refreshed.queued
        ));
        (fleet, stores)
    })?;

    let wake = worker::spawn(worker::Worker {
        fleet: fleet.clone(),
        stores: stores.clone(),
        clock,
        poll,
        recheck,
        update_every,
        feed_update: feed_update.clone(),
        webhooks,
        log: log.clone(),
    })
    .map_err(ServeError::Runtime)?;
    let state = api::State::new(api::StateParts {
        fleet,
        stores,
        clock,
        wake,
        feed_update,
        rate_limit,
        open_options,
        log: log.clone(),
        tls: tls.is_some(),
    });
    let app = router(state, max_body);

    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|source| ServeError::Listen {
            addr: listen,
            source,
        })?;
    let local = listener.local_addr().map_err(|source| ServeError::Listen {
        addr: listen,
        source,
    })?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    log(&format!("listening on {scheme}://{local}"));
    match tls {
        None => axum::serve(listener, app)
            .with_graceful_shutdown(shutdown())
            .await
            .map_err(|source| ServeError::Listen {
                addr: local,
                source,
            }),
        Some(files) => {
            let acceptor = tls_acceptor(&files)?;
            serve_tls(listener, acceptor, app, log).await;
            Ok(())
        }
    }
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

fn tls_acceptor(files: &TlsFiles) -> Result<tokio_rustls::TlsAcceptor, ServeError> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&files.cert)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .map_err(|e| ServeError::Tls {
            what: "certificate",
            path: files.cert.clone(),
            message: e.to_string(),
        })?;
    let key = PrivateKeyDer::from_pem_file(&files.key).map_err(|e| ServeError::Tls {
        what: "key",
        path: files.key.clone(),
        message: e.to_string(),
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|b| b.with_no_client_auth().with_single_cert(certs, key))
        .map_err(|e| ServeError::Tls {
            what: "certificate and key",
            path: files.cert.clone(),
            message: e.to_string(),
        })?;
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

/// Accept TLS connections and serve each over HTTP/1.1 until shutdown.
async fn serve_tls(
    listener: tokio::net::TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
    app: axum::Router,
    log: Log,
) {
    let stop = shutdown();
    tokio::pin!(stop);
    loop {
        let (tcp, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    log(&format!("accept failed: {e}"));
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut stop => return,
        };
        let acceptor = acceptor.clone();
        let app = app.clone();
        tokio::spawn(async move {
            // A handshake that stalls is dropped rather than held open.
            let Ok(Ok(stream)) =
                tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp)).await
            else {
                return;
            };
            let service = hyper_util::service::TowerToHyperService::new(app);
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                .await;
        });
    }
}
