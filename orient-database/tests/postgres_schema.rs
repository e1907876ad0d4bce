//! The schema engine on PostgreSQL, against a real server the tests start themselves
//! (`postgres_support`): the dialect renders the declared schema and introspection reads it back
//! unchanged; drift is found; every kind of change is planned and applied in place; data-loss counts
//! equal the rows a change affects; lock annotations match the locks PostgreSQL takes. Behaviour both
//! engines share is one test function run on each (`both_engines!`).
//!
//! `cargo test -p orient-database --features postgres --test postgres_schema`. Without PostgreSQL
//! binaries the PostgreSQL halves say why and pass, unless `ORIENT_REQUIRE_POSTGRES=1`.
#![cfg(feature = "postgres")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod postgres_support;

use std::borrow::Cow;
use std::collections::BTreeMap;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Text};
use orient_database::assess::{LossKind, loss_checks};
use orient_database::dialect::postgres::Postgres;
use orient_database::diff::{Change, diff};
use orient_database::engine::EngineConnection;
use orient_database::model::{
    Column, ColumnType, DefaultValue, FkAction, ForeignKey, Index, Name, Schema, Table,
};
use orient_database::plan::{Blocks, Plan, PlanOptions, TableWork, plan};
use orient_database::schema::TABLES;
use orient_database::sql::Dialect;

// ---------------------------------------------------------------------------------------------------
// Engines and a push that works on either

fn sqlite() -> SqliteConnection {
    orient_database::dialect::sqlite::scratch_connection().expect("in-memory SQLite")
}

/// Runs `$body(&mut conn)` once on SQLite and once on PostgreSQL (skipped without a server).
macro_rules! both_engines {
    ($name:ident, $body:path) => {
        mod $name {
            #[test]
            fn sqlite() {
                $body(&mut super::sqlite());
            }

            #[test]
            fn postgres() {
                if let Some(mut conn) = super::postgres_support::connect(stringify!($name)) {
                    $body(&mut conn);
                }
            }
        }
    };
}

/// What [`push_to`] did.
#[derive(Debug)]
struct Pushed {
    plan: Plan,
    /// Each loss check with the rows it counted.
    losses: Vec<(LossKind, String, i64)>,
}

#[derive(Debug)]
enum Failure {
    Refused(Vec<(LossKind, String, i64)>),
    Statement(String, diesel::result::Error),
    Db(diesel::result::Error),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Refused(losses) => write!(f, "refused: {losses:?}"),
            Failure::Statement(statement, error) => write!(f, "{error}: {statement}"),
            Failure::Db(error) => write!(f, "{error}"),
        }
    }
}

impl From<diesel::result::Error> for Failure {
    fn from(e: diesel::result::Error) -> Failure {
        Failure::Db(e)
    }
}

/// `orient_database::push` for any engine (whose own signature takes the build's `DbConnection`): one
/// write transaction; introspect, diff, count losses, refuse or plan and execute, check foreign keys.
fn push_to<C: EngineConnection>(
    conn: &mut C,
    desired: &Schema,
    accept_data_loss: bool,
) -> Result<Pushed, Failure> {
    let planner = conn.planner();
    let switch = planner.rebuilds_need_foreign_keys_off();
    if switch {
        conn.enforce_foreign_keys(false)?;
    }
    let result = conn.write_transaction::<Pushed, Failure, _>(|c| {
        let live = c.introspect()?;
        let changes = diff(&live.schema, desired, planner);
        let mut losses = Vec::new();
        for check in loss_checks(&changes, &live.schema, desired, planner) {
            let rows = c.count(&check.count_sql)?;
            if rows > 0 {
                losses.push((check.kind, check.change, rows));
            }
        }
        if !losses.is_empty() && !accept_data_loss {
            return Err(Failure::Refused(losses));
        }
        let plan = plan(
            &changes,
            &live.schema,
            desired,
            &live.unmodelled,
            planner,
            PlanOptions { accept_data_loss },
        )
        .expect("a plan");
        for statement in plan.statements() {
            c.execute_sql(statement).map_err(|e| {
                Failure::Statement(format!("{statement}\nin plan:\n{}", plan.to_sql()), e)
            })?;
        }
        let (_, dangling) = c.foreign_key_violations(5)?;
        assert_eq!(
            dangling,
            0,
            "rows reference nothing after:\n{}",
            plan.to_sql()
        );
        Ok(Pushed { plan, losses })
    });
    if switch {
        conn.enforce_foreign_keys(true)?;
    }
    result
}

/// Pushes, asserts that the database now reads back as `desired` and that a second push has nothing
/// to do.
fn converge<C: EngineConnection>(conn: &mut C, desired: &Schema, accept: bool) -> Pushed {
    let pushed = push_to(conn, desired, accept).unwrap_or_else(|e| panic!("push failed: {e}"));
    let planner = conn.planner();
    let live = conn.introspect().unwrap();
    assert_eq!(
        diff(&live.schema, desired, planner),
        vec![],
        "the database does not read back as desired after:\n{}",
        pushed.plan.to_sql()
    );
    let again = push_to(conn, desired, false).unwrap();
    assert!(
        again.plan.is_empty(),
        "second push planned:\n{}",
        again.plan.to_sql()
    );
    pushed
}

fn count<C: EngineConnection>(conn: &mut C, sql: &str) -> i64 {
    conn.count(sql).unwrap_or_else(|e| panic!("`{sql}`: {e}"))
}

fn declared() -> Schema {
    Schema::from_declared(TABLES)
}

// ---------------------------------------------------------------------------------------------------
// A small schema to change

fn id() -> Column {
    let mut id = Column::new("id", ColumnType::BigInt).not_null();
    id.autoincrement = true;
    id
}

fn key(columns: &[&str]) -> Cow<'static, [Name]> {
    columns
        .iter()
        .map(|c| Name::Owned((*c).to_owned()))
        .collect()
}

fn foreign_key(columns: &[&str], parent: &str, on_delete: FkAction) -> ForeignKey {
    ForeignKey {
        columns: key(columns),
        references_table: Name::Owned(parent.to_owned()),
        references_columns: key(&["id"]),
        on_delete,
        on_update: FkAction::NoAction,
    }
}

