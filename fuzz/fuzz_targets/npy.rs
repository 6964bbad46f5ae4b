//! The `.npy` reader (native store arrays, npz members) on arbitrary bytes: errors, never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = sovra_core::npy::read_f64(&mut &data[..], "fuzz.npy");
    let _ = sovra_core::npy::read_strings(&mut &data[..], "fuzz.npy");
});
