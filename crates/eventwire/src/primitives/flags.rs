//! Booleans with one fixed value, and fields that may be absent but not `null`.

use serde::de::{self, Unexpected};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[cfg(feature = "arbitrary")]
use proptest::prelude::*;

/// A boolean that must have one fixed value (for example `final_message: false` on a status
/// update).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Flag<const V: bool>;

impl<const V: bool> Serialize for Flag<V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bool(V)
    }
}

impl<'de, const V: bool> Deserialize<'de> for Flag<V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = bool::deserialize(deserializer)?;
        if value == V {
            Ok(Flag)
        } else {
            Err(de::Error::invalid_value(Unexpected::Bool(value), &if V { "`true`" } else { "`false`" }))
        }
    }
}

#[cfg(feature = "schema")]
impl<const V: bool> schemars::JsonSchema for Flag<V> {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> std::borrow::Cow<'static, str> {
        if V { "True".into() } else { "False".into() }
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "boolean", "const": V })
    }
}

#[cfg(feature = "arbitrary")]
impl<const V: bool> Arbitrary for Flag<V> {
    type Parameters = ();
    type Strategy = Just<Self>;
    fn arbitrary_with((): ()) -> Self::Strategy {
        Just(Flag)
    }
}

/// A field that may be absent but, when present, must hold a `T` (unlike `Option<T>`, `null`
/// is not read as absent). Used where a `null` would otherwise slip past the schema.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Present<T>(pub Option<T>);

impl<T> Default for Present<T> {
    fn default() -> Self {
        Present(None)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Present<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::deserialize(deserializer).map(|value| Present(Some(value)))
    }
}
