//! [`TextBackend`] for PostgreSQL: text is written into the bind buffer and read borrowed from libpq's
//! result buffer (text values arrive as UTF-8 bytes; the client encoding Diesel sets is UTF8).

use std::io::Write as _;

use diesel::deserialize;
use diesel::pg::{Pg, PgValue};
use diesel::serialize::{self, IsNull, Output};

use crate::types::TextBackend;

impl TextBackend for Pg {
    fn write_text(out: &mut Output<'_, '_, Pg>, text: String) -> serialize::Result {
        out.write_all(text.as_bytes())?;
        Ok(IsNull::No)
    }

    fn with_text<R>(value: PgValue<'_>, read: impl FnOnce(&str) -> R) -> deserialize::Result<R> {
        Ok(read(std::str::from_utf8(value.as_bytes())?))
    }
}
