//! The scenarios of a request: one from the one-leg fields or a scenario's TOML, or every `[[scenario]]` of a
//! batch; the request's model, date and parameters over what the TOML says; a sweep's cartesian product with
//! values exact to the decimals they were written with (`0.1:0.3:0.1` gives 0.1, 0.2, 0.3, never
//! 0.30000000000000004); and the limit on how many, checked before any work.

use std::collections::BTreeSet;

use serde::Deserialize;
use sovra_analysis::shock::{Instrument, LegSpec, Model, Params, ScenarioSpec};

use super::uncertainty::{self, Given};
use super::{ShockRequest, TomlText};
use crate::depend;
use crate::error::{Error, ErrorKind, Result};

/// The scenarios a request runs, named, with the request's overrides applied and their parameters checked;
/// a batch's or a sweep's beyond `max_scenarios` is refused before any is built. Needs no dataset: the CLI
/// uses it to save a scenario (`--write-scenario`).
pub fn scenarios(q: &ShockRequest) -> Result<Vec<ScenarioSpec>> {
    if q.max_scenarios == 0 {
        return Err(Error::usage(
            "max_scenarios",
            "max_scenarios must be at least 1",
        ));
    }
    uncertainty::check(q)?;
    let base = base(q)?;
    let all = match &q.sweep {
        None => base,
        Some(g) => {
            let grid = parse_sweep(g, q.max_scenarios)?;
            let n = grid
                .iter()
                .fold(base.len(), |n, (_, values)| n.saturating_mul(values.len()));
            if n > q.max_scenarios {
                let sizes: Vec<String> = std::iter::once(base.len())
                    .filter(|&b| b > 1)
                    .chain(grid.iter().map(|(_, v)| v.len()))
                    .map(|k| k.to_string())
                    .collect();
                return Err(too_many("sweep", n, &sizes.join(" × "), q.max_scenarios));
            }
            let mut all = Vec::with_capacity(n);
            for s in &base {
                all.extend(sweep(s, &grid)?);
            }
            all
        }
    };
    let mut names = BTreeSet::new();
    if let Some(dup) = all.iter().find(|s| !names.insert(s.name.as_str())) {
        return Err(Error::usage(
            if q.sweep.is_some() { "sweep" } else { "batch" },
            format!("scenario name '{}' is used twice", dup.name),
        ));
    }
    Ok(all)
}

fn too_many(field: &str, n: usize, sizes: &str, max: usize) -> Error {
    Error::usage(
        field,
        format!(
            "the {field} makes {} scenarios ({sizes}), more than the limit of {}: narrow it, or raise \
             max_scenarios (--max-scenarios)",
            crate::format_num(n as f64, 0),
            crate::format_num(max as f64, 0)
        ),
    )
}

/// The scenarios before a sweep.
fn base(q: &ShockRequest) -> Result<Vec<ScenarioSpec>> {
    let as_of = q
        .as_of
        .as_ref()
        .map(|_| depend::as_of(&q.as_of).map(|d| d.to_string()))
        .transpose()?;
    match (&q.scenario, &q.batch) {
        (Some(_), Some(_)) => Err(Error::usage(
            "batch",
            "give a scenario or a batch, not both",
        )),
        (Some(text), None) => {
            one_leg_fields_absent(q, "scenario")?;
            let mut spec = ScenarioSpec::from_toml(&text.toml, &text.origin)
                .map_err(|e| toml_error(e, text, "scenario"))?;
            finish(&mut spec, q, &as_of)?;
            Ok(vec![spec])
        }
        (None, Some(text)) => {
            one_leg_fields_absent(q, "batch")?;
            batch(text, q, &as_of)
        }
        (None, None) => {
            let mut spec = one_leg(q)?;
            finish(&mut spec, q, &as_of)?;
            Ok(vec![spec])
        }
    }
}

/// The scenario of the one-leg fields.
fn one_leg(q: &ShockRequest) -> Result<ScenarioSpec> {
    match (&q.sanctioning, &q.target) {
        (Some(s), Some(t)) => Ok(ScenarioSpec {
            name: String::new(),
            model: Model::default(),
            as_of: None,
            legs: vec![LegSpec {
                sanctioning: s.clone(),
                target: t.clone(),
                instrument: q.instrument.unwrap_or(Instrument::Embargo),
                sectors: q.sectors.clone(),
                products: q.products.clone(),
                products_file: q.products_file.clone(),
            }],
            params: Params::default(),
        }),
        (Some(_), None) => Err(Error::usage(
            "target",
            "say whom the sanctions target: sovra shock SANCTIONING --on TARGET",
        )),
        _ => Err(Error::usage(
            "sanctioning",
            "give a scenario: sovra shock SANCTIONING --on TARGET [--instrument …], --scenario FILE or --batch FILE",
        )),
    }
}

