//! `../shared/data` for the tests that check sovra against real data beside the clone (included with
//! `#[path = …] mod shared_data;` by the test files of every crate that needs it, so there is one rule).
//!
//! Absent and `SOVRA_REQUIRE_SHARED` unset (a fresh clone): a NOTICE naming what is skipped, and `None`.
//! Absent and `SOVRA_REQUIRE_SHARED` set (`.ci/run` sets it: CI always has ../shared): a panic, so CI cannot
//! pass by skipping. Mirrors `sovra_core::store::open_or_notice` and `SOVRA_REQUIRE_ICIO`.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// `../shared/data` as seen from a crate of this workspace (`crates/<name>`), whether present or not.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data")
}

/// `../shared/data/<rel>` when it exists; otherwise a NOTICE saying that `skipped` is skipped and `None`,
/// or a panic when `SOVRA_REQUIRE_SHARED` is set.
pub fn or_notice(rel: &str, skipped: &str) -> Option<PathBuf> {
    let p = root().join(rel);
    if p.exists() {
        return Some(p);
    }
    assert!(
        std::env::var_os("SOVRA_REQUIRE_SHARED").is_none(),
        "SOVRA_REQUIRE_SHARED is set but {} is absent ({skipped} needs it)",
        p.display()
    );
    eprintln!(
        "NOTICE: {} is absent; {skipped} is skipped (set SOVRA_REQUIRE_SHARED=1 to make this a failure)",
        p.display()
    );
    None
}
