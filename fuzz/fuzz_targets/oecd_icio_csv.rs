//! The raw OECD ICIO CSV reader on arbitrary text: errors, never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = sovra_core::read::oecd_icio_csv::read_from(data, "fuzz.csv", "fuzz", "fuzz", None);
});
