//! The struct as the derive understands it: the table, its columns, indexes and foreign keys, each with the
//! span of what the user wrote. Built from `syn` in one pass that collects every error it meets; what
//! cannot be read is left out (or, for a field's type, marked unrecognised), so that a derive that fails
//! still has a table to emit the items other code names (see `expand::Mode::Fallback`).

use syn::spanned::Spanned as _;
use syn::{Attribute, Data, DeriveInput, Fields, Ident, Type, Visibility};

use crate::attr::{self, Errors, FieldAttrs, Spanned, StructAttrs};
use crate::types::{self, FieldType};

pub struct Input<'a> {
    pub ident: &'a Ident,
    pub vis: &'a Visibility,
    /// Whether the struct has generic parameters (refused: a table has one concrete type per column).
    pub generic: bool,
    pub docs: Vec<Attribute>,
    /// `#[orient(table = "…")]`, absent when it is missing or did not parse.
    pub table: Option<Spanned<String>>,
    pub attrs: StructAttrs,
    pub fields: Vec<Field<'a>>,
}

pub struct Field<'a> {
    pub ident: &'a Ident,
    pub ty: &'a Type,
    pub docs: Vec<Attribute>,
    pub attrs: FieldAttrs,
    /// The SQL column name: the field name, or `#[orient(column = "…")]`.
    pub column: String,
    pub sql: FieldType,
    /// Whether `sql` is the type's mapping; if not, the type was refused and `sql` is a placeholder, so
    /// that the fallback expansion still declares the column.
    pub understood: bool,
}

impl Field<'_> {
    pub fn is_primary_key(&self) -> bool {
        self.attrs.primary_key.is_some()
    }

    pub fn is_autoincrement(&self) -> bool {
        self.attrs.autoincrement.is_some()
    }
}

impl<'a> Input<'a> {
    /// The struct as far as it could be read, and every error met on the way. `None` only when there is
    /// no struct with named fields to read at all.
    pub fn from_syn(input: &'a DeriveInput) -> (Option<Input<'a>>, Errors) {
        let mut errors = Errors::default();
        let named = match &input.data {
            Data::Struct(data) => match &data.fields {
                Fields::Named(named) => named,
                _ => {
                    errors.push(syn::Error::new_spanned(
                        &input.ident,
                        "#[derive(Table)] needs a struct with named fields, one per column",
                    ));
                    return (None, errors);
                }
            },
            Data::Enum(data) => {
                errors.push(syn::Error::new_spanned(
                    data.enum_token,
                    "#[derive(Table)] works on structs: a table is a struct with one field per column",
                ));
                return (None, errors);
            }
            Data::Union(data) => {
                errors.push(syn::Error::new_spanned(
                    data.union_token,
                    "#[derive(Table)] works on structs: a table is a struct with one field per column",
                ));
                return (None, errors);
            }
        };
        let generic = !input.generics.params.is_empty();
        if generic {
            errors.push(syn::Error::new_spanned(
                &input.generics,
                "#[derive(Table)] does not support generic structs: a table has one concrete type per column",
            ));
        }

        let mut attr_errors = Errors::default();
        let attrs = attr::parse_struct_attrs(&input.attrs, &mut attr_errors);
        // An `#[orient(…)]` that failed to parse (say `tabel = "…"`) may be where the name was meant to
        // be: its own error says so, and a second one about the missing name would only repeat it.
        let attrs_parsed = attr_errors.is_empty();
        errors.append(attr_errors);
        let table = attrs.table.clone();
        if table.is_none() && attrs_parsed {
            errors.push(syn::Error::new_spanned(
                &input.ident,
                format!(
                    "missing table name: add `#[orient(table = \"{}\")]` to `{}`",
                    suggested_table_name(&input.ident.to_string()),
                    input.ident
                ),
            ));
        }

        let mut fields = Vec::new();
        for field in &named.named {
            let Some(ident) = field.ident.as_ref() else {
                continue;
            };
            let field_attrs = attr::parse_field_attrs(&field.attrs, &mut errors);
            let (sql, understood) = match types::classify(&field.ty, field_attrs.sql_type.as_ref())
            {
                Ok(sql) => (sql, true),
                Err(e) => {
                    errors.push(e);
                    (types::unrecognised(&field.ty), false)
                }
            };
            let column = field_attrs.column.as_ref().map_or_else(
                || ident.to_string().trim_start_matches("r#").to_owned(),
                |c| c.value.clone(),
            );
            fields.push(Field {
                ident,
                ty: &field.ty,
                docs: attr::docs(&field.attrs),
                attrs: field_attrs,
                column,
                sql,
                understood,
            });
        }
        if named.named.is_empty() {
            errors.push(syn::Error::new(
                named.span(),
                "a table needs at least one column",
            ));
        }
        let input = Input {
            ident: &input.ident,
            vis: &input.vis,
            generic,
            docs: attr::docs(&input.attrs),
            table,
            attrs,
            fields,
        };
        (Some(input), errors)
    }

    pub fn field_by_ident(&self, ident: &Ident) -> Option<&Field<'a>> {
        self.fields.iter().find(|f| f.ident == ident)
    }
}

/// `AgentSkill` → `agent_skills`, for the hint in the missing-table-name error.
fn suggested_table_name(struct_name: &str) -> String {
    let mut snake = String::new();
    for (i, ch) in struct_name.chars().enumerate() {
        if ch.is_uppercase() && i > 0 {
            snake.push('_');
        }
        snake.extend(ch.to_lowercase());
    }
    if !snake.ends_with('s') {
        snake.push('s');
    }
    snake
}
