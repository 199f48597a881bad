//! `join!` and `try_join!`: run several futures concurrently in the calling
//! task and wait for all of them (`join!`), or for all of them unless one
//! fails first (`try_join!`).
//!
//! Procedural for the same reason as `select!`: the output is a tuple with
//! one field per future, and numbering the futures is what `macro_rules!`
//! cannot do. Owns only the generated code; the per-future state
//! (`MaybeDone`) lives in `deli::__private`, and every future is pinned with
//! `core::pin::pin!`, so the expansion has no `unsafe`.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{Expr, Ident, Token};

/// Which macro is being expanded.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Join {
    All,
    Try,
}

/// Expands `join!(a, b, ...)` or `try_join!(a, b, ...)`.
pub(crate) fn expand(kind: Join, input: TokenStream) -> TokenStream {
    let parser = Punctuated::<Expr, Token![,]>::parse_terminated;
    let futures = match parser.parse2(input) {
        Ok(futures) => futures,
        Err(error) => return error.to_compile_error(),
    };
    let names: Vec<Ident> = (0..futures.len())
        .map(|i| Ident::new(&format!("__deli_join_{i}"), Span::mixed_site()))
        .collect();
    let cx = Ident::new("__deli_cx", Span::mixed_site());
    let done = Ident::new("__deli_done", Span::mixed_site());

    let declare = futures.iter().zip(&names).map(|(future, name)| {
        quote! {
            let mut #name = ::core::pin::pin!(::deli::__private::MaybeDone::new(
                ::core::future::IntoFuture::into_future(#future)
            ));
        }
    });
    let polls = names.iter().map(|name| match kind {
        Join::All => quote! {
            #done &= #name.as_mut().poll_done(#cx);
        },
        Join::Try => quote! {
            match #name.as_mut().try_poll_done(#cx) {
                ::core::result::Result::Ok(finished) => #done &= finished,
                ::core::result::Result::Err(error) => {
                    return ::core::task::Poll::Ready(::core::result::Result::Err(error));
                }
            }
        },
    });
    let outputs = names.iter().map(|name| match kind {
        Join::All => quote!(#name.as_mut().take_output()),
        Join::Try => quote!(#name.as_mut().take_ok()),
    });
    let finished = match kind {
        Join::All => quote!(::core::task::Poll::Ready((#(#outputs,)*))),
        Join::Try => {
            quote!(::core::task::Poll::Ready(::core::result::Result::Ok((#(#outputs,)*))))
        }
    };

    quote! {{
        #(#declare)*
        ::core::future::poll_fn(|#cx: &mut ::core::task::Context<'_>| {
            let mut #done = true;
            #(#polls)*
            if #done {
                #finished
            } else {
                ::core::task::Poll::Pending
            }
        })
        .await
    }}
}
