//! Chains of cooperation: for what "us" buys from "them", sector by sector, which candidate partners could
//! supply it instead, and which sets of partners could replace the most.
//!
//! For our regions `U`, their regions `T`, a candidate region `p` and a sector `s` (nodes `(c, s)`):
//!
//! - **our imports from them** `M_s = Σ_{o∈T} Σ_{j∈U} Z_(o,s),j + Σ_{o∈T} Σ_{d∈U} Y_(o,s),d`, the second sum
//!   only where the table splits final demand by destination (otherwise intermediate imports alone);
//! - **the candidate's exports** `E_ps = Σ_{j∉p} Z_(p,s),j + Σ_{d≠p} Y_(p,s),d` — what `p` sells of `s` to
//!   every region but itself (to us and to them included), again with final demand only where it is split;
//! - **coverage** `c_ps = min(1, E_ps / M_s)`: the share of our imports from them that `p`'s present exports
//!   could cover if all were redirected to us (null where `M_s = 0`);
//! - **already bought** `B_ps = Σ_{j∈U} Z_(p,s),j (+ Σ_{d∈U} Y_(p,s),d)`: what we buy from `p` today;
//! - totals weighted by our imports: covered imports `Σ_s min(M_s, E_ps)` and coverage
//!   `Σ_s min(M_s, E_ps) / Σ_s M_s`.
//!
//! A **partner set** `S` covers `C(S) = Σ_s min(M_s, Σ_{p∈S} E_ps)`: the exports of its members pooled,
//! capped per sector at what we import from them. [`best_sets`] ranks the sets of at most `k` members by
//! `C(S)`. It enumerates them all when there are at most [`EXACT_LIMIT`] such sets (the answer is exact);
//! beyond, it builds the greedy chain (each step adds the member that raises `C` most). `C` is monotone and
//! submodular (a sum over sectors of a concave function of a sum of non-negative terms), so the greedy set of
//! size `k` covers at least `(1 − 1/e) ≈ 63 %` of the best set of size `k` (Nemhauser, Wolsey & Fisher 1978);
//! [`BestSets::upper_bound`] bounds the best from above.
//!
//! These are capacity figures, not forecasts: present exports are a ceiling of what a partner could redirect
//! at once, with no new capacity, and a sector of the table lumps many products. Whether the supply chain
//! holds once them stop trading with us is the shock engine's question (the restricted-rerouting runs of
//! `sovra alliances`, `shock::run_with`).

use serde::Serialize;
use sovra_core::{Error, Mrio};

use crate::Result;

/// At most this many sets are enumerated (sizes 1 to `k` together); beyond, [`best_sets`] is greedy.
pub const EXACT_LIMIT: u64 = 2_000_000;

/// One candidate partner's figures, per sector (in the table's sector order) and in total.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    /// Region code.
    pub region: String,
    /// Region index in the table.
    pub index: usize,
    /// `E_ps`: its exports of each sector to every region but itself.
    pub exports: Vec<f64>,
    /// `B_ps`: what we already buy from it, per sector.
    pub already: Vec<f64>,
    /// `Σ_s min(M_s, E_ps)`.
    pub covered: f64,
    /// `covered / Σ_s M_s` (0 when we import nothing from them).
    pub coverage: f64,
    /// `Σ_s B_ps`.
    pub already_total: f64,
}

/// What we buy from them, and what each candidate could cover of it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Coverage {
    /// Sector codes, in the table's order (product codes from [`Coverage::from_flows`]).
    pub sectors: Vec<String>,
    /// `M_s`: our imports from them per sector (intermediate plus final where split).
    pub imports: Vec<f64>,
    /// The intermediate part of `M_s` (empty from [`Coverage::from_flows`]).
    pub imports_intermediate: Vec<f64>,
    /// `Σ_s M_s`.
    pub total_imports: f64,
    /// Whether final demand is split by destination (then `M`, `E` and `B` include final products).
    pub final_demand_by_destination: bool,
    /// The candidates, in the order given.
    pub candidates: Vec<Candidate>,
}

/// The regions of each side of the question, as region indices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sides<'a> {
    /// Us.
    pub us: &'a [usize],
    /// Them.
    pub them: &'a [usize],
    /// The candidate partners.
    pub candidates: &'a [usize],
}

