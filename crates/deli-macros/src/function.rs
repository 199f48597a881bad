//! What the annotated function must look like: `async`, no parameters, no
//! generics, and (for tests) no `#[test]` of its own.
//!
//! Owns those checks and their messages, and reading the function's output
//! type for the expansion. Uses `args::Kind` for wording; generates nothing.

use crate::args::Kind;
use proc_macro2::{TokenStream, TokenTree};
use quote::ToTokens;
use syn::{Attribute, ItemFn, ReturnType, Type};

/// Every reason `func` cannot be expanded, combined into one error.
pub(crate) fn check(kind: Kind, func: &ItemFn) -> syn::Result<()> {
    let sig = &func.sig;
    let attribute = kind.attribute();
    let mut errors: Vec<syn::Error> = Vec::new();

    if sig.asyncness.is_none() {
        errors.push(syn::Error::new_spanned(
            sig.fn_token,
            format!("{attribute} goes on an `async fn`; add `async` before `fn`"),
        ));
    }

    if !sig.generics.params.is_empty() {
        errors.push(syn::Error::new_spanned(
            &sig.generics,
            format!("{attribute} functions cannot be generic"),
        ));
    } else if let Some(where_clause) = &sig.generics.where_clause {
        errors.push(syn::Error::new_spanned(
            where_clause,
            format!("{attribute} functions cannot have a `where` clause"),
        ));
    }

    if !sig.inputs.is_empty() || sig.variadic.is_some() {
        let message = match kind {
            Kind::Main if sig.ident == "main" => {
                "`fn main` cannot take parameters; read arguments with `std::env::args()`"
                    .to_owned()
            }
            Kind::Main => format!("{attribute} functions cannot take parameters"),
            Kind::Test => {
                "test functions cannot take parameters: the test harness calls them with none"
                    .to_owned()
            }
        };
        let tokens = match &sig.variadic {
            Some(variadic) if sig.inputs.is_empty() => variadic.to_token_stream(),
            _ => sig.inputs.to_token_stream(),
        };
        errors.push(syn::Error::new_spanned(tokens, message));
    }

    if kind == Kind::Test {
        for attr in func.attrs.iter().filter(|attr| is_builtin_test(attr)) {
            errors.push(syn::Error::new_spanned(
                attr,
                "#[deli::test] already makes this a test; remove this `#[test]`",
            ));
        }
    }

    match errors.into_iter().reduce(|mut all, next| {
        all.combine(next);
        all
    }) {
        None => Ok(()),
        Some(all) => Err(all),
    }
}

/// `#[test]` or the prelude paths it can be spelled as, such as
/// `#[core::prelude::v1::test]`; other crates' `test` attributes are theirs.
fn is_builtin_test(attr: &Attribute) -> bool {
    let segments: Vec<String> = attr
        .path()
        .segments
        .iter()
        .map(|segment| segment.ident.to_string())
        .collect();
    match segments.as_slice() {
        [test] => test == "test",
        [krate, prelude, _edition, test] => {
            (krate == "core" || krate == "std") && prelude == "prelude" && test == "test"
        }
        _ => false,
    }
}

/// The type the body's future must produce, when it can be named there.
///
/// `None` for outputs that are only legal in return position, such as
/// `impl Trait` anywhere inside the type, or `!`.
pub(crate) fn nameable_output(output: &ReturnType) -> Option<TokenStream> {
    match output {
        ReturnType::Default => Some(quote::quote!(())),
        ReturnType::Type(_, ty) => {
            let never = matches!(**ty, Type::Never(_));
            let tokens = ty.to_token_stream();
            (!never && !mentions_impl(tokens.clone())).then_some(tokens)
        }
    }
}

fn mentions_impl(tokens: TokenStream) -> bool {
    tokens.into_iter().any(|tree| match tree {
        TokenTree::Ident(ident) => ident == "impl",
        TokenTree::Group(group) => mentions_impl(group.stream()),
        TokenTree::Punct(_) | TokenTree::Literal(_) => false,
    })
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use quote::quote;
    use syn::parse_quote;

    fn message(kind: Kind, func: &ItemFn) -> String {
        match check(kind, func) {
            Ok(()) => panic!("expected an error"),
            Err(error) => error
                .into_iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }

    #[test]
    fn a_plain_async_fn_passes() {
        let func: ItemFn = parse_quote! {
            /// Docs.
            #[should_panic]
            pub async fn works() -> Result<(), String> { Ok(()) }
        };
        assert!(check(Kind::Test, &func).is_ok());
        assert!(check(Kind::Main, &func).is_ok());
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let func: ItemFn = parse_quote! {
            fn main<T>(x: T) {}
        };
        let text = message(Kind::Main, &func);
        assert!(text.contains("add `async`"), "{text}");
        assert!(text.contains("cannot be generic"), "{text}");
        assert!(text.contains("`fn main` cannot take parameters"), "{text}");
    }

    #[test]
    fn a_written_test_attribute_is_rejected_only_for_tests() {
        let func: ItemFn = parse_quote! {
            #[test]
            async fn twice() {}
        };
        assert!(message(Kind::Test, &func).contains("remove this `#[test]`"));
        assert!(check(Kind::Main, &func).is_ok());
    }

    #[test]
    fn builtin_test_paths_are_recognised() {
        let builtin: [Attribute; 3] = [
            parse_quote!(#[test]),
            parse_quote!(#[core::prelude::v1::test]),
            parse_quote!(#[::std::prelude::rust_2021::test]),
        ];
        assert!(builtin.iter().all(is_builtin_test));
        let other: [Attribute; 3] = [
            parse_quote!(#[deli::test]),
            parse_quote!(#[testing]),
            parse_quote!(#[my::prelude::v1::test]),
        ];
        assert!(!other.iter().any(is_builtin_test));
    }

    #[test]
    fn outputs_only_legal_in_return_position_are_not_named() {
        let named = |output: ReturnType| nameable_output(&output).map(|t| t.to_string());
        assert_eq!(named(parse_quote!()), Some(quote!(()).to_string()));
        assert_eq!(
            named(parse_quote!(-> Result<u8, String>)),
            Some(quote!(Result<u8, String>).to_string())
        );
        assert_eq!(named(parse_quote!(-> impl Display)), None);
        assert_eq!(named(parse_quote!(-> Result<(), impl Error>)), None);
        assert_eq!(named(parse_quote!(-> !)), None);
    }
}
