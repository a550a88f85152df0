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
mod serve;
mod sla;

use onus_fs::Reporter;

use crate::cli::Command;
use crate::{output, Outcome};

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
        Command::Serve(args) => serve::run(&args, reporter),
        Command::Completions { shell } => {
            let mut cmd = <crate::cli::Cli as clap::CommandFactory>::command();
            // Into memory first: the generator panics on a write error (a closed pipe).
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut cmd, "onus", &mut script);
            output::write_with(None, |out| out.write_all(&script))?;
            Ok(Outcome::Pass)
        }
        Command::Man => {
            let cmd = <crate::cli::Cli as clap::CommandFactory>::command();
            output::write_with(None, |out| clap_mangen::Man::new(cmd).render(out))?;
            Ok(Outcome::Pass)
        }
    }
}
