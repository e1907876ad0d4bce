//! [`SeedTable`]: one table's default rows, typed, and what can be done with them (find them in a
//! database, insert them, rewrite them); and [`seed_table!`], which implements it once per table from
//! the table's insert struct and the names of its key and compared columns.
//!
//! Everything goes through the table's Diesel DSL and its generated insert struct (`NewAgent`, …):
//! column names come from Diesel (`<agents::name as Column>::NAME`), so renaming a seeded column in its
//! struct is a compile error here and in the data, not a test failure.

use std::collections::HashMap;
use std::fmt;
use std::hash::Hash;

use diesel::QueryResult;
use serde::Serialize;

use crate::db::backend::DbConnection;
use crate::seed::{SeedGroup, Shape};
use crate::types::Timestamp;

/// The default rows of one table.
pub trait SeedTable: Sync + fmt::Debug {
    /// The table's SQL name.
    fn name(&self) -> &'static str;

    /// The seeder that writes this table.
    fn group(&self) -> SeedGroup;

    /// The natural key: how a seed row is found in the database. The first column is never NULL in the
    /// seed data (it narrows the search with `IN (…)`); later ones may be, and match NULL-safely.
    fn key(&self) -> &'static [&'static str];

    /// The other columns a seed row sets and that are compared (timestamps are not).
    fn columns(&self) -> &'static [&'static str];

    /// Every column an insert writes: those of the table's insert struct (all but the autoincrement id).
    fn written_columns(&self) -> Vec<String>;

    /// The column a rewrite sets to the run's `now` (`updated_at`), if the table has one.
    fn touched(&self) -> Option<&'static str>;

    /// Tables whose rows this one references: when one of them cannot be seeded, neither can this one.
    fn depends_on(&self) -> &'static [&'static str];

    /// The number of seed rows.
    fn len(&self) -> usize;

    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The natural key of every seed row, in insert order, as people read it: `ori / tool-discovery`,
    /// `default / NULL`.
    fn keys(&self) -> Vec<String>;

    /// For every seed row, in insert order: `None` when no stored row has its key, else the compared
    /// columns in which the oldest such row (lowest primary key) differs from it (empty: it matches).
    /// Reads only. The table and its key columns must exist (`shape`); a missing compared column reads
    /// as NULL.
    fn find(
        &self,
        conn: &mut DbConnection,
        shape: &Shape,
    ) -> QueryResult<Vec<Option<Vec<&'static str>>>>;

    /// Inserts the seed rows at the indices `insert` (in that order, so ids follow the seed order) through
    /// the table's insert struct, and rewrites the stored rows of the seed rows at `rewrite` in place (by
    /// primary key): their differing columns get the seed values, [`SeedTable::touched`] gets `now`.
    /// Returns how many rows were written. Every [`SeedTable::written_columns`] must exist.
    fn write(
        &self,
        conn: &mut DbConnection,
        shape: &Shape,
        now: Timestamp,
        insert: &[usize],
        rewrite: &[usize],
    ) -> QueryResult<usize>;
}

/// One part of a natural key as people read it: text as itself, NULL as `NULL`.
#[doc(hidden)]
pub fn key_part<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(text)) => text,
        Ok(serde_json::Value::Null) => "NULL".to_owned(),
        Ok(other) => other.to_string(),
        Err(e) => format!("<{e}>"),
    }
}

/// `map.get(key)`, with the key's type fixed to the map's (so the generated code needs no annotations).
#[doc(hidden)]
pub fn lookup<'m, K: Eq + Hash, V>(map: &'m HashMap<K, V>, key: &K) -> Option<&'m V> {
    map.get(key)
}

