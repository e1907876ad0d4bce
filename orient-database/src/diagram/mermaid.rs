//! A schema as a Mermaid `erDiagram`: every table with its columns (logical type, name, `PK`/`FK`/`UK`
//! markers, `"nullable"` as the comment of nullable columns), then one relationship line per foreign key,
//! parent on the left, labelled with the key's columns.
//!
//! Cardinality, read from the parent to the child: the parent side is `||` (exactly one), or `|o` (zero
//! or one) when the key is nullable; the child side is `o{` (zero or more), or `o|` (zero or one) when the
//! key's columns are unique in the child. `--` (solid) when the key is part of the child's primary key
//! (identifying), `..` (dashed) otherwise.
//!
//! Names are written so that Mermaid's lexer (`erDiagram.jison`, case-insensitive, first rule wins)
//! reads them back as names:
//! - table names are always quoted: unquoted, `tokens` would lex as the keyword `to` followed by `kens`,
//!   and `many_things`, `classes`, `styles`… likewise. A quoted name cannot hold `"`, `%`, `\` or line
//!   breaks: those become `_` (and a suffix keeps two tables apart if that makes their names equal);
//! - column names made of `[A-Za-z0-9_]` (not starting with a digit, and not `PK`/`FK`/`UK`) are written
//!   as they are, others in backquotes (Mermaid 11), where a backquote, `~` or a line break becomes `_`;
//! - outside attribute blocks, Mermaid reads `direction<space>TB` (or BT, LR, RL) anywhere in a line as
//!   a direction statement, so whitespace in a name containing `direction` becomes `_`.

use std::collections::{BTreeMap, BTreeSet};

use crate::diagram::{Keys, relationships};
use crate::model::Schema;

/// The `erDiagram` text of a schema, ending with a newline.
pub fn render(schema: &Schema) -> String {
    let entities = EntityNames::new(schema);
    let mut out = String::from("erDiagram\n");
    for table in &schema.tables {
        out.push_str(&format!("    {} {{\n", entities.get(&table.name)));
        for column in table.columns.iter() {
            let keys = Keys::of(table, &column.name);
            let mut line = format!(
                "        {} {}",
                attribute_word(column.ty.as_str()),
                attribute_word(&column.name)
            );
            if !keys.is_empty() {
                line.push(' ');
                line.push_str(&keys.labels().join(", "));
            }
            if column.nullable && !keys.primary {
                line.push_str(" \"nullable\"");
            }
            line.push('\n');
            out.push_str(&line);
        }
        out.push_str("    }\n");
    }
    for relationship in relationships(schema) {
        let parent_side = if relationship.optional { "|o" } else { "||" };
        let line = if relationship.identifying { "--" } else { ".." };
        let child_side = if relationship.one_to_one { "o|" } else { "o{" };
        out.push_str(&format!(
            "    {} {parent_side}{line}{child_side} {} : {}\n",
            entities.get(relationship.parent()),
            entities.get(&relationship.child.name),
            label(&relationship.label())
        ));
    }
    out
}

/// The quoted entity name of every table (and of tables only referenced by a foreign key), distinct.
struct EntityNames {
    names: BTreeMap<String, String>,
}

impl EntityNames {
    fn new(schema: &Schema) -> EntityNames {
        let mut all: BTreeSet<&str> = schema.tables.iter().map(|t| t.name.as_ref()).collect();
        for table in &schema.tables {
            for fk in table.foreign_keys.iter() {
                all.insert(&fk.references_table);
            }
        }
        // Names that need no replacement keep their text; a replaced one gets a suffix if it collides.
        let (exact, replaced): (Vec<&str>, Vec<&str>) =
            all.into_iter().partition(|n| entity_text(n) == *n);
        let mut taken = BTreeSet::new();
        let mut names = BTreeMap::new();
        for name in exact.into_iter().chain(replaced) {
            let base = entity_text(name);
            let mut candidate = base.clone();
            let mut n = 2;
            while !taken.insert(candidate.clone()) {
                candidate = format!("{base}_{n}");
                n += 1;
            }
            names.insert(name.to_owned(), format!("\"{candidate}\""));
        }
        EntityNames { names }
    }

    fn get(&self, table: &str) -> &str {
        self.names.get(table).map_or("\"_\"", String::as_str)
    }
}

/// A table name as the text of a quoted entity name.
fn entity_text(name: &str) -> String {
    let replaced: String = name
        .chars()
        .map(|c| match c {
            '"' | '%' | '\\' => '_',
            c if c.is_control() => '_',
            c => c,
        })
        .collect();
    let replaced = outside_direction(&replaced);
    if replaced.is_empty() {
        "_".to_owned()
    } else {
        replaced
    }
}

