//! Where "us" (a set of regions) depends on "them" (another, disjoint set), sector by sector: what share of
//! each of our sectors' inputs they supply directly, how much of the value of its output is their value
//! added through all rounds of the supply chain, how much of that travels through third countries, how
//! concentrated its foreign suppliers are, and how much of its output ends up absorbed by them.
//!
//! Notation: `Z` intermediate flows, `x` gross output, `ν = v/x` value-added shares, `A = Z x̂⁻¹`,
//! `L = (I − A)⁻¹`; `U`, `T` and `R` are the nodes of us, them and third countries (neither us nor them);
//! `j` is one of our nodes (region `r`, sector `s`). Every indicator is a fraction in `[0, 1]`.
//!
//! - **direct input dependence** `dᴵ_j = Σ_{i∈T} Z_ij / Σ_i Z_ij` (share of intermediate inputs bought from
//!   them) and `dˣ_j = Σ_{i∈T} Z_ij / x_j` (the same flow as a share of gross output);
//! - **total value-added dependence** `w_j = Σ_{i∈T} ν_i L_ij`: the share of the value of `j`'s output that
//!   originates as value added in them, through every round of the chain. With `ν` covering all value
//!   added, `Σ_{all regions} Σ_{i∈region} ν_i L_ij = 1`. One transposed solve `(I − A)ᵀ w = ν ∘ 1_T`;
//! - **through third countries** `w_j − w'_j`, where `w'_j = Σ_{i∈T} ν_i L'_ij` and
//!   `L' = (I − A_SS)⁻¹` is the inverse of the system restricted to `S = U ∪ T`. `L = Σ_k A^k` sums every
//!   supply path; `L'` sums exactly the paths whose nodes all lie in `S`. The difference is therefore exactly
//!   the value added of them that reaches `j` along paths passing through at least one third-country node
//!   (e.g. Chinese value added in Vietnamese electronics bought by Germany). It is 0 when there is no third
//!   country;
//! - **supplier concentration**: the Herfindahl–Hirschman index `HHI_j = Σ_c (f_cj / Σ_c' f_c'j)²` over the
//!   countries of origin `c ≠ r` of `j`'s foreign intermediate inputs `f_cj = Σ_{i∈c} Z_ij` (1 = a single
//!   foreign supplier; 1/n = n equal suppliers), and the largest foreign supplier with its share;
//! - **direct sales dependence** `sᴰ_j = (Σ_{k∈T} Z_jk + Σ_{d∈T} Y_jd) / x_j`: share of `j`'s output sold to
//!   them as intermediate input or to their final demand;
//! - **total sales dependence** (Ghosh, first absorption) `sᵀ_j = u_j / x_j` with
//!   `(I − A_NN) u = Z_NT 1 + Y_{N,T} 1` over the nodes `N` outside them: the share of `j`'s output that is
//!   eventually bought by them, directly or after being processed by other (non-them) industries. In
//!   allocation terms `sᵀ = (I − B_NN)⁻¹ (B_NT 1 + x̂⁻¹ Y_{N,T} 1)` with `B = x̂⁻¹ Z`, i.e. the Ghosh
//!   allocation chain stopped where it first reaches them, so `sᴰ_j ≤ sᵀ_j ≤ 1`.
//!
//! When the table does not split final demand by destination (icio2022), the final-demand terms cannot be
//! attributed to them: sales dependence then counts intermediate sales only, and
//! [`Dependence::final_demand_by_destination`] is false.

use serde::Serialize;
use sovra_core::{LeontiefSystem, Mrio, Side, SolveReport};

use crate::{NodeLabel, Result, columns, node_label};

/// Us and them as region indices of a table (disjoint, both non-empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parties {
    /// Our regions.
    pub us: Vec<usize>,
    /// Their regions.
    pub them: Vec<usize>,
}

