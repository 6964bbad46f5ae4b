//! How uncertain a shock's result is: a seeded Monte Carlo over the model's parameters (`draws` with `tau`,
//! `delta`, `rho` or `rho_out` given as distributions), reporting per country the median and the 5th and 95th
//! percentiles of the output loss and of γ, and the distribution of the world loss.
//!
//! Distributions (written in a parameter's place, e.g. `--tau uniform:0.1:0.6`):
//!
//! - `uniform:LO:HI` — every value in `[LO, HI]` equally likely;
//! - `triangular:LO:MODE:HI` — density rising linearly from `LO` to `MODE` and falling to `HI`;
//! - `normal:MEAN:SD` — normal, truncated to the parameter's domain (`τ, δ ∈ [0, 1]`, `ρ, ϱ ∈ [−100, 0)`) by
//!   drawing again.
//!
//! Bounds must lie in the parameter's domain. Draw `k` takes its own generator, seeded from the request's
//! `seed` and `k` (SplitMix64), and samples the parameters in the order τ, δ, ρ, ϱ: the result depends on
//! the seed only, not on how many threads ran the draws or in which order they finished. Percentiles
//! interpolate linearly between order statistics (numpy's default, "type 7"), over the draws that
//! converged.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use rayon::prelude::*;
use sovra_analysis::shock::{self as model, Network, Params};
use sovra_core::Mrio;
use sovra_report::{Diagnostic, Kind, Report, TableBuilder, Value};

use super::report::{SIDES, distrust, ratio_of, region_name, region_sides};
use super::{ParamArg, Plan, Scenario, ShockRequest, scenarios};
use crate::compose::{
    self, amount, code, count, figure, flag, format_num, line, num, param, rank, ratio, share, text,
};
use crate::error::{Error, Result};
use crate::progress::Progress;

/// The parameters a distribution may be given for, in sampling order (those a sweep can vary).
pub(super) const VARIED: [&str; 4] = scenarios::SWEPT;

/// A parameter's distribution.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Distribution {
    /// `uniform:LO:HI`.
    Uniform { lo: f64, hi: f64 },
    /// `triangular:LO:MODE:HI`.
    Triangular { lo: f64, mode: f64, hi: f64 },
    /// `normal:MEAN:SD`, truncated to the parameter's domain.
    Normal { mean: f64, sd: f64 },
}

/// What a parameter written in a request is: a value or a distribution.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Given {
    Value(f64),
    Drawn(Distribution),
}

/// The domain of a parameter: `(lo, hi, hi_included)`.
fn domain(name: &str) -> (f64, f64, bool) {
    match name {
        "tau" | "delta" => (0.0, 1.0, true),
        _ => (model::RHO_MIN, 0.0, false),
    }
}

fn in_domain(name: &str, v: f64) -> bool {
    let (lo, hi, closed) = domain(name);
    v >= lo && (v < hi || (closed && v == hi))
}

fn domain_text(name: &str) -> String {
    let (lo, hi, closed) = domain(name);
    format!("[{lo}, {hi}{}", if closed { "]" } else { ")" })
}

