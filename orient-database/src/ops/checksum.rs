//! The content checksum of a database: equal checksums mean equal rows in equal tables, whatever the
//! files look like (page layout, free pages, the WAL) and, by design, whatever the engine.
//!
//! Definition (`orient-content-v1`), computed through SQL only, so PostgreSQL can reproduce it:
//!
//! 1. Tables: every table of the application and of the tools (the engine's internal tables are left
//!    out), in byte order of their names.
//! 2. Rows: `SELECT <columns in byte order of their names> FROM <table> ORDER BY <primary key columns in
//!    key order>` (all columns in name order for a table without a primary key); text keys are ordered
//!    by bytes (SQLite `COLLATE BINARY`, PostgreSQL `COLLATE "C"`).
//! 3. Each value is encoded by what it is, not by the column's declared type: `n` for NULL; `i` and the
//!    decimal integer (booleans are the integers 0 and 1, times are Unix seconds, as on both engines);
//!    `r` and the 16 hex digits of the IEEE-754 bits of a real; `t`, the byte length, `:` and the UTF-8
//!    bytes of a text; `b`, the byte length, `:` and the bytes of a blob. Values of a row are separated by
//!    `,` and each row ends with `\n`.
//! 4. A table's checksum is the SHA-256 of `columns:` followed by each column name as `<length>:<name>,`
//!    and `\n`, then its rows. The database's checksum is the SHA-256 of one line per table:
//!    `<name>\t<rows>\t<table checksum>\n`.
//!
//! A PostgreSQL implementation reads the same rows (its `bool` as 0/1, `bytea` as a blob, `float8` as a
//! real) and feeds them to [`TableHasher`]; only [`crate::dialect`]'s row reader differs.

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::bookkeeping::is_bookkeeping_table;
use crate::db::backend::DbConnection;
use crate::dialect::sqlite::content;
pub use crate::ops::content::{ContentTable, ContentValue};

/// The name and version of the definition above, stored with every checksum.
pub const ALGORITHM: &str = "orient-content-v1";

/// The checksum of one table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableChecksum {
    pub table: String,
    pub rows: u64,
    pub sha256: String,
    /// A table of the tools (migration ledger, checksums, push log) rather than of the application.
    pub bookkeeping: bool,
}

/// The checksum of a whole database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContentChecksum {
    pub algorithm: &'static str,
    pub sha256: String,
    pub tables: Vec<TableChecksum>,
}

impl ContentChecksum {
    /// Rows in all tables.
    pub fn rows(&self) -> u64 {
        self.tables.iter().map(|t| t.rows).sum()
    }

    /// Tables whose checksum differs from `other`'s, or that only one of the two has.
    pub fn differing_tables(&self, other: &ContentChecksum) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for table in &self.tables {
            if !other.tables.contains(table) {
                names.push(table.table.clone());
            }
        }
        for table in &other.tables {
            if !self.tables.iter().any(|t| t.table == table.table) {
                names.push(table.table.clone());
            }
        }
        names.sort();
        names.dedup();
        names
    }
}

/// Hashes the rows of one table as the definition says.
#[derive(Debug, Clone)]
pub struct TableHasher {
    hash: Sha256,
    rows: u64,
}

impl TableHasher {
    pub fn new(columns: &[String]) -> TableHasher {
        let mut hash = Sha256::new();
        hash.update(b"columns:");
        for column in columns {
            hash.update(format!("{}:", column.len()).as_bytes());
            hash.update(column.as_bytes());
            hash.update(b",");
        }
        hash.update(b"\n");
        TableHasher { hash, rows: 0 }
    }

