//! Newtypes that carry the rules JSON types alone can't: ranges, non-empty ids, timestamps,
//! canonical base64 and open objects that still reject duplicate keys.
//!
//! Each type checks its rule in `Deserialize` and states the same rule in its JSON Schema, so
//! that serde and the schema accept exactly the same values (the conformance tests prove it).

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, DeserializeOwned, MapAccess, SeqAccess, Unexpected, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Number, Value};

#[cfg(feature = "arbitrary")]
use proptest::prelude::*;

// ---------------------------------------------------------------------------------------------
// Numbers

bounded_number!(
    /// A score in the closed range 0 to 1.
    UnitInterval, min = 0.0, max = 1.0, expecting = "a number in 0..=1"
);
bounded_number!(
    /// A sentiment score in the closed range -1 to 1.
    SentimentScore, min = -1.0, max = 1.0, expecting = "a number in -1..=1"
);
bounded_number!(
    /// A percentage in the closed range 0 to 100.
    Percentage, min = 0.0, max = 100.0, expecting = "a number in 0..=100"
);
bounded_number!(
    /// A finite number greater than or equal to 0.
    NonNegative, min = 0.0, max = f64::INFINITY, expecting = "a number >= 0"
);
bounded_number!(
    /// Any finite JSON number.
    FiniteNumber, min = f64::NEG_INFINITY, max = f64::INFINITY, expecting = "a number"
);
bounded_number!(
    /// Unix time in seconds (a number >= 0; fractions allowed), as Python's `time.time()` writes it.
    UnixTime, min = 0.0, max = f64::INFINITY, expecting = "Unix time in seconds (a number >= 0)", named
);

impl crate::check::Gather for UnitInterval {}
impl crate::check::Gather for SentimentScore {}
impl crate::check::Gather for Percentage {}
impl crate::check::Gather for NonNegative {}
impl crate::check::Gather for FiniteNumber {}

impl crate::check::Gather for UnixTime {
    fn gather(&self, facts: &mut crate::check::Facts) {
        facts.unix_seconds = Some(self.0.clone());
    }
}

/// Reads any JSON number into a `serde_json::Number`, keeping integers as integers.
pub(crate) fn deserialize_number<'de, D: Deserializer<'de>>(
    deserializer: D,
    expecting: &'static str,
) -> Result<Number, D::Error> {
    struct NumberVisitor(&'static str);
    impl Visitor<'_> for NumberVisitor {
        type Value = Number;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str(self.0)
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Number, E> {
            Ok(v.into())
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Number, E> {
            Ok(v.into())
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Number, E> {
            Number::from_f64(v).ok_or_else(|| E::invalid_value(Unexpected::Float(v), &self))
        }
    }
    deserializer.deserialize_any(NumberVisitor(expecting))
}

/// How serde should describe `number` in an "invalid value" error.
pub(crate) fn unexpected_number(number: &Number) -> Unexpected<'static> {
    match (number.as_u64(), number.as_i64()) {
        (Some(u), _) => Unexpected::Unsigned(u),
        (None, Some(i)) => Unexpected::Signed(i),
        _ => Unexpected::Float(number.as_f64().unwrap_or(f64::NAN)),
    }
}

#[cfg(feature = "schema")]
pub(crate) fn range_schema(min: f64, max: f64) -> schemars::Schema {
    let mut schema = schemars::json_schema!({ "type": "number" });
    if min.is_finite() {
        schema.insert("minimum".into(), json_number(min));
    }
    if max.is_finite() {
        schema.insert("maximum".into(), json_number(max));
    }
    schema
}

/// Writes whole bounds as integers (`0`, not `0.0`) so the schema reads the way people write it.
#[cfg(feature = "schema")]
fn json_number(value: f64) -> Value {
    if value.fract() == 0.0 && value.abs() < 1e15 { Value::from(value as i64) } else { Value::from(value) }
}

#[cfg(feature = "arbitrary")]
pub(crate) fn arbitrary_number_in(min: f64, max: f64) -> impl Strategy<Value = Number> {
    let low = if min.is_finite() { min } else { -1e6 };
    let high = if max.is_finite() { max } else { 2e9 };
    prop_oneof![
        (low..=high).prop_filter_map("finite", Number::from_f64),
        ((low.ceil() as i64)..=(high.floor() as i64)).prop_map(Number::from),
        Just(Number::from_f64(low).expect("finite bound")),
        Just(Number::from_f64(high).expect("finite bound")),
    ]
}

/// A count: a whole number >= 0. `3.0` is rejected (JSON Schema's `integer` would accept it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
#[serde(transparent)]
pub struct Count(pub u64);

impl<'de> Deserialize<'de> for Count {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct CountVisitor;
        impl Visitor<'_> for CountVisitor {
            type Value = Count;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a whole number >= 0 (a count; 3.0 is not accepted)")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Count, E> {
                Ok(Count(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Count, E> {
                u64::try_from(v).map(Count).map_err(|_| E::invalid_value(Unexpected::Signed(v), &self))
            }
        }
        deserializer.deserialize_u64(CountVisitor)
    }
}

#[cfg(feature = "schema")]
impl schemars::JsonSchema for Count {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Count".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "integer", "minimum": 0 })
    }
}

