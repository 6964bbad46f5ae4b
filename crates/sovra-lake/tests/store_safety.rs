//! The trade store under concurrency, failures and kills: one import at a time (a second one waits or is
//! told who holds the store, and no year is lost); a multi-file import that fails late leaves the store as
//! it was; implausible years are refused; empty or corrupt Parquet files are errors naming the file; the
//! manifest may only point inside the store; stores written before versions are read and migrated; and an
//! import killed (`SIGKILL`) at 20 points leaves the store as it was before or as it is after, with the next
//! import cleaning what it left.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use sovra_core::lock::{self, Wait};
use sovra_lake::import::{ImportOptions, ImportReport, import_with};
use sovra_lake::query::load;
use sovra_lake::store::{self, MANIFEST, Manifest, Store};

const HEAD: &str = "year,exporter,importer,product,value\n";

/// How long an import in these tests waits for the store's lock. Not `Wait::No`: this test binary spawns
/// child processes from other threads, and a child holds a copy of every open descriptor — the lock's too —
/// between its fork and its exec, so a lock just released can look held for a moment. Only the tests of a
/// held lock use `Wait::No`.
const SOON: Wait = Wait::For(Duration::from_secs(10));

fn opts() -> ImportOptions {
    ImportOptions {
        batch_rows: 7,
        row_group_rows: 16,
        memory_limit: 256 << 20,
    }
}

/// Imports long-format files (or BACI with `codes`) into `store_dir`, waiting as `wait` says.
fn import(
    files: &[PathBuf],
    codes: Option<&std::collections::HashMap<u32, String>>,
    store_dir: &Path,
    wait: Wait,
) -> sovra_lake::Result<ImportReport> {
    import_with(files, codes, store_dir, &opts(), wait, &|_| {})
}

/// A long-format file of `year` with `n` flows whose values depend on `seed`.
fn flows(dir: &Path, file: &str, year: i32, n: usize, seed: u64) -> PathBuf {
    let mut text = String::from(HEAD);
    for i in 0..n {
        text.push_str(&format!(
            "{year},C{:02},D{:02},{:06},{}\n",
            i % 7,
            i / 7 % 11,
            i,
            (i as u64 * 31 + seed) % 997 + 1
        ));
    }
    let p = dir.join(file);
    std::fs::write(&p, text).unwrap();
    p
}

/// A row as codes and the value's bits.
type Row = (String, String, String, u64);

/// Per year: the files it came from, and its rows.
type Content = BTreeMap<i32, (Vec<String>, Vec<Row>)>;

/// What the store holds, as readers see it: per year, the sources and every row.
fn content(dir: &Path) -> Content {
    let s = Store::open(dir).unwrap();
    let (b, _) = load(&s, &s.years(), 1 << 30).unwrap();
    let mut out: Content = s
        .manifest
        .years
        .iter()
        .map(|(y, e)| (*y, (e.sources.clone(), Vec::new())))
        .collect();
    for &(t, e, j, p, v) in &b.rows {
        out.get_mut(&t).unwrap().1.push((
            b.countries[e as usize].clone(),
            b.countries[j as usize].clone(),
            b.products[p as usize].clone(),
            v.to_bits(),
        ));
    }
    for v in out.values_mut() {
        v.1.sort();
    }
    out
}

/// What a killed import may leave: staging directories, temporary manifests, the writer file, versions
/// the manifest does not list, and replaced files of a year it lists in a version.
fn leftovers(dir: &Path) -> Vec<String> {
    let m = Manifest::read(dir).unwrap();
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            out.push(name);
            continue;
        }
        let Some(year) = name.strip_prefix("year=").and_then(|y| y.parse().ok()) else {
            continue;
        };
        if !e.file_type().unwrap().is_dir() {
            continue;
        }
        let entry = m.years.get(&year);
        for c in std::fs::read_dir(e.path()).unwrap() {
            let c = c.unwrap().file_name().to_string_lossy().into_owned();
            let listed = entry.is_some_and(|e| match &e.dir {
                Some(d) => d.ends_with(&format!("/{c}")),
                None => c.ends_with(".parquet"),
            });
            if !listed {
                out.push(format!("{name}/{c}"));
            }
        }
    }
    out.sort();
    out
}

