//! Decoding: find the family and message type from the envelope, then deserialize exactly that
//! type, so that errors are that type's errors, named by JSON Pointer.
//!
//! A text is first tried the fast way: the tag is read from where messages usually put it
//! ([`crate::sniff`]) and the text is deserialized once, as that type. When that fails (an
//! invalid message, or a tag the sniffer cannot see), decoding makes two passes that explain
//! the failure: a probe that reads only the envelope keys (and checks the JSON syntax), then a
//! typed pass over the same text that locates the error by JSON Pointer.

use std::fmt;

use serde::de::{self, DeserializeOwned, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::Message;
use crate::check::Facts;
use crate::primitives::{SUBSCRIPTION_CHANNEL, StrictJson};
use crate::registry::{self, Family, MessageKind};

/// Why a text or value is not a valid message.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DecodeError {
    /// The text is not JSON.
    #[error("not valid JSON: {message} at line {line}, column {column}{}", hint.map(|h| format!(" ({h})")).unwrap_or_default())]
    Syntax {
        /// What the JSON parser found wrong.
        message: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// A likely cause, where one is recognised (`NaN`, comments, single quotes).
        hint: Option<&'static str>,
    },
    /// The envelope matches no family, or its tag is missing or not a string.
    #[error("{}{message}", location(pointer))]
    Envelope {
        /// The family, where the envelope identifies one.
        family: Option<Family>,
        /// Where the problem is (JSON Pointer; empty for the whole message).
        pointer: String,
        /// What is wrong.
        message: String,
    },
    /// The tag names no message type of the family.
    #[error("{}unknown {family} message type `{tag}`{}", location(pointer), suggestion.map(|s| format!("; did you mean `{s}`?")).unwrap_or_default())]
    UnknownTag {
        /// The family the envelope identifies.
        family: Family,
        /// Where the tag is (JSON Pointer).
        pointer: String,
        /// The tag found.
        tag: String,
        /// The closest known tag, when one is close.
        suggestion: Option<&'static str>,
    },
    /// The message claims a known type but breaks its rules.
    #[error("{} {}: {}{message}", kind.family, kind.tag, location(pointer))]
    Invalid {
        /// The message type the message claims to be.
        kind: &'static MessageKind,
        /// Where the problem is (JSON Pointer; empty for the whole message).
        pointer: String,
        /// What is wrong.
        message: String,
    },
}

fn location(pointer: &str) -> String {
    if pointer.is_empty() { String::new() } else { format!("at {pointer}: ") }
}

impl DecodeError {
    /// The error of a pass whose error nobody reads (the fast path's, the layout's).
    pub(crate) fn unread(kind: &'static MessageKind) -> Self {
        DecodeError::Invalid { kind, pointer: String::new(), message: String::new() }
    }

    /// Where in the message the problem is, as a JSON Pointer (`""` for the whole message).
    pub fn pointer(&self) -> &str {
        match self {
            DecodeError::Syntax { .. } => "",
            DecodeError::Envelope { pointer, .. }
            | DecodeError::UnknownTag { pointer, .. }
            | DecodeError::Invalid { pointer, .. } => pointer,
        }
    }

    /// The message type the message claims to be, when it names a known one.
    pub fn kind(&self) -> Option<&'static MessageKind> {
        match self {
            DecodeError::Invalid { kind, .. } => Some(kind),
            _ => None,
        }
    }

    /// Which kind of rule the message breaks, for summaries and machine-readable reports.
    pub fn rule(&self) -> Rule {
        let classify =
            |message: &str| RULE_PREFIXES.iter().find(|(prefix, _)| message.starts_with(prefix)).map(|&(_, rule)| rule);
        match self {
            DecodeError::Syntax { .. } => Rule::Syntax,
            DecodeError::Envelope { message, .. } => classify(message).unwrap_or(Rule::Envelope),
            DecodeError::UnknownTag { .. } => Rule::UnknownType,
            DecodeError::Invalid { message, .. } => classify(message).unwrap_or(Rule::Value),
        }
    }

    /// Whether the error is about an object key (unknown or duplicated) rather than a value: the
    /// pointer then names the key itself.
    pub fn is_about_key(&self) -> bool {
        matches!(self.rule(), Rule::UnknownField | Rule::DuplicateKey)
    }
}

