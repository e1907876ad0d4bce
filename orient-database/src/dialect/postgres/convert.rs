//! Converting a column's values between types in SQL, the three ways the engine needs it:
//!
//! - [`strict`]: the `USING` expression of `ALTER COLUMN … TYPE` when no data loss was accepted: a value
//!   that does not convert fails the statement, and the transaction with it;
//! - [`lenient`]: the same, but a value that would fail takes the type's zero value (data loss accepted;
//!   SQLite's `CAST` does the same);
//! - [`lossy`]: the condition of rows whose value would fail to convert, or come back different when
//!   converted back (`'007'` → 7 → `'7'`, 1.5 → 2, 3e9 → out of range): what a narrowing loses.
//!
//! PostgreSQL 15 has no `pg_input_is_valid` (16 has), so "would fail" is predicted from the text with
//! regular expressions and from ranges, following the input functions (`int4in`, `float8in`, `boolin`,
//! `numeric_in`: surrounding whitespace allowed, `float8`→integer rounds to the nearest). `CASE` keeps a
//! conversion from being evaluated on a value it would fail on (PostgreSQL does not promise the
//! evaluation order of `AND`).
//!
//! Every function takes canonical PostgreSQL types ([`crate::sql::Dialect::canonical_type`]) and an
//! already-quoted expression.

use crate::dialect::postgres::Postgres;
use crate::model::ColumnType;
use crate::sql::Dialect;

const INT4: (&str, &str) = ("-2147483648", "2147483647");
const INT8: (&str, &str) = ("-9223372036854775808", "9223372036854775807");
/// Integers as `int4in`/`int8in` read them.
const INTEGER_TEXT: &str = r"'^\s*[+-]?[0-9]+\s*$'";
/// Decimal numbers as `numeric_in`/`float8in` read them (exponents of up to four digits: beyond, no
/// `float8` holds the value).
const DECIMAL_TEXT: &str = r"'^\s*[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]{1,4})?\s*$'";
const SPECIAL_FLOAT_TEXT: &str = r"'^\s*[+-]?(inf|infinity|nan)\s*$'";
/// Every spelling `boolin` accepts (unique prefixes of true/false/yes/no, on/off, 1/0), any case.
const BOOL_TEXT: &str =
    r"'^\s*(t|tr|tru|true|y|ye|yes|on|of|off|f|fa|fal|fals|false|n|no|1|0)\s*$'";

fn ty(t: ColumnType) -> &'static str {
    Postgres.storage_type(t)
}

/// `x` ready for a postfix cast: a quoted identifier as it is, anything else in parentheses.
fn atom(x: &str) -> String {
    let simple = x.len() >= 2
        && x.starts_with('"')
        && x.ends_with('"')
        && !x[1..x.len() - 1].replace("\"\"", "").contains('"');
    if simple {
        x.to_owned()
    } else {
        format!("({x})")
    }
}

fn is_number(t: ColumnType) -> bool {
    matches!(
        t,
        ColumnType::Integer | ColumnType::BigInt | ColumnType::Double | ColumnType::Numeric
    )
}

/// `x` (of type `from`) converted to `to`; fails on a value that does not convert.
pub fn strict(x: &str, from: ColumnType, to: ColumnType) -> String {
    use ColumnType::{Binary, Bool, Integer, Text};
    let a = atom(x);
    match (from, to) {
        _ if from == to => x.to_owned(),
        (Bool, Integer) => format!("{a}::integer"),
        (Bool, t) if is_number(t) => format!("{a}::integer::{}", ty(t)),
        (f, Bool) if is_number(f) => format!("({a} <> 0)"),
        (Binary, Text) => format!("encode({x}, 'escape')"),
        (Binary, t) => strict(&format!("encode({x}, 'escape')"), Text, t),
        (Text, Binary) => format!("convert_to({x}, 'UTF8')"),
        (_, Binary) => format!("convert_to({a}::text, 'UTF8')"),
        (_, t) => format!("{a}::{}", ty(t)),
    }
}

