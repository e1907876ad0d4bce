//! Checksums of applied migrations, kept beside the ledger in a table of ours ([`CHECKSUM_TABLE`], kept
//! by each engine's ledger), so that an applied migration edited afterwards is noticed instead of
//! silently diverging between databases.
//!
//! The checksum is the SHA-256 of the `up.sql` text after [`normalize`], which drops the whitespace that
//! does not change what the SQL says: re-indenting, trailing spaces, blank lines, `a,b` against `a, b`,
//! or CRLF line endings all hash the same, while any other edit (a string literal's spaces included)
//! does not.

use sha2::{Digest, Sha256};

/// The table beside the ledger that holds each applied migration's checksum (the `__orient_` prefix
/// keeps it out of introspection and drift checks). Each engine's ledger keeps it.
pub const CHECKSUM_TABLE: &str = "__orient_migration_checksums";

/// The checksum of a migration's `up.sql`: lowercase hex SHA-256 of [`normalize`]d text.
pub fn of(sql: &str) -> String {
    let digest = Sha256::digest(normalize(sql).as_bytes());
    let mut hex = String::with_capacity(64);
    for byte in digest {
        hex.push_str(&format!("{byte:02x}"));
    }
    hex
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    /// Letters, digits, `_`, `$` and any non-ASCII character: what identifiers, keywords and numbers
    /// are made of.
    Word,
    /// Characters that form multi-character operators (`<=`, `||`, `--`…).
    Operator,
    Other,
}

fn class(c: char) -> Class {
    if c.is_alphanumeric() || c == '_' || c == '$' || !c.is_ascii() {
        Class::Word
    } else if "-+*/<>=!|&%~^".contains(c) {
        Class::Operator
    } else {
        Class::Other
    }
}

/// Whether dropping the whitespace between a token ending in `before` and one starting with `after`
/// could change how the SQL reads, so one space has to stay.
fn needs_space(before: char, after: char) -> bool {
    let (b, a) = (class(before), class(after));
    (b == Class::Word && a == Class::Word)
        // `- -` is not `--` (a comment), `< =` is not `<=`.
        || (b == Class::Operator && a == Class::Operator)
        // `1 .5` is not `1.5`.
        || (before.is_ascii_digit() && after == '.')
        || (before == '.' && after.is_ascii_digit())
        // `x 'ab'` is not the blob literal `x'ab'`; `'a' 'b'` is not `'a''b'`.
        || (b == Class::Word && after == '\'')
        || (before == after && matches!(before, '\'' | '"' | '`'))
        || (before == ']' && after == '[')
}

/// The SQL with insignificant whitespace removed, token by token:
///
/// - string literals (`'…'`) and quoted identifiers (`"…"`, `` `…` ``, `[…]`) are kept verbatim;
/// - every other run of whitespace is dropped, except that one space stays where removing it would join
///   two tokens into a different one (two words, two operator characters, a number and a dot…);
/// - comments count (editing one is an edit) and follow the same whitespace rule inside; a line comment
///   ends with one newline, so it can never swallow what follows it.
pub fn normalize(sql: &str) -> String {
    let chars: Vec<char> = sql.chars().collect();
    let mut out = String::with_capacity(sql.len());
    let mut pending_space = false;
    let mut i = 0;
    // Appends one token, with a space before it when whitespace preceded it and the space matters.
    let push = |out: &mut String, pending_space: &mut bool, token: &[char]| {
        if *pending_space
            && let (Some(before), Some(&after)) = (out.chars().last(), token.first())
            && before != '\n'
            && needs_space(before, after)
        {
            out.push(' ');
        }
        *pending_space = false;
        out.extend(token);
    };
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            pending_space = true;
            i += 1;
            continue;
        }
        let start = i;
        match c {
            '\'' | '"' | '`' | '[' => {
                let close = if c == '[' { ']' } else { c };
                i += 1;
                loop {
                    match chars.get(i) {
                        None => break,
                        Some(&ch) if ch == close => {
                            // A doubled quote is an escaped quote inside the token (not for `[…]`).
                            if c != '[' && chars.get(i + 1) == Some(&close) {
                                i += 2;
                            } else {
                                i += 1;
                                break;
                            }
                        }
                        Some(_) => i += 1,
                    }
                }
                push(&mut out, &mut pending_space, &chars[start..i]);
            }
            '-' if chars.get(i + 1) == Some(&'-') => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
                push(&mut out, &mut pending_space, &squeeze(&chars[start..i]));
                out.push('\n');
            }
            '/' if chars.get(i + 1) == Some(&'*') => {
                i += 2;
                while i < chars.len() && !(chars[i] == '*' && chars.get(i + 1) == Some(&'/')) {
                    i += 1;
                }
                i = (i + 2).min(chars.len());
                push(&mut out, &mut pending_space, &squeeze(&chars[start..i]));
            }
            _ => {
                // A run of characters up to the next whitespace, quote or comment.
                i += 1;
                while i < chars.len() {
                    let ch = chars[i];
                    let comment = (ch == '-' && chars.get(i + 1) == Some(&'-'))
                        || (ch == '/' && chars.get(i + 1) == Some(&'*'));
                    if ch.is_whitespace() || matches!(ch, '\'' | '"' | '`' | '[') || comment {
                        break;
                    }
                    i += 1;
                }
                push(&mut out, &mut pending_space, &chars[start..i]);
            }
        }
    }
    out
}

