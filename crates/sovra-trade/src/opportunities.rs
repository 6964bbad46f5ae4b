//! What a country or bloc could make itself among the products it depends on: import-substitution
//! opportunities.
//!
//! Candidates are the products that are **dependent** for the party in the year (all three criteria of
//! [`crate::screen`], a bloc's internal trade left out) and that it does **not** yet export with a revealed
//! comparative advantage (`M_cp = 0`). Each is described by three numbers, computed on the same data's
//! exports ([`crate::screen::exports_of_year`]) with [`crate::complexity`]'s Stata conventions:
//!
//! - **density** `d_cp` — how close the product is to what the party already makes (feasibility);
//! - **PCI** — how complex the product is (worth having);
//! - **COG** — how much making it would open up other complex products (strategic value).
//!
//! # The score (absolute, comparable)
//!
//! Each number is placed in a **fixed reference**: the year's pairs `R = {(c, p) : M_cp = 0}` of every
//! country `c` and product `p` with exports that year (every pair that could be someone's opportunity). With
//! the mid-distribution function of the reference, `F_x(v) = (#{r ∈ R : x_r < v} + ½ #{r ∈ R : x_r = v}) /
//! |R|` (the share of reference pairs below `v`, ties counted half),
//!
//! `score_cp = (F_density(d_cp) + F_PCI(PCI_p) + F_COG(COG_cp)) / 3 ∈ [0, 1]`.
//!
//! The reference depends on the year's data only, not on the party or the candidates, so a pair's score
//! does not change when the list is filtered or cut, the same product scores comparably for two countries
//! (the PCI part is the same; density and COG differ as the countries do), and a lone candidate gets the
//! score of its numbers, not 1. Scores compare within one year of one dataset.
//!
//! # The rank among the candidates (kept)
//!
//! `rank_score = (r_density + r_PCI + r_COG) / 3`, each `r` the percentile rank among the party's candidates
//! (0 lowest, 1 highest; 1 for a lone candidate): the order of this list, not comparable across parties.
//!
//! # Blocs
//!
//! A bloc is one exporter: its exports are its members' exports **to outside the bloc** (flows among members
//! are internal trade, as the screen treats them), and its RCA is against the world less those internal
//! flows — as if the members were one country ([`crate::complexity::Guest`]). Its density and COG are placed
//! in the countries' product space (proximity and PCI of the countries' year, unchanged by the bloc), and
//! scored against the same reference, so a bloc's score compares with its members'. A party of one country
//! is that country's own row.

use serde::Serialize;

use crate::complexity::{self, Complexity, Guest, Options};
use crate::flows::Flows;
use crate::screen::{self, Bilateral, Thresholds};
use crate::{Error, Result};

/// One opportunity.
#[derive(Debug, Clone, Serialize)]
pub struct Opportunity {
    /// Product index.
    pub product: usize,
    /// The absolute score in `[0, 1]`: the mean of the three reference percentiles.
    pub score: f64,
    /// The rank-based score in `[0, 1]`: the mean of the three percentile ranks among the candidates.
    pub rank_score: f64,
    /// `d_cp`.
    pub density: f64,
    /// PCI.
    pub pci: f64,
    /// COG.
    pub cog: f64,
    /// `F_density(d_cp)`, `F_PCI(PCI_p)`, `F_COG(COG_cp)`: the reference percentiles.
    pub percentiles: [f64; 3],
    /// The screen's numbers for the product.
    pub screened: screen::Screened,
}

/// The opportunities of a party in a year, best first by [`Opportunity::score`].
#[derive(Debug, Clone, Serialize)]
pub struct Ranked {
    /// The candidates.
    pub opportunities: Vec<Opportunity>,
    /// `|R|`, the number of country × product pairs of the reference.
    pub reference_pairs: usize,
}

/// The fixed reference of the absolute score: density, PCI and COG over the year's pairs without RCA, each
/// sorted.
#[derive(Debug, Clone)]
pub struct Reference {
    density: Vec<f64>,
    pci: Vec<f64>,
    cog: Vec<f64>,
}

