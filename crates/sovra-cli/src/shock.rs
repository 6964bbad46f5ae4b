//! `sovra shock`: build a scenario from flags or a TOML file, run one, a batch or a parameter sweep, and
//! render the losses — a summary for people, country × sector losses in CSV/JSON, JSON lines for batches.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;
use serde_json::{Value, json};
use sovra_analysis::shock::{
    self, Instrument, LegSpec, Model, Network, Outcome, Params, ScenarioSpec,
};
use sovra_core::{Error, Mrio};

use crate::OutputArgs;
use crate::legacy::registry;
use crate::legacy::{Cell, Format, Report, emit, format_num, render};
use crate::legacy::{base_report, load};
use crate::progress;

/// The instrument, as a command-line value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum InstrumentArg {
    /// SANCTIONING stops selling to TARGET.
    ExportBan,
    /// SANCTIONING stops buying from TARGET.
    ImportBan,
    /// Both directions.
    Embargo,
}

/// The model, as a command-line value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ModelArg {
    /// RAS rerouting of severed trade + CES capacity-rationing equilibrium (sanction-simulator's model).
    Rerouting,
    /// Hypothetical extraction: severed flows removed, fixed final demand, one linear solve.
    Extraction,
}

/// Everything `sovra shock` takes.
#[derive(clap::Args, Debug, Clone)]
pub struct ShockArgs {
    /// The sanctioning side: a country (ISO3), a bloc or an expression (G7, EU27+GBR, …).
    pub sanctioning: Option<String>,
    /// The target side.
    #[arg(long = "on", value_name = "TARGET")]
    pub target: Option<String>,
    /// Trade instrument.
    #[arg(long, value_enum, default_value_t = InstrumentArg::Embargo)]
    pub instrument: InstrumentArg,
    /// Only these selling sectors, comma-separated codes (e.g. C26,C27); all when omitted.
    #[arg(long, value_delimiter = ',', value_name = "CODES")]
    pub sectors: Option<Vec<String>>,
    /// Read the scenario from a TOML file (legs, model, parameters); flags below override its parameters.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["sanctioning", "target", "batch"])]
    pub scenario: Option<PathBuf>,
    /// Run every `[[scenario]]` of a TOML file, in parallel, streaming one result per scenario.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["sanctioning", "target"])]
    pub batch: Option<PathBuf>,
    /// Sweep parameters over a grid, e.g. tau=0.1:0.8:0.1,delta=0.05,0.1 (ranges are start:stop:step,
    /// inclusive; lists are comma-separated). Runs the cartesian product, streaming results.
    #[arg(long, value_name = "GRID")]
    pub sweep: Option<String>,
    /// Model.
    #[arg(long, value_enum)]
    pub model: Option<ModelArg>,
    /// Rerouting friction τ in [0, 1] (default 0.30).
    #[arg(long, allow_hyphen_values = true)]
    pub tau: Option<f64>,
    /// Leakage δ in [0, 1]: share of a severed flow that still gets through (default 0.10).
    #[arg(long, allow_hyphen_values = true)]
    pub delta: Option<f64>,
    /// Inner CES curvature ρ < 0 (default −1: elasticity 0.5 across sector bundles).
    #[arg(long, allow_hyphen_values = true)]
    pub rho: Option<f64>,
    /// Outer CES curvature ϱ < 0 (default −1).
    #[arg(long, allow_hyphen_values = true)]
    pub rho_out: Option<f64>,
    /// Dataset.
    #[arg(long, default_value = "icio2022")]
    pub data: String,
    /// Bloc membership on this date, YYYY-MM-DD (default: today, or the scenario file's as_of).
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
    /// Extra blocs from a TOML file.
    #[arg(long, value_name = "FILE")]
    pub blocs: Option<PathBuf>,
    /// Countries shown in the summary (default 15).
    #[arg(long, default_value_t = 15)]
    pub top: usize,
    /// Show the sectors of this country (default: the most hit one).
    #[arg(long, value_name = "ISO3")]
    pub detail: Option<String>,
    /// Save the scenario (as given by flags) to a TOML file and go on.
    #[arg(long, value_name = "FILE")]
    pub write_scenario: Option<PathBuf>,
    /// Batch/sweep: skip scenarios already in OUT.partial from an interrupted run.
    #[arg(long)]
    pub resume: bool,
    #[command(flatten)]
    pub out: OutputArgs,
}

