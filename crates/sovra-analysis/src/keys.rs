//! Which of our sectors are the "technological keys" our economy turns on with respect to them: the sectors
//! whose inputs from them, if they stopped, would put the most of our output at risk downstream.
//!
//! The measure is a supply-side (Ghosh) hypothetical extraction of the flows from them into one of our
//! nodes `j` (Dietzenbacher, van der Linden & Steenge 1993; Miller & Blair 2009, §12.2):
//!
//! - `m_j = Σ_{i∈T} Z_ij`, the inputs `j` buys from them;
//! - `g_j = Σ_{k∈U} G_jk`, `G = (I − B)⁻¹ = x̂⁻¹ L x̂`, the Ghosh forward multiplier of `j` restricted to our
//!   output: our gross output, counted at every stage downstream, that one unit of primary supply into `j`
//!   enables. It is the forward-linkage weight: `g_j = (L (x ∘ 1_U))_j / x_j`, one forward solve for all `j`;
//! - **exposed output** `E_j = m_j g_j`: if the them→`j` inputs stop and cannot be replaced, the Ghosh model
//!   propagates the loss of that supply through every downstream use in our economy; `E_j` is the output of
//!   us that this touches, in the table's currency. Reported also as a share of our total gross output
//!   (gross output counted at every stage, so shares over several sectors do not add up).
//!
//! Sectors are ranked by `E_j`; for each, the largest individual inputs from them (region, sector) are
//! listed with their shares of `m_j`. The Ghosh model assumes fixed allocation shares and no substitution:
//! read `E_j` as exposure, an upper bound on the first-round disruption, not a forecast (that is the shock
//! engine's job).

use serde::Serialize;
use sovra_core::{LeontiefSystem, Mrio, Side, SolveReport};

use crate::dependency::{Parties, region_nodes};
use crate::{NodeLabel, Result, columns, node_label};

/// One input from them into a key sector.
#[derive(Debug, Clone, Serialize)]
pub struct KeyInput {
    /// Supplying region and sector.
    #[serde(flatten)]
    pub node: NodeLabel,
    /// `Z_ij`.
    pub value: f64,
    /// Its share of `m_j`.
    pub share: f64,
}

/// One of our sectors ranked by exposure.
#[derive(Debug, Clone, Serialize)]
pub struct KeySector {
    /// Rank, 1 = most exposed.
    pub rank: usize,
    /// Region and sector.
    #[serde(flatten)]
    pub node: NodeLabel,
    /// Gross output `x_j`.
    pub output: f64,
    /// `m_j`.
    pub inputs_from_them: f64,
    /// `g_j`.
    pub forward_multiplier: f64,
    /// `E_j = m_j g_j`.
    pub exposed_output: f64,
    /// `E_j / Σ_{k∈U} x_k`.
    pub exposed_share: f64,
    /// The largest inputs from them, largest first.
    pub top_inputs: Vec<KeyInput>,
}

/// Key sectors of us with respect to them.
#[derive(Debug, Clone, Serialize)]
pub struct Keys {
    /// Total gross output of us.
    pub us_output: f64,
    /// Our nodes with output, ranked by exposed output (largest first).
    pub sectors: Vec<KeySector>,
    /// The forward solve.
    pub solve: SolveReport,
}

/// Ranks all our nodes with output; `top_inputs` inputs from them are listed for each.
pub fn compute(t: &Mrio, sys: &LeontiefSystem, p: &Parties, top_inputs: usize) -> Result<Keys> {
    let xu = us_output_vector(t, &p.us);
    let (h, solve) = sys.solve(columns(t.n(), &[&xu]).as_ref(), Side::Forward)?;
    let h: Vec<f64> = h.col(0).iter().copied().collect();
    Ok(assemble(t, p, &h, top_inputs, solve))
}

/// Key sectors for each region of `us` on its own against the same them: one forward solve with a
/// right-hand side per region. Equivalent to calling [`compute`] once per region.
pub fn compute_each(
    t: &Mrio,
    sys: &LeontiefSystem,
    us: &[usize],
    them: &[usize],
    top_inputs: usize,
) -> Result<Vec<Keys>> {
    let parties: Vec<Parties> = us
        .iter()
        .map(|&r| Parties::new(t, vec![r], them.to_vec()))
        .collect::<Result<_>>()?;
    let xs: Vec<Vec<f64>> = parties.iter().map(|p| us_output_vector(t, &p.us)).collect();
    let refs: Vec<&[f64]> = xs.iter().map(|v| v.as_slice()).collect();
    let (h, solve) = sys.solve(columns(t.n(), &refs).as_ref(), Side::Forward)?;
    use rayon::prelude::*;
    Ok(parties
        .par_iter()
        .enumerate()
        .map(|(k, p)| {
            let hk: Vec<f64> = h.col(k).iter().copied().collect();
            assemble(t, p, &hk, top_inputs, solve)
        })
        .collect())
}

/// `x ∘ 1_U`.
fn us_output_vector(t: &Mrio, us: &[usize]) -> Vec<f64> {
    let mut xu = vec![0.0; t.n()];
    for j in region_nodes(t, us) {
        xu[j] = t.x[j];
    }
    xu
}

/// Ranks our nodes given `h = L (x ∘ 1_U)`.
fn assemble(t: &Mrio, p: &Parties, h: &[f64], top_inputs: usize, solve: SolveReport) -> Keys {
    let us_nodes = region_nodes(t, &p.us);
    let them_nodes = region_nodes(t, &p.them);
    let us_output: f64 = us_nodes.iter().map(|&j| t.x[j]).sum();
    let mut sectors: Vec<KeySector> = us_nodes
        .iter()
        .filter(|&&j| t.x[j] > 0.0)
        .map(|&j| {
            let mut inputs: Vec<(usize, f64)> = them_nodes
                .iter()
                .map(|&i| (i, t.z.get(i, j)))
                .filter(|(_, v)| *v > 0.0)
                .collect();
            let m: f64 = inputs.iter().map(|(_, v)| v).sum();
            inputs.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            let g = h[j] / t.x[j];
            let exposed = m * g;
            KeySector {
                rank: 0,
                node: node_label(t, j),
                output: t.x[j],
                inputs_from_them: m,
                forward_multiplier: g,
                exposed_output: exposed,
                exposed_share: if us_output > 0.0 {
                    exposed / us_output
                } else {
                    0.0
                },
                top_inputs: inputs
                    .into_iter()
                    .take(top_inputs)
                    .map(|(i, v)| KeyInput {
                        node: node_label(t, i),
                        value: v,
                        share: v / m,
                    })
                    .collect(),
            }
        })
        .collect();
    sectors.sort_by(|a, b| b.exposed_output.total_cmp(&a.exposed_output));
    for (k, s) in sectors.iter_mut().enumerate() {
        s.rank = k + 1;
    }
    Keys {
        us_output,
        sectors,
        solve,
    }
}
