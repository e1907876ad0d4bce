//! Parsing `#[orient(...)]` attributes. Syntax only: which keys were written, with what values, where.
//! Every unknown or repeated key is an error spanned on the key; meaning is checked in `valid.rs`.

use proc_macro2::Span;
use syn::spanned::Spanned as _;
use syn::{Attribute, Expr, Ident, LitStr, Path, Token};

/// A value together with where the user wrote it.
#[derive(Clone)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

#[derive(Default)]
pub struct StructAttrs {
    pub table: Option<Spanned<String>>,
    pub indexes: Vec<IndexAttr>,
    pub renamed_from: Option<Spanned<String>>,
    /// `#[diesel(table_name = …)]`, when it is a single identifier: the name the struct's own Diesel derives
    /// use for the table module, and so the module to emit when `#[orient(table = …)]` is missing or wrong.
    pub diesel_table_name: Option<Ident>,
}

/// `index(name = "…", columns(a, b))` or `unique_index(…)` on the struct.
pub struct IndexAttr {
    pub name: Spanned<String>,
    pub columns: Vec<Ident>,
    pub unique: bool,
}

#[derive(Default)]
pub struct FieldAttrs {
    pub primary_key: Option<Span>,
    pub autoincrement: Option<Span>,
    /// `unique` (index named `<table>_<column>_unique`, as the original names them) or `unique = "name"`.
    pub unique: Option<Spanned<Option<String>>>,
    pub index: Option<Spanned<String>>,
    pub default: Option<Expr>,
    pub default_now: Option<Span>,
    pub references: Option<Path>,
    pub on_delete: Option<Ident>,
    pub on_update: Option<Ident>,
    pub column: Option<Spanned<String>>,
    pub sql_type: Option<Ident>,
    pub renamed_from: Option<Spanned<String>>,
    /// The keys suggested for misspelled ones (`primary_ky` → `primary_key`), already reported as errors:
    /// what the fallback expansion guesses the field meant.
    pub misspelled: Vec<&'static str>,
}

const STRUCT_KEYS: &[&str] = &["table", "index", "unique_index", "renamed_from"];
const FIELD_KEYS: &[&str] = &[
    "primary_key",
    "autoincrement",
    "unique",
    "index",
    "default",
    "default_now",
    "references",
    "on_delete",
    "on_update",
    "column",
    "sql_type",
    "renamed_from",
];

/// Collects errors so that one derive reports every mistake at once.
#[derive(Default)]
pub struct Errors(Option<syn::Error>);

impl Errors {
    pub fn push(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(existing) => existing.combine(error),
            None => self.0 = Some(error),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_none()
    }

    /// Moves every error of `other` into `self`.
    pub fn append(&mut self, other: Errors) {
        if let Some(error) = other.0 {
            self.push(error);
        }
    }

    /// Every error as `compile_error!`s; nothing when there is none.
    pub fn into_compile_error(self) -> proc_macro2::TokenStream {
        self.0
            .map(|error| error.to_compile_error())
            .unwrap_or_default()
    }
}

fn set_once<T>(slot: &mut Option<T>, value: T, key: &Path) -> syn::Result<()> {
    if slot.is_some() {
        return Err(syn::Error::new_spanned(
            key,
            format!(
                "duplicate `{}` attribute; write each key once",
                key_name(key)
            ),
        ));
    }
    *slot = Some(value);
    Ok(())
}

