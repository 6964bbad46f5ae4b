//! The HTTP API end to end on a generated table: every GET endpoint, a POST per kind, JSON, CSV and Arrow
//! answers, the timings of a second request, the OpenAPI document and the API page, and every kind of bad
//! request answered with a JSON error that names the field (and, for names, the choices and the nearest).

mod common;

use std::sync::Arc;

use common::{Server, limits, store};
use sovra_engine::KINDS;
use sovra_server::AppState;

fn server() -> (tempfile::TempDir, Server) {
    let home = store();
    let server = Server::start(AppState::new(home.path(), limits()));
    (home, server)
}

/// A body for each kind that works on the generated table.
fn body(kind: &str) -> &'static str {
    match kind {
        "info" => r#"{"data": "demo"}"#,
        "datasets" => "",
        "multipliers" => r#"{"data": "demo", "top": 3}"#,
        "linkages" => r#"{"data": "demo", "key_only": false}"#,
        "footprint" => r#"{"data": "demo", "stressor": "value added", "by": "node"}"#,
        "depend" => r#"{"us": "R01+R04", "them": "R02", "data": "demo", "top": 5}"#,
        "keys" => r#"{"us": "R01", "them": "R02", "data": "demo"}"#,
        "tiva" => r#"{"data": "demo"}"#,
        "blocs_list" => r#"{"as_of": "2024-06-30"}"#,
        "blocs_show" => r#"{"name": "BRICS", "as_of": "2024-06-30"}"#,
        "bridge_show" => r#"{"codes": ["854231"]}"#,
        "trade_depend" => r#"{"importer": "C001", "on": "C002", "top": 5}"#,
        "trade_monitor" => r#"{"importer": "C001", "on": "C002", "years": "2021:2022"}"#,
        "trade_suppliers" => r#"{"importer": "C001", "all_dependent": true, "top": 3}"#,
        "opportunities" => r#"{"country": "C001", "top": 5}"#,
        "complexity" => r#"{"trade": true, "year": 2022, "top": 5}"#,
        "shock" => r#"{"sanctioning": "R01", "target": "R02", "data": "demo", "top": 3}"#,
        "alliances" => {
            r#"{"us": "R01", "against": "R02", "candidates": "R03+R04", "data": "demo", "size": 2}"#
        }
        "projects_evaluate" => {
            r#"{"data": "demo", "projects": "[[project]]\nid = \"a\"\nhost = \"R01\"\nsector = \"S01\"\ncapacity = 5\ncost = 2\n"}"#
        }
        "projects_select" => {
            r#"{"data": "demo", "budget": 3, "projects": "[[project]]\nid = \"a\"\nhost = \"R01\"\nsector = \"S01\"\ncapacity = 5\ncost = 2\n\n[[project]]\nid = \"b\"\nhost = \"R02\"\nsector = \"S02\"\ncapacity = 5\ncost = 2\n"}"#
        }
        "monitor" => {
            r#"{"us": "R01+R02", "them": "R03", "data": "demo_series", "by": ["region", "sector"]}"#
        }
        "decompose" => {
            r#"{"us": "R01", "them": "R03", "data": "demo_series", "from": 2020, "to": 2022, "chain": true}"#
        }
        other => panic!("no test body for the kind {other}: add one"),
    }
}

#[test]
fn a_post_per_kind_answers_its_report() {
    let (_home, server) = server();
    for kind in KINDS {
        let answer = server.post(&format!("/v1/{kind}"), body(kind));
        assert_eq!(answer.status, 200, "{kind}: {}", answer.text());
        assert_eq!(answer.header("content-type"), Some("application/json"));
        let report = answer.json();
        assert_eq!(report["schema_version"], 1, "{kind}");
        assert!(report["kind"].is_string(), "{kind}");
        assert!(
            answer
                .header("server-timing")
                .is_some_and(|t| t.contains("solve;dur="))
        );
    }
}

