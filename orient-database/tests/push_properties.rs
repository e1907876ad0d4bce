//! Property, on each engine: for a random schema A and a schema B made from A by random edits, pushing
//! A, inserting rows, then pushing B (data loss accepted) gives exactly B, keeps every surviving row's
//! kept values by primary key, loses rows only where a loss was reported, and a second push of B does
//! nothing. SQLite runs each case in a database in memory; PostgreSQL in a schema of its own on the
//! test server (its half runs in the PostgreSQL lane:
//! `cargo test -p orient-database --features postgres --test push_properties`).
//! `PROPTEST_CASES` sets the number of cases (512 on SQLite, 64 on PostgreSQL by default).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::borrow::Cow;
use std::collections::BTreeMap;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};
use orient_database::db::DbConnection;
use orient_database::db::backend::from_sqlite;
use orient_database::diff::diff;
use orient_database::engine::EngineConnection;
use orient_database::model::{Column, ColumnType, DefaultValue, Index, Name, Schema, Table};
use orient_database::push::{PushOptions, push};
use orient_database::sql::Dialect;
use orient_testkit::Engine;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

const TYPES: [ColumnType; 5] = [
    ColumnType::BigInt,
    ColumnType::Integer,
    ColumnType::Text,
    ColumnType::Double,
    ColumnType::Bool,
];

fn default_for(ty: ColumnType, pick: u8) -> DefaultValue {
    match ty {
        ColumnType::Text => DefaultValue::Text(Cow::Owned(
            ["", "none", "it's", "7"][pick as usize % 4].to_owned(),
        )),
        ColumnType::Double => DefaultValue::Real(Cow::Owned(
            ["0.5", "-2.25", "3"][pick as usize % 3].to_owned(),
        )),
        ColumnType::Bool => DefaultValue::Bool(pick.is_multiple_of(2)),
        _ => DefaultValue::Integer(i64::from(pick % 5) - 2),
    }
}

fn column(name: String) -> impl Strategy<Value = Column> {
    (
        0..TYPES.len(),
        any::<bool>(),
        proptest::option::of(any::<u8>()),
    )
        .prop_map(move |(ty, nullable, default)| {
            let ty = TYPES[ty];
            let mut column = Column::new(name.clone(), ty);
            column.nullable = nullable;
            column.default = default.map(|d| default_for(ty, d));
            column
        })
}

fn id() -> Column {
    let mut id = Column::new("id", ColumnType::BigInt).not_null();
    id.autoincrement = true;
    id
}

fn table(index: usize) -> impl Strategy<Value = Table> {
    let name = format!("t{index}");
    (1usize..=4)
        .prop_flat_map(move |n| {
            let columns: Vec<_> = (0..n).map(|i| column(format!("c{i}"))).collect();
            (
                columns,
                proptest::collection::vec((0..n, any::<bool>()), 0..=2),
            )
        })
        .prop_map(move |(columns, indexes)| {
            let mut all = vec![id()];
            all.extend(columns);
            let mut t = Table::new(name.clone());
            t.primary_key = Cow::Owned(vec![Name::Borrowed("id")]);
            let mut seen = Vec::new();
            t.indexes = indexes
                .into_iter()
                .filter(|(c, _)| {
                    let fresh = !seen.contains(c);
                    seen.push(*c);
                    fresh
                })
                .map(|(c, unique)| {
                    Index::new(format!("idx_{name}_c{c}"), &[&format!("c{c}")], unique)
                })
                .collect();
            t.columns = Cow::Owned(all);
            t
        })
}

fn schema() -> impl Strategy<Value = Schema> {
    (1usize..=3)
        .prop_flat_map(|n| (0..n).map(table).collect::<Vec<_>>())
        .prop_map(Schema::new)
}

