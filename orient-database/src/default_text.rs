//! Default expressions as the catalogs give them back, whatever the engine: the text-level
//! normalising both dialects' `default_sql` need before they read a value out of it.

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
