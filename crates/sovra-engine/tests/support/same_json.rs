//! Are two reports the same? Their JSON compared value by value, numbers to 1e-9 relative (another summation
//! order moves the last digits), provenance left out. Shared by the tests that run one request two ways:
//! DataFusion plans against the in-memory path (sovra-engine's `trade_plans.rs`), a Ballista cluster against
//! local mode (sovra-cli's `cluster.rs`, which includes this file by path).

use serde_json::Value as Json;

/// Compares `a` and `b` (named `names[0]` and `names[1]` in a failure, at `at`); returns how many numbers
/// were compared.
pub fn same_json(a: &Json, b: &Json, at: &str, names: [&str; 2]) -> usize {
    match (a, b) {
        (Json::Number(x), Json::Number(y)) => {
            let (x, y) = (x.as_f64().expect("f64"), y.as_f64().expect("f64"));
            assert!(
                (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1e-3),
                "{at}: {x} ({}) vs {y} ({})",
                names[0],
                names[1]
            );
            1
        }
        (Json::Array(x), Json::Array(y)) => {
            assert_eq!(x.len(), y.len(), "{at}: lengths differ");
            x.iter()
                .zip(y)
                .enumerate()
                .map(|(i, (x, y))| same_json(x, y, &format!("{at}[{i}]"), names))
                .sum()
        }
        (Json::Object(x), Json::Object(y)) => {
            let (kx, ky): (Vec<_>, Vec<_>) = (x.keys().collect(), y.keys().collect());
            assert_eq!(kx, ky, "{at}: keys differ");
            x.iter()
                .filter(|(k, _)| *k != "provenance")
                .map(|(k, v)| same_json(v, &y[k], &format!("{at}.{k}"), names))
                .sum()
        }
        _ => {
            assert_eq!(a, b, "{at}");
            0
        }
    }
}
