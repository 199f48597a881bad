//! The attribute's arguments: `flavor = "..."`, `workers = N`, `crate = "path"`,
//! and for tests `start_paused = true`.
//!
//! Owns their syntax, their defaults for each macro and the rules between them
//! (`workers` needs the multi-thread flavor). Uses only `syn`; knows nothing
//! about the function the attribute sits on.

use proc_macro2::TokenStream;
use quote::{quote, ToTokens};
use syn::meta::ParseNestedMeta;
use syn::parse::Parser;
use syn::{Expr, Lit, LitInt, Path, Token};

/// Which attribute is being expanded; decides defaults and wording.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Main,
    Test,
}

impl Kind {
    /// How the attribute is written, for error messages.
    pub(crate) fn attribute(self) -> &'static str {
        match self {
            Kind::Main => "#[deli::main]",
            Kind::Test => "#[deli::test]",
        }
    }

    fn default_flavor(self) -> Flavor {
        match self {
            Kind::Main => Flavor::MultiThread,
            // Tests run on one thread by default so their interleavings repeat.
            Kind::Test => Flavor::CurrentThread,
        }
    }
}

/// The runtime flavor, mirroring `deli::Flavor`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Flavor {
    CurrentThread,
    MultiThread,
}

impl Flavor {
    /// The name of the matching `deli::Flavor` variant.
    pub(crate) fn variant(self) -> &'static str {
        match self {
            Flavor::CurrentThread => "CurrentThread",
            Flavor::MultiThread => "MultiThread",
        }
    }
}

/// The arguments after defaults are applied.
pub(crate) struct Config {
    pub(crate) flavor: Flavor,
    /// `None` keeps the runtime's own default (one worker per core).
    pub(crate) workers: Option<usize>,
    /// Path to the deli crate, `::deli` unless `crate = "..."` says otherwise.
    pub(crate) krate: Path,
    /// `start_paused = true`: the runtime's clock starts paused.
    pub(crate) start_paused: bool,
}

/// `workers` as written, kept so the flavor check can point at it.
struct Workers {
    value: usize,
    tokens: TokenStream,
}

#[derive(Default)]
struct Raw {
    flavor: Option<Flavor>,
    workers: Option<Workers>,
    krate: Option<Path>,
    /// The value and the tokens, kept so the flavor check can point at them.
    start_paused: Option<(bool, TokenStream)>,
}

/// Parses the tokens between the attribute's parentheses.
pub(crate) fn parse(kind: Kind, args: TokenStream) -> syn::Result<Config> {
    let mut raw = Raw::default();
    syn::meta::parser(|meta| raw.accept(kind, &meta)).parse2(args)?;
    let flavor = raw.flavor.unwrap_or(kind.default_flavor());
    if let (Flavor::CurrentThread, Some(workers)) = (flavor, &raw.workers) {
        let message = if raw.flavor.is_some() {
            "`workers` cannot be used with `flavor = \"current_thread\"`, which runs \
             everything on the calling thread; use `flavor = \"multi_thread\"` or remove `workers`"
                .to_owned()
        } else {
            format!(
                "`workers` needs `flavor = \"multi_thread\"`: {} runs on a current-thread \
                 runtime by default",
                kind.attribute()
            )
        };
        return Err(syn::Error::new_spanned(&workers.tokens, message));
    }
    if let (Flavor::MultiThread, Some((true, tokens))) = (flavor, &raw.start_paused) {
        return Err(syn::Error::new_spanned(
            tokens,
            "`start_paused` needs `flavor = \"current_thread\"`: a paused clock \
             auto-advances only on a current-thread runtime",
        ));
    }
    Ok(Config {
        flavor,
        workers: raw.workers.map(|w| w.value),
        krate: raw.krate.unwrap_or_else(|| syn::parse_quote!(::deli)),
        start_paused: raw.start_paused.is_some_and(|(value, _)| value),
    })
}

