//! Strings with a rule (`Id`, `NonEmptyText`, `SessionChannel`) and the error a broken rule gives.

use std::fmt;

use serde::de::{self, Unexpected, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[cfg(feature = "arbitrary")]
use proptest::prelude::*;

/// Checks that the next value is exactly the string `expected` (used by tag types).
pub(crate) fn expect_exact_str<'de, D: Deserializer<'de>>(
    deserializer: D,
    expected: &'static str,
) -> Result<(), D::Error> {
    struct Exact(&'static str);
    impl Visitor<'_> for Exact {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            write!(f, "the string `{}`", self.0)
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
            if v == self.0 { Ok(()) } else { Err(E::invalid_value(Unexpected::Str(v), &self)) }
        }
    }
    deserializer.deserialize_str(Exact(expected))
}

/// A value that breaks the rule of its type; the text says which rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidValue(pub String);

fn check_non_empty(value: &str) -> Result<(), InvalidValue> {
    if value.is_empty() {
        Err(InvalidValue("expected a non-empty string, found an empty string".into()))
    } else {
        Ok(())
    }
}

checked_string!(
    /// An identifier (`session_id`, `message_id`, `thread_id`, `agent_id`, a channel name):
    /// a non-empty string.
    Id,
    check = check_non_empty,
    schema = { "type": "string", "minLength": 1, "description": "An identifier: a non-empty string." },
    arbitrary = "[a-zA-Z0-9_-]{1,16}"
);

checked_string!(
    /// Non-empty free text (for example a health `interpretation` or a `source` name).
    NonEmptyText,
    check = check_non_empty,
    schema = { "type": "string", "minLength": 1, "description": "Free text that may not be empty." },
    arbitrary = ".{1,24}"
);

/// The channel name reserved for subscription requests in the assistant protocol.
pub const SUBSCRIPTION_CHANNEL: &str = "subscription";

fn check_session_channel(value: &str) -> Result<(), InvalidValue> {
    check_non_empty(value)?;
    if value == SUBSCRIPTION_CHANNEL {
        return Err(InvalidValue(
            "channel `subscription` is reserved for subscription requests; a live update goes to its session channel"
                .into(),
        ));
    }
    Ok(())
}

checked_string!(
    /// The channel a live update is published on: a non-empty name other than `subscription`.
    SessionChannel,
    check = check_session_channel,
    schema = {
        "type": "string",
        "minLength": 1,
        "not": { "const": "subscription" },
        "description": "A session channel: a non-empty name other than `subscription`."
    },
    arbitrary = "user_session_[a-z0-9]{1,10}"
);
