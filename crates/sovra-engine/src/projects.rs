//! `projects evaluate` and `projects select`: what each candidate import-substitution project does through the
//! supply chain, and which portfolio cuts the dependence most under budgets (the model is
//! `sovra_analysis::projects`; see `docs/projects.md`).
//!
//! A request carries the project file's text (TOML `[[project]]` tables, or CSV with a header) and the
//! options of the command line. Everything in the file is checked before any work: unknown or duplicate
//! ids, cycles of `requires`, cost shares that do not sum to 1, negative capacity or cost, unknown sectors or
//! regions, a host or a served region inside `replaces` — each an error naming the project and the field.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Instant;

use serde::{Deserialize, Serialize};
use sovra_analysis::projects::select::{self, Candidate, Limits, SelectError};
use sovra_analysis::projects::{self as model, Project, Sides};
use sovra_analysis::shock::{self as shock_model, Network, ScenarioSpec};
use sovra_core::Mrio;
use sovra_core::blocs::{self, Date, Registry};
use sovra_report::{Kind, Report, TableBuilder, Value};

use crate::compose::{self, amount, code, count, figure, flag, format_num, line, num, param, text};
use crate::depend;
use crate::error::{Error, ErrorKind, Result};
use crate::progress::Progress;
use crate::shock::TomlText;
use crate::workspace::{Blocs, DEFAULT_DATASET, Loaded, Solver, Workspace};

fn default_data() -> String {
    DEFAULT_DATASET.to_string()
}

/// `projects evaluate`: every project's effects on its own.
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectsEvaluateRequest {
    /// The project file's text: TOML (`[[project]]` tables) or CSV (a header naming the fields); never a path.
    #[cfg_attr(feature = "openapi", schemars(with = "String"))]
    pub projects: TomlText,
    /// Dataset.
    #[serde(default = "default_data")]
    pub data: String,
    /// Year of a dataset that holds several (a series); the latest when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year: Option<i32>,
    /// Us (a country, bloc or expression); default: every host and served region.
    #[serde(default)]
    pub us: Option<String>,
    /// Them (a country, bloc or expression); default: every replaced region that is not ours.
    #[serde(default)]
    pub against: Option<String>,
    /// Bloc membership date, YYYY-MM-DD (default: the end of the dataset's year).
    #[serde(default)]
    pub as_of: Option<String>,
    /// Extra blocs.
    #[serde(default)]
    pub blocs: Option<Blocs>,
    /// A reference shock scenario's TOML text (the `shock` format): adds the loss each project avoids.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schemars(with = "Option<String>"))]
    pub scenario: Option<TomlText>,
    /// Linear solver.
    #[serde(default)]
    pub solver: Solver,
}

/// The MILP solver of a selection.
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MilpSolver {
    /// good_lp's pure-Rust `microlp` (always built).
    #[default]
    Microlp,
    /// HiGHS (only in a build with the cargo feature `highs`).
    Highs,
}

impl MilpSolver {
    fn backend(self) -> select::Backend {
        match self {
            MilpSolver::Microlp => select::Backend::Microlp,
            MilpSolver::Highs => select::Backend::Highs,
        }
    }
}

/// What a selection maximises.
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Objective {
    /// The dependence cut `ΔD`.
    #[default]
    Dependence,
    /// Our value added gained `ΔV`.
    ValueAdded,
    /// The shock loss avoided (needs a scenario).
    Shock,
    /// `w_D ΔD + w_V ΔV + w_S ΔS` with `weights`.
    Weighted,
}

impl Objective {
    fn name(self) -> &'static str {
        match self {
            Objective::Dependence => "dependence",
            Objective::ValueAdded => "value-added",
            Objective::Shock => "shock",
            Objective::Weighted => "weighted",
        }
    }
}

/// `projects select`: the portfolio that maximises the objective under budgets, then re-evaluated jointly.
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectsSelectRequest {
    /// The project file's text (TOML or CSV); never a path.
    #[cfg_attr(feature = "openapi", schemars(with = "String"))]
    pub projects: TomlText,
    /// Dataset.
    #[serde(default = "default_data")]
    pub data: String,
    /// Year of a dataset that holds several (a series); the latest when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year: Option<i32>,
    /// Us; default: every host and served region.
    #[serde(default)]
    pub us: Option<String>,
    /// Them; default: every replaced region that is not ours.
    #[serde(default)]
    pub against: Option<String>,
    /// Bloc membership date.
    #[serde(default)]
    pub as_of: Option<String>,
    /// Extra blocs.
    #[serde(default)]
    pub blocs: Option<Blocs>,
    /// A reference shock scenario's TOML text.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schemars(with = "Option<String>"))]
    pub scenario: Option<TomlText>,
    /// Linear solver.
    #[serde(default)]
    pub solver: Solver,
    /// Total budget (none: unlimited), in the table's unit.
    #[serde(default)]
    pub budget: Option<f64>,
    /// Budget per payer (`{"RUS": 1000, "BLR": 500}`): each payer's share of each chosen cost.
    #[serde(default)]
    pub budget_by: BTreeMap<String, f64>,
    /// What to maximise.
    #[serde(default)]
    pub objective: Objective,
    /// Weights of the `weighted` objective: `dependence`, `value-added`, `shock` (default 1 each).
    #[serde(default)]
    pub weights: BTreeMap<String, f64>,
    /// Ids that must be chosen.
    #[serde(default)]
    pub must: Vec<String>,
    /// Ids that must not be chosen.
    #[serde(default)]
    pub never: Vec<String>,
    /// Budgets `start:stop:step` for the efficient frontier (the optimal objective at each budget).
    #[serde(default)]
    pub frontier: Option<String>,
    /// Seconds the MILP solver may search per selection before returning its best portfolio (default 60).
    #[serde(default)]
    pub time_limit: Option<f64>,
    /// The MILP solver: `microlp` (default) or `highs` (a build with the `highs` feature).
    #[serde(default)]
    pub milp_solver: MilpSolver,
}

