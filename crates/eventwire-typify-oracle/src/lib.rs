//! Rust types that typify generates from the draft-07 rendering of the eventwire bundle schema:
//! an oracle independent of the hand-written types (see `tests/round_trip.rs`).

#[allow(missing_docs, clippy::all, clippy::pedantic, unused)]
mod generated {
    include!(concat!(env!("OUT_DIR"), "/types.rs"));
}

pub use generated::*;

include!("unexpressible.rs");
