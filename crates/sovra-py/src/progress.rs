//! How a long call behaves in Python: the engine works on its own thread with the GIL released, while the
//! calling thread wakes every 100 ms to check for Ctrl-C (KeyboardInterrupt cancels the work and is raised
//! once the engine has stopped) and to show where the work is — a line on stderr that a notebook or a
//! terminal redraws, or the caller's `progress(stage, done, total)` callback.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use pyo3::prelude::*;
use sovra_engine::Progress;

/// How often the calling thread wakes.
pub const TICK: Duration = Duration::from_millis(100);
/// Calls shorter than this show nothing unless progress was asked for.
const QUIET_FOR: Duration = Duration::from_secs(1);

/// What the engine's thread tells the calling thread, and the flag that stops it.
#[derive(Default)]
pub struct Shared {
    cancel: AtomicBool,
    stage: Mutex<String>,
    done: AtomicU64,
    total: AtomicU64,
    notes: Mutex<Vec<String>>,
}

impl Shared {
    /// Asks the work to stop.
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }
}

impl Progress for Shared {
    fn stage(&self, what: &str) {
        if let Ok(mut s) = self.stage.lock() {
            *s = what.to_string();
        }
        self.done.store(0, Ordering::Relaxed);
        self.total.store(0, Ordering::Relaxed);
    }
    fn step(&self, done: u64, total: u64) {
        self.done.store(done, Ordering::Relaxed);
        self.total.store(total, Ordering::Relaxed);
    }
    fn note(&self, message: &str) {
        if let Ok(mut n) = self.notes.lock() {
            n.push(message.to_string());
        }
    }
    fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }
}

/// How a call shows progress: `None` (after a second, on stderr), `True` (at once), `False` (never), or a
/// callable taking `(stage, done, total)`.
pub enum Show {
    Auto,
    Always,
    Never,
    Callback(Py<PyAny>),
}

impl Show {
    /// From the `progress=` argument.
    pub fn from_arg(arg: Option<&Bound<'_, PyAny>>) -> PyResult<Show> {
        Ok(match arg {
            None => Show::Auto,
            Some(a) if a.is_none() => Show::Auto,
            Some(a) if a.is_callable() => Show::Callback(a.clone().unbind()),
            Some(a) => {
                if a.is_truthy()? {
                    Show::Always
                } else {
                    Show::Never
                }
            }
        })
    }
}

/// Draws progress from the calling thread (with the GIL held).
pub struct Display {
    show: Show,
    started: Instant,
    drawn: usize,
    last: String,
}

impl Display {
    pub fn new(show: Show) -> Self {
        Display {
            show,
            started: Instant::now(),
            drawn: 0,
            last: String::new(),
        }
    }

    /// Shows the state the engine reported, if it changed.
    pub fn tick(&mut self, py: Python<'_>, s: &Shared) -> PyResult<()> {
        let notes: Vec<String> = s
            .notes
            .lock()
            .map(|mut n| n.drain(..).collect())
            .unwrap_or_default();
        let stage = s.stage.lock().map(|g| g.clone()).unwrap_or_default();
        let (done, total) = (
            s.done.load(Ordering::Relaxed),
            s.total.load(Ordering::Relaxed),
        );
        match &self.show {
            Show::Never => Ok(()),
            Show::Callback(f) => {
                for n in notes {
                    f.call1(py, (n, 0u64, 0u64))?;
                }
                let key = format!("{stage}\u{0}{done}\u{0}{total}");
                if key != self.last && !stage.is_empty() {
                    self.last = key;
                    f.call1(py, (stage, done, total))?;
                }
                Ok(())
            }
            Show::Auto | Show::Always => {
                let show_now =
                    matches!(self.show, Show::Always) || self.started.elapsed() >= QUIET_FOR;
                let stderr = py.import("sys")?.getattr("stderr")?;
                if !notes.is_empty() {
                    self.clear(&stderr)?;
                    for n in notes {
                        stderr.call_method1("write", (format!("sovra: {n}\n"),))?;
                    }
                }
                if !show_now || stage.is_empty() {
                    return Ok(());
                }
                let line = if total > 0 {
                    format!(
                        "sovra: {stage} {done}/{total} ({:.0} s)",
                        self.started.elapsed().as_secs_f64()
                    )
                } else {
                    format!(
                        "sovra: {stage} … ({:.0} s)",
                        self.started.elapsed().as_secs_f64()
                    )
                };
                if line != self.last {
                    let pad = self.drawn.saturating_sub(line.chars().count());
                    stderr.call_method1("write", (format!("\r{line}{}", " ".repeat(pad)),))?;
                    stderr.call_method0("flush")?;
                    self.drawn = line.chars().count();
                    self.last = line;
                }
                Ok(())
            }
        }
    }

    fn clear(&mut self, stderr: &Bound<'_, PyAny>) -> PyResult<()> {
        if self.drawn > 0 {
            stderr.call_method1("write", (format!("\r{}\r", " ".repeat(self.drawn)),))?;
            self.drawn = 0;
        }
        Ok(())
    }

    /// Clears the progress line at the end of a call.
    pub fn finish(&mut self, py: Python<'_>) -> PyResult<()> {
        if self.drawn > 0 {
            let stderr = py.import("sys")?.getattr("stderr")?;
            self.clear(&stderr)?;
            stderr.call_method0("flush")?;
        }
        Ok(())
    }
}

/// Runs `work` on a thread of its own with the GIL released; the calling thread shows progress and turns
/// Ctrl-C into a cancellation (raising KeyboardInterrupt once the work has stopped).
pub fn run_blocking<T, F>(py: Python<'_>, show: Show, work: F) -> PyResult<T>
where
    T: Send,
    F: FnOnce(&Shared) -> T + Send,
{
    let shared = Shared::default();
    let mut display = Display::new(show);
    std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::channel();
        let sh = &shared;
        scope.spawn(move || {
            // A send fails only when the caller stopped waiting, after an error of its own.
            let _ = tx.send(work(sh));
        });
        let rx = Mutex::new(rx);
        let outcome = wait(py, &rx, &shared, &mut display);
        let _ = display.finish(py);
        outcome
    })
}

/// Waits for the result on `rx`, ticking the display and checking for signals.
pub fn wait<T: Send>(
    py: Python<'_>,
    rx: &Mutex<Receiver<T>>,
    shared: &Shared,
    display: &mut Display,
) -> PyResult<T> {
    // A receiver is not Sync, and the GIL is released only for closures that could be sent to another thread:
    // the mutex (never contended: only this thread waits) makes the borrow sendable.
    let recv = |timeout: Option<Duration>| {
        py.detach(|| {
            let rx = rx.lock().map_err(|_| RecvTimeoutError::Disconnected)?;
            match timeout {
                Some(t) => rx.recv_timeout(t),
                None => rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
            }
        })
    };
    loop {
        match recv(Some(TICK)) {
            Ok(v) => return Ok(v),
            Err(RecvTimeoutError::Disconnected) => {
                return Err(pyo3::exceptions::PyRuntimeError::new_err(
                    "sovra: the engine's thread stopped without an answer",
                ));
            }
            Err(RecvTimeoutError::Timeout) => {}
        }
        if let Err(interrupt) = py.check_signals() {
            shared.cancel();
            // The engine checks the flag between items; wait for it to stop before raising.
            let _ = recv(None);
            return Err(interrupt);
        }
        if let Err(e) = display.tick(py, shared) {
            shared.cancel();
            let _ = recv(None);
            return Err(e);
        }
    }
}
