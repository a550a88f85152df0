//! The `onus` command-line tool: parses arguments, runs one command, maps the outcome to an exit
//! code (docs/exit-codes.md). All output goes through `output`; progress through `progress`.
#![allow(
    clippy::print_stderr,
    reason = "the binary reports errors and warnings on stderr"
)]

mod cli;
mod commands;
mod output;
mod progress;
mod time;

use std::process::ExitCode;

/// See the workspace Cargo.toml: bounded memory for the long-running service.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::Parser;

/// The outcome of a command that ran to completion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing reached a failure threshold.
    Pass,
    /// A `--fail-on-*` threshold was reached or validation found errors.
    PolicyFailed,
}

fn main() -> ExitCode {
    let cli = if std::env::args_os().skip(1).any(|a| a == "--version") {
        // `--version` also says which store a scan would use and how old it is.
        let command = <cli::Cli as clap::CommandFactory>::command().long_version(long_version());
        match <cli::Cli as clap::FromArgMatches>::from_arg_matches(&command.get_matches()) {
            Ok(cli) => cli,
            Err(e) => e.exit(),
        }
    } else {
        cli::Cli::parse()
    };
    let reporter = progress::TerminalReporter::new(cli.no_progress || cli.quiet, cli.quiet);
    match commands::run(cli.command, &reporter) {
        Ok(Outcome::Pass) => ExitCode::SUCCESS,
        Ok(Outcome::PolicyFailed) => ExitCode::from(1),
        Err(error) if output::is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            reporter.clear();
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}

/// The version, then the store a scan would use (`ONUS_DB`, else the default path) and its age.
fn long_version() -> String {
    let version = env!("CARGO_PKG_VERSION");
    let path = match std::env::var_os("ONUS_DB").filter(|p| !p.is_empty()) {
        Some(p) => std::path::PathBuf::from(p),
        None => match onus_vuln::default_store_path() {
            Ok(p) => p,
            Err(_) => {
                return format!(
                    "{version}\nvulnerability store: no default location on this system"
                )
            }
        },
    };
    if !path.exists() {
        return format!(
            "{version}\nvulnerability store: none at {} (build one with `onus db build`)",
            path.display()
        );
    }
    let store = match onus_vuln::Store::open_readonly(&path) {
        Ok(store) => store,
        Err(e) => return format!("{version}\nvulnerability store: {e}"),
    };
    let age = onus_vuln::status(&store, chrono::Utc::now(), None)
        .ok()
        .and_then(|s| s.age_seconds)
        .map(|secs| format!("{} days old", secs / 86_400))
        .unwrap_or_else(|| "age unknown".to_string());
    format!("{version}\nvulnerability store: {} ({age})", path.display())
}
