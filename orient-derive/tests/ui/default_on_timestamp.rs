use orient_database::Table;
use orient_database::types::Timestamp;

#[derive(Table)]
#[orient(table = "users")]
pub struct User {
    #[orient(primary_key)]
    pub id: i64,
    #[orient(default = 0)]
    pub created_at: Timestamp,
}

fn main() {}
