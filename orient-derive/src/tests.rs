//! Tests of `derive_table_inner` on `proc_macro2` tokens: expansion snapshots (each `.snap` holds the
//! input struct, then its pretty-printed expansion) and the messages of the error path. The compile-fail
//! UI tests in `tests/ui` check the same errors as rustc shows them, with their spans.
//!
//! Update the snapshots with `INSTA_UPDATE=always cargo test -p orient-derive`, then read the diff of
//! `src/snapshots/`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use proc_macro2::{Delimiter, TokenStream, TokenTree};
use quote::{ToTokens as _, quote};

/// Pretty-prints `tokens` as a Rust file. prettyplease leaves macro bodies as one run of tokens, so the
/// `diesel::table!` is laid out here, an attribute or column per line.
fn pretty(tokens: TokenStream) -> String {
    let file: syn::File = syn::parse2(tokens).expect("the tokens parse as a Rust file");
    let mut out = String::new();
    for item in file.items {
        if !out.is_empty() {
            out.push('\n');
        }
        match &item {
            syn::Item::Macro(item) if item.mac.path.segments.last().unwrap().ident == "table" => {
                out.push_str(&table_macro(&item.mac));
            }
            _ => out.push_str(&prettyplease::unparse(&syn::File {
                shebang: None,
                attrs: Vec::new(),
                items: vec![item],
            })),
        }
    }
    out
}

/// A token stream as one tidy line: `Nullable<Text>`, not `Nullable < Text >`.
fn tidy(tokens: TokenStream) -> String {
    let mut text = tokens.to_string();
    for (spaced, tight) in [
        (" <", "<"),
        ("< ", "<"),
        (" >", ">"),
        (" ::", "::"),
        (":: ", "::"),
    ] {
        text = text.replace(spaced, tight);
    }
    text
}

/// Splits off the leading `#[…]` attributes of `tokens`, each as one tidy line.
fn leading_attributes(tokens: &[TokenTree]) -> (Vec<String>, &[TokenTree]) {
    let mut attributes = Vec::new();
    let mut rest = tokens;
    while let [TokenTree::Punct(hash), TokenTree::Group(group), tail @ ..] = rest {
        if hash.as_char() != '#' || group.delimiter() != Delimiter::Bracket {
            break;
        }
        attributes.push(format!("#{}", tidy(TokenTree::Group(group.clone()).into())));
        rest = tail;
    }
    (attributes, rest)
}

/// `diesel::table! { #[doc…] name (key) { column -> Type, … } }`, one attribute or column per line.
fn table_macro(mac: &syn::Macro) -> String {
    let path = tidy(mac.path.to_token_stream());
    let tokens: Vec<TokenTree> = mac.tokens.clone().into_iter().collect();
    let (attributes, rest) = leading_attributes(&tokens);
    let [header @ .., TokenTree::Group(body)] = rest else {
        panic!("unexpected table! shape: {}", mac.tokens)
    };
    let mut out = format!("{path}! {{\n");
    for attribute in attributes {
        out.push_str(&format!("    {attribute}\n"));
    }
    out.push_str(&format!(
        "    {} {{\n",
        tidy(header.iter().cloned().collect())
    ));
    let columns: Vec<TokenTree> = body.stream().into_iter().collect();
    for column in columns.split(|t| matches!(t, TokenTree::Punct(p) if p.as_char() == ',')) {
        let (attributes, rest) = leading_attributes(column);
        for attribute in attributes {
            out.push_str(&format!("        {attribute}\n"));
        }
        if !rest.is_empty() {
            out.push_str(&format!(
                "        {},\n",
                tidy(rest.iter().cloned().collect())
            ));
        }
    }
    out.push_str("    }\n}\n");
    out
}