/// The kinds of rule a message can break.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Rule {
    /// Not JSON at all (including `NaN`, comments, single quotes).
    Syntax,
    /// The envelope matches no family, or its tag is missing or not a string.
    Envelope,
    /// The tag names no message type of the family.
    UnknownType,
    /// An object has the same key twice.
    DuplicateKey,
    /// A closed object has a field its type does not define.
    UnknownField,
    /// A required field is absent. (A `null` where a value is required is a [`Rule::Value`]
    /// error: "invalid type: null".)
    MissingField,
    /// A base64 field is not canonical, padded, standard base64.
    Base64,
    /// Audio that is empty or not a whole number of Float32 samples.
    AudioSamples,
    /// A video frame that is not a JPEG.
    Jpeg,
    /// Any other value that breaks its field's rule (type, range, enum, pattern).
    Value,
}

impl Rule {
    /// Every rule, in a stable order.
    pub const ALL: [Rule; 10] = [
        Rule::Syntax,
        Rule::Envelope,
        Rule::UnknownType,
        Rule::DuplicateKey,
        Rule::UnknownField,
        Rule::MissingField,
        Rule::Base64,
        Rule::AudioSamples,
        Rule::Jpeg,
        Rule::Value,
    ];

    /// A short kebab-case name, stable for machine-readable output.
    pub fn code(self) -> &'static str {
        match self {
            Rule::Syntax => "syntax",
            Rule::Envelope => "envelope",
            Rule::UnknownType => "unknown-type",
            Rule::DuplicateKey => "duplicate-key",
            Rule::UnknownField => "unknown-field",
            Rule::MissingField => "missing-field",
            Rule::Base64 => "base64",
            Rule::AudioSamples => "audio-samples",
            Rule::Jpeg => "jpeg",
            Rule::Value => "value",
        }
    }

    /// One line on what the rule is.
    pub fn description(self) -> &'static str {
        match self {
            Rule::Syntax => "The text is not JSON (NaN, Infinity, comments and single quotes included).",
            Rule::Envelope => "The envelope matches no protocol family, or its tag is missing or not a string.",
            Rule::UnknownType => "The tag names no message type of its family.",
            Rule::DuplicateKey => "An object has the same key twice; parsers disagree on which value wins.",
            Rule::UnknownField => "A closed object has a field its message type does not define.",
            Rule::MissingField => "A required field is absent.",
            Rule::Base64 => "A base64 field is not canonical, padded, standard base64.",
            Rule::AudioSamples => "Audio that is empty or not a whole number of little-endian Float32 samples.",
            Rule::Jpeg => "A video frame that is not a JPEG (FF D8 FF) or has a data URL prefix other than image/jpeg.",
            Rule::Value => "A value that breaks its field's rule: type, range, allowed values or format.",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// How the messages this crate (and serde) writes begin, per rule. The classification test in
/// `tests/api.rs` runs every invalid fixture through it, so a reworded message shows up there.
const RULE_PREFIXES: &[(&str, Rule)] = &[
    ("duplicate key", Rule::DuplicateKey),
    ("duplicate field", Rule::DuplicateKey),
    ("unknown field", Rule::UnknownField),
    ("missing field", Rule::MissingField),
    ("invalid base64", Rule::Base64),
    ("audio payload", Rule::AudioSamples),
    ("video frame is not a JPEG", Rule::Jpeg),
    ("only the data URL prefix", Rule::Jpeg),
];

/// The envelopes `protocol.md` defines, for "matches no family" errors.
pub const EXPECTED_ENVELOPES: &str = r#"a Socket.IO event array ["audio_data"|"video_data", payload] (media), an object with "channel" and "payload" (assistant), with "event_type" and "data" (simulation), or with "type" (health: health_score, alert, status; stream: any other type)"#;

/// Decodes one message of any family from JSON text.
pub fn decode(text: &str) -> Result<Message, DecodeError> {
    decode_input(Input::Text(text), None)
}

/// Decodes one message the way invalid messages are decoded: probe, route, then a located typed
/// pass, without the fast path. [`decode`] gives the same result, faster; this exists so that
/// tests and benchmarks can hold the two side by side.
#[doc(hidden)]
pub fn decode_located(text: &str) -> Result<Message, DecodeError> {
    decode_routed(Input::Text(text), None)
}

/// Decodes one message that must belong to `family`.
pub fn decode_family(text: &str, family: Family) -> Result<Message, DecodeError> {
    decode_input(Input::Text(text), Some(family))
}

/// Decodes one message from an already parsed JSON value. Note that a `Value` cannot hold
/// duplicate keys: parse with [`decode`] to have them rejected.
pub fn decode_value(value: &Value) -> Result<Message, DecodeError> {
    decode_input(Input::Value(value), None)
}

/// Backs the `Deserialize` impls of [`Message`] and the family enums: buffers the message as a
/// value (rejecting duplicate keys), then decodes it like [`decode_value`].
pub(crate) fn deserialize_message<'de, D: Deserializer<'de>>(
    deserializer: D,
    family: Option<Family>,
) -> Result<Message, D::Error> {
    let StrictJson(value) = StrictJson::deserialize(deserializer)?;
    decode_input(Input::Value(&value), family).map_err(de::Error::custom)
}

/// The fast path first (see the module's documentation), then the located one.
fn decode_input(input: Input<'_>, family: Option<Family>) -> Result<Message, DecodeError> {
    if let Input::Text(text) = input {
        let candidate = crate::sniff::candidate(text).filter(|kind| family.is_none_or(|f| f == kind.family));
        if let Some(Ok(message)) = candidate.map(|kind| (kind.decode)(Input::Unlocated(text), kind)) {
            return Ok(message);
        }
    }
    decode_routed(input, family)
}

/// Checks one message's text: its type and [`Facts`] when it is valid, else exactly the error
/// [`decode`] gives (and `family`, when given, as in [`decode_family`]).
///
/// Faster than [`decode`] for a validator: a valid message is checked by its type's
/// check-only twin ([`crate::check`]) and not built.
pub fn check(text: &str, family: Option<Family>) -> Result<Checked, DecodeError> {
    let candidate = crate::sniff::candidate(text).filter(|kind| family.is_none_or(|f| f == kind.family));
    if let Some((kind, Ok(facts))) = candidate.map(|kind| (kind, (kind.check)(Input::Unlocated(text), kind))) {
        return Ok(Checked { kind, facts });
    }
    // The slow way, as `decode` goes, but still without building the message: an invalid
    // message's twin finds the same error at the same JSON Pointer as its type.
    let kind = routed_kind(Input::Text(text), family)?;
    // Where the sniffer guessed no type or another one (a tag that is not the first key), the
    // canonical layout may still read the message, more cheaply than the located pass.
    if candidate != Some(kind) {
        if let Ok(facts) = (kind.check)(Input::Canonical(text), kind) {
            return Ok(Checked { kind, facts });
        }
    }
    (kind.check)(Input::Text(text), kind).map(|facts| Checked { kind, facts })
}

/// Checks one message by the canonical layout alone ([`crate::layout`]), as the type the
/// sniffer guesses or else the envelope names: `None` when the message is not one of the
/// layout's (which says nothing about its validity). Whatever it returns, [`check`] returns
/// too; this exists so that tests and benchmarks can see the layout at work.
#[doc(hidden)]
pub fn check_canonical(text: &str) -> Option<Checked> {
    let kind = crate::sniff::candidate(text).or_else(|| routed_kind(Input::Text(text), None).ok())?;
    (kind.check)(Input::Canonical(text), kind).ok().map(|facts| Checked { kind, facts })
}

/// The type the fast path's router guesses for `text` (`sniff.rs`), for tests to see
/// which messages take the fast path.
#[doc(hidden)]
pub fn sniffed(text: &str) -> Option<&'static MessageKind> {
    crate::sniff::candidate(text)
}

