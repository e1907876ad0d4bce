//! Each rule against a migration that triggers it and the safe alternative that does not, on the
//! engine(s) it concerns; the allows; what generated migrations lint as.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;

/// The tables the "earlier" migration creates: a parent, a child that cascades, both holding rows as
/// far as the linter knows.
const EARLIER: &str = "CREATE TABLE p (id bigint PRIMARY KEY, name varchar(20), n integer, big bigint NOT NULL);\n\
                       CREATE TABLE c (id integer PRIMARY KEY, p_id bigint REFERENCES p(id) ON DELETE CASCADE);\n";

/// Lints `sql` as the migration after [`EARLIER`] (and `between`, a migration of its own when not
/// empty); returns the report.
fn lint_after(engine: Engine, between: &str, sql: &str, in_transaction: bool) -> Report {
    let mut linter = Linter::new(engine);
    linter.lint("earlier.sql", EARLIER, true);
    if !between.is_empty() {
        linter.lint("between.sql", between, true);
    }
    linter.lint("up.sql", sql, in_transaction)
}

fn codes(report: &Report) -> Vec<&'static str> {
    report.findings.iter().map(|f| f.code.as_str()).collect()
}

/// One rule: `bad` has a finding `code`, `safe` lints clean.
#[track_caller]
fn rule(engine: Engine, code: Code, bad: &str, safe: &str, in_transaction: bool) {
    let found = lint_after(engine, "", bad, in_transaction);
    assert!(
        found.findings.iter().any(|f| f.code == code),
        "{engine:?}: expected {code} in {bad:?}, found {:?}",
        codes(&found)
    );
    let finding = found.findings.iter().find(|f| f.code == code).unwrap();
    assert_eq!(finding.file, "up.sql");
    assert!(finding.line >= 1 && !finding.why.is_empty() && !finding.instead.is_empty());
    let clean = lint_after(engine, "", safe, in_transaction);
    assert!(
        clean.clean && clean.skipped.is_empty(),
        "{engine:?}: expected {safe:?} to lint clean, found {:?} {:?}",
        codes(&clean),
        clean.skipped
    );
}

const BOTH: [Engine; 2] = [Engine::Sqlite, Engine::Postgres];

#[test]
fn dropping_a_table_is_destructive_unless_the_migration_created_it() {
    for engine in BOTH {
        rule(
            engine,
            Code::DropTable,
            "DROP TABLE c;",
            "CREATE TABLE scratch (id integer);\nDROP TABLE scratch;",
            true,
        );
    }
}

#[test]
fn dropping_a_column_is_destructive() {
    // The expand step of expand/contract: stop requiring the column, drop it in a later release.
    rule(
        Engine::Postgres,
        Code::DropColumn,
        "ALTER TABLE p DROP COLUMN big;",
        "ALTER TABLE p ALTER COLUMN big DROP NOT NULL;",
        true,
    );
    rule(
        Engine::Sqlite,
        Code::DropColumn,
        "ALTER TABLE p DROP COLUMN name;",
        "CREATE TABLE q (id integer);\nALTER TABLE q DROP COLUMN id;",
        true,
    );
}

#[test]
fn narrowing_a_column_is_destructive() {
    rule(
        Engine::Postgres,
        Code::NarrowColumn,
        "ALTER TABLE p ALTER COLUMN big TYPE integer;",
        "ALTER TABLE p ADD COLUMN big_small integer;",
        true,
    );
    let text = lint_after(
        Engine::Postgres,
        "",
        "ALTER TABLE p ALTER COLUMN name TYPE varchar(10);",
        true,
    );
    assert!(codes(&text).contains(&"OL103"), "{:?}", codes(&text));
    // SQLite narrows in a rebuild: text into a numeric affinity.
    let rebuild = |ty: &str| {
        format!(
            "PRAGMA foreign_keys = OFF;\nBEGIN;\n\
             CREATE TABLE \"__orient_new_p\" (id bigint PRIMARY KEY, name {ty}, n integer, big bigint NOT NULL);\n\
             INSERT INTO \"__orient_new_p\" SELECT * FROM p;\nDROP TABLE p;\n\
             ALTER TABLE \"__orient_new_p\" RENAME TO p;\nCOMMIT;\nPRAGMA foreign_keys = ON;"
        )
    };
    rule(
        Engine::Sqlite,
        Code::NarrowColumn,
        &rebuild("integer"),
        &rebuild("varchar(200)"),
        false,
    );
}

