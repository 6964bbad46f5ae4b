//! Conformance of the rerouting model with sanction-simulator 0.1.4 on icio2022: the 8 headline bilateral
//! embargoes of the peer and 3 coalition scenarios (one with a sector scope), dumped once by
//! `conformance/shock/run.sh` into `$SOVRA_CONFORMANCE_DIR/shock`. World loss and every country loss above
//! 0.1 % of world loss must match within 0.5 % relative (the tolerance); we also report and bound
//! the worst relative difference, which is far smaller.

use std::path::{Path, PathBuf};

use serde_json::Value;
use sovra_analysis::shock::{self, Instrument, LegSpec, Model, Network, Params, ScenarioSpec};
use sovra_core::blocs::Registry;
use sovra_core::store;

const REL: f64 = 5e-3;

fn conformance_dir() -> PathBuf {
    std::env::var_os("SOVRA_CONFORMANCE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/conformance"))
}

fn dump() -> Option<Vec<Value>> {
    let p = conformance_dir().join("shock");
    if !p.join("DONE").is_file() {
        assert!(
            std::env::var_os("SOVRA_REQUIRE_CONFORMANCE").is_none(),
            "SOVRA_REQUIRE_CONFORMANCE is set but no shock dump is in {}",
            p.display()
        );
        eprintln!(
            "NOTICE: no sanction-simulator dump in {}: run scripts/test (or conformance/shock/run.sh) first",
            p.display()
        );
        return None;
    }
    let text = std::fs::read_to_string(p.join("scenarios.json")).unwrap();
    Some(serde_json::from_str::<Vec<Value>>(&text).unwrap())
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn rerouting_matches_sanction_simulator() {
    let Some(cases) = dump() else { return };
    let Some(t) = store::open_or_notice("icio2022", "the shock conformance") else {
        return;
    };
    let net = Network::from_ref(&t).unwrap();
    let reg = Registry::builtin();
    let mut worst_all = 0.0f64;
    for c in &cases {
        let name = c["name"].as_str().unwrap();
        let spec = ScenarioSpec {
            name: name.into(),
            model: Model::Rerouting,
            as_of: Some("2025-06-30".into()),
            legs: vec![LegSpec {
                sanctioning: strings(&c["side_a"]).join("+"),
                target: strings(&c["side_b"]).join("+"),
                instrument: Instrument::parse(c["instrument"].as_str().unwrap()).unwrap(),
                sectors: c["sectors"].as_array().map(|_| strings(&c["sectors"])),
            }],
            params: Params {
                tau: c["tau"].as_f64().unwrap(),
                delta: c["delta"].as_f64().unwrap(),
                rho: c["rho"].as_f64().unwrap(),
                rho_out: c["rho_out"].as_f64().unwrap(),
                ..Params::default()
            },
        };
        let res = shock::scenario::resolve(&spec, &reg, &t.labels, "icio2022").unwrap();
        // The same severed relations as the peer built.
        let mut ours: Vec<(String, String)> = res
            .legs
            .iter()
            .map(|l| {
                (
                    t.labels.regions[l.seller].code.clone(),
                    t.labels.regions[l.buyer].code.clone(),
                )
            })
            .collect();
        let mut theirs: Vec<(String, String)> = c["legs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p[0].as_str().unwrap().to_string(),
                    p[1].as_str().unwrap().to_string(),
                )
            })
            .collect();
        ours.sort();
        theirs.sort();
        assert_eq!(ours, theirs, "{name}: legs");
        let out = shock::run(&net, &res.legs, Model::Rerouting, &spec.params).unwrap();
        assert!(
            out.diagnostics.converged,
            "{name}: not converged: {:?}",
            out.diagnostics
        );
        let wl = c["world_loss"].as_f64().unwrap();
        let rel = (out.world_loss - wl).abs() / wl;
        let mut worst = rel;
        assert!(
            rel <= REL,
            "{name}: world loss {} vs peer {wl} ({rel:.2e})",
            out.world_loss
        );
        let mut checked = 0;
        for (code, v) in c["country_loss"].as_object().unwrap() {
            let theirs = v.as_f64().unwrap();
            let r = t.labels.region_index(code).unwrap();
            let ours = out.region_loss[r];
            if theirs.abs() >= 1e-3 * wl {
                let rel = (ours - theirs).abs() / theirs.abs();
                assert!(
                    rel <= REL,
                    "{name}: {code} loss {ours} vs peer {theirs} ({rel:.2e})"
                );
                worst = worst.max(rel);
                checked += 1;
            }
        }
        eprintln!(
            "{name}: world loss {:.1} vs {wl:.1}; {checked} countries checked; worst rel diff {worst:.2e}; \
             reroute {} it, equilibrium {} it; seconds {:?}",
            out.world_loss,
            out.diagnostics.reroute.as_ref().unwrap().iterations,
            out.diagnostics.equilibrium.as_ref().unwrap().iterations,
            out.diagnostics.seconds
        );
        worst_all = worst_all.max(worst);
    }
    eprintln!("worst relative difference over all scenarios: {worst_all:.2e}");
}
