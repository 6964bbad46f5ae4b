//! Golden outputs: every command of the `sovra` binary, in every format, on the real default dataset
//! (icio2022), on pymrio's test system and on a synthetic trade store, compared with snapshots frozen in
//! `tests/golden/`. A refactor must leave them unchanged; an output changed on purpose is re-frozen in the
//! same commit (`SOVRA_BLESS=1 cargo test --release -p sovra-cli --test golden`), so the diff shows it.
//! `SOVRA_GOLDEN_BIN=path/to/sovra` runs another build's binary (the snapshots were first frozen from the
//! build before the engine existed).
//!
//! Comparison: text exactly; numbers (tokens such as `-1.5e-3`, `0.0154`) to 1e-9 relative (1e-12
//! absolute), since parallel sums may differ in the last bits between runs; solver residuals only as "below
//! 1e-6"; wall-clock timings, today's date and temporary paths are masked.
//!
//! Needs icio2022 in the store (`sovra data fetch`) and the pymrio dump (`conformance/pymrio/run.sh`); with
//! `SOVRA_REQUIRE_ICIO` / `SOVRA_REQUIRE_CONFORMANCE` set (the test script sets both) their absence is a
//! failure, otherwise a notice.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// Where a case runs.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Home {
    /// The user's store with icio2022.
    Real,
    /// A temporary store holding pymrio's test system as `testmrio`.
    Pymrio,
    /// A temporary store with a synthetic three-year trade store.
    Trade,
}

struct Case {
    name: &'static str,
    home: Home,
    args: &'static [&'static str],
    /// A file the command writes (relative to the case's work folder), compared instead of stdout.
    writes: Option<&'static str>,
}

