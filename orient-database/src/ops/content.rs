//! What the content checksum ([`crate::ops::checksum`]) reads: the tables whose rows are content and
//! each value by what it is. Every engine's row reader (SQLite's: `dialect/sqlite/content.rs`) produces
//! these, and the checksum hashes them, so neither side depends on the other.

/// One value, as the checksum sees it.
#[derive(Debug, Clone, PartialEq)]
pub enum ContentValue {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

/// A table whose rows are content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentTable {
    pub name: String,
    /// Its columns, in byte order of their names.
    pub columns: Vec<String>,
    /// Its primary key's columns, in key order; empty without one.
    pub key: Vec<String>,
}

impl ContentTable {
    /// What rows are ordered by: the primary key, or every column.
    pub fn order_columns(&self) -> &[String] {
        if self.key.is_empty() {
            &self.columns
        } else {
            &self.key
        }
    }
}