/// What [`check`] tells of a valid message.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    /// The message's type.
    pub kind: &'static MessageKind,
    /// What a capture checker needs beyond the type.
    pub facts: Facts,
}

impl Checked {
    /// What [`check`] gives for a message that is already built.
    pub fn of(message: &Message) -> Self {
        Checked { kind: message.kind(), facts: message.facts() }
    }
}

/// Probe the envelope, route to the one type it claims, then decode exactly that type.
fn decode_routed(input: Input<'_>, family: Option<Family>) -> Result<Message, DecodeError> {
    let kind = routed_kind(input, family)?;
    (kind.decode)(input, kind)
}

/// The one type the envelope claims (of `family`, when given).
fn routed_kind(input: Input<'_>, family: Option<Family>) -> Result<&'static MessageKind, DecodeError> {
    let probe = match input {
        Input::Text(text) | Input::Unlocated(text) | Input::Canonical(text) => probe_text(text)?,
        Input::Value(value) => probe_value(value),
    };
    let kind = route(&probe)?;
    if let Some(family) = family.filter(|&family| family != kind.family) {
        return Err(DecodeError::Envelope {
            family: Some(kind.family),
            pointer: String::new(),
            message: format!("expected a {family} message, found a {} `{}` message", kind.family, kind.tag),
        });
    }
    Ok(kind)
}

/// Where a typed pass reads from: the original text, or a parsed value.
#[derive(Clone, Copy)]
pub(crate) enum Input<'a> {
    Text(&'a str),
    Value(&'a Value),
    /// The fast path: the text, without tracking where an error is (its error is discarded).
    Unlocated(&'a str),
    /// The text, read by the check-only twin's canonical layout alone: an error (unlocated, and
    /// discarded) whenever the layout gives up. [`check`] reads it so when the envelope names
    /// a type the sniffer did not guess; tests read it through [`check_canonical`].
    Canonical(&'a str),
}

impl Input<'_> {
    /// Deserializes the whole message as `T`, with errors located by JSON Pointer.
    pub(crate) fn decode<T: DeserializeOwned>(self, kind: &'static MessageKind) -> Result<T, DecodeError> {
        let result = match self {
            Input::Unlocated(text) => {
                // Nobody reads this error (see `Unlocated`): formatting it would only cost time.
                return serde_json::from_str(text).map_err(|_| DecodeError::unread(kind));
            }
            Input::Canonical(_) => return Err(DecodeError::unread(kind)),
            Input::Text(text) => serde_path_to_error::deserialize(&mut serde_json::Deserializer::from_str(text)),
            Input::Value(value) => serde_path_to_error::deserialize(value),
        };
        result.map_err(|error| DecodeError::Invalid {
            kind,
            pointer: json_pointer(error.path()),
            message: strip_position(&error.inner().to_string()),
        })
    }
}

fn json_pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut pointer = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => pointer.push_str(&format!("/{index}")),
            Segment::Map { key } => pointer.push_str(&pointer_token(key)),
            Segment::Enum { .. } | Segment::Unknown => {}
        }
    }
    pointer
}

