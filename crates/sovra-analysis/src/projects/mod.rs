//! What an import-substitution project does through the supply chain: how much of their value added it
//! takes out of our final products (dependence cut), how much value added it brings us, and what the chosen
//! portfolio does when all its projects are built at once ([`select`] picks the portfolio).
//!
//! A project builds `capacity` of sector `s` in host region `h`, to replace the purchases that buyer regions
//! `B` (`serves`) make of product `s` from origin regions `O` (`replaces`; `O` excludes `h` and `B`). The
//! substitutable imports are `S = Σ_{o∈O} Σ_{j∈B} Z_(o,s),j` plus `Σ_{o∈O} Σ_{d∈B} Y_(o,s),d` where the table
//! splits final demand by destination. The project substitutes `q = min(capacity, S)`: every one of those
//! flows is multiplied by `1 − f`, `f = q / S`, and what is removed is bought from `(h, s)` instead (same
//! buyer, same column). Coefficients are recomputed with the original output (`A' = Z' x̂⁻¹`): column sums of
//! `A` and value-added shares `ν` are unchanged, final demand per node is `y' = Y'1`, and `x' = (I − A')⁻¹ y'`.
//!
//! Effects against "them" `T` for "us" `U` (in the table's unit):
//! - **dependence cut** `ΔD = D − D'`, `D = Σ_{i∈T} Σ_{j∈U} ν_i L_ij y_j`: their value added embodied in the
//!   final products of our industries, with `L'`, `y'` for `D'`;
//! - **value added gained** `ΔV = Σ_{j∈U} ν_j (x'_j − x_j)`.
//!
//! A project changes `A` by `ΔA = P Qᵀ` where `P = [e_(h,s), e_(o₁,s), …]` holds one unit column per node whose
//! sales change and `Qᵀ` the changed coefficients (`f Σ_o a_o` on the host's row, `−f a_o` on each origin's,
//! `a_o` the row `(o, s)` of `A` over the buyers' columns); final demand changes by `Δy = P c`. By the
//! Sherman–Morrison–Woodbury identity `L' = L + L P (I − Qᵀ L P)⁻¹ Qᵀ L`, so for any right-hand side `b`
//! changed by `P c`, `L' b' = L b + L P u` with `u = (I − Qᵀ L P)⁻¹ (Qᵀ L b + c)`. One evaluation needs the
//! columns of `L` at the project's nodes (shared by every project of the same sector: solved once, grouped)
//! and two solves shared by all projects (`Lᵀ ν_T`, `L y_U`); then each project costs a dense
//! system of the size of its origin count. Every `x'` is checked against the changed system (residual
//! reported).
//!
//! [`joint`] builds the changed table of several projects at once (their changes to `A` added up, each flow
//! removed at most once) and solves it afresh; the difference to the sum of individual effects is the
//! interaction of the projects through the inverse.

pub mod select;

use std::collections::{BTreeMap, HashMap};

use rayon::prelude::*;
use serde::Serialize;
use sovra_core::faer::Mat;
use sovra_core::faer::linalg::solvers::Solve;
use sovra_core::{Dense, LeontiefSystem, Mrio, Side, SolveReport};

use crate::{Error, Result};

/// A candidate project, resolved on a table (regions and sectors as indices).
#[derive(Debug, Clone, PartialEq)]
pub struct Project {
    /// Unique id.
    pub id: String,
    /// Human name.
    pub name: String,
    /// Region where the capacity is built.
    pub host: usize,
    /// Sector of what it makes.
    pub sector: usize,
    /// Output per year, in the table's unit.
    pub capacity: f64,
    /// Investment, in the table's unit.
    pub cost: f64,
    /// Cost shares by payer (names are free: countries, funds, banks), summing to 1.
    pub payers: Vec<(String, f64)>,
    /// Buyer regions whose purchases it replaces (`B`).
    pub serves: Vec<usize>,
    /// Origin regions whose supply it replaces (`O`; neither the host nor a buyer).
    pub replaces: Vec<usize>,
    /// Indices of projects this one needs.
    pub requires: Vec<usize>,
    /// Indices of projects that exclude this one.
    pub excludes: Vec<usize>,
}