fn instrument_of(a: InstrumentArg) -> Instrument {
    match a {
        InstrumentArg::ExportBan => Instrument::ExportBan,
        InstrumentArg::ImportBan => Instrument::ImportBan,
        InstrumentArg::Embargo => Instrument::Embargo,
    }
}

/// The scenario the flags (or `--scenario`) describe.
fn spec_of(a: &ShockArgs) -> Result<ScenarioSpec> {
    let mut spec = match (&a.scenario, &a.sanctioning, &a.target) {
        (Some(f), _, _) => read_spec(f)?,
        (None, Some(s), Some(t)) => ScenarioSpec {
            name: String::new(),
            model: Model::default(),
            as_of: None,
            legs: vec![LegSpec {
                sanctioning: s.clone(),
                target: t.clone(),
                instrument: instrument_of(a.instrument),
                sectors: a.sectors.clone(),
            }],
            params: Params::default(),
        },
        (None, Some(_), None) => bail!(Error::Request(
            "say whom the sanctions target: sovra shock SANCTIONING --on TARGET".into()
        )),
        _ => bail!(Error::Request(
            "give a scenario: sovra shock SANCTIONING --on TARGET [--instrument …], --scenario FILE or --batch FILE"
                .into()
        )),
    };
    override_spec(&mut spec, a);
    if spec.name.is_empty() {
        spec.name = spec.describe();
    }
    spec.params.validate()?;
    Ok(spec)
}

fn override_spec(spec: &mut ScenarioSpec, a: &ShockArgs) {
    if let Some(m) = a.model {
        spec.model = match m {
            ModelArg::Rerouting => Model::Rerouting,
            ModelArg::Extraction => Model::Extraction,
        };
    }
    if a.as_of.is_some() {
        spec.as_of = a.as_of.clone();
    }
    let p = &mut spec.params;
    for (dst, src) in [
        (&mut p.tau, a.tau),
        (&mut p.delta, a.delta),
        (&mut p.rho, a.rho),
        (&mut p.rho_out, a.rho_out),
    ] {
        if let Some(v) = src {
            *dst = v;
        }
    }
}

fn read_spec(f: &Path) -> Result<ScenarioSpec> {
    let text = std::fs::read_to_string(f).map_err(|e| Error::io(f, e))?;
    Ok(ScenarioSpec::from_toml(&text, &f.display().to_string())?)
}

/// A batch file: `[[scenario]]` tables.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchFile {
    scenario: Vec<ScenarioSpec>,
}

fn read_batch(f: &Path, a: &ShockArgs) -> Result<Vec<ScenarioSpec>> {
    let text = std::fs::read_to_string(f).map_err(|e| Error::io(f, e))?;
    let b: BatchFile = toml::from_str(&text).map_err(|e| Error::Format {
        file: f.display().to_string(),
        detail: e.to_string().trim().to_string(),
    })?;
    let mut out = Vec::new();
    let mut names = BTreeSet::new();
    for (k, mut s) in b.scenario.into_iter().enumerate() {
        override_spec(&mut s, a);
        if s.name.is_empty() {
            s.name = format!("scenario-{}", k + 1);
        }
        if !names.insert(s.name.clone()) {
            bail!(Error::Format {
                file: f.display().to_string(),
                detail: format!("scenario name '{}' is used twice", s.name),
            });
        }
        s.params
            .validate()
            .with_context(|| format!("{}: scenario '{}'", f.display(), s.name))?;
        out.push(s);
    }
    if out.is_empty() {
        bail!(Error::Request(format!(
            "{}: no [[scenario]] in the file",
            f.display()
        )));
    }
    Ok(out)
}