/// One project as written in the file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Written {
    id: String,
    #[serde(default)]
    name: Option<String>,
    host: String,
    sector: String,
    capacity: f64,
    cost: f64,
    #[serde(default)]
    payers: Option<BTreeMap<String, f64>>,
    #[serde(default)]
    serves: Option<String>,
    #[serde(default)]
    replaces: Option<String>,
    #[serde(default)]
    requires: Vec<String>,
    #[serde(default)]
    excludes: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WrittenFile {
    #[serde(default)]
    project: Vec<Written>,
}

/// A project resolved on the table, with what the report shows of it.
struct Resolved {
    project: Project,
    host: String,
    sector: String,
    serves: String,
    replaces: String,
}

fn bad(origin: &str, id: &str, field: &str, msg: impl std::fmt::Display) -> Error {
    Error::usage(
        "projects",
        format!("{origin}: project '{id}', field '{field}': {msg}"),
    )
}

fn is_csv(src: &TomlText) -> bool {
    if src.origin.to_ascii_lowercase().ends_with(".csv") {
        return true;
    }
    src.toml
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .is_some_and(|l| l.starts_with("id,") || l.starts_with("\"id\","))
}

/// Reads the projects of a TOML or CSV text.
fn parse(src: &TomlText) -> Result<Vec<Written>> {
    if is_csv(src) {
        return parse_csv(src);
    }
    let f: WrittenFile = toml::from_str(&src.toml).map_err(|e| {
        Error::usage(
            "projects",
            format!("{}: {}", src.origin, e.to_string().trim()),
        )
    })?;
    if f.project.is_empty() {
        return Err(Error::usage(
            "projects",
            format!("{}: no [[project]] table", src.origin),
        ));
    }
    Ok(f.project)
}

/// CSV: a header with `id`, `host`, `sector`, `capacity`, `cost` and optionally `name`, `payers`
/// (`RUS=0.6;BLR=0.4`), `serves`, `replaces`, `requires` and `excludes` (ids separated by `;`).
fn parse_csv(src: &TomlText) -> Result<Vec<Written>> {
    let origin = &src.origin;
    let mut rd = csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .trim(csv::Trim::All)
        .from_reader(src.toml.as_bytes());
    let header: Vec<String> = rd
        .headers()
        .map_err(|e| Error::usage("projects", format!("{origin}: {e}")))?
        .iter()
        .map(str::to_string)
        .collect();
    const KNOWN: &[&str] = &[
        "id", "name", "host", "sector", "capacity", "cost", "payers", "serves", "replaces",
        "requires", "excludes",
    ];
    for h in &header {
        if !KNOWN.contains(&h.as_str()) {
            return Err(Error::usage(
                "projects",
                format!(
                    "{origin}: line 1: unknown column '{h}' (known: {})",
                    KNOWN.join(", ")
                ),
            ));
        }
    }
    for need in ["id", "host", "sector", "capacity", "cost"] {
        if !header.iter().any(|h| h == need) {
            return Err(Error::usage(
                "projects",
                format!("{origin}: line 1: the header has no '{need}' column"),
            ));
        }
    }
    let col = |name: &str| header.iter().position(|h| h == name);
    let mut out = Vec::new();
    for rec in rd.records() {
        let rec = rec.map_err(|e| Error::usage("projects", format!("{origin}: {e}")))?;
        let lineno = rec.position().map_or(0, |p| p.line());
        let get =
            |name: &str| -> String { col(name).and_then(|c| rec.get(c)).unwrap_or("").to_string() };
        let id = get("id");
        let number = |name: &str| -> Result<f64> {
            let s = get(name);
            s.parse::<f64>().ok().filter(|v| v.is_finite()).ok_or_else(|| {
                Error::usage(
                    "projects",
                    format!("{origin}: line {lineno}, column '{name}' (project '{id}'): '{s}' is not a finite number"),
                )
            })
        };
        let list = |name: &str| -> Vec<String> {
            get(name)
                .split(';')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        };
        let opt = |name: &str| -> Option<String> { Some(get(name)).filter(|s| !s.is_empty()) };
        let payers = match opt("payers") {
            None => None,
            Some(p) => {
                let mut m = BTreeMap::new();
                for part in p.split(';').map(str::trim).filter(|s| !s.is_empty()) {
                    let (k, v) = part.split_once('=').ok_or_else(|| {
                        Error::usage(
                            "projects",
                            format!("{origin}: line {lineno}, column 'payers' (project '{id}'): '{part}' is not PAYER=SHARE"),
                        )
                    })?;
                    let v: f64 = v.trim().parse().ok().filter(|v: &f64| v.is_finite()).ok_or_else(|| {
                        Error::usage(
                            "projects",
                            format!("{origin}: line {lineno}, column 'payers' (project '{id}'): '{v}' is not a finite number"),
                        )
                    })?;
                    m.insert(k.trim().to_string(), v);
                }
                Some(m)
            }
        };
        out.push(Written {
            id: id.clone(),
            name: opt("name"),
            host: get("host"),
            sector: get("sector"),
            capacity: number("capacity")?,
            cost: number("cost")?,
            payers,
            serves: opt("serves"),
            replaces: opt("replaces"),
            requires: list("requires"),
            excludes: list("excludes"),
        });
    }
    if out.is_empty() {
        return Err(Error::usage(
            "projects",
            format!("{origin}: no project rows"),
        ));
    }
    Ok(out)
}

/// Resolves a region expression for a project field.
fn regions(
    reg: &Registry,
    expr: &str,
    date: Date,
    t: &Mrio,
    data: &str,
    at: (&str, &str, &str),
    notes: &mut Vec<String>,
) -> Result<Vec<usize>> {
    let (origin, id, field) = at;
    let r = blocs::resolve(reg, expr, date, &t.labels, data)
        .map_err(|e| bad(origin, id, field, Error::from(e).message))?;
    if let Some(n) = r.absent_note(data)
        && !notes.contains(&n)
    {
        notes.push(n);
    }
    Ok(r.regions)
}

