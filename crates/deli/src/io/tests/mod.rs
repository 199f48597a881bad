//! Behaviour tests for the reactor, run with a tiny std-only executor
//! (deli's runtime lives above this module): a thread that keeps turning the
//! driver, and a `block_on` that parks the calling thread.

mod executor;
mod pipe;
mod reactor;
mod readiness;
mod stream;