/// A relationship label, quoted.
fn label(text: &str) -> String {
    let replaced: String = text
        .chars()
        .map(|c| match c {
            '"' => '\'',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect();
    format!("\"{}\"", outside_direction(&replaced))
}

/// Text outside an attribute block with no whitespace that could complete `direction TB`.
fn outside_direction(text: &str) -> String {
    if text.to_lowercase().contains("direction") {
        text.chars()
            .map(|c| if c.is_whitespace() { '_' } else { c })
            .collect()
    } else {
        text.to_owned()
    }
}

/// A column name or type inside an attribute block: bare when Mermaid reads it as one word, else in
/// backquotes.
fn attribute_word(text: &str) -> String {
    let mut chars = text.chars();
    let bare = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !["pk", "fk", "uk"]
            .iter()
            .any(|k| text.eq_ignore_ascii_case(k));
    if bare {
        return text.to_owned();
    }
    let inner: String = text
        .chars()
        .map(|c| match c {
            '`' | '~' => '_',
            c if c.is_control() => '_',
            c => c,
        })
        .collect();
    if inner.is_empty() {
        "`_`".to_owned()
    } else {
        format!("`{inner}`")
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::diagram::tests::{fk, small_schema};
    use crate::model::{Column, ColumnType, FkAction, Name, Table};
    use crate::schema::TABLES;

    #[test]
    fn a_small_schema() {
        insta::assert_snapshot!(render(&small_schema()));
    }

    #[test]
    fn every_declared_table_and_foreign_key_is_drawn() {
        let schema = Schema::from_declared(TABLES);
        let text = render(&schema);
        let blocks = text.lines().filter(|l| l.ends_with(" {")).count();
        assert_eq!(blocks, TABLES.len());
        for table in TABLES {
            assert!(
                text.contains(&format!("    \"{}\" {{\n", table.name)),
                "{}",
                table.name
            );
        }
        let relationship_lines: Vec<&str> = text.lines().filter(|l| l.contains(" : ")).collect();
        assert_eq!(relationship_lines.len(), schema.foreign_key_count());
        assert!(
            relationship_lines.contains(&"    \"agents\" |o..o{ \"context_rules\" : \"agent_id\""),
            "{relationship_lines:#?}"
        );
        assert!(
            relationship_lines.contains(
                &"    \"dashboard_users\" ||..o| \"user_version_preferences\" : \"user_id\""
            ),
            "{relationship_lines:#?}"
        );
        assert!(text.contains("        timestamp created_at \"nullable\"\n"));
        assert!(text.contains("        bigint user_id FK, UK\n"));
    }

    #[test]
    fn odd_names_are_quoted_or_replaced_so_mermaid_reads_them_back() {
        let mut odd = Table::new("we\"ird %table\\");
        odd.columns = vec![
            Column::new("pk", ColumnType::Text).not_null(),
            Column::new("has space", ColumnType::Text),
            Column::new("2fa", ColumnType::Bool),
            Column::new("a`b~c~d", ColumnType::Text),
            Column::new("ünïcode", ColumnType::Text),
            Column::new("plain_name", ColumnType::Text),
        ]
        .into();
        odd.primary_key = vec![Name::from("pk")].into();
        let mut tokens = Table::new("tokens");
        tokens.columns = vec![Column::new("ref", ColumnType::Text)].into();
        tokens.foreign_keys = vec![fk(
            &["ref"],
            "we\"ird %table\\",
            &["pk"],
            FkAction::NoAction,
        )]
        .into();
        // The first table's name once its quote is replaced: the real name keeps its text.
        let twin = Table::new("we_ird _table_");
        let mut direction = Table::new("direction TB");
        direction.columns = vec![Column::new("x", ColumnType::Text)].into();
        direction.foreign_keys = vec![fk(&["x"], "tokens", &["ref"], FkAction::NoAction)].into();
        let text = render(&Schema::new(vec![odd, tokens, twin, direction]));
        assert!(
            text.contains("    \"we_ird _table__2\" {\n        text `pk` PK"),
            "{text}"
        );
        assert!(text.contains("    \"we_ird _table_\" {\n    }\n"), "{text}");
        assert!(text.contains("    \"tokens\" {\n"), "{text}");
        assert!(text.contains("    \"direction_TB\" {\n"), "{text}");
        assert!(text.contains("        text `pk` PK\n"), "{text}");
        assert!(
            text.contains("        text `has space` \"nullable\"\n"),
            "{text}"
        );
        assert!(text.contains("        bool `2fa` \"nullable\"\n"), "{text}");
        assert!(
            text.contains("        text `a_b_c_d` \"nullable\"\n"),
            "{text}"
        );
        assert!(
            text.contains("        text `ünïcode` \"nullable\"\n"),
            "{text}"
        );
        assert!(
            text.contains("        text plain_name \"nullable\"\n"),
            "{text}"
        );
        assert!(
            text.contains("    \"we_ird _table__2\" |o..o{ \"tokens\" : \"ref\"\n"),
            "{text}"
        );
        assert!(
            text.contains("    \"tokens\" |o..o{ \"direction_TB\" : \"x\"\n"),
            "{text}"
        );
        // Nothing Mermaid's lexer would stop at: every quoted name is one ENTITY_NAME token.
        for line in text.lines().filter(|l| !l.starts_with("        ")) {
            assert!(!line.contains('%') && !line.contains('\\'), "{line}");
            assert_eq!(line.matches('"').count() % 2, 0, "{line}");
        }
    }

    #[test]
    fn a_table_without_columns_is_an_empty_block() {
        let text = render(&Schema::new(vec![Table::new("empty")]));
        assert_eq!(text, "erDiagram\n    \"empty\" {\n    }\n");
    }
}