/// Every check on the file, then the projects resolved on the table.
fn resolve(
    src: &TomlText,
    reg: &Registry,
    date: Date,
    t: &Mrio,
    data: &str,
    notes: &mut Vec<String>,
) -> Result<Vec<Resolved>> {
    let written = parse(src)?;
    let origin = src.origin.as_str();
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (k, w) in written.iter().enumerate() {
        if w.id.trim().is_empty() {
            return Err(Error::usage(
                "projects",
                format!("{origin}: project {} has an empty 'id'", k + 1),
            ));
        }
        if index.insert(w.id.as_str(), k).is_some() {
            return Err(bad(origin, &w.id, "id", "the id is used twice"));
        }
    }
    let lookup = |w: &Written, field: &str, id: &str| -> Result<usize> {
        index.get(id).copied().ok_or_else(|| {
            bad(
                origin,
                &w.id,
                field,
                format!("no project has the id '{id}'"),
            )
        })
    };
    let nr = t.labels.regions.len();
    let mut out = Vec::with_capacity(written.len());
    for w in &written {
        let at = |field: &'static str| (origin, w.id.as_str(), field);
        let host = regions(reg, &w.host, date, t, data, at("host"), notes)?;
        let [host] = host.as_slice() else {
            return Err(bad(
                origin,
                &w.id,
                "host",
                format!(
                    "'{}' is {} regions; a project is built in one",
                    w.host,
                    host.len()
                ),
            ));
        };
        let host = *host;
        let sector = t
            .labels
            .sector_index(&w.sector, data)
            .map_err(|e| bad(origin, &w.id, "sector", Error::from(e).message))?;
        if !(w.capacity.is_finite() && w.capacity >= 0.0) {
            return Err(bad(
                origin,
                &w.id,
                "capacity",
                format!(
                    "{} is {}",
                    w.capacity,
                    if w.capacity < 0.0 {
                        "negative"
                    } else {
                        "not a finite number"
                    }
                ),
            ));
        }
        if !(w.cost.is_finite() && w.cost >= 0.0) {
            return Err(bad(
                origin,
                &w.id,
                "cost",
                format!(
                    "{} is {}",
                    w.cost,
                    if w.cost < 0.0 {
                        "negative"
                    } else {
                        "not a finite number"
                    }
                ),
            ));
        }
        let host_code = t.labels.regions[host].code.clone();
        let payers: Vec<(String, f64)> = match &w.payers {
            None => vec![(host_code.clone(), 1.0)],
            Some(m) => {
                if m.is_empty() {
                    return Err(bad(origin, &w.id, "payers", "no payer"));
                }
                if let Some((p, s)) = m.iter().find(|(_, s)| !(s.is_finite() && **s >= 0.0)) {
                    return Err(bad(
                        origin,
                        &w.id,
                        "payers",
                        format!("the share of {p} is {s}"),
                    ));
                }
                let sum: f64 = m.values().sum();
                if (sum - 1.0).abs() > 1e-6 {
                    return Err(bad(
                        origin,
                        &w.id,
                        "payers",
                        format!(
                            "cost shares sum to {}, not 1",
                            format_num(sum, 6).trim_end_matches('0')
                        ),
                    ));
                }
                m.iter().map(|(k, v)| (k.clone(), *v)).collect()
            }
        };
        let serves_expr = w.serves.clone().unwrap_or_else(|| host_code.clone());
        let serves = regions(reg, &serves_expr, date, t, data, at("serves"), notes)?;
        let (replaces_expr, replaces) = match &w.replaces {
            Some(e) => {
                let r = regions(reg, e, date, t, data, at("replaces"), notes)?;
                if r.contains(&host) {
                    return Err(bad(
                        origin,
                        &w.id,
                        "replaces",
                        format!(
                            "'{e}' contains the host {host_code}: a project cannot replace its own host's supply"
                        ),
                    ));
                }
                if let Some(&b) = r.iter().find(|b| serves.contains(b)) {
                    return Err(bad(
                        origin,
                        &w.id,
                        "replaces",
                        format!(
                            "'{e}' contains {}, which the project serves",
                            t.labels.regions[b].code
                        ),
                    ));
                }
                (e.clone(), r)
            }
            None => (
                format!("all but {serves_expr}"),
                (0..nr)
                    .filter(|r| *r != host && !serves.contains(r))
                    .collect(),
            ),
        };
        let requires = w
            .requires
            .iter()
            .map(|r| lookup(w, "requires", r))
            .collect::<Result<Vec<_>>>()?;
        let excludes = w
            .excludes
            .iter()
            .map(|r| lookup(w, "excludes", r))
            .collect::<Result<Vec<_>>>()?;
        let me = index[w.id.as_str()];
        if requires.contains(&me) || excludes.contains(&me) {
            return Err(bad(
                origin,
                &w.id,
                "requires",
                "a project cannot require or exclude itself",
            ));
        }
        if let Some(&r) = requires.iter().find(|r| excludes.contains(r)) {
            return Err(bad(
                origin,
                &w.id,
                "excludes",
                format!("'{}' is both required and excluded", written[r].id),
            ));
        }
        out.push(Resolved {
            project: Project {
                id: w.id.clone(),
                name: w.name.clone().unwrap_or_else(|| w.id.clone()),
                host,
                sector,
                capacity: w.capacity,
                cost: w.cost,
                payers,
                serves,
                replaces,
                requires,
                excludes,
            },
            host: host_code,
            sector: t.labels.sectors[sector].code.clone(),
            serves: serves_expr,
            replaces: replaces_expr,
        });
    }
    // Exclusions hold both ways.
    for k in 0..out.len() {
        for e in out[k].project.excludes.clone() {
            if !out[e].project.excludes.contains(&k) {
                out[e].project.excludes.push(k);
            }
        }
    }
    if let Some(cycle) = requires_cycle(&out) {
        let ids: Vec<&str> = cycle.iter().map(|&k| out[k].project.id.as_str()).collect();
        return Err(bad(
            origin,
            ids[0],
            "requires",
            format!("requirements form a cycle: {}", ids.join(" → ")),
        ));
    }
    Ok(out)
}

