//! [`TextBackend`] for SQLite: text is bound as an owned value and read straight from SQLite's buffer.

use diesel::deserialize;
use diesel::serialize::{self, IsNull, Output};
use diesel::sqlite::{Sqlite, SqliteValue};

use crate::types::TextBackend;

impl TextBackend for Sqlite {
    fn write_text(out: &mut Output<'_, '_, Sqlite>, text: String) -> serialize::Result {
        out.set_value(text);
        Ok(IsNull::No)
    }

    fn with_text<R>(
        mut value: SqliteValue<'_, '_, '_>,
        read: impl FnOnce(&str) -> R,
    ) -> deserialize::Result<R> {
        Ok(read(value.read_text()))
    }
}
