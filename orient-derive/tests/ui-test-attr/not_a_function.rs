#[orient_database::test]
struct Fixture;

fn main() {}
