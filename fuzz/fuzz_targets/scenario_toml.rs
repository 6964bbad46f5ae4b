//! Scenario files (TOML) on arbitrary input: an error or a scenario whose parameters are in their domains,
//! that resolves on a small table or fails with an error, and that writes back to TOML reading as itself.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sovra_analysis::shock::ScenarioSpec;
use sovra_core::blocs::Registry;
use sovra_core::synth;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let Ok(spec) = ScenarioSpec::from_toml(&text, "fuzz.toml") else {
        return;
    };
    assert!(spec.params.validate().is_ok());
    let again = ScenarioSpec::from_toml(&spec.to_toml(), "again.toml").expect("round trip");
    assert_eq!(again.to_toml(), spec.to_toml());
    let t = synth::table(
        "f",
        synth::Spec {
            regions: 3,
            sectors: 2,
            ..Default::default()
        },
    )
    .expect("table");
    let _ = sovra_analysis::shock::scenario::resolve(&spec, &Registry::builtin(), &t.labels, "f");
});