/// A cycle of `requires`, if any (as the ids along it, back to the first).
fn requires_cycle(ps: &[Resolved]) -> Option<Vec<usize>> {
    // 0 unvisited, 1 on the stack, 2 done.
    let mut state = vec![0u8; ps.len()];
    let mut stack: Vec<usize> = Vec::new();
    fn visit(
        k: usize,
        ps: &[Resolved],
        state: &mut [u8],
        stack: &mut Vec<usize>,
    ) -> Option<Vec<usize>> {
        state[k] = 1;
        stack.push(k);
        for &r in &ps[k].project.requires {
            if state[r] == 1 {
                let from = stack.iter().position(|&s| s == r).unwrap_or(0);
                let mut c = stack[from..].to_vec();
                c.push(r);
                return Some(c);
            }
            if state[r] == 0
                && let Some(c) = visit(r, ps, state, stack)
            {
                return Some(c);
            }
        }
        stack.pop();
        state[k] = 2;
        None
    }
    for k in 0..ps.len() {
        if state[k] == 0
            && let Some(c) = visit(k, ps, &mut state, &mut stack)
        {
            return Some(c);
        }
    }
    None
}

/// What both kinds share: the dataset, the resolved projects, us and them, the evaluation and the shock.
struct Evaluated {
    loaded: Arc<Loaded>,
    projects: Vec<Resolved>,
    sides: Sides,
    us_label: String,
    them_label: String,
    date: Date,
    notes: Vec<String>,
    eval: model::Evaluation,
    /// Our output loss under the scenario: before, and after each project.
    shock: Option<ShockEffects>,
    seconds: f64,
}

struct ShockEffects {
    name: String,
    before: f64,
    avoided: Vec<f64>,
    seconds: f64,
}

struct Common<'a> {
    projects: &'a TomlText,
    data: &'a str,
    year: Option<i32>,
    us: &'a Option<String>,
    against: &'a Option<String>,
    as_of: &'a Option<String>,
    blocs: Option<&'a Blocs>,
    scenario: Option<&'a TomlText>,
    solver: Solver,
}

fn codes(t: &Mrio, rs: &[usize]) -> String {
    rs.iter()
        .map(|&r| t.labels.regions[r].code.as_str())
        .collect::<Vec<_>>()
        .join("+")
}

fn evaluate_common(ws: &Workspace, q: &Common, progress: &dyn Progress) -> Result<Evaluated> {
    let t0 = Instant::now();
    let loaded = ws.dataset_year(q.data, q.year, progress)?;
    let t = &*loaded.table;
    let reg = ws.registry(q.blocs)?;
    let mut notes = Vec::new();
    let date = depend::dataset_date(q.as_of, t, &mut notes)?;
    let projects = resolve(q.projects, &reg, date, t, q.data, &mut notes)?;
    let side = |expr: &str, field: &str, notes: &mut Vec<String>| -> Result<Vec<usize>> {
        let r = blocs::resolve(&reg, expr, date, &t.labels, q.data)
            .map_err(|e| Error::from(e).at(field))?;
        if let Some(n) = r.absent_note(q.data)
            && !notes.contains(&n)
        {
            notes.push(n);
        }
        Ok(r.regions)
    };
    let us: Vec<usize> = match q.us {
        Some(e) => side(e, "us", &mut notes)?,
        None => projects
            .iter()
            .flat_map(|p| std::iter::once(p.project.host).chain(p.project.serves.iter().copied()))
            .collect::<BTreeSet<usize>>()
            .into_iter()
            .collect(),
    };
    let them: Vec<usize> = match q.against {
        Some(e) => side(e, "against", &mut notes)?,
        None => projects
            .iter()
            .flat_map(|p| p.project.replaces.iter().copied())
            .filter(|r| !us.contains(r))
            .collect::<BTreeSet<usize>>()
            .into_iter()
            .collect(),
    };
    if them.is_empty() {
        return Err(Error::usage(
            "against",
            "no region to measure the dependence on: every replaced region is ours (give --against)",
        ));
    }
    if let Some(&r) = us.iter().find(|r| them.contains(r)) {
        return Err(Error::usage(
            "against",
            format!("us and them overlap in {}", t.labels.regions[r].code),
        ));
    }
    let us_label = q.us.clone().unwrap_or_else(|| codes(t, &us));
    let same_replaces = projects
        .iter()
        .all(|p| p.replaces == projects[0].replaces && !p.replaces.starts_with("all but "));
    let them_label = q.against.clone().unwrap_or_else(|| {
        if same_replaces {
            projects[0].replaces.clone()
        } else if them.len() > 6 {
            format!("{} regions replaced by the projects", them.len())
        } else {
            codes(t, &them)
        }
    });
    let sides = Sides { us, them };
    // The reference scenario is resolved before any solve, so bad input fails fast.
    let scenario = match q.scenario {
        None => None,
        Some(src) => {
            let mut spec = ScenarioSpec::from_toml(&src.toml, &src.origin)
                .map_err(|e| Error::from(e).at("scenario"))?;
            if spec.as_of.is_none() {
                spec.as_of = Some(date.to_string());
            }
            let r = shock_model::scenario::resolve(&spec, &reg, &t.labels, q.data)
                .map_err(|e| Error::from(e).at("scenario"))?;
            Some((spec, r))
        }
    };
    let sys = loaded.system(q.solver)?;
    progress.stage("evaluating projects");
    let n = projects.len() as u64;
    let ps: Vec<Project> = projects.iter().map(|p| p.project.clone()).collect();
    let eval = model::evaluate(t, &sys, &ps, &sides, &|k| progress.step(k as u64, n))?;
    let shock = match scenario {
        None => None,
        Some((spec, resolved)) => {
            let ts = Instant::now();
            progress.stage("running the reference scenario");
            let net = loaded.network()?;
            let ours = |o: &shock_model::Outcome| -> f64 {
                sides.us.iter().map(|&r| o.region_loss[r]).sum()
            };
            let base = shock_model::run(&net, &resolved.legs, spec.model, &spec.params)?;
            let before = ours(&base);
            let mut avoided = Vec::with_capacity(ps.len());
            for (k, p) in ps.iter().enumerate() {
                if progress.cancelled() {
                    return Err(Error::cancelled());
                }
                progress.stage(&format!(
                    "reference scenario with project {} of {}",
                    k + 1,
                    ps.len()
                ));
                if eval.effects[k].substituted == 0.0 {
                    avoided.push(0.0);
                    continue;
                }
                let after_t = model::changed_table(t, &[p])?;
                let after_net = Network::new(Arc::new(after_t))?;
                let o = shock_model::run(&after_net, &resolved.legs, spec.model, &spec.params)?;
                avoided.push(before - ours(&o));
            }
            Some(ShockEffects {
                name: spec.name.clone(),
                before,
                avoided,
                seconds: ts.elapsed().as_secs_f64(),
            })
        }
    };
    Ok(Evaluated {
        loaded,
        projects,
        sides,
        us_label,
        them_label,
        date,
        notes,
        eval,
        shock,
        seconds: t0.elapsed().as_secs_f64(),
    })
}

