//! `push` on real database files: creating, converging, rebuilding without losing a row, refusing data
//! loss, leaving views and triggers, sequences and unrelated tables alone.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use orient_testkit::sqlite::{connect, query_number as number, query_text as text, table_content};
use std::borrow::Cow;

use diesel::connection::SimpleConnection;
use orient_database::db::DbConnection;
use orient_database::db::backend::from_sqlite;
use orient_database::dialect::sqlite::Sqlite;
use orient_database::diff::diff;
use orient_database::engine::EngineConnection;
use orient_database::model::{Column, ColumnType, DefaultValue, Index, Schema};
use orient_database::push::{PushError, PushOptions, push};
use orient_database::testing::TestDb;

/// The schema the structs declare.
fn declared() -> Schema {
    Schema::from_declared(orient_database::schema::TABLES)
}

fn schema_version(conn: &mut DbConnection) -> i64 {
    number(
        conn,
        "SELECT schema_version AS n FROM pragma_schema_version",
    )
}

#[test]
fn push_creates_the_schema_and_a_second_push_executes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("push.db");
    let mut conn = from_sqlite(connect(&path));
    let first = push(&mut conn, &declared(), PushOptions::default()).unwrap();
    assert!(first.executed);
    assert_eq!(first.changes.len(), 34);
    assert_eq!(first.applied.statements, 34 + 86);
    let live = conn.introspect().unwrap().schema;
    assert_eq!(diff(&live, &declared(), &Sqlite), vec![]);
    assert_eq!(
        number(&mut conn, "SELECT count(*) AS n FROM __orient_push_log"),
        1
    );

    let version = schema_version(&mut conn);
    let second = push(&mut conn, &declared(), PushOptions::default()).unwrap();
    assert!(!second.executed);
    assert!(second.plan.is_empty());
    assert_eq!(second.applied.statements, 0);
    assert_eq!(schema_version(&mut conn), version);
    assert_eq!(
        number(&mut conn, "SELECT count(*) AS n FROM __orient_push_log"),
        1
    );
}

/// The declared schema with one change to `agents` that ALTER TABLE cannot make.
fn agents_needing_a_rebuild() -> Schema {
    let mut schema = declared();
    let agents = schema
        .tables
        .iter_mut()
        .find(|t| t.name == "agents")
        .unwrap();
    let description = agents
        .columns
        .to_mut()
        .iter_mut()
        .find(|c| c.name == "description")
        .unwrap();
    description.default = Some(DefaultValue::Text(Cow::Borrowed("no description yet")));
    schema
}

fn seed_agents_with_children(conn: &mut DbConnection) {
    conn.batch_execute(
        "INSERT INTO agents (id, name) VALUES ('ori', 'Ori'), ('explorer', 'Explorer');
         INSERT INTO agent_skills (agent_id, skill_name) VALUES ('ori', 'a'), ('ori', 'b'), ('explorer', 'c');
         INSERT INTO agent_tools (agent_id, pattern, type) VALUES ('ori', 'x_*', 'allow'), ('explorer', 'write', 'deny');
         INSERT INTO context_rules (context_type, agent_id, priority) VALUES ('default', 'ori', 0), ('platform', 'explorer', 5);
         DELETE FROM agent_skills WHERE skill_name = 'b';",
    )
    .unwrap();
}

