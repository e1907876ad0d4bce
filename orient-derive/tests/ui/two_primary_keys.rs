use orient_database::Table;

#[derive(Table)]
#[orient(table = "users")]
pub struct User {
    #[orient(primary_key)]
    pub id: i64,
    #[orient(primary_key)]
    pub email: String,
}

fn main() {}
