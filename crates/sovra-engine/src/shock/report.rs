//! The report of one scenario — parameters, typed figures, the headline people read, the tables
//! `countries`, `sectors`, `nodes` and `legs`, and a diagnostic per phase (rerouting, equilibrium, stability,
//! or the extraction's linear solve) with its iterations, residuals and seconds — and the summary of a batch
//! or a sweep (the table `scenarios`).

use sovra_analysis::shock::{Model, Network, Outcome, Side, stability::Stability};
use sovra_core::Mrio;
use sovra_report::{Column, Diagnostic, Kind, Report, TableBuilder, Value};

use super::Scenario;
use crate::compose::{
    self, amount, code, count, figure, flag, format_num, line, num, param, rank, ratio, share, text,
};
use crate::error::Result;

/// Where the columns are defined.
const DOC: &str = "docs/shock.md#model-rerouting--sanction-simulators-model";
const DOC_EXTRACTION: &str = "docs/shock.md#model-extraction--the-linear-baseline";

/// Whether a model is one of the extraction models.
fn is_extraction(model: Model) -> bool {
    model != Model::Rerouting
}

/// A column that tables for people show only when `shown`.
fn hidden_unless(c: Column, shown: bool) -> Column {
    if shown { c } else { c.hidden() }
}

/// One side's output loss in region `c` (extraction), or null where that side did not run.
fn side_loss_of(o: &Outcome, side: Side, c: usize, ns: usize) -> Value {
    o.side_losses
        .iter()
        .find(|(s, _)| *s == side)
        .map_or(Value::Null, |(_, l)| {
            num(l[c * ns..(c + 1) * ns].iter().sum())
        })
}

/// What a batch's summary keeps of a finished scenario.
pub(super) struct Row {
    name: String,
    model: Model,
    world_loss: f64,
    world_share: f64,
    most_hit: String,
    most_hit_gamma: f64,
    converged: bool,
    trustworthy: bool,
}

pub(super) fn region_name(t: &Mrio, r: usize) -> String {
    let c = &t.labels.regions[r];
    if c.name.is_empty() {
        c.code.clone()
    } else {
        c.name.clone()
    }
}

/// A side's loss and its loss share γ.
fn side_loss(t: &Mrio, net: &Network, o: &Outcome, codes: &[String]) -> (f64, f64) {
    let idx: Vec<usize> = codes
        .iter()
        .filter_map(|c| t.labels.region_index(c))
        .collect();
    let loss: f64 = idx.iter().map(|&r| o.region_loss[r]).sum();
    let out: f64 = idx.iter().map(|&r| net.region_output[r]).sum();
    (loss, if out > 0.0 { loss / out } else { 0.0 })
}

fn seconds(o: &Outcome, phase: &str) -> Option<f64> {
    o.diagnostics
        .seconds
        .iter()
        .find(|(p, _)| *p == phase)
        .map(|(_, s)| *s)
}

/// "converged: rerouting 8 iterations, seller-margin residual 9.8e-11; equilibrium … (0.31 s)".
fn convergence_line(o: &Outcome) -> String {
    let d = &o.diagnostics;
    let mut parts = Vec::new();
    if let Some(r) = &d.reroute {
        parts.push(format!(
            "rerouting {} iterations, seller-margin residual {:.1e}",
            r.iterations, r.residual
        ));
    }
    if let Some(e) = &d.equilibrium {
        parts.push(format!(
            "equilibrium {} iterations, residual h {:.1e}, x {:.1e}",
            e.iterations, e.residual_h, e.residual_x
        ));
    }
    for e in &d.extraction {
        parts.push(format!(
            "{}-side linear solve {} iterations, residual {:.1e}",
            e.side.name(),
            e.iterations,
            e.residual
        ));
    }
    let secs: f64 = d.seconds.iter().map(|(_, s)| s).sum();
    format!(
        "{}{} ({:.2} s)",
        if d.converged {
            "converged: "
        } else {
            "NOT CONVERGED: "
        },
        parts.join("; "),
        secs
    )
}

fn stability_line(st: &Stability) -> String {
    format!(
        "cushion slack {:.3} ({}), h_min {:.4} {} floor {:.4}, q_ω {:.3}, r_Λ {:.3e} (sufficient only if < 1)",
        st.cushion_min_slack,
        if st.cushion_min_slack > 0.0 {
            "holds"
        } else {
            "FAILS"
        },
        st.h_min,
        if st.interior || st.cushion_min_slack <= 0.0 {
            "≥"
        } else {
            "< (FAILS)"
        },
        st.c_omega_floor,
        st.q_omega,
        st.r_lambda
    )
}

