//! `sovra trade depend|suppliers|import|synth` and `sovra opportunities`: the flags become the engine's
//! requests (`sovra_engine::trade`), the reports are rendered. `--input PATH` names a trade store directory
//! (the request's `store`) or a BACI / long CSV file (its `input`); without it the engine reads the trade
//! store in $SOVRA_HOME/trade. `trade import` and `trade synth` write files, so they call the engine's
//! functions directly instead of going through a request.

use std::path::PathBuf;

use anyhow::Result;
use sovra_engine::{self as engine, Request};

use crate::OutputArgs;
use crate::commands::{answer_report, answer_with, table_top, workspace};
use crate::progress::Spinner;
use crate::render::{Blanks, emit, render_with};

/// Missing values in the trade tables are blank, as they always were; the import/export ratio of a product
/// the importer does not export shows as 9,999.00 (the screen's convention; machines get null and
/// `no_exports`).
const BLANKS: Blanks<'static> = Blanks {
    default: "",
    columns: &[("imports_exports", "9,999.00")],
};

/// Input options shared by the trade commands.
#[derive(clap::Args, Debug, Clone)]
pub struct TradeInput {
    /// Bilateral trade: a trade store directory (`sovra trade import`), or a BACI (`t,i,j,k,v,q`) or long
    /// (`year,exporter,importer,product,value`) file, .csv or .csv.gz, read directly. Default: the trade
    /// store in $SOVRA_HOME/trade.
    #[arg(long, value_name = "PATH")]
    pub input: Option<PathBuf>,
    /// BACI's country-code file (`country_codes_V*.csv`), needed for BACI input.
    #[arg(long, value_name = "FILE")]
    pub country_codes: Option<PathBuf>,
    /// Only this year (default: the latest in the file).
    #[arg(long)]
    pub year: Option<i32>,
    /// Convert product codes between HS revisions first, FROM:TO (e.g. H1:H0 for HS96 → HS92), with the
    /// atlas-common-data weights (`sovra data fetch classifications`).
    #[arg(long, value_name = "FROM:TO")]
    pub convert: Option<String>,
    #[command(flatten)]
    pub engine: TradeEngineArgs,
}

/// How a trade store is read: DataFusion plans under a memory limit (default), or the years loaded into
/// memory.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct TradeEngineArgs {
    /// Memory the queries on the trade store may hold before they spill to disk, in GB (default 2). The
    /// sums run as DataFusion plans on the store's Parquet files; only what is small after aggregation is
    /// kept (per product, or per importer × product).
    #[arg(long, value_name = "GB", value_parser = positive_gb)]
    pub memory_limit: Option<f64>,
    /// Load the years asked for into memory and compute in Rust instead (faster for a few years on a large
    /// machine; the results are the same).
    #[arg(long, conflicts_with = "cluster")]
    pub in_memory: bool,
    /// Run the queries on an Apache Ballista cluster: the scheduler's address, df://HOST:PORT. Every
    /// executor must see the trade store at the same path (docs/cluster.md). Needs a sovra built with
    /// `--features cluster`.
    #[arg(long, value_name = "df://HOST:PORT")]
    pub cluster: Option<String>,
    /// The longest an attempt of a query on the cluster may take, in seconds; a failed or timed-out attempt
    /// runs once more (a lost executor's tasks then go to the others), and a second failure is an error,
    /// never part of an answer.
    #[arg(long, default_value_t = 600, value_name = "SECONDS")]
    pub cluster_timeout: u64,
}

/// A memory limit in GB: finite and positive (e.g. 4 or 0.5; `4GB` is read as 4).
pub(crate) fn positive_gb(s: &str) -> Result<f64, String> {
    let t = s.trim();
    let t = t
        .strip_suffix("GB")
        .or_else(|| t.strip_suffix("gb"))
        .or_else(|| t.strip_suffix('G'))
        .unwrap_or(t);
    match t.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        _ => Err(format!(
            "'{s}': give a memory limit in GB, a number above 0 (e.g. 4 or 4GB)"
        )),
    }
}

impl TradeInput {
    /// `--input` as the request's `input` (a file) or `store` (a directory); sets how this run reads the
    /// trade store (`--memory-limit`, `--in-memory`).
    fn paths(&self) -> (Option<PathBuf>, Option<PathBuf>) {
        crate::commands::set_trade_engine(&self.engine);
        match &self.input {
            Some(p) if p.is_dir() => (None, Some(p.clone())),
            other => (other.clone(), None),
        }
    }
}