#[test]
fn rebuilding_a_parent_keeps_every_row_of_cascade_and_set_null_children() {
    let db = TestDb::new().unwrap();
    let mut conn = from_sqlite(connect(db.sqlite_path().unwrap()));
    seed_agents_with_children(&mut conn);
    assert_eq!(
        number(
            &mut conn,
            "SELECT foreign_keys AS n FROM pragma_foreign_keys"
        ),
        1
    );
    let children = ["agent_skills", "agent_tools", "context_rules"];
    let before: Vec<String> = children
        .iter()
        .map(|t| table_content(&mut conn, t))
        .collect();
    let agents_before = table_content(&mut conn, "agents");

    let report = push(
        &mut conn,
        &agents_needing_a_rebuild(),
        PushOptions::default(),
    )
    .unwrap();
    assert!(report.executed);
    assert!(report.plan.rebuilds());
    assert_eq!(report.applied.row_counts.len(), 1);
    assert_eq!(report.applied.row_counts[0].before, 2);
    assert_eq!(report.applied.row_counts[0].after, 2);

    let after: Vec<String> = children
        .iter()
        .map(|t| table_content(&mut conn, t))
        .collect();
    assert_eq!(before, after, "a child table changed");
    assert_eq!(table_content(&mut conn, "agents"), agents_before);
    // Foreign keys are back on, the schema is the new one, nothing is left behind.
    assert_eq!(
        number(
            &mut conn,
            "SELECT foreign_keys AS n FROM pragma_foreign_keys"
        ),
        1
    );
    assert_eq!(
        text(
            &mut conn,
            "SELECT group_concat(integrity_check) AS value FROM pragma_integrity_check"
        ),
        "ok"
    );
    assert_eq!(
        number(
            &mut conn,
            "SELECT count(*) AS n FROM pragma_foreign_key_check"
        ),
        0
    );
    assert_eq!(
        number(
            &mut conn,
            "SELECT count(*) AS n FROM sqlite_schema WHERE name LIKE '__orient_new_%'"
        ),
        0
    );
    let live = conn.introspect().unwrap().schema;
    assert_eq!(diff(&live, &agents_needing_a_rebuild(), &Sqlite), vec![]);
    // The other tables' foreign keys still name `agents`, not the temporary name.
    let sql = text(
        &mut conn,
        "SELECT sql AS value FROM sqlite_schema WHERE name = 'agent_skills'",
    );
    assert!(sql.contains("REFERENCES \"agents\""), "{sql}");

    // And back: the declared schema again, rows still identical.
    push(&mut conn, &declared(), PushOptions::default()).unwrap();
    let back: Vec<String> = children
        .iter()
        .map(|t| table_content(&mut conn, t))
        .collect();
    assert_eq!(before, back);
}

#[test]
fn a_rebuild_keeps_the_autoincrement_high_water_mark() {
    let db = TestDb::new().unwrap();
    let mut conn = from_sqlite(connect(db.sqlite_path().unwrap()));
    seed_agents_with_children(&mut conn);
    // agent_skills ids 1..3 were used; 2 was deleted, 3 is the highest; delete 3 too.
    conn.batch_execute("DELETE FROM agent_skills WHERE id = 3;")
        .unwrap();
    let mut schema = declared();
    let skills = schema
        .tables
        .iter_mut()
        .find(|t| t.name == "agent_skills")
        .unwrap();
    skills
        .columns
        .to_mut()
        .iter_mut()
        .find(|c| c.name == "skill_name")
        .unwrap()
        .default = Some(DefaultValue::Text(Cow::Borrowed("unnamed")));
    let report = push(&mut conn, &schema, PushOptions::default()).unwrap();
    assert!(report.plan.rebuilds());
    conn.batch_execute("INSERT INTO agent_skills (agent_id, skill_name) VALUES ('ori', 'new');")
        .unwrap();
    let id = number(&mut conn, "SELECT max(id) AS n FROM agent_skills");
    assert_eq!(
        id, 4,
        "AUTOINCREMENT must never reuse a deleted id after a rebuild"
    );
}

#[test]
fn data_losing_changes_are_refused_with_row_counts_unless_accepted() {
    let db = TestDb::new().unwrap();
    let mut conn = from_sqlite(connect(db.sqlite_path().unwrap()));
    seed_agents_with_children(&mut conn);
    // The database has a column and a table the structs do not declare, holding data.
    conn.batch_execute(
        "ALTER TABLE agents ADD COLUMN legacy_notes text;
         UPDATE agents SET legacy_notes = 'keep me' WHERE id = 'ori';
         CREATE TABLE old_stuff (id integer PRIMARY KEY, x text);
         INSERT INTO old_stuff (x) VALUES ('a'), ('b'), ('c');",
    )
    .unwrap();
    let version = schema_version(&mut conn);
    let agents = table_content(&mut conn, "agents");

    let refused = push(&mut conn, &declared(), PushOptions::default()).unwrap_err();
    let PushError::DataLoss { losses } = &refused else {
        panic!("expected a data-loss refusal, got {refused:?}");
    };
    let mut found: Vec<(String, u64)> = losses.iter().map(|l| (l.change.clone(), l.rows)).collect();
    found.sort();
    assert_eq!(
        found,
        vec![
            ("drop column `agents`.`legacy_notes`".to_owned(), 1),
            ("drop table `old_stuff`".to_owned(), 3)
        ]
    );
    let message = refused.to_string();
    assert!(message.contains("--accept-data-loss"), "{message}");
    assert_eq!(schema_version(&mut conn), version);
    assert_eq!(table_content(&mut conn, "agents"), agents);

    // A dry run with the flag shows the plan and still writes nothing.
    let dry = push(
        &mut conn,
        &declared(),
        PushOptions {
            dry_run: true,
            accept_data_loss: true,
            without_snapshot: false,
        },
    )
    .unwrap();
    assert!(!dry.executed);
    assert!(
        dry.plan
            .statements()
            .any(|s| s.contains("DROP TABLE \"old_stuff\""))
    );
    assert_eq!(schema_version(&mut conn), version);

    let done = push(
        &mut conn,
        &declared(),
        PushOptions {
            dry_run: false,
            accept_data_loss: true,
            without_snapshot: false,
        },
    )
    .unwrap();
    assert!(done.executed);
    assert_eq!(done.data_loss.len(), 2);
    let live = conn.introspect().unwrap().schema;
    assert_eq!(diff(&live, &declared(), &Sqlite), vec![]);
    assert_eq!(number(&mut conn, "SELECT count(*) AS n FROM agents"), 2);
}