#[derive(Debug, Clone)]
enum Edit {
    AddColumn(usize, usize, bool, Option<u8>),
    DropColumn(usize, usize),
    ChangeType(usize, usize, usize),
    ToggleNull(usize, usize),
    ChangeDefault(usize, usize, Option<u8>),
    AddIndex(usize, usize, bool),
    DropIndex(usize, usize),
    RenameColumn(usize, usize),
    AddTable,
    DropTable(usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    let i = || any::<usize>();
    prop_oneof![
        (i(), i(), any::<bool>(), proptest::option::of(any::<u8>()))
            .prop_map(|(a, b, c, d)| Edit::AddColumn(a, b, c, d)),
        (i(), i()).prop_map(|(a, b)| Edit::DropColumn(a, b)),
        (i(), i(), i()).prop_map(|(a, b, c)| Edit::ChangeType(a, b, c)),
        (i(), i()).prop_map(|(a, b)| Edit::ToggleNull(a, b)),
        (i(), i(), proptest::option::of(any::<u8>()))
            .prop_map(|(a, b, c)| Edit::ChangeDefault(a, b, c)),
        (i(), i(), any::<bool>()).prop_map(|(a, b, c)| Edit::AddIndex(a, b, c)),
        (i(), i()).prop_map(|(a, b)| Edit::DropIndex(a, b)),
        (i(), i()).prop_map(|(a, b)| Edit::RenameColumn(a, b)),
        Just(Edit::AddTable),
        i().prop_map(Edit::DropTable),
    ]
}

fn apply_edit(schema: &mut Schema, edit: &Edit, counter: &mut usize) {
    *counter += 1;
    let n = schema.tables.len();
    if n == 0 {
        return;
    }
    match edit {
        Edit::AddTable => {
            let mut t = Table::new(format!("new{counter}"));
            t.columns = Cow::Owned(vec![id(), Column::new("v", ColumnType::Text)]);
            t.primary_key = Cow::Owned(vec![Name::Borrowed("id")]);
            schema.tables.push(t);
            schema.tables.sort_by(|a, b| a.name.cmp(&b.name));
        }
        Edit::DropTable(k) => {
            let at = k % n;
            let originals = schema
                .tables
                .iter()
                .filter(|t| t.name.starts_with('t'))
                .count();
            if !schema.tables[at].name.starts_with('t') || originals > 1 {
                schema.tables.remove(at);
            }
        }
        Edit::AddColumn(k, ..)
        | Edit::DropColumn(k, _)
        | Edit::ChangeType(k, ..)
        | Edit::ToggleNull(k, _)
        | Edit::ChangeDefault(k, ..)
        | Edit::AddIndex(k, ..)
        | Edit::DropIndex(k, _)
        | Edit::RenameColumn(k, _) => {
            let table = &mut schema.tables[k % n];
            let data_columns = table.columns.len() - 1;
            let col = |c: usize| 1 + c % data_columns.max(1);
            match edit {
                Edit::AddColumn(_, ty, nullable, default) => {
                    let ty = TYPES[ty % TYPES.len()];
                    let mut c = Column::new(format!("added{counter}"), ty);
                    c.nullable = *nullable || default.is_none();
                    c.default = default.map(|d| default_for(ty, d));
                    table.columns.to_mut().push(c);
                }
                Edit::DropColumn(_, c) if data_columns > 1 => {
                    let name = table.columns[col(*c)].name.clone();
                    *table = table.without_column(&name);
                }
                Edit::ChangeType(_, c, ty) if data_columns > 0 => {
                    let column = &mut table.columns.to_mut()[col(*c)];
                    column.ty = TYPES[ty % TYPES.len()];
                    column.default = column.default.as_ref().map(|_| default_for(column.ty, 1));
                }
                Edit::ToggleNull(_, c) if data_columns > 0 => {
                    let column = &mut table.columns.to_mut()[col(*c)];
                    column.nullable = !column.nullable;
                }
                Edit::ChangeDefault(_, c, default) if data_columns > 0 => {
                    let column = &mut table.columns.to_mut()[col(*c)];
                    column.default = default.map(|d| default_for(column.ty, d));
                }
                Edit::AddIndex(_, c, unique) if data_columns > 0 => {
                    let name = table.columns[col(*c)].name.to_string();
                    let index_name = format!("idx_{}_{name}_{counter}", table.name);
                    table
                        .indexes
                        .to_mut()
                        .push(Index::new(index_name, &[&name], *unique));
                }
                Edit::DropIndex(_, i) if !table.indexes.is_empty() => {
                    let at = i % table.indexes.len();
                    table.indexes.to_mut().remove(at);
                }
                Edit::RenameColumn(_, c) if data_columns > 0 => {
                    let at = col(*c);
                    let old = table.columns[at].name.clone();
                    let new = format!("renamed{counter}");
                    if old.starts_with('c') {
                        let column = &mut table.columns.to_mut()[at];
                        column.renamed_from = Some(old.clone());
                        column.name = Cow::Owned(new.clone());
                        for index in table.indexes.to_mut() {
                            for name in index.columns.to_mut() {
                                if *name == old {
                                    *name = Cow::Owned(new.clone());
                                }
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

fn literal(ty: ColumnType, pick: u8) -> String {
    match ty {
        ColumnType::Text => ["'a'", "'b'", "'10'", "'x y'", "'it''s'", "'007'", "'true'"]
            [pick as usize % 7]
            .to_owned(),
        ColumnType::Double => ["0.5", "1.0", "-2.25", "3e9", "7"][pick as usize % 5].to_owned(),
        ColumnType::Bool => ["true", "false"][pick as usize % 2].to_owned(),
        ColumnType::Integer => (i64::from(pick % 7) - 3).to_string(),
        _ => ["-3", "0", "1", "5", "3000000000"][pick as usize % 5].to_owned(),
    }
}

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Nullable<Text>)]
    value: Option<String>,
}

/// A column's value as text that tells values of different storage classes apart (SQLite's `quote`:
/// an integer 1 and a text '1' differ there), NULL as NULL.
fn as_text(engine: Engine, column: &str) -> String {
    match engine {
        Engine::Sqlite => format!("nullif(quote(\"{column}\"), 'NULL')"),
        Engine::Postgres => format!("\"{column}\"::text"),
    }
}

/// `id → (column → value as text)`.
fn rows(
    engine: Engine,
    conn: &mut DbConnection,
    table: &str,
    columns: &[String],
) -> BTreeMap<i64, BTreeMap<String, Option<String>>> {
    let mut all: BTreeMap<i64, BTreeMap<String, Option<String>>> = BTreeMap::new();
    let ids: Vec<Row> = diesel::sql_query(format!(
        "SELECT id, CAST(NULL AS TEXT) AS value FROM \"{table}\""
    ))
    .load(conn)
    .unwrap();
    for row in ids {
        all.entry(row.id).or_default();
    }
    for column in columns {
        let expr = as_text(engine, column);
        let loaded: Vec<Row> =
            diesel::sql_query(format!("SELECT id, {expr} AS value FROM \"{table}\""))
                .load(conn)
                .unwrap();
        for row in loaded {
            all.entry(row.id)
                .or_default()
                .insert(column.clone(), row.value);
        }
    }
    all
}

/// Accepts the losses and waives the snapshot: a case's database is a scratch one (in memory on
/// SQLite, not the configured database on PostgreSQL, where a snapshot would be refused).
fn accept() -> PushOptions {
    PushOptions {
        dry_run: false,
        accept_data_loss: true,
        without_snapshot: true,
    }
}

/// A connection for one case: a new database in memory on SQLite; on PostgreSQL the test database's
/// connection (`None` when the PostgreSQL half skips), its search path set to a new schema.
fn case_connection(engine: Engine) -> Option<DbConnection> {
    match engine {
        Engine::Sqlite => {
            let mut conn = from_sqlite(SqliteConnection::establish(":memory:").unwrap());
            conn.batch_execute("PRAGMA foreign_keys = ON;").unwrap();
            Some(conn)
        }
        Engine::Postgres => postgres_case_connection(),
    }
}

#[cfg(feature = "postgres")]
fn postgres_case_connection() -> Option<DbConnection> {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};
    // One database for all cases (creating one per case would dominate the run); a schema per case.
    static DATABASE: Mutex<Option<String>> = Mutex::new(None);
    static CASES: AtomicUsize = AtomicUsize::new(0);
    let mut database = DATABASE.lock().unwrap_or_else(|e| e.into_inner());
    if database.is_none() {
        let server = orient_testkit::postgres::server()?;
        *database = Some(server.url(&server.create_database("properties")));
    }
    let url = database.as_ref()?;
    let mut conn = DbConnection::from(PgConnection::establish(url).unwrap());
    let case = CASES.fetch_add(1, Ordering::SeqCst);
    conn.batch_execute(&format!(
        "CREATE SCHEMA case{case}; SET search_path = case{case}"
    ))
    .unwrap();
    Some(conn)
}

#[cfg(not(feature = "postgres"))]
fn postgres_case_connection() -> Option<DbConnection> {
    None
}

fn cases(default: u32) -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|c| c.parse().ok())
            .unwrap_or(default),
        ..ProptestConfig::default()
    }
}

/// The property, on `engine`.
fn push_converges_and_keeps_values(
    engine: Engine,
    a: Schema,
    edits: Vec<Edit>,
    data: Vec<Vec<u8>>,
) -> Result<(), TestCaseError> {
    let Some(mut conn) = case_connection(engine) else {
        return Ok(());
    };
    let conn = &mut conn;
    let mut b = a.clone();
    let mut counter = 0;
    for e in &edits {
        apply_edit(&mut b, e, &mut counter);
    }
    push(conn, &a, PushOptions::default()).unwrap();

    // Rows for every table of A, values fitting each column.
    for table in &a.tables {
        let columns: Vec<&Column> = table.columns.iter().skip(1).collect();
        for picks in &data {
            let names = columns
                .iter()
                .map(|c| format!("\"{}\"", c.name))
                .collect::<Vec<_>>()
                .join(", ");
            let values = columns
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let pick = picks[i % picks.len()];
                    if c.nullable && pick % 4 == 0 {
                        "NULL".to_owned()
                    } else {
                        literal(c.ty, pick)
                    }
                })
                .collect::<Vec<_>>()
                .join(", ");
            // Unique indexes (and PostgreSQL's integer ranges) may refuse a row; skip it.
            let _ = conn.batch_execute(&format!(
                "INSERT INTO \"{}\" ({names}) VALUES ({values})",
                table.name
            ));
        }
    }
    let before: BTreeMap<String, _> = a
        .tables
        .iter()
        .map(|t| {
            let columns: Vec<String> = t
                .columns
                .iter()
                .skip(1)
                .map(|c| c.name.to_string())
                .collect();
            (t.name.to_string(), rows(engine, conn, &t.name, &columns))
        })
        .collect();