// ---------------------------------------------------------------------------------------------
// Strings

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

/// Defines a `String` newtype whose deserialization runs `check`.
macro_rules! checked_string {
    ($(#[$meta:meta])* $name:ident, check = $check:path, schema = $schema:tt, arbitrary = $strategy:expr) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(String);

        impl $name {
            /// Wraps `value` after checking it.
            pub fn new(value: impl Into<String>) -> Result<Self, InvalidValue> {
                let value = value.into();
                $check(&value)?;
                Ok(Self(value))
            }

            /// The string as it is on the wire.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::str::FromStr for $name {
            type Err = InvalidValue;
            fn from_str(value: &str) -> Result<Self, InvalidValue> {
                Self::new(value)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let value = String::deserialize(deserializer)?;
                $check(&value).map_err(de::Error::custom)?;
                Ok(Self(value))
            }
        }

        impl crate::check::StrRule for $name {
            fn check(value: &str) -> Result<(), InvalidValue> {
                $check(value)
            }
        }

        impl crate::check::Check for $name {
            type View = crate::check::CheckedStr<$name>;
        }

        #[cfg(feature = "schema")]
        impl schemars::JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }
            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!($schema)
            }
        }

        #[cfg(feature = "arbitrary")]
        impl Arbitrary for $name {
            type Parameters = ();
            type Strategy = BoxedStrategy<Self>;
            fn arbitrary_with((): ()) -> Self::Strategy {
                $strategy.prop_map(|s: String| $name::new(s).expect("strategy yields valid values")).boxed()
            }
        }
    };
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

// ---------------------------------------------------------------------------------------------
// ISO 8601 timestamps

/// The ISO 8601 date-time form `protocol.md` accepts, as an ECMA-262 / Rust regex.
pub const ISO_DATE_TIME_PATTERN: &str = "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\\.[0-9]+)?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?$";

fn check_iso_date_time(value: &str) -> Result<(), InvalidValue> {
    parse_iso_date_time(value.as_bytes()).ok_or_else(|| {
        InvalidValue(format!(
            "expected an ISO 8601 date-time like `2025-09-26T10:00:00.123Z` (YYYY-MM-DDTHH:MM:SS, optional fraction, optional `Z` or ±HH:MM), found {value:?}"
        ))
    })
}

/// Hand-written twin of [`ISO_DATE_TIME_PATTERN`] (no regex engine in the hot path).
fn parse_iso_date_time(s: &[u8]) -> Option<()> {
    fn two(s: &[u8], at: usize, max: u8) -> Option<u8> {
        let (a, b) = (*s.get(at)?, *s.get(at + 1)?);
        if !a.is_ascii_digit() || !b.is_ascii_digit() {
            return None;
        }
        let n = (a - b'0') * 10 + (b - b'0');
        (n <= max).then_some(n)
    }
    let digits = |range: std::ops::Range<usize>| s.get(range).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    let at = |i: usize, c: u8| s.get(i) == Some(&c);
    if !(digits(0..4) && at(4, b'-') && at(7, b'-') && at(10, b'T') && at(13, b':') && at(16, b':')) {
        return None;
    }
    if two(s, 5, 12)? == 0 || two(s, 8, 31)? == 0 {
        return None;
    }
    two(s, 11, 23)?;
    two(s, 14, 59)?;
    two(s, 17, 60)?;
    let mut i = 19;
    if at(i, b'.') {
        let start = i + 1;
        i = start;
        while s.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return None;
        }
    }
    match s.get(i) {
        None => Some(()),
        Some(b'Z') if i + 1 == s.len() => Some(()),
        Some(b'+' | b'-') if i + 6 == s.len() && at(i + 3, b':') => {
            two(s, i + 1, 23)?;
            two(s, i + 4, 59)?;
            Some(())
        }
        _ => None,
    }
}