/// Us and them as region index sets (either may overlap the projects' regions).
#[derive(Debug, Clone, PartialEq)]
pub struct Sides {
    /// Our regions `U`.
    pub us: Vec<usize>,
    /// Their regions `T`.
    pub them: Vec<usize>,
}

/// One project's change to the table: the flows it moves.
#[derive(Debug, Clone)]
struct Change {
    /// Host node `(h, s)`.
    host: usize,
    /// Origin nodes `(o, s)` with something to substitute.
    origins: Vec<usize>,
    /// Buyer nodes (columns of `Z`).
    buyers: Vec<usize>,
    /// Buyer final-demand columns (when the table splits final demand by destination).
    fd_columns: Vec<usize>,
    /// Substitutable imports `S`.
    substitutable: f64,
    /// Substituted amount `q`.
    substituted: f64,
    /// `f = q / S`.
    fraction: f64,
    /// The project's capacity.
    capacity: f64,
}

impl Change {
    fn of(t: &Mrio, p: &Project, fd_dest: Option<&[usize]>) -> Change {
        let ns = t.labels.sectors.len();
        let host = p.host * ns + p.sector;
        let buyers: Vec<usize> = p
            .serves
            .iter()
            .flat_map(|&b| (b * ns)..((b + 1) * ns))
            .collect();
        let fd_columns: Vec<usize> = match fd_dest {
            Some(dest) => (0..dest.len())
                .filter(|&d| p.serves.contains(&dest[d]))
                .collect(),
            None => Vec::new(),
        };
        let mut origins = Vec::new();
        let mut substitutable = 0.0;
        for &o in &p.replaces {
            let i = o * ns + p.sector;
            let zr = t.z.row(i);
            let yr = t.y.row(i);
            let flow: f64 = buyers.iter().map(|&j| zr[j]).sum::<f64>()
                + fd_columns.iter().map(|&d| yr[d]).sum::<f64>();
            if flow > 0.0 {
                origins.push(i);
                substitutable += flow;
            }
        }
        let substituted = p.capacity.max(0.0).min(substitutable);
        let fraction = if substitutable > 0.0 {
            substituted / substitutable
        } else {
            0.0
        };
        Change {
            host,
            origins,
            buyers,
            fd_columns,
            substitutable,
            substituted,
            fraction,
            capacity: p.capacity,
        }
    }

    /// The nodes of `P`: the host, then the origins.
    fn nodes(&self) -> Vec<usize> {
        std::iter::once(self.host)
            .chain(self.origins.iter().copied())
            .collect()
    }

    /// `Qᵀ` as rows over the buyer columns (row 0 the host's, then one per origin), and `c` (`Δy = P c`).
    fn q_and_c(&self, t: &Mrio) -> (Vec<Vec<f64>>, Vec<f64>) {
        let f = self.fraction;
        let m = self.origins.len();
        let mut q = vec![vec![0.0; self.buyers.len()]; m + 1];
        let mut c = vec![0.0; m + 1];
        for (k, &i) in self.origins.iter().enumerate() {
            let zr = t.z.row(i);
            for (b, &j) in self.buyers.iter().enumerate() {
                let a = if t.x[j] != 0.0 { zr[j] / t.x[j] } else { 0.0 };
                q[k + 1][b] = -f * a;
                q[0][b] += f * a;
            }
            let yr = t.y.row(i);
            let moved: f64 = f * self.fd_columns.iter().map(|&d| yr[d]).sum::<f64>();
            c[k + 1] = -moved;
            c[0] += moved;
        }
        (q, c)
    }
}

