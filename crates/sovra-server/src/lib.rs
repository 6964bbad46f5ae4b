//! `sovra serve`: the engine's requests over HTTP, safe by default.
//!
//! # Endpoints
//!
//! * `POST /v1/<kind>` for every [`sovra_engine::KINDS`] entry (`depend`, `multipliers`, …): the body is
//!   that request as JSON, fields named after the CLI's arguments and flags
//!   (`{"us": "EU27", "them": "CHN", "top": 5}`); the answer is the report as JSON, as CSV of one table
//!   (`Accept: text/csv`, `?table=KEY`) or as an Arrow IPC stream of one table
//!   (`Accept: application/vnd.apache.arrow.stream`). Batches and sweeps stream NDJSON while they run.
//! * `GET /v1/datasets`, `GET /v1/datasets/{name}` (the `info` report), `GET /v1/blocs?as_of=DATE`.
//! * `GET /v1/openapi.json`: OpenAPI 3.1, generated from the request, report and error types;
//!   `GET /api`: a browsable page (Swagger UI, compiled in; no network); `GET /` redirects there.
//!
//! Every error is JSON `{kind, message, field?, nearest?, choices?}` ([`ErrorBody`]) with the status of
//! its kind. The wire format and the limits are documented in `docs/http.md`.
//!
//! # Safety
//!
//! Read-only: no request writes the store or names a file (datasets by name, confined to the store). Limits
//! are tower layers stacked in [`router`]: body size (`--max-body`), time (`--timeout`; the work is
//! cancelled), a host check against DNS rebinding on loopback, an optional bearer token, panics caught into
//! a 500. Heavy work runs on the blocking pool behind a gate of `--max-concurrent` running and `--queue`
//! waiting (503 with `Retry-After` beyond), and is cancelled when its client goes away.
//!
//! ```no_run
//! use sovra_server::{Config, serve};
//! serve(Config::new(sovra_core::store::home()))?;
//! # Ok::<(), sovra_server::StartError>(())
//! ```

#![deny(missing_docs)]

mod assets;
mod error;
mod gate;
mod openapi;
mod run;
mod stream;

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, Path as UrlPath, Query, Request as HttpRequest, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use sovra_engine::{
    BlocsListRequest, DatasetsRequest, InfoRequest, KINDS, Loaded, Progress, Request, Workspace,
};
use sovra_report::Report;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;

pub use error::{ApiError, ErrorBody, SERVER_KINDS, error_kinds};

use gate::Gate;
use run::{Format, Options};

/// Where `sovra serve` listens unless told otherwise: loopback only.
pub const DEFAULT_BIND: &str = "127.0.0.1:8750";

/// What one request may ask of the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest request body, in bytes (`--max-body`; 413 beyond).
    pub max_body: usize,
    /// Longest a request may take, queueing included (`--timeout`; 504 beyond, and the work is cancelled).
    pub timeout: Duration,
    /// Analyses running at once (`--max-concurrent`; default: the cores).
    pub max_concurrent: usize,
    /// Analyses waiting for a slot (`--queue`; 503 with `Retry-After` beyond).
    pub queue: usize,
    /// Largest `top` (and `inputs`) a request may ask for (`--max-top`; 400 beyond).
    pub max_top: usize,
    /// Most parts a batch or sweep may stream (`--max-parts`; the run stops with an error line beyond).
    pub max_parts: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body: 1 << 20,
            timeout: Duration::from_secs(300),
            max_concurrent: std::thread::available_parallelism().map_or(2, |n| n.get()),
            queue: 16,
            max_top: 100_000,
            max_parts: 10_000,
        }
    }
}

/// How to start the server.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address to listen on ([`DEFAULT_BIND`]).
    pub bind: SocketAddr,
    /// The store (`$SOVRA_HOME`).
    pub home: PathBuf,
    /// Request limits.
    pub limits: Limits,
    /// A file holding the bearer token every data request must carry (never the token itself on a command
    /// line, where other users can read it).
    pub token_file: Option<PathBuf>,
}

