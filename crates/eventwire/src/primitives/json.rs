//! Free-form JSON (`metadata`, `details`, open `data` maps) that still rejects duplicate keys.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, DeserializeOwned, MapAccess, SeqAccess, Unexpected, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Number, Value};

#[cfg(feature = "arbitrary")]
use proptest::prelude::*;

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
