//! Measures where the time goes in a Leontief solve, and LU against GMRES for k right-hand sides, on a stored
//! dataset: `sovra-bench-solver [DATASET] [k1,k2,…]` (defaults: icio2022, 1,2,8,32,128,512).
//! Prints the cost model's choice next to the measured times, so the crossover can be checked.

use std::time::Instant;

use sovra_core::faer::Mat;
use sovra_core::{LeontiefSystem, Method, Side, store};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let name = args.get(1).map(String::as_str).unwrap_or("icio2022");
    let ks: Vec<usize> = args
        .get(2)
        .map(|s| s.split(',').filter_map(|k| k.parse().ok()).collect())
        .unwrap_or_else(|| vec![1, 2, 8, 32, 128, 512]);
    let t0 = Instant::now();
    let t = store::open(&store::home(), name)?;
    let load = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let mut sys = LeontiefSystem::from_table(&t)?;
    let build = t1.elapsed().as_secs_f64();
    println!(
        "dataset {name}: n = {}, load {load:.3} s, build A + checks {build:.3} s, sparse = {}, ρ̂ = {:.3}",
        t.n(),
        sys.is_sparse(),
        sys.rho_estimate
    );
    if std::env::var_os("SOVRA_PROBE_APPLY").is_some() {
        for &k in &ks {
            probe_apply(&sys, k);
        }
        return Ok(());
    }
    let t2 = Instant::now();
    sys.method = Method::Lu;
    let one = Mat::<f64>::from_fn(t.n(), 1, |i, _| t.x[i].max(1.0));
    sys.solve(one.as_ref(), Side::Transposed)?;
    let factor = t2.elapsed().as_secs_f64();
    println!("LU factorisation (+1 solve): {factor:.3} s");
    println!(
        "{:>6}  {:>10}  {:>10}  {:>10}  {:>8}  {:>6}  {:>10}",
        "k", "LU solve s", "LU total s", "GMRES s", "iters", "auto", "faster"
    );
    for &k in &ks {
        let b = Mat::<f64>::from_fn(t.n(), k, |i, j| {
            if j == 0 {
                1.0
            } else {
                ((i * 7 + j * 13) % 17) as f64 + 1.0
            }
        });
        sys.method = Method::Lu;
        let t3 = Instant::now();
        sys.solve(b.as_ref(), Side::Transposed)?;
        let lu_solve = t3.elapsed().as_secs_f64();
        sys.method = Method::Iterative;
        let t4 = Instant::now();
        let (_, rep) = sys.solve(b.as_ref(), Side::Transposed)?;
        let it = t4.elapsed().as_secs_f64();
        // What Auto would pick for a fresh system (no cached LU).
        let fresh = LeontiefSystem::from_table(&t)?;
        let auto = match fresh.choose(k) {
            Method::Lu => "lu",
            _ => "gmres",
        };
        let lu_total = factor + lu_solve;
        println!(
            "{k:>6}  {lu_solve:>10.3}  {lu_total:>10.3}  {it:>10.3}  {:>8}  {auto:>6}  {:>10}",
            rep.iterations,
            if it < lu_total { "gmres" } else { "lu" }
        );
    }
    Ok(())
}

/// Times one product with `I − A` (both sides) for `k` columns (`SOVRA_PROBE_APPLY=1`).
fn probe_apply(sys: &LeontiefSystem, k: usize) {
    let w = Mat::<f64>::from_fn(sys.n(), k, |i, j| ((i * 7 + j * 13) % 11) as f64);
    for side in [Side::Forward, Side::Transposed] {
        let t = Instant::now();
        for _ in 0..5 {
            std::hint::black_box(sys.apply(w.as_ref(), side));
        }
        println!(
            "apply {side:?} k={k}: {:.4} s per product",
            t.elapsed().as_secs_f64() / 5.0
        );
    }
}
