//! The `sovra` binary end to end on a generated table: import, list, info, each analysis in every format,
//! provenance in every output, clear errors for bad requests. Plus the real default dataset when it is in
//! the store (the test script fetches it first).

#[path = "../../sovra-core/tests/support/shared_data.rs"]
mod shared_data;

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

fn ok(home: &Path, args: &[&str]) -> String {
    let o = sovra(home, args);
    assert!(
        o.status.success(),
        "sovra {args:?} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

/// The rows of a report's first table (`tables[0].rows`), or of a legacy report (`rows`).
fn table_rows(json: &serde_json::Value) -> Option<&Vec<serde_json::Value>> {
    json["tables"][0]["rows"]
        .as_array()
        .or_else(|| json["rows"].as_array())
}

/// A typed summary figure's value by key.
fn figure<'a>(json: &'a serde_json::Value, key: &str) -> &'a serde_json::Value {
    json["summary"]
        .as_array()
        .and_then(|f| f.iter().find(|f| f["key"] == key))
        .map(|f| &f["value"])
        .unwrap_or(&serde_json::Value::Null)
}

/// A headline line's text by label.
fn headline<'a>(json: &'a serde_json::Value, label: &str) -> &'a str {
    json["headline"]
        .as_array()
        .and_then(|l| l.iter().find(|l| l["label"] == label))
        .and_then(|l| l["text"].as_str())
        .unwrap_or("")
}

/// A parameter's value by key.
fn parameter<'a>(json: &'a serde_json::Value, key: &str) -> &'a serde_json::Value {
    json["parameters"]
        .as_array()
        .and_then(|f| f.iter().find(|f| f["key"] == key))
        .map(|f| &f["value"])
        .unwrap_or(&serde_json::Value::Null)
}

/// The rows of a report's table by key.
fn shock_table<'a>(json: &'a serde_json::Value, key: &str) -> &'a Vec<serde_json::Value> {
    json["tables"]
        .as_array()
        .and_then(|t| t.iter().find(|t| t["key"] == key))
        .and_then(|t| t["rows"].as_array())
        .unwrap_or_else(|| panic!("no table {key}"))
}

/// The synthetic table the tests store as `demo` (4 regions × 3 sectors).
fn demo_table() -> sovra_core::Mrio {
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
    .unwrap()
}

fn home_with_table() -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    store::write(home.path(), &demo_table(), store::WriteMode::CreateNew).unwrap();
    home
}

/// `w` with `(I − A_NN)ᵀ w = b` over the nodes `N = nodes` (`A = Z x̂⁻¹`), by a dense LU solve formed here:
/// `w_j = Σ_{i∈N} b_i L_ij`, `L` the Leontief inverse of the system restricted to `N` (all active nodes: the
/// full inverse).
fn dense_transposed_solve(
    t: &sovra_core::Mrio,
    nodes: &[usize],
    b: impl Fn(usize) -> f64,
) -> Vec<f64> {
    use sovra_core::faer::Mat;
    use sovra_core::faer::linalg::solvers::Solve;
    let k = nodes.len();
    let m = Mat::<f64>::from_fn(k, k, |a, c| {
        let (i, j) = (nodes[c], nodes[a]); // row a of (I − A)ᵀ is column a of I − A
        let aij = t.z.get(i, j) / t.x[j];
        if a == c { 1.0 - aij } else { -aij }
    });
    let mut w = Mat::<f64>::from_fn(k, 1, |a, _| b(nodes[a]));
    m.partial_piv_lu().solve_in_place(w.as_mut());
    (0..k).map(|a| w[(a, 0)]).collect()
}

/// `Σ_{i∈from} ν_i L_ij` for every node `j` of `nodes` (see [`dense_transposed_solve`]), `ν = (x − Zᵀ1) / x`.
fn dense_value_added_from(t: &sovra_core::Mrio, nodes: &[usize], from: &[usize]) -> Vec<f64> {
    dense_transposed_solve(t, nodes, |i| {
        if from.contains(&i) {
            (t.x[i] - (0..t.n()).map(|r| t.z.get(r, i)).sum::<f64>()) / t.x[i]
        } else {
            0.0
        }
    })
}

#[test]
fn analyses_render_in_every_format_with_provenance() {
    let home = home_with_table();
    let h = home.path();
    let list = ok(h, &["data", "list"]);
    assert!(
        list.contains("demo") && list.contains("synthetic 4×3"),
        "{list}"
    );
    let info = ok(h, &["info", "demo"]);
    assert!(
        info.contains("productive") && info.contains("x = L·Y·1 check") && info.contains("R04"),
        "{info}"
    );
    for cmd in [
        vec!["multipliers", "demo", "--top", "5"],
        vec!["linkages", "demo"],
        vec!["footprint", "demo", "--stressor", "value added"],
        vec![
            "footprint",
            "demo",
            "--stressor",
            "stressor1",
            "--by",
            "node",
        ],
    ] {
        let table = ok(h, &cmd);
        assert!(
            table.contains("dataset: demo") && table.contains("sovra 0.1.0"),
            "{table}"
        );
        let mut csv_args = cmd.clone();
        csv_args.extend(["--format", "csv"]);
        let csv = ok(h, &csv_args);
        assert!(
            csv.starts_with("# ") && csv.contains("# dataset: demo"),
            "{csv}"
        );
        let mut json_args = cmd.clone();
        json_args.extend(["--format", "json"]);
        let json: serde_json::Value = serde_json::from_str(&ok(h, &json_args)).unwrap();
        assert_eq!(json["provenance"]["dataset"], "demo");
        assert_eq!(json["provenance"]["sovra_version"], "0.1.0");
        assert_eq!(json["schema_version"], 1);
        assert!(table_rows(&json).is_some_and(|r| !r.is_empty()));
    }
    // Value-added footprints equal final demand per region; the JSON carries full precision.
    let json: serde_json::Value = serde_json::from_str(&ok(
        h,
        &["footprint", "demo", "--stressor", "va", "--format", "json"],
    ))
    .unwrap();
    let rows = table_rows(&json).unwrap();
    assert_eq!(rows.len(), 4);
    let t = store::open(h, "demo").unwrap();
    let fd0: f64 = (0..t.n()).map(|i| t.y.get(i, 0) + t.y.get(i, 1)).sum();
    let cba0 = rows[0]["d_cba"].as_f64().unwrap();
    assert!((cba0 - fd0).abs() < 1e-9 * fd0, "{cba0} vs {fd0}");
}

#[test]
fn out_file_and_matrix_export() {
    let home = home_with_table();
    let h = home.path();
    let out = h.join("m.csv");
    ok(
        h,
        &[
            "multipliers",
            "demo",
            "--format",
            "csv",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    let text = std::fs::read_to_string(&out).unwrap();
    assert_eq!(
        text.lines().filter(|l| !l.starts_with('#')).count(),
        13,
        "{text}"
    );
    let l = h.join("L.npy");
    ok(h, &["matrix", "demo", "L", "--out", l.to_str().unwrap()]);
    let arr = sovra_core::npy::read_f64(&mut std::fs::File::open(&l).unwrap(), "L.npy").unwrap();
    assert_eq!(arr.shape, vec![12, 12]);
    // Column sums of L equal the output multipliers printed as CSV.
    let mult: Vec<f64> = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .skip(1)
        .map(|l| l.split(',').nth(4).unwrap().parse().unwrap())
        .collect();
    let mut colsums: Vec<f64> = (0..12)
        .map(|j| (0..12).map(|i| arr.data[i * 12 + j]).sum())
        .collect();
    colsums.sort_by(|a, b| b.total_cmp(a));
    for (a, b) in mult.iter().zip(&colsums) {
        assert!((a - b).abs() < 1e-12, "{a} {b}");
    }
}

#[test]
fn bad_requests_fail_with_clear_messages() {
    let home = home_with_table();
    let h = home.path();
    let o = sovra(h, &["info", "nosuch"]);
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && e.contains("no dataset named 'nosuch'") && e.contains("demo"),
        "{e}"
    );
    let o = sovra(h, &["footprint", "demo", "--stressor", "mercury"]);
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && e.contains("choose one of: value added, stressor1"),
        "{e}"
    );
    let o = sovra(h, &["multipliers", "demo", "--region", "ZZZ"]);
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && e.contains("region 'ZZZ' is not in demo"),
        "{e}"
    );
    let bad = h.join("bad.csv");
    std::fs::write(&bad, "V1,A_B\nA_B,x\n").unwrap();
    let o = sovra(
        h,
        &[
            "data",
            "import",
            "--format",
            "oecd-icio-csv",
            bad.to_str().unwrap(),
            "--name",
            "bad",
        ],
    );
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && e.contains("bad.csv"), "{e}");
    assert!(
        !h.join("datasets").join("bad").exists(),
        "no partial dataset may be left behind"
    );
}