#[test]
fn renames_break_the_previous_version() {
    for engine in BOTH {
        rule(
            engine,
            Code::RenameTable,
            "ALTER TABLE p RENAME TO parent;",
            "CREATE TABLE parent (id bigint PRIMARY KEY);",
            true,
        );
        rule(
            engine,
            Code::RenameColumn,
            "ALTER TABLE p RENAME COLUMN name TO title;",
            "ALTER TABLE p ADD COLUMN title varchar(20);",
            true,
        );
    }
}

#[test]
fn a_required_column_without_default_breaks_existing_rows_and_writers() {
    for engine in BOTH {
        rule(
            engine,
            Code::AddRequiredColumn,
            "ALTER TABLE p ADD COLUMN tier text NOT NULL;",
            "ALTER TABLE p ADD COLUMN tier text NOT NULL DEFAULT 'cheap';",
            true,
        );
    }
    // On a table the migration creates, nothing is at stake.
    let new = lint_after(
        Engine::Postgres,
        "",
        "CREATE TABLE q (id integer);\nALTER TABLE q ADD COLUMN tier text NOT NULL;",
        true,
    );
    assert!(new.clean, "{:?}", codes(&new));
}

#[test]
fn postgres_index_without_concurrently_on_an_existing_table() {
    rule(
        Engine::Postgres,
        Code::IndexWithoutConcurrently,
        "CREATE INDEX idx_p_name ON p (name);",
        "CREATE INDEX CONCURRENTLY idx_p_name ON p (name);",
        false,
    );
    let new = lint_after(
        Engine::Postgres,
        "",
        "CREATE TABLE q (id integer);\nCREATE INDEX idx_q ON q (id);",
        true,
    );
    assert!(new.clean, "{:?}", codes(&new));
    // SQLite has no CONCURRENTLY; the rule is PostgreSQL's.
    assert!(lint_after(Engine::Sqlite, "", "CREATE INDEX i ON p (name);", true).clean);
}

#[test]
fn postgres_type_changes_that_rewrite() {
    // int → bigint widens but rewrites; varchar widening and varchar → text do not.
    rule(
        Engine::Postgres,
        Code::RewritingTypeChange,
        "ALTER TABLE p ALTER COLUMN n TYPE bigint;",
        "ALTER TABLE p ALTER COLUMN name TYPE varchar(40);\nALTER TABLE p ALTER COLUMN name TYPE text;",
        true,
    );
}

#[test]
fn postgres_volatile_defaults_rewrite() {
    rule(
        Engine::Postgres,
        Code::VolatileDefault,
        "ALTER TABLE p ADD COLUMN token uuid DEFAULT gen_random_uuid();",
        "ALTER TABLE p ADD COLUMN seen timestamptz DEFAULT now();\n\
         ALTER TABLE p ADD COLUMN token uuid;\n\
         ALTER TABLE p ALTER COLUMN token SET DEFAULT gen_random_uuid();",
        true,
    );
    let serial = lint_after(
        Engine::Postgres,
        "",
        "ALTER TABLE p ADD COLUMN seq bigserial;",
        true,
    );
    assert_eq!(codes(&serial), ["OL303"]);
}

#[test]
fn postgres_foreign_keys_need_not_valid() {
    rule(
        Engine::Postgres,
        Code::ValidatedForeignKey,
        "ALTER TABLE c ADD CONSTRAINT c_p_fkey FOREIGN KEY (p_id) REFERENCES p(id);",
        "ALTER TABLE c ADD CONSTRAINT c_p_fkey FOREIGN KEY (p_id) REFERENCES p(id) NOT VALID;",
        true,
    );
    // The same check hides in a column added with REFERENCES (a column constraint cannot be NOT VALID).
    rule(
        Engine::Postgres,
        Code::ValidatedForeignKey,
        "ALTER TABLE c ADD COLUMN q_id bigint REFERENCES p(id) ON DELETE SET NULL;",
        "ALTER TABLE c ADD COLUMN q_id bigint;\n\
         ALTER TABLE c ADD CONSTRAINT c_q_fkey FOREIGN KEY (q_id) REFERENCES p(id) NOT VALID;",
        true,
    );
}

