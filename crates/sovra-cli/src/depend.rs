//! The arguments `sovra depend`, `sovra keys` and `sovra blocs` share, and their mapping onto the engine's
//! request fields.

use std::path::PathBuf;

use anyhow::Result;
use sovra_engine as engine;

/// What the parties are and when.
#[derive(clap::Args, Debug, Clone)]
pub struct PartyArgs {
    /// "Us": a country (ISO3), a bloc, or an expression such as EU27-DEU or EAEU+CHN.
    pub us: String,
    /// "Them": a country, bloc or expression (BRICS, G7, USA+GBR, BRICS&OPEC, …).
    #[arg(long = "on", value_name = "THEM")]
    pub them: String,
    /// Dataset (see `sovra data list`).
    #[arg(long, default_value = "icio2022")]
    pub data: String,
    /// Year of a dataset that holds several (a series such as WIOD 1995–2011); the latest when omitted.
    #[arg(long)]
    pub year: Option<i32>,
    /// Bloc membership on this date, YYYY-MM-DD (default: 31 December of the dataset's year).
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
    /// Extra blocs from a TOML file ([bloc.NAME] members = ["AAA", …]); $SOVRA_HOME/blocs.toml is read too.
    #[arg(long, value_name = "FILE")]
    pub blocs: Option<PathBuf>,
}

/// The extra blocs of `--blocs FILE`, read.
pub fn blocs(a: &PartyArgs) -> Result<Option<engine::Blocs>> {
    Ok(a.blocs
        .as_deref()
        .map(engine::Blocs::from_file)
        .transpose()?)
}

/// How `sovra depend` ranks rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SortBy {
    /// Total value-added dependence.
    Va,
    /// Part through third countries.
    ViaThird,
    /// Direct share of inputs.
    Direct,
    /// Supplier concentration (HHI).
    Hhi,
    /// Total sales dependence.
    Sales,
    /// Gross output.
    Output,
}

impl From<SortBy> for engine::SortBy {
    fn from(s: SortBy) -> Self {
        match s {
            SortBy::Va => engine::SortBy::Va,
            SortBy::ViaThird => engine::SortBy::ViaThird,
            SortBy::Direct => engine::SortBy::Direct,
            SortBy::Hhi => engine::SortBy::Hhi,
            SortBy::Sales => engine::SortBy::Sales,
            SortBy::Output => engine::SortBy::Output,
        }
    }
}

/// `--by` for `sovra depend`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DependBy {
    /// One row per sector of each of our regions.
    Sector,
    /// One row per region of us (output-weighted).
    Region,
    /// One row per region of the world: where the value added in our output comes from (us, them and
    /// every third country; for a map).
    Origin,
}

impl From<DependBy> for engine::DependBy {
    fn from(b: DependBy) -> Self {
        match b {
            DependBy::Sector => engine::DependBy::Sector,
            DependBy::Region => engine::DependBy::Region,
            DependBy::Origin => engine::DependBy::Origin,
        }
    }
}