/// The default dataset, when present in the user's store (`scripts/test` fetches it first).
#[test]
fn icio2022_real_data() {
    let Some(t) = store::open_or_notice(
        "icio2022",
        "the real-data CLI test (run `sovra data fetch`)",
    ) else {
        return;
    };
    let home = store::home();
    let json: serde_json::Value =
        serde_json::from_str(&ok(&home, &["multipliers", "icio2022", "--format", "json"])).unwrap();
    let rows = table_rows(&json).unwrap();
    assert_eq!(rows.len(), 3949, "4000 nodes, 51 without output");
    // Output multipliers Σᵢ L_ij from a dense LU solve on the 3949 nodes with output, formed here.
    let active: Vec<usize> = (0..t.n()).filter(|&i| t.x[i] > 0.0).collect();
    let dense_m = dense_transposed_solve(&t, &active, |_| 1.0);
    let node = |r: &serde_json::Value| {
        let reg = t
            .labels
            .region_index(r["region"].as_str().unwrap())
            .unwrap();
        let sec = t
            .labels
            .sectors
            .iter()
            .position(|s| s.code == r["sector"])
            .unwrap();
        let j = reg * t.labels.sectors.len() + sec;
        active.binary_search(&j).unwrap()
    };
    let mut worst = 0.0f64;
    for r in rows {
        let m = r["output_multiplier"].as_f64().unwrap();
        let va = r["value_added_multiplier"].as_f64().unwrap();
        let want = dense_m[node(r)];
        // ~100× the worst relative difference measured on 2026-12-01 (9.4e-14).
        assert!((m - want).abs() <= 1e-11 * want, "{r}: dense {want}");
        worst = worst.max((m - want).abs() / want);
        assert!((va - 1.0).abs() < 1e-9, "{r}");
    }
    eprintln!("icio2022 output multipliers vs dense LU: worst relative difference {worst:.1e}");
    assert_eq!(json["provenance"]["year"], 2022);
    let info = ok(&home, &["info", "icio2022", "--format", "json"]);
    let info: serde_json::Value = serde_json::from_str(&info).unwrap();
    assert_eq!(table_rows(&info).unwrap().len(), 80);
    let err = figure(&info, "output_check_max_relative_difference")
        .as_f64()
        .unwrap();
    assert!(err < 1e-9, "{info}");
    // The main job: dependence of a bloc on another, with members absent from the dataset named.
    let dep = ok(
        &home,
        &[
            "depend",
            "EAEU",
            "--on",
            "CHN",
            "--by",
            "region",
            "--as-of",
            "2024-06-30",
        ],
    );
    assert!(
        dep.contains("EAEU: ARM, KGZ are not separate regions in icio2022")
            && dep.contains("EAEU = BLR KAZ RUS (3 regions)"),
        "{dep}"
    );
    let dep: serde_json::Value = serde_json::from_str(&ok(
        &home,
        &[
            "depend", "DEU", "--on", "CHN", "--sector", "C26", "--format", "json",
        ],
    ))
    .unwrap();
    let row = &table_rows(&dep).unwrap()[0];
    assert_eq!(row["sector"], "C26");
    let va = row["value_added_from_them"].as_f64().unwrap();
    let chn = t.labels.region_index("CHN").unwrap() * t.labels.sectors.len();
    let chn: Vec<usize> = (chn..chn + t.labels.sectors.len()).collect();
    let want = dense_value_added_from(&t, &active, &chn)[node(row)];
    // ~100× the relative difference measured on 2026-12-01 (4.3e-15).
    assert!((va - want).abs() <= 5e-13 * want, "{row}: dense {want}");
    eprintln!(
        "DEU C26 value added from CHN vs dense LU: relative difference {:.1e}",
        (va - want).abs() / want
    );
    // TiVA on icio2022: the gross-export indicators are absent with the reason, the intermediate ones shown.
    let tiva = ok(&home, &["tiva", "--country", "DEU"]);
    assert!(
        tiva.contains("EXGR_INT_DVA")
            && !tiva.contains("FFD_DVA  ")
            && tiva.contains("does not split final demand"),
        "{tiva}"
    );
}

fn fails_with(home: &Path, args: &[&str], code: i32, needles: &[&str]) {
    let o = sovra(home, args);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(code), "sovra {args:?}: {err}");
    for n in needles {
        assert!(err.contains(n), "sovra {args:?}: '{n}' not in: {err}");
    }
}

