//! `shock` through the engine on a generated table: a request from JSON gives the numbers of the shock models
//! run directly (what the CLI printed before the engine), unknown fields are refused by name, batches and
//! sweeps stream one report per scenario in scenario order, cancellation stops them, `skip` resumes them,
//! and a grid over the limit is refused before any work.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use sovra_analysis::shock::{self, Network, ScenarioSpec};
use sovra_core::blocs::Registry;
use sovra_core::{Mrio, store, synth};
use sovra_engine::{
    ErrorKind, Progress, Quiet, Request, ShockRequest, Workspace, run, run_stream, streams,
};
use sovra_report::{Report, Value};

fn demo() -> Mrio {
    synth::table(
        "demo",
        synth::Spec {
            regions: 4,
            sectors: 3,
            categories: 2,
            stressors: 1,
            ..Default::default()
        },
    )
    .expect("synthetic table")
}

fn workspace() -> (tempfile::TempDir, Workspace) {
    let home = tempfile::tempdir().expect("tempdir");
    store::write(home.path(), &demo(), store::WriteMode::CreateNew).expect("store");
    let mut ws = Workspace::new(home.path());
    ws.fetch_default = false;
    (home, ws)
}

fn request(q: ShockRequest) -> Request {
    Request::Shock(Box::new(q))
}

fn body(json: &str) -> Request {
    Request::from_body("shock", json.as_bytes()).expect("valid request")
}

fn figure(r: &Report, key: &str) -> Value {
    r.summary
        .iter()
        .find(|f| f.key == key)
        .map(|f| f.value.clone())
        .unwrap_or_else(|| panic!("no figure {key}"))
}

fn parameter(r: &Report, key: &str) -> Value {
    r.parameters
        .iter()
        .find(|p| p.key == key)
        .map(|p| p.value.clone())
        .unwrap_or(Value::Null)
}

fn column(r: &Report, table: &str, key: &str) -> Vec<Value> {
    let t = r.table(table).unwrap_or_else(|| panic!("no table {table}"));
    let c = t
        .column(key)
        .unwrap_or_else(|| panic!("no column {key} in {table}"));
    (0..t.len()).map(|i| c.values.get(i)).collect()
}

fn keys(r: &Report, table: &str) -> Vec<String> {
    r.table(table)
        .expect("table")
        .columns
        .iter()
        .map(|c| c.key.clone())
        .collect()
}

