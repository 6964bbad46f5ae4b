//! Batches and sweeps as NDJSON (`application/x-ndjson`): one report per line as each part is done, in the
//! request's order, then the report that sums up the run. A run that fails after the first line ends with
//! one line `{"error": {kind, message, …}}` (the status, 200, has gone out already).
//!
//! The engine runs on the blocking pool and hands each part to a bounded channel; the response body reads
//! it. When the client goes away the body is dropped: its guard raises the run's [`Cancel`] and the next
//! send fails, so the engine stops at its next check. A run longer than `--timeout` or with more parts
//! than `--max-parts` is stopped the same way, with an error line.

use std::convert::Infallible;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sovra_engine::{Error, ErrorKind, Request};
use sovra_report::Report;
use tokio::sync::mpsc;

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::run::{CancelOnDrop, NDJSON};

/// Lines buffered between the engine and a slow client before the engine waits.
const BUFFERED_LINES: usize = 16;

/// Runs a streaming request; the answer's body is its NDJSON lines.
pub(crate) async fn ndjson(state: Arc<AppState>, request: Request) -> Result<Response, ApiError> {
    let running = state.gate.admit()?.start().await;
    let guard = CancelOnDrop::new();
    let cancel = guard.0.clone();
    let (tx, rx) = mpsc::channel::<Bytes>(BUFFERED_LINES);
    let job_state = state.clone();
    tokio::task::spawn_blocking(move || {
        let _running = running;
        let limits = &job_state.limits;
        let deadline = Instant::now() + limits.timeout;
        let mut parts = 0usize;
        let mut sink = |part: Report| -> sovra_engine::Result<()> {
            parts += 1;
            if parts > limits.max_parts {
                cancel.cancel();
                return Err(Error::usage(
                    "parts",
                    format!(
                        "the run has more than {} parts (the server's --max-parts): split it",
                        limits.max_parts
                    ),
                ));
            }
            if Instant::now() > deadline {
                cancel.cancel();
                return Err(timeout_error(limits.timeout.as_secs()));
            }
            tx.blocking_send(line(&part)).map_err(|_| {
                cancel.cancel();
                Error::cancelled()
            })
        };
        let ws = job_state.workspace();
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            job_state
                .engine
                .run_stream(&ws, &request, &mut sink, &*cancel)
        }));
        let last = match outcome {
            Ok(Ok(summary)) => line(&summary),
            Ok(Err(e)) => error_line(&job_state.engine_error(e).body),
            Err(panic) => {
                let e = ApiError::from_panic(&*panic);
                job_state.reset_workspace();
                error_line(&e.body)
            }
        };
        let _ = tx.blocking_send(last);
    });
    let lines = futures_util::stream::unfold((rx, guard), |(mut rx, guard)| async move {
        rx.recv()
            .await
            .map(|bytes| (Ok::<Bytes, Infallible>(bytes), (rx, guard)))
    });
    let mut response = (StatusCode::OK, Body::from_stream(lines)).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(NDJSON));
    Ok(response)
}

fn timeout_error(seconds: u64) -> Error {
    Error::new(
        ErrorKind::Cancelled,
        format!("stopped: the run took longer than {seconds} s (the server's --timeout)"),
    )
}

/// One report as one line.
fn line(report: &Report) -> Bytes {
    Bytes::from(sovra_report::write::to_json_line(report))
}

/// The last line of a run that failed.
fn error_line(error: &ErrorBody) -> Bytes {
    let mut text = serde_json::json!({ "error": error }).to_string();
    text.push('\n');
    Bytes::from(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_end_with_a_newline_and_hold_one_document() {
        let report = Report::new("shock", "A part", sovra_report::Provenance::new());
        let bytes = line(&report);
        let text = std::str::from_utf8(&bytes).expect("utf-8");
        assert!(text.ends_with('\n') && text.matches('\n').count() == 1);
        let back = Report::from_json(text.trim_end()).expect("a report");
        assert_eq!(back.kind, "shock");
        let e = ApiError::usage("parts", "too many");
        let bytes = error_line(&e.body);
        let v: serde_json::Value = serde_json::from_slice(&bytes).expect("json");
        assert_eq!(v["error"]["kind"], "usage");
        assert_eq!(v["error"]["field"], "parts");
    }
}