/// A comment with the same whitespace rule as the SQL around it (quotes in a comment quote nothing).
fn squeeze(comment: &[char]) -> Vec<char> {
    let mut out: Vec<char> = Vec::with_capacity(comment.len());
    let mut pending_space = false;
    for &c in comment {
        if c.is_whitespace() {
            pending_space = true;
            continue;
        }
        if pending_space && out.last().is_some_and(|&before| needs_space(before, c)) {
            out.push(' ');
        }
        pending_space = false;
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitespace_between_tokens_does_not_count() {
        let a = "CREATE TABLE \"t\" (a integer,b text DEFAULT 'x');\nCREATE INDEX i ON t(a);";
        let b = "  CREATE   TABLE \"t\" (\n\ta integer, \n\tb text DEFAULT 'x'   \n);\r\n\r\n\nCREATE INDEX i\n  ON t ( a ) ;  \n";
        assert_eq!(normalize(a), normalize(b));
        assert_eq!(of(a), of(b));
        assert_eq!(
            normalize(a),
            "CREATE TABLE\"t\"(a integer,b text DEFAULT 'x');CREATE INDEX i ON t(a);"
        );
        assert_eq!(normalize("SELECT a,b"), normalize("SELECT a, b"));
    }

    #[test]
    fn literals_and_quoted_identifiers_keep_their_spaces_comments_count() {
        assert_ne!(of("SELECT 'x y'"), of("SELECT 'x  y'"));
        assert_ne!(of("SELECT 'x y'"), of("SELECT 'xy'"));
        assert_ne!(of("SELECT \"a b\""), of("SELECT \"a  b\""));
        assert_ne!(of("SELECT [a b]"), of("SELECT [a  b]"));
        assert_ne!(of("SELECT `a b`"), of("SELECT `a  b`"));
        assert_eq!(normalize("SELECT 'it''s  x'"), "SELECT 'it''s  x'");
        assert_eq!(
            normalize("-- a  note,  re-wrapped   \nSELECT 1;   -- done  "),
            "--a note,re-wrapped\nSELECT 1;--done\n"
        );
        assert_eq!(of("/* a b */ SELECT 1"), of("/*  a\n b */\nSELECT 1"));
        assert_ne!(of("/* a b */ SELECT 1"), of("/* a c */ SELECT 1"));
        assert_ne!(of("-- it's\nSELECT 1"), of("-- its\nSELECT 1"));
        // A line comment cannot swallow the statement after it.
        assert_ne!(of("-- a\nb"), of("-- ab"));
    }

    #[test]
    fn spaces_that_separate_tokens_stay() {
        assert_ne!(of("SELECT ab"), of("SELECT a b"));
        assert_ne!(of("SELECT 1 - -1"), of("SELECT 1 --1"));
        assert_ne!(of("SELECT 1 .5"), of("SELECT 1.5"));
        assert_ne!(of("SELECT x 'ab'"), of("SELECT x'ab'"));
        assert_ne!(of("SELECT 'a' 'b'"), of("SELECT 'a''b'"));
        assert_eq!(normalize("a   <=  b"), "a<=b");
        assert_eq!(normalize("a < = b"), "a< =b");
    }

    #[test]
    fn any_other_edit_counts() {
        assert_ne!(of("SELECT 1;"), of("SELECT 2;"));
        assert_ne!(of("select 1;"), of("SELECT 1;"));
        assert_eq!(of("").len(), 64);
    }
}
