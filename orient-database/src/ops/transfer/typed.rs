//! Values checked against the type the struct declares before they are written: what makes the
//! transfer "typed by the model". SQLite keeps whatever was written (a text in an INTEGER column, a
//! 64-bit number where the struct says `i32`); PostgreSQL refuses it, or worse, a tool moving rows
//! as text turns it into something else (the INTEGER/BIGINT width skew pgloader users meet). Here such
//! a value stops the transfer with its table, column and row named, before anything is committed.

use crate::model::ColumnType;
use crate::ops::content::ContentValue;

/// `value` as a value of `ty`, or a description of what it is instead.
pub fn typed(value: ContentValue, ty: ColumnType) -> Result<ContentValue, String> {
    use ContentValue as V;
    match (value, ty) {
        (V::Null, _) => Ok(V::Null),
        (V::Integer(n), ColumnType::Integer) if i32::try_from(n).is_err() => Err(format!(
            "the integer {n}, beyond the 32-bit range of an i32 column"
        )),
        (V::Integer(n), ColumnType::Bool) if n != 0 && n != 1 => {
            Err(format!("the integer {n}, neither 0 nor 1"))
        }
        (
            V::Integer(n),
            ColumnType::Integer | ColumnType::BigInt | ColumnType::Timestamp | ColumnType::Bool,
        ) => Ok(V::Integer(n)),
        (V::Real(x), ColumnType::Double) => Ok(V::Real(x)),
        (V::Text(t), ColumnType::Text | ColumnType::Json | ColumnType::Numeric) => Ok(V::Text(t)),
        (V::Blob(b), ColumnType::Binary) => Ok(V::Blob(b)),
        (other, _) => Err(describe(&other)),
    }
}

/// A value as a message shows it (long texts cut).
pub fn describe(value: &ContentValue) -> String {
    match value {
        ContentValue::Null => "NULL".to_owned(),
        ContentValue::Integer(n) => format!("the integer {n}"),
        ContentValue::Real(x) => format!("the real {x}"),
        ContentValue::Text(t) => {
            let cut: String = t.chars().take(40).collect();
            let more = if cut.len() < t.len() { "…" } else { "" };
            format!("the text {cut:?}{more}")
        }
        ContentValue::Blob(b) => format!("a blob of {} bytes", b.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ContentValue as V;

    #[test]
    fn values_of_the_declared_type_pass_and_others_are_described() {
        assert_eq!(typed(V::Integer(7), ColumnType::BigInt), Ok(V::Integer(7)));
        assert_eq!(typed(V::Null, ColumnType::Bool), Ok(V::Null));
        assert_eq!(typed(V::Integer(1), ColumnType::Bool), Ok(V::Integer(1)));
        assert!(
            typed(V::Integer(1 << 40), ColumnType::Integer).is_err_and(|e| e.contains("32-bit"))
        );
        assert!(typed(V::Integer(2), ColumnType::Bool).is_err_and(|e| e.contains("0 nor 1")));
        assert!(
            typed(V::Text("soon".into()), ColumnType::Timestamp)
                .is_err_and(|e| e.contains("\"soon\""))
        );
        assert!(typed(V::Real(0.5), ColumnType::BigInt).is_err());
    }
}
