//! The twins of the leaf types (strings, numbers, arrays, maps, free JSON, timestamps):
//! each accepts exactly what its type accepts, keeping nothing (a Unix-seconds timestamp
//! aside, which is a fact).

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Unexpected, Visitor};
use serde::{Deserialize, Deserializer};

use super::{Facts, HasFacts, HasTwin};
use crate::primitives::*;

/// Types whose own deserialization allocates nothing: their twin is themselves.
macro_rules! checked_as_themselves {
    ($($ty:ty),* $(,)?) => {
        $(
            impl HasTwin for $ty {
                type Twin = $ty;
            }
            impl HasFacts for $ty {}
        )*
    };
}

checked_as_themselves!(bool, crate::primitives::Count);

impl<const V: bool> HasTwin for crate::primitives::Flag<V> {
    type Twin = Self;
}

impl<const V: bool> HasFacts for crate::primitives::Flag<V> {}

impl<T: HasTwin> HasTwin for Option<T> {
    type Twin = Option<T::Twin>;
}

impl<T: HasFacts> HasFacts for Option<T> {
    fn add_facts(&self, facts: &mut Facts) {
        if let Some(value) = self {
            value.add_facts(facts);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Strings

/// A string newtype's rule, for its twin [`StrTwin`].
pub(crate) trait StrRule {
    /// Checks `value` as the newtype's `new` does.
    fn check(value: &str) -> Result<(), InvalidValue>;
}

/// The twin of a string newtype `T`: checks the string in place.
pub(crate) struct StrTwin<T>(PhantomData<T>);

impl<T> StrTwin<T> {
    pub(crate) fn new() -> Self {
        StrTwin(PhantomData)
    }
}

impl<T> HasFacts for StrTwin<T> {}

impl<'de, T: StrRule> Deserialize<'de> for StrTwin<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct RuleVisitor<T>(PhantomData<T>);
        impl<T: StrRule> Visitor<'_> for RuleVisitor<T> {
            type Value = StrTwin<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                T::check(v).map(|()| StrTwin(PhantomData)).map_err(E::custom)
            }
        }
        deserializer.deserialize_string(RuleVisitor(PhantomData))
    }
}

/// The rule of a plain `String`: any string.
impl StrRule for String {
    fn check(_: &str) -> Result<(), InvalidValue> {
        Ok(())
    }
}

/// The twin of `String`: any string, not copied.
pub(crate) type AnyStr = StrTwin<String>;

impl HasTwin for String {
    type Twin = AnyStr;
}

// ---------------------------------------------------------------------------------------------
// Arrays and objects

/// The twin of `Vec<T>`: every element checked, none kept (so no facts come from arrays).
pub(crate) struct VecTwin<V>(PhantomData<V>);

impl<V> VecTwin<V> {
    pub(crate) fn new() -> Self {
        VecTwin(PhantomData)
    }
}

impl<V> HasFacts for VecTwin<V> {}

impl<T: HasTwin> HasTwin for Vec<T> {
    type Twin = VecTwin<T::Twin>;
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for VecTwin<V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SeqVisitor<V>(PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for SeqVisitor<V> {
            type Value = VecTwin<V>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a sequence")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<V>()?.is_some() {}
                Ok(VecTwin(PhantomData))
            }
        }
        deserializer.deserialize_seq(SeqVisitor(PhantomData))
    }
}

/// The keys of one object seen so far, to reject a duplicate as the owned types do. Keys are
/// borrowed from the text unless they have escapes.
pub(crate) struct SeenKeys<'de> {
    /// The first keys, while there are few and none has escapes: objects are small, and a
    /// linear scan of an array on the stack beats hashing (and allocating) until they are not.
    few: [&'de str; SeenKeys::FEW],
    len: usize,
    /// All the keys, once there are more than [`SeenKeys::FEW`] or one has escapes.
    many: Option<HashSet<Cow<'de, str>>>,
}

impl Default for SeenKeys<'_> {
    fn default() -> Self {
        SeenKeys { few: [""; SeenKeys::FEW], len: 0, many: None }
    }
}

impl<'de> SeenKeys<'de> {
    const FEW: usize = 16;

    /// Adds `key`, or says it is a duplicate.
    pub(crate) fn insert<E: de::Error>(&mut self, key: Cow<'de, str>) -> Result<(), E> {
        if let (None, Cow::Borrowed(borrowed)) = (&self.many, &key) {
            if self.len < Self::FEW {
                if self.few[..self.len].contains(borrowed) {
                    return Err(duplicate_key(&key));
                }
                self.few[self.len] = borrowed;
                self.len += 1;
                return Ok(());
            }
        }
        let few = &self.few[..self.len];
        let many = self.many.get_or_insert_with(|| few.iter().map(|&key| Cow::Borrowed(key)).collect());
        if many.contains(&key) {
            return Err(duplicate_key(&key));
        }
        many.insert(key);
        Ok(())
    }
}

fn duplicate_key<E: de::Error>(key: &str) -> E {
    E::custom(format_args!("duplicate key `{key}`"))
}

/// An object key, borrowed from the text when it has no escapes.
pub(crate) struct Key<'de>(pub(crate) Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_string(KeyVisitor)
    }
}

/// Walks an object: each key checked as `K` and against the keys before it, each value
/// checked as `V`.
fn walk_object<'de, A, K, V>(mut map: A) -> Result<(), A::Error>
where
    A: MapAccess<'de>,
    K: DeserializeOwned,
    V: Deserialize<'de>,
{
    let mut seen = SeenKeys::default();
    while let Some(key) = map.next_key_seed(CheckedKey::<K>(PhantomData))? {
        seen.insert(key)?;
        map.next_value::<V>()?;
    }
    Ok(())
}

