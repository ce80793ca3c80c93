//! The fast path's router: reads the tag a message starts with straight from its text, so that a
//! valid message is parsed once, as exactly its type.
//!
//! This is only a guess. [`crate::decode`] keeps it only when the guessed type then
//! deserializes the whole text; the guess is right whenever that happens, because every message
//! struct is closed at the top level (and an assistant payload is closed too): the keys that
//! would make the router choose another family (`channel` and `payload`, `event_type`, `type`)
//! are unknown fields of every other family's types, and a duplicated tag is a duplicate field.
//! Anything the sniffer does not recognise (an escaped key or tag, a tag inside a value)
//! goes the slow way: probe the envelope, route, then decode with JSON Pointers.

use std::sync::LazyLock;

use memchr::memmem;

use crate::primitives::SUBSCRIPTION_CHANNEL;
use crate::registry::{self, Family, MessageKind};

/// The message type `text` claims, when its tag can be read from where messages put it: the
/// first element of a media array, a top-level `type` or `event_type` member (the first one
/// usually, found past any others), or for an assistant update its `channel` and its
/// payload's `type` member (or `action`).
pub(crate) fn candidate(text: &str) -> Option<&'static MessageKind> {
    if let Some(kind) = tag_at_the_very_start(text) {
        return Some(kind);
    }
    let mut scanner = TagScanner { text, bytes: text.as_bytes(), at: 0 };
    match scanner.next_token()? {
        b'[' => registry::find(Family::Media, scanner.string()?),
        b'{' => object_tag(&mut scanner),
        _ => None,
    }
}

/// After an object's `{`: its members walked until one names the type. When the first does
/// not, the last member is looked at before the walk: writers that put the tag after the
/// fields (a model declaring it last) put it there.
fn object_tag(scanner: &mut TagScanner) -> Option<&'static MessageKind> {
    let mut payload = None;
    let mut first = true;
    loop {
        let key = scanner.string()?;
        scanner.expect(b':')?;
        match key {
            "type" | "event_type" => return tagged_kind(key, scanner.string()?),
            "channel" => {
                let value = scanner.string()?;
                return match payload {
                    _ if value == SUBSCRIPTION_CHANNEL => registry::find(Family::Assistant, SUBSCRIPTION_CHANNEL),
                    None => assistant_update(scanner),
                    // The payload came first: its tag is behind the scanner.
                    Some(at) => {
                        scanner.at = at;
                        earlier_payload_tag(scanner)
                    }
                };
            }
            other => {
                if first && let Some(kind) = tag_at_the_end(scanner.text) {
                    return Some(kind);
                }
                if other == "payload" {
                    payload = Some(scanner.at);
                }
                scanner.skip_value()?;
            }
        }
        first = false;
        scanner.expect(b',')?;
    }
}

/// The kind a top-level `type` or `event_type` member names.
fn tagged_kind(key: &str, value: &str) -> Option<&'static MessageKind> {
    match key {
        "type" => registry::find(Family::Health, value).or_else(|| registry::find(Family::Stream, value)),
        _ => registry::find(Family::Simulation, value),
    }
}

/// The kind named by the object's last member, read backwards from its closing brace, when
/// that member is a tag, or a channel (the payload's tag is then searched from the start).
fn tag_at_the_end(text: &str) -> Option<&'static MessageKind> {
    const WHITESPACE: [char; 4] = [' ', '\t', '\n', '\r'];
    let rest = text.trim_end_matches(WHITESPACE).strip_suffix('}')?.trim_end_matches(WHITESPACE);
    let (rest, value) = rest.strip_suffix('"')?.rsplit_once('"')?;
    let rest = rest.trim_end_matches(WHITESPACE).strip_suffix(':')?.trim_end_matches(WHITESPACE);
    let (rest, key) = rest.strip_suffix('"')?.rsplit_once('"')?;
    // A backslash would make these quotes escaped ones, inside some string.
    if value.contains('\\') || key.contains('\\') || !rest.trim_end_matches(WHITESPACE).ends_with([',', '{']) {
        return None;
    }
    match key {
        "type" | "event_type" => tagged_kind(key, value),
        "channel" if value == SUBSCRIPTION_CHANNEL => registry::find(Family::Assistant, SUBSCRIPTION_CHANNEL),
        "channel" => first_type_member(&mut TagScanner { text, bytes: text.as_bytes(), at: 0 }).flatten(),
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
    let tag = TagScanner { text, bytes: text.as_bytes(), at: key.len() }.string()?;
    families.iter().find_map(|&family| registry::find(family, tag))
}

