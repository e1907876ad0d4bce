//! `-- orient:allow CODE reason`: accepting a finding in the migration itself, where a reviewer sees it.
//!
//! An allow is a `--` comment between the previous statement and the statement it is about, and
//! accepts ONE finding of its code on that statement (two findings of one code need two allows). It
//! must name a known code and give a reason; one that does not is itself a finding (OL001) and accepts
//! nothing. An allow that accepts nothing (stale, misplaced, after the last statement) is a finding too
//! (OL002). There is no file-wide allow: each accepted hazard is named where it happens.

use super::finding::Code;

/// The marker an allow comment starts with (after `--`).
pub const MARKER: &str = "orient:allow";

/// One allow comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allow {
    pub line: u64,
    /// The comment, for messages.
    pub text: String,
    pub parsed: Result<(Code, String), String>,
}

/// The allows among `comments` (line, text without `--`).
pub fn allows(comments: &[(u64, String)]) -> Vec<Allow> {
    comments
        .iter()
        .filter_map(|(line, text)| {
            let rest = text.trim().strip_prefix(MARKER)?;
            Some(Allow {
                line: *line,
                text: format!("-- {}", text.trim()),
                parsed: parse(rest),
            })
        })
        .collect()
}

fn parse(rest: &str) -> Result<(Code, String), String> {
    let rest = rest.trim();
    let (code, reason) = rest
        .split_once(char::is_whitespace)
        .map(|(c, r)| (c, r.trim()))
        .unwrap_or((rest, ""));
    if code.is_empty() {
        return Err("the allow names no code".to_owned());
    }
    let Some(code) = Code::parse(code) else {
        return Err(format!(
            "`{code}` is not a lint code (the codes are OL101…OL402, listed by README \"Lint\")"
        ));
    };
    if reason.is_empty() {
        return Err(format!("the allow of {code} gives no reason"));
    }
    Ok((code, reason.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_allow_names_a_code_and_a_reason() {
        let found = allows(&[
            (3, "orient:allow OL101 the table was never used".to_owned()),
            (4, "orient:allow ol102".to_owned()),
            (5, "orient:allow OL999 because".to_owned()),
            (6, "an ordinary comment".to_owned()),
        ]);
        assert_eq!(found.len(), 3);
        assert_eq!(
            found[0].parsed,
            Ok((Code::DropTable, "the table was never used".to_owned()))
        );
        assert_eq!(
            found[1].parsed,
            Err("the allow of OL102 gives no reason".to_owned())
        );
        assert!(found[2].parsed.as_ref().is_err_and(|e| e.contains("OL999")));
    }
}
