//! `sovra-trade`: product-level trade analytics.
//!
//! - [`complexity`]: what a country can make and how hard it is — revealed comparative advantage, the
//!   country × product matrix `M`, diversity, ubiquity, the economic and product complexity indices (ECI,
//!   PCI, eigenvector method), proximity, density, complexity outlook (COI) and outlook gain (COG).
//! - [`flows`]: what the analyses ask of trade data, answered by rows in memory or by a store's plans.
//! - [`bilateral`]: bilateral product-level trade from BACI or a long CSV.
//! - [`intern`]: codes to dense indices (a fast hash, and a cache for sorted columns), shared by the readers.
//! - [`opportunities`]: dependent products a country or bloc could make itself (density, PCI, COG), with an
//!   absolute score against a fixed reference and the rank among the candidates.
//! - [`synth`]: synthetic BACI-like years from a fixed seed, for tests and benchmarks.
//! - [`screen`]: where an importer is dependent, product by product (GeoDep / EU SWD(2021) 352 criteria).

pub mod bilateral;
pub mod complexity;
pub mod flows;
pub mod groups;
pub mod intern;
pub mod opportunities;
pub mod screen;
pub mod synth;

/// Errors of the trade analyses.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input cannot be analysed as asked (with the reason).
    #[error("{0}")]
    Invalid(String),
    /// Reading the trade data failed (a store's query: the reason, and what to do).
    #[error("{0}")]
    Source(String),
    /// From the core.
    #[error(transparent)]
    Core(#[from] sovra_core::Error),
}

/// Result alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;