/// Fulfilment below which a node counts as collapsed: it gets less than 1 % of the inputs it needs.
const COLLAPSED_FULFILMENT: f64 = 0.01;

/// Why a computed outcome is not to be trusted (empty when it is): the solver missed its tolerance, the
/// stability check fails (no interior equilibrium is guaranteed), or fulfilment collapses somewhere.
pub(crate) fn distrust(o: &Outcome) -> Vec<String> {
    let d = &o.diagnostics;
    let mut why = Vec::new();
    if !d.converged {
        why.push("the solver did not reach its tolerance".to_string());
    }
    if let Some(st) = &d.stability {
        if st.cushion_min_slack <= 0.0 {
            why.push(format!(
                "the stability check fails: cushion slack {:.3} ≤ 0, so no interior equilibrium is guaranteed",
                st.cushion_min_slack
            ));
        } else if !st.interior {
            why.push(format!(
                "the stability check fails: the lowest fulfilment h_min {:.4} is under its floor {:.4}",
                st.h_min, st.c_omega_floor
            ));
        }
    }
    if let Some(h) = &o.fulfilment {
        let collapsed = h.iter().filter(|v| **v < COLLAPSED_FULFILMENT).count();
        if collapsed > 0 {
            why.push(format!(
                "fulfilment collapses: {collapsed} node(s) get under {:.0} % of the inputs they need",
                100.0 * COLLAPSED_FULFILMENT
            ));
        }
    }
    why
}

/// The report of one scenario, and its row of a batch's summary.
pub(super) fn scenario(
    t: &Mrio,
    net: &Network,
    sc: &Scenario,
    o: &Outcome,
    top: Option<usize>,
    detail: Option<usize>,
) -> Result<(Row, Report)> {
    let spec = &sc.spec;
    let mut r = compose::report(
        "shock",
        format!("shock: {} ({} model)", spec.describe(), spec.model.name()),
        Some(t),
    );
    parameters(&mut r, sc);
    let losses = Losses::new(t, net, sc, o);
    headline(&mut r, t, sc, o, &losses);
    figures(&mut r, t, sc, o, &losses);
    diagnostics(&mut r, t, o);
    r.notes = sc.resolved.notes.clone();
    let why = distrust(o);
    if !why.is_empty() {
        r.notes.push(format!(
            "computed but not trustworthy: {} (see the diagnostics)",
            why.join("; ")
        ));
    }
    // Countries by loss (ties in table order).
    let mut order: Vec<usize> = (0..t.labels.regions.len()).collect();
    order.sort_by(|&x, &y| o.region_loss[y].total_cmp(&o.region_loss[x]));
    r.tables
        .push(countries(t, net, o, &losses, spec.model, &order, top)?);
    r.tables.push(sides(t, net, o, &losses)?);
    r.tables
        .push(sectors(t, net, o, detail.unwrap_or(order[0]))?);
    r.tables.push(nodes(t, net, o)?);
    r.tables.push(legs(sc)?);
    if !sc.resolved.blocks.is_empty() {
        r.tables.push(blocks(t, sc)?);
    }
    let most_hit = order[0];
    let row = Row {
        name: spec.name.clone(),
        model: spec.model,
        world_loss: o.world_loss,
        world_share: losses.world_share,
        most_hit: t.labels.regions[most_hit].code.clone(),
        most_hit_gamma: o.region_gamma[most_hit],
        converged: o.diagnostics.converged,
        trustworthy: why.is_empty(),
    };
    Ok((row, r))
}

/// The model, the scenario (its name, and its legs when the name says something else), the date and the
/// parameters the model uses.
fn parameters(r: &mut Report, sc: &Scenario) {
    let spec = &sc.spec;
    let p = &spec.params;
    param(r, "model", "model", spec.model.name());
    param(r, "scenario", "scenario", spec.name.as_str());
    let description = spec.describe();
    if description != spec.name {
        param(r, "description", "description", description);
    }
    param(r, "as_of", "as_of", sc.resolved.as_of.as_str());
    if spec.model == Model::Rerouting {
        for (key, v) in [
            ("tau", p.tau),
            ("delta", p.delta),
            ("rho", p.rho),
            ("rho_out", p.rho_out),
            ("balance_tol", p.balance_tol),
            ("fp_tol", p.fp_tol),
        ] {
            param(r, key, key, v);
        }
    } else {
        param(r, "delta", "delta", p.delta);
    }
}

