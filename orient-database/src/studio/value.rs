//! Values of any column, and reading user input into them by declared type.
//!
//! The studio shows tables it learns at run time, so it cannot use typed Diesel structs: a row is read as
//! a list of [`Value`]s (SQLite's five storage classes, and PostgreSQL's booleans; each engine decodes
//! its rows in its `dialect/…/studio.rs`), and input (filters, edits) is converted to a
//! `Value` by the column's declared [`ColumnType`] before it is bound as a parameter. Nothing typed by a
//! user is ever written into SQL text.

use serde::{Deserialize, Serialize};

use crate::model::ColumnType;

/// One value of a row.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Integer(i64),
    /// A boolean of an engine that has them (PostgreSQL); SQLite stores 0 and 1.
    Bool(bool),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

impl Value {
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The value as JSON for the page: numbers stay numbers (integers beyond 2^53 become strings, which
    /// JavaScript would otherwise round), blobs are described rather than sent.
    pub fn to_json(&self) -> serde_json::Value {
        const SAFE: i64 = 1 << 53;
        match self {
            Value::Null => serde_json::Value::Null,
            Value::Integer(n) if (-SAFE..=SAFE).contains(n) => serde_json::Value::from(*n),
            Value::Integer(n) => serde_json::Value::from(n.to_string()),
            // As SQLite shows them, so the page reads booleans the same from either engine.
            Value::Bool(b) => serde_json::Value::from(i64::from(*b)),
            Value::Real(x) => serde_json::Number::from_f64(*x)
                .map_or(serde_json::Value::Null, serde_json::Value::Number),
            Value::Text(t) => serde_json::Value::from(t.as_str()),
            Value::Blob(bytes) => serde_json::json!({
                "blob": bytes.len(),
                "hex": hex(&bytes[..bytes.len().min(32)]),
            }),
        }
    }

    /// The value as text, for keys in links and messages.
    pub fn to_text(&self) -> String {
        match self {
            Value::Null => "NULL".to_owned(),
            Value::Integer(n) => n.to_string(),
            Value::Bool(b) => i64::from(*b).to_string(),
            Value::Real(x) => x.to_string(),
            Value::Text(t) => t.clone(),
            Value::Blob(b) => format!("x'{}'", hex(b)),
        }
    }
}

/// A value inside a pagination cursor: tagged, so a text "5" and an integer 5 stay apart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum CursorValue {
    N,
    I(i64),
    Z(bool),
    R(f64),
    T(String),
    B(String),
}

impl From<&Value> for CursorValue {
    fn from(value: &Value) -> CursorValue {
        match value {
            Value::Null => CursorValue::N,
            Value::Integer(n) => CursorValue::I(*n),
            Value::Bool(b) => CursorValue::Z(*b),
            Value::Real(x) => CursorValue::R(*x),
            Value::Text(t) => CursorValue::T(t.clone()),
            Value::Blob(b) => CursorValue::B(hex(b)),
        }
    }
}

