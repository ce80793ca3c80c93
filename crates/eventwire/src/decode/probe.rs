//! The probe: just enough of the envelope to route the message (and a check of the JSON
//! syntax, with a hint for the usual mistakes).

use std::fmt;

use serde::de::{IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use super::*;

/// A string-or-not field of the envelope.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) enum Field {
    #[default]
    Absent,
    Str(String),
    Other(&'static str),
}

#[derive(Debug, Default, Clone)]
pub(crate) struct ObjectProbe {
    pub(crate) keys: Vec<String>,
    pub(crate) kind: Field,
    pub(crate) event_type: Field,
    pub(crate) channel: Field,
    pub(crate) has_payload: bool,
    pub(crate) payload_type: Field,
    pub(crate) payload_has_action: bool,
    /// The first top-level key seen twice: the message is invalid whatever its type, and which
    /// value a router would see is exactly what parsers disagree on.
    pub(crate) duplicate_key: Option<String>,
}

#[derive(Debug)]
pub(crate) enum Probe {
    Array { first: Field },
    Object(ObjectProbe),
    Scalar(&'static str),
}

pub(crate) fn json_type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

pub(crate) fn field_of(value: Option<&Value>) -> Field {
    match value {
        None => Field::Absent,
        Some(Value::String(s)) => Field::Str(s.clone()),
        Some(other) => Field::Other(json_type_name(other)),
    }
}

pub(crate) fn probe_value(value: &Value) -> Probe {
    match value {
        Value::Array(items) => Probe::Array { first: field_of(items.first()) },
        Value::Object(object) => Probe::Object(ObjectProbe {
            keys: object.keys().cloned().collect(),
            kind: field_of(object.get("type")),
            event_type: field_of(object.get("event_type")),
            channel: field_of(object.get("channel")),
            has_payload: object.contains_key("payload"),
            payload_type: match object.get("payload") {
                Some(Value::Object(payload)) => field_of(payload.get("type")),
                _ => Field::Absent,
            },
            payload_has_action: object.get("payload").and_then(|p| p.get("action")).is_some(),
            duplicate_key: None,
        }),
        other => Probe::Scalar(json_type_name(other)),
    }
}

pub(crate) fn probe_text(text: &str) -> Result<Probe, DecodeError> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let probe = ProbeSeed::deserialize(&mut deserializer).and_then(|probe| deserializer.end().map(|()| probe));
    probe.map(|ProbeSeed(probe)| probe).map_err(|error| syntax_error(text, &error))
}

pub(crate) fn syntax_error(text: &str, error: &serde_json::Error) -> DecodeError {
    let (line, column) = (error.line(), error.column());
    DecodeError::Syntax {
        message: strip_position(&error.to_string()),
        line,
        column,
        hint: syntax_hint(text, line, column),
    }
}

/// Recognises the usual ways almost-JSON goes wrong, near where the parser stopped.
pub(crate) fn syntax_hint(text: &str, line: usize, column: usize) -> Option<&'static str> {
    let line_text = text.lines().nth(line.checked_sub(1)?)?;
    let around = |from: usize, to: usize| {
        let (from, to) = (from.min(line_text.len()), to.min(line_text.len()));
        line_text.get(from..to).unwrap_or_default()
    };
    let near = around(column.saturating_sub(3), column + 8);
    if near.contains("NaN") || near.contains("Infinity") {
        Some("NaN and Infinity are not JSON; Python's json.dumps writes them unless allow_nan=False")
    } else if near.contains("//") || near.contains("/*") {
        Some("comments are not allowed in JSON")
    } else if around(column.saturating_sub(2), column + 1).contains('\'') {
        Some("strings and keys take double quotes in JSON")
    } else {
        None
    }
}

pub(crate) struct ProbeSeed(Probe);

impl<'de> Deserialize<'de> for ProbeSeed {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ProbeVisitor).map(ProbeSeed)
    }
}

pub(crate) struct ProbeVisitor;

impl<'de> Visitor<'de> for ProbeVisitor {
    type Value = Probe;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON message")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Probe, E> {
        Ok(Probe::Scalar("a boolean"))
    }
    fn visit_i64<E>(self, _: i64) -> Result<Probe, E> {
        Ok(Probe::Scalar("a number"))
    }
    fn visit_u64<E>(self, _: u64) -> Result<Probe, E> {
        Ok(Probe::Scalar("a number"))
    }
    fn visit_f64<E>(self, _: f64) -> Result<Probe, E> {
        Ok(Probe::Scalar("a number"))
    }
    fn visit_str<E>(self, _: &str) -> Result<Probe, E> {
        Ok(Probe::Scalar("a string"))
    }
    fn visit_unit<E>(self) -> Result<Probe, E> {
        Ok(Probe::Scalar("null"))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Probe, A::Error> {
        let first = seq.next_element::<FieldProbe>()?.map(|f| f.0).unwrap_or_default();
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Probe::Array { first })
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Probe, A::Error> {
        let mut probe = ObjectProbe::default();
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            match &*key {
                "type" => probe.kind = map.next_value::<FieldProbe>()?.0,
                "event_type" => probe.event_type = map.next_value::<FieldProbe>()?.0,
                "channel" => probe.channel = map.next_value::<FieldProbe>()?.0,
                "payload" => {
                    let payload = map.next_value::<PayloadProbe>()?;
                    probe.has_payload = true;
                    probe.payload_type = payload.kind;
                    probe.payload_has_action = payload.has_action;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            if probe.keys.iter().any(|seen| *seen == key) {
                probe.duplicate_key.get_or_insert_with(|| key.clone().into_owned());
            }
            probe.keys.push(key.into_owned());
        }
        Ok(Probe::Object(probe))
    }
}

/// Reads a value, keeping it only when it is a string.
pub(crate) struct FieldProbe(Field);

impl<'de> Deserialize<'de> for FieldProbe {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ShapeVisitor { payload: false }).map(|(field, _)| FieldProbe(field))
    }
}

/// Reads the assistant `payload`: its `type`, and whether it has an `action` (which marks a
/// subscription request).
pub(crate) struct PayloadProbe {
    kind: Field,
    has_action: bool,
}

impl<'de> Deserialize<'de> for PayloadProbe {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let (kind, has_action) = deserializer.deserialize_any(ShapeVisitor { payload: true })?;
        Ok(PayloadProbe { kind, has_action })
    }
}

/// Consumes any value. A string is kept; for a payload object, its `type` is kept and whether
/// it has an `action` is noted.
pub(crate) struct ShapeVisitor {
    payload: bool,
}

impl ShapeVisitor {
    /// A payload that is not an object has no `type` to route on.
    fn scalar(&self, field: Field) -> (Field, bool) {
        if self.payload { (Field::Absent, false) } else { (field, false) }
    }
}

impl<'de> Visitor<'de> for ShapeVisitor {
    type Value = (Field, bool);
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(self.scalar(Field::Str(v.to_owned())))
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(self.scalar(Field::Other("a boolean")))
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(self.scalar(Field::Other("a number")))
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(self.scalar(Field::Other("a number")))
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(self.scalar(Field::Other("a number")))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(self.scalar(Field::Other("null")))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(self.scalar(Field::Other("an array")))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let (mut kind, mut has_action) = (Field::Other("an object"), false);
        if self.payload {
            kind = Field::Absent;
        }
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            match &*key {
                "type" if self.payload => kind = map.next_value::<FieldProbe>()?.0,
                "action" if self.payload => {
                    has_action = true;
                    map.next_value::<IgnoredAny>()?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok((kind, has_action))
    }
}