/// After `{"channel": "...",`: the kind named by the payload's `type`. A payload with `action`
/// is a subscription request.
fn assistant_update(scanner: &mut TagScanner) -> Option<&'static MessageKind> {
    first_type_member(scanner).unwrap_or_else(|| walk_to_payload_tag(scanner))
}

/// At the payload of an update whose channel comes after it: as [`assistant_update`].
fn earlier_payload_tag(scanner: &mut TagScanner) -> Option<&'static MessageKind> {
    first_type_member(scanner).unwrap_or_else(|| payload_tag(scanner))
}

/// The kind the first `"type":` after the scanner names, if there is one (else the scanner
/// stays where it was). The value may follow a space, as `json.dumps` writes it.
fn first_type_member(scanner: &mut TagScanner) -> Option<Option<&'static MessageKind>> {
    // Searching for the member beats walking the fields before it. Outside strings it can only
    // be a `type` member (a quote inside a string is escaped); if it is not the payload's, the
    // guessed type rejects the message and the slow path decides.
    static TYPE_MEMBER: LazyLock<memmem::Finder<'static>> = LazyLock::new(|| memmem::Finder::new(br#""type":"#));
    let found = TYPE_MEMBER.find(&scanner.bytes[scanner.at..])?;
    scanner.at += found + br#""type":"#.len();
    let tag = scanner.string();
    Some(tag.and_then(|tag| registry::find(Family::Assistant, tag)).filter(|kind| kind.tag != SUBSCRIPTION_CHANNEL))
}

/// The slow way of [`assistant_update`], from the comma after the channel.
fn walk_to_payload_tag(scanner: &mut TagScanner) -> Option<&'static MessageKind> {
    scanner.expect(b',')?;
    if scanner.string()? != "payload" {
        return None;
    }
    scanner.expect(b':')?;
    payload_tag(scanner)
}

/// The tag of the payload object at the scanner: its `type` member (or an `action`) past any
/// plain fields (strings, numbers, booleans, null), which also finds a `type` with spaces
/// around its colon.
fn payload_tag(scanner: &mut TagScanner) -> Option<&'static MessageKind> {
    scanner.expect(b'{')?;
    loop {
        let key = scanner.string()?;
        scanner.expect(b':')?;
        match key {
            "type" => {
                let tag = scanner.string()?;
                return registry::find(Family::Assistant, tag).filter(|kind| kind.tag != SUBSCRIPTION_CHANNEL);
            }
            "action" => return registry::find(Family::Assistant, SUBSCRIPTION_CHANNEL),
            _ => scanner.skip_plain_value()?,
        }
        scanner.expect(b',')?;
    }
}

struct TagScanner<'a> {
    text: &'a str,
    bytes: &'a [u8],
    at: usize,
}