#[test]
fn accepted_losses_delete_exactly_the_counted_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("accept.db");
    let mut conn = from_sqlite(connect(&path));
    // A small schema of our own: people with emails, some NULL, some duplicated.
    let mut people = orient_database::model::Table::new("people");
    let mut id = Column::new("id", ColumnType::BigInt).not_null();
    id.autoincrement = true;
    people.columns = Cow::Owned(vec![
        id,
        Column::new("email", ColumnType::Text),
        Column::new("age", ColumnType::Text),
    ]);
    people.primary_key = Cow::Owned(vec![Cow::Borrowed("id")]);
    let before = Schema::new(vec![people.clone()]);
    push(&mut conn, &before, PushOptions::default()).unwrap();
    conn.batch_execute(
        "INSERT INTO people (email, age) VALUES ('a@x', '30'), ('a@x', '31'), (NULL, 'old'), ('b@x', '40');",
    )
    .unwrap();

    // Now: email NOT NULL and unique, age an integer.
    let mut after_table = people.clone();
    {
        let columns = after_table.columns.to_mut();
        columns[1].nullable = false;
        columns[2].ty = ColumnType::BigInt;
    }
    after_table.indexes = Cow::Owned(vec![Index::new("people_email_unique", &["email"], true)]);
    let after = Schema::new(vec![after_table]);
    let refused = push(&mut conn, &after, PushOptions::default()).unwrap_err();
    let PushError::DataLoss { losses } = refused else {
        panic!("expected refusal")
    };
    let mut counts: Vec<(String, u64)> = losses
        .iter()
        .map(|l| (format!("{:?}", l.kind), l.rows))
        .collect();
    counts.sort();
    assert_eq!(
        counts,
        vec![
            ("Duplicates".to_owned(), 1),
            ("Narrowing".to_owned(), 4),
            ("NotNullOverNulls".to_owned(), 1)
        ]
    );
    let accepted = push(
        &mut conn,
        &after,
        PushOptions {
            dry_run: false,
            accept_data_loss: true,
            without_snapshot: false,
        },
    )
    .unwrap();
    assert!(accepted.executed);
    // The NULL row and the second a@x are gone; ages converted to integers.
    assert_eq!(
        text(
            &mut conn,
            "SELECT group_concat(id || ':' || email || ':' || age || ':' || typeof(age), ' ') AS value FROM (SELECT * FROM people ORDER BY id)"
        ),
        "1:a@x:30:integer 4:b@x:40:integer"
    );
    let live = conn.introspect().unwrap().schema;
    assert_eq!(diff(&live, &after, &Sqlite), vec![]);
}

