//! `onus diff A B`: scan both images through the same pipeline, then compare the reports.

use anyhow::Context as _;
use onus_fs::Reporter;
use onus_report::diff::DiffFormat;

use crate::cli::{
    DiffArgs, DiffFormatArg, MatchingArgs, OutputArgs, ScanArgs, ScanFormat, SourceArgs,
};
use crate::commands::scan;
use crate::{output, time, Outcome};

pub fn run(args: &DiffArgs, reporter: &dyn Reporter) -> anyhow::Result<Outcome> {
    let now = time::parse_now(args.now.as_deref())?;
    let store = scan::open_store(&args.db, false, now, reporter)?;
    let side = |source: &str| ScanArgs {
        source: SourceArgs {
            source: source.to_string(),
            platform: args.platform.clone(),
            max_memory: args.max_memory,
            registry: args.registry.clone(),
        },
        base: None,
        base_layers: args.base_layers,
        kind: None,
        rules: None,
        runtime: None,
        matching: MatchingArgs {
            db: args.db.clone(),
            vex: args.vex.clone(),
            show_fixed: false,
            fail_on_party: None,
            fail_on_severity: None,
            now: args.now.clone(),
        },
        format: ScanFormat::Json,
        output: OutputArgs { output: None },
        submit: None,
    };
    let from = scan::report(&side(&args.from), store.as_ref(), now, reporter)
        .with_context(|| format!("cannot compare from `{}`", args.from))?;
    let to = scan::report(&side(&args.to), store.as_ref(), now, reporter)
        .with_context(|| format!("cannot compare to `{}`", args.to))?;
    let diff = onus_report::diff::diff(&from, &to);
    let format = match args.format {
        DiffFormatArg::Table => DiffFormat::Table,
        DiffFormatArg::Json => DiffFormat::Json,
        DiffFormatArg::Markdown => DiffFormat::Markdown,
    };
    output::write_with(args.output.output.as_deref(), |out| {
        onus_report::diff::render_diff(&diff, format, out)
    })?;
    Ok(Outcome::Pass)
}
