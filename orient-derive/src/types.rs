//! Rust field type → SQL type: the one place this mapping lives.
//!
//! `table!` needs a Diesel SQL type *name* for every column (trait projections do not work inside it), so
//! the mapping is by the type's name. `Option<T>` is the only source of nullability.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{GenericArgument, Ident, PathArguments, Type};

/// The logical type of a column; mirrors `orient_database::model::ColumnType`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum SqlKind {
    Integer,
    BigInt,
    Bool,
    Text,
    Double,
    Binary,
    Timestamp,
    Json,
}

impl SqlKind {
    /// The Diesel SQL type written in `table!`.
    pub fn diesel_type(self) -> TokenStream {
        match self {
            SqlKind::Integer => quote!(Integer),
            SqlKind::BigInt | SqlKind::Timestamp => quote!(BigInt),
            SqlKind::Bool => quote!(Bool),
            SqlKind::Text | SqlKind::Json => quote!(Text),
            SqlKind::Double => quote!(Double),
            SqlKind::Binary => quote!(Binary),
        }
    }

    /// The `ColumnType` variant in the model constant.
    pub fn model_variant(self) -> TokenStream {
        match self {
            SqlKind::Integer => quote!(Integer),
            SqlKind::BigInt => quote!(BigInt),
            SqlKind::Bool => quote!(Bool),
            SqlKind::Text => quote!(Text),
            SqlKind::Double => quote!(Double),
            SqlKind::Binary => quote!(Binary),
            SqlKind::Timestamp => quote!(Timestamp),
            SqlKind::Json => quote!(Json),
        }
    }

    pub fn is_integer(self) -> bool {
        matches!(self, SqlKind::Integer | SqlKind::BigInt)
    }

    /// For `#[orient(sql_type = …)]` on a custom type.
    fn from_override(ident: &Ident) -> Option<SqlKind> {
        Some(match ident.to_string().to_ascii_lowercase().as_str() {
            "integer" => SqlKind::Integer,
            "bigint" => SqlKind::BigInt,
            "bool" => SqlKind::Bool,
            "text" => SqlKind::Text,
            "double" => SqlKind::Double,
            "binary" => SqlKind::Binary,
            "timestamp" => SqlKind::Timestamp,
            "json" => SqlKind::Json,
            _ => return None,
        })
    }
}

/// A field's type as the derive understands it.
pub struct FieldType {
    pub kind: SqlKind,
    pub nullable: bool,
    /// The type inside `Option`, or the field type itself.
    pub inner: Type,
    /// A type we do not know, given an SQL type with `#[orient(sql_type = …)]` (e.g. a text enum).
    pub custom: bool,
}

const SUPPORTED: &str =
    "i32, i64, bool, String, f64, Vec<u8>, Timestamp, Json<T>, and Option<…> of them";

pub fn classify(ty: &Type, sql_type: Option<&Ident>) -> syn::Result<FieldType> {
    let (nullable, inner) = match option_inner(ty) {
        Some(inner) => {
            if option_inner(inner).is_some() {
                return Err(syn::Error::new_spanned(
                    ty,
                    "`Option<Option<…>>` is not a column type: a column is either nullable or not; \
                     use a single `Option<…>`",
                ));
            }
            (true, inner)
        }
        None => (false, ty),
    };
    if let Some(ident) = sql_type {
        let kind = SqlKind::from_override(ident).ok_or_else(|| {
            syn::Error::new_spanned(
                ident,
                format!(
                    "unknown sql_type `{ident}`; expected one of: integer, bigint, bool, text, \
                     double, binary, timestamp, json"
                ),
            )
        })?;
        return Ok(FieldType {
            kind,
            nullable,
            inner: inner.clone(),
            custom: known_kind(inner).is_none(),
        });
    }
    match known_kind(inner) {
        Some(kind) => Ok(FieldType {
            kind,
            nullable,
            inner: inner.clone(),
            custom: false,
        }),
        None => Err(unsupported(inner)),
    }
}

