//! What the attributes mean, checked before anything is generated. Every rule here reports a spanned error
//! that says what to write instead; `expand.rs` may then assume a valid input.

use std::collections::BTreeMap;

use proc_macro2::Span;
use quote::ToTokens;
use syn::{Expr, Lit, UnOp};

use crate::ast::{Field, Input};
use crate::attr::Errors;
use crate::types::{SqlKind, type_name};

/// The ON DELETE / ON UPDATE actions, as written in attributes.
pub const FK_ACTIONS: &[&str] = &[
    "no_action",
    "restrict",
    "cascade",
    "set_null",
    "set_default",
];

pub fn validate(input: &Input<'_>) -> syn::Result<()> {
    let mut errors = Errors::default();
    check_table_name(input, &mut errors);
    check_primary_key(input, &mut errors);
    check_columns(input, &mut errors);
    for field in &input.fields {
        check_defaults(input, field, &mut errors);
        check_foreign_key(field, &mut errors);
    }
    check_indexes(input, &mut errors);
    errors.finish()
}

fn error(span: Span, message: impl std::fmt::Display) -> syn::Error {
    syn::Error::new(span, message)
}

fn check_table_name(input: &Input<'_>, errors: &mut Errors) {
    let name = &input.table.value;
    let span = input.table.span;
    if name.is_empty() {
        // Already reported as a missing table name when the attribute is absent.
        if input.attrs.table.is_some() {
            errors.push(error(span, "the table name is empty"));
        }
        return;
    }
    if name.len() >= 7 && name[..7].eq_ignore_ascii_case("sqlite_") {
        errors.push(error(
            span,
            format!(
                "`{name}`: names starting with `sqlite_` are reserved by SQLite; choose another"
            ),
        ));
    } else if name.starts_with("__") {
        errors.push(error(
            span,
            format!(
                "`{name}`: names starting with `__` are reserved for migration ledgers; choose another"
            ),
        ));
    } else if syn::parse_str::<syn::Ident>(name).is_err() {
        errors.push(error(
            span,
            format!(
                "`{name}` is not a Rust identifier, and the table's Diesel module is named after it; \
                 use lower_snake_case letters, digits and `_`"
            ),
        ));
    }
    if let Some(old) = &input.attrs.renamed_from
        && (old.value.is_empty() || &old.value == name)
    {
        errors.push(error(
            old.span,
            "`renamed_from` names the table's previous name, which must differ from its name",
        ));
    }
}

fn check_primary_key(input: &Input<'_>, errors: &mut Errors) {
    let keys: Vec<&Field<'_>> = input.fields.iter().filter(|f| f.is_primary_key()).collect();
    match keys.as_slice() {
        [] => errors.push(syn::Error::new_spanned(
            input.ident,
            format!(
                "table `{}` has no primary key: mark its key field with `#[orient(primary_key)]` \
                 (add `autoincrement` for an `i64` id the database assigns)",
                input.table.value
            ),
        )),
        [first, rest @ ..] => {
            for extra in rest {
                if let Some(span) = extra.attrs.primary_key {
                    errors.push(error(
                        span,
                        format!(
                            "second primary key: `{}` is already the primary key of `{}`; a table has \
                             one primary-key field (for uniqueness over several columns, declare \
                             `#[orient(unique_index(name = \"…\", columns(…)))]` on the struct)",
                            first.ident, input.table.value
                        ),
                    ));
                }
            }
        }
    }
    for field in &input.fields {
        if let (Some(span), true) = (field.attrs.primary_key, field.sql.nullable) {
            errors.push(error(
                span,
                format!(
                    "primary key `{}` is an `Option`: a key is never NULL; use the inner type",
                    field.ident
                ),
            ));
        }
        if let Some(span) = field.attrs.autoincrement {
            if !field.is_primary_key() {
                errors.push(error(
                    span,
                    format!(
                        "`autoincrement` applies to the primary key only; add `primary_key` to `{}` \
                         or remove `autoincrement`",
                        field.ident
                    ),
                ));
            } else if field.sql.kind != SqlKind::BigInt || field.sql.custom {
                let hint = if field.sql.kind.is_integer() {
                    "SQLite row ids are 64-bit: declare it as `i64`"
                } else {
                    "only an integer column can be an autoincrement id: declare it as `i64`, or \
                     remove `autoincrement` and supply the key on insert"
                };
                errors.push(error(
                    span,
                    format!(
                        "`autoincrement` on `{}`, which is not an `i64` column; {hint}",
                        field.ident
                    ),
                ));
            }
        }
    }
}