#[test]
fn depend_keys_and_blocs() {
    let home = home_with_table();
    let h = home.path();
    // Us = R01, them = R02 + R03, one third country (R04); every format carries provenance and parties.
    let table = ok(h, &["depend", "R01", "--on", "R02+R03", "--data", "demo"]);
    for needle in [
        "dataset: demo",
        "sovra 0.1.0",
        "1 region (neither us nor them)",
        "VA from them",
        "via third",
    ] {
        assert!(table.contains(needle), "'{needle}' not in {table}");
    }
    let json: serde_json::Value = serde_json::from_str(&ok(
        h,
        &[
            "depend", "R01", "--on", "R02+R03", "--data", "demo", "--format", "json",
        ],
    ))
    .unwrap();
    let rows = table_rows(&json).unwrap();
    assert_eq!(rows.len(), 3, "one row per sector of R01");
    // Value added from them on the full inverse, and through third countries as its difference with the
    // inverse restricted to us + them (R01..R03, nodes 0..9), both from dense solves here.
    let t = demo_table();
    let them: Vec<usize> = (3..9).collect();
    let all: Vec<usize> = (0..12).collect();
    let (full, within) = (
        dense_value_added_from(&t, &all, &them),
        dense_value_added_from(&t, &(0..9).collect::<Vec<_>>(), &them),
    );
    for r in rows {
        assert_eq!(r["region"], "R01", "{r}");
        let s = t
            .labels
            .sectors
            .iter()
            .position(|c| c.code == r["sector"])
            .unwrap();
        let va = r["value_added_from_them"].as_f64().unwrap();
        let via = r["via_third_countries"].as_f64().unwrap();
        assert!(
            (va - full[s]).abs() <= 1e-12,
            "{r}: VA from them vs dense {}",
            full[s]
        );
        let want = full[s] - within[s];
        assert!(
            (via - want).abs() <= 1e-12,
            "{r}: via third vs dense {want}"
        );
    }
    assert_eq!(json["provenance"]["dataset"], "demo");
    let solves = json["diagnostics"].as_array().unwrap();
    assert_eq!(solves.len(), 3, "{json}");
    for s in solves {
        assert!(s["max_relative_residual"].as_f64().unwrap() < 1e-8, "{s}");
    }
    assert_eq!(parameter(&json, "them"), "R02+R03");
    let by_region = ok(
        h,
        &[
            "depend", "R01+R04", "--on", "R02", "--data", "demo", "--by", "region", "--format",
            "csv",
        ],
    );
    assert!(by_region.starts_with("# "), "{by_region}");
    assert_eq!(by_region.lines().filter(|l| !l.starts_with('#')).count(), 3);
    let keys = ok(
        h,
        &[
            "keys", "R01", "--on", "R02", "--data", "demo", "--format", "csv",
        ],
    );
    assert!(
        keys.contains("exposed_output") && keys.contains("R02/"),
        "{keys}"
    );
    // Every region of us on its own (ALL = every region of the dataset).
    let each: serde_json::Value = serde_json::from_str(&ok(
        h,
        &[
            "depend", "ALL-R02", "--on", "R02", "--data", "demo", "--each", "--by", "region",
            "--format", "json",
        ],
    ))
    .unwrap();
    assert_eq!(table_rows(&each).unwrap().len(), 3, "{each}");
    let single: serde_json::Value = serde_json::from_str(&ok(
        h,
        &[
            "depend", "R03", "--on", "R02", "--data", "demo", "--by", "region", "--format", "json",
        ],
    ))
    .unwrap();
    let r03 = table_rows(&each)
        .unwrap()
        .iter()
        .find(|r| r["region"] == "R03")
        .unwrap();
    for col in [
        "value_added_from_them",
        "via_third_countries",
        "sales_total",
        "foreign_supplier_hhi",
    ] {
        let (a, b) = (
            r03[col].as_f64().unwrap(),
            table_rows(&single).unwrap()[0][col].as_f64().unwrap(),
        );
        assert!((a - b).abs() < 1e-12, "{col}: --each {a} vs alone {b}");
    }
    // TiVA: the generated table has final demand by destination, so every indicator is there.
    let tiva = ok(h, &["tiva", "--data", "demo", "--format", "csv"]);
    assert!(
        tiva.contains("exgr_dva")
            && tiva.contains("ffd_dva")
            && tiva.lines().filter(|l| l.starts_with("R0")).count() == 4,
        "{tiva}"
    );
    // Blocs.
    let list = ok(h, &["blocs", "list", "--as-of", "2023-06-30"]);
    assert!(
        list.contains("BRICS") && list.contains("BRA CHN IND RUS ZAF"),
        "{list}"
    );
    let show = ok(h, &["blocs", "show", "BRICS&OPEC", "--as-of", "2024-06-30"]);
    assert!(show.contains("ARE IRN"), "{show}");
    // A custom bloc from a TOML file.
    let toml = h.join("mine.toml");
    std::fs::write(&toml, "[bloc.WEST_DEMO]\nmembers = [\"DEU\", \"R03\"]\n").unwrap();
    let custom = ok(
        h,
        &[
            "depend",
            "R01",
            "--on",
            "WEST_DEMO",
            "--data",
            "demo",
            "--blocs",
            toml.to_str().unwrap(),
        ],
    );
    assert!(
        custom.contains("WEST_DEMO = R03 (1 region)")
            && custom.contains("WEST_DEMO: DEU is not a separate region in demo"),
        "{custom}"
    );
    std::fs::write(&toml, "[bloc.WEST_DEMO]\nmembers = [\"Germany\"]\n").unwrap();
    fails_with(
        h,
        &["blocs", "list", "--blocs", toml.to_str().unwrap()],
        1,
        &["mine.toml", "Germany"],
    );
    // Bad input exits with 2 and names the valid choices.
    fails_with(
        h,
        &["depend", "R05", "--on", "R02", "--data", "demo"],
        2,
        &["unknown", "R05", "R01"],
    );
    fails_with(
        h,
        &["depend", "R01", "--on", "BRCS", "--data", "demo"],
        2,
        &["did you mean BRICS?"],
    );
    fails_with(
        h,
        &["depend", "R01+R02", "--on", "R02", "--data", "demo"],
        2,
        &["overlap in R02"],
    );
    fails_with(
        h,
        &["depend", "R01", "--on", "G7", "--data", "demo"],
        2,
        &["'G7' has no member", "none of its members"],
    );
    fails_with(
        h,
        &[
            "depend",
            "USMCA",
            "--on",
            "R02",
            "--data",
            "demo",
            "--as-of",
            "2019-01-01",
        ],
        2,
        &["recorded from 2020-07-01"],
    );
    fails_with(
        h,
        &[
            "depend", "R01", "--on", "R02", "--data", "demo", "--sector", "S9",
        ],
        2,
        &["unknown sector 'S9'", "S01"],
    );
    fails_with(
        h,
        &[
            "depend",
            "R01",
            "--on",
            "R02",
            "--data",
            "demo",
            "--as-of",
            "2024-02-30",
        ],
        2,
        &["not a date"],
    );
    fails_with(
        h,
        // A name that is not in the store is bad input on the command line: exit 2, as every usage error.
        &["depend", "R01", "--on", "R02", "--data", "nope"],
        2,
        &["no dataset named 'nope'"],
    );
}

