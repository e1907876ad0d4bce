//! Reading seeded columns from a live table, whatever it holds.
//!
//! A seeded table may hold anything people wrote into it: text outside an enum's domain, JSON that does
//! not parse, NULL in a column declared NOT NULL by an older schema, or no such column at all. None of
//! that may stop the comparison: such a value is simply not the seed value. [`Stored`] reads a value
//! through the column's own Rust type and keeps a failure as [`Stored::Unreadable`] instead of failing
//! the query; [`LiveColumn`] selects a column, or NULL when the live table lacks it.

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::{AppearsOnTable, Expression, SelectableExpression, ValidGrouping};
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::result::QueryResult;

/// A stored value, read as `T` (the type of the insert struct's field).
#[derive(Debug, Clone, PartialEq, FromSqlRow)]
pub enum Stored<T> {
    Value(T),
    /// What the column holds cannot be a `T`: never equal to a seed value, never a seed key.
    Unreadable,
}

impl<T: PartialEq> Stored<T> {
    /// Whether the stored value is `seed`.
    pub fn holds(&self, seed: &T) -> bool {
        matches!(self, Stored::Value(value) if value == seed)
    }
}

impl<T, ST, DB> FromSql<ST, DB> for Stored<T>
where
    DB: Backend,
    T: FromSql<ST, DB>,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
        Ok(T::from_sql(bytes).map_or(Stored::Unreadable, Stored::Value))
    }

    // NULL is read by `T` too: `None` for an `Option`, unreadable for anything else.
    fn from_nullable_sql(bytes: Option<DB::RawValue<'_>>) -> deserialize::Result<Self> {
        Ok(T::from_nullable_sql(bytes).map_or(Stored::Unreadable, Stored::Value))
    }
}

/// A seeded column as the live table has it: the column itself, or NULL (of the column's SQL type) when
/// the table lacks it, so one typed query reads a table whose schema is older than the structs.
#[derive(Debug, Clone, Copy)]
pub struct LiveColumn<C> {
    column: C,
    present: bool,
}

impl<C> LiveColumn<C> {
    pub fn new(column: C, present: bool) -> LiveColumn<C> {
        LiveColumn { column, present }
    }
}

impl<C: Expression> Expression for LiveColumn<C> {
    type SqlType = C::SqlType;
}

impl<C, DB> QueryFragment<DB> for LiveColumn<C>
where
    DB: Backend,
    C: QueryFragment<DB>,
{
    fn walk_ast<'b>(&'b self, mut pass: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        if self.present {
            self.column.walk_ast(pass)
        } else {
            pass.push_sql("NULL");
            Ok(())
        }
    }
}

// The SQL depends on `present`, so the type alone does not identify the statement.
impl<C> QueryId for LiveColumn<C> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<C: AppearsOnTable<QS>, QS> AppearsOnTable<QS> for LiveColumn<C> {}

impl<C: SelectableExpression<QS>, QS> SelectableExpression<QS> for LiveColumn<C> {}

impl<C: ValidGrouping<GB>, GB> ValidGrouping<GB> for LiveColumn<C> {
    type IsAggregate = C::IsAggregate;
}
