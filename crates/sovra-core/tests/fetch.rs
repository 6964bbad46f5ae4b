//! Fetching without a usable Python is a clear error, and leaves nothing behind in the store.

#[test]
fn missing_python_is_a_clear_error() {
    let home = tempfile::tempdir().unwrap();
    // SAFETY: this test binary has a single test, so no other thread reads the environment concurrently.
    unsafe { std::env::set_var("SOVRA_PYTHON", "/nonexistent/python3") };
    let e = sovra_core::fetch::fetch_icio2022(home.path(), false, &mut |_| {})
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("cannot run '/nonexistent/python3'") && e.contains("pip"),
        "{e}"
    );
    assert!(!home.path().join("datasets").join("icio2022").exists());
    let leftovers: Vec<_> = std::fs::read_dir(home.path().join("cache").join("wheels"))
        .unwrap()
        .collect();
    assert!(
        leftovers.is_empty(),
        "temporary download directory left behind"
    );
}
