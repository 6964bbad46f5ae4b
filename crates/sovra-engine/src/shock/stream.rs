//! The parallel runner of batches and sweeps: items run on rayon's pool, several at a time, and their results
//! are delivered in item order even when they finish out of order.
//!
//! Workers take the next item from a shared counter (not rayon's halving of the range, which would run the
//! second half alongside the first and keep half of the results waiting), so at most a few results wait for
//! an earlier one. Between deliveries the runner checks [`Progress::cancelled`]; a cancellation, an error of
//! an item or an error of `deliver` stops the workers before their next item.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;

use rayon::prelude::*;

use crate::error::{Error, ErrorKind, Result};
use crate::progress::Progress;

/// Runs `work(0)`, …, `work(n − 1)` in parallel and passes each result to `deliver` in that order, with
/// `progress.step(done, n)` after each.
pub(super) fn in_order<T: Send>(
    n: usize,
    work: impl Fn(usize) -> Result<T> + Sync,
    deliver: &mut dyn FnMut(T) -> Result<()>,
    progress: &dyn Progress,
) -> Result<()> {
    progress.step(0, n as u64);
    if n == 0 {
        return Ok(());
    }
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let workers = rayon::current_num_threads().clamp(1, n);
    let (tx, rx) = mpsc::channel::<(usize, Result<T>)>();
    std::thread::scope(|scope| {
        let (next, stop, work) = (&next, &stop, &work);
        scope.spawn(move || {
            (0..workers).into_par_iter().for_each_with(tx, |tx, _| {
                while !stop.load(Ordering::Relaxed) && !progress.cancelled() {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    if k >= n || tx.send((k, work(k))).is_err() {
                        break;
                    }
                }
            });
        });
        let delivered = receive(n, &rx, deliver, progress);
        // Whatever ended the loop, the workers stop before their next item; the scope waits for the items
        // still running.
        stop.store(true, Ordering::Relaxed);
        drop(rx);
        delivered
    })
}

/// Receives results and delivers them in order; the error of the first item that failed, or of `deliver`.
fn receive<T>(
    n: usize,
    rx: &mpsc::Receiver<(usize, Result<T>)>,
    deliver: &mut dyn FnMut(T) -> Result<()>,
    progress: &dyn Progress,
) -> Result<()> {
    let mut waiting: BTreeMap<usize, Result<T>> = BTreeMap::new();
    let mut done = 0;
    for (k, result) in rx {
        waiting.insert(k, result);
        while let Some(result) = waiting.remove(&done) {
            deliver(result?)?;
            done += 1;
            progress.step(done as u64, n as u64);
            if done == n {
                return Ok(());
            }
            if progress.cancelled() {
                return Err(Error::cancelled());
            }
        }
    }
    // Every worker stopped before the last item: only a cancellation does that.
    if progress.cancelled() {
        Err(Error::cancelled())
    } else {
        Err(Error::new(
            ErrorKind::Compute,
            format!("the runner stopped after {done} of {n} items"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::{Cancel, Quiet};

    #[test]
    fn results_arrive_in_order_when_they_finish_out_of_order() {
        let mut got = Vec::new();
        in_order(
            40,
            |k| {
                // Early items are the slow ones.
                std::thread::sleep(std::time::Duration::from_millis(((40 - k) % 7) as u64));
                Ok(k)
            },
            &mut |k| {
                got.push(k);
                Ok(())
            },
            &Quiet,
        )
        .expect("runs");
        assert_eq!(got, (0..40).collect::<Vec<_>>());
    }

    #[test]
    fn an_error_stops_the_run_with_the_first_failure_in_order() {
        let mut got = Vec::new();
        let e = in_order(
            50,
            |k| {
                if k == 7 || k == 30 {
                    Err(Error::new(ErrorKind::Compute, format!("item {k}")))
                } else {
                    Ok(k)
                }
            },
            &mut |k| {
                got.push(k);
                Ok(())
            },
            &Quiet,
        )
        .expect_err("fails");
        assert_eq!(e.message, "item 7");
        assert_eq!(got, (0..7).collect::<Vec<_>>());
    }

    #[test]
    fn cancellation_is_checked_between_items() {
        let cancel = Cancel::default();
        let mut got = 0;
        let e = in_order(
            100,
            Ok,
            &mut |_| {
                got += 1;
                if got == 3 {
                    cancel.cancel();
                }
                Ok(())
            },
            &cancel,
        )
        .expect_err("cancelled");
        assert_eq!(e.kind, ErrorKind::Cancelled);
        assert_eq!(got, 3);
    }
}