/// `parents` and `children` (with a cascading key to `parents`), `tags` (a text key) and `archive`
/// (left empty).
fn base() -> Schema {
    let mut parents = Table::new("parents");
    parents.columns = Cow::Owned(vec![
        id(),
        Column::new("name", ColumnType::Text).not_null(),
        Column::new("code", ColumnType::Text),
        Column::new("rank", ColumnType::Integer).default(DefaultValue::Integer(0)),
    ]);
    parents.primary_key = key(&["id"]);
    parents.indexes = Cow::Owned(vec![Index::new("idx_parents_code", &["code"], true)]);

    let mut children = Table::new("children");
    children.columns = Cow::Owned(vec![
        id(),
        Column::new("parent_id", ColumnType::BigInt),
        Column::new("label", ColumnType::Text).default(DefaultValue::Text("none".into())),
        Column::new("amount", ColumnType::BigInt),
        Column::new("score", ColumnType::Double),
        Column::new("flag", ColumnType::Bool).default(DefaultValue::Bool(true)),
        Column::new("note", ColumnType::Text),
        Column::new("created_at", ColumnType::Timestamp),
    ]);
    children.primary_key = key(&["id"]);
    children.indexes = Cow::Owned(vec![Index::new(
        "idx_children_parent",
        &["parent_id"],
        false,
    )]);
    children.foreign_keys = Cow::Owned(vec![foreign_key(
        &["parent_id"],
        "parents",
        FkAction::Cascade,
    )]);

    let mut tags = Table::new("tags");
    tags.columns = Cow::Owned(vec![
        Column::new("name", ColumnType::Text).not_null(),
        Column::new("kind", ColumnType::Text).not_null(),
        Column::new("owner_id", ColumnType::BigInt),
    ]);
    tags.primary_key = key(&["name"]);

    let mut archive = Table::new("archive");
    archive.columns = Cow::Owned(vec![id(), Column::new("body", ColumnType::Text)]);
    archive.primary_key = key(&["id"]);
    Schema::new(vec![archive, parents, children, tags])
}

/// Rows every scenario starts with; `note` stays NULL, so dropping it loses nothing.
const ROWS: &str = "INSERT INTO parents (name, code) VALUES ('a', 'A'), ('b', 'B'), ('c', NULL);
     INSERT INTO children (parent_id, label, amount, score, flag, created_at) VALUES
       (1, 'x', 10, 0.5, true, 1700000000), (1, NULL, 20, 1.0, false, 1700000001),
       (2, 'y', NULL, -2.25, true, NULL), (NULL, 'z', 40, NULL, NULL, 1700000003);
     INSERT INTO tags (name, kind) VALUES ('red', 'color'), ('big', 'size');";

fn table_mut<'a>(schema: &'a mut Schema, name: &str) -> &'a mut Table {
    schema.tables.iter_mut().find(|t| t.name == name).unwrap()
}

fn column_mut<'a>(schema: &'a mut Schema, table: &str, column: &str) -> &'a mut Column {
    table_mut(schema, table)
        .columns
        .to_mut()
        .iter_mut()
        .find(|c| c.name == column)
        .unwrap()
}

fn row_counts<C: EngineConnection>(conn: &mut C, tables: &[&str]) -> Vec<i64> {
    tables
        .iter()
        .map(|t| count(conn, &format!("SELECT count(*) AS n FROM \"{t}\"")))
        .collect()
}

// ---------------------------------------------------------------------------------------------------
// The declared schema

/// The declared schema, rendered and executed on an empty database, reads back with no difference; a
/// second push has nothing to do.
fn declared_schema_round_trips<C: EngineConnection>(conn: &mut C) {
    assert!(conn.introspect().unwrap().schema.tables.is_empty());
    let pushed = converge(conn, &declared(), false);
    assert_eq!(
        pushed.plan.steps.len(),
        TABLES.len(),
        "one step per table, indexes included"
    );
    let live = conn.introspect().unwrap();
    assert_eq!(live.schema.tables.len(), TABLES.len());
    assert!(live.unmodelled.is_empty(), "{:?}", live.unmodelled);
    assert!(conn.table_exists("agents").unwrap());
    assert!(!conn.table_exists("no_such_table").unwrap());
}
both_engines!(declared_schema, super::declared_schema_round_trips);

/// Every kind of change, planned and applied on a database holding rows, gives the desired schema and
/// keeps every row; then nothing is left to do.
fn each_kind_of_change_converges<C: EngineConnection>(conn: &mut C) {
    type Edit = fn(&mut Schema);
    let scenarios: Vec<(&str, Edit)> = vec![
        ("add columns", |s| {
            let t = table_mut(s, "children");
            t.columns.to_mut().extend([
                Column::new("extra", ColumnType::Text),
                Column::new("level", ColumnType::Integer).default(DefaultValue::Integer(3)),
                Column::new("active", ColumnType::Bool)
                    .not_null()
                    .default(DefaultValue::Bool(false)),
            ]);
        }),
        ("drop a column", |s| {
            *table_mut(s, "children") = table_mut(s, "children").without_column("note");
        }),
        ("rename a column", |s| {
            let c = column_mut(s, "children", "label");
            c.renamed_from = Some(c.name.clone());
            c.name = "title".into();
        }),
        ("rename a foreign-key column", |s| {
            let t = table_mut(s, "children");
            let c = t
                .columns
                .to_mut()
                .iter_mut()
                .find(|c| c.name == "parent_id")
                .unwrap();
            c.renamed_from = Some("parent_id".into());
            c.name = "owner_id".into();
            t.indexes = Cow::Owned(vec![Index::new(
                "idx_children_parent",
                &["owner_id"],
                false,
            )]);
            t.foreign_keys = Cow::Owned(vec![foreign_key(
                &["owner_id"],
                "parents",
                FkAction::Cascade,
            )]);
        }),
        ("widen types", |s| {
            column_mut(s, "children", "amount").ty = ColumnType::Text;
            column_mut(s, "parents", "rank").ty = ColumnType::BigInt;
            column_mut(s, "children", "flag").ty = ColumnType::BigInt;
            column_mut(s, "children", "flag").default = Some(DefaultValue::Integer(1));
        }),
        ("NOT NULL on and off", |s| {
            let label = column_mut(s, "children", "label");
            label.nullable = false;
            column_mut(s, "parents", "name").nullable = true;
        }),
        ("change defaults", |s| {
            column_mut(s, "children", "label").default = Some(DefaultValue::Text("it's".into()));
            column_mut(s, "children", "flag").default = None;
            column_mut(s, "parents", "rank").default = Some(DefaultValue::Integer(-2));
            column_mut(s, "children", "score").default = Some(DefaultValue::Real("1.5".into()));
        }),
        ("add, drop and change foreign keys", |s| {
            let t = table_mut(s, "children");
            t.foreign_keys = Cow::Owned(vec![foreign_key(
                &["parent_id"],
                "parents",
                FkAction::SetNull,
            )]);
            table_mut(s, "tags").foreign_keys = Cow::Owned(vec![foreign_key(
                &["owner_id"],
                "parents",
                FkAction::Cascade,
            )]);
        }),
        ("drop a foreign key", |s| {
            table_mut(s, "children").foreign_keys = Cow::Owned(Vec::new());
        }),
        ("change a primary key", |s| {
            table_mut(s, "tags").primary_key = key(&["name", "kind"]);
        }),
        ("add and drop indexes", |s| {
            let t = table_mut(s, "children");
            t.indexes = Cow::Owned(vec![
                Index::new("idx_children_label", &["label", "amount"], false),
                Index::new("idx_children_created", &["created_at"], true),
            ]);
            table_mut(s, "parents").indexes = Cow::Owned(Vec::new());
        }),
        ("rename, drop and create tables", |s| {
            let mut parents = table_mut(s, "parents").clone();
            parents.renamed_from = Some("parents".into());
            parents.name = "families".into();
            let mut children = table_mut(s, "children").clone();
            children.foreign_keys = Cow::Owned(vec![foreign_key(
                &["parent_id"],
                "families",
                FkAction::Cascade,
            )]);
            let mut notes = Table::new("notes");
            notes.columns = Cow::Owned(vec![
                id(),
                Column::new("child_id", ColumnType::BigInt).not_null(),
            ]);
            notes.primary_key = key(&["id"]);
            notes.foreign_keys = Cow::Owned(vec![foreign_key(
                &["child_id"],
                "children",
                FkAction::Cascade,
            )]);
            notes.indexes = Cow::Owned(vec![Index::new("idx_notes_child", &["child_id"], false)]);
            s.tables
                .retain(|t| t.name != "parents" && t.name != "children" && t.name != "archive");
            s.tables.extend([parents, children, notes]);
            s.tables.sort_by(|a, b| a.name.cmp(&b.name));
        }),
    ];
    let start = base();
    for (name, edit) in scenarios {
        let mut desired = start.clone();
        edit(&mut desired);
        fresh(conn, name);
        converge(conn, &start, false);
        conn.execute_sql(ROWS).unwrap();
        let before = row_counts(conn, &["children"]);
        let pushed = converge(conn, &desired, false);
        assert!(pushed.losses.is_empty(), "{name}: {:?}", pushed.losses);
        assert_eq!(row_counts(conn, &["children"]), before, "{name}: rows lost");
        let values =
            "SELECT count(*) AS n FROM children WHERE created_at = 1700000000 AND score = 0.5";
        assert_eq!(count(conn, values), 1, "{name}: values changed");
    }
}
both_engines!(changes_converge, super::each_kind_of_change_converges);

