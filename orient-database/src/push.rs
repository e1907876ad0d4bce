//! `push`: make a live database equal to the declared schema, in one transaction.
//!
//! Everything happens under the write lock, so nothing can change between looking and acting: foreign keys
//! off (read back; only on an engine that rebuilds tables, see
//! [`crate::plan::Planner::rebuilds_need_foreign_keys_off`]), `BEGIN IMMEDIATE`, introspect, diff,
//! measure data loss, refuse or plan, execute with checks, record the push, `COMMIT`. A database that
//! already matches executes no statement at all (its `schema_version` does not move). Data-losing
//! changes are refused with their row counts unless the caller accepts them; a database none of whose
//! tables are declared is refused outright.

use diesel::QueryResult;
use serde::Serialize;

use crate::apply::{self, Applied, ApplyError};
use crate::assess::{self, DataLoss};
use crate::db::backend::DbConnection;
use crate::diff::diff;
use crate::engine::EngineConnection;
use crate::model::Schema;
use crate::normalize::fingerprint;
use crate::plan::{Plan, PlanError, PlanOptions, plan};

pub use crate::bookkeeping::PUSH_LOG;

/// How to push.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PushOptions {
    /// Compute and return the plan, write nothing.
    pub dry_run: bool,
    /// Carry out data-losing changes (deleting or converting the rows counted in the report).
    pub accept_data_loss: bool,
    /// Skip the automatic snapshot before a data-losing change. A snapshot needs to know the database
    /// behind `conn`: its file on SQLite, and on PostgreSQL the configured `DATABASE_URL`, so a
    /// data-losing push through a connection to another PostgreSQL database is refused unless the caller
    /// waives the snapshot here (a scratch database, or one it has backed up itself).
    pub without_snapshot: bool,
}

/// What a push found and did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PushReport {
    /// The changes, in the words of [`crate::diff::Change`]'s `Display`.
    pub changes: Vec<String>,
    /// Changes that lose data, with the rows they touch.
    pub data_loss: Vec<DataLoss>,
    pub plan: Plan,
    /// Whether the plan was executed and committed (false for a dry run or when there was nothing to do).
    pub executed: bool,
    pub applied: Applied,
    /// The fingerprint of the declared schema the database now matches.
    pub schema_fingerprint: String,
    /// The copy of the database taken before data was lost (see [`crate::ops::snapshot`]).
    pub snapshot: Option<crate::ops::snapshot::Snapshot>,
}

