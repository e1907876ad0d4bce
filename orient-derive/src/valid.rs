//! What the attributes mean, decided once. Every rule here reports a spanned error that says what to write
//! instead, and what the attributes mean is stored in a [`Table`], which `expand.rs` reads and never
//! re-derives (it does not look at attribute tokens).
//!
//! A [`Table`] is built from every declaration, with errors or not: what is wrong is left out, a missing
//! primary key is guessed. That is what the fallback expansion emits beside the errors, so that one mistake
//! in a struct is one error, not one more for every place that names its table.

use std::collections::BTreeMap;

use proc_macro2::Span;
use quote::ToTokens;
use syn::{Attribute, Expr, ExprPath, Ident, Lit, Path, Type, UnOp, Visibility};

use crate::ast::{Field, Input};
use crate::attr::Errors;
use crate::types::{SqlKind, type_name};

/// The ON DELETE / ON UPDATE actions, as written in attributes.
const FK_ACTIONS: &[&str] = &[
    "no_action",
    "restrict",
    "cascade",
    "set_null",
    "set_default",
];

/// A table, as the derive emits it.
pub struct Table<'a> {
    pub ident: &'a Ident,
    pub vis: &'a Visibility,
    pub docs: &'a [Attribute],
    /// Generic structs are refused; nothing is implemented for one, even in the fallback.
    pub generic: bool,
    /// The SQL name.
    pub name: String,
    /// The Diesel module `table!` declares: the SQL name, or, when that is missing or unusable, the
    /// struct's `#[diesel(table_name = …)]`. `None`: no module can be declared.
    pub module: Option<Ident>,
    pub columns: Vec<Column<'a>>,
    /// Index into `columns`: the declared key, or a guess when there is none (then it is an error).
    pub primary_key: Option<usize>,
    /// In the order the original's migrations create them: unique constraints, single-column indexes,
    /// multi-column ones.
    pub indexes: Vec<Index>,
    pub foreign_keys: Vec<ForeignKey<'a>>,
    pub renamed_from: Option<String>,
}

impl Table<'_> {
    pub fn primary_key(&self) -> Option<&Column<'_>> {
        self.columns.get(self.primary_key?)
    }
}

pub struct Column<'a> {
    pub ident: &'a Ident,
    pub ty: &'a Type,
    /// The type of a value: `ty`, or the `T` of `Option<T>`.
    pub value_ty: &'a Type,
    pub docs: &'a [Attribute],
    /// The SQL name.
    pub name: String,
    pub kind: SqlKind,
    pub nullable: bool,
    /// Whether the field's type maps to `kind`; if not, the type is an error and `kind` a placeholder.
    pub understood: bool,
    pub autoincrement: bool,
    /// Whether inserting a row must supply this column: NOT NULL, no default of any kind declared, not
    /// generated. Decided by what is declared, valid or not, so that the fallback's `New…::new` takes the
    /// arguments its callers pass.
    pub required_on_insert: bool,
    /// The SQL default; `None` also when the one declared is wrong.
    pub default: Option<DefaultValue<'a>>,
    /// `default_now`: filled by the insert struct with the time of insert.
    pub default_now: bool,
    pub renamed_from: Option<String>,
}

/// A `default = …`, checked against its column.
pub enum DefaultValue<'a> {
    Bool(bool),
    /// In range for the column.
    Int(i64),
    /// The decimal digits as written (`-2.5`, `1e3`), a finite `f64`.
    Float(String),
    Text(String),
    /// An enum value such as `AgentMode::Primary`.
    Variant(&'a ExprPath),
}

pub struct Index {
    pub name: String,
    /// SQL column names.
    pub columns: Vec<String>,
    pub unique: bool,
}