impl Reference {
    /// From the reference pairs' `(density, PCI, COG)`.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (f64, f64, f64)>) -> Reference {
        let (mut density, mut pci, mut cog) = (Vec::new(), Vec::new(), Vec::new());
        for (d, p, g) in pairs {
            density.push(d);
            pci.push(p);
            cog.push(g);
        }
        for v in [&mut density, &mut pci, &mut cog] {
            v.sort_by(f64::total_cmp);
        }
        Reference { density, pci, cog }
    }

    /// The pairs `(c, p)` of a computed year with `M_cp = 0` and all three numbers defined.
    pub fn of_year(c: &Complexity, np: usize) -> Reference {
        Reference::from_pairs(
            c.m.iter()
                .enumerate()
                .filter(|(_, m)| !**m)
                .filter_map(|(k, _)| Some((c.density[k]?, c.pci[k % np.max(1)]?, c.cog[k]?))),
        )
    }

    /// `|R|`.
    pub fn len(&self) -> usize {
        self.density.len()
    }

    /// Whether the reference holds no pair.
    pub fn is_empty(&self) -> bool {
        self.density.is_empty()
    }

    /// The three percentiles `F(d), F(PCI), F(COG)` and their mean, the score.
    pub fn score(&self, density: f64, pci: f64, cog: f64) -> ([f64; 3], f64) {
        let f = [
            mid_share(&self.density, density),
            mid_share(&self.pci, pci),
            mid_share(&self.cog, cog),
        ];
        (f, (f[0] + f[1] + f[2]) / 3.0)
    }
}

/// `(#{x < v} + ½ #{x = v}) / n` on sorted `x` (0 for an empty reference).
fn mid_share(sorted: &[f64], v: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let below = sorted.partition_point(|x| *x < v);
    let equal = sorted[below..].partition_point(|x| *x <= v);
    (below as f64 + 0.5 * equal as f64) / sorted.len() as f64
}

fn pct_rank(v: &[f64]) -> Vec<f64> {
    let n = v.len();
    if n <= 1 {
        return vec![1.0; n];
    }
    v.iter()
        .map(|x| v.iter().filter(|y| *y < x).count() as f64 / (n - 1) as f64)
        .collect()
}

/// A party's `M`, density and COG by product: a country's own row, or a bloc placed as one exporter.
struct Row {
    m: Vec<bool>,
    density: Vec<Option<f64>>,
    cog: Vec<Option<f64>>,
}

/// The year's complexity, and the party's row in it.
fn complexity_and_row(b: &dyn Flows, party: &[usize], year: i32) -> Result<(Complexity, Row)> {
    let x = b.exports_of_year(year)?;
    let np = x.products.len();
    let o = Options {
        proximity: false,
        ..Options::default()
    };
    let invalid = |e: Error| Error::Invalid(format!("complexity of {year}: {e}"));
    if let [country] = party {
        let c = complexity::compute(&x, &o).map_err(invalid)?;
        let span = country * np..(country + 1) * np;
        let row = Row {
            m: c.m[span.clone()].to_vec(),
            density: c.density[span.clone()].to_vec(),
            cog: c.cog[span].to_vec(),
        };
        return Ok((c, row));
    }
    let guest = b.bloc_exports(party, year)?;
    let (c, mut placed) = complexity::compute_with_guests(&x, &o, &[guest]).map_err(invalid)?;
    let bloc = placed
        .pop()
        .ok_or_else(|| Error::Invalid("the bloc was not placed".into()))?;
    Ok((
        c,
        Row {
            m: bloc.m,
            density: bloc.density,
            cog: bloc.cog,
        },
    ))
}

/// A bloc's exports to outside it, and the flows among its members, by product, in `year`.
pub fn bloc_exports(b: &Bilateral, members: &[usize], year: i32) -> Guest {
    let mut inside = vec![false; b.countries.len()];
    members.iter().for_each(|&c| inside[c] = true);
    let np = b.products.len();
    let (mut exports, mut internal) = (vec![0.0; np], vec![0.0; np]);
    for &(t, e, j, p, v) in &b.rows {
        if t != year || e == j || !inside[e as usize] {
            continue;
        }
        if inside[j as usize] {
            internal[p as usize] += v;
        } else {
            exports[p as usize] += v;
        }
    }
    Guest { exports, internal }
}