impl Parties {
    /// Checks that both are non-empty, within the table and disjoint.
    pub fn new(t: &Mrio, us: Vec<usize>, them: Vec<usize>) -> Result<Parties> {
        let nr = t.labels.regions.len();
        let code = |r: usize| t.labels.regions[r].code.clone();
        if us.is_empty() || them.is_empty() {
            return Err(sovra_core::Error::Request(
                "both 'us' and 'them' need at least one region".into(),
            )
            .into());
        }
        if let Some(&bad) = us.iter().chain(&them).find(|&&r| r >= nr) {
            return Err(sovra_core::Error::Request(format!(
                "region index {bad} out of range ({nr} regions)"
            ))
            .into());
        }
        let overlap: Vec<String> = us
            .iter()
            .filter(|r| them.contains(r))
            .map(|&r| code(r))
            .collect();
        if !overlap.is_empty() {
            return Err(sovra_core::Error::Request(format!(
                "'us' and 'them' overlap in {}: a region cannot depend on itself here; remove them from \
                 one side (e.g. EU27-DEU)",
                overlap.join(", ")
            ))
            .into());
        }
        let (mut us, mut them) = (us, them);
        us.sort_unstable();
        us.dedup();
        them.sort_unstable();
        them.dedup();
        Ok(Parties { us, them })
    }

    /// Regions that are neither us nor them.
    pub fn third(&self, n_regions: usize) -> Vec<usize> {
        (0..n_regions)
            .filter(|r| !self.us.contains(r) && !self.them.contains(r))
            .collect()
    }
}

/// The indicators for one of our nodes (see the module documentation for the formulas).
#[derive(Debug, Clone, Serialize)]
pub struct SectorDependence {
    /// Region and sector.
    #[serde(flatten)]
    pub node: NodeLabel,
    /// Gross output `x_j`.
    pub output: f64,
    /// Intermediate inputs `Σ_i Z_ij`.
    pub intermediate_inputs: f64,
    /// Inputs bought from them `Σ_{i∈T} Z_ij`.
    pub inputs_from_them: f64,
    /// `dᴵ_j`: inputs from them / all intermediate inputs.
    pub direct_input_share: f64,
    /// `dˣ_j`: inputs from them / gross output.
    pub direct_output_share: f64,
    /// `w_j = Σ_{i∈T} ν_i L_ij`.
    pub value_added_from_them: f64,
    /// `w_j − w'_j`: the part of `w_j` that passed through a third country.
    pub via_third_countries: f64,
    /// `Σ_{i∈U} ν_i L_ij`: the share of the value of output that is our own value added (`None` from
    /// [`compute_each`], which skips the per-country solve this needs).
    pub value_added_from_us: Option<f64>,
    /// HHI over countries of origin of foreign intermediate inputs (0 when there are none).
    pub foreign_supplier_hhi: f64,
    /// The largest foreign supplier country (empty when there are no foreign inputs).
    pub top_foreign_supplier: String,
    /// Its share of foreign intermediate inputs.
    pub top_foreign_supplier_share: f64,
    /// `sᴰ_j`.
    pub sales_direct: f64,
    /// `sᵀ_j`.
    pub sales_total: f64,
}

/// Output-weighted aggregates over one of our regions (or all of us).
#[derive(Debug, Clone, Serialize)]
pub struct RegionDependence {
    /// Region code, or the us expression for the aggregate of all of us.
    pub region: String,
    /// Gross output.
    pub output: f64,
    /// Inputs from them / all intermediate inputs.
    pub direct_input_share: f64,
    /// `Σ_j x_j w_j / Σ_j x_j`: share of the value of the region's output that is their value added.
    pub value_added_from_them: f64,
    /// The same for the part through third countries.
    pub via_third_countries: f64,
    /// HHI over origin countries of the region's foreign intermediate inputs (origins outside the region).
    pub foreign_supplier_hhi: f64,
    /// Largest foreign supplier of the region and its share.
    pub top_foreign_supplier: String,
    /// Share of that supplier.
    pub top_foreign_supplier_share: f64,
    /// `Σ_j x_j sᴰ_j / Σ_j x_j`.
    pub sales_direct: f64,
    /// `Σ_j x_j sᵀ_j / Σ_j x_j`.
    pub sales_total: f64,
}

