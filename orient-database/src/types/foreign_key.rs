//! Compile-time checks of foreign keys, for the code `#[derive(Table)]` generates (reached through
//! `orient_database::__private`, not public API).
//!
//! A foreign key whose type differs from the key it references, or that references a column other than
//! its table's primary key, is reported by a trait bound of this module carrying a
//! `#[diagnostic::on_unimplemented]` message that says what to write, spanned on the field, instead of a
//! Diesel trait error raised inside a generated join.

use diesel::expression::{AsExpression, Expression};
use diesel::sql_types::{BigInt, Binary, Bool, Double, Integer, Nullable, SingleValue, Text};
use diesel::{Column, ExpressionMethods, NullableExpressionMethods, Table, dsl};

/// The SQL type of a key without its nullability: a nullable foreign key may reference a NOT NULL key.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an SQL type a foreign key of `#[derive(Table)]` can have",
    note = "a foreign key and the key it references are `i32`, `i64`, `String` (or a text enum), `bool`, \
            `f64` or `Vec<u8>`, possibly in an `Option`"
)]
pub trait KeySqlType {
    /// The type without `Nullable`.
    type Base;
}

impl<T: KeySqlType> KeySqlType for Nullable<T> {
    type Base = T::Base;
}

/// The SQL type the fallback expansion of `#[derive(Table)]` gives a column whose Rust type it refused
/// (the refusal is the error the user reads): it is the same key type as every other, so the foreign keys
/// of other tables to that column add no error of their own.
#[derive(
    diesel::sql_types::SqlType, diesel::query_builder::QueryId, Debug, Clone, Copy, Default,
)]
pub struct Unrecognised;

/// The foreign key's SQL type (`Self`) is the referenced key's (`Referenced`).
#[diagnostic::on_unimplemented(
    message = "this foreign key is `{Self}` in SQL, but the key it references is `{Referenced}`",
    label = "declare this field with the Rust type of the referenced key",
    note = "Rust types by SQL type: `i32` is Integer; `i64` and `Timestamp` are BigInt; `String`, `Json<T>` \
            and text enums are Text; `bool` is Bool; `f64` is Double; `Vec<u8>` is Binary. A nullable \
            foreign key is an `Option` of the key's type."
)]
pub trait SameKeyType<Referenced> {}

impl<T> SameKeyType<T> for T {}

/// A column's SQL type without `Nullable`.
pub type KeyBase<C> = <<C as Expression>::SqlType as KeySqlType>::Base;

/// How a foreign key of SQL type `Self` relates to a referenced key of SQL type `Referenced`. Defined for
/// every pair of key types, so that the generated join is well-typed whatever the types, and a mismatch
/// is reported once, by [`foreign_key_type`] on the field, not again inside every join.
pub trait KeyPair<Referenced> {
    /// What [`foreign_key_type`] compares with `Referenced`: `Self`, or `Referenced` itself when either
    /// side is [`Unrecognised`] (whose column is already an error).
    type Checked;
    /// What the join compares the foreign key with: the referenced key `Pk` when the types are the
    /// same, else the foreign key `Fk` itself.
    type Pick<Fk, Pk>;
    /// `pk` or `fk`, as [`KeyPair::Pick`].
    fn pick<Fk, Pk>(fk: Fk, pk: Pk) -> Self::Pick<Fk, Pk>;
}

