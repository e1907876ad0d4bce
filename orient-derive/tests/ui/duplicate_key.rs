use orient_database::Table;

#[derive(Table)]
#[orient(table = "users", table = "people")]
pub struct User {
    #[orient(primary_key)]
    pub id: i64,
    #[orient(default = true)]
    #[orient(default = false)]
    pub active: bool,
}

fn main() {}