/// The relative gap as text: `0` when closed, else in scientific notation.
fn gap_text(gap: f64) -> String {
    if gap == 0.0 {
        "0".to_string()
    } else {
        format!("{gap:.2e}")
    }
}

fn per(cost: f64, effect: f64) -> Value {
    if effect > 0.0 {
        num(cost / effect)
    } else {
        Value::Null
    }
}

/// The per-project table (all projects, or those `keep` selects), in the file's order.
fn project_table(
    e: &Evaluated,
    key: &str,
    title: &str,
    keep: &dyn Fn(usize) -> bool,
) -> Result<sovra_report::Table> {
    let units = e.loaded.table.provenance.units.clone();
    let d = "docs/projects.md";
    let mut cols = vec![
        code("id", "id"),
        text("name", "name"),
        code("host", "host"),
        code("sector", "sector"),
        text("serves", "serves").hidden(),
        text("replaces", "replaces").hidden(),
        amount("capacity", "capacity", &units, 0),
        amount("cost", "cost", &units, 0),
        amount("substitutable", "substitutable imports S", &units, 0).doc(d),
        amount("substituted", "substituted q", &units, 0).doc(d),
        flag("capacity_exceeds", "capacity > S"),
        amount("dependence_cut", "dependence cut ΔD", &units, 1).doc(d),
        compose::share("dependence_cut_share", "ΔD / D").doc(d),
        amount("value_added_gained", "value added gained ΔV", &units, 1).doc(d),
    ];
    if e.shock.is_some() {
        cols.push(amount("loss_avoided", "shock loss avoided", &units, 1).doc(d));
    }
    cols.push(compose::ratio("cost_per_dependence_cut", "cost / ΔD", 2).doc(d));
    cols.push(
        compose::ratio("cost_per_value_added", "cost / ΔV", 2)
            .doc(d)
            .hidden(),
    );
    if e.shock.is_some() {
        cols.push(compose::ratio("cost_per_loss_avoided", "cost / loss avoided", 2).doc(d));
    }
    let mut tb = TableBuilder::new(key, title, cols);
    for (k, p) in e.projects.iter().enumerate() {
        if !keep(k) {
            continue;
        }
        let ef = &e.eval.effects[k];
        let pr = &p.project;
        let mut row: Vec<Value> = vec![
            pr.id.as_str().into(),
            pr.name.as_str().into(),
            p.host.as_str().into(),
            p.sector.as_str().into(),
            p.serves.as_str().into(),
            p.replaces.as_str().into(),
            num(pr.capacity),
            num(pr.cost),
            num(ef.substitutable),
            num(ef.substituted),
            Value::Bool(ef.capacity_exceeds),
            num(ef.dependence_cut),
            if e.eval.dependence > 0.0 {
                num(ef.dependence_cut / e.eval.dependence)
            } else {
                Value::Null
            },
            num(ef.value_added_gained),
        ];
        if let Some(s) = &e.shock {
            row.push(num(s.avoided[k]));
        }
        row.push(per(pr.cost, ef.dependence_cut));
        row.push(per(pr.cost, ef.value_added_gained));
        if let Some(s) = &e.shock {
            row.push(per(pr.cost, s.avoided[k]));
        }
        tb.push_row(row)?;
    }
    Ok(tb.finish())
}

fn head(kind: &str, title: String, e: &Evaluated, q: &Common) -> Report {
    let t = &*e.loaded.table;
    let units = t.provenance.units.clone();
    let mut r = compose::report(kind, title, Some(t));
    param(&mut r, "projects", "projects", q.projects.origin.as_str());
    param(&mut r, "us", "us", e.us_label.as_str());
    param(&mut r, "against", "against", e.them_label.as_str());
    param(&mut r, "as_of", "as of", e.date.to_string());
    let members = |label: &str, rs: &[usize]| {
        let list = codes(t, rs);
        if label == list {
            list
        } else {
            format!("{label} = {list}")
        }
    };
    line(&mut r, "us", members(&e.us_label, &e.sides.us));
    line(
        &mut r,
        "against",
        if e.sides.them.len() <= 8 {
            members(&e.them_label, &e.sides.them)
        } else {
            format!("{} ({} regions)", e.them_label, e.sides.them.len())
        },
    );
    let uniform = |f: &dyn Fn(&Resolved) -> &str| {
        e.projects
            .iter()
            .all(|p| f(p) == f(&e.projects[0]))
            .then(|| f(&e.projects[0]).to_string())
    };
    match (
        uniform(&|p| p.serves.as_str()),
        uniform(&|p| p.replaces.as_str()),
    ) {
        (Some(s), Some(o)) => line(
            &mut r,
            "projects",
            format!("every project serves {s} and replaces supply from {o}"),
        ),
        _ => line(
            &mut r,
            "projects",
            "served and replaced regions differ by project: see the serves and replaces columns (csv, json)",
        ),
    }
    line(
        &mut r,
        "dependence",
        format!(
            "D = {} {units} of their value added in our final products; our value added {} {units}",
            format_num(e.eval.dependence, 0),
            format_num(e.eval.value_added, 0)
        ),
    );
    figure(
        &mut r,
        "dependence",
        "their value added in our final products D",
        num(e.eval.dependence),
        Kind::Amount,
        Some(&units),
        0,
    );
    figure(
        &mut r,
        "value_added",
        "our value added",
        num(e.eval.value_added),
        Kind::Amount,
        Some(&units),
        0,
    );
    figure(
        &mut r,
        "projects",
        "projects",
        Value::Int(e.projects.len() as i64),
        Kind::Count,
        None,
        0,
    );
    figure(
        &mut r,
        "columns_solved",
        "columns of L solved",
        Value::Int(e.eval.columns_solved as i64),
        Kind::Count,
        None,
        0,
    );
    figure(
        &mut r,
        "max_residual",
        "largest relative residual of x'",
        num(e.eval.max_residual),
        Kind::Ratio,
        None,
        2,
    );
    if let Some(s) = &e.shock {
        line(
            &mut r,
            "scenario",
            format!(
                "{}: our output loss {} {units} before any project",
                s.name,
                format_num(s.before, 0)
            ),
        );
        figure(
            &mut r,
            "scenario_loss",
            "our output loss under the scenario",
            num(s.before),
            Kind::Amount,
            Some(&units),
            0,
        );
    }
    for (k, rep) in e.eval.solves.iter().enumerate() {
        compose::solve(
            &mut r,
            &format!("solve_{k}"),
            "shared and per-node solves of (I − A)",
            rep,
        );
    }
    r.diagnostics.push(sovra_report::Diagnostic {
        key: "projects".into(),
        label: "Woodbury updates, one per project".into(),
        method: Some("sherman-morrison-woodbury".into()),
        right_hand_sides: Some(e.eval.columns_solved as u64),
        iterations: None,
        max_relative_residual: Some(e.eval.max_residual),
        seconds: Some(e.seconds - e.shock.as_ref().map_or(0.0, |s| s.seconds)),
        detail: None,
    });
    if let Some(s) = &e.shock {
        r.diagnostics.push(sovra_report::Diagnostic {
            key: "scenario".into(),
            label: format!(
                "reference scenario {} on the table with each project",
                s.name
            ),
            method: None,
            right_hand_sides: None,
            iterations: None,
            max_relative_residual: None,
            seconds: Some(s.seconds),
            detail: None,
        });
    }
    r.notes.extend(e.notes.iter().cloned());
    if t.labels.fd_destinations().is_none() {
        r.notes.push(format!(
            "{} does not split final demand by destination: projects replace intermediate purchases only",
            q.data
        ));
    }
    r
}

