//! `#[derive(Table)]`: a Rust struct becomes a table of the Orient database.
//!
//! ```ignore
//! #[derive(Table, Queryable, Selectable, Identifiable, Debug, Clone)]
//! #[diesel(table_name = agent_skills)]
//! #[orient(table = "agent_skills")]
//! pub struct AgentSkill {
//!     #[orient(primary_key, autoincrement)]
//!     pub id: i64,
//!     #[orient(references = agents::id, on_delete = cascade, index = "idx_agent_skills_agent")]
//!     pub agent_id: String,
//!     #[orient(index = "idx_agent_skills_skill")]
//!     pub skill_name: String,
//!     #[orient(default = true)]
//!     pub enabled: Option<bool>,
//!     #[orient(default_now)]
//!     pub created_at: Option<Timestamp>,
//! }
//! ```
//!
//! generates the Diesel `table!` (`agent_skills`), the joins of each foreign key (what `joinable!` would
//! write), an insert struct (`NewAgentSkill::new(agent_id, skill_name)`, defaults and `now` filled in;
//! none for a table whose only column is its autoincrement id)
//! and the table's schema model (`<AgentSkill as TableModel>::TABLE`), from which migrations are generated
//! and databases checked. A foreign key must reference the primary key of a table in scope and have its
//! type; both are checked at compile time, each error spanned on the field.
//!
//! A struct with a mistake gets the errors *and* the items above, built from what could be understood, so
//! that one mistake is one error: the tables that reference it, `register_tables!` and the queries naming
//! it still compile.
//!
//! Struct attributes: `table = "name"` (required; ASCII letters, digits and `_`, since it also names the
//! Diesel module), `index(name = "…", columns(a, b))`,
//! `unique_index(name = "…", columns(a, b))`, `renamed_from = "old_name"`.
//!
//! Field attributes: `primary_key`, `autoincrement` (an `i64` primary key), `unique` (an index named
//! `<table>_<column>_unique`) or `unique = "name"`, `index = "name"`, `default = <literal or Enum::Variant>`,
//! `default_now` (filled by the insert struct, no SQL default), `references = table::column`,
//! `on_delete`/`on_update = cascade | set_null | set_default | restrict | no_action`, `column = "sql_name"`,
//! `sql_type = text | integer | bigint | bool | double | binary | timestamp | json` (custom types),
//! `renamed_from = "old_name"`.
//!
//! Rust → SQL types: `i32` Integer, `i64` BigInt, `bool` Bool, `String` Text, `f64` Double, `Vec<u8>` Binary,
//! `Timestamp` BigInt (Unix seconds), `Json<T>` Text; `Option<T>` is nullable. A crate using the derive
//! needs `diesel` and `orient_database` as dependencies, because the generated code names them.
//!
//! The crate also holds `#[orient_database::test]` ([`macro@test`], in `test_attr`), re-exported by
//! `orient_database` behind its `testing` feature.
//!
//! The macro is split the way well-kept derives are: `attr` (syntax), `ast` (the struct), `types` (the
//! type mapping), `valid` (meaning, every misuse a spanned error, decided once into the table `expand`
//! reads) and `expand` (code generation, also the fallback emitted beside errors).

mod ast;
mod attr;
mod expand;
mod test_attr;
mod types;
mod valid;

use proc_macro::TokenStream;

/// See the crate documentation.
#[proc_macro_derive(Table, attributes(orient))]
pub fn derive_table(input: TokenStream) -> TokenStream {
    derive_table_inner(input.into()).into()
}

/// The derive on `proc_macro2` tokens, so tests can call it.
///
/// A declaration with errors expands to the errors *and* to the items other code names (the table's
/// module, its insert struct, its model), built from what could be understood: thiserror's fallback. One
/// misspelled key is then one error, not one more for every foreign key, registration and query naming
/// the table.
fn derive_table_inner(input: proc_macro2::TokenStream) -> proc_macro2::TokenStream {
    let input: syn::DeriveInput = match syn::parse2(input) {
        Ok(input) => input,
        Err(error) => return error.to_compile_error(),
    };
    let (parsed, mut errors) = ast::Input::from_syn(&input);
    let Some(parsed) = parsed else {
        return errors.into_compile_error();
    };
    let (table, meaning_errors) = valid::validate(&parsed);
    // A declaration that did not parse is not judged on its meaning: those errors would repeat the parse
    // errors (a misspelled `primary_key` is also a missing primary key).
    if errors.is_empty() {
        errors = meaning_errors;
    }
    if errors.is_empty() {
        expand::expand(&table, expand::Mode::Complete)
    } else {
        let mut out = errors.into_compile_error();
        out.extend(expand::expand(&table, expand::Mode::Fallback));
        out
    }
}

/// `#[orient_database::test]`: a `#[test]` taking a fresh migrated database (`db: Db` or `db: TestDb`),
/// deleted when the test returns; `#[orient_database::test(template = SEEDED)]` copies another template.
/// Use it through `orient_database` (feature `testing`), which re-exports it; see
/// `orient_database::testing`.
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    test_attr::expand(args.into(), item.into()).into()
}

#[cfg(test)]
mod tests;
