//! Requests on one table as a whole: what a dataset holds (`info`, the store's list), output and value-added
//! multipliers, Rasmussen linkages, pymrio-style footprints, and the vectors and matrices of the system.

use serde::{Deserialize, Serialize};
use sovra_analysis::{footprint, linkages, multipliers, system};
use sovra_core::{Mrio, store};
use sovra_report::{Kind, Report, TableBuilder, Value};

use crate::compose::{
    self, amount, code, count, figure, flag, format_num, line, num, param, rank, ranked, ratio,
    share, solver_line, text,
};
use crate::error::{Error, Result};
use crate::progress::Progress;
use crate::workspace::{DEFAULT_DATASET, Solver, Workspace};

fn default_data() -> String {
    DEFAULT_DATASET.to_string()
}

/// `info`: a dataset's labels, totals, balance and productivity checks, output by region.
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InfoRequest {
    /// Dataset name in the store.
    #[serde(default = "default_data")]
    pub data: String,
    /// Year of a dataset that holds several (a series); the latest when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year: Option<i32>,
}

/// `datasets`: the datasets in the store.
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatasetsRequest {}

/// `multipliers`: output and value-added multipliers per node.
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MultipliersRequest {
    /// Dataset name in the store.
    #[serde(default = "default_data")]
    pub data: String,
    /// Year of a dataset that holds several (a series); the latest when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year: Option<i32>,
    /// Only the N nodes with the largest output multiplier.
    #[serde(default)]
    pub top: Option<usize>,
    /// Only nodes of this region.
    #[serde(default)]
    pub region: Option<String>,
    /// Linear solver.
    #[serde(default)]
    pub solver: Solver,
}

/// `linkages`: Rasmussen backward and forward linkages and key sectors.
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkagesRequest {
    /// Dataset name in the store.
    #[serde(default = "default_data")]
    pub data: String,
    /// Year of a dataset that holds several (a series); the latest when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year: Option<i32>,
    /// Only the N nodes with the largest backward linkage.
    #[serde(default)]
    pub top: Option<usize>,
    /// Only nodes of this region.
    #[serde(default)]
    pub region: Option<String>,
    /// Only key sectors.
    #[serde(default)]
    pub key_only: bool,
    /// Linear solver.
    #[serde(default)]
    pub solver: Solver,
}

/// Rows of a footprint.
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FootprintBy {
    /// One row per region.
    #[default]
    Region,
    /// One row per node.
    Node,
}

/// `footprint`: pymrio's D_cba, D_pba, D_imp, D_exp for a stressor.
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FootprintRequest {
    /// Dataset name in the store.
    #[serde(default = "default_data")]
    pub data: String,
    /// Year of a dataset that holds several (a series); the latest when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year: Option<i32>,
    /// Stressor row, or "value added".
    pub stressor: String,
    /// Per region or per node.
    #[serde(default)]
    pub by: FootprintBy,
    /// Linear solver.
    #[serde(default)]
    pub solver: Solver,
}

/// Which vector or matrix of the system.
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Which {
    /// Gross output.
    #[serde(rename = "x")]
    X,
    /// Value added.
    #[serde(rename = "v")]
    V,
    /// Technical coefficients.
    A,
    /// Allocation coefficients.
    B,
    /// Leontief inverse.
    L,
    /// Ghosh inverse.
    G,
    /// Gross output recomputed from final demand.
    #[serde(rename = "x-from-y")]
    XFromY,
}

/// `matrix`: a vector or matrix of the system (L and G are formed only here, on request).
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatrixRequest {
    /// Dataset name in the store.
    #[serde(default = "default_data")]
    pub data: String,
    /// Year of a dataset that holds several (a series); the latest when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year: Option<i32>,
    /// Which.
    pub which: Which,
}

/// A matrix with its node labels (region-major).
pub struct Matrix {
    /// Values, row-major.
    pub data: Vec<f64>,
    /// Rows.
    pub rows: usize,
    /// Columns (1 for a vector).
    pub cols: usize,
    /// Node labels `REG_SEC`.
    pub labels: Vec<String>,
    /// The solve that produced it, for people.
    pub solve: Option<String>,
    /// The table's title.
    pub title: String,
}