/// The losses the headline and the figures report.
struct Losses {
    /// Sanctioning side: loss and γ.
    sanctioning: (f64, f64),
    /// Target side: loss and γ.
    target: (f64, f64),
    /// World loss as a share of world output.
    world_share: f64,
    /// Final-demand loss, all countries (`None` where the model does not define it).
    final_demand: Option<f64>,
    /// Per region: value added of the table and value-added loss `Σ_{i∈c} ν_i loss_i`.
    value_added: Vec<f64>,
    value_added_loss: Vec<f64>,
    /// Side of each region: 0 sanctioning, 1 target, 2 third country.
    side: Vec<usize>,
    /// Third countries: loss and γ.
    third: (f64, f64),
}

/// The side of each region of the table ([`SIDES`]: 0 sanctioning, 1 target, 2 third country).
pub(super) fn region_sides(t: &Mrio, sc: &Scenario) -> Vec<usize> {
    let of = |codes: &[String], r: usize| codes.contains(&t.labels.regions[r].code);
    (0..t.labels.regions.len())
        .map(|r| {
            if of(&sc.resolved.sanctioning, r) {
                0
            } else if of(&sc.resolved.target, r) {
                1
            } else {
                2
            }
        })
        .collect()
}

pub(super) fn ratio_of(a: f64, b: f64) -> f64 {
    if b > 0.0 { a / b } else { 0.0 }
}

/// The sides of a scenario, in the order of [`Losses::side`].
pub(super) const SIDES: [&str; 3] = ["sanctioning", "target", "third"];

impl Losses {
    fn new(t: &Mrio, net: &Network, sc: &Scenario, o: &Outcome) -> Self {
        let (nr, ns) = (t.labels.regions.len(), t.labels.sectors.len());
        let nu = t.va_shares();
        let mut value_added = vec![0.0; nr];
        let mut value_added_loss = vec![0.0; nr];
        for i in 0..t.n() {
            value_added[i / ns] += t.v[i];
            value_added_loss[i / ns] += nu[i] * o.loss[i];
        }
        let side = region_sides(t, sc);
        let third_regions: Vec<usize> = (0..nr).filter(|&r| side[r] == 2).collect();
        let third_loss: f64 = third_regions.iter().map(|&r| o.region_loss[r]).sum();
        let third_out: f64 = third_regions.iter().map(|&r| net.region_output[r]).sum();
        Losses {
            third: (third_loss, ratio_of(third_loss, third_out)),
            sanctioning: side_loss(t, net, o, &sc.resolved.sanctioning),
            target: side_loss(t, net, o, &sc.resolved.target),
            world_share: o.world_loss / o.world_output,
            final_demand: o.region_final_demand_loss.as_ref().map(|f| f.iter().sum()),
            value_added,
            value_added_loss,
            side,
        }
    }

    /// Value-added loss of one side.
    fn va_side(&self, side: usize) -> f64 {
        (0..self.side.len())
            .filter(|&r| self.side[r] == side)
            .map(|r| self.value_added_loss[r])
            .sum()
    }

    /// Output, output loss, value added, value-added loss and final-demand loss of one side.
    fn side_totals(&self, net: &Network, o: &Outcome, side: usize) -> [f64; 5] {
        let mut out = [0.0; 5];
        for r in (0..self.side.len()).filter(|&r| self.side[r] == side) {
            out[0] += net.region_output[r];
            out[1] += o.region_loss[r];
            out[2] += self.value_added[r];
            out[3] += self.value_added_loss[r];
            out[4] += o.region_final_demand_loss.as_ref().map_or(0.0, |f| f[r]);
        }
        out
    }

    /// Target γ / sanctioning γ, when the sanctioning side loses anything.
    fn power_ratio(&self) -> Option<f64> {
        (self.sanctioning.1 > 0.0).then(|| self.target.1 / self.sanctioning.1)
    }
}

