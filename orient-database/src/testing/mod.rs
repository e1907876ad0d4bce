//! A fresh, migrated (optionally seeded) database for each test (feature `testing`).
//!
//! ```
//! use diesel::prelude::*;
//! use orient_database::db::Db;
//! use orient_database::schema::{agents, NewAgent};
//!
//! // What a test does (see below for the attribute that writes this for you).
//! let db = orient_database::testing::TestDb::new()?;
//! db.transaction(|tx| {
//!     diesel::insert_into(agents::table).values(&NewAgent::new("helper", "Helper")).execute(tx)?;
//!     Ok::<_, orient_database::db::Error>(())
//! })?;
//! let count: i64 = db.read(|conn| Ok::<_, orient_database::db::Error>(agents::table.count().get_result(conn)?))?;
//! assert_eq!(count, 1);
//! // Dropping `db` deletes the database.
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! With the attribute (`#[orient_database::test]`, the same feature), a test takes the database as its
//! argument, either as a [`Db`](crate::db::Db) or as a [`TestDb`]:
//!
//! ```
//! # use orient_database::db::Db;
//! #[orient_database::test]
//! fn agents_start_empty(db: Db) {
//!     // …
//! }
//!
//! // Seeded: a template whose seed hook writes the default data (orient-seed provides one).
//! # use orient_database::testing::{SeedError, Template};
//! # fn seed(_: &mut orient_database::db::DbConnection) -> Result<(), SeedError> { Ok(()) }
//! static SEEDED: Template = Template::seeded("my seed data", seed);
//!
//! #[orient_database::test(template = SEEDED)]
//! fn seeded_agents_are_there(db: Db) {
//!     // …
//! }
//! ```
//!
//! The attribute expands to a `#[test]` function that makes the database, hands it over and deletes it
//! when the test returns (or panics). It refuses, with a message saying what to write, an `async fn`
//! (use `TestDb::new()` inside `#[tokio::test]`), generics, a receiver, and anything but exactly one
//! argument; an argument of another type fails to compile naming the two accepted types.
//!
//! ## How it is fast
//!
//! Each [`Template`] is built once per test process, at first use: a new database is migrated exactly
//! as [`Db::open`](crate::db::Db::open) migrates one, then seeded by the template's hook if it has one.
//! Every test then gets its own copy. On SQLite the template is checkpointed and kept as the bytes of its
//! file, and a copy is one file write plus opening the pools: about 1.5 ms of CPU for a database made,
//! used and deleted (4.8 M instructions, four fifths of them SQLite reading the schema in the writer's
//! and a reader's connection), against 7 ms of CPU (29 M instructions) and 12 to 60 ms of waiting for
//! the disk to migrate a new file (`cargo bench -p orient-tests --bench testing`). See
//! `dialect::sqlite::testing` for why the copy is a correct database.
//!
//! ## Seeding without a dependency cycle
//!
//! The default data lives in [`crate::seed`] and the seeders in `orient-seed`, which depends on this
//! crate. So this crate never calls the seeders: a [`Template`] takes a plain function
//! ([`SeedHook`]) run once on the migrated template, and `orient-seed` (feature `testing`) exports
//! `orient_seed::testing::SEEDED`, a template whose hook runs its seeders.
//!
//! ## Engines
//!
//! Nothing here names an engine's types: a test gets a [`Db`](crate::db::Db) and
//! [`DbConnection`](crate::db::DbConnection)s. What an engine does is behind two private enums
//! (`Prepared`: a built template; `Files`: one test's database). [`TestDb::new`] and the attribute use
//! SQLite ([`Engine::of_this_build`]). With the `postgres` feature, [`TestDb::on`] with
//! [`Engine::Postgres`] makes the same database on a PostgreSQL server: the template is a database
//! there, migrated and seeded the same way once per process, and each test's database is
//! `CREATE DATABASE … TEMPLATE …`, dropped when the test ends (see `dialect::postgres::testing` for
//! where the server comes from).

use std::sync::{Arc, OnceLock};

