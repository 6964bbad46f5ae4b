//! Is import substitution on track? The indicators a programme is judged by, for one year of a table:
//! import penetration and self-sufficiency per product, the share of imports from them, the direct input
//! share from them, their value added in our output (total and via third countries), foreign-supplier
//! concentration and their value added in our final demand — for all of us, each region of us, all products
//! or one; plus the trend of a yearly series (change, CAGR, recent slope). Definitions: `docs/monitoring.md`.
//!
//! For a scope `G` (a set of our regions) and a product set `P`: `Q` output, `M` imports of the products from
//! outside `G` (intermediate and final), `X` exports (to outside `G`), `M_T` imports from them;
//! `import_penetration = M / (Q − X + M)`, `self_sufficiency = Q / (Q − X + M)`, undefined (`None`) where
//! `Q − X + M ≤ 0`. Value-added measures use `w = ν_Tᵀ L` (one transposed solve) and `w'` from the system
//! restricted to us ∪ them (one more), as [`crate::dependency`] defines them; `fva_final_demand = wᵀ f_G`.

use rayon::prelude::*;
use serde::Serialize;
use sovra_core::{LeontiefSystem, Mrio, Side, SolveReport};

use crate::dependency::{Parties, region_nodes};
use crate::{Result, columns};

/// The indicator keys, in report order (see `docs/monitoring.md`).
pub const KPI_KEYS: &[&str] = &[
    "output",
    "imports",
    "exports",
    "apparent_consumption",
    "import_penetration",
    "self_sufficiency",
    "imports_from_them",
    "imports_from_them_share",
    "direct_input_share",
    "va_from_them",
    "va_via_third",
    "foreign_supplier_hhi",
    "fva_final_demand",
    "fva_final_demand_share",
];

/// The indicator keys that are ratios (shares, indices): their change is in share points.
pub const RATIO_KEYS: &[&str] = &[
    "import_penetration",
    "self_sufficiency",
    "imports_from_them_share",
    "direct_input_share",
    "va_from_them",
    "va_via_third",
    "foreign_supplier_hhi",
    "fva_final_demand_share",
];

/// A set of our regions the indicators are computed for.
#[derive(Debug, Clone, PartialEq)]
pub struct Scope {
    /// How the report names it (a region code, or the us expression).
    pub name: String,
    /// Region indices (a subset of us).
    pub regions: Vec<usize>,
}

/// The indicators of one scope and product set in one year; `None` is undefined (see [`Kpis::reason`]).
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Kpis {
    /// `Q`.
    pub output: f64,
    /// `M`.
    pub imports: f64,
    /// `X`.
    pub exports: f64,
    /// `Q − X + M`.
    pub apparent_consumption: f64,
    /// `M / (Q − X + M)`.
    pub import_penetration: Option<f64>,
    /// `Q / (Q − X + M)`.
    pub self_sufficiency: Option<f64>,
    /// `M_T`.
    pub imports_from_them: f64,
    /// `M_T / M`.
    pub imports_from_them_share: Option<f64>,
    /// Inputs from them / all intermediate inputs.
    pub direct_input_share: Option<f64>,
    /// Output-weighted `w`.
    pub va_from_them: Option<f64>,
    /// Output-weighted `w − w'`.
    pub va_via_third: Option<f64>,
    /// HHI over foreign origins of intermediate inputs.
    pub foreign_supplier_hhi: Option<f64>,
    /// `D = wᵀ f`.
    pub fva_final_demand: Option<f64>,
    /// `D / Σ f`.
    pub fva_final_demand_share: Option<f64>,
}

impl Kpis {
    /// An indicator by key (`None`: undefined, or not a key of [`KPI_KEYS`]).
    pub fn get(&self, key: &str) -> Option<f64> {
        match key {
            "output" => Some(self.output),
            "imports" => Some(self.imports),
            "exports" => Some(self.exports),
            "apparent_consumption" => Some(self.apparent_consumption),
            "import_penetration" => self.import_penetration,
            "self_sufficiency" => self.self_sufficiency,
            "imports_from_them" => Some(self.imports_from_them),
            "imports_from_them_share" => self.imports_from_them_share,
            "direct_input_share" => self.direct_input_share,
            "va_from_them" => self.va_from_them,
            "va_via_third" => self.va_via_third,
            "foreign_supplier_hhi" => self.foreign_supplier_hhi,
            "fva_final_demand" => self.fva_final_demand,
            "fva_final_demand_share" => self.fva_final_demand_share,
            _ => None,
        }
    }

