//! Every `#[orient(...)]` attribute in one place; `main` checks the model and the insert struct.

use diesel::prelude::*;
use orient_database::Table;
use orient_database::model::{AppDefault, ColumnType, DefaultValue, FkAction, TableModel};
use orient_database::types::{Json, Timestamp};

orient_database::text_enum! {
    /// A kind of item.
    pub enum Kind { Plain = "plain", Fancy = "fancy" }
}

/// The parent table, with a text primary key.
#[derive(Table)]
#[orient(table = "owners")]
pub struct Owner {
    #[orient(primary_key)]
    pub id: String,
    #[orient(unique)]
    pub email: String,
}

/// The child table, exercising every attribute.
#[derive(Table)]
#[orient(table = "items", renamed_from = "things")]
#[orient(index(name = "idx_items_owner_kind", columns(owner_id, kind)))]
#[orient(unique_index(name = "idx_items_owner_slug", columns(owner_id, slug)))]
pub struct Item {
    #[orient(primary_key, autoincrement)]
    pub id: i64,
    #[orient(references = owners::id, on_delete = cascade, on_update = no_action)]
    pub owner_id: String,
    #[orient(references = owners::id, on_delete = set_null, on_update = "restrict")]
    pub reviewer_id: Option<String>,
    #[orient(unique = "idx_items_slug_unique", renamed_from = "handle")]
    pub slug: String,
    #[orient(index = "idx_items_title")]
    pub title: String,
    #[orient(sql_type = text, default = Kind::Plain)]
    pub kind: Kind,
    #[orient(sql_type = text)]
    pub other_kind: Option<Kind>,
    #[orient(column = "type", default = "book")]
    pub item_type: String,
    #[orient(default = -1)]
    pub position: i32,
    #[orient(default = -2.5)]
    pub score: f64,
    #[orient(default = 3)]
    pub weight: Option<f64>,
    #[orient(default = true)]
    pub visible: Option<bool>,
    #[orient(default = "[]")]
    pub tags: Json<Vec<String>>,
    pub payload: Option<Vec<u8>>,
    #[orient(default_now)]
    pub created_at: Timestamp,
    #[orient(default_now)]
    pub updated_at: Option<Timestamp>,
}

orient_database::register_tables! {
    owners => Owner,
    items => Item,
}

fn main() {
    assert_eq!(TABLES.len(), 2);
    let table = <Item as TableModel>::TABLE;
    assert_eq!(table.name, "items");
    assert_eq!(table.renamed_from.as_deref(), Some("things"));
    assert_eq!(table.primary_key.as_ref(), ["id"]);
    assert_eq!(<items::table as TableModel>::NAME, "items");

    let column = |name: &str| {
        table
            .column(name)
            .unwrap_or_else(|| panic!("no column `{name}`"))
    };
    assert!(column("id").autoincrement);
    assert_eq!(column("kind").ty, ColumnType::Text);
    assert_eq!(
        column("kind").default,
        Some(DefaultValue::Text("plain".into()))
    );
    assert!(column("other_kind").nullable);
    assert!(table.column("item_type").is_none());
    assert_eq!(
        column("type").default,
        Some(DefaultValue::Text("book".into()))
    );
    assert_eq!(column("position").ty, ColumnType::Integer);
    assert_eq!(column("position").default, Some(DefaultValue::Integer(-1)));
    assert_eq!(
        column("score").default,
        Some(DefaultValue::Real("-2.5".into()))
    );
    assert_eq!(column("weight").default, Some(DefaultValue::Integer(3)));
    assert_eq!(column("visible").default, Some(DefaultValue::Bool(true)));
    assert_eq!(column("tags").ty, ColumnType::Json);
    assert_eq!(
        column("tags").default,
        Some(DefaultValue::Text("[]".into()))
    );
    assert_eq!(column("payload").ty, ColumnType::Binary);
    assert_eq!(column("created_at").ty, ColumnType::Timestamp);
    assert_eq!(column("created_at").app_default, Some(AppDefault::Now));
    assert_eq!(column("slug").renamed_from.as_deref(), Some("handle"));

    let index_names: Vec<&str> = table.indexes.iter().map(|i| i.name.as_ref()).collect();
    assert_eq!(
        index_names,
        [
            "idx_items_slug_unique",
            "idx_items_title",
            "idx_items_owner_kind",
            "idx_items_owner_slug",
        ]
    );
    assert!(table.indexes[0].unique && !table.indexes[1].unique);
    assert!(!table.indexes[2].unique && table.indexes[3].unique);
    let owners = <Owner as TableModel>::TABLE;
    assert_eq!(owners.indexes[0].name, "owners_email_unique");

    assert_eq!(table.foreign_keys.len(), 2);
    assert_eq!(table.foreign_keys[0].references_table, "owners");
    assert_eq!(table.foreign_keys[0].references_columns.as_ref(), ["id"]);
    assert_eq!(table.foreign_keys[0].on_delete, FkAction::Cascade);
    assert_eq!(table.foreign_keys[0].on_update, FkAction::NoAction);
    assert_eq!(table.foreign_keys[1].on_delete, FkAction::SetNull);
    assert_eq!(table.foreign_keys[1].on_update, FkAction::Restrict);

    // `new` takes the columns without any default, and fills in the rest.
    let row = NewItem::new("owner-1", "my-slug", "My title");
    assert_eq!(row.owner_id, "owner-1");
    assert_eq!(row.reviewer_id, None);
    assert_eq!(row.kind, Kind::Plain);
    assert_eq!(row.other_kind, None);
    assert_eq!(row.item_type, "book");
    assert_eq!(row.position, -1);
    assert_eq!(row.score, -2.5);
    assert_eq!(row.weight, Some(3.0));
    assert_eq!(row.visible, Some(true));
    assert!(row.tags.into_inner().is_empty());
    assert_eq!(row.payload, None);
    assert_eq!(row.updated_at, Some(row.created_at));

    let owner = NewOwner::new("owner-1", "a@example.com");
    assert_eq!(owner.id, "owner-1");

    // Both ways, the join goes through the first key to `owners`, and renders as `joinable!`'s does.
    let inner = items::table.inner_join(owners::table).select(items::id);
    assert_eq!(
        diesel::debug_query::<diesel::sqlite::Sqlite, _>(&inner).to_string(),
        "SELECT `items`.`id` FROM (`items` INNER JOIN `owners` ON (`items`.`owner_id` = `owners`.`id`)) \
         -- binds: []"
    );
    let left = owners::table.left_join(items::table).select(owners::id);
    assert_eq!(
        diesel::debug_query::<diesel::sqlite::Sqlite, _>(&left).to_string(),
        "SELECT `owners`.`id` FROM (`owners` LEFT OUTER JOIN `items` ON (`items`.`owner_id` = \
         `owners`.`id`)) -- binds: []"
    );
}
