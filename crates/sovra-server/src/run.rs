//! From an HTTP request to a rendered report: the body parsed into the engine's request (limits checked,
//! the field at fault named), the answer's format negotiated, the work run on the blocking pool behind
//! the gate with a [`Cancel`] that the request raises when it is dropped (client gone, timeout), and the
//! timings of the load and the solve in `Server-Timing` and the report's diagnostics.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sovra_engine::{Cancel, Request, Workspace};
use sovra_report::{Diagnostic, Report};

use crate::AppState;
use crate::error::ApiError;
use crate::gate::Running;

/// The query string of an analysis: which table, which format.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Options {
    /// The table for CSV and Arrow (and the only table kept in JSON); the first by default.
    #[serde(default)]
    pub table: Option<String>,
    /// `json`, `csv` or `arrow`, instead of the `Accept` header.
    #[serde(default)]
    pub format: Option<String>,
}

/// How a report is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Json,
    Csv,
    Arrow,
}

/// The media types, by format.
pub(crate) const JSON: &str = "application/json";
pub(crate) const CSV: &str = "text/csv";
pub(crate) const ARROW: &str = "application/vnd.apache.arrow.stream";
pub(crate) const NDJSON: &str = "application/x-ndjson";

impl Format {
    /// `?format=` first, else the first media type of `Accept` the server writes, else JSON.
    pub(crate) fn negotiate(headers: &HeaderMap, format: Option<&str>) -> Result<Format, ApiError> {
        if let Some(name) = format {
            return match name {
                "json" => Ok(Format::Json),
                "csv" => Ok(Format::Csv),
                "arrow" => Ok(Format::Arrow),
                other => Err(
                    ApiError::usage("format", format!("unknown format '{other}'")).choices(
                        vec!["json".into(), "csv".into(), "arrow".into()],
                        sovra_core::blocs::nearest(other, ["json", "csv", "arrow"].into_iter()),
                    ),
                ),
            };
        }
        let Some(accept) = headers.get(header::ACCEPT) else {
            return Ok(Format::Json);
        };
        let accept = accept.to_str().unwrap_or("");
        for range in accept.split(',') {
            let media = range
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            match media.as_str() {
                JSON | NDJSON | "application/*" | "*/*" | "" => return Ok(Format::Json),
                CSV | "text/*" => return Ok(Format::Csv),
                ARROW => return Ok(Format::Arrow),
                _ => {}
            }
        }
        Err(ApiError::new(
            StatusCode::NOT_ACCEPTABLE,
            "not_acceptable",
            format!("cannot answer as '{accept}'"),
        )
        .at("accept")
        .choices(
            vec![JSON.into(), CSV.into(), ARROW.into(), NDJSON.into()],
            None,
        ))
    }
}

/// Request fields that name files or directories (the CLI's `--input`, `--store`, `--country-codes`, …):
/// refused over HTTP whatever the kind, so that no request reads outside the store.
pub(crate) const PATH_FIELDS: &[&str] =
    &["input", "store", "country_codes", "files", "out", "path"];

/// The engine's request of a kind from a body: JSON, an object, `top`-like counts within `--max-top`,
/// no unknown field; an error names the field at fault.
pub(crate) fn parse(kind: &str, body: &[u8], max_top: usize) -> Result<Request, ApiError> {
    let value: serde_json::Value = if body.iter().all(u8::is_ascii_whitespace) {
        serde_json::Value::Object(Default::default())
    } else {
        serde_json::from_slice(body).map_err(|e| {
            ApiError::bad_request(format!("the request body is not valid JSON: {e}"))
        })?
    };
    if let Some(fields) = value.as_object() {
        if let Some(field) = PATH_FIELDS.iter().find(|f| fields.contains_key(**f)) {
            return Err(ApiError::usage(
                field,
                format!(
                    "'{field}' names a file or directory on the server, which a request over HTTP may not: the server reads only its store (datasets by name, the trade store)"
                ),
            ));
        }
        for field in ["top", "inputs"] {
            match fields.get(field) {
                None | Some(serde_json::Value::Null) => {}
                Some(n) if n.as_u64().is_some_and(|n| n <= max_top as u64) => {}
                Some(n) => {
                    return Err(ApiError::usage(
                        field,
                        format!(
                            "{field} must be a whole number from 0 to {max_top} (the server's --max-top), not {n}"
                        ),
                    ));
                }
            }
        }
    }
    Request::from_body(kind, body).map_err(|e| {
        let mut e = ApiError::from(e);
        if e.body.field.is_none() {
            e.body.field = locate_field(kind, &value);
        }
        e
    })
}