/// An empty database to start a scenario on: SQLite drops every table; PostgreSQL switches to a new
/// schema (which also shows that introspection reads `current_schema()` only).
fn fresh<C: EngineConnection>(conn: &mut C, scenario: &str) {
    if conn.planner().name() == "postgres" {
        let schema: String = scenario
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        conn.execute_sql(&format!(
            "CREATE SCHEMA \"{schema}\"; SET search_path = \"{schema}\""
        ))
        .unwrap();
    } else {
        let tables = conn.introspect().unwrap().schema;
        conn.execute_sql("PRAGMA foreign_keys = OFF").unwrap();
        for table in tables.tables {
            conn.execute_sql(&format!("DROP TABLE \"{}\"", table.name))
                .unwrap();
        }
        conn.execute_sql("PRAGMA foreign_keys = ON").unwrap();
    }
    assert!(conn.introspect().unwrap().schema.tables.is_empty());
}

/// A database that drifted from the structs (made by pushing an altered copy of them) shows exactly that
/// drift: a changed default and a dropped index on both engines; an `integer` column where the struct
/// says `i64` only on PostgreSQL (SQLite stores both as INTEGER and cannot tell them apart).
fn drift_is_found<C: EngineConnection>(conn: &mut C) {
    let mut drifted = declared();
    column_mut(&mut drifted, "agents", "enabled").default = Some(DefaultValue::Bool(false));
    table_mut(&mut drifted, "agent_skills")
        .indexes
        .to_mut()
        .retain(|i| i.name != "idx_agent_skills_skill");
    column_mut(&mut drifted, "agent_skills", "id").ty = ColumnType::Integer;
    converge(conn, &drifted, false);

    let planner = conn.planner();
    let live = conn.introspect().unwrap().schema;
    let changes = diff(&live, &declared(), planner);
    let found: Vec<String> = changes.iter().map(ToString::to_string).collect();
    let exact_widths = planner.name() == "postgres";
    assert_eq!(
        changes.len(),
        if exact_widths { 3 } else { 2 },
        "{found:#?}"
    );
    assert!(
        found
            .iter()
            .any(|c| c.starts_with("alter column `agents`.`enabled`")),
        "{found:#?}"
    );
    assert!(
        found
            .iter()
            .any(|c| c.starts_with("create index `idx_agent_skills_skill`")),
        "{found:#?}"
    );
    assert_eq!(
        found
            .iter()
            .any(|c| c.starts_with("alter column `agent_skills`.`id`: integer")),
        exact_widths,
        "{found:#?}"
    );
    converge(conn, &declared(), false);
}
both_engines!(drift, super::drift_is_found);

// ---------------------------------------------------------------------------------------------------
// PostgreSQL only

fn pg(hint: &str) -> Option<PgConnection> {
    postgres_support::connect(hint)
}

#[test]
fn drift_is_found_in_a_changed_default_a_dropped_index_and_a_narrower_integer() {
    let Some(mut conn) = pg("drift") else { return };
    push_to(&mut conn, &declared(), false).unwrap();
    let clean = conn.introspect().unwrap().schema;
    assert_eq!(diff(&clean, &declared(), &Postgres), vec![]);

    conn.batch_execute(
        "ALTER TABLE agents ALTER COLUMN enabled SET DEFAULT false;
         DROP INDEX idx_agent_skills_skill;
         ALTER TABLE agent_skills ALTER COLUMN id TYPE integer;",
    )
    .unwrap();
    let live = conn.introspect().unwrap().schema;
    let changes = diff(&live, &declared(), &Postgres);
    let found: Vec<String> = changes.iter().map(ToString::to_string).collect();
    assert_eq!(changes.len(), 3, "{found:#?}");
    assert!(
        changes.iter().any(|c| matches!(c,
        Change::AlterColumn { table, from, to } if table == "agents" && to.name == "enabled"
            && from.default == Some(DefaultValue::Bool(false)))),
        "{found:#?}"
    );
    assert!(
        changes.iter().any(|c| matches!(c,
        Change::CreateIndex { index, .. } if index.name == "idx_agent_skills_skill")),
        "{found:#?}"
    );
    assert!(
        changes.iter().any(|c| matches!(c,
        Change::AlterColumn { table, from, to } if table == "agent_skills" && to.name == "id"
            && from.ty == ColumnType::Integer && to.ty == ColumnType::BigInt)),
        "{found:#?}"
    );

    // And pushing repairs all three.
    converge(&mut conn, &declared(), false);
}