/// Every indicator for every node of us with output.
#[derive(Debug, Clone, Serialize)]
pub struct Dependence {
    /// Our region codes.
    pub us: Vec<String>,
    /// Their region codes.
    pub them: Vec<String>,
    /// Third-country region codes.
    pub third: Vec<String>,
    /// One entry per node of us with positive output, in node order.
    pub sectors: Vec<SectorDependence>,
    /// One entry per region of us, in region order.
    pub regions: Vec<RegionDependence>,
    /// All of us together (supplier concentration over origins outside us).
    pub total: RegionDependence,
    /// Whether final demand is split by destination (else sales measures count intermediate sales only).
    pub final_demand_by_destination: bool,
    /// Nodes of us without output, left out.
    pub zero_output_nodes: usize,
    /// Solver reports: (what was solved, report).
    pub solves: Vec<(String, SolveReport)>,
}

/// Nodes of a list of regions, in order.
pub fn region_nodes(t: &Mrio, regions: &[usize]) -> Vec<usize> {
    let ns = t.labels.sectors.len();
    regions
        .iter()
        .flat_map(|&r| (r * ns)..((r + 1) * ns))
        .collect()
}

/// Intermediate inputs of each of `cols` by region of origin: `out[c][k] = Σ_{i∈region c} Z_{i, cols[k]}`.
pub fn inputs_by_origin(t: &Mrio, cols: &[usize]) -> Vec<Vec<f64>> {
    let ns = t.labels.sectors.len();
    let nr = t.labels.regions.len();
    (0..nr)
        .map(|c| {
            let mut acc = vec![0.0; cols.len()];
            for i in c * ns..(c + 1) * ns {
                let row = t.z.row(i);
                for (a, &j) in acc.iter_mut().zip(cols) {
                    *a += row[j];
                }
            }
            acc
        })
        .collect()
}

/// HHI and the largest supplier over `flows` by origin region, excluding the `home` regions.
fn concentration(
    flows: impl Iterator<Item = (usize, f64)>,
    home: &[usize],
) -> (f64, Option<usize>, f64) {
    let foreign: Vec<(usize, f64)> = flows
        .filter(|(c, v)| !home.contains(c) && *v > 0.0)
        .collect();
    let total: f64 = foreign.iter().map(|(_, v)| v).sum();
    if total <= 0.0 {
        return (0.0, None, 0.0);
    }
    let hhi = foreign.iter().map(|(_, v)| (v / total).powi(2)).sum();
    let (top, tv) = foreign
        .iter()
        .copied()
        .fold((usize::MAX, f64::NEG_INFINITY), |b, (c, v)| {
            if v > b.1 { (c, v) } else { b }
        });
    (hhi, Some(top), tv / total)
}

fn share(a: f64, b: f64) -> f64 {
    if b > 0.0 { a / b } else { 0.0 }
}

/// Value added of each region embodied in the output of `cols`: `out[c][k] = Σ_{i∈c} ν_i L_{i,cols[k]}`
/// (one transposed solve with a right-hand side per region). Each column sums to 1 over regions when `v` is
/// all of value added. Used by `--sector` breakdowns and tests.
pub fn value_added_origin(
    t: &Mrio,
    sys: &LeontiefSystem,
    cols: &[usize],
) -> Result<(Vec<Vec<f64>>, SolveReport)> {
    let nu = t.va_shares();
    let ns = t.labels.sectors.len();
    let nr = t.labels.regions.len();
    let rhs =
        sovra_core::faer::Mat::from_fn(t.n(), nr, |i, c| if i / ns == c { nu[i] } else { 0.0 });
    let (w, rep) = sys.solve(rhs.as_ref(), Side::Transposed)?;
    Ok((
        (0..nr)
            .map(|c| cols.iter().map(|&j| w[(j, c)]).collect())
            .collect(),
        rep,
    ))
}

