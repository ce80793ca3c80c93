//! Check-only decoding: every message type has a twin ([`HasTwin::Twin`]) that accepts exactly
//! the JSON the type accepts, without building the value. Validating a capture needs only the
//! verdict, so the fast path deserializes the twin: strings are checked where they lie in the
//! text instead of being copied, and open objects are walked instead of collected.
//!
//! Structs get their twin from `#[derive(Check)]`, which copies their `#[serde]` attributes, so
//! the rules for keys come from serde's derive both times. The twins of the leaves are here and
//! in the macros that define the leaf types. `tests/agreement.rs` holds both to the same
//! verdict, error and facts on every valid and mutated message the property tests generate.

pub(crate) mod layout;
mod leaves;
mod noted;

pub(crate) use leaves::*;
pub(crate) use noted::Noted;

use serde::de::DeserializeOwned;
use serde_json::Number;

use crate::decode::{DecodeError, Input};
use crate::registry::MessageKind;
use layout::Layout;

/// A type with a check-only twin.
pub(crate) trait HasTwin {
    /// Deserializes from exactly the JSON that `Self` deserializes from, keeping only what
    /// [`HasFacts`] reports.
    type Twin: DeserializeOwned + HasFacts + Layout;
}

/// What a valid message tells a capture checker beyond its type.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Facts {
    /// The message's timestamp documented as Unix seconds, if it has one.
    pub unix_seconds: Option<Number>,
    /// The binary attachment an audio placeholder names.
    pub attachment: Option<u64>,
    /// Where the values the conversation rules read lie in the message text (byte ranges,
    /// strings with their quotes), by [`Note`](crate::conversation::Note) slot; `None` where the
    /// check did not read the message by its layout (then read them from the text).
    pub notes: [Option<std::ops::Range<usize>>; crate::conversation::NOTES],
}

/// Reports the [`Facts`] a twin holds (most hold none).
pub(crate) trait HasFacts {
    /// Adds what `self` knows to `facts`.
    fn add_facts(&self, _facts: &mut Facts) {}
}

/// Checks `input` as message type `T` without building it: the facts when it is valid, else
/// the error decoding it as `T` gives (located as `input` asks).
pub(crate) fn check_input<T: HasTwin>(input: Input<'_>, kind: &'static MessageKind) -> Result<Facts, DecodeError> {
    // The layout before serde on the fast path: it accepts only what serde accepts.
    let canonical = match input {
        Input::Unlocated(text) | Input::Layout(text) => layout::read_message::<T::Twin>(text),
        Input::Text(_) | Input::Value(_) => None,
    };
    let view: T::Twin = match canonical {
        Some(view) => view,
        None => input.decode(kind)?,
    };
    let mut facts = Facts::default();
    view.add_facts(&mut facts);
    Ok(facts)
}