impl Config {
    /// Loopback on port 8750, default limits, no token.
    pub fn new(home: impl Into<PathBuf>) -> Self {
        Config {
            bind: DEFAULT_BIND.parse().expect("a valid address"),
            home: home.into(),
            limits: Limits::default(),
            token_file: None,
        }
    }
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The address is taken or not ours.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The token file cannot be read or is empty.
    #[error("--token-file {path}: {message}")]
    Token {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The runtime or the socket failed.
    #[error("server: {0}")]
    Io(#[from] std::io::Error),
}

/// The bearer token requests must carry.
#[derive(Clone)]
pub struct Token(String);

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(…)")
    }
}

impl Token {
    /// A token (surrounding whitespace removed; must not be empty).
    pub fn new(token: &str) -> Option<Token> {
        let token = token.trim();
        (!token.is_empty() && token.bytes().all(|b| b.is_ascii_graphic()))
            .then(|| Token(token.to_string()))
    }

    /// The token in a file (its first line).
    pub fn from_file(path: &Path) -> Result<Token, StartError> {
        let text = std::fs::read_to_string(path).map_err(|e| StartError::Token {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        Token::new(text.lines().next().unwrap_or("")).ok_or_else(|| StartError::Token {
            path: path.to_path_buf(),
            message: "the first line must hold the token (printable ASCII, no spaces)".into(),
        })
    }

    /// Whether an `Authorization` header carries this token (compared in constant time).
    fn admits(&self, header: Option<&HeaderValue>) -> bool {
        let Some(given) = header
            .and_then(|h| h.to_str().ok())
            .and_then(|h| h.strip_prefix("Bearer "))
        else {
            return false;
        };
        let (a, b) = (given.trim().as_bytes(), self.0.as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

/// What the server asks of the engine. [`Sovra`] is the engine itself; tests wrap it to slow a request
/// down, stream, or panic.
pub trait Engine: Send + Sync + 'static {
    /// Answers a request with its report ([`sovra_engine::run`]).
    fn run(
        &self,
        ws: &Workspace,
        req: &Request,
        progress: &dyn Progress,
    ) -> sovra_engine::Result<Report> {
        sovra_engine::run(ws, req, progress)
    }

    /// Answers a request in parts ([`sovra_engine::run_stream`]).
    fn run_stream(
        &self,
        ws: &Workspace,
        req: &Request,
        sink: &mut dyn FnMut(Report) -> sovra_engine::Result<()>,
        progress: &dyn Progress,
    ) -> sovra_engine::Result<Report> {
        sovra_engine::run_stream(ws, req, sink, progress)
    }

    /// Whether a request streams ([`sovra_engine::streams`]).
    fn streams(&self, req: &Request) -> bool {
        sovra_engine::streams(req)
    }
}

/// The engine.
pub struct Sovra;

impl Engine for Sovra {}

/// What every handler shares: the workspace (tables and factorisations kept between requests), the
/// limits, the gate, the token.
pub struct AppState {
    home: PathBuf,
    workspace: RwLock<Arc<Workspace>>,
    limits: Limits,
    token: Option<Token>,
    gate: Arc<Gate>,
    engine: Arc<dyn Engine>,
    loopback_hosts: bool,
    seen: Mutex<HashMap<String, Weak<Loaded>>>,
    openapi: Bytes,
}

impl AppState {
    /// A server on the store at `home`, answering only for loopback host names, with no token.
    pub fn new(home: impl Into<PathBuf>, limits: Limits) -> Self {
        let home = home.into();
        AppState {
            workspace: RwLock::new(Arc::new(read_only(&home))),
            home,
            gate: Arc::new(Gate::new(limits.max_concurrent, limits.queue)),
            limits,
            token: None,
            engine: Arc::new(Sovra),
            loopback_hosts: true,
            seen: Mutex::new(HashMap::new()),
            openapi: Bytes::from(openapi::document(false).to_string()),
        }
    }

    /// Requires this bearer token on every data request.
    pub fn with_token(mut self, token: Token) -> Self {
        self.token = Some(token);
        self.openapi = Bytes::from(openapi::document(true).to_string());
        self
    }

    /// Answers with another engine (tests).
    pub fn with_engine(mut self, engine: Arc<dyn Engine>) -> Self {
        self.engine = engine;
        self
    }

    /// Answers whatever `Host` a request names (a server bound beyond loopback). On loopback the server
    /// answers only `localhost`, `127.x.x.x` and `[::1]`, so that a web page cannot reach it through a
    /// name of its own that resolves to 127.0.0.1 (DNS rebinding).
    pub fn any_host(mut self) -> Self {
        self.loopback_hosts = false;
        self
    }

    /// The limits.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The OpenAPI document.
    pub fn openapi(&self) -> &[u8] {
        &self.openapi
    }

    fn workspace(&self) -> Arc<Workspace> {
        match self.workspace.read() {
            Ok(ws) => ws.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// After a panic in an analysis the caches may hold a poisoned lock: start from a fresh workspace
    /// (requests already running keep theirs).
    fn reset_workspace(&self) {
        let fresh = Arc::new(read_only(&self.home));
        match self.workspace.write() {
            Ok(mut ws) => *ws = fresh,
            Err(poisoned) => *poisoned.into_inner() = fresh,
        }
    }

    /// The error of a blocking job that did not return.
    fn after_panic(&self, join: tokio::task::JoinError) -> ApiError {
        match join.try_into_panic() {
            Ok(payload) => {
                self.reset_workspace();
                ApiError::from_panic(&*payload)
            }
            Err(_) => ApiError::internal("the work was stopped (the server is shutting down)"),
        }
    }

    /// Whether this request found the dataset as an earlier request left it (no load).
    fn seen_before(&self, name: &str, loaded: &Arc<Loaded>) -> bool {
        let Ok(mut seen) = self.seen.lock() else {
            return false;
        };
        let before = seen
            .get(name)
            .and_then(Weak::upgrade)
            .is_some_and(|l| Arc::ptr_eq(&l, loaded));
        seen.insert(name.to_string(), Arc::downgrade(loaded));
        before
    }

    /// An engine error, with the store's path on this machine left out of the message ("the store").
    fn engine_error(&self, e: sovra_engine::Error) -> ApiError {
        let mut api = ApiError::from(e);
        let home = self.home.display().to_string();
        if !home.is_empty() && api.body.message.contains(&home) {
            api.body.message = api.body.message.replace(&home, "the store");
        }
        api
    }

    /// An error about the dataset `name`, with the store's datasets as choices and the nearest.
    fn dataset_error(&self, name: &str, e: sovra_engine::Error) -> ApiError {
        let names_the_dataset = e.field.as_deref() == Some("data")
            && matches!(
                e.kind,
                sovra_engine::ErrorKind::NotFound | sovra_engine::ErrorKind::Usage
            );
        let mut api = self.engine_error(e);
        if names_the_dataset && api.body.choices.is_empty() {
            let names: Vec<String> = sovra_core::store::list(&self.home)
                .map(|metas| metas.into_iter().map(|m| m.name).collect())
                .unwrap_or_default();
            api.body.nearest = sovra_core::blocs::nearest(name, names.iter().map(String::as_str));
            api.body.choices = names;
        }
        api
    }
}

/// Requests a server expects each factorisation to serve (see [`sovra_core::LeontiefSystem::reuse`]).
pub const SOLVES_PER_FACTORISATION: usize = 64;

fn read_only(home: &Path) -> Workspace {
    let mut ws = Workspace::new(home);
    ws.fetch_default = false;
    // A server answers many requests on one table: `auto` factors it once (a few seconds on the first
    // request) and every later solve is a pair of triangular sweeps.
    ws.reuse = SOLVES_PER_FACTORISATION;
    ws
}

/// The application: routes, then the limits as layers, in one place.
pub fn router(state: Arc<AppState>) -> Router {
    let mut data = Router::new()
        .route("/v1/datasets", get(list_datasets))
        .route("/v1/datasets/{name}", get(dataset_info))
        .route("/v1/blocs", get(list_blocs));
    for &kind in KINDS {
        data = data.route(
            &format!("/v1/{kind}"),
            post(
                move |state: State<Arc<AppState>>,
                      query: Result<Query<Options>, QueryRejection>,
                      headers: HeaderMap,
                      body: Result<Bytes, BytesRejection>| {
                    analysis(kind, state, query, headers, body)
                },
            ),
        );
    }
    let data = data.route_layer(middleware::from_fn_with_state(state.clone(), require_token));
    let public = Router::new()
        .route("/", get(assets::dashboard_index))
        .route("/dashboard/{file}", get(assets::dashboard))
        .route("/api", get(assets::api_page))
        .route("/assets/{dir}/{file}", get(assets::vendor))
        .route("/v1/openapi.json", get(openapi_json));
    let limits = state.limits.clone();
    public
        .merge(data)
        .fallback(not_found)
        .layer(
            ServiceBuilder::new()
                .layer(middleware::map_response_with_state(
                    state.clone(),
                    json_errors,
                ))
                .layer(CatchPanicLayer::custom(
                    |payload: Box<dyn std::any::Any + Send>| {
                        ApiError::from_panic(&*payload).into_response()
                    },
                ))
                .layer(TimeoutLayer::with_status_code(
                    StatusCode::GATEWAY_TIMEOUT,
                    limits.timeout,
                ))
                .layer(middleware::from_fn_with_state(state.clone(), check_host))
                .layer(DefaultBodyLimit::disable())
                .layer(RequestBodyLimitLayer::new(limits.max_body)),
        )
        .with_state(state)
}

/// Serves `router(state)` on a bound listener until `shutdown` completes.
pub async fn serve_on(
    listener: tokio::net::TcpListener,
    state: Arc<AppState>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}

/// Starts the server and answers until Ctrl-C (or SIGTERM).
pub fn serve(config: Config) -> Result<(), StartError> {
    let token = config
        .token_file
        .as_deref()
        .map(Token::from_file)
        .transpose()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("sovra-serve")
        .build()?;
    let result = runtime.block_on(async {
        let addr = config.bind;
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| StartError::Bind { addr, source })?;
        let local = listener.local_addr()?;
        let mut state = AppState::new(&config.home, config.limits.clone());
        if let Some(token) = token {
            state = state.with_token(token);
        } else if !local.ip().is_loopback() {
            eprintln!(
                "warning: listening on {local} beyond loopback with no --token-file: anyone who reaches it can run analyses"
            );
        }
        if !local.ip().is_loopback() {
            state = state.any_host();
        }
        let shown = match local.ip() {
            IpAddr::V6(ip) => format!("[{ip}]:{}", local.port()),
            IpAddr::V4(ip) => format!("{ip}:{}", local.port()),
        };
        eprintln!(
            "sovra serve: http://{shown}/api (store {}; {} at once, {} queued, timeout {} s, body ≤ {} bytes{}); Ctrl-C stops",
            config.home.display(),
            config.limits.max_concurrent,
            config.limits.queue,
            config.limits.timeout.as_secs(),
            config.limits.max_body,
            if state.token.is_some() { "; bearer token required" } else { "" },
        );
        serve_on(listener, Arc::new(state), shutdown_signal())
            .await
            .map_err(StartError::Io)
    });
    runtime.shutdown_timeout(Duration::from_secs(5));
    result
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}

// ---- handlers ------------------------------------------------------------------------------------

/// `POST /v1/<kind>`.
async fn analysis(
    kind: &'static str,
    State(state): State<Arc<AppState>>,
    query: Result<Query<Options>, QueryRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let Query(options) = query.map_err(query_error)?;
    let format = Format::negotiate(&headers, options.format.as_deref())?;
    let body = body.map_err(|e| body_error(e, state.limits.max_body))?;
    let request = run::parse(kind, &body, state.limits.max_top)?;
    if state.engine.streams(&request) {
        return stream::ndjson(state, request).await;
    }
    run::answer(state, request, format, options.table).await
}

/// `GET /v1/datasets`.
async fn list_datasets(
    State(state): State<Arc<AppState>>,
    query: Result<Query<Options>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let Query(options) = query.map_err(query_error)?;
    let format = Format::negotiate(&headers, options.format.as_deref())?;
    run::answer(
        state,
        Request::Datasets(DatasetsRequest {}),
        format,
        options.table,
    )
    .await
}

/// `GET /v1/datasets/{name}`: the `info` report.
async fn dataset_info(
    State(state): State<Arc<AppState>>,
    name: Result<UrlPath<String>, PathRejection>,
    query: Result<Query<DatasetQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let UrlPath(name) = name.map_err(|e| ApiError::usage("name", e.body_text()))?;
    let Query(options) = query.map_err(query_error)?;
    let format = Format::negotiate(&headers, options.format.as_deref())?;
    run::answer(
        state,
        Request::Info(InfoRequest {
            data: name,
            year: options.year,
        }),
        format,
        options.table,
    )
    .await
}

/// The query of `GET /v1/datasets/{name}`: the output options and, for a series, the year (the latest when
/// left out).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct DatasetQuery {
    #[serde(default)]
    table: Option<String>,
    #[serde(default)]
    format: Option<String>,
    #[serde(default)]
    year: Option<i32>,
}

/// The query of `GET /v1/blocs`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct BlocsQuery {
    #[serde(default)]
    as_of: Option<String>,
    #[serde(default)]
    table: Option<String>,
    #[serde(default)]
    format: Option<String>,
}

/// `GET /v1/blocs`.
async fn list_blocs(
    State(state): State<Arc<AppState>>,
    query: Result<Query<BlocsQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let Query(q) = query.map_err(query_error)?;
    let format = Format::negotiate(&headers, q.format.as_deref())?;
    let request = Request::BlocsList(BlocsListRequest {
        as_of: q.as_of,
        blocs: None,
    });
    run::answer(state, request, format, q.table).await
}

/// `GET /v1/openapi.json`.
async fn openapi_json(State(state): State<Arc<AppState>>) -> Response {
    let mut response = (StatusCode::OK, state.openapi.clone()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// Anything else: 404, with the endpoints and the nearest.
async fn not_found(request: HttpRequest) -> ApiError {
    let path = request.uri().path().to_string();
    let mut endpoints: Vec<String> = [
        "/api",
        "/v1/openapi.json",
        "/v1/datasets",
        "/v1/datasets/{name}",
        "/v1/blocs",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    endpoints.extend(KINDS.iter().map(|k| format!("/v1/{k}")));
    let nearest = sovra_core::blocs::nearest(&path, endpoints.iter().map(String::as_str));
    ApiError::not_found(format!("nothing at {path}"), endpoints, nearest)
}

// ---- layers --------------------------------------------------------------------------------------

/// A bearer token on data requests, when the server has one.
async fn require_token(
    State(state): State<Arc<AppState>>,
    request: HttpRequest,
    next: Next,
) -> Response {
    match &state.token {
        Some(token) if !token.admits(request.headers().get(header::AUTHORIZATION)) => {
            let message = if request.headers().contains_key(header::AUTHORIZATION) {
                "wrong token"
            } else {
                "this server needs a token: send `Authorization: Bearer <token>` (the token is in the server's --token-file)"
            };
            ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message).into_response()
        }
        _ => next.run(request).await,
    }
}

/// On loopback, only loopback host names (no DNS rebinding from a web page).
async fn check_host(
    State(state): State<Arc<AppState>>,
    request: HttpRequest,
    next: Next,
) -> Response {
    if state.loopback_hosts {
        let host = request
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .map(str::to_string);
        if let Some(host) = host
            && !is_loopback_host(&host)
        {
            return ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                format!(
                    "this server listens on loopback and answers only localhost, 127.0.0.1 or [::1], not '{host}' (bind another address with --bind, and set a --token-file, to serve other names)"
                ),
            )
            .at("host")
            .into_response();
        }
    }
    next.run(request).await
}

/// `localhost`, `127.x.x.x` or `[::1]`, with or without a port.
fn is_loopback_host(host: &str) -> bool {
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else {
        host.rsplit_once(':').map_or(host, |(name, port)| {
            if port.bytes().all(|b| b.is_ascii_digit()) {
                name
            } else {
                host
            }
        })
    };
    name.eq_ignore_ascii_case("localhost")
        || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Every error answer as JSON: the layers' own (413, 504, 405, …) get a body of ours; ours pass as they
/// are. Every answer gets `X-Content-Type-Options: nosniff`.
async fn json_errors<B>(State(state): State<Arc<AppState>>, response: Response<B>) -> Response
where
    B: axum::body::HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    let response = response.map(axum::body::Body::new);
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    let mut response = if response.status().as_u16() >= 400 && !is_json {
        let status = response.status();
        let limits = &state.limits;
        let e = match status {
            StatusCode::PAYLOAD_TOO_LARGE => too_large(limits.max_body),
            StatusCode::GATEWAY_TIMEOUT | StatusCode::REQUEST_TIMEOUT => ApiError::new(
                status,
                "timeout",
                format!(
                    "the request took longer than {} s (the server's --timeout); its work was stopped",
                    limits.timeout.as_secs()
                ),
            ),
            _ => {
                let text = axum::body::to_bytes(response.into_body(), 4096)
                    .await
                    .unwrap_or_default();
                ApiError::for_status(status, &String::from_utf8_lossy(&text))
            }
        };
        e.into_response()
    } else {
        response
    };
    response.headers_mut().insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

fn too_large(max_body: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "too_large",
        format!("the request body is over {max_body} bytes (the server's --max-body)"),
    )
}

fn body_error(e: BytesRejection, max_body: usize) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        too_large(max_body)
    } else {
        ApiError::for_status(e.status(), &e.body_text())
    }
}

fn query_error(e: QueryRejection) -> ApiError {
    let text = e.body_text();
    let mut err = ApiError::bad_request(text.clone());
    if let Some(field) = text
        .split("unknown field `")
        .nth(1)
        .and_then(|s| s.split('`').next())
    {
        err = err.at(field);
    }
    err
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_host_names() {
        for ok in [
            "localhost",
            "localhost:8750",
            "127.0.0.1",
            "127.0.0.1:80",
            "[::1]:8750",
            "[::1]",
            "LOCALHOST",
        ] {
            assert!(is_loopback_host(ok), "{ok}");
        }
        for bad in [
            "evil.example",
            "evil.example:8750",
            "10.0.0.1:8750",
            "localhost.evil",
            "[::2]:1",
        ] {
            assert!(!is_loopback_host(bad), "{bad}");
        }
    }

    #[test]
    fn tokens_compare_whole() {
        let t = Token::new(" s3cret-token\n").expect("token");
        let h = |s: &'static str| HeaderValue::from_static(s);
        assert!(t.admits(Some(&h("Bearer s3cret-token"))));
        assert!(!t.admits(Some(&h("Bearer s3cret-toke"))));
        assert!(!t.admits(Some(&h("Bearer s3cret-token2"))));
        assert!(!t.admits(Some(&h("Basic s3cret-token"))));
        assert!(!t.admits(None));
        assert!(Token::new("  ").is_none());
        assert!(Token::new("two words").is_none());
        assert_eq!(format!("{t:?}"), "Token(…)");
    }
}