fn region_filter(t: &Mrio, region: &Option<String>) -> Result<Option<String>> {
    match region {
        None => Ok(None),
        Some(r) => match t.labels.region_index(r) {
            Some(i) => Ok(Some(t.labels.regions[i].code.clone())),
            None => {
                let codes: Vec<&str> = t.labels.regions.iter().map(|c| c.code.as_str()).collect();
                let mut e = Error::usage(
                    "region",
                    format!(
                        "region '{r}' is not in {}; regions: {}",
                        t.provenance.name,
                        codes.join(" ")
                    ),
                );
                e.nearest = sovra_core::blocs::nearest(r, codes.iter().copied());
                e.choices = codes.iter().map(|c| c.to_string()).collect();
                Err(e)
            }
        },
    }
}

fn preview<'a>(it: impl Iterator<Item = &'a str>) -> String {
    let all: Vec<&str> = it.collect();
    if all.len() <= 8 {
        all.join(", ")
    } else {
        format!("{}, … {}", all[..6].join(", "), all[all.len() - 1])
    }
}

fn top_param(r: &mut Report, top: Option<usize>) {
    param(
        r,
        "top",
        "top",
        top.map(|n| Value::Int(n as i64))
            .unwrap_or(Value::Text("all".into())),
    );
}

/// Runs `info`.
pub fn info(ws: &Workspace, q: &InfoRequest, progress: &dyn Progress) -> Result<Report> {
    let loaded = ws.dataset_year(&q.data, q.year, progress)?;
    let t = &*loaded.table;
    let sys = loaded.system(Solver::Auto)?;
    let totals = t.totals();
    let (x_err, rep) = system::output_check(t, &sys)?;
    let l = &t.labels;
    let name = &q.data;
    let mut r = compose::report("info", format!("{name}: {}", t.provenance.title), Some(t));
    let units = t.provenance.units.clone();
    let u = Some(units.as_str());
    let cats = l.fd_categories();
    let by_dest = l.fd_destinations().is_some();
    figure(
        &mut r,
        "regions",
        "regions",
        l.regions.len(),
        Kind::Count,
        None,
        0,
    );
    figure(
        &mut r,
        "sectors",
        "sectors",
        l.sectors.len(),
        Kind::Count,
        None,
        0,
    );
    figure(
        &mut r,
        "final_demand_columns",
        "final-demand columns",
        l.final_demand.len(),
        Kind::Count,
        None,
        0,
    );
    figure(
        &mut r,
        "final_demand_by_destination",
        "final demand split by destination region",
        by_dest,
        Kind::Flag,
        None,
        0,
    );
    figure(
        &mut r,
        "stressors",
        "stressors",
        l.stressors.len(),
        Kind::Count,
        None,
        0,
    );
    figure(
        &mut r,
        "world_gross_output",
        "world gross output",
        num(totals.world_output),
        Kind::Amount,
        u,
        0,
    );
    figure(
        &mut r,
        "value_added",
        "value added",
        num(totals.value_added),
        Kind::Amount,
        u,
        0,
    );
    figure(
        &mut r,
        "final_demand",
        "final demand",
        num(totals.final_demand),
        Kind::Amount,
        u,
        0,
    );
    figure(
        &mut r,
        "intermediate_use",
        "intermediate use",
        num(totals.intermediate),
        Kind::Amount,
        u,
        0,
    );
    figure(
        &mut r,
        "max_row_imbalance",
        "balance (max |x − Z1 − Y1| / x)",
        num(totals.max_row_imbalance),
        Kind::Ratio,
        None,
        2,
    );
    figure(
        &mut r,
        "zero_output_nodes",
        "zero-output nodes",
        totals.zero_output_nodes,
        Kind::Count,
        None,
        0,
    );
    figure(
        &mut r,
        "max_column_sum_a",
        "largest column sum of A",
        num(sys.max_column_sum),
        Kind::Ratio,
        None,
        4,
    );
    figure(
        &mut r,
        "output_weighted_mean_column_sum_a",
        "output-weighted mean column sum of A",
        num(sys.rho_estimate),
        Kind::Ratio,
        None,
        4,
    );
    figure(
        &mut r,
        "output_check_max_relative_difference",
        "x = L·Y·1 check: max relative difference",
        num(x_err),
        Kind::Ratio,
        None,
        2,
    );
    compose::solve(&mut r, "output_check", "x = L·Y·1 check", &rep);
    if loaded.years.len() > 1 {
        line(
            &mut r,
            "years",
            format!(
                "{}; this report: {} (choose with --year)",
                store::year_list(&loaded.years),
                t.provenance
                    .year
                    .map_or_else(|| "-".to_string(), |y| y.to_string())
            ),
        );
    }
    for (label, codes) in [("regions", &l.regions), ("sectors", &l.sectors)] {
        let listed = preview(codes.iter().map(|c| c.code.as_str()));
        line(&mut r, label, format!("{} ({listed})", codes.len()));
    }
    line(
        &mut r,
        "final demand",
        format!(
            "{} column(s); categories: {}; {}",
            l.final_demand.len(),
            cats.join(", "),
            if by_dest {
                "by destination region"
            } else {
                "NOT split by destination region"
            }
        ),
    );
    line(
        &mut r,
        "stressors",
        if l.stressors.is_empty() {
            "none (value added is always available)".into()
        } else {
            preview(l.stressors.iter().map(|s| s.name.as_str()))
        },
    );
    line(
        &mut r,
        "world gross output",
        format!("{} {units}", format_num(totals.world_output, 0)),
    );
    line(
        &mut r,
        "value added",
        format!("{} {units}", format_num(totals.value_added, 0)),
    );
    line(
        &mut r,
        "final demand",
        format!("{} {units}", format_num(totals.final_demand, 0)),
    );
    line(
        &mut r,
        "intermediate use",
        format!("{} {units}", format_num(totals.intermediate, 0)),
    );
    line(
        &mut r,
        "balance (max |x − Z1 − Y1| / x)",
        format!("{:.2e}", totals.max_row_imbalance),
    );
    line(
        &mut r,
        "zero-output nodes",
        totals.zero_output_nodes.to_string(),
    );
    line(
        &mut r,
        "productivity of A",
        format!(
            "productive; largest column sum {:.4}, output-weighted mean {:.4}{}",
            sys.max_column_sum,
            sys.rho_estimate,
            if sys.max_column_sum < 1.0 {
                " (< 1 proves ρ(A) < 1)"
            } else {
                " (checked by (I − A)⁻¹1 > 0)"
            }
        ),
    );
    line(
        &mut r,
        "x = L·Y·1 check",
        format!(
            "max relative difference {x_err:.2e} (solver {}, residual {:.1e})",
            rep.method, rep.max_relative_residual
        ),
    );
    if let Some(sha) = &t.provenance.source_sha256 {
        line(&mut r, "source sha256", sha.clone());
    }
    if !t.provenance.notes.is_empty() {
        r.notes.push(t.provenance.notes.clone());
    }
    let mut tb = TableBuilder::new(
        "regions",
        "output by region",
        vec![
            code("region", "region"),
            text("name", "name"),
            amount("gross_output", "gross output", &units, 0),
            amount("value_added", "value added", &units, 0),
            share("value_added_share", "VA / output"),
        ],
    );
    let ns = l.sectors.len();
    for (ri, reg) in l.regions.iter().enumerate() {
        let xo: f64 = t.x[ri * ns..(ri + 1) * ns].iter().sum();
        let va: f64 = t.v[ri * ns..(ri + 1) * ns].iter().sum();
        tb.push_row(vec![
            reg.code.as_str().into(),
            reg.name.as_str().into(),
            num(xo),
            num(va),
            if xo != 0.0 { num(va / xo) } else { Value::Null },
        ])?;
    }
    r.tables.push(tb.finish());
    Ok(r)
}

