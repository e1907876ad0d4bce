//! SQLite DDL text. The layout follows the original Orient's Drizzle migrations (lower-case types,
//! `DEFAULT … NOT NULL`, one column per line) with every identifier double-quoted.

use std::fmt::Write as _;

use crate::dialect::sqlite::Sqlite;
use crate::model::{Column, DefaultValue, ForeignKey, Index, Table};
use crate::sql::Dialect;

/// `"name"`, with embedded quotes doubled. The one place identifiers are quoted.
pub(super) fn quote_ident(ident: &str) -> String {
    let mut quoted = String::with_capacity(ident.len() + 2);
    quoted.push('"');
    for ch in ident.chars() {
        if ch == '"' {
            quoted.push('"');
        }
        quoted.push(ch);
    }
    quoted.push('"');
    quoted
}

/// `'text'`, with embedded quotes doubled.
pub(super) fn quote_text(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

fn quote_list(names: &[crate::model::Name]) -> String {
    names
        .iter()
        .map(|n| quote_ident(n))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) fn default_value(default: &DefaultValue) -> String {
    match default {
        DefaultValue::Null => "NULL".to_owned(),
        // SQLite (3.23+) reads the keywords as 1 and 0; PostgreSQL needs them for boolean columns.
        DefaultValue::Bool(true) => "true".to_owned(),
        DefaultValue::Bool(false) => "false".to_owned(),
        DefaultValue::Integer(n) => n.to_string(),
        DefaultValue::Real(text) => text.to_string(),
        DefaultValue::Text(text) => quote_text(text),
        DefaultValue::Expression(expr) => expr.to_string(),
    }
}

/// `"id" integer PRIMARY KEY AUTOINCREMENT NOT NULL`. `table` is given inside `CREATE TABLE`, where a
/// single-column primary key is written inline (AUTOINCREMENT is only allowed there); `ALTER TABLE ADD
/// COLUMN` passes `None`.
pub(super) fn column_definition(table: Option<&Table>, column: &Column) -> String {
    let mut sql = format!(
        "{} {}",
        quote_ident(&column.name),
        Sqlite.storage_type(column.ty)
    );
    let inline_primary_key =
        table.is_some_and(|t| t.primary_key.len() == 1 && t.primary_key[0] == column.name);
    if inline_primary_key {
        sql.push_str(" PRIMARY KEY");
        if column.autoincrement {
            sql.push_str(" AUTOINCREMENT");
        }
    }
    if let Some(default) = &column.default {
        let _ = write!(sql, " DEFAULT {}", default_value(default));
    }
    if !column.nullable {
        sql.push_str(" NOT NULL");
    }
    sql
}

pub(super) fn foreign_key_clause(fk: &ForeignKey) -> String {
    format!(
        "FOREIGN KEY ({}) REFERENCES {}({}) ON UPDATE {} ON DELETE {}",
        quote_list(&fk.columns),
        quote_ident(&fk.references_table),
        quote_list(&fk.references_columns),
        fk.on_update.as_sql(),
        fk.on_delete.as_sql(),
    )
}

pub(super) fn create_table(table: &Table, name: &str) -> String {
    let mut lines: Vec<String> = table
        .columns
        .iter()
        .map(|c| column_definition(Some(table), c))
        .collect();
    if table.primary_key.len() > 1 {
        lines.push(format!("PRIMARY KEY ({})", quote_list(&table.primary_key)));
    }
    lines.extend(table.foreign_keys.iter().map(foreign_key_clause));
    format!(
        "CREATE TABLE {} (\n\t{}\n);",
        quote_ident(name),
        lines.join(",\n\t")
    )
}

pub(super) fn create_index(table: &str, index: &Index) -> String {
    format!(
        "CREATE {}INDEX {} ON {} ({});",
        if index.unique { "UNIQUE " } else { "" },
        quote_ident(&index.name),
        quote_ident(table),
        quote_list(&index.columns),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ColumnType, FkAction, Name};
    use std::borrow::Cow;

    #[test]
    fn identifiers_are_quoted_and_embedded_quotes_doubled() {
        assert_eq!(quote_ident("plain"), "\"plain\"");
        assert_eq!(quote_ident("x\"y"), "\"x\"\"y\"");
        assert_eq!(quote_ident("semi;colon --"), "\"semi;colon --\"");
        assert_eq!(quote_text("it's"), "'it''s'");
    }

    #[test]
    fn renders_a_table_like_the_original() {
        let mut table = Table::new("agent_skills");
        let mut id = Column::new("id", ColumnType::BigInt).not_null();
        id.autoincrement = true;
        table.columns = Cow::Owned(vec![
            id,
            Column::new("agent_id", ColumnType::Text).not_null(),
            Column::new("enabled", ColumnType::Bool).default(DefaultValue::Bool(true)),
        ]);
        table.primary_key = Cow::Owned(vec![Name::Borrowed("id")]);
        table.foreign_keys = Cow::Owned(vec![ForeignKey {
            columns: Cow::Owned(vec![Name::Borrowed("agent_id")]),
            references_table: Name::Borrowed("agents"),
            references_columns: Cow::Owned(vec![Name::Borrowed("id")]),
            on_delete: FkAction::Cascade,
            on_update: FkAction::NoAction,
        }]);
        assert_eq!(
            create_table(&table, "agent_skills"),
            "CREATE TABLE \"agent_skills\" (\n\
             \t\"id\" integer PRIMARY KEY AUTOINCREMENT NOT NULL,\n\
             \t\"agent_id\" text NOT NULL,\n\
             \t\"enabled\" integer DEFAULT true,\n\
             \tFOREIGN KEY (\"agent_id\") REFERENCES \"agents\"(\"id\") ON UPDATE NO ACTION ON DELETE CASCADE\n\
             );"
        );
        let index = Index::new("idx_agent_skills_agent", &["agent_id"], false);
        assert_eq!(
            create_index("agent_skills", &index),
            "CREATE INDEX \"idx_agent_skills_agent\" ON \"agent_skills\" (\"agent_id\");"
        );
    }
}