/// Parses a parameter as written: a number, or a distribution.
pub(super) fn parse(name: &str, arg: &ParamArg) -> Result<Given> {
    let text = match arg {
        ParamArg::Value(v) => return Ok(Given::Value(*v)),
        ParamArg::Text(t) => t.trim(),
    };
    if let Ok(v) = text.parse::<f64>() {
        if !v.is_finite() {
            return Err(Error::usage(
                name,
                format!("{name} = '{text}' is not a finite number"),
            ));
        }
        return Ok(Given::Value(v));
    }
    let bad = |m: String| {
        Error::usage(
            name,
            format!(
                "{name} = '{text}': {m}; a distribution is uniform:LO:HI, triangular:LO:MODE:HI or \
                 normal:MEAN:SD, inside {name}'s domain {}",
                domain_text(name)
            ),
        )
    };
    let mut parts = text.split(':');
    let kind = parts.next().unwrap_or("").trim().to_ascii_lowercase();
    let nums: Vec<f64> = parts
        .map(|p| {
            p.trim()
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| bad(format!("'{}' is not a number", p.trim())))
        })
        .collect::<Result<_>>()?;
    let inside = |v: f64, what: &str| -> Result<()> {
        if in_domain(name, v) {
            Ok(())
        } else {
            Err(bad(format!("{what} {v} is outside {}", domain_text(name))))
        }
    };
    let d = match (kind.as_str(), nums.as_slice()) {
        ("uniform", &[lo, hi]) => {
            if lo >= hi {
                return Err(bad(format!(
                    "the lower bound {lo} must be below the upper {hi}"
                )));
            }
            inside(lo, "the lower bound")?;
            inside(hi, "the upper bound")?;
            Distribution::Uniform { lo, hi }
        }
        ("triangular", &[lo, mode, hi]) => {
            if !(lo < hi && lo <= mode && mode <= hi) {
                return Err(bad(format!(
                    "need LO < HI and LO ≤ MODE ≤ HI, got {lo}, {mode}, {hi}"
                )));
            }
            inside(lo, "the lower bound")?;
            inside(hi, "the upper bound")?;
            Distribution::Triangular { lo, mode, hi }
        }
        ("normal", &[mean, sd]) => {
            if sd <= 0.0 {
                return Err(bad(format!("the standard deviation {sd} must be positive")));
            }
            inside(mean, "the mean")?;
            Distribution::Normal { mean, sd }
        }
        ("uniform" | "triangular" | "normal", _) => {
            return Err(bad(format!(
                "{kind} takes {} numbers",
                match kind.as_str() {
                    "triangular" => 3,
                    _ => 2,
                }
            )));
        }
        _ => return Err(bad("not a number or a distribution".into())),
    };
    Ok(Given::Drawn(d))
}

/// SplitMix64 (Steele, Lea & Flood 2014): small, fast and good enough for sampling a few parameters.
struct SplitMix(u64);

