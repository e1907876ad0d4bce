use orient_database::Table;

#[derive(Table)]
#[orient(table = "users")]
pub struct User(#[orient(primary_key)] i64, String);

fn main() {}
