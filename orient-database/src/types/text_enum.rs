//! Enums for the documented value domains (`'primary' | 'specialized'`…), stored as the same text.

/// A text that is not one of an enum's values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{value}` is not a valid {type_name}; expected one of: {expected}")]
pub struct UnknownValue {
    pub type_name: &'static str,
    pub value: String,
    pub expected: String,
}

impl UnknownValue {
    #[doc(hidden)]
    pub fn new(type_name: &'static str, value: &str, expected: &[&str]) -> UnknownValue {
        UnknownValue {
            type_name,
            value: value.to_owned(),
            expected: expected.join(", "),
        }
    }
}

/// Declares an enum stored as TEXT: `as_str`, `FromStr`, `Display`, serde, and Diesel's `ToSql`/`FromSql`
/// for `Text` on SQLite. A column of such a type is declared with `#[orient(sql_type = text)]`, and its SQL
/// default is written as a variant: `#[orient(default = AgentMode::Primary)]`.
///
/// ```
/// orient_database::text_enum! {
///     /// How a tool pattern applies.
///     pub enum Access { Allow = "allow", Deny = "deny" }
/// }
/// assert_eq!(Access::Deny.as_str(), "deny");
/// assert_eq!("allow".parse::<Access>(), Ok(Access::Allow));
/// assert!("maybe".parse::<Access>().is_err());
/// ```
#[macro_export]
macro_rules! text_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
                 $crate::__private::diesel::expression::AsExpression,
                 $crate::__private::diesel::deserialize::FromSqlRow)]
        #[diesel(sql_type = $crate::__private::diesel::sql_types::Text)]
        $vis enum $name {
            $( $(#[$vmeta])* $variant ),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The text stored in the database.
            pub const fn as_str(&self) -> &'static str {
                match self { $( $name::$variant => $text ),+ }
            }
        }

        impl ::core::fmt::Display for $name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::core::str::FromStr for $name {
            type Err = $crate::types::UnknownValue;
            fn from_str(text: &str) -> ::core::result::Result<Self, Self::Err> {
                match text {
                    $( $text => Ok($name::$variant), )+
                    _ => Err($crate::types::UnknownValue::new(
                        stringify!($name), text, &[$($text),+])),
                }
            }
        }

        impl $crate::__private::serde::Serialize for $name {
            fn serialize<S: $crate::__private::serde::Serializer>(&self, s: S)
                -> ::core::result::Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> $crate::__private::serde::Deserialize<'de> for $name {
            fn deserialize<D: $crate::__private::serde::Deserializer<'de>>(d: D)
                -> ::core::result::Result<Self, D::Error> {
                let text = <::std::string::String as $crate::__private::serde::Deserialize>::deserialize(d)?;
                text.parse().map_err(<D::Error as $crate::__private::serde::de::Error>::custom)
            }
        }

        impl<DB: $crate::__private::diesel::backend::Backend>
            $crate::__private::diesel::serialize::ToSql<$crate::__private::diesel::sql_types::Text, DB>
            for $name
        where
            str: $crate::__private::diesel::serialize::ToSql<$crate::__private::diesel::sql_types::Text, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut $crate::__private::diesel::serialize::Output<'b, '_, DB>)
                -> $crate::__private::diesel::serialize::Result {
                self.as_str().to_sql(out)
            }
        }

        $crate::__text_enum_from_sql!($name);
    };
}

/// Reading a text enum: the borrowed text matched against the variants, no `String` allocated per
/// value. In a SQLite-only build one impl generic over [`TextBackend`](crate::types::TextBackend); in a
/// build with PostgreSQL one impl per backend, the multi-engine connection's handing the value to the
/// engine's own: a generic impl beside one for `MultiBackend` would be refused by coherence in every
/// crate but this one ("upstream crates may add a new impl of `TextBackend` for `MultiBackend`"), so a
/// service declaring its own enum would not compile. Not public API.
#[doc(hidden)]
#[macro_export]
#[cfg(not(feature = "postgres"))]
macro_rules! __text_enum_from_sql {
    ($name:ident) => {
        $crate::__text_enum_from_sql!(@generic $name);
    };
    (@generic $name:ident) => {
        impl<DB: $crate::types::TextBackend>
            $crate::__private::diesel::deserialize::FromSql<$crate::__private::diesel::sql_types::Text, DB>
            for $name
        {
            fn from_sql(value: DB::RawValue<'_>)
                -> $crate::__private::diesel::deserialize::Result<Self> {
                DB::with_text(value, |text| text.parse::<$name>())?
                    .map_err(|e: $crate::types::UnknownValue| e.into())
            }
        }
    };
}

#[doc(hidden)]
#[macro_export]
#[cfg(feature = "postgres")]
macro_rules! __text_enum_from_sql {
    ($name:ident) => {
        $crate::__text_enum_from_sql!(@one $name, $crate::__private::diesel::sqlite::Sqlite);
        $crate::__text_enum_from_sql!(@one $name, $crate::__private::diesel::pg::Pg);
        impl
            $crate::__private::diesel::deserialize::FromSql<
                $crate::__private::diesel::sql_types::Text,
                $crate::db::multi::MultiBackend,
            > for $name
        {
            fn from_sql(
                bytes: <$crate::db::multi::MultiBackend as $crate::__private::diesel::backend::Backend>::RawValue<'_>,
            ) -> $crate::__private::diesel::deserialize::Result<Self> {
                bytes.from_sql::<Self, $crate::__private::diesel::sql_types::Text>()
            }
        }
    };
    (@one $name:ident, $backend:ty) => {
        impl
            $crate::__private::diesel::deserialize::FromSql<$crate::__private::diesel::sql_types::Text, $backend>
            for $name
        {
            fn from_sql(value: <$backend as $crate::__private::diesel::backend::Backend>::RawValue<'_>)
                -> $crate::__private::diesel::deserialize::Result<Self> {
                <$backend as $crate::types::TextBackend>::with_text(value, |text| text.parse::<$name>())?
                    .map_err(|e: $crate::types::UnknownValue| e.into())
            }
        }
    };
}