/// A scenario or batch in TOML has its own legs: the one-leg fields would be ignored, so they are refused.
fn one_leg_fields_absent(q: &ShockRequest, source: &str) -> Result<()> {
    for (field, given) in [
        ("sanctioning", q.sanctioning.is_some()),
        ("target", q.target.is_some()),
        ("instrument", q.instrument.is_some()),
        ("sectors", q.sectors.is_some()),
        ("products", q.products.is_some()),
        ("products_file", q.products_file.is_some()),
    ] {
        if given {
            return Err(Error::usage(
                field,
                format!(
                    "'{field}' describes a leg of its own: the legs of a {source} are in its TOML"
                ),
            ));
        }
    }
    Ok(())
}

/// An error in a scenario's TOML, named by where the text came from.
fn toml_error(e: sovra_analysis::Error, text: &TomlText, field: &str) -> Error {
    let mut err = Error::from(e);
    err.kind = ErrorKind::Usage;
    if !err.message.starts_with(&format!("{}: ", text.origin)) {
        err.message = format!("{}: {}", text.origin, err.message);
    }
    err.at(field)
}

/// The request's model, date and parameters over the scenario's; a default name; parameters checked.
fn finish(spec: &mut ScenarioSpec, q: &ShockRequest, as_of: &Option<String>) -> Result<()> {
    if let Some(m) = q.model {
        spec.model = m;
    }
    if as_of.is_some() {
        spec.as_of = as_of.clone();
    }
    let p = &mut spec.params;
    for ((dst, src), name) in [
        (&mut p.tau, &q.tau),
        (&mut p.delta, &q.delta),
        (&mut p.rho, &q.rho),
        (&mut p.rho_out, &q.rho_out),
    ]
    .into_iter()
    .zip(uncertainty::VARIED)
    {
        // A distribution is drawn per draw; the scenario keeps its own value meanwhile.
        if let Some(a) = src
            && let Given::Value(v) = uncertainty::parse(name, a)?
        {
            *dst = v;
        }
    }
    if spec.name.is_empty() {
        spec.name = spec.describe();
    }
    check_params(&spec.params)
}

/// Checks the parameters; an error names the parameter at fault.
fn check_params(p: &Params) -> Result<()> {
    p.validate().map_err(|e| {
        let err = Error::from(e);
        let name = err.message.split(" = ").next().unwrap_or("").to_string();
        match name.as_str() {
            "tau" | "delta" | "rho" | "rho_out" | "balance_tol" | "fp_tol" => err.at(&name),
            _ => err,
        }
    })
}

/// A batch file: `[[scenario]]` tables.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchFile {
    scenario: Vec<ScenarioSpec>,
}

fn batch(text: &TomlText, q: &ShockRequest, as_of: &Option<String>) -> Result<Vec<ScenarioSpec>> {
    let origin = &text.origin;
    let file: BatchFile = toml::from_str(&text.toml)
        .map_err(|e| Error::usage("batch", format!("{origin}: {}", e.to_string().trim())))?;
    if file.scenario.len() > q.max_scenarios {
        let n = file.scenario.len();
        return Err(too_many("batch", n, &n.to_string(), q.max_scenarios));
    }
    if file.scenario.is_empty() {
        return Err(Error::usage(
            "batch",
            format!("{origin}: no [[scenario]] in the file"),
        ));
    }
    let mut out = Vec::with_capacity(file.scenario.len());
    for (k, mut spec) in file.scenario.into_iter().enumerate() {
        if spec.name.is_empty() {
            spec.name = format!("scenario-{}", k + 1);
        }
        let name = spec.name.clone();
        finish(&mut spec, q, as_of).map_err(|mut e| {
            e.message = format!("{origin}: scenario '{name}': {}", e.message);
            e
        })?;
        out.push(spec);
    }
    Ok(out)
}

/// The parameters a sweep can vary.
pub(super) const SWEPT: [&str; 4] = ["tau", "delta", "rho", "rho_out"];

/// Parses `tau=0.1:0.8:0.1,delta=0.05,0.1` into (parameter, values) pairs. A range with more than `max`
/// points is refused before its values are made.
pub(crate) fn parse_sweep(s: &str, max: usize) -> Result<Vec<(String, Vec<f64>)>> {
    let bad = |m: String| Error::usage("sweep", format!("--sweep '{s}': {m}"));
    let mut out: Vec<(String, Vec<f64>)> = Vec::new();
    for tok in s.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        let val = match tok.split_once('=') {
            Some((n, v)) => {
                let n = n.trim().replace('-', "_");
                if !SWEPT.contains(&n.as_str()) {
                    return Err(bad(format!(
                        "unknown parameter '{n}' (tau, delta, rho, rho_out)"
                    )));
                }
                if out.iter().any(|(m, _)| *m == n) {
                    return Err(bad(format!("'{n}' is given twice")));
                }
                out.push((n, Vec::new()));
                v.trim()
            }
            None => tok,
        };
        let Some((name, values)) = out.last_mut() else {
            return Err(bad(
                "start with a parameter name, e.g. tau=0.1:0.8:0.1".into()
            ));
        };
        let number =
            |t: &str| written(t).ok_or_else(|| bad(format!("'{}' is not a number", t.trim())));
        let parts: Vec<&str> = val.split(':').collect();
        let new: Vec<f64> = match parts.as_slice() {
            [v] => vec![number(v)?.0],
            [a, b, st] => {
                let ((a, da), (b, _), (st, dst)) = (number(a)?, number(b)?, number(st)?);
                if st <= 0.0 || b < a {
                    return Err(bad(format!(
                        "range {val}: need start ≤ stop and a positive step"
                    )));
                }
                let steps = ((b - a) / st + 1e-9).floor();
                if steps + 1.0 > max as f64 {
                    return Err(bad(format!(
                        "range {val} has {} points, more than the limit of {} scenarios (max_scenarios, --max-scenarios)",
                        crate::format_num(steps + 1.0, 0),
                        crate::format_num(max as f64, 0)
                    )));
                }
                let d = da.max(dst);
                (0..=steps as usize)
                    .map(|k| exact(a + k as f64 * st, d))
                    .collect()
            }
            _ => return Err(bad(format!("'{val}': a value or start:stop:step"))),
        };
        for v in new {
            if values.contains(&v) {
                return Err(bad(format!("'{name}' lists {v} twice")));
            }
            values.push(v);
        }
    }
    if out.is_empty() || out.iter().any(|(_, v)| v.is_empty()) {
        return Err(bad("nothing to sweep".into()));
    }
    Ok(out)
}