/// Runs `datasets` (`sovra data list`).
pub fn datasets(ws: &Workspace, _q: &DatasetsRequest) -> Result<Report> {
    let metas = store::list(ws.home())?;
    let mut r = compose::report(
        "datasets",
        format!("Datasets in {}", ws.home().display()),
        None,
    );
    let mut tb = TableBuilder::new(
        "datasets",
        "datasets",
        vec![
            code("name", "name"),
            text("title", "title"),
            sovra_report::Column::int("year", "year", Kind::Year)
                .doc("the year of a single table, or the latest of a series"),
            text("years", "years").doc("every year a series holds (`--year` picks one)"),
            count("regions", "regions"),
            count("sectors", "sectors"),
            count("final_demand_columns", "final demand columns"),
            count("stressors", "stressors"),
        ],
    );
    for m in &metas {
        tb.push_row(vec![
            m.name.as_str().into(),
            m.title.as_str().into(),
            m.year.map(|y| Value::Int(y.into())).unwrap_or(Value::Null),
            match m.years().as_slice() {
                [] => Value::Null,
                [y] => y.to_string().into(),
                ys => store::year_list(ys).into(),
            },
            m.regions.len().into(),
            m.sectors.len().into(),
            m.final_demand.len().into(),
            m.stressors.len().into(),
        ])?;
    }
    figure(
        &mut r,
        "datasets",
        "datasets",
        metas.len(),
        Kind::Count,
        None,
        0,
    );
    r.tables.push(tb.finish());
    if metas.is_empty() {
        r.notes.push(
            "the store is empty: `sovra data fetch` gets the default dataset icio2022".into(),
        );
    }
    Ok(r)
}