#[test]
fn postgres_set_not_null_needs_a_check_validated_earlier() {
    let bad = "ALTER TABLE p ALTER COLUMN name SET NOT NULL;";
    assert_eq!(
        codes(&lint_after(Engine::Postgres, "", bad, true)),
        ["OL305"]
    );
    // Validated in the same migration: the scan still happens under the migration's locks.
    let same = lint_after(
        Engine::Postgres,
        "",
        "ALTER TABLE p ADD CONSTRAINT p_name_nn CHECK (name IS NOT NULL) NOT VALID;\n\
         ALTER TABLE p VALIDATE CONSTRAINT p_name_nn;\n\
         ALTER TABLE p ALTER COLUMN name SET NOT NULL;",
        true,
    );
    assert_eq!(codes(&same), ["OL305"]);
    // The safe sequence: check NOT VALID, validated in an earlier migration, then SET NOT NULL.
    let safe = lint_after(
        Engine::Postgres,
        "ALTER TABLE p ADD CONSTRAINT p_name_nn CHECK (name IS NOT NULL) NOT VALID;\n\
         ALTER TABLE p VALIDATE CONSTRAINT p_name_nn;",
        "ALTER TABLE p ALTER COLUMN name SET NOT NULL;\nALTER TABLE p DROP CONSTRAINT p_name_nn;",
        true,
    );
    assert!(safe.clean, "{:?}", codes(&safe));
}

/// A hand-written rebuild of the parent `p`, whose child `c` cascades.
const REBUILD: &str = "CREATE TABLE \"__orient_new_p\" (id bigint PRIMARY KEY, name varchar(20), n integer, big bigint NOT NULL);\n\
                       INSERT INTO \"__orient_new_p\" SELECT * FROM p;\n\
                       DROP TABLE p;\n\
                       ALTER TABLE \"__orient_new_p\" RENAME TO p;\n";

#[test]
fn sqlite_rebuild_of_a_parent_with_cascading_children() {
    // In Diesel's transaction, foreign keys are on: the DROP cascades into `c`.
    rule(
        Engine::Sqlite,
        Code::RebuildCascades,
        REBUILD,
        &format!(
            "PRAGMA foreign_keys = OFF;\nBEGIN IMMEDIATE;\n{REBUILD}PRAGMA foreign_key_check;\nCOMMIT;\nPRAGMA foreign_keys = ON;"
        ),
        false,
    );
    let found = lint_after(Engine::Sqlite, "", REBUILD, true);
    let finding = found
        .findings
        .iter()
        .find(|f| f.code == Code::RebuildCascades)
        .unwrap();
    assert_eq!(finding.line, 3);
    assert!(finding.message.contains("`c`"), "{}", finding.message);
    // The pragma after BEGIN does nothing: still a cascade, and the pragma is a finding itself.
    let late = lint_after(
        Engine::Sqlite,
        "",
        &format!("BEGIN;\nPRAGMA foreign_keys = OFF;\n{REBUILD}COMMIT;"),
        false,
    );
    assert_eq!(codes(&late), ["OL402", "OL401"]);
}

#[test]
fn sqlite_foreign_keys_pragma_inside_a_transaction() {
    // A migration that manages its own transaction: the pragma after BEGIN does nothing.
    rule(
        Engine::Sqlite,
        Code::ForeignKeysPragmaInTransaction,
        "BEGIN;\nPRAGMA foreign_keys = OFF;\nCOMMIT;",
        "PRAGMA foreign_keys = OFF;\nBEGIN;\nCOMMIT;\nPRAGMA foreign_keys = ON;",
        false,
    );
    // In Diesel's transaction (no metadata.toml) even the first statement is inside one.
    let diesel = lint_after(Engine::Sqlite, "", "PRAGMA foreign_keys = OFF;", true);
    assert_eq!(codes(&diesel), ["OL402"]);
}

#[test]
fn an_allow_with_a_reason_accepts_one_finding_of_its_code_on_the_next_statement() {
    let report = lint_after(
        Engine::Postgres,
        "",
        "-- orient:allow OL101 c was replaced by p's own column in 2025\nDROP TABLE c;\nDROP TABLE p;",
        true,
    );
    assert_eq!(codes(&report), ["OL101"]);
    assert_eq!(report.findings[0].line, 3);
    assert_eq!(report.allowed.len(), 1);
    assert_eq!(
        report.allowed[0].allowed.as_deref(),
        Some("c was replaced by p's own column in 2025")
    );
}

#[test]
fn an_allow_without_reason_or_code_is_a_finding_and_accepts_nothing() {
    let report = lint_after(
        Engine::Sqlite,
        "",
        "-- orient:allow OL101\nDROP TABLE c;\n-- orient:allow OL999 no such code\nSELECT 1;",
        true,
    );
    assert_eq!(codes(&report), ["OL001", "OL101", "OL001"]);
    assert!(report.findings[0].message.contains("gives no reason"));
    assert!(report.allowed.is_empty());
}