/// `/key` as a JSON Pointer reference token (RFC 6901: `~` and `/` escaped).
pub fn pointer_token(key: &str) -> String {
    format!("/{}", key.replace('~', "~0").replace('/', "~1"))
}

/// serde_json appends " at line L column C" to its messages; the pointer says where instead.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) if message[at..].contains(" column ") => message[..at].to_owned(),
        _ => message.to_owned(),
    }
}

// ---------------------------------------------------------------------------------------------
// The probe: just enough of the envelope to route the message.

/// A string-or-not field of the envelope.
#[derive(Debug, Default, Clone, PartialEq)]
enum Field {
    #[default]
    Absent,
    Str(String),
    Other(&'static str),
}

#[derive(Debug, Default, Clone)]
struct ObjectProbe {
    keys: Vec<String>,
    kind: Field,
    event_type: Field,
    channel: Field,
    has_payload: bool,
    payload_type: Field,
    payload_has_action: bool,
    /// The first top-level key seen twice: the message is invalid whatever its type, and which
    /// value a router would see is exactly what parsers disagree on.
    duplicate_key: Option<String>,
}

#[derive(Debug)]
enum Probe {
    Array { first: Field },
    Object(ObjectProbe),
    Scalar(&'static str),
}

fn json_type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn field_of(value: Option<&Value>) -> Field {
    match value {
        None => Field::Absent,
        Some(Value::String(s)) => Field::Str(s.clone()),
        Some(other) => Field::Other(json_type_name(other)),
    }
}

fn probe_value(value: &Value) -> Probe {
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

fn probe_text(text: &str) -> Result<Probe, DecodeError> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let probe = ProbeSeed::deserialize(&mut deserializer).and_then(|probe| deserializer.end().map(|()| probe));
    probe.map(|ProbeSeed(probe)| probe).map_err(|error| syntax_error(text, &error))
}

fn syntax_error(text: &str, error: &serde_json::Error) -> DecodeError {
    let (line, column) = (error.line(), error.column());
    DecodeError::Syntax {
        message: strip_position(&error.to_string()),
        line,
        column,
        hint: syntax_hint(text, line, column),
    }
}

/// Recognises the usual ways almost-JSON goes wrong, near where the parser stopped.
fn syntax_hint(text: &str, line: usize, column: usize) -> Option<&'static str> {
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

struct ProbeSeed(Probe);

impl<'de> Deserialize<'de> for ProbeSeed {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ProbeVisitor).map(ProbeSeed)
    }
}

