//! How the pools of a [`crate::db::Db`] open their connections: by the configured target's engine,
//! never by trying engines in turn (Diesel's `ConnectionManager` over a `MultiConnection` would try
//! each, hide the real error, and with a malformed URL create a SQLite file named like it).

use diesel::r2d2::{ManageConnection, R2D2Connection};

use crate::db::backend::{Access, DbConnection};
use crate::db::error::Error;
use crate::db::target::Target;
use crate::dialect::sqlite::connection as sqlite;

/// Opens connections to one target with one kind of access: the writer's pool has one, the readers'
/// pool another.
#[derive(Debug, Clone)]
pub struct DbManager {
    target: Target,
    access: Access,
}

impl DbManager {
    pub fn new(target: Target, access: Access) -> DbManager {
        DbManager { target, access }
    }

    /// One new connection, with the settings every connection of its engine gets.
    pub fn open(&self) -> Result<DbConnection, Error> {
        match &self.target {
            Target::Sqlite { path } => sqlite::establish(path, self.access),
            #[cfg(feature = "postgres")]
            Target::Postgres(server) => {
                Ok(crate::dialect::postgres::connection::establish(server, self.access)?.into())
            }
            #[cfg(not(feature = "postgres"))]
            Target::Postgres(_) => Err(Error::NotOnThisEngine {
                what: "this build",
                target: self.target.to_string(),
                instead: "build orient-database with the `postgres` feature to reach PostgreSQL",
            }),
        }
    }
}

impl ManageConnection for DbManager {
    type Connection = DbConnection;
    type Error = Error;

    fn connect(&self) -> Result<DbConnection, Error> {
        self.open()
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), Error> {
        conn.ping().map_err(Error::from)
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        conn.is_broken()
    }
}