fn check_columns(input: &Input<'_>, errors: &mut Errors) {
    let mut seen: BTreeMap<&str, &Field<'_>> = BTreeMap::new();
    for field in &input.fields {
        let span = field
            .attrs
            .column
            .as_ref()
            .map_or_else(|| field.ident.span(), |c| c.span);
        if field.column.is_empty() || field.column.contains('\0') {
            errors.push(error(
                span,
                "a column name must be non-empty and contain no NUL character",
            ));
        }
        if let Some(previous) = seen.insert(&field.column, field) {
            errors.push(error(
                span,
                format!(
                    "column `{}` is declared twice (fields `{}` and `{}`)",
                    field.column, previous.ident, field.ident
                ),
            ));
        }
        if let Some(old) = &field.attrs.renamed_from
            && (old.value.is_empty() || old.value == field.column)
        {
            errors.push(error(
                old.span,
                "`renamed_from` names the column's previous name, which must differ from its name",
            ));
        }
        if let (Some(ty), false) = (&field.attrs.sql_type, field.sql.custom) {
            errors.push(syn::Error::new_spanned(
                ty,
                format!(
                    "`sql_type` is for custom types; `{}` already maps to an SQL type, remove it",
                    type_name(&field.sql.inner)
                ),
            ));
        }
    }
}

/// What a `default = …` expression is.
pub enum DefaultExpr<'a> {
    Bool(bool),
    Int(String),
    Float(String),
    Str(String),
    /// An enum value such as `AgentMode::Primary`.
    Variant(&'a syn::ExprPath),
}

pub fn classify_default(expr: &Expr) -> Option<DefaultExpr<'_>> {
    match expr {
        Expr::Lit(lit) => match &lit.lit {
            Lit::Bool(b) => Some(DefaultExpr::Bool(b.value)),
            Lit::Int(i) => Some(DefaultExpr::Int(i.base10_digits().to_owned())),
            Lit::Float(f) => Some(DefaultExpr::Float(f.base10_digits().to_owned())),
            Lit::Str(s) => Some(DefaultExpr::Str(s.value())),
            _ => None,
        },
        Expr::Unary(unary) if matches!(unary.op, UnOp::Neg(_)) => {
            match classify_default(&unary.expr)? {
                DefaultExpr::Int(digits) => Some(DefaultExpr::Int(format!("-{digits}"))),
                DefaultExpr::Float(digits) => Some(DefaultExpr::Float(format!("-{digits}"))),
                _ => None,
            }
        }
        Expr::Path(path) if path.path.segments.len() >= 2 => Some(DefaultExpr::Variant(path)),
        Expr::Group(group) => classify_default(&group.expr),
        _ => None,
    }
}

fn check_defaults(input: &Input<'_>, field: &Field<'_>, errors: &mut Errors) {
    let kind = field.sql.kind;
    if let Some(span) = field.attrs.default_now {
        if kind != SqlKind::Timestamp {
            errors.push(error(
                span,
                format!(
                    "`default_now` fills a `Timestamp` column, but `{}` is `{}`; declare it as \
                     `Timestamp` (or `Option<Timestamp>`), or remove `default_now`",
                    field.ident,
                    type_name(field.ty)
                ),
            ));
        }
        if field.attrs.default.is_some() {
            errors.push(error(
                span,
                "`default_now` and `default` both give a default; keep one",
            ));
        }
    }
    let Some(expr) = &field.attrs.default else {
        return;
    };
    if field.is_autoincrement() {
        errors.push(syn::Error::new_spanned(
            expr,
            "an autoincrement id gets its value from the database; remove `default`",
        ));
        return;
    }
    let ok = match classify_default(expr) {
        None => {
            errors.push(syn::Error::new_spanned(
                expr,
                "a default is a literal (`true`, `0`, `1.5`, `\"text\"`) or an enum value \
                 (`AgentMode::Primary`)",
            ));
            return;
        }
        Some(DefaultExpr::Bool(_)) => kind == SqlKind::Bool && !field.sql.custom,
        Some(DefaultExpr::Int(digits)) => {
            let fits = match kind {
                SqlKind::Integer => digits.parse::<i32>().is_ok(),
                SqlKind::BigInt => digits.parse::<i64>().is_ok(),
                _ => true,
            };
            if !fits {
                errors.push(syn::Error::new_spanned(
                    expr,
                    format!(
                        "default `{digits}` is out of range for column `{}`.`{}`, an `{}`",
                        input.table.value,
                        field.column,
                        type_name(&field.sql.inner)
                    ),
                ));
                return;
            }
            (kind.is_integer() || kind == SqlKind::Double) && !field.sql.custom
        }
        Some(DefaultExpr::Float(_)) => kind == SqlKind::Double && !field.sql.custom,
        Some(DefaultExpr::Str(_)) => {
            matches!(kind, SqlKind::Text | SqlKind::Json) && !field.sql.custom
        }
        Some(DefaultExpr::Variant(_)) => kind == SqlKind::Text && field.sql.custom,
    };
    if !ok {
        errors.push(syn::Error::new_spanned(
            expr,
            format!(
                "default `{}` does not fit column `{}`.`{}` of type `{}`: {}",
                expr.to_token_stream(),
                input.table.value,
                field.column,
                type_name(field.ty),
                default_hint(field)
            ),
        ));
    }
}