struct ProbeVisitor;

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
struct FieldProbe(Field);

impl<'de> Deserialize<'de> for FieldProbe {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ShapeVisitor { payload: false }).map(|(field, _)| FieldProbe(field))
    }
}

/// Reads the assistant `payload`: its `type`, and whether it has an `action` (which marks a
/// subscription request).
struct PayloadProbe {
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
struct ShapeVisitor {
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

// ---------------------------------------------------------------------------------------------
// Routing: protocol.md, "Telling the families apart".

fn route(probe: &Probe) -> Result<&'static MessageKind, DecodeError> {
    match probe {
        Probe::Object(object @ ObjectProbe { duplicate_key: Some(key), .. }) => Err(duplicate_key_error(object, key)),
        Probe::Array { first } => route_tagged(&[Family::Media], "/0", first),
        Probe::Object(object) if object.channel != Field::Absent && object.has_payload => route_assistant(object),
        Probe::Object(object) if object.event_type != Field::Absent => {
            route_tagged(&[Family::Simulation], "/event_type", &object.event_type)
        }
        Probe::Object(object) if object.kind != Field::Absent => {
            route_tagged(&[Family::Health, Family::Stream], "/type", &object.kind)
        }
        // Half an assistant envelope and no other tag: assistant is what it tried to be.
        Probe::Object(object) if object.channel != Field::Absent || object.has_payload => route_assistant(object),
        Probe::Object(object) => Err(no_family(&describe_keys(&object.keys))),
        Probe::Scalar(found) => Err(no_family(found)),
    }
}

/// A duplicated envelope key leaves the message's type in doubt; any other duplicated key is
/// reported against the type the message claims.
fn duplicate_key_error(object: &ObjectProbe, key: &str) -> DecodeError {
    let message = format!("duplicate key `{key}` (parsers disagree on which value wins)");
    let pointer = pointer_token(key);
    let envelope_key = ["type", "event_type", "channel", "payload"].contains(&key);
    let claimed = ObjectProbe { duplicate_key: None, ..object.clone() };
    match route(&Probe::Object(claimed)) {
        Ok(kind) if !envelope_key => DecodeError::Invalid { kind, pointer, message },
        _ => DecodeError::Envelope { family: None, pointer, message },
    }
}

fn no_family(found: &str) -> DecodeError {
    DecodeError::Envelope {
        family: None,
        pointer: String::new(),
        message: format!("matches no protocol family: found {found}; expected {EXPECTED_ENVELOPES}"),
    }
}

fn describe_keys(keys: &[String]) -> String {
    match keys {
        [] => "an empty object".into(),
        keys => format!(
            "an object with keys {}",
            keys.iter().take(8).map(|k| format!("{k:?}")).collect::<Vec<_>>().join(", ")
        ),
    }
}

/// Routes on a string tag that several families may share (`type` is both health and stream).
fn route_tagged(families: &[Family], pointer: &str, tag: &Field) -> Result<&'static MessageKind, DecodeError> {
    let family = families[0];
    let tag = match tag {
        Field::Str(tag) => tag,
        Field::Absent => {
            return Err(DecodeError::Envelope {
                family: Some(family),
                pointer: pointer.into(),
                message: format!("missing the message type; expected {}", family.envelope()),
            });
        }
        Field::Other(found) => {
            return Err(DecodeError::Envelope {
                family: Some(family),
                pointer: pointer.into(),
                message: format!("the message type must be a string, found {found}"),
            });
        }
    };
    let candidates = || families.iter().flat_map(|f| f.kinds());
    if let Some(kind) = candidates().find(|kind| kind.tag == tag) {
        return Ok(kind);
    }
    let suggestion = closest(tag, candidates().map(|kind| kind.tag));
    let family = suggestion
        .and_then(|s| candidates().find(|kind| kind.tag == s))
        .map_or(families[families.len() - 1], |kind| kind.family);
    Err(DecodeError::UnknownTag { family, pointer: pointer.into(), tag: tag.clone(), suggestion })
}