/// Parses `tau=0.1:0.8:0.1,delta=0.05,0.1` into (parameter, values) pairs.
pub fn parse_sweep(s: &str) -> Result<Vec<(String, Vec<f64>)>> {
    let mut out: Vec<(String, Vec<f64>)> = Vec::new();
    let bad = |m: String| -> anyhow::Error { Error::Request(format!("--sweep '{s}': {m}")).into() };
    for tok in s.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        let (name, val) = match tok.split_once('=') {
            Some((n, v)) => {
                let n = n.trim().replace('-', "_");
                if !["tau", "delta", "rho", "rho_out"].contains(&n.as_str()) {
                    return Err(bad(format!(
                        "unknown parameter '{n}' (tau, delta, rho, rho_out)"
                    )));
                }
                if out.iter().any(|(m, _)| *m == n) {
                    return Err(bad(format!("'{n}' is given twice")));
                }
                out.push((n, Vec::new()));
                (None, v.trim())
            }
            None => (Some(()), tok),
        };
        let _ = name;
        let Some(last) = out.last_mut() else {
            return Err(bad(
                "start with a parameter name, e.g. tau=0.1:0.8:0.1".into()
            ));
        };
        let num = |t: &str| -> Result<f64> {
            t.trim()
                .parse::<f64>()
                .map_err(|_| bad(format!("'{t}' is not a number")))
        };
        let parts: Vec<&str> = val.split(':').collect();
        match parts.as_slice() {
            [v] => last.1.push(num(v)?),
            [a, b, st] => {
                let (a, b, st) = (num(a)?, num(b)?, num(st)?);
                if st.is_nan() || st <= 0.0 || b < a {
                    return Err(bad(format!(
                        "range {val}: need start ≤ stop and a positive step"
                    )));
                }
                let steps = ((b - a) / st + 1e-9).floor() as usize;
                if steps > 100_000 {
                    return Err(bad(format!("range {val} has too many points")));
                }
                last.1.extend((0..=steps).map(|k| a + k as f64 * st));
            }
            _ => return Err(bad(format!("'{val}': a value or start:stop:step"))),
        }
    }
    if out.is_empty() || out.iter().any(|(_, v)| v.is_empty()) {
        return Err(bad("nothing to sweep".into()));
    }
    Ok(out)
}

fn sweep_specs(base: &ScenarioSpec, grid: &[(String, Vec<f64>)]) -> Result<Vec<ScenarioSpec>> {
    let mut specs = vec![base.clone()];
    for (name, vals) in grid {
        let mut next = Vec::new();
        for s in &specs {
            for &v in vals {
                let mut t = s.clone();
                match name.as_str() {
                    "tau" => t.params.tau = v,
                    "delta" => t.params.delta = v,
                    "rho" => t.params.rho = v,
                    _ => t.params.rho_out = v,
                }
                next.push(t);
            }
        }
        specs = next;
    }
    for s in &mut specs {
        s.params.validate()?;
        let vals: Vec<String> = grid
            .iter()
            .map(|(name, _)| {
                let v = match name.as_str() {
                    "tau" => s.params.tau,
                    "delta" => s.params.delta,
                    "rho" => s.params.rho,
                    _ => s.params.rho_out,
                };
                format!("{name}={v}")
            })
            .collect();
        s.name = format!("{} {}", base.name, vals.join(" "));
    }
    Ok(specs)
}