/// Where the value added in our output comes from, region by region: `VA_c = Σ_{j∈U} x_j Σ_{i∈c} ν_i L_ij` for
/// every region `c` of the table, with `U` our nodes — the sector indicator "value added from them" of
/// [`SectorDependence`] (`Σ_{i∈T} ν_i L_ij`) weighted by output, for every origin at once. One solve:
/// `(I − A) y = x_U` (our output, zero elsewhere), then `VA_c = Σ_{i∈c} ν_i y_i`. The regions' values add up
/// to our output when `v` is all of value added (`νᵀL = 1ᵀ`).
pub fn value_added_by_origin(
    t: &Mrio,
    sys: &LeontiefSystem,
    us_nodes: &[usize],
) -> Result<(Vec<f64>, SolveReport)> {
    let nu = t.va_shares();
    let ns = t.labels.sectors.len();
    let mut rhs = sovra_core::faer::Mat::zeros(t.n(), 1);
    for &j in us_nodes {
        rhs[(j, 0)] = t.x[j];
    }
    let (y, rep) = sys.solve(rhs.as_ref(), Side::Forward)?;
    let mut out = vec![0.0; t.labels.regions.len()];
    for (i, &n) in nu.iter().enumerate() {
        out[i / ns] += n * y[(i, 0)];
    }
    Ok((out, rep))
}

/// Output-weighted aggregate of the sector indicators over the nodes of `home` regions; supplier
/// concentration over the origins outside `home`.
fn aggregate(
    t: &Mrio,
    name: &str,
    sectors: &[SectorDependence],
    us_nodes: &[usize],
    by_origin: &[Vec<f64>],
    home: &[usize],
) -> RegionDependence {
    let ns = t.labels.sectors.len();
    let codes: Vec<&str> = home
        .iter()
        .map(|&r| t.labels.regions[r].code.as_str())
        .collect();
    let rows: Vec<&SectorDependence> = sectors
        .iter()
        .filter(|s| codes.contains(&s.node.region.as_str()))
        .collect();
    let out: f64 = rows.iter().map(|s| s.output).sum();
    let wavg = |f: &dyn Fn(&SectorDependence) -> f64| -> f64 {
        share(rows.iter().map(|s| s.output * f(s)).sum(), out)
    };
    let inputs: f64 = rows.iter().map(|s| s.intermediate_inputs).sum();
    let from_them: f64 = rows.iter().map(|s| s.inputs_from_them).sum();
    let cols: Vec<usize> = us_nodes
        .iter()
        .enumerate()
        .filter(|(_, j)| home.contains(&(**j / ns)) && t.x[**j] > 0.0)
        .map(|(k, _)| k)
        .collect();
    let (hhi, top, top_share) = concentration(
        (0..by_origin.len()).map(|c| (c, cols.iter().map(|&k| by_origin[c][k]).sum::<f64>())),
        home,
    );
    RegionDependence {
        region: name.to_string(),
        output: out,
        direct_input_share: share(from_them, inputs),
        value_added_from_them: wavg(&|s| s.value_added_from_them),
        via_third_countries: wavg(&|s| s.via_third_countries),
        foreign_supplier_hhi: hhi,
        top_foreign_supplier: top
            .map(|c| t.labels.regions[c].code.clone())
            .unwrap_or_default(),
        top_foreign_supplier_share: top_share,
        sales_direct: wavg(&|s| s.sales_direct),
        sales_total: wavg(&|s| s.sales_total),
    }
}

/// What depends on them only: their value added in every node's output, first absorption by them, direct
/// sales to them; plus the value added of each group of `us_groups` (one right-hand side each, in the same
/// transposed solve).
struct Shared {
    nu_t: Vec<f64>,
    w_t: Vec<f64>,
    w_us: Vec<Vec<f64>>,
    absorbed: Vec<f64>,
    direct_sales: Vec<f64>,
    by_destination: bool,
    solves: Vec<(String, SolveReport)>,
}

/// `ν ∘ 1_R`: the value-added shares of the nodes of `regions`, 0 elsewhere.
fn va_of(nu: &[f64], ns: usize, regions: &[usize]) -> Vec<f64> {
    nu.iter()
        .enumerate()
        .map(|(i, v)| if regions.contains(&(i / ns)) { *v } else { 0.0 })
        .collect()
}

