//! Pictures of a schema: an entity-relationship diagram as [`mermaid`] text or as [`svg`] (laid out by
//! [`layout`]), and the schema as a documented [`json`] document.
//!
//! Everything here is a pure function of a [`Schema`]: `orient-db schema --format …` and the studio's
//! Diagram page call the same renderers, on the live database or on the declared structs. This file holds
//! what every renderer needs to agree on: which columns are keys ([`Keys`]), what each foreign key means
//! as a relationship ([`Relationship`]: optional? one-to-one?), and the logical types to show for a live
//! database ([`with_declared_types`]).

pub mod json;
pub mod layout;
pub mod mermaid;
pub mod svg;

use crate::model::{ForeignKey, Name, Schema, Table};
use crate::sql::Dialect;

/// The key roles of one column, as an ER diagram marks them (`PK`, `FK`, `UK`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Keys {
    /// Part of the primary key.
    pub primary: bool,
    /// Part of a foreign key.
    pub foreign: bool,
    /// Unique on its own (a one-column unique index or constraint), and not already the primary key.
    pub unique: bool,
}

impl Keys {
    pub fn of(table: &Table, column: &str) -> Keys {
        let primary = table.is_primary_key(column);
        let alone_is_key = primary && table.primary_key.len() == 1;
        Keys {
            primary,
            foreign: table
                .foreign_keys
                .iter()
                .any(|f| f.columns.iter().any(|c| c == column)),
            unique: !alone_is_key && is_unique_column(table, column),
        }
    }

    /// `PK`, `FK`, `UK`, in that order.
    pub fn labels(self) -> Vec<&'static str> {
        [
            (self.primary, "PK"),
            (self.foreign, "FK"),
            (self.unique, "UK"),
        ]
        .into_iter()
        .filter_map(|(on, label)| on.then_some(label))
        .collect()
    }

    pub fn is_empty(self) -> bool {
        !(self.primary || self.foreign || self.unique)
    }
}

/// Whether one column alone is unique: a unique index (or `UNIQUE` constraint) on exactly that column.
pub fn is_unique_column(table: &Table, column: &str) -> bool {
    table
        .indexes
        .iter()
        .any(|i| i.unique && i.columns.len() == 1 && i.columns.iter().all(|c| c == column))
}

/// Whether a set of columns can hold each combination of values at most once: it contains the whole
/// primary key or all the columns of a unique index.
pub fn is_unique_set(table: &Table, columns: &[Name]) -> bool {
    let covers = |key: &[Name]| !key.is_empty() && key.iter().all(|k| columns.contains(k));
    covers(&table.primary_key) || table.indexes.iter().any(|i| i.unique && covers(&i.columns))
}

/// One foreign key seen as a relationship between two tables: `child.columns → parent.references`.
#[derive(Debug, Clone, Copy)]
pub struct Relationship<'a> {
    /// The table holding the foreign key.
    pub child: &'a Table,
    pub foreign_key: &'a ForeignKey,
    /// A child row may point at no parent: a column of the key is nullable (SQL ignores a foreign key
    /// with a NULL in it). The parent side is then "zero or one" instead of "exactly one".
    pub optional: bool,
    /// A parent row has at most one child: the key's columns are unique in the child.
    pub one_to_one: bool,
    /// The key is part of the child's primary key (an identifying relationship).
    pub identifying: bool,
}

impl Relationship<'_> {
    pub fn parent(&self) -> &str {
        &self.foreign_key.references_table
    }

    /// The foreign key's columns, comma-separated: the relationship's label.
    pub fn label(&self) -> String {
        join(&self.foreign_key.columns)
    }
}

/// Every foreign key of the schema as a relationship, table by table, in declaration order.
pub fn relationships(schema: &Schema) -> Vec<Relationship<'_>> {
    schema
        .tables
        .iter()
        .flat_map(|table| {
            table.foreign_keys.iter().map(move |fk| Relationship {
                child: table,
                foreign_key: fk,
                optional: fk
                    .columns
                    .iter()
                    .any(|c| table.column(c).is_none_or(|column| column.nullable)),
                one_to_one: is_unique_set(table, &fk.columns),
                identifying: !table.primary_key.is_empty()
                    && fk.columns.iter().all(|c| table.is_primary_key(c)),
            })
        })
        .collect()
}

