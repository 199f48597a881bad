//! `select!`: wait for the first of several futures whose output matches a
//! pattern, then run that branch's handler.
//!
//! A procedural macro rather than `macro_rules!`, because a branch begins
//! with an arbitrary pattern (`Some(x) = rx.recv() => ...`): a declarative
//! macro cannot take a `pat` fragment followed by `=` and an expression
//! without restricting what patterns may be written, and it cannot number
//! the branches (each needs its own variant of the output enum and its own
//! bit in the disabled mask).
//!
//! Owns the branch syntax and the generated code. The expansion names only
//! `::core` and `::deli::__private` items, so a crate that depends on deli
//! alone can use it; it contains no `unsafe` (each future is pinned with
//! `core::pin::pin!` in the enclosing async block).

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::parse::{Parse, ParseStream};
use syn::{Expr, Ident, Pat, Token};

/// At most this many branches: one bit each in a `u64` mask.
const MAX_BRANCHES: usize = 64;

struct Branch {
    pattern: Pat,
    future: Expr,
    precondition: Option<Expr>,
    handler: Expr,
}

struct Select {
    biased: bool,
    branches: Vec<Branch>,
    otherwise: Option<Expr>,
}

mod kw {
    syn::custom_keyword!(biased);
}

impl Parse for Select {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut biased = false;
        if input.peek(kw::biased) && input.peek2(Token![;]) {
            input.parse::<kw::biased>()?;
            input.parse::<Token![;]>()?;
            biased = true;
        }
        let mut branches = Vec::new();
        let mut otherwise = None;
        while !input.is_empty() {
            if input.peek(Token![else]) {
                let keyword: Token![else] = input.parse()?;
                if otherwise.is_some() {
                    return Err(syn::Error::new_spanned(
                        keyword,
                        "`select!` takes at most one `else` branch",
                    ));
                }
                input.parse::<Token![=>]>()?;
                otherwise = Some(parse_handler(input)?);
                continue;
            }
            let pattern = Pat::parse_multi_with_leading_vert(input)?;
            input.parse::<Token![=]>()?;
            let future: Expr = input.parse()?;
            let mut precondition = None;
            if input.peek(Token![,]) && input.peek2(Token![if]) {
                input.parse::<Token![,]>()?;
                input.parse::<Token![if]>()?;
                precondition = Some(input.parse()?);
            }
            input.parse::<Token![=>]>()?;
            let handler = parse_handler(input)?;
            branches.push(Branch {
                pattern,
                future,
                precondition,
                handler,
            });
        }
        if branches.is_empty() {
            return Err(syn::Error::new(
                Span::call_site(),
                "`select!` needs at least one branch: `pattern = future => handler`",
            ));
        }
        if branches.len() > MAX_BRANCHES {
            return Err(syn::Error::new(
                Span::call_site(),
                format!("`select!` takes at most {MAX_BRANCHES} branches"),
            ));
        }
        Ok(Select {
            biased,
            branches,
            otherwise,
        })
    }
}

/// A handler: a block (comma optional after it) or an expression followed
/// by a comma unless it is the last branch.
fn parse_handler(input: ParseStream<'_>) -> syn::Result<Expr> {
    let is_block = input.peek(syn::token::Brace);
    let handler: Expr = input.parse()?;
    if input.is_empty() {
        return Ok(handler);
    }
    if is_block {
        let _ = input.parse::<Option<Token![,]>>()?;
    } else {
        input.parse::<Token![,]>().map_err(|error| {
            syn::Error::new(
                error.span(),
                "expected `,` after this `select!` branch's handler",
            )
        })?;
    }
    Ok(handler)
}

/// The pattern as a test on a reference to the output: the same shape,
/// with `mut`, `ref` and `ref mut` dropped from its bindings, so that it
/// binds (unused) references instead of moving out of the output it only
/// inspects. Constants and unit variants written as bare names (`None`)
/// are left as they are.
fn check_only(pattern: Pat) -> Pat {
    match pattern {
        Pat::Ident(mut ident) => {
            ident.by_ref = None;
            ident.mutability = None;
            if let Some((at, sub)) = ident.subpat.take() {
                ident.subpat = Some((at, Box::new(check_only(*sub))));
            }
            Pat::Ident(ident)
        }
        Pat::Or(mut or) => {
            or.cases = or.cases.into_iter().map(check_only).collect();
            Pat::Or(or)
        }
        Pat::Paren(mut paren) => {
            paren.pat = Box::new(check_only(*paren.pat));
            Pat::Paren(paren)
        }
        Pat::Reference(mut reference) => {
            reference.mutability = None;
            reference.pat = Box::new(check_only(*reference.pat));
            Pat::Reference(reference)
        }
        Pat::Slice(mut slice) => {
            slice.elems = slice.elems.into_iter().map(check_only).collect();
            Pat::Slice(slice)
        }
        Pat::Struct(mut item) => {
            for field in item.fields.iter_mut() {
                let pat = std::mem::replace(&mut *field.pat, Pat::Verbatim(TokenStream::new()));
                *field.pat = check_only(pat);
            }
            Pat::Struct(item)
        }
        Pat::Tuple(mut tuple) => {
            tuple.elems = tuple.elems.into_iter().map(check_only).collect();
            Pat::Tuple(tuple)
        }
        Pat::TupleStruct(mut item) => {
            item.elems = item.elems.into_iter().map(check_only).collect();
            Pat::TupleStruct(item)
        }
        Pat::Type(mut typed) => {
            typed.pat = Box::new(check_only(*typed.pat));
            Pat::Type(typed)
        }
        other => other,
    }
}