impl Sides<'_> {
    /// Checks that every side is non-empty, within the table, and that the candidates are neither us nor them
    /// and us and them are disjoint; the error names the side at fault.
    pub fn check(&self, nr: usize) -> Result<()> {
        let named = [
            ("us", self.us),
            ("them", self.them),
            ("candidates", self.candidates),
        ];
        for (name, side) in named {
            if side.is_empty() {
                return Err(Error::Request(format!("{name}: no region")).into());
            }
            if let Some(bad) = side.iter().find(|&&r| r >= nr) {
                return Err(Error::Request(format!(
                    "{name}: region index {bad} out of range ({nr} regions)"
                ))
                .into());
            }
        }
        if let Some(r) = self.us.iter().find(|r| self.them.contains(r)) {
            return Err(Error::Request(format!("them: region {r} is also in us")).into());
        }
        if let Some(r) = self
            .candidates
            .iter()
            .find(|r| self.us.contains(r) || self.them.contains(r))
        {
            return Err(
                Error::Request(format!("candidates: region {r} is also in us or them")).into(),
            );
        }
        Ok(())
    }
}

/// Our imports from them and every candidate's exports, per sector.
pub fn coverage(t: &Mrio, sides: &Sides) -> Result<Coverage> {
    let (nr, ns) = (t.labels.regions.len(), t.labels.sectors.len());
    sides.check(nr)?;
    let n = t.n();
    let dest = t.labels.fd_destinations();
    let in_us = |c: usize| sides.us.contains(&c);
    // Sales of node i to the regions `to` accepts: intermediate (columns) and final (destinations).
    let sales = |i: usize, to: &dyn Fn(usize) -> bool| -> (f64, f64) {
        let row = t.z.row(i);
        let inter: f64 = (0..nr)
            .filter(|&c| to(c))
            .map(|c| row[c * ns..(c + 1) * ns].iter().sum::<f64>())
            .sum();
        let fin = match &dest {
            Some(d) => {
                t.y.row(i)
                    .iter()
                    .zip(d)
                    .filter(|(_, c)| to(**c))
                    .map(|(v, _)| v)
                    .sum()
            }
            None => 0.0,
        };
        (inter, fin)
    };
    debug_assert_eq!(n, nr * ns);
    let mut imports = vec![0.0; ns];
    let mut imports_intermediate = vec![0.0; ns];
    for &o in sides.them {
        for s in 0..ns {
            let (inter, fin) = sales(o * ns + s, &in_us);
            imports_intermediate[s] += inter;
            imports[s] += inter + fin;
        }
    }
    let total_imports: f64 = imports.iter().sum();
    let candidates = sides
        .candidates
        .iter()
        .map(|&p| {
            let not_p = |c: usize| c != p;
            let exports: Vec<f64> = (0..ns)
                .map(|s| {
                    let (a, b) = sales(p * ns + s, &not_p);
                    a + b
                })
                .collect();
            let already: Vec<f64> = (0..ns)
                .map(|s| {
                    let (a, b) = sales(p * ns + s, &in_us);
                    a + b
                })
                .collect();
            candidate(
                CandidateFlows {
                    region: t.labels.regions[p].code.clone(),
                    index: p,
                    exports,
                    already,
                },
                &imports,
                total_imports,
            )
        })
        .collect();
    Ok(Coverage {
        sectors: t.labels.sectors.iter().map(|s| s.code.clone()).collect(),
        imports,
        imports_intermediate,
        total_imports,
        final_demand_by_destination: dest.is_some(),
        candidates,
    })
}

/// One candidate's flows, summed elsewhere, for [`Coverage::from_flows`].
#[derive(Debug, Clone, PartialEq)]
pub struct CandidateFlows {
    /// Its code.
    pub region: String,
    /// Its index in the data the flows come from.
    pub index: usize,
    /// `E_p·`: its exports of each item to everyone but itself.
    pub exports: Vec<f64>,
    /// `B_p·`: what we already buy of each item from it.
    pub already: Vec<f64>,
}

/// A candidate's totals from its flows.
fn candidate(f: CandidateFlows, imports: &[f64], total_imports: f64) -> Candidate {
    let covered: f64 = imports.iter().zip(&f.exports).map(|(m, e)| m.min(*e)).sum();
    Candidate {
        region: f.region,
        index: f.index,
        covered,
        coverage: if total_imports > 0.0 {
            covered / total_imports
        } else {
            0.0
        },
        already_total: f.already.iter().sum(),
        exports: f.exports,
        already: f.already,
    }
}

