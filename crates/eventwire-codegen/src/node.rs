//! The subset of JSON Schema (draft 2020-12) the generators understand, parsed into a tree.
//!
//! Parsing is strict: every keyword is either mapped here or rejected with its JSON Pointer, so
//! a new construct in the schema fails code generation instead of producing a vague type.

use serde_json::{Map, Value};

use crate::Error;

/// Keywords that only annotate: they change neither a type nor a guard.
const ANNOTATIONS: [&str; 8] =
    ["$schema", "$id", "$comment", "title", "$defs", "contentEncoding", "contentMediaType", "examples"];

/// Where `$ref`s to definitions point.
const DEFS_PREFIX: &str = "#/$defs/";

/// One JSON type of the `type` keyword.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonType {
    /// `"string"`.
    String,
    /// `"number"`: any finite number.
    Number,
    /// `"integer"`: a number with no fractional part.
    Integer,
    /// `"boolean"`.
    Boolean,
    /// `"null"`.
    Null,
    /// `"object"`.
    Object,
    /// `"array"`.
    Array,
}

impl JsonType {
    /// Whether `value` is of this type (`integer` admits whole floats, as JSON Schema says).
    pub fn admits(self, value: &Value) -> bool {
        match (self, value) {
            (JsonType::String, Value::String(_))
            | (JsonType::Number, Value::Number(_))
            | (JsonType::Boolean, Value::Bool(_))
            | (JsonType::Null, Value::Null)
            | (JsonType::Object, Value::Object(_))
            | (JsonType::Array, Value::Array(_)) => true,
            (JsonType::Integer, Value::Number(n)) => n.as_f64().is_some_and(|f| f.fract() == 0.0),
            _ => false,
        }
    }

    fn parse(name: &str) -> Option<JsonType> {
        Some(match name {
            "string" => JsonType::String,
            "number" => JsonType::Number,
            "integer" => JsonType::Integer,
            "boolean" => JsonType::Boolean,
            "null" => JsonType::Null,
            "object" => JsonType::Object,
            "array" => JsonType::Array,
            _ => return None,
        })
    }
}

/// What `additionalProperties` allows.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Additional {
    /// Absent or `true`: any further key, any JSON value.
    #[default]
    Open,
    /// `false`: only the listed properties.
    Closed,
    /// A schema every further value must match.
    Schema(Box<Node>),
}

/// The keywords that apply to objects.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ObjectRules {
    /// `properties`, in schema order.
    pub properties: Vec<(String, Node)>,
    /// `required`.
    pub required: Vec<String>,
    /// `additionalProperties`.
    pub additional: Additional,
    /// `propertyNames`.
    pub property_names: Option<Box<Node>>,
}

impl ObjectRules {
    /// Whether `key` is listed in `required`.
    pub fn is_required(&self, key: &str) -> bool {
        self.required.iter().any(|required| required == key)
    }
}

/// The keywords that apply to arrays.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ArrayRules {
    /// `prefixItems`: the schemas of the first items, in order.
    pub prefix_items: Vec<Node>,
    /// `items`: the schema of every item after the prefix.
    pub items: Option<Box<Node>>,
    /// `minItems`.
    pub min_items: Option<u64>,
    /// `maxItems`.
    pub max_items: Option<u64>,
}

impl ArrayRules {
    /// A fixed-length tuple: `prefixItems` with `minItems` = `maxItems` = their count.
    pub fn tuple(&self) -> Option<&[Node]> {
        let length = self.prefix_items.len() as u64;
        (length > 0 && self.min_items == Some(length) && self.max_items == Some(length))
            .then_some(self.prefix_items.as_slice())
    }
}

/// `if` / `then` / `else`.
#[derive(Debug, Clone, PartialEq)]
pub struct Conditional {
    /// `if`.
    pub condition: Node,
    /// `then`; absent means no constraint.
    pub then: Option<Node>,
    /// `else`; absent means no constraint.
    pub otherwise: Option<Node>,
}

/// One schema, with every keyword it uses. All keywords apply together (a conjunction), the
/// way a JSON Schema validator reads them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Node {
    /// `description`.
    pub description: Option<String>,
    /// The boolean schema `false` (nothing matches). `true` parses as an empty node.
    pub never: bool,
    /// `$ref`, as the name of a definition in `$defs`.
    pub reference: Option<String>,
    /// `const`.
    pub constant: Option<Value>,
    /// `type`.
    pub types: Option<Vec<JsonType>>,
    /// `minLength`.
    pub min_length: Option<u64>,
    /// `pattern`.
    pub pattern: Option<String>,
    /// `minimum`.
    pub minimum: Option<f64>,
    /// `maximum`.
    pub maximum: Option<f64>,
    /// The object keywords, when any is present.
    pub object: Option<ObjectRules>,
    /// The array keywords, when any is present.
    pub array: Option<ArrayRules>,
    /// `oneOf`.
    pub one_of: Vec<Node>,
    /// `anyOf`.
    pub any_of: Vec<Node>,
    /// `allOf`.
    pub all_of: Vec<Node>,
    /// `not`.
    pub not: Option<Box<Node>>,
    /// `if` / `then` / `else`.
    pub conditional: Option<Box<Conditional>>,
}

