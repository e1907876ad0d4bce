//! A scratch project: a temporary directory with `diesel.toml`, so it is its own project root, and the
//! real binaries run in it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::engine::Engine;
use crate::files::{copy_dir, repository};
use crate::process::{Run, binary, prepare_in};

/// A temporary project directory, deleted when dropped, and the database its runs use.
#[derive(Debug)]
pub struct Project {
    pub dir: tempfile::TempDir,
    database: Database,
}

/// Where a project's database lives.
#[derive(Debug, Clone)]
enum Database {
    /// The default instance file under the project root (nothing configured).
    DefaultFile,
    /// A database of its own on the test process's PostgreSQL server (`DATABASE_URL` for every run).
    Postgres { name: String, url: String },
}

impl Project {
    /// A directory holding only a `diesel.toml` (the binaries embed their migrations).
    pub fn new() -> Project {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(
            dir.path().join("diesel.toml"),
            "[migrations_directory]\ndir = \"migrations/sqlite\"\n",
        )
        .expect("diesel.toml");
        Project {
            dir,
            database: Database::DefaultFile,
        }
    }

    /// A fresh scratch project ([`Project::new`]) whose database is on `engine`: the default file for
    /// SQLite, a new database on the test server for PostgreSQL (which must be available: see
    /// [`Engine::postgres_available`]).
    pub fn on(engine: Engine) -> Project {
        Project::new().with_engine(engine)
    }

    /// [`Project::with_migrations`] on `engine` (see [`Project::on`]).
    pub fn with_migrations_on(engine: Engine) -> Project {
        Project::with_migrations().with_engine(engine)
    }

    fn with_engine(mut self, engine: Engine) -> Project {
        if engine == Engine::Postgres {
            let server = crate::postgres::server()
                .expect("a PostgreSQL server (check Engine::postgres_available first)");
            let hint = self
                .dir
                .path()
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let name = server.create_database(&hint);
            self.database = Database::Postgres {
                url: server.url(&name),
                name,
            };
        }
        self
    }

    /// A scratch copy of this repository's project files: its `diesel.toml` and `migrations/`, nothing
    /// else (what the Diesel CLI and a developer's checkout see).
    pub fn with_migrations() -> Project {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::copy(
            repository().join("diesel.toml"),
            dir.path().join("diesel.toml"),
        )
        .expect("copy diesel.toml");
        copy_dir(
            &repository().join("migrations"),
            &dir.path().join("migrations"),
        );
        Project {
            dir,
            database: Database::DefaultFile,
        }
    }

