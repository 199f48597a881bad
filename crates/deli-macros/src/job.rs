//! `#[deli::job]`: registers a plain function as a process-pool job.
//!
//! The function is kept under a hidden name inside an anonymous `const`
//! block, next to a run function (decode the arguments, call, encode the
//! value) and its entry in deli's link-time job list; its own name becomes
//! a `deli::process::Job` constant. Uses only syn/quote.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::{FnArg, GenericArgument, ItemFn, PathArguments, ReturnType, Type};

/// Expands `#[deli::job]` on `item`.
pub(crate) fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let func: ItemFn = match syn::parse2(item.clone()) {
        Ok(func) => func,
        Err(error) => {
            let mut tokens = error.to_compile_error();
            tokens.extend(item);
            return tokens;
        }
    };
    match check(&args, &func).and_then(|()| generate(func.clone())) {
        Ok(tokens) => tokens,
        Err(error) => {
            let mut tokens = error.to_compile_error();
            tokens.extend(quote!(#func));
            tokens
        }
    }
}

fn check(args: &TokenStream, func: &ItemFn) -> syn::Result<()> {
    let sig = &func.sig;
    let mut problems: Vec<syn::Error> = Vec::new();
    if !args.is_empty() {
        problems.push(syn::Error::new_spanned(
            args,
            "#[deli::job] takes no arguments",
        ));
    }
    if let Some(token) = &sig.asyncness {
        problems.push(syn::Error::new_spanned(
            token,
            "a job is a plain `fn`, not an `async fn`",
        ));
    }
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        problems.push(syn::Error::new_spanned(
            &sig.generics,
            "a job cannot be generic",
        ));
    }
    if let Some(variadic) = &sig.variadic {
        problems.push(syn::Error::new_spanned(
            variadic,
            "a job cannot be variadic",
        ));
    }
    for input in &sig.inputs {
        if let FnArg::Receiver(receiver) = input {
            problems.push(syn::Error::new_spanned(
                receiver,
                "a job cannot take `self`",
            ));
        }
    }
    let mut problems = problems.into_iter();
    match problems.next() {
        None => Ok(()),
        Some(mut first) => {
            first.extend(problems);
            Err(first)
        }
    }
}

/// `Result<T, E>` (by its last path segment): `Some(T)`.
fn result_value(ty: &Type) -> Option<&Type> {
    let Type::Path(path) = ty else { return None };
    let last = path.path.segments.last()?;
    if last.ident != "Result" {
        return None;
    }
    let PathArguments::AngleBracketed(arguments) = &last.arguments else {
        return None;
    };
    let types: Vec<&Type> = arguments
        .args
        .iter()
        .filter_map(|argument| match argument {
            GenericArgument::Type(ty) => Some(ty),
            _ => None,
        })
        .collect();
    match types.as_slice() {
        [value, _error] => Some(value),
        _ => None,
    }
}

fn generate(func: ItemFn) -> syn::Result<TokenStream> {
    let ItemFn {
        attrs,
        vis,
        mut sig,
        block,
    } = func;
    let name = sig.ident.clone();
    let body_name = format_ident!("__deli_job_{}", name);
    sig.ident = body_name.clone();
    let name_text = name.to_string();

    let types: Vec<&Type> = sig
        .inputs
        .iter()
        .filter_map(|input| match input {
            FnArg::Typed(typed) => Some(&*typed.ty),
            FnArg::Receiver(_) => None,
        })
        .collect();
    let values: Vec<_> = (0..types.len())
        .map(|index| syn::Ident::new(&format!("argument{index}"), Span::mixed_site()))
        .collect();
    let (argument_type, pattern) = match types.as_slice() {
        [single] => (quote!(#single), {
            let value = &values[0];
            quote!(#value)
        }),
        _ => (quote!((#(#types,)*)), quote!((#(#values,)*))),
    };
    let (value_type, wrap) = match &sig.output {
        ReturnType::Default => (quote!(()), quote!(::core::result::Result::Ok)),
        ReturnType::Type(_, ty) => match result_value(ty) {
            Some(value) => (
                quote!(#value),
                quote!((|result: #ty| result.map_err(|error| ::std::string::ToString::to_string(&error)))),
            ),
            None => (quote!(#ty), quote!(::core::result::Result::Ok)),
        },
    };
    let run_name = format_ident!("__deli_job_run_{}", name);
    let entry_name = format_ident!("__DELI_JOB_{}", name.to_string().to_uppercase());

    // Documentation describes the handle users see; every other attribute
    // (`#[inline]`, lints, `cfg`s) belongs to the function.
    let (docs, fn_attrs): (Vec<_>, Vec<_>) = attrs
        .into_iter()
        .partition(|attr| attr.path().is_ident("doc"));
    Ok(quote! {
        #(#docs)*
        #[allow(non_upper_case_globals)]
        #vis const #name: ::deli::process::Job<#argument_type, #value_type> =
            ::deli::process::Job::__new(::core::concat!(::core::module_path!(), "::", #name_text));

        const _: () = {
            #(#fn_attrs)*
            #[allow(clippy::too_many_arguments, clippy::needless_pass_by_value)]
            #sig #block

            fn #run_name(
                arguments: &[u8],
            ) -> ::core::result::Result<::std::vec::Vec<u8>, ::std::string::String> {
                ::deli::process::__private::run_job(arguments, |#pattern: #argument_type| {
                    #wrap(#body_name(#(#values),*))
                })
            }

            #[::deli::process::__private::distributed_slice(::deli::process::__private::JOBS)]
            #[linkme(crate = ::deli::process::__private::linkme)]
            static #entry_name: ::deli::process::__private::JobEntry =
                ::deli::process::__private::JobEntry {
                    name: ::core::concat!(::core::module_path!(), "::", #name_text),
                    run: #run_name,
                };
        };
    })
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    fn expanded(item: TokenStream) -> String {
        expand(TokenStream::new(), item).to_string()
    }

    #[test]
    fn a_job_becomes_a_typed_constant_and_a_registered_entry() {
        let text = expanded(quote! {
            pub fn add(a: u64, b: u64) -> u64 { a + b }
        });
        assert!(
            text.contains("pub const add : :: deli :: process :: Job < (u64 , u64 ,) , u64 >"),
            "{text}"
        );
        assert!(text.contains("distributed_slice"), "{text}");
        assert!(text.contains("fn __deli_job_add"), "{text}");
    }

    #[test]
    fn one_parameter_is_not_a_tuple_and_result_errors_become_text() {
        let text = expanded(quote! {
            fn parse(text: String) -> Result<u64, std::num::ParseIntError> { text.parse() }
        });
        assert!(text.contains("Job < String , u64 >"), "{text}");
        assert!(text.contains("map_err"), "{text}");
    }

    #[test]
    fn what_cannot_be_a_job_is_a_compile_error() {
        for item in [
            quote!(
                async fn a() {}
            ),
            quote!(
                fn b<T>(value: T) {}
            ),
            quote!(
                fn c(&self) {}
            ),
        ] {
            let text = expanded(item);
            assert!(text.contains("compile_error"), "{text}");
        }
        let text = expand(
            quote!(fast),
            quote!(
                fn d() {}
            ),
        )
        .to_string();
        assert!(text.contains("takes no arguments"), "{text}");
    }
}