fn shared(
    t: &Mrio,
    sys: &LeontiefSystem,
    them: &[usize],
    us_groups: &[&[usize]],
    products: Option<&[f64]>,
) -> Result<Shared> {
    let n = t.n();
    let nr = t.labels.regions.len();
    let ns = t.labels.sectors.len();
    let nu = t.va_shares();
    let is_them: Vec<bool> = (0..nr).map(|r| them.contains(&r)).collect();
    let mut nu_t = va_of(&nu, ns, them);
    if let Some(pi) = products {
        // Their value added in the named products only: ν_i π_i.
        nu_t.iter_mut().zip(pi).for_each(|(v, p)| *v *= p);
    }
    let masks: Vec<Vec<f64>> = us_groups.iter().map(|g| va_of(&nu, ns, g)).collect();
    let mut cols: Vec<&[f64]> = vec![&nu_t];
    cols.extend(masks.iter().map(|m| m.as_slice()));
    let mut solves = Vec::new();
    let (w, rep) = sys.solve(columns(n, &cols).as_ref(), Side::Transposed)?;
    solves.push(("value-added origin, (I − A)ᵀ w = ν∘1".to_string(), rep));
    let w_t: Vec<f64> = w.col(0).iter().copied().collect();
    let w_us: Vec<Vec<f64>> = (1..cols.len())
        .map(|c| w.col(c).iter().copied().collect())
        .collect();

    // Sales to them: direct flows, and first absorption over the nodes outside them.
    let fd_dest: Option<Vec<usize>> = t.labels.fd_destinations();
    let fd_to_them: Vec<usize> = match &fd_dest {
        Some(d) => (0..t.y.cols).filter(|&c| is_them[d[c]]).collect(),
        None => Vec::new(),
    };
    let them_nodes = region_nodes(t, them);
    let sold_to_them = |j: usize| -> f64 {
        let zr = t.z.row(j);
        let yr = t.y.row(j);
        them_nodes.iter().map(|&k| zr[k]).sum::<f64>()
            + fd_to_them.iter().map(|&c| yr[c]).sum::<f64>()
    };
    let not_them: Vec<usize> = (0..nr).filter(|&r| !is_them[r]).collect();
    let n_nodes = region_nodes(t, &not_them);
    let sub_n = sys.restricted_to_regions(&not_them)?;
    let r: Vec<f64> = n_nodes.iter().map(|&j| sold_to_them(j)).collect();
    let (u, rep) = sub_n.solve(columns(n_nodes.len(), &[&r]).as_ref(), Side::Forward)?;
    solves.push((
        "first absorption by them, (I − A_NN) u = Z_NT 1 + Y_NT 1".into(),
        rep,
    ));
    let mut absorbed = vec![0.0; n];
    let mut direct_sales = vec![0.0; n];
    for (k, &j) in n_nodes.iter().enumerate() {
        absorbed[j] = u[(k, 0)];
        direct_sales[j] = r[k];
    }
    Ok(Shared {
        nu_t,
        w_t,
        w_us,
        absorbed,
        direct_sales,
        by_destination: fd_dest.is_some(),
        solves,
    })
}

impl Shared {
    /// The shared solves with a per-party one after the value-added origin solve (the reported order).
    fn solves_with(&self, own: Option<LabelledSolve>) -> Vec<LabelledSolve> {
        let mut solves = self.solves.clone();
        if let Some(rep) = own {
            solves.insert(1, rep);
        }
        solves
    }
}

/// A solver report with what was solved.
type LabelledSolve = (String, SolveReport);

/// Their value added in our nodes along chains that stay inside us ∪ them (`w'`), indexed by node; equal to
/// `w` when there is no third country.
fn cut_chains(
    t: &Mrio,
    sys: &LeontiefSystem,
    p: &Parties,
    sh: &Shared,
) -> Result<(Vec<f64>, Option<LabelledSolve>)> {
    let n = t.n();
    let mut cut = vec![0.0; n];
    if p.third(t.labels.regions.len()).is_empty() {
        for &j in &region_nodes(t, &p.us) {
            cut[j] = sh.w_t[j];
        }
        return Ok((cut, None));
    }
    let mut s_regions: Vec<usize> = p.us.iter().chain(&p.them).copied().collect();
    s_regions.sort_unstable();
    let sub = sys.restricted_to_regions(&s_regions)?;
    let s_nodes = region_nodes(t, &s_regions);
    let rhs: Vec<f64> = s_nodes.iter().map(|&i| sh.nu_t[i]).collect();
    let (ws, rep) = sub.solve(columns(s_nodes.len(), &[&rhs]).as_ref(), Side::Transposed)?;
    for (k, &i) in s_nodes.iter().enumerate() {
        cut[i] = ws[(k, 0)];
    }
    Ok((
        cut,
        Some((
            "chains without third countries, (I − A_SS)ᵀ w' = ν∘1_T".into(),
            rep,
        )),
    ))
}