fn route_assistant(object: &ObjectProbe) -> Result<&'static MessageKind, DecodeError> {
    let subscription = || registry::find(Family::Assistant, SUBSCRIPTION_CHANNEL).expect("registered");
    if matches!(&object.channel, Field::Str(channel) if channel == SUBSCRIPTION_CHANNEL) {
        if let (Field::Str(update), false) = (&object.payload_type, object.payload_has_action) {
            return Err(DecodeError::Envelope {
                family: Some(Family::Assistant),
                pointer: "/channel".into(),
                message: format!(
                    "a `{update}` update cannot be sent on channel `subscription`, which carries only subscription requests; send it on its session channel"
                ),
            });
        }
        return Ok(subscription());
    }
    if object.payload_type == Field::Absent && object.payload_has_action {
        // A subscription request on another channel: its type reports the channel as wrong.
        return Ok(subscription());
    }
    let updates = || Family::Assistant.kinds().iter().filter(|kind| kind.tag != SUBSCRIPTION_CHANNEL);
    match &object.payload_type {
        Field::Str(tag) => updates().find(|kind| kind.tag == tag).ok_or_else(|| DecodeError::UnknownTag {
            family: Family::Assistant,
            pointer: "/payload/type".into(),
            tag: tag.clone(),
            suggestion: closest(tag, updates().map(|kind| kind.tag)),
        }),
        Field::Other(found) => Err(DecodeError::Envelope {
            family: Some(Family::Assistant),
            pointer: "/payload/type".into(),
            message: format!("the update type must be a string, found {found}"),
        }),
        Field::Absent if !object.has_payload => Err(DecodeError::Envelope {
            family: Some(Family::Assistant),
            pointer: String::new(),
            message: format!("missing `payload`; expected {}", Family::Assistant.envelope()),
        }),
        Field::Absent => Err(DecodeError::Envelope {
            family: Some(Family::Assistant),
            pointer: "/payload".into(),
            message: "expected an update object with a `type` (status, tool, response, error); subscription requests go on channel `subscription`".into(),
        }),
    }
}

