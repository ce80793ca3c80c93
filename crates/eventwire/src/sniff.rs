//! The fast path's router: reads the tag a message starts with straight from its text, so that a
//! valid message is parsed once, as exactly its type.
//!
//! This is only a guess. [`crate::decode`] keeps it only when the guessed type then
//! deserializes the whole text; the guess is right whenever that happens, because every message
//! struct is closed at the top level (and an assistant payload is closed too): the keys that
//! would make the router choose another family (`channel` and `payload`, `event_type`, `type`)
//! are unknown fields of every other family's types, and a duplicated tag is a duplicate field.
//! Anything the sniffer does not recognise (a tag that is not first, an escaped string) goes
//! the slow way: probe the envelope, route, then decode with JSON Pointers.

use std::sync::LazyLock;

use memchr::memmem;

use crate::primitives::SUBSCRIPTION_CHANNEL;
use crate::registry::{self, Family, MessageKind};

/// The message type `text` claims, when its tag can be read from where messages usually put it:
/// the first element of a media array, the first key of an object, or an assistant payload's
/// first `type` member (or its `action`, past plain fields).
pub(crate) fn candidate(text: &str) -> Option<&'static MessageKind> {
    if let Some(kind) = tag_at_the_very_start(text) {
        return Some(kind);
    }
    let mut cursor = Cursor { text, bytes: text.as_bytes(), at: 0 };
    match cursor.next_token()? {
        b'[' => registry::find(Family::Media, cursor.string()?),
        b'{' => {
            let key = cursor.string()?;
            cursor.expect(b':')?;
            let value = cursor.string()?;
            match key {
                "type" => registry::find(Family::Health, value).or_else(|| registry::find(Family::Stream, value)),
                "event_type" => registry::find(Family::Simulation, value),
                "channel" if value == SUBSCRIPTION_CHANNEL => registry::find(Family::Assistant, SUBSCRIPTION_CHANNEL),
                "channel" => assistant_update(&mut cursor),
                _ => None,
            }
        }
        _ => None,
    }
}

/// The usual case, `{"type":"…"` or `{"event_type":"…"` without whitespace, read without
/// walking tokens.
fn tag_at_the_very_start(text: &str) -> Option<&'static MessageKind> {
    const TYPE: &str = r#"{"type":"#;
    const EVENT_TYPE: &str = r#"{"event_type":"#;
    let (key, families): (_, &[Family]) = if text.starts_with(TYPE) {
        (TYPE, &[Family::Health, Family::Stream])
    } else if text.starts_with(EVENT_TYPE) {
        (EVENT_TYPE, &[Family::Simulation])
    } else {
        return None;
    };
    let tag = Cursor { text, bytes: text.as_bytes(), at: key.len() }.string()?;
    families.iter().find_map(|&family| registry::find(family, tag))
}

/// After `{"channel": "...",`: the kind named by the payload's `type`. A payload with `action`
/// is a subscription request.
fn assistant_update(cursor: &mut Cursor) -> Option<&'static MessageKind> {
    // Searching for the member beats walking the fields before it. Outside strings it can only
    // be a `type` member (a quote inside a string is escaped); if it is not the payload's, the
    // guessed type rejects the message and the slow path decides.
    static TYPE_MEMBER: LazyLock<memmem::Finder<'static>> = LazyLock::new(|| memmem::Finder::new(br#""type":""#));
    if let Some(found) = TYPE_MEMBER.find(&cursor.bytes[cursor.at..]) {
        cursor.at += found + br#""type":"#.len();
        let tag = cursor.string()?;
        return registry::find(Family::Assistant, tag).filter(|kind| kind.tag != SUBSCRIPTION_CHANNEL);
    }
    walk_to_payload_tag(cursor)
}