/// What a default for this field looks like, for the error about one that does not fit.
fn default_hint(field: &Field<'_>) -> String {
    let inner = type_name(&field.sql.inner);
    if field.sql.custom {
        return if field.sql.kind == SqlKind::Text {
            format!("write the default as a value of `{inner}`, e.g. `default = {inner}::Variant`")
        } else {
            "a default on a custom type is an enum value stored as text (`sql_type = text`); \
             remove `default`"
                .to_owned()
        };
    }
    match field.sql.kind {
        SqlKind::Bool => "write `default = true` or `default = false`".to_owned(),
        SqlKind::Integer | SqlKind::BigInt => "write an integer, e.g. `default = 0`".to_owned(),
        SqlKind::Double => "write a number, e.g. `default = 0.5`".to_owned(),
        SqlKind::Text => "write a string, e.g. `default = \"text\"`".to_owned(),
        SqlKind::Json => "write the JSON as a string, e.g. `default = \"[]\"`".to_owned(),
        SqlKind::Timestamp => {
            "a `Timestamp` column takes no literal default; use `default_now` for the time of insert"
                .to_owned()
        }
        SqlKind::Binary => "a binary column takes no default; remove `default`".to_owned(),
    }
}

fn check_foreign_key(field: &Field<'_>, errors: &mut Errors) {
    for action in [&field.attrs.on_delete, &field.attrs.on_update]
        .into_iter()
        .flatten()
    {
        if !FK_ACTIONS.contains(&action.to_string().as_str()) {
            errors.push(syn::Error::new_spanned(
                action,
                format!(
                    "unknown foreign-key action `{action}`; expected one of: {}",
                    FK_ACTIONS.join(", ")
                ),
            ));
        }
    }
    let Some(path) = &field.attrs.references else {
        for (key, action) in [
            ("on_delete", &field.attrs.on_delete),
            ("on_update", &field.attrs.on_update),
        ] {
            if let Some(action) = action {
                errors.push(syn::Error::new_spanned(
                    action,
                    format!(
                        "`{key} = {action}` applies to a foreign key, but `{}` references nothing; \
                         add `references = table::column`, or remove `{key}`",
                        field.ident
                    ),
                ));
            }
        }
        return;
    };
    if path.segments.len() < 2 || path.leading_colon.is_some() {
        errors.push(syn::Error::new_spanned(
            path,
            "write the referenced column as a path to its Diesel column, `table::column` \
             (e.g. `references = agents::id`, with the table's module in scope)",
        ));
    }
    if let Some(action) = &field.attrs.on_delete
        && action == "set_null"
        && !field.sql.nullable
    {
        errors.push(syn::Error::new_spanned(
            action,
            format!(
                "`on_delete = set_null` needs a nullable column, but `{}` is not an `Option`",
                field.ident
            ),
        ));
    }
}

fn check_indexes(input: &Input<'_>, errors: &mut Errors) {
    let mut names: BTreeMap<String, Span> = BTreeMap::new();
    let mut add = |name: String, span: Span, errors: &mut Errors| {
        if name.is_empty() || name.contains('\0') {
            errors.push(error(
                span,
                "an index name must be non-empty and contain no NUL character",
            ));
        } else if names.insert(name.clone(), span).is_some() {
            errors.push(error(
                span,
                format!(
                    "index `{name}` is declared twice in `{}`; give each index its own name",
                    input.table.value
                ),
            ));
        }
    };
    for field in &input.fields {
        if let (Some(unique), Some(name)) = (
            &field.attrs.unique,
            field.unique_index_name(&input.table.value),
        ) {
            add(name, unique.span, errors);
        }
        if let Some(index) = &field.attrs.index {
            add(index.value.clone(), index.span, errors);
        }
    }
    for index in &input.attrs.indexes {
        add(index.name.value.clone(), index.name.span, errors);
        for column in &index.columns {
            if input.field_by_ident(column).is_none() {
                let known: Vec<String> = input.fields.iter().map(|f| f.ident.to_string()).collect();
                errors.push(syn::Error::new_spanned(
                    column,
                    format!(
                        "index `{}` names column `{column}`, which `{}` does not declare; its fields are: {}",
                        index.name.value,
                        input.ident,
                        known.join(", ")
                    ),
                ));
            }
        }
    }
}
