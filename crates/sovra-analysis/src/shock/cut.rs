//! Which flows a scenario severs, and how a row of `Ẑ` — the table's `Z` with every severed entry multiplied
//! by the leakage `δ` — is read without ever copying the matrix.
//!
//! A leg `(l, k, sectors)` severs the sales of the selling sectors of region `l` to every buyer in region
//! `k` — all of them, or a share `σ` of each (a product-level leg: the named products' share of the block,
//! see [`super::products`]). In region-major node order the buyers of `k` are one contiguous range of
//! columns, so a severed row is the full row minus `(1 − δ) σ` times a few contiguous chunks.

use super::extraction::Side;
use super::kernels::{Elem, axpy, dot, dot2};
use super::scenario::Instrument;

/// A severed trade relation on region indices: sellers in `seller` may not sell to buyers in `buyer`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
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
    /// The severed share of each of `sectors`' sales to the buyer (product-level legs; `None`: all of it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shares: Option<Vec<f64>>,
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
    /// For each node `i`, the buyer regions `i` may not sell to, with the severed share `σ` of those sales
    /// (sorted by region, unique; 1 for a whole block).
    pub(crate) buyers: Vec<Vec<(usize, f64)>>,
    ns: usize,
}

impl Cut {
    /// The cut of some legs on a table with `nr` regions of `ns` sectors.
    /// The cut of some legs on a table with `nr` regions of `ns` sectors. A block two legs sever takes the
    /// larger share.
    pub fn new(legs: &[Leg], nr: usize, ns: usize, delta: f64) -> Cut {
        let mut buyers: Vec<Vec<(usize, f64)>> = vec![Vec::new(); nr * ns];
        for leg in legs {
            let sectors: Vec<usize> = match &leg.sectors {
                Some(s) => s.clone(),
                None => (0..ns).collect(),
            };
            for (q, r) in sectors.into_iter().enumerate() {
                let share = leg
                    .shares
                    .as_ref()
                    .and_then(|v| v.get(q))
                    .copied()
                    .unwrap_or(1.0);
                buyers[leg.seller * ns + r].push((leg.buyer, share));
            }
        }
        for b in &mut buyers {
            b.sort_unstable_by(|x, y| x.0.cmp(&y.0).then(y.1.total_cmp(&x.1)));
            b.dedup_by_key(|x| x.0);
            b.retain(|x| x.1 > 0.0);
        }
        Cut { delta, buyers, ns }
    }

    /// The number of severed entries of `Z` (in part or whole).
    pub fn severed_entries(&self) -> usize {
        self.buyers.iter().map(|b| b.len() * self.ns).sum()
    }

    /// The severed share of node `i`'s sales to buyer region `k` (0: not severed).
    #[inline]
    pub(crate) fn share(&self, i: usize, k: usize) -> f64 {
        self.buyers[i]
            .iter()
            .find(|x| x.0 == k)
            .map_or(0.0, |x| x.1)
    }

    /// `(1 − δ) σ`: the part of a severed flow that does not get through.
    #[inline]
    pub(crate) fn stopped(&self, share: f64) -> f64 {
        (1.0 - self.delta) * share
    }

    /// The factor a flow keeps: `δ` for a whole block (exactly), `1 − (1 − δ) σ` for a share, 1 otherwise.
    #[inline]
    pub(crate) fn kept(&self, share: f64) -> f64 {
        if share == 1.0 {
            self.delta
        } else {
            1.0 - self.stopped(share)
        }
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
        for &(k, sh) in &self.buyers[i] {
            let r = self.range(k);
            d -= self.stopped(sh) * dot2(&row[r.clone()], &y[r.clone()], &c[r]);
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
        for &(k, sh) in &self.buyers[i] {
            let r = self.range(k);
            let f = self.stopped(sh);
            d += f * dot(&row[r.clone()], &y[r.clone()]);
            axpy(-f * g, &row[r.clone()], &mut acc[r]);
        }
        d
    }
}
