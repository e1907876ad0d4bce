//! The error of a studio request, and the HTTP status it is answered with.

/// An error of a studio request, with the HTTP status it is answered with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A parameter names a table or column the database does not have, or is malformed: 400.
    #[error("{0}")]
    BadRequest(String),
    /// Values that do not fit their columns: 400, one message per column.
    #[error("{}", .0.join("; "))]
    Invalid(Vec<String>),
    #[error("{0}")]
    NotFound(String),
    /// A write while the studio runs without `--write`: 403.
    #[error("the studio is read-only; start it with `orient-db studio --write` to edit rows")]
    ReadOnly,
    /// A change the engine cannot make safely through the studio (a table without a primary key on
    /// PostgreSQL): 403, saying why.
    #[error("{0}")]
    Refused(String),
    /// The database refused a write (a constraint), or changed under it: 409.
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Database(#[from] crate::db::error::Error),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
    #[error(transparent)]
    Migrations(#[from] crate::migrations::Error),
    #[error("cannot listen on {address}: {source}")]
    Bind {
        address: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("cannot generate the access token: {0}")]
    Random(String),
}

impl Error {
    /// The HTTP status of the error.
    pub fn status(&self) -> u16 {
        match self {
            Error::BadRequest(_) | Error::Invalid(_) => 400,
            Error::NotFound(_) => 404,
            Error::ReadOnly | Error::Refused(_) => 403,
            Error::Conflict(_) => 409,
            Error::Database(e) if e.is_locked() => 503,
            Error::Query(e) if crate::db::backend::is_locked(e) => 503,
            Error::Query(diesel::result::Error::DatabaseError(kind, _)) => {
                use diesel::result::DatabaseErrorKind as K;
                match kind {
                    K::UniqueViolation
                    | K::ForeignKeyViolation
                    | K::NotNullViolation
                    | K::CheckViolation => 409,
                    _ => 500,
                }
            }
            _ => 500,
        }
    }
}