const fn case(name: &'static str, home: Home, args: &'static [&'static str]) -> Case {
    Case {
        name,
        home,
        args,
        writes: None,
    }
}

const DEP: &[&str] = &[
    "depend",
    "EU27",
    "--on",
    "CHN",
    "--top",
    "10",
    "--min-output",
    "1000",
    "--as-of",
    "2026-11-23",
];

fn cases() -> Vec<Case> {
    use Home::*;
    let mut v = vec![
        // icio2022
        case("info_icio", Real, &["info", "icio2022"]),
        case(
            "info_icio_json",
            Real,
            &["info", "icio2022", "--format", "json"],
        ),
        case(
            "info_icio_csv",
            Real,
            &["info", "icio2022", "--format", "csv"],
        ),
        case(
            "multipliers_icio",
            Real,
            &["multipliers", "icio2022", "--top", "10"],
        ),
        case(
            "multipliers_icio_deu_csv",
            Real,
            &[
                "multipliers",
                "icio2022",
                "--region",
                "DEU",
                "--format",
                "csv",
            ],
        ),
        case(
            "multipliers_icio_json",
            Real,
            &["multipliers", "icio2022", "--top", "30", "--format", "json"],
        ),
        case(
            "linkages_icio",
            Real,
            &["linkages", "icio2022", "--region", "USA", "--top", "15"],
        ),
        case(
            "linkages_icio_key_csv",
            Real,
            &[
                "linkages",
                "icio2022",
                "--key-only",
                "--region",
                "CHN",
                "--format",
                "csv",
            ],
        ),
        case(
            "linkages_icio_json",
            Real,
            &["linkages", "icio2022", "--top", "20", "--format", "json"],
        ),
        case(
            "footprint_icio_error",
            Real,
            &["footprint", "icio2022", "--stressor", "value added"],
        ),
        case("depend_eu_chn", Real, DEP),
        case(
            "depend_deu_chn_region",
            Real,
            &[
                "depend",
                "DEU",
                "--on",
                "CHN",
                "--by",
                "region",
                "--as-of",
                "2026-11-23",
            ],
        ),
        case(
            "depend_deu_chn_csv",
            Real,
            &[
                "depend",
                "DEU",
                "--on",
                "CHN",
                "--format",
                "csv",
                "--as-of",
                "2026-11-23",
            ],
        ),
        case(
            "depend_jpn_c26_json",
            Real,
            &[
                "depend",
                "JPN",
                "--on",
                "CHN",
                "--sector",
                "C26",
                "--format",
                "json",
                "--as-of",
                "2026-11-23",
            ],
        ),
        case(
            "depend_eaeu_region",
            Real,
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
        ),
        case(
            "depend_eu_via_third",
            Real,
            &[
                "depend",
                "EU27",
                "--on",
                "CHN+RUS",
                "--sort",
                "via-third",
                "--top",
                "8",
                "--as-of",
                "2026-11-23",
            ],
        ),
        case(
            "depend_each_region",
            Real,
            &[
                "depend",
                "G7",
                "--on",
                "CHN",
                "--each",
                "--by",
                "region",
                "--as-of",
                "2026-11-23",
            ],
        ),
        case(
            "depend_each_json",
            Real,
            &[
                "depend",
                "DEU+FRA",
                "--on",
                "CHN",
                "--each",
                "--top",
                "12",
                "--format",
                "json",
                "--as-of",
                "2026-11-23",
            ],
        ),
        case(
            "depend_error_region",
            Real,
            &["depend", "XXX", "--on", "CHN", "--as-of", "2026-11-23"],
        ),
        case(
            "depend_error_overlap",
            Real,
            &[
                "depend",
                "EU27",
                "--on",
                "CHN+EU27",
                "--as-of",
                "2026-11-23",
            ],
        ),
        case(
            "keys_deu_chn",
            Real,
            &[
                "keys",
                "DEU",
                "--on",
                "CHN",
                "--top",
                "5",
                "--as-of",
                "2026-11-23",
            ],
        ),
        case(
            "keys_eu_chn_csv",
            Real,
            &[
                "keys",
                "EU27",
                "--on",
                "CHN",
                "--top",
                "40",
                "--format",
                "csv",
                "--as-of",
                "2026-11-23",
            ],
        ),
        case(
            "keys_eu_chn_json",
            Real,
            &[
                "keys",
                "EU27",
                "--on",
                "CHN",
                "--top",
                "10",
                "--format",
                "json",
                "--as-of",
                "2026-11-23",
            ],
        ),
        case("tiva_icio_deu", Real, &["tiva", "--country", "DEU"]),
        case("tiva_icio_csv", Real, &["tiva", "--format", "csv"]),
        case(
            "tiva_icio_json",
            Real,
            &["tiva", "--country", "G7", "--format", "json"],
        ),
        case(
            "shock_usa_chn",
            Real,
            &[
                "shock",
                "USA",
                "--on",
                "CHN",
                "--top",
                "8",
                "--as-of",
                "2026-11-23",
            ],
        ),
        case(
            "shock_usa_chn_json",
            Real,
            &[
                "shock",
                "USA",
                "--on",
                "CHN",
                "--top",
                "8",
                "--format",
                "json",
                "--as-of",
                "2026-11-23",
            ],
        ),
        case(
            "shock_usa_chn_csv",
            Real,
            &[
                "shock",
                "USA",
                "--on",
                "CHN",
                "--top",
                "8",
                "--format",
                "csv",
                "--as-of",
                "2026-11-23",
            ],
        ),
        case(
            "shock_g7_rus_exportban",
            Real,
            &[
                "shock",
                "G7",
                "--on",
                "RUS+BLR",
                "--instrument",
                "export-ban",
                "--sectors",
                "C26,C27",
                "--tau",
                "0.5",
                "--detail",
                "RUS",
                "--top",
                "10",
                "--as-of",
                "2026-11-23",
            ],
        ),
        case(
            "shock_extraction",
            Real,
            &[
                "shock",
                "USA",
                "--on",
                "CHN",
                "--model",
                "extraction",
                "--top",
                "10",
                "--as-of",
                "2026-11-23",
            ],
        ),
        case(
            "shock_extraction_both_export_ban",
            Real,
            &[
                "shock",
                "G7",
                "--on",
                "RUS+BLR",
                "--instrument",
                "export-ban",
                "--model",
                "extraction-both",
                "--top",
                "8",
                "--as-of",
                "2026-11-23",
            ],
        ),
        case(
            "shock_draws",
            Real,
            &[
                "shock",
                "USA",
                "--on",
                "CHN",
                "--draws",
                "16",
                "--tau",
                "uniform:0.1:0.6",
                "--delta",
                "triangular:0.05:0.1:0.2",
                "--rho",
                "normal:-1:1",
                "--top",
                "8",
                "--as-of",
                "2026-11-23",
            ],
        ),
        Case {
            name: "shock_sweep_csv",
            home: Real,
            args: &[
                "shock",
                "USA",
                "--on",
                "CHN",
                "--sweep",
                "tau=0.1:0.3:0.1",
                "--format",
                "csv",
                "--as-of",
                "2026-11-23",
            ],
            writes: None,
        },
        Case {
            name: "shock_sweep_json",
            home: Real,
            args: &[
                "shock",
                "USA",
                "--on",
                "CHN",
                "--sweep",
                "delta=0.05,0.2",
                "--format",
                "json",
                "--as-of",
                "2026-11-23",
            ],
            writes: None,
        },
        case(
            "shock_error_detail",
            Real,
            &[
                "shock",
                "USA",
                "--on",
                "CHN",
                "--detail",
                "ZZZ",
                "--as-of",
                "2026-11-23",
            ],
        ),
        case(
            "blocs_list",
            Real,
            &["blocs", "list", "--as-of", "2024-06-30"],
        ),
        case(
            "blocs_list_json",
            Real,
            &["blocs", "list", "--as-of", "2025-06-30", "--format", "json"],
        ),
        case(
            "blocs_show_brics",
            Real,
            &["blocs", "show", "BRICS", "--as-of", "2024-06-30"],
        ),
        case(
            "blocs_show_expr_data",
            Real,
            &[
                "blocs",
                "show",
                "EU27+G7-DEU",
                "--data",
                "icio2022",
                "--as-of",
                "2024-06-30",
            ],
        ),
        case(
            "blocs_show_csv",
            Real,
            &[
                "blocs",
                "show",
                "EAEU",
                "--as-of",
                "2024-06-30",
                "--format",
                "csv",
            ],
        ),
        case("complexity_icio", Real, &["complexity", "--top", "15"]),
        case(
            "complexity_icio_product_csv",
            Real,
            &["complexity", "--by", "product", "--format", "csv"],
        ),
        case(
            "complexity_icio_json",
            Real,
            &["complexity", "--top", "10", "--fitness", "--format", "json"],
        ),
        // pymrio's test system
        case("info_testmrio", Pymrio, &["info", "testmrio"]),
        case(
            "info_testmrio_json",
            Pymrio,
            &["info", "testmrio", "--format", "json"],
        ),
        case("data_list", Pymrio, &["data", "list"]),
        case(
            "data_list_json",
            Pymrio,
            &["data", "list", "--format", "json"],
        ),
        case(
            "multipliers_testmrio_csv",
            Pymrio,
            &["multipliers", "testmrio", "--format", "csv"],
        ),
        case(
            "linkages_testmrio",
            Pymrio,
            &["linkages", "testmrio", "--top", "12"],
        ),
        case(
            "linkages_testmrio_json",
            Pymrio,
            &["linkages", "testmrio", "--format", "json"],
        ),
        case(
            "footprint_testmrio_va",
            Pymrio,
            &["footprint", "testmrio", "--stressor", "value added"],
        ),
        case(
            "footprint_testmrio_va_json",
            Pymrio,
            &[
                "footprint",
                "testmrio",
                "--stressor",
                "value added",
                "--format",
                "json",
            ],
        ),
        case(
            "footprint_testmrio_node_csv",
            Pymrio,
            &[
                "footprint",
                "testmrio",
                "--stressor",
                "emission_type1",
                "--by",
                "node",
                "--format",
                "csv",
            ],
        ),
        case(
            "footprint_testmrio_error",
            Pymrio,
            &["footprint", "testmrio", "--stressor", "nope"],
        ),
        case(
            "depend_testmrio",
            Pymrio,
            &["depend", "reg1", "--on", "reg2", "--data", "testmrio"],
        ),
        case(
            "depend_testmrio_json",
            Pymrio,
            &[
                "depend",
                "reg1+reg3",
                "--on",
                "reg2",
                "--data",
                "testmrio",
                "--format",
                "json",
            ],
        ),
        case(
            "depend_testmrio_each_csv",
            Pymrio,
            &[
                "depend",
                "reg1+reg3+reg4",
                "--on",
                "reg2",
                "--data",
                "testmrio",
                "--each",
                "--format",
                "csv",
            ],
        ),
        case(
            "keys_testmrio",
            Pymrio,
            &["keys", "reg1", "--on", "reg2+reg5", "--data", "testmrio"],
        ),
        case("tiva_testmrio", Pymrio, &["tiva", "--data", "testmrio"]),
        case(
            "tiva_testmrio_json",
            Pymrio,
            &["tiva", "--data", "testmrio", "--format", "json"],
        ),
        case(
            "tiva_testmrio_csv",
            Pymrio,
            &[
                "tiva",
                "--data",
                "testmrio",
                "--country",
                "reg1",
                "--format",
                "csv",
            ],
        ),
        case(
            "shock_testmrio",
            Pymrio,
            &[
                "shock", "reg1", "--on", "reg2", "--data", "testmrio", "--detail", "reg3",
            ],
        ),
        case(
            "shock_testmrio_json",
            Pymrio,
            &[
                "shock",
                "reg1",
                "--on",
                "reg2",
                "--data",
                "testmrio",
                "--instrument",
                "import-ban",
                "--format",
                "json",
            ],
        ),
        case(
            "complexity_testmrio_csv",
            Pymrio,
            &["complexity", "--data", "testmrio", "--format", "csv"],
        ),
        // the synthetic trade store (three years)
        case(
            "trade_depend",
            Trade,
            &[
                "trade",
                "depend",
                "C001",
                "--on",
                "C002+C003",
                "--top",
                "15",
            ],
        ),
        case(
            "trade_depend_csv",
            Trade,
            &[
                "trade", "depend", "C001", "--on", "C002", "--all", "--format", "csv",
            ],
        ),
        case(
            "trade_depend_years_json",
            Trade,
            &[
                "trade",
                "depend",
                "C004",
                "--on",
                "C001",
                "--years",
                "2020:2022",
                "--top",
                "10",
                "--format",
                "json",
            ],
        ),
        case(
            "trade_depend_each_csv",
            Trade,
            &["trade", "depend", "C001", "--each", "--format", "csv"],
        ),
        case(
            "trade_suppliers",
            Trade,
            &[
                "trade",
                "suppliers",
                "C001",
                "--all-dependent",
                "--top",
                "5",
            ],
        ),
        case(
            "trade_suppliers_json",
            Trade,
            &[
                "trade",
                "suppliers",
                "C001",
                "--product",
                "010679",
                "--format",
                "json",
            ],
        ),
        case(
            "opportunities",
            Trade,
            &["opportunities", "C001", "--top", "15"],
        ),
        case(
            "opportunities_csv",
            Trade,
            &["opportunities", "C005", "--format", "csv"],
        ),
        case(
            "opportunities_bloc",
            Trade,
            &[
                "opportunities",
                "C001+C002+C003",
                "--top",
                "5",
                "--as-of",
                "2024-06-30",
            ],
        ),
        case(
            "complexity_store",
            Trade,
            &[
                "complexity",
                "--input",
                "@STORE",
                "--year",
                "2022",
                "--top",
                "10",
            ],
        ),
        case(
            "complexity_store_product_json",
            Trade,
            &[
                "complexity",
                "--input",
                "@STORE",
                "--year",
                "2021",
                "--by",
                "product",
                "--top",
                "10",
                "--format",
                "json",
            ],
        ),
    ];
    v.push(Case {
        name: "matrix_testmrio_l_csv",
        home: Home::Pymrio,
        args: &["matrix", "testmrio", "L", "--out", "@WORK/L.csv"],
        writes: Some("L.csv"),
    });
    v.push(Case {
        name: "matrix_icio_x_csv",
        home: Home::Real,
        args: &["matrix", "icio2022", "x", "--out", "@WORK/x.csv"],
        writes: Some("x.csv"),
    });
    v.push(Case {
        name: "shock_write_scenario",
        home: Home::Real,
        args: &[
            "shock",
            "G7",
            "--on",
            "RUS",
            "--instrument",
            "export-ban",
            "--sectors",
            "C26",
            "--as-of",
            "2026-11-23",
            "--write-scenario",
            "@WORK/s.toml",
        ],
        writes: Some("s.toml"),
    });
    v
}

fn sovra(home: &Path, work: &Path, args: &[&str]) -> (i32, String, String) {
    let store = home.join("trade");
    let args: Vec<String> = args
        .iter()
        .map(|a| {
            a.replace("@WORK", &work.to_string_lossy())
                .replace("@STORE", &store.to_string_lossy())
        })
        .collect();
    let o = Command::new(binary())
        .args(&args)
        .env("SOVRA_HOME", home)
        .current_dir(work)
        .output()
        .expect("run sovra");
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// The binary under test: this build's `sovra`, or `SOVRA_GOLDEN_BIN` (to freeze the outputs of another
/// build, e.g. the one before a refactor).
fn binary() -> PathBuf {
    std::env::var_os("SOVRA_GOLDEN_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_sovra")))
}

