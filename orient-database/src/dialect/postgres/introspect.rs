//! Reads a live PostgreSQL database into the schema model, from `pg_catalog`, in `current_schema()`
//! only: replaying migrations into a scratch schema (`SET search_path`) reads that schema.
//!
//! Six queries, whatever the number of tables: relations, columns, constraints, indexes, triggers, and
//! the sequences columns own. What the model cannot express is listed in
//! [`Introspection::unmodelled`]: views, materialized views, foreign tables, partitions, triggers,
//! sequences no column owns, CHECK and EXCLUDE constraints. Bookkeeping tables (Diesel's ledger, ours)
//! are left out, as on SQLite.
//!
//! Normalised so that a database made by the rendered DDL reads back as the declared model: identity
//! and `serial` columns are autoincrement (their `nextval` is not a default), defaults are read back into
//! values ([`super::default_sql`]), the primary key's own index is the primary key, an index backing a
//! UNIQUE constraint is that constraint.

use std::borrow::Cow;
use std::collections::BTreeMap;

use diesel::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Nullable, Text};

use crate::bookkeeping::is_bookkeeping_table;
use crate::dialect::postgres::default_sql;
use crate::model::{
    Column, ColumnType, FkAction, ForeignKey, Index, IndexOrigin, Introspection, Name, Schema,
    Table, UnmodelledObject,
};

#[derive(QueryableByName)]
struct RelationRow {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Bool)]
    is_partition: bool,
    /// For sequences: whether a column owns it (identity or `serial`).
    #[diesel(sql_type = Bool)]
    owned: bool,
    /// For views: their query.
    #[diesel(sql_type = Nullable<Text>)]
    definition: Option<String>,
}

#[derive(QueryableByName)]
struct ColumnRow {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    name: String,
    /// `pg_type.typname` of the column's type (of a domain's base type).
    #[diesel(sql_type = Text)]
    type_name: String,
    #[diesel(sql_type = Bool)]
    not_null: bool,
    #[diesel(sql_type = Nullable<Text>)]
    default_expr: Option<String>,
    /// `a` (ALWAYS) or `d` (BY DEFAULT) for identity columns, else empty.
    #[diesel(sql_type = Text)]
    identity: String,
    /// `s` for generated (computed) columns, else empty.
    #[diesel(sql_type = Text)]
    generated: String,
}

#[derive(QueryableByName)]
struct ConstraintRow {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    name: String,
    /// `p`, `f`, `c` or `x`.
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Nullable<Text>)]
    column_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    ref_table: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    ref_column: Option<String>,
    #[diesel(sql_type = Text)]
    on_update: String,
    #[diesel(sql_type = Text)]
    on_delete: String,
    #[diesel(sql_type = Text)]
    definition: String,
}

#[derive(QueryableByName)]
struct IndexRow {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    index_name: String,
    #[diesel(sql_type = Bool)]
    is_unique: bool,
    /// Whether a UNIQUE constraint owns the index.
    #[diesel(sql_type = Bool)]
    unique_constraint: bool,
    #[diesel(sql_type = Nullable<Text>)]
    predicate: Option<String>,
    /// NULL for an expression.
    #[diesel(sql_type = Nullable<Text>)]
    column_name: Option<String>,
}

#[derive(QueryableByName)]
struct TriggerRow {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    definition: String,
}

// Every relation of the current schema, in creation order (oid), so views can be recreated in an order
// that works.
const RELATIONS: &str = "SELECT c.relname::text AS name, c.relkind::text AS kind, \
       c.relispartition AS is_partition, \
       EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid \
               AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')) AS owned, \
       CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid) END AS definition \
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
     WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') \
     ORDER BY c.oid";

const COLUMNS: &str = "SELECT c.relname::text AS table_name, a.attname::text AS name, \
       (CASE WHEN t.typtype = 'd' THEN bt.typname ELSE t.typname END)::text AS type_name, \
       a.attnotnull AS not_null, pg_get_expr(d.adbin, d.adrelid) AS default_expr, \
       a.attidentity::text AS identity, a.attgenerated::text AS generated \
     FROM pg_attribute a \
     JOIN pg_class c ON c.oid = a.attrelid \
     JOIN pg_namespace n ON n.oid = c.relnamespace \
     JOIN pg_type t ON t.oid = a.atttypid \
     LEFT JOIN pg_type bt ON bt.oid = t.typbasetype \
     LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
     WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND a.attnum > 0 \
       AND NOT a.attisdropped \
     ORDER BY c.relname, a.attnum";