#[test]
fn introspection_normalises_postgres_spellings_and_lists_what_the_model_cannot_hold() {
    let Some(mut conn) = pg("spellings") else {
        return;
    };
    conn.batch_execute(
        "CREATE TABLE hand (
           id serial PRIMARY KEY,
           small_count integer DEFAULT -2,
           big bigint DEFAULT -2,
           ratio double precision DEFAULT 1.0,
           label varchar(20) DEFAULT 'x',
           flag boolean DEFAULT 'yes',
           stamp timestamptz,
           amount numeric(10, 2),
           CONSTRAINT positive CHECK (big > -100)
         );
         CREATE TABLE child (
           id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
           hand_id integer REFERENCES hand ON DELETE SET NULL ON UPDATE CASCADE,
           code text UNIQUE
         );
         CREATE UNIQUE INDEX hand_lower ON hand (lower(label));
         CREATE INDEX hand_partial ON hand (big) WHERE big > 0;
         CREATE VIEW hand_view AS SELECT id, big FROM hand;
         CREATE SEQUENCE loose_sequence;
         CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
         CREATE TRIGGER hand_touch BEFORE UPDATE ON hand FOR EACH ROW EXECUTE FUNCTION touch();
         CREATE TABLE __orient_private (x integer);
         CREATE TABLE __diesel_schema_migrations (version text PRIMARY KEY);",
    )
    .unwrap();
    let found = conn.introspect().unwrap();
    let names: Vec<&str> = found.schema.table_names();
    assert_eq!(names, ["child", "hand"]);
    let hand = found.schema.table("hand").unwrap();
    let column = |n: &str| hand.column(n).unwrap().clone();
    assert!(column("id").autoincrement && column("id").default.is_none() && !column("id").nullable);
    assert_eq!(column("small_count").ty, ColumnType::Integer);
    assert_eq!(
        Postgres.canonical_default(column("small_count").default.as_ref().unwrap()),
        Some(DefaultValue::Integer(-2))
    );
    assert_eq!(
        Postgres.canonical_default(column("big").default.as_ref().unwrap()),
        Some(DefaultValue::Integer(-2))
    );
    assert_eq!(
        Postgres.canonical_default(column("ratio").default.as_ref().unwrap()),
        Some(DefaultValue::Integer(1))
    );
    assert_eq!(column("label").ty, ColumnType::Text);
    assert_eq!(
        column("label").default,
        Some(DefaultValue::Text("x".into()))
    );
    assert_eq!(column("flag").ty, ColumnType::Bool);
    assert_eq!(column("flag").default, Some(DefaultValue::Bool(true)));
    assert_eq!(column("stamp").ty, ColumnType::Numeric);
    assert_eq!(column("amount").ty, ColumnType::Numeric);
    let index = |n: &str| hand.index(n).unwrap().clone();
    assert_eq!(
        index("hand_lower").columns.to_vec(),
        vec![Name::from("<expression>")]
    );
    assert_eq!(
        index("hand_partial").columns.len(),
        2,
        "a predicate shows as a placeholder column"
    );
    assert!(
        hand.index("hand_pkey").is_none(),
        "the primary key's index is the primary key"
    );

    let child = found.schema.table("child").unwrap();
    assert!(child.column("id").unwrap().autoincrement);
    assert_eq!(child.column("hand_id").unwrap().ty, ColumnType::Integer);
    assert_eq!(
        child.foreign_keys.to_vec(),
        vec![ForeignKey {
            columns: key(&["hand_id"]),
            references_table: "hand".into(),
            references_columns: key(&["id"]),
            on_delete: FkAction::SetNull,
            on_update: FkAction::Cascade,
        }]
    );
    let unique = child.index("child_code_key").unwrap();
    assert!(unique.unique);
    assert_eq!(
        unique.origin,
        orient_database::model::IndexOrigin::UniqueConstraint
    );

    let mut unmodelled: Vec<(String, String)> = found
        .unmodelled
        .iter()
        .map(|o| (o.kind.clone(), o.name.clone()))
        .collect();
    unmodelled.sort();
    assert_eq!(
        unmodelled,
        [
            ("check constraint", "positive"),
            ("sequence", "loose_sequence"),
            ("trigger", "hand_touch"),
            ("view", "hand_view"),
        ]
        .map(|(k, n)| (k.to_owned(), n.to_owned()))
    );
}

#[test]
fn a_view_over_a_changed_column_is_dropped_and_recreated() {
    let Some(mut conn) = pg("views") else { return };
    converge(&mut conn, &base(), false);
    conn.batch_execute(&format!(
        "{ROWS} CREATE VIEW recent_children AS SELECT id, amount FROM children WHERE id > 1;"
    ))
    .unwrap();
    let mut desired = base();
    column_mut(&mut desired, "children", "amount").ty = ColumnType::Text;
    let pushed = converge(&mut conn, &desired, false);
    assert!(
        pushed
            .plan
            .to_sql()
            .contains("DROP VIEW \"recent_children\";")
    );
    let after = conn.introspect().unwrap();
    assert_eq!(after.unmodelled.len(), 1);
    assert_eq!(
        count(
            &mut conn,
            "SELECT count(*) AS n FROM recent_children WHERE amount = '40'"
        ),
        1
    );

    // A view that cannot survive the change stops the push; nothing is changed.
    conn.batch_execute("CREATE VIEW named_children AS SELECT id FROM children WHERE label > 'a';")
        .unwrap();
    let mut desired = desired.clone();
    column_mut(&mut desired, "children", "label").ty = ColumnType::Bool;
    column_mut(&mut desired, "children", "label").default = None;
    let before = conn.introspect().unwrap();
    match push_to(&mut conn, &desired, true) {
        Err(Failure::Statement(statement, error)) => {
            assert!(
                statement.starts_with("CREATE VIEW \"named_children\""),
                "{statement}"
            );
            assert!(
                error.to_string().contains("operator does not exist"),
                "{error}"
            );
        }
        other => panic!("the push went on: {other:?}"),
    }
    assert_eq!(conn.introspect().unwrap(), before);
}

