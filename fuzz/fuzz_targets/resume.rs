//! The `--resume` reader on arbitrary partial files: a refusal naming a line, or complete scenarios whose
//! kept bytes are a prefix of the file ending at a line end; never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sovra_report::partial::{PartialFormat, read};

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else { return };
    let format = if which % 2 == 0 {
        PartialFormat::Csv
    } else {
        PartialFormat::JsonLines
    };
    match read(rest, format, "00000000000000aa", "fuzz.partial") {
        Ok(p) => {
            assert!(p.keep <= rest.len());
            assert!(p.keep == 0 || rest[p.keep - 1] == b'\n');
            let mut names = p.done.clone();
            names.sort();
            names.dedup();
            assert_eq!(names.len(), p.done.len(), "a scenario counted twice");
        }
        Err(e) => assert!(e.line >= 1 && e.to_string().len() < 2000),
    }
});
