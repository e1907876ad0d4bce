//! The [`Seeder`] trait and the table-by-table seeding every data seeder uses.

use diesel::SqliteConnection;
use orient_database::seed::{SeedRow, SeedRowState, SeedTable, Shape, compare_table};
use orient_database::types::Timestamp;

use crate::error::Error;
use crate::report::{Counts, RowAction, RowChange, SeederReport, TableReport};
use crate::write;

/// How the current run seeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Context {
    /// Rewrite seeded rows that differ from their seed values.
    pub force: bool,
    /// Plan only: write nothing.
    pub dry_run: bool,
    /// `created_at`/`updated_at` of the rows this run writes: one instant for the whole run.
    pub now: Timestamp,
}

/// One step of seeding: a group of tables seeded together, in one file under `seeders/`.
///
/// The runner calls [`Seeder::seed`] inside the run's single transaction; returning an error rolls the
/// whole run back, whatever this or earlier seeders wrote.
pub trait Seeder: Sync + std::fmt::Debug {
    /// The name `--only`/`--skip-…` and the summary use (`agents`).
    fn name(&self) -> &'static str;

    /// The tables this seeder fills, in order, with their rows (from `orient_database::seed`).
    fn tables(&self) -> Vec<SeedTable>;

    /// Seeds [`Seeder::tables`]. The default ([`seed_tables`]) suits any seeder of plain rows.
    fn seed(&self, conn: &mut SqliteConnection, cx: &Context) -> Result<SeederReport, Error> {
        seed_tables(conn, cx, self.name(), &self.tables())
    }
}

/// Seeds `tables` in order: compares each with the database (`orient_database::seed::compare_table`,
/// the same comparison the studio shows), then inserts the missing rows (one statement per table) and,
/// with `force`, rewrites the differing ones in place. Writes nothing when `cx.dry_run`.
///
/// A table that does not exist, lacks a seeded column, or references a table that could not be seeded
/// is skipped with a warning; its rows count as skipped.
pub fn seed_tables(
    conn: &mut SqliteConnection,
    cx: &Context,
    seeder: &'static str,
    tables: &[SeedTable],
) -> Result<SeederReport, Error> {
    let mut names: Vec<&str> = Vec::new();
    for table in tables {
        for name in std::iter::once(table.name).chain(table.depends_on.iter().copied()) {
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    let shape = Shape::read(conn, &names).map_err(|source| Error::Query {
        seeder,
        table: "sqlite_schema",
        source,
    })?;
    let mut not_seeded: Vec<&str> = Vec::new();
    let mut reports = Vec::with_capacity(tables.len());
    for table in tables {
        let query_error = |source| Error::Query {
            seeder,
            table: table.name,
            source,
        };
        let comparison = compare_table(conn, table, &shape).map_err(query_error)?;
        if let Some(warning) = unusable(table, &comparison.missing_columns, &shape, &not_seeded) {
            not_seeded.push(table.name);
            reports.push(TableReport {
                table: table.name,
                exists: comparison.exists,
                counts: Counts {
                    skipped: table.rows.len(),
                    ..Counts::default()
                },
                warning: Some(warning),
                changes: Vec::new(),
            });
            continue;
        }

        let mut counts = Counts::default();
        let mut changes = Vec::new();
        let mut inserts: Vec<&SeedRow> = Vec::new();
        let mut updates: Vec<(i64, &SeedRow, &[String])> = Vec::new();
        for (row, compared) in table.rows.iter().zip(&comparison.rows) {
            match (&compared.state, compared.rowid) {
                (SeedRowState::Matches, _) => counts.unchanged += 1,
                (SeedRowState::Differs { fields }, Some(rowid)) if cx.force => {
                    counts.updated += 1;
                    updates.push((rowid, row, fields));
                    changes.push(change(&compared.key, RowAction::Update, fields));
                }
                (SeedRowState::Differs { fields }, _) => {
                    counts.skipped += 1;
                    changes.push(change(&compared.key, RowAction::Keep, fields));
                }
                (SeedRowState::Missing, _) => {
                    counts.inserted += 1;
                    inserts.push(row);
                    changes.push(change(&compared.key, RowAction::Insert, &[]));
                }
            }
        }
        if !cx.dry_run {
            let stamps = write::Stamps {
                created_at: table.created_at && shape.has_column(table.name, "created_at"),
                updated_at: table.updated_at && shape.has_column(table.name, "updated_at"),
                now: cx.now,
            };
            write::insert(conn, table, &inserts, stamps).map_err(query_error)?;
            for (rowid, row, fields) in updates {
                write::update(conn, table, rowid, row, fields, stamps).map_err(query_error)?;
            }
        }
        reports.push(TableReport {
            table: table.name,
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
    table: &SeedTable,
    missing_columns: &[&str],
    shape: &Shape,
    not_seeded: &[&str],
) -> Option<String> {
    if !shape.has_table(table.name) {
        return Some(format!(
            "table {} does not exist, so its {} rows were skipped; create it with `orient-db migrate` \
             (or `orient-db push` if every migration is already applied), then run orient-seed again",
            table.name,
            table.rows.len()
        ));
    }
    if !missing_columns.is_empty() {
        return Some(format!(
            "table {} has no column {}, so its {} rows were skipped; bring the schema up to date with \
             `orient-db migrate` (or `orient-db push`), then run orient-seed again",
            table.name,
            missing_columns.join(", "),
            table.rows.len()
        ));
    }
    let dependency = table
        .depends_on
        .iter()
        .find(|d| !shape.has_table(d) || not_seeded.contains(d))?;
    Some(format!(
        "table {} references {dependency}, which could not be seeded, so its {} rows were skipped",
        table.name,
        table.rows.len()
    ))
}