/// The known tag closest to `tag`, when it is close enough to be a likely typo.
fn closest(tag: &str, known: impl Iterator<Item = &'static str>) -> Option<&'static str> {
    let tag = tag.to_lowercase();
    let length = tag.chars().count();
    let mut nearest: Option<(usize, &'static str)> = None;
    for k in known {
        // The distance is at least the difference in length, so a tag that much longer or
        // shorter than the best so far cannot beat it: the same minimum, without the work.
        if nearest.is_some_and(|(distance, _)| length.abs_diff(k.chars().count()) > distance) {
            continue;
        }
        let candidate = (strsim::levenshtein(&tag, k), k);
        if nearest.is_none_or(|best| candidate < best) {
            nearest = Some(candidate);
        }
    }
    let (distance, best) = nearest?;
    let limit = (best.len() / 3).max(2);
    (distance <= limit).then_some(best)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_suggests_typos_only() {
        let tags = ["health_score", "alert", "status"];
        assert_eq!(closest("helth_score", tags.into_iter()), Some("health_score"));
        assert_eq!(closest("ALERT", tags.into_iter()), Some("alert"));
        assert_eq!(closest("completely_else", tags.into_iter()), None);
    }

    #[test]
    fn closest_skips_only_candidates_that_cannot_win() {
        let brute_force = |tag: &str, known: &[&'static str]| {
            let tag = tag.to_lowercase();
            let (distance, best) = known.iter().map(|&k| (strsim::levenshtein(&tag, k), k)).min()?;
            (distance <= (best.len() / 3).max(2)).then_some(best)
        };
        let tags: Vec<&'static str> = crate::registry::kinds().map(|kind| kind.tag).collect();
        let mut typos = vec![String::new(), "x".into(), "é".into(), "pin".into(), "Ünknown_sëssion".into()];
        for tag in &tags {
            typos.extend([format!("{tag}x"), tag[1..].to_owned(), tag.to_uppercase(), tag.replace('_', "")]);
            typos.extend([format!("{tag}{tag}"), tag.chars().rev().collect(), format!("é{tag}")]);
        }
        // Every short word over a small alphabet, against every short word over part of it:
        // ties in distance and in length, which the real tags rarely have.
        let words = |alphabet: &[char], longest: usize| {
            let mut words = vec![String::new()];
            for _ in 0..longest {
                let longer: Vec<String> =
                    words.iter().flat_map(|w| alphabet.iter().map(move |c| format!("{w}{c}"))).collect();
                words.extend(longer);
            }
            words.sort();
            words.dedup();
            words
        };
        let short: Vec<&'static str> = words(&['a', 'b'], 3).into_iter().map(|w| &*w.leak()).collect();
        typos.extend(words(&['a', 'b', 'c'], 4));
        // Every order of the candidates: which one comes first decides what can be skipped.
        for known in
            [tags.clone(), tags.iter().rev().copied().collect(), short.clone(), short.into_iter().rev().collect()]
        {
            for typo in &typos {
                assert_eq!(closest(typo, known.iter().copied()), brute_force(typo, &known), "{typo} in {known:?}");
            }
        }
    }

    #[test]
    fn strip_position_keeps_the_message() {
        assert_eq!(strip_position("missing field `x` at line 1 column 5"), "missing field `x`");
        assert_eq!(strip_position("no position here"), "no position here");
    }
}
