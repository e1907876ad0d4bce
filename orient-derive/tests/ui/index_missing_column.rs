use orient_database::Table;

#[derive(Table)]
#[orient(table = "users")]
#[orient(index(name = "idx_users_name", columns(first_name, last_nme)))]
pub struct User {
    #[orient(primary_key)]
    pub id: i64,
    pub first_name: String,
    pub last_name: String,
}

fn main() {}
