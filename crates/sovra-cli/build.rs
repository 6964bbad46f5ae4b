//! Link options of the `sovra` binary only (no other crate is rebuilt for them).
//!
//! On Linux with glibc, relative relocations are packed (DT_RELR, `-z pack-relative-relocs`, GNU ld ≥ 2.38 and
//! glibc ≥ 2.36; an older ld ignores the option, and ld packs only when the C library supports it). The binary
//! carries ~180,000 relative relocations (DataFusion's tables of function pointers): applied one by one at each
//! start they cost ~10 ms and copy every page they touch — a seventh of a short command such as `decompose`.
fn main() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if os == "linux" && env == "gnu" && std::env::var_os("SOVRA_NO_RELR").is_none() {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
    println!("cargo:rerun-if-env-changed=SOVRA_NO_RELR");
}
