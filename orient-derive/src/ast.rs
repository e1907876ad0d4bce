//! The struct as the derive understands it: the table, its columns, indexes and foreign keys, each with the
//! span of what the user wrote. Built from `syn` in one pass that collects every error it meets.

use proc_macro2::Span;
use syn::spanned::Spanned as _;
use syn::{Attribute, Data, DeriveInput, Fields, Ident, Path, Type, Visibility};

use crate::attr::{self, Errors, FieldAttrs, Spanned, StructAttrs};
use crate::types::{self, FieldType};

pub struct Input<'a> {
    pub ident: &'a Ident,
    pub vis: &'a Visibility,
    pub docs: Vec<Attribute>,
    pub table: Spanned<String>,
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
}

impl Field<'_> {
    pub fn is_primary_key(&self) -> bool {
        self.attrs.primary_key.is_some()
    }

    pub fn is_autoincrement(&self) -> bool {
        self.attrs.autoincrement.is_some()
    }

    /// Whether inserting a row must supply this column: NOT NULL, no default of any kind, not generated.
    pub fn is_required_on_insert(&self) -> bool {
        !self.sql.nullable
            && self.attrs.default.is_none()
            && self.attrs.default_now.is_none()
            && !self.is_autoincrement()
    }

    /// The name of the unique index `#[orient(unique)]` asks for: as written, or
    /// `<table>_<column>_unique`, the way the original Orient names them.
    pub fn unique_index_name(&self, table: &str) -> Option<String> {
        let unique = self.attrs.unique.as_ref()?;
        Some(
            unique
                .value
                .clone()
                .unwrap_or_else(|| format!("{table}_{}_unique", self.column)),
        )
    }

    /// `references = agents::id` → (`agents`, `id`).
    pub fn reference(&self) -> Option<(Path, &Ident)> {
        let path = self.attrs.references.as_ref()?;
        let column = &path.segments.last()?.ident;
        let mut table = path.clone();
        table.segments.pop();
        table.segments.pop_punct();
        Some((table, column))
    }
}

impl<'a> Input<'a> {
    pub fn from_syn(input: &'a DeriveInput) -> syn::Result<Input<'a>> {
        let mut errors = Errors::default();
        let named = match &input.data {
            Data::Struct(data) => match &data.fields {
                Fields::Named(named) => named,
                _ => {
                    return Err(syn::Error::new_spanned(
                        &input.ident,
                        "#[derive(Table)] needs a struct with named fields, one per column",
                    ));
                }
            },
            Data::Enum(data) => {
                return Err(syn::Error::new_spanned(
                    data.enum_token,
                    "#[derive(Table)] works on structs: a table is a struct with one field per column",
                ));
            }
            Data::Union(data) => {
                return Err(syn::Error::new_spanned(
                    data.union_token,
                    "#[derive(Table)] works on structs: a table is a struct with one field per column",
                ));
            }
        };
        if !input.generics.params.is_empty() {
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
        let table = attrs.table.clone().unwrap_or_else(|| {
            if attrs_parsed {
                errors.push(syn::Error::new_spanned(
                    &input.ident,
                    format!(
                        "missing table name: add `#[orient(table = \"{}\")]` to `{}`",
                        suggested_table_name(&input.ident.to_string()),
                        input.ident
                    ),
                ));
            }
            Spanned {
                value: String::new(),
                span: Span::call_site(),
            }
        });

        let mut fields = Vec::new();
        for field in &named.named {
            let Some(ident) = field.ident.as_ref() else {
                continue;
            };
            let field_attrs = attr::parse_field_attrs(&field.attrs, &mut errors);
            let sql = match types::classify(&field.ty, field_attrs.sql_type.as_ref()) {
                Ok(sql) => sql,
                Err(e) => {
                    errors.push(e);
                    continue;
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
            });
        }
        if named.named.is_empty() {
            errors.push(syn::Error::new(
                named.span(),
                "a table needs at least one column",
            ));
        }
        errors.finish()?;
        Ok(Input {
            ident: &input.ident,
            vis: &input.vis,
            docs: attr::docs(&input.attrs),
            table,
            attrs,
            fields,
        })
    }

    pub fn primary_key(&self) -> Option<&Field<'a>> {
        self.fields.iter().find(|f| f.is_primary_key())
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
