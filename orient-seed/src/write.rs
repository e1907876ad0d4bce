//! The statements a seeder runs: one multi-row INSERT per table for missing rows, one UPDATE per
//! differing row (by rowid, so ids never change). Values are bound, identifiers quoted by the dialect.

use diesel::prelude::*;
use diesel::sql_types::BigInt;
use orient_database::dialect::sqlite::Sqlite;
use orient_database::seed::{SeedRow, SeedTable};
use orient_database::sql::Dialect;
use orient_database::types::Timestamp;

/// SQLite's default limit of bound values per statement (SQLITE_MAX_VARIABLE_NUMBER).
const MAX_VARIABLES: usize = 32_766;

/// Which timestamps a table's written rows get, and their value.
#[derive(Debug, Clone, Copy)]
pub struct Stamps {
    pub created_at: bool,
    pub updated_at: bool,
    pub now: Timestamp,
}

/// Inserts `rows` (in order, so their ids follow the seed order), stamping `created_at`/`updated_at`.
pub fn insert(
    conn: &mut SqliteConnection,
    table: &SeedTable,
    rows: &[&SeedRow],
    stamps: Stamps,
) -> QueryResult<usize> {
    if rows.is_empty() {
        return Ok(0);
    }
    let dialect = Sqlite;
    let mut columns: Vec<String> = table
        .data_columns()
        .map(|c| dialect.quote_ident(c))
        .collect();
    let data_width = columns.len();
    if stamps.created_at {
        columns.push(dialect.quote_ident("created_at"));
    }
    if stamps.updated_at {
        columns.push(dialect.quote_ident("updated_at"));
    }
    let tuple = format!("({})", vec!["?"; columns.len()].join(", "));
    let per_statement = (MAX_VARIABLES / columns.len().max(1)).max(1);
    let mut inserted = 0;
    for chunk in rows.chunks(per_statement) {
        let sql = format!(
            "INSERT INTO {} ({}) VALUES {}",
            dialect.quote_ident(table.name),
            columns.join(", "),
            vec![tuple.as_str(); chunk.len()].join(", ")
        );
        let mut query = diesel::sql_query(sql).into_boxed();
        for row in chunk {
            debug_assert_eq!(row.key.len() + row.values.len(), data_width);
            for value in row.key.iter().chain(&row.values) {
                query = value.bind(query);
            }
            if stamps.created_at {
                query = query.bind::<BigInt, _>(stamps.now.unix_seconds());
            }
            if stamps.updated_at {
                query = query.bind::<BigInt, _>(stamps.now.unix_seconds());
            }
        }
        inserted += query.execute(conn)?;
    }
    Ok(inserted)
}

/// Rewrites the `fields` of the row at `rowid` to their seed values, and bumps `updated_at`.
pub fn update(
    conn: &mut SqliteConnection,
    table: &SeedTable,
    rowid: i64,
    row: &SeedRow,
    fields: &[String],
    stamps: Stamps,
) -> QueryResult<usize> {
    let dialect = Sqlite;
    let changed: Vec<(&str, &orient_database::seed::SeedValue)> = table
        .columns
        .iter()
        .zip(&row.values)
        .filter(|(column, _)| fields.iter().any(|f| f == *column))
        .map(|(column, value)| (*column, value))
        .collect();
    if changed.is_empty() {
        return Ok(0);
    }
    let mut assignments: Vec<String> = changed
        .iter()
        .map(|(column, _)| format!("{} = ?", dialect.quote_ident(column)))
        .collect();
    if stamps.updated_at {
        assignments.push(format!("{} = ?", dialect.quote_ident("updated_at")));
    }
    let sql = format!(
        "UPDATE {} SET {} WHERE rowid = ?",
        dialect.quote_ident(table.name),
        assignments.join(", ")
    );
    let mut query = diesel::sql_query(sql).into_boxed();
    for (_, value) in &changed {
        query = value.bind(query);
    }
    if stamps.updated_at {
        query = query.bind::<BigInt, _>(stamps.now.unix_seconds());
    }
    query.bind::<BigInt, _>(rowid).execute(conn)
}