/// The headline, worded as the CLI has always printed it.
fn headline(r: &mut Report, t: &Mrio, sc: &Scenario, o: &Outcome, x: &Losses) {
    let res = &sc.resolved;
    let units = &t.provenance.units;
    let d = &o.diagnostics;
    let ((sl, sg), (tl, tg)) = (x.sanctioning, x.target);
    line(r, "sanctioning", res.sanctioning.join(" "));
    line(r, "target", res.target.join(" "));
    line(
        r,
        "severed",
        if res.blocks.is_empty() {
            format!(
                "{} seller→buyer region pairs, {} entries of Z",
                res.legs.len(),
                d.severed_entries
            )
        } else {
            format!(
                "{} seller→buyer region pairs, {} entries of Z in part: the products' share of {} seller \
                 sector → buyer blocks (table blocks)",
                res.legs.len(),
                d.severed_entries,
                res.blocks.len()
            )
        },
    );
    line(
        r,
        "world output loss",
        format!(
            "{} {units} ({:.3}% of world output)",
            format_num(o.world_loss, 0),
            100.0 * x.world_share
        ),
    );
    line(
        r,
        "sanctioning side loss",
        format!("{} {units} (γ = {:.3}%)", format_num(sl, 0), 100.0 * sg),
    );
    line(
        r,
        "target side loss",
        format!("{} {units} (γ = {:.3}%)", format_num(tl, 0), 100.0 * tg),
    );
    line(
        r,
        "third countries' loss",
        format!(
            "{} {units} (γ = {:.3}%)",
            format_num(x.third.0, 0),
            100.0 * x.third.1
        ),
    );
    let (va_loss, va): (f64, f64) = (x.value_added_loss.iter().sum(), x.value_added.iter().sum());
    line(
        r,
        "value-added (GDP) loss",
        format!(
            "{} {units} ({:.3}% of world GDP): sanctioning side {}, target side {}, third countries {}",
            format_num(va_loss, 0),
            100.0 * ratio_of(va_loss, va),
            format_num(x.va_side(0), 0),
            format_num(x.va_side(1), 0),
            format_num(x.va_side(2), 0)
        ),
    );
    if let Some(fd) = x.final_demand {
        line(
            r,
            "final-demand loss",
            format!("{} {units}", format_num(fd, 0)),
        );
    }
    if sc.spec.model == Model::Rerouting
        && let Some(p) = x.power_ratio()
    {
        line(
            r,
            "power ratio (target γ / sanctioning γ)",
            format!("{p:.2}"),
        );
    }
    line(r, "solver", convergence_line(o));
    if let Some(st) = &d.stability {
        line(r, "stability", stability_line(st));
    }
}

/// The typed figures: sides, losses, convergence, and each phase's iterations and residuals.
fn figures(r: &mut Report, t: &Mrio, sc: &Scenario, o: &Outcome, x: &Losses) {
    let units = t.provenance.units.as_str();
    for (key, label, value, kind, decimals) in figure_rows(sc, o, x) {
        let unit = (kind == Kind::Amount).then_some(units);
        figure(r, key, label, value, kind, unit, decimals);
    }
}