#[test]
fn a_request_from_json_gives_the_numbers_of_the_model_run_directly() {
    let (_h, ws) = workspace();
    let req = body(
        r#"{"sanctioning": "R01", "on": "R02+R03", "data": "demo", "tau": 0.5, "as_of": "2024-06-30"}"#,
    );
    assert!(!streams(&req));
    let r = run(&ws, &req, &Quiet).expect("shock");
    r.validate().expect("valid report");
    assert_eq!(r.kind, "shock");
    let back = Report::from_json(&sovra_report::write::to_json(&r)).expect("round trip");
    assert_eq!(back, r);
    assert_eq!(r.title, "shock: embargo R01 × R02+R03 (rerouting model)");

    // The path the CLI took before the engine: resolve, prepare the network, run.
    let t = demo();
    let spec = ScenarioSpec::from_toml(
        "as_of = \"2024-06-30\"\n[[leg]]\nsanctioning = \"R01\"\ntarget = \"R02+R03\"\ninstrument = \"embargo\"\n[params]\ntau = 0.5\n",
        "test",
    )
    .expect("spec");
    let res =
        shock::scenario::resolve(&spec, &Registry::builtin(), &t.labels, "demo").expect("resolves");
    let net = Network::from_ref(&t).expect("network");
    let o = shock::run(&net, &res.legs, spec.model, &spec.params).expect("runs");

    assert_eq!(figure(&r, "world_output_loss"), Value::Number(o.world_loss));
    assert_eq!(
        figure(&r, "world_output_loss_share"),
        Value::Number(o.world_loss / o.world_output)
    );
    assert_eq!(figure(&r, "converged"), Value::Bool(true));
    assert_eq!(parameter(&r, "tau"), Value::Number(0.5));
    assert_eq!(parameter(&r, "scenario"), "embargo R01 × R02+R03".into());
    // Countries ranked by loss, every one of them (no top asked).
    let regions = column(&r, "countries", "region");
    let losses = column(&r, "countries", "output_loss");
    assert_eq!(regions.len(), 4);
    for (code, loss) in regions.iter().zip(&losses) {
        let c = t
            .labels
            .region_index(code.as_str().expect("code"))
            .expect("region");
        assert_eq!(*loss, Value::Number(o.region_loss[c]));
    }
    let l: Vec<f64> = losses.iter().map(|v| v.as_f64().expect("number")).collect();
    assert!(l.windows(2).all(|w| w[0] >= w[1]), "ranked: {l:?}");
    let fd: f64 = column(&r, "countries", "final_demand_loss")
        .iter()
        .map(|v| v.as_f64().expect("number"))
        .sum();
    assert_eq!(figure(&r, "final_demand_loss").as_f64(), Some(fd));
    // Every node, in table order, with the model's numbers.
    let node_loss = column(&r, "nodes", "output_loss");
    let h = column(&r, "nodes", "fulfilment_h");
    let lambda = column(&r, "nodes", "pass_through");
    assert_eq!(node_loss.len(), 12);
    for i in 0..12 {
        assert_eq!(node_loss[i], Value::Number(o.loss[i]));
        assert_eq!(h[i], Value::Number(o.fulfilment.as_ref().expect("h")[i]));
        assert_eq!(
            lambda[i],
            Value::Number(o.pass_through.as_ref().expect("λ")[i])
        );
    }
    // The detail sectors default to the most hit country; every sector, ranked.
    let most_hit = regions[0].as_str().expect("code").to_string();
    assert!(
        column(&r, "sectors", "region")
            .iter()
            .all(|v| v.as_str() == Some(&most_hit))
    );
    assert_eq!(column(&r, "sectors", "sector").len(), 3);
    // A diagnostic per phase, with residuals and seconds.
    let d: Vec<&str> = r.diagnostics.iter().map(|d| d.key.as_str()).collect();
    assert_eq!(d, ["reroute", "equilibrium", "stability"]);
    for g in &r.diagnostics[..2] {
        assert!(g.max_relative_residual.is_some_and(|x| x < 1e-8), "{g:?}");
        assert!(g.iterations.is_some() && g.seconds.is_some(), "{g:?}");
    }
    // The headline as the terminal prints it.
    let labels: Vec<&str> = r.headline.iter().map(|l| l.label.as_str()).collect();
    assert_eq!(
        labels,
        [
            "sanctioning",
            "target",
            "severed",
            "world output loss",
            "sanctioning side loss",
            "target side loss",
            "third countries' loss",
            "value-added (GDP) loss",
            "final-demand loss",
            "power ratio (target γ / sanctioning γ)",
            "solver",
            "stability"
        ]
    );
}

