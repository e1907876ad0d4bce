use orient_database::Table;

#[derive(Table)]
#[orient(table = "users")]
pub struct User {
    pub id: i64,
    pub name: String,
}

fn main() {}
