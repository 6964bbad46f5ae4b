//! `sovra serve` as a process: it starts on 127.0.0.1 (port 0 here), says where on stderr, answers with
//! the token from its --token-file, and refuses bad flags before listening. The server itself is tested in
//! `crates/sovra-server/tests`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use sovra_core::{store, synth};

/// Kills the server when the test ends, however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn get(addr: &str, path: &str, token: Option<&str>) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{auth}\r\n"
    )
    .expect("send");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read");
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status");
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

#[test]
fn serve_starts_on_loopback_and_needs_its_token() {
    let home = tempfile::tempdir().expect("tempdir");
    let t = synth::table("demo", synth::Spec::default()).expect("table");
    store::write(home.path(), &t, store::WriteMode::CreateNew).expect("store");
    let token_file = home.path().join("token");
    std::fs::write(&token_file, "t0ken-for-the-test\n").expect("token");
    let child = Command::new(env!("CARGO_BIN_EXE_sovra"))
        .args([
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--max-concurrent",
            "1",
            "--token-file",
        ])
        .arg(&token_file)
        .env("SOVRA_HOME", home.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sovra serve");
    let mut running = Running(child);
    let stderr = running.0.stderr.take().expect("stderr");
    let mut line = String::new();
    BufReader::new(stderr)
        .read_line(&mut line)
        .expect("first line");
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|s| s.split('/').next())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_string();
    assert!(addr.starts_with("127.0.0.1:"), "{line}");
    assert!(line.contains("bearer token required"), "{line}");

    let (status, body) = get(&addr, "/v1/datasets", None);
    assert_eq!(status, 401, "{body}");
    let (status, body) = get(&addr, "/v1/datasets", Some("t0ken-for-the-test"));
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"demo\""), "{body}");
    let (status, _) = get(&addr, "/api", None);
    assert_eq!(status, 200);
}

#[test]
fn serve_refuses_bad_flags_before_listening() {
    let home = tempfile::tempdir().expect("tempdir");
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_sovra"))
            .arg("serve")
            .args(args)
            .env("SOVRA_HOME", home.path())
            .output()
            .expect("sovra serve")
    };
    let missing = home.path().join("no-such-token");
    let o = run(&[
        "--bind",
        "127.0.0.1:0",
        "--token-file",
        missing.to_str().expect("utf-8"),
    ]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("--token-file"));
    let o = run(&["--max-body", "12Q"]);
    assert_eq!(o.status.code(), Some(2), "a usage error");
    let o = run(&["--bind", "127.0.0.1:0", "--timeout", "0"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("--timeout"));
}