fn conformance_dir() -> Option<PathBuf> {
    let d = std::env::var_os("SOVRA_CONFORMANCE_DIR").map(PathBuf::from)?;
    let input = d.join("pymrio").join("test_mrio").join("input");
    input.is_dir().then_some(input)
}

/// The pymrio test system imported into a temporary store, once per test process.
fn pymrio_home() -> Option<&'static Path> {
    static HOME: OnceLock<Option<tempfile::TempDir>> = OnceLock::new();
    HOME.get_or_init(|| {
        let Some(input) = conformance_dir() else {
            assert!(
                std::env::var_os("SOVRA_REQUIRE_CONFORMANCE").is_none(),
                "SOVRA_REQUIRE_CONFORMANCE is set but the pymrio dump is missing"
            );
            eprintln!(
                "NOTICE: no pymrio dump in $SOVRA_CONFORMANCE_DIR (run conformance/pymrio/run.sh): the golden cases on pymrio's test system are skipped"
            );
            return None;
        };
        let home = tempfile::tempdir().expect("tempdir");
        let input = input.to_string_lossy().into_owned();
        let (code, _, err) = sovra(
            home.path(),
            home.path(),
            &["data", "import", "--format", "pymrio", &input, "--name", "testmrio"],
        );
        assert_eq!(code, 0, "import of pymrio's test system: {err}");
        Some(home)
    })
    .as_ref()
    .map(|h| h.path())
}

