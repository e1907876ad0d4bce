use orient_database::Table;

#[derive(Table)]
#[orient(table = "users")]
pub struct User {
    #[orient(primary_key)]
    pub id: i64,
    pub nickname: Option<Option<String>>,
}

fn main() {}
