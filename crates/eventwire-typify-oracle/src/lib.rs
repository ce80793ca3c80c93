//! Rust types that typify generates from the draft-07 rendering of the eventwire bundle schema:
//! an oracle independent of the hand-written types (see `tests/round_trip.rs`).

#[allow(missing_docs, clippy::all, clippy::pedantic, unused)]
mod generated {
    include!(concat!(env!("OUT_DIR"), "/types.rs"));
}

pub use generated::*;

/// What typify made of the draft-07 rendering with one [`UNEXPRESSIBLE`] shape left in (and
/// the others removed), per shape's JSON Pointer: `Err` with typify's error, or `"typify
/// panicked"`. Written by the build script, which runs typify.
pub const TYPIFY_ON_EACH_SHAPE: &[(&str, Result<(), &str>)] = include!(concat!(env!("OUT_DIR"), "/each_shape.rs"));

include!("unexpressible.rs");