/// Runs `multipliers`.
pub fn multipliers(
    ws: &Workspace,
    q: &MultipliersRequest,
    progress: &dyn Progress,
) -> Result<Report> {
    let loaded = ws.dataset_year(&q.data, q.year, progress)?;
    let t = &*loaded.table;
    let region = region_filter(t, &q.region)?;
    let sys = loaded.system(q.solver)?;
    progress.stage("solving");
    let m = multipliers::compute(t, &sys)?;
    let idx = ranked(
        &m.output_multiplier,
        |i| t.x[i] > 0.0 && region.as_ref().is_none_or(|r| &m.nodes[i].region == r),
        q.top,
    );
    let mut r = compose::report(
        "multipliers",
        format!("Output and value-added multipliers — {}", q.data),
        Some(t),
    );
    top_param(&mut r, q.top);
    if let Some(reg) = &region {
        param(&mut r, "region", "region", reg.as_str());
    }
    let active: Vec<usize> = (0..t.n()).filter(|&i| t.x[i] > 0.0).collect();
    let mean =
        active.iter().map(|&i| m.output_multiplier[i]).sum::<f64>() / active.len().max(1) as f64;
    figure(&mut r, "nodes", "nodes", t.n(), Kind::Count, None, 0);
    figure(
        &mut r,
        "nodes_with_output",
        "nodes with output",
        active.len(),
        Kind::Count,
        None,
        0,
    );
    figure(
        &mut r,
        "mean_output_multiplier",
        "mean output multiplier",
        num(mean),
        Kind::Ratio,
        None,
        4,
    );
    line(
        &mut r,
        "nodes",
        format!("{} ({} with output)", t.n(), active.len()),
    );
    line(&mut r, "mean output multiplier", format!("{mean:.4}"));
    line(&mut r, "solver", solver_line(&m.solve));
    compose::solve(&mut r, "multipliers", "(I − A)ᵀ w = 1, ν", &m.solve);
    let units = t.provenance.units.clone();
    let mut tb = TableBuilder::new(
        "nodes",
        "multipliers by node",
        vec![
            rank(),
            code("region", "region"),
            code("sector", "sector"),
            text("sector_name", "sector name"),
            ratio("output_multiplier", "output multiplier", 4)
                .doc("docs/indicators.md#multipliers"),
            ratio("value_added_multiplier", "value-added multiplier", 4)
                .doc("docs/indicators.md#multipliers"),
            amount("gross_output", "gross output", &units, 0),
        ],
    );
    for (k, &i) in idx.iter().enumerate() {
        let nl = &m.nodes[i];
        tb.push_row(vec![
            (k + 1).into(),
            nl.region.as_str().into(),
            nl.sector.as_str().into(),
            nl.sector_name.as_str().into(),
            num(m.output_multiplier[i]),
            num(m.value_added_multiplier[i]),
            num(m.output[i]),
        ])?;
    }
    r.tables.push(tb.finish());
    r.notes.push(
        "output multiplier = Σᵢ L_ij: world gross output per unit of final demand for the node's product; \
         value-added multiplier = Σᵢ νᵢ L_ij (1 when v is all value added)"
            .into(),
    );
    Ok(r)
}

