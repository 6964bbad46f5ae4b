//! Why did our dependence on them change between two years? A structural decomposition analysis (SDA) of
//! `D = ν_Tᵀ L f` — their value added embodied in our final demand `f` (all origins) — into six effects:
//! their value-added coefficients, technology, import sourcing of intermediate inputs, and the level,
//! product mix and sourcing of our final demand. The two polar decompositions are averaged (Dietzenbacher &
//! Los 1998) and the change of the Leontief inverse is split by `L₁ − L₀ = L₁ (A₁ − A₀) L₀`; every step is an
//! exact identity, so the effects add up to `D₁ − D₀` (formulas: `docs/monitoring.md`).
//!
//! Factors: `A = S ∘ Ā` with `Ā_ij = Σ_{s(k)=s(i)} A_kj` (technology: input of a product per unit of output,
//! all origins) and `S = A / Ā` (sourcing); `f = F · m ∘ σ` with `F = Σ f` (level), `m` the product shares
//! (mix) and `σ` each origin's share of its product (sourcing). Where a share is undefined (a product's total
//! is 0) the sourcing term is taken as the rest of the change, so the identities stay exact.
//!
//! Work: per pair, `L₁ᵀ [ν₀ ν₁]` (one factorisation of year 1, two right-hand sides), then
//! `L₀ᵀ [ν₀ ν₁ ΔA_techᵀa₀ ΔA_srcᵀa₀ ΔA_techᵀa₁ ΔA_srcᵀa₁]` (year 0, six); no inverse is formed.

use serde::Serialize;
use sovra_core::sparse::Csr;
use sovra_core::{LeontiefSystem, Mrio, Side, SolveReport};

use crate::dependency::Parties;
use crate::{Error, Result, columns};

/// The effects, in report order.
pub const EFFECT_KEYS: [&str; 6] = [
    "va_coefficients",
    "technology",
    "import_sourcing",
    "fd_level",
    "fd_mix",
    "fd_sourcing",
];

/// Human labels of [`EFFECT_KEYS`].
pub const EFFECT_LABELS: [&str; 6] = [
    "their value-added coefficients (ν)",
    "technology (input coefficients by product, Ā)",
    "import sourcing of intermediate inputs (S)",
    "final-demand level (F)",
    "final-demand product mix (m)",
    "final-demand sourcing (σ)",
];

/// The decomposition of one change, in total and per product of our final demand.
#[derive(Debug, Clone, Serialize)]
pub struct Decomposition {
    /// `D` in the first year.
    pub d0: f64,
    /// `D` in the second year.
    pub d1: f64,
    /// The six effects ([`EFFECT_KEYS`]).
    pub effects: [f64; 6],
    /// Per sector (product of our final demand): `D₀`, `D₁` and the effects.
    pub by_sector: Vec<SectorEffects>,
    /// Solver reports.
    pub solves: Vec<(String, SolveReport)>,
}

/// One product's share of the decomposition.
#[derive(Debug, Clone, Serialize, Default, PartialEq)]
pub struct SectorEffects {
    /// `D₀` from our final demand for this product.
    pub d0: f64,
    /// `D₁`.
    pub d1: f64,
    /// The effects.
    pub effects: [f64; 6],
}

impl Decomposition {
    /// `D₁ − D₀`.
    pub fn total(&self) -> f64 {
        self.d1 - self.d0
    }

    /// The sum of the effects.
    pub fn sum(&self) -> f64 {
        self.effects.iter().sum()
    }

    /// Adds a later decomposition (a chain `y₀→y₁` then `y₁→y₂`): effects add, `d1` becomes the later one's.
    pub fn chain(mut self, next: &Decomposition) -> Decomposition {
        self.d1 = next.d1;
        for k in 0..6 {
            self.effects[k] += next.effects[k];
        }
        for (a, b) in self.by_sector.iter_mut().zip(&next.by_sector) {
            a.d1 = b.d1;
            for k in 0..6 {
                a.effects[k] += b.effects[k];
            }
        }
        self.solves.extend(next.solves.iter().cloned());
        self
    }
}

