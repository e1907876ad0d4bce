//! UI tests of `#[derive(Table)]` and `#[orient_database::test]`: every misuse fails with its own spanned
//! message (the committed `tests/ui/*.stderr`, `tests/ui-test-attr/*.stderr`), and correct uses compile
//! and run (`tests/ui-pass`). README.md's "Adding a table" and "Tests of a service" code is compiled the
//! same way (see `readme`).
//!
//! Regenerate the expected output with `TRYBUILD=overwrite cargo test -p orient-derive --test compile_fail`
//! and read the diff.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

#[test]
fn ui() {
    let readme = readme::harness();
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
    t.compile_fail("tests/ui-test-attr/*.rs");
    t.pass("tests/ui-pass/*.rs");
    t.pass(readme);
}

/// README.md's code, compiled as written.
///
/// Each Rust block of the README this checks starts with a comment naming the file it belongs in
/// (`// orient-database/src/schema/reminder.rs`). The test finds the blocks by those first lines, writes
/// them into a small crate laid out like orient-database's `schema/` module (in Cargo's per-test temp
/// directory), and trybuild compiles and runs it against the real `orient-database`. The README is read
/// at every run, so an edit to a block is compiled the next time the tests run, and a block that goes
/// missing (its first line changed) fails here by name: the README and this test cannot drift apart.
///
/// The crate stands in for orient-database as the README's blocks see it: `crate::schema` re-exports
/// the real tables (so `use crate::schema::{Agent, agents}` finds them), and `crate::register_tables!`
/// registers the blocks' lines together with `agents`, the one existing table the new one refers to (the
/// real list's other 33 tables belong to orient-database and cannot be registered again elsewhere).
mod readme {
    use super::*;

    /// First line of the block → the file it is (or `None`: spliced into `schema`'s body).
    const BLOCKS: [(&str, Option<&str>); 4] = [
        (
            "// orient-database/src/schema/reminder.rs",
            Some("schema/reminder.rs"),
        ),
        (
            "// orient-database/src/schema/mod.rs, with the other modules",
            None,
        ),
        ("// orient-database/src/schema/mod.rs, at the end", None),
        ("// tests/agents.rs", Some("agents_test.rs")),
    ];

    /// Writes the crate and returns its `main.rs`.
    pub fn harness() -> PathBuf {
        let readme_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md");
        let readme = std::fs::read_to_string(&readme_path).unwrap();
        let blocks = rust_blocks(&readme);
        let find = |first: &str| -> String {
            let found: Vec<&String> = blocks
                .iter()
                .filter(|b| b.lines().next() == Some(first))
                .collect();
            assert_eq!(
                found.len(),
                1,
                "README.md must hold exactly one ```rust block starting with `{first}` (found {}); this \
                 test compiles it",
                found.len()
            );
            found[0].clone()
        };
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("readme");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("schema")).unwrap();
        let mut spliced = String::new();
        for (first, file) in BLOCKS {
            let block = find(first);
            match file {
                Some(file) => std::fs::write(dir.join(file), block).unwrap(),
                None => {
                    spliced.push_str(&block);
                    spliced.push('\n');
                }
            }
        }
        let main = HARNESS.replace("{schema}", &spliced);
        let path = dir.join("readme.rs");
        std::fs::write(&path, main).unwrap();
        path
    }

    /// The ```rust blocks of a Markdown text, without their fences and list indentation.
    pub fn rust_blocks(markdown: &str) -> Vec<String> {
        let mut blocks = Vec::new();
        let mut current: Option<(usize, Vec<&str>)> = None;
        for line in markdown.lines() {
            let indent = line.len() - line.trim_start().len();
            match &mut current {
                None if line.trim_start() == "```rust" => current = Some((indent, Vec::new())),
                None => {}
                Some((fence, lines)) => {
                    if line.trim() == "```" && indent == *fence {
                        blocks.push(lines.join("\n") + "\n");
                        current = None;
                    } else {
                        lines.push(line.get(*fence..).unwrap_or("").trim_end());
                    }
                }
            }
        }
        blocks
    }

    const HARNESS: &str = r#"//! README.md's code blocks, each where its first line says (written by
//! orient-derive/tests/compile_fail.rs at every run; do not edit).

/// Stands in for the `register_tables!` list of orient-database's `schema/mod.rs`: the table already
/// there that the new one refers to, then the README's lines.
macro_rules! register_tables {
    ($($lines:tt)*) => {
        ::orient_database::register_tables! { agents => Agent, $($lines)* }
    };
}
pub(crate) use register_tables;

/// orient-database's `schema/mod.rs`: the existing tables, then the README's additions.
pub mod schema {
    pub use ::orient_database::schema::*;

{schema}
}

mod agents_test;

use diesel::prelude::*;
use orient_database::model::Schema;
use orient_database::push::{PushOptions, push};
use orient_database::types::Timestamp;
use schema::{Agent, NewAgent, NewReminder, Reminder, agents, reminders};

/// The new table works: pushed into an empty database with the table it references, a row written
/// through its insert struct reads back by association and by join.
fn main() {
    let declared = Schema::from_declared(schema::TABLES);
    let model = declared.table("reminders").expect("reminders is registered");
    assert_eq!(model.foreign_keys[0].references_table.to_string(), "agents");
    assert!(model.indexes.iter().any(|i| i.name.to_string() == "idx_reminders_due"));

    let mut conn = orient_database::dialect::sqlite::connection::in_memory().unwrap();
    push(&mut conn, &declared, PushOptions::default()).unwrap();
    diesel::insert_into(agents::table)
        .values(&NewAgent::new("ori", "Ori"))
        .execute(&mut conn)
        .unwrap();
    let due = Timestamp::from_unix_seconds(1_800_000_000);
    diesel::insert_into(reminders::table)
        .values(&NewReminder::new("ori", "water the plants", due))
        .execute(&mut conn)
        .unwrap();
    let agent: Agent = agents::table.find("ori").first(&mut conn).unwrap();
    let mine: Vec<Reminder> = Reminder::belonging_to(&agent).load(&mut conn).unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!((mine[0].text.as_str(), mine[0].due_at, mine[0].done), ("water the plants", due, false));
    assert!(mine[0].created_at.is_some());
    let joined: Vec<(String, String)> = reminders::table
        .inner_join(agents::table)
        .select((reminders::text, agents::name))
        .load(&mut conn)
        .unwrap();
    assert_eq!(joined, [("water the plants".to_owned(), "Ori".to_owned())]);
}
"#;

    #[test]
    fn rust_blocks_are_found_with_their_list_indentation_removed() {
        let markdown = "text\n\n1. step\n\n   ```rust\n   // a.rs\n   fn a() {\n       b();\n   }\n   ```\n\n```sh\nls\n```\n```rust\nfn c() {}\n```\n";
        assert_eq!(
            rust_blocks(markdown),
            ["// a.rs\nfn a() {\n    b();\n}\n", "fn c() {}\n"]
        );
    }
}
