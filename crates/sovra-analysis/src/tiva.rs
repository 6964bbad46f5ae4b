//! Trade in value added (the OECD TiVA indicators) per country: how much of a country's gross exports is its
//! own value added and how much is foreign, how much of its value added other countries' exports carry, and
//! how much value added it sends to foreign final demand and receives in its own.
//!
//! With `ν = v/x`, the global Leontief inverse `L`, exports `e_c` of country `c` (`e_c,j = Σ_{k∉c} Z_jk +
//! Σ_{d≠c} Y_jd` for `j ∈ c`, 0 elsewhere) and `W_jc = Σ_{i∈c} ν_i L_ij` (value added of `c` per unit of
//! final output of `j`, one transposed solve with a right-hand side per country):
//!
//! - `EXGR_c = Σ_j e_c,j` — gross exports;
//! - `EXGR_DVA_c = Σ_j W_jc e_c,j` — domestic value added in gross exports (including value added that
//!   returns home in imports, as the OECD's indicator does);
//! - `EXGR_FVA_c = EXGR_c − EXGR_DVA_c = Σ_{c'≠c} Σ_j W_jc' e_c,j` — foreign value added in gross exports
//!   (the two add up because `Σ_c W_jc = 1`);
//! - `EXGR_FVASH_c = EXGR_FVA_c / EXGR_c`;
//! - `EXGR_DVAFX_c = Σ_{d≠c} Σ_j W_jc e_d,j` — domestic value added of `c` in other countries' exports;
//! - GVC participation (OECD/Koopman et al.): backward `= EXGR_FVA / EXGR`, forward `= EXGR_DVAFX / EXGR`,
//!   total = backward + forward;
//! - `FFD_DVA_c = Σ_{d≠c} Σ_j W_jc y_d,j` — domestic value added in foreign final demand (value-added
//!   exports), `y_d` the final demand of destination `d`;
//! - `DFD_FVA_c = Σ_{c'≠c} Σ_j W_jc' y_c,j` — foreign value added in domestic final demand.
//!
//! Gross exports need final demand by destination (exports of final products). Tables without it
//! (icio2022 carries final use of all destinations together) cannot give `EXGR` and the indicators built
//! on it, nor `FFD_DVA`/`DFD_FVA`: those are `None`, with the reason in [`Tiva::absent`], never zeros. What
//! such tables do give is the same decomposition of **intermediate** exports (OECD's `EXGR_INT`):
//! `EXGR_INT`, `EXGR_INT_DVA`, `EXGR_INT_FVA`, `EXGR_INT_DVAFX`, computed on every table.

use serde::Serialize;
use sovra_core::{LeontiefSystem, Mrio, SolveReport};

use crate::Result;

/// TiVA indicators of one country (`None`: not computable on this table, see [`Tiva::absent`]).
#[derive(Debug, Clone, Serialize)]
#[allow(non_snake_case)]
pub struct CountryTiva {
    /// Region code.
    pub region: String,
    /// Region name.
    pub name: String,
    /// Gross exports.
    pub EXGR: Option<f64>,
    /// Domestic value added in gross exports.
    pub EXGR_DVA: Option<f64>,
    /// Foreign value added in gross exports.
    pub EXGR_FVA: Option<f64>,
    /// `EXGR_FVA / EXGR`.
    pub EXGR_FVASH: Option<f64>,
    /// Domestic value added in foreign (other countries') gross exports.
    pub EXGR_DVAFX: Option<f64>,
    /// Backward GVC participation, `EXGR_FVA / EXGR`.
    pub GVC_backward: Option<f64>,
    /// Forward GVC participation, `EXGR_DVAFX / EXGR`.
    pub GVC_forward: Option<f64>,
    /// Backward + forward.
    pub GVC_total: Option<f64>,
    /// Domestic value added in foreign final demand.
    pub FFD_DVA: Option<f64>,
    /// Foreign value added in domestic final demand.
    pub DFD_FVA: Option<f64>,
    /// Intermediate exports.
    pub EXGR_INT: f64,
    /// Domestic value added in intermediate exports.
    pub EXGR_INT_DVA: f64,
    /// Foreign value added in intermediate exports.
    pub EXGR_INT_FVA: f64,
    /// Domestic value added in other countries' intermediate exports.
    pub EXGR_INT_DVAFX: f64,
}

/// TiVA for every region of a table.
#[derive(Debug, Clone, Serialize)]
pub struct Tiva {
    /// One entry per region, in region order.
    pub countries: Vec<CountryTiva>,
    /// Why the `None` indicators are absent (`None` when all are computed).
    pub absent: Option<String>,
    /// The transposed solve (one right-hand side per region).
    pub solve: SolveReport,
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 { a / b } else { 0.0 }
}

