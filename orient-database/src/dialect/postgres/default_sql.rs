//! Reading PostgreSQL `DEFAULT` expressions back into values, and the canonical form defaults are
//! compared in.
//!
//! PostgreSQL keeps a default as a parsed expression and prints it back (`pg_get_expr`) in its own
//! words: `DEFAULT -2` on a bigint column reads `'-2'::integer`, `DEFAULT 1.0` on a double column reads
//! `1.0`, `DEFAULT 'x'` on a text column reads `'x'::text`, `DEFAULT 'x'` on a varchar
//! `'x'::character varying`. The casts are stripped and quoted numbers read as numbers, so that each
//! reads as the value that was declared.

use crate::default_text::{canonical_number, normalize_keywords, strip_outer_parens};
use crate::model::{DefaultValue, Name};

/// The keyword defaults PostgreSQL reads back, in the case it writes them.
const KEYWORDS: [&str; 5] = [
    "CURRENT_TIMESTAMP",
    "CURRENT_DATE",
    "CURRENT_TIME",
    "CURRENT_USER",
    "LOCALTIMESTAMP",
];

/// Parses a default as `pg_get_expr` prints it.
pub fn parse(text: &str) -> DefaultValue {
    let trimmed = text.trim();
    let (inner, cast) = strip_casts(strip_outer_parens(trimmed));
    parse_literal(inner, cast).unwrap_or_else(|| {
        DefaultValue::Expression(Name::Owned(normalize_keywords(trimmed, &KEYWORDS)))
    })
}

/// The value a default is compared by, or `None` when it changes nothing on insert (`DEFAULT NULL`).
/// Numbers compare by value whatever their spelling (`1.0`, `1`, `'1'::numeric`): PostgreSQL stores a
/// number default in the column's type, whose printed form depends on how it was written.
pub fn canonical(default: &DefaultValue) -> Option<DefaultValue> {
    match default {
        DefaultValue::Null => None,
        DefaultValue::Bool(b) => Some(DefaultValue::Bool(*b)),
        DefaultValue::Integer(n) => Some(DefaultValue::Integer(*n)),
        DefaultValue::Real(text) => Some(canonical_number(text)),
        DefaultValue::Text(text) => Some(DefaultValue::Text(text.clone())),
        DefaultValue::Expression(expr) => match parse(expr) {
            DefaultValue::Expression(expr) => Some(DefaultValue::Expression(expr)),
            literal => canonical(&literal),
        },
    }
}

/// `'x'::character varying::text` → (`'x'`, `Some("character varying")`): the literal and the type of
/// the cast applied to it directly.
fn strip_casts(mut text: &str) -> (&str, Option<&str>) {
    let mut innermost = None;
    while let Some(at) = last_cast(text) {
        let ty = text[at + 2..].trim();
        if ty.is_empty()
            || !ty
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b" _\"(),[]".contains(&b))
        {
            break;
        }
        innermost = Some(ty);
        text = strip_outer_parens(text[..at].trim());
    }
    (text, innermost)
}

/// The position of the last `::` outside quotes and parentheses.
fn last_cast(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut in_string = false;
    let mut found = None;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\'' => in_string = !in_string,
            b'(' if !in_string => depth += 1,
            b')' if !in_string => depth = depth.saturating_sub(1),
            b':' if !in_string && depth == 0 && bytes.get(i + 1) == Some(&b':') => {
                found = Some(i);
                i += 1;
            }
            _ => {}
        }
        i += 1;
    }
    found
}

fn is_number_type(ty: &str) -> bool {
    let ty = ty.trim_matches('"').to_ascii_lowercase();
    let base = ty.split('(').next().unwrap_or("").trim();
    matches!(
        base,
        "integer"
            | "int"
            | "int2"
            | "int4"
            | "int8"
            | "smallint"
            | "bigint"
            | "numeric"
            | "decimal"
            | "real"
            | "float4"
            | "float8"
            | "double precision"
    )
}

