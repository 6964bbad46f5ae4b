//! Which projects to fund: the portfolio that maximises the sum of the chosen projects' effects under a
//! total budget and per-payer budgets, with precedences, exclusions, forced choices, and a limit on every
//! flow of imports that several projects would replace — a mixed-integer linear programme solved by a
//! maintained solver (`good_lp` with its pure-Rust `microlp` backend by default, or HiGHS when built with the
//! `highs` feature and asked for).
//!
//! With a binary `z_k` per project (1 = funded) and its effect `e_k`:
//! - maximise `Σ e_k z_k`;
//! - `Σ cost_k z_k ≤ budget`, and for each payer `p`: `Σ share_kp cost_k z_k ≤ budget_p`;
//! - `z_k ≤ z_r` for each `r` that `k` requires; `z_k + z_e ≤ 1` for each exclusion;
//! - `z_k = 1` (must), `z_k = 0` (never);
//! - **competing projects**: for each flow of imports (an origin's sales of the product to one buyer region)
//!   that more than one project would replace, `Σ f_k z_k ≤ 1` over those projects, `f_k` the share of
//!   each of those flows project `k` replaces on its own. This keeps the linear model honest: the chosen
//!   projects never replace more than there is, so each keeps its individual substituted amount and the
//!   objective adds effects that can coexist. What remains is the interaction through the Leontief inverse,
//!   which the joint re-evaluation measures.
//!
//! Optimality: the solver's status (proven optimal, or stopped at its time limit), and an upper bound from
//! the linear relaxation, so the gap of a stopped search is known.

use std::time::Instant;

use good_lp::{
    Expression, ResolutionError, Solution, SolutionStatus, SolverModel, Variable, WithTimeLimit,
    constraint, microlp, variable, variables,
};
use serde::Serialize;

/// One candidate for selection.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// Id, for messages.
    pub id: String,
    /// What choosing it adds to the objective.
    pub value: f64,
    /// Investment.
    pub cost: f64,
    /// Cost shares by payer.
    pub payers: Vec<(String, f64)>,
    /// Indices of candidates it requires.
    pub requires: Vec<usize>,
    /// Indices of candidates it excludes.
    pub excludes: Vec<usize>,
}

/// The MILP solver `good_lp` hands the model to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Backend {
    /// Pure-Rust branch and bound (`microlp`); always built.
    #[default]
    Microlp,
    /// HiGHS (C++, built from source by the `highs` crate); only with the `highs` feature.
    Highs,
}

impl Backend {
    /// Its name, as in reports.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Microlp => "microlp",
            Backend::Highs => "HiGHS",
        }
    }

    /// Whether this build has it.
    pub fn available(self) -> bool {
        match self {
            Backend::Microlp => true,
            Backend::Highs => cfg!(feature = "highs"),
        }
    }

    /// Every backend this build has.
    pub fn all_available() -> Vec<Backend> {
        [Backend::Microlp, Backend::Highs]
            .into_iter()
            .filter(|b| b.available())
            .collect()
    }
}

/// The constraints of a selection besides the candidates' own.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Limits {
    /// Total budget (none: unlimited).
    pub budget: Option<f64>,
    /// Budget per payer.
    pub budget_by: Vec<(String, f64)>,
    /// Candidates that must be chosen.
    pub must: Vec<usize>,
    /// Candidates that must not be chosen.
    pub never: Vec<usize>,
    /// Groups of `(candidate, share)` whose shares of the chosen may add up to at most 1.
    pub pools: Vec<Vec<(usize, f64)>>,
    /// Seconds the solver may search before returning its best portfolio (none: until proven optimal).
    pub time_limit: Option<f64>,
    /// The MILP solver.
    pub backend: Backend,
}

/// The chosen portfolio.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Selection {
    /// Indices of the chosen candidates, ascending.
    pub chosen: Vec<usize>,
    /// `Σ e_k z_k` of the chosen.
    pub objective: f64,
    /// Upper bound from the linear relaxation.
    pub bound: f64,
    /// `(bound − objective) / |objective|` when not proven optimal, else 0.
    pub gap: f64,
    /// Whether the solver proved the portfolio optimal.
    pub proven_optimal: bool,
    /// Solver and status in words.
    pub status: String,
    /// Seconds spent in the solver (the MILP and its relaxation).
    pub seconds: f64,
    /// Variables and constraints of the model.
    pub size: (usize, usize),
}

