//! The compile options of the linked SQLite against those this workspace builds the bundled SQLite with
//! (`LIBSQLITE3_FLAGS` in `.cargo/config.toml`; see the README's "Performance" section). A service built
//! outside the workspace without that line gets SQLite's defaults, and `orient-db doctor` says so.

use diesel::prelude::*;
use diesel::sql_types::Text;
use serde::Serialize;

use crate::db::backend::DbConnection;

/// A compile option this workspace recommends, as `PRAGMA compile_options` lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Recommended {
    /// `DQS=0`, as listed by `PRAGMA compile_options` (without the `SQLITE_` prefix).
    pub option: &'static str,
    /// What is lost without it.
    pub why: &'static str,
}

/// The options of `LIBSQLITE3_FLAGS` (a unit test keeps the two lists equal).
pub const RECOMMENDED: &[Recommended] = &[
    Recommended {
        option: "DQS=0",
        why: "without it a double-quoted word that names no column is read as a string, so a copy \
              with a misspelt column silently writes the column's name as a value",
    },
    Recommended {
        option: "DEFAULT_MEMSTATUS=0",
        why: "memory statistics take a global mutex on every allocation, which serialises reader threads",
    },
    Recommended {
        option: "THREADSAFE=2",
        why: "serialized mode takes a per-connection mutex on every column read (20% of row loading)",
    },
    Recommended {
        option: "ENABLE_QPSG",
        why: "without it a bound LIMIT (Diesel's `.first()`) re-prepares the statement on every call",
    },
];

/// The `-D` flags to build SQLite with, for the fix of a finding.
pub const FLAGS_LINE: &str = "LIBSQLITE3_FLAGS = \"-DSQLITE_DQS=0 -DSQLITE_DEFAULT_MEMSTATUS=0 \
                              -DSQLITE_THREADSAFE=2 -DSQLITE_ENABLE_QPSG\"";

/// `PRAGMA compile_options` of the linked library (any connection, even an in-memory one, reports it).
pub fn compile_options(conn: &mut DbConnection) -> QueryResult<Vec<String>> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text)]
        compile_options: String,
    }
    Ok(diesel::sql_query("PRAGMA compile_options")
        .load::<Row>(conn)?
        .into_iter()
        .map(|r| r.compile_options)
        .collect())
}

/// The recommended options `options` lacks (an option with a value must have exactly that value).
pub fn missing(options: &[String]) -> Vec<Recommended> {
    RECOMMENDED
        .iter()
        .filter(|r| !options.iter().any(|o| o == r.option))
        .copied()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_recommended_options_are_those_of_cargo_config() {
        let config = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../.cargo/config.toml"),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let line = config
            .lines()
            .find(|l| l.starts_with("LIBSQLITE3_FLAGS"))
            .unwrap_or_else(|| panic!("no LIBSQLITE3_FLAGS in .cargo/config.toml"));
        let mut flags: Vec<&str> = line
            .split(['"', ' '])
            .filter_map(|word| word.strip_prefix("-DSQLITE_"))
            .collect();
        flags.sort_unstable();
        let mut ours: Vec<&str> = RECOMMENDED.iter().map(|r| r.option).collect();
        ours.sort_unstable();
        assert_eq!(
            flags, ours,
            "update RECOMMENDED and FLAGS_LINE with .cargo/config.toml"
        );
        assert_eq!(
            FLAGS_LINE.split_whitespace().collect::<Vec<_>>(),
            line.split_whitespace().collect::<Vec<_>>()
        );
    }

    #[test]
    fn this_build_links_a_sqlite_with_every_recommended_option() {
        let mut conn =
            <DbConnection as Connection>::establish(":memory:").unwrap_or_else(|e| panic!("{e}"));
        let options = compile_options(&mut conn).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(missing(&options), vec![], "{options:?}");
        assert_eq!(
            missing(&["DQS=3".to_owned()]).len(),
            RECOMMENDED.len(),
            "a different value is not the recommended one"
        );
    }
}
