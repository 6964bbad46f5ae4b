//! The pymrio save_all table parser on arbitrary text, with index/header counts from the first byte.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some((&b, rest)) = data.split_first() {
        let c = 1 + (b & 3) as usize;
        let h = 1 + ((b >> 2) & 3) as usize;
        let text = String::from_utf8_lossy(rest);
        let _ = sovra_core::read::pymrio::parse_frame(&text, "fuzz.txt", c, h);
    }
});
