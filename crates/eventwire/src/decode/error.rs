//! Why a message is invalid: [`DecodeError`], the [`Rule`] it breaks, and where (JSON Pointer).

use std::fmt;

use crate::registry::{Family, MessageKind};

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

pub(crate) fn location(pointer: &str) -> String {
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
pub(crate) const RULE_PREFIXES: &[(&str, Rule)] = &[
    ("duplicate key", Rule::DuplicateKey),
    ("duplicate field", Rule::DuplicateKey),
    ("unknown field", Rule::UnknownField),
    ("missing field", Rule::MissingField),
    ("invalid base64", Rule::Base64),
    ("audio payload", Rule::AudioSamples),
    ("video frame is not a JPEG", Rule::Jpeg),
    ("only the data URL prefix", Rule::Jpeg),
];

pub(crate) fn json_pointer(path: &serde_path_to_error::Path) -> String {
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
pub(crate) fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) if message[at..].contains(" column ") => message[..at].to_owned(),
        _ => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strip_position_keeps_the_message() {
        assert_eq!(strip_position("missing field `x` at line 1 column 5"), "missing field `x`");
        assert_eq!(strip_position("no position here"), "no position here");
    }
}
