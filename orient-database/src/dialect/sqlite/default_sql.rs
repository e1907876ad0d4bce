//! Reading SQLite `DEFAULT` clauses back into values, and the canonical form defaults are compared in.
//!
//! SQLite keeps a default as the text that was written (`pragma_table_info.dflt_value`), so the same
//! default can read `true`, `1` or `(1)` depending on who created the table.

use crate::default_text::{canonical_number, normalize_keywords, strip_outer_parens};
use crate::model::{DefaultValue, Name};

/// The keywords SQLite accepts as a default, in the case it writes them.
const KEYWORDS: [&str; 3] = ["CURRENT_TIMESTAMP", "CURRENT_DATE", "CURRENT_TIME"];

/// Parses the text of a `DEFAULT` clause as SQLite reports it.
pub fn parse(text: &str) -> DefaultValue {
    let trimmed = text.trim();
    let inner = strip_outer_parens(trimmed);
    if let Some(literal) = parse_literal(inner) {
        return literal;
    }
    DefaultValue::Expression(Name::Owned(normalize_keywords(trimmed, &KEYWORDS)))
}

/// The value a default is compared by, or `None` when it changes nothing on insert (`DEFAULT NULL`).
pub fn canonical(default: &DefaultValue) -> Option<DefaultValue> {
    match default {
        DefaultValue::Null => None,
        DefaultValue::Bool(b) => Some(DefaultValue::Integer(i64::from(*b))),
        DefaultValue::Integer(n) => Some(DefaultValue::Integer(*n)),
        DefaultValue::Real(text) => Some(canonical_number(text)),
        DefaultValue::Text(text) => Some(DefaultValue::Text(text.clone())),
        DefaultValue::Expression(expr) => match parse(expr) {
            DefaultValue::Expression(expr) => Some(DefaultValue::Expression(expr)),
            literal => canonical(&literal),
        },
    }
}

fn parse_literal(text: &str) -> Option<DefaultValue> {
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
        // A single string literal: every quote inside must be doubled (`'a' || 'b'` is not one).
        if body.replace("''", "").contains('\'') {
            return None;
        }
        return Some(DefaultValue::Text(Name::Owned(body.replace("''", "'"))));
    }
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    let negative = text.starts_with('-');
    if let Some(hex) = unsigned
        .strip_prefix("0x")
        .or_else(|| unsigned.strip_prefix("0X"))
    {
        return i64::from_str_radix(hex, 16)
            .ok()
            .map(|n| DefaultValue::Integer(if negative { -n } else { n }));
    }
    if !unsigned.is_empty() && unsigned.bytes().all(|b| b.is_ascii_digit()) {
        return Some(match text.parse::<i64>() {
            Ok(n) => DefaultValue::Integer(n),
            Err(_) => DefaultValue::Real(Name::Owned(text.to_owned())),
        });
    }
    let numeric_chars = unsigned
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'));
    if numeric_chars && unsigned.bytes().any(|b| b.is_ascii_digit()) && text.parse::<f64>().is_ok()
    {
        return Some(DefaultValue::Real(Name::Owned(text.to_owned())));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(text: &str) -> Option<DefaultValue> {
        canonical(&parse(text))
    }

    #[test]
    fn the_spellings_of_one_default_compare_equal() {
        assert_eq!(canon("true"), canon("1"));
        assert_eq!(canon("TRUE"), canon("(1)"));
        assert_eq!(canon("false"), canon("0"));
        assert_eq!(canon("'cheap'"), canon("('cheap')"));
        assert_eq!(canon("1.50"), canon("1.5"));
        assert_eq!(canon("current_timestamp"), canon("CURRENT_TIMESTAMP"));
        assert_eq!(canon("NULL"), None);
        assert_ne!(canon("'1'"), canon("1"));
        // A REAL column stores `DEFAULT 3` as 3.0: one default, however it is spelled.
        assert_eq!(canon("3"), canonical(&DefaultValue::Real("3".into())));
        assert_eq!(canon("3.0"), canon("3"));
        assert_ne!(canon("true"), canon("2"));
    }

    #[test]
    fn parses_literals() {
        assert_eq!(parse("'it''s'"), DefaultValue::Text("it's".into()));
        assert_eq!(parse("'[]'"), DefaultValue::Text("[]".into()));
        assert_eq!(parse("-12"), DefaultValue::Integer(-12));
        assert_eq!(parse("0x10"), DefaultValue::Integer(16));
        assert_eq!(
            parse("(unixepoch())"),
            DefaultValue::Expression("(unixepoch())".into())
        );
        assert_eq!(
            parse("(1) + (2)"),
            DefaultValue::Expression("(1) + (2)".into())
        );
        assert_eq!(
            parse("'a' || 'b'"),
            DefaultValue::Expression("'a' || 'b'".into())
        );
    }
}