/// The effects of one project on its own.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Effect {
    /// Substitutable imports `S`.
    pub substitutable: f64,
    /// Substituted amount `q = min(capacity, S)`.
    pub substituted: f64,
    /// Whether the capacity exceeds what there is to substitute.
    pub capacity_exceeds: bool,
    /// Dependence cut `ΔD = D − D'`.
    pub dependence_cut: f64,
    /// Value added gained by us, `ΔV`.
    pub value_added_gained: f64,
    /// Relative residual of `x'` in the changed system.
    pub residual: f64,
}

/// The effects of every project, each on its own, and the baseline they are measured from.
#[derive(Debug, Clone, Serialize)]
pub struct Evaluation {
    /// `D`: their value added embodied in our final products, before any project.
    pub dependence: f64,
    /// `Σ_{j∈U} v_j`: our value added before any project.
    pub value_added: f64,
    /// One per project, in the input order.
    pub effects: Vec<Effect>,
    /// Columns of `L` solved (the distinct nodes of every project's `P`).
    pub columns_solved: usize,
    /// The solves behind the evaluation.
    pub solves: Vec<SolveReport>,
    /// Largest relative residual of any project's `x'` in its changed system.
    pub max_residual: f64,
}

fn mask(t: &Mrio, regions: &[usize]) -> Vec<bool> {
    let ns = t.labels.sectors.len();
    let mut m = vec![false; t.n()];
    for &r in regions {
        for s in 0..ns {
            m[r * ns + s] = true;
        }
    }
    m
}

fn final_demand(t: &Mrio) -> Vec<f64> {
    t.y.row_sums()
}

/// Checks a project against the table (indices in range, the host outside `replaces`, buyers outside
/// `replaces`, non-negative finite capacity and cost).
pub fn check(t: &Mrio, p: &Project) -> Result<()> {
    let nr = t.labels.regions.len();
    let ns = t.labels.sectors.len();
    let bad = |what: String| Err(Error::Unsupported(format!("project '{}': {what}", p.id)));
    if p.host >= nr || p.sector >= ns {
        return bad("host or sector out of range".into());
    }
    if p.serves.iter().chain(&p.replaces).any(|&r| r >= nr) {
        return bad("a region out of range".into());
    }
    if p.replaces.contains(&p.host) {
        return bad("'replaces' contains the host".into());
    }
    if p.serves.iter().any(|r| p.replaces.contains(r)) {
        return bad("'replaces' overlaps 'serves'".into());
    }
    if !(p.capacity.is_finite() && p.capacity >= 0.0 && p.cost.is_finite() && p.cost >= 0.0) {
        return bad("capacity and cost must be finite and non-negative".into());
    }
    Ok(())
}

