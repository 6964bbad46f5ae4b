//! How long each phase of one rerouting scenario takes, repeated on a table loaded once (a development aid
//! for the shock engine; `bench/` compares with the peer):
//! `cargo run --release --example shock_phases -- DATASET_DIR SELLER BUYER [RUNS]`, e.g.
//! `… -- ~/.local/share/sovra/datasets/icio2022 USA CHN 9` for a USA–CHN embargo (both directions).
use sovra_analysis::shock::{self, Instrument, Leg, Model, Network, Params};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, dir, seller, buyer, rest @ ..] = &args[..] else {
        return Err("usage: shock_phases DATASET_DIR SELLER BUYER [RUNS]".into());
    };
    let t = sovra_core::store::open_dir(std::path::Path::new(dir))?;
    let pos = |c: &str| {
        t.labels
            .regions
            .iter()
            .position(|r| r.code == c)
            .ok_or("no region")
    };
    let (a, b) = (pos(seller)?, pos(buyer)?);
    let runs: usize = rest.first().map(|s| s.parse()).transpose()?.unwrap_or(7);
    let net = Network::from_ref(&t)?;
    let legs = [
        Leg {
            seller: a,
            buyer: b,
            sectors: None,
            instrument: Instrument::ExportBan,
            shares: None,
        },
        Leg {
            seller: b,
            buyer: a,
            sectors: None,
            instrument: Instrument::ImportBan,
            shares: None,
        },
    ];
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); 4];
    let mut last = None;
    for _ in 0..runs {
        let bt: f64 = std::env::var("BT")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(1e-10);
        let o = shock::run(
            &net,
            &legs,
            Model::Rerouting,
            &Params {
                balance_tol: bt,
                ..Params::default()
            },
        )?;
        let s = &o.diagnostics.seconds;
        for (k, (_, v)) in s.iter().enumerate() {
            times[k].push(*v);
        }
        times[3].push(s.iter().map(|(_, v)| v).sum());
        last = Some(o);
    }
    let o = last.ok_or("no run")?;
    for (k, name) in ["reroute", "equilibrium", "stability", "total"]
        .iter()
        .enumerate()
    {
        let mut v = times[k].clone();
        v.sort_by(f64::total_cmp);
        println!("{name:12} median {:.4} min {:.4}", v[v.len() / 2], v[0]);
    }
    let d = &o.diagnostics;
    println!(
        "world loss {:.6} reroute it {:?} eq it {:?}",
        o.world_loss,
        d.reroute.as_ref().map(|r| r.iterations),
        d.equilibrium.as_ref().map(|r| r.iterations)
    );
    Ok(())
}
