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
    let cli = cli::Cli::parse();
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