impl Coverage {
    /// A coverage from flows summed elsewhere — product-level trade, where `sovra alliances` gives the same
    /// figures at HS6 with products in place of sectors: `items` (the codes), `M` per item, and each
    /// candidate's `E` and `B`. Totals, covers and [`best_sets`] are those of [`coverage`]. Trade has no
    /// intermediate/final split: `imports_intermediate` is empty and `final_demand_by_destination` is true
    /// (every flow is counted). Every vector must have one value per item, finite and non-negative.
    pub fn from_flows(
        items: Vec<String>,
        imports: Vec<f64>,
        candidates: Vec<CandidateFlows>,
    ) -> Result<Coverage> {
        let n = items.len();
        let bad = |v: &[f64]| v.len() != n || v.iter().any(|x| !(x.is_finite() && *x >= 0.0));
        if bad(&imports) {
            return Err(Error::Request(format!(
                "imports: {} values for {n} items, or a value negative or not finite",
                imports.len()
            ))
            .into());
        }
        if let Some(c) = candidates
            .iter()
            .find(|c| bad(&c.exports) || bad(&c.already))
        {
            return Err(Error::Request(format!(
                "candidates: {}: exports or purchases not one finite, non-negative value per item",
                c.region
            ))
            .into());
        }
        let total_imports: f64 = imports.iter().sum();
        let candidates = candidates
            .into_iter()
            .map(|c| candidate(c, &imports, total_imports))
            .collect();
        Ok(Coverage {
            sectors: items,
            imports,
            imports_intermediate: Vec::new(),
            total_imports,
            final_demand_by_destination: true,
            candidates,
        })
    }

    /// `min(1, E / M)`, or `None` where we import nothing of the sector from them.
    pub fn share(&self, candidate: usize, sector: usize) -> Option<f64> {
        let m = self.imports[sector];
        (m > 0.0).then(|| (self.candidates[candidate].exports[sector] / m).min(1.0))
    }

    /// `C(S) = Σ_s min(M_s, Σ_{p∈S} E_ps)` for a set of candidates (indices into [`Coverage::candidates`]).
    pub fn covered(&self, set: &[usize]) -> f64 {
        (0..self.imports.len())
            .map(|s| {
                let pooled = set
                    .iter()
                    .fold(0.0, |a, &p| a + self.candidates[p].exports[s]);
                self.imports[s].min(pooled)
            })
            .sum()
    }
}

/// A set of partners and what it covers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PartnerSet {
    /// Indices into [`Coverage::candidates`], ascending.
    pub members: Vec<usize>,
    /// `C(S)`.
    pub covered: f64,
    /// `C(S) / Σ_s M_s`.
    pub coverage: f64,
}

/// How [`best_sets`] found its sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SetMethod {
    /// Every set of at most `k` members was evaluated.
    Exact,
    /// The greedy chain (sizes 1 to `k`), each within `1 − 1/e` of the best of its size.
    Greedy,
}

/// The best partner sets.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BestSets {
    /// Ranked by covered imports, descending (ties: fewer members first, then the candidates' order).
    pub sets: Vec<PartnerSet>,
    /// How they were found.
    pub method: SetMethod,
    /// How many sets were evaluated.
    pub evaluated: u64,
    /// An upper bound on the best `C(S)` with at most `k` members: the best found when exact; else the least
    /// of `Σ_s M_s`, the sum of the `k` largest single-candidate covers, and the greedy value over `1 − 1/e`.
    pub upper_bound: f64,
}

/// The number of sets of 1 to `k` members out of `n` (saturating).
pub fn set_count(n: usize, k: usize) -> u64 {
    let mut total: u64 = 0;
    let mut binom: u64 = 1;
    for j in 1..=k.min(n) {
        // C(n, j) = C(n, j − 1) (n − j + 1) / j, exact in u128.
        binom = ((binom as u128 * (n - j + 1) as u128) / j as u128).min(u64::MAX as u128) as u64;
        total = total.saturating_add(binom);
    }
    total
}

/// The best sets of at most `k` candidates by covered imports, the `top` first (see the module
/// documentation for the method). `k` must be at least 1.
pub fn best_sets(cov: &Coverage, k: usize, top: usize) -> Result<BestSets> {
    best_sets_within(cov, k, top, EXACT_LIMIT)
}