/// Expands `input` and snapshots it under `name`: the input, then the pretty-printed expansion.
fn assert_expansion(name: &str, input: TokenStream) {
    let output = crate::derive_table_inner(input.clone());
    assert!(
        compile_errors(output.clone()).is_empty(),
        "`{name}` should expand without errors: {:?}",
        compile_errors(output)
    );
    let snapshot = format!(
        "// ---- input ----\n\n{}\n// ---- expansion ----\n\n{}",
        pretty(input),
        pretty(output)
    );
    let mut settings = insta::Settings::clone_current();
    settings.set_description("#[derive(Table)] on the input at the top, then what it expands to");
    settings.set_omit_expression(true);
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| insta::assert_snapshot!(name, snapshot));
}

/// The messages of the `compile_error!`s in the derive's output.
fn compile_errors(output: TokenStream) -> Vec<String> {
    let file: syn::File = syn::parse2(output).expect("the output parses as a Rust file");
    file.items
        .iter()
        .filter_map(|item| match item {
            syn::Item::Macro(item) if item.mac.path.segments.last()?.ident == "compile_error" => {
                Some(
                    item.mac
                        .parse_body::<syn::LitStr>()
                        .expect("a string")
                        .value(),
                )
            }
            _ => None,
        })
        .collect()
}

/// Derives on `input`, which must fail, and returns every error message.
fn errors(input: TokenStream) -> Vec<String> {
    let messages = compile_errors(crate::derive_table_inner(input));
    assert!(!messages.is_empty(), "expected the derive to fail");
    messages
}

/// Derives on `input`, which must fail with exactly one error, and returns its message.
fn error(input: TokenStream) -> String {
    let mut messages = errors(input);
    assert_eq!(messages.len(), 1, "expected one error, got {messages:#?}");
    messages.remove(0)
}

// --- Expansion snapshots ------------------------------------------------------------------------------

#[test]
fn expands_text_key_table_with_enum_defaults() {
    assert_expansion(
        "agents",
        quote! {
            /// An assistant agent.
            #[orient(table = "agents")]
            pub struct Agent {
                #[orient(primary_key)]
                pub id: String,
                pub name: String,
                #[orient(sql_type = text, default = AgentMode::Primary)]
                pub mode: Option<AgentMode>,
                #[orient(sql_type = text, default = ModelTier::Cheap)]
                pub model_tier: ModelTier,
                #[orient(default = true)]
                pub enabled: Option<bool>,
                #[orient(default_now)]
                pub created_at: Option<Timestamp>,
            }
        },
    );
}

#[test]
fn expands_autoincrement_child_with_cascade_and_indexes() {
    assert_expansion(
        "agent_skills",
        quote! {
            #[orient(table = "agent_skills")]
            pub struct AgentSkill {
                #[orient(primary_key, autoincrement)]
                pub id: i64,
                #[orient(references = agents::id, on_delete = cascade, index = "idx_agent_skills_agent")]
                pub agent_id: String,
                #[orient(index = "idx_agent_skills_skill")]
                pub skill_name: String,
                #[orient(default = true)]
                pub enabled: Option<bool>,
                #[orient(default_now)]
                pub created_at: Option<Timestamp>,
            }
        },
    );
}

#[test]
fn expands_multi_column_unique_index_and_set_null_key() {
    assert_expansion(
        "context_rules",
        quote! {
            #[orient(table = "context_rules")]
            #[orient(unique_index(name = "idx_context_rules_context", columns(context_type, context_id)))]
            pub struct ContextRule {
                #[orient(primary_key, autoincrement)]
                pub id: i64,
                #[orient(sql_type = text, index = "idx_context_rules_type")]
                pub context_type: ContextType,
                pub context_id: Option<String>,
                #[orient(references = agents::id, on_delete = set_null, index = "idx_context_rules_agent")]
                pub agent_id: Option<String>,
                #[orient(default = "[]")]
                pub skill_overrides: Json<Vec<String>>,
                #[orient(default = -1)]
                pub priority: Option<i64>,
                #[orient(default_now)]
                pub updated_at: Option<Timestamp>,
            }
        },
    );
}