#[test]
fn an_id_column_becomes_an_identity_that_continues_after_the_highest_id() {
    let Some(mut conn) = pg("identity") else {
        return;
    };
    let mut start = base();
    column_mut(&mut start, "parents", "id").autoincrement = false;
    converge(&mut conn, &start, false);
    conn.batch_execute("INSERT INTO parents (id, name) VALUES (7, 'a'), (41, 'b')")
        .unwrap();
    let pushed = converge(&mut conn, &base(), false);
    assert!(
        pushed
            .plan
            .to_sql()
            .contains("ADD GENERATED BY DEFAULT AS IDENTITY")
    );
    conn.batch_execute("INSERT INTO parents (name) VALUES ('c')")
        .unwrap();
    assert_eq!(count(&mut conn, "SELECT max(id) AS n FROM parents"), 42);
}

// ---------------------------------------------------------------------------------------------------
// Data loss: counted rows are the affected rows

/// `(id, value as text)` of every row of `table`.
fn values(conn: &mut PgConnection, table: &str, column: &str) -> BTreeMap<i64, Option<String>> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = BigInt)]
        id: i64,
        #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
        value: Option<String>,
    }
    diesel::sql_query(format!(
        "SELECT id, \"{column}\"::text AS value FROM \"{table}\""
    ))
    .load::<Row>(conn)
    .unwrap()
    .into_iter()
    .map(|r| (r.id, r.value))
    .collect()
}

/// One table `t (id, v <from>)` holding `rows`, changed to `v <to>` (plus `edit`), with the loss
/// accepted. Returns the rows counted per kind, and the rows before and after.
#[allow(clippy::type_complexity)]
fn lossy_change(
    conn: &mut PgConnection,
    name: &str,
    from: Column,
    rows: &str,
    edit: impl FnOnce(&mut Schema),
) -> (
    BTreeMap<String, i64>,
    BTreeMap<i64, Option<String>>,
    BTreeMap<i64, Option<String>>,
) {
    fresh(conn, name);
    let mut t = Table::new("t");
    t.columns = Cow::Owned(vec![id(), from]);
    t.primary_key = key(&["id"]);
    let start = Schema::new(vec![t]);
    converge(conn, &start, false);
    conn.batch_execute(&format!("INSERT INTO t (v) VALUES {rows}"))
        .unwrap();
    let before = values(conn, "t", "v");
    let mut desired = start.clone();
    edit(&mut desired);
    match push_to(conn, &desired, false) {
        Err(Failure::Refused(losses)) => assert!(!losses.is_empty()),
        other => panic!("{name}: a losing change was not refused: {other:?}"),
    }
    assert_eq!(
        values(conn, "t", "v"),
        before,
        "{name}: a refused push changed rows"
    );
    let pushed = converge(conn, &desired, true);
    let mut counted = BTreeMap::new();
    for (kind, _, rows) in pushed.losses {
        *counted.entry(format!("{kind:?}")).or_insert(0) += rows;
    }
    let column = desired.table("t").unwrap().columns[1].name.to_string();
    (counted, before, values(conn, "t", &column))
}

fn kinds(pairs: &[(LossKind, i64)]) -> BTreeMap<String, i64> {
    pairs.iter().map(|(k, n)| (format!("{k:?}"), *n)).collect()
}

fn changed(before: &BTreeMap<i64, Option<String>>, after: &BTreeMap<i64, Option<String>>) -> i64 {
    before
        .iter()
        .filter(|(id, value)| after.get(id).is_some_and(|now| now != *value))
        .count() as i64
}