/// Exports by node of each region, `(intermediate, final)`: `out[c][j]` non-zero only for nodes of `c`;
/// final exports are `None` without final demand by destination.
fn exports(t: &Mrio, dest: Option<&[usize]>) -> (Vec<Vec<f64>>, Option<Vec<Vec<f64>>>) {
    let nr = t.labels.regions.len();
    let ns = t.labels.sectors.len();
    let n = t.n();
    let mut ei = vec![vec![0.0; n]; nr];
    let mut ef = dest.map(|_| vec![vec![0.0; n]; nr]);
    for j in 0..n {
        let c = j / ns;
        let zr = t.z.row(j);
        ei[c][j] = (0..n).filter(|&k| k / ns != c).map(|k| zr[k]).sum();
        if let (Some(d), Some(ef)) = (dest, ef.as_mut()) {
            let yr = t.y.row(j);
            ef[c][j] = (0..t.y.cols).filter(|&q| d[q] != c).map(|q| yr[q]).sum();
        }
    }
    (ei, ef)
}

/// All TiVA indicators for every region (see the module documentation for what needs final demand by
/// destination).
pub fn compute(t: &Mrio, sys: &LeontiefSystem) -> Result<Tiva> {
    let dest = t.labels.fd_destinations();
    let nr = t.labels.regions.len();
    let n = t.n();
    let all: Vec<usize> = (0..n).collect();
    // w[c][j] = Σ_{i∈c} ν_i L_ij.
    let (w, solve) = crate::dependency::value_added_origin(t, sys, &all)?;
    let (ei, ef) = exports(t, dest.as_deref());
    // dot(c, v) = value added of c embodied in the flows v.
    let dot = |c: usize, v: &[f64]| -> f64 { w[c].iter().zip(v).map(|(a, b)| a * b).sum() };
    let matrix = |flows: &[Vec<f64>]| -> Vec<Vec<f64>> {
        (0..nr)
            .map(|c| (0..nr).map(|d| dot(c, &flows[d])).collect())
            .collect()
    };
    let vax_int = matrix(&ei);
    // Gross exports and final demand by destination, when the table has them.
    let gross = ef.as_ref().map(|ef| {
        let e: Vec<Vec<f64>> = ei
            .iter()
            .zip(ef)
            .map(|(a, b)| a.iter().zip(b).map(|(x, y)| x + y).collect())
            .collect();
        // y[d][j]: final demand of destination d for the product of node j.
        let mut y = vec![vec![0.0; n]; nr];
        if let Some(d) = &dest {
            for (q, &r) in d.iter().enumerate() {
                for (j, v) in y[r].iter_mut().enumerate() {
                    *v += t.y.get(j, q);
                }
            }
        }
        (
            e.iter()
                .map(|v| v.iter().sum::<f64>())
                .collect::<Vec<f64>>(),
            matrix(&e),
            matrix(&y),
        )
    });
    let others = |c: usize| (0..nr).filter(move |&o| o != c);
    let countries = (0..nr)
        .map(|c| {
            let g = gross.as_ref().map(|(exgr, vax, vafd)| {
                let exgr = exgr[c];
                let fva: f64 = others(c).map(|o| vax[o][c]).sum();
                let dvafx: f64 = others(c).map(|d| vax[c][d]).sum();
                let ffd: f64 = others(c).map(|d| vafd[c][d]).sum();
                let dfd: f64 = others(c).map(|o| vafd[o][c]).sum();
                (exgr, vax[c][c], fva, dvafx, ffd, dfd)
            });
            CountryTiva {
                region: t.labels.regions[c].code.clone(),
                name: t.labels.regions[c].name.clone(),
                EXGR: g.map(|g| g.0),
                EXGR_DVA: g.map(|g| g.1),
                EXGR_FVA: g.map(|g| g.2),
                EXGR_FVASH: g.map(|g| ratio(g.2, g.0)),
                EXGR_DVAFX: g.map(|g| g.3),
                GVC_backward: g.map(|g| ratio(g.2, g.0)),
                GVC_forward: g.map(|g| ratio(g.3, g.0)),
                GVC_total: g.map(|g| ratio(g.2 + g.3, g.0)),
                FFD_DVA: g.map(|g| g.4),
                DFD_FVA: g.map(|g| g.5),
                EXGR_INT: ei[c].iter().sum(),
                EXGR_INT_DVA: vax_int[c][c],
                EXGR_INT_FVA: others(c).map(|o| vax_int[o][c]).sum(),
                EXGR_INT_DVAFX: others(c).map(|d| vax_int[c][d]).sum(),
            }
        })
        .collect();
    let absent = dest.is_none().then(|| {
        format!(
            "{} does not split final demand by destination country: exports of final products are unknown, \
             so EXGR and the indicators built on it (DVA, FVA, FVASH, DVAFX, GVC participation) and FFD_DVA, \
             DFD_FVA are absent; the intermediate-export decomposition (EXGR_INT…) is shown instead",
            t.provenance.name
        )
    });
    Ok(Tiva {
        countries,
        absent,
        solve,
    })
}
