//! sovra's engine: every analysis as a typed request that produces a typed report.
//!
//! The front ends — the `sovra` CLI, `sovra serve` and (later) Python — only translate requests in and render
//! [`sovra_report::Report`]s out; everything between is here, written once:
//! - [`Workspace`]: the store, and what is costly to rebuild kept between requests (loaded tables, their
//!   Leontief systems with the LU factorisation built on first use, the bloc registry, the trade years last
//!   read);
//! - requests ([`Request`], one struct per analysis, serde with unknown fields rejected; field names follow
//!   the CLI's arguments and flags: `{"us": "DEU", "them": "CHN+RUS", "as_of": "2024-06-30", "top": 10}`);
//! - party and bloc resolution on a date, overlap checks, the table's regions and sectors by name; for
//!   product-level trade ([`trade`], [`complexity`]) the trade source, year windows, HS conversion and
//!   product names. Requests that name files (`input`, `store`) say so ([`Request::names_files`]); the two
//!   jobs that write files ([`trade::import`], [`trade::synth`]) are functions, not requests;
//! - one error type whose [`ErrorKind`] decides the CLI's exit code, the HTTP status and the Python exception.
//!
//! ```no_run
//! use sovra_engine::{Quiet, Request, Workspace, run};
//! let ws = Workspace::from_env();
//! let req: Request = serde_json::from_str(r#"{"kind": "depend", "us": "EU27", "them": "CHN", "top": 10}"#)?;
//! let report = run(&ws, &req, &Quiet)?;
//! println!("{}", sovra_report::write::to_json(&report));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![deny(missing_docs)]

pub mod alliances;
pub mod bridge;
pub mod complexity;
mod compose;
pub mod depend;
pub mod error;
pub mod files;
pub mod monitor;
pub mod mrio;
mod programme;
pub mod progress;
pub mod projects;
pub mod shock;
pub mod trade;
pub mod workspace;

pub use alliances::AlliancesRequest;
pub use bridge::BridgeShowRequest;
pub use complexity::{ComplexityBy, ComplexityRequest, Convention};
pub use depend::{
    BlocsListRequest, BlocsShowRequest, DependBy, DependRequest, KeysRequest, SortBy, TivaRequest,
};
pub use error::{Error, ErrorKind, Result};
pub use files::write_atomic;
pub use monitor::{DecomposeRequest, MonitorBy, MonitorRequest};
pub use mrio::{
    DatasetsRequest, FootprintBy, FootprintRequest, InfoRequest, LinkagesRequest, Matrix,
    MatrixRequest, MultipliersRequest, Which,
};
pub use progress::{Cancel, Progress, Quiet};
pub use projects::{MilpSolver, Objective, ProjectsEvaluateRequest, ProjectsSelectRequest};
pub use shock::{ParamArg, ShockRequest, TomlText};
pub use sovra_report::text::format_num;
pub use trade::{
    OpportunitiesRequest, SuppliersRequest, TradeDependRequest, TradeImportOptions,
    TradeSynthOptions,
};
pub use workspace::{Blocs, DEFAULT_DATASET, Loaded, Solver, Workspace};

use serde::{Deserialize, Serialize};
use sovra_report::Report;

