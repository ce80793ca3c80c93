//! Decoding: find the family and message type from the envelope, then deserialize exactly that
//! type, so that errors are that type's errors, named by JSON Pointer.
//!
//! A text is first tried the fast way: the tag is read from where messages usually put it
//! ([`crate::sniff`]) and the text is deserialized once, as that type. When that fails (an
//! invalid message, or a tag the sniffer cannot see), decoding makes two passes that explain
//! the failure: a probe that reads only the envelope keys (and checks the JSON syntax), then a
//! typed pass over the same text that locates the error by JSON Pointer.

mod error;
mod probe;
mod route;
mod suggest;

use serde::de::{self, DeserializeOwned};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

#[cfg(feature = "check")]
use crate::Facts;
use crate::Message;
use crate::primitives::StrictJson;
use crate::registry::{Family, MessageKind};

pub(crate) use error::*;
pub use error::{DecodeError, Rule};
use probe::*;
pub use route::expected_envelopes;
use route::*;

/// Decodes one message of any family from JSON text.
pub fn decode(text: &str) -> Result<Message, DecodeError> {
    decode_input(Input::Text(text), None)
}

#[cfg(feature = "testing")]
/// Decodes one message the way invalid messages are decoded: probe, route, then a located typed
/// pass, without the fast path. [`decode`] gives the same result, faster; this exists so that
/// tests and benchmarks can hold the two side by side.
#[doc(hidden)]
pub fn decode_located(text: &str) -> Result<Message, DecodeError> {
    decode_routed(Input::Text(text), None)
}

/// Decodes one message that must belong to `family`.
pub fn decode_family(text: &str, family: Family) -> Result<Message, DecodeError> {
    decode_input(Input::Text(text), Some(family))
}

/// Decodes one message from an already parsed JSON value. Note that a `Value` cannot hold
/// duplicate keys: parse with [`decode`] to have them rejected.
pub fn decode_value(value: &Value) -> Result<Message, DecodeError> {
    decode_input(Input::Value(value), None)
}

/// Backs the `Deserialize` impls of [`Message`] and the family enums: buffers the message as a
/// value (rejecting duplicate keys), then decodes it like [`decode_value`].
pub(crate) fn deserialize_message<'de, D: Deserializer<'de>>(
    deserializer: D,
    family: Option<Family>,
) -> Result<Message, D::Error> {
    let StrictJson(value) = StrictJson::deserialize(deserializer)?;
    decode_input(Input::Value(&value), family).map_err(de::Error::custom)
}

/// The fast path first (see the module's documentation), then the located one.
fn decode_input(input: Input<'_>, family: Option<Family>) -> Result<Message, DecodeError> {
    if let Input::Text(text) = input {
        let candidate = crate::sniff::candidate(text).filter(|kind| family.is_none_or(|f| f == kind.family));
        if let Some(Ok(message)) = candidate.map(|kind| (kind.decode)(Input::Unlocated(text), kind)) {
            return Ok(message);
        }
    }
    decode_routed(input, family)
}

#[cfg(feature = "check")]
/// Checks one message's text: its type and [`Facts`] when it is valid, else exactly the error
/// [`decode`] gives (and `family`, when given, as in [`decode_family`]).
///
/// Faster than [`decode`] for a validator: a valid message is checked by its type's
/// check-only twin ([`crate::check`]) and not built.
pub fn check(text: &str, family: Option<Family>) -> Result<Checked, DecodeError> {
    let candidate = crate::sniff::candidate(text).filter(|kind| family.is_none_or(|f| f == kind.family));
    if let Some((kind, Ok(facts))) = candidate.map(|kind| (kind, (kind.check)(Input::Unlocated(text), kind))) {
        return Ok(Checked { kind, facts });
    }
    // The slow way, as `decode` goes, but still without building the message: an invalid
    // message's twin finds the same error at the same JSON Pointer as its type.
    let kind = routed_kind(Input::Text(text), family)?;
    // Where the sniffer guessed no type or another one (a tag that is not the first key), the
    // layout may still read the message, more cheaply than the located pass.
    if candidate != Some(kind) {
        if let Ok(facts) = (kind.check)(Input::Layout(text), kind) {
            return Ok(Checked { kind, facts });
        }
    }
    (kind.check)(Input::Text(text), kind).map(|facts| Checked { kind, facts })
}

