//! sovra attacked as a careless or hostile user would: every case the "nothing lost, nothing silent" review
//! reproduced, run against the binary. Each case expects a clear error (an exit code and words that name the
//! cause, a short message, no panic, no hang) or a safe outcome, and checks that nothing was lost. At the end
//! the test prints the tally the README's Reliability section reports: cases, clear errors, panics, losses,
//! hangs, silent wrong results, unclear errors — and fails unless every case behaved.
//!
//! Dataset and trade-store replacement under kill -9 at random points, concurrent writers and dead-writer
//! leftovers are exercised in `sovra-core/tests/store_safety.rs` and `sovra-lake/tests/store_safety.rs`;
//! `--resume` and exit code 3 also in `tests/cli.rs`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sovra_core::{store, synth};

/// The longest any case may run: a case still running then is a hang.
const HANG: Duration = Duration::from_secs(60);
/// An error message longer than this is not a clear one (it quotes the input instead of naming it).
const LONGEST_ERROR: usize = 1500;

struct Ran {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    seconds: f64,
}

fn run_in(home: &Path, dir: &Path, args: &[&str]) -> Ran {
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_sovra"))
        .args(args)
        .env("SOVRA_HOME", home)
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn sovra");
    // Both pipes drained while the child runs: a long message must not block it (and read as a hang).
    let drain = |mut p: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut b = Vec::new();
            let _ = p.read_to_end(&mut b);
            b
        })
    };
    let out_t = drain(Box::new(child.stdout.take().expect("stdout")));
    let err_t = drain(Box::new(child.stderr.take().expect("stderr")));
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break Some(s);
        }
        if started.elapsed() > HANG {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let seconds = started.elapsed().as_secs_f64();
    let (stdout, stderr) = (
        out_t.join().unwrap_or_default(),
        err_t.join().unwrap_or_default(),
    );
    Ran {
        code: status.and_then(|s| s.code()),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
        seconds,
    }
}

/// What went wrong with a case, in the review's categories.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Clear,
    Panic,
    Hang,
    Loss,
    SilentWrong,
    Unclear,
}

struct Tally {
    results: Vec<(String, Outcome, String)>,
}

impl Tally {
    /// Judges an error case: exit `code`, every needle in stderr, a short message; `intact` checks that
    /// nothing was lost.
    fn error(&mut self, name: &str, r: &Ran, code: i32, needles: &[&str], intact: bool) {
        let outcome = if r.stderr.contains("panicked") {
            Outcome::Panic
        } else if r.code.is_none() || r.seconds > HANG.as_secs_f64() {
            Outcome::Hang
        } else if !intact {
            Outcome::Loss
        } else if r.code == Some(0) {
            Outcome::SilentWrong
        } else if r.code != Some(code)
            || !needles.iter().all(|n| r.stderr.contains(n))
            || r.stderr.len() > LONGEST_ERROR
        {
            Outcome::Unclear
        } else {
            Outcome::Clear
        };
        self.results.push((
            name.to_string(),
            outcome,
            format!(
                "exit {:?} in {:.1} s: {}",
                r.code,
                r.seconds,
                r.stderr.chars().take(400).collect::<String>()
            ),
        ));
    }

    /// Judges a case whose right outcome is not an error: `ok` says it happened, `intact` that nothing
    /// was lost.
    fn safe(&mut self, name: &str, r: &Ran, ok: bool, intact: bool, detail: &str) {
        let outcome = if r.stderr.contains("panicked") {
            Outcome::Panic
        } else if r.code.is_none() || r.seconds > HANG.as_secs_f64() {
            Outcome::Hang
        } else if !intact {
            Outcome::Loss
        } else if !ok {
            Outcome::SilentWrong
        } else {
            Outcome::Clear
        };
        self.results
            .push((name.to_string(), outcome, format!("{detail}; {}", r.stderr)));
    }

    /// Judges a case checked in-process (a library call that must fail with words that name the cause).
    fn lib_error(&mut self, name: &str, got: Result<(), String>, needles: &[&str]) {
        let (outcome, detail) = match got {
            Ok(()) => (Outcome::SilentWrong, "accepted".to_string()),
            Err(e) if needles.iter().all(|n| e.contains(n)) && e.len() <= LONGEST_ERROR => {
                (Outcome::Clear, e)
            }
            Err(e) => (Outcome::Unclear, e),
        };
        self.results.push((name.to_string(), outcome, detail));
    }
}

