//! `shock`: what an embargo, export ban or import ban does to output, country by country and sector by
//! sector — one scenario, a batch of scenarios or a parameter sweep (the models are
//! `sovra_analysis::shock`'s; see `docs/shock.md`).
//!
//! A request names its scenario in one of three ways: the fields of one leg (`sanctioning`, `target`,
//! `instrument`, `sectors`), the TOML text of a scenario file (`scenario`), or the TOML text of a batch file
//! (`batch`, `[[scenario]]` tables). `model`, `as_of` and the parameters (`tau`, `delta`, `rho`, `rho_out`)
//! override what the TOML says, and `sweep` (`tau=0.1:0.8:0.1,delta=0.05,0.1`) runs the cartesian product
//! over every scenario ([`scenarios`] expands them, and refuses more than `max_scenarios` before any work).
//!
//! One scenario answers with its report ([`run`]): the summary figures and the tables `countries` (ranked
//! by output loss), `sectors` (of the `detail` country, or the most hit), `nodes` (every region × sector)
//! and `legs`. A batch or a sweep ([`streams`]) sends one such report per scenario to the sink of
//! [`run_stream`], in scenario order, and answers with a summary (the table `scenarios`).

pub mod partial;
mod products;
mod report;
mod scenarios;
mod stream;
mod uncertainty;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Instant;

use serde::{Deserialize, Deserializer, Serialize};
use sovra_analysis::shock::{self as model, Network, Outcome};
use sovra_core::Mrio;
use sovra_core::blocs::{self, Date, Registry};
use sovra_report::Report;

pub use products::{ProductShares, product_shares};
pub(crate) use report::distrust;
pub use scenarios::scenarios;
pub use sovra_analysis::shock::{Instrument, Model, ScenarioSpec};

use crate::depend;
use crate::error::{Error, ErrorKind, Result};
use crate::progress::Progress;
use crate::workspace::{Blocs, DEFAULT_DATASET, Loaded, Workspace};

fn default_data() -> String {
    DEFAULT_DATASET.to_string()
}

/// The seed of the draws when the request gives none.
pub const DEFAULT_SEED: u64 = 20_221_231;

fn default_seed() -> u64 {
    DEFAULT_SEED
}

/// A model parameter in a request: a value, or (with `draws`) a distribution as text,
/// `uniform:LO:HI`, `triangular:LO:MODE:HI` or `normal:MEAN:SD` (text that is a number is a value).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(untagged)]
pub enum ParamArg {
    /// A value.
    Value(f64),
    /// A distribution (or a number) as text.
    Text(String),
}

impl From<f64> for ParamArg {
    fn from(v: f64) -> Self {
        ParamArg::Value(v)
    }
}

/// The default limit on the scenarios of one batch or sweep.
pub const MAX_SCENARIOS: usize = 10_000;

fn default_max_scenarios() -> usize {
    MAX_SCENARIOS
}