#[test]
fn the_extraction_model_and_top_and_detail() {
    let (_h, ws) = workspace();
    let req = body(
        r#"{"sanctioning": "R01", "target": "R02", "data": "demo", "model": "extraction",
            "instrument": "export-ban", "sectors": ["S01"], "top": 2, "detail": "r03"}"#,
    );
    let r = run(&ws, &req, &Quiet).expect("shock");
    // The top 2, and the parties wherever they rank.
    let regions = column(&r, "countries", "region");
    let ranks = column(&r, "countries", "rank");
    assert_eq!(ranks[..2], [Value::from(1usize), Value::from(2usize)]);
    assert!(regions.contains(&"R01".into()) && regions.contains(&"R02".into()));
    assert_eq!(
        regions.len(),
        2 + ["R01", "R02"]
            .iter()
            .filter(|p| !regions[..2].contains(&(**p).into()))
            .count()
    );
    // An export ban goes to the supply side (Ghosh), which defines a final-demand loss and no demand-side one.
    assert!(
        figure(&r, "final_demand_loss")
            .as_f64()
            .is_some_and(|v| v > 0.0)
    );
    assert!(
        column(&r, "countries", "demand_side_loss")
            .iter()
            .all(Value::is_null)
    );
    assert_eq!(
        column(&r, "countries", "supply_side_loss"),
        column(&r, "countries", "output_loss")
    );
    assert!(
        column(&r, "sectors", "region")
            .iter()
            .all(|v| v.as_str() == Some("R03"))
    );
    // No fulfilment in the extraction model: null, not 1.
    assert!(
        column(&r, "nodes", "fulfilment_h")
            .iter()
            .all(Value::is_null)
    );
    let keys =
        |r: &Report| -> Vec<String> { r.diagnostics.iter().map(|d| d.key.clone()).collect() };
    assert_eq!(keys(&r), ["extraction_supply"]);
    // The demand side holds final use fixed: its final-demand loss is null, not 0.
    let with_model = |m: &str| {
        body(&format!(
            r#"{{"sanctioning": "R01", "target": "R02", "data": "demo", "model": "{m}",
                "instrument": "export-ban", "sectors": ["S01"], "top": 2, "detail": "r03"}}"#
        ))
    };
    let d = run(&ws, &with_model("extraction-demand"), &Quiet).expect("shock");
    assert_eq!(figure(&d, "final_demand_loss"), Value::Null);
    assert!(
        column(&d, "countries", "final_demand_loss")
            .iter()
            .all(Value::is_null)
    );
    assert_eq!(keys(&d), ["extraction_demand"]);
    // Both sides: each node keeps the smaller output, so every country loses at least what either side says.
    let b = run(&ws, &with_model("extraction-both"), &Quiet).expect("shock");
    assert_eq!(keys(&b), ["extraction_demand", "extraction_supply"]);
    let by_region = |r: &Report, col: &str| -> std::collections::HashMap<String, f64> {
        let names = column(r, "countries", "region");
        let v = column(r, "countries", col);
        names
            .iter()
            .zip(&v)
            .map(|(n, x)| {
                (
                    n.as_str().unwrap_or("").to_string(),
                    x.as_f64().unwrap_or(f64::NAN),
                )
            })
            .collect()
    };
    let (both, dem, sup) = (
        by_region(&b, "output_loss"),
        by_region(&b, "demand_side_loss"),
        by_region(&b, "supply_side_loss"),
    );
    for (region, loss) in &both {
        let m = dem[region].max(sup[region]);
        assert!(
            *loss >= m - 1e-9 * m.abs().max(1.0),
            "{region}: {loss} < {m}"
        );
        assert!(*loss <= dem[region] + sup[region] + 1e-6, "{region}");
    }
    let legs = r.table("legs").expect("legs");
    assert_eq!(legs.row(0)[3], "export-ban".into());
    assert_eq!(legs.row(0)[4], "S01".into());
    // An unknown detail country names the field and the nearest region.
    let mut q = ShockRequest::new("R01", "R02");
    q.data = "demo".into();
    q.detail = Some("R05".into());
    let e = run(&ws, &request(q), &Quiet).expect_err("unknown detail");
    assert_eq!(e.kind, ErrorKind::Usage);
    assert_eq!(e.field.as_deref(), Some("detail"));
    assert!(
        e.message.starts_with("unknown region 'R05'"),
        "{}",
        e.message
    );
    assert_eq!(e.choices.len(), 4);
}