/// Rewrites a store in the layout of sovra before versions: files directly in `year=Y/`, manifest
/// version 1.
fn to_legacy(dir: &Path) {
    let mut m = Manifest::read(dir).unwrap();
    for (y, e) in m.years.iter_mut() {
        let vdir = dir.join(e.dir.take().unwrap());
        for f in std::mem::take(&mut e.files) {
            std::fs::rename(vdir.join(&f), store::year_dir(dir, *y).join(f)).unwrap();
        }
        std::fs::remove_dir(vdir).unwrap();
    }
    m.version = 1;
    std::fs::write(
        dir.join(MANIFEST),
        serde_json::to_string_pretty(&m).unwrap(),
    )
    .unwrap();
}

#[test]
fn concurrent_imports_keep_every_year() {
    let tmp = tempfile::tempdir().unwrap();
    let store_dir = tmp.path().join("store");
    let files: Vec<PathBuf> = (0..4)
        .map(|i| flows(tmp.path(), &format!("y{i}.csv"), 2010 + i, 200, i as u64))
        .collect();
    std::thread::scope(|s| {
        for f in &files {
            let store_dir = &store_dir;
            s.spawn(move || {
                import(std::slice::from_ref(f), None, store_dir, Wait::Forever).unwrap()
            });
        }
    });
    let st = Store::open(&store_dir).unwrap();
    assert_eq!(st.years(), vec![2010, 2011, 2012, 2013]);
    let c = content(&store_dir);
    assert!(c.values().all(|(_, rows)| rows.len() == 200));
    assert!(
        leftovers(&store_dir).is_empty(),
        "{:?}",
        leftovers(&store_dir)
    );
}

#[test]
fn a_second_import_waits_or_is_told_who_holds_the_store() {
    let tmp = tempfile::tempdir().unwrap();
    let store_dir = tmp.path().join("store");
    let a = flows(tmp.path(), "a.csv", 2020, 20, 1);
    let b = flows(tmp.path(), "b.csv", 2021, 20, 2);
    import(std::slice::from_ref(&a), None, &store_dir, SOON).unwrap();
    let before = std::fs::read(store_dir.join(MANIFEST)).unwrap();
    let held = store::lock(&store_dir, Wait::No).unwrap();
    let e = import(std::slice::from_ref(&b), None, &store_dir, Wait::No)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains(&format!("pid {}", std::process::id()))
            && e.contains("a trade import")
            && e.contains("--wait"),
        "{e}"
    );
    let t0 = Instant::now();
    let e = import(
        std::slice::from_ref(&b),
        None,
        &store_dir,
        Wait::For(Duration::from_millis(200)),
    )
    .unwrap_err()
    .to_string();
    assert!(
        t0.elapsed() >= Duration::from_millis(200) && e.contains("gave up after waiting"),
        "{e}"
    );
    assert_eq!(std::fs::read(store_dir.join(MANIFEST)).unwrap(), before);
    // A waiting import goes ahead once the holder is done.
    std::thread::scope(|s| {
        let waiting = s.spawn(|| import(std::slice::from_ref(&b), None, &store_dir, Wait::Forever));
        std::thread::sleep(Duration::from_millis(100));
        assert!(!waiting.is_finished());
        drop(held);
        waiting.join().unwrap().unwrap();
    });
    assert_eq!(Store::open(&store_dir).unwrap().years(), vec![2020, 2021]);
}

