//! The dataset store under misuse, concurrency and kills: replacing needs `WriteMode::Replace`; reads are
//! confined to the store and check `meta.json` against its folder; concurrent writers and readers see whole
//! datasets; datasets of older sovra versions are read, migrated, and their leftovers cleaned or put back;
//! and a writer killed (`SIGKILL`) at 20 points of a replacement leaves the old dataset or the new one,
//! byte for byte, with the next write cleaning what it left.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use sovra_core::lock::{self, Wait};
use sovra_core::store::{self, WriteMode};
use sovra_core::{Error, Mrio, synth};

fn table(name: &str, seed: u64, regions: usize) -> Mrio {
    synth::table(
        name,
        synth::Spec {
            regions,
            sectors: 5,
            seed,
            ..Default::default()
        },
    )
    .unwrap()
}

/// sha256 over the names and bytes of every file of `datasets/NAME` (through its link); `None` when absent.
fn state(home: &Path, name: &str) -> Option<String> {
    let dir = store::dataset_dir(home, name);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .ok()?
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut h = Sha256::new();
    for f in files {
        h.update(f.file_name().unwrap().as_encoded_bytes());
        h.update(std::fs::read(&f).unwrap());
    }
    Some(format!("{:x}", h.finalize()))
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// Everything a write may leave behind if killed: hidden entries in `datasets/`, links in flight,
/// versions no link points to.
fn leftovers(home: &Path) -> Vec<String> {
    let mut out: Vec<String> = names_in(&home.join("datasets"))
        .into_iter()
        .filter(|n| n.starts_with('.'))
        .collect();
    out.extend(
        names_in(&home.join(".datasets/tmp"))
            .into_iter()
            .map(|n| format!("tmp/{n}")),
    );
    let linked: Vec<String> = names_in(&home.join("datasets"))
        .iter()
        .filter_map(|n| std::fs::read_link(home.join("datasets").join(n)).ok())
        .map(|t| t.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    out.extend(
        names_in(&home.join(".datasets/versions"))
            .into_iter()
            .filter(|v| !linked.contains(v))
            .map(|n| format!("versions/{n}")),
    );
    out
}

/// Rewrites dataset `name` in the layout of older sovra: a plain directory `datasets/NAME`.
fn to_legacy(home: &Path, name: &str) {
    let link = store::dataset_dir(home, name);
    let target = home
        .join("datasets")
        .join(std::fs::read_link(&link).unwrap());
    std::fs::remove_file(&link).unwrap();
    std::fs::rename(target, &link).unwrap();
    assert!(std::fs::symlink_metadata(&link).unwrap().is_dir());
}

/// A PID that was used a moment ago and whose process is gone.
fn dead_pid() -> u32 {
    let mut c = Command::new("true").spawn().unwrap();
    let pid = c.id();
    c.wait().unwrap();
    pid
}

#[test]
fn an_existing_name_needs_replace_and_is_left_intact() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let one = table("demo", 1, 3);
    store::write(h, &one, WriteMode::CreateNew).unwrap();
    let before = state(h, "demo").unwrap();
    let two = table("demo", 2, 3);
    let e = store::write(h, &two, WriteMode::CreateNew).unwrap_err();
    assert!(matches!(e, Error::AlreadyExists { .. }), "{e}");
    let text = e.to_string();
    assert!(
        text.contains("'demo' already exists") && text.contains("--replace"),
        "{text}"
    );
    assert!(e.is_usage());
    assert_eq!(state(h, "demo").unwrap(), before);
    assert!(leftovers(h).is_empty(), "{:?}", leftovers(h));
    // Replace: the new table, one version, nothing else.
    store::write(h, &two, WriteMode::Replace).unwrap();
    assert_eq!(store::open(h, "demo").unwrap().z, two.z);
    assert_ne!(state(h, "demo").unwrap(), before);
    assert_eq!(names_in(&h.join("datasets")), ["demo"]);
    assert_eq!(names_in(&h.join(".datasets/versions")).len(), 1);
    assert!(leftovers(h).is_empty(), "{:?}", leftovers(h));
}

#[test]
fn reads_stay_in_the_store() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path().join("home");
    store::write(&h, &table("demo", 1, 2), WriteMode::CreateNew).unwrap();
    // A dataset outside the store, readable by a path-walking name if reads were not checked.
    let elsewhere = home.path().join("elsewhere");
    store::write(&elsewhere, &table("ds", 3, 2), WriteMode::CreateNew).unwrap();
    for name in [
        "../../elsewhere/datasets/ds",
        "../demo",
        "..",
        ".",
        "",
        "a/b",
        "/etc",
        ".datasets",
        elsewhere.join("datasets/ds").to_str().unwrap(),
    ] {
        let e = store::open(&h, name).unwrap_err();
        assert!(matches!(e, Error::Request(_)), "{name}: {e}");
        assert!(e.to_string().contains("not a dataset name"), "{name}: {e}");
    }
    // A link planted in datasets/ that leads out of the store.
    #[cfg(unix)]
    {
        let planted = h.join("datasets").join("ds");
        std::os::unix::fs::symlink(elsewhere.join("datasets/ds"), &planted).unwrap();
        let e = store::open(&h, "ds").unwrap_err().to_string();
        assert!(e.contains("reads stay inside the store"), "{e}");
        std::fs::remove_file(&planted).unwrap();
        std::os::unix::fs::symlink("../../elsewhere/datasets/ds", &planted).unwrap();
        let e = store::open(&h, "ds").unwrap_err().to_string();
        assert!(e.contains("reads stay inside the store"), "{e}");
    }
}

