//! Progress display: a spinner with the current stage on a terminal, nothing when stderr is not a terminal;
//! [`Spinner`] is the engine's [`sovra_engine::Progress`] for the CLI.

use std::sync::Mutex;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A spinner on stderr, hidden when stderr is not a terminal.
pub fn spinner(msg: &str) -> ProgressBar {
    let pb = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    pb.set_style(
        ProgressStyle::with_template("{spinner} {msg} [{elapsed}]")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    pb.set_message(msg.to_string());
    pb.enable_steady_tick(Duration::from_millis(120));
    pb
}

/// The engine's progress on the terminal: a spinner started at the first stage, cleared when dropped.
#[derive(Default)]
pub struct Spinner {
    bar: Mutex<Option<ProgressBar>>,
}

impl Spinner {
    /// No spinner until the engine names a stage.
    pub fn new() -> Self {
        Spinner::default()
    }
}

impl sovra_engine::Progress for Spinner {
    fn stage(&self, what: &str) {
        if let Ok(mut bar) = self.bar.lock() {
            match bar.as_ref() {
                Some(pb) => pb.set_message(what.to_string()),
                None => *bar = Some(spinner(what)),
            }
        }
    }

    fn note(&self, message: &str) {
        match self.bar.lock().ok().and_then(|b| b.clone()) {
            Some(pb) => pb.suspend(|| eprintln!("{message}")),
            None => eprintln!("{message}"),
        }
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        if let Ok(mut bar) = self.bar.lock()
            && let Some(pb) = bar.take()
        {
            pb.finish_and_clear();
        }
    }
}
