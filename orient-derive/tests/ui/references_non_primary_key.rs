use orient_database::Table;

#[derive(Table)]
#[orient(table = "users")]
pub struct User {
    #[orient(primary_key)]
    pub id: String,
    pub email: String,
}

#[derive(Table)]
#[orient(table = "posts")]
pub struct Post {
    #[orient(primary_key)]
    pub id: i64,
    #[orient(references = users::email)]
    pub author_email: String,
}

fn main() {}
