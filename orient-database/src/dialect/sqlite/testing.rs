//! Per-test databases on SQLite (feature `testing`): a template migrated once per process, and a copy of
//! it for each test.
//!
//! Migrating a database runs every migration, records its checksum and takes the migration lock: tens of
//! milliseconds. A test only needs the result, so the template is built once (in a temporary directory
//! that is deleted right after) and kept in memory as the bytes of its file; each test writes those bytes
//! into a fresh file of its own and opens it without migrating.
//!
//! Why the bytes are a correct database on their own: the template is checkpointed with
//! `wal_checkpoint(TRUNCATE)` and its only connection closed before it is read, so everything committed is
//! in the main file and no `-wal` is left (checked: a leftover `-wal` is an error, since copying the main
//! file without it would lose commits). The file header still says WAL (bytes 18 and 19 are 2), so a copy
//! opens in WAL mode without a write. Nothing ever writes the template after it is read, so the copies
//! cannot see a half-written state. A plain write of the bytes (0.13 ms for the 580 KB template) beats
//! `std::fs::copy` of a template file, SQLite's backup API and `VACUUM INTO`, which page through the
//! source with a connection and sync the copy (5 to 20 ms; `tests/benches/testing.rs`, group
//! `copy_step`).

use std::path::{Path, PathBuf};

use diesel::connection::SimpleConnection;

use crate::db::{self, Config, Db, DbConnection, Options};
use crate::testing::error::Error;
use crate::testing::seed_hook::SeedHook;

/// The name of the database file in each test's directory.
const FILE_NAME: &str = "orient.db";

/// SQLite's file header starts with this.
const HEADER: &[u8] = b"SQLite format 3\0";

/// A migrated (and possibly seeded) database, as the bytes of its checkpointed file.
#[derive(Debug)]
pub struct Template {
    bytes: Vec<u8>,
}

impl Template {
    /// Migrates a new file with the embedded migrations (exactly what [`Db::open`] does to a new file),
    /// runs `seed` on it, checkpoints it and reads it into memory. The temporary directory is removed
    /// before this returns.
    pub fn build(seed: Option<SeedHook>) -> Result<Template, Error> {
        let dir = tempfile::Builder::new()
            .prefix("orient-test-template-")
            .tempdir()
            .map_err(|source| Error::TemporaryDirectory { source })?;
        let path = dir.path().join(FILE_NAME);
        let failed = |source: db::Error| Error::Migrate {
            source: Box::new(source),
        };
        let (mut conn, _) =
            db::open_config_writer(&Config::for_path(&path), true).map_err(failed)?;
        if let Some(seed) = seed {
            seed(&mut conn).map_err(|source| Error::Seed { source })?;
        }
        checkpoint(&mut conn, &path).map_err(failed)?;
        drop(conn);
        let wal = companion(&path, "-wal");
        if std::fs::metadata(&wal).is_ok_and(|m| m.len() > 0) {
            return Err(Error::NotCheckpointed { wal });
        }
        let bytes = std::fs::read(&path).map_err(|source| Error::File {
            path: path.clone(),
            step: "reading the template database",
            source,
        })?;
        // Bytes 18 and 19 (file format write/read version) are 2 in WAL mode.
        if !bytes.starts_with(HEADER) || bytes.get(18..20) != Some(&[2, 2]) {
            return Err(Error::NotWal { path });
        }
        Ok(Template { bytes })
    }

    /// A new directory holding a copy of the template, opened as a [`Db`] without migrating.
    pub fn instantiate(&self, test: &str) -> Result<(Db, Instance), Error> {
        let dir = tempfile::Builder::new()
            .prefix(&format!("orient-test-{}-", prefix(test)))
            .tempdir()
            .map_err(|source| Error::TemporaryDirectory { source })?;
        let path = dir.path().join(FILE_NAME);
        std::fs::write(&path, &self.bytes).map_err(|source| Error::File {
            path: path.clone(),
            step: "writing the test's copy of the template",
            source,
        })?;
        let options = Options {
            // A test rarely reads from more than a few threads; each reader is a connection to open.
            readers: 4,
            migrate: false,
            ..Options::default()
        };
        // The copy is byte for byte the template, which `build` migrated through the library's own
        // opening and checked to be a WAL database: opening it again with every check would only cost
        // time (one more connection reading the schema, about half of what opening the pools costs).
        let db =
            Db::open_ready(&Config::for_path(&path), &options).map_err(|source| Error::Open {
                path: path.clone(),
                source: Box::new(source),
            })?;
        Ok((db, Instance { _dir: dir, path }))
    }
}

/// One test's copy: its directory is removed (with the database, its `-wal` and `-shm`) when dropped.
#[derive(Debug)]
pub struct Instance {
    // Removed, with everything in it, when the instance is dropped.
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl Instance {
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A new read-write connection to the copy, configured like every connection.
    pub fn connect(&self) -> Result<DbConnection, Error> {
        super::connection::establish(&self.path, super::connection::Access::ReadWrite).map_err(
            |source| Error::Open {
                path: self.path.clone(),
                source: Box::new(source),
            },
        )
    }
}

/// Copies everything in the WAL into the database file and empties the WAL.
fn checkpoint(conn: &mut DbConnection, path: &Path) -> Result<(), db::Error> {
    conn.batch_execute("PRAGMA wal_checkpoint(TRUNCATE);")
        .map_err(|source| db::Error::Setup {
            path: path.to_path_buf(),
            step: "PRAGMA wal_checkpoint(TRUNCATE) on the test template",
            source,
        })
}

fn companion(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// The test's name as a directory name prefix: ASCII letters, digits and `_`, at most 40 of them.
fn prefix(test: &str) -> String {
    test.rsplit("::")
        .next()
        .unwrap_or(test)
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .take(40)
        .collect()
}
