//! `onus db build|update|status`: the local vulnerability store.
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use onus_fs::Reporter;
use onus_vuln::{
    BuildInput, BuildOptions, BuildSummary, Store, StoreStatus, UpdateConfig, UpdateOptions,
};

use crate::cli::{DbArgs, DbCommand, MatchFormat};
use crate::{output, time, Outcome};

pub fn run(command: DbCommand, reporter: &dyn Reporter) -> anyhow::Result<Outcome> {
    match command {
        DbCommand::Build { from, db } => {
            let target = store_path(&db)?;
            let inputs: Vec<BuildInput> = from.iter().map(BuildInput::new).collect();
            reporter.stage("building store", None);
            let summary = onus_vuln::build(&target, &inputs, &BuildOptions::default(), &mut |_| {
                reporter.advance(1)
            })
            .with_context(|| format!("cannot build the store at `{}`", target.display()))?;
            reporter.finish_stage();
            print_summary(&summary, reporter);
            Ok(Outcome::Pass)
        }
        DbCommand::Update {
            config,
            offline,
            mirror,
            db,
        } => {
            let target = store_path(&db)?;
            reporter.stage("updating store", None);
            let summary = update_store(
                &target,
                config.as_deref(),
                offline,
                mirror,
                &mut |message| reporter.stage(message, None),
            )?;
            reporter.finish_stage();
            print_summary(&summary, reporter);
            Ok(Outcome::Pass)
        }
        DbCommand::Status { db, format, now } => {
            let now = time::parse_now(now.as_deref())?;
            let store = open_store(&db)?;
            let max_age = chrono::Duration::days(i64::from(db.max_db_age));
            let status = onus_vuln::status(&store, now, Some(max_age))
                .context("cannot read the store status")?;
            if status.stale {
                reporter.warn(&stale_message(&status));
            }
            output::write_with(None, |out| match format {
                MatchFormat::Json => {
                    serde_json::to_writer_pretty(&mut *out, &status)?;
                    writeln!(out)
                }
                MatchFormat::Table => render_status(&status, out),
            })?;
            Ok(Outcome::Pass)
        }
    }
}

/// `onus db update` (also what `onus serve` runs): the feed list from `config` or the built-in
/// upstream list, fetched (or from `mirror`), into a new store renamed over `target`.
pub fn update_store(
    target: &Path,
    config: Option<&Path>,
    offline: bool,
    mirror: Option<String>,
    progress: &mut dyn FnMut(&str),
) -> anyhow::Result<onus_vuln::BuildSummary> {
    let config = match config {
        Some(path) => UpdateConfig::load(path)
            .with_context(|| format!("cannot read feed list `{}`", path.display()))?,
        None => UpdateConfig::upstream(chrono::Datelike::year(&chrono::Utc::now())),
    };
    let options = UpdateOptions {
        offline,
        mirror,
        ..Default::default()
    };
    onus_vuln::update(target, &config, &options, progress).with_context(|| {
        format!(
            "cannot update the store at `{}` (the previous store is kept)",
            target.display()
        )
    })
}

/// The store path: `--db`, `ONUS_DB`, or the user cache directory.
pub fn store_path(db: &DbArgs) -> anyhow::Result<PathBuf> {
    match &db.db {
        Some(path) => Ok(path.clone()),
        None => onus_vuln::default_store_path()
            .context("cannot find the user cache directory; pass --db"),
    }
}

/// Open the store read-only, with a hint when it is missing.
pub fn open_store(db: &DbArgs) -> anyhow::Result<Store> {
    let path = store_path(db)?;
    if !path.exists() {
        anyhow::bail!(
            "no vulnerability store at `{}`\nhint: fetch the public feeds with `onus db update --db {}`, or build one from local feed files with `onus db build --from DIR --db {}` (the example's: examples/feeds)",
            path.display(),
            path.display(),
            path.display()
        );
    }
    Store::open_readonly(&path)
        .with_context(|| format!("cannot open the store at `{}`", path.display()))
}

/// Open the store and warn when it is older than the configured age.
pub fn open_checked(
    db: &DbArgs,
    now: chrono::DateTime<chrono::Utc>,
    reporter: &dyn Reporter,
) -> anyhow::Result<Store> {
    let store = open_store(db)?;
    let max_age = chrono::Duration::days(i64::from(db.max_db_age));
    if let Ok(status) = onus_vuln::status(&store, now, Some(max_age)) {
        if status.stale {
            reporter.warn(&stale_message(&status));
        }
    }
    Ok(store)
}

fn stale_message(status: &StoreStatus) -> String {
    let days = status.age_seconds.unwrap_or(0) / 86_400;
    format!(
        "the vulnerability store `{}` is {days} days old (more than {} days): run `onus db update`",
        status.path.display(),
        status.max_age_seconds / 86_400
    )
}

fn print_summary(summary: &BuildSummary, reporter: &dyn Reporter) {
    for source in &summary.sources {
        if source.warning_count > 0 {
            reporter.warn(&format!(
                "{}: {} records skipped ({})",
                source.name,
                source.warning_count,
                source.warnings.first().map(String::as_str).unwrap_or("")
            ));
        }
    }
    for warning in &summary.warnings {
        reporter.warn(warning);
    }
    let records: u64 = summary.sources.iter().map(|s| s.records).sum();
    reporter.note(&format!(
        "built `{}`: {} sources, {records} records, {} bytes",
        summary.path.display(),
        summary.sources.len(),
        summary.store_bytes
    ));
}

fn render_status(status: &StoreStatus, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "store: {}", status.path.display())?;
    writeln!(
        out,
        "built: {}",
        status.built_at.as_deref().unwrap_or("unknown")
    )?;
    writeln!(out, "stale: {}", if status.stale { "yes" } else { "no" })?;
    writeln!(out)?;
    writeln!(
        out,
        "{:<28} {:<18} {:>9} {:>8} {:>8}  PROVENANCE",
        "SOURCE", "KIND", "RECORDS", "WARNINGS", "AGE"
    )?;
    for source in &status.sources {
        let record = &source.record;
        let age = source
            .age_seconds
            .map(|s| format!("{}d", s / 86_400))
            .unwrap_or_else(|| "-".to_string());
        writeln!(
            out,
            "{:<28} {:<18} {:>9} {:>8} {:>8}  {}",
            record.name, record.kind, record.records, record.warnings, age, record.provenance
        )?;
    }
    Ok(())
}
