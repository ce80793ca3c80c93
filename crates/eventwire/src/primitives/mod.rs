//! Newtypes that carry the rules JSON types alone can't: ranges, non-empty ids, timestamps,
//! canonical base64 and open objects that still reject duplicate keys.
//!
//! Each type checks its rule in `Deserialize` and states the same rule in its JSON Schema, so
//! that serde and the schema accept exactly the same values (the conformance tests prove it).

mod base64;
mod flags;
mod json;
mod numbers;
mod strings;
mod time;

pub use base64::*;
pub use flags::*;
pub use json::*;
pub use numbers::*;
pub use strings::*;
pub use time::*;
