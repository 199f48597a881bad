//! The builders' setters, one line of code each: a consuming builder's
//! setter takes `mut self`, changes one field and hands `self` back, and
//! writing that out made every builder a column of identical five-line
//! functions. `setters!` writes the signature's tail and the `self` at the
//! end; each setter keeps its own doc comment, example and body.

/// Consuming-builder setters:
/// `$(#[doc])* pub fn name(mut self, arg: Type) => self.field = arg;`
/// becomes `pub fn name(mut self, arg: Type) -> Self { self.field = arg; self }`.
macro_rules! setters {
    ($(
        $(#[$attr:meta])*
        $vis:vis fn $name:ident(mut $this:ident $(, $arg:ident: $ty:ty)*) => $body:expr;
    )+) => {
        $(
            $(#[$attr])*
            $vis fn $name(mut $this $(, $arg: $ty)*) -> Self {
                $body;
                $this
            }
        )+
    };
}

pub(crate) use setters;