fn key_name(path: &Path) -> String {
    path.get_ident()
        .map_or_else(|| quote::quote!(#path).to_string(), Ident::to_string)
}

/// The error for a key that is not one of `expected`, and the expected key it is closest to, if any.
fn unknown_key(
    path: &Path,
    expected: &[&'static str],
    place: &str,
) -> (syn::Error, Option<&'static str>) {
    let name = key_name(path);
    let closest = expected
        .iter()
        .copied()
        .filter(|k| edit_distance(k, &name) <= 2)
        .min_by_key(|k| edit_distance(k, &name));
    let suggestion = closest
        .map(|k| format!(" (did you mean `{k}`?)"))
        .unwrap_or_default();
    let error = syn::Error::new_spanned(
        path,
        format!(
            "unknown `orient` attribute `{name}` on a {place}{suggestion}; expected one of: {}",
            expected.join(", ")
        ),
    );
    (error, closest)
}

/// Steps over the value of a key that was not understood (`= …` or `(…)`), so that the keys after it in
/// the same attribute are still read: one misspelled key is one error, and the fallback expansion keeps
/// the rest of the declaration.
fn skip_value(meta: &syn::meta::ParseNestedMeta<'_>) -> syn::Result<()> {
    while !meta.input.is_empty() && !meta.input.peek(Token![,]) {
        meta.input.parse::<proc_macro2::TokenTree>()?;
    }
    Ok(())
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let current = row[j + 1];
            row[j + 1] = (row[j + 1] + 1)
                .min(row[j] + 1)
                .min(previous + usize::from(ca != *cb));
            previous = current;
        }
    }
    row[b.len()]
}

/// A key that takes no value (`primary_key`, not `primary_key = true`).
fn flag(meta: &syn::meta::ParseNestedMeta<'_>) -> syn::Result<Span> {
    let name = key_name(&meta.path);
    if meta.input.peek(Token![=]) || meta.input.peek(syn::token::Paren) {
        return Err(syn::Error::new_spanned(
            &meta.path,
            format!("`{name}` takes no value: write `#[orient({name})]`, or leave it out"),
        ));
    }
    Ok(meta.path.span())
}

fn lit_str(meta: &syn::meta::ParseNestedMeta<'_>) -> syn::Result<Spanned<String>> {
    let lit: LitStr = meta.value()?.parse()?;
    Ok(Spanned {
        value: lit.value(),
        span: lit.span(),
    })
}

fn ident_value(meta: &syn::meta::ParseNestedMeta<'_>) -> syn::Result<Ident> {
    let value = meta.value()?;
    // Accept `on_delete = cascade` and `on_delete = "cascade"`.
    if value.peek(LitStr) {
        let lit: LitStr = value.parse()?;
        return syn::parse_str::<Ident>(&lit.value().replace(' ', "_"))
            .map(|mut ident| {
                ident.set_span(lit.span());
                ident
            })
            .map_err(|_| syn::Error::new(lit.span(), "expected a single word"));
    }
    value.parse()
}

fn orient_attrs(attrs: &[Attribute]) -> impl Iterator<Item = &Attribute> {
    attrs.iter().filter(|a| a.path().is_ident("orient"))
}

pub fn parse_struct_attrs(attrs: &[Attribute], errors: &mut Errors) -> StructAttrs {
    let mut out = StructAttrs {
        diesel_table_name: diesel_table_name(attrs),
        ..StructAttrs::default()
    };
    for attr in orient_attrs(attrs) {
        let mut unknown = Errors::default();
        let result = attr.parse_nested_meta(|meta| {
            let path = meta.path.clone();
            if path.is_ident("table") {
                let value = lit_str(&meta)?;
                set_once(&mut out.table, value, &path)
            } else if path.is_ident("renamed_from") {
                let value = lit_str(&meta)?;
                set_once(&mut out.renamed_from, value, &path)
            } else if path.is_ident("index") || path.is_ident("unique_index") {
                let index = parse_index(&meta, path.is_ident("unique_index"))?;
                out.indexes.push(index);
                Ok(())
            } else {
                unknown.push(unknown_key(&path, STRUCT_KEYS, "struct").0);
                skip_value(&meta)
            }
        });
        errors.append(unknown);
        if let Err(e) = result {
            errors.push(e);
        }
    }
    out
}

/// The `table_name = name` of the struct's `#[diesel(…)]` attributes. Everything else in them is Diesel's
/// to check, so nothing here is an error.
fn diesel_table_name(attrs: &[Attribute]) -> Option<Ident> {
    let mut found = None;
    for attr in attrs.iter().filter(|a| a.path().is_ident("diesel")) {
        let _ = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("table_name")
                && let Ok(Path {
                    segments,
                    leading_colon: None,
                }) = meta.value()?.parse::<Path>()
                && let [segment] = segments.iter().collect::<Vec<_>>().as_slice()
                && segment.arguments.is_none()
            {
                found = Some(segment.ident.clone());
            }
            skip_value(&meta)
        });
    }
    found
}

