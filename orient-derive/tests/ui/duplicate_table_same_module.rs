use orient_database::Table;

#[derive(Table)]
#[orient(table = "users")]
pub struct User {
    #[orient(primary_key)]
    pub id: i64,
}

#[derive(Table)]
#[orient(table = "users")]
pub struct Account {
    #[orient(primary_key)]
    pub id: i64,
}

fn main() {}