/// Our final demand `f_k = Σ_{d→U} Y_kd` (all origins).
pub fn our_final_demand(t: &Mrio, us: &[usize]) -> Result<Vec<f64>> {
    let dest = t.labels.fd_destinations().ok_or_else(|| {
        Error::Unsupported(format!(
            "{} does not split final demand by destination region: our final demand, and so their value \
             added in it, is not in the table (use a table that does, e.g. WIOD)",
            t.provenance.name
        ))
    })?;
    let cols: Vec<usize> = (0..dest.len()).filter(|&k| us.contains(&dest[k])).collect();
    Ok((0..t.n())
        .map(|i| {
            let row = t.y.row(i);
            cols.iter().map(|&k| row[k]).sum()
        })
        .collect())
}

/// `Ā` by product: `abar[s][j] = Σ_{s(k)=s} A_kj`, with `1/x` for `A_ij = Z_ij / x_j` on the fly.
struct Coefficients<'a> {
    t: &'a Mrio,
    inv_x: Vec<f64>,
    abar: Vec<Vec<f64>>,
}

impl<'a> Coefficients<'a> {
    /// `Ā` of a table, from the sparse `A` of its system when there is one (its stored values are the
    /// `Z_ij · (1/x_j)` formed here otherwise, and the zeros it leaves out add nothing: the same sums, bit for
    /// bit).
    fn new(t: &'a Mrio, sparse: Option<&Csr>) -> Self {
        let n = t.n();
        let ns = t.labels.sectors.len();
        let inv_x: Vec<f64> =
            t.x.iter()
                .map(|x| if *x != 0.0 { 1.0 / x } else { 0.0 })
                .collect();
        // One product per task; its rows summed in row order, as a serial loop would.
        use rayon::prelude::*;
        let abar: Vec<Vec<f64>> = (0..ns)
            .into_par_iter()
            .map(|s| {
                let mut acc = vec![0.0; n];
                for i in (s..n).step_by(ns.max(1)) {
                    match sparse {
                        Some(a) => {
                            for p in a.indptr[i]..a.indptr[i + 1] {
                                acc[a.indices[p] as usize] += a.values[p];
                            }
                        }
                        None => {
                            for ((a, z), w) in acc.iter_mut().zip(t.z.row(i)).zip(&inv_x) {
                                *a += z * w;
                            }
                        }
                    }
                }
                acc
            })
            .collect();
        Coefficients { t, inv_x, abar }
    }
}

/// `(ΔA_techᵀ a, ΔA_srcᵀ a)` for each `a` of `vs`, with `ΔA_tech = ½(S₀+S₁)∘ΔĀ` and `ΔA_src = ΔA − ΔA_tech`.
/// Column bands run in parallel; each column sums over the rows in row order, as a serial loop would.
fn delta_a_t(c0: &Coefficients, c1: &Coefficients, vs: &[&[f64]], ns: usize) -> Vec<[Vec<f64>; 2]> {
    use rayon::prelude::*;
    let n = c0.t.n();
    let k = vs.len();
    // Per column j: 2k sums (tech, src for each vector), laid out band by band.
    const BAND: usize = 64;
    let mut acc = vec![0.0; n * 2 * k];
    acc.par_chunks_mut(BAND * 2 * k)
        .enumerate()
        .for_each(|(b, out)| {
            let j0 = b * BAND;
            let j1 = (j0 + BAND).min(n);
            for i in 0..n {
                let s = i % ns;
                let (z0, z1) = (&c0.t.z.row(i)[j0..j1], &c1.t.z.row(i)[j0..j1]);
                let (b0, b1) = (&c0.abar[s][j0..j1], &c1.abar[s][j0..j1]);
                let (x0, x1) = (&c0.inv_x[j0..j1], &c1.inv_x[j0..j1]);
                for d in 0..(j1 - j0) {
                    let (a0, a1) = (z0[d] * x0[d], z1[d] * x1[d]);
                    // Where the flow is zero in both years so are both shares, and with them both terms:
                    // nothing to add (most of a dense table: WIOD's Z is 80 % zeros).
                    if a0 == 0.0 && a1 == 0.0 {
                        continue;
                    }
                    let db = b1[d] - b0[d];
                    let s0 = if b0[d] != 0.0 { a0 / b0[d] } else { 0.0 };
                    let s1 = if b1[d] != 0.0 { a1 / b1[d] } else { 0.0 };
                    let tech = 0.5 * (s0 + s1) * db;
                    let src = (a1 - a0) - tech;
                    let o = &mut out[d * 2 * k..(d + 1) * 2 * k];
                    for (q, v) in vs.iter().enumerate() {
                        o[2 * q] += tech * v[i];
                        o[2 * q + 1] += src * v[i];
                    }
                }
            }
        });
    (0..k)
        .map(|q| {
            [
                (0..n).map(|j| acc[j * 2 * k + 2 * q]).collect(),
                (0..n).map(|j| acc[j * 2 * k + 2 * q + 1]).collect(),
            ]
        })
        .collect()
}