impl SplitMix {
    /// The generator of draw `k` under `seed`.
    fn for_draw(seed: u64, k: usize) -> Self {
        let mut g = SplitMix(seed ^ 0x5EED_5EED_5EED_5EED);
        g.0 = g.next_u64() ^ (k as u64).wrapping_mul(0xD1B5_4A32_D192_ED03);
        g
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform on `[0, 1)`, 53 bits.
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Standard normal (Box–Muller).
    fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.unit(); // (0, 1]
        let u2 = self.unit();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

impl Distribution {
    /// One value of parameter `name`, or `None` when a truncated normal found no value in the domain in
    /// 10,000 tries (a mean far from the domain and a tiny spread).
    fn sample(&self, name: &str, g: &mut SplitMix) -> Option<f64> {
        match *self {
            Distribution::Uniform { lo, hi } => {
                // Never the upper bound itself (it may lie outside an open domain).
                Some(lo + (hi - lo) * g.unit())
            }
            Distribution::Triangular { lo, mode, hi } => {
                let u = g.unit();
                let f = (mode - lo) / (hi - lo);
                Some(if u < f {
                    lo + ((hi - lo) * (mode - lo) * u).sqrt()
                } else {
                    hi - ((hi - lo) * (hi - mode) * (1.0 - u)).sqrt()
                })
            }
            Distribution::Normal { mean, sd } => (0..10_000)
                .map(|_| mean + sd * g.normal())
                .find(|&v| in_domain(name, v)),
        }
    }

    /// As written.
    fn describe(&self) -> String {
        match *self {
            Distribution::Uniform { lo, hi } => format!("uniform:{lo}:{hi}"),
            Distribution::Triangular { lo, mode, hi } => format!("triangular:{lo}:{mode}:{hi}"),
            Distribution::Normal { mean, sd } => format!("normal:{mean}:{sd}"),
        }
    }
}

/// The distributions of a request, in [`VARIED`] order.
pub(super) fn distributions(q: &ShockRequest) -> Result<Vec<(&'static str, Distribution)>> {
    let mut out = Vec::new();
    for (name, arg) in VARIED.iter().zip([&q.tau, &q.delta, &q.rho, &q.rho_out]) {
        if let Some(a) = arg
            && let Given::Drawn(d) = parse(name, a)?
        {
            out.push((*name, d));
        }
    }
    Ok(out)
}

/// The limits on `draws`, checked before any work.
pub(super) fn check(q: &ShockRequest) -> Result<()> {
    let dists = distributions(q)?;
    let Some(n) = q.draws else {
        if let Some((name, _)) = dists.first() {
            return Err(Error::usage(
                name,
                format!(
                    "{name} is given as a distribution: say how many draws to sample (--draws N)"
                ),
            ));
        }
        return Ok(());
    };
    if n == 0 {
        return Err(Error::usage(
            "draws",
            "draws must be at least 1 (200 is a good start)",
        ));
    }
    if n > q.max_scenarios {
        return Err(Error::usage(
            "draws",
            format!(
                "{} draws is more than the limit of {} scenarios: fewer draws, or raise max_scenarios \
                 (--max-scenarios)",
                format_num(n as f64, 0),
                format_num(q.max_scenarios as f64, 0)
            ),
        ));
    }
    if q.sweep.is_some() {
        return Err(Error::usage("draws", "give draws or a sweep, not both"));
    }
    if q.batch.is_some() {
        return Err(Error::usage(
            "draws",
            "draws run one scenario: give a scenario, not a batch",
        ));
    }
    if dists.is_empty() {
        return Err(Error::usage(
            "draws",
            "nothing to draw: give at least one parameter as a distribution, e.g. --tau uniform:0.1:0.6",
        ));
    }
    Ok(())
}

/// What one draw keeps.
struct Draw {
    params: Params,
    region_loss: Vec<f64>,
    world_loss: f64,
    converged: bool,
    trustworthy: bool,
}

/// Independent chains the draws are split into: each runs its draws one after the other, each draw started
/// from the previous one's solution (a warm start), and the chains run in parallel. A fixed number, so that
/// the results do not depend on how many threads there are.
const CHAINS: usize = 4;

/// Runs the draws of the plan's one scenario and reports their distribution.
pub(super) fn run(
    plan: &Plan,
    net: &Network,
    q: &ShockRequest,
    progress: &dyn Progress,
) -> Result<Report> {
    let started = Instant::now();
    let dists = distributions(q)?;
    let n = q.draws.unwrap_or(0);
    let sc = &plan.scenarios[0];
    progress.stage(&format!("{n} draws"));
    // Every draw's parameters first (draw k from its own generator), then an order that keeps consecutive
    // draws close, for the warm starts.
    let params: Vec<Params> = (0..n)
        .map(|k| {
            let mut g = SplitMix::for_draw(q.seed, k);
            let mut p = sc.spec.params;
            for (name, d) in &dists {
                let v = d.sample(name, &mut g).ok_or_else(|| {
                    Error::usage(
                        name,
                        format!(
                            "{name} = {}: no value inside {} in 10,000 tries",
                            d.describe(),
                            domain_text(name)
                        ),
                    )
                })?;
                *scenarios::param(&mut p, name) = v;
            }
            Ok(p)
        })
        .collect::<Result<_>>()?;
    let tour = nearest_neighbour_tour(&params, &dists);
    let chunk = n.div_ceil(CHAINS).max(1);
    let done = std::sync::Mutex::new(0u64);
    progress.step(0, n as u64);
    let chains: Vec<&[usize]> = tour.chunks(chunk).collect();
    let run_chain = |chain: &[usize]| -> Result<Vec<(usize, Draw)>> {
        let mut warm: Option<model::Warm> = None;
        let mut out = Vec::with_capacity(chain.len());
        for &k in chain {
            if progress.cancelled() {
                return Err(Error::cancelled());
            }
            let p = params[k];
            let (o, next) =
                model::run_warm(net, &sc.resolved.legs, sc.spec.model, &p, warm.as_ref())?;
            if next.is_some() {
                warm = next;
            }
            out.push((
                k,
                Draw {
                    params: p,
                    trustworthy: distrust(&o).is_empty(),
                    converged: o.diagnostics.converged,
                    region_loss: o.region_loss,
                    world_loss: o.world_loss,
                },
            ));
            let mut d = done.lock().unwrap_or_else(|e| e.into_inner());
            *d += 1;
            progress.step(*d, n as u64);
        }
        Ok(out)
    };
    // As many outer tasks as threads, each taking the next chain: a thread waiting inside a draw's parallel
    // passes then steals only those passes' work, never a whole other chain.
    let next_chain = AtomicUsize::new(0);
    let workers = rayon::current_num_threads().clamp(1, chains.len().max(1));
    let results: Vec<Vec<(usize, Draw)>> = (0..workers)
        .into_par_iter()
        .map(|_| -> Result<Vec<(usize, Draw)>> {
            let mut mine = Vec::new();
            loop {
                let c = next_chain.fetch_add(1, Ordering::Relaxed);
                let Some(chain) = chains.get(c) else {
                    return Ok(mine);
                };
                mine.extend(run_chain(chain)?);
            }
        })
        .collect::<Result<_>>()?;
    let mut draws: Vec<(usize, Draw)> = results.into_iter().flatten().collect();
    draws.sort_by_key(|(k, _)| *k);
    let draws: Vec<Draw> = draws.into_iter().map(|(_, d)| d).collect();
    compose(plan.table(), net, sc, q, &dists, &draws, started)
}

/// An order of the draws in which consecutive ones are close: a greedy nearest-neighbour tour from draw 0,
/// each varied parameter scaled by its distribution's spread.
fn nearest_neighbour_tour(params: &[Params], dists: &[(&'static str, Distribution)]) -> Vec<usize> {
    let scale: Vec<f64> = dists
        .iter()
        .map(|(_, d)| match *d {
            Distribution::Uniform { lo, hi } | Distribution::Triangular { lo, hi, .. } => hi - lo,
            Distribution::Normal { sd, .. } => 4.0 * sd,
        })
        .collect();
    let point = |p: &Params| -> Vec<f64> {
        dists
            .iter()
            .zip(&scale)
            .map(|((name, _), s)| scenarios::value(p, name) / s)
            .collect()
    };
    let points: Vec<Vec<f64>> = params.iter().map(point).collect();
    let n = points.len();
    let mut left: Vec<usize> = (1..n).collect();
    let mut tour = Vec::with_capacity(n);
    if n == 0 {
        return tour;
    }
    tour.push(0);
    while !left.is_empty() {
        let last = &points[tour[tour.len() - 1]];
        let (pos, _) = left
            .iter()
            .enumerate()
            .map(|(pos, &k)| {
                let d: f64 = points[k]
                    .iter()
                    .zip(last)
                    .map(|(a, b)| (a - b).powi(2))
                    .sum();
                (pos, d)
            })
            .fold(
                (0, f64::INFINITY),
                |best, cur| if cur.1 < best.1 { cur } else { best },
            );
        tour.push(left.remove(pos));
    }
    tour
}

/// The `q`-quantile of sorted values, interpolating linearly between order statistics (numpy's default).
pub(super) fn quantile(sorted: &[f64], q: f64) -> f64 {
    match sorted.len() {
        0 => f64::NAN,
        1 => sorted[0],
        n => {
            let h = (n - 1) as f64 * q;
            let lo = h.floor() as usize;
            let hi = (lo + 1).min(n - 1);
            sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
        }
    }
}

/// 5th percentile, median and 95th percentile.
fn band(mut v: Vec<f64>) -> [f64; 3] {
    v.sort_by(f64::total_cmp);
    [quantile(&v, 0.05), quantile(&v, 0.5), quantile(&v, 0.95)]
}

const DOC: &str = "docs/shock.md#uncertainty--draws";

fn compose(
    t: &Mrio,
    net: &Network,
    sc: &Scenario,
    q: &ShockRequest,
    dists: &[(&'static str, Distribution)],
    draws: &[Draw],
    started: Instant,
) -> Result<Report> {
    let spec = &sc.spec;
    let units = t.provenance.units.as_str();
    let nr = t.labels.regions.len();
    let mut r = compose::report(
        "shock",
        format!(
            "shock: {} ({} model), {} draws",
            spec.describe(),
            spec.model.name(),
            draws.len()
        ),
        Some(t),
    );
    param(&mut r, "model", "model", spec.model.name());
    param(&mut r, "scenario", "scenario", spec.name.as_str());
    param(&mut r, "as_of", "as_of", sc.resolved.as_of.as_str());
    param(&mut r, "draws", "draws", draws.len());
    param(&mut r, "seed", "seed", q.seed);
    for name in VARIED {
        let v: Value = match dists.iter().find(|(n, _)| *n == name) {
            Some((_, d)) => d.describe().into(),
            None => scenarios::value(&spec.params, name).into(),
        };
        param(&mut r, name, name, v);
    }
    let side = region_sides(t, sc);
    let ok: Vec<&Draw> = draws.iter().filter(|d| d.converged).collect();
    let not_converged = draws.len() - ok.len();
    let untrustworthy = draws.iter().filter(|d| !d.trustworthy).count();
    let side_loss = |d: &Draw, s: usize| -> f64 {
        (0..nr)
            .filter(|&c| side[c] == s)
            .map(|c| d.region_loss[c])
            .sum()
    };
    let side_output: Vec<f64> = (0..3)
        .map(|s| {
            (0..nr)
                .filter(|&c| side[c] == s)
                .map(|c| net.region_output[c])
                .sum()
        })
        .collect();
    let world_output = net.world_output();
    let world = band(ok.iter().map(|d| d.world_loss).collect());
    let sides: Vec<[f64; 3]> = (0..3)
        .map(|s| band(ok.iter().map(|d| side_loss(d, s)).collect()))
        .collect();
    // Headline.
    line(&mut r, "sanctioning", sc.resolved.sanctioning.join(" "));
    line(&mut r, "target", sc.resolved.target.join(" "));
    let varied: Vec<String> = dists
        .iter()
        .map(|(n, d)| format!("{n} ~ {}", d.describe()))
        .collect();
    line(&mut r, "parameters drawn", varied.join(", "));
    let interval = |b: [f64; 3], out: f64| {
        format!(
            "median {} {units} (γ {:.3}%), 90% interval {} – {}",
            format_num(b[1], 0),
            100.0 * ratio_of(b[1], out),
            format_num(b[0], 0),
            format_num(b[2], 0)
        )
    };
    line(&mut r, "world output loss", interval(world, world_output));
    for (s, label) in [
        (0, "sanctioning side loss"),
        (1, "target side loss"),
        (2, "third countries' loss"),
    ] {
        line(&mut r, label, interval(sides[s], side_output[s]));
    }
    let secs = started.elapsed().as_secs_f64();
    line(
        &mut r,
        "draws",
        format!(
            "{} (seed {}): {} converged, {} trustworthy ({:.1} s)",
            draws.len(),
            q.seed,
            ok.len(),
            draws.len() - untrustworthy,
            secs
        ),
    );
    // Figures.
    for (key, label, b, out) in [
        (
            "world_output_loss",
            "world output loss",
            world,
            world_output,
        ),
        (
            "sanctioning_loss",
            "sanctioning side loss",
            sides[0],
            side_output[0],
        ),
        ("target_loss", "target side loss", sides[1], side_output[1]),
        (
            "third_loss",
            "third countries' loss",
            sides[2],
            side_output[2],
        ),
    ] {
        for (k, (suffix, what)) in [
            ("p05", "5th percentile"),
            ("median", "median"),
            ("p95", "95th percentile"),
        ]
        .iter()
        .enumerate()
        {
            figure(
                &mut r,
                &format!("{key}_{suffix}"),
                &format!("{label}, {what}"),
                num(b[k]),
                Kind::Amount,
                Some(units),
                0,
            );
        }
        figure(
            &mut r,
            &format!("{key}_share_median"),
            &format!("{label}, median share of output"),
            num(ratio_of(b[1], out)),
            Kind::Share,
            None,
            4,
        );
    }
    figure(&mut r, "draws", "draws", draws.len(), Kind::Count, None, 0);
    figure(
        &mut r,
        "draws_converged",
        "draws converged",
        ok.len(),
        Kind::Count,
        None,
        0,
    );
    figure(
        &mut r,
        "draws_trustworthy",
        "draws trustworthy",
        draws.len() - untrustworthy,
        Kind::Count,
        None,
        0,
    );
    r.notes = sc.resolved.notes.clone();
    r.notes.push(
        "percentiles over the draws that converged, interpolated linearly between order statistics; \
         the interval shows how the result depends on the parameters drawn, not the error of the table \
         or of the model"
            .into(),
    );
    r.diagnostics.push(
        Diagnostic::new("draws", "the draws, in four warm-started chains")
            .detail(format!(
                "{} draws, {} converged, {} trustworthy",
                draws.len(),
                ok.len(),
                draws.len() - untrustworthy
            ))
            .seconds(secs),
    );
    if not_converged > 0 {
        r.diagnostics.push(Diagnostic::warning(
            "draws_not_converged",
            "draws whose solver missed its tolerance (left out of the percentiles)",
            format!("{not_converged} of {}", draws.len()),
        ));
    }
    if untrustworthy > 0 {
        r.diagnostics.push(Diagnostic::warning(
            "draws_untrustworthy",
            "draws computed but not trustworthy (stability check or collapsed fulfilment)",
            format!("{untrustworthy} of {}", draws.len()),
        ));
    }
    // Countries by median loss; the top N and the parties wherever they rank.
    let bands: Vec<[f64; 3]> = (0..nr)
        .map(|c| band(ok.iter().map(|d| d.region_loss[c]).collect()))
        .collect();
    let gammas: Vec<[f64; 3]> = (0..nr)
        .map(|c| {
            let out = net.region_output[c];
            band(ok.iter().map(|d| ratio_of(d.region_loss[c], out)).collect())
        })
        .collect();
    let mut order: Vec<usize> = (0..nr).collect();
    order.sort_by(|&a, &b| bands[b][1].total_cmp(&bands[a][1]));
    let mut tb = TableBuilder::new(
        "countries",
        "countries by median output loss",
        vec![
            rank(),
            code("region", "region"),
            text("name", "name"),
            code("side", "side"),
            amount("output", "output", units, 0).hidden(),
            amount("loss_p05", "loss p5", units, 0).doc(DOC),
            amount("loss_median", "loss median", units, 0).doc(DOC),
            amount("loss_p95", "loss p95", units, 0).doc(DOC),
            share("loss_share_p05", "γ p5").doc(DOC),
            share("loss_share_median", "γ median").doc(DOC),
            share("loss_share_p95", "γ p95").doc(DOC),
        ],
    );
    let shown = q.top.unwrap_or(usize::MAX);
    for (k, &c) in order.iter().enumerate() {
        if k >= shown && side[c] == 2 {
            continue;
        }
        tb.push_row(vec![
            (k + 1).into(),
            t.labels.regions[c].code.as_str().into(),
            region_name(t, c).into(),
            SIDES[side[c]].into(),
            num(net.region_output[c]),
            num(bands[c][0]),
            num(bands[c][1]),
            num(bands[c][2]),
            num(gammas[c][0]),
            num(gammas[c][1]),
            num(gammas[c][2]),
        ])?;
    }
    r.tables.push(tb.finish());
    // The world loss distribution.
    let mut w: Vec<f64> = ok.iter().map(|d| d.world_loss).collect();
    w.sort_by(f64::total_cmp);
    let mean = w.iter().sum::<f64>() / w.len().max(1) as f64;
    let sd = if w.len() > 1 {
        (w.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (w.len() - 1) as f64).sqrt()
    } else {
        0.0
    };
    let mut tb = TableBuilder::new(
        "world",
        "world output loss over the draws",
        vec![
            code("statistic", "statistic"),
            amount("world_output_loss", "world output loss", units, 0).doc(DOC),
            share("world_output_loss_share", "% of world output").doc(DOC),
        ],
    );
    let mut stats: Vec<(String, f64)> =
        vec![("min".into(), w.first().copied().unwrap_or(f64::NAN))];
    for p in [1, 5, 10, 25, 50, 75, 90, 95, 99] {
        stats.push((format!("p{p:02}"), quantile(&w, p as f64 / 100.0)));
    }
    stats.push(("max".into(), w.last().copied().unwrap_or(f64::NAN)));
    stats.push(("mean".into(), mean));
    stats.push(("sd".into(), sd));
    for (k, v) in stats {
        tb.push_row(vec![k.into(), num(v), num(ratio_of(v, world_output))])?;
    }
    r.tables.push(tb.finish());
    // Every draw, for machines (hidden on the terminal).
    let mut tb = TableBuilder::new(
        "draws",
        "the draws",
        vec![
            count("draw", "draw").hidden(),
            ratio("tau", "τ", 6).hidden(),
            ratio("delta", "δ", 6).hidden(),
            ratio("rho", "ρ", 6).hidden(),
            ratio("rho_out", "ϱ", 6).hidden(),
            amount("world_output_loss", "world output loss", units, 0).hidden(),
            amount("sanctioning_loss", "sanctioning side loss", units, 0).hidden(),
            amount("target_loss", "target side loss", units, 0).hidden(),
            amount("third_loss", "third countries' loss", units, 0).hidden(),
            flag("converged", "converged").hidden(),
            flag("trustworthy", "trustworthy").hidden(),
        ],
    );
    for (k, d) in draws.iter().enumerate() {
        tb.push_row(vec![
            (k + 1).into(),
            num(d.params.tau),
            num(d.params.delta),
            num(d.params.rho),
            num(d.params.rho_out),
            num(d.world_loss),
            num(side_loss(d, 0)),
            num(side_loss(d, 1)),
            num(side_loss(d, 2)),
            d.converged.into(),
            d.trustworthy.into(),
        ])?;
    }
    r.tables.push(tb.finish());
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arg(s: &str) -> ParamArg {
        ParamArg::Text(s.into())
    }

    #[test]
    fn quantiles_interpolate_like_numpy() {
        let v = [1.0, 2.0, 3.0, 4.0, 10.0];
        // numpy.quantile([1,2,3,4,10], [0.05, 0.5, 0.95]) = [1.2, 3.0, 8.8]
        assert!((quantile(&v, 0.05) - 1.2).abs() < 1e-12);
        assert_eq!(quantile(&v, 0.5), 3.0);
        assert!((quantile(&v, 0.95) - 8.8).abs() < 1e-12);
        assert_eq!(quantile(&[7.0], 0.3), 7.0);
    }

    #[test]
    fn samples_stay_in_their_bounds_and_follow_the_seed() {
        for (name, text) in [
            ("tau", "uniform:0.1:0.6"),
            ("delta", "triangular:0:0.1:0.5"),
            ("rho", "normal:-1:2"),
            ("rho_out", "uniform:-4:-0.25"),
        ] {
            let Given::Drawn(d) = parse(name, &arg(text)).unwrap() else {
                panic!("{text} is a distribution")
            };
            let values: Vec<f64> = (0..2000)
                .map(|k| d.sample(name, &mut SplitMix::for_draw(7, k)).unwrap())
                .collect();
            assert!(values.iter().all(|&v| in_domain(name, v)), "{text}");
            let again: Vec<f64> = (0..2000)
                .map(|k| d.sample(name, &mut SplitMix::for_draw(7, k)).unwrap())
                .collect();
            assert_eq!(values, again, "{text}: the same seed gives the same draws");
            let other: Vec<f64> = (0..2000)
                .map(|k| d.sample(name, &mut SplitMix::for_draw(8, k)).unwrap())
                .collect();
            assert_ne!(values, other, "{text}: another seed, other draws");
            let mean = values.iter().sum::<f64>() / values.len() as f64;
            let want = match d {
                Distribution::Uniform { lo, hi } => (lo + hi) / 2.0,
                Distribution::Triangular { lo, mode, hi } => (lo + mode + hi) / 3.0,
                // Truncated at 0 from above: the mean is below −1.
                Distribution::Normal { .. } => mean,
            };
            assert!(
                (mean - want).abs() < 0.02 * (1.0 + want.abs()),
                "{text}: mean {mean} vs {want}"
            );
            if let Distribution::Uniform { lo, hi } = d {
                let mut s = values.clone();
                s.sort_by(f64::total_cmp);
                let q = quantile(&s, 0.25);
                assert!(
                    (q - (lo + 0.25 * (hi - lo))).abs() < 0.03 * (hi - lo),
                    "{text}: quartile {q}"
                );
            }
        }
    }

    #[test]
    fn bad_distributions_are_refused() {
        for (name, text, needle) in [
            ("tau", "uniform:0.6:0.1", "must be below"),
            ("tau", "uniform:0.1:1.5", "outside [0, 1]"),
            ("delta", "uniform:-0.1:0.5", "outside [0, 1]"),
            ("rho", "uniform:-2:0", "outside [-100, 0)"),
            ("rho", "uniform:-200:-1", "outside [-100, 0)"),
            ("tau", "triangular:0.1:0.7:0.6", "LO ≤ MODE ≤ HI"),
            ("tau", "normal:0.3:0", "must be positive"),
            ("tau", "normal:0.3", "takes 2 numbers"),
            ("tau", "gamma:1:2", "not a number or a distribution"),
            ("tau", "uniform:a:0.5", "'a' is not a number"),
            ("tau", "inf", "not a finite number"),
        ] {
            let e = parse(name, &arg(text)).expect_err(text);
            assert!(e.message.contains(needle), "{text}: {}", e.message);
            assert_eq!(e.field.as_deref(), Some(name));
        }
        assert_eq!(parse("tau", &arg("0.25")).unwrap(), Given::Value(0.25));
    }
}
