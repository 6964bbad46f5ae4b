//! The icio2022 reader (`bench_cache.npz` layout) on arbitrary archives: errors, never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = sovra_core::read::icio2022::read_npz(data, "fuzz.npz", &[], &[], None);
});