/// A key read where it lies and checked as `K` while it is read, so that an error in it is
/// located at the key, as `K`'s own error is.
struct CheckedKey<K>(PhantomData<K>);

impl<'de, K: DeserializeOwned> DeserializeSeed<'de> for CheckedKey<K> {
    type Value = Cow<'de, str>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        let Key(key) = Key::deserialize(deserializer)?;
        K::deserialize(IntoDeserializer::<D::Error>::into_deserializer(key.as_ref()))?;
        Ok(key)
    }
}

/// The twin of [`StrictMap`]: keys and values checked, duplicates rejected, nothing kept.
pub(crate) struct StrictMapTwin<K, V>(PhantomData<(K, V)>);

impl<K, V> StrictMapTwin<K, V> {
    pub(crate) fn new() -> Self {
        StrictMapTwin(PhantomData)
    }
}

impl<K, V> HasFacts for StrictMapTwin<K, V> {}

impl<K: Ord + HasTwin, V: HasTwin> HasTwin for StrictMap<K, V> {
    type Twin = StrictMapTwin<K::Twin, V::Twin>;
}

impl<'de, K: DeserializeOwned, V: DeserializeOwned> Deserialize<'de> for StrictMapTwin<K, V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MapVisitor<K, V>(PhantomData<(K, V)>);
        impl<'de, K: DeserializeOwned, V: DeserializeOwned> Visitor<'de> for MapVisitor<K, V> {
            type Value = StrictMapTwin<K, V>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                walk_object::<A, K, V>(map).map(|()| StrictMapTwin(PhantomData))
            }
        }
        deserializer.deserialize_map(MapVisitor(PhantomData))
    }
}

/// The twin of [`StrictJson`]: any JSON without duplicate keys at any depth, not kept.
pub(crate) struct StrictJsonTwin;

impl HasFacts for StrictJsonTwin {}

impl HasTwin for StrictJson {
    type Twin = StrictJsonTwin;
}

impl<'de> Deserialize<'de> for StrictJsonTwin {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrictJsonVisitor).map(|_| StrictJsonTwin)
    }
}

/// Walks any JSON value; the value is whether it was `null`.
struct StrictJsonVisitor;

impl<'de> Visitor<'de> for StrictJsonVisitor {
    type Value = bool;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_i64<E>(self, _: i64) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_u64<E>(self, _: u64) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<bool, E> {
        if v.is_finite() { Ok(false) } else { Err(E::invalid_value(Unexpected::Float(v), &"a finite number")) }
    }
    fn visit_str<E>(self, _: &str) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_unit<E>(self) -> Result<bool, E> {
        Ok(true)
    }
    fn visit_none<E>(self) -> Result<bool, E> {
        Ok(true)
    }
    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<bool, D::Error> {
        deserializer.deserialize_any(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
        while seq.next_element::<StrictJsonTwin>()?.is_some() {}
        Ok(false)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<bool, A::Error> {
        walk_object::<A, AnyStr, StrictJsonTwin>(map).map(|()| false)
    }
}

/// The twin of [`crate::primitives::NonNullJson`].
pub(crate) struct NonNullJsonTwin;

impl HasFacts for NonNullJsonTwin {}

impl HasTwin for crate::primitives::NonNullJson {
    type Twin = NonNullJsonTwin;
}

impl<'de> Deserialize<'de> for NonNullJsonTwin {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match deserializer.deserialize_any(StrictJsonVisitor)? {
            false => Ok(NonNullJsonTwin),
            true => Err(de::Error::invalid_type(Unexpected::Unit, &"any JSON value except null")),
        }
    }
}

impl<T: HasTwin> HasTwin for crate::primitives::Present<T> {
    type Twin = crate::primitives::Present<T::Twin>;
}

impl<T> HasFacts for crate::primitives::Present<T> {}

impl HasFacts for UnitInterval {}
impl HasFacts for SentimentScore {}
impl HasFacts for Percentage {}
impl HasFacts for NonNegative {}
impl HasFacts for FiniteNumber {}

impl HasFacts for UnixTime {
    fn add_facts(&self, facts: &mut Facts) {
        facts.unix_seconds = Some(self.0.clone());
    }
}

/// The twin of [`StreamTimestamp`]: a number as the type reads it, or a date-time string
/// checked in place.
pub(crate) struct StreamTimestampTwin;

impl HasFacts for StreamTimestampTwin {}

impl HasTwin for StreamTimestamp {
    type Twin = StreamTimestampTwin;
}

impl super::layout::Layout for StreamTimestampTwin {
    fn read(reader: &mut super::layout::TokenReader<'_>) -> Option<Self> {
        // A string as the visitor's `visit_str` takes it; a number by the visitor itself.
        if reader.peek()? == b'"' {
            check_iso_date_time(reader.string()?).ok().map(|()| StreamTimestampTwin)
        } else {
            reader.scalar()
        }
    }
}

impl<'de> Deserialize<'de> for StreamTimestampTwin {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ViewVisitor;
        impl Visitor<'_> for ViewVisitor {
            type Value = StreamTimestampTwin;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(STREAM_TIMESTAMP)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                StreamTimestampVisitor.visit_u64(v).map(|_| StreamTimestampTwin)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                StreamTimestampVisitor.visit_i64(v).map(|_| StreamTimestampTwin)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                StreamTimestampVisitor.visit_f64(v).map(|_| StreamTimestampTwin)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                check_iso_date_time(v).map(|()| StreamTimestampTwin).map_err(E::custom)
            }
        }
        deserializer.deserialize_any(ViewVisitor)
    }
}