#[cfg(feature = "arbitrary")]
fn arbitrary_iso_date_time() -> impl Strategy<Value = String> {
    let offset = prop_oneof![
        Just(String::new()),
        Just("Z".to_string()),
        (prop_oneof![Just('+'), Just('-')], 0u8..=23, 0u8..=59).prop_map(|(sign, h, m)| format!("{sign}{h:02}:{m:02}")),
    ];
    let fraction = prop_oneof![Just(String::new()), "[0-9]{1,9}".prop_map(|d| format!(".{d}"))];
    ((0u16..=9999, 1u8..=12, 1u8..=31), (0u8..=23, 0u8..=59, 0u8..=60), fraction, offset).prop_map(
        |((y, mo, d), (h, mi, s), fraction, offset)| {
            format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}{fraction}{offset}")
        },
    )
}

checked_string!(
    /// An ISO 8601 date-time: `YYYY-MM-DDTHH:MM:SS`, an optional fraction and an optional offset
    /// (`Z` or `±HH:MM`). A naive time (no offset, as Python's `datetime.isoformat()` writes it)
    /// is accepted and means UTC. Fields are range-checked; there is no calendar check beyond that.
    IsoDateTime,
    check = check_iso_date_time,
    schema = {
        "type": "string",
        "pattern": ISO_DATE_TIME_PATTERN,
        "description": "ISO 8601 date-time, YYYY-MM-DDTHH:MM:SS with optional fraction and optional offset (Z or ±HH:MM); a naive time means UTC."
    },
    arbitrary = arbitrary_iso_date_time()
);

/// A `stream` timestamp: Unix time (seconds or milliseconds) or an ISO 8601 date-time string;
/// browser and Python peers write different ones.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
#[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
pub enum StreamTimestamp {
    /// Unix time, in seconds or milliseconds (a number >= 0).
    Unix(UnixTime),
    /// An ISO 8601 date-time.
    Iso(IsoDateTime),
}

const STREAM_TIMESTAMP: &str = "Unix time (a number >= 0) or an ISO 8601 date-time string";

/// Reads a [`StreamTimestamp`] (and, for its twin, checks one).
struct StreamTimestampVisitor;
impl Visitor<'_> for StreamTimestampVisitor {
    type Value = StreamTimestamp;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(STREAM_TIMESTAMP)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(StreamTimestamp::Unix(UnixTime(v.into())))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        UnixTime::from_number(v.into())
            .map(StreamTimestamp::Unix)
            .ok_or_else(|| E::invalid_value(Unexpected::Signed(v), &STREAM_TIMESTAMP))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        UnixTime::new(v)
            .map(StreamTimestamp::Unix)
            .ok_or_else(|| E::invalid_value(Unexpected::Float(v), &STREAM_TIMESTAMP))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        IsoDateTime::new(v).map(StreamTimestamp::Iso).map_err(E::custom)
    }
}

impl<'de> Deserialize<'de> for StreamTimestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StreamTimestampVisitor)
    }
}

/// The twin of [`StreamTimestamp`]: a number as the type reads it, or a date-time string
/// checked in place.
pub struct StreamTimestampView;

impl crate::check::Gather for StreamTimestampView {}

impl crate::check::Check for StreamTimestamp {
    type View = StreamTimestampView;
}

impl crate::layout::Layout for StreamTimestampView {
    fn read(cursor: &mut crate::layout::Cursor<'_>) -> Option<Self> {
        // A string as the visitor's `visit_str` takes it; a number by the visitor itself.
        if cursor.peek()? == b'"' {
            check_iso_date_time(cursor.string()?).ok().map(|()| StreamTimestampView)
        } else {
            cursor.scalar()
        }
    }
}

