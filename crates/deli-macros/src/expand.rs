//! Turns an `async fn` into a plain `fn` that builds a deli runtime and
//! blocks on the original body.
//!
//! Owns the generated code and what is emitted when the input is wrong (the
//! error plus a harmless stand-in, so one mistake gives one message). Uses
//! `args` for the configuration and `function` for the checks.

use crate::args::{self, Config, Kind};
use crate::function;
use proc_macro2::{Literal, Span, TokenStream};
use quote::{quote, ToTokens};
use syn::{Ident, ItemFn};

/// Expands `#[deli::main(args)]` or `#[deli::test(args)]` on `item`.
pub(crate) fn expand(kind: Kind, args: TokenStream, item: TokenStream) -> TokenStream {
    let func: ItemFn = match syn::parse2(item.clone()) {
        Ok(func) => func,
        Err(error) => return not_a_function(kind, error, item),
    };
    let config = args::parse(kind, args);
    let checked = function::check(kind, &func);
    let error = match (config, checked) {
        (Ok(config), Ok(())) => return generate(kind, &config, func),
        (Err(error), Ok(())) | (Ok(_), Err(error)) => error,
        (Err(mut error), Err(more)) => {
            error.combine(more);
            error
        }
    };
    let mut tokens = error.to_compile_error();
    tokens.extend(stand_in(&func));
    tokens
}

/// Keeps the item (so rustc reports nothing else about it) and explains.
fn not_a_function(kind: Kind, parse_error: syn::Error, item: TokenStream) -> TokenStream {
    let error = match syn::parse2::<syn::Item>(item.clone()) {
        // Some other item: say where the attribute belongs.
        Ok(other) => syn::Error::new_spanned(
            &other,
            format!("{} goes on an `async fn`", kind.attribute()),
        ),
        // A function syn cannot read: its own message is the useful one.
        Err(_) => parse_error,
    };
    let mut tokens = error.to_compile_error();
    tokens.extend(item);
    tokens
}

/// A do-nothing function with the same name, emitted next to an error so the
/// crate still has its `main` and nothing else breaks because of ours.
fn stand_in(func: &ItemFn) -> TokenStream {
    let vis = &func.vis;
    let ident = &func.sig.ident;
    quote! {
        #[allow(dead_code)]
        #vis fn #ident() {}
    }
}

fn generate(kind: Kind, config: &Config, func: ItemFn) -> TokenStream {
    let ItemFn {
        attrs,
        vis,
        mut sig,
        block,
    } = func;
    sig.asyncness = None;

    let krate = &config.krate;
    let flavor = Ident::new(config.flavor.variant(), Span::call_site());
    let workers = config.workers.map(|n| {
        let n = Literal::usize_unsuffixed(n);
        quote!(.workers(#n))
    });
    let start_paused = config.start_paused.then(|| quote!(.start_paused(true)));
    let test_attr = (kind == Kind::Test).then(|| quote!(#[::core::prelude::v1::test]));
    let failure = format!(
        "{} could not build the deli runtime for `{}`: {{}}",
        kind.attribute(),
        sig.ident
    );

    // Mixed-site names cannot collide with anything in the user's body.
    let body = Ident::new("body", Span::mixed_site());
    let runtime = Ident::new("runtime", Span::mixed_site());
    let error = Ident::new("error", Span::mixed_site());

    // Declaring the body's value with the signature's type lets `?` and
    // `.into()` inside it infer their targets, and points a mismatch at the
    // body's own tail expression. `return` still leaves the async block.
    let future = if let Some(output) = function::nameable_output(&sig.output) {
        let value = Ident::new("value", Span::mixed_site());
        quote! {
            async move {
                // The body is now a sub-expression, so a body that is
                // just `panic!()` trips this lint; in the source it is not.
                #[allow(clippy::diverging_sub_expression)]
                let #value: #output = #block;
                // A body that ends by diverging would make this line
                // "unreachable", which is the user's intent, not a bug.
                #[allow(unreachable_code)]
                return #value;
            }
        }
    } else {
        quote!(async move #block)
    };

    let mut tokens = TokenStream::new();
    tokens.extend(test_attr);
    for attr in &attrs {
        attr.to_tokens(&mut tokens);
    }
    // A re-executed worker child must become a worker before `main` does
    // anything else (see `deli::process`).
    let process_init = (kind == Kind::Main).then(|| quote!(#krate::process::init();));
    tokens.extend(quote! {
        #vis #sig {
            #process_init
            let #body = #future;
            let #runtime = match #krate::Runtime::builder()
                .flavor(#krate::Flavor::#flavor)
                #workers
                #start_paused
                .build()
            {
                ::core::result::Result::Ok(#runtime) => #runtime,
                ::core::result::Result::Err(#error) => ::core::panic!(#failure, #error),
            };
            #runtime.block_on(#body)
        }
    });
    tokens
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    fn expanded(kind: Kind, args: TokenStream, item: TokenStream) -> ItemFn {
        match syn::parse2(expand(kind, args, item)) {
            Ok(func) => func,
            Err(error) => panic!("expansion is not one function: {error}"),
        }
    }

    #[test]
    fn test_gets_one_test_attribute_first_and_keeps_the_others() {
        let func = expanded(
            Kind::Test,
            quote!(flavor = "multi_thread", workers = 2),
            quote! {
                /// Docs.
                #[should_panic]
                async fn t() -> Result<(), String> { Ok(()) }
            },
        );
        let attrs: Vec<String> = func
            .attrs
            .iter()
            .map(|attr| attr.to_token_stream().to_string())
            .collect();
        assert_eq!(attrs.len(), 3, "{attrs:?}");
        assert_eq!(attrs[0], quote!(#[::core::prelude::v1::test]).to_string());
        assert!(attrs[1].contains("Docs."), "{attrs:?}");
        assert_eq!(attrs[2], quote!(#[should_panic]).to_string());
        assert!(func.sig.asyncness.is_none());
        let body = func.block.to_token_stream().to_string();
        assert!(body.contains("Flavor :: MultiThread"), "{body}");
        assert!(body.contains(". workers (2)"), "{body}");
    }

    #[test]
    fn main_gets_no_test_attribute_and_uses_the_crate_path() {
        let func = expanded(
            Kind::Main,
            quote!(crate = "renamed"),
            quote!(
                async fn main() {}
            ),
        );
        assert!(func.attrs.is_empty());
        let body = func.block.to_token_stream().to_string();
        assert!(body.contains("renamed :: Runtime :: builder ()"), "{body}");
        assert!(!body.contains(":: deli"), "{body}");
        assert!(!body.contains("workers"), "{body}");
    }

    #[test]
    fn a_mistake_gives_an_error_and_a_harmless_stand_in() {
        let tokens = expand(
            Kind::Main,
            quote!(),
            quote!(
                fn main(x: u8) {}
            ),
        );
        let text = tokens.to_string();
        assert_eq!(text.matches("compile_error").count(), 2, "{text}");
        assert!(
            text.ends_with(
                &quote!(
                    #[allow(dead_code)]
                    fn main() {}
                )
                .to_string()
            ),
            "{text}"
        );
    }

    #[test]
    fn another_item_is_kept_beside_the_error() {
        let tokens = expand(
            Kind::Test,
            quote!(),
            quote!(
                struct S;
            ),
        );
        let text = tokens.to_string();
        assert!(text.contains("compile_error"), "{text}");
        assert!(text.ends_with("struct S ;"), "{text}");
    }
}