/// The effects of each project on its own (Woodbury updates of one factorised system; see the module
/// documentation). `done` is called with the number of projects evaluated so far.
pub fn evaluate(
    t: &Mrio,
    sys: &LeontiefSystem,
    projects: &[Project],
    sides: &Sides,
    done: &(dyn Fn(usize) + Sync),
) -> Result<Evaluation> {
    for p in projects {
        check(t, p)?;
    }
    let n = t.n();
    let nu = t.va_shares();
    let y = final_demand(t);
    let us = mask(t, &sides.us);
    let them = mask(t, &sides.them);
    let fd_dest = t.labels.fd_destinations();
    let changes: Vec<Change> = projects
        .iter()
        .map(|p| Change::of(t, p, fd_dest.as_deref()))
        .collect();

    // Shared solves: Lᵀ ν_T (transposed), L (y ∘ 1_U) (forward).
    let nu_t: Vec<f64> = (0..n).map(|i| if them[i] { nu[i] } else { 0.0 }).collect();
    let y_u: Vec<f64> = (0..n).map(|i| if us[i] { y[i] } else { 0.0 }).collect();
    let mut solves = Vec::new();
    let (tt, rep) = sys.solve(crate::columns(n, &[&nu_t]).as_ref(), Side::Transposed)?;
    solves.push(rep);
    let t_them: Vec<f64> = tt.col(0).iter().copied().collect();
    let (xu, rep) = sys.solve(crate::columns(n, &[&y_u]).as_ref(), Side::Forward)?;
    solves.push(rep);
    let x_u: Vec<f64> = xu.col(0).iter().copied().collect();
    let dependence: f64 = (0..n).map(|i| t_them[i] * y_u[i]).sum();
    let value_added: f64 = (0..n).filter(|&i| us[i]).map(|i| t.v[i]).sum();

    // Columns of L at every node of every project's P, solved together in groups.
    let mut wanted: Vec<usize> = changes
        .iter()
        .filter(|c| c.fraction > 0.0)
        .flat_map(|c| c.nodes())
        .collect();
    wanted.sort_unstable();
    wanted.dedup();
    let mut col_of: HashMap<usize, usize> = HashMap::with_capacity(wanted.len());
    let mut lcols: Vec<Vec<f64>> = Vec::with_capacity(wanted.len());
    const GROUP: usize = 256;
    for chunk in wanted.chunks(GROUP) {
        let e = Mat::<f64>::from_fn(n, chunk.len(), |i, k| (i == chunk[k]) as u8 as f64);
        let (l, rep) = sys.solve(e.as_ref(), Side::Forward)?;
        solves.push(rep);
        for (k, &node) in chunk.iter().enumerate() {
            col_of.insert(node, lcols.len());
            lcols.push(l.col(k).iter().copied().collect());
        }
    }

    let counter = std::sync::atomic::AtomicUsize::new(0);
    let results: Vec<(Effect, Option<Vec<f64>>)> = changes
        .par_iter()
        .map(|ch| {
            let out = one(t, ch, &col_of, &lcols, &x_u, &t_them, &us, &nu);
            let k = counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            if k % 16 == 0 || k == changes.len() {
                done(k);
            }
            out
        })
        .collect::<Result<Vec<_>>>()?;

    // Residuals of every x' in its own changed system, with one product of (I − A) for all of them.
    let changed: Vec<usize> = (0..results.len())
        .filter(|&k| results[k].1.is_some())
        .collect();
    let mut effects: Vec<Effect> = results.iter().map(|r| r.0.clone()).collect();
    let mut max_residual = 0.0f64;
    for group in changed.chunks(GROUP) {
        let xs = Mat::<f64>::from_fn(n, group.len(), |i, k| {
            results[group[k]].1.as_ref().map_or(0.0, |x| x[i])
        });
        let ax = sys.apply(xs.as_ref(), Side::Forward);
        for (k, &p) in group.iter().enumerate() {
            let ch = &changes[p];
            let (q, c) = ch.q_and_c(t);
            let mut r: Vec<f64> = (0..n).map(|i| ax[(i, k)] - y[i]).collect();
            // − P Qᵀ x' − P c
            for (row, &node) in ch.nodes().iter().enumerate() {
                let qx: f64 = ch
                    .buyers
                    .iter()
                    .enumerate()
                    .map(|(b, &j)| q[row][b] * xs[(j, k)])
                    .sum();
                r[node] -= qx + c[row];
            }
            let num: f64 = r.iter().map(|v| v * v).sum::<f64>().sqrt();
            let den: f64 = y.iter().map(|v| v * v).sum::<f64>().sqrt();
            let res = if den > 0.0 { num / den } else { num };
            effects[p].residual = res;
            max_residual = max_residual.max(res);
        }
    }
    if max_residual.is_nan() || max_residual > 1e-8 {
        return Err(Error::Unsupported(format!(
            "project evaluation is inaccurate: relative residual {max_residual:e}"
        )));
    }
    Ok(Evaluation {
        dependence,
        value_added,
        effects,
        columns_solved: wanted.len(),
        solves,
        max_residual,
    })
}