#[test]
fn a_meta_json_naming_another_dataset_is_refused() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let dir = store::write(h, &table("demo", 1, 2), WriteMode::CreateNew).unwrap();
    let meta = dir.join("meta.json");
    let text = std::fs::read_to_string(&meta).unwrap();
    std::fs::write(
        &meta,
        text.replace("\"name\": \"demo\"", "\"name\": \"icio2022\""),
    )
    .unwrap();
    for e in [
        store::open(h, "demo").unwrap_err(),
        store::list(h).unwrap_err(),
        store::read_meta(&dir).unwrap_err(),
        store::open_dir(&dir).unwrap_err(),
    ] {
        let e = e.to_string();
        assert!(
            e.contains("meta.json") && e.contains("'icio2022'") && e.contains("'demo'"),
            "{e}"
        );
    }
}

#[test]
fn older_datasets_are_read_migrated_and_their_leftovers_cleaned() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let one = table("old", 1, 2);
    store::write(h, &one, WriteMode::CreateNew).unwrap();
    to_legacy(h, "old");
    let before = state(h, "old").unwrap();
    assert_eq!(store::open(h, "old").unwrap().z, one.z);
    assert_eq!(store::list(h).unwrap().len(), 1);
    assert!(matches!(
        store::write(h, &one, WriteMode::CreateNew),
        Err(Error::AlreadyExists { .. })
    ));
    assert_eq!(state(h, "old").unwrap(), before);
    // Leftovers of an older sovra killed mid-write: a temporary folder and an old dataset set aside
    // between two renames (`gone` no longer exists); and the same names for a process still running.
    let datasets = h.join("datasets");
    store::write(h, &table("gone", 5, 2), WriteMode::CreateNew).unwrap();
    let gone_state = state(h, "gone").unwrap();
    to_legacy(h, "gone");
    let dead = dead_pid();
    std::fs::rename(
        datasets.join("gone"),
        datasets.join(format!(".gone.old-{dead}")),
    )
    .unwrap();
    std::fs::create_dir(datasets.join(format!(".x.tmp-{dead}"))).unwrap();
    let alive = std::process::id();
    std::fs::create_dir(datasets.join(format!(".y.tmp-{alive}"))).unwrap();
    // Replacing `old` swaps its directory for a link in one step and cleans the dead writer's leftovers.
    let two = table("old", 2, 2);
    store::write(h, &two, WriteMode::Replace).unwrap();
    assert!(
        std::fs::symlink_metadata(store::dataset_dir(h, "old"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(store::open(h, "old").unwrap().z, two.z);
    // The dataset set aside by the dead writer is back, byte for byte.
    assert_eq!(state(h, "gone").unwrap(), gone_state);
    assert_eq!(
        names_in(&datasets),
        [format!(".y.tmp-{alive}"), "gone".into(), "old".into()]
    );
    assert!(names_in(&h.join(".datasets/tmp")).is_empty());
}

#[test]
fn a_writer_killed_between_setting_aside_and_linking_gets_its_dataset_back() {
    // Without RENAME_EXCHANGE, an older dataset is set aside as a `@legacy-` version before the link takes
    // its place; this is the state a kill between the two leaves.
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    store::write(h, &table("old", 1, 2), WriteMode::CreateNew).unwrap();
    to_legacy(h, "old");
    let before = state(h, "old").unwrap();
    let parked = h
        .join(".datasets/versions")
        .join(format!("old@legacy-{}", "h00000000-b00000000-p1-s1-n0"));
    std::fs::rename(store::dataset_dir(h, "old"), &parked).unwrap();
    assert!(matches!(
        store::open(h, "old"),
        Err(Error::NoDataset { .. })
    ));
    store::write(h, &table("other", 2, 2), WriteMode::CreateNew).unwrap();
    assert_eq!(state(h, "old").unwrap(), before);
    assert!(leftovers(h).is_empty(), "{:?}", leftovers(h));
}

#[test]
fn concurrent_writers_and_readers_see_whole_datasets() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path().to_path_buf();
    let tables: Vec<Mrio> = (0..2).map(|s| table("shared", s, 4)).collect();
    store::write(&h, &tables[0], WriteMode::CreateNew).unwrap();
    let deadline = Instant::now() + Duration::from_millis(1500);
    std::thread::scope(|s| {
        // Two writers replacing one dataset, and writing one of their own each.
        for w in 0..2u64 {
            let (h, tables) = (&h, &tables);
            s.spawn(move || {
                let own = table(&format!("own{w}"), 10 + w, 3);
                store::write(h, &own, WriteMode::CreateNew).unwrap();
                let mut i = 0;
                while Instant::now() < deadline {
                    store::write(h, &tables[(i + w as usize) % 2], WriteMode::Replace).unwrap();
                    i += 1;
                }
            });
        }
        // Readers: every open returns one of the two tables, whole.
        for _ in 0..2 {
            let (h, tables) = (&h, &tables);
            s.spawn(move || {
                let mut reads = 0;
                while Instant::now() < deadline {
                    let t = store::open(h, "shared").unwrap();
                    assert!(
                        tables
                            .iter()
                            .any(|w| w.z == t.z && w.y == t.y && w.x == t.x)
                    );
                    reads += 1;
                }
                assert!(reads > 0);
            });
        }
    });
    assert_eq!(
        store::list(&h)
            .unwrap()
            .iter()
            .map(|m| m.name.as_str())
            .collect::<Vec<_>>(),
        ["own0", "own1", "shared"]
    );
    assert!(leftovers(&h).is_empty(), "{:?}", leftovers(&h));
}

#[test]
fn a_bounded_wait_for_a_held_store_names_the_holder() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    store::write(h, &table("demo", 1, 2), WriteMode::CreateNew).unwrap();
    let held = lock::WriteLock::acquire(
        &h.join(".datasets"),
        "writer",
        "a test holding it",
        Wait::No,
    )
    .unwrap();
    let e = store::write_with(
        h,
        &table("demo2", 2, 2),
        WriteMode::CreateNew,
        Wait::For(Duration::from_millis(150)),
    )
    .unwrap_err();
    let text = e.to_string();
    assert!(matches!(e, Error::Locked { .. }), "{text}");
    assert!(
        text.contains(&format!("pid {}", std::process::id()))
            && text.contains("a test holding it")
            && text.contains("gave up after waiting"),
        "{text}"
    );
    drop(held);
    // A bounded wait, not `Wait::No`: a child process another test thread forks while the lock was held keeps
    // a copy of its descriptor until it execs, so the lock may look held a moment after the drop.
    store::write_with(
        h,
        &table("demo2", 2, 2),
        WriteMode::CreateNew,
        Wait::For(std::time::Duration::from_secs(10)),
    )
    .unwrap();
}