/// A temporary store with three synthetic trade years, once per test process.
fn trade_home() -> &'static Path {
    static HOME: OnceLock<tempfile::TempDir> = OnceLock::new();
    HOME.get_or_init(|| {
        let home = tempfile::tempdir().expect("tempdir");
        let h = home.path();
        let mut files = Vec::new();
        for (year, seed) in [(2020, "3"), (2021, "2"), (2022, "1")] {
            let f = h.join(format!("synth{year}.csv"));
            let fs = f.to_string_lossy().into_owned();
            let y = year.to_string();
            let (code, _, err) = sovra(
                h,
                h,
                &[
                    "trade",
                    "synth",
                    "--countries",
                    "40",
                    "--products",
                    "120",
                    "--year",
                    &y,
                    "--seed",
                    seed,
                    "--out",
                    &fs,
                ],
            );
            assert_eq!(code, 0, "trade synth: {err}");
            files.push(fs);
        }
        let store = h.join("trade").to_string_lossy().into_owned();
        let mut args = vec!["trade", "import"];
        args.extend(files.iter().map(String::as_str));
        args.extend(["--store", &store]);
        let (code, _, err) = sovra(h, h, &args);
        assert_eq!(code, 0, "trade import: {err}");
        home
    })
    .path()
}

fn home_for(h: Home) -> Option<PathBuf> {
    match h {
        Home::Real => {
            let home = sovra_core::store::home();
            sovra_core::store::open_or_notice("icio2022", "the golden cases on icio2022")?;
            Some(home)
        }
        Home::Pymrio => pymrio_home().map(Path::to_path_buf),
        Home::Trade => Some(trade_home().to_path_buf()),
    }
}

