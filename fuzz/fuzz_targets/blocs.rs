//! Custom-bloc TOML files and bloc expressions on arbitrary input: errors, never panics. The first byte picks
//! the reader; the rest is the input.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sovra_core::blocs::{Date, Registry};

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else { return };
    let text = String::from_utf8_lossy(rest);
    let mut reg = Registry::builtin();
    let date = Date::parse("2025-06-30").unwrap();
    if which % 2 == 0 {
        if reg.add_toml(&text, std::path::Path::new("blocs.toml")).is_ok() {
            for b in reg.blocs() {
                let _ = b.members_on(date);
            }
        }
    } else if let Ok(sel) = reg.eval_with_codes(&text, date, &["ROW", "R01"]) {
        assert!(!sel.members.is_empty());
    }
});
