//! What a run did (or, with `--dry-run`, would do): per seeder and table, and in total.

use serde::Serialize;

/// Rows per outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Seed rows that were missing and were inserted.
    pub inserted: usize,
    /// Seeded rows that differed from their seed values and were rewritten (`--force`).
    pub updated: usize,
    /// Seeded rows already equal to their seed values.
    pub unchanged: usize,
    /// Seed rows not written: rows that differ, kept as they are without `--force`, and every row of a
    /// table that cannot be seeded (it does not exist).
    pub skipped: usize,
}

impl std::ops::AddAssign for Counts {
    fn add_assign(&mut self, other: Counts) {
        self.inserted += other.inserted;
        self.updated += other.updated;
        self.unchanged += other.unchanged;
        self.skipped += other.skipped;
    }
}

/// What happened to one seed row (rows that were already equal are only counted).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RowAction {
    Insert,
    /// Rewritten to its seed values, in place.
    Update,
    /// Differs from its seed values and was left as it is (no `--force`).
    Keep,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowChange {
    /// The natural key, e.g. `ori / tool-discovery`.
    pub key: String,
    pub action: RowAction,
    /// The columns that differ(ed) from the seed values.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableReport {
    pub table: &'static str,
    pub exists: bool,
    #[serde(flatten)]
    pub counts: Counts,
    /// Why the table was skipped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
    /// Inserted, updated and kept rows, in seed order.
    pub changes: Vec<RowChange>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SeederReport {
    pub seeder: &'static str,
    pub tables: Vec<TableReport>,
}

impl SeederReport {
    pub fn counts(&self) -> Counts {
        let mut total = Counts::default();
        for table in &self.tables {
            total += table.counts;
        }
        total
    }
}

/// A whole run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub database: String,
    pub dry_run: bool,
    pub force: bool,
    pub created_directories: Vec<String>,
    pub created_database: bool,
    /// Migrations recorded as applied because the database already had their schema.
    pub adopted_migrations: Vec<String>,
    pub applied_migrations: Vec<String>,
    /// Dry run only: migrations a real run would apply before seeding.
    pub pending_migrations: Vec<String>,
    /// The seeders that ran, in order.
    pub seeders: Vec<SeederReport>,
    /// The seeders left out by `--only`/`--skip-…`.
    pub not_selected: Vec<&'static str>,
    pub totals: Counts,
    pub warnings: Vec<String>,
    pub elapsed_ms: f64,
}

impl Report {
    /// The text `orient-seed` prints.
    pub fn human(&self) -> String {
        let mut text = String::new();
        let verb = if self.dry_run {
            "dry run, nothing written"
        } else {
            "seeded"
        };
        text.push_str(&format!("{}: {verb}\n", self.database));
        if !self.seeders.is_empty() {
            let (ins, upd) = if self.dry_run {
                ("would insert", "would update")
            } else {
                ("inserted", "updated")
            };
            text.push_str(&format!(
                "  {:<12} {:<27} {:>12} {:>12} {:>9} {:>7}\n",
                "seeder", "table", ins, upd, "unchanged", "skipped"
            ));
            for seeder in &self.seeders {
                for table in &seeder.tables {
                    let c = table.counts;
                    text.push_str(&format!(
                        "  {:<12} {:<27} {:>12} {:>12} {:>9} {:>7}{}\n",
                        seeder.seeder,
                        table.table,
                        c.inserted,
                        c.updated,
                        c.unchanged,
                        c.skipped,
                        if table.exists { "" } else { "  (no table)" }
                    ));
                }
            }
            let t = self.totals;
            text.push_str(&format!(
                "  {:<12} {:<27} {:>12} {:>12} {:>9} {:>7}\n",
                "total", "", t.inserted, t.updated, t.unchanged, t.skipped
            ));
        }
        let kept: Vec<String> = self
            .seeders
            .iter()
            .flat_map(|s| &s.tables)
            .flat_map(|t| {
                t.changes
                    .iter()
                    .filter(|c| c.action == RowAction::Keep)
                    .map(move |c| format!("{} `{}` ({})", t.table, c.key, c.fields.join(", ")))
            })
            .collect();
        if !kept.is_empty() {
            text.push_str(&format!(
                "kept {} seeded row{} that differ{} from the seed (rerun with --force to rewrite them):\n",
                kept.len(),
                if kept.len() == 1 { "" } else { "s" },
                if kept.len() == 1 { "s" } else { "" },
            ));
            for line in kept {
                text.push_str(&format!("  {line}\n"));
            }
        }
        if !self.not_selected.is_empty() {
            text.push_str(&format!("not selected: {}\n", self.not_selected.join(", ")));
        }
        text.push_str(&format!("done in {:.1} ms\n", self.elapsed_ms));
        text
    }
}