#[test]
fn loss_counts_equal_the_rows_each_change_affects() {
    let Some(mut conn) = pg("losses") else { return };
    let c = &mut conn;

    // Narrowing bigint → integer: two values out of range become 0.
    let (counted, before, after) = lossy_change(
        c,
        "narrow_integer",
        Column::new("v", ColumnType::BigInt),
        "(1), (3000000000), (-5000000000), (NULL), (-7)",
        |s| column_mut(s, "t", "v").ty = ColumnType::Integer,
    );
    assert_eq!(counted, kinds(&[(LossKind::Narrowing, 2)]));
    assert_eq!(changed(&before, &after), 2);
    assert_eq!(after.len(), 5);

    // text → bigint: 'abc' fails, '007' and ' 8' come back different; '12', '-3', NULL convert exactly.
    let (counted, before, after) = lossy_change(
        c,
        "text_to_bigint",
        Column::new("v", ColumnType::Text),
        "('12'), ('abc'), ('007'), (NULL), ('-3'), (' 8'), ('99999999999999999999')",
        |s| column_mut(s, "t", "v").ty = ColumnType::BigInt,
    );
    assert_eq!(counted, kinds(&[(LossKind::Narrowing, 4)]));
    assert_eq!(changed(&before, &after), 4);

    // double → bigint rounds; 2.0 converts exactly.
    let (counted, before, after) = lossy_change(
        c,
        "double_to_bigint",
        Column::new("v", ColumnType::Double),
        "(2.0), (1.5), (-0.25), ('NaN'), (1e300)",
        |s| column_mut(s, "t", "v").ty = ColumnType::BigInt,
    );
    assert_eq!(counted, kinds(&[(LossKind::Narrowing, 4)]));
    assert_eq!(changed(&before, &after), 4);

    // text → boolean: only the canonical spellings come back equal.
    let (counted, before, after) = lossy_change(
        c,
        "text_to_bool",
        Column::new("v", ColumnType::Text),
        "('true'), ('false'), ('yes'), ('maybe'), ('o')",
        |s| column_mut(s, "t", "v").ty = ColumnType::Bool,
    );
    assert_eq!(counted, kinds(&[(LossKind::Narrowing, 3)]));
    assert_eq!(changed(&before, &after), 3);

    // NOT NULL without default: rows holding NULL are deleted.
    let (counted, before, after) = lossy_change(
        c,
        "not_null",
        Column::new("v", ColumnType::Text),
        "('a'), (NULL), ('b'), (NULL), (NULL)",
        |s| column_mut(s, "t", "v").nullable = false,
    );
    assert_eq!(counted, kinds(&[(LossKind::NotNullOverNulls, 3)]));
    assert_eq!((before.len() - after.len()) as i64, 3);

    // NOT NULL with a default: NULLs take it, nothing is lost.
    fresh(c, "not_null_default");
    let mut start = base();
    converge(c, &start, false);
    c.batch_execute(ROWS).unwrap();
    column_mut(&mut start, "children", "label").nullable = false;
    let pushed = converge(c, &start, false);
    assert!(pushed.losses.is_empty());
    assert_eq!(
        count(c, "SELECT count(*) AS n FROM children WHERE label = 'none'"),
        1
    );

    // A unique index over duplicates: all but the oldest of each group go.
    let (counted, before, after) = lossy_change(
        c,
        "duplicates",
        Column::new("v", ColumnType::Text),
        "('a'), ('b'), ('a'), (NULL), ('a'), ('b'), (NULL)",
        |s| {
            table_mut(s, "t").indexes = Cow::Owned(vec![Index::new("t_v_unique", &["v"], true)]);
        },
    );
    assert_eq!(counted, kinds(&[(LossKind::Duplicates, 3)]));
    assert_eq!((before.len() - after.len()) as i64, 3);
    assert_eq!(
        after.keys().copied().collect::<Vec<_>>(),
        [1, 2, 4, 7],
        "the oldest rows stay"
    );

    // Converted values that collide under an existing unique index.
    let (counted, before, after) = lossy_change(
        c,
        "converted_duplicates",
        Column::new("v", ColumnType::Text),
        "('1'), ('01'), ('2'), ('x'), ('y')",
        |s| {
            column_mut(s, "t", "v").ty = ColumnType::BigInt;
            table_mut(s, "t").indexes = Cow::Owned(vec![Index::new("t_v_unique", &["v"], true)]);
        },
    );
    // '01' and 'x', 'y' change ('x' and 'y' both become 0); then 1/'01' and the two zeros collide.
    assert_eq!(counted.get("Narrowing"), Some(&3));
    assert_eq!(counted.get("Duplicates"), Some(&2));
    assert_eq!((before.len() - after.len()) as i64, 2);

    // A new foreign key over rows that reference nothing: those rows go.
    fresh(c, "dangling");
    converge(c, &base(), false);
    c.batch_execute(ROWS).unwrap();
    c.batch_execute("INSERT INTO tags (name, kind) VALUES ('x', 'a'), ('y', 'b'), ('z', 'c')")
        .unwrap();
    let mut desired = base();
    let tags = table_mut(&mut desired, "tags");
    tags.columns
        .to_mut()
        .push(Column::new("kind_id", ColumnType::BigInt));
    converge(c, &desired, false);
    c.batch_execute("UPDATE tags SET kind_id = 1 WHERE name = 'x'; UPDATE tags SET kind_id = 99 WHERE name IN ('y', 'big');").unwrap();
    let before = count(c, "SELECT count(*) AS n FROM tags");
    table_mut(&mut desired, "tags").foreign_keys = Cow::Owned(vec![foreign_key(
        &["kind_id"],
        "parents",
        FkAction::Cascade,
    )]);
    assert!(matches!(
        push_to(c, &desired, false),
        Err(Failure::Refused(_))
    ));
    let pushed = converge(c, &desired, true);
    let counted: i64 = pushed
        .losses
        .iter()
        .filter(|(k, _, _)| *k == LossKind::DanglingForeignKey)
        .map(|(_, _, n)| n)
        .sum();
    assert_eq!(counted, 2);
    assert_eq!(before - count(c, "SELECT count(*) AS n FROM tags"), 2);

    // A required column without default on a table with rows: every row goes.
    fresh(c, "required");
    converge(c, &base(), false);
    c.batch_execute(ROWS).unwrap();
    let mut desired = base();
    table_mut(&mut desired, "tags")
        .columns
        .to_mut()
        .push(Column::new("weight", ColumnType::Double).not_null());
    let pushed = converge(c, &desired, true);
    assert_eq!(pushed.losses.len(), 1);
    assert_eq!(pushed.losses[0].0, LossKind::RequiredColumn);
    assert_eq!(pushed.losses[0].2, 2);
    assert_eq!(count(c, "SELECT count(*) AS n FROM tags"), 0);
}

// ---------------------------------------------------------------------------------------------------
// Lock annotations, checked against what PostgreSQL does

#[derive(QueryableByName)]
struct HeldLock {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    mode: String,
}

#[derive(QueryableByName)]
struct TableState {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = BigInt)]
    file: i64,
    #[diesel(sql_type = BigInt)]
    scans: i64,
}

const MODES: [&str; 8] = [
    "AccessShareLock",
    "RowShareLock",
    "RowExclusiveLock",
    "ShareUpdateExclusiveLock",
    "ShareLock",
    "ShareRowExclusiveLock",
    "ExclusiveLock",
    "AccessExclusiveLock",
];

fn strength(mode: &str) -> usize {
    MODES.iter().position(|m| *m == mode).unwrap_or(0)
}