impl Raw {
    fn accept(&mut self, kind: Kind, meta: &ParseNestedMeta) -> syn::Result<()> {
        if meta.path.is_ident("flavor") {
            reject_repeat(meta, self.flavor.is_some())?;
            self.flavor = Some(flavor_value(meta)?);
        } else if meta.path.is_ident("workers") {
            reject_repeat(meta, self.workers.is_some())?;
            let (value, lit) = workers_value(meta)?;
            let key = &meta.path;
            self.workers = Some(Workers {
                value,
                tokens: quote!(#key = #lit),
            });
        } else if meta.path.is_ident("start_paused") && kind == Kind::Test {
            reject_repeat(meta, self.start_paused.is_some())?;
            let expr = value(meta, "start_paused = true")?;
            let Some(Lit::Bool(lit)) = literal(&expr) else {
                return Err(syn::Error::new_spanned(
                    expr,
                    "`start_paused` expects `true` or `false`",
                ));
            };
            let key = &meta.path;
            self.start_paused = Some((lit.value, quote!(#key = #lit)));
        } else if meta.path.is_ident("crate") {
            reject_repeat(meta, self.krate.is_some())?;
            self.krate = Some(crate_value(meta)?);
        } else {
            return Err(unknown_argument(kind, meta));
        }
        Ok(())
    }
}

fn reject_repeat(meta: &ParseNestedMeta, seen: bool) -> syn::Result<()> {
    if seen {
        let name = meta.path.to_token_stream();
        return Err(meta.error(format!("`{name}` is given more than once")));
    }
    Ok(())
}

fn unknown_argument(kind: Kind, meta: &ParseNestedMeta) -> syn::Error {
    let name = meta.path.to_token_stream().to_string().replace(' ', "");
    let hint = match name.as_str() {
        "worker_threads" | "threads" | "worker" => " (did you mean `workers`?)".to_owned(),
        "current_thread" | "multi_thread" => format!(" (write `flavor = \"{name}\"`)"),
        _ => String::new(),
    };
    let expected = match kind {
        Kind::Main => "`flavor`, `workers` or `crate`",
        Kind::Test => "`flavor`, `workers`, `start_paused` or `crate`",
    };
    meta.error(format!(
        "unknown argument `{name}` to {}; expected {expected}{hint}",
        kind.attribute()
    ))
}

/// The literal behind `= ...`, seeing through the invisible groups that
/// `macro_rules!` puts around `$x:expr`.
fn literal(expr: &Expr) -> Option<&Lit> {
    match expr {
        Expr::Lit(lit) if lit.attrs.is_empty() => Some(&lit.lit),
        Expr::Group(group) => literal(&group.expr),
        _ => None,
    }
}

/// The expression after `=`, or an error showing how the argument is written.
fn value(meta: &ParseNestedMeta, example: &str) -> syn::Result<Expr> {
    if !meta.input.peek(Token![=]) {
        let name = meta.path.to_token_stream();
        return Err(meta.error(format!("`{name}` takes a value: `{example}`")));
    }
    meta.value()?.parse()
}

fn flavor_value(meta: &ParseNestedMeta) -> syn::Result<Flavor> {
    let expr = value(meta, "flavor = \"multi_thread\"")?;
    let Some(Lit::Str(lit)) = literal(&expr) else {
        return Err(syn::Error::new_spanned(
            expr,
            "`flavor` expects a string: `flavor = \"current_thread\"` or `flavor = \"multi_thread\"`",
        ));
    };
    let flavor = match lit.value().as_str() {
        "current_thread" => Flavor::CurrentThread,
        "multi_thread" => Flavor::MultiThread,
        other => {
            return Err(syn::Error::new(
                lit.span(),
                format!(
                    "unknown flavor `{other}`; expected \"current_thread\" or \"multi_thread\""
                ),
            ))
        }
    };
    Ok(flavor)
}

fn workers_value(meta: &ParseNestedMeta) -> syn::Result<(usize, LitInt)> {
    let expr = value(meta, "workers = 4")?;
    let Some(Lit::Int(lit)) = literal(&expr) else {
        return Err(syn::Error::new_spanned(
            expr,
            "`workers` expects an integer literal greater than 0, e.g. `workers = 4`",
        ));
    };
    if !matches!(lit.suffix(), "" | "usize") {
        return Err(syn::Error::new(
            lit.span(),
            format!(
                "`workers` is a `usize`; remove the `{}` suffix",
                lit.suffix()
            ),
        ));
    }
    let workers: usize = lit
        .base10_parse()
        .map_err(|_| syn::Error::new(lit.span(), "`workers` is too large for a `usize`"))?;
    if workers == 0 {
        return Err(syn::Error::new(lit.span(), "`workers` must be at least 1"));
    }
    Ok((workers, lit.clone()))
}

fn crate_value(meta: &ParseNestedMeta) -> syn::Result<Path> {
    let expr = value(meta, "crate = \"::my_deli\"")?;
    let Some(Lit::Str(lit)) = literal(&expr) else {
        return Err(syn::Error::new_spanned(
            expr,
            "`crate` expects the path to deli as a string, e.g. `crate = \"::my_deli\"`",
        ));
    };
    lit.parse::<Path>().map_err(|error| {
        syn::Error::new(
            lit.span(),
            format!("`crate` expects a path such as \"::my_deli\": {error}"),
        )
    })
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    fn parsed(kind: Kind, args: TokenStream) -> Config {
        match parse(kind, args) {
            Ok(config) => config,
            Err(error) => panic!("unexpected error: {error}"),
        }
    }

    fn message(kind: Kind, args: TokenStream) -> String {
        match parse(kind, args) {
            Ok(_) => panic!("expected an error"),
            Err(error) => error.to_string(),
        }
    }

    #[test]
    fn defaults_differ_between_main_and_test() {
        let main = parsed(Kind::Main, quote!());
        assert_eq!(main.flavor, Flavor::MultiThread);
        assert_eq!(main.workers, None);
        assert_eq!(main.krate.to_token_stream().to_string(), ":: deli");

        let test = parsed(Kind::Test, quote!());
        assert_eq!(test.flavor, Flavor::CurrentThread);
        assert_eq!(test.workers, None);
    }

    #[test]
    fn every_argument_is_read_in_any_order() {
        let config = parsed(
            Kind::Test,
            quote!(
                workers = 3,
                crate = "::renamed::deli",
                flavor = "multi_thread",
            ),
        );
        assert_eq!(config.flavor, Flavor::MultiThread);
        assert_eq!(config.workers, Some(3));
        assert_eq!(
            config.krate.to_token_stream().to_string(),
            ":: renamed :: deli"
        );
        let main = parsed(Kind::Main, quote!(flavor = "current_thread"));
        assert_eq!(main.flavor, Flavor::CurrentThread);
    }

    #[test]
    fn workers_on_main_implies_nothing_but_the_default_flavor() {
        let config = parsed(Kind::Main, quote!(workers = 2usize));
        assert_eq!(config.flavor, Flavor::MultiThread);
        assert_eq!(config.workers, Some(2));
    }

    #[test]
    fn workers_needs_multi_thread() {
        assert!(message(Kind::Test, quote!(workers = 2)).contains("by default"));
        assert!(
            message(Kind::Main, quote!(flavor = "current_thread", workers = 2))
                .starts_with("`workers` cannot be used with `flavor = \"current_thread\"`")
        );
    }

    #[test]
    fn start_paused_is_for_current_thread_tests() {
        assert!(parsed(Kind::Test, quote!(start_paused = true)).start_paused);
        assert!(!parsed(Kind::Test, quote!(start_paused = false)).start_paused);
        assert!(!parsed(Kind::Test, quote!()).start_paused);
        assert!(message(
            Kind::Test,
            quote!(flavor = "multi_thread", start_paused = true)
        )
        .starts_with("`start_paused` needs `flavor = \"current_thread\"`"));
        assert!(message(Kind::Test, quote!(start_paused = 1)).contains("`true` or `false`"));
        assert!(message(Kind::Main, quote!(start_paused = true)).contains("unknown argument"));
    }

    #[test]
    fn mistakes_are_named() {
        let cases = [
            (quote!(threads = 2), "unknown argument `threads`"),
            (quote!(flavor = "single"), "unknown flavor `single`"),
            (quote!(flavor = 1), "`flavor` expects a string"),
            (quote!(workers = 0), "at least 1"),
            (quote!(workers = "2"), "integer literal"),
            (quote!(workers = 2i32), "remove the `i32` suffix"),
            (quote!(workers), "`workers` takes a value"),
            (quote!(crate = "1 + 1"), "`crate` expects a path"),
            (
                quote!(workers = 1, workers = 2),
                "`workers` is given more than once",
            ),
        ];
        for (args, expected) in cases {
            let text = args.to_string();
            let got = message(Kind::Main, args);
            assert!(got.contains(expected), "{text}: {got}");
        }
    }
}