pub struct ForeignKey<'a> {
    /// Index into `columns`.
    pub column: usize,
    /// `references = agents::id` as written, for spans.
    pub references: &'a Path,
    /// The referenced table's Diesel module (`agents`).
    pub table: Path,
    /// The referenced column (`id`).
    pub key: &'a Ident,
    /// Whether Diesel's join to the referenced table goes through this key: the first key to each other
    /// table (Diesel joins two tables through one key, and a table to itself only through an alias).
    pub joinable: bool,
    pub on_delete: FkAction,
    pub on_update: FkAction,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum FkAction {
    NoAction,
    Restrict,
    Cascade,
    SetNull,
    SetDefault,
}

impl FkAction {
    fn from_attr(ident: &Ident) -> Option<FkAction> {
        Some(match ident.to_string().as_str() {
            "no_action" => FkAction::NoAction,
            "restrict" => FkAction::Restrict,
            "cascade" => FkAction::Cascade,
            "set_null" => FkAction::SetNull,
            "set_default" => FkAction::SetDefault,
            _ => return None,
        })
    }

    /// The `orient_database::model::FkAction` variant.
    pub fn model_variant(self) -> &'static str {
        match self {
            FkAction::NoAction => "NoAction",
            FkAction::Restrict => "Restrict",
            FkAction::Cascade => "Cascade",
            FkAction::SetNull => "SetNull",
            FkAction::SetDefault => "SetDefault",
        }
    }
}

/// The table `input` declares and every error in what it means.
pub fn validate<'a>(input: &'a Input<'a>) -> (Table<'a>, Errors) {
    let mut errors = Errors::default();
    let (name, module) = table_name(input, &mut errors);
    let primary_key = primary_key(input, &name, &mut errors);
    check_columns(input, &mut errors);
    let mut columns = Vec::new();
    let mut foreign_keys = Vec::new();
    for (index, field) in input.fields.iter().enumerate() {
        columns.push(column(&name, field, &mut errors));
        if let Some(key) = foreign_key(index, field, module.as_ref(), &foreign_keys, &mut errors) {
            foreign_keys.push(key);
        }
    }
    let indexes = indexes(input, &name, &mut errors);
    let table = Table {
        ident: input.ident,
        vis: input.vis,
        docs: &input.docs,
        generic: input.generic,
        name,
        module,
        columns,
        primary_key,
        indexes,
        foreign_keys,
        renamed_from: input.attrs.renamed_from.as_ref().map(|r| r.value.clone()),
    };
    (table, errors)
}

fn error(span: Span, message: impl std::fmt::Display) -> syn::Error {
    syn::Error::new(span, message)
}

/// The SQL name and the Diesel module.
fn table_name(input: &Input<'_>, errors: &mut Errors) -> (String, Option<Ident>) {
    let diesel_module = input.attrs.diesel_table_name.clone();
    let Some(table) = &input.table else {
        // Reported where the struct is read: the attribute is missing, or did not parse.
        let name = diesel_module
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default();
        return (name, diesel_module);
    };
    let name = &table.value;
    let plain = name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    let problem = if name.is_empty() {
        Some("the table name is empty".to_owned())
    } else if !name.is_ascii() {
        Some(format!(
            "`{name}` is not ASCII: the table's Diesel module and its SQL table are named after it, on \
             every engine; use lower_snake_case ASCII letters, digits and `_`"
        ))
    } else if name
        .get(..7)
        .is_some_and(|prefix| prefix.eq_ignore_ascii_case("sqlite_"))
    {
        Some(format!(
            "`{name}`: names starting with `sqlite_` are reserved by SQLite; choose another"
        ))
    } else if name.starts_with("__") {
        Some(format!(
            "`{name}`: names starting with `__` are reserved for migration ledgers; choose another"
        ))
    } else if !plain || syn::parse_str::<Ident>(name).is_err() {
        // Letters, digits and `_`, not starting with a digit, and still no identifier: a keyword.
        let keyword = plain && !name.starts_with(|c: char| c.is_ascii_digit()) && name != "_";
        Some(if keyword {
            format!(
                "`{name}` is a Rust keyword, and the table's Diesel module is named after it; choose \
                 another name, e.g. `{name}s`"
            )
        } else {
            format!(
                "`{name}` is not a Rust identifier, and the table's Diesel module is named after it; \
                 use lower_snake_case letters, digits and `_`"
            )
        })
    } else {
        None
    };
    let module = match problem {
        Some(message) => {
            errors.push(error(table.span, message));
            diesel_module
        }
        None => syn::parse_str::<Ident>(name).ok(),
    };
    if let Some(old) = &input.attrs.renamed_from
        && (old.value.is_empty() || &old.value == name)
    {
        errors.push(error(
            old.span,
            "`renamed_from` names the table's previous name, which must differ from its name",
        ));
    }
    (name.clone(), module)
}

