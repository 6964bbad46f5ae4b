//! The gate in front of heavy work: at most `max_concurrent` analyses run at once, at most `queue` more
//! wait, and anything beyond is turned away at once with 503 and `Retry-After` (tower's
//! `ConcurrencyLimitLayer` would queue without bound, and `LoadShedLayer` has no queue at all).
//!
//! A [`Ticket`] holds a place (running or waiting) from admission on; [`Ticket::start`] waits for a
//! running slot and gives a [`Running`], which the blocking job owns, so the slot is freed when the work
//! really ends — not when the client stops waiting for it. A client that leaves while queued frees its
//! place at once (the ticket is dropped with the request).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Instant;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::ApiError;

/// Running slots and the queue.
pub(crate) struct Gate {
    slots: Arc<Semaphore>,
    max_concurrent: usize,
    queue: usize,
    admitted: AtomicUsize,
    /// Moving average of recent run times in milliseconds, for `Retry-After`.
    recent_ms: AtomicU64,
}

impl Gate {
    pub(crate) fn new(max_concurrent: usize, queue: usize) -> Self {
        let max_concurrent = max_concurrent.max(1);
        Gate {
            slots: Arc::new(Semaphore::new(max_concurrent)),
            max_concurrent,
            queue,
            admitted: AtomicUsize::new(0),
            recent_ms: AtomicU64::new(1000),
        }
    }

    /// A place, running or queued, or 503 when every running slot and queue place is taken.
    pub(crate) fn admit(self: &Arc<Self>) -> Result<Ticket, ApiError> {
        let capacity = self.max_concurrent + self.queue;
        let taken = self
            .admitted
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < capacity).then_some(n + 1)
            });
        match taken {
            Ok(_) => Ok(Ticket { gate: self.clone() }),
            Err(_) => Err(ApiError::busy(
                format!(
                    "the server is at capacity ({} running, {} queued: --max-concurrent {}, --queue {}); try again later",
                    self.max_concurrent, self.queue, self.max_concurrent, self.queue
                ),
                self.retry_after(),
            )),
        }
    }

    /// Seconds until a place is likely free: the recent run time times the rounds of work ahead, 1 to 60.
    fn retry_after(&self) -> u64 {
        let rounds = (self.queue / self.max_concurrent + 1) as u64;
        let ms = self.recent_ms.load(Ordering::Relaxed) * rounds;
        ms.div_ceil(1000).clamp(1, 60)
    }

    fn record(&self, ms: u64) {
        let old = self.recent_ms.load(Ordering::Relaxed);
        self.recent_ms.store((old * 3 + ms) / 4, Ordering::Relaxed);
    }
}

/// A place at the gate, running or waiting.
pub(crate) struct Ticket {
    gate: Arc<Gate>,
}

impl Ticket {
    /// Waits for a running slot.
    pub(crate) async fn start(self) -> Running {
        let permit = self
            .gate
            .slots
            .clone()
            .acquire_owned()
            .await
            .expect("the gate's semaphore is never closed");
        Running {
            _permit: permit,
            started: Instant::now(),
            ticket: self,
        }
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.gate.admitted.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A running slot, owned by the job that uses it.
pub(crate) struct Running {
    _permit: OwnedSemaphorePermit,
    started: Instant,
    ticket: Ticket,
}

impl Drop for Running {
    fn drop(&mut self) {
        let ms = self.started.elapsed().as_millis().min(u64::MAX as u128) as u64;
        self.ticket.gate.record(ms);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "current_thread")]
    async fn admits_running_plus_queue_then_turns_away() {
        let gate = Arc::new(Gate::new(1, 1));
        let first = gate.admit().expect("runs");
        let second = gate.admit().expect("queued");
        let busy = gate.admit().err().expect("full");
        assert_eq!(busy.status.as_u16(), 503);
        assert!(busy.retry_after.is_some_and(|s| (1..=60).contains(&s)));
        let running = first.start().await;
        drop(second);
        let third = gate.admit().expect("a queue place came free");
        drop(running);
        let _running = third.start().await;
    }
}