#[test]
fn views_and_triggers_survive_a_rebuild() {
    let db = TestDb::new().unwrap();
    let mut conn = from_sqlite(connect(db.sqlite_path().unwrap()));
    conn.batch_execute(
        "CREATE VIEW enabled_agents AS SELECT id, name FROM agents WHERE enabled = 1;
         CREATE TRIGGER agents_touch AFTER UPDATE OF name ON agents
           BEGIN UPDATE agents SET updated_at = 42 WHERE id = NEW.id; END;
         CREATE TRIGGER skills_log AFTER INSERT ON agent_skills
           BEGIN UPDATE agents SET description = 'has skills' WHERE id = NEW.agent_id; END;",
    )
    .unwrap();
    seed_agents_with_children(&mut conn);
    push(
        &mut conn,
        &agents_needing_a_rebuild(),
        PushOptions::default(),
    )
    .unwrap();
    let objects = text(
        &mut conn,
        "SELECT group_concat(type || ':' || name, ' ') AS value FROM (SELECT * FROM sqlite_schema WHERE type IN ('view', 'trigger') ORDER BY name)",
    );
    assert_eq!(
        objects,
        "trigger:agents_touch view:enabled_agents trigger:skills_log"
    );
    assert_eq!(
        number(&mut conn, "SELECT count(*) AS n FROM enabled_agents"),
        2
    );
    conn.batch_execute("UPDATE agents SET name = 'Ori!' WHERE id = 'ori';")
        .unwrap();
    assert_eq!(
        number(
            &mut conn,
            "SELECT updated_at AS n FROM agents WHERE id = 'ori'"
        ),
        42
    );
}

#[test]
fn the_copy_names_only_columns_the_old_table_has() {
    // With double-quoted strings allowed, `SELECT "b"` for a missing column `b` would copy the text 'b'.
    let dir = tempfile::tempdir().unwrap();
    let mut conn = from_sqlite(connect(&dir.path().join("dqs.db")));
    let mut t = orient_database::model::Table::new("t");
    t.columns = Cow::Owned(vec![
        Column::new("id", ColumnType::BigInt).not_null(),
        Column::new("a", ColumnType::Text),
    ]);
    t.primary_key = Cow::Owned(vec![Cow::Borrowed("id")]);
    push(
        &mut conn,
        &Schema::new(vec![t.clone()]),
        PushOptions::default(),
    )
    .unwrap();
    conn.batch_execute("INSERT INTO t (a) SELECT 'x' FROM (SELECT 1 UNION SELECT 2);")
        .unwrap();
    let mut wider = t.clone();
    wider.columns.to_mut()[1].nullable = false;
    wider.columns.to_mut()[1].default = Some(DefaultValue::Text(Cow::Borrowed("")));
    wider.columns.to_mut().push(
        Column::new("b", ColumnType::Text)
            .not_null()
            .default(DefaultValue::Text(Cow::Borrowed(""))),
    );
    let report = push(&mut conn, &Schema::new(vec![wider]), PushOptions::default()).unwrap();
    let copy = report
        .plan
        .statements()
        .find(|s| s.starts_with("INSERT INTO \"__orient_new_t\""))
        .unwrap()
        .to_owned();
    assert!(copy.contains("(\"id\", \"a\")"), "{copy}");
    assert!(!copy.contains("\"b\""), "{copy}");
    assert_eq!(
        number(&mut conn, "SELECT count(*) AS n FROM t WHERE b = 'b'"),
        0
    );
    assert_eq!(
        number(&mut conn, "SELECT count(*) AS n FROM t WHERE b = ''"),
        2
    );
}

#[test]
fn a_database_of_another_application_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let mut conn = from_sqlite(connect(&dir.path().join("foreign.db")));
    conn.batch_execute("CREATE TABLE invoices (id integer PRIMARY KEY); CREATE TABLE customers (id integer PRIMARY KEY);")
        .unwrap();
    let version = schema_version(&mut conn);
    let error = push(
        &mut conn,
        &declared(),
        PushOptions {
            dry_run: false,
            accept_data_loss: true,
            without_snapshot: false,
        },
    )
    .unwrap_err();
    assert!(
        matches!(error, PushError::ForeignDatabase { .. }),
        "{error}"
    );
    assert!(error.to_string().contains("customers, invoices"), "{error}");
    assert_eq!(schema_version(&mut conn), version);
}

