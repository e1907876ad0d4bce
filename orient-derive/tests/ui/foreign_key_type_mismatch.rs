use diesel::prelude::*;
use orient_database::Table;
use orient_database::db::DbConnection;

#[derive(Table)]
#[orient(table = "users")]
pub struct User {
    #[orient(primary_key, autoincrement)]
    pub id: i64,
}

#[derive(Table)]
#[orient(table = "posts")]
pub struct Post {
    #[orient(primary_key, autoincrement)]
    pub id: i64,
    #[orient(references = users::id)]
    pub author_id: i32,
    #[orient(references = users::id, on_delete = set_null)]
    pub editor_id: Option<String>,
}

orient_database::register_tables! {
    users => User,
    posts => Post,
}

// The join through the mismatched key adds no error of its own.
pub fn post_ids(conn: &mut DbConnection) -> QueryResult<Vec<i64>> {
    posts::table.inner_join(users::table).select(posts::id).load(conn)
}

fn main() {}
