//! `#[orient_database::test]`: a `#[test]` that takes a fresh database as its one argument.
//!
//! ```ignore
//! #[orient_database::test]
//! fn agents_can_be_added(db: Db) { … }
//! ```
//!
//! becomes
//!
//! ```ignore
//! #[test]
//! fn agents_can_be_added() {
//!     let (db, cleanup) = orient_database::testing::__private::argument::<Db, _>(&MIGRATED, "…");
//!     let result = __orient_test_agents_can_be_added(db);
//!     drop(cleanup); // the database's files go once the test has returned
//!     result
//! }
//! #[allow(dead_code)]
//! fn __orient_test_agents_can_be_added(db: Db) { … }
//! const _: () = { /* `Db: TestArgument` */ };
//! ```
//!
//! The body and the argument checks sit outside the `#[test]` function so that they are compiled in
//! every build: a `#[test]` function is removed entirely when not compiling tests, and a misuse would then
//! go unnoticed in a build that is not a test build (a compile-fail test, the README check).
//!
//! The argument's type is checked by the compiler (trait `TestArgument`, whose message names the
//! accepted types), not by its spelling, so `orient_database::db::Db`, an imported `Db` or an alias all
//! work; so is `template = …` (trait `IsTemplate`). The shape of the function (not `async`, no generics,
//! exactly one argument, no receiver) is checked here, each misuse a spanned error saying what to write,
//! emitted beside the function as written so that nothing else fails with it.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;

/// The attribute on `proc_macro2` tokens, so tests can call it.
pub fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let function: syn::ItemFn = match syn::parse2(item) {
        Ok(function) => function,
        Err(error) => {
            return syn::Error::new(
                error.span(),
                format!(
                    "#[orient_database::test] goes on a test function such as \
                     `fn agents_can_be_added(db: Db) {{ … }}` ({error})"
                ),
            )
            .to_compile_error();
        }
    };
    let checked =
        parse_args(args).and_then(|template| Ok((template, check_signature(&function.sig)?)));
    let (template, argument_type) = match checked {
        Ok(checked) => checked,
        Err(error) => {
            // The function as written, beside the error, so what it uses stays used: one mistake, one
            // error (no unused imports on top).
            let mut plain = function.clone();
            plain.attrs.clear();
            let mut out = error.to_compile_error();
            out.extend(quote! {
                #[allow(dead_code)]
                #plain
            });
            return out;
        }
    };

    let template = template.unwrap_or_else(|| quote!(::orient_database::testing::MIGRATED));
    let attrs = &function.attrs;
    let vis = &function.vis;
    let name = &function.sig.ident;
    let output = &function.sig.output;
    let body_name = format_ident!("__orient_test_{}", name);
    let mut body = function.clone();
    body.attrs.clear();
    body.vis = syn::Visibility::Inherited;
    body.sig.ident = body_name.clone();
    let database = format_ident!("__orient_database");
    let cleanup = format_ident!("__orient_cleanup");
    let result = format_ident!("__orient_result");
    let check = quote_spanned! {argument_type.span()=>
        const _: () = {
            fn __orient_test_argument<T: ::orient_database::testing::TestArgument>() {}
            let _ = __orient_test_argument::<#argument_type>;
        };
    };
    let template_check = quote_spanned! {template.span()=>
        const _: () = {
            fn __orient_test_template() {
                ::orient_database::testing::__private::template(&#template);
            }
        };
    };
    quote! {
        #(#attrs)*
        #[::core::prelude::v1::test]
        #vis fn #name() #output {
            let (#database, #cleanup) =
                ::orient_database::testing::__private::argument::<#argument_type, _>(
                    &#template,
                    ::core::concat!(::core::module_path!(), "::", ::core::stringify!(#name)),
                );
            let #result = #body_name(#database);
            ::core::mem::drop(#cleanup);
            #result
        }
        // Outside the test function, so it is compiled (and checked) in every build; only the test
        // function calls it.
        #[allow(dead_code)]
        #[doc(hidden)]
        #body
        #check
        #template_check
    }
}

/// `template = PATH`, or nothing.
fn parse_args(args: TokenStream) -> syn::Result<Option<TokenStream>> {
    let mut template = None;
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident("template") {
            if template.is_some() {
                return Err(meta.error("`template` is given twice; keep one"));
            }
            let value: syn::Expr = meta.value()?.parse()?;
            template = Some(quote!(#value));
            Ok(())
        } else {
            Err(meta.error(
                "unknown argument; the one argument is `template = SOME_STATIC`, a \
                 `static SOME_STATIC: orient_database::testing::Template` (for instance \
                 `orient_seed::testing::SEEDED`)",
            ))
        }
    });
    syn::parse::Parser::parse2(parser, args)?;
    Ok(template)
}

/// The type of the function's one argument, or what is wrong with the function.
fn check_signature(sig: &syn::Signature) -> syn::Result<&syn::Type> {
    let shape = "write `fn name(db: Db) { … }` (or `db: TestDb`)";
    if let Some(asyncness) = &sig.asyncness {
        return Err(syn::Error::new(
            asyncness.span(),
            "#[orient_database::test] does not take an `async fn`; in `#[tokio::test] async fn`, make \
             the database with `let db = orient_database::testing::TestDb::new()?;`",
        ));
    }
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        return Err(syn::Error::new(
            sig.generics.span(),
            format!("a test function cannot be generic; {shape}"),
        ));
    }
    if let Some(variadic) = &sig.variadic {
        return Err(syn::Error::new(
            variadic.span(),
            format!("a test function takes no variadic arguments; {shape}"),
        ));
    }
    let mut inputs = sig.inputs.iter();
    let (Some(first), None) = (inputs.next(), inputs.next()) else {
        let span = if sig.inputs.is_empty() {
            sig.paren_token.span.join()
        } else {
            sig.inputs.span()
        };
        return Err(syn::Error::new(
            span,
            format!(
                "#[orient_database::test] hands the test exactly one argument, its database; {shape}"
            ),
        ));
    };
    match first {
        syn::FnArg::Receiver(receiver) => Err(syn::Error::new(
            receiver.span(),
            format!("a test function has no `self`; {shape}"),
        )),
        syn::FnArg::Typed(typed) => match &*typed.ty {
            syn::Type::ImplTrait(ty) => Err(syn::Error::new(
                ty.span(),
                format!("the database's type must be named, not `impl …`; {shape}"),
            )),
            ty => Ok(ty),
        },
    }
}