/// [`delta_a_t`] from the two years' sparse `A` (whose stored values are exactly the `Z_ij · (1/x_j)` the dense
/// loop forms): each row's two lists of non-zeros merged, so the zeros of both years cost nothing. Every
/// column still receives its terms in row order, so the bits are those of [`delta_a_t`]. Bands of columns run
/// in parallel.
fn delta_a_t_sparse(
    c0: &Coefficients,
    c1: &Coefficients,
    s0: &Csr,
    s1: &Csr,
    vs: &[&[f64]],
    ns: usize,
) -> Vec<[Vec<f64>; 2]> {
    use rayon::prelude::*;
    let n = c0.t.n();
    let k = vs.len();
    let bands = rayon::current_num_threads().clamp(1, 8);
    let width = n.div_ceil(bands).max(1);
    let parts: Vec<Vec<f64>> = (0..n.div_ceil(width))
        .into_par_iter()
        .map(|b| {
            let (j0, j1) = (b * width, ((b + 1) * width).min(n));
            let mut out = vec![0.0; (j1 - j0) * 2 * k];
            let within = |s: &Csr, i: usize| -> (usize, usize) {
                let (p, e) = (s.indptr[i], s.indptr[i + 1]);
                let row = &s.indices[p..e];
                let lo = row.partition_point(|&j| (j as usize) < j0);
                let hi = row.partition_point(|&j| (j as usize) < j1);
                (p + lo, p + hi)
            };
            for i in 0..n {
                let s = i % ns;
                let (b0, b1) = (&c0.abar[s], &c1.abar[s]);
                let ((mut p, e0), (mut q, e1)) = (within(s0, i), within(s1, i));
                while p < e0 || q < e1 {
                    let jp = if p < e0 {
                        s0.indices[p] as usize
                    } else {
                        usize::MAX
                    };
                    let jq = if q < e1 {
                        s1.indices[q] as usize
                    } else {
                        usize::MAX
                    };
                    let j = jp.min(jq);
                    let a0 = if jp == j {
                        p += 1;
                        s0.values[p - 1]
                    } else {
                        0.0
                    };
                    let a1 = if jq == j {
                        q += 1;
                        s1.values[q - 1]
                    } else {
                        0.0
                    };
                    if a0 == 0.0 && a1 == 0.0 {
                        continue;
                    }
                    let db = b1[j] - b0[j];
                    let r0 = if b0[j] != 0.0 { a0 / b0[j] } else { 0.0 };
                    let r1 = if b1[j] != 0.0 { a1 / b1[j] } else { 0.0 };
                    let tech = 0.5 * (r0 + r1) * db;
                    let src = (a1 - a0) - tech;
                    let o = &mut out[(j - j0) * 2 * k..(j - j0 + 1) * 2 * k];
                    for (w, v) in vs.iter().enumerate() {
                        o[2 * w] += tech * v[i];
                        o[2 * w + 1] += src * v[i];
                    }
                }
            }
            out
        })
        .collect();
    let acc: Vec<f64> = parts.into_iter().flatten().collect();
    (0..k)
        .map(|q| {
            [
                (0..n).map(|j| acc[j * 2 * k + 2 * q]).collect(),
                (0..n).map(|j| acc[j * 2 * k + 2 * q + 1]).collect(),
            ]
        })
        .collect()
}

