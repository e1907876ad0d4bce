//! `orient-db schema [TABLE]`: the live database's CREATE statements, read-only.

use diesel::prelude::*;
use diesel::sql_types::{Nullable, Text};
use serde::Serialize;

use orient_database::db::{Config, connection};

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

pub fn run(table: Option<&str>, out: Output) -> anyhow::Result<Exit> {
    let config = Config::from_env()?;
    let path = &config.path;
    let mut conn = connection::open_read_only(path).at(path, "opening the database read-only")?;
    // sqlite_schema in creation order, as sqlite3's `.schema` prints it.
    let all: Vec<Object> = diesel::sql_query(
        "SELECT type AS kind, name, tbl_name AS \"table\", sql FROM main.sqlite_schema \
         WHERE sql IS NOT NULL ORDER BY rowid",
    )
    .load(&mut conn)
    .at(path, "reading the schema")?;
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
                    "no table `{wanted}` in {}; its tables are: {}",
                    config.path.display(),
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
        database: config.path.display().to_string(),
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