#[test]
fn a_multi_file_import_failing_late_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let store_dir = tmp.path().join("store");
    let old = vec![
        flows(tmp.path(), "old21.csv", 2021, 50, 1),
        flows(tmp.path(), "old22.csv", 2022, 50, 2),
    ];
    import(&old, None, &store_dir, SOON).unwrap();
    let before = content(&store_dir);
    let manifest = std::fs::read(store_dir.join(MANIFEST)).unwrap();
    // 2022 is placed first; 2023 cannot be (something that is not a directory is in the way): the import
    // fails after 2022's new partition is in place, before the commit.
    std::fs::write(store::year_dir(&store_dir, 2023), "in the way").unwrap();
    let new = vec![
        flows(tmp.path(), "new22.csv", 2022, 60, 3),
        flows(tmp.path(), "new23.csv", 2023, 60, 4),
    ];
    let e = import(&new, None, &store_dir, SOON)
        .unwrap_err()
        .to_string();
    assert!(e.contains("year=2023"), "{e}");
    assert_eq!(std::fs::read(store_dir.join(MANIFEST)).unwrap(), manifest);
    assert_eq!(content(&store_dir), before);
    assert!(
        leftovers(&store_dir).is_empty(),
        "{:?}",
        leftovers(&store_dir)
    );
    // Once the way is clear, the same import goes through, whole.
    std::fs::remove_file(store::year_dir(&store_dir, 2023)).unwrap();
    let rep = import(&new, None, &store_dir, SOON).unwrap();
    assert_eq!(rep.replaced, vec![2022]);
    let after = content(&store_dir);
    assert_eq!(after[&2021], before[&2021]);
    assert_eq!(after[&2022].1.len(), 60);
    assert_eq!(after[&2023].1.len(), 60);
    assert!(
        leftovers(&store_dir).is_empty(),
        "{:?}",
        leftovers(&store_dir)
    );
}

#[test]
fn implausible_years_are_refused_naming_file_line_and_column() {
    let tmp = tempfile::tempdir().unwrap();
    let store_dir = tmp.path().join("store");
    let good = flows(tmp.path(), "good.csv", 2022, 10, 1);
    import(std::slice::from_ref(&good), None, &store_dir, SOON).unwrap();
    let manifest = std::fs::read(store_dir.join(MANIFEST)).unwrap();
    for (year, line) in [("0", 3), ("-5", 3), ("12022", 3)] {
        let bad = tmp.path().join("years.csv");
        std::fs::write(
            &bad,
            format!("{HEAD}2023,AAA,BBB,010101,5\n{year},AAA,CCC,010101,2\n"),
        )
        .unwrap();
        let e = import(std::slice::from_ref(&bad), None, &store_dir, SOON)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("years.csv")
                && e.contains(&format!("row {line}"))
                && e.contains("column year")
                && e.contains(&format!("{year} is not a plausible year")),
            "{e}"
        );
        assert_eq!(std::fs::read(store_dir.join(MANIFEST)).unwrap(), manifest);
        assert!(!store::year_dir(&store_dir, 2023).exists());
    }
    // BACI's year column is `t`.
    let codes = tmp.path().join("codes.csv");
    std::fs::write(
        &codes,
        "country_code,country_name,country_iso2,country_iso3\n4,A,AA,AAA\n8,B,BB,BBB\n",
    )
    .unwrap();
    let map = sovra_trade::bilateral::read_baci_codes(&codes).unwrap();
    let baci = tmp.path().join("baci.csv");
    std::fs::write(&baci, "t,i,j,k,v,q\n0,4,8,010101,1.0,\n").unwrap();
    let e = import(std::slice::from_ref(&baci), Some(&map), &store_dir, SOON)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("baci.csv") && e.contains("row 2") && e.contains("column t"),
        "{e}"
    );
}