/// A finite number as written, and the decimals it was written with: `0.05` → 2, `1e-3` → 3, `2` → 0.
fn written(t: &str) -> Option<(f64, usize)> {
    let t = t.trim();
    let v: f64 = t.parse().ok().filter(|v: &f64| v.is_finite())?;
    let (mantissa, exponent) = match t.find(['e', 'E']) {
        Some(p) => (&t[..p], t[p + 1..].parse::<i64>().ok()?),
        None => (t, 0),
    };
    let fraction = mantissa.split_once('.').map_or(0, |(_, f)| f.len()) as i64;
    Some((v, (fraction - exponent).clamp(0, 17) as usize))
}

/// `v` rounded to `d` decimals: the value a person writing the grid means (`0.1 + 2 × 0.1` is 0.3).
fn exact(v: f64, d: usize) -> f64 {
    format!("{v:.d$}").parse().unwrap_or(v)
}

/// A scenario over the grid, named `NAME tau=0.2 delta=0.05`.
fn sweep(base: &ScenarioSpec, grid: &[(String, Vec<f64>)]) -> Result<Vec<ScenarioSpec>> {
    let mut specs = vec![base.clone()];
    for (name, values) in grid {
        let mut next = Vec::with_capacity(specs.len() * values.len());
        for s in &specs {
            for &v in values {
                let mut t = s.clone();
                *param(&mut t.params, name) = v;
                next.push(t);
            }
        }
        specs = next;
    }
    for s in &mut specs {
        check_params(&s.params).map_err(|e| e.at("sweep"))?;
        let values: Vec<String> = grid
            .iter()
            .map(|(name, _)| format!("{name}={}", value(&s.params, name)))
            .collect();
        s.name = format!("{} {}", base.name, values.join(" "));
    }
    Ok(specs)
}

/// A swept or drawn parameter's value by name.
pub(super) fn value(p: &Params, name: &str) -> f64 {
    match name {
        "tau" => p.tau,
        "delta" => p.delta,
        "rho" => p.rho,
        _ => p.rho_out,
    }
}

/// A swept or drawn parameter by name.
pub(super) fn param<'a>(p: &'a mut Params, name: &str) -> &'a mut f64 {
    match name {
        "tau" => &mut p.tau,
        "delta" => &mut p.delta,
        "rho" => &mut p.rho,
        _ => &mut p.rho_out,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_exact_decimals() {
        let g = parse_sweep("tau=0.1:0.3:0.1,delta=0.05,0.2", 100).expect("grid");
        assert_eq!(g[0].1, vec![0.1, 0.2, 0.3]);
        assert_eq!(g[1].1, vec![0.05, 0.2]);
        let g = parse_sweep("rho=-2:-0.5:0.25", 100).expect("grid");
        assert_eq!(g[0].1, vec![-2.0, -1.75, -1.5, -1.25, -1.0, -0.75, -0.5]);
        let g = parse_sweep("delta=0:1e-3:2.5e-4", 100).expect("grid");
        assert_eq!(g[0].1, vec![0.0, 0.00025, 0.0005, 0.00075, 0.001]);
    }

    #[test]
    fn bad_grids_are_refused() {
        for (g, needle) in [
            ("tau=a", "'a' is not a number"),
            ("tau=inf", "not a number"),
            ("gamma=1", "unknown parameter 'gamma'"),
            ("0.1", "start with a parameter name"),
            ("tau=0.1,tau=0.2", "given twice"),
            ("tau=0.1,0.1", "lists 0.1 twice"),
            ("tau=0.5:0.1:0.1", "need start ≤ stop"),
            ("tau=0:1:1e-9", "more than the limit"),
        ] {
            let e = parse_sweep(g, 10_000).expect_err(g);
            assert!(e.message.contains(needle), "{g}: {}", e.message);
            assert_eq!(e.field.as_deref(), Some("sweep"));
        }
    }
}
