#[orient_database::test]
fn needs_nothing() {}

fn main() {}
