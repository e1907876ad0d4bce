use orient_database::Table;

#[derive(Table)]
#[orient(tabel = "users")]
pub struct User {
    #[orient(primary_key)]
    pub id: i64,
}

fn main() {}