/// `sovra trade depend`: the product-level dependency screen.
#[derive(clap::Args, Debug, Clone)]
pub struct TradeDependArgs {
    /// The importer: a country (ISO3), a bloc or an expression (a bloc's internal trade is left out).
    pub importer: String,
    #[command(flatten)]
    pub input: TradeInput,
    /// Report the share of imports from this bloc (or country, or expression).
    #[arg(long = "on", value_name = "BLOC")]
    pub bloc: Option<String>,
    /// Every product imported, not only the dependent ones.
    #[arg(long)]
    pub all: bool,
    /// Rows for a range of years, Y1:Y2 (default: --year, or the latest year). From a store the two years
    /// before are read too, for persistence.
    #[arg(long, value_name = "Y1:Y2")]
    pub years: Option<String>,
    /// Screen each country of IMPORTER on its own (e.g. `ALL --each`: every importer of the file), one row
    /// per country (and year, with --years): products imported, dependent, persistent, the largest dependent
    /// product. Not with --on or --all.
    #[arg(long)]
    pub each: bool,
    /// A product counts as dependent only if the concentration (HHI, 0–1) of the importer's suppliers is
    /// above this.
    #[arg(long, default_value_t = 0.4, value_parser = crate::finite)]
    pub hhi_imports: f64,
    /// A product counts as dependent only if the concentration (HHI, 0–1) of world exports is above this.
    #[arg(long, default_value_t = 0.4, value_parser = crate::finite)]
    pub hhi_world: f64,
    /// A product counts as dependent only if the importer's imports of it exceed its exports of it this
    /// many times.
    #[arg(long, default_value_t = 1.0, value_parser = crate::finite)]
    pub ratio: f64,
    /// Show the N largest rows by imports (default 30 in the table format; with --each, the 30 importers
    /// with most dependent products, per year).
    #[arg(long)]
    pub top: Option<usize>,
    /// Bloc membership on this date, YYYY-MM-DD (default today).
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
    /// Extra blocs from a TOML file (`[bloc.NAME]` with `members = [...]`), usable wherever a bloc is.
    #[arg(long, value_name = "FILE")]
    pub blocs: Option<PathBuf>,
    /// trade monitor: a programme of targets (TOML [[target]] tables, as for `sovra monitor`); its
    /// product-group targets (`products = ["8541", "8542"]` or `section = "XVI"`, kpi = imports,
    /// imports_from_them_share, import_hhi, imports_exports_ratio or dependent_products) get a status each.
    #[arg(long, value_name = "FILE")]
    pub programme: Option<std::path::PathBuf>,
    /// trade monitor: exit with code 1 when a target is behind or worsening (behind), or worsening.
    #[arg(long, value_enum, requires = "programme")]
    pub fail_on: Option<crate::monitor::FailOn>,
    #[command(flatten)]
    pub out: OutputArgs,
}

/// `sovra trade depend`.
pub fn trade_depend_cmd(a: &TradeDependArgs) -> Result<()> {
    if a.programme.is_some() {
        return Err(engine::Error::usage(
            "programme",
            "--programme goes with trade monitor (years), not trade depend",
        )
        .into());
    }
    answer_with(Request::TradeDepend(depend_request(a)?), &a.out, BLANKS)
}

/// `sovra trade monitor`: the screen year by year against them (the same flags as `trade depend`).
pub fn trade_monitor_cmd(a: &TradeDependArgs) -> Result<()> {
    let mut req = depend_request(a)?;
    req.top = a.top;
    let report = answer_report(Request::TradeMonitor(req), &a.out, BLANKS)?;
    crate::monitor::fail_on(&report, a.fail_on)
}

fn depend_request(a: &TradeDependArgs) -> Result<engine::TradeDependRequest> {
    let (input, store) = a.input.paths();
    let programme = match &a.programme {
        None => None,
        Some(p) => Some(engine::TomlText::new(
            sovra_core::read::read_text(p)?,
            p.display().to_string(),
        )),
    };
    Ok(engine::TradeDependRequest {
        importer: a.importer.clone(),
        on: a.bloc.clone(),
        all: a.all,
        year: a.input.year,
        years: a.years.clone(),
        each: a.each,
        hhi_imports: a.hhi_imports,
        hhi_world: a.hhi_world,
        ratio: a.ratio,
        top: table_top(a.top, &a.out, 30),
        as_of: a.as_of.clone(),
        blocs: a
            .blocs
            .as_deref()
            .map(engine::Blocs::from_file)
            .transpose()?,
        convert: a.input.convert.clone(),
        input,
        country_codes: a.input.country_codes.clone(),
        store,
        programme,
    })
}