/// One project's effects from the columns of `L` at its nodes; also its `x'` (when it changes anything).
#[allow(clippy::too_many_arguments)]
fn one(
    t: &Mrio,
    ch: &Change,
    col_of: &HashMap<usize, usize>,
    lcols: &[Vec<f64>],
    x_u: &[f64],
    t_them: &[f64],
    us: &[bool],
    nu: &[f64],
) -> Result<(Effect, Option<Vec<f64>>)> {
    let mut effect = Effect {
        substitutable: ch.substitutable,
        substituted: ch.substituted,
        capacity_exceeds: ch.capacity > ch.substitutable,
        dependence_cut: 0.0,
        value_added_gained: 0.0,
        residual: 0.0,
    };
    if ch.fraction == 0.0 {
        return Ok((effect, None));
    }
    let nodes = ch.nodes();
    let p = nodes.len();
    let lp: Vec<&[f64]> = nodes
        .iter()
        .map(|node| lcols[col_of[node]].as_slice())
        .collect();
    let (q, c) = ch.q_and_c(t);
    // I − Qᵀ L P over the buyers' rows of L P.
    let k = Mat::<f64>::from_fn(p, p, |a, b| {
        let s: f64 = ch
            .buyers
            .iter()
            .enumerate()
            .map(|(bi, &j)| q[a][bi] * lp[b][j])
            .sum();
        (a == b) as u8 as f64 - s
    });
    let lu = k.partial_piv_lu();
    let rhs = |lb: &[f64], c: &[f64]| -> Mat<f64> {
        Mat::<f64>::from_fn(p, 1, |a, _| {
            ch.buyers
                .iter()
                .enumerate()
                .map(|(bi, &j)| q[a][bi] * lb[j])
                .sum::<f64>()
                + c[a]
        })
    };
    // x' = x + L P u_x, u_x = (I − QᵀLP)⁻¹ (Qᵀ x + c).
    let mut ux = rhs(&t.x, &c);
    lu.solve_in_place(ux.as_mut());
    // D' = D + (Lᵀν_T)[P] · u_D, u_D = (I − QᵀLP)⁻¹ (Qᵀ L y_U + c ∘ 1_U[P]).
    let c_u: Vec<f64> = nodes
        .iter()
        .zip(&c)
        .map(|(&node, &v)| if us[node] { v } else { 0.0 })
        .collect();
    let mut ud = rhs(x_u, &c_u);
    lu.solve_in_place(ud.as_mut());
    let (mut dd, mut dv) = (0.0, 0.0);
    for a in 0..p {
        dd += t_them[nodes[a]] * ud[(a, 0)];
    }
    let n = t.n();
    let mut x1 = t.x.clone();
    for (a, col) in lp.iter().enumerate() {
        let w = ux[(a, 0)];
        for i in 0..n {
            x1[i] += col[i] * w;
        }
    }
    for i in 0..n {
        if us[i] {
            dv += nu[i] * (x1[i] - t.x[i]);
        }
    }
    if !(dd.is_finite() && dv.is_finite()) {
        return Err(Error::Unsupported(
            "a project's update is singular (I − QᵀLP)".into(),
        ));
    }
    effect.dependence_cut = -dd;
    effect.value_added_gained = dv;
    Ok((effect, Some(x1)))
}

/// The table after building `projects` at once: every flow they replace is reduced by the sum of their
/// fractions (at most the whole flow: where projects together would remove more, each removes its share of
/// the flow in proportion to its fraction; `overlaps` counts such flows), the removed amounts are bought
/// from each project's host, and coefficients are recomputed with the original output.
#[derive(Debug, Clone)]
pub struct Changed {
    /// `A'`.
    pub a: Dense,
    /// `Y'`.
    pub y: Dense,
    /// Flows that more than one project would remove entirely or more.
    pub overlaps: usize,
    /// Substituted amount per project.
    pub substituted: Vec<f64>,
}