/// Runs `projects evaluate`.
pub fn evaluate(
    ws: &Workspace,
    q: &ProjectsEvaluateRequest,
    progress: &dyn Progress,
) -> Result<Report> {
    let c = Common {
        projects: &q.projects,
        data: &q.data,
        year: q.year,
        us: &q.us,
        against: &q.against,
        as_of: &q.as_of,
        blocs: q.blocs.as_ref(),
        scenario: q.scenario.as_ref(),
        solver: q.solver,
    };
    let e = evaluate_common(ws, &c, progress)?;
    let mut r = head(
        "projects_evaluate",
        format!("Import-substitution projects, each on its own — {}", q.data),
        &e,
        &c,
    );
    let exceed = e.eval.effects.iter().filter(|f| f.capacity_exceeds).count();
    if exceed > 0 {
        r.notes.push(format!(
            "{exceed} project(s) have more capacity than there are imports to substitute (capacity > S): only S counts"
        ));
    }
    r.tables.push(project_table(
        &e,
        "projects",
        "Projects and their effects",
        &|_| true,
    )?);
    r.notes.push(
        "ΔD: their value added no longer embodied in our final products; ΔV: our value added gained; \
         both through the whole supply chain (Woodbury updates of the Leontief inverse). Definitions: docs/projects.md"
            .into(),
    );
    Ok(r)
}

fn parse_frontier(s: &str) -> Result<Vec<f64>> {
    let err = || {
        Error::usage(
            "frontier",
            format!(
                "'{s}' is not start:stop:step with 0 ≤ start ≤ stop and step > 0 (e.g. 0:3000:100)"
            ),
        )
    };
    let parts: Vec<f64> = s
        .split(':')
        .map(|p| p.trim().parse::<f64>().ok().filter(|v| v.is_finite()))
        .collect::<Option<Vec<f64>>>()
        .ok_or_else(err)?;
    let [a, b, st] = parts.as_slice() else {
        return Err(err());
    };
    if *a < 0.0 || b < a || *st <= 0.0 {
        return Err(err());
    }
    let steps = ((b - a) / st + 1e-9).floor() as usize;
    if steps > 1000 {
        return Err(Error::usage(
            "frontier",
            format!("'{s}' asks for {} budgets; at most 1,001", steps + 1),
        ));
    }
    Ok((0..=steps).map(|k| a + *st * k as f64).collect())
}

fn select_error(e: SelectError) -> Error {
    match e {
        SelectError::Infeasible(_) => Error::usage("budget", e.to_string()),
        SelectError::Solver(_) => Error::new(ErrorKind::Compute, e.to_string()),
        SelectError::Unavailable(_) => Error::usage("milp_solver", e.to_string()),
    }
}