/// Runs `linkages`.
pub fn linkages(ws: &Workspace, q: &LinkagesRequest, progress: &dyn Progress) -> Result<Report> {
    let loaded = ws.dataset_year(&q.data, q.year, progress)?;
    let t = &*loaded.table;
    let region = region_filter(t, &q.region)?;
    let sys = loaded.system(q.solver)?;
    progress.stage("solving");
    let lk = linkages::compute(t, &sys)?;
    let idx = ranked(
        &lk.backward,
        |i| {
            lk.active[i]
                && (!q.key_only || lk.key[i])
                && region.as_ref().is_none_or(|r| &lk.nodes[i].region == r)
        },
        q.top,
    );
    let mut r = compose::report(
        "linkages",
        format!("Rasmussen linkages — {}", q.data),
        Some(t),
    );
    top_param(&mut r, q.top);
    param(&mut r, "key_only", "key_only", q.key_only);
    if let Some(reg) = &region {
        param(&mut r, "region", "region", reg.as_str());
    }
    let here = |i: usize| lk.active[i] && region.as_ref().is_none_or(|r| &lk.nodes[i].region == r);
    let total = (0..t.n()).filter(|&i| here(i)).count();
    let keys = (0..t.n()).filter(|&i| here(i) && lk.key[i]).count();
    figure(
        &mut r,
        "key_sectors",
        "key sectors (BL > 1 and FL(Ghosh) > 1)",
        keys,
        Kind::Count,
        None,
        0,
    );
    figure(
        &mut r,
        "nodes_with_output",
        "nodes with output",
        total,
        Kind::Count,
        None,
        0,
    );
    line(
        &mut r,
        "key sectors (BL > 1 and FL(Ghosh) > 1)",
        format!(
            "{keys} of {total} nodes with output{}",
            region
                .as_ref()
                .map(|r| format!(" in {r}"))
                .unwrap_or_default()
        ),
    );
    line(
        &mut r,
        "solver",
        format!(
            "{}; {}",
            solver_line(&lk.solves[0]),
            solver_line(&lk.solves[1])
        ),
    );
    compose::solve(&mut r, "backward", "(I − A)ᵀ w = 1", &lk.solves[0]);
    compose::solve(&mut r, "forward", "(I − A) u = 1", &lk.solves[1]);
    let mut tb = TableBuilder::new(
        "nodes",
        "linkages by node",
        vec![
            rank(),
            code("region", "region"),
            code("sector", "sector"),
            text("sector_name", "sector name"),
            ratio("backward", "backward", 4).doc("docs/indicators.md#linkages"),
            ratio("forward_leontief", "forward (Leontief)", 4).doc("docs/indicators.md#linkages"),
            ratio("forward_ghosh", "forward (Ghosh)", 4).doc("docs/indicators.md#linkages"),
            flag("key", "key"),
        ],
    );
    for (k, &i) in idx.iter().enumerate() {
        let nl = &lk.nodes[i];
        tb.push_row(vec![
            (k + 1).into(),
            nl.region.as_str().into(),
            nl.sector.as_str().into(),
            nl.sector_name.as_str().into(),
            num(lk.backward[i]),
            num(lk.forward_leontief[i]),
            num(lk.forward_ghosh[i]),
            lk.key[i].into(),
        ])?;
    }
    r.tables.push(tb.finish());
    r.notes
        .push("linkages are normalised to mean 1 over all nodes with output (all regions)".into());
    Ok(r)
}

