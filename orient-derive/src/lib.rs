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
//! generates the Diesel `table!` (`agent_skills`), a `joinable!` per foreign key, an insert struct
//! (`NewAgentSkill::new(agent_id, skill_name)`, defaults and `now` filled in) and the table's schema model
//! (`<AgentSkill as TableModel>::TABLE`), from which migrations are generated and databases checked.
//!
//! Struct attributes: `table = "name"` (required), `index(name = "…", columns(a, b))`,
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
//! The macro is split the way well-kept derives are: `attr` (syntax), `ast` (the struct), `types` (the
//! type mapping), `valid` (meaning, every misuse a spanned error) and `expand` (code generation).

mod ast;
mod attr;
mod expand;
mod types;
mod valid;

use proc_macro::TokenStream;

/// See the crate documentation.
#[proc_macro_derive(Table, attributes(orient))]
pub fn derive_table(input: TokenStream) -> TokenStream {
    derive_table_inner(input.into()).into()
}

/// The derive on `proc_macro2` tokens, so tests can call it.
fn derive_table_inner(input: proc_macro2::TokenStream) -> proc_macro2::TokenStream {
    let input: syn::DeriveInput = match syn::parse2(input) {
        Ok(input) => input,
        Err(error) => return error.to_compile_error(),
    };
    let result = ast::Input::from_syn(&input).and_then(|parsed| {
        valid::validate(&parsed)?;
        Ok(expand::expand(&parsed))
    });
    result.unwrap_or_else(|error| error.to_compile_error())
}

#[cfg(test)]
mod tests;