use crate::db::{Db, DbConnection};
#[cfg(feature = "postgres")]
use crate::dialect::postgres::testing as postgres;
use crate::dialect::sqlite::testing as sqlite;

pub(crate) mod error;
pub(crate) mod seed_hook;

pub use error::Error;
pub use seed_hook::{SeedError, SeedHook};

/// The engine a test database runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Engine {
    Sqlite,
    #[cfg(feature = "postgres")]
    Postgres,
}

impl Engine {
    /// The engine test databases use unless told otherwise: SQLite, the default engine.
    pub const fn of_this_build() -> Engine {
        Engine::Sqlite
    }
}

/// The database every test copy starts from: migrated, and seeded by its hook if it has one.
///
/// Declare one as a `static` (it is built at first use and kept for the rest of the process):
/// `static SEEDED: Template = Template::seeded("default data", my_hook);`.
#[derive(Debug)]
pub struct Template {
    name: &'static str,
    seed: Option<SeedHook>,
    // A failure is kept too, so the other tests of the process report it instead of retrying.
    built: OnceLock<Result<Prepared, Arc<Error>>>,
    #[cfg(feature = "postgres")]
    built_postgres: OnceLock<Result<Prepared, Arc<Error>>>,
}

/// The migrated template without data: what [`TestDb::new`] copies.
pub static MIGRATED: Template = Template::migrated();

impl Template {
    /// Migrated with every embedded migration, no rows.
    pub const fn migrated() -> Template {
        Template {
            name: "migrated",
            seed: None,
            built: OnceLock::new(),
            #[cfg(feature = "postgres")]
            built_postgres: OnceLock::new(),
        }
    }

    /// Migrated, then `seed` run once on it. `name` appears in errors.
    pub const fn seeded(name: &'static str, seed: SeedHook) -> Template {
        Template {
            name,
            seed: Some(seed),
            built: OnceLock::new(),
            #[cfg(feature = "postgres")]
            built_postgres: OnceLock::new(),
        }
    }

    pub fn name(&self) -> &'static str {
        self.name
    }

    /// A new test database copied from this template.
    pub fn database(&'static self) -> Result<TestDb, Error> {
        TestDb::from_template(self)
    }

    fn prepared(&self, engine: Engine) -> Result<&Prepared, Error> {
        let built = match engine {
            Engine::Sqlite => self.built.get_or_init(|| {
                sqlite::Template::build(self.seed)
                    .map(Prepared::Sqlite)
                    .map_err(Arc::new)
            }),
            #[cfg(feature = "postgres")]
            Engine::Postgres => self.built_postgres.get_or_init(|| {
                postgres::Template::build(self.name, self.seed)
                    .map(Prepared::Postgres)
                    .map_err(Arc::new)
            }),
        };
        built.as_ref().map_err(|cause| Error::Template {
            template: self.name,
            cause: cause.clone(),
        })
    }
}

/// A built template, per engine.
#[derive(Debug)]
enum Prepared {
    Sqlite(sqlite::Template),
    #[cfg(feature = "postgres")]
    Postgres(postgres::Template),
}

/// One test's database, per engine: deleted when dropped.
#[derive(Debug)]
enum Files {
    Sqlite(sqlite::Instance),
    // Boxed: two server targets (URLs and their parts) against a directory and a path.
    #[cfg(feature = "postgres")]
    Postgres(Box<postgres::Instance>),
}

/// A test's own database: a [`Db`] (it derefs to one) on a copy of a [`Template`], deleted when this is
/// dropped.
#[derive(Debug)]
pub struct TestDb {
    // Fields drop in order: the pools close before the files go.
    db: Db,
    files: Files,
}

impl TestDb {
    /// A copy of the migrated template ([`MIGRATED`]).
    pub fn new() -> Result<TestDb, Error> {
        TestDb::from_template(&MIGRATED)
    }

    /// A copy of `template`.
    pub fn from_template(template: &'static Template) -> Result<TestDb, Error> {
        TestDb::named(template, "db")
    }