/// Every request the engine answers with a report, tagged by its kind (`{"kind": "depend", …}`); the HTTP
/// server takes the kind from the path (`POST /v1/depend`) and the body is the request itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Request {
    /// A dataset's labels, totals and checks.
    Info(InfoRequest),
    /// The datasets in the store.
    Datasets(DatasetsRequest),
    /// Output and value-added multipliers.
    Multipliers(MultipliersRequest),
    /// Rasmussen linkages.
    Linkages(LinkagesRequest),
    /// pymrio-style footprints.
    Footprint(FootprintRequest),
    /// Dependence of us on them.
    Depend(DependRequest),
    /// Technological keys.
    Keys(KeysRequest),
    /// TiVA indicators.
    Tiva(TivaRequest),
    /// The blocs on a date.
    BlocsList(BlocsListRequest),
    /// One bloc or expression.
    BlocsShow(BlocsShowRequest),
    /// Where HS product codes land on the ICIO sectors (the product bridge).
    BridgeShow(BridgeShowRequest),
    /// Product-level dependency screen.
    TradeDepend(TradeDependRequest),
    /// The product-level screen year by year against them: what entered and left the dependent list, and how.
    TradeMonitor(TradeDependRequest),
    /// Alternative suppliers of products.
    TradeSuppliers(SuppliersRequest),
    /// Import-substitution opportunities.
    Opportunities(OpportunitiesRequest),
    /// Economic complexity.
    Complexity(ComplexityRequest),
    /// What an embargo, export ban or import ban does to output (one scenario, a batch or a sweep).
    Shock(Box<ShockRequest>),
    /// Candidate partners for what us buys from them, and the embargo with and without the alliance.
    Alliances(AlliancesRequest),
    /// Import-substitution projects, each on its own, through the supply chain.
    ProjectsEvaluate(Box<ProjectsEvaluateRequest>),
    /// The portfolio of projects that cuts dependence most under budgets (MILP), re-evaluated jointly.
    ProjectsSelect(Box<ProjectsSelectRequest>),
    /// The indicators of every year of a series, their trends, and a programme's targets with a status.
    Monitor(Box<MonitorRequest>),
    /// Why their value added in our final demand changed between two years (structural decomposition).
    Decompose(DecomposeRequest),
}

