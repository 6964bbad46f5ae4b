//! The `alliances` request through the engine on a generated table: JSON in (`against`, or `them`; unknown
//! fields refused with the field named), a report with its tables and figures out, and bad requests as
//! usage errors naming their field.

use sovra_core::{store, synth};
use sovra_engine::{AlliancesRequest, ErrorKind, Quiet, Request, Workspace, run};

fn workspace() -> (tempfile::TempDir, Workspace) {
    let home = tempfile::tempdir().expect("tempdir");
    let mut t = synth::table(
        "demo",
        synth::Spec {
            regions: 6,
            sectors: 3,
            categories: 1,
            stressors: 0,
            ..Default::default()
        },
    )
    .expect("synthetic table");
    t.provenance.year = Some(2020);
    store::write(home.path(), &t, store::WriteMode::CreateNew).expect("store");
    let mut ws = Workspace::new(home.path());
    ws.fetch_default = false;
    (home, ws)
}

#[test]
fn a_request_from_json_gives_the_alliances_report() {
    let (_h, ws) = workspace();
    let body =
        br#"{"us": "R01", "them": "R02", "candidates": "R02+R03+R04", "data": "demo", "size": 2}"#;
    let req = Request::from_body("alliances", body).expect("valid");
    let Request::Alliances(q) = &req else {
        panic!("not alliances: {req:?}")
    };
    assert_eq!(q.against, "R02", "`them` is read as `against`");
    assert_eq!(req.kind(), "alliances");
    assert_eq!(req.dataset(), Some("demo"));
    let r = run(&ws, &req, &Quiet).expect("alliances");
    assert_eq!(r.kind, "alliances");
    let keys: Vec<&str> = r.tables.iter().map(|t| t.key.as_str()).collect();
    assert_eq!(keys, ["candidates", "sets", "sectors", "pairs", "shock"]);
    assert_eq!(
        r.tables[0].len(),
        2,
        "R02 (them) left out of the candidates"
    );
    assert!(r.notes.iter().any(|n| n.contains("R02 left out")));
    for key in [
        "imports_from_them",
        "best_set",
        "best_set_coverage",
        "loss_without",
        "loss_with",
        "loss_avoided",
    ] {
        assert!(r.summary.iter().any(|f| f.key == key), "no figure {key}");
    }
    assert!(r.diagnostics.iter().any(|d| d.key == "partner_sets"));

    let mut q = AlliancesRequest::new("R01", "R02", "R03");
    q.data = "demo".into();
    q.shock = false;
    let r = run(&ws, &Request::Alliances(q), &Quiet).expect("no shock");
    assert!(r.tables.iter().all(|t| t.key != "shock"));
}

#[test]
fn bad_requests_name_their_field() {
    let (_h, ws) = workspace();
    let e = Request::from_body(
        "alliances",
        br#"{"us": "R01", "against": "R02", "candidates": "R03", "partners": "R04"}"#,
    )
    .unwrap_err();
    assert_eq!(e.field.as_deref(), Some("partners"));
    let e = Request::from_body("alliances", br#"{"us": "R01", "against": "R02"}"#).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("candidates"));
    let fails = |f: &dyn Fn(&mut AlliancesRequest)| {
        let mut q = AlliancesRequest::new("R01", "R02", "R03+R04");
        q.data = "demo".into();
        f(&mut q);
        run(&ws, &Request::Alliances(q), &Quiet).unwrap_err()
    };
    let e = fails(&|q| q.size = 0);
    assert_eq!(
        (e.kind, e.field.as_deref()),
        (ErrorKind::Usage, Some("size"))
    );
    let e = fails(&|q| q.candidates = "R01+R02".into());
    assert_eq!(
        (e.kind, e.field.as_deref()),
        (ErrorKind::Usage, Some("candidates"))
    );
    let e = fails(&|q| q.candidates = "XYZ".into());
    assert_eq!(e.field.as_deref(), Some("candidates"));
    let e = fails(&|q| q.us = "R02".into());
    assert_eq!(e.field.as_deref(), Some("them"), "us and them overlap");
}
