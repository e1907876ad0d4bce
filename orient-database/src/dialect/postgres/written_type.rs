//! The model's type of a column type as a PostgreSQL migration writes it (`CREATE TABLE`, `ADD COLUMN`,
//! `ALTER COLUMN … TYPE`), read from the SQL without a server. `generate` needs it where SQLite's replay
//! cannot tell: SQLite keeps `integer` for `i32`, `i64` and `bool` alike, PostgreSQL keeps the width.

use sqlparser::ast::DataType;

use crate::model::ColumnType;

/// The type of the integer family (`integer`, `bigint`, `boolean` and their aliases) that `ty` is;
/// `None` for any other type, which SQLite's replay already tells apart.
pub fn integer_family(ty: &DataType) -> Option<ColumnType> {
    match ty.to_string().to_lowercase().as_str() {
        "integer" | "int" | "int4" | "serial" | "serial4" => Some(ColumnType::Integer),
        "bigint" | "int8" | "bigserial" | "serial8" => Some(ColumnType::BigInt),
        "boolean" | "bool" => Some(ColumnType::Bool),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlparser::ast::{ExactNumberInfo, TimezoneInfo};

    #[test]
    fn the_integer_family_is_read_at_its_width_and_other_types_are_left_alone() {
        assert_eq!(
            integer_family(&DataType::Integer(None)),
            Some(ColumnType::Integer)
        );
        assert_eq!(
            integer_family(&DataType::Int4(None)),
            Some(ColumnType::Integer)
        );
        assert_eq!(
            integer_family(&DataType::BigInt(None)),
            Some(ColumnType::BigInt)
        );
        assert_eq!(integer_family(&DataType::Boolean), Some(ColumnType::Bool));
        assert_eq!(integer_family(&DataType::Text), None);
        assert_eq!(
            integer_family(&DataType::Numeric(ExactNumberInfo::None)),
            None
        );
        assert_eq!(
            integer_family(&DataType::Timestamp(None, TimezoneInfo::None)),
            None
        );
    }
}