fn primary_key(input: &Input<'_>, table: &str, errors: &mut Errors) -> Option<usize> {
    let keys: Vec<(usize, &Field<'_>)> = input
        .fields
        .iter()
        .enumerate()
        .filter(|(_, f)| f.is_primary_key())
        .collect();
    match keys.as_slice() {
        [] => errors.push(syn::Error::new_spanned(
            input.ident,
            format!(
                "table `{table}` has no primary key: mark its key field with `#[orient(primary_key)]` \
                 (add `autoincrement` for an `i64` id the database assigns)"
            ),
        )),
        [(_, first), rest @ ..] => {
            for (_, extra) in rest {
                if let Some(span) = extra.attrs.primary_key {
                    errors.push(error(
                        span,
                        format!(
                            "second primary key: `{}` is already the primary key of `{table}`; a table \
                             has one primary-key field (for uniqueness over several columns, declare \
                             `#[orient(unique_index(name = \"…\", columns(…)))]` on the struct)",
                            first.ident
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
    // With no key declared, the fallback guesses one: a field whose misspelled key was `primary_key`,
    // else `id` (Diesel's default), else the first.
    keys.first().map(|(i, _)| *i).or_else(|| {
        let fields = &input.fields;
        fields
            .iter()
            .position(|f| f.attrs.misspelled.contains(&"primary_key"))
            .or_else(|| fields.iter().position(|f| f.ident == "id"))
            .or_else(|| (!fields.is_empty()).then_some(0))
    })
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

fn column<'a>(table: &str, field: &'a Field<'a>, errors: &mut Errors) -> Column<'a> {
    let default = default_value(table, field, errors);
    let declared_default = field.attrs.default.is_some() || field.attrs.default_now.is_some();
    Column {
        ident: field.ident,
        ty: field.ty,
        value_ty: &field.sql.inner,
        docs: &field.docs,
        name: field.column.clone(),
        kind: field.sql.kind,
        nullable: field.sql.nullable,
        understood: field.understood,
        autoincrement: field.is_autoincrement(),
        required_on_insert: !field.sql.nullable && !declared_default && !field.is_autoincrement(),
        default,
        default_now: field.attrs.default_now.is_some(),
        renamed_from: field.attrs.renamed_from.as_ref().map(|r| r.value.clone()),
    }
}

/// What a `default = …` expression is, before it is checked against its column.
enum Literal<'a> {
    Bool(bool),
    Int(String),
    Float(String),
    Str(String),
    Variant(&'a ExprPath),
}

fn classify_default(expr: &Expr) -> Option<Literal<'_>> {
    match expr {
        Expr::Lit(lit) => match &lit.lit {
            Lit::Bool(b) => Some(Literal::Bool(b.value)),
            Lit::Int(i) => Some(Literal::Int(i.base10_digits().to_owned())),
            Lit::Float(f) => Some(Literal::Float(f.base10_digits().to_owned())),
            Lit::Str(s) => Some(Literal::Str(s.value())),
            _ => None,
        },
        Expr::Unary(unary) if matches!(unary.op, UnOp::Neg(_)) => {
            match classify_default(&unary.expr)? {
                Literal::Int(digits) => Some(Literal::Int(format!("-{digits}"))),
                Literal::Float(digits) => Some(Literal::Float(format!("-{digits}"))),
                _ => None,
            }
        }
        Expr::Path(path) if path.path.segments.len() >= 2 => Some(Literal::Variant(path)),
        Expr::Group(group) => classify_default(&group.expr),
        _ => None,
    }
}

fn default_value<'a>(
    table: &str,
    field: &'a Field<'a>,
    errors: &mut Errors,
) -> Option<DefaultValue<'a>> {
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
    let expr = field.attrs.default.as_ref()?;
    if field.is_autoincrement() {
        errors.push(syn::Error::new_spanned(
            expr,
            "an autoincrement id gets its value from the database; remove `default`",
        ));
        return None;
    }
    if !field.understood {
        // The field's type is already an error; whether the default fits it cannot be said.
        return None;
    }
    let custom = field.sql.custom;
    let value = match classify_default(expr) {
        None => {
            errors.push(syn::Error::new_spanned(
                expr,
                "a default is a literal (`true`, `0`, `1.5`, `\"text\"`) or an enum value \
                 (`AgentMode::Primary`)",
            ));
            return None;
        }
        Some(Literal::Bool(b)) => {
            (kind == SqlKind::Bool && !custom).then_some(DefaultValue::Bool(b))
        }
        Some(Literal::Int(digits)) => {
            let numeric = kind.is_integer() || kind == SqlKind::Double;
            let value = match kind {
                SqlKind::Integer => digits.parse::<i32>().ok().map(i64::from),
                _ => digits.parse::<i64>().ok(),
            };
            match value {
                None if numeric => {
                    errors.push(out_of_range(expr, &digits, table, field));
                    return None;
                }
                Some(value) if numeric && !custom => Some(DefaultValue::Int(value)),
                _ => None,
            }
        }
        Some(Literal::Float(digits)) => {
            if kind == SqlKind::Double
                && !custom
                && !digits.parse::<f64>().is_ok_and(f64::is_finite)
            {
                errors.push(out_of_range(expr, &digits, table, field));
                return None;
            }
            (kind == SqlKind::Double && !custom).then_some(DefaultValue::Float(digits))
        }
        Some(Literal::Str(text)) => (matches!(kind, SqlKind::Text | SqlKind::Json) && !custom)
            .then_some(DefaultValue::Text(text)),
        Some(Literal::Variant(path)) => {
            (kind == SqlKind::Text && custom).then_some(DefaultValue::Variant(path))
        }
    };
    match value {
        Some(value) => Some(value),
        None => wrong_default(expr, table, field, errors),
    }
}

fn out_of_range(expr: &Expr, digits: &str, table: &str, field: &Field<'_>) -> syn::Error {
    syn::Error::new_spanned(
        expr,
        format!(
            "default `{digits}` is out of range for column `{table}`.`{}`, an `{}`",
            field.column,
            type_name(&field.sql.inner)
        ),
    )
}

fn wrong_default<'a>(
    expr: &Expr,
    table: &str,
    field: &Field<'_>,
    errors: &mut Errors,
) -> Option<DefaultValue<'a>> {
    errors.push(syn::Error::new_spanned(
        expr,
        format!(
            "default `{}` does not fit column `{table}`.`{}` of type `{}`: {}",
            expr.to_token_stream(),
            field.column,
            type_name(field.ty),
            default_hint(field)
        ),
    ));
    None
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

fn fk_action(action: Option<&Ident>, errors: &mut Errors) -> FkAction {
    let Some(action) = action else {
        return FkAction::NoAction;
    };
    FkAction::from_attr(action).unwrap_or_else(|| {
        errors.push(syn::Error::new_spanned(
            action,
            format!(
                "unknown foreign-key action `{action}`; expected one of: {}",
                FK_ACTIONS.join(", ")
            ),
        ));
        FkAction::NoAction
    })
}

/// The foreign key `field` declares, if any and if its `references` is a usable path. `earlier`: the
/// struct's keys before this one.
fn foreign_key<'a>(
    column: usize,
    field: &'a Field<'a>,
    module: Option<&Ident>,
    earlier: &[ForeignKey<'a>],
    errors: &mut Errors,
) -> Option<ForeignKey<'a>> {
    let on_delete = fk_action(field.attrs.on_delete.as_ref(), errors);
    let on_update = fk_action(field.attrs.on_update.as_ref(), errors);
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
        return None;
    };
    let key = match path.segments.last() {
        Some(last) if path.segments.len() >= 2 && path.leading_colon.is_none() => Some(&last.ident),
        _ => {
            errors.push(syn::Error::new_spanned(
                path,
                "write the referenced column as a path to its Diesel column, `table::column` \
                 (e.g. `references = agents::id`, with the table's module in scope)",
            ));
            None
        }
    };
    if on_delete == FkAction::SetNull
        && !field.sql.nullable
        && let Some(action) = &field.attrs.on_delete
    {
        errors.push(syn::Error::new_spanned(
            action,
            format!(
                "`on_delete = set_null` needs a nullable column, but `{}` is not an `Option`",
                field.ident
            ),
        ));
    }
    let key = key?;
    let mut table = path.clone();
    table.segments.pop();
    table.segments.pop_punct();
    let self_reference = module.is_some_and(|m| table.is_ident(m));
    let written = table.to_token_stream().to_string();
    let joinable = !self_reference
        && !earlier
            .iter()
            .any(|other| other.table.to_token_stream().to_string() == written);
    Some(ForeignKey {
        column,
        references: path,
        table,
        key,
        joinable,
        on_delete,
        on_update,
    })
}

fn indexes(input: &Input<'_>, table: &str, errors: &mut Errors) -> Vec<Index> {
    let mut names: BTreeMap<String, Span> = BTreeMap::new();
    // Whether an index may be named `name`; the reason why not is an error.
    let mut check_name = |name: &str, span: Span, errors: &mut Errors| {
        if name.is_empty() || name.contains('\0') {
            errors.push(error(
                span,
                "an index name must be non-empty and contain no NUL character",
            ));
            false
        } else if names.insert(name.to_owned(), span).is_some() {
            errors.push(error(
                span,
                format!(
                    "index `{name}` is declared twice in `{table}`; give each index its own name"
                ),
            ));
            false
        } else {
            true
        }
    };
    // Checked in the order they are written (`unique` and `index` per field, then the struct's), stored
    // in the order the original's migrations create them: unique, single-column, multi-column.
    let mut unique = Vec::new();
    let mut single = Vec::new();
    for field in &input.fields {
        if let Some(attr) = &field.attrs.unique {
            let name = attr
                .value
                .clone()
                .unwrap_or_else(|| format!("{table}_{}_unique", field.column));
            if check_name(&name, attr.span, errors) {
                unique.push(Index {
                    name,
                    columns: vec![field.column.clone()],
                    unique: true,
                });
            }
        }
        if let Some(attr) = &field.attrs.index
            && check_name(&attr.value, attr.span, errors)
        {
            single.push(Index {
                name: attr.value.clone(),
                columns: vec![field.column.clone()],
                unique: false,
            });
        }
    }
    let mut out = unique;
    out.append(&mut single);
    for declared in &input.attrs.indexes {
        let named = check_name(&declared.name.value, declared.name.span, errors);
        let mut columns = Vec::new();
        for column in &declared.columns {
            match input.field_by_ident(column) {
                Some(field) => columns.push(field.column.clone()),
                None => {
                    let known: Vec<String> =
                        input.fields.iter().map(|f| f.ident.to_string()).collect();
                    errors.push(syn::Error::new_spanned(
                        column,
                        format!(
                            "index `{}` names column `{column}`, which `{}` does not declare; its \
                             fields are: {}",
                            declared.name.value,
                            input.ident,
                            known.join(", ")
                        ),
                    ));
                }
            }
        }
        if named {
            out.push(Index {
                name: declared.name.value.clone(),
                columns,
                unique: declared.unique,
            });
        }
    }
    out
}
