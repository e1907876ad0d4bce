//! Databases made by the original TypeScript Orient, from its migration files in the directory
//! `ORIENT_REFERENCE_DIR` names (`.ci/run` points it at ../shared/reference/orient-drizzle-sqlite).
//! Used by the tests of orient-database (adoption of the original's databases) and orient-seed (seeding
//! them).

use std::path::{Path, PathBuf};

use diesel::connection::SimpleConnection;
use sha2::{Digest, Sha256};

/// The original's migration files with their SHA-256, as its ledger records them.
pub const DRIZZLE_MIGRATIONS: [(&str, &str); 2] = [
    (
        "0000_many_william_stryker.sql",
        "41b125c227417a878f28626576b0f1430ffcea05ac2abf36cfb8bc93f0e70075",
    ),
    (
        "0001_petite_selene.sql",
        "18a7a08db91b4e6a54e64cea602aed0e95948682433e2253da342975b5da601c",
    ),
];

/// The reference directory, or `None` with a SKIPPED line when the variable is not set. With
/// `ORIENT_REQUIRE_REFERENCE` set (as in CI), a missing variable fails instead.
pub fn reference_dir() -> Option<PathBuf> {
    match std::env::var_os("ORIENT_REFERENCE_DIR") {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            assert!(
                dir.join(DRIZZLE_MIGRATIONS[0].0).is_file(),
                "ORIENT_REFERENCE_DIR={} does not hold the original's migrations",
                dir.display()
            );
            Some(dir)
        }
        None => {
            assert!(
                std::env::var_os("ORIENT_REQUIRE_REFERENCE").is_none(),
                "ORIENT_REQUIRE_REFERENCE is set but ORIENT_REFERENCE_DIR is not"
            );
            eprintln!(
                "SKIPPED: set ORIENT_REFERENCE_DIR to ../shared/reference/orient-drizzle-sqlite to test \
                 against databases made by the original Orient (.ci/run does)"
            );
            None
        }
    }
}

/// Applies the original's first `files` migrations to `conn` the way it does (each file split on
/// `--> statement-breakpoint`) and writes its `__drizzle_migrations` ledger rows. Checks each file's hash,
/// so a changed reference file cannot pass unnoticed.
pub fn build_original(conn: &mut impl SimpleConnection, reference: &Path, files: usize) {
    let mut ledger_rows = Vec::new();
    for (i, (file, hash)) in DRIZZLE_MIGRATIONS.iter().take(files).enumerate() {
        let bytes = std::fs::read(reference.join(file)).unwrap();
        assert_eq!(format!("{:x}", Sha256::digest(&bytes)), *hash, "{file}");
        let sql = String::from_utf8(bytes).unwrap();
        for statement in sql.split("--> statement-breakpoint") {
            conn.batch_execute(statement).unwrap();
        }
        ledger_rows.push(format!("('{hash}', {})", 1_769_987_409_289_i64 + i as i64));
    }
    conn.batch_execute(&format!(
        "CREATE TABLE IF NOT EXISTS \"__drizzle_migrations\" (id SERIAL PRIMARY KEY, hash text NOT NULL, \
         created_at numeric);
         INSERT INTO \"__drizzle_migrations\" (hash, created_at) VALUES {};",
        ledger_rows.join(", ")
    ))
    .unwrap();
}
