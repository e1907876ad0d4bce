//! Tables that belong to the tools, not to the application schema. Introspection leaves them out, `check`
//! never calls them drift and `push` never drops them.

/// Diesel's migration ledger (shared with `diesel migration run`).
pub const DIESEL_LEDGER: &str = "__diesel_schema_migrations";

/// The original TypeScript Orient's migration ledger.
pub const DRIZZLE_LEDGER: &str = "__drizzle_migrations";

/// The table where each `push` records what it applied.
pub const PUSH_LOG: &str = "__orient_push_log";

/// Every table of ours starts with this prefix (checksums of applied migrations, the push log…).
pub const ORIENT_PREFIX: &str = "__orient_";

/// Whether a table is bookkeeping (ours, Diesel's, the original's or SQLite's own) rather than schema.
pub fn is_bookkeeping_table(name: &str) -> bool {
    name == DIESEL_LEDGER
        || name == DRIZZLE_LEDGER
        || name.starts_with(ORIENT_PREFIX)
        || name
            .get(..7)
            .is_some_and(|prefix| prefix.eq_ignore_ascii_case("sqlite_"))
}
