//! `sovra alliances`: the flags become the engine's `AlliancesRequest` (candidate partners for what us buys
//! from them, the best partner sets, and the embargo with and without the alliance); the report is rendered.

use std::path::PathBuf;

use anyhow::Result;
use sovra_engine::{self as engine, Request};

use crate::OutputArgs;
use crate::commands::workspace;
use crate::render::{check_table, emit_report};

/// Everything `sovra alliances` takes.
#[derive(clap::Args, Debug, Clone)]
pub struct AlliancesArgs {
    /// "Us": a country (ISO3), a bloc, or an expression such as EU27-DEU or RUS+BLR.
    pub us: String,
    /// "Them", whose supply is to be replaced: a country, bloc or expression (G7, EU27+G7, …).
    #[arg(long, value_name = "THEM")]
    pub against: String,
    /// The candidate partners: a country, bloc or expression (BRICS+EAEU). Members that are us or them are
    /// left out, with a note.
    #[arg(long, value_name = "PARTNERS")]
    pub candidates: String,
    /// Rows of the partner sets and of the sectors (the largest imports from them first).
    #[arg(long, default_value_t = 10)]
    pub top: usize,
    /// The most partners in a set: every set up to this size is evaluated while there are at most two million
    /// of them, else the greedy chain is shown (within 1 − 1/e of the best).
    #[arg(long, default_value_t = 3)]
    pub size: usize,
    /// Skip the embargo test (the coverage figures alone, no shock runs).
    #[arg(long)]
    pub no_shock: bool,
    /// Exit 0 even when an embargo run is computed but not trustworthy (not converged, stability check
    /// failed, fulfilment collapsed). Without it such a report is still written, flagged, and exits with 3.
    #[arg(long)]
    pub allow_unstable: bool,
    /// HS6 coverage from the trade store ($SOVRA_HOME/trade) required: an error when it cannot be given.
    /// By default it is given when the store holds trade, and a note says why when it is not.
    #[arg(long, conflicts_with = "no_trade")]
    pub trade: bool,
    /// Leave the HS6 coverage out.
    #[arg(long)]
    pub no_trade: bool,
    /// The year of trade for the HS6 coverage (default: the dataset's year when the store holds it, else
    /// the latest held).
    #[arg(long, value_name = "YEAR")]
    pub trade_year: Option<i32>,
    /// The table CSV writes (CSV holds one): candidates (default), sets, sectors, pairs, shock, or at HS6
    /// hs6_candidates, hs6_sets, hs6_products, hs6_pairs.
    #[arg(long, value_name = "KEY", value_parser = [
        "candidates", "sets", "sectors", "pairs", "shock",
        "hs6_candidates", "hs6_sets", "hs6_products", "hs6_pairs",
    ])]
    pub table: Option<String>,
    /// Dataset (see `sovra data list`).
    #[arg(long, default_value = "icio2022")]
    pub data: String,
    /// Year of a dataset that holds several (default: its latest).
    #[arg(long)]
    pub year: Option<i32>,
    /// Bloc membership on this date, YYYY-MM-DD (default: 31 December of the dataset's year).
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
    /// Extra blocs from a TOML file ([bloc.NAME] members = ["AAA", …]); $SOVRA_HOME/blocs.toml is read too.
    #[arg(long, value_name = "FILE")]
    pub blocs: Option<PathBuf>,
    #[command(flatten)]
    pub out: OutputArgs,
}

/// Runs `sovra alliances`.
pub fn alliances_cmd(a: &AlliancesArgs) -> Result<()> {
    let blocs = a
        .blocs
        .as_deref()
        .map(engine::Blocs::from_file)
        .transpose()?;
    let req = engine::AlliancesRequest {
        us: a.us.clone(),
        against: a.against.clone(),
        candidates: a.candidates.clone(),
        data: a.data.clone(),
        year: a.year,
        as_of: a.as_of.clone(),
        blocs,
        top: Some(a.top),
        size: a.size,
        shock: !a.no_shock,
        trade: if a.trade {
            Some(true)
        } else if a.no_trade {
            Some(false)
        } else {
            None
        },
        trade_year: a.trade_year,
    };
    check_table(a.table.as_deref(), a.out.format, a.out.out.as_deref())?;
    let report = {
        let progress = crate::progress::Spinner::new();
        engine::run(&workspace(), &Request::Alliances(req), &progress)?
    };
    emit_report(
        &report,
        a.out.format,
        a.table.as_deref(),
        a.out.out.as_deref(),
    )?;
    crate::shock::untrusted(&report, a.allow_unstable)
}