#[test]
fn empty_or_corrupt_parquet_files_are_errors_naming_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let store_dir = tmp.path().join("store");
    let f = flows(tmp.path(), "f.csv", 2022, 40, 1);
    import(std::slice::from_ref(&f), None, &store_dir, SOON).unwrap();
    let s = Store::open(&store_dir).unwrap();
    let file = s.year_files(2022).unwrap().remove(0);
    let good = std::fs::read(&file).unwrap();
    let name = file.display().to_string();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("zero-length", Vec::new(), "empty file (0 bytes)"),
        (
            "garbage",
            b"PAR1 this is not parquet PAR1".to_vec(),
            "not a readable Parquet file",
        ),
        (
            "truncated",
            good[..good.len() / 2].to_vec(),
            "not a readable Parquet file",
        ),
    ];
    for (what, bytes, expect) in cases {
        std::fs::write(&file, bytes).unwrap();
        let e = load(&s, &[2022], 1 << 30).unwrap_err().to_string();
        assert!(e.contains(&name) && e.contains(expect), "{what}: {e}");
    }
    // A file that reads but holds other rows than the manifest records.
    let other = tmp.path().join("other");
    import(
        &[flows(tmp.path(), "g.csv", 2022, 10, 2)],
        None,
        &other,
        SOON,
    )
    .unwrap();
    let other_file = Store::open(&other).unwrap().year_files(2022).unwrap()[0].clone();
    std::fs::copy(other_file, &file).unwrap();
    let e = load(&s, &[2022], 1 << 30).unwrap_err().to_string();
    assert!(e.contains("hold 10 rows, the manifest records 40"), "{e}");
    std::fs::write(&file, good).unwrap();
    assert_eq!(load(&s, &[2022], 1 << 30).unwrap().1.rows, 40);
}

#[test]
fn the_manifest_may_only_point_inside_the_store() {
    let tmp = tempfile::tempdir().unwrap();
    let store_dir = tmp.path().join("store");
    let f = flows(tmp.path(), "f.csv", 2022, 10, 1);
    import(std::slice::from_ref(&f), None, &store_dir, SOON).unwrap();
    let text = std::fs::read_to_string(store_dir.join(MANIFEST)).unwrap();
    let dir = Manifest::read(&store_dir).unwrap().years[&2022]
        .dir
        .clone()
        .unwrap();
    for (bad, what) in [
        ("../../elsewhere".to_string(), "directory"),
        ("year=2021/v-x".to_string(), "directory"),
        ("year=2022/..".to_string(), "directory"),
        (format!("{dir}/../../x"), "directory"),
    ] {
        std::fs::write(
            store_dir.join(MANIFEST),
            text.replace(&format!("\"{dir}\""), &format!("\"{bad}\"")),
        )
        .unwrap();
        let e = Store::open(&store_dir).unwrap_err().to_string();
        assert!(
            e.contains(what) && e.contains("must lie in year=2022/"),
            "{bad}: {e}"
        );
    }
    std::fs::write(
        store_dir.join(MANIFEST),
        text.replace("part-0.parquet", "../../../etc/passwd"),
    )
    .unwrap();
    let e = Store::open(&store_dir).unwrap_err().to_string();
    assert!(e.contains("file '../../../etc/passwd'"), "{e}");
}

#[test]
fn stores_written_before_versions_are_read_and_migrated() {
    let tmp = tempfile::tempdir().unwrap();
    let store_dir = tmp.path().join("store");
    let files = vec![
        flows(tmp.path(), "a.csv", 2021, 30, 1),
        flows(tmp.path(), "b.csv", 2022, 30, 2),
    ];
    import(&files, None, &store_dir, SOON).unwrap();
    let before = content(&store_dir);
    to_legacy(&store_dir);
    assert_eq!(Manifest::read(&store_dir).unwrap().version, 1);
    assert_eq!(content(&store_dir), before);
    // Leftovers of an older sovra killed mid-import: a dead process's staging directory and temporary
    // manifest go; a running process's stay.
    let dead = {
        let mut c = Command::new("true").spawn().unwrap();
        let pid = c.id();
        c.wait().unwrap();
        pid
    };
    let me = std::process::id();
    std::fs::create_dir(store_dir.join(format!(".import-{dead}-123"))).unwrap();
    std::fs::write(store_dir.join(format!(".{MANIFEST}.{dead}")), "{").unwrap();
    std::fs::create_dir(store_dir.join(format!(".import-{me}-456"))).unwrap();
    let rep = import(
        &[flows(tmp.path(), "c.csv", 2022, 25, 3)],
        None,
        &store_dir,
        SOON,
    )
    .unwrap();
    assert_eq!(rep.replaced, vec![2022]);
    let mut cleaned = rep.cleaned.clone();
    cleaned.sort();
    assert_eq!(
        cleaned,
        vec![format!(".import-{dead}-123"), format!(".{MANIFEST}.{dead}")]
    );
    let m = Manifest::read(&store_dir).unwrap();
    assert_eq!(m.version, store::MANIFEST_VERSION);
    assert!(m.years[&2021].dir.is_none() && m.years[&2022].dir.is_some());
    let after = content(&store_dir);
    assert_eq!(after[&2021], before[&2021]);
    assert_eq!(after[&2022].1.len(), 25);
    // The replaced year's old files are gone; the running process's staging directory stays.
    assert_eq!(leftovers(&store_dir), vec![format!(".import-{me}-456")]);
}