/// Builds `A'` and `Y'` for several projects at once (see [`Changed`]).
pub fn change(t: &Mrio, projects: &[&Project]) -> Result<Changed> {
    for p in projects {
        check(t, p)?;
    }
    let n = t.n();
    let fd_dest = t.labels.fd_destinations();
    let changes: Vec<Change> = projects
        .iter()
        .map(|p| Change::of(t, p, fd_dest.as_deref()))
        .collect();
    // Total fraction removed per flow.
    let mut zfrac: BTreeMap<(usize, usize), f64> = BTreeMap::new();
    let mut yfrac: BTreeMap<(usize, usize), f64> = BTreeMap::new();
    for ch in &changes {
        for &i in &ch.origins {
            for &j in &ch.buyers {
                if t.z.get(i, j) != 0.0 {
                    *zfrac.entry((i, j)).or_default() += ch.fraction;
                }
            }
            for &d in &ch.fd_columns {
                if t.y.get(i, d) != 0.0 {
                    *yfrac.entry((i, d)).or_default() += ch.fraction;
                }
            }
        }
    }
    let overlaps = zfrac
        .values()
        .chain(yfrac.values())
        .filter(|f| **f > 1.0 + 1e-12)
        .count();
    let mut z = t.z.clone();
    let mut y = t.y.clone();
    let mut substituted = vec![0.0; changes.len()];
    for (k, ch) in changes.iter().enumerate() {
        for &i in &ch.origins {
            for &j in &ch.buyers {
                let Some(&total) = zfrac.get(&(i, j)) else {
                    continue;
                };
                let scale = total.max(1.0);
                let moved = ch.fraction / scale * t.z.get(i, j);
                z.data[i * n + j] -= moved;
                z.data[ch.host * n + j] += moved;
                substituted[k] += moved;
            }
            for &d in &ch.fd_columns {
                let Some(&total) = yfrac.get(&(i, d)) else {
                    continue;
                };
                let scale = total.max(1.0);
                let moved = ch.fraction / scale * t.y.get(i, d);
                let kc = y.cols;
                y.data[i * kc + d] -= moved;
                y.data[ch.host * kc + d] += moved;
                substituted[k] += moved;
            }
        }
    }
    // Exact zeros where a flow was removed entirely (no rounding residue).
    for (&(i, j), &f) in &zfrac {
        if f >= 1.0 {
            z.data[i * n + j] = 0.0;
        }
    }
    for (&(i, d), &f) in &yfrac {
        if f >= 1.0 {
            let kc = y.cols;
            y.data[i * kc + d] = 0.0;
        }
    }
    let mut a = z;
    for i in 0..n {
        let row = &mut a.data[i * n..(i + 1) * n];
        for (j, v) in row.iter_mut().enumerate() {
            *v = if t.x[j] != 0.0 { *v / t.x[j] } else { 0.0 };
        }
    }
    Ok(Changed {
        a,
        y,
        overlaps,
        substituted,
    })
}

/// The effects of several projects built at once, solved afresh on the changed table.
#[derive(Debug, Clone, Serialize)]
pub struct Joint {
    /// Dependence cut of the portfolio.
    pub dependence_cut: f64,
    /// Value added gained by us.
    pub value_added_gained: f64,
    /// Substituted amount per project (the portfolio's, after any overlap).
    pub substituted: Vec<f64>,
    /// Flows that more than one project would remove entirely or more.
    pub overlaps: usize,
    /// Output after the projects, `x'`.
    #[serde(skip)]
    pub x: Vec<f64>,
    /// The solves (and their residuals).
    pub solves: Vec<SolveReport>,
}