#[test]
fn expands_renamed_column_and_unique_plus_index() {
    assert_expansion(
        "webhooks",
        quote! {
            #[orient(table = "webhooks", renamed_from = "hooks")]
            pub struct Webhook {
                #[orient(primary_key, autoincrement)]
                pub id: i64,
                #[orient(unique, index = "idx_webhooks_name")]
                pub name: String,
                #[orient(sql_type = text, column = "type", index = "idx_webhooks_type")]
                pub source_type: WebhookSource,
                #[orient(unique = "webhooks_token_key", renamed_from = "secret")]
                pub token: String,
                #[orient(default = 0.5)]
                pub sample_rate: f64,
                pub last_triggered_at: Option<Timestamp>,
            }
        },
    );
}

// --- Error messages -----------------------------------------------------------------------------------

#[test]
fn reports_a_missing_primary_key() {
    let message = error(quote! {
        #[orient(table = "users")]
        pub struct User {
            pub id: i64,
        }
    });
    assert_eq!(
        message,
        "table `users` has no primary key: mark its key field with `#[orient(primary_key)]` (add \
         `autoincrement` for an `i64` id the database assigns)"
    );
}

#[test]
fn suggests_the_table_name_when_missing() {
    let message = error(quote! {
        pub struct AgentSkill {
            #[orient(primary_key)]
            pub id: i64,
        }
    });
    assert_eq!(
        message,
        "missing table name: add `#[orient(table = \"agent_skills\")]` to `AgentSkill`"
    );
}

#[test]
fn suggests_the_closest_key_for_a_typo() {
    let message = error(quote! {
        #[orient(table = "users")]
        pub struct User {
            #[orient(primary_key, autoincrment)]
            pub id: i64,
        }
    });
    assert!(
        message.starts_with(
            "unknown `orient` attribute `autoincrment` on a field (did you mean `autoincrement`?)"
        ),
        "{message}"
    );
    let far = error(quote! {
        #[orient(table = "users", colour = "red")]
        pub struct User {
            #[orient(primary_key)]
            pub id: i64,
        }
    });
    assert!(!far.contains("did you mean"), "{far}");
}

#[test]
fn reports_every_error_at_once() {
    let messages = errors(quote! {
        #[orient(table = "users")]
        pub struct User {
            #[orient(primary_key)]
            pub id: u32,
            pub at: std::time::SystemTime,
            #[orient(default = 1, default = 2)]
            pub n: i64,
        }
    });
    assert_eq!(messages.len(), 3, "{messages:#?}");
    assert!(messages[0].starts_with("unsupported field type `u32`"));
    assert!(messages[1].starts_with("unsupported field type `std::time::SystemTime`"));
    assert_eq!(
        messages[2],
        "duplicate `default` attribute; write each key once"
    );
}

