//! Timestamps as text: the ISO 8601 date-time `protocol.md` accepts, and the stream
//! timestamp that may be Unix time or ISO 8601.

use std::fmt;

use serde::de::{self, Unexpected, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[cfg(feature = "arbitrary")]
use proptest::prelude::*;

use super::*;

/// The ISO 8601 date-time form `protocol.md` accepts, as an ECMA-262 / Rust regex.
pub const ISO_DATE_TIME_PATTERN: &str = "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\\.[0-9]+)?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?$";

pub(crate) fn check_iso_date_time(value: &str) -> Result<(), InvalidValue> {
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

pub(crate) const STREAM_TIMESTAMP: &str = "Unix time (a number >= 0) or an ISO 8601 date-time string";

/// Reads a [`StreamTimestamp`] (and, for its twin, checks one).
pub(crate) struct StreamTimestampVisitor;
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
