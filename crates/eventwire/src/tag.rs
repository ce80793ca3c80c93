//! A message's tag as a field: [`Tag<T>`] serializes as `T`'s tag, which is written once, on
//! `T`'s line of the `family!` table.
//!
//! Because every message struct carries its own tag field, a struct's JSON is the complete wire
//! message, and its schema states the tag with `const`.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A message type's tag: the value that selects the type within its family, at
/// [`Family::tag_pointer`](crate::Family::tag_pointer). Implemented by every message type (by
/// its line in the registry), so `HealthScore::TAG` is `"health_score"`.
pub trait Tagged {
    /// The tag as it appears on the wire.
    const TAG: &'static str;
}

/// The tag field of message type `T`: no data, serialized as [`Tagged::TAG`] and accepting
/// exactly that string.
pub struct Tag<T>(PhantomData<fn() -> T>);

impl<T: Tagged> Tag<T> {
    /// The tag as it appears on the wire.
    pub const VALUE: &'static str = T::TAG;

    /// The tag (there is only one value).
    pub const fn new() -> Self {
        Tag(PhantomData)
    }
}

impl<T: Tagged> Default for Tag<T> {
    fn default() -> Self {
        Tag::new()
    }
}

impl<T> Clone for Tag<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Tag<T> {}

impl<T> PartialEq for Tag<T> {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl<T> Eq for Tag<T> {}

impl<T> Hash for Tag<T> {
    fn hash<H: Hasher>(&self, _: &mut H) {}
}

impl<T: Tagged> fmt::Debug for Tag<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Tag({:?})", T::TAG)
    }
}

impl<T: Tagged> Serialize for Tag<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(T::TAG)
    }
}

impl<'de, T: Tagged> Deserialize<'de> for Tag<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        crate::primitives::expect_exact_str(deserializer, T::TAG).map(|()| Tag::new())
    }
}

#[cfg(feature = "check")]
impl<T: Tagged> crate::twin::HasTwin for Tag<T> {
    type Twin = Tag<T>;
}

#[cfg(feature = "check")]
impl<T> crate::twin::HasFacts for Tag<T> {}

#[cfg(feature = "check")]
impl<T: Tagged> crate::twin::layout::Layout for Tag<T> {
    fn read(reader: &mut crate::twin::layout::TokenReader<'_>) -> Option<Self> {
        (reader.string()? == T::TAG).then(Tag::new)
    }
}

#[cfg(feature = "schema")]
impl<T: Tagged> schemars::JsonSchema for Tag<T> {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> std::borrow::Cow<'static, str> {
        format!("Tag_{}", T::TAG).into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "const": T::TAG })
    }
}

#[cfg(feature = "arbitrary")]
impl<T: Tagged> proptest::arbitrary::Arbitrary for Tag<T> {
    type Parameters = ();
    type Strategy = proptest::strategy::Just<Self>;
    fn arbitrary_with((): ()) -> Self::Strategy {
        proptest::strategy::Just(Tag::new())
    }
}
