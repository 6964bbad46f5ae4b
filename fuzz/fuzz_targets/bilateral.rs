//! The bilateral trade reader (BACI `t,i,j,k,v,q` with a code map, or the long format) on arbitrary bytes:
//! errors naming file, line and column, never panics.
#![no_main]
use std::collections::HashMap;

use libfuzzer_sys::fuzz_target;
use sovra_trade::bilateral::{Rows, read_rows};

fuzz_target!(|data: &[u8]| {
    let codes: HashMap<u32, String> = [(4, "AFG".to_string()), (8, "ALB".to_string())].into();
    if let Ok(rows) = Rows::from_reader("fuzz.csv", Box::new(std::io::Cursor::new(data.to_vec())), Some(&codes)) {
        let _ = read_rows(rows);
    }
});
