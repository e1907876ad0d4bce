use orient_database::Table;

#[derive(Table)]
#[orient(table = "sqlite_users")]
pub struct User {
    #[orient(primary_key)]
    pub id: i64,
}

fn main() {}