fn parse_literal(text: &str, cast: Option<&str>) -> Option<DefaultValue> {
    if text.eq_ignore_ascii_case("null") {
        return Some(DefaultValue::Null);
    }
    if text.eq_ignore_ascii_case("true") {
        return Some(DefaultValue::Bool(true));
    }
    if text.eq_ignore_ascii_case("false") {
        return Some(DefaultValue::Bool(false));
    }
    if let Some(body) = text.strip_prefix('\'').and_then(|t| t.strip_suffix('\'')) {
        if body.replace("''", "").contains('\'') {
            return None;
        }
        let body = body.replace("''", "'");
        if cast.is_some_and(is_number_type) {
            return bare_number(&body);
        }
        if cast.is_some_and(|c| c.eq_ignore_ascii_case("boolean")) {
            return parse_literal(body.trim(), None).filter(|v| matches!(v, DefaultValue::Bool(_)));
        }
        return Some(DefaultValue::Text(Name::Owned(body)));
    }
    bare_number(text)
}

fn bare_number(text: &str) -> Option<DefaultValue> {
    let text = text.trim();
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    if unsigned.is_empty() || !unsigned.bytes().any(|b| b.is_ascii_digit()) {
        return None;
    }
    let numeric = unsigned
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'));
    if !numeric {
        return None;
    }
    if let Ok(n) = text.parse::<i64>() {
        return Some(DefaultValue::Integer(n));
    }
    text.parse::<f64>()
        .is_ok()
        .then(|| DefaultValue::Real(Name::Owned(text.to_owned())))
}

/// Whether a default is a sequence's next value (`nextval('t_id_seq'::regclass)`): a `serial` column,
/// which the model calls autoincrement.
pub fn is_sequence_default(text: &str) -> bool {
    text.trim_start()
        .get(..8)
        .is_some_and(|p| p.eq_ignore_ascii_case("nextval("))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(text: &str) -> Option<DefaultValue> {
        canonical(&parse(text))
    }

    #[test]
    fn postgres_spellings_read_as_the_declared_values() {
        // As PostgreSQL 15 prints the defaults of columns declared with these values.
        assert_eq!(
            canon("'-2'::integer"),
            canonical(&DefaultValue::Integer(-2))
        );
        assert_eq!(canon("10"), canonical(&DefaultValue::Integer(10)));
        assert_eq!(
            canon("'9007199254740993'::bigint"),
            Some(DefaultValue::Integer(9_007_199_254_740_993))
        );
        assert_eq!(
            canon("'-2.25'::numeric"),
            canonical(&DefaultValue::Real("-2.25".into()))
        );
        assert_eq!(canon("1.0"), canonical(&DefaultValue::Real("1.0".into())));
        assert_eq!(canon("1.0"), canonical(&DefaultValue::Integer(1)));
        assert_eq!(canon("0.5"), canonical(&DefaultValue::Real("0.50".into())));
        assert_eq!(
            canon("'it''s'::text"),
            canonical(&DefaultValue::Text("it's".into()))
        );
        assert_eq!(
            canon("'10'::text"),
            canonical(&DefaultValue::Text("10".into()))
        );
        assert_eq!(
            canon("'a'::character varying"),
            canonical(&DefaultValue::Text("a".into()))
        );
        assert_eq!(
            canon("'[]'::text"),
            canonical(&DefaultValue::Text("[]".into()))
        );
        assert_eq!(canon("true"), canonical(&DefaultValue::Bool(true)));
        assert_eq!(canon("false"), canonical(&DefaultValue::Bool(false)));
        assert_eq!(canon("NULL::text"), None);
        assert_eq!(
            canon("now()"),
            Some(DefaultValue::Expression("now()".into()))
        );
        assert_eq!(canon("current_timestamp"), canon("CURRENT_TIMESTAMP"));
        assert_ne!(canon("'10'::text"), canon("10"));
        assert_ne!(canon("true"), canon("1"));
        assert_ne!(canon("0.5"), canon("1"));
    }

    #[test]
    fn serial_defaults_are_recognised() {
        assert!(is_sequence_default("nextval('t_s_seq'::regclass)"));
        assert!(!is_sequence_default("'nextval'::text"));
    }
}
