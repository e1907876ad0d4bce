//! One mistake in a parent table is one error: the derive still declares the table's module, insert
//! struct and model, so the child's foreign key and join, the registration, the queries and the inserts
//! naming the table add none.

use diesel::prelude::*;
use orient_database::Table;
use orient_database::db::DbConnection;
use orient_database::model::TableModel;

#[derive(Table, Queryable, Selectable, Identifiable, Debug)]
#[diesel(table_name = users)]
#[orient(table = "users")]
pub struct User {
    #[orient(primary_ky)]
    pub id: i64,
    #[orient(unique)]
    pub email: String,
}

#[derive(Table, Queryable, Selectable, Identifiable, Associations, Debug)]
#[diesel(table_name = posts, belongs_to(User))]
#[orient(table = "posts")]
pub struct Post {
    #[orient(primary_key, autoincrement)]
    pub id: i64,
    #[orient(references = users::id, on_delete = cascade)]
    pub user_id: i64,
    pub title: String,
}

orient_database::register_tables! {
    users => User,
    posts => Post,
}

pub fn titles_by_email(conn: &mut DbConnection, email: &str) -> QueryResult<Vec<(String, String)>> {
    posts::table
        .inner_join(users::table)
        .filter(users::email.eq(email))
        .select((users::email, posts::title))
        .load(conn)
}

pub fn add(conn: &mut DbConnection) -> QueryResult<usize> {
    NewUser::insert_all(conn, &[NewUser::new(1, "a@example.com")])?;
    NewPost::insert_all(conn, &[NewPost::new(1, "hello")])
}

fn main() {
    assert_eq!(TABLES.len(), 2);
    assert_eq!(<User as TableModel>::NAME, "users");
}