/// (key, label, value, kind, decimals) of every figure; amounts are in the table's unit.
#[rustfmt::skip]
fn figure_rows(sc: &Scenario, o: &Outcome, x: &Losses) -> Vec<(&'static str, &'static str, Value, Kind, u8)> {
    let res = &sc.resolved;
    let d = &o.diagnostics;
    let codes = |v: &[String]| Value::List(v.iter().map(|c| c.as_str().into()).collect());
    let count = |n: usize| Value::from(n);
    let power = x.power_ratio().map_or(Value::Null, num);
    let mut rows = vec![
        ("sanctioning_regions", "sanctioning regions", codes(&res.sanctioning), Kind::Code, 0),
        ("target_regions", "target regions", codes(&res.target), Kind::Code, 0),
        ("severed_pairs", "severed seller→buyer region pairs", count(res.legs.len()), Kind::Count, 0),
        ("severed_entries", "severed entries of Z", count(d.severed_entries), Kind::Count, 0),
        ("world_output", "world output", num(o.world_output), Kind::Amount, 0),
        ("world_output_loss", "world output loss", num(o.world_loss), Kind::Amount, 0),
        ("world_output_loss_share", "world output loss, share", num(x.world_share), Kind::Share, 3),
        ("sanctioning_loss", "sanctioning side loss", num(x.sanctioning.0), Kind::Amount, 0),
        ("sanctioning_loss_share", "sanctioning side γ", num(x.sanctioning.1), Kind::Share, 3),
        ("target_loss", "target side loss", num(x.target.0), Kind::Amount, 0),
        ("target_loss_share", "target side γ", num(x.target.1), Kind::Share, 3),
        ("final_demand_loss", "final-demand loss", x.final_demand.map_or(Value::Null, num), Kind::Amount, 0),
        ("third_loss", "third countries' loss", num(x.third.0), Kind::Amount, 0),
        ("third_loss_share", "third countries' γ", num(x.third.1), Kind::Share, 3),
        ("world_value_added_loss", "world value-added loss", num(x.value_added_loss.iter().sum()), Kind::Amount, 0),
        ("world_value_added_loss_share", "world value-added loss, share of world GDP", num(ratio_of(x.value_added_loss.iter().sum(), x.value_added.iter().sum())), Kind::Share, 3),
        ("sanctioning_value_added_loss", "sanctioning side value-added loss", num(x.va_side(0)), Kind::Amount, 0),
        ("target_value_added_loss", "target side value-added loss", num(x.va_side(1)), Kind::Amount, 0),
        ("power_ratio", "power ratio (target γ / sanctioning γ)", power, Kind::Ratio, 2),
        ("converged", "converged", d.converged.into(), Kind::Flag, 0),
        ("trustworthy", "trustworthy (converged, stable, no collapse)", distrust(o).is_empty().into(), Kind::Flag, 0),
    ];
    if let Some(rr) = &d.reroute {
        rows.extend([
            ("reroute_iterations", "rerouting iterations", count(rr.iterations), Kind::Count, 0),
            ("reroute_residual", "rerouting residual (seller margins)", num(rr.residual), Kind::Ratio, 12),
        ]);
    }
    if let Some(e) = &d.equilibrium {
        rows.extend([
            ("equilibrium_iterations", "equilibrium iterations", count(e.iterations), Kind::Count, 0),
            ("equilibrium_residual_h", "equilibrium residual max |λσ − h|", num(e.residual_h), Kind::Ratio, 12),
            ("equilibrium_residual_x", "equilibrium residual max |λz + hD − x| / max s", num(e.residual_x), Kind::Ratio, 12),
        ]);
    }
    if !d.extraction.is_empty() {
        let iterations = d.extraction.iter().map(|e| e.iterations).sum();
        let residual = d.extraction.iter().map(|e| e.residual).fold(0.0, f64::max);
        rows.extend([
            ("solve_iterations", "linear solve iterations (all sides)", count(iterations), Kind::Count, 0),
            ("solve_residual", "linear solve residual (worst side)", num(residual), Kind::Ratio, 12),
        ]);
    }
    rows
}

/// One diagnostic per phase, with its iterations, residual and seconds, and a warning when a phase missed
/// its tolerance.
fn diagnostics(r: &mut Report, t: &Mrio, o: &Outcome) {
    let d = &o.diagnostics;
    let units = &t.provenance.units;
    let with_seconds = |g: Diagnostic, phase: &str| match seconds(o, phase) {
        Some(s) => g.seconds(s),
        None => g,
    };
    if let Some(rr) = &d.reroute {
        let g = Diagnostic::new(
            "reroute",
            "rerouting of severed trade (two-sided RAS per selling sector; residual: seller margins relative to the block's largest)",
        )
        .method("ras")
        .iterations(rr.iterations as u64)
        .max_relative_residual(rr.residual)
        .detail(format!(
            "{}; severed flow {} {units}, lost to friction {} {units}; correction drift {:.1e}",
            if rr.converged { "converged" } else { "NOT CONVERGED" },
            format_num(rr.severed_flow, 0),
            format_num(rr.friction_loss, 0),
            rr.correction_drift
        ));
        r.diagnostics.push(with_seconds(g, "reroute"));
    }
    if let Some(e) = &d.equilibrium {
        let g = Diagnostic::new(
            "equilibrium",
            "CES capacity-rationing equilibrium (fixed point in h and x; residual: the larger of max |λσ − h| and max |λz + hD − x| / max s)",
        )
        .method("anderson")
        .iterations(e.iterations as u64)
        .max_relative_residual(e.residual_h.max(e.residual_x))
        .detail(format!(
            "{}; residual h {:.1e}, x {:.1e}; last step {:.1e}; correction drift {:.1e}",
            if e.converged { "converged" } else { "NOT CONVERGED" },
            e.residual_h,
            e.residual_x,
            e.step,
            e.correction_drift
        ));
        r.diagnostics.push(with_seconds(g, "equilibrium"));
    }
    if let Some(st) = &d.stability {
        let g = Diagnostic::new(
            "stability",
            "admissibility statistics of the equilibrium (the peer model's)",
        )
        .detail(format!(
            "{}; interior: {}",
            stability_line(st),
            if st.interior { "yes" } else { "no" }
        ));
        r.diagnostics.push(with_seconds(g, "stability"));
    }
    for e in &d.extraction {
        let g = Diagnostic::new(
            format!("extraction_{}", e.side.name()),
            match e.side {
                Side::Demand => {
                    "demand side: x' = (I − B̂)⁻¹ z with the severed technical coefficients times δ"
                }
                Side::Supply => {
                    "supply side (Ghosh): x'ᵀ = vᵀ (I − Ĉ)⁻¹ with the severed allocation coefficients times δ"
                }
            },
        )
        .method("iterative")
        .iterations(e.iterations as u64)
        .max_relative_residual(e.residual)
        .detail(if e.converged {
            "converged"
        } else {
            "NOT CONVERGED"
        });
        r.diagnostics.push(with_seconds(g, "extraction"));
    }
    if !d.converged {
        r.diagnostics.push(Diagnostic::warning(
            "not_converged",
            "the solver did not converge",
            convergence_line(o),
        ));
    }
}