/// Runs `projects select`.
pub fn select(
    ws: &Workspace,
    q: &ProjectsSelectRequest,
    progress: &dyn Progress,
) -> Result<Report> {
    // Options checked before any work.
    if let Some(b) = q.budget
        && !(b.is_finite() && b >= 0.0)
    {
        return Err(Error::usage(
            "budget",
            format!("{b} is not a budget (finite, ≥ 0)"),
        ));
    }
    if let Some((p, b)) = q
        .budget_by
        .iter()
        .find(|(_, b)| !(b.is_finite() && **b >= 0.0))
    {
        return Err(Error::usage(
            "budget_by",
            format!("the budget of {p} is {b}"),
        ));
    }
    if q.objective == Objective::Shock && q.scenario.is_none() {
        return Err(Error::usage(
            "objective",
            "the shock objective needs a reference scenario (--scenario FILE)",
        ));
    }
    for (k, w) in &q.weights {
        if !["dependence", "value-added", "shock"].contains(&k.as_str()) {
            return Err(Error::usage(
                "weights",
                format!("unknown weight '{k}' (dependence, value-added, shock)"),
            ));
        }
        if !w.is_finite() {
            return Err(Error::usage("weights", format!("the weight of {k} is {w}")));
        }
    }
    if !q.weights.is_empty() && q.objective != Objective::Weighted {
        return Err(Error::usage(
            "weights",
            "weights apply to --objective weighted only",
        ));
    }
    if !q.milp_solver.backend().available() {
        return Err(select_error(SelectError::Unavailable(
            q.milp_solver.backend(),
        )));
    }
    if let Some(s) = q.time_limit
        && !(s.is_finite() && s > 0.0)
    {
        return Err(Error::usage(
            "time_limit",
            format!("{s} is not a number of seconds"),
        ));
    }
    let frontier = q.frontier.as_deref().map(parse_frontier).transpose()?;
    let c = Common {
        projects: &q.projects,
        data: &q.data,
        year: q.year,
        us: &q.us,
        against: &q.against,
        as_of: &q.as_of,
        blocs: q.blocs.as_ref(),
        scenario: q.scenario.as_ref(),
        solver: q.solver,
    };
    let e = evaluate_common(ws, &c, progress)?;
    let t = &*e.loaded.table;
    let ids: HashMap<&str, usize> = e
        .projects
        .iter()
        .enumerate()
        .map(|(k, p)| (p.project.id.as_str(), k))
        .collect();
    let pick = |list: &[String], field: &str| -> Result<Vec<usize>> {
        list.iter()
            .map(|id| {
                ids.get(id.as_str()).copied().ok_or_else(|| {
                    let mut err = Error::usage(field, format!("no project has the id '{id}'"));
                    err.choices = e.projects.iter().map(|p| p.project.id.clone()).collect();
                    err
                })
            })
            .collect()
    };
    let must = pick(&q.must, "must")?;
    let never = pick(&q.never, "never")?;
    let payers: BTreeSet<&str> = e
        .projects
        .iter()
        .flat_map(|p| p.project.payers.iter().map(|(n, _)| n.as_str()))
        .collect();
    for p in q.budget_by.keys() {
        if !payers.contains(p.as_str()) {
            let mut err = Error::usage("budget_by", format!("no project has the payer '{p}'"));
            err.choices = payers.iter().map(|s| s.to_string()).collect();
            return Err(err);
        }
    }
    let w = |k: &str| q.weights.get(k).copied().unwrap_or(1.0);
    let value = |k: usize| -> f64 {
        let ef = &e.eval.effects[k];
        let s = e.shock.as_ref().map_or(0.0, |s| s.avoided[k]);
        match q.objective {
            Objective::Dependence => ef.dependence_cut,
            Objective::ValueAdded => ef.value_added_gained,
            Objective::Shock => s,
            Objective::Weighted => {
                w("dependence") * ef.dependence_cut
                    + w("value-added") * ef.value_added_gained
                    + if e.shock.is_some() {
                        w("shock") * s
                    } else {
                        0.0
                    }
            }
        }
    };
    let candidates: Vec<Candidate> = e
        .projects
        .iter()
        .enumerate()
        .map(|(k, p)| Candidate {
            id: p.project.id.clone(),
            value: value(k),
            cost: p.project.cost,
            payers: p.project.payers.clone(),
            requires: p.project.requires.clone(),
            excludes: p.project.excludes.clone(),
        })
        .collect();
    let ps: Vec<Project> = e.projects.iter().map(|p| p.project.clone()).collect();
    let limits = Limits {
        budget: q.budget,
        budget_by: q.budget_by.iter().map(|(k, v)| (k.clone(), *v)).collect(),
        must,
        never,
        pools: model::pools(t, &ps),
        time_limit: Some(q.time_limit.unwrap_or(60.0)),
        backend: q.milp_solver.backend(),
    };
    progress.stage("selecting the portfolio (MILP)");
    let sel = select::select(&candidates, &limits).map_err(select_error)?;
    progress.stage("re-evaluating the portfolio jointly");
    let sys = e.loaded.system(q.solver)?;
    let chosen: Vec<&Project> = sel.chosen.iter().map(|&k| &ps[k]).collect();
    let joint = if chosen.is_empty() {
        None
    } else {
        Some(model::joint(t, &sys, &chosen, &e.sides)?)
    };
    let mut fr: Vec<(f64, select::Selection)> = Vec::new();
    if let Some(budgets) = &frontier {
        for (i, b) in budgets.iter().enumerate() {
            if progress.cancelled() {
                return Err(Error::cancelled());
            }
            progress.stage(&format!(
                "efficient frontier: budget {} of {}",
                i + 1,
                budgets.len()
            ));
            let l = Limits {
                budget: Some(*b),
                ..limits.clone()
            };
            match select::select(&candidates, &l) {
                Ok(s) => fr.push((*b, s)),
                Err(SelectError::Infeasible(_)) => continue,
                Err(e) => return Err(select_error(e)),
            }
        }
    }

    let units = t.provenance.units.clone();
    let mut r = head(
        "projects_select",
        format!(
            "Import-substitution portfolio ({}) — {}",
            q.objective.name(),
            q.data
        ),
        &e,
        &c,
    );
    param(&mut r, "objective", "objective", q.objective.name());
    if let Some(b) = q.budget {
        param(&mut r, "budget", "budget", num(b));
    }
    for (p, b) in &q.budget_by {
        param(
            &mut r,
            &format!("budget_{}", p.to_ascii_lowercase()),
            &format!("budget of {p}"),
            num(*b),
        );
    }
    let sum = |f: &dyn Fn(usize) -> f64| -> f64 { sel.chosen.iter().map(|&k| f(k)).sum() };
    let cost = sum(&|k| ps[k].cost);
    let ind_d = sum(&|k| e.eval.effects[k].dependence_cut);
    let ind_v = sum(&|k| e.eval.effects[k].value_added_gained);
    line(
        &mut r,
        "portfolio",
        format!(
            "{} of {} projects, cost {} {units}{}",
            sel.chosen.len(),
            ps.len(),
            format_num(cost, 0),
            q.budget.map_or(String::new(), |b| format!(
                " of a budget of {}",
                format_num(b, 0)
            ))
        ),
    );
    for (p, b) in &q.budget_by {
        let spent: f64 = sel
            .chosen
            .iter()
            .map(|&k| {
                ps[k].cost
                    * ps[k]
                        .payers
                        .iter()
                        .find(|(n, _)| n == p)
                        .map_or(0.0, |(_, s)| *s)
            })
            .sum();
        line(
            &mut r,
            &format!("{p} pays"),
            format!("{} of {}", format_num(spent, 0), format_num(*b, 0)),
        );
        figure(
            &mut r,
            &format!("spent_{}", p.to_ascii_lowercase()),
            &format!("{p} pays"),
            num(spent),
            Kind::Amount,
            Some(&units),
            0,
        );
    }
    let (jd, jv) = joint
        .as_ref()
        .map_or((0.0, 0.0), |j| (j.dependence_cut, j.value_added_gained));
    line(
        &mut r,
        "dependence cut",
        format!(
            "{} {units} summed over the projects, {} jointly ({:+.2} %); {} of D",
            format_num(ind_d, 1),
            format_num(jd, 1),
            if ind_d != 0.0 {
                (jd - ind_d) / ind_d.abs() * 100.0
            } else {
                0.0
            },
            if e.eval.dependence > 0.0 {
                format!("{:.2} %", jd / e.eval.dependence * 100.0)
            } else {
                "—".into()
            }
        ),
    );
    line(
        &mut r,
        "value added gained",
        format!(
            "{} {units} summed, {} jointly",
            format_num(ind_v, 1),
            format_num(jv, 1)
        ),
    );
    line(
        &mut r,
        "solver",
        format!(
            "{}, {} variables, {} constraints ({:.2} s); objective {}, LP-relaxation bound {}, gap {}",
            sel.status,
            sel.size.0,
            sel.size.1,
            sel.seconds,
            format_num(sel.objective, 1),
            format_num(sel.bound, 1),
            gap_text(sel.gap)
        ),
    );
    figure(
        &mut r,
        "chosen",
        "projects chosen",
        Value::Int(sel.chosen.len() as i64),
        Kind::Count,
        None,
        0,
    );
    figure(
        &mut r,
        "cost",
        "cost of the portfolio",
        num(cost),
        Kind::Amount,
        Some(&units),
        0,
    );
    figure(
        &mut r,
        "objective",
        "objective (sum of individual effects)",
        num(sel.objective),
        Kind::Amount,
        Some(&units),
        1,
    );
    figure(
        &mut r,
        "bound",
        "upper bound (linear relaxation)",
        num(sel.bound),
        Kind::Amount,
        Some(&units),
        1,
    );
    figure(
        &mut r,
        "gap",
        "optimality gap",
        num(sel.gap),
        Kind::Ratio,
        None,
        4,
    );
    figure(
        &mut r,
        "proven_optimal",
        "proven optimal",
        Value::Bool(sel.proven_optimal),
        Kind::Flag,
        None,
        0,
    );
    figure(
        &mut r,
        "solver_seconds",
        "solver time",
        num(sel.seconds),
        Kind::Ratio,
        Some("s"),
        2,
    );
    figure(
        &mut r,
        "dependence_cut_sum",
        "dependence cut, sum of individual",
        num(ind_d),
        Kind::Amount,
        Some(&units),
        1,
    );
    figure(
        &mut r,
        "dependence_cut_joint",
        "dependence cut, joint",
        num(jd),
        Kind::Amount,
        Some(&units),
        1,
    );
    figure(
        &mut r,
        "dependence_cut_difference",
        "joint − sum",
        num(jd - ind_d),
        Kind::Amount,
        Some(&units),
        1,
    );
    figure(
        &mut r,
        "value_added_gained_sum",
        "value added gained, sum of individual",
        num(ind_v),
        Kind::Amount,
        Some(&units),
        1,
    );
    figure(
        &mut r,
        "value_added_gained_joint",
        "value added gained, joint",
        num(jv),
        Kind::Amount,
        Some(&units),
        1,
    );
    figure(
        &mut r,
        "value_added_gained_difference",
        "joint − sum",
        num(jv - ind_v),
        Kind::Amount,
        Some(&units),
        1,
    );
    if let Some(j) = &joint {
        for (k, rep) in j.solves.iter().enumerate() {
            compose::solve(
                &mut r,
                &format!("joint_{k}"),
                "joint re-evaluation (fresh solve of the changed table)",
                rep,
            );
        }
        if j.overlaps > 0 {
            r.notes.push(format!(
                "{} flow(s) are replaced by more than one chosen project beyond what there is; each took its share",
                j.overlaps
            ));
        }
    }
    r.diagnostics.push(sovra_report::Diagnostic {
        key: "milp".into(),
        label: format!(
            "portfolio selection (good_lp, {} backend)",
            limits.backend.name()
        ),
        method: Some(sel.status.clone()),
        right_hand_sides: None,
        iterations: None,
        max_relative_residual: None,
        seconds: Some(sel.seconds),
        detail: Some(format!(
            "{} variables, {} constraints ({} pools of competing projects), gap {}",
            sel.size.0,
            sel.size.1,
            limits.pools.len(),
            gap_text(sel.gap)
        )),
    });
    let chosen_set: BTreeSet<usize> = sel.chosen.iter().copied().collect();
    r.tables.push(project_table(
        &e,
        "portfolio",
        "The chosen projects (individual effects)",
        &|k| chosen_set.contains(&k),
    )?);
    if !fr.is_empty() {
        let mut tb = TableBuilder::new(
            "frontier",
            "Efficient frontier: the optimal objective against the budget",
            vec![
                amount("budget", "budget", &units, 0),
                amount("objective", "optimal objective", &units, 1),
                amount("cost", "cost", &units, 0),
                count("projects", "projects"),
                flag("proven_optimal", "proven optimal"),
                compose::ratio("gap", "gap", 4),
                text("chosen", "chosen"),
            ],
        );
        for (b, s) in &fr {
            let cost: f64 = s.chosen.iter().map(|&k| ps[k].cost).sum();
            tb.push_row(vec![
                num(*b),
                num(s.objective),
                num(cost),
                Value::Int(s.chosen.len() as i64),
                Value::Bool(s.proven_optimal),
                num(s.gap),
                s.chosen
                    .iter()
                    .map(|&k| ps[k].id.as_str())
                    .collect::<Vec<_>>()
                    .join(" ")
                    .into(),
            ])?;
        }
        r.tables.push(tb.finish());
    }
    r.tables.push(project_table(
        &e,
        "candidates",
        "Every candidate (individual effects)",
        &|_| true,
    )?);
    r.notes.push(
        "The MILP adds individual effects; the joint figure rebuilds the table with every chosen project at once \
         and solves it afresh — the difference is the interaction of the projects through the supply chain. \
         Definitions and constraints: docs/projects.md"
            .into(),
    );
    Ok(r)
}
