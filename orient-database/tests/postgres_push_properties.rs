//! The property of `push_properties.rs`, on PostgreSQL: for a random schema A and a schema B made from A
//! by random edits, creating A, inserting rows, then changing it to B in place (data loss accepted) gives
//! exactly B, keeps every surviving row's kept values by primary key, loses rows only where a loss was
//! counted, and leaves nothing to do. Each case runs in a schema of its own on the test server.
//!
//! `cargo test -p orient-database --features postgres --test postgres_push_properties`
//! (`PROPTEST_CASES` sets the number of cases, 64 by default).
#![cfg(feature = "postgres")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod postgres_support;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};
use orient_database::assess::loss_checks;
use orient_database::dialect::postgres::Postgres;
use orient_database::diff::diff;
use orient_database::engine::EngineConnection;
use orient_database::model::{Column, ColumnType, DefaultValue, Index, Name, Schema, Table};
use orient_database::plan::{PlanOptions, plan};
use orient_database::sql::Dialect;
use proptest::prelude::*;

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

/// `id → (column → value as text)`.
fn rows(
    conn: &mut PgConnection,
    table: &str,
    columns: &[String],
) -> BTreeMap<i64, BTreeMap<String, Option<String>>> {
    let mut all: BTreeMap<i64, BTreeMap<String, Option<String>>> = BTreeMap::new();
    let ids: Vec<Row> =
        diesel::sql_query(format!("SELECT id, NULL::text AS value FROM \"{table}\""))
            .load(conn)
            .unwrap();
    for row in ids {
        all.entry(row.id).or_default();
    }
    for column in columns {
        let loaded: Vec<Row> = diesel::sql_query(format!(
            "SELECT id, \"{column}\"::text AS value FROM \"{table}\""
        ))
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

/// `(table, rows counted as lost)` of a push with the loss accepted, and its plan.
fn push(conn: &mut PgConnection, desired: &Schema) -> (Vec<String>, String) {
    conn.write_transaction::<_, diesel::result::Error, _>(|c| {
        let live = c.introspect()?;
        let changes = diff(&live.schema, desired, &Postgres);
        let mut lossy = Vec::new();
        for check in loss_checks(&changes, &live.schema, desired, &Postgres) {
            if c.count(&check.count_sql)? > 0 {
                lossy.push(check.table);
            }
        }
        let planned = plan(
            &changes,
            &live.schema,
            desired,
            &live.unmodelled,
            &Postgres,
            PlanOptions {
                accept_data_loss: true,
            },
        )
        .unwrap();
        for statement in planned.statements() {
            c.execute_sql(statement).unwrap_or_else(|e| {
                panic!("`{statement}` failed: {e}\nplan:\n{}", planned.to_sql())
            });
        }
        assert_eq!(c.foreign_key_violations(1)?.1, 0);
        Ok((lossy, planned.to_sql()))
    })
    .unwrap()
}

static CONNECTION: Mutex<Option<PgConnection>> = Mutex::new(None);
static CASES: AtomicUsize = AtomicUsize::new(0);

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(64),
        ..ProptestConfig::default()
    })]

    #[test]
    fn push_converges_and_keeps_values_on_postgres(
        a in schema(),
        edits in proptest::collection::vec(edit(), 1..=4),
        data in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 6), 0..10),
    ) {
        let mut guard = CONNECTION.lock().unwrap_or_else(|e| e.into_inner());
        if guard.is_none() {
            *guard = postgres_support::connect("properties");
        }
        let Some(conn) = guard.as_mut() else { return Ok(()) };
        let case = CASES.fetch_add(1, Ordering::SeqCst);
        conn.batch_execute(&format!("CREATE SCHEMA case{case}; SET search_path = case{case}")).unwrap();

        let mut b = a.clone();
        let mut counter = 0;
        for e in &edits {
            apply_edit(&mut b, e, &mut counter);
        }
        push(conn, &a);
        for table in &a.tables {
            let columns: Vec<&Column> = table.columns.iter().skip(1).collect();
            for picks in &data {
                let names = columns.iter().map(|c| format!("\"{}\"", c.name)).collect::<Vec<_>>().join(", ");
                let values = columns.iter().enumerate().map(|(i, c)| {
                    let pick = picks[i % picks.len()];
                    if c.nullable && pick % 4 == 0 { "NULL".to_owned() } else { literal(c.ty, pick) }
                }).collect::<Vec<_>>().join(", ");
                // Unique indexes and integer ranges may refuse a row; skip it.
                let _ = conn.batch_execute(&format!("INSERT INTO \"{}\" ({names}) VALUES ({values})", table.name));
            }
        }
        let before: BTreeMap<String, _> = a.tables.iter().map(|t| {
            let columns: Vec<String> = t.columns.iter().skip(1).map(|c| c.name.to_string()).collect();
            (t.name.to_string(), rows(conn, &t.name, &columns))
        }).collect();

        let (lossy, sql) = push(conn, &b);
        let live = conn.introspect().unwrap();
        prop_assert_eq!(diff(&live.schema, &b, &Postgres), vec![], "plan:\n{}", sql);
        prop_assert_eq!(live.unmodelled.len(), 0);

        for table in &b.tables {
            let Some(old_rows) = before.get(table.name.as_ref()) else { continue };
            let old_table = a.table(&table.name).unwrap();
            let kept: Vec<(&Column, &Column)> = table.columns.iter().skip(1).filter_map(|c| {
                let source = c.renamed_from.as_deref().unwrap_or(&c.name);
                let old = old_table.column(source)?;
                (Postgres.canonical_type(old.ty) == Postgres.canonical_type(c.ty)).then_some((old, c))
            }).collect();
            let names: Vec<String> = kept.iter().map(|(_, c)| c.name.to_string()).collect();
            let after = rows(conn, &table.name, &names);
            if !lossy.iter().any(|t| *t == table.name) {
                prop_assert_eq!(after.len(), old_rows.len(), "rows lost from {} without a counted loss\n{}", table.name, sql);
            }
            for (id, values) in &after {
                let old_values = old_rows.get(id);
                prop_assert!(old_values.is_some(), "row {} of {} appeared from nowhere", id, table.name);
                let old_values = old_values.unwrap();
                for (old, new) in &kept {
                    let was = &old_values[old.name.as_ref()];
                    let now = &values[new.name.as_ref()];
                    if was.is_none() && !new.nullable {
                        prop_assert!(new.default.is_some(), "NULL kept in NOT NULL {}.{}", table.name, new.name);
                    } else {
                        prop_assert_eq!(was, now, "{}.{} of row {}\n{}", table.name, new.name, id, sql);
                    }
                }
            }
        }
        let (_, again) = push(conn, &b);
        prop_assert!(again.is_empty(), "second push planned:\n{}", again);
    }
}
