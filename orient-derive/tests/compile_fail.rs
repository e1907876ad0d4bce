//! UI tests of `#[derive(Table)]` and `#[orient_database::test]`: every misuse fails with its own spanned
//! message (the committed `tests/ui/*.stderr`, `tests/ui-test-attr/*.stderr`), and correct uses compile
//! and run (`tests/ui-pass`).
//!
//! Regenerate the expected output with `TRYBUILD=overwrite cargo test -p orient-derive --test compile_fail`
//! and read the diff.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
    t.compile_fail("tests/ui-test-attr/*.rs");
    t.pass("tests/ui-pass/*.rs");
}