#[test]
fn shock_single_batch_sweep_and_bad_input() {
    let home = home_with_table();
    let h = home.path();
    let args = |extra: &[&'static str]| -> Vec<&'static str> {
        let mut v = vec!["shock", "R01", "--on", "R02+R03"];
        v.extend_from_slice(&["--data", "demo"]);
        v.extend_from_slice(extra);
        v
    };
    // The summary carries provenance, every parameter, the sides and the convergence line.
    let table = ok(h, &args(&[]));
    for needle in [
        "shock: embargo R01 × R02+R03 (rerouting model)",
        "dataset: demo",
        "sovra 0.1.0",
        "tau=0.3, delta=0.1, rho=-1, rho_out=-1",
        "world output loss",
        "converged: rerouting",
        "cushion slack",
        "sectors of",
    ] {
        assert!(table.contains(needle), "'{needle}' not in {table}");
    }
    // JSON: country × sector rows, countries, parameters, convergence; losses add up.
    let json: serde_json::Value =
        serde_json::from_str(&ok(h, &args(&["--format", "json", "--tau", "0.5"]))).unwrap();
    assert_eq!(shock_table(&json, "nodes").len(), 12);
    assert_eq!(parameter(&json, "tau"), 0.5);
    assert_eq!(figure(&json, "converged"), true);
    let world = figure(&json, "world_output_loss").as_f64().unwrap();
    let sum: f64 = shock_table(&json, "countries")
        .iter()
        .map(|c| c["output_loss"].as_f64().unwrap())
        .sum();
    assert!(
        world > 0.0 && (sum - world).abs() <= 1e-9 * world,
        "{sum} vs {world}"
    );
    // CSV with provenance comments.
    let csv = ok(h, &args(&["--format", "csv", "--model", "extraction"]));
    assert!(
        csv.starts_with("# shock: embargo") && csv.contains("# dataset: demo"),
        "{csv}"
    );
    assert!(
        csv.contains("region,sector,sector_name,output,post_shock_output,output_loss"),
        "{csv}"
    );

    // A scenario written from flags reads back to the same result.
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("s.toml");
    let fs = f.to_str().unwrap();
    let a: serde_json::Value = serde_json::from_str(&ok(
        h,
        &[
            "shock",
            "R01",
            "--on",
            "R04",
            "--instrument",
            "export-ban",
            "--sectors",
            "S01,S02",
            "--tau",
            "0.4",
            "--data",
            "demo",
            "--format",
            "json",
            "--write-scenario",
            fs,
        ],
    ))
    .unwrap();
    let text = std::fs::read_to_string(&f).unwrap();
    assert!(
        text.contains("instrument = \"export-ban\"") && text.contains("tau = 0.4"),
        "{text}"
    );
    let b: serde_json::Value = serde_json::from_str(&ok(
        h,
        &[
            "shock",
            "--scenario",
            fs,
            "--data",
            "demo",
            "--format",
            "json",
        ],
    ))
    .unwrap();
    assert_eq!(
        figure(&a, "world_output_loss"),
        figure(&b, "world_output_loss")
    );

    // A batch streams one JSON line (a whole report) per scenario, in scenario order; a sweep runs the grid.
    let batch = dir.path().join("b.toml");
    std::fs::write(
        &batch,
        "[[scenario]]\nname = \"one\"\n[[scenario.leg]]\nsanctioning = \"R01\"\ntarget = \"R02\"\ninstrument = \"embargo\"\n\n\
         [[scenario]]\nname = \"two\"\nmodel = \"extraction\"\n[[scenario.leg]]\nsanctioning = \"R03\"\ntarget = \"R04\"\ninstrument = \"import-ban\"\n",
    )
    .unwrap();
    let batch_args = [
        "shock",
        "--batch",
        batch.to_str().unwrap(),
        "--data",
        "demo",
        "--format",
        "json",
    ];
    let lines = ok(h, &batch_args);
    let scenario_of = |l: &str| -> String {
        let part: serde_json::Value = serde_json::from_str(l).unwrap();
        parameter(&part, "scenario").as_str().unwrap().to_string()
    };
    let names: Vec<String> = lines.lines().map(scenario_of).collect();
    assert_eq!(names, ["one", "two"], "{lines}");
    let out = dir.path().join("sweep.csv");
    let mut sweep = args(&[
        "--sweep",
        "tau=0.1:0.3:0.1,delta=0.05,0.1",
        "--format",
        "csv",
        "--out",
    ]);
    sweep.push(out.to_str().unwrap());
    let v: Vec<String> = sweep.iter().map(|s| s.to_string()).collect();
    ok(h, &v.iter().map(String::as_str).collect::<Vec<_>>());
    let csv = std::fs::read_to_string(&out).unwrap();
    let rows: Vec<&str> = csv
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("scenario,"))
        .collect();
    assert_eq!(rows.len(), 6 * 4, "6 scenarios × 4 regions: {csv}");
    // In scenario order, with the values as written.
    assert!(
        rows[0].starts_with("embargo R01 × R02+R03 tau=0.1 delta=0.05,rerouting,0.1,0.05,")
            && rows[23].starts_with("embargo R01 × R02+R03 tau=0.3 delta=0.1,rerouting,0.3,0.1,")
            && !csv.contains("0.30000000000000004"),
        "{csv}"
    );
    assert!(!dir.path().join("sweep.csv.partial").exists());
    // --table sides: the sides table of each scenario, keyed the same way (3 sides per scenario).
    let sides_out = dir.path().join("sides.csv");
    let mut sides = v.clone();
    *sides.last_mut().unwrap() = sides_out.to_str().unwrap().to_string();
    sides.extend(["--table".to_string(), "sides".to_string()]);
    ok(h, &sides.iter().map(String::as_str).collect::<Vec<_>>());
    let sides_csv = std::fs::read_to_string(&sides_out).unwrap();
    let sides_rows: Vec<&str> = sides_csv
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("scenario,"))
        .collect();
    assert_eq!(
        sides_rows.len(),
        6 * 3,
        "6 scenarios × 3 sides: {sides_csv}"
    );
    assert!(
        sides_csv
            .lines()
            .any(|l| l.starts_with("scenario,model,tau,delta,rho,rho_out,converged,side")),
        "{sides_csv}"
    );
    // A CSV cut short in the middle of a scenario: that scenario runs again, and the file ends as a whole run.
    let csv_lines: Vec<&str> = csv.lines().collect();
    let cut = format!(
        "{}\n{}",
        csv_lines[..4 + 4 + 2].join("\n"),
        &csv_lines[10][..12]
    );
    assert!(csv_lines[2].starts_with("# run: "), "{csv}");
    std::fs::write(dir.path().join("cut.csv.partial"), cut).unwrap();
    let cut_out = dir.path().join("cut.csv");
    let mut resume = v.clone();
    *resume.last_mut().unwrap() = cut_out.to_str().unwrap().to_string();
    resume.push("--resume".into());
    ok(h, &resume.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(std::fs::read_to_string(&cut_out).unwrap(), csv);
    // A partial of another sweep, or in another format, is refused (exit 2), never merged; the file stays.
    let other = dir.path().join("other.csv");
    let other_partial = dir.path().join("other.csv.partial");
    let mut same_args = resume.clone();
    *same_args
        .iter_mut()
        .find(|a| a.ends_with("cut.csv"))
        .unwrap() = other.to_str().unwrap().to_string();
    let mut other_args = same_args.clone();
    *other_args
        .iter_mut()
        .find(|a| a.starts_with("tau="))
        .unwrap() = "tau=0.1:0.4:0.1".into();
    for (run_args, content, needle) in [
        (&other_args, csv.clone(), "written by another run"),
        (&same_args, lines.clone(), "no '# run:' fingerprint"),
        (
            &same_args,
            csv.replacen("embargo R01", "garbage,line", 1),
            "not a row of this run",
        ),
    ] {
        std::fs::write(&other_partial, &content).unwrap();
        let o = sovra(h, &run_args.iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(
            o.status.code(),
            Some(2),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains(needle) && err.contains("other.csv.partial, line"),
            "{err}"
        );
        assert_eq!(std::fs::read_to_string(&other_partial).unwrap(), content);
        assert!(!other.exists());
    }
    // An interrupted run leaves OUT.partial; --resume keeps its scenarios and runs only the rest.
    let partial = dir.path().join("r.jsonl.partial");
    let first = lines.lines().find(|l| scenario_of(l) == "one").unwrap();
    std::fs::write(&partial, format!("{first}\n")).unwrap();
    let r = dir.path().join("r.jsonl");
    let o = sovra(
        h,
        &[&batch_args[..], &["--out", r.to_str().unwrap(), "--resume"]].concat(),
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let done = std::fs::read_to_string(&r).unwrap();
    assert_eq!(done.lines().count(), 2, "{done}");
    assert_eq!(
        done.lines().next().unwrap(),
        first,
        "the finished line is kept as it was"
    );

    // Computed but not trustworthy (here: the fixed point stopped after 2 iterations): the output is written,
    // flagged, and the exit code is 3 — unless --allow-unstable.
    let sc = dir.path().join("sc.toml");
    ok(
        h,
        &[
            "shock",
            "R01",
            "--on",
            "R02",
            "--data",
            "demo",
            "--write-scenario",
            sc.to_str().unwrap(),
        ],
    );
    let text = std::fs::read_to_string(&sc).unwrap();
    assert!(text.contains("fp_max_iter = 2000"), "{text}");
    std::fs::write(&sc, text.replace("fp_max_iter = 2000", "fp_max_iter = 2")).unwrap();
    let unstable = dir.path().join("unstable.json");
    let args_u = [
        "shock",
        "--scenario",
        sc.to_str().unwrap(),
        "--data",
        "demo",
        "--format",
        "json",
        "--out",
        unstable.to_str().unwrap(),
    ];
    fails_with(
        h,
        &args_u,
        3,
        &["computed but not trustworthy", "--allow-unstable"],
    );
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&unstable).unwrap()).unwrap();
    let flag = |key: &str| {
        written["summary"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["key"] == key)
            .map(|f| f["value"].clone())
    };
    assert_eq!(flag("trustworthy"), Some(serde_json::Value::Bool(false)));
    assert_eq!(flag("converged"), Some(serde_json::Value::Bool(false)));
    let mut allowed = args_u.to_vec();
    allowed.push("--allow-unstable");
    ok(h, &allowed);
    // A run that converges is trustworthy and exits 0.
    let fine: serde_json::Value = serde_json::from_str(&ok(
        h,
        &[
            "shock", "R01", "--on", "R02", "--data", "demo", "--format", "json",
        ],
    ))
    .unwrap();
    assert!(
        fine["summary"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["key"] == "trustworthy" && f["value"] == true)
    );

    // Bad input: exit 2 with a clear message.
    for (extra, needle) in [
        (&["--on", "R0X"][..], "unknown bloc 'R0X' (did you mean R01"),
        (&["--on", "R01+R02"], "R01 on both sides"),
        (
            &["--on", "R02", "--tau", "1.5"],
            "tau = 1.5 is outside [0, 1]",
        ),
        (&["--on", "R02", "--delta", "-0.2"], "outside [0, 1]"),
        (&["--on", "R02", "--rho", "0.5"], "must be in [-100, 0)"),
        (&["--on", "R02", "--rho=-5000"], "must be in [-100, 0)"),
        (&["--on", "R02", "--tau", "NaN"], "not a finite number"),
        (&["--on", "R02", "--sectors", "S9"], "unknown sector 'S9'"),
        (&[], "--on TARGET"),
        (&["--on", "BRICS&G7"], "has no member"),
        (&["--on", "R02", "--sweep", "tau=a"], "not a number"),
        (
            &[
                "--on",
                "R02",
                "--sweep",
                "tau=0:1:0.01",
                "--max-scenarios",
                "50",
            ],
            "more than the limit of 50",
        ),
    ] {
        let mut a = vec!["shock", "R01", "--data", "demo"];
        a.extend_from_slice(extra);
        fails_with(h, &a, 2, &[needle]);
    }
}

