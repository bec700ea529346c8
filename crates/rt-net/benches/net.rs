//! `cargo xtask bench net` (being built).
fn main() {}
