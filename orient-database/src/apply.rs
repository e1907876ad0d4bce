//! Running a [`Plan`] on a live database, the way sqlite.org says a rebuild must run.
//!
//! 1. `PRAGMA foreign_keys = OFF` **before** the transaction, then read back: inside a transaction the
//!    pragma is silently ignored, and a rebuild with foreign keys on deletes the children of every
//!    `ON DELETE CASCADE` key when it drops the parent.
//! 2. Every step in one transaction (the caller's `BEGIN IMMEDIATE`).
//! 3. The row count of each rebuilt table is compared before and after, and `PRAGMA foreign_key_check`
//!    must be empty, before the caller commits. Any failure rolls everything back.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};
use serde::Serialize;

use crate::dialect::Dialect;
use crate::plan::{Plan, StepKind};

/// Rows of a rebuilt table before and after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowCounts {
    pub table: String,
    pub before: i64,
    pub after: i64,
}

/// What running a plan did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Applied {
    pub statements: usize,
    pub row_counts: Vec<RowCounts>,
}

/// A row that references nothing, from `PRAGMA foreign_key_check`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, QueryableByName)]
pub struct Violation {
    #[diesel(sql_type = Text)]
    pub table: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub rowid: Option<i64>,
    #[diesel(sql_type = Text)]
    pub parent: String,
}

/// Why a plan did not apply. Nothing of it was committed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApplyError {
    #[error(
        "PRAGMA foreign_keys stayed on (a transaction is already open on this connection), so a rebuild \
         could cascade deletes into child tables; nothing was changed"
    )]
    ForeignKeysStillOn,

    #[error("{step}: `{statement}` failed: {source}; nothing was changed")]
    Statement {
        step: String,
        statement: String,
        source: diesel::result::Error,
    },

    #[error(
        "rebuilding `{table}` changed its row count from {before} to {after}; nothing was changed"
    )]
    RowCount {
        table: String,
        before: i64,
        after: i64,
    },

    #[error(
        "{total} row(s) would reference nothing after the change (first: {}); nothing was changed. Fix \
         those rows, or accept the loss with --accept-data-loss where the change allows it",
        violations.iter().map(|v| format!("{} rowid {} → {}", v.table, v.rowid.map_or("?".to_owned(), |r| r.to_string()), v.parent)).collect::<Vec<_>>().join(", ")
    )]
    ForeignKeyViolations {
        violations: Vec<Violation>,
        total: usize,
    },

    #[error(transparent)]
    Query(#[from] diesel::result::Error),
}

impl ApplyError {
    pub fn is_locked(&self) -> bool {
        match self {
            ApplyError::Statement { source, .. } | ApplyError::Query(source) => {
                crate::db::error::is_locked(source)
            }
            _ => false,
        }
    }
}

#[derive(QueryableByName)]
struct Flag {
    #[diesel(sql_type = BigInt)]
    foreign_keys: i64,
}

fn foreign_keys(conn: &mut SqliteConnection) -> QueryResult<bool> {
    let flag: Flag = diesel::sql_query("PRAGMA foreign_keys").get_result(conn)?;
    Ok(flag.foreign_keys != 0)
}

/// Runs `f` with foreign-key enforcement off and puts it back as it was afterwards. Must be called
/// outside any transaction; refuses with [`ApplyError::ForeignKeysStillOn`] when the pragma did not take.
pub fn without_foreign_keys<T, E, F>(conn: &mut SqliteConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut SqliteConnection) -> Result<T, E>,
    E: From<ApplyError>,
{
    let was_on = foreign_keys(conn).map_err(|e| E::from(ApplyError::Query(e)))?;
    conn.batch_execute("PRAGMA foreign_keys = OFF")
        .map_err(|e| E::from(ApplyError::Query(e)))?;
    if foreign_keys(conn).map_err(|e| E::from(ApplyError::Query(e)))? {
        return Err(E::from(ApplyError::ForeignKeysStillOn));
    }
    let result = f(conn);
    if was_on {
        // Restoring can only fail if the connection is broken, which the next use reports.
        let _ = conn.batch_execute("PRAGMA foreign_keys = ON");
    }
    result
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn count(conn: &mut SqliteConnection, table: &str, dialect: &dyn Dialect) -> QueryResult<i64> {
    let sql = format!("SELECT count(*) AS n FROM {}", dialect.quote_ident(table));
    Ok(diesel::sql_query(sql).get_result::<Count>(conn)?.n)
}

/// Executes every statement of `plan` inside the caller's transaction, verifying row counts of rebuilt
/// tables and, at the end, that no row references nothing.
pub fn execute(
    conn: &mut SqliteConnection,
    plan: &Plan,
    dialect: &dyn Dialect,
) -> Result<Applied, ApplyError> {
    let mut applied = Applied::default();
    for step in &plan.steps {
        let rebuilt = match &step.kind {
            StepKind::Rebuild {
                table,
                may_delete_rows,
            } => Some((table.to_string(), *may_delete_rows)),
            _ => None,
        };
        let before = match &rebuilt {
            Some((table, _)) => Some(count(conn, table, dialect)?),
            None => None,
        };
        for statement in &step.statements {
            conn.batch_execute(statement)
                .map_err(|source| ApplyError::Statement {
                    step: step.description.clone(),
                    statement: statement.clone(),
                    source,
                })?;
            applied.statements += 1;
        }
        if let (Some((table, may_delete_rows)), Some(before)) = (rebuilt, before) {
            let after = count(conn, &table, dialect)?;
            if after != before && !(may_delete_rows && after < before) {
                return Err(ApplyError::RowCount {
                    table,
                    before,
                    after,
                });
            }
            applied.row_counts.push(RowCounts {
                table,
                before,
                after,
            });
        }
    }
    let violations: Vec<Violation> =
        diesel::sql_query("SELECT \"table\", rowid, parent FROM pragma_foreign_key_check")
            .load(conn)?;
    if !violations.is_empty() {
        let total = violations.len();
        return Err(ApplyError::ForeignKeyViolations {
            violations: violations.into_iter().take(5).collect(),
            total,
        });
    }
    Ok(applied)
}