impl<'a> TagScanner<'a> {
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
        let length = crate::scan::string_end(&self.bytes[start..])?;
        self.at = start + length + 1;
        // Both ends are next to an ASCII quote, so both are character boundaries.
        self.text.get(start..start + length)
    }

    /// Skips a string (escapes included), number, `true`, `false` or `null`; objects and
    /// arrays are not plain.
    fn skip_plain_value(&mut self) -> Option<()> {
        match self.next_token()? {
            b'"' => self.skip_string_rest(),
            b'{' | b'[' => None,
            _ => self.skip_scalar_rest(),
        }
    }

    /// Skips any value, objects and arrays whole. Only brackets and strings are followed:
    /// what is between them is judged by the type the sniffer guesses.
    fn skip_value(&mut self) -> Option<()> {
        match self.next_token()? {
            b'"' => return self.skip_string_rest(),
            b'{' | b'[' => {}
            b'}' | b']' | b',' | b':' => return None,
            _ => return self.skip_scalar_rest(),
        }
        // One byte at a time inside: most bytes are in strings, which are skipped whole.
        let mut depth = 1_usize;
        while depth > 0 {
            let byte = *self.bytes.get(self.at)?;
            self.at += 1;
            match byte {
                b'"' => self.skip_string_rest()?,
                b'{' | b'[' => depth += 1,
                b'}' | b']' => depth -= 1,
                _ => {}
            }
        }
        Some(())
    }

    /// Past a string's closing quote, from inside it.
    fn skip_string_rest(&mut self) -> Option<()> {
        loop {
            let end = memchr::memchr2(b'"', b'\\', self.bytes.get(self.at..)?)?;
            self.at += end + 1;
            if self.bytes[self.at - 1] == b'"' {
                return Some(());
            }
            // The escaped character; a cut after the backslash ends in the `get` above.
            self.at += 1;
        }
    }

    /// To the end of a number or literal, from its second byte.
    fn skip_scalar_rest(&mut self) -> Option<()> {
        let rest = &self.bytes[self.at..];
        self.at += rest.iter().position(|&b| matches!(b, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r'))?;
        Some(())
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
        assert_eq!(tag(r#"{"channel": "c", "payload": {"message": "m", "type": "tool"}}"#), Some("tool"));
        assert_eq!(tag(r#"{"channel":"c","payload":{"message":"m","type" : "error"}}"#), Some("error"));
        // Only a guess: the first `type` member, wherever it is. The guessed type rejects it.
        assert_eq!(tag(r#"{"channel":"c","payload":{"meta":{"type":"tool"},"type":"status"}}"#), Some("tool"));
        assert_eq!(tag(r#"{"channel":"subscription","payload":{"type":"status"}}"#), Some("subscription"));
    }

    #[test]
    fn tags_are_found_past_other_members() {
        // Last: read backwards from the closing brace; a quote in a string is not a member.
        assert_eq!(tag(r#"{"session_id":"s","type":"ping"}"#), Some("ping"));
        assert_eq!(tag("{\"session_id\":\"s\",\"type\" : \"ping\"\n}\n"), Some("ping"));
        assert_eq!(tag(r#"{"data":{"a":1},"event_type":"agent_message"}"#), Some("agent_message"));
        assert_eq!(tag(r#"{"a":"x\",\"type\":\"ping\"","type":"alert"}"#), Some("alert"));
        assert_eq!(tag(r#"{"payload":{"a":[1],"type":"tool"},"channel":"c"}"#), Some("tool"));
        assert_eq!(tag(r#"{"payload":{"action":"subscribe"},"channel":"subscription"}"#), Some("subscription"));
        // In the middle: the top-level members walked, values skipped whole (nested tags,
        // brackets and escaped quotes in strings included).
        assert_eq!(
            tag(r#"{ "data" : {"a":[1,{"type":"x"}],"b":"]\"}"} , "n":-1.5e3,"type":"ping", "t":true}"#),
            Some("ping")
        );
        assert_eq!(
            tag(r#"{"data":[{"event_type":"x"}],"event_type":"agent_message","n":null}"#),
            Some("agent_message")
        );
        assert_eq!(tag(r#"{"payload":{"n":1, "type" : "error"},"channel":"c","x":1}"#), Some("error"));
        assert_eq!(tag(r#"{"payload":{"a":{},"type":"tool"},"channel":"c","x":1}"#), Some("tool"));
    }

    #[test]
    fn anything_else_is_left_to_the_slow_path() {
        for text in [
            r#"{"session_id":{"type":"ping"}}"#,
            r#"{"a":1]],"type":"ping","b":2}"#,
            r#"{"a":"open"#,
            r#"{"a":,"type":"ping","b":2}"#,
            r#"{"payload":{"a":{}},"channel":"c"}"#,
            // Cut inside an escape: the scanners must stop at the end, not run past it.
            r#"{"channel":"c","payload":{"a":"\"#,
            r#"{"a":"\"#,
            r#"{"a":["\"#,
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