    /// A copy of `template` whose files are named after `test` (what `#[orient_database::test]` uses),
    /// so a database left behind by a killed test says whose it was.
    pub fn named(template: &'static Template, test: &str) -> Result<TestDb, Error> {
        TestDb::on(Engine::of_this_build(), template, test)
    }

    /// A copy of `template` on `engine`, named after `test` (see [`TestDb::named`]).
    pub fn on(engine: Engine, template: &'static Template, test: &str) -> Result<TestDb, Error> {
        match template.prepared(engine)? {
            Prepared::Sqlite(prepared) => {
                let (db, instance) = prepared.instantiate(test)?;
                Ok(TestDb {
                    db,
                    files: Files::Sqlite(instance),
                })
            }
            #[cfg(feature = "postgres")]
            Prepared::Postgres(prepared) => {
                let (db, instance) = prepared.instantiate(test)?;
                Ok(TestDb {
                    db,
                    files: Files::Postgres(Box::new(instance)),
                })
            }
        }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub fn engine(&self) -> Engine {
        match self.files {
            Files::Sqlite(_) => Engine::Sqlite,
            #[cfg(feature = "postgres")]
            Files::Postgres(_) => Engine::Postgres,
        }
    }

    /// A new read-write connection of its own to this database, configured like every connection (for
    /// code under test that takes a `&mut DbConnection`; prefer [`Db::transaction`] for writes).
    pub fn connect(&self) -> Result<DbConnection, Error> {
        match &self.files {
            Files::Sqlite(instance) => instance.connect(),
            #[cfg(feature = "postgres")]
            Files::Postgres(instance) => instance.connect(),
        }
    }
}

impl std::ops::Deref for TestDb {
    type Target = Db;

    fn deref(&self) -> &Db {
        &self.db
    }
}

/// What `#[orient_database::test]` can hand a test: [`Db`] or [`TestDb`].
#[diagnostic::on_unimplemented(
    message = "`#[orient_database::test]` cannot hand a test a `{Self}`",
    label = "not a test database",
    note = "take `db: orient_database::db::Db` or `db: orient_database::testing::TestDb`"
)]
pub trait TestArgument: Sized {
    #[doc(hidden)]
    fn from_test_db(database: TestDb) -> (Self, Cleanup);
}

/// Deletes a test's database when the test function has returned (what the attribute keeps while a
/// test runs with a bare [`Db`]).
#[derive(Debug)]
pub struct Cleanup(#[allow(dead_code)] Option<Files>);

impl TestArgument for TestDb {
    fn from_test_db(database: TestDb) -> (TestDb, Cleanup) {
        (database, Cleanup(None))
    }
}

impl TestArgument for Db {
    fn from_test_db(database: TestDb) -> (Db, Cleanup) {
        let TestDb { db, files } = database;
        (db, Cleanup(Some(files)))
    }
}

/// What `#[orient_database::test]` expands to. Not public API.
#[doc(hidden)]
pub mod __private {
    use super::{Cleanup, Template, TestArgument, TestDb};

    /// What `template = …` may name: a `static` [`Template`].
    #[diagnostic::on_unimplemented(
        message = "`template = …` names a `{Self}`, not an `orient_database::testing::Template`",
        label = "not a template",
        note = "declare `static MINE: Template = Template::seeded(\"…\", hook);` and write `template = MINE`"
    )]
    pub trait IsTemplate {
        fn template(&'static self) -> &'static Template;
    }

    impl IsTemplate for Template {
        fn template(&'static self) -> &'static Template {
            self
        }
    }

    /// Type-checks `template = …` in every build (the test function exists only in test builds).
    pub fn template<M: IsTemplate>(_: &'static M) {}

    /// The test's argument, or a panic naming the test and what went wrong.
    pub fn argument<T: TestArgument, M: IsTemplate>(
        template: &'static M,
        test: &str,
    ) -> (T, Cleanup) {
        match TestDb::named(template.template(), test) {
            Ok(database) => T::from_test_db(database),
            Err(e) => panic!("{test}: cannot make its test database: {e}"),
        }
    }
}