// ---- kill -9 during a replacement -------------------------------------------------------------------------

const CHILD: &str = "SOVRA_STORE_KILL_CHILD";

/// How long the child stays at each step it announces.
const PAUSE: Duration = Duration::from_millis(10);

/// Run as a child process by the kill test (does nothing otherwise): replaces `demo` in the store named by
/// the variable, announcing each step on stderr and pausing briefly there so that kills land between
/// steps as well as inside them.
#[test]
fn kill_child_replaces_a_dataset() {
    let Some(home) = std::env::var_os(CHILD) else {
        return;
    };
    lock::fault::set_hook(|step| {
        eprintln!("step {step}");
        std::thread::sleep(PAUSE);
    });
    let t = table("demo", 2, 12);
    eprintln!("ready");
    store::write(Path::new(&home), &t, WriteMode::Replace).unwrap();
    eprintln!("done");
}

/// Starts the child, returning it and its stderr lines with the time they arrived.
fn spawn_child(home: &Path) -> (std::process::Child, mpsc::Receiver<(Instant, String)>) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "kill_child_replaces_a_dataset",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, home)
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

/// Waits for the child's line `what`, or its `nth` line starting with `what`; returns when it came.
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

/// The steps of one whole write, each with how long it lasts until the next one (or the end).
fn calibrate(h: &Path) -> Vec<(String, Duration)> {
    let (mut child, rx) = spawn_child(h);
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
        .collect()
}

