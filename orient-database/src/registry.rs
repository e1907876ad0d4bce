//! The one list of tables: what "required tables" means for `check`, what migrations are generated from,
//! and what Diesel may join.
//!
//! [`register_tables!`](crate::register_tables) takes `table_module => Struct` pairs and emits
//! `allow_tables_to_appear_in_same_query!` for all of them, the `TABLES` constant, and a compile-time
//! check that no two structs declare the same SQL table.

/// Registers every table of a schema. Adding a table is one line here; forgetting to is caught by the
/// schema tests, which compare this list with the structs that derive `Table`.
#[macro_export]
macro_rules! register_tables {
    ($($table:ident => $model:ty),+ $(,)?) => {
        $crate::__private::diesel::allow_tables_to_appear_in_same_query!($($table),+);

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
    };
}

/// The message of a duplicate-table error, built at compile time (const code cannot format).
#[doc(hidden)]
#[derive(Debug)]
pub struct ConstMessage {
    bytes: [u8; 256],
    len: usize,
}

impl ConstMessage {
    const fn new() -> ConstMessage {
        ConstMessage {
            bytes: [0; 256],
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
            Err(_) => "two registered structs declare the same table",
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

#[cfg(test)]
mod tests {
    use super::duplicate_table;

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
}