/// Runs `footprint`.
pub fn footprint(ws: &Workspace, q: &FootprintRequest, progress: &dyn Progress) -> Result<Report> {
    let loaded = ws.dataset_year(&q.data, q.year, progress)?;
    let t = &*loaded.table;
    let sys = loaded.system(q.solver)?;
    let st =
        footprint::Stressor::parse(t, &q.stressor).map_err(|e| Error::from(e).at("stressor"))?;
    progress.stage("solving");
    let acc = match q.by {
        FootprintBy::Region => footprint::accounts_by_region(t, &sys, &[st])?,
        FootprintBy::Node => footprint::accounts(t, &sys, &[st])?,
    };
    let unit = acc.units[0].clone();
    let mut r = compose::report(
        "footprint",
        format!("Footprint of {} — {}", acc.stressors[0], q.data),
        Some(t),
    );
    param(&mut r, "stressor", "stressor", acc.stressors[0].as_str());
    param(
        &mut r,
        "by",
        "by",
        match q.by {
            FootprintBy::Region => "region",
            FootprintBy::Node => "node",
        },
    );
    let world_pba: f64 = acc.d_pba_reg[0].iter().sum();
    let world_cba: f64 = acc.d_cba_reg[0].iter().sum();
    figure(
        &mut r,
        "world_pba",
        "world production-based total",
        num(world_pba),
        Kind::Amount,
        Some(&unit),
        2,
    );
    figure(
        &mut r,
        "world_cba",
        "world consumption-based total",
        num(world_cba),
        Kind::Amount,
        Some(&unit),
        2,
    );
    line(&mut r, "unit", unit.clone());
    line(
        &mut r,
        "world production-based total",
        format_num(world_pba, 2),
    );
    line(
        &mut r,
        "world consumption-based total",
        format_num(world_cba, 2),
    );
    line(&mut r, "solver", solver_line(&acc.solve));
    compose::solve(&mut r, "footprint", "(I − A) X = Y by region", &acc.solve);
    let d = |k: &str| format!("docs/indicators.md#footprint-{k}");
    let accounts = |with: Vec<sovra_report::Column>| {
        let mut cols = with;
        for (key, label) in [
            ("d_cba", "D_cba"),
            ("d_pba", "D_pba"),
            ("d_imp", "D_imp"),
            ("d_exp", "D_exp"),
        ] {
            cols.push(amount(key, label, &unit, 2).doc(d(key)));
        }
        cols
    };
    match q.by {
        FootprintBy::Region => {
            let mut cols = accounts(vec![code("region", "region"), text("name", "name")]);
            cols.push(ratio("cba_over_pba", "cba / pba", 3));
            let mut tb = TableBuilder::new("regions", "footprint by region", cols);
            for (ri, reg) in t.labels.regions.iter().enumerate() {
                let (c, p) = (acc.d_cba_reg[0][ri], acc.d_pba_reg[0][ri]);
                tb.push_row(vec![
                    reg.code.as_str().into(),
                    reg.name.as_str().into(),
                    num(c),
                    num(p),
                    num(acc.d_imp_reg[0][ri]),
                    num(acc.d_exp_reg[0][ri]),
                    if p != 0.0 { num(c / p) } else { Value::Null },
                ])?;
            }
            r.tables.push(tb.finish());
        }
        FootprintBy::Node => {
            let cols = accounts(vec![code("region", "region"), code("sector", "sector")]);
            let mut tb = TableBuilder::new("nodes", "footprint by node", cols);
            for i in 0..t.n() {
                let nl = t.labels.node(i);
                tb.push_row(vec![
                    t.labels.regions[nl.0].code.as_str().into(),
                    t.labels.sectors[nl.1].code.as_str().into(),
                    num(acc.d_cba[0][i]),
                    num(acc.d_pba[0][i]),
                    num(acc.d_imp[0][i]),
                    num(acc.d_exp[0][i]),
                ])?;
            }
            r.tables.push(tb.finish());
        }
    }
    r.notes.push(
        "D_cba: caused anywhere by the region's final demand (+ its direct F_Y); D_pba: emitted by the region's \
         industries (+ F_Y); D_imp / D_exp: caused abroad by the region's demand / at home by other regions' demand"
            .into(),
    );
    Ok(r)
}

/// Computes a vector or matrix of the system (`sovra matrix`); the front end writes it.
pub fn matrix(ws: &Workspace, q: &MatrixRequest, progress: &dyn Progress) -> Result<Matrix> {
    let loaded = ws.dataset_year(&q.data, q.year, progress)?;
    let t = &*loaded.table;
    let n = t.n();
    let (data, cols, solve) = match q.which {
        Which::X => (t.x.clone(), 1, None),
        Which::V => (t.v.clone(), 1, None),
        Which::A => (system::technical_coefficients(t).data.into_vec(), n, None),
        Which::B => (system::allocation_coefficients(t).data.into_vec(), n, None),
        Which::L | Which::G | Which::XFromY => {
            let sys = loaded.system(Solver::Auto)?;
            progress.stage("solving");
            let (d, c, rep) = match q.which {
                Which::L => {
                    system::leontief_inverse(&sys).map(|(d, r)| (d.data.into_vec(), n, r))?
                }
                Which::G => {
                    system::ghosh_inverse(t, &sys).map(|(d, r)| (d.data.into_vec(), n, r))?
                }
                _ => system::output_from_demand(&sys, &t.y.row_sums()).map(|(x, r)| (x, 1, r))?,
            };
            (d, c, Some(solver_line(&rep)))
        }
    };
    Ok(Matrix {
        data,
        rows: n,
        cols,
        labels: (0..n).map(|i| t.labels.node_label(i)).collect(),
        solve,
        title: t.provenance.title.clone(),
    })
}
