//! The end of a differential test: every case compared, none differing.

/// Fails listing (up to 15 of) `failures` when there are any, saying how
/// many of `compared` cases differ; otherwise prints `name: N cases
/// compared`, so a run shows how much was checked.
pub fn assert_none_differ(name: &str, failures: &[String], compared: usize) {
    assert!(
        failures.is_empty(),
        "{name}: {} of {compared} cases differ:\n{}",
        failures.len(),
        failures[..failures.len().min(15)].join("\n")
    );
    eprintln!("{name}: {compared} cases compared");
}