/// What the fallback expansion declares for a field whose type [`classify`] refused: nullable as written,
/// of no known SQL type (`table!` declares it `__private::Unrecognised`, which matches any key, so other
/// tables' foreign keys to it add no error of their own); `kind` is only a placeholder for the model.
pub fn unrecognised(ty: &Type) -> FieldType {
    let (nullable, inner) = match option_inner(ty) {
        Some(inner) => (true, inner),
        None => (false, ty),
    };
    FieldType {
        kind: SqlKind::Text,
        nullable,
        inner: inner.clone(),
        custom: true,
    }
}

/// A type as the user would write it in a message: `Option<i64>`, not `Option < i64 >`.
pub fn type_name(ty: &Type) -> String {
    let mut text = quote!(#ty).to_string();
    for (spaced, tight) in [
        (" <", "<"),
        ("< ", "<"),
        (" >", ">"),
        (" ::", "::"),
        (":: ", "::"),
        (" ,", ","),
        ("& ", "&"),
        ("[ ", "["),
        (" ]", "]"),
        (" ;", ";"),
    ] {
        text = text.replace(spaced, tight);
    }
    text
}

/// `Vec<String>`, `HashMap<…>` and the like: a collection, which a column stores as JSON.
fn is_collection(ty: &Type) -> bool {
    let Type::Path(path) = ty else { return false };
    path.path.segments.last().is_some_and(|last| {
        matches!(
            last.ident.to_string().as_str(),
            "Vec" | "VecDeque" | "HashMap" | "BTreeMap" | "HashSet" | "BTreeSet"
        )
    })
}

fn unsupported(ty: &Type) -> syn::Error {
    let written = type_name(ty);
    let json_hint;
    let hint = match written.as_str() {
        "u8" | "u16" | "u32" | "u64" | "usize" | "i8" | "i16" | "isize" | "u128" | "i128" => {
            " SQLite integers are signed 64-bit: use `i64` (or `i32`)."
        }
        "f32" => " Use `f64`: SQLite stores every float as 64 bits.",
        "&str" | "str" | "Box<str>" => " Use `String`.",
        "DateTime<Utc>" | "NaiveDateTime" | "SystemTime" => {
            " Use `orient_database::types::Timestamp` (Unix seconds in an INTEGER column)."
        }
        "serde_json::Value" | "Value" => " Wrap JSON in `orient_database::types::Json<T>`.",
        _ if is_collection(ty) => {
            json_hint = format!(
                " Store a collection as JSON text: `orient_database::types::Json<{written}>`."
            );
            json_hint.as_str()
        }
        _ => {
            " For a type that converts to one of these (e.g. an enum made with `text_enum!`), add \
               `#[orient(sql_type = text)]`."
        }
    };
    syn::Error::new_spanned(
        ty,
        format!("unsupported field type `{written}`: supported are {SUPPORTED}.{hint}"),
    )
}

fn known_kind(ty: &Type) -> Option<SqlKind> {
    let Type::Path(path) = ty else { return None };
    if path.qself.is_some() {
        return None;
    }
    let last = path.path.segments.last()?;
    let name = last.ident.to_string();
    let no_args = matches!(last.arguments, PathArguments::None);
    match name.as_str() {
        "i32" if no_args => Some(SqlKind::Integer),
        "i64" if no_args => Some(SqlKind::BigInt),
        "bool" if no_args => Some(SqlKind::Bool),
        "String" if no_args => Some(SqlKind::Text),
        "f64" if no_args => Some(SqlKind::Double),
        "Timestamp" if no_args => Some(SqlKind::Timestamp),
        "Json" if !no_args => Some(SqlKind::Json),
        "Vec" => match single_generic(&last.arguments) {
            Some(Type::Path(arg)) if arg.path.is_ident("u8") => Some(SqlKind::Binary),
            _ => None,
        },
        _ => None,
    }
}

/// `T` for `Option<T>` (also `std::option::Option<T>`).
pub fn option_inner(ty: &Type) -> Option<&Type> {
    let Type::Path(path) = ty else { return None };
    let last = path.path.segments.last()?;
    if last.ident != "Option" {
        return None;
    }
    single_generic(&last.arguments)
}

fn single_generic(arguments: &PathArguments) -> Option<&Type> {
    let PathArguments::AngleBracketed(args) = arguments else {
        return None;
    };
    match args.args.iter().collect::<Vec<_>>().as_slice() {
        [GenericArgument::Type(inner)] => Some(inner),
        _ => None,
    }
}
