//! Cluster mode end to end (feature `cluster`): a Ballista scheduler and two executors as separate `sovra
//! cluster` processes on loopback (free ports), a synthetic five-year trade store they read, and every trade
//! command run with `--cluster` against local mode — equal reports; then an executor killed during a query
//! (the right answer or an error, never another answer); then a store the executors cannot read (an executor
//! in a mount namespace where the store is an empty tmpfs; root only) and an unreachable scheduler (errors
//! that say what to do, within seconds, not a hang).
#![cfg(feature = "cluster")]

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value as Json;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_sovra")
}

fn sovra(home: &Path, args: &[&str]) -> Output {
    Command::new(bin())
        .args(args)
        .env("SOVRA_HOME", home)
        .output()
        .expect("run sovra")
}

fn ok(home: &Path, args: &[&str]) -> String {
    let o = sovra(home, args);
    assert!(
        o.status.success(),
        "sovra {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).expect("utf-8")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

fn wait_for_port(port: u16, within: Duration) {
    let t = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(t.elapsed() < within, "nothing listens on {port}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The scheduler and executors, killed when the test ends.
struct Cluster {
    children: Vec<Child>,
    port: u16,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn spawn(args: &[String], log: &Path) -> Child {
    let f = std::fs::File::create(log).expect("log");
    Command::new(bin())
        .args(args)
        .stdout(Stdio::null())
        .stderr(f)
        .spawn()
        .expect("spawn")
}

fn start(dir: &Path) -> Cluster {
    let port = free_port();
    let mut children = vec![spawn(
        &[
            "cluster".into(),
            "scheduler".into(),
            "--bind".into(),
            format!("127.0.0.1:{port}"),
        ],
        &dir.join("scheduler.log"),
    )];
    wait_for_port(port, Duration::from_secs(30));
    for k in 0..2 {
        let (flight, grpc) = (free_port(), free_port());
        children.push(spawn(
            &[
                "cluster".into(),
                "executor".into(),
                "--scheduler".into(),
                format!("127.0.0.1:{port}"),
                "--bind".into(),
                format!("127.0.0.1:{flight}"),
                "--grpc-port".into(),
                grpc.to_string(),
                "--slots".into(),
                "1".into(),
                "--memory-limit".into(),
                "0.5".into(),
                "--work-dir".into(),
                dir.join(format!("e{k}")).display().to_string(),
            ],
            &dir.join(format!("executor{k}.log")),
        ));
        wait_for_port(flight, Duration::from_secs(30));
    }
    // Registration with the scheduler follows the first heartbeat.
    std::thread::sleep(Duration::from_secs(3));
    Cluster { children, port }
}

/// A synthetic store of 2018–2022 with real codes.
fn store(home: &Path) -> PathBuf {
    let synth = home.join("synth");
    ok(
        home,
        &[
            "trade",
            "synth",
            "--years",
            "2018:2022",
            "--baci",
            "--real-codes",
            "--countries",
            "80",
            "--products",
            "300",
            "--destinations",
            "12",
            "--seed",
            "7",
            "--out",
            synth.to_str().expect("path"),
        ],
    );
    let mut args: Vec<String> = vec!["trade".into(), "import".into()];
    for y in 2018..=2022 {
        args.push(
            synth
                .join(format!("BACI_HS92_Y{y}_Vsynth.csv"))
                .display()
                .to_string(),
        );
    }
    let store = home.join("store");
    args.extend([
        "--country-codes".into(),
        synth.join("country_codes_synth.csv").display().to_string(),
        "--store".into(),
        store.display().to_string(),
    ]);
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    ok(home, &a);
    store
}

#[path = "../../sovra-engine/tests/support/same_json.rs"]
mod same_json;

/// The two reports equal, numbers to 1e-9 relative (the cluster sums partitions in another order); how many
/// numbers were compared.
fn same(a: &Json, b: &Json, at: &str) -> usize {
    same_json::same_json(a, b, at, ["cluster", "local"])
}

fn json(s: &str) -> Json {
    serde_json::from_str(s).expect("json")
}

#[test]
fn every_trade_command_on_a_ballista_cluster_equals_local_mode() {
    let home = tempfile::tempdir().expect("tempdir");
    let h = home.path();
    let store = store(h);
    let s = store.to_str().expect("path");
    let cluster = start(h);
    let url = format!("df://127.0.0.1:{}", cluster.port);
    let commands: Vec<Vec<&str>> = vec![
        vec![
            "trade",
            "depend",
            "DEU",
            "--on",
            "CHN",
            "--years",
            "2019:2022",
            "--all",
        ],
        vec!["trade", "depend", "ALL", "--each", "--years", "2021:2022"],
        vec![
            "trade",
            "monitor",
            "FRA",
            "--on",
            "CHN",
            "--years",
            "2018:2022",
            "--all",
        ],
        vec!["trade", "suppliers", "ISL", "--all-dependent"],
        vec![
            "trade",
            "suppliers",
            "NZL+ISL",
            "--all-dependent",
            "--partners",
            "G7+KOR",
        ],
        vec!["opportunities", "ISL+NZL"],
        vec!["opportunities", "CRI"],
        vec!["complexity", "--by", "product"],
    ];
    let mut numbers = 0;
    for c in &commands {
        let mut local = c.clone();
        local.extend(["--input", s, "--format", "json"]);
        let mut remote = local.clone();
        remote.extend(["--cluster", &url, "--cluster-timeout", "120"]);
        let (a, b) = (json(&ok(h, &remote)), json(&ok(h, &local)));
        numbers += same(&a, &b, &c.join(" "));
    }
    assert!(numbers > 2_000, "only {numbers} numbers compared");

    // An executor killed during a query: the right answer (Ballista runs its tasks again elsewhere) or an
    // error — never another answer, never a hang.
    let heavy = [
        "trade",
        "depend",
        "ALL",
        "--each",
        "--years",
        "2018:2022",
        "--input",
        s,
        "--format",
        "json",
    ];
    let expected = json(&ok(h, &heavy));
    let mut args: Vec<&str> = heavy.to_vec();
    args.extend(["--cluster", &url, "--cluster-timeout", "25"]);
    // Output to files: a pipe nobody reads while we wait would fill and block the client.
    let (out_file, err_file) = (h.join("client.out"), h.join("client.err"));
    let mut client = Command::new(bin())
        .args(&args)
        .env("SOVRA_HOME", h)
        .stdout(std::fs::File::create(&out_file).expect("out"))
        .stderr(std::fs::File::create(&err_file).expect("err"))
        .spawn()
        .expect("spawn the client");
    std::thread::sleep(Duration::from_millis(700));
    let mut cluster = cluster;
    cluster.children[2].kill().expect("kill an executor");
    let _ = cluster.children[2].wait();
    let started = Instant::now();
    loop {
        if client.try_wait().expect("wait").is_some() {
            break;
        }
        assert!(
            // Three queries, each at most two attempts of 25 s.
            started.elapsed() < Duration::from_secs(170),
            "the client hung after an executor died"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let status = client.wait().expect("status");
    let stdout = std::fs::read_to_string(&out_file).expect("stdout");
    let err = std::fs::read_to_string(&err_file).expect("stderr");
    if status.success() {
        let got = json(&stdout);
        same(&got, &expected, "after an executor died");
        eprintln!("an executor died: the query still returned the right answer");
    } else {
        assert!(
            err.contains("cluster") && stdout.is_empty(),
            "neither an answer nor a clear error: {err}"
        );
        eprintln!("an executor died: the query failed with: {err}");
    }

    // A store the executors cannot read: a scheduler and an executor in a mount namespace where the store's
    // directory is an empty tmpfs (root only, as in CI; elsewhere a notice).
    let hidden = Command::new("unshare")
        .args(["--mount", "--propagation", "private", "true"])
        .status()
        .is_ok_and(|s| s.success());
    if hidden {
        let port = free_port();
        let mut blind = Cluster {
            children: vec![spawn(
                &[
                    "cluster".into(),
                    "scheduler".into(),
                    "--bind".into(),
                    format!("127.0.0.1:{port}"),
                ],
                &h.join("scheduler_blind.log"),
            )],
            port,
        };
        wait_for_port(port, Duration::from_secs(30));
        let (flight, grpc) = (free_port(), free_port());
        let script = format!(
            "mount -t tmpfs none '{s}' && exec '{}' cluster executor --scheduler 127.0.0.1:{port} --bind \
             127.0.0.1:{flight} --grpc-port {grpc} --slots 1",
            bin()
        );
        blind.children.push(
            Command::new("unshare")
                .args(["--mount", "--propagation", "private", "sh", "-c", &script])
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(h.join("executor_blind.log")).expect("log"))
                .spawn()
                .expect("spawn a blind executor"),
        );
        wait_for_port(flight, Duration::from_secs(30));
        std::thread::sleep(Duration::from_secs(3));
        let url = format!("df://127.0.0.1:{}", blind.port);
        let o = sovra(
            h,
            &[
                "trade",
                "depend",
                "DEU",
                "--input",
                s,
                "--cluster",
                &url,
                "--cluster-timeout",
                "30",
            ],
        );
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success() && o.stdout.is_empty(), "{err}");
        assert!(
            err.contains("the executors could not read the store's files"),
            "{err}"
        );
    } else {
        eprintln!(
            "NOTICE: `unshare --mount` is not permitted here (not root): the check of a store the executors \
             cannot read is left out"
        );
    }

    // A scheduler nobody runs: an error naming what to do, within seconds.
    let t = Instant::now();
    let dead = format!("df://127.0.0.1:{}", free_port());
    let o = sovra(
        h,
        &["trade", "depend", "DEU", "--input", s, "--cluster", &dead],
    );
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("cannot reach a Ballista scheduler")
            && err.contains("sovra cluster scheduler"),
        "{err}"
    );
    assert!(t.elapsed() < Duration::from_secs(20));
}