/// [`best_sets`], enumerating when there are at most `exact_limit` sets (0: always greedy).
pub fn best_sets_within(
    cov: &Coverage,
    k: usize,
    top: usize,
    exact_limit: u64,
) -> Result<BestSets> {
    if k == 0 {
        return Err(Error::Request("size: a partner set needs at least 1 member".into()).into());
    }
    let n = cov.candidates.len();
    let k = k.min(n);
    let top = top.max(1);
    let total = cov.total_imports;
    let make = |members: Vec<usize>, covered: f64| PartnerSet {
        members,
        covered,
        coverage: if total > 0.0 { covered / total } else { 0.0 },
    };
    let count = set_count(n, k);
    if count <= exact_limit {
        let mut found: Vec<PartnerSet> = Vec::new();
        // The pooled exports of the members so far, one level per member (no running subtraction: a set's
        // figure is the same sum, in the same order, as `Coverage::covered` gives).
        let mut pooled = vec![vec![0.0; cov.imports.len()]; k + 1];
        let mut members = Vec::with_capacity(k);
        let mut evaluated = 0;
        enumerate(
            cov,
            k,
            0,
            &mut members,
            &mut pooled,
            &mut |m: &[usize], c: f64| {
                evaluated += 1;
                found.push(make(m.to_vec(), c));
                if found.len() >= 4 * top + 64 {
                    rank(&mut found);
                    found.truncate(top);
                }
            },
        );
        rank(&mut found);
        found.truncate(top);
        let upper_bound = found.first().map_or(0.0, |s| s.covered);
        return Ok(BestSets {
            sets: found,
            method: SetMethod::Exact,
            evaluated,
            upper_bound,
        });
    }
    // Greedy chain.
    let mut chosen: Vec<usize> = Vec::with_capacity(k);
    let mut chain = Vec::with_capacity(k);
    let mut evaluated = 0;
    for _ in 0..k {
        let mut best: Option<(usize, f64)> = None;
        for p in (0..n).filter(|p| !chosen.contains(p)) {
            let mut trial = chosen.clone();
            trial.push(p);
            let c = cov.covered(&trial);
            evaluated += 1;
            if best.is_none_or(|(_, b)| c > b) {
                best = Some((p, c));
            }
        }
        let Some((p, c)) = best else { break };
        chosen.push(p);
        let mut members = chosen.clone();
        members.sort_unstable();
        chain.push(make(members, c));
    }
    let greedy = chain.last().map_or(0.0, |s| s.covered);
    let mut singles: Vec<f64> = cov.candidates.iter().map(|c| c.covered).collect();
    singles.sort_by(|a, b| b.total_cmp(a));
    let upper_bound = total
        .min(singles.iter().take(k).sum())
        .min(greedy / (1.0 - (-1.0f64).exp()));
    rank(&mut chain);
    chain.truncate(top);
    Ok(BestSets {
        sets: chain,
        method: SetMethod::Greedy,
        evaluated,
        upper_bound,
    })
}

/// Every set of at most `k` members that extends `members` with candidates from `from` on; `pooled[d]` holds
/// the pooled exports of the first `d` members.
fn enumerate(
    cov: &Coverage,
    k: usize,
    from: usize,
    members: &mut Vec<usize>,
    pooled: &mut [Vec<f64>],
    visit: &mut dyn FnMut(&[usize], f64),
) {
    let depth = members.len();
    for p in from..cov.candidates.len() {
        let (below, above) = pooled.split_at_mut(depth + 1);
        let (base, next) = (&below[depth], &mut above[0]);
        for ((a, b), e) in next.iter_mut().zip(base).zip(&cov.candidates[p].exports) {
            *a = b + e;
        }
        members.push(p);
        let covered: f64 = cov
            .imports
            .iter()
            .zip(next.iter())
            .map(|(m, e)| m.min(*e))
            .sum();
        visit(members, covered);
        if members.len() < k {
            enumerate(cov, k, p + 1, members, pooled, visit);
        }
        members.pop();
    }
}

/// Covered descending, then fewer members, then the members in the candidates' order.
fn rank(sets: &mut [PartnerSet]) {
    sets.sort_by(|a, b| {
        b.covered
            .total_cmp(&a.covered)
            .then(a.members.len().cmp(&b.members.len()))
            .then_with(|| a.members.cmp(&b.members))
    });
}
