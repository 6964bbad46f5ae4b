//! `sovra projects evaluate|select` end to end: every kind of bad project file is an error naming the project
//! and the field (exit code 2, nothing computed), an infeasible selection names the conflict, TOML and CSV
//! give the same numbers, and on icio2022 the example file's portfolio respects its budgets and its joint
//! effect is reported beside the sum of individual effects.

use std::path::Path;
use std::process::{Command, Output};

use sovra_core::{store, synth};

fn sovra(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sovra"))
        .args(args)
        .env("SOVRA_HOME", home)
        .output()
        .unwrap()
}

fn ok(home: &Path, args: &[&str]) -> serde_json::Value {
    let o = sovra(home, args);
    assert!(
        o.status.success(),
        "sovra {args:?} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).unwrap()
}

fn figure<'a>(json: &'a serde_json::Value, key: &str) -> &'a serde_json::Value {
    json["summary"]
        .as_array()
        .and_then(|f| f.iter().find(|f| f["key"] == key))
        .map(|f| &f["value"])
        .unwrap_or_else(|| panic!("no figure {key}"))
}

fn rows<'a>(json: &'a serde_json::Value, key: &str) -> &'a Vec<serde_json::Value> {
    json["tables"]
        .as_array()
        .and_then(|t| t.iter().find(|t| t["key"] == key))
        .and_then(|t| t["rows"].as_array())
        .unwrap_or_else(|| panic!("no table {key}"))
}

/// A 4-region × 3-sector table stored as `demo`.
fn home() -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    let t = synth::table(
        "demo",
        synth::Spec {
            regions: 4,
            sectors: 3,
            categories: 2,
            stressors: 0,
            ..Default::default()
        },
    )
    .unwrap();
    store::write(home.path(), &t, store::WriteMode::CreateNew).unwrap();
    home
}

const GOOD: &str = r#"
[[project]]
id = "a"
host = "R01"
sector = "S01"
capacity = 5
cost = 2
payers = { R01 = 0.5, R02 = 0.5 }
serves = "R01+R02"
replaces = "R03+R04"

[[project]]
id = "b"
host = "R02"
sector = "S02"
capacity = 5
cost = 2
requires = ["a"]
"#;

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

