//! Conformance of `projects evaluate` and `projects select` on icio2022 with an independent computation
//! (`conformance/projects/dump.py`): every project's substitutable and substituted imports, dependence cut and
//! value added gained against numpy with a dense inverse of each changed table (relative 1e-9, absolute floor
//! 1e-9 × D), and the optimal objective of ten selections against scipy.optimize.milp (HiGHS), itself checked
//! against brute force over all 2¹² subsets (relative 1e-9); with the `highs` feature, the selections
//! also with HiGHS as the MILP backend.
//!
//! The dump comes from `conformance/projects/run.sh` (run by `scripts/test`) in `$SOVRA_CONFORMANCE_DIR`.

use std::path::{Path, PathBuf};

use serde_json::Value;
use sovra_engine::{
    ProjectsEvaluateRequest, ProjectsSelectRequest, Quiet, Request, TomlText, Workspace, run,
};

const RTOL: f64 = 1e-9;

fn conformance_dir() -> PathBuf {
    std::env::var_os("SOVRA_CONFORMANCE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/conformance"))
}

fn dump() -> Option<Value> {
    let p = conformance_dir().join("projects");
    if !p.join("DONE").is_file() {
        assert!(
            std::env::var_os("SOVRA_REQUIRE_CONFORMANCE").is_none(),
            "SOVRA_REQUIRE_CONFORMANCE is set but no projects dump is in {}",
            p.display()
        );
        eprintln!(
            "NOTICE: no projects dump in {}: run scripts/test (or conformance/projects/run.sh) first",
            p.display()
        );
        return None;
    }
    let text = std::fs::read_to_string(p.join("projects.json")).unwrap();
    Some(serde_json::from_str(&text).unwrap())
}

fn projects_file() -> TomlText {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../conformance/projects/projects.toml");
    TomlText::new(std::fs::read_to_string(&path).unwrap(), "projects.toml")
}

fn evaluate_request() -> ProjectsEvaluateRequest {
    serde_json::from_value(serde_json::json!({ "projects": projects_file().toml })).unwrap()
}

fn figure(r: &sovra_report::Report, key: &str) -> f64 {
    r.summary
        .iter()
        .find(|f| f.key == key)
        .and_then(|f| f.value.as_f64())
        .unwrap_or_else(|| panic!("no figure {key}"))
}

fn close(a: f64, b: f64, floor: f64) -> bool {
    (a - b).abs() <= RTOL * a.abs().max(b.abs()) + floor
}

#[test]
fn effects_and_selections_match_numpy_and_scipy() {
    let Some(want) = dump() else { return };
    let ws = Workspace::from_env();
    let r = run(
        &ws,
        &Request::ProjectsEvaluate(Box::new(evaluate_request())),
        &Quiet,
    )
    .unwrap();
    let d = want["dependence"].as_f64().unwrap();
    assert!(
        close(figure(&r, "dependence"), d, 0.0),
        "D {} vs {d}",
        figure(&r, "dependence")
    );
    let table = r.tables.iter().find(|t| t.key == "projects").unwrap();
    let col = |key: &str| {
        table
            .column(key)
            .unwrap_or_else(|| panic!("no column {key}"))
    };
    let effects = want["effects"].as_array().unwrap();
    assert_eq!(table.len(), effects.len());
    let mut worst = 0.0f64;
    for (k, e) in effects.iter().enumerate() {
        assert_eq!(col("id").values.get(k).as_str(), e["id"].as_str());
        for key in [
            "substitutable",
            "substituted",
            "dependence_cut",
            "value_added_gained",
        ] {
            let got = col(key).values.get(k).as_f64().unwrap();
            let w = e[key].as_f64().unwrap();
            assert!(
                close(got, w, 1e-9 * d),
                "{} {key}: sovra {got} numpy {w}",
                e["id"]
            );
            if w != 0.0 {
                worst = worst.max((got - w).abs() / w.abs());
            }
        }
    }
    eprintln!(
        "projects: {} effects, largest relative difference {worst:.1e}",
        effects.len() * 4
    );

    let sels = want["selections"].as_array().unwrap();
    assert_eq!(sels.len(), 10);
    // With the `highs` feature, HiGHS (through good_lp) must find the same optima as microlp.
    let backends: &[&str] = if cfg!(feature = "highs") {
        &["microlp", "highs"]
    } else {
        &["microlp"]
    };
    for milp in backends {
        for s in sels {
            let mut body = serde_json::json!({
                "projects": projects_file().toml,
                "budget": s["budget"],
                "milp_solver": milp,
            });
            if let Some(by) = s.get("budget_by") {
                body["budget_by"] = by.clone();
            }
            let q: ProjectsSelectRequest = serde_json::from_value(body).unwrap();
            let rep = run(&ws, &Request::ProjectsSelect(Box::new(q)), &Quiet).unwrap();
            let got = figure(&rep, "objective");
            let w = s["objective"].as_f64().unwrap();
            assert!(
                close(got, w, 1e-9),
                "{milp}, budget {}: sovra {got} scipy {w}",
                s["budget"]
            );
            assert!(close(w, s["brute_force"].as_f64().unwrap(), 1e-9));
            let proven = rep
                .summary
                .iter()
                .find(|f| f.key == "proven_optimal")
                .unwrap();
            assert_eq!(
                proven.value,
                sovra_report::Value::Bool(true),
                "{milp}, budget {}",
                s["budget"]
            );
        }
    }
}