#[test]
fn unknown_fields_are_refused_by_name_and_bad_parties_name_their_side() {
    let e = Request::from_body(
        "shock",
        br#"{"sanctioning": "R01", "on": "R02", "tua": 0.5}"#,
    )
    .expect_err("unknown field");
    assert_eq!(e.kind, ErrorKind::Usage);
    assert_eq!(e.field.as_deref(), Some("tua"));
    assert!(e.message.contains("unknown field `tua`"), "{}", e.message);
    // `on` and `target` are the same field.
    let a = body(r#"{"sanctioning": "R01", "on": "R02"}"#);
    let b = body(r#"{"sanctioning": "R01", "target": "R02"}"#);
    assert_eq!(a, b);

    let (_h, ws) = workspace();
    for (json, field, needle) in [
        (
            r#"{"sanctioning": "R01", "on": "R0X"}"#,
            "target",
            "unknown bloc 'R0X'",
        ),
        (
            r#"{"sanctioning": "R0X", "on": "R02"}"#,
            "sanctioning",
            "unknown bloc 'R0X'",
        ),
        (
            r#"{"sanctioning": "R01", "on": "R01+R02"}"#,
            "target",
            "R01 on both sides",
        ),
        (
            r#"{"sanctioning": "R01", "on": "R02", "sectors": ["S9"]}"#,
            "sectors",
            "unknown sector 'S9'",
        ),
        (
            r#"{"sanctioning": "R01", "on": "R02", "tau": 1.5}"#,
            "tau",
            "tau = 1.5 is outside [0, 1]",
        ),
        (r#"{"sanctioning": "R01"}"#, "target", "--on TARGET"),
        (
            r#"{"sanctioning": "R01", "on": "R02", "as_of": "yesterday"}"#,
            "as_of",
            "not a date",
        ),
        (
            r#"{"batch": "[[scenario]]", "sanctioning": "R01"}"#,
            "sanctioning",
            "legs of a batch",
        ),
        (r#"{"scenario": "nonsense ="}"#, "scenario", "the request"),
    ] {
        let mut v: serde_json::Value = serde_json::from_str(json).expect("json");
        v["data"] = "demo".into();
        let req = body(&v.to_string());
        let e = run(&ws, &req, &Quiet).expect_err(json);
        assert_eq!(e.kind, ErrorKind::Usage, "{json}: {e:?}");
        assert_eq!(e.field.as_deref(), Some(field), "{json}: {e:?}");
        assert!(e.message.contains(needle), "{json}: {}", e.message);
    }
}

/// Records the progress steps and cancels after `cancel_after` of them (never when 0).
#[derive(Default)]
struct Recorder {
    steps: Mutex<Vec<(u64, u64)>>,
    cancel_after: u64,
    cancelled: AtomicBool,
}

impl Progress for Recorder {
    fn step(&self, done: u64, total: u64) {
        self.steps.lock().expect("steps").push((done, total));
        if self.cancel_after > 0 && done >= self.cancel_after {
            self.cancelled.store(true, Ordering::Relaxed);
        }
    }

    fn cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Relaxed)
    }
}

fn sweep_request(grid: &str) -> ShockRequest {
    let mut q = ShockRequest::new("R01", "R02+R03");
    q.data = "demo".into();
    q.sweep = Some(grid.into());
    q
}

#[test]
fn a_sweep_streams_its_parts_in_scenario_order() {
    let (_h, ws) = workspace();
    let q = sweep_request("tau=0.1:0.4:0.1,delta=0.05,0.1");
    let req = request(q.clone());
    assert!(streams(&req));
    let expected: Vec<String> = sovra_engine::shock::scenarios(&q)
        .expect("scenarios")
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert_eq!(expected.len(), 8);
    assert_eq!(
        expected[4], "embargo R01 × R02+R03 tau=0.3 delta=0.05",
        "exact decimals"
    );
    let single = run(
        &ws,
        &request(ShockRequest {
            sweep: None,
            ..q.clone()
        }),
        &Quiet,
    )
    .expect("single");
    let progress = Recorder::default();
    let mut parts = Vec::new();
    let summary = run_stream(
        &ws,
        &req,
        &mut |r| {
            parts.push(r);
            Ok(())
        },
        &progress,
    )
    .expect("sweep");
    let names: Vec<String> = parts
        .iter()
        .map(|r| parameter(r, "scenario").as_str().expect("name").to_string())
        .collect();
    assert_eq!(names, expected);
    // Every part is a whole shock report, with the tables and columns of a single run.
    for part in &parts {
        assert_eq!(part.kind, "shock");
        part.validate().expect("valid part");
        let tables: Vec<&str> = part.tables.iter().map(|t| t.key.as_str()).collect();
        assert_eq!(tables, ["countries", "sides", "sectors", "nodes", "legs"]);
        for t in tables {
            assert_eq!(keys(part, t), keys(&single, t), "{t}");
        }
    }
    assert_eq!(parameter(&parts[4], "tau"), Value::Number(0.3));
    assert_eq!(parameter(&parts[4], "delta"), Value::Number(0.05));
    // Progress: every step, in order, out of the scenarios run.
    let steps = progress.steps.lock().expect("steps").clone();
    assert_eq!(steps.first(), Some(&(0, 8)));
    assert_eq!(steps.last(), Some(&(8, 8)));
    assert!(steps.windows(2).all(|w| w[0].0 < w[1].0));
    // The summary: one row per scenario, in order.
    let rows = column(&summary, "scenarios", "scenario");
    assert_eq!(
        rows.iter()
            .map(|v| v.as_str().expect("name"))
            .collect::<Vec<_>>(),
        expected.iter().map(String::as_str).collect::<Vec<_>>()
    );
    assert_eq!(figure(&summary, "scenarios"), Value::Int(8));
    // `run` on a sweep answers with the same summary (parts dropped).
    let again = run(&ws, &req, &Quiet).expect("summary");
    assert_eq!(
        column(&again, "scenarios", "world_output_loss"),
        column(&summary, "scenarios", "world_output_loss")
    );
}

#[test]
fn skipped_scenarios_are_not_run_again() {
    let (_h, ws) = workspace();
    let mut q = sweep_request("delta=0.05,0.1,0.2");
    q.skip = vec!["embargo R01 × R02+R03 delta=0.1".into()];
    let mut names = Vec::new();
    let summary = run_stream(
        &ws,
        &request(q),
        &mut |r| {
            names.push(parameter(&r, "scenario"));
            Ok(())
        },
        &Quiet,
    )
    .expect("sweep");
    assert_eq!(
        names,
        [
            Value::from("embargo R01 × R02+R03 delta=0.05"),
            Value::from("embargo R01 × R02+R03 delta=0.2")
        ]
    );
    assert_eq!(figure(&summary, "skipped"), Value::Int(1));
}

#[test]
fn a_batch_runs_its_scenarios_from_toml_text() {
    let (_h, ws) = workspace();
    let batch = "[[scenario]]\nname = \"one\"\n[[scenario.leg]]\nsanctioning = \"R01\"\ntarget = \"R02\"\ninstrument = \"embargo\"\n\n\
                 [[scenario]]\nname = \"two\"\nmodel = \"extraction\"\n[[scenario.leg]]\nsanctioning = \"R03\"\ntarget = \"R04\"\ninstrument = \"import-ban\"\n";
    let req = body(&serde_json::json!({"batch": batch, "data": "demo"}).to_string());
    let mut parts = Vec::new();
    run_stream(
        &ws,
        &req,
        &mut |r| {
            parts.push(r);
            Ok(())
        },
        &Quiet,
    )
    .expect("batch");
    assert_eq!(parts.len(), 2);
    assert_eq!(parameter(&parts[0], "scenario"), "one".into());
    assert_eq!(
        parameter(&parts[0], "description"),
        "embargo R01 × R02".into()
    );
    assert_eq!(parameter(&parts[1], "model"), "extraction".into());
    // The object form names where the text came from.
    let req = body(
        r#"{"batch": {"toml": "[[scenario]]\nname = 1", "origin": "b.toml"}, "data": "demo"}"#,
    );
    let e = run(&ws, &req, &Quiet).expect_err("bad batch");
    assert_eq!(e.field.as_deref(), Some("batch"));
    assert!(e.message.starts_with("b.toml: "), "{}", e.message);
}

#[test]
fn cancellation_stops_a_sweep_between_scenarios() {
    let (_h, ws) = workspace();
    let req = request(sweep_request("tau=0.1:0.9:0.1"));
    let progress = Recorder {
        cancel_after: 2,
        ..Default::default()
    };
    let mut parts = 0;
    let e = run_stream(
        &ws,
        &req,
        &mut |_| {
            parts += 1;
            Ok(())
        },
        &progress,
    )
    .expect_err("cancelled");
    assert_eq!(e.kind, ErrorKind::Cancelled);
    assert_eq!(e.kind.exit_code(), 130);
    assert_eq!(parts, 2, "the parts before the cancellation, no more");
}

#[test]
fn an_error_of_the_sink_stops_the_sweep() {
    let (_h, ws) = workspace();
    let req = request(sweep_request("tau=0.1:0.9:0.1"));
    let mut parts = 0;
    let e = run_stream(
        &ws,
        &req,
        &mut |_| {
            parts += 1;
            Err(sovra_engine::Error::new(
                ErrorKind::External,
                "client went away",
            ))
        },
        &Quiet,
    )
    .expect_err("stopped");
    assert_eq!(e.message, "client went away");
    assert_eq!(parts, 1);
}

#[test]
fn a_sweep_over_the_limit_is_refused_before_any_work() {
    // No dataset named like this: the limit is checked first.
    let mut q = sweep_request("tau=0:1:0.001,delta=0:1:0.001");
    q.data = "not-loaded".into();
    let ws = Workspace::new(tempfile::tempdir().expect("tempdir").path());
    let e = run(&ws, &request(q.clone()), &Quiet).expect_err("too many");
    assert_eq!(e.kind, ErrorKind::Usage);
    assert_eq!(e.kind.exit_code(), 2);
    assert_eq!(e.field.as_deref(), Some("sweep"));
    assert!(
        e.message.contains("1,002,001 scenarios (1001 × 1001)")
            && e.message.contains("limit of 10,000"),
        "{}",
        e.message
    );
    // One range beyond the limit is refused before its values are made.
    q.sweep = Some("tau=0:1:1e-12".into());
    let e = run(&ws, &request(q.clone()), &Quiet).expect_err("too many");
    assert!(e.message.contains("more than the limit"), "{}", e.message);
    // A lower limit applies to batches too.
    q.sweep = Some("delta=0.1,0.2,0.3".into());
    q.max_scenarios = 2;
    let e = run(&ws, &request(q), &Quiet).expect_err("too many");
    assert!(e.message.contains("makes 3 scenarios"), "{}", e.message);
}

/// Value-added losses computed here from the table's ν = v / x and the per-node losses, summed by country
/// and by side, against the report's `countries` and `sides` tables and its figures.
#[test]
fn value_added_losses_by_country_and_side() {
    let (_h, ws) = workspace();
    let t = demo();
    let req = body(r#"{"sanctioning": "R01", "target": "R02+R03", "data": "demo", "top": 1}"#);
    let r = run(&ws, &req, &Quiet).expect("shock");
    let ns = t.labels.sectors.len();
    let (nr, n) = (t.labels.regions.len(), t.n());
    let node_loss = column(&r, "nodes", "output_loss");
    assert_eq!(node_loss.len(), n);
    let (mut va, mut va_loss, mut out, mut loss) =
        (vec![0.0; nr], vec![0.0; nr], vec![0.0; nr], vec![0.0; nr]);
    let node_out = column(&r, "nodes", "output");
    for i in 0..n {
        let l = node_loss[i].as_f64().expect("loss");
        va[i / ns] += t.v[i];
        va_loss[i / ns] += if t.x[i] > 0.0 {
            t.v[i] / t.x[i] * l
        } else {
            0.0
        };
        out[i / ns] += node_out[i].as_f64().expect("output");
        loss[i / ns] += l;
    }
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.abs().max(1e-9);
    // Countries: every party appears although top is 1.
    let regions = column(&r, "countries", "region");
    let sides = column(&r, "countries", "side");
    let got = column(&r, "countries", "value_added_loss");
    let share = column(&r, "countries", "value_added_loss_share");
    assert!(
        ["R01", "R02", "R03"]
            .iter()
            .all(|p| regions.contains(&(*p).into()))
    );
    for (k, reg) in regions.iter().enumerate() {
        let c = t
            .labels
            .region_index(reg.as_str().expect("code"))
            .expect("region");
        let want_side = match c {
            0 => "sanctioning",
            1 | 2 => "target",
            _ => "third",
        };
        assert_eq!(sides[k], want_side.into());
        assert!(close(got[k].as_f64().unwrap(), va_loss[c]), "{reg}");
        assert!(
            close(share[k].as_f64().unwrap(), va_loss[c] / va[c]),
            "{reg}"
        );
    }
    // Sides: sums over their regions; third = R04.
    let side_rows = column(&r, "sides", "side");
    assert_eq!(
        side_rows,
        ["sanctioning".into(), "target".into(), "third".into()]
    );
    let groups: [&[usize]; 3] = [&[0], &[1, 2], &[3]];
    for (k, g) in groups.iter().enumerate() {
        let sum = |v: &[f64]| g.iter().map(|&c| v[c]).sum::<f64>();
        assert!(close(
            column(&r, "sides", "output_loss")[k].as_f64().unwrap(),
            sum(&loss)
        ));
        assert!(close(
            column(&r, "sides", "value_added_loss")[k].as_f64().unwrap(),
            sum(&va_loss)
        ));
        assert!(close(
            column(&r, "sides", "loss_share")[k].as_f64().unwrap(),
            sum(&loss) / sum(&out)
        ));
    }
    assert!(close(
        figure(&r, "world_value_added_loss").as_f64().unwrap(),
        va_loss.iter().sum()
    ));
    assert!(close(figure(&r, "third_loss").as_f64().unwrap(), loss[3]));
    assert!(close(
        figure(&r, "target_value_added_loss").as_f64().unwrap(),
        va_loss[1] + va_loss[2]
    ));
}

fn numbers(r: &Report, table: &str, key: &str) -> Vec<f64> {
    column(r, table, key)
        .iter()
        .map(|v| v.as_f64().unwrap_or(f64::NAN))
        .collect()
}

/// numpy's default quantile (linear between order statistics).
fn quantile(v: &[f64], q: f64) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let h = (s.len() - 1) as f64 * q;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(s.len() - 1);
    s[lo] + (h - lo as f64) * (s[hi] - s[lo])
}

#[test]
fn draws_are_seeded_and_their_percentiles_are_those_of_the_draws() {
    let (_h, ws) = workspace();
    let mc = |seed: u64| {
        body(&format!(
            r#"{{"sanctioning": "R01", "target": "R02", "data": "demo", "draws": 24, "seed": {seed},
                "tau": "uniform:0.1:0.6", "delta": "triangular:0.05:0.1:0.3", "rho": -2}}"#
        ))
    };
    let r = run(&ws, &mc(7), &Quiet).expect("draws");
    assert_eq!(figure(&r, "draws"), Value::from(24usize));
    assert_eq!(figure(&r, "draws_converged"), Value::from(24usize));
    assert_eq!(parameter(&r, "tau"), "uniform:0.1:0.6".into());
    assert_eq!(parameter(&r, "rho"), Value::from(-2.0));
    let tau = numbers(&r, "draws", "tau");
    let delta = numbers(&r, "draws", "delta");
    assert!(tau.iter().all(|t| (0.1..0.6).contains(t)), "{tau:?}");
    assert!(delta.iter().all(|d| (0.05..=0.3).contains(d)), "{delta:?}");
    assert!(numbers(&r, "draws", "rho").iter().all(|&p| p == -2.0));
    // The same seed, the same draws and results; another seed, other draws.
    let again = run(&ws, &mc(7), &Quiet).expect("draws");
    assert_eq!(
        numbers(&again, "draws", "world_output_loss"),
        numbers(&r, "draws", "world_output_loss")
    );
    assert_eq!(numbers(&again, "draws", "tau"), tau);
    let other = run(&ws, &mc(8), &Quiet).expect("draws");
    assert_ne!(numbers(&other, "draws", "tau"), tau);
    // Each draw is the single run of its parameters (warm starts change iterations, not answers).
    let world = numbers(&r, "draws", "world_output_loss");
    for k in [0, 5, 23] {
        let one = body(&format!(
            r#"{{"sanctioning": "R01", "target": "R02", "data": "demo", "tau": {}, "delta": {}, "rho": -2}}"#,
            tau[k], delta[k]
        ));
        let single = run(&ws, &one, &Quiet).expect("single");
        let w = figure(&single, "world_output_loss").as_f64().unwrap();
        assert!(
            (w - world[k]).abs() <= 1e-8 * w.abs().max(1.0),
            "draw {k}: {} vs {w}",
            world[k]
        );
    }
    // The percentiles are those of the draws.
    let stat = |s: &str| {
        let names = column(&r, "world", "statistic");
        let vals = numbers(&r, "world", "world_output_loss");
        vals[names
            .iter()
            .position(|n| n.as_str() == Some(s))
            .expect("statistic")]
    };
    for (s, q) in [("p05", 0.05), ("p50", 0.5), ("p95", 0.95), ("p25", 0.25)] {
        let want = quantile(&world, q);
        assert!((stat(s) - want).abs() <= 1e-9 * want.abs().max(1.0), "{s}");
    }
    let target = numbers(&r, "draws", "target_loss");
    for (key, q) in [
        ("target_loss_p05", 0.05),
        ("target_loss_median", 0.5),
        ("target_loss_p95", 0.95),
    ] {
        let got = figure(&r, key).as_f64().unwrap();
        let want = quantile(&target, q);
        assert!(
            (got - want).abs() <= 1e-9 * want.abs().max(1.0),
            "{key}: {got} vs {want}"
        );
    }
    // Per country: median between the 5th and 95th percentiles; the target (R02) is a single country.
    let regions = column(&r, "countries", "region");
    let i = regions
        .iter()
        .position(|v| v.as_str() == Some("R02"))
        .expect("R02");
    let (lo, mid, hi) = (
        numbers(&r, "countries", "loss_p05")[i],
        numbers(&r, "countries", "loss_median")[i],
        numbers(&r, "countries", "loss_p95")[i],
    );
    assert!(lo <= mid && mid <= hi && lo < hi, "{lo} {mid} {hi}");
    assert!((mid - quantile(&target, 0.5)).abs() <= 1e-9 * mid.abs().max(1.0));
}