/// Every country (or the `top` ones), ranked by output loss.
fn countries(
    t: &Mrio,
    net: &Network,
    o: &Outcome,
    x: &Losses,
    model: Model,
    order: &[usize],
    top: Option<usize>,
) -> Result<sovra_report::Table> {
    let units = &t.provenance.units;
    let extraction = is_extraction(model);
    let ns = t.labels.sectors.len();
    let mut tb = TableBuilder::new(
        "countries",
        "countries by output loss",
        vec![
            rank(),
            code("region", "region"),
            text("name", "name"),
            code("side", "side"),
            amount("output", "output", units, 0).hidden(),
            amount("output_loss", "output loss", units, 0).doc(DOC),
            share("loss_share", "γ (% of output)").doc(DOC),
            amount("value_added_loss", "VA loss", units, 0).doc(DOC),
            share("value_added_loss_share", "% of GDP").doc(DOC),
            amount("final_demand_loss", "final-demand loss", units, 0).doc(DOC),
            hidden_unless(
                amount("demand_side_loss", "demand-side loss", units, 0).doc(DOC_EXTRACTION),
                extraction,
            ),
            hidden_unless(
                amount("supply_side_loss", "supply-side loss", units, 0).doc(DOC_EXTRACTION),
                extraction,
            ),
        ],
    );
    // The --top most hit, and the parties of the scenario wherever they rank.
    let shown = top.unwrap_or(usize::MAX);
    for (k, &c) in order.iter().enumerate() {
        if k >= shown && x.side[c] == 2 {
            continue;
        }
        tb.push_row(vec![
            (k + 1).into(),
            t.labels.regions[c].code.as_str().into(),
            region_name(t, c).into(),
            SIDES[x.side[c]].into(),
            num(net.region_output[c]),
            num(o.region_loss[c]),
            num(o.region_gamma[c]),
            num(x.value_added_loss[c]),
            num(ratio_of(x.value_added_loss[c], x.value_added[c])),
            o.region_final_demand_loss
                .as_ref()
                .map_or(Value::Null, |f| num(f[c])),
            side_loss_of(o, Side::Demand, c, ns),
            side_loss_of(o, Side::Supply, c, ns),
        ])?;
    }
    Ok(tb.finish())
}