impl Node {
    /// Parses `schema`, found at JSON Pointer `at` of its document.
    pub fn parse(schema: &Value, at: &str) -> Result<Node, Error> {
        match schema {
            Value::Bool(true) => Ok(Node::default()),
            Value::Bool(false) => Ok(Node { never: true, ..Node::default() }),
            Value::Object(keywords) => parse_keywords(keywords, at),
            _ => Err(unsupported(at, "a schema that is neither an object nor a boolean")),
        }
    }

    /// Whether the node constrains nothing (the schema `true` or `{}`, annotations aside).
    pub fn is_any(&self) -> bool {
        self.is_any_without(|_| {})
    }

    /// Whether the node constrains nothing once `strip` has removed some of its keywords.
    pub fn is_any_without(&self, strip: impl FnOnce(&mut Node)) -> bool {
        let mut rest = Node { description: None, ..self.clone() };
        strip(&mut rest);
        rest == Node::default()
    }
}

fn parse_keywords(keywords: &Map<String, Value>, at: &str) -> Result<Node, Error> {
    let mut node = Node::default();
    let mut conditional: Option<(Option<Node>, Option<Node>, Option<Node>)> = None;
    for (keyword, value) in keywords {
        let here = format!("{at}/{}", escape_pointer(keyword));
        match keyword.as_str() {
            "description" => node.description = Some(expect_str(value, &here)?.to_owned()),
            "$ref" => node.reference = Some(definition_name(expect_str(value, &here)?, &here)?),
            "const" => node.constant = Some(value.clone()),
            "type" => node.types = Some(parse_types(value, &here)?),
            "minLength" => node.min_length = Some(expect_u64(value, &here)?),
            "pattern" => node.pattern = Some(expect_str(value, &here)?.to_owned()),
            "minimum" => node.minimum = Some(expect_f64(value, &here)?),
            "maximum" => node.maximum = Some(expect_f64(value, &here)?),
            "properties" => {
                let object = node.object.get_or_insert_with(ObjectRules::default);
                for (key, schema) in expect_object(value, &here)? {
                    let property = Node::parse(schema, &format!("{here}/{}", escape_pointer(key)))?;
                    object.properties.push((key.clone(), property));
                }
            }
            "required" => {
                let names = expect_array(value, &here)?.iter().map(|name| expect_str(name, &here).map(str::to_owned));
                node.object.get_or_insert_with(ObjectRules::default).required = names.collect::<Result<_, _>>()?;
            }
            "additionalProperties" => {
                node.object.get_or_insert_with(ObjectRules::default).additional = match value {
                    Value::Bool(true) => Additional::Open,
                    Value::Bool(false) => Additional::Closed,
                    schema => Additional::Schema(Box::new(Node::parse(schema, &here)?)),
                }
            }
            "propertyNames" => {
                node.object.get_or_insert_with(ObjectRules::default).property_names =
                    Some(Box::new(Node::parse(value, &here)?));
            }
            "prefixItems" => {
                node.array.get_or_insert_with(ArrayRules::default).prefix_items = parse_list(value, &here)?
            }
            "items" => {
                node.array.get_or_insert_with(ArrayRules::default).items = Some(Box::new(Node::parse(value, &here)?));
            }
            "minItems" => {
                node.array.get_or_insert_with(ArrayRules::default).min_items = Some(expect_u64(value, &here)?)
            }
            "maxItems" => {
                node.array.get_or_insert_with(ArrayRules::default).max_items = Some(expect_u64(value, &here)?)
            }
            "oneOf" => node.one_of = parse_list(value, &here)?,
            "anyOf" => node.any_of = parse_list(value, &here)?,
            "allOf" => node.all_of = parse_list(value, &here)?,
            "not" => node.not = Some(Box::new(Node::parse(value, &here)?)),
            "if" => conditional.get_or_insert_default().0 = Some(Node::parse(value, &here)?),
            "then" => conditional.get_or_insert_default().1 = Some(Node::parse(value, &here)?),
            "else" => conditional.get_or_insert_default().2 = Some(Node::parse(value, &here)?),
            annotation if ANNOTATIONS.contains(&annotation) => {}
            other => return Err(unsupported(at, &format!("the keyword `{other}`"))),
        }
    }
    if let Some((condition, then, otherwise)) = conditional {
        // `then`/`else` without `if` are ignored by validators; refuse rather than drop them.
        let condition = condition.ok_or_else(|| unsupported(at, "`then`/`else` without `if`"))?;
        node.conditional = Some(Box::new(Conditional { condition, then, otherwise }));
    }
    Ok(node)
}

