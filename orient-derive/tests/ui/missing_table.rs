use orient_database::Table;

#[derive(Table)]
pub struct UserSession {
    #[orient(primary_key)]
    pub id: i64,
}

fn main() {}