/// Why a selection failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SelectError {
    /// No portfolio satisfies the constraints; the list names a set of them that conflict.
    #[error("no portfolio satisfies the constraints; these conflict: {}", .0.join("; "))]
    Infeasible(Vec<String>),
    /// The solver failed.
    #[error("the MILP solver failed: {0}")]
    Solver(String),
    /// The backend asked for is not in this build.
    #[error(
        "the MILP backend {} is not in this build (rebuild with the cargo feature `highs`)",
        .0.name()
    )]
    Unavailable(Backend),
}

/// A constraint of the model, kept with its description so a conflict can be named.
struct Row {
    what: String,
    terms: Vec<(usize, f64)>,
    /// `Σ terms ≤ rhs`, or `= rhs` when `eq`.
    rhs: f64,
    eq: bool,
}

fn rows(c: &[Candidate], l: &Limits) -> Vec<Row> {
    let mut out = Vec::new();
    if let Some(b) = l.budget {
        out.push(Row {
            what: format!("total budget {b}"),
            terms: c.iter().enumerate().map(|(k, p)| (k, p.cost)).collect(),
            rhs: b,
            eq: false,
        });
    }
    for (payer, b) in &l.budget_by {
        let terms: Vec<(usize, f64)> = c
            .iter()
            .enumerate()
            .filter_map(|(k, p)| {
                p.payers
                    .iter()
                    .find(|(n, _)| n == payer)
                    .map(|(_, s)| (k, s * p.cost))
            })
            .collect();
        out.push(Row {
            what: format!("budget of {payer} {b}"),
            terms,
            rhs: *b,
            eq: false,
        });
    }
    for (k, p) in c.iter().enumerate() {
        for &r in &p.requires {
            out.push(Row {
                what: format!("'{}' requires '{}'", p.id, c[r].id),
                terms: vec![(k, 1.0), (r, -1.0)],
                rhs: 0.0,
                eq: false,
            });
        }
        for &e in &p.excludes {
            if e > k || !c[e].excludes.contains(&k) {
                out.push(Row {
                    what: format!("'{}' excludes '{}'", p.id, c[e].id),
                    terms: vec![(k, 1.0), (e, 1.0)],
                    rhs: 1.0,
                    eq: false,
                });
            }
        }
    }
    for &k in &l.must {
        out.push(Row {
            what: format!("'{}' must be chosen", c[k].id),
            terms: vec![(k, 1.0)],
            rhs: 1.0,
            eq: true,
        });
    }
    for &k in &l.never {
        out.push(Row {
            what: format!("'{}' must not be chosen", c[k].id),
            terms: vec![(k, 1.0)],
            rhs: 0.0,
            eq: true,
        });
    }
    for pool in &l.pools {
        let ids: Vec<&str> = pool.iter().map(|(k, _)| c[*k].id.as_str()).collect();
        out.push(Row {
            what: format!("imports replaced by {} at most once", ids.join(", ")),
            terms: pool.clone(),
            rhs: 1.0,
            eq: false,
        });
    }
    out
}

/// Solves the model with the rows kept by `keep`; `relax` makes the variables continuous in [0, 1].
fn solve(
    c: &[Candidate],
    rows: &[Row],
    keep: &dyn Fn(usize) -> bool,
    relax: bool,
    time_limit: Option<f64>,
    backend: Backend,
) -> Result<(Vec<f64>, SolutionStatus), ResolutionError> {
    let mut vars = variables!();
    let z: Vec<Variable> = (0..c.len())
        .map(|_| {
            if relax {
                vars.add(variable().min(0.0).max(1.0))
            } else {
                vars.add(variable().binary())
            }
        })
        .collect();
    let objective: Expression = c.iter().zip(&z).map(|(p, v)| p.value * *v).sum();
    let problem = vars.maximise(objective);
    match backend {
        Backend::Microlp => constrain_and_solve(problem.using(microlp), &z, rows, keep, time_limit),
        #[cfg(feature = "highs")]
        Backend::Highs => {
            // Proven optimal means no gap: HiGHS stops by default at a relative gap of 1e-4 (and 1e-6
            // absolute), which good_lp would report as a gap limit.
            let m = problem
                .using(good_lp::solvers::highs::highs)
                .set_mip_rel_gap(0.0)
                .and_then(|m| m.set_mip_abs_gap(0.0))
                .map_err(|e| ResolutionError::Str(e.to_string()))?
                .set_threads(1);
            constrain_and_solve(m, &z, rows, keep, time_limit)
        }
        #[cfg(not(feature = "highs"))]
        Backend::Highs => Err(ResolutionError::Str(
            SelectError::Unavailable(backend).to_string(),
        )),
    }
}