// Primary keys, foreign keys (one row per column, in key order, with the referenced column), CHECK and
// EXCLUDE constraints. UNIQUE constraints are read as indexes.
const CONSTRAINTS: &str = "SELECT c.relname::text AS table_name, con.conname::text AS name, \
       con.contype::text AS kind, a.attname::text AS column_name, fc.relname::text AS ref_table, \
       fa.attname::text AS ref_column, con.confupdtype::text AS on_update, \
       con.confdeltype::text AS on_delete, pg_get_constraintdef(con.oid) AS definition \
     FROM pg_constraint con \
     JOIN pg_class c ON c.oid = con.conrelid \
     JOIN pg_namespace n ON n.oid = c.relnamespace \
     LEFT JOIN LATERAL unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord) ON true \
     LEFT JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum \
     LEFT JOIN pg_class fc ON fc.oid = con.confrelid \
     LEFT JOIN pg_attribute fa ON fa.attrelid = con.confrelid AND fa.attnum = con.confkey[k.ord::int] \
     WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') \
       AND con.contype IN ('p', 'f', 'c', 'x') \
     ORDER BY c.relname, con.conname, k.ord";

// Indexes other than the primary key's and those of EXCLUDE constraints, their key columns in order
// (INCLUDE columns left out).
const INDEXES: &str = "SELECT t.relname::text AS table_name, i.relname::text AS index_name, \
       x.indisunique AS is_unique, \
       EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = i.oid AND con.conrelid = t.oid \
               AND con.contype = 'u') AS unique_constraint, \
       pg_get_expr(x.indpred, x.indrelid) AS predicate, a.attname::text AS column_name \
     FROM pg_index x \
     JOIN pg_class i ON i.oid = x.indexrelid \
     JOIN pg_class t ON t.oid = x.indrelid \
     JOIN pg_namespace n ON n.oid = t.relnamespace \
     CROSS JOIN LATERAL unnest(x.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord) \
     LEFT JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum AND k.attnum > 0 \
     WHERE n.nspname = current_schema() AND t.relkind IN ('r', 'p') AND NOT x.indisprimary \
       AND k.ord <= x.indnkeyatts \
       AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = i.oid \
                       AND con.conrelid = t.oid AND con.contype = 'x') \
     ORDER BY t.relname, i.relname, k.ord";

const TRIGGERS: &str = "SELECT c.relname::text AS table_name, tg.tgname::text AS name, \
       pg_get_triggerdef(tg.oid) AS definition \
     FROM pg_trigger tg \
     JOIN pg_class c ON c.oid = tg.tgrelid \
     JOIN pg_namespace n ON n.oid = c.relnamespace \
     WHERE n.nspname = current_schema() AND NOT tg.tgisinternal \
     ORDER BY tg.oid";

/// Reads the schema of the current schema (`current_schema()`) of a connection.
pub fn introspect(conn: &mut PgConnection) -> QueryResult<Introspection> {
    let mut unmodelled = Vec::new();
    let mut tables: BTreeMap<String, TableBuilder> = BTreeMap::new();
    let quote = super::render::quote_ident;
    for relation in diesel::sql_query(RELATIONS).load::<RelationRow>(conn)? {
        if is_bookkeeping_table(&relation.name) {
            continue;
        }
        let object = |kind: &str, sql: Option<String>| UnmodelledObject {
            kind: kind.to_owned(),
            name: relation.name.clone(),
            table: relation.name.clone(),
            sql,
        };
        match relation.kind.as_str() {
            "r" | "p" if relation.is_partition => unmodelled.push(object("partition", None)),
            "r" | "p" => {
                tables.insert(relation.name.clone(), TableBuilder::default());
            }
            "v" => unmodelled.push(object(
                "view",
                relation
                    .definition
                    .as_ref()
                    .map(|d| format!("CREATE VIEW {} AS\n{}", quote(&relation.name), d.trim_end())),
            )),
            "m" => unmodelled.push(object(
                "materialized view",
                relation.definition.as_ref().map(|d| {
                    format!(
                        "CREATE MATERIALIZED VIEW {} AS\n{}",
                        quote(&relation.name),
                        d.trim_end()
                    )
                }),
            )),
            "f" => unmodelled.push(object("foreign table", None)),
            "S" if !relation.owned => unmodelled.push(object("sequence", None)),
            _ => {}
        }
    }

    for row in diesel::sql_query(COLUMNS).load::<ColumnRow>(conn)? {
        if let Some(table) = tables.get_mut(&row.table_name) {
            table.columns.push(column(row));
        }
    }

    for row in diesel::sql_query(CONSTRAINTS).load::<ConstraintRow>(conn)? {
        let Some(table) = tables.get_mut(&row.table_name) else {
            continue;
        };
        match row.kind.as_str() {
            "p" => {
                if let Some(column) = row.column_name {
                    table.primary_key.push(Name::Owned(column));
                }
            }
            "f" => {
                let fk = table
                    .foreign_keys
                    .entry(row.name)
                    .or_insert_with(|| ForeignKey {
                        columns: Cow::Owned(Vec::new()),
                        references_table: Name::Owned(row.ref_table.unwrap_or_default()),
                        references_columns: Cow::Owned(Vec::new()),
                        on_delete: action(&row.on_delete),
                        on_update: action(&row.on_update),
                    });
                fk.columns
                    .to_mut()
                    .push(Name::Owned(row.column_name.unwrap_or_default()));
                fk.references_columns
                    .to_mut()
                    .push(Name::Owned(row.ref_column.unwrap_or_default()));
            }
            kind => {
                // One row per column: keep the constraint once.
                let kind = if kind == "c" {
                    "check constraint"
                } else {
                    "exclusion constraint"
                };
                if !unmodelled.iter().any(|o: &UnmodelledObject| {
                    o.kind == kind && o.name == row.name && o.table == row.table_name
                }) {
                    unmodelled.push(UnmodelledObject {
                        kind: kind.to_owned(),
                        sql: Some(format!(
                            "ALTER TABLE {} ADD CONSTRAINT {} {}",
                            quote(&row.table_name),
                            quote(&row.name),
                            row.definition
                        )),
                        name: row.name,
                        table: row.table_name,
                    });
                }
            }
        }
    }

    for row in diesel::sql_query(INDEXES).load::<IndexRow>(conn)? {
        let Some(table) = tables.get_mut(&row.table_name) else {
            continue;
        };
        let index = table
            .indexes
            .entry(row.index_name.clone())
            .or_insert_with(|| Index {
                name: Name::Owned(row.index_name),
                columns: Cow::Owned(Vec::new()),
                unique: row.is_unique,
                origin: if row.unique_constraint {
                    IndexOrigin::UniqueConstraint
                } else {
                    IndexOrigin::CreateIndex
                },
            });
        // An expression or a predicate has no column name; a placeholder keeps the index different
        // from any declared one instead of looking like an index on fewer rows or columns.
        let column = row.column_name.unwrap_or_else(|| "<expression>".to_owned());
        index.columns.to_mut().push(Name::Owned(column));
        if let Some(predicate) = row.predicate {
            table.partial.insert(index.name.to_string(), predicate);
        }
    }

    for row in diesel::sql_query(TRIGGERS).load::<TriggerRow>(conn)? {
        if is_bookkeeping_table(&row.table_name) {
            continue;
        }
        unmodelled.push(UnmodelledObject {
            kind: "trigger".to_owned(),
            name: row.name,
            table: row.table_name,
            sql: Some(row.definition),
        });
    }

    Ok(Introspection {
        schema: Schema::new(
            tables
                .into_iter()
                .map(|(name, builder)| builder.build(name))
                .collect(),
        ),
        unmodelled,
    })
}