/// For each product, the member of a bloc with the largest exports of it to outside the bloc in `year`
/// (none where no member exports it; the first in country order on a tie): the suggested host of a project.
pub fn lead_exporters(b: &Bilateral, members: &[usize], year: i32) -> Vec<Option<usize>> {
    let mut inside = vec![false; b.countries.len()];
    members.iter().for_each(|&c| inside[c] = true);
    let mut by: std::collections::HashMap<(u32, u32), f64> = Default::default();
    for &(t, e, j, p, v) in &b.rows {
        if t == year && v > 0.0 && inside[e as usize] && !inside[j as usize] {
            *by.entry((p, e)).or_default() += v;
        }
    }
    lead_of(by, b.products.len())
}

/// The lead exporter per product from `(product, exporter) → exports` (see [`lead_exporters`]).
pub fn lead_of(by: impl IntoIterator<Item = ((u32, u32), f64)>, np: usize) -> Vec<Option<usize>> {
    let mut lead: Vec<Option<(usize, f64)>> = vec![None; np];
    for ((p, e), v) in by {
        let slot = &mut lead[p as usize];
        let better = match slot {
            None => true,
            Some((c, best)) => v > *best || (v == *best && (e as usize) < *c),
        };
        if better {
            *slot = Some((e as usize, v));
        }
    }
    lead.into_iter().map(|l| l.map(|(c, _)| c)).collect()
}

/// The opportunities of `party` (country indices: one country, or a bloc's members) in `year`.
pub fn rank(b: &dyn Flows, party: &[usize], year: i32, th: &Thresholds) -> Result<Ranked> {
    if party.is_empty() {
        return Err(Error::Invalid(
            "no country to rank opportunities for".into(),
        ));
    }
    let dep: Vec<screen::Screened> = b
        .screen(party, &[], th)?
        .into_iter()
        .filter(|s| s.year == year && s.dependent)
        .collect();
    let np = b.products().len();
    let (c, row) = complexity_and_row(b, party, year)?;
    let reference = Reference::of_year(&c, np);
    let mut cand: Vec<(f64, f64, f64, screen::Screened)> = dep
        .into_iter()
        .filter_map(|s| {
            let p = s.product;
            if row.m[p] {
                return None;
            }
            Some((row.density[p]?, c.pci[p]?, row.cog[p]?, s))
        })
        .collect();
    let rd = pct_rank(&cand.iter().map(|c| c.0).collect::<Vec<_>>());
    let rp = pct_rank(&cand.iter().map(|c| c.1).collect::<Vec<_>>());
    let rg = pct_rank(&cand.iter().map(|c| c.2).collect::<Vec<_>>());
    let mut out: Vec<Opportunity> = cand
        .drain(..)
        .enumerate()
        .map(|(i, (d, p, g, s))| {
            let (percentiles, score) = reference.score(d, p, g);
            Opportunity {
                product: s.product,
                score,
                rank_score: (rd[i] + rp[i] + rg[i]) / 3.0,
                density: d,
                pci: p,
                cog: g,
                percentiles,
                screened: s,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(b.rank_score.total_cmp(&a.rank_score))
    });
    Ok(Ranked {
        opportunities: out,
        reference_pairs: reference.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mid_share_counts_ties_half() {
        let x = [0.1, 0.2, 0.2, 0.4];
        assert_eq!(mid_share(&x, 0.0), 0.0);
        assert_eq!(mid_share(&x, 0.2), (1.0 + 1.0) / 4.0);
        assert_eq!(mid_share(&x, 0.3), 3.0 / 4.0);
        assert_eq!(mid_share(&x, 0.5), 1.0);
        assert_eq!(mid_share(&[], 0.5), 0.0);
    }
}