/// `ACCESS EXCLUSIVE` → `AccessExclusiveLock`.
fn pg_locks_name(lock: &str) -> String {
    let words: String = lock
        .split(' ')
        .map(|w| {
            let lower = w.to_ascii_lowercase();
            let mut chars = lower.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect();
    format!("{words}Lock")
}

fn table_states(conn: &mut PgConnection) -> BTreeMap<String, (i64, i64)> {
    diesel::sql_query(
        "SELECT c.relname::text AS table_name, pg_relation_filenode(c.oid)::bigint AS file, \
           coalesce(s.seq_scan, 0) + coalesce(s.idx_scan, 0) AS scans \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         LEFT JOIN pg_stat_xact_user_tables s ON s.relid = c.oid \
         WHERE n.nspname = current_schema() AND c.relkind = 'r'",
    )
    .load::<TableState>(conn)
    .unwrap()
    .into_iter()
    .map(|s| (s.table_name, (s.file, s.scans)))
    .collect()
}

#[test]
fn lock_annotations_name_the_locks_postgres_takes_and_the_work_done_under_them() {
    let Some(mut conn) = pg("locks") else { return };
    converge(&mut conn, &base(), false);
    conn.batch_execute(&format!(
        "{ROWS} CREATE TABLE \"lonely\" (\"id\" bigint PRIMARY KEY, \"parent_id\" bigint REFERENCES parents);"
    ))
    .unwrap();

    let mut desired = base();
    column_mut(&mut desired, "children", "amount").ty = ColumnType::Text; // rewrite
    column_mut(&mut desired, "children", "label").nullable = false; // fill + scan
    column_mut(&mut desired, "children", "score").default = Some(DefaultValue::Integer(2)); // catalog
    column_mut(&mut desired, "parents", "name").nullable = true; // catalog
    {
        let children = table_mut(&mut desired, "children");
        children
            .columns
            .to_mut()
            .push(Column::new("extra", ColumnType::Text)); // catalog
        children
            .indexes
            .to_mut()
            .push(Index::new("idx_children_score", &["score"], false)); // SHARE scan
        children.foreign_keys = Cow::Owned(vec![foreign_key(
            &["parent_id"],
            "parents",
            FkAction::SetNull,
        )]);
        let c = children
            .columns
            .to_mut()
            .iter_mut()
            .find(|c| c.name == "note")
            .unwrap();
        c.renamed_from = Some("note".into());
        c.name = "remark".into();
    }
    table_mut(&mut desired, "parents").indexes = Cow::Owned(Vec::new()); // drop index
    table_mut(&mut desired, "tags").primary_key = key(&["name", "kind"]); // drop + add primary key
    let mut audit = Table::new("audit");
    audit.columns = Cow::Owned(vec![id(), Column::new("parent_id", ColumnType::BigInt)]);
    audit.primary_key = key(&["id"]);
    audit.foreign_keys = Cow::Owned(vec![foreign_key(
        &["parent_id"],
        "parents",
        FkAction::Cascade,
    )]);
    desired.tables.push(audit);
    desired.tables.sort_by(|a, b| a.name.cmp(&b.name));
    // `lonely` is not declared: dropped, with its key to `parents`.

    let live = conn.introspect().unwrap();
    let changes = diff(&live.schema, &desired, &Postgres);
    let planned = plan(
        &changes,
        &live.schema,
        &desired,
        &live.unmodelled,
        &Postgres,
        PlanOptions::default(),
    )
    .unwrap();
    let text = planned.to_sql();
    assert!(text.contains("lock: ACCESS EXCLUSIVE on `children` (reads and writes wait); rewrites the table and its indexes  [blocks the table while it works]"), "{text}");
    assert!(
        text.contains("lock: SHARE on `children` (writes wait); scans the table"),
        "{text}"
    );
    let json = serde_json::to_value(&planned).unwrap();
    assert!(
        json["steps"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["locks"].is_array()),
        "{json}"
    );

    let mut seen_work = Vec::new();
    for step in &planned.steps {
        conn.transaction::<_, diesel::result::Error, _>(|c| {
            // Inside the transaction: statistics of earlier ones may be flushed between transactions.
            let before = table_states(c);
            for statement in &step.statements {
                c.batch_execute(statement)?;
            }
            let held: Vec<HeldLock> = diesel::sql_query(
                "SELECT c.relname::text AS table_name, l.mode::text AS mode FROM pg_locks l \
                 JOIN pg_class c ON c.oid = l.relation JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' AND c.relkind = 'r' \
                   AND n.nspname = current_schema() AND l.granted",
            )
            .load(c)?;
            let mut strongest: BTreeMap<String, &str> = BTreeMap::new();
            for lock in &held {
                let entry = strongest.entry(lock.table_name.clone()).or_insert(&lock.mode);
                if strength(&lock.mode) > strength(entry) {
                    *entry = &lock.mode;
                }
            }
            // Locks that conflict with writes or schema changes (ROW EXCLUSIVE and up) are named.
            // Compared on the tables that exist before and after the step (pg_locks cannot name a
            // table dropped in this transaction, and a new one is invisible to other sessions).
            strongest.retain(|_, mode| strength(mode) >= strength("RowExclusiveLock"));
            let after = table_states(c);
            let kept = |t: &str| before.contains_key(t) && after.contains_key(t);
            let annotated: BTreeMap<String, String> = step
                .locks
                .iter()
                .filter(|l| kept(&l.table))
                .map(|l| (l.table.to_string(), pg_locks_name(l.lock)))
                .collect();
            let observed: BTreeMap<String, String> = strongest
                .iter()
                .filter(|(t, _)| kept(t))
                .map(|(t, m)| (t.clone(), (*m).to_owned()))
                .collect();
            assert_eq!(annotated, observed, "step `{}`:\n{}", step.description, step.to_sql());
            assert!(
                step.locks.iter().all(|l| before.contains_key(l.table.as_ref())),
                "step `{}` names a table that did not exist",
                step.description
            );
            for lock in &step.locks {
                let Some((file, scans)) = before.get(lock.table.as_ref()) else { continue };
                let Some((file_after, scans_after)) = after.get(lock.table.as_ref()) else { continue };
                let rewritten = file != file_after;
                let scanned = scans_after > scans;
                let work = if rewritten {
                    TableWork::Rewrite
                } else if scanned {
                    TableWork::Scan
                } else {
                    TableWork::Catalog
                };
                assert_eq!(lock.work, work, "step `{}` on `{}`:\n{}", step.description, lock.table, step.to_sql());
                seen_work.push((lock.work, lock.blocks));
            }
            Ok(())
        })
        .unwrap();
    }
    for expected in [
        (TableWork::Rewrite, Blocks::ReadsAndWrites),
        (TableWork::Scan, Blocks::ReadsAndWrites),
        (TableWork::Scan, Blocks::Writes),
        (TableWork::Catalog, Blocks::ReadsAndWrites),
    ] {
        assert!(
            seen_work.contains(&expected),
            "no step checked with {expected:?}"
        );
    }
    let live = conn.introspect().unwrap();
    assert_eq!(diff(&live.schema, &desired, &Postgres), vec![]);
}

#[test]
fn sqlite_plans_name_no_locks_and_their_json_has_no_lock_field() {
    let mut conn = sqlite();
    let pushed = push_to(&mut conn, &base(), false).unwrap();
    assert!(pushed.plan.steps.iter().all(|s| s.locks.is_empty()));
    let json = serde_json::to_value(&pushed.plan).unwrap();
    assert!(
        json["steps"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s.get("locks").is_none())
    );
    assert!(!pushed.plan.to_sql().contains("lock:"));
}

// ---------------------------------------------------------------------------------------------------
// The engine connection

#[test]
fn the_engine_connection_reports_versions_keys_violations_and_locks() {
    let Some(mut conn) = pg("engine") else { return };
    let v0 = conn.schema_version().unwrap();
    assert_eq!(
        conn.schema_version().unwrap(),
        v0,
        "stable while nothing changes"
    );
    converge(&mut conn, &base(), false);
    let v1 = conn.schema_version().unwrap();
    assert_ne!(v1, v0);
    conn.batch_execute(ROWS).unwrap();
    assert_eq!(conn.schema_version().unwrap(), v1, "rows are not schema");
    conn.batch_execute("ALTER TABLE children ALTER COLUMN label SET DEFAULT 'other'")
        .unwrap();
    let v2 = conn.schema_version().unwrap();
    assert_ne!(v2, v1);
    conn.batch_execute("BEGIN; ALTER TABLE children ADD COLUMN x text; ROLLBACK;")
        .unwrap();
    assert_eq!(
        conn.schema_version().unwrap(),
        v2,
        "a rolled-back change is no change"
    );

    // An ordinary role reads the same version and schema: nothing here needs a superuser.
    conn.batch_execute("CREATE ROLE plain_reader; SET ROLE plain_reader")
        .unwrap();
    assert_eq!(conn.schema_version().unwrap(), v2);
    assert_eq!(
        conn.introspect().unwrap().schema.tables.len(),
        base().tables.len()
    );
    conn.batch_execute("RESET ROLE").unwrap();

    assert!(conn.foreign_keys_enforced().unwrap());
    assert_eq!(conn.foreign_key_violations(5).unwrap(), (vec![], 0));
    // A replica-role session skips foreign-key triggers: its rows can reference nothing.
    conn.batch_execute(
        "SET session_replication_role = replica;
         INSERT INTO children (parent_id) VALUES (77), (78), (79);",
    )
    .unwrap();
    assert!(!conn.foreign_keys_enforced().unwrap());
    conn.batch_execute("SET session_replication_role = origin")
        .unwrap();
    let (first, total) = conn.foreign_key_violations(2).unwrap();
    assert_eq!(total, 3);
    assert_eq!(first.len(), 2);
    assert_eq!(
        (first[0].table.as_str(), first[0].parent.as_str()),
        ("children", "parents")
    );
    conn.batch_execute("DELETE FROM children WHERE parent_id > 70")
        .unwrap();

    conn.record_push("abc", "[\"x\"]", 3).unwrap();
    conn.record_push("def", "[]", 0).unwrap();
    assert_eq!(
        count(
            &mut conn,
            "SELECT count(*) AS n FROM __orient_push_log WHERE schema_fingerprint = 'def' AND statements = 0 AND pushed_at LIKE '2%'"
        ),
        1
    );
    assert!(
        conn.introspect()
            .unwrap()
            .schema
            .table("__orient_push_log")
            .is_none(),
        "bookkeeping is not schema"
    );

    // A read transaction sees one snapshot and refuses writes.
    let refused = conn.read_transaction::<(), diesel::result::Error, _>(|c| {
        c.batch_execute("INSERT INTO tags (name, kind) VALUES ('n', 'k')")
    });
    let Err(diesel::result::Error::DatabaseError(kind, _)) = refused else {
        panic!("a write in a read transaction: {refused:?}")
    };
    assert!(matches!(
        kind,
        diesel::result::DatabaseErrorKind::ReadOnlyTransaction
    ));

    // Waiting out lock_timeout behind another session's lock is "locked".
    let mut other = postgres_support::connect_again(&mut conn);
    other
        .batch_execute("BEGIN; LOCK TABLE tags IN ACCESS EXCLUSIVE MODE;")
        .unwrap();
    let blocked =
        conn.batch_execute("SET lock_timeout = '100ms'; ALTER TABLE tags ADD COLUMN y text;");
    let error = blocked.expect_err("the table is locked");
    assert!(
        <PgConnection as EngineConnection>::is_locked(&error),
        "{error}"
    );
    other.batch_execute("ROLLBACK").unwrap();
    let other_error = conn
        .batch_execute("SELECT 1/0")
        .expect_err("division by zero");
    assert!(!<PgConnection as EngineConnection>::is_locked(&other_error));
}

#[test]
fn a_push_to_postgres_keeps_foreign_keys_on_and_never_asks_to_switch_them() {
    let Some(mut conn) = pg("fk_on") else { return };
    converge(&mut conn, &base(), false);
    conn.batch_execute(ROWS).unwrap();
    let planner = conn.planner();
    assert!(!planner.rebuilds_need_foreign_keys_off());
    assert!(planner.alters_in_place());
    // A parent's column changes type while children reference it: no cascade fires, no row moves.
    let mut desired = base();
    column_mut(&mut desired, "parents", "rank").ty = ColumnType::BigInt;
    column_mut(&mut desired, "parents", "code").default = Some(DefaultValue::Text("?".into()));
    let pushed = converge(&mut conn, &desired, false);
    assert!(!pushed.plan.rebuilds());
    assert_eq!(row_counts(&mut conn, &["parents", "children"]), vec![3, 4]);
    assert!(conn.foreign_keys_enforced().unwrap());
}

// ---------------------------------------------------------------------------------------------------
// Typed values through Diesel on the rendered schema (exact widths, JSON and enums as text)

#[test]
fn typed_rows_round_trip_through_the_rendered_schema() {
    use orient_database::schema::agent_registry::{
        Agent, AgentSkill, NewAgent, NewAgentSkill, agent_skills, agents,
    };
    use orient_database::schema::domains::{AgentMode, ModelTier};
    use orient_database::types::Json;

    let Some(mut conn) = pg("typed") else { return };
    converge(&mut conn, &declared(), false);
    diesel::insert_into(agents::table)
        .values(&NewAgent::new("ori", "Ori"))
        .execute(&mut conn)
        .unwrap();
    let skill: AgentSkill = diesel::insert_into(agent_skills::table)
        .values(&NewAgentSkill::new("ori", "search"))
        .returning(agent_skills::all_columns)
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(skill.id, 1);
    assert_eq!(skill.enabled, Some(true));
    let agent: Agent = agents::table.find("ori").first(&mut conn).unwrap();
    assert_eq!(agent.mode, Some(AgentMode::Primary));
    assert_eq!(agent.model_tier, Some(ModelTier::Cheap));
    assert!(agent.created_at.is_some());

    #[derive(QueryableByName, Debug)]
    struct Echo {
        #[diesel(sql_type = Text)]
        list: Json<Vec<String>>,
        #[diesel(sql_type = Text)]
        tier: ModelTier,
        #[diesel(sql_type = Bool)]
        same: bool,
    }
    let echo: Echo =
        diesel::sql_query("SELECT $1 AS list, $2 AS tier, $1 = '[\"a\",\"b\"]' AS same")
            .bind::<Text, _>(Json(vec!["a".to_owned(), "b".to_owned()]))
            .bind::<Text, _>(ModelTier::Cheap)
            .get_result(&mut conn)
            .unwrap();
    assert_eq!(echo.list.0, ["a", "b"]);
    assert_eq!(echo.tier, ModelTier::Cheap);
    assert!(echo.same, "JSON is written compactly as text");
    let bad = diesel::sql_query("SELECT 'not json' AS list, 'cheap' AS tier, true AS same")
        .get_result::<Echo>(&mut conn);
    assert!(bad.unwrap_err().to_string().contains("not JSON"));
}