/// `shock`: a scenario (or a batch, or a sweep) and the model it runs under. Field names follow the CLI's
/// arguments and flags (`{"sanctioning": "G7", "on": "RUS+BLR", "instrument": "export-ban", "tau": 0.5}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ShockRequest {
    /// The sanctioning side of a one-leg scenario: a country, bloc or expression.
    #[serde(default)]
    pub sanctioning: Option<String>,
    /// The target side of a one-leg scenario (`on` is accepted too, as on the command line).
    #[serde(default, alias = "on")]
    pub target: Option<String>,
    /// The instrument of a one-leg scenario (`export-ban`, `import-ban`, `embargo`; default embargo).
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schemars(with = "Option<String>", extend("enum" = ["export-ban", "import-ban", "embargo", null]))
    )]
    pub instrument: Option<Instrument>,
    /// The selling sectors a one-leg scenario covers (codes); all when absent.
    #[serde(default)]
    pub sectors: Option<Vec<String>>,
    /// The products a one-leg scenario covers instead of sectors: HS6, HS4 or HS2 codes or HS sections
    /// (`["8541", "8542", "848620"]`); the named products' share of each block is severed (docs/shock.md,
    /// "Product legs").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub products: Option<Vec<String>>,
    /// A file listing the products of a one-leg scenario (names a file: refused by the server).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub products_file: Option<String>,
    /// A scenario file's TOML text (legs, model, parameters); never a path.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schemars(with = "Option<String>"))]
    pub scenario: Option<TomlText>,
    /// A batch file's TOML text (`[[scenario]]` tables); never a path.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schemars(with = "Option<String>"))]
    pub batch: Option<TomlText>,
    /// A parameter grid, e.g. `tau=0.1:0.8:0.1,delta=0.05,0.1` (ranges `start:stop:step`, inclusive; lists
    /// comma-separated): the cartesian product runs over every scenario.
    #[serde(default)]
    pub sweep: Option<String>,
    /// The model (`rerouting`, `extraction` — supply side for export bans, demand side for import bans —,
    /// `extraction-demand`, `extraction-supply` or `extraction-both`), over the scenario's.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schemars(with = "Option<String>", extend("enum" = ["rerouting", "extraction", "extraction-demand", "extraction-supply", "extraction-both", null]))
    )]
    pub model: Option<Model>,
    /// Rerouting friction τ ∈ [0, 1], over the scenario's (default 0.30); with `draws`, a distribution
    /// (`"uniform:0.1:0.6"`, `"triangular:0.1:0.3:0.6"`, `"normal:0.3:0.1"`).
    #[serde(default)]
    pub tau: Option<ParamArg>,
    /// Leakage δ ∈ [0, 1], over the scenario's (default 0.10); or a distribution, as `tau`.
    #[serde(default)]
    pub delta: Option<ParamArg>,
    /// Inner CES curvature ρ < 0, over the scenario's (default −1); or a distribution, as `tau`.
    #[serde(default)]
    pub rho: Option<ParamArg>,
    /// Outer CES curvature ϱ < 0, over the scenario's (default −1); or a distribution, as `tau`.
    #[serde(default)]
    pub rho_out: Option<ParamArg>,
    /// Monte Carlo: run the scenario this many times with the parameters given as distributions drawn
    /// afresh each time, and report percentiles (see `docs/shock.md`, "Uncertainty").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub draws: Option<usize>,
    /// The seed of the draws (the same seed, the same draws).
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Dataset.
    #[serde(default = "default_data")]
    pub data: String,
    /// Year of a dataset that holds several (a series); the latest when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year: Option<i32>,
    /// Bloc membership date, YYYY-MM-DD, over the scenario's (default: today).
    #[serde(default)]
    pub as_of: Option<String>,
    /// Extra blocs.
    #[serde(default)]
    pub blocs: Option<Blocs>,
    /// Only the N countries with the largest output loss in the `countries` table (all when absent).
    #[serde(default)]
    pub top: Option<usize>,
    /// The country whose sectors the `sectors` table shows (default: the most hit one).
    #[serde(default)]
    pub detail: Option<String>,
    /// Batches and sweeps: the names of scenarios already done (an interrupted run resumed), not run again.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skip: Vec<String>,
    /// Batches and sweeps: the most scenarios one request may run (default 10,000).
    #[serde(default = "default_max_scenarios")]
    pub max_scenarios: usize,
}

impl ShockRequest {
    /// Whether the request names a file to read (`products_file`, here or in a scenario's legs): the server
    /// refuses it.
    pub fn names_files(&self) -> bool {
        self.products_file.is_some()
            || [&self.scenario, &self.batch]
                .into_iter()
                .flatten()
                .any(|t| t.toml.contains("products_file"))
    }

    /// A one-leg scenario with every other field at its default.
    pub fn new(sanctioning: &str, target: &str) -> Self {
        ShockRequest {
            sanctioning: Some(sanctioning.to_string()),
            target: Some(target.to_string()),
            instrument: None,
            sectors: None,
            products: None,
            products_file: None,
            scenario: None,
            batch: None,
            sweep: None,
            model: None,
            tau: None,
            delta: None,
            rho: None,
            rho_out: None,
            draws: None,
            seed: DEFAULT_SEED,
            data: default_data(),
            year: None,
            as_of: None,
            blocs: None,
            top: None,
            detail: None,
            skip: Vec::new(),
            max_scenarios: MAX_SCENARIOS,
        }
    }
}

/// TOML text given in a request, and where it came from (a file the CLI read, or the request itself) for
/// error messages. In JSON either a string (the text) or `{"toml": "…", "origin": "chips.toml"}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TomlText {
    /// The TOML text.
    pub toml: String,
    /// Where it came from.
    pub origin: String,
}

impl TomlText {
    /// Text read from a file (the name is kept for messages).
    pub fn new(toml: impl Into<String>, origin: impl Into<String>) -> Self {
        TomlText {
            toml: toml.into(),
            origin: origin.into(),
        }
    }
}

