use orient_database::Table;

#[derive(Table)]
#[orient(table = "users")]
pub struct User {
    #[orient(primary_key, autoincrement = true)]
    pub id: i64,
}

fn main() {}
