//! Numbers with a range (`UnitInterval`, `UnixTime`, …), kept as written, and `Count`.

use std::fmt;

use serde::de::{self, Unexpected, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Number;

#[cfg(feature = "arbitrary")]
use proptest::prelude::*;

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
fn json_number(value: f64) -> serde_json::Value {
    use serde_json::Value;
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