/// The main shock on the default dataset: the USA–CHN embargo of sanction-simulator's README.
#[test]
fn icio2022_shock_usa_chn() {
    if store::open_or_notice("icio2022", "the icio2022 shock test").is_none() {
        return;
    }
    let home = store::home();
    let json: serde_json::Value = serde_json::from_str(&ok(
        &home,
        &["shock", "USA", "--on", "CHN", "--format", "json"],
    ))
    .unwrap();
    let world = figure(&json, "world_output_loss").as_f64().unwrap();
    // sanction-simulator 0.1.4 gives 696,505.9699152019 USD mn (its dump, conformance/shock, which checks every
    // node); the library differed from it by 3.0e-9 relative on 2026-12-01: ~100× that.
    let peer = 696_505.969_915_201_9;
    assert!((world - peer).abs() / peer < 3e-7, "{world}");
    assert_eq!(figure(&json, "converged"), true);
    assert_eq!(shock_table(&json, "nodes").len(), 4000);
}

#[test]
fn complexity_from_a_long_csv_and_from_a_table() {
    let home = home_with_table();
    let h = home.path();
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("x.csv");
    // Three countries, four products: a nested structure (A makes everything, C only the ubiquitous one).
    let mut csv = String::from("year,exporter,product,value\n");
    for (e, p, v) in [
        ("A", "p1", 10.0),
        ("A", "p2", 10.0),
        ("A", "p3", 10.0),
        ("A", "p4", 10.0),
        ("B", "p1", 10.0),
        ("B", "p2", 10.0),
        ("B", "p3", 1.0),
        ("B", "p4", 0.0),
        ("C", "p1", 30.0),
        ("C", "p2", 1.0),
        ("C", "p3", 0.0),
        ("C", "p4", 0.0),
    ] {
        csv.push_str(&format!("2020,{e},{p},{v}\n"));
    }
    std::fs::write(&f, &csv).unwrap();
    let fs = f.to_str().unwrap();
    let json: serde_json::Value =
        serde_json::from_str(&ok(h, &["complexity", "--input", fs, "--format", "json"])).unwrap();
    let rows = table_rows(&json).unwrap();
    assert_eq!(rows.len(), 3);
    let eci: Vec<(String, f64)> = rows
        .iter()
        .map(|r| {
            (
                r["country"].as_str().unwrap().to_string(),
                r["eci"].as_f64().unwrap(),
            )
        })
        .collect();
    assert!(
        eci.windows(2).all(|w| w[0].1 >= w[1].1),
        "ranked by ECI: {eci:?}"
    );
    let prod: serde_json::Value = serde_json::from_str(&ok(
        h,
        &[
            "complexity",
            "--input",
            fs,
            "--by",
            "product",
            "--format",
            "json",
            "--convention",
            "py-ecomplexity",
        ],
    ))
    .unwrap();
    assert_eq!(table_rows(&prod).unwrap().len(), 4);
    // Sector exports of an MRIO table, with provenance.
    let t = ok(h, &["complexity", "--data", "demo"]);
    assert!(t.contains("dataset: demo") && t.contains("ECI"), "{t}");
    // Bad input names the file, the row and the column; a year without data is a usage error.
    std::fs::write(&f, "year,exporter,product,value\n2020,A,p1,-3\n").unwrap();
    fails_with(
        h,
        &["complexity", "--input", fs],
        1,
        &["row 2, column value", "non-negative"],
    );
    std::fs::write(
        &f,
        "year,exporter,product,value\n2020,A,p1,3\n2020,A,p1,4\n",
    )
    .unwrap();
    fails_with(
        h,
        &["complexity", "--input", fs],
        1,
        &["row 3", "appears twice"],
    );
    std::fs::write(&f, &csv).unwrap();
    fails_with(
        h,
        &["complexity", "--input", fs, "--year", "1999"],
        2,
        &["no data for it (years: 2020)"],
    );
}

#[test]
fn trade_depend_screen() {
    let home = home_with_table();
    let h = home.path();
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("flows.csv");
    // Importer A: p0 from B 90 + C 10, A exports 5 → dependent; p1 from B 50 + C 50 with world exports
    // spread over three exporters → not dependent.
    let mut csv = String::from("year,exporter,importer,product,value\n");
    for (e, j, p, v) in [
        ("B", "A", "p0", 90),
        ("C", "A", "p0", 10),
        ("B", "D", "p0", 100),
        ("A", "D", "p0", 5),
        ("B", "A", "p1", 50),
        ("C", "A", "p1", 50),
        ("D", "C", "p1", 100),
        ("D", "A", "p1", 0),
    ] {
        csv.push_str(&format!("2021,{e},{j},{p},{v}\n"));
    }
    std::fs::write(&f, &csv).unwrap();
    let fs = f.to_str().unwrap();
    let json: serde_json::Value = serde_json::from_str(&ok(
        h,
        &[
            "trade", "depend", "A", "--input", fs, "--on", "B", "--all", "--format", "json",
        ],
    ))
    .unwrap();
    let rows = table_rows(&json).unwrap();
    assert_eq!(rows.len(), 2);
    let p0 = rows.iter().find(|r| r["product"] == "p0").unwrap();
    assert_eq!(p0["dependent"], true);
    assert!((p0["hhi_imports"].as_f64().unwrap() - 0.82).abs() < 1e-12);
    assert!((p0["share_from_bloc"].as_f64().unwrap() - 0.9).abs() < 1e-12);
    let p1 = rows.iter().find(|r| r["product"] == "p1").unwrap();
    assert_eq!(p1["dependent"], false);
    assert!(headline(&json, "input").contains("1 with zero value skipped"));
    assert_eq!(figure(&json, "zero_rows_skipped"), 1);
    // Bad input names the file, the row and the column; unknown years and importers are usage errors.
    std::fs::write(&f, "year,exporter,importer,product,value\n2021,B,A,p0,-1\n").unwrap();
    fails_with(
        h,
        &["trade", "depend", "A", "--input", fs],
        1,
        &["row 2, column value", "non-negative"],
    );
    std::fs::write(&f, &csv).unwrap();
    fails_with(
        h,
        &["trade", "depend", "A", "--input", fs, "--year", "1999"],
        2,
        &["no trade"],
    );
    fails_with(h, &["trade", "depend", "Z", "--input", fs], 2, &["Z"]);
    let baci = dir.path().join("baci.csv");
    std::fs::write(&baci, "t,i,j,k,v,q\n2021,4,710,10121,1.5,2\n").unwrap();
    fails_with(
        h,
        &["trade", "depend", "A", "--input", baci.to_str().unwrap()],
        1,
        &["country-code file"],
    );
    std::fs::write(&baci, "t,i,j,k,v,q\n2021,4,710,1234567,1.5,2\n").unwrap();
    let codes = dir.path().join("codes.csv");
    std::fs::write(&codes, "country_code,iso_3digit_alpha\n4,AFG\n710,ZAF\n").unwrap();
    fails_with(
        h,
        &[
            "trade",
            "depend",
            "ZAF",
            "--input",
            baci.to_str().unwrap(),
            "--country-codes",
            codes.to_str().unwrap(),
        ],
        1,
        &["column k", "not an HS6 code"],
    );
}

