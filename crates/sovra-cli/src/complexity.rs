//! `sovra complexity`: the flags become the engine's `ComplexityRequest` (economic complexity of
//! product-level exports — a long CSV, a trade store — or of sector exports from an MRIO table, per country or
//! per product), the report is rendered.

use std::path::PathBuf;

use anyhow::Result;
use sovra_engine::{self as engine, Request};

use crate::OutputArgs;
use crate::commands::{answer_with, table_top};
use crate::render::Blanks;

/// Undefined ECI, PCI, COI and fitness (and fitness not asked for) are blank, as they always were; a table
/// without a year shows `-`.
const BLANKS: Blanks<'static> = Blanks {
    default: "",
    columns: &[("year", "-")],
};

/// Whose conventions, as a command-line value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ConventionArg {
    /// Stata `ecomplexity`: long-table sample sd, density without the product itself.
    Stata,
    /// py-ecomplexity 0.5.3: population sd over countries, density with the product itself.
    PyEcomplexity,
}

/// Rows per country or per product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ByArg {
    /// One row per country: diversity, ECI, COI, fitness.
    Country,
    /// One row per product: ubiquity, PCI, fitness-complexity.
    Product,
}

/// Everything `sovra complexity` takes.
#[derive(clap::Args, Debug, Clone)]
pub struct ComplexityArgs {
    /// Product-level exports: a long CSV with a header `year,exporter,product,value` (other columns
    /// ignored), or a trade store directory (`sovra trade import`; exports = bilateral flows summed over
    /// importers). Without it, sector exports of --data are used (intermediate + final sales to other
    /// regions).
    #[arg(long, value_name = "PATH")]
    pub input: Option<PathBuf>,
    /// The exports of the trade store in $SOVRA_HOME/trade (bilateral flows summed over importers).
    #[arg(long, conflicts_with = "input")]
    pub trade: bool,
    /// Dataset whose sector exports are used when there is no --input.
    #[arg(long, default_value = "icio2022")]
    pub data: String,
    /// Only this year of --input or --trade (default: every year); with a dataset that holds several years
    /// (a series), the year of the dataset (default: the latest).
    #[arg(long)]
    pub year: Option<i32>,
    /// M = 1 where RCA ≥ this.
    #[arg(long, default_value_t = 1.0, value_parser = crate::finite)]
    pub rca_threshold: f64,
    /// Conventions: stata (default) or py-ecomplexity.
    #[arg(long, value_enum, default_value_t = ConventionArg::Stata)]
    pub convention: ConventionArg,
    /// Rows per country or per product.
    #[arg(long, value_enum, default_value_t = ByArg::Country)]
    pub by: ByArg,
    /// Show the N highest ECI (or PCI) rows (default 20 in the table format, all in csv/json).
    #[arg(long)]
    pub top: Option<usize>,
    /// Also compute fitness and fitness-complexity (Tacchella et al. 2012).
    #[arg(long)]
    pub fitness: bool,
    #[command(flatten)]
    pub engine: crate::trade::TradeEngineArgs,
    #[command(flatten)]
    pub out: OutputArgs,
}

/// `sovra complexity`.
pub fn complexity_cmd(a: &ComplexityArgs) -> Result<()> {
    crate::commands::set_trade_engine(&a.engine);
    let (input, store) = match &a.input {
        Some(p) if p.is_dir() => (None, Some(p.clone())),
        other => (other.clone(), None),
    };
    let req = engine::ComplexityRequest {
        data: a.data.clone(),
        trade: a.trade,
        year: a.year,
        rca_threshold: a.rca_threshold,
        convention: match a.convention {
            ConventionArg::Stata => engine::Convention::Stata,
            ConventionArg::PyEcomplexity => engine::Convention::PyEcomplexity,
        },
        by: match a.by {
            ByArg::Country => engine::ComplexityBy::Country,
            ByArg::Product => engine::ComplexityBy::Product,
        },
        top: table_top(a.top, &a.out, 20),
        fitness: a.fitness,
        input,
        store,
    };
    answer_with(Request::Complexity(req), &a.out, BLANKS)
}