/// Why a push did not happen. Nothing was written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PushError {
    #[error(
        "refused: {} change(s) would lose data:\n{}\nNothing was changed. Re-run with --accept-data-loss \
         to carry them out, or change the structs",
        losses.len(),
        losses.iter().map(|l| format!("  - {l}")).collect::<Vec<_>>().join("\n")
    )]
    DataLoss { losses: Vec<DataLoss> },

    #[error(
        "refused: this database does not look like an Orient database: none of its tables ({}) is \
         declared. Nothing was changed; point SQLITE_DATABASE (a file) or DATABASE_URL (a server) at \
         the right database",
        tables.join(", ")
    )]
    ForeignDatabase { tables: Vec<String> },

    #[error(transparent)]
    Plan(#[from] PlanError),

    #[error(transparent)]
    Apply(#[from] ApplyError),

    #[error("no snapshot could be taken before losing data, so nothing was changed: {0}")]
    Snapshot(#[from] crate::ops::Error),
}

impl PushError {
    pub fn is_locked(&self) -> bool {
        matches!(self, PushError::Apply(e) if e.is_locked())
    }
}

impl From<diesel::result::Error> for PushError {
    fn from(e: diesel::result::Error) -> PushError {
        PushError::Apply(ApplyError::Query(e))
    }
}

/// Ends the transaction without committing, carrying what the dry run computed.
enum Outcome {
    Failed(PushError),
    DryRun(Box<PushReport>),
}

impl From<diesel::result::Error> for Outcome {
    fn from(e: diesel::result::Error) -> Outcome {
        Outcome::Failed(e.into())
    }
}

impl From<ApplyError> for Outcome {
    fn from(e: ApplyError) -> Outcome {
        Outcome::Failed(e.into())
    }
}

/// Makes the database behind `conn` equal to `desired`. `conn` must not be inside a transaction.
pub fn push(
    conn: &mut DbConnection,
    desired: &Schema,
    options: PushOptions,
) -> Result<PushReport, PushError> {
    let result = if options.dry_run {
        // A read transaction: a consistent view, no write lock, nothing written.
        conn.read_transaction::<PushReport, Outcome, _>(|conn| {
            let report = prepare(conn, desired, options)?;
            Err(Outcome::DryRun(Box::new(report)))
        })
    } else {
        let write = |conn: &mut DbConnection| {
            conn.write_transaction::<PushReport, Outcome, _>(|conn| {
                let mut report = prepare(conn, desired, options)?;
                if report.plan.is_empty() {
                    return Ok(report);
                }
                if !options.without_snapshot {
                    report.snapshot = crate::ops::snapshot::before_data_loss(
                        conn,
                        crate::ops::snapshot::Reason::Push,
                        &report.data_loss,
                    )
                    .map_err(|e| Outcome::Failed(e.into()))?;
                }
                report.applied = apply::execute(conn, &report.plan)?;
                record(conn, &report)?;
                report.executed = true;
                Ok(report)
            })
        };
        // Only an engine that rebuilds tables needs enforcement off (SQLite); one that alters in place
        // keeps its foreign keys enforced throughout.
        if conn.planner().rebuilds_need_foreign_keys_off() {
            apply::without_foreign_keys(conn, write)
        } else {
            write(conn)
        }
    };
    match result {
        Ok(report) => Ok(report),
        Err(Outcome::DryRun(report)) => Ok(*report),
        Err(Outcome::Failed(error)) => Err(error),
    }
}

/// Looks at the database and decides, without writing.
fn prepare(
    conn: &mut DbConnection,
    desired: &Schema,
    options: PushOptions,
) -> Result<PushReport, Outcome> {
    let planner = conn.planner();
    let live = conn.introspect()?;
    let known = |name: &str| {
        desired
            .tables
            .iter()
            .any(|t| t.name == name || t.renamed_from.as_deref() == Some(name))
    };
    if !live.schema.tables.is_empty() && !live.schema.tables.iter().any(|t| known(&t.name)) {
        return Err(Outcome::Failed(PushError::ForeignDatabase {
            tables: live
                .schema
                .table_names()
                .iter()
                .map(|t| (*t).to_owned())
                .collect(),
        }));
    }
    let changes = diff(&live.schema, desired, planner);
    let data_loss = assess::measure(conn, &changes, &live.schema, desired)?;
    if !data_loss.is_empty() && !options.accept_data_loss {
        return Err(Outcome::Failed(PushError::DataLoss { losses: data_loss }));
    }
    let plan = plan(
        &changes,
        &live.schema,
        desired,
        &live.unmodelled,
        planner,
        PlanOptions {
            accept_data_loss: options.accept_data_loss,
        },
    )
    .map_err(|e| Outcome::Failed(e.into()))?;
    Ok(PushReport {
        changes: changes.iter().map(ToString::to_string).collect(),
        data_loss,
        plan,
        executed: false,
        applied: Applied::default(),
        schema_fingerprint: fingerprint(desired, planner),
        snapshot: None,
    })
}

/// Records the push in [`PUSH_LOG`], in the same transaction: which schema the database was made to
/// match, so `migrate` and people can tell how it got there.
fn record(conn: &mut DbConnection, report: &PushReport) -> QueryResult<()> {
    let changes = serde_json::to_string(&report.changes).unwrap_or_else(|_| "[]".to_owned());
    conn.record_push(
        &report.schema_fingerprint,
        &changes,
        i64::try_from(report.applied.statements).unwrap_or(i64::MAX),
    )
}