/// Each bad file is refused before any work with exit code 2 and a message naming the project and field.
#[test]
fn bad_project_files_name_the_project_and_field() {
    let home = home();
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "unknown id",
            r#"requires = ["zz"]"#,
            &["project 'x'", "'requires'", "zz"],
        ),
        (
            "unknown exclusion",
            r#"excludes = ["zz"]"#,
            &["project 'x'", "'excludes'", "zz"],
        ),
        (
            "shares",
            "payers = { R01 = 0.6, R02 = 0.3 }",
            &["project 'x'", "'payers'", "sum to 0.9"],
        ),
        (
            "negative capacity",
            "",
            &["project 'x'", "'capacity'", "negative"],
        ),
        (
            "unknown sector",
            r#"sector = "C99""#,
            &["project 'x'", "'sector'", "C99"],
        ),
        (
            "unknown region",
            r#"serves = "ZZZ""#,
            &["project 'x'", "'serves'", "ZZZ"],
        ),
        (
            "host replaced",
            r#"replaces = "R01+R03""#,
            &["project 'x'", "'replaces'", "host"],
        ),
        (
            "served replaced",
            r#"serves = "R01+R03"
replaces = "R03""#,
            &["project 'x'", "'replaces'", "R03"],
        ),
        ("unknown field", "colour = 1", &["colour"]),
    ];
    for (what, extra, wants) in cases {
        let capacity = if *what == "negative capacity" {
            "-1"
        } else {
            "5"
        };
        let sector = if extra.starts_with("sector") {
            ""
        } else {
            "sector = \"S01\"\n"
        };
        let text = format!(
            "[[project]]\nid = \"x\"\nhost = \"R01\"\n{sector}capacity = {capacity}\ncost = 1\n{extra}\n"
        );
        let f = write(dir.path(), "p.toml", &text);
        let o = sovra(home.path(), &["projects", "evaluate", &f, "--data", "demo"]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{what}: {err}");
        assert!(o.stdout.is_empty(), "{what}: nothing computed");
        for w in *wants {
            assert!(err.contains(w), "{what}: '{w}' not in: {err}");
        }
    }
    // A cycle of requirements.
    let f = write(
        dir.path(),
        "cycle.toml",
        &GOOD.replace("cost = 2\npayers", "cost = 2\nrequires = [\"b\"]\npayers"),
    );
    let o = sovra(home.path(), &["projects", "evaluate", &f, "--data", "demo"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("cycle") && err.contains("a → b → a"), "{err}");
    // A CSV cell that is not a number names line and column.
    let f = write(
        dir.path(),
        "p.csv",
        "id,host,sector,capacity,cost\na,R01,S01,5,2\nb,R02,S02,lots,2\n",
    );
    let o = sovra(home.path(), &["projects", "evaluate", &f, "--data", "demo"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("line 3") && err.contains("'capacity'") && err.contains("lots"),
        "{err}"
    );
}

#[test]
fn toml_and_csv_give_the_same_effects_and_selection_respects_the_limits() {
    let home = home();
    let dir = tempfile::tempdir().unwrap();
    let toml = write(dir.path(), "p.toml", GOOD);
    let csv = write(
        dir.path(),
        "p.csv",
        "id,host,sector,capacity,cost,payers,serves,replaces,requires\n\
         a,R01,S01,5,2,R01=0.5;R02=0.5,R01+R02,R03+R04,\n\
         b,R02,S02,5,2,,,,a\n",
    );
    let a = ok(
        home.path(),
        &[
            "projects", "evaluate", &toml, "--data", "demo", "--format", "json",
        ],
    );
    let b = ok(
        home.path(),
        &[
            "projects", "evaluate", &csv, "--data", "demo", "--format", "json",
        ],
    );
    assert_eq!(rows(&a, "projects"), rows(&b, "projects"));
    let cut = rows(&a, "projects")[0]["dependence_cut"].as_f64().unwrap();
    assert!(cut > 0.0, "{cut}");
    // b requires a: with a budget for one project, only a can be chosen.
    let s = ok(
        home.path(),
        &[
            "projects", "select", &toml, "--data", "demo", "--budget", "3", "--format", "json",
        ],
    );
    let chosen: Vec<&str> = rows(&s, "portfolio")
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(chosen, ["a"]);
    assert_eq!(figure(&s, "proven_optimal"), true);
    // One project: the joint effect is the individual one.
    let (sum, joint) = (
        figure(&s, "dependence_cut_sum").as_f64().unwrap(),
        figure(&s, "dependence_cut_joint").as_f64().unwrap(),
    );
    assert!((sum - joint).abs() <= 1e-9 * sum.abs(), "{sum} vs {joint}");
    // Infeasible: b must be chosen, but b needs a and the budget holds one.
    let o = sovra(
        home.path(),
        &[
            "projects", "select", &toml, "--data", "demo", "--budget", "3", "--must", "b",
        ],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("total budget 3")
            && err.contains("'b' must be chosen")
            && err.contains("'b' requires 'a'"),
        "{err}"
    );
    // An unknown id in --must, an unknown payer, the shock objective without a scenario.
    for (args, want) in [
        (&["--must", "zz"][..], "zz"),
        (&["--budget-by", "R09=1"][..], "R09"),
        (&["--objective", "shock"][..], "scenario"),
        (&["--frontier", "5:1:1"][..], "start:stop:step"),
    ] {
        let mut all = vec!["projects", "select", &toml, "--data", "demo"];
        all.extend_from_slice(args);
        let o = sovra(home.path(), &all);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: {err}");
    }
}

/// The example file on the default dataset: budgets hold, the joint re-evaluation is shown with its
/// difference, and the frontier never falls as the budget grows.
#[test]
fn union_state_example_on_icio2022() {
    if store::open_or_notice(
        "icio2022",
        "the projects example test (run `sovra data fetch`)",
    )
    .is_none()
    {
        return;
    }
    let home = store::home();
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/union-state-projects.toml"
    );
    let s = ok(
        &home,
        &[
            "projects",
            "select",
            file,
            "--budget",
            "1500",
            "--budget-by",
            "RUS=1000,BLR=500",
            "--frontier",
            "0:3000:500",
            "--format",
            "json",
        ],
    );
    assert_eq!(figure(&s, "proven_optimal"), true);
    assert!(figure(&s, "cost").as_f64().unwrap() <= 1500.0);
    assert!(figure(&s, "spent_rus").as_f64().unwrap() <= 1000.0 + 1e-9);
    assert!(figure(&s, "spent_blr").as_f64().unwrap() <= 500.0 + 1e-9);
    let (sum, joint, diff) = (
        figure(&s, "dependence_cut_sum").as_f64().unwrap(),
        figure(&s, "dependence_cut_joint").as_f64().unwrap(),
        figure(&s, "dependence_cut_difference").as_f64().unwrap(),
    );
    assert!(sum > 0.0 && joint > 0.0);
    assert!((joint - sum - diff).abs() < 1e-6);
    // Interactions are second-order: within a few percent of the sum.
    assert!((joint - sum).abs() < 0.05 * sum, "{sum} vs {joint}");
    let chosen: Vec<&str> = rows(&s, "portfolio")
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert!(!(chosen.contains(&"machine-tools-rus") && chosen.contains(&"machine-tools-blr")));
    if chosen.contains(&"robots") {
        assert!(chosen.contains(&"microelectronics"));
    }
    let frontier: Vec<f64> = rows(&s, "frontier")
        .iter()
        .map(|r| r["objective"].as_f64().unwrap())
        .collect();
    assert_eq!(frontier.len(), 7);
    assert!(
        frontier.windows(2).all(|w| w[1] >= w[0] - 1e-9),
        "{frontier:?}"
    );
}
