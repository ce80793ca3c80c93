//! Declarative macros that stamp out the repetitive parts of the types: tag constants and
//! range-checked numbers.

/// A zero-sized type that serializes as one fixed string: the tag of a message type.
///
/// Because every message struct carries its own tag field, a struct's JSON is the complete wire
/// message, and its schema states the tag with `const`.
macro_rules! tag_type {
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

        impl $crate::check::Check for $name {
            type View = $name;
        }

        impl $crate::check::Gather for $name {}

        impl $crate::layout::Layout for $name {
            fn read(cursor: &mut $crate::layout::Cursor<'_>) -> Option<Self> {
                (cursor.string()? == $value).then_some($name)
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
        pub struct $name(::serde_json::Number);

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

        // A number deserializes without allocating: the twin is the type (its `Gather` is
        // written beside it).
        impl $crate::check::Check for $name {
            type View = $name;
        }

        impl $crate::layout::Layout for $name {
            fn read(cursor: &mut $crate::layout::Cursor<'_>) -> Option<Self> {
                // The same `Number` as `deserialize_number` gives, so the same range check.
                match cursor.plain_number() {
                    Some(number) => Self::from_number(number),
                    None => cursor.scalar(),
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