/// `sovra trade suppliers`: who could supply a product instead.
#[derive(clap::Args, Debug, Clone)]
pub struct SuppliersArgs {
    /// The importer: a country, a bloc or an expression.
    pub importer: String,
    #[command(flatten)]
    pub input: TradeInput,
    /// The product (code as in the file, e.g. an HS6 code).
    #[arg(long, required_unless_present = "all_dependent")]
    pub product: Option<String>,
    /// Every product the importer is dependent on (default thresholds), in one call.
    #[arg(long)]
    pub all_dependent: bool,
    /// Only suppliers in this bloc (or country, or expression), e.g. allies.
    #[arg(long, value_name = "BLOC")]
    pub partners: Option<String>,
    /// Suppliers listed per product (default 10 in the table format).
    #[arg(long)]
    pub top: Option<usize>,
    /// Bloc membership on this date, YYYY-MM-DD (default today).
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
    /// Extra blocs from a TOML file (`[bloc.NAME]` with `members = [...]`), usable wherever a bloc is.
    #[arg(long, value_name = "FILE")]
    pub blocs: Option<PathBuf>,
    #[command(flatten)]
    pub out: OutputArgs,
}

/// `sovra trade suppliers`.
pub fn suppliers_cmd(a: &SuppliersArgs) -> Result<()> {
    let (input, store) = a.input.paths();
    let req = engine::SuppliersRequest {
        importer: a.importer.clone(),
        product: a.product.clone(),
        all_dependent: a.all_dependent,
        partners: a.partners.clone(),
        top: table_top(a.top, &a.out, 10),
        year: a.input.year,
        as_of: a.as_of.clone(),
        blocs: a
            .blocs
            .as_deref()
            .map(engine::Blocs::from_file)
            .transpose()?,
        convert: a.input.convert.clone(),
        input,
        country_codes: a.input.country_codes.clone(),
        store,
    };
    answer_with(Request::TradeSuppliers(req), &a.out, BLANKS)
}

/// `sovra opportunities`: dependent products a country or bloc could make itself.
#[derive(clap::Args, Debug, Clone)]
pub struct OpportunitiesArgs {
    /// The country (ISO3 or the file's code), a bloc or an expression (EU27, RUS+BLR): a bloc is one
    /// exporter, its exports those to outside it.
    pub country: String,
    #[command(flatten)]
    pub input: TradeInput,
    /// Show the N best (default 20 in the table format).
    #[arg(long)]
    pub top: Option<usize>,
    /// Only products whose code starts with one of these, comma-separated (85 = HS chapter 85); the scores
    /// do not change.
    #[arg(long, value_name = "PREFIX,…", value_delimiter = ',')]
    pub product: Vec<String>,
    /// Bloc membership date, YYYY-MM-DD (default today).
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
    /// Extra blocs from a TOML file (`[bloc.NAME]` with `members = [...]`), usable wherever a bloc is.
    #[arg(long, value_name = "FILE")]
    pub blocs: Option<PathBuf>,
    /// Also write a project file (TOML, for `sovra projects`) with one project per row listed; sector,
    /// capacity and cost are left for you to fill (see the file's header).
    #[arg(long, value_name = "FILE")]
    pub write_projects: Option<PathBuf>,
    #[command(flatten)]
    pub out: OutputArgs,
}

/// `sovra opportunities`.
pub fn opportunities_cmd(a: &OpportunitiesArgs) -> Result<()> {
    let (input, store) = a.input.paths();
    let req = engine::OpportunitiesRequest {
        country: a.country.clone(),
        top: table_top(a.top, &a.out, 20),
        products: a.product.clone(),
        year: a.input.year,
        as_of: a.as_of.clone(),
        blocs: a
            .blocs
            .as_deref()
            .map(engine::Blocs::from_file)
            .transpose()?,
        convert: a.input.convert.clone(),
        input,
        country_codes: a.input.country_codes.clone(),
        store,
    };
    let Some(file) = &a.write_projects else {
        return answer_with(Request::Opportunities(req), &a.out, BLANKS);
    };
    crate::render::check_extension(a.out.format, a.out.out.as_deref())?;
    let ws = workspace();
    let report = {
        let progress = Spinner::new();
        engine::run(&ws, &Request::Opportunities(req), &progress)?
    };
    let projects = engine::trade::projects_toml(&report)?;
    crate::render::write_atomic(file, projects.as_bytes())?;
    emit(
        &render_with(&report, a.out.format, BLANKS)?,
        a.out.out.as_deref(),
    )
}