impl Request {
    /// The kind's name, as in the JSON tag and the HTTP path.
    pub fn kind(&self) -> &'static str {
        match self {
            Request::Info(_) => "info",
            Request::Datasets(_) => "datasets",
            Request::Multipliers(_) => "multipliers",
            Request::Linkages(_) => "linkages",
            Request::Footprint(_) => "footprint",
            Request::Depend(_) => "depend",
            Request::Keys(_) => "keys",
            Request::Tiva(_) => "tiva",
            Request::BlocsList(_) => "blocs_list",
            Request::BlocsShow(_) => "blocs_show",
            Request::BridgeShow(_) => "bridge_show",
            Request::TradeDepend(_) => "trade_depend",
            Request::TradeMonitor(_) => "trade_monitor",
            Request::TradeSuppliers(_) => "trade_suppliers",
            Request::Opportunities(_) => "opportunities",
            Request::Complexity(_) => "complexity",
            Request::Shock(_) => "shock",
            Request::Alliances(_) => "alliances",
            Request::ProjectsEvaluate(_) => "projects_evaluate",
            Request::ProjectsSelect(_) => "projects_select",
            Request::Monitor(_) => "monitor",
            Request::Decompose(_) => "decompose",
        }
    }

    /// The dataset the request reads, if it reads one (complexity on product-level exports reads none).
    pub fn dataset(&self) -> Option<&str> {
        match self {
            Request::Info(q) => Some(&q.data),
            Request::Multipliers(q) => Some(&q.data),
            Request::Linkages(q) => Some(&q.data),
            Request::Footprint(q) => Some(&q.data),
            Request::Depend(q) => Some(&q.data),
            Request::Keys(q) => Some(&q.data),
            Request::Tiva(q) => Some(&q.data),
            Request::Shock(q) => Some(&q.data),
            Request::Alliances(q) => Some(&q.data),
            Request::ProjectsEvaluate(q) => Some(&q.data),
            Request::ProjectsSelect(q) => Some(&q.data),
            Request::Monitor(q) => Some(&q.data),
            Request::Decompose(q) => Some(&q.data),
            Request::BlocsShow(q) => q.data.as_deref(),
            Request::Complexity(q) => {
                (!(q.trade || q.input.is_some() || q.store.is_some())).then_some(q.data.as_str())
            }
            Request::Datasets(_)
            | Request::BridgeShow(_)
            | Request::BlocsList(_)
            | Request::TradeDepend(_)
            | Request::TradeMonitor(_)
            | Request::TradeSuppliers(_)
            | Request::Opportunities(_) => None,
        }
    }

    /// The linear solver the request asks for (the workspace keeps a system per solver).
    pub fn solver(&self) -> Solver {
        match self {
            Request::Multipliers(q) => q.solver,
            Request::Linkages(q) => q.solver,
            Request::Footprint(q) => q.solver,
            Request::Depend(q) => q.solver,
            Request::Keys(q) => q.solver,
            Request::Tiva(q) => q.solver,
            Request::ProjectsEvaluate(q) => q.solver,
            Request::ProjectsSelect(q) => q.solver,
            Request::Monitor(q) => q.solver,
            Request::Decompose(q) => q.solver,
            _ => Solver::Auto,
        }
    }

    /// Whether the request names a file or directory to read (a trade store or a CSV other than the
    /// workspace's): the server refuses such requests, reading only its workspace.
    pub fn names_files(&self) -> bool {
        match self {
            Request::TradeDepend(q) | Request::TradeMonitor(q) => q.names_files(),
            Request::TradeSuppliers(q) => q.names_files(),
            Request::Opportunities(q) => q.names_files(),
            Request::Complexity(q) => q.names_files(),
            Request::Shock(q) => q.names_files(),
            _ => false,
        }
    }

    /// The request of a kind from its JSON body (unknown fields are an error naming the field).
    pub fn from_body(kind: &str, body: &[u8]) -> Result<Request> {
        let mut value: serde_json::Value = if body.iter().all(u8::is_ascii_whitespace) {
            serde_json::Value::Object(Default::default())
        } else {
            serde_json::from_slice(body)
                .map_err(|e| Error::new(ErrorKind::Usage, format!("request body: {e}")))?
        };
        match value.as_object_mut() {
            Some(map) => {
                if map.contains_key("kind") {
                    return Err(Error::usage(
                        "kind",
                        "the kind comes from the path: leave \"kind\" out of the body",
                    ));
                }
                map.insert("kind".into(), serde_json::Value::String(kind.into()));
            }
            None => {
                return Err(Error::new(
                    ErrorKind::Usage,
                    "request body: expected a JSON object",
                ));
            }
        }
        serde_json::from_value(value).map_err(|e| {
            let msg = e.to_string();
            let mut err = Error::new(ErrorKind::Usage, format!("{kind} request: {msg}"));
            if let Some(field) = msg
                .strip_prefix("unknown field `")
                .and_then(|s| s.split('`').next())
            {
                err.field = Some(field.to_string());
            } else if let Some(field) = msg
                .strip_prefix("missing field `")
                .and_then(|s| s.split('`').next())
            {
                err.field = Some(field.to_string());
            } else if msg.starts_with("unknown variant") {
                err.kind = ErrorKind::NotFound;
                err.message = format!("no analysis named '{kind}'");
                err.choices = KINDS.iter().map(|k| k.to_string()).collect();
            }
            err
        })
    }
}

/// The kinds of request, as in [`Request::kind`].
pub const KINDS: &[&str] = &[
    "info",
    "datasets",
    "multipliers",
    "linkages",
    "footprint",
    "depend",
    "keys",
    "tiva",
    "blocs_list",
    "blocs_show",
    "bridge_show",
    "trade_depend",
    "trade_monitor",
    "trade_suppliers",
    "opportunities",
    "complexity",
    "shock",
    "alliances",
    "projects_evaluate",
    "projects_select",
    "monitor",
    "decompose",
];