    /// Why an indicator of [`KPI_KEYS`] is undefined here (`None` when it is defined).
    pub fn reason(&self, key: &str, fd_by_destination: bool) -> Option<&'static str> {
        if self.get(key).is_some() {
            return None;
        }
        Some(match key {
            "import_penetration" | "self_sufficiency" => {
                "apparent consumption Q − X + M ≤ 0 (exports exceed output plus imports: a re-export hub, or \
                 a product consumed nowhere)"
            }
            "imports_from_them_share" => "no imports (M = 0)",
            "direct_input_share" | "foreign_supplier_hhi" => "no (foreign) intermediate inputs",
            "va_from_them" | "va_via_third" => "no output",
            "fva_final_demand" | "fva_final_demand_share" if !fd_by_destination => {
                "the table does not split final demand by destination"
            }
            "fva_final_demand_share" => {
                "our final demand for the products nets to zero or less (Σ f ≤ 0: inventories drawn down)"
            }
            _ => "undefined",
        })
    }
}

/// One row: a scope, a product (`None` = all) and its indicators.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KpiRow {
    /// Scope name.
    pub scope: String,
    /// Sector index, `None` for all sectors.
    pub sector: Option<usize>,
    /// The indicators.
    pub kpis: Kpis,
}

/// The indicators of one year.
#[derive(Debug, Clone, Serialize)]
pub struct YearKpis {
    /// One row per scope × (all sectors, then each sector when asked), in the order asked.
    pub rows: Vec<KpiRow>,
    /// Whether final demand is split by destination (else imports and exports are intermediate only and
    /// `fva_final_demand` is undefined).
    pub final_demand_by_destination: bool,
    /// Solver reports.
    pub solves: Vec<(String, SolveReport)>,
}

fn ratio(a: f64, b: f64) -> Option<f64> {
    (b > 0.0).then(|| a / b)
}

/// What the indicators of every scope are sums of, per node: computed once per year and them.
struct PerNode {
    /// `Z1 + Y1` (all sales).
    sales: Vec<f64>,
    /// `Σ_i Z_ij`.
    inputs: Vec<f64>,
    /// `Σ_{r(i)∈T} Z_ij`.
    inputs_from_them: Vec<f64>,
    /// `by_origin[c][j] = Σ_{r(i)=c} Z_ij`.
    by_origin: Vec<Vec<f64>>,
    /// `w`.
    w: Vec<f64>,
    /// `w − w'` (0 outside us).
    via: Vec<f64>,
}

/// The indicators of one year for every scope of one us (all sectors, and each sector when `by_sector`).
pub fn year_kpis(
    t: &Mrio,
    sys: &LeontiefSystem,
    p: &Parties,
    scopes: &[Scope],
    by_sector: bool,
) -> Result<YearKpis> {
    year_kpis_each(t, sys, &[(p.clone(), scopes.to_vec())], by_sector)
}