#[test]
fn an_allow_that_accepts_nothing_is_a_finding() {
    let report = lint_after(
        Engine::Sqlite,
        "",
        "-- orient:allow OL301 not on SQLite\nCREATE INDEX i ON p (name);\n-- orient:allow OL101 at the end",
        true,
    );
    assert_eq!(codes(&report), ["OL002", "OL002"]);
    assert_eq!(report.findings[1].line, 3);
}

#[test]
fn a_guarded_drop_is_still_a_finding_and_says_it_is_guarded() {
    let sql = "DO $orient_guard$ BEGIN\n  IF (SELECT n FROM (SELECT count(*) AS n FROM \"p\" WHERE \"big\" IS NOT NULL) AS counted) > 0 THEN\n    \
               RAISE EXCEPTION '%', 'orient: refused to drop column `p`.`big` (values are lost)';\n  END IF;\nEND $orient_guard$;\n\
               ALTER TABLE \"p\" DROP COLUMN \"big\";";
    let report = lint_after(Engine::Postgres, "", sql, true);
    assert_eq!(codes(&report), ["OL102"]);
    assert!(report.findings[0].message.contains("guarded"));
    assert_eq!(report.findings[0].line, 6);
    assert!(
        report.skipped.is_empty(),
        "the guard is recognised, not skipped"
    );
}

#[test]
fn a_statement_that_does_not_parse_is_skipped_and_the_rest_still_checked() {
    let report = lint_after(
        Engine::Postgres,
        "",
        "DO $$ BEGIN RAISE NOTICE 'hello; world'; END $$;\nDROP TABLE c;",
        true,
    );
    assert_eq!(codes(&report), ["OL101"]);
    assert_eq!(report.skipped.len(), 1);
    assert_eq!(report.skipped[0].line, 1);
    // A file that cannot even be tokenized is one skipped note, not a crash.
    let broken = lint_after(Engine::Sqlite, "", "SELECT 'unterminated;", true);
    assert!(broken.clean && broken.skipped.len() == 1);
}

/// What the planner writes for a change lints as documented: SQLite's rebuild of a parent with
/// cascading children is clean of OL401/OL402 (foreign keys go off before BEGIN, outside Diesel's
/// transaction); PostgreSQL's SET NOT NULL is OL305.
#[test]
fn generated_migrations_lint_as_documented() {
    use crate::dialect::postgres::Postgres;
    use crate::dialect::sqlite::Sqlite;
    use crate::migrations::generate::prepare_from;
    use crate::model::Schema;
    use crate::plan::Planner;

    let desired = Schema::from_declared(crate::schema::TABLES);
    // The current schema: `agents.name` (parent of cascading agent_skills, agent_tools…) nullable.
    let mut current = desired.clone();
    let agents = current
        .tables
        .iter_mut()
        .find(|t| t.name.as_ref() == "agents")
        .unwrap();
    agents
        .columns
        .to_mut()
        .iter_mut()
        .find(|c| c.name.as_ref() == "name")
        .unwrap()
        .nullable = true;
    for (engine, planner) in [
        (Engine::Sqlite, &Sqlite as &dyn Planner),
        (Engine::Postgres, &Postgres as &dyn Planner),
    ] {
        let initial = prepare_from(&Schema::new(Vec::new()), &[], &current, planner)
            .unwrap()
            .unwrap();
        let existing = Migration {
            name: "2026-01-01-000000_initial".into(),
            version: "20260101000000".to_owned(),
            up: initial.up.into(),
            down: None,
            run_in_transaction: !initial.self_managed,
            directory: "migrations/x",
        };
        let change = prepare_from(&current, &[], &desired, planner)
            .unwrap()
            .unwrap();
        let findings = lint_new(
            engine,
            &[existing],
            "up.sql",
            &change.up,
            !change.self_managed,
        );
        let found: Vec<_> = findings.iter().map(|f| f.code.as_str()).collect();
        match engine {
            Engine::Sqlite => {
                assert!(change.self_managed && change.up.contains("DROP TABLE \"agents\""));
                assert!(found.is_empty(), "{found:?}\n{}", change.up);
            }
            Engine::Postgres => assert_eq!(found, ["OL305"], "{}", change.up),
        }
    }
}
