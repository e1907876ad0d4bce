//! UI tests of `#[derive(Table)]`: every misuse fails with its own spanned message (the committed
//! `tests/ui/*.stderr`), and a struct using every attribute compiles and runs (`tests/ui-pass`).
//!
//! Regenerate the expected output with `TRYBUILD=overwrite cargo test -p orient-derive --test compile_fail`
//! and read the diff.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
    t.pass("tests/ui-pass/*.rs");
}