/// The real BACI sample (exporters AFG and ZAF, 2021) from ../shared, when present.
#[test]
fn trade_depend_on_the_baci_sample() {
    let Some(d) = shared_data::or_notice("trade/ExampleTradeData.csv.gz", "the BACI sample check")
    else {
        return;
    };
    let d = d.parent().unwrap();
    let home = home_with_table();
    let json: serde_json::Value = serde_json::from_str(&ok(
        home.path(),
        &[
            "trade",
            "depend",
            "USA",
            "--input",
            d.join("ExampleTradeData.csv.gz").to_str().unwrap(),
            "--country-codes",
            d.join("country_codes_V202201.csv").to_str().unwrap(),
            "--on",
            "ZAF",
            "--format",
            "json",
        ],
    ))
    .unwrap();
    let input = headline(&json, "input");
    assert!(input.contains("baci format, 71192 rows"), "{input}");
    // Only AFG and ZAF export in the sample: the import HHI of each product, from the rows read here
    // (Σ over exporters of the squared share of the USA's imports).
    let map =
        sovra_trade::bilateral::read_baci_codes(&d.join("country_codes_V202201.csv")).unwrap();
    let (b, _) =
        sovra_trade::bilateral::read(&d.join("ExampleTradeData.csv.gz"), Some(&map)).unwrap();
    let usa = b.countries.iter().position(|c| c == "USA").unwrap() as u32;
    let mut by_exporter: std::collections::BTreeMap<
        (i32, &str),
        std::collections::BTreeMap<u32, f64>,
    > = Default::default();
    for &(y, e, j, p, v) in &b.rows {
        if j == usa && e != usa {
            *by_exporter
                .entry((y, b.products[p as usize].as_str()))
                .or_default()
                .entry(e)
                .or_default() += v;
        }
    }
    let rows = table_rows(&json).unwrap();
    assert!(!rows.is_empty());
    for r in rows {
        let key = (
            r["year"].as_i64().unwrap() as i32,
            r["product"].as_str().unwrap(),
        );
        let m = &by_exporter[&key];
        let total: f64 = m.values().sum();
        let want: f64 = m.values().map(|v| (v / total).powi(2)).sum();
        let got = r["hhi_imports"].as_f64().unwrap();
        assert!((got - want).abs() <= 1e-12, "{r}: HHI from the rows {want}");
    }
    let notes = json["notes"].to_string();
    assert!(notes.contains("kept as #code"), "{notes}");
}

