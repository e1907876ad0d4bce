use orient_database::Table;

#[derive(Table)]
#[orient(table = "users")]
pub struct User {
    #[orient(primary_key)]
    pub id: u64,
    pub tags: Vec<String>,
}

fn main() {}