impl<'de> Deserialize<'de> for StreamTimestampView {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ViewVisitor;
        impl Visitor<'_> for ViewVisitor {
            type Value = StreamTimestampView;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(STREAM_TIMESTAMP)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                StreamTimestampVisitor.visit_u64(v).map(|_| StreamTimestampView)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                StreamTimestampVisitor.visit_i64(v).map(|_| StreamTimestampView)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                StreamTimestampVisitor.visit_f64(v).map(|_| StreamTimestampView)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                check_iso_date_time(v).map(|()| StreamTimestampView).map_err(E::custom)
            }
        }
        deserializer.deserialize_any(ViewVisitor)
    }
}

#[cfg(feature = "schema")]
impl schemars::JsonSchema for StreamTimestamp {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "StreamTimestamp".into()
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        // Not `UnixTime`'s definition: that one says seconds, and here milliseconds are allowed too.
        let unix = range_schema(UnixTime::MIN, UnixTime::MAX);
        let iso = generator.subschema_for::<IsoDateTime>();
        schemars::json_schema!({
            "description": "Unix time (seconds or milliseconds, a number >= 0) or an ISO 8601 date-time string.",
            "anyOf": [unix, iso]
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Base64

const B64: &str = "[A-Za-z0-9+/]";
/// Last data character before `==`: its low 4 bits must be zero (canonical encoding).
const B64_PAD2: &str = "[AQgw]";
/// Last data character before `=`: its low 2 bits must be zero (canonical encoding).
const B64_PAD1: &str = "[AEIMQUYcgkosw048]";

/// Canonical padded standard base64 (RFC 4648 §4), possibly empty.
pub fn base64_pattern() -> String {
    format!("^(?:{B64}{{4}})*(?:{B64}{B64_PAD2}==|{B64}{{2}}{B64_PAD1}=)?$")
}

/// Canonical base64 of a whole number of 4-byte samples: 16 characters carry 12 bytes, and the
/// only tails that keep the byte count a multiple of 4 are 4 bytes (8 chars) and 8 bytes (12).
pub fn audio_base64_pattern() -> String {
    format!("^(?:{B64}{{16}})*(?:{B64}{{5}}{B64_PAD2}==|{B64}{{10}}{B64_PAD1}=)?$")
}

/// Canonical base64 of a JPEG (first bytes `FF D8 FF`, which encode as `/9j/`), optionally behind
/// a browser data-URL prefix.
pub fn jpeg_base64_pattern() -> String {
    format!("^(?:{JPEG_DATA_URL_PREFIX})?/9j/(?:{B64}{{4}})*(?:{B64}{B64_PAD2}==|{B64}{{2}}{B64_PAD1}=)?$")
}

/// The browser data-URL prefix accepted in front of a base64 JPEG.
pub const JPEG_DATA_URL_PREFIX: &str = "data:image/jpeg;base64,";

fn base64_value(c: u8) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// Checks canonical padded standard base64 without decoding it; returns the decoded length.
pub fn check_base64(text: &str) -> Result<usize, InvalidValue> {
    canonical_base64_len(text.as_bytes()).map_or_else(|| explain_base64(text), Ok)
}

/// Whether `byte` is in the standard base64 alphabet. Written without branches or tables so
/// that the compiler checks many bytes per instruction.
#[inline(always)]
fn in_alphabet(byte: u8) -> bool {
    (byte.wrapping_sub(b'A') < 26)
        | (byte.wrapping_sub(b'a') < 26)
        | (byte.wrapping_sub(b'0') < 10)
        | (byte == b'+')
        | (byte == b'/')
}

/// The decoded length of canonical padded base64, or `None` when it is not: the fast check
/// that runs on every media payload (most of a capture's bytes).
fn canonical_base64_len(bytes: &[u8]) -> Option<usize> {
    if bytes.len() % 4 != 0 {
        return None;
    }
    let Some((&[a, b, c, d], body)) = bytes.split_last_chunk::<4>().map(|(body, last)| (last, body)) else {
        return Some(0);
    };
    let mut chunks = body.chunks_exact(64);
    for chunk in &mut chunks {
        if !chunk.iter().fold(true, |all, &byte| all & in_alphabet(byte)) {
            return None;
        }
    }
    if !chunks.remainder().iter().all(|&byte| in_alphabet(byte)) {
        return None;
    }
    let padding = match (c, d) {
        (b'=', b'=') => 2,
        (_, b'=') if in_alphabet(c) => 1,
        _ if in_alphabet(c) && in_alphabet(d) => 0,
        _ => return None,
    };
    let last_data = [d, c, b][padding];
    let unused_bits_mask = [0, 0b11, 0b1111][padding];
    let canonical = in_alphabet(a) && in_alphabet(b) && base64_value(last_data)? & unused_bits_mask == 0;
    canonical.then_some(bytes.len() / 4 * 3 - padding)
}

/// Says why `text` is not canonical padded base64 (the fast check found that it is not).
#[cold]
fn explain_base64(text: &str) -> Result<usize, InvalidValue> {
    let bytes = text.as_bytes();
    let invalid = |why: String| Err(InvalidValue(format!("invalid base64: {why}")));
    if let Some(at) = bytes.iter().position(|&c| base64_value(c).is_none() && c != b'=') {
        let c = text[at..].chars().next().unwrap_or('?');
        return match c {
            '-' | '_' => {
                invalid(format!("URL-safe character {c:?} at offset {at}; use the standard alphabet (+ and /)"))
            }
            c if c.is_whitespace() => {
                invalid(format!("whitespace at offset {at}; base64 here has no line breaks or spaces"))
            }
            c => invalid(format!("character {c:?} at offset {at} is not in the base64 alphabet")),
        };
    }
    if bytes.len() % 4 != 0 {
        return invalid(format!("length {} is not a multiple of 4 (missing `=` padding or truncated)", bytes.len()));
    }
    let padding = bytes.iter().rev().take_while(|&&c| c == b'=').count();
    if padding > 2 || bytes[..bytes.len() - padding].contains(&b'=') {
        return invalid("`=` may only appear as one or two padding characters at the end".into());
    }
    let last_data = bytes.len().checked_sub(padding + 1).map(|i| base64_value(bytes[i]).unwrap_or(0));
    let unused_bits_mask = match padding {
        2 => 0b1111,
        1 => 0b11,
        _ => 0,
    };
    if last_data.is_some_and(|v| v & unused_bits_mask != 0) {
        return invalid("non-canonical encoding (unused bits in the last character are not zero)".into());
    }
    Ok(bytes.len() / 4 * 3 - padding)
}

fn check_base64_non_empty(text: &str) -> Result<(), InvalidValue> {
    match check_base64(text)? {
        0 => Err(InvalidValue("invalid base64: empty payload".into())),
        _ => Ok(()),
    }
}

fn check_audio_base64(text: &str) -> Result<(), InvalidValue> {
    match check_base64(text)? {
        0 => Err(InvalidValue("audio payload is empty".into())),
        n if n % 4 != 0 => Err(InvalidValue(format!(
            "audio payload is {n} bytes, not a whole number of Float32 samples (a multiple of 4)"
        ))),
        _ => Ok(()),
    }
}

fn check_jpeg_base64(text: &str) -> Result<(), InvalidValue> {
    let data = text.strip_prefix(JPEG_DATA_URL_PREFIX).unwrap_or(text);
    if data.starts_with("data:") {
        let prefix = data.split(',').next().unwrap_or(data);
        return Err(InvalidValue(format!(
            "only the data URL prefix `{JPEG_DATA_URL_PREFIX}` is accepted, found `{prefix},`"
        )));
    }
    check_base64(data)?;
    if !data.starts_with("/9j/") {
        return Err(InvalidValue("video frame is not a JPEG (decoded data does not start with FF D8 FF)".into()));
    }
    Ok(())
}

fn decode_standard(text: &str) -> Vec<u8> {
    use base64::Engine as _;
    // The text was checked when the value was built, so decoding cannot fail.
    base64::engine::general_purpose::STANDARD.decode(text).unwrap_or_default()
}

#[cfg(feature = "arbitrary")]
fn encode_standard(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

checked_string!(
    /// Binary data as canonical, padded, standard base64 (RFC 4648), non-empty. Decoded on demand
    /// with [`Base64::decode`].
    Base64,
    check = check_base64_non_empty,
    schema = {
        "type": "string",
        "minLength": 4,
        "pattern": base64_pattern(),
        "contentEncoding": "base64",
        "description": "Non-empty canonical standard base64 with padding."
    },
    arbitrary = prop::collection::vec(any::<u8>(), 1..48).prop_map(|b| encode_standard(&b))
);

impl Base64 {
    /// The decoded bytes.
    pub fn decode(&self) -> Vec<u8> {
        decode_standard(&self.0)
    }
}

checked_string!(
    /// Audio as canonical base64 of little-endian Float32 samples: non-empty and a whole number of
    /// 4-byte samples. Recommended: 22050 Hz, chunks of about 1024 or 2048 samples.
    AudioBase64,
    check = check_audio_base64,
    schema = {
        "type": "string",
        "minLength": 8,
        "pattern": audio_base64_pattern(),
        "contentEncoding": "base64",
        "contentMediaType": "application/octet-stream",
        "description": "Canonical base64 of little-endian Float32 samples (non-empty, a multiple of 4 bytes)."
    },
    arbitrary = prop::collection::vec(any::<f32>(), 1..24)
        .prop_map(|samples| encode_standard(&samples.iter().flat_map(|s| s.to_le_bytes()).collect::<Vec<_>>()))
);

impl AudioBase64 {
    /// Decodes the samples.
    pub fn samples(&self) -> Vec<f32> {
        decode_standard(&self.0).chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()
    }
}

checked_string!(
    /// A JPEG image as canonical base64 (it starts with the marker `FF D8 FF`), optionally behind
    /// the browser data-URL prefix `data:image/jpeg;base64,`.
    JpegBase64,
    check = check_jpeg_base64,
    schema = {
        "type": "string",
        "pattern": jpeg_base64_pattern(),
        "contentEncoding": "base64",
        "contentMediaType": "image/jpeg",
        "description": "A JPEG as canonical base64 (starts with FF D8 FF), optionally prefixed by data:image/jpeg;base64,"
    },
    arbitrary = (any::<bool>(), prop::collection::vec(any::<u8>(), 0..32)).prop_map(|(prefixed, tail)| {
        let mut bytes = vec![0xFF, 0xD8, 0xFF];
        bytes.extend(tail);
        let prefix = if prefixed { JPEG_DATA_URL_PREFIX } else { "" };
        format!("{prefix}{}", encode_standard(&bytes))
    })
);

impl JpegBase64 {
    /// The JPEG bytes (the data-URL prefix, if any, removed).
    pub fn decode(&self) -> Vec<u8> {
        decode_standard(self.0.strip_prefix(JPEG_DATA_URL_PREFIX).unwrap_or(&self.0))
    }
}

// ---------------------------------------------------------------------------------------------
// Free-form JSON that still rejects duplicate keys

/// Builds a `serde_json::Value`, rejecting duplicate object keys at any depth (plain `Value`
/// keeps the last one silently, and parsers disagree on which one wins).
struct StrictValueVisitor;

impl<'de> Visitor<'de> for StrictValueVisitor {
    type Value = Value;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(v.into())
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(v.into())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Number::from_f64(v).map(Value::Number).ok_or_else(|| E::invalid_value(Unexpected::Float(v), &"a finite number"))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(StrictJson(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Value, A::Error> {
        collect_strict_object(map).map(Value::Object)
    }
}

fn collect_strict_object<'de, A: MapAccess<'de>>(mut map: A) -> Result<Map<String, Value>, A::Error> {
    let mut object = Map::new();
    while let Some(key) = map.next_key::<String>()? {
        if object.contains_key(&key) {
            return Err(de::Error::custom(format_args!("duplicate key `{key}`")));
        }
        let StrictJson(value) = map.next_value()?;
        object.insert(key, value);
    }
    Ok(object)
}

/// Any JSON value, deserialized with duplicate keys rejected at every depth.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(transparent)]
pub struct StrictJson(pub Value);

impl<'de> Deserialize<'de> for StrictJson {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrictValueVisitor).map(StrictJson)
    }
}

#[cfg(feature = "schema")]
impl schemars::JsonSchema for StrictJson {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "AnyJson".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::Schema::default()
    }
}

/// Any JSON value except `null` (the `data` of a stream `test` message).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct NonNullJson(Value);

impl NonNullJson {
    /// Wraps `value`, or returns `None` for `null`.
    pub fn new(value: Value) -> Option<Self> {
        (!value.is_null()).then_some(Self(value))
    }
    /// The wrapped value.
    pub fn get(&self) -> &Value {
        &self.0
    }
}

impl<'de> Deserialize<'de> for NonNullJson {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let StrictJson(value) = StrictJson::deserialize(deserializer)?;
        Self::new(value).ok_or_else(|| de::Error::invalid_type(Unexpected::Unit, &"any JSON value except null"))
    }
}

#[cfg(feature = "schema")]
impl schemars::JsonSchema for NonNullJson {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "NonNullJson".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "not": { "type": "null" } })
    }
}