/// The text a case produces: its output (stdout, or the file it writes), then the exit code and, when it
/// failed, the error message.
fn produce(c: &Case, home: &Path) -> String {
    let work = tempfile::tempdir().expect("tempdir");
    let (code, out, err) = sovra(home, work.path(), c.args);
    let body = match c.writes {
        Some(f) if code == 0 => std::fs::read_to_string(work.path().join(f)).expect("written file"),
        _ => out,
    };
    let mut s = body;
    s.push_str(&format!("\n--- exit {code}\n"));
    if code != 0 {
        s.push_str(&err);
    }
    mask(&s, home, work.path())
}

fn today() -> String {
    sovra_core::blocs::Date::today().to_string()
}

/// Masks what changes from run to run: paths, today's date, wall-clock seconds.
fn mask(s: &str, home: &Path, work: &Path) -> String {
    let s = s
        .replace(&*work.to_string_lossy(), "@WORK")
        .replace(&*home.to_string_lossy(), "@HOME")
        .replace(&today(), "@TODAY");
    // Where the pymrio dump lies depends on the build's target directory.
    let s = match conformance_dir() {
        Some(d) => s.replace(&*d.to_string_lossy(), "@PYMRIO"),
        None => s,
    };
    // "(0.31 s)" and "\"seconds\": 0.31"
    let re_sec = |t: &str| -> String {
        // number followed by " s)" or " s," or " s " → @SECONDS
        let mut res = String::new();
        let mut rest = t;
        while let Some(p) = rest.find(" s)") {
            let (head, tail) = rest.split_at(p);
            let start = head
                .rfind(|ch: char| !(ch.is_ascii_digit() || ch == '.'))
                .map(|k| k + 1)
                .unwrap_or(0);
            if start < head.len() {
                res.push_str(&head[..start]);
                res.push_str("@SECONDS");
            } else {
                res.push_str(head);
            }
            res.push_str(" s)");
            rest = &tail[3..];
        }
        res.push_str(rest);
        res
    };
    let s = mask_json_seconds(&s);
    s.lines().map(re_sec).collect::<Vec<_>>().join("\n")
}

