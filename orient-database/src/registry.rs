//! The one list of tables: what "required tables" means for `check`, what migrations are generated from,
//! and what Diesel may join.
//!
//! [`register_tables!`](crate::register_tables) takes `table_module => Struct` pairs and emits
//! `allow_tables_to_appear_in_same_query!` for all of them, the `TABLES` constant, and compile-time
//! checks that no two structs declare the same SQL table and that every foreign key references a
//! registered table.

use std::borrow::Cow;

use crate::model::{ForeignKey, Name, Table};

/// Registers every table of a schema. Adding a table is one line here; forgetting to is caught by the
/// schema tests, which compare this list with the structs that derive `Table`.
#[macro_export]
macro_rules! register_tables {
    ($($table:ident => $model:ty),+ $(,)?) => {
        $crate::register_tables!(@joins $($table),+);

        /// Every registered table's declared model, in registration order.
        pub const TABLES: &[&$crate::model::Table] =
            &[$(&<$model as $crate::model::TableModel>::TABLE),+];

        const _: () = match $crate::registry::duplicate_table(
            &[$(<$model as $crate::model::TableModel>::NAME),+],
            &[$(stringify!($model)),+],
        ) {
            Some(message) => panic!("{}", message.as_str()),
            None => {}
        };

        const _: () = match $crate::registry::unregistered_reference(
            TABLES,
            &[$(stringify!($model)),+],
        ) {
            Some(message) => panic!("{}", message.as_str()),
            None => {}
        };
    };
    // Diesel's macro wants two tables or more; one table has no other to appear with.
    (@joins $only:ident) => {};
    (@joins $($table:ident),+) => {
        $crate::__private::diesel::allow_tables_to_appear_in_same_query!($($table),+);
    };
}

/// The message of a duplicate-table error, built at compile time (const code cannot format).
#[doc(hidden)]
#[derive(Debug)]
pub struct ConstMessage {
    bytes: [u8; 512],
    len: usize,
}

impl ConstMessage {
    const fn new() -> ConstMessage {
        ConstMessage {
            bytes: [0; 512],
            len: 0,
        }
    }

    const fn push(mut self, text: &str) -> ConstMessage {
        let text = text.as_bytes();
        let mut i = 0;
        while i < text.len() && self.len < self.bytes.len() {
            self.bytes[self.len] = text[i];
            self.len += 1;
            i += 1;
        }
        self
    }

    pub const fn as_str(&self) -> &str {
        let (used, _) = self.bytes.split_at(self.len);
        match core::str::from_utf8(used) {
            Ok(text) => text,
            // Only when truncation split a character; the names are ASCII in practice.
            Err(_) => {
                "register_tables!: a registered table is declared wrongly (message truncated)"
            }
        }
    }
}

const fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// The first pair of structs declaring the same table name, as an error message.
#[doc(hidden)]
pub const fn duplicate_table(names: &[&str], structs: &[&str]) -> Option<ConstMessage> {
    let mut i = 0;
    while i < names.len() {
        let mut j = i + 1;
        while j < names.len() {
            if same(names[i], names[j]) {
                return Some(
                    ConstMessage::new()
                        .push("duplicate table name `")
                        .push(names[i])
                        .push("`: both `")
                        .push(structs[i])
                        .push("` and `")
                        .push(structs[j])
                        .push("` declare it; give one of them another #[orient(table = \"…\")]"),
                );
            }
            j += 1;
        }
        i += 1;
    }
    None
}

/// A borrowed name; the derive's constants never hold owned ones.
const fn borrowed(name: &Name) -> &str {
    match name {
        Cow::Borrowed(text) => text,
        Cow::Owned(_) => "",
    }
}

/// The first foreign key whose table is not among `tables`, as an error message. A table that is not
/// registered is missing from migrations and `check`, and Diesel cannot join it: both are silent
/// until run time, so they are refused at compile time.
#[doc(hidden)]
pub const fn unregistered_reference(tables: &[&Table], structs: &[&str]) -> Option<ConstMessage> {
    let mut i = 0;
    while i < tables.len() {
        let keys: &[ForeignKey] = match &tables[i].foreign_keys {
            Cow::Borrowed(keys) => keys,
            Cow::Owned(_) => &[],
        };
        let mut k = 0;
        while k < keys.len() {
            let target = borrowed(&keys[k].references_table);
            let mut registered = false;
            let mut j = 0;
            while j < tables.len() {
                registered |= same(borrowed(&tables[j].name), target);
                j += 1;
            }
            if !registered {
                let column = match &keys[k].columns {
                    Cow::Borrowed([column, ..]) => borrowed(column),
                    _ => "",
                };
                return Some(
                    ConstMessage::new()
                        .push("`")
                        .push(structs[i])
                        .push("` has a foreign key `")
                        .push(borrowed(&tables[i].name))
                        .push(".")
                        .push(column)
                        .push("` to table `")
                        .push(target)
                        .push("`, which register_tables! does not list: add `")
                        .push(target)
                        .push(" => <its struct>` to it, or correct the `references`"),
                );
            }
            k += 1;
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::{duplicate_table, unregistered_reference};
    use crate::model::TableModel;
    use crate::schema::{Agent, AgentSkill, TABLES};

    #[test]
    fn names_the_duplicate_and_both_structs() {
        let message = duplicate_table(&["a", "b", "a"], &["A", "B", "C"]);
        assert_eq!(
            message.as_ref().map(|m| m.as_str()),
            Some(
                "duplicate table name `a`: both `A` and `C` declare it; give one of them another \
                 #[orient(table = \"…\")]"
            )
        );
        assert!(duplicate_table(&["a", "b"], &["A", "B"]).is_none());
    }

    #[test]
    fn names_the_struct_the_key_and_the_unregistered_table() {
        assert!(unregistered_reference(TABLES, &[]).is_none());
        let message = unregistered_reference(&[&AgentSkill::TABLE], &["AgentSkill"]);
        assert_eq!(
            message.as_ref().map(|m| m.as_str()),
            Some(
                "`AgentSkill` has a foreign key `agent_skills.agent_id` to table `agents`, which \
                 register_tables! does not list: add `agents => <its struct>` to it, or correct the \
                 `references`"
            )
        );
        assert!(
            unregistered_reference(
                &[&Agent::TABLE, &AgentSkill::TABLE],
                &["Agent", "AgentSkill"]
            )
            .is_none()
        );
    }
}