// ---- kill -9 during an import -----------------------------------------------------------------------------

const CHILD: &str = "SOVRA_TRADE_KILL_CHILD";

/// How long the child stays at each step it announces.
const PAUSE: Duration = Duration::from_millis(10);

/// The files the child imports: a new 2022 (replacing one) and a new 2023.
fn child_inputs(dir: &Path) -> Vec<PathBuf> {
    vec![dir.join("new22.csv"), dir.join("new23.csv")]
}

/// Run as a child process by the kill test (does nothing otherwise): imports two files into the store
/// named by the variable, announcing each step on stderr and resting briefly there.
#[test]
fn kill_child_imports_two_files() {
    let Some(spec) = std::env::var_os(CHILD) else {
        return;
    };
    let spec = PathBuf::from(spec);
    lock::fault::set_hook(|step| {
        eprintln!("step {step}");
        std::thread::sleep(PAUSE);
    });
    eprintln!("ready");
    let inputs = child_inputs(spec.parent().unwrap());
    import(&inputs, None, &spec, SOON).unwrap();
    eprintln!("done");
}

fn spawn_child(store_dir: &Path) -> (std::process::Child, mpsc::Receiver<(Instant, String)>) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "kill_child_imports_two_files",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, store_dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let err = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(err).lines() {
            let Ok(line) = line else { break };
            if tx.send((Instant::now(), line)).is_err() {
                break;
            }
        }
    });
    (child, rx)
}

fn wait_for(rx: &mpsc::Receiver<(Instant, String)>, what: &str, nth: usize) -> Instant {
    let mut seen = 0;
    loop {
        let (at, line) = rx
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("the child never said '{what}' ({nth})"));
        if line.starts_with(what) {
            if seen == nth {
                return at;
            }
            seen += 1;
        }
    }
}

/// A store holding the old 2021 and 2022, in `dir/store`, with the child's inputs beside it.
fn before_store(dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let old = vec![
        flows(dir, "old21.csv", 2021, 80, 1),
        flows(dir, "old22.csv", 2022, 80, 2),
    ];
    flows(dir, "new22.csv", 2022, 90, 3);
    flows(dir, "new23.csv", 2023, 90, 4);
    let store_dir = dir.join("store");
    import(&old, None, &store_dir, SOON).unwrap();
    store_dir
}

