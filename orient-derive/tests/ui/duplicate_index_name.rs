use orient_database::Table;

#[derive(Table)]
#[orient(table = "users")]
#[orient(index(name = "idx_users_email", columns(email, name)))]
pub struct User {
    #[orient(primary_key)]
    pub id: i64,
    #[orient(index = "idx_users_email")]
    pub email: String,
    pub name: String,
}

fn main() {}