/// `sovra trade synth`: a synthetic BACI-like year in the long format.
#[derive(clap::Args, Debug, Clone)]
pub struct SynthArgs {
    /// Number of countries that trade.
    #[arg(long, default_value_t = 200)]
    pub countries: usize,
    /// Number of products (six-digit codes).
    #[arg(long, default_value_t = 5000)]
    pub products: usize,
    /// Average destinations per exported product (35 ≈ a BACI year of ~11 M rows at 200 × 5,000).
    #[arg(long, default_value_t = 35.0, value_parser = crate::finite)]
    pub destinations: f64,
    /// The year written in every row.
    #[arg(long, default_value_t = 2022)]
    pub year: i32,
    /// Seed of the random generator: the same seed and sizes write the same file.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Output CSV (written atomically).
    #[arg(long)]
    pub out: PathBuf,
    /// Write BACI's format (`t,i,j,k,v,q`, numeric codes) instead of the long one, with the country-code
    /// file beside the output (`country_codes_synth.csv`).
    #[arg(long)]
    pub baci: bool,
    /// Refuse sizes whose expected row count is above this many rows (they would not fit in memory).
    #[arg(long, default_value_t = sovra_engine::trade::SYNTH_MAX_ROWS, value_name = "ROWS")]
    pub max_rows: u64,
    /// Real codes: the ISO3 codes of the OECD ICIO countries (at most 80) and HS6 codes of the product bridge
    /// (at most 6,788), so that the year lines up with icio2022 and product-level shock legs.
    #[arg(long)]
    pub real_codes: bool,
    /// A series of years FIRST:LAST instead of --year: --out is then a directory with one file per year
    /// (the same synthetic world each year, capabilities drifting), e.g. `--years 1995:2024 --baci` for a
    /// BACI-like history to import with `sovra trade import DIR/BACI_*.csv --country-codes
    /// DIR/country_codes_synth.csv`.
    #[arg(long, value_name = "FIRST:LAST")]
    pub years: Option<String>,
}

/// `sovra trade synth`: what was written goes to stderr (stdout stays empty).
pub fn synth_cmd(a: &SynthArgs) -> Result<()> {
    let report = engine::trade::synth(&engine::TradeSynthOptions {
        countries: a.countries,
        products: a.products,
        destinations: a.destinations,
        year: a.year,
        seed: a.seed,
        out: a.out.clone(),
        baci: a.baci,
        max_rows: a.max_rows,
        real_codes: a.real_codes,
        years: a.years.clone(),
    })?;
    eprintln!("{}", report.title);
    Ok(())
}

/// `sovra trade import`: bilateral trade files into the trade store.
#[derive(clap::Args, Debug, Clone)]
pub struct ImportArgs {
    /// BACI (`t,i,j,k,v,q`) or long (`year,exporter,importer,product,value[,quantity]`) files, .csv or
    /// .csv.gz; any size (they are streamed).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// BACI's country-code file (`country_codes_V*.csv`), needed for BACI input.
    #[arg(long, value_name = "FILE")]
    pub country_codes: Option<PathBuf>,
    /// The store (default: $SOVRA_HOME/trade). The years in FILE replace those years in the store; the
    /// others are kept.
    #[arg(long, value_name = "DIR")]
    pub store: Option<PathBuf>,
    /// Memory the duplicate check may use before it spills to disk, in GiB.
    #[arg(long, default_value_t = 2.0, value_name = "GIB", value_parser = crate::finite)]
    pub memory_limit: f64,
    /// If another import is writing to the store, wait for it to finish (default: fail, naming it).
    #[arg(long)]
    pub wait: bool,
    #[command(flatten)]
    pub out: OutputArgs,
}

/// `sovra trade import`.
pub fn import_cmd(a: &ImportArgs) -> Result<()> {
    let ws = workspace();
    let report = {
        let progress = Spinner::new();
        engine::trade::import(
            &ws,
            &engine::TradeImportOptions {
                files: a.files.clone(),
                country_codes: a.country_codes.clone(),
                store: a.store.clone(),
                memory_limit: a.memory_limit,
                wait: a.wait,
            },
            &progress,
        )?
    };
    emit(
        &render_with(&report, a.out.format, BLANKS)?,
        a.out.out.as_deref(),
    )
}
