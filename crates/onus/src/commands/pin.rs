//! `onus pin PATH…`: report unpinned image references; `--write` pins them by digest;
//! `--update` also moves pins whose tag moved.

use std::io::Write;

use onus_fs::Reporter;
use onus_pin::{Mode, Outcome as PinOutcome, State};

use crate::cli::{MatchFormat, PinArgs};
use crate::commands::sbom::registry_options;
use crate::{output, Outcome};

pub fn run(args: &PinArgs, reporter: &dyn Reporter) -> anyhow::Result<Outcome> {
    let files = onus_pin::scan(&args.paths)?;
    let mode = if args.update {
        Mode::Update
    } else if args.write {
        Mode::Write
    } else {
        Mode::Check
    };
    let options = registry_options(&args.registry);
    let mut resolve = |name: &str| -> Result<String, String> {
        reporter.stage(&format!("resolving {name}"), None);
        let result = onus_registry::Reference::parse(name)
            .and_then(|reference| {
                let client = onus_registry::Client::connect(&reference, &options)?;
                client.manifest(reference.manifest_reference())
            })
            .map(|manifest| manifest.digest)
            .map_err(|e| format!("{:#}", anyhow::Error::new(e)));
        reporter.finish_stage();
        result
    };
    let outcomes = onus_pin::run(&files, mode, &mut resolve)?;
    output::write_with(None, |out| match args.format {
        MatchFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, &outcomes)?;
            writeln!(out)
        }
        MatchFormat::Table => render_table(&outcomes, out),
    })?;
    let unpinned = outcomes
        .iter()
        .filter(|o| matches!(o.state, State::Unpinned | State::Unresolved { .. }))
        .count();
    for o in outcomes
        .iter()
        .filter(|o| matches!(o.state, State::Unresolved { .. }))
    {
        if let State::Unresolved { reason } = &o.state {
            reporter.warn(&format!(
                "{}:{}: cannot pin `{}`: {reason}",
                o.file, o.line, o.reference
            ));
        }
    }
    Ok(if unpinned > 0 && (args.check || mode != Mode::Check) {
        Outcome::PolicyFailed
    } else {
        Outcome::Pass
    })
}

fn render_table(outcomes: &[PinOutcome], out: &mut dyn Write) -> std::io::Result<()> {
    for o in outcomes {
        let state = match &o.state {
            State::Unpinned => "unpinned".to_string(),
            State::Pinned => "pinned".to_string(),
            State::PinnedNow { digest } => format!("pinned now: {digest}"),
            State::Moved { from, to } => format!("tag moved: {from} -> {to}"),
            State::Unresolved { reason } => format!("cannot pin: {reason}"),
        };
        writeln!(
            out,
            "{}:{}  {}  {}",
            onus_report::clean(&o.file),
            o.line,
            onus_report::clean(&o.reference),
            state
        )?;
    }
    let unpinned = outcomes
        .iter()
        .filter(|o| o.state == State::Unpinned)
        .count();
    writeln!(out, "{} references, {unpinned} unpinned", outcomes.len())
}
