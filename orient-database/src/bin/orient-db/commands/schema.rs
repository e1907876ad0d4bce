//! `orient-db schema [TABLE] [--format sql|mermaid|json|svg] [--declared]`: the live database's schema
//! (read-only: the file is opened read-only and never created), or the declared structs' with
//! `--declared` (no database, no configuration).
//!
//! `sql` from a database prints its CREATE statements as stored in `sqlite_schema`; every other output
//! is rendered from the schema model by `orient_database::diagram`.

use diesel::prelude::*;
use diesel::sql_types::{Nullable, Text};
use serde::Serialize;

use orient_database::db::{self, Config};
use orient_database::diagram::{self, json, mermaid, svg};
use orient_database::dialect::planner_for;
use orient_database::dialect::sqlite::Sqlite;
use orient_database::engine::EngineConnection;
use orient_database::model::Schema;
use orient_database::schema::TABLES;
use orient_database::sql::Dialect;

use crate::cli::SchemaFormat;
use crate::commands::AtDatabase;
use crate::exit::{CommandError, Exit};
use crate::output::Output;

#[derive(QueryableByName, Serialize)]
struct Object {
    #[diesel(sql_type = Text)]
    #[serde(rename = "type")]
    kind: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    table: String,
    #[diesel(sql_type = Nullable<Text>)]
    sql: Option<String>,
}

#[derive(Serialize)]
struct SchemaReport {
    database: String,
    objects: Vec<Object>,
}

pub fn run(
    table: Option<&str>,
    format: SchemaFormat,
    declared: bool,
    out: Output,
) -> anyhow::Result<Exit> {
    if format == SchemaFormat::Sql && !declared {
        return live_sql(table, out);
    }
    let source = if declared {
        Source::declared()
    } else {
        Source::database()?
    };
    match format {
        SchemaFormat::Sql => declared_sql(&source, table, out),
        SchemaFormat::Json => {
            let schema = match table {
                None => source.schema.clone(),
                Some(name) => Schema::new(vec![source.table(name)?.clone()]),
            };
            let document = SchemaDocument {
                source: source.kind(),
                database: source.database.clone(),
                document: json::document(&schema),
            };
            // The document is JSON already: the same with or without --json.
            crate::output::stdout(&format!("{}\n", serde_json::to_string_pretty(&document)?));
            Ok(Exit::Ok)
        }
        SchemaFormat::Mermaid | SchemaFormat::Svg => {
            let schema = match table {
                None => source.schema.clone(),
                Some(name) => {
                    source.table(name)?;
                    diagram::neighbourhood(&source.schema, name)
                        .ok_or_else(|| source.unknown_table(name))?
                }
            };
            let (name, text) = if format == SchemaFormat::Mermaid {
                ("mermaid", mermaid::render(&schema))
            } else {
                ("svg", svg::render(&schema, &svg::Options::default()))
            };
            let report = DiagramReport {
                source: source.kind(),
                database: source.database.clone(),
                format: name,
                diagram: text,
            };
            out.emit(&report, |r| r.diagram.clone());
            Ok(Exit::Ok)
        }
    }
}

/// `--format json`: the document of `orient_database::diagram::json`, and where it comes from.
#[derive(Serialize)]
struct SchemaDocument {
    /// `database` or `declared`.
    source: &'static str,
    /// The database file, for `database`.
    database: Option<String>,
    #[serde(flatten)]
    document: json::Document,
}

/// A diagram under `--json`.
#[derive(Serialize)]
struct DiagramReport {
    source: &'static str,
    database: Option<String>,
    format: &'static str,
    diagram: String,
}

/// `--declared --format sql` under `--json`.
#[derive(Serialize)]
struct DeclaredReport {
    source: &'static str,
    objects: Vec<Object>,
}

/// The schema to describe and where it came from.
struct Source {
    /// The database file; `None` for the declared structs.
    database: Option<String>,
    schema: Schema,
}

impl Source {
    fn declared() -> Source {
        Source {
            database: None,
            schema: Schema::from_declared(TABLES),
        }
    }