    let report = push(conn, &b, accept()).unwrap();
    let planned = report.plan.to_sql();
    let dialect: &dyn Dialect = conn.planner();
    let live = conn.introspect().unwrap();
    prop_assert_eq!(
        diff(&live.schema, &b, dialect),
        vec![],
        "plan:\n{}",
        planned
    );
    prop_assert_eq!(live.unmodelled.len(), 0);
    prop_assert_eq!(conn.foreign_key_violations(1).unwrap().1, 0);

    for table in &b.tables {
        let Some(old_rows) = before.get(table.name.as_ref()) else {
            continue;
        };
        let old_table = a.table(&table.name).unwrap();
        // Kept: same column (by name or declared rename) with the same stored type.
        let kept: Vec<(&Column, &Column)> = table
            .columns
            .iter()
            .skip(1)
            .filter_map(|c| {
                let source = c.renamed_from.as_deref().unwrap_or(&c.name);
                let old = old_table.column(source)?;
                (dialect.canonical_type(old.ty) == dialect.canonical_type(c.ty)).then_some((old, c))
            })
            .collect();
        let names: Vec<String> = kept.iter().map(|(_, c)| c.name.to_string()).collect();
        let after = rows(engine, conn, &table.name, &names);
        if !report.data_loss.iter().any(|l| l.table == table.name) {
            prop_assert_eq!(
                after.len(),
                old_rows.len(),
                "rows lost from {} without a reported loss\n{}",
                table.name,
                planned
            );
        }
        for (id, values) in &after {
            let old_values = old_rows.get(id);
            prop_assert!(
                old_values.is_some(),
                "row {} of {} appeared from nowhere",
                id,
                table.name
            );
            let old_values = old_values.unwrap();
            for (old, new) in &kept {
                let was = &old_values[old.name.as_ref()];
                let now = &values[new.name.as_ref()];
                if was.is_none() && !new.nullable {
                    // NULL under a new NOT NULL with a default becomes the default.
                    prop_assert!(
                        new.default.is_some(),
                        "NULL kept in NOT NULL {}.{}",
                        table.name,
                        new.name
                    );
                } else {
                    prop_assert_eq!(
                        was,
                        now,
                        "{}.{} of row {}\n{}",
                        table.name,
                        new.name,
                        id,
                        planned
                    );
                }
            }
        }
    }

    let again = push(conn, &b, accept()).unwrap();
    prop_assert!(
        again.plan.is_empty(),
        "second push planned {:?}",
        again.plan
    );
    prop_assert!(!again.executed);
    Ok(())
}

mod push_converges_and_keeps_values {
    use super::*;

    proptest! {
        #![proptest_config(cases(512))]
        #[test]
        fn sqlite(
            a in schema(),
            edits in proptest::collection::vec(edit(), 1..=4),
            data in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 6), 0..12),
        ) {
            push_converges_and_keeps_values(Engine::Sqlite, a, edits, data)?;
        }
    }

    proptest! {
        #![proptest_config(cases(64))]
        #[test]
        fn postgres(
            a in schema(),
            edits in proptest::collection::vec(edit(), 1..=4),
            data in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 6), 0..10),
        ) {
            if !Engine::postgres_available(orient_database::db::target::POSTGRES_BUILT) {
                return Ok(());
            }
            push_converges_and_keeps_values(Engine::Postgres, a, edits, data)?;
        }
    }
}