/// Replaces the value of every JSON field named `seconds` (a number, or an array of timings) by `@SECONDS`.
fn mask_json_seconds(s: &str) -> String {
    let key = "\"seconds\":";
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(p) = rest.find(key) {
        out.push_str(&rest[..p + key.len()]);
        let after = &rest[p + key.len()..];
        let trimmed = after.trim_start();
        out.push_str(&after[..after.len() - trimmed.len()]);
        let end = if trimmed.starts_with('[') {
            let mut depth = 0usize;
            let mut end = trimmed.len();
            for (i, ch) in trimmed.char_indices() {
                match ch {
                    '[' => depth += 1,
                    ']' => {
                        depth -= 1;
                        if depth == 0 {
                            end = i + 1;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            end
        } else {
            trimmed.find([',', '}', '\n']).unwrap_or(trimmed.len())
        };
        out.push_str("@SECONDS");
        rest = &trimmed[end..];
    }
    out.push_str(rest);
    out
}

/// A token of a line: a number or a run of other characters.
#[derive(Debug, PartialEq)]
enum Tok<'a> {
    Num(f64, &'a str),
    Text(&'a str),
}

fn tokens(s: &str) -> Vec<Tok<'_>> {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut text_start = 0;
    while i < bytes.len() {
        let starts_num = bytes[i].is_ascii_digit()
            || (bytes[i] == b'-' && i + 1 < bytes.len() && bytes[i + 1].is_ascii_digit());
        let word_before = i > 0 && (bytes[i - 1].is_ascii_alphabetic() || bytes[i - 1] == b'_');
        if starts_num && !word_before {
            let mut j = i + 1;
            while j < bytes.len() && bytes[j].is_ascii_digit() {
                j += 1;
            }
            if j + 1 < bytes.len() && bytes[j] == b'.' && bytes[j + 1].is_ascii_digit() {
                j += 1;
                while j < bytes.len() && bytes[j].is_ascii_digit() {
                    j += 1;
                }
            }
            if j < bytes.len() && (bytes[j] == b'e' || bytes[j] == b'E') {
                let mut k = j + 1;
                if k < bytes.len() && (bytes[k] == b'-' || bytes[k] == b'+') {
                    k += 1;
                }
                if k < bytes.len() && bytes[k].is_ascii_digit() {
                    while k < bytes.len() && bytes[k].is_ascii_digit() {
                        k += 1;
                    }
                    j = k;
                }
            }
            // a code such as C26 or 032989 stays text when glued to letters after it
            let glued = j < bytes.len() && (bytes[j].is_ascii_alphabetic() || bytes[j] == b'_');
            if !glued {
                if text_start < i {
                    out.push(Tok::Text(&s[text_start..i]));
                }
                let t = &s[i..j];
                out.push(Tok::Num(t.parse().unwrap_or(f64::NAN), t));
                text_start = j;
            }
            i = j;
        } else {
            i += 1;
        }
    }
    if text_start < s.len() {
        out.push(Tok::Text(&s[text_start..]));
    }
    out
}

/// Compares two outputs; `None` when equal within the tolerances, else the first difference.
fn differ(expected: &str, actual: &str) -> Option<String> {
    let (el, al): (Vec<&str>, Vec<&str>) = (expected.lines().collect(), actual.lines().collect());
    if el.len() != al.len() {
        return Some(format!(
            "{} lines expected, {} produced",
            el.len(),
            al.len()
        ));
    }
    for (n, (e, a)) in el.iter().zip(&al).enumerate() {
        if e == a {
            continue;
        }
        let (et, at) = (tokens(e), tokens(a));
        let bad = || Some(format!("line {}:\n  expected: {e}\n  produced: {a}", n + 1));
        if et.len() != at.len() {
            return bad();
        }
        let residual_line = e.contains("residual");
        for (x, y) in et.iter().zip(&at) {
            match (x, y) {
                (Tok::Text(p), Tok::Text(q)) if p == q => {}
                (Tok::Num(p, ps), Tok::Num(q, qs)) => {
                    let tiny = residual_line && p.abs() < 1e-6 && q.abs() < 1e-6;
                    let close = (p - q).abs() <= 1e-12 + 1e-9 * p.abs().max(q.abs());
                    if !(ps == qs || tiny || close) {
                        return bad();
                    }
                }
                _ => return bad(),
            }
        }
    }
    None
}

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("golden")
}

#[test]
fn golden_outputs() {
    let bless = std::env::var_os("SOVRA_BLESS").is_some();
    let dir = golden_dir();
    std::fs::create_dir_all(&dir).expect("golden dir");
    let mut failures = Vec::new();
    let mut compared = 0;
    let mut skipped = Vec::new();
    for c in cases() {
        let Some(home) = home_for(c.home) else {
            skipped.push(c.name);
            continue;
        };
        let got = produce(&c, &home);
        let file = dir.join(format!("{}.txt", c.name));
        if bless {
            std::fs::write(&file, &got).expect("write golden");
            continue;
        }
        let expected = std::fs::read_to_string(&file)
            .unwrap_or_else(|_| panic!("no snapshot {}: run with SOVRA_BLESS=1", file.display()));
        compared += 1;
        if let Some(d) = differ(&expected, &got) {
            failures.push(format!("{}: {d}", c.name));
        }
    }
    if !skipped.is_empty() {
        eprintln!(
            "NOTICE: golden cases skipped for missing data: {}",
            skipped.join(", ")
        );
    }
    assert!(
        failures.is_empty(),
        "{} of {compared} golden outputs changed (re-freeze with SOVRA_BLESS=1 if on purpose):\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    if !bless && skipped.is_empty() {
        assert_eq!(compared, cases().len(), "every case compared");
    }
}

#[test]
fn the_comparison_catches_changes() {
    assert!(differ("a 1.000000000001 b", "a 1.000000000002 b").is_none());
    assert!(differ("a 1.0001 b", "a 1.0002 b").is_some());
    assert!(differ("x 1.54%", "x 1.55%").is_some());
    assert!(differ("residual 8.7e-14", "residual 9.1e-13").is_none());
    assert!(differ("residual 8.7e-14", "residual 9.1e-3").is_some());
    assert!(differ("value 8.7e-10", "value 9.1e-10").is_some());
    assert!(differ("C26 sector", "C27 sector").is_some());
    assert!(differ("one\ntwo", "one").is_some());
    assert_eq!(
        tokens("CHN 42%, -1.5e-3"),
        vec![
            Tok::Text("CHN "),
            Tok::Num(42.0, "42"),
            Tok::Text("%, "),
            Tok::Num(-1.5e-3, "-1.5e-3"),
        ]
    );
    let m = mask("solver (0.31 s) done", Path::new("/h"), Path::new("/w"));
    assert_eq!(m, "solver (@SECONDS s) done");
    let m = mask(
        "{\"seconds\": [\n [\"a\", 0.1],\n [\"b\", 0.2]\n], \"x\": 1, \"seconds\":0.5}",
        Path::new("/h"),
        Path::new("/w"),
    );
    assert_eq!(m, "{\"seconds\": @SECONDS, \"x\": 1, \"seconds\":@SECONDS}");
}

/// The tables of a report as canonical text (for [`differ`]'s tolerant comparison).
fn tables_text(report: &serde_json::Value) -> String {
    serde_json::to_string_pretty(&report["tables"]).expect("tables as JSON")
}

/// `--format html` for every golden case that writes JSON: one self-contained file (no external reference; a
/// policy that forbids any request) whose embedded report has the same tables as the JSON output, and whose
/// static tables hold the same rows. The numbers come from one report, whatever the format.
#[test]
fn html_reports_hold_the_json_report() {
    let mut checked = 0;
    for c in cases() {
        let Some(at) = c.args.windows(2).position(|w| w == ["--format", "json"]) else {
            continue;
        };
        if c.writes.is_some() || c.args.contains(&"--out") {
            continue;
        }
        let Some(home) = home_for(c.home) else {
            continue;
        };
        let work = tempfile::tempdir().expect("tempdir");
        let (code, json, err) = sovra(&home, work.path(), c.args);
        if code != 0 {
            continue;
        }
        let mut args: Vec<&str> = c.args.to_vec();
        args[at + 1] = "html";
        args.extend(["--out", "report.html"]);
        let (hcode, _, herr) = sovra(&home, work.path(), &args);
        assert_eq!(
            hcode, 0,
            "{}: --format html failed: {herr} (json run: {err})",
            c.name
        );
        let html = std::fs::read_to_string(work.path().join("report.html")).expect("the HTML file");
        assert!(html.starts_with("<!doctype html>"), "{}", c.name);
        assert!(
            html.contains("content=\"default-src 'none';"),
            "{}: no strict policy",
            c.name
        );
        // The markup outside the scripts (the vendored bundles mention `src="` in their own code).
        let markup: String = html
            .split("<script")
            .enumerate()
            .map(|(i, part)| {
                if i == 0 {
                    part
                } else {
                    part.split_once("</script>").map_or("", |(_, rest)| rest)
                }
            })
            .collect();
        for external in [
            "src=", "href=", "<link", "@import", "url(", "<iframe", "<img",
        ] {
            assert!(
                !markup.contains(external),
                "{}: the file refers outside itself ({external})",
                c.name
            );
        }
        let docs: Vec<serde_json::Value> = serde_json::Deserializer::from_str(&json)
            .into_iter()
            .collect::<Result<_, _>>()
            .expect("JSON output");
        if docs.len() != 1 {
            // A stream (JSON lines, one report per scenario): the HTML file holds them all, after the summary.
            assert!(
                html.matches("<article class=\"report\"").count() >= docs.len(),
                "{}",
                c.name
            );
            checked += 1;
            continue;
        }
        let expected = &docs[0];
        let rows_in_html = html.matches("<tr>").count();
        let rows_in_json: usize = expected["tables"]
            .as_array()
            .map(|ts| {
                ts.iter()
                    .map(|t| t["rows"].as_array().map_or(0, |r| r.len().min(2000)))
                    .sum()
            })
            .unwrap_or(0);
        assert!(
            rows_in_html >= rows_in_json,
            "{}: {rows_in_html} rows in the HTML, {rows_in_json} in the JSON tables",
            c.name
        );
        if let Some(data) = html
            .split("<script type=\"application/json\" id=\"sovra-reports\">")
            .nth(1)
        {
            let data = &data[..data.find("</script>").expect("end of the data element")];
            let embedded: serde_json::Value = serde_json::from_str(data).expect("embedded reports");
            if let Some(d) = differ(&tables_text(expected), &tables_text(&embedded[0])) {
                panic!(
                    "{}: the HTML's report differs from the JSON output: {d}",
                    c.name
                );
            }
        }
        checked += 1;
    }
    if std::env::var_os("SOVRA_REQUIRE_ICIO").is_some() {
        assert!(checked >= 10, "only {checked} reports checked");
    }
    eprintln!("{checked} HTML reports checked against their JSON");
}