/// `sovra shock`.
pub fn shock_cmd(a: &ShockArgs) -> Result<()> {
    let specs = match &a.batch {
        Some(f) => read_batch(f, a)?,
        None => vec![spec_of(a)?],
    };
    let specs = match &a.sweep {
        Some(g) => {
            let grid = parse_sweep(g)?;
            let mut all = Vec::new();
            for s in &specs {
                all.extend(sweep_specs(s, &grid)?);
            }
            all
        }
        None => specs,
    };
    if let Some(f) = &a.write_scenario {
        if specs.len() != 1 || a.sweep.is_some() {
            bail!(Error::Request(
                "--write-scenario saves one scenario; leave out --batch/--sweep".into()
            ));
        }
        crate::legacy::write_atomic(f, specs[0].to_toml().as_bytes())?;
        eprintln!("scenario written to {}", f.display());
    }
    let reg = registry(a.blocs.as_deref())?;
    let t = load(&a.data)?;
    // Resolve every scenario before running any, so bad input fails fast.
    let mut resolved = Vec::new();
    for s in &specs {
        let r = shock::scenario::resolve(s, &reg, &t.labels, &a.data)
            .with_context(|| format!("scenario '{}'", s.name))?;
        resolved.push(r);
    }
    let pb = progress::spinner("preparing the network");
    let net = Network::new(&t)?;
    pb.finish_and_clear();
    if a.batch.is_none() && a.sweep.is_none() {
        let pb = progress::spinner(match specs[0].model {
            Model::Rerouting => "rerouting severed trade and solving the rationing equilibrium",
            Model::Extraction => "solving the extraction model",
        });
        let o = shock::run(&net, &resolved[0].legs, specs[0].model, &specs[0].params)?;
        pb.finish_and_clear();
        return single(a, &t, &net, &specs[0], &resolved[0], &o);
    }
    batch(a, &t, &net, &specs, &resolved)
}

fn region_name(t: &Mrio, r: usize) -> String {
    let c = &t.labels.regions[r];
    if c.name.is_empty() {
        c.code.clone()
    } else {
        c.name.clone()
    }
}

fn side_loss(t: &Mrio, net: &Network<'_>, o: &Outcome, codes: &[String]) -> (f64, f64) {
    let idx: Vec<usize> = codes
        .iter()
        .filter_map(|c| t.labels.region_index(c))
        .collect();
    let loss: f64 = idx.iter().map(|&r| o.region_loss[r]).sum();
    let out: f64 = idx.iter().map(|&r| net.region_output[r]).sum();
    (loss, if out > 0.0 { loss / out } else { 0.0 })
}

