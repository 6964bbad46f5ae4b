//! `sovra projects evaluate|select`: the flags as the engine's projects requests (the project file and the
//! reference scenario read here and passed as text), the report rendered.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use clap::{Args, Subcommand};
use sovra_engine::{self as engine, Request, TomlText};

use crate::OutputArgs;
use crate::commands::{SolverChoice, answer_request};

/// `sovra projects`.
#[derive(Subcommand, Debug)]
pub enum ProjectsCommand {
    /// Every project's effects on its own, through the whole supply chain: the imports it substitutes, the
    /// dependence it cuts (their value added no longer embodied in our final products, ΔD), the value added
    /// it brings us (ΔV), the shock loss it avoids under a reference scenario, and each per unit of cost.
    ///
    /// A project file lists [[project]] tables (id, name, host, sector, capacity, cost, payers, serves,
    /// replaces, requires, excludes) or CSV rows with those columns; see docs/projects.md and
    /// examples/union-state-projects.toml. A thousand projects cost a few solves, not a thousand.
    ///
    /// Examples: sovra projects evaluate examples/union-state-projects.toml
    ///           sovra projects evaluate candidates.csv --us RUS+BLR --against EU27+G7 --format csv
    ///           sovra projects evaluate examples/union-state-projects.toml --scenario embargo.toml
    #[command(verbatim_doc_comment)]
    Evaluate(Box<EvaluateArgs>),
    /// The portfolio that maximises the dependence cut (or value added, shock loss avoided, a weighted sum)
    /// under a total budget and per-payer budgets, with the file's requires/excludes and --must/--never —
    /// a MILP (good_lp, pure-Rust microlp backend). The chosen projects are then re-evaluated jointly, all at
    /// once: both the sum of individual effects and the joint effect are shown. --frontier gives the optimal
    /// objective against the budget.
    ///
    /// Examples: sovra projects select examples/union-state-projects.toml --budget 1500
    ///           sovra projects select examples/union-state-projects.toml --budget 1500 \
    ///               --budget-by RUS=1000,BLR=500 --objective value-added
    ///           sovra projects select examples/union-state-projects.toml --frontier 0:3000:250
    #[command(verbatim_doc_comment)]
    Select(Box<SelectArgs>),
}

/// Flags shared by both.
#[derive(Args, Debug)]
pub struct CommonArgs {
    /// The project file: TOML ([[project]] tables) or CSV (.csv, a header naming the fields).
    pub file: PathBuf,
    /// Us: a country, bloc or expression (default: every host and served region).
    #[arg(long)]
    pub us: Option<String>,
    /// Them: a country, bloc or expression (default: every replaced region that is not ours).
    #[arg(long, value_name = "THEM")]
    pub against: Option<String>,
    /// Dataset.
    #[arg(long, default_value = "icio2022")]
    pub data: String,
    /// Year of a dataset that holds several (a series such as WIOD 1995–2011); the latest when omitted.
    #[arg(long)]
    pub year: Option<i32>,
    /// Bloc membership on this date, YYYY-MM-DD (default: 31 December of the dataset's year).
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
    /// Extra blocs from a TOML file.
    #[arg(long, value_name = "FILE")]
    pub blocs: Option<PathBuf>,
    /// A reference shock scenario (the `sovra shock --scenario` format): adds the loss each project avoids
    /// (one shock run per project).
    #[arg(long, value_name = "FILE")]
    pub scenario: Option<PathBuf>,
    /// Linear solver: auto, lu, or iterative.
    #[arg(long, value_enum, default_value_t = SolverChoice::Auto)]
    pub solver: SolverChoice,
}

/// `sovra projects evaluate`.
#[derive(Args, Debug)]
pub struct EvaluateArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    #[command(flatten)]
    pub out: OutputArgs,
}

/// The MILP solver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum MilpArg {
    /// good_lp's pure-Rust microlp (always built).
    Microlp,
    /// HiGHS (a build with the cargo feature `highs`).
    Highs,
}

/// What to maximise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ObjectiveArg {
    /// The dependence cut ΔD.
    Dependence,
    /// Our value added gained ΔV.
    ValueAdded,
    /// The shock loss avoided (needs --scenario).
    Shock,
    /// A weighted sum (--weights).
    Weighted,
}