/// [`year_kpis`] for several us against the same them (each region of a bloc on its own, say): what depends on
/// them only — `w`, inputs by origin, sales — is computed once; each us adds one solve on its own `us ∪ them`
/// system (for `w'`). Rows come in the order of `groups`, then of their scopes.
pub fn year_kpis_each(
    t: &Mrio,
    sys: &LeontiefSystem,
    groups: &[(Parties, Vec<Scope>)],
    by_sector: bool,
) -> Result<YearKpis> {
    let n = t.n();
    let ns = t.labels.sectors.len();
    let nr = t.labels.regions.len();
    let Some(first) = groups.first() else {
        return Ok(YearKpis {
            rows: Vec::new(),
            final_demand_by_destination: t.labels.fd_destinations().is_some(),
            solves: Vec::new(),
        });
    };
    let them = first.0.them.clone();
    if groups.iter().any(|(p, _)| p.them != them) {
        return Err(crate::Error::Unsupported(
            "year_kpis_each: every us must be against the same them".into(),
        ));
    }
    let nu = t.va_shares();
    let in_them = |i: usize| them.contains(&(i / ns));
    let nu_t: Vec<f64> = (0..n)
        .map(|i| if in_them(i) { nu[i] } else { 0.0 })
        .collect();
    let mut solves = Vec::new();
    let (wm, rep) = sys.solve(columns(n, &[&nu_t]).as_ref(), Side::Transposed)?;
    solves.push(("value-added origin, (I − A)ᵀ w = ν∘1_T".to_string(), rep));
    let w: Vec<f64> = (0..n).map(|i| wm[(i, 0)]).collect();
    let (zs, inputs) = t.z.row_col_sums();
    // Each origin region's rows summed in row order (one task per region), and the rows of them likewise
    // (one task per band of columns): the same additions in the same order as one serial pass.
    let by_origin: Vec<Vec<f64>> = (0..nr)
        .into_par_iter()
        .map(|r| {
            let mut acc = vec![0.0; n];
            for i in r * ns..((r + 1) * ns).min(n) {
                acc.iter_mut().zip(t.z.row(i)).for_each(|(a, z)| *a += z);
            }
            acc
        })
        .collect();
    let them_rows: Vec<usize> = (0..n).filter(|&i| in_them(i)).collect();
    let mut inputs_from_them = vec![0.0; n];
    const BAND: usize = 256;
    inputs_from_them
        .par_chunks_mut(BAND)
        .enumerate()
        .for_each(|(b, out)| {
            let j0 = b * BAND;
            for &i in &them_rows {
                let row = &t.z.row(i)[j0..j0 + out.len()];
                out.iter_mut().zip(row).for_each(|(a, z)| *a += z);
            }
        });
    let dest = t.labels.fd_destinations();
    let by_destination = dest.is_some();
    let ys = t.y.row_sums();
    let sales: Vec<f64> = if by_destination {
        zs.iter().zip(&ys).map(|(a, b)| a + b).collect()
    } else {
        zs
    };
    let mut per = PerNode {
        sales,
        inputs,
        inputs_from_them,
        by_origin,
        w,
        via: vec![0.0; n],
    };
    let mut rows = Vec::new();
    for (p, scopes) in groups {
        // w' over S = us ∪ them: chains that never leave S.
        per.via.iter_mut().for_each(|v| *v = 0.0);
        if !p.third(nr).is_empty() {
            let mut s_regions: Vec<usize> = p.us.iter().chain(&p.them).copied().collect();
            s_regions.sort_unstable();
            let sub = sys.restricted_to_regions(&s_regions)?;
            let s_nodes = region_nodes(t, &s_regions);
            let rhs: Vec<f64> = s_nodes.iter().map(|&i| nu_t[i]).collect();
            let (ws, rep) =
                sub.solve(columns(s_nodes.len(), &[&rhs]).as_ref(), Side::Transposed)?;
            solves.push((
                "chains without third countries, (I − A_SS)ᵀ w' = ν∘1_T".to_string(),
                rep,
            ));
            for (k, &i) in s_nodes.iter().enumerate() {
                if p.us.contains(&(i / ns)) {
                    per.via[i] = per.w[i] - ws[(k, 0)];
                }
            }
        }
        for scope in scopes {
            rows.extend(scope_rows(t, p, &per, dest.as_deref(), scope, by_sector));
        }
    }
    Ok(YearKpis {
        rows,
        final_demand_by_destination: by_destination,
        solves,
    })
}