fn params_echo(spec: &ScenarioSpec, res: &shock::Resolved) -> Vec<(String, String)> {
    let p = &spec.params;
    let mut v = vec![
        ("model".into(), spec.model.name().into()),
        ("scenario".into(), spec.describe()),
        ("as_of".into(), res.as_of.clone()),
    ];
    if spec.model == Model::Rerouting {
        v.extend([
            ("tau".into(), p.tau.to_string()),
            ("delta".into(), p.delta.to_string()),
            ("rho".into(), p.rho.to_string()),
            ("rho_out".into(), p.rho_out.to_string()),
            ("balance_tol".into(), format!("{:e}", p.balance_tol)),
            ("fp_tol".into(), format!("{:e}", p.fp_tol)),
        ]);
    } else {
        v.push(("delta".into(), p.delta.to_string()));
    }
    v
}

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
    if let Some(e) = &d.extraction {
        parts.push(format!(
            "linear solve {} iterations, residual {:.1e}",
            e.iterations, e.residual
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

fn single(
    a: &ShockArgs,
    t: &Mrio,
    net: &Network<'_>,
    spec: &ScenarioSpec,
    res: &shock::Resolved,
    o: &Outcome,
) -> Result<()> {
    let units = &t.provenance.units;
    let l = &t.labels;
    let mut r = base_report(
        t,
        format!("shock: {} ({} model)", spec.describe(), spec.model.name()),
    );
    r.parameters = params_echo(spec, res);
    let (sl, sg) = side_loss(t, net, o, &res.sanctioning);
    let (tl, tg) = side_loss(t, net, o, &res.target);
    let wshare = o.world_loss / o.world_output;
    r.summary = vec![
        ("sanctioning".into(), res.sanctioning.join(" ")),
        ("target".into(), res.target.join(" ")),
        (
            "severed".into(),
            format!(
                "{} seller→buyer region pairs, {} entries of Z",
                res.legs.len(),
                o.diagnostics.severed_entries
            ),
        ),
        (
            "world output loss".into(),
            format!(
                "{} {units} ({:.3}% of world output)",
                format_num(o.world_loss, 0),
                100.0 * wshare
            ),
        ),
        (
            "sanctioning side loss".into(),
            format!("{} {units} (γ = {:.3}%)", format_num(sl, 0), 100.0 * sg),
        ),
        (
            "target side loss".into(),
            format!("{} {units} (γ = {:.3}%)", format_num(tl, 0), 100.0 * tg),
        ),
    ];
    if spec.model == Model::Rerouting {
        let fd: f64 = o.region_final_demand_loss.iter().sum();
        r.summary.push((
            "final-demand loss".into(),
            format!("{} {units}", format_num(fd, 0)),
        ));
        if sg > 0.0 {
            r.summary.push((
                "power ratio (target γ / sanctioning γ)".into(),
                format!("{:.2}", tg / sg),
            ));
        }
    }
    r.summary.push(("solver".into(), convergence_line(o)));
    if let Some(st) = &o.diagnostics.stability {
        r.summary.push((
            "stability".into(),
            format!(
                "cushion slack {:.3} ({}), h_min {:.4} ≥ floor {:.4}, q_ω {:.3}, r_Λ {:.3e} (sufficient only if < 1)",
                st.cushion_min_slack,
                if st.cushion_min_slack > 0.0 { "holds" } else { "FAILS" },
                st.h_min,
                st.c_omega_floor,
                st.q_omega,
                st.r_lambda
            ),
        ));
    }
    r.notes = res.notes.clone();
    if !o.diagnostics.converged {
        eprintln!(
            "warning: the solver did not converge ({}); the result is flagged in the output",
            convergence_line(o)
        );
        r.notes.push(
            "the solver did not reach its tolerance: the numbers are not an equilibrium (see the residuals)".into(),
        );
    }
    if a.out.format == Format::Table {
        // Countries by loss, then the sectors of one country.
        let mut order: Vec<usize> = (0..l.regions.len()).collect();
        order.sort_by(|&x, &y| o.region_loss[y].total_cmp(&o.region_loss[x]));
        r.columns = [
            "rank",
            "region",
            "name",
            "output loss",
            "γ (% of output)",
            "final-demand loss",
        ]
        .map(String::from)
        .to_vec();
        for (k, &c) in order.iter().take(a.top).enumerate() {
            r.rows.push(vec![
                Cell::Num((k + 1) as f64, 0),
                Cell::Text(l.regions[c].code.clone()),
                Cell::Text(region_name(t, c)),
                Cell::Num(o.region_loss[c], 0),
                Cell::Pct(o.region_gamma[c]),
                Cell::Num(o.region_final_demand_loss[c], 0),
            ]);
        }
        let detail = match &a.detail {
            Some(c) => l.region_index(c).ok_or_else(|| Error::Unknown {
                kind: "region",
                name: c.clone(),
                suggestion: sovra_core::blocs::nearest(
                    c,
                    l.regions.iter().map(|r| r.code.as_str()),
                ),
                valid: format!("the regions of {}", a.data),
            })?,
            None => order[0],
        };
        let mut text = render(&r, Format::Table);
        let ns = l.sectors.len();
        let mut sr = Report {
            title: format!(
                "sectors of {} ({}) by output loss",
                l.regions[detail].code,
                region_name(t, detail)
            ),
            columns: [
                "sector",
                "name",
                "output",
                "output loss",
                "% of sector output",
                "fulfilment h",
            ]
            .map(String::from)
            .to_vec(),
            ..Default::default()
        };
        let mut sec: Vec<usize> = (0..ns).collect();
        sec.sort_by(|&x, &y| o.loss[detail * ns + y].total_cmp(&o.loss[detail * ns + x]));
        for s in sec.into_iter().take(10) {
            let i = detail * ns + s;
            sr.rows.push(vec![
                Cell::Text(l.sectors[s].code.clone()),
                Cell::Text(l.sectors[s].name.clone()),
                Cell::Num(net.s[i], 0),
                Cell::Num(o.loss[i], 0),
                Cell::Pct(if net.s[i] > 0.0 {
                    o.loss[i] / net.s[i]
                } else {
                    0.0
                }),
                Cell::Text(
                    o.fulfilment
                        .as_ref()
                        .map(|h| format!("{:.4}", h[i]))
                        .unwrap_or("-".into()),
                ),
            ]);
        }
        let sub = render(&sr, Format::Table);
        // The sector table without the provenance lines it repeats.
        text.push('\n');
        text.push_str(
            &sub.lines()
                .filter(|x| !x.starts_with("  sovra "))
                .collect::<Vec<_>>()
                .join("\n"),
        );
        text.push('\n');
        return emit(&text, a.out.out.as_deref());
    }
    // csv/json: every node.
    r.columns = [
        "region",
        "sector",
        "sector_name",
        "output",
        "post_shock_output",
        "loss",
        "loss_share",
        "fulfilment",
        "pass_through",
    ]
    .map(String::from)
    .to_vec();
    for i in 0..t.n() {
        let (c, s) = l.node(i);
        r.rows.push(vec![
            Cell::Text(l.regions[c].code.clone()),
            Cell::Text(l.sectors[s].code.clone()),
            Cell::Text(l.sectors[s].name.clone()),
            Cell::Num(net.s[i], 3),
            Cell::Num(o.x[i], 3),
            Cell::Num(o.loss[i], 3),
            Cell::Num(
                if net.s[i] > 0.0 {
                    o.loss[i] / net.s[i]
                } else {
                    0.0
                },
                6,
            ),
            Cell::Num(o.fulfilment.as_ref().map_or(1.0, |h| h[i]), 6),
            Cell::Num(o.pass_through.as_ref().map_or(1.0, |h| h[i]), 6),
        ]);
    }
    let mut text = render(&r, a.out.format);
    if a.out.format == Format::Json {
        let mut doc: Value = serde_json::from_str(&text)?;
        doc["scenario"] = serde_json::to_value(spec)?;
        doc["diagnostics"] = serde_json::to_value(&o.diagnostics)?;
        doc["countries"] = Value::Array(
            (0..l.regions.len())
                .map(|c| {
                    json!({"region": l.regions[c].code, "name": region_name(t, c), "output": net.region_output[c],
                           "loss": o.region_loss[c], "gamma": o.region_gamma[c],
                           "final_demand_loss": o.region_final_demand_loss[c]})
                })
                .collect(),
        );
        doc["world"] = json!({"output": o.world_output, "loss": o.world_loss});
        text = serde_json::to_string_pretty(&doc)? + "\n";
    }
    emit(&text, a.out.out.as_deref())
}

/// One finished scenario of a batch, as a JSON line.
fn batch_line(t: &Mrio, spec: &ScenarioSpec, res: &shock::Resolved, o: &Outcome) -> Value {
    let l = &t.labels;
    json!({
        "scenario": spec.name,
        "description": spec.describe(),
        "model": spec.model.name(),
        "params": spec.params,
        "as_of": res.as_of,
        "dataset": t.provenance.name,
        "sovra": sovra_core::VERSION,
        "converged": o.diagnostics.converged,
        "world_loss": o.world_loss,
        "world_loss_share": o.world_loss / o.world_output,
        "diagnostics": o.diagnostics,
        "countries": (0..l.regions.len()).map(|c| (l.regions[c].code.clone(),
            json!({"loss": o.region_loss[c], "gamma": o.region_gamma[c]}))).collect::<serde_json::Map<_, _>>(),
    })
}

fn csv_lines(t: &Mrio, spec: &ScenarioSpec, o: &Outcome) -> String {
    let p = &spec.params;
    let name = if spec.name.contains([',', '"']) {
        format!("\"{}\"", spec.name.replace('"', "\"\""))
    } else {
        spec.name.clone()
    };
    let mut s = String::new();
    for (c, reg) in t.labels.regions.iter().enumerate() {
        s.push_str(&format!(
            "{name},{},{},{},{},{},{},{},{},{}\n",
            spec.model.name(),
            p.tau,
            p.delta,
            p.rho,
            p.rho_out,
            o.diagnostics.converged,
            reg.code,
            o.region_loss[c],
            o.region_gamma[c]
        ));
    }
    s
}

const CSV_HEADER: &str = "scenario,model,tau,delta,rho,rho_out,converged,region,loss,gamma\n";

/// Names already written to a partial output of an interrupted run.
fn finished_names(partial: &Path, format: Format) -> Result<BTreeSet<String>> {
    let mut done = BTreeSet::new();
    let Ok(text) = std::fs::read_to_string(partial) else {
        return Ok(done);
    };
    for line in text.lines() {
        match format {
            Format::Json => {
                if let Ok(v) = serde_json::from_str::<Value>(line) {
                    if let Some(n) = v["scenario"].as_str() {
                        done.insert(n.to_string());
                    }
                }
            }
            _ => {
                if line.starts_with('#') || line.starts_with("scenario,") || line.is_empty() {
                    continue;
                }
                let name = if let Some(rest) = line.strip_prefix('"') {
                    rest.split("\",").next().unwrap_or("").replace("\"\"", "\"")
                } else {
                    line.split(',').next().unwrap_or("").to_string()
                };
                done.insert(name);
            }
        }
    }
    Ok(done)
}

fn batch(
    a: &ShockArgs,
    t: &Mrio,
    net: &Network<'_>,
    specs: &[ScenarioSpec],
    resolved: &[shock::Resolved],
) -> Result<()> {
    let format = a.out.format;
    // csv/json results stream to OUT.partial (flushed per scenario) and become OUT at the end; without --out,
    // to stdout. The table format prints a summary at the end.
    let streaming = format != Format::Table;
    let partial = a.out.out.as_ref().filter(|_| streaming).map(|p| {
        let mut s = p.clone().into_os_string();
        s.push(".partial");
        PathBuf::from(s)
    });
    let done = match (&partial, a.resume) {
        (Some(p), true) => finished_names(p, format)?,
        (None, true) => bail!(Error::Request(
            "--resume needs --out FILE and --format csv or json (it reads FILE.partial)".into()
        )),
        _ => BTreeSet::new(),
    };
    let mut sink: Box<dyn Write> = match &partial {
        Some(p) => {
            let f = std::fs::OpenOptions::new()
                .create(true)
                .append(a.resume)
                .write(true)
                .truncate(!a.resume)
                .open(p)
                .map_err(|e| Error::io(p, e))?;
            Box::new(f)
        }
        None => Box::new(std::io::stdout()),
    };
    let fresh = done.is_empty();
    if format == Format::Csv && fresh {
        let mut head = format!(
            "# {} shock batch; sovra {}\n",
            t.provenance.name,
            sovra_core::VERSION
        );
        head.push_str(&format!(
            "# dataset: {} ({})\n",
            t.provenance.title, t.provenance.units
        ));
        head.push_str(CSV_HEADER);
        sink.write_all(head.as_bytes())?;
    }
    let todo: Vec<usize> = (0..specs.len())
        .filter(|&k| !done.contains(&specs[k].name))
        .collect();
    let pb = ProgressBar::with_draw_target(Some(todo.len() as u64), ProgressDrawTarget::stderr());
    pb.set_style(
        ProgressStyle::with_template(
            "{bar:30} {pos}/{len} scenarios [{elapsed} / ~{duration}] {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    if !done.is_empty() {
        pb.println(format!("resuming: {} scenarios already done", done.len()));
    }
    let (tx, rx) = mpsc::channel::<(usize, sovra_analysis::Result<Outcome>)>();
    let started = std::time::Instant::now();
    let mut summary: Vec<(usize, Outcome)> = Vec::new();
    let mut failures = Vec::new();
    let mut closed = false;
    std::thread::scope(|sc| -> Result<()> {
        let todo = &todo;
        sc.spawn(move || {
            todo.par_iter().for_each_with(tx, |tx, &k| {
                let o = shock::run(net, &resolved[k].legs, specs[k].model, &specs[k].params);
                let _ = tx.send((k, o));
            });
        });
        for (k, o) in rx {
            pb.inc(1);
            match o {
                Ok(o) => {
                    let text = match format {
                        Format::Csv => csv_lines(t, &specs[k], &o),
                        _ => {
                            serde_json::to_string(&batch_line(t, &specs[k], &resolved[k], &o))?
                                + "\n"
                        }
                    };
                    if streaming && !closed {
                        match sink.write_all(text.as_bytes()).and_then(|()| sink.flush()) {
                            // A closed pipe (e.g. `| head`) ends the output, not the run's bookkeeping.
                            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => closed = true,
                            r => r.with_context(|| "writing results")?,
                        }
                    }
                    pb.set_message(format!(
                        "{}: {:.3}% of world output",
                        specs[k].name,
                        100.0 * o.world_loss / o.world_output
                    ));
                    summary.push((k, o));
                }
                Err(e) => failures.push(format!("{}: {e}", specs[k].name)),
            }
        }
        Ok(())
    })?;
    pb.finish_and_clear();
    let secs = started.elapsed().as_secs_f64();
    drop(sink);
    if let (Some(p), Some(out)) = (&partial, &a.out.out) {
        std::fs::rename(p, out)
            .with_context(|| format!("renaming {} to {}", p.display(), out.display()))?;
    }
    let n = summary.len();
    eprintln!(
        "{n} scenarios in {secs:.1} s ({:.2} scenarios/s){}",
        n as f64 / secs.max(1e-9),
        if failures.is_empty() {
            String::new()
        } else {
            format!("; {} failed", failures.len())
        }
    );
    for f in &failures {
        eprintln!("failed: {f}");
    }
    if format == Format::Table {
        summary.sort_by_key(|(k, _)| *k);
        let mut r = base_report(t, format!("shock batch: {} scenarios", summary.len()));
        r.columns = [
            "scenario",
            "model",
            "world loss",
            "% of world",
            "most hit",
            "its γ",
            "converged",
        ]
        .map(String::from)
        .to_vec();
        for (k, o) in &summary {
            let top = (0..o.region_loss.len())
                .max_by(|&x, &y| o.region_loss[x].total_cmp(&o.region_loss[y]))
                .unwrap_or(0);
            r.rows.push(vec![
                Cell::Text(specs[*k].name.clone()),
                Cell::Text(specs[*k].model.name().into()),
                Cell::Num(o.world_loss, 0),
                Cell::Pct(o.world_loss / o.world_output),
                Cell::Text(t.labels.regions[top].code.clone()),
                Cell::Pct(o.region_gamma[top]),
                Cell::Flag(o.diagnostics.converged),
            ]);
        }
        emit(&render(&r, Format::Table), a.out.out.as_deref())?;
    }
    if !failures.is_empty() {
        bail!("{} of {} scenarios failed", failures.len(), specs.len());
    }
    Ok(())
}
