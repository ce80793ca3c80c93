//! Check-only decoding: every message type has a twin ([`Check::View`]) that accepts exactly
//! the JSON the type accepts, without building the value. Validating a capture needs only the
//! verdict, so the fast path deserializes the twin: strings are checked where they lie in the
//! text instead of being copied, and open objects are walked instead of collected.
//!
//! Structs get their twin from `#[derive(Check)]`, which copies their `#[serde]` attributes, so
//! the rules for keys come from serde's derive both times. The twins of the leaves are here and
//! in the macros that define the leaf types. `tests/agreement.rs` holds both to the same
//! verdict, error and facts on every valid and mutated message the property tests generate.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Unexpected, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::Number;

use crate::decode::{DecodeError, Input};
use crate::layout::{self, Layout};
use crate::primitives::{InvalidValue, StrictJson, StrictMap};
use crate::registry::MessageKind;

/// A type with a check-only twin.
pub trait Check {
    /// Deserializes from exactly the JSON that `Self` deserializes from, keeping only what
    /// [`Gather`] reports.
    type View: DeserializeOwned + Gather + Layout;
}

/// What a valid message tells a capture checker beyond its type.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Facts {
    /// The message's timestamp documented as Unix seconds, if it has one.
    pub unix_seconds: Option<Number>,
    /// The binary attachment an audio placeholder names.
    pub attachment: Option<u64>,
}

/// Reports the [`Facts`] a twin holds (most hold none).
pub trait Gather {
    /// Adds what `self` knows to `facts`.
    fn gather(&self, _facts: &mut Facts) {}
}

/// Checks `input` as message type `T` without building it: the facts when it is valid, else
/// the error decoding it as `T` gives (located as `input` asks).
pub(crate) fn check_input<T: Check>(input: Input<'_>, kind: &'static MessageKind) -> Result<Facts, DecodeError> {
    // The canonical layout before serde on the fast path: it accepts only what serde accepts.
    let canonical = match input {
        Input::Unlocated(text) | Input::Canonical(text) => layout::read_message::<T::View>(text),
        Input::Text(_) | Input::Value(_) => None,
    };
    let view: T::View = match canonical {
        Some(view) => view,
        None => input.decode(kind)?,
    };
    let mut facts = Facts::default();
    view.gather(&mut facts);
    Ok(facts)
}

/// Types whose own deserialization allocates nothing: their twin is themselves.
macro_rules! checked_as_themselves {
    ($($ty:ty),* $(,)?) => {
        $(
            impl Check for $ty {
                type View = $ty;
            }
            impl Gather for $ty {}
        )*
    };
}

checked_as_themselves!(bool, crate::primitives::Count);

impl<const V: bool> Check for crate::primitives::Flag<V> {
    type View = Self;
}

impl<const V: bool> Gather for crate::primitives::Flag<V> {}

impl<T: Check> Check for Option<T> {
    type View = Option<T::View>;
}

impl<T: Gather> Gather for Option<T> {
    fn gather(&self, facts: &mut Facts) {
        if let Some(value) = self {
            value.gather(facts);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Strings

/// A string newtype's rule, for its twin [`CheckedStr`].
pub trait StrRule {
    /// Checks `value` as the newtype's `new` does.
    fn check(value: &str) -> Result<(), InvalidValue>;
}

/// The twin of a string newtype `T`: checks the string in place.
pub struct CheckedStr<T>(PhantomData<T>);

impl<T> CheckedStr<T> {
    pub(crate) fn new() -> Self {
        CheckedStr(PhantomData)
    }
}

impl<T> Gather for CheckedStr<T> {}

impl<'de, T: StrRule> Deserialize<'de> for CheckedStr<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct RuleVisitor<T>(PhantomData<T>);
        impl<T: StrRule> Visitor<'_> for RuleVisitor<T> {
            type Value = CheckedStr<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                T::check(v).map(|()| CheckedStr(PhantomData)).map_err(E::custom)
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
pub type AnyStr = CheckedStr<String>;

impl Check for String {
    type View = AnyStr;
}

// ---------------------------------------------------------------------------------------------
// Arrays and objects

/// The twin of `Vec<T>`: every element checked, none kept (so no facts come from arrays).
pub struct Elements<V>(PhantomData<V>);

impl<V> Elements<V> {
    pub(crate) fn new() -> Self {
        Elements(PhantomData)
    }
}

impl<V> Gather for Elements<V> {}

impl<T: Check> Check for Vec<T> {
    type View = Elements<T::View>;
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for Elements<V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SeqVisitor<V>(PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for SeqVisitor<V> {
            type Value = Elements<V>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a sequence")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<V>()?.is_some() {}
                Ok(Elements(PhantomData))
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
pub struct StrictMapView<K, V>(PhantomData<(K, V)>);

impl<K, V> StrictMapView<K, V> {
    pub(crate) fn new() -> Self {
        StrictMapView(PhantomData)
    }
}

impl<K, V> Gather for StrictMapView<K, V> {}

impl<K: Ord + Check, V: Check> Check for StrictMap<K, V> {
    type View = StrictMapView<K::View, V::View>;
}

impl<'de, K: DeserializeOwned, V: DeserializeOwned> Deserialize<'de> for StrictMapView<K, V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MapVisitor<K, V>(PhantomData<(K, V)>);
        impl<'de, K: DeserializeOwned, V: DeserializeOwned> Visitor<'de> for MapVisitor<K, V> {
            type Value = StrictMapView<K, V>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                walk_object::<A, K, V>(map).map(|()| StrictMapView(PhantomData))
            }
        }
        deserializer.deserialize_map(MapVisitor(PhantomData))
    }
}

/// The twin of [`StrictJson`]: any JSON without duplicate keys at any depth, not kept.
pub struct StrictJsonView;

impl Gather for StrictJsonView {}

impl Check for StrictJson {
    type View = StrictJsonView;
}

impl<'de> Deserialize<'de> for StrictJsonView {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrictJsonVisitor).map(|_| StrictJsonView)
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
        while seq.next_element::<StrictJsonView>()?.is_some() {}
        Ok(false)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<bool, A::Error> {
        walk_object::<A, AnyStr, StrictJsonView>(map).map(|()| false)
    }
}

/// The twin of [`crate::primitives::NonNullJson`].
pub struct NonNullJsonView;

impl Gather for NonNullJsonView {}

impl Check for crate::primitives::NonNullJson {
    type View = NonNullJsonView;
}

impl<'de> Deserialize<'de> for NonNullJsonView {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match deserializer.deserialize_any(StrictJsonVisitor)? {
            false => Ok(NonNullJsonView),
            true => Err(de::Error::invalid_type(Unexpected::Unit, &"any JSON value except null")),
        }
    }
}

impl<T: Check> Check for crate::primitives::Present<T> {
    type View = crate::primitives::Present<T::View>;
}

impl<T> Gather for crate::primitives::Present<T> {}