impl<'de> Deserialize<'de> for TomlText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
        #[serde(deny_unknown_fields)]
        struct Full {
            toml: String,
            #[serde(default)]
            origin: Option<String>,
        }
        #[derive(Deserialize)]
        #[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
        #[serde(untagged)]
        enum Given {
            Text(String),
            Full(Full),
        }
        Ok(
            match Given::deserialize(d).map_err(|_| {
                serde::de::Error::custom(
                    "expected TOML text: a string, or {\"toml\": \"…\", \"origin\": \"…\"}",
                )
            })? {
                Given::Text(toml) => TomlText::new(toml, "the request"),
                Given::Full(f) => TomlText::new(f.toml, f.origin.unwrap_or("the request".into())),
            },
        )
    }
}

/// Whether the request is a batch or a sweep: its scenarios go one report each through [`run_stream`].
pub fn streams(q: &ShockRequest) -> bool {
    q.batch.is_some() || q.sweep.is_some()
}

/// A scenario with its legs resolved on the table.
struct Scenario {
    spec: ScenarioSpec,
    resolved: model::Resolved,
}

/// Everything checked before any scenario runs: the scenarios, resolved on the dataset, and the detail
/// country.
struct Plan {
    loaded: Arc<Loaded>,
    scenarios: Vec<Scenario>,
    /// Scenarios left out because the request names them in `skip`.
    skipped: usize,
    detail: Option<usize>,
    top: Option<usize>,
}

impl Plan {
    fn new(ws: &Workspace, q: &ShockRequest, progress: &dyn Progress) -> Result<Plan> {
        let mut specs = scenarios(q)?;
        products::read_files(&mut specs, q)?;
        let total = specs.len();
        let skip: BTreeSet<&str> = q.skip.iter().map(String::as_str).collect();
        let todo: Vec<ScenarioSpec> = if streams(q) {
            specs
                .into_iter()
                .filter(|s| !skip.contains(s.name.as_str()))
                .collect()
        } else {
            specs
        };
        let ctx = Context::new(ws, q, progress)?;
        let t = &*ctx.loaded.table;
        let detail = q
            .detail
            .as_deref()
            .map(|c| detail_region(t, c, &q.data))
            .transpose()?;
        // A scenario without a membership date takes the end of the dataset's year, with a note.
        let mut date_notes = Vec::new();
        let default_date = depend::dataset_date(&None, t, &mut date_notes)?;
        let pc = if products::any(&todo) {
            progress.stage("reading the trade behind the product legs");
            Some(products::prepare(ws, &todo, &ctx.registry, t, &q.data)?)
        } else {
            None
        };
        // Every scenario resolved before any runs, so bad input fails fast.
        let mut resolved = Vec::with_capacity(todo.len());
        for mut spec in todo {
            let defaulted = spec.as_of.is_none();
            if defaulted {
                spec.as_of = Some(default_date.to_string());
            }
            let with = pc.as_ref().map(|p| p.products());
            let mut r =
                model::scenario::resolve_with(&spec, &ctx.registry, &t.labels, &q.data, with)
                    .map_err(|e| resolve_error(e, &spec, q, &ctx))?;
            if let Some(p) = &pc
                && spec.legs.iter().any(|l| l.products.is_some())
            {
                r.notes.push(p.note.clone());
                r.notes.extend(products::basis_note(&r.blocks));
            }
            if defaulted {
                r.notes.extend(date_notes.iter().cloned());
            }
            resolved.push(Scenario { spec, resolved: r });
        }
        Ok(Plan {
            skipped: total - resolved.len(),
            loaded: ctx.loaded,
            scenarios: resolved,
            detail,
            top: q.top,
        })
    }

    fn table(&self) -> &Mrio {
        &self.loaded.table
    }

    fn network(&self, progress: &dyn Progress) -> Result<Arc<Network>> {
        progress.stage("preparing the network");
        self.loaded.network()
    }

    /// Runs scenario `k` and composes its report.
    fn one(&self, net: &Network, k: usize) -> Result<(report::Row, Report)> {
        let sc = &self.scenarios[k];
        let o: Outcome = model::run(net, &sc.resolved.legs, sc.spec.model, &sc.spec.params)?;
        report::scenario(self.table(), net, sc, &o, self.top, self.detail)
    }
}

/// What resolving the scenarios needs, taken as `depend::setup` takes it: the bloc registry (with the
/// request's extra blocs), the membership date and the dataset.
struct Context {
    registry: Arc<Registry>,
    date: Date,
    loaded: Arc<Loaded>,
}

impl Context {
    fn new(ws: &Workspace, q: &ShockRequest, progress: &dyn Progress) -> Result<Context> {
        let loaded = ws.dataset_year(&q.data, q.year, progress)?;
        Ok(Context {
            registry: ws.registry(q.blocs.as_ref())?,
            date: depend::dataset_date(&q.as_of, &loaded.table, &mut Vec::new())?,
            loaded,
        })
    }

