//! The server under pressure, with a test engine that can be slow, stream or panic: a full queue turns
//! requests away with 503 and `Retry-After`; a client that hangs up cancels its work; a timeout answers 504
//! and cancels; a panic is a 500 and the server goes on; batches and sweeps stream NDJSON and stop when
//! their client leaves or their parts run over the limit; a token guards the data endpoints.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::time::Duration;

use common::{Server, limits, parse_answer, store, wait_until, with_test_engine};
use sovra_server::{AppState, Limits, Token};

const SLOW: &str = r#"{"data": "demo", "region": "SLOW"}"#;

/// Sends a request on a connection of its own and returns the connection without reading.
fn send(server: &Server, path: &str, body: &str) -> std::net::TcpStream {
    let mut stream = server.connect();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        server.addr,
        body.len()
    );
    stream.write_all(head.as_bytes()).expect("send");
    stream
}

#[test]
fn a_full_queue_answers_503_with_retry_after() {
    let (_home, engine, server) = with_test_engine(Limits {
        max_concurrent: 1,
        queue: 0,
        ..limits()
    });
    let slow = send(&server, "/v1/multipliers", SLOW);
    assert!(wait_until(Duration::from_secs(10), || engine.started() == 1));

    let busy = server.post("/v1/multipliers", r#"{"data": "demo"}"#);
    let e = busy.error(503, "busy");
    let retry: u64 = busy
        .header("retry-after")
        .and_then(|s| s.parse().ok())
        .expect("Retry-After in seconds");
    assert!((1..=60).contains(&retry), "{retry}");
    assert!(
        e["message"]
            .as_str()
            .is_some_and(|m| m.contains("--max-concurrent"))
    );

    // Requests on no table do not wait for the gate.
    assert_eq!(server.get("/v1/blocs").status, 200);

    drop(slow);
    assert!(wait_until(Duration::from_secs(10), || engine.cancelled() == 1));
    assert!(wait_until(Duration::from_secs(10), || {
        server.post("/v1/multipliers", r#"{"data": "demo"}"#).status == 200
    }));
}

#[test]
fn a_client_that_hangs_up_cancels_its_work_and_the_server_goes_on() {
    let (_home, engine, server) = with_test_engine(limits());
    let slow = send(&server, "/v1/multipliers", SLOW);
    assert!(wait_until(Duration::from_secs(10), || engine.started() == 1));
    slow.shutdown(std::net::Shutdown::Both).expect("hang up");
    drop(slow);
    assert!(
        wait_until(Duration::from_secs(5), || engine.cancelled() == 1),
        "the work was not cancelled"
    );
    let next = server.post("/v1/multipliers", r#"{"data": "demo", "top": 2}"#);
    assert_eq!(next.status, 200, "{}", next.text());
}

#[test]
fn a_request_over_the_timeout_is_504_and_its_work_is_cancelled() {
    let (_home, engine, server) = with_test_engine(Limits {
        timeout: Duration::from_secs(1),
        ..limits()
    });
    let answer = server.post("/v1/multipliers", SLOW);
    let e = answer.error(504, "timeout");
    assert!(
        e["message"]
            .as_str()
            .is_some_and(|m| m.contains("--timeout")),
        "{e}"
    );
    assert!(wait_until(Duration::from_secs(5), || engine.cancelled() == 1));
    assert_eq!(server.get("/v1/datasets").status, 200);
}

#[test]
fn a_panic_is_a_500_and_the_server_goes_on() {
    let (_home, _engine, server) = with_test_engine(limits());
    let warm = server.post("/v1/multipliers", r#"{"data": "demo"}"#);
    assert_eq!(warm.status, 200);
    for _ in 0..3 {
        let e = server
            .post("/v1/multipliers", r#"{"data": "demo", "region": "PANIC"}"#)
            .error(500, "internal");
        assert!(
            e["message"]
                .as_str()
                .is_some_and(|m| m.contains("a test panic")),
            "{e}"
        );
    }
    let after = server.post("/v1/multipliers", r#"{"data": "demo", "top": 1}"#);
    assert_eq!(after.status, 200, "{}", after.text());
    assert_eq!(server.get("/v1/datasets").status, 200);
}

#[test]
fn batches_stream_ndjson_part_by_part() {
    let (_home, engine, server) = with_test_engine(limits());
    let answer = server.post(
        "/v1/multipliers",
        r#"{"data": "demo", "region": "STREAM3"}"#,
    );
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert_eq!(answer.header("content-type"), Some("application/x-ndjson"));
    let text = answer.text();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON document a line"))
        .collect();
    assert_eq!(lines.len(), 4, "{text}");
    for (i, line) in lines[..3].iter().enumerate() {
        assert_eq!(line["kind"], "test_part");
        assert_eq!(line["parameters"][0]["value"], i as i64, "in order");
    }
    assert_eq!(lines[3]["kind"], "test_summary");
    assert_eq!(engine.cancelled(), 0);

    // More parts than --max-parts (50): the run stops with an error line.
    let answer = server.post(
        "/v1/multipliers",
        r#"{"data": "demo", "region": "STREAM60"}"#,
    );
    let text = answer.text();
    let last: serde_json::Value =
        serde_json::from_str(text.lines().last().expect("lines")).expect("json");
    assert_eq!(last["error"]["kind"], "usage", "{last}");
    assert!(
        last["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("--max-parts"))
    );
    assert_eq!(text.lines().count(), 51);
}

#[test]
fn a_client_that_leaves_mid_sweep_stops_it() {
    let (_home, engine, server) = with_test_engine(limits());
    let stream = send(
        &server,
        "/v1/multipliers",
        r#"{"data": "demo", "region": "STREAM200"}"#,
    );
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut head = String::new();
    while !head.ends_with("\r\n\r\n") {
        let mut line = String::new();
        assert!(
            reader.read_line(&mut line).expect("read") > 0,
            "closed early"
        );
        head.push_str(&line);
    }
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(
        head.to_ascii_lowercase().contains("application/x-ndjson"),
        "{head}"
    );
    // The first chunk: its size, then one report line.
    let mut size = String::new();
    reader.read_line(&mut size).expect("chunk size");
    let mut first = String::new();
    reader.read_line(&mut first).expect("first part");
    assert!(first.contains("\"test_part\""), "{first}");
    stream.shutdown(std::net::Shutdown::Both).expect("hang up");
    drop(reader);
    drop(stream);
    assert!(
        wait_until(Duration::from_secs(5), || engine.cancelled() == 1),
        "the sweep was not stopped"
    );
    let sent = engine.parts_sent.load(std::sync::atomic::Ordering::SeqCst);
    assert!(sent < 200, "all {sent} parts ran");
    assert_eq!(server.get("/v1/datasets").status, 200);
}

#[test]
fn a_token_guards_the_data_endpoints() {
    let home = store();
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("token");
    std::fs::write(&file, "s3cret-Token_42\n").expect("write token");
    let token = Token::from_file(&file).expect("token from file");
    let server = Server::start(AppState::new(home.path(), limits()).with_token(token));

    let e = server.get("/v1/datasets").error(401, "unauthorized");
    assert!(
        e["message"].as_str().is_some_and(|m| m.contains("Bearer")),
        "{e}"
    );
    let missing = server.post(
        "/v1/depend",
        r#"{"us": "R01", "them": "R02", "data": "demo"}"#,
    );
    missing.error(401, "unauthorized");
    assert!(
        missing
            .header("www-authenticate")
            .is_some_and(|h| h.starts_with("Bearer"))
    );
    let wrong = server.request(
        "GET",
        "/v1/datasets",
        &[("Authorization", "Bearer s3cret-Token_43")],
        b"",
    );
    let e = wrong.error(401, "unauthorized");
    assert_eq!(e["message"], "wrong token");
    server
        .request(
            "GET",
            "/v1/datasets",
            &[("Authorization", "s3cret-Token_42")],
            b"",
        )
        .error(401, "unauthorized");

    let right = server.request(
        "GET",
        "/v1/datasets",
        &[("Authorization", "Bearer s3cret-Token_42")],
        b"",
    );
    assert_eq!(right.status, 200, "{}", right.text());
    let post = server.request(
        "POST",
        "/v1/depend",
        &[("Authorization", "Bearer s3cret-Token_42")],
        br#"{"us": "R01", "them": "R02", "data": "demo"}"#,
    );
    assert_eq!(post.status, 200, "{}", post.text());

    // The page and the document stay public (a browser cannot send the token for them); the document
    // declares the scheme.
    assert_eq!(server.get("/api").status, 200);
    let doc = server.get("/v1/openapi.json").json();
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    assert_eq!(
        doc["paths"]["/v1/depend"]["post"]["security"][0]["bearer"],
        serde_json::json!([])
    );

    std::fs::write(&file, "\n").expect("write");
    assert!(Token::from_file(&file).is_err(), "an empty token file");
    assert!(Token::from_file(&dir.path().join("absent")).is_err());
}

#[test]
fn malformed_http_is_answered_not_fatal() {
    let (_home, _engine, server) = with_test_engine(limits());
    for bytes in [
        &b"GARBAGE\r\n\r\n"[..],
        b"POST /v1/depend HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 99999999999999999999\r\n\r\n",
        b"POST /v1/depend HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 10\r\nContent-Length: 12\r\n\r\n{}",
        b"GET /v1/\xff\xfe HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    ] {
        let mut stream = server.connect();
        stream.write_all(bytes).expect("send");
        let mut answer = Vec::new();
        let _ = std::io::Read::read_to_end(&mut stream, &mut answer);
        if !answer.is_empty() {
            let a = parse_answer(&answer);
            assert!((400..500).contains(&a.status), "{}", a.text());
        }
    }
    assert_eq!(server.get("/v1/datasets").status, 200);
}