/// A live schema with the logical types of the structs: a live SQLite column only says `integer` or
/// `text`, while its struct says `bool`, `timestamp` or `json`. A declared type is shown only where the
/// dialect stores it the way the live column is stored; a column that drifted to another storage type, or
/// that no struct declares, keeps the type the database reports.
pub fn with_declared_types(live: &Schema, declared: &Schema, dialect: &dyn Dialect) -> Schema {
    let tables = live
        .tables
        .iter()
        .map(|table| {
            let mut table = table.clone();
            if let Some(declared) = declared.table(&table.name) {
                for column in table.columns.to_mut() {
                    if let Some(d) = declared.column(&column.name)
                        && dialect.canonical_type(d.ty) == dialect.canonical_type(column.ty)
                    {
                        column.ty = d.ty;
                    }
                }
            }
            table
        })
        .collect();
    Schema::new(tables)
}

/// The part of a schema a diagram of one table shows: the table, and the tables its foreign keys connect
/// it to in either direction, with only the foreign keys that touch the table. `None` when the schema has
/// no such table.
pub fn neighbourhood(schema: &Schema, name: &str) -> Option<Schema> {
    let focus = schema.table(name)?;
    let tables = schema
        .tables
        .iter()
        .filter(|t| {
            t.name == name
                || focus
                    .foreign_keys
                    .iter()
                    .any(|f| f.references_table == t.name)
                || t.foreign_keys.iter().any(|f| f.references_table == name)
        })
        .map(|t| {
            let mut t = t.clone();
            if t.name != name {
                t.foreign_keys
                    .to_mut()
                    .retain(|f| f.references_table == name);
            }
            t
        })
        .collect();
    Some(Schema::new(tables))
}