/// `sovra projects select`.
#[derive(Args, Debug)]
pub struct SelectArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Total budget, in the table's unit (default: unlimited).
    #[arg(long, value_parser = crate::finite)]
    pub budget: Option<f64>,
    /// Budgets per payer, e.g. RUS=1000,BLR=500: each payer's share of each chosen cost.
    #[arg(long, value_name = "PAYER=AMOUNT,…")]
    pub budget_by: Option<String>,
    /// What to maximise.
    #[arg(long, value_enum, default_value_t = ObjectiveArg::Dependence)]
    pub objective: ObjectiveArg,
    /// Weights of --objective weighted, e.g. dependence=1,value-added=0.5,shock=0 (default 1 each).
    #[arg(long, value_name = "NAME=W,…")]
    pub weights: Option<String>,
    /// Ids that must be chosen (comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub must: Vec<String>,
    /// Ids that must not be chosen (comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub never: Vec<String>,
    /// The efficient frontier: the optimal objective at each budget start:stop:step, e.g. 0:3000:100.
    #[arg(long, value_name = "START:STOP:STEP")]
    pub frontier: Option<String>,
    /// Seconds the MILP solver may search per selection before it returns its best portfolio (default 60;
    /// the report says whether the portfolio is proven optimal and the gap to the LP bound).
    #[arg(long, value_parser = crate::finite)]
    pub time_limit: Option<f64>,
    /// The MILP solver (highs: only in a build with the cargo feature `highs`).
    #[arg(long, value_enum, default_value_t = MilpArg::Microlp)]
    pub milp: MilpArg,
    #[command(flatten)]
    pub out: OutputArgs,
}

fn text(path: &Path) -> Result<TomlText> {
    let text = sovra_core::read::read_text(path)?;
    Ok(TomlText::new(text, path.display().to_string()))
}

fn pairs(flag: &str, s: &str) -> Result<BTreeMap<String, f64>> {
    let mut out = BTreeMap::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((k, v)) = part.split_once('=') else {
            bail!("--{flag}: '{part}' is not NAME=NUMBER");
        };
        let v = crate::finite(v).map_err(|e| anyhow::anyhow!("--{flag}: {k}: {e}"))?;
        out.insert(k.trim().to_string(), v);
    }
    Ok(out)
}

fn blocs(c: &CommonArgs) -> Result<Option<engine::Blocs>> {
    Ok(c.blocs
        .as_deref()
        .map(engine::Blocs::from_file)
        .transpose()?)
}

/// Runs `sovra projects …`.
pub fn projects_cmd(cmd: &ProjectsCommand) -> Result<()> {
    match cmd {
        ProjectsCommand::Evaluate(a) => {
            let c = &a.common;
            let req = Request::ProjectsEvaluate(Box::new(engine::ProjectsEvaluateRequest {
                projects: text(&c.file)?,
                data: c.data.clone(),
                year: c.year,
                us: c.us.clone(),
                against: c.against.clone(),
                as_of: c.as_of.clone(),
                blocs: blocs(c)?,
                scenario: c.scenario.as_deref().map(text).transpose()?,
                solver: crate::commands::solver_of(c.solver),
            }));
            answer_request(req, &a.out)
        }
        ProjectsCommand::Select(a) => {
            let c = &a.common;
            let req = Request::ProjectsSelect(Box::new(engine::ProjectsSelectRequest {
                projects: text(&c.file)?,
                data: c.data.clone(),
                year: c.year,
                us: c.us.clone(),
                against: c.against.clone(),
                as_of: c.as_of.clone(),
                blocs: blocs(c)?,
                scenario: c.scenario.as_deref().map(text).transpose()?,
                solver: crate::commands::solver_of(c.solver),
                budget: a.budget,
                budget_by: a
                    .budget_by
                    .as_deref()
                    .map(|s| pairs("budget-by", s))
                    .transpose()?
                    .unwrap_or_default(),
                objective: match a.objective {
                    ObjectiveArg::Dependence => engine::Objective::Dependence,
                    ObjectiveArg::ValueAdded => engine::Objective::ValueAdded,
                    ObjectiveArg::Shock => engine::Objective::Shock,
                    ObjectiveArg::Weighted => engine::Objective::Weighted,
                },
                weights: a
                    .weights
                    .as_deref()
                    .map(|s| pairs("weights", s))
                    .transpose()?
                    .unwrap_or_default(),
                must: a.must.clone(),
                never: a.never.clone(),
                frontier: a.frontier.clone(),
                time_limit: a.time_limit,
                milp_solver: match a.milp {
                    MilpArg::Microlp => engine::MilpSolver::Microlp,
                    MilpArg::Highs => engine::MilpSolver::Highs,
                },
            }));
            answer_request(req, &a.out)
        }
    }
}