/// Expands `select! { ... }`.
pub(crate) fn expand(input: TokenStream) -> TokenStream {
    match syn::parse2::<Select>(input) {
        Ok(select) => generate(&select),
        Err(error) => error.to_compile_error(),
    }
}

fn generate(select: &Select) -> TokenStream {
    let count = select.branches.len();
    // Mixed-site names cannot collide with the user's own.
    let mixed = |name: &str| Ident::new(name, Span::mixed_site());
    let disabled = mixed("__deli_disabled");
    let out_enum = mixed("__DeliSelectOut");
    let output = mixed("__deli_output");
    let cx = mixed("__deli_cx");
    let start = mixed("__deli_start");
    let index = mixed("__deli_index");
    let variants: Vec<Ident> = (0..count).map(|i| format_ident!("Branch{}", i)).collect();
    let generics: Vec<Ident> = (0..count).map(|i| format_ident!("T{}", i)).collect();
    let futures: Vec<Ident> = (0..count)
        .map(|i| Ident::new(&format!("__deli_future_{i}"), Span::mixed_site()))
        .collect();

    let declare_futures = select.branches.iter().zip(&futures).map(|(branch, name)| {
        let future = &branch.future;
        quote! {
            let mut #name = ::core::pin::pin!(
                ::core::future::IntoFuture::into_future(#future)
            );
        }
    });
    let preconditions = select.branches.iter().enumerate().map(|(i, branch)| {
        branch.precondition.as_ref().map(|condition| {
            quote! {
                if !(#condition) {
                    #disabled |= 1u64 << #i;
                }
            }
        })
    });
    let poll_arms = select
        .branches
        .iter()
        .enumerate()
        .map(|(i, branch)| {
            let future = &futures[i];
            let variant = &variants[i];
            let pattern = check_only(branch.pattern.clone());
            quote! {
                #i => {
                    if let ::core::task::Poll::Ready(#output) =
                        ::core::future::Future::poll(#future.as_mut(), #cx)
                    {
                        // Done either way: a future is never polled again
                        // after it completed.
                        #disabled |= 1u64 << #i;
                        #[allow(unused_variables, unused_mut, unreachable_patterns)]
                        match &#output {
                            #pattern => {
                                return ::core::task::Poll::Ready(
                                    #out_enum::#variant(#output),
                                );
                            }
                            _ => {}
                        }
                    }
                }
            }
        })
        .collect::<Vec<_>>();
    let handler_arms = select.branches.iter().enumerate().map(|(i, branch)| {
        let variant = &variants[i];
        let pattern = &branch.pattern;
        let handler = &branch.handler;
        quote! {
            #out_enum::#variant(#pattern) => #handler,
        }
    });
    let otherwise = match &select.otherwise {
        Some(handler) => quote!(#handler),
        None => quote! {
            ::deli::__private::all_select_branches_disabled()
        },
    };
    let first = if select.biased {
        quote!(0usize)
    } else {
        quote!(::deli::__private::select_start(#count))
    };
    let all = if count == MAX_BRANCHES {
        quote!(u64::MAX)
    } else {
        quote!(((1u64 << #count) - 1))
    };

    quote! {{
        #[allow(non_camel_case_types, clippy::enum_variant_names)]
        enum #out_enum<#(#generics,)*> {
            #(#variants(#generics),)*
            Disabled,
        }
        let mut #disabled: u64 = 0;
        #(#preconditions)*
        #(#declare_futures)*
        #[allow(clippy::redundant_closure_call, clippy::modulo_one, unreachable_code)]
        let #output = ::core::future::poll_fn(|#cx: &mut ::core::task::Context<'_>| {
            let #start: usize = #first;
            for #index in 0..#count {
                let #index = (#start + #index) % #count;
                if #disabled & (1u64 << #index) != 0 {
                    continue;
                }
                match #index {
                    #(#poll_arms)*
                    _ => {}
                }
            }
            if #disabled == #all {
                ::core::task::Poll::Ready(#out_enum::Disabled)
            } else {
                ::core::task::Poll::Pending
            }
        })
        .await;
        #[allow(unreachable_patterns, unreachable_code)]
        match #output {
            #(#handler_arms)*
            #out_enum::Disabled => #otherwise,
            _ => ::core::unreachable!("deli::select!: a branch's pattern was checked before it was chosen"),
        }
    }}
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    fn message(input: TokenStream) -> String {
        match syn::parse2::<Select>(input) {
            Ok(_) => panic!("expected an error"),
            Err(error) => error.to_string(),
        }
    }

    #[test]
    fn parses_biased_preconditions_and_else() {
        let select: Select = syn::parse2(quote! {
            biased;
            Some(x) = rx.recv(), if open => { x }
            v = async { 1 } => v + 1,
            else => 0,
        })
        .expect("valid select");
        assert!(select.biased);
        assert_eq!(select.branches.len(), 2);
        assert!(select.branches[0].precondition.is_some());
        assert!(select.branches[1].precondition.is_none());
        assert!(select.otherwise.is_some());
    }

    #[test]
    fn mistakes_are_named() {
        assert!(message(quote!()).contains("at least one branch"));
        assert!(message(quote!(else => 1, else => 2)).contains("at most one `else`"));
        assert!(message(quote!(a = f => 1 b = g => 2)).contains("expected `,`"));
    }
}
