//! One module per command; `run` dispatches.

mod advisory;
mod chp;
mod db;
mod diff;
mod eol;
mod matching;
mod pin;
mod sbom;
mod scan;
mod sla;

use onus_fs::Reporter;

use crate::cli::Command;
use crate::Outcome;

/// Run one command to completion.
pub fn run(command: Command, reporter: &dyn Reporter) -> anyhow::Result<Outcome> {
    match command {
        Command::Sbom(args) => sbom::run(&args, reporter),
        Command::Scan(args) => scan::run(&args, reporter),
        Command::Match(args) => matching::run(&args, reporter),
        Command::Diff(args) => diff::run(&args, reporter),
        Command::Pin(args) => pin::run(&args, reporter),
        Command::Db(command) => db::run(command, reporter),
        Command::Chp(args) => chp::run(&args, reporter),
        Command::Eol(args) => eol::run(&args, reporter),
        Command::Advisory(command) => advisory::run(command, reporter),
        Command::Sla(command) => sla::run(command, reporter),
    }
}
