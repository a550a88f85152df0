//! `onus advisory validate|export`.

use onus_fs::Reporter;

use crate::cli::AdvisoryCommand;
use crate::Outcome;

pub fn run(command: AdvisoryCommand, _reporter: &dyn Reporter) -> anyhow::Result<Outcome> {
    match command {
        AdvisoryCommand::Validate { .. } | AdvisoryCommand::Export { .. } => anyhow::bail!("advisory: wiring in progress"),
    }
}