#[test]
fn rejects_what_the_ui_tests_do_not_cover() {
    let cases = [
        (
            quote! { #[orient(table = "xs")] pub union X { a: i64 } },
            "#[derive(Table)] works on structs",
        ),
        (
            quote! { #[orient(table = "xs")] pub struct X<T> { #[orient(primary_key)] id: T } },
            "does not support generic structs",
        ),
        (
            quote! { #[orient(table = "xs")] pub struct X {} },
            "a table needs at least one column",
        ),
        (
            quote! { #[orient(table = "my-table")] pub struct X { #[orient(primary_key)] id: i64 } },
            "`my-table` is not a Rust identifier",
        ),
        (
            quote! { #[orient(table = "__ledger")] pub struct X { #[orient(primary_key)] id: i64 } },
            "reserved for migration ledgers",
        ),
        (
            quote! { #[orient(table = "xs", renamed_from = "xs")] pub struct X { #[orient(primary_key)] id: i64 } },
            "`renamed_from` names the table's previous name",
        ),
        (
            quote! {
                #[orient(table = "xs")]
                pub struct X { #[orient(primary_key)] id: i64, #[orient(column = "id")] other: i64 }
            },
            "column `id` is declared twice (fields `id` and `other`)",
        ),
        (
            quote! { #[orient(table = "xs")] pub struct X { #[orient(primary_key, sql_type = text)] id: String } },
            "`sql_type` is for custom types; `String` already maps to an SQL type",
        ),
        (
            quote! { #[orient(table = "xs")] pub struct X { #[orient(primary_key, sql_type = varchar)] id: Name } },
            "unknown sql_type `varchar`",
        ),
        (
            quote! { #[orient(table = "xs")] pub struct X { #[orient(primary_key)] id: i64, #[orient(autoincrement)] n: i64 } },
            "`autoincrement` applies to the primary key only",
        ),
        (
            quote! { #[orient(table = "xs")] pub struct X { #[orient(primary_key, autoincrement, default = 1)] id: i64 } },
            "an autoincrement id gets its value from the database; remove `default`",
        ),
        (
            quote! {
                #[orient(table = "xs")]
                pub struct X { #[orient(primary_key)] id: i64, #[orient(default_now, default = 0)] at: Timestamp }
            },
            "`default_now` and `default` both give a default; keep one",
        ),
        (
            quote! { #[orient(table = "xs")] pub struct X { #[orient(primary_key)] id: i64, #[orient(default = make())] n: i64 } },
            "a default is a literal",
        ),
        (
            quote! { #[orient(table = "xs")] pub struct X { #[orient(primary_key)] id: i64, #[orient(references = id)] parent: i64 } },
            "write the referenced column as a path to its Diesel column, `table::column`",
        ),
        (
            quote! { #[orient(table = "xs", index(columns(id)))] pub struct X { #[orient(primary_key)] id: i64 } },
            "an index needs a name",
        ),
        (
            quote! { #[orient(table = "xs", index(name = "i"))] pub struct X { #[orient(primary_key)] id: i64 } },
            "an index needs its columns",
        ),
        (
            quote! { #[orient(table = "xs")] pub struct X { #[orient(primary_key)] id: i64, #[orient(default = "x")] data: Option<Vec<u8>> } },
            "a binary column takes no default",
        ),
    ];
    for (input, expected) in cases {
        let messages = errors(input.clone());
        assert!(
            messages.iter().any(|m| m.contains(expected)),
            "for {input}\nexpected an error containing {expected:?}, got {messages:#?}"
        );
    }
}

// --- Declarations with errors -------------------------------------------------------------------------

/// What a derive's output declares besides its errors: `table!` modules, structs, `impl Trait for Type`.
fn declared_items(output: TokenStream) -> Vec<String> {
    let file: syn::File = syn::parse2(output).expect("the output parses as a Rust file");
    file.items
        .iter()
        .filter_map(|item| match item {
            syn::Item::Macro(item) if item.mac.path.segments.last()?.ident == "table" => {
                let tokens: Vec<TokenTree> = item.mac.tokens.clone().into_iter().collect();
                let (_, rest) = leading_attributes(&tokens);
                Some(format!("table! {}", rest.first()?))
            }
            syn::Item::Struct(item) => Some(format!("struct {}", item.ident)),
            syn::Item::Impl(item) => {
                let (_, path, _) = item.trait_.as_ref()?;
                let name = &path.segments.last()?.ident;
                Some(format!(
                    "impl {name} for {}",
                    tidy(item.self_ty.to_token_stream())
                ))
            }
            _ => None,
        })
        .collect()
}

#[test]
fn a_declaration_with_an_error_still_declares_what_other_code_names() {
    let input = quote! {
        #[orient(table = "users")]
        pub struct User {
            pub name: String,
            #[orient(primary_ky)]
            pub code: i64,
            #[orient(references = teams::id)]
            pub team_id: i64,
            pub joined_at: std::time::SystemTime,
        }
    };
    let output = crate::derive_table_inner(input);
    let messages = compile_errors(output.clone());
    assert_eq!(messages.len(), 2, "{messages:#?}");
    assert!(messages[0].starts_with("unknown `orient` attribute `primary_ky`"));
    assert!(messages[1].starts_with("unsupported field type `std::time::SystemTime`"));
    assert_eq!(
        declared_items(output.clone()),
        [
            "table! users",
            "impl JoinTo for users::table",
            "impl JoinTo for teams::table",
            "struct NewUser",
            "impl TableModel for User",
            "impl TableModel for users::table",
        ]
    );
    // The misspelled key is taken for what it suggests, and the refused type is declared as one that
    // matches any key; no check is emitted, since it could only repeat the errors.
    let text = output.to_string();
    assert!(text.contains("users (code)"), "{text}");
    assert!(
        text.contains("joined_at -> :: orient_database :: __private :: Unrecognised"),
        "{text}"
    );
    assert!(!text.contains("foreign_key_type"), "{text}");
    assert!(text.contains("unreachable"), "{text}");
}

#[test]
fn a_missing_table_name_falls_back_to_the_diesel_table_name() {
    let output = crate::derive_table_inner(quote! {
        #[diesel(table_name = agents, check_for_backend(diesel::sqlite::Sqlite))]
        #[orient(tabel = "agents")]
        pub struct Agent {
            #[orient(primary_key)]
            pub id: String,
        }
    });
    assert_eq!(compile_errors(output.clone()).len(), 1);
    let items = declared_items(output);
    assert_eq!(items[0], "table! agents", "{items:#?}");
    assert!(items.contains(&"struct NewAgent".to_owned()), "{items:#?}");
}

#[test]
fn refuses_table_names_that_are_not_plain_ascii_identifiers() {
    for (name, expected) in [
        ("日本語テーブル", "is not ASCII"),
        ("ééééé", "is not ASCII"),
        ("sqlité_x", "is not ASCII"),
        ("SQLITE_master", "reserved by SQLite"),
        ("type", "is a Rust keyword"),
        ("r#type", "is not a Rust identifier"),
        ("1users", "is not a Rust identifier"),
        ("_", "is not a Rust identifier"),
        ("", "the table name is empty"),
    ] {
        let name = syn::LitStr::new(name, proc_macro2::Span::call_site());
        let message = error(quote! {
            #[orient(table = #name)]
            pub struct X { #[orient(primary_key)] pub id: i64 }
        });
        assert!(message.contains(expected), "{name:?}: {message}");
    }
}

#[test]
fn keys_after_a_misspelled_one_are_still_read() {
    let messages = errors(quote! {
        #[orient(table = "xs", colour = "red", tabel(x), renamed_from = "old_xs")]
        pub struct X {
            #[orient(primary_key, autoincrment, unique = "x_id", defualt = 1 + 2)]
            pub id: i64,
        }
    });
    assert_eq!(messages.len(), 4, "{messages:#?}");
    let output = crate::derive_table_inner(quote! {
        #[orient(table = "xs", colour = "red", renamed_from = "old_xs")]
        pub struct X { #[orient(primary_key, autoincrment, unique = "x_id")] pub id: i64 }
    })
    .to_string();
    assert!(output.contains("\"old_xs\""), "{output}");
    assert!(output.contains("\"x_id\""), "{output}");
}

mod no_panic {
    //! The derive never panics, whatever it is given: every input is either expanded or refused with
    //! errors, and the output always parses.

    use proc_macro2::{Span, TokenStream};
    use proptest::prelude::*;
    use quote::{format_ident, quote};

    fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<String>(),
            "[a-z_]{0,12}",
            Just("sqlite_".to_owned()),
            Just("日本語テーブル".to_owned()),
            Just("__x".to_owned()),
            Just("type".to_owned()),
            Just("r#type".to_owned()),
            Just("a\0b".to_owned()),
        ]
    }

    fn value() -> impl Strategy<Value = TokenStream> {
        prop_oneof![
            Just(TokenStream::new()),
            text().prop_map(|t| {
                let lit = syn::LitStr::new(&t, Span::call_site());
                quote!(= #lit)
            }),
            any::<i128>().prop_map(|n| {
                let lit = proc_macro2::Literal::i128_unsuffixed(n);
                quote!(= #lit)
            }),
            // Finite only: `Literal::f64_unsuffixed` takes no NaN or infinity (`1e400` is below).
            (-1e300..1e300f64).prop_map(|f| {
                let lit = proc_macro2::Literal::f64_unsuffixed(f);
                quote!(= #lit)
            }),
            Just(quote!(= -9223372036854775808)),
            Just(quote!(= 1e400)),
            Just(quote!(= true)),
            Just(quote!(= agents::id)),
            Just(quote!(= ::x)),
            Just(quote!(= a::b::c)),
            Just(quote!(= Kind::A)),
            Just(quote!(= cascade)),
            Just(quote!(= set_null)),
            Just(quote!(= "set null")),
            Just(quote!(= text)),
            Just(quote!((name = "i", columns(id, x)))),
            Just(quote!((columns()))),
            Just(quote!((x y z))),
            Just(quote!(= 1 + 2)),
        ]
    }

    fn key() -> impl Strategy<Value = String> {
        prop_oneof![
            prop::sample::select(vec![
                "table",
                "index",
                "unique_index",
                "renamed_from",
                "primary_key",
                "primary_ky",
                "autoincrement",
                "unique",
                "default",
                "default_now",
                "references",
                "on_delete",
                "on_update",
                "column",
                "sql_type",
                "colour",
            ])
            .prop_map(str::to_owned),
            "[a-z][a-z_]{0,8}",
        ]
    }

    fn attribute() -> impl Strategy<Value = TokenStream> {
        prop::collection::vec((key(), value()), 0..4).prop_map(|pairs| {
            let pairs = pairs.into_iter().map(|(key, value)| {
                let key = format_ident!("{}", key);
                quote!(#key #value)
            });
            quote!(#[orient(#(#pairs),*)])
        })
    }

    fn field_type() -> impl Strategy<Value = TokenStream> {
        prop::sample::select(vec![
            quote!(i64),
            quote!(i32),
            quote!(String),
            quote!(Option<i64>),
            quote!(Option<Option<String>>),
            quote!(Vec<u8>),
            quote!(Json<Vec<String>>),
            quote!(Timestamp),
            quote!(u32),
            quote!(&'static str),
            quote!([u8; 4]),
            quote!((i32, i64)),
            quote!(Kind),
            quote!(std::option::Option<f64>),
        ])
    }

    fn field_name() -> impl Strategy<Value = TokenStream> {
        prop_oneof![
            "[a-z][a-z_]{0,6}".prop_map(|n| {
                let n = format_ident!("f_{}", n);
                quote!(#n)
            }),
            Just(quote!(id)),
            Just(quote!(r#type)),
            Just(quote!(café)),
        ]
    }

    fn input() -> impl Strategy<Value = TokenStream> {
        let fields = prop::collection::vec(
            (
                prop::collection::vec(attribute(), 0..3),
                field_name(),
                field_type(),
            ),
            0..5,
        );
        (
            prop::collection::vec(attribute(), 0..3),
            fields,
            any::<bool>(),
        )
            .prop_map(|(struct_attrs, fields, named)| {
                let fields = fields
                    .into_iter()
                    .map(|(attrs, name, ty)| quote!(#(#attrs)* pub #name: #ty));
                if named {
                    quote!(#(#struct_attrs)* pub struct X { #(#fields),* })
                } else {
                    quote!(#(#struct_attrs)* pub struct X(i64);)
                }
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn expands_or_refuses_without_panicking(input in input()) {
            let output = crate::derive_table_inner(input);
            prop_assert!(syn::parse2::<syn::File>(output).is_ok());
        }
    }
}
