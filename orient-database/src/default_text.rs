//! Default expressions as the catalogs give them back, whatever the engine: the text-level
//! normalising both dialects' `default_sql` need before they read a value out of it.

use crate::model::{DefaultValue, Name};

/// `((x))` → `x`, but `(a) + (b)` stays whole: only parentheses that enclose everything are removed.
pub fn strip_outer_parens(mut text: &str) -> &str {
    while text.starts_with('(') && text.ends_with(')') && encloses_all(text) {
        text = text[1..text.len() - 1].trim();
    }
    text
}

fn encloses_all(text: &str) -> bool {
    let mut depth = 0usize;
    let mut in_string = false;
    for (i, ch) in text.char_indices() {
        match ch {
            '\'' => in_string = !in_string,
            '(' if !in_string => depth += 1,
            ')' if !in_string => {
                depth = depth.saturating_sub(1);
                if depth == 0 && i != text.len() - 1 {
                    return false;
                }
            }
            _ => {}
        }
    }
    depth == 0
}

/// `current_timestamp` and `CURRENT_TIMESTAMP` are the same default.
/// `current_timestamp` and `CURRENT_TIMESTAMP` are the same default: one of the engine's `keywords`,
/// in any case, becomes that keyword; anything else is kept as it is.
pub fn normalize_keywords(text: &str, keywords: &[&str]) -> String {
    keywords
        .iter()
        .find(|keyword| text.eq_ignore_ascii_case(keyword))
        .map_or_else(|| text.to_owned(), |keyword| (*keyword).to_owned())
}

/// A number default as it compares: an integral number exactly representable as `f64` as an integer,
/// any other as its shortest `f64` spelling. Both engines store a number default in the column's type
/// (SQLite's REAL affinity turns `DEFAULT 3` into 3.0, PostgreSQL prints `3`, `3.0` or `'3'::numeric`
/// as written), so `3`, `3.0` and `3e0` are one default.
pub fn canonical_number(text: &str) -> DefaultValue {
    let text = text.trim();
    if let Ok(n) = text.parse::<i64>() {
        return DefaultValue::Integer(n);
    }
    match text.parse::<f64>() {
        Ok(value) if value.fract() == 0.0 && value.abs() < 9_007_199_254_740_992.0 => {
            // Exact: the value is an integer below 2^53.
            #[allow(clippy::cast_possible_truncation)]
            DefaultValue::Integer(value as i64)
        }
        Ok(value) => DefaultValue::Real(Name::Owned(format!("{value:?}"))),
        Err(_) => DefaultValue::Expression(Name::Owned(text.to_owned())),
    }
}
