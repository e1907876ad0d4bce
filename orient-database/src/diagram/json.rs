//! A schema as a JSON document with a stable, documented shape (`orient-db schema --format json`).
//!
//! ```json
//! {
//!   "version": 1,
//!   "tables": [
//!     {
//!       "name": "agent_skills",
//!       "primary_key": ["id"],
//!       "columns": [
//!         { "name": "id", "type": "bigint", "nullable": false, "default": null,
//!           "primary_key": true, "autoincrement": true, "unique": false },
//!         { "name": "agent_id", "type": "text", "nullable": false, "default": null,
//!           "primary_key": false, "autoincrement": false, "unique": false }
//!       ],
//!       "indexes": [ { "name": "idx_agent_skills_agent", "columns": ["agent_id"], "unique": false } ],
//!       "foreign_keys": [
//!         { "columns": ["agent_id"], "references": { "table": "agents", "columns": ["id"] },
//!           "on_delete": "cascade", "on_update": "no_action", "nullable": false, "unique": false }
//!       ]
//!     }
//!   ]
//! }
//! ```
//!
//! - `version` changes only when a field changes meaning or disappears; new fields may be added.
//! - Tables are sorted by name, columns are in table order, indexes sorted by name, foreign keys in
//!   table order.
//! - `type` is the logical type: `integer`, `bigint`, `bool`, `text`, `double`, `binary`, `timestamp`,
//!   `json` or `numeric`. `default` is the SQL default as SQL-like text (`'cheap'`, `true`, `0`,
//!   `CURRENT_TIMESTAMP`) or `null`. `unique` on a column: a one-column unique index or constraint.
//! - `on_delete` / `on_update`: `no_action`, `restrict`, `cascade`, `set_null` or `set_default`. On a
//!   foreign key, `nullable`: a column of the key is nullable, so a row may point at nothing; `unique`: the
//!   key's columns are unique in the table, so the relationship is one-to-one.

use serde::Serialize;

use crate::diagram::{is_unique_column, relationships};
use crate::model::{FkAction, Name, Schema};

/// The version of the document's shape.
pub const VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Document {
    pub version: u32,
    pub tables: Vec<TableDoc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableDoc {
    pub name: String,
    pub primary_key: Vec<String>,
    pub columns: Vec<ColumnDoc>,
    pub indexes: Vec<IndexDoc>,
    pub foreign_keys: Vec<ForeignKeyDoc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ColumnDoc {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: String,
    pub nullable: bool,
    pub default: Option<String>,
    pub primary_key: bool,
    pub autoincrement: bool,
    pub unique: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IndexDoc {
    pub name: String,
    pub columns: Vec<String>,
    pub unique: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ForeignKeyDoc {
    pub columns: Vec<String>,
    pub references: ReferenceDoc,
    pub on_delete: FkAction,
    pub on_update: FkAction,
    pub nullable: bool,
    pub unique: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReferenceDoc {
    pub table: String,
    pub columns: Vec<String>,
}

/// The document of a schema.
pub fn document(schema: &Schema) -> Document {
    let relationships = relationships(schema);
    let tables = schema
        .tables
        .iter()
        .map(|table| {
            let columns = table
                .columns
                .iter()
                .map(|c| ColumnDoc {
                    name: c.name.to_string(),
                    ty: c.ty.as_str().to_owned(),
                    nullable: c.nullable,
                    default: c.default.as_ref().map(ToString::to_string),
                    primary_key: table.is_primary_key(&c.name),
                    autoincrement: c.autoincrement,
                    unique: is_unique_column(table, &c.name),
                })
                .collect();
            let mut indexes: Vec<IndexDoc> = table
                .indexes
                .iter()
                .map(|i| IndexDoc {
                    name: i.name.to_string(),
                    columns: strings(&i.columns),
                    unique: i.unique,
                })
                .collect();
            indexes.sort_by(|a, b| a.name.cmp(&b.name));
            let foreign_keys = relationships
                .iter()
                .filter(|r| r.child.name == table.name)
                .map(|r| ForeignKeyDoc {
                    columns: strings(&r.foreign_key.columns),
                    references: ReferenceDoc {
                        table: r.foreign_key.references_table.to_string(),
                        columns: strings(&r.foreign_key.references_columns),
                    },
                    on_delete: r.foreign_key.on_delete,
                    on_update: r.foreign_key.on_update,
                    nullable: r.optional,
                    unique: r.one_to_one,
                })
                .collect();
            TableDoc {
                name: table.name.to_string(),
                primary_key: strings(&table.primary_key),
                columns,
                indexes,
                foreign_keys,
            }
        })
        .collect();
    Document {
        version: VERSION,
        tables,
    }
}

fn strings(names: &[Name]) -> Vec<String> {
    names.iter().map(ToString::to_string).collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::diagram::tests::small_schema;
    use crate::schema::TABLES;

    #[test]
    fn a_small_schema() {
        let json = serde_json::to_string_pretty(&document(&small_schema())).unwrap_or_default();
        insta::assert_snapshot!(json);
    }

    #[test]
    fn the_declared_schema_has_every_table_and_foreign_key() {
        let schema = Schema::from_declared(TABLES);
        let doc = serde_json::to_value(document(&schema)).unwrap_or_default();
        let tables = doc["tables"].as_array().cloned().unwrap_or_default();
        assert_eq!(tables.len(), TABLES.len());
        let fks: usize = tables
            .iter()
            .map(|t| t["foreign_keys"].as_array().map_or(0, Vec::len))
            .sum();
        assert_eq!(fks, schema.foreign_key_count());
        let agents = tables
            .iter()
            .find(|t| t["name"] == "agents")
            .cloned()
            .unwrap_or_default();
        let tier = agents["columns"]
            .as_array()
            .and_then(|c| c.iter().find(|c| c["name"] == "model_tier"))
            .cloned()
            .unwrap_or_default();
        assert_eq!(
            tier,
            serde_json::json!({
                "name": "model_tier", "type": "text", "nullable": true, "default": "'cheap'",
                "primary_key": false, "autoincrement": false, "unique": false
            })
        );
        let rules = tables
            .iter()
            .find(|t| t["name"] == "context_rules")
            .cloned()
            .unwrap_or_default();
        assert_eq!(
            rules["foreign_keys"],
            serde_json::json!([{
                "columns": ["agent_id"], "references": { "table": "agents", "columns": ["id"] },
                "on_delete": "set_null", "on_update": "no_action", "nullable": true, "unique": false
            }])
        );
    }
}