#[test]
fn get_endpoints() {
    let (_home, server) = server();
    let datasets = server.get("/v1/datasets");
    assert_eq!(datasets.status, 200, "{}", datasets.text());
    let json = datasets.json();
    assert_eq!(json["kind"], "datasets");
    assert_eq!(json["tables"][0]["rows"][0]["name"], "demo");

    let info = server.get("/v1/datasets/demo_series?year=2021");
    assert_eq!(info.status, 200, "{}", info.text());
    assert_eq!(info.json()["provenance"]["year"], 2021);
    let missing = server.get("/v1/datasets/demo_series?year=1990");
    assert_eq!(missing.status, 404, "{}", missing.text());

    let info = server.get("/v1/datasets/demo");
    assert_eq!(info.status, 200, "{}", info.text());
    assert_eq!(info.json()["kind"], "info");
    assert_eq!(info.json()["provenance"]["dataset"], "demo");

    let blocs = server.get("/v1/blocs?as_of=2024-06-30");
    assert_eq!(blocs.status, 200, "{}", blocs.text());
    assert_eq!(blocs.json()["kind"], "blocs");
    assert!(blocs.text().contains("BRICS"));

    let csv = server.request("GET", "/v1/blocs", &[("Accept", "text/csv")], b"");
    assert_eq!(csv.status, 200);
    assert!(
        csv.header("content-type")
            .is_some_and(|c| c.starts_with("text/csv"))
    );

    // The dashboard: its page at `/` under a strict policy, its files and the vendored ones by exact name only.
    let root = server.get("/");
    assert_eq!(root.status, 200);
    assert!(
        root.header("content-type")
            .is_some_and(|c| c.starts_with("text/html"))
    );
    assert!(
        root.header("content-security-policy").is_some_and(
            |c| c.starts_with("default-src 'self'") && c.contains("connect-src 'self'")
        )
    );
    assert_eq!(server.get("/dashboard/index.html").body, root.body);
    // The views' default inputs are the project's example files, compiled in.
    let examples = server.get("/dashboard/examples.js").text();
    let programme = include_str!("../../../examples/rus-programme.toml");
    let first_target = programme
        .lines()
        .find_map(|l| l.strip_prefix("id = "))
        .expect("a target id")
        .trim_matches('"');
    assert!(examples.contains("export const PROGRAMME_TOML") && examples.contains(first_target));
    for asset in [
        "echarts/echarts.min.js",
        "echarts/LICENSE",
        "world-atlas/countries-110m.json",
        "topojson-client/topojson-client.min.js",
        "iso-countries/codes.json",
    ] {
        let a = server.get(&format!("/assets/{asset}"));
        assert_eq!(a.status, 200, "{asset}");
        assert!(!a.body.is_empty(), "{asset}");
    }
    for bad in [
        "/dashboard/../Cargo.toml",
        "/dashboard/%2e%2e%2fCargo.toml",
        "/dashboard/nothing.js",
        "/assets/echarts/../../Cargo.toml",
        "/assets/nothing/LICENSE",
        "/assets/echarts/echarts.js",
    ] {
        server.get(bad).error(404, "not_found");
    }

    let page = server.get("/api");
    assert_eq!(page.status, 200);
    assert!(page.text().contains("/v1/openapi.json"));
    assert!(
        page.header("content-security-policy")
            .is_some_and(|c| c.starts_with("default-src 'self'"))
    );
    for asset in [
        "swagger-ui-bundle.js",
        "swagger-ui.css",
        "LICENSE",
        "NOTICE",
    ] {
        let a = server.get(&format!("/assets/swagger-ui/{asset}"));
        assert_eq!(a.status, 200, "{asset}");
        assert!(!a.body.is_empty(), "{asset}");
    }
    server
        .get("/assets/swagger-ui/../../Cargo.toml")
        .error(404, "not_found");
    server
        .get("/assets/swagger-ui/%2e%2e%2fCargo.toml")
        .error(404, "not_found");
}