#[test]
fn renames_are_taken_from_declared_hints_and_never_guessed() {
    let dir = tempfile::tempdir().unwrap();
    let mut conn = from_sqlite(connect(&dir.path().join("rename.db")));
    let mut people = orient_database::model::Table::new("people");
    people.columns = Cow::Owned(vec![
        Column::new("id", ColumnType::BigInt).not_null(),
        Column::new("name", ColumnType::Text),
    ]);
    people.primary_key = Cow::Owned(vec![Cow::Borrowed("id")]);
    people.indexes = Cow::Owned(vec![Index::new("idx_people_name", &["name"], false)]);
    push(
        &mut conn,
        &Schema::new(vec![people.clone()]),
        PushOptions::default(),
    )
    .unwrap();
    conn.batch_execute("INSERT INTO people (id, name) VALUES (1, 'Ada'), (2, 'Grace');")
        .unwrap();

    // Without hints, a new table name and a new column name are a drop and an add: refused (rows would
    // go), never silently guessed to be renames.
    let mut renamed = people.clone();
    renamed.name = Cow::Borrowed("members");
    renamed.columns.to_mut()[1].name = Cow::Borrowed("full_name");
    renamed.indexes = Cow::Owned(vec![Index::new(
        "idx_members_full_name",
        &["full_name"],
        false,
    )]);
    let guessed = push(
        &mut conn,
        &Schema::new(vec![renamed.clone()]),
        PushOptions::default(),
    );
    assert!(
        matches!(
            guessed,
            Err(PushError::ForeignDatabase { .. }) | Err(PushError::DataLoss { .. })
        ),
        "{guessed:?}"
    );

    // With hints, the rows move with the names.
    renamed.renamed_from = Some(Cow::Borrowed("people"));
    renamed.columns.to_mut()[1].renamed_from = Some(Cow::Borrowed("name"));
    let report = push(
        &mut conn,
        &Schema::new(vec![renamed.clone()]),
        PushOptions::default(),
    )
    .unwrap();
    assert!(report.data_loss.is_empty());
    assert!(
        report
            .changes
            .iter()
            .any(|c| c == "rename table `people` to `members`"),
        "{:?}",
        report.changes
    );
    assert!(
        report
            .changes
            .iter()
            .any(|c| c == "rename column `members`.`name` to `full_name`")
    );
    assert_eq!(
        text(
            &mut conn,
            "SELECT group_concat(id || ':' || full_name, ' ') AS value FROM members"
        ),
        "1:Ada 2:Grace"
    );
    let live = conn.introspect().unwrap().schema;
    assert_eq!(
        diff(&live, &Schema::new(vec![renamed.clone()]), &Sqlite),
        vec![]
    );
    // Once renamed, the hint changes nothing.
    assert!(
        push(
            &mut conn,
            &Schema::new(vec![renamed]),
            PushOptions::default()
        )
        .unwrap()
        .plan
        .is_empty()
    );
}

/// A data-losing push through a connection to a PostgreSQL database other than the configured one cannot
/// be snapshotted (the dump is taken from `DATABASE_URL`): it is refused, naming both, and changes
/// nothing; waiving the snapshot lets it through.
#[cfg(feature = "postgres")]
#[test]
fn a_data_losing_push_on_an_unconfigured_postgres_database_needs_the_snapshot_waived() {
    use diesel::Connection;
    use orient_database::ops::Error as OpsError;
    let Some(server) = orient_testkit::postgres::server() else {
        return;
    };
    let database = server.create_database("unconfigured_push");
    let mut conn =
        DbConnection::from(diesel::PgConnection::establish(&server.url(&database)).unwrap());
    push(&mut conn, &declared(), PushOptions::default()).unwrap();
    conn.batch_execute(
        "CREATE TABLE old_stuff (id bigint PRIMARY KEY); INSERT INTO old_stuff VALUES (1), (2);",
    )
    .unwrap();
    let accept = PushOptions {
        dry_run: false,
        accept_data_loss: true,
        without_snapshot: false,
    };
    let refused = push(&mut conn, &declared(), accept).unwrap_err();
    let message = refused.to_string();
    assert!(
        matches!(&refused, PushError::Snapshot(OpsError::SnapshotTargetUnknown { database: d, .. }) if *d == database),
        "{refused:?}"
    );
    assert!(message.contains("ORIENT_SNAPSHOT_KEEP=0"), "{message}");
    assert_eq!(number(&mut conn, "SELECT count(*) AS n FROM old_stuff"), 2);

    let done = push(
        &mut conn,
        &declared(),
        PushOptions {
            without_snapshot: true,
            ..accept
        },
    )
    .unwrap();
    assert!(done.executed && done.snapshot.is_none());
    assert_eq!(
        number(
            &mut conn,
            "SELECT count(*) AS n FROM pg_tables WHERE tablename = 'old_stuff'"
        ),
        0
    );
}