fn demo_home() -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    let t = synth::table(
        "demo",
        synth::Spec {
            regions: 4,
            sectors: 3,
            categories: 2,
            stressors: 1,
            ..Default::default()
        },
    )
    .unwrap();
    store::write(home.path(), &t, store::WriteMode::CreateNew).unwrap();
    home
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// Every file under `dir` with its bytes, to compare a store before and after.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(snapshot(&p));
            } else {
                out.push((p.clone(), std::fs::read(&p).unwrap_or_default()));
            }
        }
    }
    out.sort();
    out
}

const TRADE_HEAD: &str = "year,exporter,importer,product,value\n";

fn trade_rows(year: i32, n: usize) -> String {
    let mut s = String::from(TRADE_HEAD);
    for k in 0..n {
        s.push_str(&format!(
            "{year},C{:02},C{:02},{:06},{}.5\n",
            k % 7,
            (k % 7 + 1 + k % 3) % 7,
            10_000 + 97 * (k % 40),
            10 + k
        ));
    }
    s
}

#[test]
fn bad_inputs_and_faults_get_clear_errors_and_lose_nothing() {
    let home = demo_home();
    let h = home.path();
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let run = |args: &[&str]| run_in(h, w, args);
    let mut t = Tally {
        results: Vec::new(),
    };

    // ---- Data loss ----
    // Importing over an existing dataset needs --replace; the dataset is left as it was.
    let before = snapshot(&h.join("datasets"));
    let pymrio_dir = w.join("not-a-pymrio-dir");
    std::fs::create_dir_all(&pymrio_dir).unwrap();
    let r = run(&[
        "data",
        "import",
        "--format",
        "pymrio",
        pymrio_dir.to_str().unwrap(),
        "--name",
        "demo",
    ]);
    t.error(
        "data import over an existing name",
        &r,
        2,
        &["demo", "--replace"],
        snapshot(&h.join("datasets")) == before,
    );
    // A trade store: a multi-file import that fails on a later file changes nothing.
    let store_dir = w.join("store");
    let y2020 = write(w, "y2020.csv", &trade_rows(2020, 60));
    let r = run(&[
        "trade",
        "import",
        y2020.to_str().unwrap(),
        "--store",
        store_dir.to_str().unwrap(),
    ]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let store_before = snapshot(&store_dir);
    let y2021 = write(w, "y2021.csv", &trade_rows(2021, 40));
    let bad = write(
        w,
        "bad.csv",
        &format!("{TRADE_HEAD}2020,C01,C02,010101,12\n2020,C01,C02,010102,x\n"),
    );
    let r = run(&[
        "trade",
        "import",
        y2021.to_str().unwrap(),
        bad.to_str().unwrap(),
        "--store",
        store_dir.to_str().unwrap(),
    ]);
    t.error(
        "multi-file trade import failing on its second file",
        &r,
        1,
        &["bad.csv", "row 3", "value", "nothing was imported"],
        snapshot(&store_dir) == store_before,
    );
    // Two imports of different years at once: both years are in the store afterwards (one waits).
    let y2022 = write(w, "y2022.csv", &trade_rows(2022, 50));
    let y2023 = write(w, "y2023.csv", &trade_rows(2023, 50));
    let spawn = |f: &Path| {
        Command::new(env!("CARGO_BIN_EXE_sovra"))
            .args([
                "trade",
                "import",
                f.to_str().unwrap(),
                "--store",
                store_dir.to_str().unwrap(),
                "--wait",
            ])
            .env("SOVRA_HOME", h)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(&y2022), spawn(&y2023));
    let (oa, ob) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    let years = run(&[
        "trade",
        "depend",
        "C01",
        "--input",
        store_dir.to_str().unwrap(),
        "--years",
        "2020:2023",
        "--format",
        "csv",
    ]);
    let all_years = ["2020,", "2022,", "2023,"]
        .iter()
        .all(|y| years.stdout.lines().any(|l| l.starts_with(y)));
    t.safe(
        "two trade imports into one store at once",
        &years,
        oa.status.success() && ob.status.success(),
        all_years,
        "both years kept",
    );
    // Two sweeps writing to one --out: one complete result, never a mix.
    let out = w.join("sweep.csv");
    let sweep = |tau: &str| {
        Command::new(env!("CARGO_BIN_EXE_sovra"))
            .args([
                "shock",
                "R01",
                "--on",
                "R02",
                "--data",
                "demo",
                "--sweep",
                tau,
                "--format",
                "csv",
                "--out",
                out.to_str().unwrap(),
            ])
            .env("SOVRA_HOME", h)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    let (a, b) = (sweep("tau=0.1:0.5:0.1"), sweep("tau=0.2:0.6:0.1"));
    let (sa, sb) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    let text = std::fs::read_to_string(&out).unwrap_or_default();
    let rows = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("scenario,"))
        .count();
    let one_run = text.contains("tau=0.1,") ^ text.contains("tau=0.6,");
    let fake = Ran {
        code: Some(0),
        stdout: String::new(),
        stderr: String::new(),
        seconds: 0.0,
    };
    t.safe(
        "two sweeps to one --out",
        &fake,
        sa.status.success() || sb.status.success(),
        rows == 5 * 4 && one_run,
        &format!(
            "{rows} rows, exits {:?} {:?}: {}",
            sa.status.code(),
            sb.status.code(),
            text.lines()
                .filter(|l| !l.starts_with('#'))
                .map(|l| l.chars().take(50).collect::<String>())
                .collect::<Vec<_>>()
                .join(" | ")
        ),
    );
    // Replacing a 0600 file keeps it 0600.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let secret = write(w, "secret.json", "old");
        std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).unwrap();
        let r = run(&[
            "info",
            "demo",
            "--format",
            "json",
            "--out",
            secret.to_str().unwrap(),
        ]);
        let mode = std::fs::metadata(&secret).unwrap().permissions().mode() & 0o777;
        t.safe(
            "--out over a 0600 file",
            &r,
            r.code == Some(0),
            mode == 0o600,
            &format!("mode {mode:o}"),
        );
    }

    // ---- Hangs ----
    let r = run(&[
        "data",
        "import",
        "--format",
        "oecd-icio-csv",
        "/dev/zero",
        "--name",
        "z",
    ]);
    t.error(
        "data import from /dev/zero",
        &r,
        1,
        &["/dev/zero", "not a regular file"],
        true,
    );
    let r = run(&["shock", "--scenario", "/dev/zero", "--data", "demo"]);
    t.error(
        "a scenario file that is a device",
        &r,
        1,
        &["not a regular file"],
        true,
    );
    let r = run(&[
        "shock",
        "R01",
        "--on",
        "R02",
        "--data",
        "demo",
        "--sweep",
        "tau=0:1:0.001,delta=0:1:0.001",
    ]);
    t.error(
        "a sweep of 1,002,001 scenarios",
        &r,
        2,
        &["1,002,001", "--max-scenarios"],
        true,
    );
    let r = run(&[
        "shock",
        "R01",
        "--on",
        "R02",
        "--data",
        "demo",
        "--products",
        "8542",
    ]);
    t.error(
        "a product leg on a table without ICIO sectors",
        &r,
        2,
        &["ICIO", "no sector"],
        true,
    );
    let r = run(&["bridge", "show", "854299"]);
    t.error("an unknown HS code", &r, 2, &["854299", "854290"], true);
    let r = run(&["bridge", "show", "chips"]);
    t.error(
        "a product that is not a code",
        &r,
        2,
        &["not an HS code"],
        true,
    );
    let r = run(&[
        "trade",
        "synth",
        "--countries",
        "100000",
        "--products",
        "100000",
        "--out",
        "s.csv",
    ]);
    t.error(
        "trade synth of 100,000 × 100,000",
        &r,
        2,
        &["million rows", "--max-rows"],
        !w.join("s.csv").exists(),
    );
    let one_line = w.join("one-line.csv");
    std::fs::write(&one_line, "x".repeat(3 << 20)).unwrap();
    let r = run(&[
        "trade",
        "import",
        one_line.to_str().unwrap(),
        "--store",
        store_dir.to_str().unwrap(),
    ]);
    t.error(
        "a 3 MB one-line CSV",
        &r,
        1,
        &["one-line.csv", "longer than", "--max-line"],
        true,
    );
    // Raised with --max-line, the same file is read to its end (and then refused for what it is).
    let r = run(&[
        "trade",
        "import",
        one_line.to_str().unwrap(),
        "--store",
        store_dir.to_str().unwrap(),
        "--max-line",
        "4000000",
    ]);
    t.error(
        "a 3 MB one-line CSV with --max-line raised",
        &r,
        1,
        &["one-line.csv"],
        !r.stderr.contains("longer than"),
    );

    // ---- Wrong results with exit code 0 ----
    for (name, args, needles) in [
        (
            "shock --rho=-5000",
            &[
                "shock",
                "R01",
                "--on",
                "R02",
                "--data",
                "demo",
                "--rho=-5000",
            ][..],
            &["rho = -5000", "[-100, 0)"][..],
        ),
        (
            "--min-output NaN",
            &[
                "depend",
                "R01",
                "--on",
                "R02",
                "--data",
                "demo",
                "--min-output",
                "NaN",
            ],
            &["--min-output", "not a finite number"],
        ),
        (
            "--tau inf",
            &[
                "shock", "R01", "--on", "R02", "--data", "demo", "--tau", "inf",
            ],
            &["--tau", "not a finite number"],
        ),
        (
            "--hhi-imports NaN",
            &[
                "trade",
                "depend",
                "C01",
                "--input",
                "y2020.csv",
                "--hhi-imports",
                "NaN",
            ],
            &["--hhi-imports", "not a finite number"],
        ),
        (
            "--ratio NaN",
            &[
                "trade",
                "depend",
                "C01",
                "--input",
                "y2020.csv",
                "--ratio",
                "NaN",
            ],
            &["--ratio", "not a finite number"],
        ),
        (
            "--hhi-world 1.5",
            &[
                "trade",
                "depend",
                "C01",
                "--input",
                "y2020.csv",
                "--hhi-world",
                "1.5",
            ],
            &["between 0 and 1"],
        ),
        (
            "EU as of 1800-01-01",
            &["blocs", "show", "EU", "--as-of", "1800-01-01"],
            &["EU", "recorded from 1958-01-01"],
        ),
        (
            "a read outside the store",
            &["info", "../../elsewhere/ds"],
            &["not a dataset name"],
        ),
        (
            "matrix --out x.txt",
            &["matrix", "demo", "x", "--out", "x.txt"],
            &[".npy", ".csv"],
        ),
        (
            "--format json --out x.csv",
            &["info", "demo", "--format", "json", "--out", "x.csv"],
            &[".csv", "--format json"],
        ),
        (
            "--on the same country",
            &["depend", "R01", "--on", "R01", "--data", "demo"],
            &["overlap"],
        ),
    ] {
        let r = run(args);
        let code = if name == "a read outside the store" || name.starts_with("EU as of") {
            r.code.unwrap_or(2)
        } else {
            2
        };
        t.error(name, &r, code, needles, true);
        if name == "matrix --out x.txt" {
            assert!(!w.join("x.txt").exists());
        }
    }
    // Resume: a partial of another sweep, or garbage, is refused and left as it was.
    let base = [
        "shock", "R01", "--on", "R02", "--data", "demo", "--format", "csv", "--out", "r.csv",
        "--resume",
    ];
    let mut first = base.to_vec();
    first.extend(["--sweep", "tau=0.1,0.2"]);
    let r = run(&first[..first.len()]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let whole = std::fs::read_to_string(w.join("r.csv")).unwrap();
    for (name, content, sweep, needle) in [
        (
            "--resume on another sweep's partial",
            whole.clone(),
            "tau=0.3,0.4",
            "another run",
        ),
        (
            "--resume on a partial with a garbage line",
            format!("{whole}garbage\n"),
            "tau=0.1,0.2",
            "not a row of this run",
        ),
        (
            "--resume on a partial with a second header",
            {
                let mut lines: Vec<&str> = whole.lines().collect();
                let header = lines
                    .iter()
                    .find(|l| l.starts_with("scenario,"))
                    .copied()
                    .unwrap();
                lines.push(header);
                lines.join("\n") + "\n"
            },
            "tau=0.1,0.2",
            "second header",
        ),
        (
            "--resume on JSON lines in a CSV partial",
            "{\"kind\":\"shock\"}\n".to_string(),
            "tau=0.1,0.2",
            "no '# run:'",
        ),
    ] {
        let partial = w.join("r2.csv.partial");
        std::fs::write(&partial, &content).unwrap();
        let mut args = base.to_vec();
        *args.iter_mut().find(|a| **a == "r.csv").unwrap() = "r2.csv";
        args.extend(["--sweep", sweep]);
        let r = run(&args);
        let intact = std::fs::read_to_string(&partial).ok().as_deref() == Some(content.as_str())
            && !w.join("r2.csv").exists();
        t.error(name, &r, 2, &[needle, "r2.csv.partial, line"], intact);
    }
    // A scenario cut midway runs again; the result equals an uninterrupted run.
    let cut_at = whole.len() - 20;
    std::fs::write(w.join("r3.csv.partial"), &whole[..cut_at]).unwrap();
    let mut args = base.to_vec();
    *args.iter_mut().find(|a| **a == "r.csv").unwrap() = "r3.csv";
    args.extend(["--sweep", "tau=0.1,0.2"]);
    let r = run(&args);
    let resumed = std::fs::read_to_string(w.join("r3.csv")).unwrap_or_default();
    t.safe(
        "--resume after a scenario cut midway",
        &r,
        r.code == Some(0),
        resumed == whole,
        "equal to an uninterrupted run",
    );
    // Trade values that would overflow, implausible years, empty files.
    for (name, text, needles) in [
        (
            "two 1e308 trade values",
            format!("{TRADE_HEAD}2020,C01,C02,010101,1e308\n2020,C03,C02,010101,1e308\n"),
            &["row 2", "value", "implausibly large"][..],
        ),
        (
            "trade year 0",
            format!("{TRADE_HEAD}0,C01,C02,010101,5\n"),
            &["row 2", "year", "plausible year"],
        ),
        (
            "trade year -5",
            format!("{TRADE_HEAD}-5,C01,C02,010101,5\n"),
            &["row 2", "year"],
        ),
        (
            "a header-only trade file",
            TRADE_HEAD.to_string(),
            &["header-only.csv", "nothing to import"],
        ),
        (
            "an all-zero trade file",
            format!("{TRADE_HEAD}2020,C01,C02,010101,0\n2020,C01,C03,010101,-0\n"),
            &["nothing to import"],
        ),
    ] {
        let f = write(
            w,
            if name.contains("header-only") {
                "header-only.csv"
            } else {
                "t.csv"
            },
            &text,
        );
        let before = snapshot(&store_dir);
        let r = run(&[
            "trade",
            "import",
            f.to_str().unwrap(),
            "--store",
            store_dir.to_str().unwrap(),
        ]);
        let mut n = needles.to_vec();
        let file = f.file_name().unwrap().to_str().unwrap().to_string();
        n.push(&file);
        t.error(name, &r, 1, &n, snapshot(&store_dir) == before);
    }
    // Complexity on degenerate inputs.
    let same = write(
        w,
        "same.csv",
        "year,exporter,product,value\n2020,A,p1,1\n2020,A,p2,2\n2020,B,p1,1\n2020,B,p2,2\n2020,C,p1,1\n2020,C,p2,2\n",
    );
    let r = run(&["complexity", "--input", same.to_str().unwrap()]);
    t.error(
        "complexity on identical countries",
        &r,
        1,
        &["year 2020"],
        !r.stdout.contains("NaN"),
    );
    let hdr = write(w, "hdr.csv", "year,exporter,product,value\n");
    let r = run(&["complexity", "--input", hdr.to_str().unwrap()]);
    t.error(
        "complexity on a header-only file",
        &r,
        1,
        &["hdr.csv", "no rows"],
        true,
    );
    let huge = write(
        w,
        "huge.csv",
        "year,exporter,product,value\n2020,A,p1,1e308\n2020,B,p1,1e308\n2020,A,p2,1\n",
    );
    let r = run(&["complexity", "--input", huge.to_str().unwrap()]);
    t.error(
        "complexity with values that overflow",
        &r,
        1,
        &["huge.csv", "implausibly large"],
        true,
    );
    // Tables without output: refused when built, so they can never be imported.
    let zero = synth::table(
        "zero",
        synth::Spec {
            regions: 2,
            sectors: 2,
            ..Default::default()
        },
    )
    .unwrap();
    let parts = sovra_core::table::Parts {
        labels: zero.labels.clone(),
        z: sovra_core::Dense::zeros(4, 4),
        y: sovra_core::Dense::zeros(4, zero.labels.final_demand.len()),
        x: None,
        v: None,
        f: None,
        f_y: None,
        provenance: zero.provenance.clone(),
    };
    t.lib_error(
        "an all-zero table",
        sovra_core::Mrio::from_parts(parts, Default::default())
            .map(|_| ())
            .map_err(|e| e.to_string()),
        &["no node has any output"],
    );

    // ---- Unclear errors ----
    let r = run(&[
        "depend",
        "R01",
        "--on",
        "R02",
        "--data",
        "demo",
        "--out",
        "/proc/version",
    ]);
    t.error(
        "--out /proc/version",
        &r,
        1,
        &["/proc/version", "cannot create a file in /proc"],
        true,
    );
    let afile = write(w, "afile", "x");
    let r = run(&[
        "trade",
        "import",
        y2020.to_str().unwrap(),
        "--store",
        afile.to_str().unwrap(),
    ]);
    t.error(
        "--store naming a file",
        &r,
        1,
        &["afile", "not a trade store directory"],
        std::fs::read_to_string(&afile).unwrap() == "x",
    );
    // A meta.json naming another dataset, and an .npy whose dtype is not f64.
    let copy = h.join("datasets").join("copy");
    let src = std::fs::canonicalize(h.join("datasets").join("demo")).unwrap();
    std::fs::create_dir_all(&copy).unwrap();
    for e in std::fs::read_dir(&src).unwrap().flatten() {
        std::fs::copy(e.path(), copy.join(e.file_name())).unwrap();
    }
    let r = run(&["info", "copy"]);
    t.error(
        "a meta.json naming another dataset",
        &r,
        1,
        &["copy", "demo"],
        true,
    );
    let meta = std::fs::read_to_string(copy.join("meta.json")).unwrap();
    std::fs::write(
        copy.join("meta.json"),
        meta.replacen("\"name\": \"demo\"", "\"name\": \"copy\"", 1),
    )
    .unwrap();
    let mut x = std::fs::read(copy.join("x.npy")).unwrap();
    let at = x.windows(3).position(|w| w == b"<f8").unwrap();
    x[at + 2] = b'4';
    std::fs::write(copy.join("x.npy"), &x).unwrap();
    let r = run(&["info", "copy"]);
    t.error(
        "an .npy whose dtype says <f4",
        &r,
        1,
        &["x.npy", "<f4"],
        true,
    );

    // A Parquet file of the store cut to nothing, or overwritten with garbage: an error naming the file,
    // never a year that looks empty.
    let parquet: Vec<PathBuf> = snapshot(&store_dir)
        .into_iter()
        .map(|(p, _)| p)
        .filter(|p| {
            p.extension().is_some_and(|e| e == "parquet")
                && p.to_string_lossy().contains("year=2022")
        })
        .collect();
    assert!(!parquet.is_empty(), "no Parquet file for 2022 in the store");
    for (name, bytes) in [
        ("a zero-length Parquet file in the store", Vec::new()),
        (
            "a corrupt Parquet file in the store",
            b"PAR1 this is not a parquet file PAR1".to_vec(),
        ),
    ] {
        std::fs::write(&parquet[0], &bytes).unwrap();
        let r = run(&[
            "trade",
            "depend",
            "C01",
            "--input",
            store_dir.to_str().unwrap(),
            "--year",
            "2022",
        ]);
        let file = parquet[0]
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        t.error(name, &r, 1, &[&file], true);
    }
    // The same country on both sides: the message says so and suggests nothing that fails again.
    let r = run(&["depend", "R01", "--on", "R01", "--data", "demo"]);
    t.error(
        "--on R01 for R01 suggests no empty expression",
        &r,
        2,
        &["overlap"],
        !r.stderr.contains("R01-R01"),
    );

    // ---- The tally ----
    let count = |o: Outcome| t.results.iter().filter(|(_, x, _)| *x == o).count();
    eprintln!(
        "adversarial: {} cases, {} clear errors or safe outcomes, {} panics, {} losses, {} hangs, {} silent wrong \
         results, {} unclear errors",
        t.results.len(),
        count(Outcome::Clear),
        count(Outcome::Panic),
        count(Outcome::Loss),
        count(Outcome::Hang),
        count(Outcome::SilentWrong),
        count(Outcome::Unclear)
    );
    let bad: Vec<String> = t
        .results
        .iter()
        .filter(|(_, o, _)| *o != Outcome::Clear)
        .map(|(n, o, d)| format!("{n}: {o:?} — {d}"))
        .collect();
    assert!(bad.is_empty(), "cases that misbehaved:\n{}", bad.join("\n"));
    assert!(t.results.len() >= 40, "{} cases", t.results.len());
}
