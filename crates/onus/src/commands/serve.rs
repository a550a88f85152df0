//! `onus serve`: arguments → [`onus_server::ServeConfig`] → [`onus_server::run`]; and
//! `onus serve token create`.

use std::io::Write as _;
use std::sync::Arc;

use anyhow::Context as _;
use onus_fleet::tokens::Scope;
use onus_fleet::webhook::Webhooks;
use onus_fs::Reporter;

use crate::cli::{DataArgs, ScopeArg, ServeArgs, ServeCommand, TokenCommand};
use crate::commands::{db, sbom};
use crate::{output, time, Outcome};

pub fn run(args: &ServeArgs, _reporter: &dyn Reporter) -> anyhow::Result<Outcome> {
    if let Some(ServeCommand::Token(TokenCommand::Create { scope, name, data })) = &args.command {
        return create_token(scope, name, data);
    }
    let now = match args.now.as_deref() {
        Some(text) => Some(time::parse_now(Some(text))?),
        None => None,
    };
    let store = db::store_path(&args.db)?;
    if !store.exists() {
        anyhow::bail!(
            "no vulnerability store at `{}`: build one with `onus db update` or `onus db build --from DIR` (the service matches only against a store it can read)",
            store.display()
        );
    }
    let webhooks = if args.webhook.is_empty() {
        None
    } else {
        let secret = args.webhook_secret.clone().context(
            "`--webhook` needs a signing secret: set ONUS_WEBHOOK_SECRET (or --webhook-secret)",
        )?;
        Some(Webhooks {
            urls: args.webhook.clone(),
            secret: secret.into_bytes(),
            timeout: std::time::Duration::from_secs(10),
        })
    };
    let mirror = args.mirror.clone();
    let feed_update: onus_server::FeedUpdate = Arc::new(move |path: &std::path::Path| {
        db::update_store(path, None, false, mirror.clone(), &mut |_| {})
            .map(|summary| format!("{} sources", summary.sources.len()))
            .map_err(|e| format!("{e:#}"))
    });
    let config = onus_server::ServeConfig {
        listen: args.listen,
        data: data_url(&args.data)?,
        store,
        now,
        poll: args.poll,
        recheck: Some(args.recheck_every).filter(|d| !d.is_zero()),
        update_every: args.update_every,
        feed_update: Some(feed_update),
        webhooks,
        tls: match (&args.tls_cert, &args.tls_key) {
            (Some(cert), Some(key)) => Some(onus_server::TlsFiles {
                cert: cert.clone(),
                key: key.clone(),
            }),
            _ => None,
        },
        max_body: usize::try_from(args.max_body).unwrap_or(usize::MAX),
        rate_limit: args.rate_limit,
        open_options: onus_image::OpenOptions {
            registry: sbom::registry_options(&args.registry),
            blob_cache: args.registry.cache.clone(),
            ..Default::default()
        },
    };
    // The service's log is its progress: one line per event on stderr.
    let log: onus_server::Log = Arc::new(|line: &str| {
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "onus serve: {line}");
    });
    onus_server::run(config, log).context("the fleet service stopped")?;
    Ok(Outcome::Pass)
}

/// `--data`, `ONUS_DATA`, or `sqlite:` in the user data directory.
fn data_url(args: &DataArgs) -> anyhow::Result<String> {
    if let Some(url) = &args.data {
        return Ok(url.clone());
    }
    let dir = dirs::data_dir()
        .context("no user data directory on this system: pass --data sqlite:PATH")?
        .join("onus");
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create `{}`", dir.display()))?;
    Ok(format!("sqlite:{}", dir.join("fleet.db").display()))
}

fn create_token(scopes: &[ScopeArg], name: &str, data: &DataArgs) -> anyhow::Result<Outcome> {
    let url = data_url(data)?;
    let fleet = onus_fleet::Fleet::open(&url)
        .with_context(|| format!("cannot open the fleet database `{}`", shown(&url)))?;
    let scopes: Vec<Scope> = scopes
        .iter()
        .map(|s| match s {
            ScopeArg::Read => Scope::Read,
            ScopeArg::Submit => Scope::Submit,
            ScopeArg::Admin => Scope::Admin,
        })
        .collect();
    let (token, _) = fleet
        .create_token(name, &scopes, chrono::Utc::now())
        .context("cannot create the token")?;
    output::write_with(None, |out| writeln!(out, "{token}"))?;
    Ok(Outcome::Pass)
}

/// A database URL without its password, for messages.
fn shown(url: &str) -> String {
    onus_fleet::Database::open(url).map_or_else(|_| "(invalid)".to_string(), |db| db.location())
}

/// `onus scan --submit URL`: send the report to the fleet service.
pub fn submit(url: &str, report: &onus_report::Report) -> anyhow::Result<String> {
    let token = std::env::var("ONUS_TOKEN")
        .ok()
        .filter(|t| !t.is_empty())
        .context("`--submit` needs a token with the `submit` scope in ONUS_TOKEN")?;
    let body = serde_json::to_vec(report).context("cannot serialise the report")?;
    let endpoint = format!("{}/api/v1/reports", url.trim_end_matches('/'));
    let response = ureq::AgentBuilder::new()
        .timeout(std::time::Duration::from_secs(300))
        .redirects(0)
        .build()
        .post(&endpoint)
        .set("Authorization", &format!("Bearer {token}"))
        .set("Content-Type", "application/json")
        .send_bytes(&body);
    match response {
        Ok(r) => {
            let text = r
                .into_string()
                .with_context(|| format!("cannot read the answer of `{endpoint}`"))?;
            let answer: serde_json::Value = serde_json::from_str(&text)
                .with_context(|| format!("`{endpoint}` answered with something other than JSON"))?;
            Ok(answer["digest"].as_str().unwrap_or_default().to_string())
        }
        Err(ureq::Error::Status(code, r)) => {
            let text = r.into_string().unwrap_or_default();
            anyhow::bail!(
                "`{endpoint}` refused the report ({code}): {}",
                text.chars().take(500).collect::<String>()
            )
        }
        Err(e) => Err(anyhow::Error::new(e).context(format!("cannot reach `{endpoint}`"))),
    }
}
