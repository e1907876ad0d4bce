//! `orient-db lint`'s SQLite rules (OL4xx), and which type changes lose values on SQLite.
//!
//! - OL401: with foreign keys on, `DROP TABLE` first deletes every row (sqlite.org/lang_droptable.html:
//!   "an implicit DELETE FROM … the implicit DELETE does cause any configured foreign key actions to
//!   take place"), so children declared `ON DELETE CASCADE` lose their rows (`SET NULL`/`SET DEFAULT`
//!   ones their keys). A table rebuild (create new, copy, drop old, rename) looks harmless and loses
//!   them. Our generated rebuilds are safe: they run outside Diesel's transaction (`metadata.toml`:
//!   `run_in_transaction = false`) and switch foreign keys off *before* `BEGIN`; the rule follows the
//!   pragma through the file, so they lint clean and a hand-written rebuild inside a transaction does not.
//! - OL402: `PRAGMA foreign_keys` inside a transaction is a no-op (sqlite.org/pragma.html
//!   #pragma_foreign_keys), and Diesel runs each migration in one unless told otherwise.
//!
//! A connection starts with foreign keys on (ours and Diesel's set them at connect).

use sqlparser::ast::{self, DataType};

use crate::lint::engine_rules::{Context, EngineRules, Hit};
use crate::lint::finding::Code;
use crate::lint::statement::{Statement, is_temporary_name, object_name};

/// The SQLite rules; one value follows one migration's `PRAGMA foreign_keys`.
#[derive(Debug)]
pub struct SqliteRules {
    foreign_keys: bool,
}

impl Default for SqliteRules {
    fn default() -> Self {
        SqliteRules { foreign_keys: true }
    }
}

/// `PRAGMA foreign_keys = value`'s value, when the statement sets it.
fn foreign_keys_pragma(statement: &Statement) -> Option<bool> {
    let words = &statement.words;
    let at = match words.as_slice() {
        [pragma, name, ..] if pragma == "PRAGMA" && name.eq_ignore_ascii_case("foreign_keys") => 2,
        // PRAGMA main.foreign_keys = …
        [pragma, _, dot, name, ..]
            if pragma == "PRAGMA" && dot == "." && name.eq_ignore_ascii_case("foreign_keys") =>
        {
            4
        }
        _ => return None,
    };
    let value = match words.get(at).map(String::as_str) {
        Some("=") => words.get(at + 1),
        Some("(") => words.get(at + 1),
        _ => None,
    }?;
    match value.to_ascii_uppercase().trim_matches('\'') {
        "ON" | "1" | "TRUE" | "YES" => Some(true),
        "OFF" | "0" | "FALSE" | "NO" => Some(false),
        _ => None,
    }
}

/// SQLite's type affinity of a declared type (sqlite.org/datatype3.html, 3.1).
fn affinity(ty: &DataType) -> &'static str {
    let text = ty.to_string().to_uppercase();
    if text.contains("INT") {
        "INTEGER"
    } else if text.contains("CHAR") || text.contains("CLOB") || text.contains("TEXT") {
        "TEXT"
    } else if text.contains("BLOB") || text.is_empty() {
        "BLOB"
    } else if text.contains("REAL") || text.contains("FLOA") || text.contains("DOUB") {
        "REAL"
    } else {
        "NUMERIC"
    }
}

impl EngineRules for SqliteRules {
    fn check(&mut self, context: &Context<'_>, statement: &Statement, hits: &mut Vec<Hit>) {
        if let Some(on) = foreign_keys_pragma(statement) {
            if context.in_transaction {
                hits.push(Hit {
                    code: Code::ForeignKeysPragmaInTransaction,
                    message: format!(
                        "sets PRAGMA foreign_keys = {} inside a transaction, where it does nothing",
                        if on { "ON" } else { "OFF" }
                    ),
                    why: "SQLite ignores PRAGMA foreign_keys inside a transaction, and this statement \
                          runs in one (Diesel's, unless metadata.toml says run_in_transaction = false, \
                          or an explicit BEGIN): foreign keys stay as they were"
                        .to_owned(),
                    instead: "set `run_in_transaction = false` in the migration's metadata.toml and put \
                              the pragma before BEGIN (and back ON after COMMIT), as `orient-db \
                              generate` writes rebuilds"
                        .to_owned(),
                });
            } else {
                self.foreign_keys = on;
            }
            return;
        }
        let Ok(ast::Statement::Drop {
            object_type: ast::ObjectType::Table,
            names,
            ..
        }) = &statement.parsed
        else {
            return;
        };
        if !self.foreign_keys {
            return;
        }
        for name in names.iter().filter(|n| !is_temporary_name(n)) {
            let table = object_name(name);
            let children = context.catalog.acting_children(&table);
            if children.is_empty() {
                continue;
            }
            let list = children
                .iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", ");
            hits.push(Hit {
                code: Code::RebuildCascades,
                message: format!(
                    "drops table `{table}` with foreign keys on while {list} reference it with ON DELETE \
                     CASCADE, SET NULL or SET DEFAULT"
                ),
                why: format!(
                    "with foreign keys on, DROP TABLE first deletes every row of `{table}`, which deletes \
                     or rewrites the rows of {list}; a table rebuild (copy, drop, rename) then silently \
                     loses the children's rows"
                ),
                instead: "run the migration outside Diesel's transaction (metadata.toml: \
                          run_in_transaction = false) with PRAGMA foreign_keys = OFF before BEGIN and \
                          PRAGMA foreign_key_check before COMMIT, as `orient-db generate` writes rebuilds"
                    .to_owned(),
            });
        }
    }

    fn narrows(&self, old: &DataType, new: &DataType) -> bool {
        // Widths mean nothing to SQLite (an INTEGER column holds any 64-bit value, a VARCHAR(10) any
        // text): only an affinity change converts stored values, and into a numeric affinity it turns
        // text such as '007' into 7.
        let (old, new) = (affinity(old), affinity(new));
        old != new
            && matches!(new, "INTEGER" | "REAL" | "NUMERIC")
            && !(old == "INTEGER" && new != "INTEGER")
    }
}