/// The condition under which [`strict`] fails on a non-NULL `x`; `None` when it never does.
pub fn failure(x: &str, from: ColumnType, to: ColumnType) -> Option<String> {
    use ColumnType::{BigInt, Binary, Bool, Double, Integer, Numeric, Text};
    let a = atom(x);
    let text_integer = |(low, high): (&str, &str)| {
        format!(
            "CASE WHEN {x} ~ {INTEGER_TEXT} THEN {a}::numeric NOT BETWEEN {low} AND {high} ELSE true END"
        )
    };
    match (from, to) {
        _ if from == to => None,
        (Binary, t) => failure(&format!("encode({x}, 'escape')"), Text, t),
        (Text, Integer) => Some(text_integer(INT4)),
        (Text, BigInt) => Some(text_integer(INT8)),
        (Text, Double) => Some(format!(
            "CASE WHEN {x} ~* {SPECIAL_FLOAT_TEXT} THEN false \
             WHEN {x} ~ {DECIMAL_TEXT} THEN {a}::numeric <> 0 AND abs({a}::numeric) NOT BETWEEN 1e-307 AND 1.7976931348623157e308 \
             ELSE true END"
        )),
        (Text, Numeric) => Some(format!(
            "NOT ({x} ~* {SPECIAL_FLOAT_TEXT} OR {x} ~ {DECIMAL_TEXT})"
        )),
        (Text, Bool) => Some(format!("{x} !~* {BOOL_TEXT}")),
        (BigInt, Integer) => Some(format!("{x} NOT BETWEEN {} AND {}", INT4.0, INT4.1)),
        // numeric → integer rounds half away from zero, like round().
        (Numeric, Integer) => Some(format!("round({x}) NOT BETWEEN {} AND {}", INT4.0, INT4.1)),
        (Numeric, BigInt) => Some(format!("round({x}) NOT BETWEEN {} AND {}", INT8.0, INT8.1)),
        // float8 → integer rounds to the nearest (rint); NaN sorts above every number in PostgreSQL, so
        // it fails the upper bound, as it fails the conversion.
        (Double, Integer) => Some(format!(
            "NOT ({x} >= -2147483648.5::float8 AND {x} < 2147483647.5::float8)"
        )),
        (Double, BigInt) => Some(format!(
            "NOT ({x} >= '-9223372036854775808'::float8 AND {x} < '9223372036854775808'::float8)"
        )),
        (Numeric, Double) => Some(format!(
            "{x} <> 'NaN'::numeric AND abs({x}) <> 'Infinity'::numeric \
             AND (abs({x}) > 1.7976931348623157e308 OR ({x} <> 0 AND abs({x}) < 1e-307))"
        )),
        _ => None,
    }
}

/// The type's zero value, what a value that cannot be converted becomes when the loss is accepted.
fn zero(to: ColumnType) -> String {
    match to {
        ColumnType::Bool => "false".to_owned(),
        ColumnType::Text | ColumnType::Json => "''::text".to_owned(),
        ColumnType::Binary => r"'\x'::bytea".to_owned(),
        t => format!("0::{}", ty(t)),
    }
}

/// `x` converted to `to`, a value that cannot be converted taking the type's zero value; NULL stays NULL.
pub fn lenient(x: &str, from: ColumnType, to: ColumnType) -> String {
    match failure(x, from, to) {
        None => strict(x, from, to),
        Some(fails) => format!(
            "CASE WHEN {x} IS NULL THEN NULL WHEN {fails} THEN {} ELSE {} END",
            zero(to),
            strict(x, from, to)
        ),
    }
}

/// The condition of rows whose `x` would fail to convert from `from` to `to`, or would not come back
/// equal when converted back; `None` when no value can.
pub fn lossy(x: &str, from: ColumnType, to: ColumnType) -> Option<String> {
    use ColumnType::{BigInt, Binary, Bool, Double, Integer, Numeric, Text};
    let exact = matches!(
        (from, to),
        (Integer, BigInt | Double | Numeric | Text)
            | (BigInt, Numeric | Text)
            | (Bool, Integer | BigInt | Double | Numeric | Text)
            | (Double | Numeric, Text)
            | (_, Binary)
    );
    if from == to || exact {
        return None;
    }
    let converted = atom(&strict(x, from, to));
    let back = lenient(&converted, to, from);
    let differs = format!("{x} IS DISTINCT FROM {back}");
    Some(match failure(x, from, to) {
        None => format!("{x} IS NOT NULL AND {differs}"),
        Some(fails) => {
            format!("{x} IS NOT NULL AND CASE WHEN {fails} THEN true ELSE {differs} END")
        }
    })
}