#[test]
fn trade_synth_suppliers_and_opportunities() {
    let home = home_with_table();
    let h = home.path();
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("syn.csv");
    let fs = f.to_str().unwrap();
    let synth = |out: &str| {
        ok(
            h,
            &[
                "trade",
                "synth",
                "--countries",
                "40",
                "--products",
                "300",
                "--destinations",
                "6",
                "--out",
                out,
            ],
        )
    };
    synth(fs);
    let text = std::fs::read_to_string(&f).unwrap();
    assert!(
        text.starts_with("year,exporter,importer,product,value\n") && text.lines().count() > 1000
    );
    // The same seed writes the same file.
    let g = dir.path().join("syn2.csv");
    synth(g.to_str().unwrap());
    assert_eq!(text, std::fs::read_to_string(&g).unwrap());
    let sup: serde_json::Value = serde_json::from_str(&ok(
        h,
        &[
            "trade",
            "suppliers",
            "C003",
            "--input",
            fs,
            "--all-dependent",
            "--format",
            "json",
        ],
    ))
    .unwrap();
    // What each supplier sells the importer and sells elsewhere, summed here from the file's rows.
    let mut sums: std::collections::HashMap<(String, String), (f64, f64)> = Default::default();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let v: f64 = f[4].parse().unwrap();
        let e = sums
            .entry((f[1].to_string(), f[3].to_string()))
            .or_default();
        if f[2] == "C003" {
            e.0 += v;
        } else {
            e.1 += v;
        }
    }
    let rows = table_rows(&sup).unwrap();
    // C003 is dependent on some products of this file (C001 on none: the loop would check nothing).
    assert!(rows.len() > 5, "{} rows", rows.len());
    for r in rows {
        assert_ne!(r["exporter"], "C003");
        let key = (
            r["exporter"].as_str().unwrap().to_string(),
            r["product"].as_str().unwrap().to_string(),
        );
        let (to, el) = sums.get(&key).copied().unwrap_or_default();
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.abs().max(1.0);
        assert!(close(r["to_importer"].as_f64().unwrap(), to), "{r} vs {to}");
        assert!(close(r["elsewhere"].as_f64().unwrap(), el), "{r} vs {el}");
    }
    let ops: serde_json::Value = serde_json::from_str(&ok(
        h,
        &["opportunities", "C001", "--input", fs, "--format", "json"],
    ))
    .unwrap();
    let rows = table_rows(&ops).unwrap();
    assert!(
        rows.windows(2)
            .all(|w| w[0]["score"].as_f64() >= w[1]["score"].as_f64())
    );
    fails_with(
        h,
        &["opportunities", "C999", "--input", fs],
        2,
        &["unknown country 'C999'"],
    );
    // A bloc, cut to three rows, with a project file; the scores are those of the full list.
    let full: serde_json::Value = serde_json::from_str(&ok(
        h,
        &[
            "opportunities",
            "C001+C002",
            "--input",
            fs,
            "--format",
            "json",
        ],
    ))
    .unwrap();
    let projects = dir.path().join("projects.toml");
    let out = dir.path().join("ops.csv");
    let printed = ok(
        h,
        &[
            "opportunities",
            "C001+C002",
            "--input",
            fs,
            "--top",
            "3",
            "--format",
            "csv",
            "--write-projects",
            projects.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert!(printed.is_empty(), "{printed}");
    let csv = std::fs::read_to_string(&out).unwrap();
    let toml_text = std::fs::read_to_string(&projects).unwrap();
    assert!(toml_text.starts_with("# Candidate projects"), "{toml_text}");
    toml_text
        .parse::<toml::Table>()
        .expect("the project file is TOML");
    let full_rows = table_rows(&full).unwrap();
    let listed = full_rows.len().min(3);
    assert_eq!(toml_text.matches("[[project]]").count(), listed);
    for r in &full_rows[..listed] {
        let code = r["product"].as_str().unwrap();
        assert!(
            toml_text.contains(&format!("id = \"hs{code}-c001-c002\"")),
            "{toml_text}"
        );
        assert!(csv.contains(&format!("{code},")), "{csv}");
    }
    assert!(
        toml_text.contains("capacity = 0\ncost = 0\nserves = \"C001+C002\""),
        "{toml_text}"
    );
    // The file is what `sovra projects evaluate` reads: with the sectors (and any empty host) filled in, it
    // is accepted on a table whose regions carry the trade data's codes, one row per project.
    let mut t = synth::table(
        "opps",
        synth::Spec {
            regions: 4,
            sectors: 3,
            categories: 2,
            stressors: 0,
            ..Default::default()
        },
    )
    .unwrap();
    let renamed: Vec<(String, String)> = t
        .labels
        .regions
        .iter()
        .enumerate()
        .map(|(i, r)| (r.code.clone(), format!("C{:03}", i + 1)))
        .collect();
    for (r, (_, new)) in t.labels.regions.iter_mut().zip(&renamed) {
        *r = sovra_core::labels::Code::bare(new.clone());
    }
    for fd in &mut t.labels.final_demand {
        if let Some((_, new)) = renamed.iter().find(|(old, _)| *old == fd.region) {
            fd.region = new.clone();
        }
    }
    store::write(h, &t, store::WriteMode::CreateNew).unwrap();
    let filled = dir.path().join("filled.toml");
    std::fs::write(
        &filled,
        toml_text
            .replace("sector = \"\"", "sector = \"S01\"")
            .replace("host = \"\"", "host = \"C001\""),
    )
    .unwrap();
    let evaluated: serde_json::Value = serde_json::from_str(&ok(
        h,
        &[
            "projects",
            "evaluate",
            filled.to_str().unwrap(),
            "--data",
            "opps",
            "--format",
            "json",
        ],
    ))
    .unwrap();
    assert_eq!(table_rows(&evaluated).unwrap().len(), listed, "{evaluated}");
    // As written (sector empty), it is refused naming the project and the field.
    fails_with(
        h,
        &[
            "projects",
            "evaluate",
            projects.to_str().unwrap(),
            "--data",
            "opps",
        ],
        2,
        &["field '"],
    );
    fails_with(
        h,
        &[
            "trade",
            "suppliers",
            "C001",
            "--input",
            fs,
            "--product",
            "nope",
        ],
        2,
        &["unknown product 'nope'"],
    );
}

/// `sovra trade import` of synthetic BACI years into the default store, then the screen from the store
/// (only the years needed are read) equals the screen from the files; a bad file imports nothing.
#[test]
fn trade_import_then_screen_from_the_store() {
    let home = home_with_table();
    let h = home.path();
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for (year, seed) in [(2020, 5), (2021, 6), (2022, 7)] {
        let f = dir.path().join(format!("BACI_Y{year}.csv"));
        ok(
            h,
            &[
                "trade",
                "synth",
                "--baci",
                "--countries",
                "30",
                "--products",
                "200",
                "--destinations",
                "5",
                "--year",
                &year.to_string(),
                "--seed",
                &seed.to_string(),
                "--out",
                f.to_str().unwrap(),
            ],
        );
        files.push(f);
    }
    let codes = dir.path().join("country_codes_synth.csv");
    let mut args: Vec<&str> = vec!["trade", "import"];
    args.extend(files.iter().map(|f| f.to_str().unwrap()));
    args.extend([
        "--country-codes",
        codes.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let rep: serde_json::Value = serde_json::from_str(&ok(h, &args)).unwrap();
    assert_eq!(
        figure(&rep, "store_years"),
        &serde_json::json!([2020, 2021, 2022]),
        "{rep}"
    );
    assert_eq!(headline(&rep, "store holds"), "2020 2021 2022");
    assert!(h.join("trade/year=2021").is_dir() && h.join("trade/sovra-trade.json").is_file());
    // One long file holding the three years, for the in-memory path.
    let mut long = String::from("year,exporter,importer,product,value\n");
    let names: std::collections::HashMap<String, String> = std::fs::read_to_string(&codes)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0].to_string(), f[4].to_string())
        })
        .collect();
    for f in &files {
        for l in std::fs::read_to_string(f).unwrap().lines().skip(1) {
            let c: Vec<&str> = l.split(',').collect();
            long.push_str(&format!(
                "{},{},{},{},{}\n",
                c[0], names[c[1]], names[c[2]], c[3], c[4]
            ));
        }
    }
    let lf = dir.path().join("long.csv");
    std::fs::write(&lf, long).unwrap();
    let screen = |input: Option<&str>| -> serde_json::Value {
        let mut a = vec![
            "trade",
            "depend",
            "C003",
            "--on",
            "C001",
            "--all",
            "--years",
            "2021:2022",
        ];
        if let Some(i) = input {
            a.extend(["--input", i]);
        }
        a.extend(["--format", "json"]);
        serde_json::from_str(&ok(h, &a)).unwrap()
    };
    let (from_store, from_file) = (screen(None), screen(Some(lf.to_str().unwrap())));
    // The same rows; numbers equal up to summation order (the store's rows come in another order).
    let (a, b) = (
        table_rows(&from_store).unwrap(),
        table_rows(&from_file).unwrap(),
    );
    assert!(
        a.len() > 50 && a.len() == b.len(),
        "{} vs {}",
        a.len(),
        b.len()
    );
    let key = |r: &serde_json::Value| (r["year"].to_string(), r["product"].to_string());
    let mut b_by: std::collections::HashMap<_, &serde_json::Value> =
        b.iter().map(|r| (key(r), r)).collect();
    for r in a {
        let s = b_by
            .remove(&key(r))
            .unwrap_or_else(|| panic!("{r} not read from the file"));
        for (k, v) in r.as_object().unwrap() {
            match (v.as_f64(), s[k].as_f64()) {
                (Some(x), Some(y)) => {
                    assert!((x - y).abs() <= 1e-12 * x.abs().max(1.0), "{k}: {r} vs {s}")
                }
                _ => assert_eq!(v, &s[k], "{k}: {r} vs {s}"),
            }
        }
    }
    let input = headline(&from_store, "input");
    // 2022 and 2021 shown, 2020 read for persistence.
    assert!(
        input.contains("Parquet trade store") && input.contains("[2020, 2021, 2022]"),
        "{input}"
    );
    assert!(
        from_store["notes"]
            .to_string()
            .contains("imported from: 2020"),
        "{from_store}"
    );
    // Complexity of the store's exports equals complexity of the same exports as a long CSV.
    let store = h.join("trade");
    let cx_store: serde_json::Value = serde_json::from_str(&ok(
        h,
        &[
            "complexity",
            "--input",
            store.to_str().unwrap(),
            "--year",
            "2021",
            "--format",
            "json",
        ],
    ))
    .unwrap();
    let mut exports = std::collections::BTreeMap::<(String, String), f64>::new();
    for l in std::fs::read_to_string(&lf).unwrap().lines().skip(1) {
        let c: Vec<&str> = l.split(',').collect();
        if c[0] == "2021" && c[1] != c[2] {
            *exports
                .entry((c[1].to_string(), c[3].to_string()))
                .or_default() += c[4].parse::<f64>().unwrap();
        }
    }
    let mut ex = String::from("year,exporter,product,value\n");
    for ((e, p), v) in &exports {
        ex.push_str(&format!("2021,{e},{p},{v}\n"));
    }
    let ef = dir.path().join("exports.csv");
    std::fs::write(&ef, ex).unwrap();
    let cx_file: serde_json::Value = serde_json::from_str(&ok(
        h,
        &[
            "complexity",
            "--input",
            ef.to_str().unwrap(),
            "--format",
            "json",
        ],
    ))
    .unwrap();
    let eci = |v: &serde_json::Value| -> std::collections::BTreeMap<String, f64> {
        table_rows(v)
            .unwrap()
            .iter()
            .filter_map(|r| Some((r["country"].as_str()?.to_string(), r["eci"].as_f64()?)))
            .collect()
    };
    let (a, b) = (eci(&cx_store), eci(&cx_file));
    assert!(a.len() > 20 && a.len() == b.len(), "{a:?} vs {b:?}");
    for (c, x) in &a {
        assert!(
            (x - b[c]).abs() < 1e-9,
            "{c}: ECI {x} from the store, {} from the file",
            b[c]
        );
    }
    // --year picks one year; a year the store lacks lists the years held.
    fails_with(
        h,
        &["trade", "depend", "C003", "--year", "1999"],
        2,
        &["1999", "[2020, 2021, 2022]"],
    );
    // A bad cell: named, and the store is unchanged.
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "t,i,j,k,v,q\n2023,4,8,1234567,1.0,\n").unwrap();
    fails_with(
        h,
        &[
            "trade",
            "import",
            bad.to_str().unwrap(),
            "--country-codes",
            codes.to_str().unwrap(),
        ],
        1,
        &["bad.csv", "row 2", "column k", "not an HS6 code"],
    );
    assert!(!h.join("trade/year=2023").exists());
    // Another store directory, and no store at all.
    let other = dir.path().join("nostore");
    fails_with(
        h,
        &[
            "trade",
            "depend",
            "C003",
            "--input",
            other.to_str().unwrap(),
        ],
        1,
        &["nostore"],
    );
}

