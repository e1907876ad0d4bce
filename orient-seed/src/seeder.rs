//! The [`Seeder`] trait and the table-by-table seeding every data seeder uses.

use orient_database::db::DbConnection;
use orient_database::seed::{SeedRowState, SeedTable, Shape, compare_table};
use orient_database::types::Timestamp;

use crate::error::Error;
use crate::report::{Counts, RowAction, RowChange, SeederReport, TableReport};

/// How the current run seeds, and what the database held when it began.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    /// Rewrite seeded rows that differ from their seed values.
    pub force: bool,
    /// Plan only: write nothing.
    pub dry_run: bool,
    /// `created_at`/`updated_at` of the rows this run writes: one instant for the whole run.
    pub now: Timestamp,
    /// The database's tables and columns, read once at the start of the run's transaction (seeders
    /// write rows, never schema).
    pub shape: Shape,
}

/// One step of seeding: a group of tables seeded together, in one file under `seeders/`.
///
/// The runner calls [`Seeder::seed`] inside the run's single transaction; returning an error rolls the
/// whole run back, whatever this or earlier seeders wrote.
pub trait Seeder: Sync + std::fmt::Debug {
    /// The name `--only`/`--skip-…` and the summary use (`agents`).
    fn name(&self) -> &'static str;

    /// The tables this seeder fills, in order, with their rows (from `orient_database::seed`).
    fn tables(&self) -> &'static [&'static dyn SeedTable];

    /// Seeds [`Seeder::tables`]. The default ([`seed_tables`]) suits any seeder of plain rows.
    fn seed(&self, conn: &mut DbConnection, cx: &Context) -> Result<SeederReport, Error> {
        seed_tables(conn, cx, self.name(), self.tables())
    }
}

/// Seeds `tables` in order: compares each with the database (`orient_database::seed::compare_table`,
/// the same comparison the studio shows), then inserts the missing rows through the table's insert
/// struct and, with `force`, rewrites the differing ones in place (same primary key). Writes nothing
/// when `cx.dry_run`.
///
/// A table that does not exist, lacks a seeded column, or references a table that could not be seeded
/// is skipped with a warning; its rows count as skipped.
pub fn seed_tables(
    conn: &mut DbConnection,
    cx: &Context,
    seeder: &'static str,
    tables: &[&dyn SeedTable],
) -> Result<SeederReport, Error> {
    let shape = &cx.shape;
    let mut not_seeded: Vec<&str> = Vec::new();
    let mut reports = Vec::with_capacity(tables.len());
    for &table in tables {
        let query_error = |source| Error::Query {
            seeder,
            table: table.name(),
            source,
        };
        let comparison = compare_table(conn, table, shape).map_err(query_error)?;
        if let Some(warning) = unusable(table, &comparison.missing_columns, shape, &not_seeded) {
            not_seeded.push(table.name());
            reports.push(TableReport {
                table: table.name(),
                exists: comparison.exists,
                counts: Counts {
                    skipped: table.len(),
                    ..Counts::default()
                },
                warning: Some(warning),
                changes: Vec::new(),
            });
            continue;
        }

        let mut counts = Counts::default();
        let mut changes = Vec::new();
        let mut inserts: Vec<usize> = Vec::new();
        let mut rewrites: Vec<usize> = Vec::new();
        for (index, compared) in comparison.rows.iter().enumerate() {
            match &compared.state {
                SeedRowState::Matches => counts.unchanged += 1,
                SeedRowState::Differs { fields } if cx.force => {
                    counts.updated += 1;
                    rewrites.push(index);
                    changes.push(change(&compared.key, RowAction::Update, fields));
                }
                SeedRowState::Differs { fields } => {
                    counts.skipped += 1;
                    changes.push(change(&compared.key, RowAction::Keep, fields));
                }
                SeedRowState::Missing => {
                    counts.inserted += 1;
                    inserts.push(index);
                    changes.push(change(&compared.key, RowAction::Insert, &[]));
                }
            }
        }
        if !cx.dry_run {
            table
                .write(conn, shape, cx.now, &inserts, &rewrites)
                .map_err(query_error)?;
        }
        reports.push(TableReport {
            table: table.name(),
            exists: true,
            counts,
            warning: None,
            changes,
        });
    }
    Ok(SeederReport {
        seeder,
        tables: reports,
    })
}

fn change(key: &str, action: RowAction, fields: &[String]) -> RowChange {
    RowChange {
        key: key.to_owned(),
        action,
        fields: fields.to_vec(),
    }
}

/// Why a table cannot be seeded in this database, if it cannot.
fn unusable(
    table: &dyn SeedTable,
    missing_columns: &[&str],
    shape: &Shape,
    not_seeded: &[&str],
) -> Option<String> {
    if !shape.has_table(table.name()) {
        return Some(format!(
            "table {} does not exist, so its {} rows were skipped; create it with `orient-db migrate` \
             (or `orient-db push` if every migration is already applied), then run orient-seed again",
            table.name(),
            table.len()
        ));
    }
    // The seeded columns first; then the rest of what the insert struct writes (the timestamps).
    let missing: Vec<String> = if missing_columns.is_empty() {
        table
            .written_columns()
            .into_iter()
            .filter(|column| !shape.has_column(table.name(), column))
            .collect()
    } else {
        missing_columns.iter().map(|c| (*c).to_owned()).collect()
    };
    if !missing.is_empty() {
        return Some(format!(
            "table {} has no column {}, so its {} rows were skipped; bring the schema up to date with \
             `orient-db migrate` (or `orient-db push`), then run orient-seed again",
            table.name(),
            missing.join(", "),
            table.len()
        ));
    }
    let dependency = table
        .depends_on()
        .iter()
        .find(|d| !shape.has_table(d) || not_seeded.contains(d))?;
    Some(format!(
        "table {} references {dependency}, which could not be seeded, so its {} rows were skipped",
        table.name(),
        table.len()
    ))
}
