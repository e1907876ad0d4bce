use orient_database::Table;

#[derive(Table)]
#[orient(table = "users")]
pub struct User {
    #[orient(primary_key)]
    pub id: i64,
    #[orient(default_now)]
    pub created_at: Option<i64>,
}

fn main() {}