#[test]
fn bad_draws_are_refused_before_any_work() {
    let (_h, ws) = workspace();
    for (json, field, needle) in [
        (
            r#""draws": 0, "tau": "uniform:0.1:0.6""#,
            "draws",
            "at least 1",
        ),
        (
            r#""draws": 1000000, "tau": "uniform:0.1:0.6""#,
            "draws",
            "more than the limit",
        ),
        (r#""draws": 10, "tau": 0.3"#, "draws", "nothing to draw"),
        (r#""tau": "uniform:0.1:0.6""#, "tau", "--draws"),
        (
            r#""draws": 10, "tau": "uniform:0.6:0.1""#,
            "tau",
            "must be below",
        ),
        (
            r#""draws": 10, "delta": "uniform:0.1:1.2""#,
            "delta",
            "outside [0, 1]",
        ),
        (
            r#""draws": 10, "rho": "normal:-1:0""#,
            "rho",
            "must be positive",
        ),
        (
            r#""draws": 10, "rho_out": "beta:1:2""#,
            "rho_out",
            "not a number or a distribution",
        ),
        (
            r#""draws": 10, "tau": "uniform:0.1:0.6", "sweep": "delta=0.1,0.2""#,
            "draws",
            "not both",
        ),
    ] {
        let q = body(&format!(
            r#"{{"sanctioning": "R01", "target": "R02", "data": "demo", {json}}}"#
        ));
        let e = run(&ws, &q, &Quiet).expect_err(json);
        assert_eq!(e.kind, ErrorKind::Usage, "{json}: {e:?}");
        assert_eq!(e.field.as_deref(), Some(field), "{json}: {e:?}");
        assert!(e.message.contains(needle), "{json}: {}", e.message);
    }
}
