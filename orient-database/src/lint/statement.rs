//! A migration file cut into statements with their line numbers, by sqlparser's tokenizer (so a `;`
//! inside a string, a quoted name or a `$tag$ … $tag$` body does not end a statement), each parsed on
//! its own: one statement the parser does not know is skipped and reported, the rest are still checked.

use sqlparser::ast;
use sqlparser::dialect::{Dialect, PostgreSqlDialect, SQLiteDialect};
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Location, Span, Token, TokenWithSpan, Tokenizer, Whitespace};

use super::engine::Engine;

/// One statement of a migration.
#[derive(Debug, Clone)]
pub struct Statement {
    /// The line its first token is on (1-based).
    pub line: u64,
    /// Its text, without comments, whitespace collapsed.
    pub text: String,
    /// Its words and symbols in upper case (quoted names keep their case), for the few checks made on
    /// tokens: transaction control and pragmas work even where the parser does not.
    pub words: Vec<String>,
    /// The parsed statement, or why it could not be parsed.
    pub parsed: Result<ast::Statement, String>,
    /// The `--` comments between the previous statement and this one, with their lines.
    pub comments: Vec<(u64, String)>,
}

impl Statement {
    /// The first line of the statement, at most 100 characters, for messages.
    pub fn summary(&self) -> String {
        let first = self.text.lines().next().unwrap_or_default();
        let mut summary: String = first.chars().take(100).collect();
        if first.chars().count() > 100 || self.text.lines().nth(1).is_some() {
            summary.push('…');
        }
        summary
    }

    /// Whether the statement's leading words are `words` (upper case).
    pub fn starts_with(&self, words: &[&str]) -> bool {
        self.words.len() >= words.len() && self.words.iter().zip(words).all(|(a, b)| a == b)
    }
}

/// A file cut into statements; `trailing` holds the comments after the last one.
#[derive(Debug, Clone, Default)]
pub struct Statements {
    pub statements: Vec<Statement>,
    pub trailing: Vec<(u64, String)>,
}

fn dialect(engine: Engine) -> Box<dyn Dialect> {
    match engine {
        Engine::Sqlite => Box::new(SQLiteDialect {}),
        Engine::Postgres => Box::new(PostgreSqlDialect {}),
    }
}

/// Cuts `sql` into statements. Fails only when the text cannot be tokenized at all (an unterminated
/// string or quoted name), with the tokenizer's message and line.
pub fn split(sql: &str, engine: Engine) -> Result<Statements, (u64, String)> {
    let dialect = dialect(engine);
    let tokens = Tokenizer::new(dialect.as_ref(), sql)
        .tokenize_with_location()
        .map_err(|e| (e.location.line, e.message))?;
    let mut result = Statements::default();
    let mut comments = Vec::new();
    let mut current: Vec<TokenWithSpan> = Vec::new();
    let mut finish = |current: &mut Vec<TokenWithSpan>, comments: &mut Vec<(u64, String)>| {
        if current
            .iter()
            .any(|t| !matches!(t.token, Token::Whitespace(_)))
        {
            let statement = build(std::mem::take(current), std::mem::take(comments), &*dialect);
            result.statements.push(statement);
        } else {
            current.clear();
        }
    };
    for token in tokens {
        match &token.token {
            Token::SemiColon => finish(&mut current, &mut comments),
            Token::Whitespace(Whitespace::SingleLineComment { comment, .. }) => {
                // Only the comments before a statement's first token are its own (allows go there).
                let started = current
                    .iter()
                    .any(|t| !matches!(t.token, Token::Whitespace(_)));
                if !started {
                    comments.push((token.span.start.line, comment.trim().to_owned()));
                }
            }
            _ => current.push(token),
        }
    }
    finish(&mut current, &mut comments);
    result.trailing = comments;
    Ok(result)
}

fn build(
    tokens: Vec<TokenWithSpan>,
    comments: Vec<(u64, String)>,
    dialect: &dyn Dialect,
) -> Statement {
    let line = tokens
        .iter()
        .find(|t| !matches!(t.token, Token::Whitespace(_)))
        .map(|t| t.span.start.line)
        .unwrap_or(0);
    let mut text = String::new();
    for token in &tokens {
        match &token.token {
            Token::Whitespace(Whitespace::MultiLineComment(_)) => {}
            Token::Whitespace(Whitespace::Newline) => text.push('\n'),
            Token::Whitespace(_) => {
                if !text.ends_with([' ', '\n']) {
                    text.push(' ');
                }
            }
            other => text.push_str(&other.to_string()),
        }
    }
    let text = text.trim().to_owned();
    let words = tokens
        .iter()
        .filter_map(|t| match &t.token {
            Token::Whitespace(_) => None,
            Token::Word(w) if w.quote_style.is_none() => Some(w.value.to_uppercase()),
            Token::Word(w) => Some(w.value.clone()),
            other => Some(other.to_string()),
        })
        .collect();
    let mut with_end = tokens;
    let end = with_end
        .last()
        .map(|t| t.span.end)
        .unwrap_or(Location::new(0, 0));
    with_end.push(TokenWithSpan::new(Token::EOF, Span::new(end, end)));
    let mut parser = Parser::new(dialect).with_tokens_with_locations(with_end);
    let parsed = match parser.parse_statement() {
        Ok(statement) => match parser.peek_token().token {
            Token::EOF => Ok(statement),
            other => Err(format!("unexpected `{other}` after the statement")),
        },
        Err(error) => Err(error.to_string()),
    };
    Statement {
        line,
        text,
        words,
        parsed,
        comments,
    }
}

/// The last part of a possibly qualified name, as the engine compares it: unquoted names folded to
/// lower case (PostgreSQL folds them; SQLite compares names case-insensitively).
pub fn object_name(name: &ast::ObjectName) -> String {
    name.0
        .last()
        .and_then(|part| part.as_ident())
        .map(ident)
        .unwrap_or_default()
}

/// Whether a name is qualified with `temp.`/`temporary.` (a SQLite temporary table).
pub fn is_temporary_name(name: &ast::ObjectName) -> bool {
    name.0.len() > 1
        && name.0.first().and_then(|p| p.as_ident()).is_some_and(|i| {
            i.value.eq_ignore_ascii_case("temp") || i.value.eq_ignore_ascii_case("temporary")
        })
}

/// An identifier as the engine compares it.
pub fn ident(ident: &ast::Ident) -> String {
    if ident.quote_style.is_some() {
        ident.value.clone()
    } else {
        ident.value.to_lowercase()
    }
}
