//! How long work tells its front end where it is, and learns that it should stop: the CLI draws a spinner
//! or a bar, the server streams nothing but notices a client that went away, Python checks for Ctrl-C.

use std::sync::atomic::{AtomicBool, Ordering};

/// Progress and cancellation for one request.
pub trait Progress: Sync {
    /// The stage the work is in ("loading icio2022", "solving").
    fn stage(&self, _what: &str) {}
    /// Work items done out of a total (scenarios of a sweep).
    fn step(&self, _done: u64, _total: u64) {}
    /// A message for the user that is not part of the report (e.g. "fetching the dataset once").
    fn note(&self, _message: &str) {}
    /// Whether the work should stop; long loops check it between items.
    fn cancelled(&self) -> bool {
        false
    }
}

/// No progress shown, never cancelled.
pub struct Quiet;

impl Progress for Quiet {}

/// A cancellation flag another thread can raise.
#[derive(Default)]
pub struct Cancel(AtomicBool);

impl Cancel {
    /// Asks the work to stop.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

impl Progress for Cancel {
    fn cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}
