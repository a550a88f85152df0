//! The `onus` command-line tool.
fn main() {}