fn parse_index(meta: &syn::meta::ParseNestedMeta<'_>, unique: bool) -> syn::Result<IndexAttr> {
    let span = meta.path.span();
    let mut name: Option<Spanned<String>> = None;
    let mut columns: Option<Vec<Ident>> = None;
    meta.parse_nested_meta(|inner| {
        let path = inner.path.clone();
        if path.is_ident("name") {
            let value = lit_str(&inner)?;
            set_once(&mut name, value, &path)
        } else if path.is_ident("columns") {
            let content;
            syn::parenthesized!(content in inner.input);
            let list = content.parse_terminated(Ident::parse_any_ident, Token![,])?;
            set_once(&mut columns, list.into_iter().collect(), &path)
        } else {
            Err(unknown_key(&path, &["name", "columns"], "index").0)
        }
    })?;
    let name = name.ok_or_else(|| {
        syn::Error::new(
            span,
            "an index needs a name: `index(name = \"idx_table_column\", columns(a, b))`",
        )
    })?;
    let columns = columns.ok_or_else(|| {
        syn::Error::new(
            span,
            "an index needs its columns: `index(name = \"…\", columns(a, b))`",
        )
    })?;
    if columns.is_empty() {
        return Err(syn::Error::new(
            span,
            "an index needs at least one column: `columns(a, b)`",
        ));
    }
    Ok(IndexAttr {
        name,
        columns,
        unique,
    })
}

trait ParseAnyIdent {
    fn parse_any_ident(input: syn::parse::ParseStream<'_>) -> syn::Result<Ident>;
}

impl ParseAnyIdent for Ident {
    /// Column names may be Rust keywords (`type`), so accept any identifier.
    fn parse_any_ident(input: syn::parse::ParseStream<'_>) -> syn::Result<Ident> {
        syn::ext::IdentExt::parse_any(input)
    }
}

pub fn parse_field_attrs(attrs: &[Attribute], errors: &mut Errors) -> FieldAttrs {
    let mut out = FieldAttrs::default();
    for attr in orient_attrs(attrs) {
        let mut unknown = Errors::default();
        let mut misspelled = Vec::new();
        let result = attr.parse_nested_meta(|meta| {
            let path = meta.path.clone();
            let span = path.span();
            let key = key_name(&path);
            match key.as_str() {
                "primary_key" => set_once(&mut out.primary_key, flag(&meta)?, &path),
                "autoincrement" => set_once(&mut out.autoincrement, flag(&meta)?, &path),
                "default_now" => set_once(&mut out.default_now, flag(&meta)?, &path),
                "unique" => {
                    let name = if meta.input.peek(Token![=]) {
                        Some(lit_str(&meta)?.value)
                    } else {
                        None
                    };
                    set_once(&mut out.unique, Spanned { value: name, span }, &path)
                }
                "index" => {
                    let value = lit_str(&meta)?;
                    set_once(&mut out.index, value, &path)
                }
                "default" => {
                    let expr: Expr = meta.value()?.parse()?;
                    set_once(&mut out.default, expr, &path)
                }
                "references" => {
                    let target: Path = meta.value()?.parse()?;
                    set_once(&mut out.references, target, &path)
                }
                "on_delete" => {
                    let action = ident_value(&meta)?;
                    set_once(&mut out.on_delete, action, &path)
                }
                "on_update" => {
                    let action = ident_value(&meta)?;
                    set_once(&mut out.on_update, action, &path)
                }
                "column" => {
                    let value = lit_str(&meta)?;
                    set_once(&mut out.column, value, &path)
                }
                "sql_type" => {
                    let ty = ident_value(&meta)?;
                    set_once(&mut out.sql_type, ty, &path)
                }
                "renamed_from" => {
                    let value = lit_str(&meta)?;
                    set_once(&mut out.renamed_from, value, &path)
                }
                _ => {
                    let (error, closest) = unknown_key(&path, FIELD_KEYS, "field");
                    unknown.push(error);
                    misspelled.extend(closest);
                    skip_value(&meta)
                }
            }
        });
        errors.append(unknown);
        out.misspelled.append(&mut misspelled);
        if let Err(e) = result {
            errors.push(e);
        }
    }
    out
}

/// The doc comments of an item, to carry over to what is generated from it.
pub fn docs(attrs: &[Attribute]) -> Vec<Attribute> {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::edit_distance;

    #[test]
    fn edit_distance_counts_single_character_edits() {
        assert_eq!(edit_distance("primary_key", "primary_key"), 0);
        assert_eq!(edit_distance("primary_key", "primay_key"), 1);
        assert_eq!(edit_distance("index", "indx"), 1);
        // `defa|u|lt` → `uniq|u|e`: four substitutions, the `u` kept, one substitution and one deletion.
        assert_eq!(edit_distance("default", "unique"), 6);
    }
}
