use orient_database::Table;

#[derive(Table)]
#[orient(table = "users")]
pub struct User {
    #[orient(primary_key)]
    pub id: i64,
    #[orient(default = 3000000000)]
    pub score: i32,
}

fn main() {}