    /// The live database, with the structs' logical types where the columns are stored as declared.
    fn database() -> anyhow::Result<Source> {
        let config = Config::from_env()?;
        let mut conn = db::open_read_only(&config)?;
        let live = conn.introspect()?.schema;
        Ok(Source {
            database: Some(config.target.to_string()),
            schema: diagram::with_declared_types(
                &live,
                &Schema::from_declared(TABLES),
                conn.planner(),
            ),
        })
    }

    fn kind(&self) -> &'static str {
        if self.database.is_some() {
            "database"
        } else {
            "declared"
        }
    }

    fn table(&self, name: &str) -> anyhow::Result<&orient_database::model::Table> {
        self.schema
            .table(name)
            .ok_or_else(|| self.unknown_table(name))
    }

    fn unknown_table(&self, name: &str) -> anyhow::Error {
        let names = self.schema.table_names();
        let list = if names.is_empty() {
            "(none)".to_owned()
        } else {
            names.join(", ")
        };
        match &self.database {
            Some(path) => CommandError::usage(format!(
                "no table `{name}` in {path}; its tables are: {list}"
            )),
            None => CommandError::usage(format!(
                "no table `{name}` among the declared structs; they are: {list}"
            )),
        }
    }
}

/// The CREATE statements of `source`'s schema in the dialect of the configured engine (SQLite's when no
/// database is configured): the structs with `--declared`, a PostgreSQL database's introspected schema
/// otherwise.
fn declared_sql(source: &Source, table: Option<&str>, out: Output) -> anyhow::Result<Exit> {
    let dialect: &dyn Dialect = match Config::from_env() {
        Ok(config) => planner_for(&config.target),
        Err(_) => &Sqlite,
    };
    let tables: Vec<&orient_database::model::Table> = match table {
        None => source.schema.tables.iter().collect(),
        Some(name) => vec![source.table(name)?],
    };
    let mut objects = Vec::new();
    for t in tables {
        objects.push(Object {
            kind: "table".to_owned(),
            name: t.name.to_string(),
            table: t.name.to_string(),
            sql: Some(dialect.create_table(t)),
        });
        for index in t.indexes.iter() {
            objects.push(Object {
                kind: "index".to_owned(),
                name: index.name.to_string(),
                table: t.name.to_string(),
                sql: Some(dialect.create_index(&t.name, index)),
            });
        }
    }
    let report = DeclaredReport {
        source: source.kind(),
        objects,
    };
    out.emit(&report, |r| {
        r.objects
            .iter()
            .filter_map(|o| o.sql.as_ref())
            .map(|sql| format!("{sql}\n"))
            .collect()
    });
    Ok(Exit::Ok)
}

/// The live database's CREATE statements as `sqlite_schema` holds them.
fn live_sql(table: Option<&str>, out: Output) -> anyhow::Result<Exit> {
    let config = Config::from_env()?;
    if config.sqlite_path().is_none() {
        // A server has no stored CREATE text: its schema, read into the model, in its own DDL.
        return declared_sql(&Source::database()?, table, out);
    }
    let target = &config.target;
    let mut conn = db::open_read_only(&config).at(target, "opening the database read-only")?;
    // sqlite_schema in creation order, as sqlite3's `.schema` prints it.
    let all: Vec<Object> = diesel::sql_query(
        "SELECT type AS kind, name, tbl_name AS \"table\", sql FROM main.sqlite_schema \
         WHERE sql IS NOT NULL ORDER BY rowid",
    )
    .load(&mut conn)
    .at(target, "reading the schema")?;
    let objects: Vec<Object> = match table {
        None => all,
        Some(wanted) => {
            let known: Vec<String> = all
                .iter()
                .filter(|o| o.kind == "table")
                .map(|o| o.name.clone())
                .collect();
            if !known.iter().any(|t| t == wanted) {
                return Err(CommandError::usage(format!(
                    "no table `{wanted}` in {target}; its tables are: {}",
                    if known.is_empty() {
                        "(none)".to_owned()
                    } else {
                        known.join(", ")
                    }
                )));
            }
            all.into_iter().filter(|o| o.table == wanted).collect()
        }
    };
    let report = SchemaReport {
        database: target.to_string(),
        objects,
    };
    out.emit(&report, |r| {
        r.objects
            .iter()
            .filter_map(|o| o.sql.as_ref())
            .map(|sql| format!("{sql};\n"))
            .collect()
    });
    Ok(Exit::Ok)
}
