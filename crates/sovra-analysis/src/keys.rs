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
use crate::{NodeLabel, Result, columns, node_labels};

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
    let n = t.n();
    let us_nodes = region_nodes(t, &p.us);
    let them_nodes = region_nodes(t, &p.them);
    let mut xu = vec![0.0; n];
    for &j in &us_nodes {
        xu[j] = t.x[j];
    }
    let us_output: f64 = xu.iter().sum();
    let (h, solve) = sys.solve(columns(n, &[&xu]).as_ref(), Side::Forward)?;
    let labels = node_labels(t);
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
            let g = h[(j, 0)] / t.x[j];
            let exposed = m * g;
            KeySector {
                rank: 0,
                node: labels[j].clone(),
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
                        node: labels[i].clone(),
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
    Ok(Keys {
        us_output,
        sectors,
        solve,
    })
}
