//! The native store's `meta.json` parser on arbitrary bytes: errors, never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(meta) = sovra_core::store::parse_meta(data, "meta.json") {
        let _ = meta.labels().n_nodes();
    }
});
