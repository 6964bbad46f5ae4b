//! `sovra-analysis`: analyses as pure functions over an MRIO table. None of them prints or parses
//! arguments; each returns a typed result that the CLI renders.
//!
//! - [`system`]: `x` from `Y`, and the matrices `A`, `L` (on request), `B`, `G`.
//! - [`multipliers`]: output and value-added (and stressor) multipliers per node.
//! - [`linkages`]: Rasmussen backward and forward linkages, key sectors.
//! - [`footprint`]: satellite accounts as pymrio computes them: `D_cba`, `D_pba`, `D_imp`, `D_exp`.
//! - [`dependency`]: where "us" depends on "them": direct, total and via-third-country value-added
//!   dependence, supplier concentration, sales dependence.
//! - [`keys`]: the "technological keys": our sectors ranked by the output exposed to their inputs from them.
//! - [`shock`]: embargoes, export and import bans: output losses by extraction or by RAS rerouting with a
//!   CES capacity-rationing equilibrium (the sanction-simulator model).
//! - [`alliances`]: which candidate partners could supply what we buy from them, sector by sector, and the
//!   partner sets that cover the most (the restricted-rerouting test runs in [`shock::run_with`]).
//! - [`projects`]: import-substitution projects through the supply chain (dependence cut, value added
//!   gained), the portfolio that cuts dependence most under budgets (a MILP), and joint re-evaluation.
//! - [`monitoring`]: the indicators an import-substitution programme is judged by, per year of a series, and
//!   their trends.
//! - [`decompose`]: why their value added in our final demand changed between two years (structural
//!   decomposition into six effects).
//! - [`tiva`]: the OECD trade-in-value-added indicators per country (EXGR_DVA, EXGR_FVA, GVC participation, …).

pub mod alliances;
pub mod decompose;
pub mod dependency;
pub mod footprint;
pub mod keys;
pub mod linkages;
pub mod monitoring;
pub mod multipliers;
pub mod projects;
pub mod shock;
pub mod system;
pub mod tiva;

pub use sovra_core;

/// Errors of the analyses.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// From the table or the solver.
    #[error(transparent)]
    Core(#[from] sovra_core::Error),
    /// The analysis cannot run on this table as asked.
    #[error("{0}")]
    Unsupported(String),
}

/// Result alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A node's labels, for outputs.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct NodeLabel {
    /// Region code.
    pub region: String,
    /// Sector code.
    pub sector: String,
    /// Sector name.
    pub sector_name: String,
}

/// The labels of one node.
pub fn node_label(t: &sovra_core::Mrio, i: usize) -> NodeLabel {
    let l = &t.labels;
    let (r, s) = l.node(i);
    NodeLabel {
        region: l.regions[r].code.clone(),
        sector: l.sectors[s].code.clone(),
        sector_name: l.sectors[s].name.clone(),
    }
}

/// Labels of every node of a table.
pub fn node_labels(t: &sovra_core::Mrio) -> Vec<NodeLabel> {
    (0..t.n()).map(|i| node_label(t, i)).collect()
}

/// A faer column matrix from column vectors.
pub(crate) fn columns(n: usize, cols: &[&[f64]]) -> sovra_core::faer::Mat<f64> {
    sovra_core::faer::Mat::from_fn(n, cols.len(), |i, j| cols[j][i])
}