impl CursorValue {
    pub fn to_value(&self) -> Option<Value> {
        Some(match self {
            CursorValue::N => Value::Null,
            CursorValue::I(n) => Value::Integer(*n),
            CursorValue::Z(b) => Value::Bool(*b),
            CursorValue::R(x) => Value::Real(*x),
            CursorValue::T(t) => Value::Text(t.clone()),
            CursorValue::B(h) => Value::Blob(unhex(h)?),
        })
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| {
            text.get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect()
}

/// Why an input could not be read as a column's type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid(pub String);

/// Reads text typed into a filter or a key as a value of `ty`.
pub fn parse_text(ty: ColumnType, text: &str) -> Result<Value, Invalid> {
    let trimmed = text.trim();
    match ty {
        ColumnType::Bool => match trimmed.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "✓" => Ok(Value::Integer(1)),
            "false" | "0" | "no" | "✗" => Ok(Value::Integer(0)),
            _ => Err(Invalid(format!("`{text}` is not a boolean (true or false)"))),
        },
        ColumnType::Integer => trimmed
            .parse::<i32>()
            .map(|n| Value::Integer(i64::from(n)))
            .map_err(|_| Invalid(format!("`{text}` is not a 32-bit integer"))),
        ColumnType::BigInt => trimmed
            .parse::<i64>()
            .map(Value::Integer)
            .map_err(|_| Invalid(format!("`{text}` is not an integer"))),
        ColumnType::Timestamp => parse_timestamp(trimmed).map(Value::Integer).ok_or_else(|| {
            Invalid(format!(
                "`{text}` is not a time: give Unix seconds or a UTC date such as 2026-02-01 23:10:09"
            ))
        }),
        ColumnType::Double => trimmed
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .map(Value::Real)
            .ok_or_else(|| Invalid(format!("`{text}` is not a number"))),
        ColumnType::Numeric => Ok(trimmed
            .parse::<i64>()
            .map(Value::Integer)
            .or_else(|_| trimmed.parse::<f64>().map(Value::Real))
            .unwrap_or_else(|_| Value::Text(text.to_owned()))),
        ColumnType::Binary => unhex(trimmed)
            .map(Value::Blob)
            .ok_or_else(|| Invalid(format!("`{text}` is not hexadecimal bytes"))),
        ColumnType::Json => serde_json::from_str::<serde_json::Value>(text)
            .map(|v| Value::Text(v.to_string()))
            .map_err(|e| Invalid(format!("not valid JSON: {e}"))),
        ColumnType::Text => Ok(Value::Text(text.to_owned())),
    }
}

/// Reads a JSON value sent by the edit form as a value of `ty`. Strings are read as [`parse_text`] does
/// (form fields are text); `null` is only for nullable columns.
pub fn parse_json(
    ty: ColumnType,
    nullable: bool,
    input: &serde_json::Value,
) -> Result<Value, Invalid> {
    use serde_json::Value as J;
    match input {
        J::Null if nullable => Ok(Value::Null),
        J::Null => Err(Invalid("may not be empty (NOT NULL)".to_owned())),
        J::String(text) => parse_text(ty, text),
        J::Bool(b) => match ty {
            ColumnType::Bool | ColumnType::Integer | ColumnType::BigInt | ColumnType::Numeric => {
                Ok(Value::Integer(i64::from(*b)))
            }
            ColumnType::Json => Ok(Value::Text(input.to_string())),
            _ => Err(Invalid(format!("a {ty} column cannot hold `{b}`"))),
        },
        J::Number(n) => match ty {
            ColumnType::Double => n
                .as_f64()
                .map(Value::Real)
                .ok_or_else(|| Invalid(format!("`{n}` is not a number"))),
            ColumnType::Json => Ok(Value::Text(input.to_string())),
            ColumnType::Numeric => Ok(n
                .as_i64()
                .map(Value::Integer)
                .or_else(|| n.as_f64().map(Value::Real))
                .unwrap_or(Value::Null)),
            ColumnType::Text | ColumnType::Binary => Err(Invalid(format!(
                "a {ty} column takes text, not the number {n}"
            ))),
            _ => parse_text(ty, &n.to_string()),
        },
        J::Array(_) | J::Object(_) => match ty {
            ColumnType::Json => Ok(Value::Text(input.to_string())),
            _ => Err(Invalid(format!(
                "a {ty} column cannot hold a JSON document"
            ))),
        },
    }
}

/// Unix seconds, or a UTC date: `YYYY-MM-DD`, optionally followed by ` HH:MM[:SS]` (or `T…`, optional `Z`).
pub fn parse_timestamp(text: &str) -> Option<i64> {
    if let Ok(n) = text.parse::<i64>() {
        return Some(n);
    }
    let text = text.strip_suffix('Z').unwrap_or(text);
    let (date, time) = match text.find(['T', ' ']) {
        Some(i) => (&text[..i], Some(&text[i + 1..])),
        None => (text, None),
    };
    let mut parts = date.split('-');
    let year: i64 = parts.next()?.parse().ok()?;
    let month: i64 = parts.next()?.parse().ok()?;
    let day: i64 = parts.next()?.parse().ok()?;
    if parts.next().is_some() || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let mut seconds = 0;
    if let Some(time) = time {
        let mut parts = time.split(':');
        let h: i64 = parts.next()?.parse().ok()?;
        let m: i64 = parts.next()?.parse().ok()?;
        let s: i64 = match parts.next() {
            Some(s) => s.split('.').next()?.parse().ok()?,
            None => 0,
        };
        if parts.next().is_some() || h > 23 || m > 59 || s > 60 {
            return None;
        }
        seconds = h * 3600 + m * 60 + s;
    }
    Some(days_from_civil(year, month, day) * 86_400 + seconds)
}

/// (year, month, day) → days since 1970-01-01 (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Timestamp;

    #[test]
    fn dates_read_back_as_the_timestamp_they_display() {
        for seconds in [0, 1, 86_399, 951_782_400, 1_769_987_409, -86_401] {
            let shown = Timestamp::from_unix_seconds(seconds).to_string();
            assert_eq!(parse_timestamp(&shown), Some(seconds), "{shown}");
        }
        assert_eq!(parse_timestamp("2026-02-01"), Some(1_769_904_000));
        assert_eq!(parse_timestamp("2026-02-01 23:10"), Some(1_769_987_400));
        assert_eq!(parse_timestamp("2026-13-01"), None);
        assert_eq!(parse_timestamp("yesterday"), None);
    }

    #[test]
    fn input_is_checked_against_the_declared_type() {
        assert_eq!(parse_text(ColumnType::Bool, "true"), Ok(Value::Integer(1)));
        assert!(parse_text(ColumnType::Bool, "maybe").is_err());
        assert!(parse_text(ColumnType::Integer, "3000000000").is_err());
        assert_eq!(
            parse_text(ColumnType::Json, "[1, 2]"),
            Ok(Value::Text("[1,2]".into()))
        );
        assert!(parse_text(ColumnType::Json, "[1,").is_err());
        assert_eq!(
            parse_json(ColumnType::Text, true, &serde_json::Value::Null),
            Ok(Value::Null)
        );
        assert!(parse_json(ColumnType::Text, false, &serde_json::Value::Null).is_err());
        assert!(parse_json(ColumnType::Text, false, &serde_json::json!(5)).is_err());
        assert_eq!(
            parse_json(ColumnType::Json, false, &serde_json::json!({"a": 1})),
            Ok(Value::Text("{\"a\":1}".into()))
        );
    }

    #[test]
    fn cursor_values_keep_their_storage_class() {
        for value in [
            Value::Null,
            Value::Integer(5),
            Value::Bool(true),
            Value::Text("5".into()),
            Value::Real(0.5),
            Value::Blob(vec![0, 255]),
        ] {
            assert_eq!(CursorValue::from(&value).to_value(), Some(value));
        }
    }
}