    pub fn row(&mut self, values: &[ContentValue]) {
        for (i, value) in values.iter().enumerate() {
            if i > 0 {
                self.hash.update(b",");
            }
            match value {
                ContentValue::Null => self.hash.update(b"n"),
                ContentValue::Integer(n) => self.hash.update(format!("i{n}").as_bytes()),
                ContentValue::Real(x) => {
                    self.hash
                        .update(format!("r{:016x}", x.to_bits()).as_bytes());
                }
                ContentValue::Text(t) => {
                    self.hash.update(format!("t{}:", t.len()).as_bytes());
                    self.hash.update(t.as_bytes());
                }
                ContentValue::Blob(b) => {
                    self.hash.update(format!("b{}:", b.len()).as_bytes());
                    self.hash.update(b);
                }
            }
        }
        self.hash.update(b"\n");
        self.rows += 1;
    }

    pub fn finish(self, table: &str) -> TableChecksum {
        TableChecksum {
            table: table.to_owned(),
            rows: self.rows,
            sha256: format!("{:x}", self.hash.finalize()),
            bookkeeping: is_bookkeeping_table(table),
        }
    }
}

/// Combines table checksums (already in byte order of their names) into the database's.
pub fn combine(tables: Vec<TableChecksum>) -> ContentChecksum {
    let mut hash = Sha256::new();
    for table in &tables {
        hash.update(format!("{}\t{}\t{}\n", table.table, table.rows, table.sha256).as_bytes());
    }
    ContentChecksum {
        algorithm: ALGORITHM,
        sha256: format!("{:x}", hash.finalize()),
        tables,
    }
}

/// The content checksum of the database `conn` is open on, read in one transaction (a consistent
/// snapshot; a savepoint when the caller already has a transaction open, which is how a backup reads
/// it inside the snapshot it exports).
pub fn content_checksum(conn: &mut DbConnection) -> diesel::QueryResult<ContentChecksum> {
    #[cfg(feature = "postgres")]
    if let DbConnection::Postgres(conn) = conn {
        return postgres_checksum(conn);
    }
    let Some(conn) = crate::db::backend::as_sqlite(conn) else {
        return unreachable_engine();
    };
    sqlite_checksum(conn)
}

/// Only reached by an engine this build does not have (none today): a connection is always one of
/// the engines above.
fn unreachable_engine() -> diesel::QueryResult<ContentChecksum> {
    Err(diesel::result::Error::QueryBuilderError(
        "the content checksum does not know this connection's engine".into(),
    ))
}

fn sqlite_checksum(conn: &mut diesel::SqliteConnection) -> diesel::QueryResult<ContentChecksum> {
    use diesel::Connection;
    conn.transaction(|conn| {
        let mut checksums = Vec::new();
        for table in content::tables(conn)? {
            let mut hasher = TableHasher::new(&table.columns);
            content::for_each_row(conn, &table, |values| hasher.row(values))?;
            checksums.push(hasher.finish(&table.name));
        }
        Ok(combine(checksums))
    })
}

