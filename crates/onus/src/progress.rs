//! The terminal [`Reporter`]: indicatif bars on stderr, shown only for work that lasts over a
//! second and only when stderr is a terminal, so stdout stays pure data.
#![allow(clippy::print_stderr, reason = "warnings are the reporter's job")]

use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use onus_fs::Reporter;

/// Draws progress on stderr with indicatif.
pub struct TerminalReporter {
    hidden: bool,
    quiet: bool,
    state: Mutex<Option<Stage>>,
}

struct Stage {
    bar: ProgressBar,
    started: Instant,
    shown: bool,
}

impl TerminalReporter {
    pub fn new(hidden: bool, quiet: bool) -> Self {
        TerminalReporter {
            hidden,
            quiet,
            state: Mutex::new(None),
        }
    }

    /// Remove any bar before an error message is printed.
    pub fn clear(&self) {
        if let Ok(mut state) = self.state.lock() {
            if let Some(stage) = state.take() {
                stage.bar.finish_and_clear();
            }
        }
    }
}

impl Reporter for TerminalReporter {
    fn stage(&self, name: &str, total: Option<u64>) {
        self.clear();
        let bar = match total {
            Some(total) => ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::hidden()),
            None => ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden()),
        };
        let template = if total.is_some() {
            "{msg:>16} [{bar:30}] {percent:>3}% {elapsed}"
        } else {
            "{msg:>16} {spinner} {pos} {elapsed}"
        };
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(name.to_string());
        if let Ok(mut state) = self.state.lock() {
            *state = Some(Stage {
                bar,
                started: Instant::now(),
                shown: false,
            });
        }
    }

    fn advance(&self, delta: u64) {
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        let Some(stage) = state.as_mut() else { return };
        stage.bar.inc(delta);
        // Work that ends within a second draws nothing.
        if !self.hidden && !stage.shown && stage.started.elapsed() > Duration::from_secs(1) {
            stage.bar.set_draw_target(ProgressDrawTarget::stderr());
            stage.shown = true;
        }
    }

    fn finish_stage(&self) {
        self.clear();
    }

    fn note(&self, message: &str) {
        if self.quiet {
            return;
        }
        self.clear();
        eprintln!("{message}");
    }

    fn warn(&self, message: &str) {
        if self.quiet {
            return;
        }
        let line = format!("warning: {message}");
        match self
            .state
            .lock()
            .ok()
            .and_then(|s| s.as_ref().map(|stage| stage.bar.clone()))
        {
            Some(bar) if !bar.is_hidden() => bar.println(line),
            _ => eprintln!("{line}"),
        }
    }
}