#[test]
fn a_writer_killed_anywhere_leaves_the_old_or_the_new_dataset() {
    if std::env::var_os(CHILD).is_some() {
        return;
    }
    let started = Instant::now();
    let scratch = tempfile::tempdir().unwrap();
    let old = table("demo", 1, 12);
    let new = table("demo", 2, 12);
    // The two states, and the steps of the child's write with their durations.
    let (old_state, new_state, steps) = {
        let h = scratch.path().join("calibrate");
        store::write(&h, &old, WriteMode::CreateNew).unwrap();
        let old_state = state(&h, "demo").unwrap();
        let steps = calibrate(&h);
        (old_state, state(&h, "demo").unwrap(), steps)
    };
    assert_ne!(old_state, new_state);
    assert!(steps.len() >= 8, "{steps:?}");
    eprintln!("steps of a write: {steps:?}");
    let mut points: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut rng = synth::Rng::new(7);
    for run in 0..20 {
        let h = scratch.path().join(format!("run{run}"));
        store::write(&h, &old, WriteMode::CreateNew).unwrap();
        // Every other run starts from a dataset of older sovra (a plain directory).
        if run % 2 == 1 {
            to_legacy(&h, "demo");
        }
        assert_eq!(state(&h, "demo").unwrap(), old_state);
        let (mut child, rx) = spawn_child(&h);
        wait_for(&rx, "ready", 0);
        // The first runs are killed at a random moment of step i (between its announcement and the next
        // one's), so that every step and the work inside it is hit; the others, from the last step
        // backwards, while the child rests at a step, in the state the step left.
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
        let after = state(&h, "demo");
        let is_new = after.as_deref() == Some(new_state.as_str());
        assert!(
            is_new || after.as_deref() == Some(old_state.as_str()),
            "run {run}, killed after '{last}': the dataset is neither the old nor the new one ({after:?})"
        );
        let t = store::open(&h, "demo").unwrap();
        assert_eq!(t.z, if is_new { &new } else { &old }.z);
        let entry = points.entry(last.clone()).or_default();
        if is_new {
            entry.1 += 1
        } else {
            entry.0 += 1
        }
        // The next write (of another dataset) cleans what the dead writer left, and changes nothing else.
        let left = leftovers(&h);
        store::write(&h, &table("next", 3, 2), WriteMode::CreateNew).unwrap();
        assert!(
            leftovers(&h).is_empty(),
            "run {run}, killed after '{last}': left {left:?}, then {:?}",
            leftovers(&h)
        );
        assert_eq!(state(&h, "demo"), after);
        eprintln!(
            "run {run}: killed {:.1} ms into step {k} ({:.1} ms), after '{last}': {} dataset, {} leftovers cleaned",
            at.as_secs_f64() * 1e3,
            steps[k].1.as_secs_f64() * 1e3,
            if is_new { "new" } else { "old" },
            left.len()
        );
    }
    eprintln!("kill points (old state, new state): {points:?}");
    let olds: usize = points.values().map(|p| p.0).sum();
    let news: usize = points.values().map(|p| p.1).sum();
    assert!(
        olds > 0 && news > 0 && points.len() >= 8,
        "the kills did not spread over the write: {points:?}"
    );
    // The two states around the rename: the link made but not yet renamed (old dataset, a link and a
    // version to clean), and the link renamed but the old version not yet removed (new dataset, the old
    // version to clean).
    assert!(
        points.get("dataset: linked").is_some_and(|p| p.0 > 0),
        "{points:?}"
    );
    assert!(
        points.get("dataset: published").is_some_and(|p| p.1 > 0),
        "{points:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(120));
}
