//! `insert_all` on PostgreSQL: one `COPY … FROM STDIN (FORMAT binary)` per call (Diesel's
//! `copy_from(table).from_insertable(rows)`), instead of the multi-row `INSERT`s SQLite gets.
//!
//! Why COPY: an `INSERT` of 1000 rows binds 14 000 parameters which the server parses, plans and
//! executes as one statement per chunk; COPY streams the rows in PostgreSQL's binary row format through
//! one statement, with no parameter limit and no plan. Diesel writes the binary format from the insert
//! struct's own `ToSql` impls, so every type that inserts also copies (the struct must be derived with
//! `treat_none_as_default_value = false`, which `#[derive(Table)]` does: a `None` is NULL, never
//! DEFAULT, exactly as in the SQLite arm).
//!
//! Semantics, the same as the SQLite arm's where it matters: the return value is the number of rows
//! inserted; ids come from the table's identity column; a constraint violation is the same
//! `DatabaseError` kind (`UniqueViolation`, `ForeignKeyViolation`, `NotNullViolation`…) and inserts
//! nothing of this call (COPY is one statement; SQLite's chunks are undone by the caller's transaction,
//! which is why the doc of `insert_all` asks for one). An empty slice sends nothing, as on SQLite.
//!
//! Diesel's `CopyFromExpression`, which a generic function would have to name in its bounds, is not
//! public: so this is a macro, expanded where the concrete insert struct is known.

/// Runs `$sqlite` with `$c` bound to the SQLite connection inside a [`crate::db::DbConnection`], or
/// copies `$rows` into `$table` on PostgreSQL. Used by the code `#[derive(Table)]` generates for
/// `insert_all`. Not public API.
#[doc(hidden)]
#[macro_export]
macro_rules! __insert_all {
    ($conn:expr, $table:expr, $rows:expr, |$c:ident| $sqlite:expr) => {
        match $conn {
            $crate::db::DbConnection::Sqlite($c) => $sqlite,
            $crate::db::DbConnection::Postgres(conn) => {
                let rows = $rows;
                if rows.is_empty() {
                    ::core::result::Result::Ok(0)
                } else {
                    use $crate::__private::diesel::prelude::ExecuteCopyFromDsl as _;
                    $crate::__private::diesel::copy_from($table)
                        .from_insertable(rows)
                        .execute(conn)
                }
            }
        }
    };
}