fn parse_types(value: &Value, at: &str) -> Result<Vec<JsonType>, Error> {
    let names: Vec<&Value> = match value {
        Value::Array(names) => names.iter().collect(),
        single => vec![single],
    };
    names
        .into_iter()
        .map(|name| {
            let name = expect_str(name, at)?;
            JsonType::parse(name).ok_or_else(|| unsupported(at, &format!("the type `{name}`")))
        })
        .collect()
}

fn parse_list(value: &Value, at: &str) -> Result<Vec<Node>, Error> {
    expect_array(value, at)?.iter().enumerate().map(|(i, schema)| Node::parse(schema, &format!("{at}/{i}"))).collect()
}

fn definition_name(reference: &str, at: &str) -> Result<String, Error> {
    reference
        .strip_prefix(DEFS_PREFIX)
        .filter(|name| !name.contains('/'))
        .map(|name| name.replace("~1", "/").replace("~0", "~"))
        .ok_or_else(|| Error::UnresolvedReference { at: at.to_owned(), reference: reference.to_owned() })
}

/// Escapes a key for use in a JSON Pointer.
pub fn escape_pointer(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn unsupported(at: &str, what: &str) -> Error {
    Error::Unsupported { at: at.to_owned(), what: what.to_owned() }
}

fn expect_str<'a>(value: &'a Value, at: &str) -> Result<&'a str, Error> {
    value.as_str().ok_or_else(|| unsupported(at, "a non-string value"))
}

fn expect_u64(value: &Value, at: &str) -> Result<u64, Error> {
    value.as_u64().ok_or_else(|| unsupported(at, "a value that is not a whole number >= 0"))
}

fn expect_f64(value: &Value, at: &str) -> Result<f64, Error> {
    value.as_f64().ok_or_else(|| unsupported(at, "a non-numeric bound"))
}

fn expect_array<'a>(value: &'a Value, at: &str) -> Result<&'a Vec<Value>, Error> {
    value.as_array().ok_or_else(|| unsupported(at, "a value that is not an array"))
}

fn expect_object<'a>(value: &'a Value, at: &str) -> Result<&'a Map<String, Value>, Error> {
    value.as_object().ok_or_else(|| unsupported(at, "a value that is not an object"))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn every_keyword_of_an_object_schema_is_read() {
        let node = Node::parse(
            &json!({
                "type": "object", "description": "d", "additionalProperties": false,
                "properties": { "a": { "$ref": "#/$defs/A" }, "b/c": true }, "required": ["a"]
            }),
            "",
        )
        .unwrap();
        let object = node.object.as_ref().unwrap();
        assert_eq!(node.types, Some(vec![JsonType::Object]));
        assert_eq!(object.additional, Additional::Closed);
        assert_eq!(object.properties[0].1.reference.as_deref(), Some("A"));
        assert!(object.properties[1].1.is_any());
        assert!(object.is_required("a") && !object.is_required("b/c"));
        assert!(!node.is_any() && node.is_any_without(|n| (n.types, n.object) = (None, None)));
    }

    #[test]
    fn unknown_keywords_are_refused_with_their_place() {
        let error = Node::parse(&json!({ "properties": { "x": { "uniqueItems": true } } }), "#/$defs/T").unwrap_err();
        assert_eq!(
            error,
            Error::Unsupported { at: "#/$defs/T/properties/x".into(), what: "the keyword `uniqueItems`".into() }
        );
    }

    #[test]
    fn references_must_point_into_defs() {
        let error = Node::parse(&json!({ "$ref": "https://example.com/other.json" }), "").unwrap_err();
        assert!(matches!(error, Error::UnresolvedReference { .. }), "{error}");
    }

    #[test]
    fn then_without_if_is_refused() {
        assert!(Node::parse(&json!({ "then": { "const": 1 } }), "").is_err());
    }

    #[test]
    fn a_fixed_length_prefix_is_a_tuple() {
        let node = Node::parse(
            &json!({ "type": "array", "prefixItems": [{ "const": "a" }, true], "minItems": 2, "maxItems": 2 }),
            "",
        )
        .unwrap();
        assert_eq!(node.array.as_ref().unwrap().tuple().map(<[Node]>::len), Some(2));
        let open = Node::parse(&json!({ "type": "array", "prefixItems": [true] }), "").unwrap();
        assert!(open.array.unwrap().tuple().is_none());
    }
}