#[cfg(feature = "arbitrary")]
fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        (-1e9f64..1e9).prop_map(Value::from),
        "[ -~]{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(2, 12, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

#[cfg(feature = "arbitrary")]
impl Arbitrary for NonNullJson {
    type Parameters = ();
    type Strategy = BoxedStrategy<Self>;
    fn arbitrary_with((): ()) -> Self::Strategy {
        arbitrary_json().prop_filter_map("not null", NonNullJson::new).boxed()
    }
}

/// A free-form JSON object (`metadata`, `details`): any keys, any values, no duplicate keys.
pub type OpenObject = StrictMap<String, StrictJson>;

#[cfg(feature = "arbitrary")]
impl Arbitrary for StrictJson {
    type Parameters = ();
    type Strategy = BoxedStrategy<Self>;
    fn arbitrary_with((): ()) -> Self::Strategy {
        arbitrary_json().prop_map(StrictJson).boxed()
    }
}

/// A JSON object used as a map, with duplicate keys rejected.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct StrictMap<K: Ord, V>(pub BTreeMap<K, V>);

impl<K: Ord, V> Default for StrictMap<K, V> {
    fn default() -> Self {
        Self(BTreeMap::new())
    }
}

impl<K: Ord, V> FromIterator<(K, V)> for StrictMap<K, V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

