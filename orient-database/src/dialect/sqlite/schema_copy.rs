//! An empty in-memory database with the schema of a live one: where pending migrations are tried out to
//! learn what they will do to the live database before they run on it.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::Text;

use crate::db::backend::{DbConnection, from_sqlite};
use crate::dialect::sqlite::connection::{Access, configure};

/// A new in-memory database holding the tables, indexes, views and triggers of `conn`'s main database
/// (its own `CREATE` statements, in that order), and no rows. SQLite's internal tables are left to SQLite,
/// and the shadow tables of virtual tables to their module.
pub fn schema_only_copy(conn: &mut DbConnection) -> QueryResult<DbConnection> {
    #[derive(QueryableByName)]
    struct Object {
        #[diesel(sql_type = Text)]
        sql: String,
    }
    let objects: Vec<Object> = diesel::sql_query(
        "SELECT s.sql AS sql FROM main.sqlite_schema AS s \
         WHERE s.sql IS NOT NULL AND s.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' \
         AND s.name NOT IN (SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'shadow') \
         ORDER BY CASE s.type WHEN 'table' THEN 0 WHEN 'index' THEN 1 WHEN 'view' THEN 2 ELSE 3 END, s.rowid",
    )
    .load(conn)?;
    let mut copy = SqliteConnection::establish(":memory:")
        .map_err(|e| diesel::result::Error::QueryBuilderError(e.to_string().into()))?;
    configure(&mut copy, Access::ReadWrite)?;
    let mut copy = from_sqlite(copy);
    copy.batch_execute("PRAGMA foreign_keys = OFF;")?;
    for object in objects {
        copy.batch_execute(&object.sql)?;
    }
    copy.batch_execute("PRAGMA foreign_keys = ON;")?;
    Ok(copy)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::EngineConnection;

    #[test]
    fn the_copy_has_the_schema_and_no_rows() {
        let mut live = DbConnection::establish(":memory:").unwrap_or_else(|e| panic!("{e}"));
        live.batch_execute(
            "CREATE TABLE child (id INTEGER PRIMARY KEY AUTOINCREMENT, parent_id INTEGER REFERENCES parent(id));
             CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT 'x');
             CREATE INDEX idx_child_parent ON child (parent_id);
             CREATE VIEW names AS SELECT name FROM parent;
             CREATE TRIGGER t AFTER INSERT ON parent BEGIN SELECT 1; END;
             INSERT INTO parent VALUES (1, 'a'); INSERT INTO child (parent_id) VALUES (1);",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let mut copy = schema_only_copy(&mut live).unwrap_or_else(|e| panic!("{e}"));
        let a = live.introspect().unwrap_or_else(|e| panic!("{e}"));
        let b = copy.introspect().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(a, b);
        #[derive(QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let rows: N = diesel::sql_query("SELECT count(*) AS n FROM parent")
            .get_result(&mut copy)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(rows.n, 0);
    }
}
