//! `sovra monitor` and `sovra decompose`: the flags become the engine's `MonitorRequest` (the indicators of
//! every year of a series, trends, a programme's targets) and `DecomposeRequest` (why their value added in
//! our final demand changed); the report is rendered, and `--fail-on` turns off-track targets into exit 1.

use std::path::PathBuf;

use anyhow::Result;
use sovra_engine::{self as engine, Request};
use sovra_report::{Report, Value};

use crate::OutputArgs;
use crate::commands::{SolverChoice, solver_of, workspace};
use crate::render::emit_report;

/// Rows beyond all of us × all products.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByArg {
    /// Each region of us.
    Region,
    /// Each sector (product).
    Sector,
}

/// When `--programme` targets make the exit code non-zero.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOn {
    /// Any target behind or worsening.
    Behind,
    /// Any target worsening.
    Worsening,
}

/// Everything `sovra monitor` takes.
#[derive(clap::Args, Debug, Clone)]
pub struct MonitorArgs {
    /// "Us": a country (ISO3), a bloc, or an expression such as EU27-DEU or RUS+BLR.
    pub us: String,
    /// "Them": a country, bloc or expression.
    #[arg(long, value_name = "THEM")]
    pub on: String,
    /// Years FROM:TO (1995:2011; either end may be left out) or one year; default every year of the dataset.
    #[arg(long, value_name = "FROM:TO")]
    pub years: Option<String>,
    /// Rows per region of us and/or per sector too (comma-separated: region,sector).
    #[arg(long, value_enum, value_delimiter = ',')]
    pub by: Vec<ByArg>,
    /// Only this sector (implies per-sector rows for it).
    #[arg(long)]
    pub sector: Option<String>,
    /// Only these indicators, comma-separated (keys of docs/monitoring.md, e.g.
    /// import_penetration,self_sufficiency,fva_final_demand_share).
    #[arg(long, value_delimiter = ',')]
    pub kpis: Option<Vec<String>>,
    /// Years of the recent trend: the slope, and the projection a target's status is judged by.
    #[arg(long, default_value_t = 5)]
    pub window: usize,
    /// Each region of us on its own (its own us), instead of all of us together.
    #[arg(long)]
    pub each: bool,
    /// A programme of targets (TOML: [[target]] id, kpi, region, sector, direction, value, year,
    /// baseline_year); each gets its latest value, the path, a status and the gap. See docs/monitoring.md.
    #[arg(long, value_name = "FILE")]
    pub programme: Option<PathBuf>,
    /// Exit with code 1 when a target is behind or worsening (behind) or worsening (worsening), after
    /// writing the report: for scheduled runs.
    #[arg(long, value_enum, requires = "programme")]
    pub fail_on: Option<FailOn>,
    /// The table CSV writes (CSV holds one): kpis (default; targets with --programme), trends (of the
    /// shares), trend_amounts, targets.
    #[arg(long, value_name = "KEY", value_parser = ["kpis", "trends", "trend_amounts", "targets"])]
    pub table: Option<String>,
    /// Dataset (see `sovra data list`): a series such as wiod2013.
    #[arg(long, default_value = "icio2022")]
    pub data: String,
    /// Bloc membership on this date, YYYY-MM-DD (default: 31 December of the last year); the same members
    /// every year, so that the series compares like with like.
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
    /// Extra blocs from a TOML file ([bloc.NAME] members = ["AAA", …]); $SOVRA_HOME/blocs.toml is read too.
    #[arg(long, value_name = "FILE")]
    pub blocs: Option<PathBuf>,
    /// Linear solver: auto (by estimated cost), lu, or iterative (GMRES).
    #[arg(long, value_enum, default_value_t = SolverChoice::Auto)]
    pub solver: SolverChoice,
    #[command(flatten)]
    pub out: OutputArgs,
}