/// Every command's `--help` shows its examples one command per line (a long one continued with `\` on
/// indented lines), each line within 100 characters so clap does not re-wrap it; and every command has one.
#[test]
fn help_examples_stand_on_their_own_lines() {
    let home = tempfile::tempdir().unwrap();
    let commands: &[&[&str]] = &[
        &["info"],
        &["multipliers"],
        &["keys"],
        &["tiva"],
        &["footprint"],
        &["linkages"],
        &["matrix"],
        &["depend"],
        &["shock"],
        &["alliances"],
        &["complexity"],
        &["opportunities"],
        &["serve"],
        &["data", "fetch"],
        &["data", "import"],
        &["data", "list"],
        &["trade", "import"],
        &["trade", "depend"],
        &["trade", "suppliers"],
        &["trade", "synth"],
        &["blocs", "list"],
        &["blocs", "show"],
    ];
    for cmd in commands {
        let mut args = cmd.to_vec();
        args.push("--help");
        let out = sovra(home.path(), &args);
        assert!(out.status.success(), "{cmd:?} --help failed");
        let text = String::from_utf8(out.stdout).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let start = lines
            .iter()
            .position(|l| l.starts_with("Example"))
            .unwrap_or_else(|| panic!("{cmd:?}: no example in --help:\n{text}"));
        let mut continued = false;
        for (k, l) in lines[start..].iter().enumerate() {
            if l.trim().is_empty() {
                break;
            }
            let body = if k == 0 {
                l.split_once(':').map(|(_, b)| b).unwrap_or("")
            } else {
                l
            };
            let body = body.trim();
            assert!(
                l.chars().count() <= 100,
                "{cmd:?}: example line too long: {l}"
            );
            if !continued {
                assert!(
                    body.starts_with("sovra ") || body.starts_with("curl "),
                    "{cmd:?}: example line is not one command: {l:?}"
                );
                assert!(
                    body.matches("sovra ").count() <= 1,
                    "{cmd:?}: two commands on one line: {l:?}"
                );
            }
            continued = body.ends_with('\\');
        }
    }
}

#[test]
fn shock_draws_and_extraction_sides() {
    let home = home_with_table();
    let h = home.path();
    let base = ["shock", "R01", "--on", "R02", "--data", "demo"];
    let with = |extra: &[&str]| -> Vec<String> {
        base.iter().chain(extra).map(|s| s.to_string()).collect()
    };
    let run = |extra: &[&str]| {
        let a = with(extra);
        ok(h, &a.iter().map(String::as_str).collect::<Vec<_>>())
    };
    // A Monte Carlo: the terminal shows the percentiles, the CSV is the countries' table.
    let table = run(&[
        "--draws",
        "12",
        "--tau",
        "uniform:0.1:0.6",
        "--delta",
        "normal:0.1:0.05",
    ]);
    for needle in [
        "12 draws",
        "tau ~ uniform:0.1:0.6",
        "90% interval",
        "world output loss over the draws",
    ] {
        assert!(table.contains(needle), "'{needle}' not in {table}");
    }
    let csv = run(&[
        "--draws",
        "12",
        "--tau",
        "uniform:0.1:0.6",
        "--format",
        "csv",
    ]);
    assert!(
        csv.contains("rank,region,name,side,output,loss_p05,loss_median,loss_p95,loss_share_p05"),
        "{csv}"
    );
    // The same seed twice, the same CSV.
    assert_eq!(
        csv,
        run(&[
            "--draws",
            "12",
            "--tau",
            "uniform:0.1:0.6",
            "--format",
            "csv"
        ])
    );
    // Bad draws: exit 2, nothing computed.
    for (extra, needle) in [
        (
            &["--draws", "0", "--tau", "uniform:0.1:0.6"][..],
            "at least 1",
        ),
        (
            &["--draws", "1000000", "--tau", "uniform:0.1:0.6"][..],
            "more than the limit",
        ),
        (
            &["--draws", "5", "--tau", "uniform:0.6:0.1"][..],
            "must be below",
        ),
        (
            &["--draws", "5", "--rho", "uniform:-2:0.5"][..],
            "outside [-100, 0)",
        ),
        (&["--tau", "uniform:0.1:0.6"][..], "--draws"),
        (&["--draws", "5"][..], "nothing to draw"),
    ] {
        let a = with(extra);
        fails_with(
            h,
            &a.iter().map(String::as_str).collect::<Vec<_>>(),
            2,
            &[needle],
        );
    }
    // Extraction by side: an export ban on the supply side, its final-demand loss defined.
    let json: serde_json::Value = serde_json::from_str(&run(&[
        "--instrument",
        "export-ban",
        "--model",
        "extraction",
        "--format",
        "json",
    ]))
    .unwrap();
    assert!(
        figure(&json, "final_demand_loss")
            .as_f64()
            .is_some_and(|v| v > 0.0)
    );
    let json: serde_json::Value = serde_json::from_str(&run(&[
        "--instrument",
        "export-ban",
        "--model",
        "extraction-demand",
        "--format",
        "json",
    ]))
    .unwrap();
    assert!(figure(&json, "final_demand_loss").is_null());
}

/// How a trade store is read: DataFusion plans (the default) and `--in-memory` give the same screen;
/// `--memory-limit` is checked, and a limit too small to hold even what cannot spill is an error that says
/// to raise it (or, where everything spills, the same answer); `--cluster` in a build without the feature
/// says how to get one, and with it, that no scheduler answers.
#[test]
fn trade_store_plans_memory_limit_and_cluster_flags() {
    let home = home_with_table();
    let h = home.path();
    let dir = tempfile::tempdir().unwrap();
    let synth = dir.path().join("synth");
    ok(
        h,
        &[
            "trade",
            "synth",
            "--years",
            "2020:2022",
            "--countries",
            "40",
            "--products",
            "300",
            "--destinations",
            "8",
            "--out",
            synth.to_str().unwrap(),
        ],
    );
    let store = dir.path().join("store");
    let s = store.to_str().unwrap();
    let files: Vec<String> = (2020..=2022)
        .map(|y| synth.join(format!("synth_{y}.csv")).display().to_string())
        .collect();
    let mut args = vec!["trade", "import"];
    args.extend(files.iter().map(String::as_str));
    args.extend(["--store", s]);
    ok(h, &args);
    // `trade depend ALL --each` on the store, with more arguments.
    let each_args = |extra: &[&'static str]| -> Vec<&str> {
        let mut a = vec!["trade", "depend", "ALL", "--each", "--input", s];
        a.extend(extra);
        a
    };
    let each = |extra: &[&'static str]| -> Vec<serde_json::Value> {
        let mut a = each_args(&["--format", "json"]);
        a.extend(extra);
        let v: serde_json::Value = serde_json::from_str(&ok(h, &a)).unwrap();
        table_rows(&v).unwrap().clone()
    };
    let plans = each(&[]);
    let memory = each(&["--in-memory"]);
    assert!(plans.len() >= 30, "{} importers", plans.len());
    assert_eq!(plans.len(), memory.len());
    for (a, b) in plans.iter().zip(&memory) {
        for (k, x) in a.as_object().unwrap() {
            match (x.as_f64(), b[k].as_f64()) {
                (Some(x), Some(y)) => {
                    assert!((x - y).abs() <= 1e-9 * x.abs().max(1.0), "{k}: {x} vs {y}")
                }
                _ => assert_eq!(x, &b[k], "{k}"),
            }
        }
    }
    fails_with(
        h,
        &each_args(&["--memory-limit", "0"]),
        2,
        &["memory limit in GB"],
    );
    assert_eq!(each(&["--memory-limit", "4GB"]), plans);
    // 0.2 MB: less than an aggregation's first batch.
    let o = sovra(
        h,
        &each_args(&["--memory-limit", "0.0002", "--format", "json"]),
    );
    let err = String::from_utf8_lossy(&o.stderr);
    if o.status.success() {
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(table_rows(&v).unwrap().len(), plans.len());
    } else {
        assert!(
            err.contains("raise --memory-limit") && o.stdout.is_empty(),
            "{err}"
        );
    }
    let o = sovra(h, &each_args(&["--cluster", "df://127.0.0.1:9"]));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    if cfg!(feature = "cluster") {
        assert!(err.contains("cannot reach a Ballista scheduler"), "{err}");
    } else {
        assert!(
            err.contains("built without cluster mode") && err.contains("--features cluster"),
            "{err}"
        );
    }
}
