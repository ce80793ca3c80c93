//! Reads the few values the conversation rules need out of a valid message, at the JSON
//! Pointers the registry names (`/channel`, `/payload/message_id`, `/session_id`, …), without
//! building the message: one pass of serde_json over its text, skipping everything else.

use std::borrow::Cow;
use std::fmt;

use serde::Deserializer as _;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, Visitor};

/// The string values at `pointers` in the JSON object `text` (`None` where a pointer names no
/// string). Pointers are plain paths of object keys, as the registry writes them.
pub(crate) fn pluck<'t, const N: usize>(text: &'t str, pointers: [&str; N]) -> [Option<Cow<'t, str>>; N] {
    let paths: [Vec<&str>; N] = pointers.map(|pointer| pointer.split('/').skip(1).collect());
    let mut out: [Option<Cow<'t, str>>; N] = std::array::from_fn(|_| None);
    let all = (0..N).collect::<Vec<_>>();
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let level = Level { paths: &paths, active: &all, depth: 0, out: &mut out };
    // The message was valid a moment ago: this cannot fail, and a failure leaves `None`s.
    let _ = deserializer.deserialize_map(level);
    out
}

/// One object on the way down the paths: which paths still match, and how deep this is.
struct Level<'a, 't, const N: usize> {
    paths: &'a [Vec<&'a str>; N],
    active: &'a [usize],
    depth: usize,
    out: &'a mut [Option<Cow<'t, str>>; N],
}

impl<'de: 't, 't, const N: usize> DeserializeSeed<'de> for Level<'_, 't, N> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de: 't, 't, const N: usize> Visitor<'de> for Level<'_, 't, N> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut below = Vec::new();
        while let Some(Str(key)) = map.next_key::<Str<'de>>()? {
            below.clear();
            below.extend(self.active.iter().copied().filter(|&p| self.paths[p].get(self.depth) == Some(&&*key)));
            match below.as_slice() {
                [] => {
                    map.next_value::<IgnoredAny>()?;
                }
                &[leaf] if self.paths[leaf].len() == self.depth + 1 => {
                    self.out[leaf] = map.next_value::<Option<Str<'de>>>()?.map(|Str(value)| value);
                }
                _ => {
                    let paths = self.paths;
                    let out = &mut *self.out;
                    map.next_value_seed(Level { paths, active: &below, depth: self.depth + 1, out })?;
                }
            }
        }
        Ok(())
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(())
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
}

/// A string, borrowed from the text when it has no escapes.
struct Str<'de>(Cow<'de, str>);

impl<'de> de::Deserialize<'de> for Str<'de> {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct StrVisitor;
        impl<'de> Visitor<'de> for StrVisitor {
            type Value = Str<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Str<'de>, E> {
                Ok(Str(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Str<'de>, E> {
                Ok(Str(Cow::Owned(v.to_owned())))
            }
        }
        deserializer.deserialize_str(StrVisitor)
    }
}

/// A 128-bit hash of `parts` (each one length-prefixed, so `("ab", "c")` and `("a", "bc")`
/// differ): two conversations are told apart by it, with a chance of 2⁻¹²⁸ of mixing them up.
pub(crate) fn hash128(parts: &[&str]) -> u128 {
    use std::hash::{DefaultHasher, Hash, Hasher};
    let half = |seed: u8| {
        let mut hasher = DefaultHasher::new();
        seed.hash(&mut hasher);
        for part in parts {
            part.hash(&mut hasher);
        }
        hasher.finish()
    };
    (u128::from(half(1)) << 64) | u128::from(half(2))
}

/// A 64-bit hash of a text, to compare a text's start with an earlier text without keeping it.
pub(crate) fn hash64(text: &str) -> u64 {
    use std::hash::{DefaultHasher, Hasher};
    let mut hasher = DefaultHasher::new();
    hasher.write(text.as_bytes());
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_read_at_their_pointers_and_nowhere_else() {
        let text = r#"{"payload":{"x":[1,{"message_id":"no"}],"message_id":"m\u00e9","thread_id":"t"},"channel":"c","message_id":"top"}"#;
        let [channel, id, thread, missing] =
            pluck(text, ["/channel", "/payload/message_id", "/payload/thread_id", "/payload/none"]);
        assert_eq!(channel.as_deref(), Some("c"));
        assert_eq!(id.as_deref(), Some("mé"));
        assert!(matches!(thread, Some(Cow::Borrowed("t"))));
        assert_eq!(missing, None);
    }

    #[test]
    fn parts_are_not_run_together() {
        assert_ne!(hash128(&["ab", "c"]), hash128(&["a", "bc"]));
        assert_eq!(hash128(&["a", "b"]), hash128(&["a", "b"]));
    }
}