/// Subtotals of the sanctioning side, the target side and the third countries.
fn sides(t: &Mrio, net: &Network, o: &Outcome, x: &Losses) -> Result<sovra_report::Table> {
    let units = &t.provenance.units;
    let mut tb = TableBuilder::new(
        "sides",
        "losses by side",
        vec![
            code("side", "side"),
            count("regions", "regions"),
            amount("output", "output", units, 0),
            amount("output_loss", "output loss", units, 0).doc(DOC),
            share("loss_share", "γ (% of output)").doc(DOC),
            amount("value_added", "value added (GDP)", units, 0),
            amount("value_added_loss", "VA loss", units, 0).doc(DOC),
            share("value_added_loss_share", "% of GDP").doc(DOC),
            amount("final_demand_loss", "final-demand loss", units, 0).doc(DOC),
        ],
    );
    for (k, name) in SIDES.iter().enumerate() {
        let [out, loss, va, va_loss, fd] = x.side_totals(net, o, k);
        tb.push_row(vec![
            (*name).into(),
            x.side.iter().filter(|s| **s == k).count().into(),
            num(out),
            num(loss),
            num(ratio_of(loss, out)),
            num(va),
            num(va_loss),
            num(ratio_of(va_loss, va)),
            if o.region_final_demand_loss.is_some() {
                num(fd)
            } else {
                Value::Null
            },
        ])?;
    }
    Ok(tb.finish())
}

fn node_share(net: &Network, o: &Outcome, i: usize) -> f64 {
    if net.s[i] > 0.0 {
        o.loss[i] / net.s[i]
    } else {
        0.0
    }
}

fn optional(v: &Option<Vec<f64>>, i: usize) -> Value {
    v.as_ref().map_or(Value::Null, |h| num(h[i]))
}

/// The sectors of one country, ranked by output loss.
fn sectors(t: &Mrio, net: &Network, o: &Outcome, region: usize) -> Result<sovra_report::Table> {
    let l = &t.labels;
    let units = &t.provenance.units;
    let ns = l.sectors.len();
    let mut tb = TableBuilder::new(
        "sectors",
        format!(
            "sectors of {} ({}) by output loss",
            l.regions[region].code,
            region_name(t, region)
        ),
        vec![
            code("region", "region").hidden(),
            code("sector", "sector"),
            text("sector_name", "name"),
            amount("output", "output", units, 0),
            amount("output_loss", "output loss", units, 0).doc(DOC),
            share("loss_share", "% of sector output").doc(DOC),
            ratio("fulfilment_h", "fulfilment h", 4).doc(DOC),
        ],
    );
    let mut order: Vec<usize> = (0..ns).collect();
    order.sort_by(|&x, &y| o.loss[region * ns + y].total_cmp(&o.loss[region * ns + x]));
    for s in order {
        let i = region * ns + s;
        tb.push_row(vec![
            l.regions[region].code.as_str().into(),
            l.sectors[s].code.as_str().into(),
            l.sectors[s].name.as_str().into(),
            num(net.s[i]),
            num(o.loss[i]),
            num(node_share(net, o, i)),
            optional(&o.fulfilment, i),
        ])?;
    }
    Ok(tb.finish())
}

/// Every node (region × sector) in the table's order.
fn nodes(t: &Mrio, net: &Network, o: &Outcome) -> Result<sovra_report::Table> {
    let l = &t.labels;
    let units = &t.provenance.units;
    let mut tb = TableBuilder::new(
        "nodes",
        "output by node (region × sector)",
        vec![
            code("region", "region"),
            code("sector", "sector"),
            text("sector_name", "sector name"),
            amount("output", "output", units, 3),
            amount("post_shock_output", "post-shock output", units, 3).doc(DOC),
            amount("output_loss", "output loss", units, 3).doc(DOC),
            share("loss_share", "% of output").doc(DOC),
            ratio("fulfilment_h", "fulfilment h", 6).doc(DOC),
            ratio("pass_through", "pass-through λ", 6).doc(DOC),
        ],
    );
    for i in 0..t.n() {
        let (c, s) = l.node(i);
        tb.push_row(vec![
            l.regions[c].code.as_str().into(),
            l.sectors[s].code.as_str().into(),
            l.sectors[s].name.as_str().into(),
            num(net.s[i]),
            num(o.x[i]),
            num(o.loss[i]),
            num(node_share(net, o, i)),
            optional(&o.fulfilment, i),
            optional(&o.pass_through, i),
        ])?;
    }
    Ok(tb.finish())
}

