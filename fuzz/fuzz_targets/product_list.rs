//! Product lists (`products_file`, `--products`) on arbitrary input: `read_list` gives an error naming the
//! file, row and column, or codes that `expand` turns into HS6 codes of the bridge (each landing in a sector)
//! or refuses with an error — never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sovra_core::bridge::{Bridge, read_list};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let Ok(items) = read_list(&text, "fuzz.csv") else {
        return;
    };
    let b = Bridge::shipped();
    if let Ok(codes) = b.expand(&items, "products") {
        assert!(!codes.is_empty());
        for c in &codes {
            assert!(b.classes(c).is_some_and(|v| !v.is_empty()), "{c}");
        }
    }
});