#[cfg(feature = "testing")]
/// Checks one message by the layout alone (`twin/layout.rs`), as the type the
/// sniffer guesses or else the envelope names: `None` when the message is not one of the
/// layout's (which says nothing about its validity). Whatever it returns, [`check`] returns
/// too; this exists so that tests and benchmarks can see the layout at work.
#[doc(hidden)]
pub fn check_by_layout(text: &str) -> Option<Checked> {
    let kind = crate::sniff::candidate(text).or_else(|| routed_kind(Input::Text(text), None).ok())?;
    (kind.check)(Input::Layout(text), kind).ok().map(|facts| Checked { kind, facts })
}

#[cfg(feature = "testing")]
/// The type the fast path's router guesses for `text` (`sniff.rs`), for tests to see
/// which messages take the fast path.
#[doc(hidden)]
pub fn sniffed(text: &str) -> Option<&'static MessageKind> {
    crate::sniff::candidate(text)
}

#[cfg(feature = "check")]
/// What [`check`] tells of a valid message.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    /// The message's type.
    pub kind: &'static MessageKind,
    /// What a capture checker needs beyond the type.
    pub facts: Facts,
}

#[cfg(feature = "testing")]
impl Checked {
    /// What [`check`] gives for a message that is already built: the check of the text it
    /// serializes to (which keeps every number as written), [without notes](Self::without_notes).
    /// For tests that hold `check` and `decode` side by side.
    #[doc(hidden)]
    pub fn of(message: &Message) -> Self {
        check(&message.to_json(), Some(message.family()))
            .expect("a message that is built serializes to a valid one")
            .without_notes()
    }

    /// The same, without [`Facts::notes`]: they are places in one text, and tests compare the
    /// checks of different texts of the same message.
    #[doc(hidden)]
    pub fn without_notes(self) -> Self {
        Checked { kind: self.kind, facts: Facts { notes: Default::default(), ..self.facts } }
    }
}

/// Probe the envelope, route to the one type it claims, then decode exactly that type.
fn decode_routed(input: Input<'_>, family: Option<Family>) -> Result<Message, DecodeError> {
    let kind = routed_kind(input, family)?;
    (kind.decode)(input, kind)
}

/// The one type the envelope claims (of `family`, when given).
fn routed_kind(input: Input<'_>, family: Option<Family>) -> Result<&'static MessageKind, DecodeError> {
    let probe = match input {
        Input::Text(text) | Input::Unlocated(text) | Input::Layout(text) => probe_text(text)?,
        Input::Value(value) => probe_value(value),
    };
    let kind = route(&probe)?;
    if let Some(family) = family.filter(|&family| family != kind.family) {
        return Err(DecodeError::Envelope {
            family: Some(kind.family),
            pointer: String::new(),
            message: format!("expected a {family} message, found a {} `{}` message", kind.family, kind.tag),
        });
    }
    Ok(kind)
}

/// Where a typed pass reads from: the original text, or a parsed value.
#[derive(Clone, Copy)]
pub(crate) enum Input<'a> {
    Text(&'a str),
    Value(&'a Value),
    /// The fast path: the text, without tracking where an error is (its error is discarded).
    Unlocated(&'a str),
    /// The text, read by the check-only twin's layout alone: an error (unlocated, and
    /// discarded) whenever the layout gives up. [`check`] reads it so when the envelope names
    /// a type the sniffer did not guess; tests read it through `check_by_layout`.
    #[cfg_attr(not(feature = "check"), allow(dead_code))]
    Layout(&'a str),
}

impl Input<'_> {
    /// Deserializes the whole message as `T`, with errors located by JSON Pointer.
    pub(crate) fn decode<T: DeserializeOwned>(self, kind: &'static MessageKind) -> Result<T, DecodeError> {
        let result = match self {
            Input::Unlocated(text) => {
                // Nobody reads this error (see `Unlocated`): formatting it would only cost time.
                return serde_json::from_str(text).map_err(|_| DecodeError::unread(kind));
            }
            Input::Layout(_) => return Err(DecodeError::unread(kind)),
            Input::Text(text) => serde_path_to_error::deserialize(&mut serde_json::Deserializer::from_str(text)),
            Input::Value(value) => serde_path_to_error::deserialize(value),
        };
        result.map_err(|error| DecodeError::Invalid {
            kind,
            pointer: json_pointer(error.path()),
            message: strip_position(&error.inner().to_string()),
        })
    }
}