/// The field whose removal makes a request parse (or merely miss that field): the one with a value of the
/// wrong type, which serde's message does not name.
fn locate_field(kind: &str, value: &serde_json::Value) -> Option<String> {
    let fields = value.as_object()?;
    fields.keys().find_map(|key| {
        let mut without = fields.clone();
        without.remove(key);
        let body = serde_json::to_vec(&without).ok()?;
        match Request::from_body(kind, &body) {
            Ok(_) => Some(key.clone()),
            Err(e) if e.field.as_deref() == Some(key.as_str()) => Some(key.clone()),
            Err(_) => None,
        }
    })
}

/// Requests that touch no table: they skip the gate (still on the blocking pool).
pub(crate) fn is_light(request: &Request) -> bool {
    match request {
        Request::Datasets(_) | Request::BlocsList(_) => true,
        Request::BlocsShow(q) => q.data.is_none(),
        _ => false,
    }
}

/// Raises the request's [`Cancel`] when dropped: the handler's future holds it, so a client that goes
/// away (or a timeout, which drops the future) stops the work at its next check.
pub(crate) struct CancelOnDrop(pub(crate) Arc<Cancel>);

impl CancelOnDrop {
    pub(crate) fn new() -> Self {
        CancelOnDrop(Arc::new(Cancel::default()))
    }
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.cancel();
    }
}

/// Where the time of one request went.
#[derive(Debug, Default, Clone)]
pub(crate) struct Timing {
    /// Loading the dataset (zero when an earlier request loaded it).
    pub load: Duration,
    /// What the load did, for people.
    pub load_note: String,
    /// The analysis after the load: building the Leontief system and its factorisation on first use,
    /// the solves, the report.
    pub solve: Duration,
    /// What the solve reused, for people.
    pub solve_note: String,
    /// Rendering the report.
    pub render: Duration,
}

impl Timing {
    /// The `Server-Timing` header (milliseconds).
    pub(crate) fn header(&self, total: Duration) -> String {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let mut parts = Vec::new();
        if !self.load_note.is_empty() {
            parts.push(format!(
                "load;dur={:.1};desc=\"{}\"",
                ms(self.load),
                quote(&self.load_note)
            ));
        }
        parts.push(format!(
            "solve;dur={:.1};desc=\"{}\"",
            ms(self.solve),
            quote(&self.solve_note)
        ));
        parts.push(format!("render;dur={:.1}", ms(self.render)));
        parts.push(format!("total;dur={:.1}", ms(total)));
        parts.join(", ")
    }

    fn diagnostics(&self) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        if !self.load_note.is_empty() {
            out.push(
                Diagnostic::new("server_load", "dataset load (sovra serve)")
                    .seconds(self.load.as_secs_f64())
                    .detail(self.load_note.clone()),
            );
        }
        out.push(
            Diagnostic::new("server_solve", "analysis after the load (sovra serve)")
                .seconds(self.solve.as_secs_f64())
                .detail(self.solve_note.clone()),
        );
        out
    }
}

fn quote(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii() && !c.is_ascii_control() && *c != '"' && *c != '\\')
        .collect()
}

/// A rendered answer.
pub(crate) struct Answer {
    body: Vec<u8>,
    content_type: &'static str,
    timing: Timing,
    started: Instant,
}

