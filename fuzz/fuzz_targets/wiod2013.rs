//! The WIOD 2013 reader on arbitrary text: errors naming file, row and column, never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let names = std::collections::HashMap::new();
    let _ = sovra_core::read::wiod2013::read_from(data, "fuzz.csv", "fuzz", "fuzz", Some(2000), &names);
});