/// Answers a request with its report.
pub fn run(ws: &Workspace, req: &Request, progress: &dyn Progress) -> Result<Report> {
    if progress.cancelled() {
        return Err(Error::cancelled());
    }
    match req {
        Request::Info(q) => mrio::info(ws, q, progress),
        Request::Datasets(q) => mrio::datasets(ws, q),
        Request::Multipliers(q) => mrio::multipliers(ws, q, progress),
        Request::Linkages(q) => mrio::linkages(ws, q, progress),
        Request::Footprint(q) => mrio::footprint(ws, q, progress),
        Request::Depend(q) => depend::depend(ws, q, progress),
        Request::Keys(q) => depend::keys(ws, q, progress),
        Request::Tiva(q) => depend::tiva(ws, q, progress),
        Request::BlocsList(q) => depend::blocs_list(ws, q),
        Request::BlocsShow(q) => depend::blocs_show(ws, q, progress),
        Request::BridgeShow(q) => bridge::show(q),
        Request::TradeDepend(q) => trade::depend(ws, q, progress),
        Request::TradeMonitor(q) => trade::monitor(ws, q, progress),
        Request::TradeSuppliers(q) => trade::suppliers(ws, q, progress),
        Request::Opportunities(q) => trade::opportunities(ws, q, progress),
        Request::Complexity(q) => complexity::complexity(ws, q, progress),
        Request::Shock(q) => shock::run(ws, q, progress),
        Request::Alliances(q) => alliances::alliances(ws, q, progress),
        Request::ProjectsEvaluate(q) => projects::evaluate(ws, q, progress),
        Request::ProjectsSelect(q) => projects::select(ws, q, progress),
        Request::Monitor(q) => monitor::monitor(ws, q, progress),
        Request::Decompose(q) => monitor::decompose(ws, q, progress),
    }
}

/// Answers a request whose work comes in parts (the scenarios of a batch or a sweep): each part's report goes
/// to `sink` as soon as it and every part before it are done, so parts arrive in the request's order even when
/// they finish out of order; the report returned sums up the run. A request of one part sends nothing to the
/// sink and returns its report. An error from the sink (a closed pipe, a client that went away) stops the work.
pub fn run_stream(
    ws: &Workspace,
    req: &Request,
    sink: &mut dyn FnMut(Report) -> Result<()>,
    progress: &dyn Progress,
) -> Result<Report> {
    if progress.cancelled() {
        return Err(Error::cancelled());
    }
    match req {
        Request::Shock(q) if shock::streams(q) => shock::run_stream(ws, q, sink, progress),
        _ => run(ws, req, progress),
    }
}

/// The JSON Schema of a kind's request body (the request without its `kind` tag, which the HTTP path
/// carries), or `None` for a kind not in [`KINDS`]. Schemas of named types go into the generator's
/// definitions; the server assembles them into its OpenAPI document.
#[cfg(feature = "openapi")]
pub fn request_schema(
    kind: &str,
    generator: &mut schemars::SchemaGenerator,
) -> Option<schemars::Schema> {
    Some(match kind {
        "info" => generator.subschema_for::<InfoRequest>(),
        "datasets" => generator.subschema_for::<DatasetsRequest>(),
        "multipliers" => generator.subschema_for::<MultipliersRequest>(),
        "linkages" => generator.subschema_for::<LinkagesRequest>(),
        "footprint" => generator.subschema_for::<FootprintRequest>(),
        "depend" => generator.subschema_for::<DependRequest>(),
        "keys" => generator.subschema_for::<KeysRequest>(),
        "tiva" => generator.subschema_for::<TivaRequest>(),
        "blocs_list" => generator.subschema_for::<BlocsListRequest>(),
        "blocs_show" => generator.subschema_for::<BlocsShowRequest>(),
        "bridge_show" => generator.subschema_for::<BridgeShowRequest>(),
        "trade_depend" | "trade_monitor" => generator.subschema_for::<TradeDependRequest>(),
        "trade_suppliers" => generator.subschema_for::<SuppliersRequest>(),
        "opportunities" => generator.subschema_for::<OpportunitiesRequest>(),
        "complexity" => generator.subschema_for::<ComplexityRequest>(),
        "shock" => generator.subschema_for::<ShockRequest>(),
        "alliances" => generator.subschema_for::<AlliancesRequest>(),
        "projects_evaluate" => generator.subschema_for::<ProjectsEvaluateRequest>(),
        "projects_select" => generator.subschema_for::<ProjectsSelectRequest>(),
        "monitor" => generator.subschema_for::<MonitorRequest>(),
        "decompose" => generator.subschema_for::<DecomposeRequest>(),
        _ => return None,
    })
}

/// Whether a request streams its parts through [`run_stream`]'s sink (batches and sweeps).
pub fn streams(req: &Request) -> bool {
    matches!(req, Request::Shock(q) if shock::streams(q))
}