#[test]
fn openapi_lists_every_kind_with_its_schemas() {
    let (_home, server) = server();
    let answer = server.get("/v1/openapi.json");
    assert_eq!(answer.status, 200);
    let doc = answer.json();
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(
        doc["info"]["license"].is_null() && doc["jsonSchemaDialect"].is_null(),
        "no links out, default dialect"
    );
    let schemas = &doc["components"]["schemas"];
    for kind in KINDS {
        let op = &doc["paths"][format!("/v1/{kind}")]["post"];
        assert!(op.is_object(), "POST /v1/{kind} is missing");
        let reference = op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
            .as_str()
            .unwrap_or_else(|| panic!("{kind}: no request schema reference"));
        let name = reference
            .strip_prefix("#/components/schemas/")
            .expect("a component");
        assert_eq!(schemas[name]["type"], "object", "{kind}: {name}");
        assert_eq!(
            schemas[name]["additionalProperties"], false,
            "{kind}: unknown fields refused"
        );
        assert_eq!(
            op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/Report"
        );
        assert_eq!(
            op["responses"]["400"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/ErrorBody"
        );
    }
    for path in ["/v1/datasets", "/v1/datasets/{name}", "/v1/blocs"] {
        assert!(doc["paths"][path]["get"].is_object(), "{path}");
    }
    assert_eq!(
        schemas["DependRequest"]["properties"]["data"]["default"],
        "icio2022"
    );
    assert!(
        schemas["DependRequest"]["required"]
            .as_array()
            .is_some_and(|r| r.len() == 2)
    );
    for name in [
        "Report",
        "Table",
        "Value",
        "Provenance",
        "Diagnostic",
        "ErrorBody",
    ] {
        assert!(schemas[name].is_object(), "schema {name}");
    }
    let kinds = schemas["ErrorBody"]["properties"]["kind"]["enum"].to_string();
    for kind in [
        "usage",
        "not_found",
        "busy",
        "unauthorized",
        "too_large",
        "timeout",
        "internal",
    ] {
        assert!(kinds.contains(kind), "{kind} in {kinds}");
    }
    assert!(
        doc["components"]["securitySchemes"].is_null(),
        "no token, no scheme"
    );
    let text = answer.text();
    for external in ["http://", "https://"] {
        let outside: Vec<&str> = text
            .match_indices(external)
            .map(|(i, _)| &text[i..(i + 50).min(text.len())])
            .collect();
        assert!(outside.is_empty(), "links out of the page: {outside:?}");
    }
}

#[test]
fn csv_and_arrow_answers() {
    let (_home, server) = server();
    let body = br#"{"us": "R01+R04", "them": "R02", "data": "demo", "top": 4}"#;
    let csv = server.request("POST", "/v1/depend", &[("Accept", "text/csv")], body);
    assert_eq!(csv.status, 200, "{}", csv.text());
    assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
    let text = csv.text();
    let rows: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
    assert!(rows[0].starts_with("rank,region,sector"), "{text}");
    assert_eq!(rows.len(), 5, "a header and top 4: {text}");

    let by_query = server.request("POST", "/v1/depend?format=csv", &[], body);
    assert_eq!(by_query.text(), text);

    let arrow = server.request(
        "POST",
        "/v1/depend",
        &[("Accept", "application/vnd.apache.arrow.stream")],
        body,
    );
    assert_eq!(arrow.status, 200, "{}", arrow.text());
    assert_eq!(
        arrow.header("content-type"),
        Some("application/vnd.apache.arrow.stream")
    );
    let reader =
        arrow_ipc::reader::StreamReader::try_new(std::io::Cursor::new(arrow.body.clone()), None)
            .expect("an Arrow IPC stream");
    let schema = reader.schema();
    assert_eq!(schema.metadata()["kind"], "depend");
    assert_eq!(schema.metadata()["table_key"], "sectors");
    let batches: Vec<arrow_array::RecordBatch> = reader.map(|b| b.expect("batch")).collect();
    assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), 4);
    assert!(schema.field_with_name("value_added_from_them").is_ok());

    let info_regions = server.request(
        "GET",
        "/v1/datasets/demo?table=regions",
        &[("Accept", "text/csv")],
        b"",
    );
    assert_eq!(info_regions.status, 200, "{}", info_regions.text());
    assert!(info_regions.text().contains("R04"));

    let only = server
        .post("/v1/info?table=regions", r#"{"data": "demo"}"#)
        .json();
    assert_eq!(only["tables"].as_array().map(Vec::len), Some(1));

    let e = server
        .post("/v1/info?table=regoins", r#"{"data": "demo"}"#)
        .error(400, "usage");
    assert_eq!(e["field"], "table");
    assert_eq!(e["nearest"], "regions");
    assert!(
        e["choices"]
            .as_array()
            .is_some_and(|c| c.contains(&"regions".into()))
    );

    let e = server
        .request(
            "POST",
            "/v1/info",
            &[("Accept", "image/png")],
            br#"{"data": "demo"}"#,
        )
        .error(406, "not_acceptable");
    assert!(e["choices"].to_string().contains("text/csv"));
    let e = server
        .post("/v1/info?colour=red", r#"{"data": "demo"}"#)
        .error(400, "usage");
    assert_eq!(e["field"], "colour");
}

#[test]
fn a_second_request_on_the_same_dataset_reuses_the_loaded_table() {
    let (_home, server) = server();
    let body = r#"{"us": "R01", "them": "R02", "data": "demo", "solver": "lu"}"#;
    let first = server.post("/v1/depend", body);
    assert_eq!(first.status, 200, "{}", first.text());
    let timing = first
        .header("server-timing")
        .expect("Server-Timing")
        .to_string();
    assert!(
        timing.contains("load;dur=") && timing.contains("read from the store"),
        "{timing}"
    );
    assert!(timing.contains("built by this request"), "{timing}");

    let second = server.post("/v1/depend", body);
    let timing = second
        .header("server-timing")
        .expect("Server-Timing")
        .to_string();
    assert!(timing.contains("demo already loaded: reused"), "{timing}");
    assert!(
        timing.contains("system (and its factorisation, once built) reused"),
        "{timing}"
    );
    let diagnostics = second.json()["diagnostics"].to_string();
    assert!(
        diagnostics.contains("server_load") && diagnostics.contains("already loaded"),
        "{diagnostics}"
    );
}

#[test]
fn unknown_fields_and_names_are_named() {
    let (home, server) = server();
    let e = server
        .post(
            "/v1/depend",
            r#"{"us": "R01", "them": "R02", "data": "demo", "tpo": 3}"#,
        )
        .error(400, "usage");
    assert_eq!(e["field"], "tpo");

    let e = server
        .post(
            "/v1/depend",
            r#"{"us": "R0l", "them": "R02", "data": "demo"}"#,
        )
        .error(400, "usage");
    assert_eq!(e["field"], "us");
    assert_eq!(e["nearest"], "R01");
    assert!(e["choices"].as_array().is_some_and(|c| c.len() >= 4), "{e}");

    let e = server
        .post("/v1/multipliers", r#"{"data": "demo", "region": "R9"}"#)
        .error(400, "usage");
    assert_eq!(e["field"], "region");
    assert!(e["choices"].to_string().contains("R04"));

    let e = server
        .post("/v1/depend", r#"{"them": "R02", "data": "demo"}"#)
        .error(400, "usage");
    assert_eq!(e["field"], "us");

    let e = server
        .post(
            "/v1/depend",
            r#"{"us": "R01", "them": "R02", "each": "yes"}"#,
        )
        .error(400, "usage");
    assert_eq!(e["field"], "each");

    let e = server
        .post("/v1/info", r#"{"data": "dmeo"}"#)
        .error(404, "not_found");
    assert_eq!(e["field"], "data");
    assert_eq!(e["nearest"], "demo");
    assert_eq!(e["choices"], serde_json::json!(["demo", "demo_series"]));
    let home = home.path().display().to_string();
    assert!(
        !e["message"].as_str().is_some_and(|m| m.contains(&home)),
        "{e}"
    );

    let e = server.post("/v1/dpend", "{}").error(404, "not_found");
    assert_eq!(e["nearest"], "/v1/depend");

    let e = server
        .request("GET", "/v1/depend", &[], b"")
        .error(405, "method_not_allowed");
    assert!(e["message"].is_string());
}

#[test]
fn malformed_oversized_and_absurd_bodies() {
    let (_home, server) = server();
    let e = server
        .post("/v1/depend", r#"{"us": "R01", "them": "#)
        .error(400, "usage");
    assert!(
        e["message"]
            .as_str()
            .is_some_and(|m| m.contains("not valid JSON")),
        "{e}"
    );
    server.post("/v1/depend", "[1, 2]").error(400, "usage");
    server.post("/v1/depend", "\"EU27\"").error(400, "usage");
    server.post("/v1/depend", "null").error(400, "usage");
    server
        .request("POST", "/v1/depend", &[], b"\xff\xfe{}")
        .error(400, "usage");
    let deep = "[".repeat(10_00) + &"]".repeat(10_00);
    server.post("/v1/depend", &deep).error(400, "usage");
    let e = server
        .post("/v1/info", r#"{"kind": "depend"}"#)
        .error(400, "usage");
    assert_eq!(e["field"], "kind");

    let big = format!(
        r#"{{"us": "R01", "them": "R02", "sector": "{}"}}"#,
        "x".repeat(5000)
    );
    let e = server.post("/v1/depend", &big).error(413, "too_large");
    assert!(
        e["message"].as_str().is_some_and(|m| m.contains("4096")),
        "{e}"
    );
    // The same without a Content-Length (chunked): the limit holds while reading.
    let mut chunked = format!(
        "POST /v1/depend HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n",
        server.addr
    )
    .into_bytes();
    for _ in 0..3 {
        chunked.extend_from_slice(format!("800\r\n{}\r\n", "x".repeat(0x800)).as_bytes());
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    server.raw(&chunked).error(413, "too_large");

    for top in ["1001", "-3", "1e30", "18446744073709551616"] {
        let body = format!(r#"{{"us": "R01", "them": "R02", "data": "demo", "top": {top}}}"#);
        let e = server.post("/v1/depend", &body).error(400, "usage");
        assert_eq!(e["field"], "top", "{top}");
        assert!(
            e["message"]
                .as_str()
                .is_some_and(|m| m.contains("--max-top")),
            "{e}"
        );
    }
    let e = server
        .post(
            "/v1/keys",
            r#"{"us": "R01", "them": "R02", "data": "demo", "inputs": 5000}"#,
        )
        .error(400, "usage");
    assert_eq!(e["field"], "inputs");
    let ok = server.post(
        "/v1/depend",
        r#"{"us": "R01", "them": "R02", "data": "demo", "top": 1000}"#,
    );
    assert_eq!(ok.status, 200, "{}", ok.text());
}

#[test]
fn names_never_leave_the_store() {
    let root = tempfile::tempdir().expect("tempdir");
    let home = root.path().join("store");
    common::write_demo(&home, "demo");
    // A valid dataset beside the store: a name that escaped the store would find it.
    common::write_demo(&root.path().join("outside"), "x");
    let server = Server::start(AppState::new(&home, limits()));
    for name in [
        "../outside/datasets/x",
        "..",
        "/etc",
        "../x",
        "x/../../outside",
        ".hidden",
    ] {
        let body = serde_json::json!({"data": name}).to_string();
        let answer = server.post("/v1/info", &body);
        assert!(
            matches!(answer.status, 400 | 404),
            "{name}: {}",
            answer.text()
        );
        let e = answer.json();
        assert_eq!(e["field"], "data", "{name}");
        assert!(!answer.text().contains("\"kind\":\"info\""));
    }
    for path in [
        "/v1/datasets/..%2Foutside%2Fdatasets%2Fx",
        "/v1/datasets/%2e%2e%2fx",
        "/v1/datasets/%2e%2e",
        "/v1/datasets/../x",
        "/v1/datasets/..%5cx",
        "/v1/datasets/%2fetc%2fpasswd",
        "/v1/datasets/x%00",
    ] {
        let answer = server.get(path);
        assert!(
            matches!(answer.status, 400 | 404),
            "{path}: {}",
            answer.text()
        );
        assert!(answer.json()["kind"].is_string(), "{path}");
    }
    for field in ["input", "store", "country_codes", "files", "out", "path"] {
        let body =
            serde_json::json!({"us": "R01", "them": "R02", "data": "demo", field: "../outside"});
        let e = server
            .post("/v1/depend", &body.to_string())
            .error(400, "usage");
        assert_eq!(e["field"], field);
    }
    let listed = server.get("/v1/datasets").json();
    assert_eq!(
        listed["tables"][0]["rows"].as_array().map(Vec::len),
        Some(1)
    );
}

#[test]
fn foreign_host_names_are_refused_on_loopback() {
    let (_home, server) = server();
    let e = server
        .raw(b"GET /v1/datasets HTTP/1.1\r\nHost: rebind.example:8750\r\nConnection: close\r\n\r\n")
        .error(403, "forbidden");
    assert_eq!(e["field"], "host");
    let ok = server
        .raw(b"GET /v1/datasets HTTP/1.1\r\nHost: localhost:8750\r\nConnection: close\r\n\r\n");
    assert_eq!(ok.status, 200);
    let home = store();
    let any = Server::start(AppState::new(home.path(), limits()).any_host());
    let ok =
        any.raw(b"GET /v1/datasets HTTP/1.1\r\nHost: sovra.example\r\nConnection: close\r\n\r\n");
    assert_eq!(ok.status, 200);
}

#[test]
fn the_server_answers_many_requests_in_parallel() {
    let (_home, server) = server();
    let server = Arc::new(server);
    let threads: Vec<_> = (0..6)
        .map(|i| {
            let server = server.clone();
            std::thread::spawn(move || {
                let body = format!(r#"{{"data": "demo", "top": {}}}"#, i + 1);
                (0..5)
                    .map(|_| server.post("/v1/multipliers", &body).status)
                    .collect::<Vec<u16>>()
            })
        })
        .collect();
    for t in threads {
        for status in t.join().expect("thread") {
            assert!(matches!(status, 200 | 503), "{status}");
        }
    }
    assert_eq!(server.get("/v1/datasets").status, 200);
}