    /// Copies this repository's `migrations/` (both dialects) into the project, as
    /// [`Project::with_migrations`] starts with.
    pub fn add_migrations(&self) {
        copy_dir(
            &repository().join("migrations"),
            &self.dir.path().join("migrations"),
        );
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    /// The database the binaries use here when nothing configures one (instance 0).
    pub fn db(&self) -> PathBuf {
        assert!(
            matches!(self.database, Database::DefaultFile),
            "this project's database is on PostgreSQL: use the engine-neutral probes"
        );
        self.path(".dev-data/instance-0/orient.db")
    }

    /// The engine of this project's database.
    pub fn engine(&self) -> Engine {
        match self.database {
            Database::DefaultFile => Engine::Sqlite,
            Database::Postgres { .. } => Engine::Postgres,
        }
    }

    /// The `DATABASE_URL` the runs get (PostgreSQL), or `None` (SQLite: nothing configured, so the
    /// default instance file).
    pub fn url(&self) -> Option<&str> {
        match &self.database {
            Database::DefaultFile => None,
            Database::Postgres { url, .. } => Some(url),
        }
    }

    /// `program` run in the project root with a clean database environment, this project's database
    /// (`DATABASE_URL` on PostgreSQL), then `env` (which may override it).
    pub fn command(&self, program: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
        self.process(program, args, env)
            .output()
            .unwrap_or_else(|e| panic!("run {}: {e}", program.display()))
    }

    /// The [`Command`] [`Project::command`] runs, to spawn it instead (concurrent runs).
    pub fn process(&self, program: &Path, args: &[&str], env: &[(&str, &str)]) -> Command {
        let mut all: Vec<(&str, &str)> = Vec::new();
        if let Some(url) = self.url() {
            all.push(("DATABASE_URL", url));
        }
        all.extend_from_slice(env);
        prepare_in(program, self.root(), args, &all)
    }

    // -----------------------------------------------------------------------------------------------
    // Probes of this project's database, on either engine. Table names are the tests' own constants.

    /// Runs `sql` (one or more statements) on the database, outside the tools.
    pub fn execute(&self, sql: &str) {
        match &self.database {
            Database::DefaultFile => crate::sqlite::execute(&self.db(), sql),
            Database::Postgres { name, .. } => {
                self.server().psql(name, sql);
            }
        }
    }

    /// Runs `sql` as one transaction, outside the tools: the database's error message when it fails
    /// (and then nothing of `sql` is left).
    pub fn try_execute(&self, sql: &str) -> Result<(), String> {
        match &self.database {
            Database::DefaultFile => {
                use diesel::connection::SimpleConnection as _;
                let mut conn = crate::sqlite::connect(&self.db());
                conn.batch_execute(&format!("BEGIN;\n{sql}\nCOMMIT;"))
                    .map_err(|e| e.to_string())
                // A failed batch leaves its transaction open: closing the connection rolls it back.
            }
            Database::Postgres { name, .. } => self.server().try_psql(name, sql).map(drop),
        }
    }

    /// The value of a one-row, one-column query, as text (`''` for NULL).
    pub fn scalar(&self, sql: &str) -> String {
        match &self.database {
            Database::DefaultFile => crate::sqlite::query_text(
                &mut crate::sqlite::connect(&self.db()),
                &format!("SELECT coalesce(CAST(({sql}) AS TEXT), '') AS value"),
            ),
            Database::Postgres { name, .. } => self.server().psql(name, sql),
        }
    }

    /// The rows of a one-column query, as text, in the query's order (`''` for NULL).
    pub fn rows(&self, sql: &str) -> Vec<String> {
        match &self.database {
            Database::DefaultFile => {
                let mut conn = crate::sqlite::connect(&self.db());
                crate::sqlite::lines(&mut conn, sql)
            }
            Database::Postgres { name, .. } => {
                let text = self.server().psql(name, sql);
                if text.is_empty() {
                    Vec::new()
                } else {
                    text.lines().map(str::to_owned).collect()
                }
            }
        }
    }

    /// The number of rows of `table`.
    pub fn count(&self, table: &str) -> i64 {
        let text = self.scalar(&format!("SELECT count(*) FROM \"{table}\""));
        text.parse()
            .unwrap_or_else(|e| panic!("count of {table}: {text:?}: {e}"))
    }

    /// The names of the database's tables (the engine's own bookkeeping tables excluded), sorted.
    pub fn table_names(&self) -> Vec<String> {
        let sql = match self.database {
            Database::DefaultFile => {
                "SELECT group_concat(name, char(10)) FROM (SELECT name FROM sqlite_master \
                 WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name)"
            }
            Database::Postgres { .. } => {
                "SELECT string_agg(tablename, E'\\n' ORDER BY tablename) FROM pg_tables \
                 WHERE schemaname = 'public'"
            }
        };
        let text = self.scalar(sql);
        text.lines()
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect()
    }

    /// A hash of `table`'s rows (values and, on SQLite, rowid order; on PostgreSQL the rows sorted by
    /// their text): equal hashes, equal content.
    pub fn table_hash(&self, table: &str) -> String {
        match &self.database {
            Database::DefaultFile => {
                let rows =
                    crate::sqlite::table_rows(&mut crate::sqlite::connect(&self.db()), table);
                use sha2::Digest as _;
                let mut hasher = sha2::Sha256::new();
                for row in rows {
                    hasher.update(row);
                    hasher.update("\n");
                }
                format!("{:x}", hasher.finalize())
            }
            Database::Postgres { .. } => self.scalar(&format!(
                "SELECT md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) \
                 FROM \"{table}\" t"
            )),
        }
    }

    /// A hash of every table's name and rows: equal hashes, equal content.
    pub fn content_hash(&self) -> String {
        match self.database {
            Database::DefaultFile => crate::sqlite::content_hash(&self.db()),
            Database::Postgres { .. } => {
                let mut all = String::new();
                for table in self.table_names() {
                    all.push_str(&format!("{table} {}\n", self.table_hash(&table)));
                }
                all
            }
        }
    }

    /// Whether the database holds any table (on SQLite: whether the file exists at all).
    pub fn database_exists(&self) -> bool {
        match self.database {
            Database::DefaultFile => self.db().exists(),
            Database::Postgres { .. } => !self.table_names().is_empty(),
        }
    }

    fn server(&self) -> &'static crate::postgres::Server {
        crate::postgres::server().expect("the server this project's database is on")
    }

    /// `orient-db ARGS` run in the project root with a clean database environment plus `env`.
    pub fn run(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        Run::from_output(&self.command(&binary("orient-db"), args, env))
    }

    /// `orient-seed ARGS` run in the project root with a clean database environment plus `env`.
    pub fn seed(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        Run::from_output(&self.command(&binary("orient-seed"), args, env))
    }

    /// `orient-seed --json ARGS`, which must succeed; its report.
    pub fn seed_json(&self, args: &[&str]) -> serde_json::Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let run = self.seed(&all, &[]);
        assert_eq!(run.code, 0, "{run:?}");
        run.json()
    }
}

impl Default for Project {
    fn default() -> Project {
        Project::new()
    }
}