macro_rules! key_types {
    ($($ty:ident),+) => {
        $(impl KeySqlType for $ty {
            type Base = $ty;
        })+
        key_types!(@rows [$($ty),+] [$($ty),+]);
    };
    (@rows [$($fk:ident),+] $pks:tt) => {
        $(key_types!(@row $fk $pks);)+
    };
    (@row $fk:ident [$($pk:ident),+]) => {
        $(key_types!(@pair $fk $pk);)+
    };
    // `macro_rules` cannot compare two idents, so the equal pairs are spelled out.
    (@pair Integer Integer) => { key_types!(@impl Integer Integer Integer Pk); };
    (@pair BigInt BigInt) => { key_types!(@impl BigInt BigInt BigInt Pk); };
    (@pair Bool Bool) => { key_types!(@impl Bool Bool Bool Pk); };
    (@pair Text Text) => { key_types!(@impl Text Text Text Pk); };
    (@pair Double Double) => { key_types!(@impl Double Double Double Pk); };
    (@pair Binary Binary) => { key_types!(@impl Binary Binary Binary Pk); };
    (@pair Unrecognised $pk:ident) => { key_types!(@impl Unrecognised $pk $pk Fk); };
    (@pair $fk:ident Unrecognised) => { key_types!(@impl $fk Unrecognised Unrecognised Fk); };
    (@pair $fk:ident $pk:ident) => { key_types!(@impl $fk $pk $fk Fk); };
    (@impl $fk:ident $pk:ident $checked:ident $picked:ident) => {
        impl KeyPair<$pk> for $fk {
            type Checked = $checked;
            type Pick<Fk, Pk> = $picked;
            #[inline(always)]
            #[allow(unused_variables)]
            fn pick<Fk, Pk>(fk: Fk, pk: Pk) -> Self::Pick<Fk, Pk> {
                key_types!(@value $picked fk pk)
            }
        }
    };
    (@value Fk $fk:ident $pk:ident) => { $fk };
    (@value Pk $fk:ident $pk:ident) => { $pk };
}

// The SQL types `#[derive(Table)]` writes in `table!`.
key_types!(Integer, BigInt, Bool, Text, Double, Binary, Unrecognised);

/// See [`KeyPair::Pick`].
pub type JoinTarget<Fk, Pk> = <KeyBase<Fk> as KeyPair<KeyBase<Pk>>>::Pick<Fk, Pk>;

/// The `ON` clause of the join through foreign key `Fk` to key `Pk`: `Fk = Pk`, both as nullable, the type
/// `diesel::joinable!` gives it (`Fk = Fk` when their types differ, see [`KeyPair`]).
pub type JoinOn<Fk, Pk> = dsl::Eq<dsl::Nullable<Fk>, dsl::Nullable<JoinTarget<Fk, Pk>>>;

/// The value of [`JoinOn`], what `diesel::joinable!` computes.
#[inline(always)]
pub fn join_on<Fk, Pk>(fk: Fk, pk: Pk) -> JoinOn<Fk, Pk>
where
    Fk: Expression + Copy,
    Pk: Expression,
    Fk::SqlType: KeySqlType,
    Pk::SqlType: KeySqlType,
    KeyBase<Fk>: KeyPair<KeyBase<Pk>>,
    JoinTarget<Fk, Pk>: Expression,
    dsl::Nullable<Fk>: Expression,
    <dsl::Nullable<Fk> as Expression>::SqlType: SingleValue,
    dsl::Nullable<JoinTarget<Fk, Pk>>: AsExpression<<dsl::Nullable<Fk> as Expression>::SqlType>,
{
    let target = <KeyBase<Fk> as KeyPair<KeyBase<Pk>>>::pick(fk, pk);
    fk.nullable().eq(target.nullable())
}

/// Compiles when foreign key `Fk` has the SQL type of the key `Pk` it references.
pub const fn foreign_key_type<Fk, Pk>()
where
    Fk: Expression,
    Pk: Expression,
    Fk::SqlType: KeySqlType,
    Pk::SqlType: KeySqlType,
    KeyBase<Fk>: KeyPair<KeyBase<Pk>>,
    <KeyBase<Fk> as KeyPair<KeyBase<Pk>>>::Checked: SameKeyType<KeyBase<Pk>>,
{
}

/// `Self`, the primary key of a table, is the column `Referenced`.
#[diagnostic::on_unimplemented(
    message = "`references` names `{Referenced}`, which is not the primary key of its table",
    label = "reference the primary key: `references = <table>::<primary key>`",
    note = "the primary key of that table is `{Self}`; a foreign key references a primary key, which is \
            what joins compare it with"
)]
pub trait PrimaryKeyIs<Referenced> {}

impl<T> PrimaryKeyIs<T> for T {}

/// Compiles when column `C` is the primary key of its table.
pub const fn references_primary_key<C>()
where
    C: Column,
    <C::Table as Table>::PrimaryKey: PrimaryKeyIs<C>,
{
}
