//! How a backend carries text without copying it, so that [`Json`](super::Json) and the text enums
//! (`text_enum!`) convert from and to SQL generically, on every backend that implements this, at the
//! speed of the backend's own `&str` (a decoded enum allocates nothing).
//!
//! Implemented per engine under `dialect/` (SQLite's: `dialect/sqlite/text.rs`).

use diesel::backend::Backend;
use diesel::deserialize;
use diesel::serialize::{self, Output};

/// A backend whose text values can be read borrowed and written owned. See the module documentation.
pub trait TextBackend: Backend {
    /// Binds `text` (a value the caller just built, e.g. serialised JSON) as a TEXT parameter.
    fn write_text(out: &mut Output<'_, '_, Self>, text: String) -> serialize::Result;

    /// Reads a TEXT value and hands it to `read` borrowed, without an intermediate `String`.
    fn with_text<R>(
        value: Self::RawValue<'_>,
        read: impl FnOnce(&str) -> R,
    ) -> deserialize::Result<R>;
}
