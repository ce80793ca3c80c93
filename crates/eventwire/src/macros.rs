//! Declarative macros that stamp out the repetitive parts of the types: tag constants and
//! range-checked numbers.

/// A zero-sized type that serializes as one fixed string: the tag of a message type.
///
/// Because every message struct carries its own tag field, a struct's JSON is the complete wire
/// message, and its schema states the tag with `const`.
macro_rules! fixed_string {
    ($(#[$meta:meta])* $name:ident = $value:literal) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
        pub struct $name;

        impl $name {
            /// The tag as it appears on the wire.
            pub const VALUE: &'static str = $value;
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str($value)
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                $crate::primitives::expect_exact_str(deserializer, $value).map(|()| $name)
            }
        }

        #[cfg(feature = "check")]
        impl $crate::twin::HasTwin for $name {
            type Twin = $name;
        }

        #[cfg(feature = "check")]
        impl $crate::twin::HasFacts for $name {}

        #[cfg(feature = "check")]
        impl $crate::twin::layout::Layout for $name {
            fn read(reader: &mut $crate::twin::layout::TokenReader<'_>) -> Option<Self> {
                (reader.string()? == $value).then_some($name)
            }
        }

        #[cfg(feature = "schema")]
        impl ::schemars::JsonSchema for $name {
            fn inline_schema() -> bool {
                true
            }
            fn schema_name() -> ::std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }
            fn json_schema(_: &mut ::schemars::SchemaGenerator) -> ::schemars::Schema {
                ::schemars::json_schema!({ "type": "string", "const": $value })
            }
        }

        #[cfg(feature = "arbitrary")]
        impl ::proptest::arbitrary::Arbitrary for $name {
            type Parameters = ();
            type Strategy = ::proptest::strategy::Just<Self>;
            fn arbitrary_with((): ()) -> Self::Strategy {
                ::proptest::strategy::Just($name)
            }
        }
    };
}

/// A finite JSON number constrained to an inclusive range, kept as the `serde_json::Number` it
/// was written as so that `1` and `1.0` survive a round trip unchanged.
///
/// With `named`, the schema is a definition of its own (`$defs/<name>`, described by the type's
/// doc) instead of being written inline, so that code generators can give it a documented alias.
macro_rules! bounded_number {
    ($(#[doc = $doc:literal])* $name:ident, min = $min:expr, max = $max:expr, expecting = $expecting:literal) => {
        bounded_number!($(#[doc = $doc])* $name, min = $min, max = $max, expecting = $expecting, inline = true);
    };
    ($(#[doc = $doc:literal])* $name:ident, min = $min:expr, max = $max:expr, expecting = $expecting:literal, named) => {
        bounded_number!($(#[doc = $doc])* $name, min = $min, max = $max, expecting = $expecting, inline = false);
    };
    ($(#[doc = $doc:literal])* $name:ident, min = $min:expr, max = $max:expr, expecting = $expecting:literal, inline = $inline:literal) => {
        $(#[doc = $doc])*
        #[derive(Debug, Clone, PartialEq)]
        pub struct $name(pub(crate) ::serde_json::Number);

        impl $name {
            /// Smallest accepted value (inclusive).
            pub const MIN: f64 = $min;
            /// Largest accepted value (inclusive).
            pub const MAX: f64 = $max;

            /// Wraps `value`, or returns `None` when it is not finite or out of range.
            pub fn new(value: f64) -> Option<Self> {
                Self::from_number(::serde_json::Number::from_f64(value)?)
            }

            /// Wraps a JSON number, or returns `None` when it is out of range.
            pub fn from_number(number: ::serde_json::Number) -> Option<Self> {
                let value = number.as_f64()?;
                (Self::MIN..=Self::MAX).contains(&value).then_some(Self(number))
            }

            /// The value as a float.
            pub fn get(&self) -> f64 {
                self.0.as_f64().unwrap_or_default()
            }

            /// The number exactly as it is written on the wire.
            pub fn as_number(&self) -> &::serde_json::Number {
                &self.0
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                self.0.serialize(serializer)
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let number = $crate::primitives::deserialize_number(deserializer, $expecting)?;
                let unexpected = $crate::primitives::unexpected_number(&number);
                Self::from_number(number).ok_or_else(|| ::serde::de::Error::invalid_value(unexpected, &$expecting))
            }
        }

        // A number deserializes without allocating: the twin is the type (its `HasFacts` is
        // written beside it).
        #[cfg(feature = "check")]
        impl $crate::twin::HasTwin for $name {
            type Twin = $name;
        }

        #[cfg(feature = "check")]
        impl $crate::twin::layout::Layout for $name {
            fn read(reader: &mut $crate::twin::layout::TokenReader<'_>) -> Option<Self> {
                // The same `Number` as `deserialize_number` gives, so the same range check.
                match reader.plain_number() {
                    Some(number) => Self::from_number(number),
                    None => reader.scalar(),
                }
            }
        }

        #[cfg(feature = "schema")]
        impl ::schemars::JsonSchema for $name {
            fn inline_schema() -> bool {
                $inline
            }
            fn schema_name() -> ::std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }
            fn json_schema(_: &mut ::schemars::SchemaGenerator) -> ::schemars::Schema {
                let mut schema = $crate::primitives::range_schema(Self::MIN, Self::MAX);
                if !$inline {
                    let doc: &[&str] = &[$($doc.trim()),*];
                    schema.insert("description".into(), doc.join("\n").into());
                }
                schema
            }
        }

        #[cfg(feature = "arbitrary")]
        impl ::proptest::arbitrary::Arbitrary for $name {
            type Parameters = ();
            type Strategy = ::proptest::strategy::BoxedStrategy<Self>;
            fn arbitrary_with((): ()) -> Self::Strategy {
                $crate::primitives::arbitrary_number_in(Self::MIN, Self::MAX)
                    .prop_filter_map("in range", Self::from_number)
                    .boxed()
            }
        }
    };
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

        #[cfg(feature = "check")]
        impl crate::twin::StrRule for $name {
            fn check(value: &str) -> Result<(), InvalidValue> {
                $check(value)
            }
        }

        #[cfg(feature = "check")]
        impl crate::twin::HasTwin for $name {
            type Twin = crate::twin::StrTwin<$name>;
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