/// Implements [`SeedTable`] for a unit struct, from the table's Diesel module and insert struct:
///
/// ```ignore
/// seed_table! {
///     /// agents: the five default agents.
///     pub struct AgentsTable = agents(NewAgent) {
///         group: Agents,
///         primary_key: String,          // the Rust type of the table's primary key
///         key: [id],                    // the natural key's columns
///         columns: [name, description], // the other seeded (and compared) columns
///         touch: updated_at,            // optional: set to `now` when a row is rewritten
///         depends_on: [],               // tables whose rows this one references
///         rows: agent_rows,             // fn(Timestamp) -> Vec<NewAgent>, in insert order
///     }
/// }
/// ```
///
/// Every column is named as the Diesel column it is: a misspelt or renamed column does not compile.
macro_rules! seed_table {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident = $table:ident($insert:ident) {
            group: $group:ident,
            primary_key: $pk:ty,
            key: [$first:ident $(, $rest:ident)* $(,)?],
            columns: [$($column:ident),* $(,)?],
            $(touch: $touch:ident,)?
            depends_on: [$($parent:ident),* $(,)?],
            rows: $rows:path $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, Default)]
        $vis struct $name;

        impl $name {
            /// Per seed row, the primary key of the oldest stored row with its key and the compared
            /// columns in which that row differs.
            // A table whose whole row is its key reads no compared column: `shape` and `row` go unused.
            #[allow(unused_variables)]
            fn find_rows(
                conn: &mut $crate::db::backend::DbConnection,
                shape: &$crate::seed::Shape,
                rows: &[$insert],
            ) -> ::diesel::QueryResult<::std::vec::Vec<::core::option::Option<($pk, ::std::vec::Vec<&'static str>)>>> {
                use ::diesel::prelude::*;
                use $crate::seed::stored::Stored;
                let table = <$table::table as $crate::model::TableModel>::NAME;
                // The first key column narrows the search (`IN (…)`, which its index serves).
                let mut firsts = ::std::vec::Vec::new();
                for row in rows {
                    if !firsts.contains(&row.$first) {
                        firsts.push(row.$first.clone());
                    }
                }
                // A duplicate key in the data would match its first row.
                let by_key: ::std::collections::HashMap<_, usize> = rows
                    .iter()
                    .enumerate()
                    .rev()
                    .map(|(i, row)| ((row.$first.clone(), $(row.$rest.clone(),)*), i))
                    .collect();
                let stored: ::std::vec::Vec<(
                    $pk,
                    $crate::seed::table::seed_table!(@stored $first),
                    $($crate::seed::table::seed_table!(@stored $rest),)*
                    $($crate::seed::table::seed_table!(@stored $column),)*
                )> = $table::table
                    .select((
                        $table::table.primary_key(),
                        $table::$first,
                        $($table::$rest,)*
                        $($crate::seed::stored::LiveColumn::new(
                            $table::$column,
                            shape.has_column(table, <$table::$column as ::diesel::Column>::NAME),
                        ),)*
                    ))
                    .filter($table::$first.eq_any(firsts))
                    .order($table::table.primary_key())
                    .load(conn)?;
                let mut found = ::std::vec![::core::option::Option::None; rows.len()];
                for (primary_key, $first, $($rest,)* $($column,)*) in stored {
                    // A key that is not of the key's type (a number in a text key): not a seed row.
                    let (Stored::Value($first), $(Stored::Value($rest),)*) = ($first, $($rest,)*) else {
                        continue;
                    };
                    let ::core::option::Option::Some(&index) =
                        $crate::seed::table::lookup(&by_key, &($first, $($rest,)*))
                    else {
                        continue;
                    };
                    let (::core::option::Option::Some(slot), ::core::option::Option::Some(row)) =
                        (found.get_mut(index), rows.get(index))
                    else {
                        continue;
                    };
                    if slot.is_some() {
                        continue; // a later row with the same key: not the seeded one
                    }
                    #[allow(unused_mut)]
                    let mut fields: ::std::vec::Vec<&'static str> = ::std::vec::Vec::new();
                    $(
                        if !$column.holds(&row.$column) {
                            fields.push(<$table::$column as ::diesel::Column>::NAME);
                        }
                    )*
                    *slot = ::core::option::Option::Some((primary_key, fields));
                }
                ::core::result::Result::Ok(found)
            }
        }

        impl $crate::seed::SeedTable for $name {
            fn name(&self) -> &'static str {
                <$table::table as $crate::model::TableModel>::NAME
            }

            fn group(&self) -> $crate::seed::SeedGroup {
                $crate::seed::SeedGroup::$group
            }

            fn key(&self) -> &'static [&'static str] {
                &[
                    <$table::$first as ::diesel::Column>::NAME,
                    $(<$table::$rest as ::diesel::Column>::NAME,)*
                ]
            }

            fn columns(&self) -> &'static [&'static str] {
                &[$(<$table::$column as ::diesel::Column>::NAME),*]
            }

            fn written_columns(&self) -> ::std::vec::Vec<::std::string::String> {
                <$table::table as $crate::model::TableModel>::TABLE
                    .columns
                    .iter()
                    .filter(|column| !column.autoincrement)
                    .map(|column| column.name.to_string())
                    .collect()
            }

            fn touched(&self) -> ::core::option::Option<&'static str> {
                $crate::seed::table::seed_table!(@touched $table $($touch)?)
            }

            fn depends_on(&self) -> &'static [&'static str] {
                &[$(<$parent::table as $crate::model::TableModel>::NAME),*]
            }

            fn len(&self) -> usize {
                $rows($crate::types::Timestamp::now()).len()
            }

            fn keys(&self) -> ::std::vec::Vec<::std::string::String> {
                $rows($crate::types::Timestamp::now())
                    .iter()
                    .map(|row| {
                        [
                            $crate::seed::table::key_part(&row.$first),
                            $($crate::seed::table::key_part(&row.$rest),)*
                        ]
                        .join(" / ")
                    })
                    .collect()
            }

            fn find(
                &self,
                conn: &mut $crate::db::backend::DbConnection,
                shape: &$crate::seed::Shape,
            ) -> ::diesel::QueryResult<::std::vec::Vec<::core::option::Option<::std::vec::Vec<&'static str>>>> {
                // Timestamps are not compared: any instant will do.
                let rows = $rows($crate::types::Timestamp::now());
                ::core::result::Result::Ok(
                    Self::find_rows(conn, shape, &rows)?
                        .into_iter()
                        .map(|found| found.map(|(_, fields)| fields))
                        .collect(),
                )
            }

            fn write(
                &self,
                conn: &mut $crate::db::backend::DbConnection,
                shape: &$crate::seed::Shape,
                now: $crate::types::Timestamp,
                insert: &[usize],
                rewrite: &[usize],
            ) -> ::diesel::QueryResult<usize> {
                let rows = $rows(now);
                let new: ::std::vec::Vec<$insert> =
                    insert.iter().filter_map(|&i| rows.get(i).cloned()).collect();
                let mut written = $insert::insert_all(conn, &new)?;
                if rewrite.is_empty() {
                    return ::core::result::Result::Ok(written);
                }
                // The primary keys of the rows to rewrite, read again in this transaction.
                let found = Self::find_rows(conn, shape, &rows)?;
                for &i in rewrite {
                    let (
                        ::core::option::Option::Some(row),
                        ::core::option::Option::Some(::core::option::Option::Some((primary_key, fields))),
                    ) = (rows.get(i), found.get(i))
                    else {
                        continue;
                    };
                    written += $crate::seed::table::seed_table!(
                        @rewrite conn, $table, primary_key, row, fields, [$($column),*] $(, $touch)?
                    );
                }
                ::core::result::Result::Ok(written)
            }
        }
    };

    (@stored $column:ident) => { $crate::seed::stored::Stored<_> };

    (@touched $table:ident) => { ::core::option::Option::None };
    (@touched $table:ident $touch:ident) => {
        ::core::option::Option::Some(<$table::$touch as ::diesel::Column>::NAME)
    };

    // Nothing but the key is seeded: a stored row with the key always matches.
    (@rewrite $conn:ident, $table:ident, $primary_key:ident, $row:ident, $fields:ident, []) => {{
        let _ = ($primary_key, $row, $fields);
        0
    }};
    (@rewrite $conn:ident, $table:ident, $primary_key:ident, $row:ident, $fields:ident,
        [$($column:ident),*] $(, $touch:ident)?) => {{
        use ::diesel::prelude::*;
        if $fields.is_empty() {
            0
        } else {
            let differs = |column: &str| $fields.iter().any(|field| *field == column);
            ::diesel::update($table::table.find($primary_key))
                .set((
                    $(differs(<$table::$column as ::diesel::Column>::NAME)
                        .then(|| $table::$column.eq(&$row.$column)),)*
                    $($table::$touch.eq(&$row.$touch),)?
                ))
                .execute($conn)?
        }
    }};
}

pub(crate) use seed_table;