/// All indicators for us against them.
pub fn compute(t: &Mrio, sys: &LeontiefSystem, p: &Parties) -> Result<Dependence> {
    let sh = shared(t, sys, &p.them, &[&p.us], None)?;
    let (cut, rep) = cut_chains(t, sys, p, &sh)?;
    let solves = sh.solves_with(rep);
    Ok(assemble(t, p, &sh, Some(&sh.w_us[0]), &cut, solves))
}

/// What depends on "them" only — their value added in every node, first absorption by them, direct sales
/// to them — computed once and reused for any "us" against the same them ([`compute_on`]). A server keeps
/// it per them: a second `depend … --on CHN` then solves only for what depends on us.
pub struct OnThem {
    them: Vec<usize>,
    shared: Shared,
}

impl OnThem {
    /// Their region indices.
    pub fn them(&self) -> &[usize] {
        &self.them
    }
}

/// The part of [`compute`] that depends on them only.
pub fn on_them(t: &Mrio, sys: &LeontiefSystem, them: &[usize]) -> Result<OnThem> {
    Ok(OnThem {
        them: them.to_vec(),
        shared: shared(t, sys, them, &[], None)?,
    })
}

/// All indicators for us against the them of `on` (equal to [`compute`], with the value added of us in a
/// solve of its own).
pub fn compute_on(t: &Mrio, sys: &LeontiefSystem, p: &Parties, on: &OnThem) -> Result<Dependence> {
    if p.them != on.them {
        return Err(crate::Error::Unsupported(
            "the parts computed for them belong to another them".into(),
        ));
    }
    let mask = va_of(&t.va_shares(), t.labels.sectors.len(), &p.us);
    let (w, rep_us) = sys.solve(columns(t.n(), &[&mask]).as_ref(), Side::Transposed)?;
    let w_us: Vec<f64> = w.col(0).iter().copied().collect();
    let (cut, rep) = cut_chains(t, sys, p, &on.shared)?;
    let mut solves = on.shared.solves_with(rep);
    solves.insert(
        1,
        ("value added of us, (I − A)ᵀ w = ν∘1_U".to_string(), rep_us),
    );
    Ok(assemble(t, p, &on.shared, Some(&w_us), &cut, solves))
}

/// All indicators for each region of `us` on its own ("us" = that country) against the same them: the
/// solves that depend only on them are shared, and each country adds one small solve (its chains without
/// third countries). Equivalent to calling [`compute`] once per region (except that
/// `value_added_from_us`, which would need a solve per country, is `None`), much faster.
pub fn compute_each(
    t: &Mrio,
    sys: &LeontiefSystem,
    us: &[usize],
    them: &[usize],
) -> Result<Vec<Dependence>> {
    compute_each_products(t, sys, us, them, None)
}

/// [`compute`] for the value added of them in some products only: `products[i]` (per node, in `[0, 1]`)
/// is the share of the named products in node `i`'s output — their value added `ν_i` counts as `ν_i π_i`
/// in `w` and in the part through third countries. Direct input shares, concentration and sales stay
/// over all products.
pub fn compute_products(
    t: &Mrio,
    sys: &LeontiefSystem,
    p: &Parties,
    products: &[f64],
) -> Result<Dependence> {
    check_products(t, products)?;
    let sh = shared(t, sys, &p.them, &[&p.us], Some(products))?;
    let (cut, rep) = cut_chains(t, sys, p, &sh)?;
    let solves = sh.solves_with(rep);
    Ok(assemble(t, p, &sh, Some(&sh.w_us[0]), &cut, solves))
}