/// The legs as given (before blocs are resolved); a products column when a leg names products.
fn legs(sc: &Scenario) -> Result<sovra_report::Table> {
    let with_products = sc.spec.legs.iter().any(|l| l.products.is_some());
    let mut cols = vec![
        Column::int("leg", "leg", Kind::Rank),
        code("sanctioning", "sanctioning"),
        code("target", "target"),
        text("instrument", "instrument"),
        text("sectors", "selling sectors (all when empty)"),
    ];
    if with_products {
        cols.push(text("products", "products (HS codes)"));
    }
    let mut tb = TableBuilder::new("legs", "legs of the scenario", cols);
    for (k, leg) in sc.spec.legs.iter().enumerate() {
        let mut row: Vec<Value> = vec![
            (k + 1).into(),
            leg.sanctioning.as_str().into(),
            leg.target.as_str().into(),
            leg.instrument.name().into(),
            leg.sectors
                .as_ref()
                .map_or(Value::Null, |s| Value::Text(s.join(","))),
        ];
        if with_products {
            row.push(
                leg.products
                    .as_ref()
                    .map_or(Value::Null, |s| Value::Text(s.join(","))),
            );
        }
        tb.push_row(row)?;
    }
    Ok(tb.finish())
}

/// The blocks product legs sever in part: seller region × sector → buyer region, the share, its basis.
fn blocks(t: &Mrio, sc: &Scenario) -> Result<sovra_report::Table> {
    let l = &t.labels;
    let mut tb = TableBuilder::new(
        "blocks",
        "severed share of each block (product legs)",
        vec![
            code("seller", "seller"),
            code("sector", "sector"),
            code("buyer", "buyer"),
            share("severed_share", "severed share").doc("docs/shock.md#product-legs"),
            text("basis", "weighted by"),
        ],
    );
    for b in &sc.resolved.blocks {
        tb.push_row(vec![
            l.regions[b.seller].code.as_str().into(),
            l.sectors[b.sector].code.as_str().into(),
            l.regions[b.buyer].code.as_str().into(),
            num(b.share),
            b.basis.name().into(),
        ])?;
    }
    Ok(tb.finish())
}

/// The summary of a batch or a sweep: one row per scenario run, in scenario order.
pub(super) fn summary(t: &Mrio, rows: &[Row], skipped: usize, secs: f64) -> Result<Report> {
    let n = rows.len();
    let mut r = compose::report("shock", format!("shock batch: {n} scenarios"), Some(t));
    figure(
        &mut r,
        "scenarios",
        "scenarios run",
        n,
        Kind::Count,
        None,
        0,
    );
    figure(
        &mut r,
        "skipped",
        "scenarios skipped (done before)",
        skipped,
        Kind::Count,
        None,
        0,
    );
    let all = rows.iter().all(|row| row.converged);
    figure(
        &mut r,
        "converged",
        "every scenario converged",
        all,
        Kind::Flag,
        None,
        0,
    );
    let untrusted = rows.iter().filter(|row| !row.trustworthy).count();
    figure(
        &mut r,
        "trustworthy",
        "every scenario trustworthy (converged, stable, no collapse)",
        untrusted == 0,
        Kind::Flag,
        None,
        0,
    );
    r.diagnostics.push(
        Diagnostic::new("scenarios", "the scenarios, run in parallel")
            .seconds(secs)
            .detail(format!(
                "{n} scenarios ({:.2} per second), {skipped} skipped",
                n as f64 / secs.max(1e-9)
            )),
    );
    let units = &t.provenance.units;
    let mut tb = TableBuilder::new(
        "scenarios",
        "scenarios",
        vec![
            text("scenario", "scenario"),
            text("model", "model"),
            amount("world_output_loss", "world loss", units, 0).doc(DOC),
            share("world_output_loss_share", "% of world").doc(DOC),
            code("most_hit", "most hit"),
            share("most_hit_loss_share", "its γ").doc(DOC),
            flag("converged", "converged"),
            flag("trustworthy", "trustworthy"),
        ],
    );
    for row in rows {
        tb.push_row(vec![
            row.name.as_str().into(),
            row.model.name().into(),
            num(row.world_loss),
            num(row.world_share),
            row.most_hit.as_str().into(),
            num(row.most_hit_gamma),
            row.converged.into(),
            row.trustworthy.into(),
        ])?;
    }
    r.tables.push(tb.finish());
    if !all {
        r.notes.push(
            "some scenarios did not converge: their numbers are not an equilibrium (see each scenario's residuals)"
                .into(),
        );
    }
    if untrusted > 0 {
        r.notes.push(format!(
            "{untrusted} scenario(s) computed but not trustworthy (see the trustworthy column and each scenario's notes)"
        ));
    }
    Ok(r)
}