fn constrain_and_solve<M: SolverModel<Error = ResolutionError> + WithTimeLimit>(
    mut model: M,
    z: &[Variable],
    rows: &[Row],
    keep: &dyn Fn(usize) -> bool,
    time_limit: Option<f64>,
) -> Result<(Vec<f64>, SolutionStatus), ResolutionError> {
    if let Some(s) = time_limit {
        model = model.with_time_limit(s);
    }
    for (i, r) in rows.iter().enumerate() {
        if !keep(i) {
            continue;
        }
        let lhs: Expression = r.terms.iter().map(|(k, w)| *w * z[*k]).sum();
        if r.eq {
            model = model.with(constraint!(lhs == r.rhs));
        } else {
            model = model.with(constraint!(lhs <= r.rhs));
        }
    }
    let sol = model.solve()?;
    let status = sol.status();
    Ok((z.iter().map(|v| sol.value(*v)).collect(), status))
}

/// Picks the portfolio that maximises the chosen candidates' values under the limits.
pub fn select(c: &[Candidate], l: &Limits) -> Result<Selection, SelectError> {
    if !l.backend.available() {
        return Err(SelectError::Unavailable(l.backend));
    }
    let t0 = Instant::now();
    let rows = rows(c, l);
    let all = |_: usize| true;
    let (z, status) = match solve(c, &rows, &all, false, l.time_limit, l.backend) {
        Ok(s) => s,
        Err(ResolutionError::Infeasible) => {
            return Err(SelectError::Infeasible(conflict(c, &rows, l.backend)));
        }
        Err(e) => return Err(SelectError::Solver(e.to_string())),
    };
    let chosen: Vec<usize> = (0..c.len()).filter(|&k| z[k] > 0.5).collect();
    let objective: f64 = chosen.iter().map(|&k| c[k].value).sum();
    let proven_optimal = matches!(status, SolutionStatus::Optimal);
    let bound = match solve(c, &rows, &all, true, l.time_limit, l.backend) {
        Ok((zr, _)) => c.iter().zip(&zr).map(|(p, v)| p.value * v).sum::<f64>(),
        Err(e) => return Err(SelectError::Solver(format!("linear relaxation: {e}"))),
    };
    let gap = if proven_optimal {
        0.0
    } else {
        (bound - objective).max(0.0) / objective.abs().max(1e-12)
    };
    Ok(Selection {
        chosen,
        objective,
        bound,
        gap,
        proven_optimal,
        status: format!(
            "{}: {}",
            l.backend.name(),
            match status {
                SolutionStatus::Optimal => "proven optimal",
                SolutionStatus::GapLimit => "within the gap limit",
                SolutionStatus::TimeLimit => "time limit reached, best portfolio found",
            }
        ),
        seconds: t0.elapsed().as_secs_f64(),
        size: (c.len(), rows.len()),
    })
}

/// A small set of constraints that cannot hold together (a deletion filter: drop each constraint in turn
/// and keep it out when the rest stays infeasible; what remains is irreducible).
fn conflict(c: &[Candidate], rows: &[Row], backend: Backend) -> Vec<String> {
    let mut keep = vec![true; rows.len()];
    if rows.len() <= 400 {
        for i in 0..rows.len() {
            keep[i] = false;
            let k = keep.clone();
            let still = matches!(
                solve(c, rows, &move |r| k[r], true, None, backend),
                Err(ResolutionError::Infeasible)
            ) || matches!(
                solve(
                    c,
                    rows,
                    &{
                        let k = keep.clone();
                        move |r| k[r]
                    },
                    false,
                    None,
                    backend
                ),
                Err(ResolutionError::Infeasible)
            );
            if !still {
                keep[i] = true;
            }
        }
    }
    rows.iter()
        .zip(&keep)
        .filter(|(_, k)| **k)
        .map(|(r, _)| r.what.clone())
        .collect()
}