/// `F`, `m` (per node, its product's share) and `σ` of a final-demand vector.
fn fd_factors(f: &[f64], ns: usize) -> (f64, Vec<f64>, Vec<f64>) {
    let total: f64 = f.iter().sum();
    let mut by_product = vec![0.0; ns];
    for (k, v) in f.iter().enumerate() {
        by_product[k % ns] += v;
    }
    let m = (0..f.len())
        .map(|k| {
            if total != 0.0 {
                by_product[k % ns] / total
            } else {
                0.0
            }
        })
        .collect();
    let sigma = f
        .iter()
        .enumerate()
        .map(|(k, v)| {
            let p = by_product[k % ns];
            if p != 0.0 { v / p } else { 0.0 }
        })
        .collect();
    (total, m, sigma)
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Decomposes the change of their value added in our final demand from table `t0` to `t1` (the same labels;
/// the caller checks). `sys0` and `sys1` are their Leontief systems (factorised on first solve and kept).
pub fn decompose(
    t0: &Mrio,
    sys0: &LeontiefSystem,
    t1: &Mrio,
    sys1: &LeontiefSystem,
    p: &Parties,
) -> Result<Decomposition> {
    let mut all = decompose_each(t0, sys0, t1, sys1, &p.them, std::slice::from_ref(&p.us))?;
    Ok(all.remove(0))
}

/// [`decompose`] for several us against the same them (each country of a list, say): every solve depends on
/// them only (`ν_T`, `L`, `A`), so all of them share the same eight right-hand sides; each us adds its final
/// demand. Results in the order of `us_sets`, each with the solves' reports.
pub fn decompose_each(
    t0: &Mrio,
    sys0: &LeontiefSystem,
    t1: &Mrio,
    sys1: &LeontiefSystem,
    them: &[usize],
    us_sets: &[Vec<usize>],
) -> Result<Vec<Decomposition>> {
    let n = t0.n();
    let ns = t0.labels.sectors.len();
    if t1.n() != n || t1.labels.sectors.len() != ns {
        return Err(Error::Unsupported(
            "the two years have different nodes: a decomposition needs the same regions and sectors".into(),
        ));
    }
    let finals: Vec<(Vec<f64>, Vec<f64>)> = {
        use rayon::prelude::*;
        us_sets
            .par_iter()
            .map(|us| Ok((our_final_demand(t0, us)?, our_final_demand(t1, us)?)))
            .collect::<Result<_>>()?
    };
    let in_them = |i: usize| them.contains(&(i / ns));
    let nu_t = |t: &Mrio| -> Vec<f64> {
        t.va_shares()
            .iter()
            .enumerate()
            .map(|(i, v)| if in_them(i) { *v } else { 0.0 })
            .collect()
    };
    let (nu0, nu1) = (nu_t(t0), nu_t(t1));
    let mut solves = Vec::new();
    // What both solves need (Aᵀ, the preconditioner), built side by side; then year 1, a₀ = L₁ᵀν₀ and
    // a₁ = L₁ᵀν₁, and meanwhile what does not depend on them: both years' Ā.
    // Year 1, a₀ = L₁ᵀν₀ and a₁ = L₁ᵀν₁; meanwhile what does not depend on them: what the year-0 solve
    // will need (its Aᵀ, its preconditioner) and both years' Ā.
    let (first, (c0, c1)) = rayon::join(
        || {
            sys1.prepare(2, Side::Transposed);
            sys1.solve(columns(n, &[&nu0, &nu1]).as_ref(), Side::Transposed)
        },
        || {
            sys0.prepare(6, Side::Transposed);
            rayon::join(
                || Coefficients::new(t0, sys0.a_sparse()),
                || Coefficients::new(t1, sys1.a_sparse()),
            )
        },
    );
    let (m1, rep) = first?;
    solves.push((
        format!(
            "{}: L₁ᵀ[ν₀ ν₁] (their value-added coefficients of both years)",
            year_name(t1)
        ),
        rep,
    ));
    let col = |m: &sovra_core::faer::Mat<f64>, c: usize| -> Vec<f64> {
        (0..n).map(|i| m[(i, c)]).collect()
    };
    let (a0, a1) = (col(&m1, 0), col(&m1, 1));
    // Year 0: b₀ = L₀ᵀν₀, b₁ = L₀ᵀν₁ and L₀ᵀ ΔAᵀ a for both a.
    let da = match (sys0.a_sparse(), sys1.a_sparse()) {
        (Some(s0), Some(s1)) => delta_a_t_sparse(&c0, &c1, s0, s1, &[&a0, &a1], ns),
        _ => delta_a_t(&c0, &c1, &[&a0, &a1], ns),
    };
    let rhs: Vec<&[f64]> = vec![&nu0, &nu1, &da[0][0], &da[0][1], &da[1][0], &da[1][1]];
    let (m0, rep) = sys0.solve(columns(n, &rhs).as_ref(), Side::Transposed)?;
    solves.push((
        format!(
            "{}: L₀ᵀ[ν₀ ν₁ ΔA_techᵀa₀ ΔA_srcᵀa₀ ΔA_techᵀa₁ ΔA_srcᵀa₁]",
            year_name(t0)
        ),
        rep,
    ));
    let (b0, b1) = (col(&m0, 0), col(&m0, 1));
    let (gt0, gs0, gt1, gs1) = (col(&m0, 2), col(&m0, 3), col(&m0, 4), col(&m0, 5));
    let mut out = Vec::with_capacity(us_sets.len());
    for (f0, f1) in &finals {
        // Final demand: f = F m σ; the polar forms' level and mix terms, sourcing as the rest.
        let (ff0, mm0, sg0) = fd_factors(f0, ns);
        let (ff1, mm1, sg1) = fd_factors(f1, ns);
        let mut by_sector = vec![SectorEffects::default(); ns];
        for k in 0..n {
            let df = f1[k] - f0[k];
            let level1 = (ff1 - ff0) * mm1[k] * sg1[k];
            let mix1 = ff0 * (mm1[k] - mm0[k]) * sg1[k];
            let src1 = df - level1 - mix1;
            let level2 = (ff1 - ff0) * mm0[k] * sg0[k];
            let mix2 = ff1 * (mm1[k] - mm0[k]) * sg0[k];
            let src2 = df - level2 - mix2;
            let c = [
                0.5 * ((a1[k] - a0[k]) * f1[k] + (b1[k] - b0[k]) * f0[k]),
                0.5 * (gt0[k] * f1[k] + gt1[k] * f0[k]),
                0.5 * (gs0[k] * f1[k] + gs1[k] * f0[k]),
                0.5 * (b0[k] * level1 + a1[k] * level2),
                0.5 * (b0[k] * mix1 + a1[k] * mix2),
                0.5 * (b0[k] * src1 + a1[k] * src2),
            ];
            let e = &mut by_sector[k % ns];
            e.d0 += b0[k] * f0[k];
            e.d1 += a1[k] * f1[k];
            for (acc, v) in e.effects.iter_mut().zip(c) {
                *acc += v;
            }
        }
        let mut effects = [0.0; 6];
        for e in &by_sector {
            for (acc, v) in effects.iter_mut().zip(e.effects) {
                *acc += v;
            }
        }
        out.push(Decomposition {
            d0: dot(&b0, f0),
            d1: dot(&a1, f1),
            effects,
            by_sector,
            solves: solves.clone(),
        });
    }
    Ok(out)
}

fn year_name(t: &Mrio) -> String {
    match t.provenance.year {
        Some(y) => y.to_string(),
        None => t.provenance.name.clone(),
    }
}