/// Everything `sovra decompose` takes.
#[derive(clap::Args, Debug, Clone)]
pub struct DecomposeArgs {
    /// "Us": a country (ISO3), a bloc, or an expression.
    pub us: String,
    /// "Them": a country, bloc or expression.
    #[arg(long, value_name = "THEM")]
    pub on: String,
    /// The first year.
    #[arg(long)]
    pub from: i32,
    /// The second year.
    #[arg(long)]
    pub to: i32,
    /// Effects per sector (product of our final demand) too.
    #[arg(long, value_enum)]
    pub by: Option<SectorOnly>,
    /// Decompose each consecutive pair of years and add the effects up.
    #[arg(long)]
    pub chain: bool,
    /// Each region of us on its own too (table each; the solves are shared).
    #[arg(long)]
    pub each: bool,
    /// The table CSV writes (CSV holds one): effects (default), by_sector, chain, each.
    #[arg(long, value_name = "KEY", value_parser = ["effects", "by_sector", "chain", "each"])]
    pub table: Option<String>,
    /// Dataset (see `sovra data list`): a series such as wiod2013.
    #[arg(long, default_value = "icio2022")]
    pub data: String,
    /// Bloc membership on this date, YYYY-MM-DD (default: 31 December of --to); the same members both years.
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
    /// Extra blocs from a TOML file.
    #[arg(long, value_name = "FILE")]
    pub blocs: Option<PathBuf>,
    /// Linear solver: auto (by estimated cost), lu, or iterative (GMRES).
    #[arg(long, value_enum, default_value_t = SolverChoice::Auto)]
    pub solver: SolverChoice,
    #[command(flatten)]
    pub out: OutputArgs,
}

/// `--by sector` of `decompose`.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum SectorOnly {
    /// Per sector (product of our final demand).
    Sector,
}

fn blocs(path: &Option<PathBuf>) -> Result<Option<engine::Blocs>> {
    Ok(path.as_deref().map(engine::Blocs::from_file).transpose()?)
}

fn render(report: &Report, out: &OutputArgs, table: Option<&str>) -> Result<()> {
    emit_report(report, out.format, table, out.out.as_deref())
}

fn check_table(table: &Option<String>, out: &OutputArgs) -> Result<()> {
    crate::render::check_table(table.as_deref(), out.format, out.out.as_deref())
}

fn count(report: &Report, key: &str) -> i64 {
    report
        .summary
        .iter()
        .find(|f| f.key == key)
        .and_then(|f| match f.value {
            Value::Int(n) => Some(n),
            _ => None,
        })
        .unwrap_or(0)
}

/// Runs `sovra monitor`.
pub fn monitor_cmd(a: &MonitorArgs) -> Result<()> {
    check_table(&a.table, &a.out)?;
    let programme = match &a.programme {
        None => None,
        Some(p) => Some(engine::TomlText::new(
            sovra_core::read::read_text(p)?,
            p.display().to_string(),
        )),
    };
    let req = engine::MonitorRequest {
        us: a.us.clone(),
        them: a.on.clone(),
        data: a.data.clone(),
        years: a.years.clone(),
        as_of: a.as_of.clone(),
        blocs: blocs(&a.blocs)?,
        by: a
            .by
            .iter()
            .map(|b| match b {
                ByArg::Region => engine::MonitorBy::Region,
                ByArg::Sector => engine::MonitorBy::Sector,
            })
            .collect(),
        sector: a.sector.clone(),
        kpis: a.kpis.clone(),
        window: a.window,
        each: a.each,
        programme,
        solver: solver_of(a.solver),
    };
    let report = {
        let progress = crate::progress::Spinner::new();
        engine::run(&workspace(), &Request::Monitor(Box::new(req)), &progress)?
    };
    render(&report, &a.out, a.table.as_deref())?;
    fail_on(&report, a.fail_on)
}

/// `--fail-on`: an error (exit code 1) when the report's targets are off track as `f` says.
pub fn fail_on(report: &Report, f: Option<FailOn>) -> Result<()> {
    let Some(f) = f else { return Ok(()) };
    let worsening = count(report, "targets_worsening");
    let behind = count(report, "targets_behind");
    let off = match f {
        FailOn::Behind => worsening + behind,
        FailOn::Worsening => worsening,
    };
    if off > 0 {
        anyhow::bail!(
            "{off} target{} off track ({worsening} worsening, {behind} behind; --fail-on {})",
            if off == 1 { "" } else { "s" },
            match f {
                FailOn::Behind => "behind",
                FailOn::Worsening => "worsening",
            }
        );
    }
    Ok(())
}

/// Runs `sovra decompose`.
pub fn decompose_cmd(a: &DecomposeArgs) -> Result<()> {
    check_table(&a.table, &a.out)?;
    let req = engine::DecomposeRequest {
        us: a.us.clone(),
        them: a.on.clone(),
        data: a.data.clone(),
        from: a.from,
        to: a.to,
        as_of: a.as_of.clone(),
        blocs: blocs(&a.blocs)?,
        by_sector: a.by.is_some(),
        chain: a.chain,
        each: a.each,
        solver: solver_of(a.solver),
    };
    let report = {
        let progress = crate::progress::Spinner::new();
        engine::run(&workspace(), &Request::Decompose(req), &progress)?
    };
    render(&report, &a.out, a.table.as_deref())
}