fn check_products(t: &Mrio, products: &[f64]) -> Result<()> {
    if products.len() != t.n() || products.iter().any(|p| !(0.0..=1.0).contains(p)) {
        return Err(crate::Error::Unsupported(
            "product shares: one per node, each in [0, 1]".into(),
        ));
    }
    Ok(())
}

/// [`compute_each`], with their value added in some products only (see [`compute_products`]).
pub fn compute_each_products(
    t: &Mrio,
    sys: &LeontiefSystem,
    us: &[usize],
    them: &[usize],
    products: Option<&[f64]>,
) -> Result<Vec<Dependence>> {
    if let Some(pi) = products {
        check_products(t, pi)?;
    }
    let parties: Vec<Parties> = us
        .iter()
        .map(|&r| Parties::new(t, vec![r], them.to_vec()))
        .collect::<Result<_>>()?;
    let sh = shared(t, sys, them, &[], products)?;
    use rayon::prelude::*;
    parties
        .par_iter()
        .map(|p| {
            let (cut, rep) = cut_chains(t, sys, p, &sh)?;
            let solves = sh.solves_with(rep);
            Ok(assemble(t, p, &sh, None, &cut, solves))
        })
        .collect()
}

fn assemble(
    t: &Mrio,
    p: &Parties,
    sh: &Shared,
    w_u: Option<&[f64]>,
    cut: &[f64],
    solves: Vec<(String, SolveReport)>,
) -> Dependence {
    let nr = t.labels.regions.len();
    let ns = t.labels.sectors.len();
    let third = p.third(nr);
    let us_nodes = region_nodes(t, &p.us);
    let (w_t, absorbed, direct_sales) = (&sh.w_t, &sh.absorbed, &sh.direct_sales);

    // Inputs by origin region for our nodes.
    let by_origin = inputs_by_origin(t, &us_nodes);
    let mut sectors = Vec::new();
    let mut zero_output_nodes = 0;
    for (k, &j) in us_nodes.iter().enumerate() {
        let x = t.x[j];
        if x <= 0.0 {
            zero_output_nodes += 1;
            continue;
        }
        let home = j / ns;
        let inputs: f64 = (0..nr).map(|c| by_origin[c][k]).sum();
        let from_them: f64 = p.them.iter().map(|&c| by_origin[c][k]).sum();
        let (hhi, top, top_share) = concentration((0..nr).map(|c| (c, by_origin[c][k])), &[home]);
        sectors.push(SectorDependence {
            node: node_label(t, j),
            output: x,
            intermediate_inputs: inputs,
            inputs_from_them: from_them,
            direct_input_share: share(from_them, inputs),
            direct_output_share: from_them / x,
            value_added_from_them: w_t[j],
            // Clamp round-off: the difference of two solves of equal accuracy.
            via_third_countries: (w_t[j] - cut[j]).max(0.0),
            value_added_from_us: w_u.map(|w| w[j]),
            foreign_supplier_hhi: hhi,
            top_foreign_supplier: top
                .map(|c| t.labels.regions[c].code.clone())
                .unwrap_or_default(),
            top_foreign_supplier_share: top_share,
            sales_direct: direct_sales[j] / x,
            sales_total: absorbed[j] / x,
        });
    }

    // Output-weighted aggregates: one per us region, and one over all of us.
    let regions =
        p.us.iter()
            .map(|&r| {
                aggregate(
                    t,
                    &t.labels.regions[r].code,
                    &sectors,
                    &us_nodes,
                    &by_origin,
                    &[r],
                )
            })
            .collect();
    let total = aggregate(t, "all of us", &sectors, &us_nodes, &by_origin, &p.us);

    let codes = |rs: &[usize]| -> Vec<String> {
        rs.iter()
            .map(|&r| t.labels.regions[r].code.clone())
            .collect()
    };
    Dependence {
        us: codes(&p.us),
        them: codes(&p.them),
        third: codes(&third),
        sectors,
        regions,
        total,
        final_demand_by_destination: sh.by_destination,
        zero_output_nodes,
        solves,
    }
}