/// The rows of one scope: all sectors, then each sector when asked.
fn scope_rows(
    t: &Mrio,
    p: &Parties,
    per: &PerNode,
    dest: Option<&[usize]>,
    scope: &Scope,
    by_sector: bool,
) -> Vec<KpiRow> {
    let n = t.n();
    let ns = t.labels.sectors.len();
    let nr = t.labels.regions.len();
    let in_g = |r: usize| scope.regions.contains(&r);
    // Sales of each node to G: intermediate (columns of G) and final (final-demand columns bound for G).
    let g_cols: Vec<usize> = region_nodes(t, &scope.regions);
    let fd_cols: Vec<usize> = match dest {
        Some(d) => (0..d.len()).filter(|&k| in_g(d[k])).collect(),
        None => Vec::new(),
    };
    let mut to_g = vec![0.0; n];
    let mut f_g = vec![0.0; n];
    for i in 0..n {
        let row = t.z.row(i);
        let yrow = t.y.row(i);
        let fd: f64 = fd_cols.iter().map(|&k| yrow[k]).sum();
        f_g[i] = fd;
        to_g[i] = g_cols.iter().map(|&j| row[j]).sum::<f64>() + fd;
    }
    // Per sector s: sums over nodes of that sector.
    #[derive(Default, Clone)]
    struct Acc {
        q: f64,
        m: f64,
        m_t: f64,
        x: f64,
        inputs: f64,
        from_them: f64,
        xw: f64,
        xvia: f64,
        origin: Vec<f64>,
        d: f64,
        f: f64,
    }
    let mut acc = vec![
        Acc {
            origin: vec![0.0; nr],
            ..Default::default()
        };
        ns
    ];
    for i in 0..n {
        let (r, s) = (i / ns, i % ns);
        let a = &mut acc[s];
        if in_g(r) {
            a.q += t.x[i];
            a.x += per.sales[i] - to_g[i];
            a.inputs += per.inputs[i];
            a.from_them += per.inputs_from_them[i];
            a.xw += t.x[i] * per.w[i];
            a.xvia += t.x[i] * per.via[i];
            for (c, o) in a.origin.iter_mut().enumerate() {
                *o += per.by_origin[c][i];
            }
        } else {
            a.m += to_g[i];
            if p.them.contains(&r) {
                a.m_t += to_g[i];
            }
        }
        a.d += per.w[i] * f_g[i];
        a.f += f_g[i];
    }
    let finish = |a: &Acc| -> Kpis {
        let c = a.q - a.x + a.m;
        let foreign: Vec<f64> = a
            .origin
            .iter()
            .enumerate()
            .filter(|(c, _)| !in_g(*c))
            .map(|(_, v)| *v)
            .collect();
        let ft: f64 = foreign.iter().filter(|v| **v > 0.0).sum();
        let hhi = (ft > 0.0).then(|| {
            foreign
                .iter()
                .filter(|v| **v > 0.0)
                .map(|v| (v / ft).powi(2))
                .sum()
        });
        Kpis {
            output: a.q,
            imports: a.m,
            exports: a.x,
            apparent_consumption: c,
            import_penetration: ratio(a.m, c),
            self_sufficiency: ratio(a.q, c),
            imports_from_them: a.m_t,
            imports_from_them_share: ratio(a.m_t, a.m),
            direct_input_share: ratio(a.from_them, a.inputs),
            va_from_them: ratio(a.xw, a.q),
            va_via_third: ratio(a.xvia, a.q),
            foreign_supplier_hhi: hhi,
            fva_final_demand: dest.is_some().then_some(a.d),
            fva_final_demand_share: if dest.is_some() {
                ratio(a.d, a.f)
            } else {
                None
            },
        }
    };
    let mut total = Acc {
        origin: vec![0.0; nr],
        ..Default::default()
    };
    for a in &acc {
        total.q += a.q;
        total.m += a.m;
        total.m_t += a.m_t;
        total.x += a.x;
        total.inputs += a.inputs;
        total.from_them += a.from_them;
        total.xw += a.xw;
        total.xvia += a.xvia;
        total.d += a.d;
        total.f += a.f;
        total
            .origin
            .iter_mut()
            .zip(&a.origin)
            .for_each(|(t, v)| *t += v);
    }
    let mut rows = vec![KpiRow {
        scope: scope.name.clone(),
        sector: None,
        kpis: finish(&total),
    }];
    if by_sector {
        rows.extend(acc.iter().enumerate().map(|(s, a)| KpiRow {
            scope: scope.name.clone(),
            sector: Some(s),
            kpis: finish(a),
        }));
    }
    rows
}

/// The trend of one indicator over a yearly series (years ascending; undefined years left out).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trend {
    /// First year with a value, and the value.
    pub first: (i32, f64),
    /// Last year with a value, and the value.
    pub last: (i32, f64),
    /// `last − first`.
    pub change: f64,
    /// `(last / first)^(1 / years) − 1`; `None` when either is ≤ 0 or there is one year.
    pub cagr: Option<f64>,
    /// Least-squares slope per year over the last `window` years with a value; `None` with one year.
    pub slope: Option<f64>,
    /// The line fitted to the last `window` years: value at `year` = `level + slope · (year − anchor)`.
    pub fit: Option<(f64, i32)>,
}

/// Least-squares line through `(year, value)` points: `(slope, value at the last year)`; `None` for fewer
/// than two points.
pub fn fit_line(points: &[(i32, f64)]) -> Option<(f64, f64)> {
    if points.len() < 2 {
        return None;
    }
    let n = points.len() as f64;
    let mx = points.iter().map(|p| p.0 as f64).sum::<f64>() / n;
    let my = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = points.iter().map(|p| (p.0 as f64 - mx).powi(2)).sum();
    let sxy: f64 = points.iter().map(|p| (p.0 as f64 - mx) * (p.1 - my)).sum();
    if sxx <= 0.0 {
        return None;
    }
    let slope = sxy / sxx;
    let last = points[points.len() - 1].0 as f64;
    Some((slope, my + slope * (last - mx)))
}

/// The trend of a series of `(year, value)` (ascending, `None` = undefined that year).
pub fn trend(series: &[(i32, Option<f64>)], window: usize) -> Option<Trend> {
    let pts: Vec<(i32, f64)> = series
        .iter()
        .filter_map(|(y, v)| v.map(|v| (*y, v)))
        .collect();
    let (first, last) = (*pts.first()?, *pts.last()?);
    let years = (last.0 - first.0) as f64;
    let cagr = (years > 0.0 && first.1 > 0.0 && last.1 > 0.0)
        .then(|| (last.1 / first.1).powf(1.0 / years) - 1.0);
    let tail = &pts[pts.len().saturating_sub(window.max(2))..];
    let fit = fit_line(tail);
    Some(Trend {
        first,
        last,
        change: last.1 - first.1,
        cagr,
        slope: fit.map(|f| f.0),
        fit: fit.map(|f| (f.1, last.0)),
    })
}
