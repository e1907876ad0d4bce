//! A JSON document stored as TEXT, as the original Orient stores arrays and objects.

use std::fmt::Debug;

use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::Text;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::types::TextBackend;

/// A value of `T` kept in a TEXT column as compact JSON (`["disable:x","enable:y"]`).
///
/// Text that is not valid JSON for `T` is a deserialisation error naming the type, never a panic.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, AsExpression, FromSqlRow)]
#[diesel(sql_type = Text)]
pub struct Json<T>(pub T);

impl<T> Json<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> From<T> for Json<T> {
    fn from(value: T) -> Json<T> {
        Json(value)
    }
}

impl<T: Serialize> Serialize for Json<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de, T: DeserializeOwned> serde::Deserialize<'de> for Json<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::deserialize(deserializer).map(Json)
    }
}

impl<T: Serialize + Debug, DB: TextBackend> ToSql<Text, DB> for Json<T> {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
        DB::write_text(out, serde_json::to_string(&self.0)?)
    }
}

impl<T: DeserializeOwned, DB: TextBackend> FromSql<Text, DB> for Json<T> {
    // Parses the borrowed text: no intermediate String per value read.
    fn from_sql(value: DB::RawValue<'_>) -> deserialize::Result<Self> {
        DB::with_text(value, |text| serde_json::from_str::<T>(text))?
            .map(Json)
            .map_err(|e| {
                format!(
                    "column holds text that is not JSON for {}: {e}",
                    std::any::type_name::<T>()
                )
                .into()
            })
    }
}

impl<T: DeserializeOwned> Json<T> {
    /// The value of a JSON column's SQL default (`DEFAULT '[]'`), for the insert structs
    /// `#[derive(Table)]` generates.
    ///
    /// # Panics
    /// When the default written in the declaration is not JSON for `T`. That is a mistake in the table's
    /// declaration, not in data, and the schema's tests build every insert struct, so it cannot reach a
    /// release unnoticed.
    pub fn from_default_text(text: &str) -> Json<T> {
        match serde_json::from_str(text) {
            Ok(value) => Json(value),
            Err(e) => panic!(
                "the declared default {text:?} is not JSON for {}: {e}; fix `#[orient(default = …)]`",
                std::any::type_name::<T>()
            ),
        }
    }
}