/// The content checksum of a PostgreSQL database (see [`content_checksum`]).
#[cfg(feature = "postgres")]
pub(crate) fn postgres_checksum(
    conn: &mut diesel::PgConnection,
) -> diesel::QueryResult<ContentChecksum> {
    use crate::dialect::postgres::content as pg;
    use diesel::Connection;
    // Outside a transaction this opens a REPEATABLE READ one, so every table is read in one snapshot
    // (READ COMMITTED would take a new snapshot per statement); inside one (a backup's exported
    // snapshot) a savepoint, which keeps the caller's snapshot.
    let read = |conn: &mut diesel::PgConnection| {
        let mut checksums = Vec::new();
        for table in pg::tables(conn)? {
            let mut hasher = TableHasher::new(&table.content.columns);
            pg::for_each_row(conn, &table, |values| hasher.row(values))?;
            checksums.push(hasher.finish(&table.content.name));
        }
        Ok(combine(checksums))
    };
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    let depth = <AnsiTransactionManager as TransactionManager<diesel::PgConnection>>::transaction_manager_status_mut(conn)
        .transaction_depth()
        .ok()
        .flatten();
    if depth.is_some() {
        conn.transaction(read)
    } else {
        conn.build_transaction()
            .repeatable_read()
            .read_only()
            .run(read)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::Connection;
    use diesel::connection::SimpleConnection;

    fn checksum_of(sql: &str) -> ContentChecksum {
        let mut conn = DbConnection::establish(":memory:").unwrap_or_else(|e| panic!("{e}"));
        conn.batch_execute(sql).unwrap_or_else(|e| panic!("{e}"));
        content_checksum(&mut conn).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn the_encoding_is_the_documented_one() {
        let mut hasher = TableHasher::new(&["a".to_owned(), "bc".to_owned()]);
        hasher.row(&[
            ContentValue::Integer(-5),
            ContentValue::Text("x,y".to_owned()),
        ]);
        hasher.row(&[ContentValue::Null, ContentValue::Real(1.5)]);
        hasher.row(&[
            ContentValue::Blob(vec![0, 255]),
            ContentValue::Text("é".to_owned()),
        ]);
        let mut expected = Sha256::new();
        expected.update(
            b"columns:1:a,2:bc,\ni-5,t3:x,y\nn,r3ff8000000000000\nb2:\x00\xff,t2:\xc3\xa9\n",
        );
        let table = hasher.finish("t");
        assert_eq!(table.sha256, format!("{:x}", expected.finalize()));
        assert_eq!(table.rows, 3);
    }

    #[test]
    fn equal_content_in_different_physical_order_gives_equal_checksums() {
        let a = checksum_of(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, n REAL);
             INSERT INTO t VALUES (2, 'b', 0.5), (1, 'a', NULL);
             CREATE TABLE k (x TEXT, y INTEGER); INSERT INTO k VALUES ('z', 1), ('a', 2);",
        );
        // Columns declared in another order, rows inserted in another order.
        let b = checksum_of(
            "CREATE TABLE k (y INTEGER, x TEXT); INSERT INTO k VALUES (2, 'a'), (1, 'z');
             CREATE TABLE t (n REAL, name TEXT, id INTEGER PRIMARY KEY);
             INSERT INTO t VALUES (NULL, 'a', 1), (0.5, 'b', 2);",
        );
        assert_eq!(a, b);
        assert_eq!(a.rows(), 4);
        assert_eq!(a.algorithm, ALGORITHM);
    }

    #[test]
    fn any_changed_value_or_storage_class_changes_the_checksum() {
        let base = "CREATE TABLE t (id INTEGER PRIMARY KEY, v);";
        let one = checksum_of(&format!("{base} INSERT INTO t VALUES (1, 1);"));
        let text_one = checksum_of(&format!("{base} INSERT INTO t VALUES (1, '1');"));
        let two = checksum_of(&format!("{base} INSERT INTO t VALUES (1, 2);"));
        let null = checksum_of(&format!("{base} INSERT INTO t VALUES (1, NULL);"));
        let empty = checksum_of(base);
        let all = [&one, &text_one, &two, &null, &empty];
        for (i, a) in all.iter().enumerate() {
            for b in &all[i + 1..] {
                assert_ne!(a.sha256, b.sha256);
            }
        }
        assert_eq!(one.differing_tables(&two), vec!["t".to_owned()]);
    }

    #[test]
    fn sqlite_internal_tables_are_not_content_but_the_tools_tables_are() {
        let sums = checksum_of(
            "CREATE TABLE a (id INTEGER PRIMARY KEY AUTOINCREMENT, x TEXT); INSERT INTO a (x) VALUES ('v');
             CREATE TABLE \"__diesel_schema_migrations\" (version TEXT PRIMARY KEY);",
        );
        let names: Vec<&str> = sums.tables.iter().map(|t| t.table.as_str()).collect();
        assert_eq!(names, vec!["__diesel_schema_migrations", "a"]);
        assert!(sums.tables[0].bookkeeping && !sums.tables[1].bookkeeping);
    }
}
