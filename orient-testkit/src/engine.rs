//! One test body, run on each engine: [`on_each_engine!`] makes a `sqlite` and a `postgres` test of
//! it, and the body reaches its database only through the [`Project`](crate::Project) it is handed
//! (the binaries see `DATABASE_URL` on PostgreSQL, the default instance file on SQLite; the probes
//! below speak either).
//!
//! The PostgreSQL half runs on a database of its own on the test process's throwaway server
//! ([`crate::postgres`]). It skips, saying why once, when the binaries were built without the
//! `postgres` feature (the SQLite-only lane: the PostgreSQL lane of `.ci/run` builds with it) or when
//! no PostgreSQL is installed and `ORIENT_REQUIRE_POSTGRES` is not `1`.

use std::io::Write as _;

/// The engine a test body runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    /// Whether the PostgreSQL half can run: the binaries were `built` with PostgreSQL and a server is
    /// available (which, with `ORIENT_REQUIRE_POSTGRES=1`, must be).
    pub fn postgres_available(built: bool) -> bool {
        if !built {
            static SAID: std::sync::Once = std::sync::Once::new();
            SAID.call_once(|| {
                let _ = writeln!(
                    std::io::stderr(),
                    "skipping the PostgreSQL halves: this build has no `postgres` feature (the \
                     PostgreSQL lane runs them: cargo test … --features orient-database/postgres)"
                );
            });
            return false;
        }
        crate::postgres::server().is_some()
    }

    pub fn name(self) -> &'static str {
        match self {
            Engine::Sqlite => "sqlite",
            Engine::Postgres => "postgres",
        }
    }
}

/// `fn name(project: Project) { … }` → a module `name` with tests `sqlite` and `postgres`, each running
/// the body on a fresh scratch project of that engine (`Project::on`). A second form,
/// `fn name(engine: Engine) { … }`, hands the body the engine only, for tests that build their
/// projects themselves.
#[macro_export]
macro_rules! on_each_engine {
    ($( $(#[$meta:meta])* fn $name:ident($project:ident : Project) $body:block )*) => {$(
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            fn body($project: $crate::Project) $body
            $(#[$meta])*
            #[test]
            fn sqlite() {
                body($crate::Project::on($crate::Engine::Sqlite))
            }
            $(#[$meta])*
            #[test]
            fn postgres() {
                if $crate::Engine::postgres_available(::orient_database::db::target::POSTGRES_BUILT) {
                    body($crate::Project::on($crate::Engine::Postgres))
                }
            }
        }
    )*};
    ($( $(#[$meta:meta])* fn $name:ident($engine:ident : Engine) $body:block )*) => {$(
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            fn body($engine: $crate::Engine) $body
            $(#[$meta])*
            #[test]
            fn sqlite() {
                body($crate::Engine::Sqlite)
            }
            $(#[$meta])*
            #[test]
            fn postgres() {
                if $crate::Engine::postgres_available(::orient_database::db::target::POSTGRES_BUILT) {
                    body($crate::Engine::Postgres)
                }
            }
        }
    )*};
}