impl IntoResponse for Answer {
    fn into_response(self) -> Response {
        let mut response = (StatusCode::OK, self.body).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(self.content_type),
        );
        if let Ok(value) = HeaderValue::from_str(&self.timing.header(self.started.elapsed())) {
            headers.insert("server-timing", value);
        }
        response
    }
}

/// Runs a request that answers with one report, and renders it.
pub(crate) async fn answer(
    state: Arc<AppState>,
    request: Request,
    format: Format,
    table: Option<String>,
) -> Result<Response, ApiError> {
    let started = Instant::now();
    let running = if is_light(&request) {
        None
    } else {
        Some(state.gate.admit()?.start().await)
    };
    let cancel = CancelOnDrop::new();
    let flag = cancel.0.clone();
    let job_state = state.clone();
    let job = tokio::task::spawn_blocking(move || {
        let _running: Option<Running> = running;
        let ws = job_state.workspace();
        work(&job_state, &ws, &request, format, table.as_deref(), &flag)
    });
    let outcome = job.await;
    drop(cancel);
    match outcome {
        Ok(Ok((body, content_type, timing))) => Ok(Answer {
            body,
            content_type,
            timing,
            started,
        }
        .into_response()),
        Ok(Err(e)) => Err(e),
        Err(join) => Err(state.after_panic(join)),
    }
}

