//! Which flows a scenario severs, and how a row of `Ẑ` — the table's `Z` with every severed entry multiplied
//! by the leakage `δ` — is read without ever copying the matrix.
//!
//! A leg `(l, k, sectors)` severs the sales of the selling sectors of region `l` to every buyer in region
//! `k`. In region-major node order the buyers of `k` are one contiguous range of columns, so a severed row
//! is the full row minus `(1 − δ)` times a few contiguous chunks.

use super::extraction::Side;
use super::kernels::{Elem, axpy, dot, dot2};
use super::scenario::Instrument;

/// A severed trade relation on region indices: sellers in `seller` may not sell to buyers in `buyer`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Leg {
    /// Selling region index.
    pub seller: usize,
    /// Buying region index.
    pub buyer: usize,
    /// Selling sectors covered (`None`: all).
    pub sectors: Option<Vec<usize>>,
    /// Which ban the relation comes from: [`Instrument::ExportBan`] when the seller is the sanctioning side
    /// (the buyer, the target, is short of inputs), [`Instrument::ImportBan`] when the seller is the target
    /// (it loses sales); an embargo gives one relation of each. The extraction model puts the first on the
    /// supply side and the second on the demand side.
    pub instrument: Instrument,
}

impl Leg {
    /// The extraction side of the relation: supply for an export ban, demand for an import ban (an
    /// [`Instrument::Embargo`] given directly counts as both directions' supply side).
    pub fn side(&self) -> Side {
        match self.instrument {
            Instrument::ImportBan => Side::Demand,
            Instrument::ExportBan | Instrument::Embargo => Side::Supply,
        }
    }
}

/// The severed entries of a scenario, per selling node.
#[derive(Debug, Clone)]
pub struct Cut {
    /// Leakage `δ`: the share of a severed flow that still gets through.
    pub delta: f64,
    /// For each node `i`, the buyer regions `i` may not sell to (sorted, unique).
    pub(crate) buyers: Vec<Vec<usize>>,
    ns: usize,
}

impl Cut {
    /// The cut of some legs on a table with `nr` regions of `ns` sectors.
    pub fn new(legs: &[Leg], nr: usize, ns: usize, delta: f64) -> Cut {
        let mut buyers = vec![Vec::new(); nr * ns];
        for leg in legs {
            let sectors: Vec<usize> = match &leg.sectors {
                Some(s) => s.clone(),
                None => (0..ns).collect(),
            };
            for r in sectors {
                buyers[leg.seller * ns + r].push(leg.buyer);
            }
        }
        for b in &mut buyers {
            b.sort_unstable();
            b.dedup();
        }
        Cut { delta, buyers, ns }
    }

    /// The number of severed entries of `Z`.
    pub fn severed_entries(&self) -> usize {
        self.buyers.iter().map(|b| b.len() * self.ns).sum()
    }

    /// The column range of buyer region `k`.
    #[inline]
    pub(crate) fn range(&self, k: usize) -> std::ops::Range<usize> {
        k * self.ns..(k + 1) * self.ns
    }

    /// `Σ_j Ẑ_ij y_j c_j`, with row `i` of `Z` given.
    #[inline]
    pub(crate) fn dot<T: Elem>(&self, row: &[T], i: usize, y: &[f64], c: &[f64]) -> f64 {
        let mut d = dot2(row, y, c);
        for &k in &self.buyers[i] {
            let r = self.range(k);
            d -= (1.0 - self.delta) * dot2(&row[r.clone()], &y[r.clone()], &c[r]);
        }
        d
    }

    /// The severed part of row `i`, to subtract after a whole-row kernel: returns `(1 − δ) Σ_{j sev} Z_ij y_j`
    /// and does `acc −= (1 − δ) g Z_ij` on the severed entries.
    #[inline]
    pub(crate) fn severed_part<T: Elem>(
        &self,
        row: &[T],
        i: usize,
        y: &[f64],
        g: f64,
        acc: &mut [f64],
    ) -> f64 {
        let mut d = 0.0;
        for &k in &self.buyers[i] {
            let r = self.range(k);
            d += (1.0 - self.delta) * dot(&row[r.clone()], &y[r.clone()]);
            axpy(-(1.0 - self.delta) * g, &row[r.clone()], &mut acc[r]);
        }
        d
    }
}