#[derive(Default)]
struct TableBuilder {
    columns: Vec<Column>,
    primary_key: Vec<Name>,
    indexes: BTreeMap<String, Index>,
    /// Index name → its WHERE clause.
    partial: BTreeMap<String, String>,
    foreign_keys: BTreeMap<String, ForeignKey>,
}

impl TableBuilder {
    fn build(self, name: String) -> Table {
        let mut partial = self.partial;
        let indexes = self
            .indexes
            .into_values()
            .map(|mut index| {
                if let Some(predicate) = partial.remove(index.name.as_ref()) {
                    index
                        .columns
                        .to_mut()
                        .push(Name::Owned(format!("<where {predicate}>")));
                }
                index
            })
            .collect();
        Table {
            name: Name::Owned(name),
            columns: Cow::Owned(self.columns),
            primary_key: Cow::Owned(self.primary_key),
            indexes: Cow::Owned(indexes),
            foreign_keys: Cow::Owned(self.foreign_keys.into_values().collect()),
            renamed_from: None,
        }
    }
}

fn column(row: ColumnRow) -> Column {
    let mut column = Column::new(row.name, column_type(&row.type_name));
    column.nullable = !row.not_null;
    column.autoincrement = !row.identity.is_empty();
    match row.default_expr {
        Some(expr) if row.generated == "s" => {
            // A generated column is not a default; the model has no word for it, so it shows as a
            // default no declaration has.
            column.default = Some(crate::model::DefaultValue::Expression(Name::Owned(
                format!("GENERATED ALWAYS AS ({expr}) STORED"),
            )));
        }
        Some(expr) if default_sql::is_sequence_default(&expr) => column.autoincrement = true,
        Some(expr) => column.default = Some(default_sql::parse(&expr)),
        None => {}
    }
    column
}

/// The model's type for a PostgreSQL type (`pg_type.typname`). Types outside the model read as
/// [`ColumnType::Numeric`], which no declared column has, so they show as drift.
pub fn column_type(type_name: &str) -> ColumnType {
    match type_name {
        "int4" => ColumnType::Integer,
        "int8" => ColumnType::BigInt,
        "bool" => ColumnType::Bool,
        "text" | "varchar" => ColumnType::Text,
        "float8" => ColumnType::Double,
        "bytea" => ColumnType::Binary,
        _ => ColumnType::Numeric,
    }
}

/// `pg_constraint.confdeltype` / `confupdtype`.
fn action(code: &str) -> FkAction {
    match code {
        "r" => FkAction::Restrict,
        "c" => FkAction::Cascade,
        "n" => FkAction::SetNull,
        "d" => FkAction::SetDefault,
        _ => FkAction::NoAction,
    }
}