type Rendered = (Vec<u8>, &'static str, Timing);

/// The blocking part: load (timed), run (timed), render.
fn work(
    state: &AppState,
    ws: &Workspace,
    request: &Request,
    format: Format,
    table: Option<&str>,
    cancel: &Cancel,
) -> Result<Rendered, ApiError> {
    let mut timing = Timing::default();
    let dataset = request.dataset().map(str::to_string);
    if let Some(name) = &dataset {
        let t = Instant::now();
        let loaded = ws
            .dataset(name, cancel)
            .map_err(|e| state.dataset_error(name, e))?;
        timing.load = t.elapsed();
        timing.load_note = if state.seen_before(name, &loaded) {
            format!("{name} already loaded: reused")
        } else {
            format!("{name} read from the store")
        };
        timing.solve_note = if matches!(request.kind(), "shock" | "alliances") {
            if loaded.has_network() {
                "shock network reused".into()
            } else {
                "shock network built by this request".into()
            }
        } else if loaded.has_system(request.solver()) {
            "Leontief system (and its factorisation, once built) reused".into()
        } else {
            "Leontief system built by this request".into()
        };
    } else {
        timing.solve_note = "no table".into();
    }
    let t = Instant::now();
    let mut report = state
        .engine
        .run(ws, request, cancel)
        .map_err(|e| match &dataset {
            Some(name) => state.dataset_error(name, e),
            None => state.engine_error(e),
        })?;
    timing.solve = t.elapsed();
    report.diagnostics.extend(timing.diagnostics());
    let t = Instant::now();
    let (body, content_type) = render(&mut report, format, table)?;
    timing.render = t.elapsed();
    Ok((body, content_type, timing))
}

/// Writes a report in a format; `table` picks the table (CSV, Arrow) or the only one kept (JSON).
pub(crate) fn render(
    report: &mut Report,
    format: Format,
    table: Option<&str>,
) -> Result<(Vec<u8>, &'static str), ApiError> {
    let table_error = |e: sovra_report::ReportError| match e {
        sovra_report::ReportError::UnknownTable { key, valid } => {
            let nearest = sovra_core::blocs::nearest(&key, valid.iter().map(String::as_str));
            ApiError::usage("table", format!("the report has no table '{key}'"))
                .choices(valid, nearest)
        }
        other => ApiError::usage("table", other.to_string()),
    };
    match format {
        Format::Json => {
            if let Some(key) = table {
                report.select_table(Some(key)).map_err(table_error)?;
                report.tables.retain(|t| t.key == key);
            }
            Ok((sovra_report::write::to_json(report).into_bytes(), JSON))
        }
        Format::Csv => sovra_report::write::to_csv(report, table)
            .map(|csv| (csv.into_bytes(), "text/csv; charset=utf-8"))
            .map_err(table_error),
        Format::Arrow => {
            let mut bytes = Vec::new();
            sovra_report::write::write_ipc_stream(report, table, &mut bytes).map_err(
                |e| match e {
                    e @ (sovra_report::ReportError::UnknownTable { .. }
                    | sovra_report::ReportError::NoTables) => table_error(e),
                    other => ApiError::internal(format!("arrow: {other}")),
                },
            )?;
            Ok((bytes, ARROW))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_picks_the_first_known_type() {
        let mut h = HeaderMap::new();
        assert_eq!(Format::negotiate(&h, None).ok(), Some(Format::Json));
        h.insert(
            header::ACCEPT,
            HeaderValue::from_static("text/csv;q=0.9, application/json"),
        );
        assert_eq!(Format::negotiate(&h, None).ok(), Some(Format::Csv));
        h.insert(
            header::ACCEPT,
            HeaderValue::from_static("image/png, application/vnd.apache.arrow.stream"),
        );
        assert_eq!(Format::negotiate(&h, None).ok(), Some(Format::Arrow));
        assert_eq!(Format::negotiate(&h, Some("json")).ok(), Some(Format::Json));
        h.insert(header::ACCEPT, HeaderValue::from_static("image/png"));
        let e = Format::negotiate(&h, None).expect_err("406");
        assert_eq!(e.status, StatusCode::NOT_ACCEPTABLE);
        let e = Format::negotiate(&h, Some("cvs")).expect_err("400");
        assert_eq!(e.body.nearest.as_deref(), Some("csv"));
    }

    #[test]
    fn a_value_of_the_wrong_type_is_named() {
        let e = parse(
            "depend",
            br#"{"us": "R01", "them": "R02", "each": "yes"}"#,
            100,
        )
        .expect_err("each is a bool");
        assert_eq!(e.body.field.as_deref(), Some("each"));
        let e = parse("depend", br#"{"us": 7, "them": "R02"}"#, 100).expect_err("us is text");
        assert_eq!(e.body.field.as_deref(), Some("us"));
    }

    #[test]
    fn fields_that_name_files_are_refused() {
        for field in PATH_FIELDS {
            let body = format!(r#"{{"us": "R01", "them": "R02", "{field}": "/etc/passwd"}}"#);
            let e = parse("depend", body.as_bytes(), 100).expect_err("refused");
            assert_eq!(e.body.field.as_deref(), Some(*field));
            assert!(
                e.body.message.contains("reads only its store"),
                "{}",
                e.body.message
            );
        }
    }

    #[test]
    fn counts_are_bounded() {
        for top in ["101", "-1", "1e300", "2.5", "\"all\""] {
            let body = format!(r#"{{"us": "R01", "them": "R02", "top": {top}}}"#);
            let e = parse("depend", body.as_bytes(), 100).expect_err("over the limit");
            assert_eq!(e.body.field.as_deref(), Some("top"), "{top}");
        }
        assert!(
            parse(
                "depend",
                br#"{"us": "R01", "them": "R02", "top": 100}"#,
                100
            )
            .is_ok()
        );
        let e = parse(
            "keys",
            br#"{"us": "R01", "them": "R02", "inputs": 1000}"#,
            100,
        )
        .expect_err("inputs");
        assert_eq!(e.body.field.as_deref(), Some("inputs"));
    }

    #[test]
    fn server_timing_names_load_and_solve() {
        let t = Timing {
            load: Duration::from_millis(812),
            load_note: "icio2022 read from the store".into(),
            solve: Duration::from_millis(40),
            solve_note: "Leontief system built by this \"request\"".into(),
            render: Duration::from_millis(1),
        };
        assert_eq!(
            t.header(Duration::from_millis(900)),
            "load;dur=812.0;desc=\"icio2022 read from the store\", \
             solve;dur=40.0;desc=\"Leontief system built by this request\", render;dur=1.0, total;dur=900.0"
        );
    }
}