/// Solves the changed table of `projects` (see [`change`]) afresh and measures the effects against the table
/// solved with `base` (the table's own system).
pub fn joint(
    t: &Mrio,
    base: &LeontiefSystem,
    projects: &[&Project],
    sides: &Sides,
) -> Result<Joint> {
    let n = t.n();
    let ch = change(t, projects)?;
    let nu = t.va_shares();
    let us = mask(t, &sides.us);
    let them = mask(t, &sides.them);
    let y0 = final_demand(t);
    let y1 = ch.y.row_sums();
    let after = LeontiefSystem::from_coefficients(ch.a.clone(), Some(t.labels.clone()))?;
    let nu_t: Vec<f64> = (0..n).map(|i| if them[i] { nu[i] } else { 0.0 }).collect();
    let mut solves = Vec::new();
    let mut measure = |sys: &LeontiefSystem, y: &[f64]| -> Result<(f64, Vec<f64>)> {
        let y_u: Vec<f64> = (0..n).map(|i| if us[i] { y[i] } else { 0.0 }).collect();
        let (w, r1) = sys.solve(crate::columns(n, &[&nu_t]).as_ref(), Side::Transposed)?;
        let (x, r2) = sys.solve(crate::columns(n, &[y]).as_ref(), Side::Forward)?;
        solves.push(r1);
        solves.push(r2);
        let d: f64 = (0..n).map(|i| w[(i, 0)] * y_u[i]).sum();
        Ok((d, x.col(0).iter().copied().collect()))
    };
    let (d0, x0) = measure(base, &y0)?;
    let (d1, x1) = measure(&after, &y1)?;
    let dv: f64 = (0..n)
        .filter(|&i| us[i])
        .map(|i| nu[i] * (x1[i] - x0[i]))
        .sum();
    Ok(Joint {
        dependence_cut: d0 - d1,
        value_added_gained: dv,
        substituted: ch.substituted,
        overlaps: ch.overlaps,
        x: x1,
        solves,
    })
}

/// The table after the projects, balanced at the new output: `Z'' = A' x̂'`, `Y'`, `x'` (for running a
/// shock scenario on the economy with the projects built).
pub fn changed_table(t: &Mrio, projects: &[&Project]) -> Result<Mrio> {
    let n = t.n();
    let ch = change(t, projects)?;
    let after = LeontiefSystem::from_coefficients(ch.a.clone(), Some(t.labels.clone()))?;
    let y1 = ch.y.row_sums();
    let (x, _) = after.solve(crate::columns(n, &[&y1]).as_ref(), Side::Forward)?;
    let mut z = ch.a;
    for i in 0..n {
        let row = &mut z.data[i * n..(i + 1) * n];
        for (j, v) in row.iter_mut().enumerate() {
            *v *= x[(j, 0)].max(0.0);
        }
    }
    let mut provenance = t.provenance.clone();
    provenance.notes = format!(
        "{}{}with {} project(s) built",
        provenance.notes,
        if provenance.notes.is_empty() {
            ""
        } else {
            "; "
        },
        projects.len()
    );
    let parts = sovra_core::Parts {
        labels: t.labels.clone(),
        z,
        y: ch.y,
        x: None,
        v: None,
        f: None,
        f_y: None,
        provenance,
    };
    Ok(Mrio::from_parts(
        parts,
        sovra_core::BalanceTolerance::default(),
    )?)
}

/// The groups of projects that compete for the same imports, for [`select::Limits::pools`]: for every flow
/// (an origin node's sales to one buyer region, intermediate or final) that more than one project would
/// replace, and that they could together replace more than once, the projects with the share `f_k` of that
/// flow each replaces. Groups with the same members and shares are given once.
pub fn pools(t: &Mrio, projects: &[Project]) -> Vec<Vec<(usize, f64)>> {
    let fd_dest = t.labels.fd_destinations();
    let mut by_flow: BTreeMap<(usize, usize), Vec<(usize, f64)>> = BTreeMap::new();
    for (k, p) in projects.iter().enumerate() {
        let ch = Change::of(t, p, fd_dest.as_deref());
        if ch.fraction == 0.0 {
            continue;
        }
        for &i in &ch.origins {
            for &b in &p.serves {
                by_flow.entry((i, b)).or_default().push((k, ch.fraction));
            }
        }
    }
    let mut out: Vec<Vec<(usize, f64)>> = by_flow
        .into_values()
        .filter(|g| g.len() > 1 && g.iter().map(|(_, f)| f).sum::<f64>() > 1.0 + 1e-12)
        .collect();
    out.sort_by(|a, b| {
        a.iter()
            .map(|(k, _)| *k)
            .cmp(b.iter().map(|(k, _)| *k))
            .then(a.len().cmp(&b.len()))
    });
    out.dedup();
    out
}