    /// Whether one side of a leg resolves on the dataset.
    fn resolves(&self, expr: &str, date: Date, data: &str) -> bool {
        blocs::resolve(&self.registry, expr, date, &self.loaded.table.labels, data).is_ok()
    }
}

/// The region the `sectors` table shows.
fn detail_region(t: &Mrio, code: &str, data: &str) -> Result<usize> {
    let l = &t.labels;
    l.region_index(code).ok_or_else(|| {
        let codes = l.regions.iter().map(|r| r.code.as_str());
        let nearest = blocs::nearest(code, codes.clone());
        let unknown = sovra_core::Error::Unknown {
            kind: "region",
            name: code.to_string(),
            suggestion: nearest.clone(),
            valid: format!("the regions of {data}"),
        };
        let mut err = Error::new(ErrorKind::Usage, unknown.to_string()).at("detail");
        err.nearest = nearest;
        err.choices = codes.map(str::to_string).collect();
        err
    })
}

/// A scenario that does not resolve: the message names the scenario; the field is the TOML's, or the side
/// (or the sectors) of the leg at fault.
fn resolve_error(
    e: sovra_analysis::Error,
    spec: &ScenarioSpec,
    q: &ShockRequest,
    ctx: &Context,
) -> Error {
    let mut err = Error::from(e);
    err.message = format!("scenario '{}': {}", spec.name, err.message);
    let field = if q.scenario.is_some() {
        "scenario"
    } else if q.batch.is_some() {
        "batch"
    } else if err.message.contains("products") || err.message.contains("HS ") {
        "products"
    } else {
        leg_field(spec, q, ctx)
    };
    err.field = Some(field.to_string());
    err
}

fn leg_field(spec: &ScenarioSpec, q: &ShockRequest, ctx: &Context) -> &'static str {
    let date = spec
        .as_of
        .as_deref()
        .and_then(Date::parse)
        .unwrap_or(ctx.date);
    let labels = &ctx.loaded.table.labels;
    for leg in &spec.legs {
        if !ctx.resolves(&leg.sanctioning, date, &q.data) {
            return "sanctioning";
        }
        if !ctx.resolves(&leg.target, date, &q.data) {
            return "target";
        }
        let unknown_sector = leg.sectors.as_ref().is_some_and(|codes| {
            codes.is_empty()
                || codes
                    .iter()
                    .any(|c| labels.sector_index(c, &q.data).is_err())
        });
        if unknown_sector {
            return "sectors";
        }
    }
    // What is left: a region on both sides.
    "target"
}

/// Runs one scenario. A batch or a sweep runs through [`run_stream`] with its parts dropped, and answers with
/// the summary.
pub fn run(ws: &Workspace, q: &ShockRequest, progress: &dyn Progress) -> Result<Report> {
    if streams(q) {
        return run_stream(ws, q, &mut |_| Ok(()), progress);
    }
    let plan = Plan::new(ws, q, progress)?;
    let net = plan.network(progress)?;
    if q.draws.is_some() {
        return uncertainty::run(&plan, &net, q, progress);
    }
    progress.stage(match plan.scenarios[0].spec.model {
        Model::Rerouting => "rerouting severed trade and solving the rationing equilibrium",
        Model::Extraction
        | Model::ExtractionDemand
        | Model::ExtractionSupply
        | Model::ExtractionBoth => "solving the extraction model",
    });
    Ok(plan.one(&net, 0)?.1)
}

/// Runs every scenario of a batch or a sweep (but those in `skip`) in parallel; each scenario's report
/// goes to `sink` in scenario order, and the summary is returned. Progress is `step(done, total)` over the
/// scenarios to run; cancellation is checked between scenarios.
pub fn run_stream(
    ws: &Workspace,
    q: &ShockRequest,
    sink: &mut dyn FnMut(Report) -> Result<()>,
    progress: &dyn Progress,
) -> Result<Report> {
    let started = Instant::now();
    let plan = Plan::new(ws, q, progress)?;
    let net = plan.network(progress)?;
    let n = plan.scenarios.len();
    progress.stage(&format!("{n} scenario{}", if n == 1 { "" } else { "s" }));
    let mut rows = Vec::with_capacity(n);
    stream::in_order(
        n,
        |k| {
            plan.one(&net, k).map_err(|mut e| {
                e.message = format!("scenario '{}': {}", plan.scenarios[k].spec.name, e.message);
                e
            })
        },
        &mut |(row, part)| {
            rows.push(row);
            sink(part)
        },
        progress,
    )?;
    report::summary(
        plan.table(),
        &rows,
        plan.skipped,
        started.elapsed().as_secs_f64(),
    )
}
