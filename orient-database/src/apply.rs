//! Running a [`Plan`] on a live database safely, on any engine.
//!
//! 1. On an engine that rebuilds tables
//!    ([`crate::plan::Planner::rebuilds_need_foreign_keys_off`]: SQLite), foreign-key enforcement off
//!    **before** the transaction, then read back ([`without_foreign_keys`]): on SQLite the pragma is
//!    silently ignored inside a transaction, and a rebuild with foreign keys on deletes the children of
//!    every `ON DELETE CASCADE` key when it drops the parent. An engine that alters in place
//!    (PostgreSQL) keeps them on.
//! 2. Every step in one transaction (the caller's write transaction).
//! 3. The row count of each rebuilt table is compared before and after, and the engine's foreign-key
//!    check must find nothing, before the caller commits. Any failure rolls everything back.

use diesel::QueryResult;
use serde::Serialize;

use crate::db::backend::DbConnection;
use crate::engine::EngineConnection;
pub use crate::engine::Violation;
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

/// Why a plan did not apply. Nothing of it was committed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApplyError {
    #[error(
        "foreign keys stayed enforced (on SQLite: a transaction is already open on this connection, and \
         PRAGMA foreign_keys does nothing inside one), so a rebuild could cascade deletes into child \
         tables; nothing was changed"
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
                crate::db::backend::is_locked(source)
            }
            _ => false,
        }
    }
}

/// Runs `f` with foreign-key enforcement off and puts it back as it was afterwards. Must be called
/// outside any transaction; refuses with [`ApplyError::ForeignKeysStillOn`] when the pragma did not take.
pub fn without_foreign_keys<T, E, F>(conn: &mut DbConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<ApplyError>,
{
    let query = |e| E::from(ApplyError::Query(e));
    let was_on = conn.foreign_keys_enforced().map_err(query)?;
    conn.enforce_foreign_keys(false).map_err(query)?;
    if conn.foreign_keys_enforced().map_err(query)? {
        return Err(E::from(ApplyError::ForeignKeysStillOn));
    }
    let result = f(conn);
    if was_on {
        // Restoring can only fail if the connection is broken, which the next use reports.
        let _ = conn.enforce_foreign_keys(true);
    }
    result
}

fn count(conn: &mut DbConnection, table: &str) -> QueryResult<i64> {
    let sql = format!(
        "SELECT count(*) AS n FROM {}",
        conn.planner().quote_ident(table)
    );
    conn.count(&sql)
}

/// Executes every statement of `plan` inside the caller's transaction, verifying row counts of rebuilt
/// tables and, at the end, that no row references nothing.
pub fn execute(conn: &mut DbConnection, plan: &Plan) -> Result<Applied, ApplyError> {
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
            Some((table, _)) => Some(count(conn, table)?),
            None => None,
        };
        for statement in &step.statements {
            conn.execute_sql(statement)
                .map_err(|source| ApplyError::Statement {
                    step: step.description.clone(),
                    statement: statement.clone(),
                    source,
                })?;
            applied.statements += 1;
        }
        if let (Some((table, may_delete_rows)), Some(before)) = (rebuilt, before) {
            let after = count(conn, &table)?;
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
    let (violations, total) = conn.foreign_key_violations(5)?;
    if total > 0 {
        return Err(ApplyError::ForeignKeyViolations { violations, total });
    }
    Ok(applied)
}