#[test]
fn an_import_killed_anywhere_leaves_the_store_before_or_after() {
    if std::env::var_os(CHILD).is_some() {
        return;
    }
    let started = Instant::now();
    let scratch = tempfile::tempdir().unwrap();
    // Every run uses the same input paths (the manifest records them), so the states compare exactly.
    let base = scratch.path().join("base");
    let calibration = before_store(&base);
    let before = content(&calibration);
    let steps = {
        let (mut child, rx) = spawn_child(&calibration);
        wait_for(&rx, "ready", 0);
        let mut lines = Vec::new();
        loop {
            let (at, line) = rx.recv_timeout(Duration::from_secs(60)).unwrap();
            let end = line == "done";
            lines.push((at, line));
            if end {
                break;
            }
        }
        assert!(child.wait().unwrap().success());
        lines
            .windows(2)
            .map(|w| (w[0].1.clone(), w[1].0 - w[0].0))
            .collect::<Vec<_>>()
    };
    let after = content(&calibration);
    assert_ne!(before, after);
    assert!(steps.len() >= 8, "{steps:?}");
    eprintln!("steps of an import: {steps:?}");
    let extra = flows(scratch.path(), "extra.csv", 2030, 5, 9);
    let mut points: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut rng = sovra_core::synth::Rng::new(11);
    for run in 0..20 {
        // The same paths every run: rebuild the before-state in `base`.
        std::fs::remove_dir_all(&calibration).unwrap();
        let store_dir = before_store(&base);
        if run % 2 == 1 {
            to_legacy(&store_dir);
        }
        assert_eq!(content(&store_dir), before);
        let (mut child, rx) = spawn_child(&store_dir);
        wait_for(&rx, "ready", 0);
        // As in the dataset store's test: the first runs at a random moment of step i, the others while
        // the child rests at a step, from the last backwards.
        let len = steps.len();
        let (k, window) = if run < len {
            (run, steps[run].1)
        } else {
            let k = len - 1 - (run - len) % len;
            (k, steps[k].1.min(PAUSE / 2))
        };
        let announced = wait_for(&rx, "step ", k);
        let at = window.mul_f64(rng.uniform());
        std::thread::sleep((announced + at).saturating_duration_since(Instant::now()));
        child.kill().unwrap();
        child.wait().unwrap();
        let mut last = steps[k].0.trim_start_matches("step ").to_string();
        while let Ok((_, line)) = rx.recv_timeout(Duration::from_millis(200)) {
            if let Some(step) = line.strip_prefix("step ") {
                last = step.to_string();
            } else if line == "done" {
                last = "done".into();
            }
        }
        let seen = content(&store_dir);
        let is_new = seen == after;
        assert!(
            is_new || seen == before,
            "run {run}, killed after '{last}': the store is neither before nor after: {:?}",
            seen.keys().collect::<Vec<_>>()
        );
        let e = points.entry(last.clone()).or_default();
        if is_new {
            e.1 += 1
        } else {
            e.0 += 1
        }
        // The next import (of another year) cleans what the killed one left, and changes nothing else.
        let left = leftovers(&store_dir);
        let rep = import(std::slice::from_ref(&extra), None, &store_dir, SOON).unwrap();
        assert!(
            leftovers(&store_dir).is_empty(),
            "run {run}, killed after '{last}': left {left:?}, then {:?}",
            leftovers(&store_dir)
        );
        let mut now = content(&store_dir);
        now.remove(&2030);
        assert_eq!(now, seen, "run {run}");
        eprintln!(
            "run {run}: killed {:.1} ms into step {k} ({:.1} ms), after '{last}': {} state, left {left:?}, cleaned {:?}",
            at.as_secs_f64() * 1e3,
            steps[k].1.as_secs_f64() * 1e3,
            if is_new { "after" } else { "before" },
            rep.cleaned
        );
    }
    eprintln!("kill points (before, after): {points:?}");
    let olds: usize = points.values().map(|p| p.0).sum();
    let news: usize = points.values().map(|p| p.1).sum();
    assert!(
        olds > 0 && news > 0 && points.len() >= 6,
        "the kills did not spread over the import: {points:?}"
    );
    // Around the commit: both years placed but the manifest not yet replaced (before, two versions to
    // clean), and the manifest replaced but the old 2022 not yet removed (after, the old 2022 to clean).
    assert!(
        points.get("trade: placed a year").is_some_and(|p| p.0 > 0),
        "{points:?}"
    );
    assert!(
        points.get("trade: committed").is_some_and(|p| p.1 > 0),
        "{points:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(180));
}