fn join(names: &[Name]) -> String {
    names
        .iter()
        .map(|n| n.as_ref())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
pub(crate) mod tests {
    use super::*;
    use crate::dialect::sqlite::Sqlite;
    use crate::model::{Column, ColumnType, FkAction, Index};
    use crate::schema::TABLES;

    /// A small schema with every kind of relationship: a required many-to-one, an optional one, a
    /// one-to-one, a self-reference and a composite unique index.
    pub(crate) fn small_schema() -> Schema {
        let mut users = Table::new("users");
        users.columns = vec![
            Column::new("id", ColumnType::BigInt).not_null(),
            Column::new("email", ColumnType::Text).not_null(),
            Column::new("manager_id", ColumnType::BigInt),
            Column::new("active", ColumnType::Bool)
                .not_null()
                .default(crate::model::DefaultValue::Bool(true)),
        ]
        .into();
        users.columns.to_mut()[0].autoincrement = true;
        users.primary_key = vec![Name::from("id")].into();
        users.indexes = vec![Index::new("users_email_unique", &["email"], true)].into();
        users.foreign_keys = vec![fk(&["manager_id"], "users", &["id"], FkAction::SetNull)].into();

        let mut posts = Table::new("posts");
        posts.columns = vec![
            Column::new("id", ColumnType::BigInt).not_null(),
            Column::new("author_id", ColumnType::BigInt).not_null(),
            Column::new("editor_id", ColumnType::BigInt),
            Column::new("slug", ColumnType::Text).not_null(),
            Column::new("body", ColumnType::Json),
            Column::new("published_at", ColumnType::Timestamp),
        ]
        .into();
        posts.primary_key = vec![Name::from("id")].into();
        posts.indexes = vec![Index::new(
            "posts_author_slug",
            &["author_id", "slug"],
            true,
        )]
        .into();
        posts.foreign_keys = vec![
            fk(&["author_id"], "users", &["id"], FkAction::Cascade),
            fk(&["editor_id"], "users", &["id"], FkAction::SetNull),
        ]
        .into();

        let mut profiles = Table::new("profiles");
        profiles.columns = vec![
            Column::new("user_id", ColumnType::BigInt).not_null(),
            Column::new("bio", ColumnType::Text),
        ]
        .into();
        profiles.primary_key = vec![Name::from("user_id")].into();
        profiles.foreign_keys = vec![fk(&["user_id"], "users", &["id"], FkAction::Cascade)].into();

        let mut settings = Table::new("settings");
        settings.columns = vec![
            Column::new("key", ColumnType::Text).not_null(),
            Column::new("value", ColumnType::Text),
        ]
        .into();
        settings.primary_key = vec![Name::from("key")].into();

        Schema::new(vec![users, posts, profiles, settings])
    }

    pub(crate) fn fk(
        columns: &[&str],
        table: &str,
        references: &[&str],
        on_delete: FkAction,
    ) -> ForeignKey {
        ForeignKey {
            columns: columns
                .iter()
                .map(|c| Name::from((*c).to_owned()))
                .collect(),
            references_table: Name::from(table.to_owned()),
            references_columns: references
                .iter()
                .map(|c| Name::from((*c).to_owned()))
                .collect(),
            on_delete,
            on_update: FkAction::NoAction,
        }
    }

    fn relationship<'a>(schema: &'a Schema, child: &str, column: &str) -> Relationship<'a> {
        relationships(schema)
            .into_iter()
            .find(|r| r.child.name == child && r.label() == column)
            .unwrap_or_else(|| panic!("no relationship {child}.{column}"))
    }

    #[test]
    fn relationships_know_optional_one_to_one_and_identifying_keys() {
        let schema = small_schema();
        let author = relationship(&schema, "posts", "author_id");
        assert!(!author.optional && !author.one_to_one && !author.identifying);
        let editor = relationship(&schema, "posts", "editor_id");
        assert!(editor.optional && !editor.one_to_one);
        let profile = relationship(&schema, "profiles", "user_id");
        assert!(!profile.optional && profile.one_to_one && profile.identifying);
        let manager = relationship(&schema, "users", "manager_id");
        assert!(manager.optional && !manager.one_to_one);
        assert_eq!(manager.parent(), "users");
        assert_eq!(relationships(&schema).len(), schema.foreign_key_count());
    }

    #[test]
    fn keys_mark_primary_foreign_and_unique_columns() {
        let schema = small_schema();
        let users = schema.table("users").unwrap();
        assert_eq!(Keys::of(users, "id").labels(), ["PK"]);
        assert_eq!(Keys::of(users, "email").labels(), ["UK"]);
        assert_eq!(Keys::of(users, "manager_id").labels(), ["FK"]);
        assert!(Keys::of(users, "active").is_empty());
        let posts = schema.table("posts").unwrap();
        // Unique only together with author_id: not UK on its own.
        assert!(Keys::of(posts, "slug").is_empty());
        let profiles = schema.table("profiles").unwrap();
        assert_eq!(Keys::of(profiles, "user_id").labels(), ["PK", "FK"]);
    }

    #[test]
    fn the_declared_one_to_one_is_user_version_preferences() {
        let schema = Schema::from_declared(TABLES);
        let one_to_one: Vec<String> = relationships(&schema)
            .iter()
            .filter(|r| r.one_to_one)
            .map(|r| format!("{}.{}", r.child.name, r.label()))
            .collect();
        assert_eq!(one_to_one, ["user_version_preferences.user_id"]);
        let optional: Vec<String> = relationships(&schema)
            .iter()
            .filter(|r| r.optional)
            .map(|r| format!("{}.{}", r.child.name, r.label()))
            .collect();
        assert_eq!(
            optional,
            ["approval_requests.policy_id", "context_rules.agent_id"]
        );
    }

    #[test]
    fn live_columns_get_the_declared_type_only_when_stored_the_same_way() {
        let declared = Schema::from_declared(TABLES);
        let mut live = declared.clone();
        for table in &mut live.tables {
            for column in table.columns.to_mut() {
                // What SQLite reports: integer or text affinity.
                column.ty = Sqlite.canonical_type(column.ty);
            }
        }
        let agents = live.tables.iter_mut().find(|t| t.name == "agents").unwrap();
        // Drift: `enabled` became text in the database.
        agents
            .columns
            .to_mut()
            .iter_mut()
            .find(|c| c.name == "enabled")
            .unwrap()
            .ty = ColumnType::Text;
        let mut extra = Table::new("notes");
        extra.columns = vec![Column::new("n", ColumnType::Integer)].into();
        live.tables.push(extra);
        let shown = with_declared_types(&live, &declared, &Sqlite);
        let ty = |t: &str, c: &str| shown.table(t).unwrap().column(c).unwrap().ty;
        assert_eq!(ty("agents", "enabled"), ColumnType::Text);
        assert_eq!(ty("agents", "created_at"), ColumnType::Timestamp);
        assert_eq!(
            ty("user_version_preferences", "dismissed_versions"),
            ColumnType::Json
        );
        assert_eq!(
            ty("user_version_preferences", "notifications_enabled"),
            ColumnType::Bool
        );
        assert_eq!(ty("notes", "n"), ColumnType::Integer);
        assert_eq!(shown.tables.len(), declared.tables.len() + 1);
    }

    #[test]
    fn a_neighbourhood_is_the_table_and_its_direct_relations() {
        let schema = Schema::from_declared(TABLES);
        let around = neighbourhood(&schema, "dashboard_users").unwrap();
        assert_eq!(
            around.table_names(),
            [
                "dashboard_users",
                "onboarder_sessions",
                "user_feature_flag_overrides",
                "user_version_preferences"
            ]
        );
        // The override's key to feature_flags leads out of the picture: left out.
        assert_eq!(around.foreign_key_count(), 3);
        let skills = neighbourhood(&schema, "agent_skills").unwrap();
        assert_eq!(skills.table_names(), ["agent_skills", "agents"]);
        assert_eq!(skills.foreign_key_count(), 1);
        assert!(neighbourhood(&schema, "nope").is_none());
    }
}