/// The slow way of [`assistant_update`]: past any plain fields (strings, numbers, booleans,
/// null), which also finds a `type` with spaces around its colon, or an `action`.
fn walk_to_payload_tag(cursor: &mut Cursor) -> Option<&'static MessageKind> {
    cursor.expect(b',')?;
    if cursor.string()? != "payload" {
        return None;
    }
    cursor.expect(b':')?;
    cursor.expect(b'{')?;
    loop {
        let key = cursor.string()?;
        cursor.expect(b':')?;
        match key {
            "type" => {
                let tag = cursor.string()?;
                return registry::find(Family::Assistant, tag).filter(|kind| kind.tag != SUBSCRIPTION_CHANNEL);
            }
            "action" => return registry::find(Family::Assistant, SUBSCRIPTION_CHANNEL),
            _ => cursor.skip_plain_value()?,
        }
        cursor.expect(b',')?;
    }
}

struct Cursor<'a> {
    text: &'a str,
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    /// The next byte that is not JSON whitespace, consumed.
    fn next_token(&mut self) -> Option<u8> {
        while let Some(&byte) = self.bytes.get(self.at) {
            self.at += 1;
            if !matches!(byte, b' ' | b'\t' | b'\n' | b'\r') {
                return Some(byte);
            }
        }
        None
    }

    fn expect(&mut self, byte: u8) -> Option<()> {
        (self.next_token()? == byte).then_some(())
    }

    /// A string without escapes or control characters (tags and keys never have any), its
    /// quotes consumed.
    fn string(&mut self) -> Option<&'a str> {
        self.expect(b'"')?;
        let start = self.at;
        let length = crate::layout::string_end(&self.bytes[start..])?;
        self.at = start + length + 1;
        // Both ends are next to an ASCII quote, so both are character boundaries.
        self.text.get(start..start + length)
    }

    /// Skips a string (escapes included), number, `true`, `false` or `null`; objects and
    /// arrays are not plain.
    fn skip_plain_value(&mut self) -> Option<()> {
        match self.next_token()? {
            b'"' => loop {
                let end = memchr::memchr2(b'"', b'\\', &self.bytes[self.at..])?;
                self.at += end + 1;
                if self.bytes[self.at - 1] == b'"' {
                    return Some(());
                }
                self.at += 1;
            },
            b'{' | b'[' => None,
            _ => {
                let rest = &self.bytes[self.at..];
                self.at += rest.iter().position(|&b| matches!(b, b',' | b'}' | b' ' | b'\t' | b'\n' | b'\r'))?;
                Some(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(text: &str) -> Option<&'static str> {
        candidate(text).map(|kind| kind.tag)
    }

    #[test]
    fn tags_are_read_where_messages_put_them() {
        assert_eq!(tag(r#"{"type":"ping","session_id":"s"}"#), Some("ping"));
        assert_eq!(tag(r#" { "type" : "alert" }"#), Some("alert"));
        assert_eq!(tag(r#"["video_data",{}]"#), Some("video_data"));
        assert_eq!(tag(r#"{"event_type":"agent_message"}"#), Some("agent_message"));
        assert_eq!(
            tag(
                r#"{"channel":"c","payload":{"message":"a \"quoted\" word","timestamp":1.5,"final_message":false,"type":"tool"}}"#
            ),
            Some("tool")
        );
        assert_eq!(tag(r#"{"channel":"c","payload":{"action":"subscribe"}}"#), Some("subscription"));
        assert_eq!(tag(r#"{"channel":"c","payload":{"message":"m","type" : "error"}}"#), Some("error"));
        // Only a guess: the first `type` member, wherever it is. The guessed type rejects it.
        assert_eq!(tag(r#"{"channel":"c","payload":{"meta":{"type":"tool"},"type":"status"}}"#), Some("tool"));
        assert_eq!(tag(r#"{"channel":"subscription","payload":{"type":"status"}}"#), Some("subscription"));
    }

    #[test]
    fn anything_else_is_left_to_the_slow_path() {
        for text in [
            r#"{"session_id":"s","type":"ping"}"#,
            r#"{"type":"p\u0069ng"}"#,
            r#"{"type":"nope"}"#,
            r#"{"channel":"c","payload":{"type":"subscription"}}"#,
            r#"{"channel":"c","other":1}"#,
            "",
            "42",
        ] {
            assert_eq!(tag(text), None, "{text}");
        }
    }
}
