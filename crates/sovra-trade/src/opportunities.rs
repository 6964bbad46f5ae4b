//! What a country could make itself among the products it depends on: import-substitution opportunities.
//!
//! Candidates are the products that are **dependent** for the country in the year (all three criteria of
//! [`crate::screen`]) and that it does **not** yet export with a revealed comparative advantage (`M_cp = 0`).
//! Each is scored on three things, each as a percentile rank `r ∈ [0, 1]` among the candidates (higher is
//! better):
//!
//! - **density** `d_cp` — how close the product is to what the country already makes (feasibility);
//! - **PCI** — how complex the product is (worth having);
//! - **COG** — how much making it would open up other complex products (strategic value);
//!
//! `score = (r_density + r_PCI + r_COG) / 3`. Complexity is computed on the same data's exports
//! ([`crate::screen::exports_of_year`]) with [`crate::complexity`]'s Stata conventions.

use serde::Serialize;

use crate::complexity::{self, Options};
use crate::screen::{self, Bilateral, Thresholds};
use crate::{Error, Result};

/// One opportunity.
#[derive(Debug, Clone, Serialize)]
pub struct Opportunity {
    /// Product index.
    pub product: usize,
    /// The combined score in `[0, 1]`.
    pub score: f64,
    /// `d_cp`.
    pub density: f64,
    /// PCI.
    pub pci: f64,
    /// COG.
    pub cog: f64,
    /// The screen's numbers for the product.
    pub screened: screen::Screened,
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

/// Ranks the opportunities of `country` (a country index) in `year`.
pub fn rank(b: &Bilateral, country: usize, year: i32, th: &Thresholds) -> Result<Vec<Opportunity>> {
    let dep: Vec<screen::Screened> = screen::screen(b, &[country], &[], th)
        .into_iter()
        .filter(|s| s.year == year && s.dependent)
        .collect();
    let x = screen::exports_of_year(b, year);
    let np = x.products.len();
    let o = Options {
        proximity: false,
        ..Options::default()
    };
    let c = complexity::compute(&x, &o)
        .map_err(|e| Error::Invalid(format!("complexity of {year}: {e}")))?;
    let mut cand: Vec<(f64, f64, f64, screen::Screened)> = dep
        .into_iter()
        .filter_map(|s| {
            let k = country * np + s.product;
            if c.m[k] {
                return None;
            }
            Some((c.density[k]?, c.pci[s.product]?, c.cog[k]?, s))
        })
        .collect();
    let rd = pct_rank(&cand.iter().map(|c| c.0).collect::<Vec<_>>());
    let rp = pct_rank(&cand.iter().map(|c| c.1).collect::<Vec<_>>());
    let rg = pct_rank(&cand.iter().map(|c| c.2).collect::<Vec<_>>());
    let mut out: Vec<Opportunity> = cand
        .drain(..)
        .enumerate()
        .map(|(i, (d, p, g, s))| Opportunity {
            product: s.product,
            score: (rd[i] + rp[i] + rg[i]) / 3.0,
            density: d,
            pci: p,
            cog: g,
            screened: s,
        })
        .collect();
    out.sort_by(|a, b| b.score.total_cmp(&a.score));
    Ok(out)
}