impl<'de, K, V> Deserialize<'de> for StrictMap<K, V>
where
    K: Ord + AsRef<str> + DeserializeOwned,
    V: DeserializeOwned,
{
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MapVisitor<K, V>(std::marker::PhantomData<(K, V)>);
        impl<'de, K, V> Visitor<'de> for MapVisitor<K, V>
        where
            K: Ord + AsRef<str> + DeserializeOwned,
            V: DeserializeOwned,
        {
            type Value = StrictMap<K, V>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = BTreeMap::new();
                while let Some(key) = map.next_key::<K>()? {
                    if entries.contains_key(&key) {
                        return Err(de::Error::custom(format_args!("duplicate key `{}`", key.as_ref())));
                    }
                    let value = map.next_value()?;
                    entries.insert(key, value);
                }
                Ok(StrictMap(entries))
            }
        }
        deserializer.deserialize_map(MapVisitor(std::marker::PhantomData))
    }
}

#[cfg(feature = "schema")]
impl<K: Ord + schemars::JsonSchema, V: schemars::JsonSchema> schemars::JsonSchema for StrictMap<K, V> {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> std::borrow::Cow<'static, str> {
        format!("Map_of_{}", V::schema_name()).into()
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let mut schema = schemars::json_schema!({ "type": "object" });
        let values = generator.subschema_for::<V>();
        if values.as_bool() != Some(true) && values.as_object().is_none_or(|o| !o.is_empty()) {
            schema.insert("additionalProperties".into(), values.to_value());
        }
        if K::schema_id() != String::schema_id() {
            schema.insert("propertyNames".into(), generator.subschema_for::<K>().to_value());
        }
        schema
    }
}

#[cfg(feature = "arbitrary")]
impl<K, V> Arbitrary for StrictMap<K, V>
where
    K: Ord + Arbitrary + 'static,
    V: Arbitrary + 'static,
{
    type Parameters = ();
    type Strategy = BoxedStrategy<Self>;
    fn arbitrary_with((): ()) -> Self::Strategy {
        prop::collection::btree_map(any::<K>(), any::<V>(), 0..4).prop_map(StrictMap).boxed()
    }
}

// ---------------------------------------------------------------------------------------------
// Constant booleans and "absent, not null" fields

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
