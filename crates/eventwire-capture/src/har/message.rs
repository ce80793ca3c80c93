//! One element of a HAR entry's `_webSocketMessages`, and a one-pass reader for the usual ones.

use serde::Deserialize;

use super::splitter::Cut;

/// One element of `_webSocketMessages`.
#[derive(Deserialize, Debug, PartialEq)]
pub(super) struct WebSocketMessage {
    /// `send` or `receive`.
    #[serde(rename = "type")]
    pub(super) kind: Option<String>,
    /// 1 text, 2 binary (base64 in `data`).
    pub(super) opcode: Option<u8>,
    pub(super) data: Option<String>,
}

impl Cut for WebSocketMessage {
    /// Most messages are an object of strings and numbers: [`flat`] reads them in one pass,
    /// unescaping `data` once into a buffer of the right size. Any other is read by serde_json
    /// (which unescapes into a buffer that grows anew for every message, then copies it).
    fn from_slice(bytes: &[u8]) -> Option<Self> {
        flat(bytes).or_else(|| {
            let mut deserializer = serde_json::Deserializer::from_slice(bytes);
            let message = Self::deserialize(&mut deserializer).ok()?;
            deserializer.end().ok()?;
            Some(message)
        })
    }
}

/// The message `bytes` holds, when it is an object whose members are strings, numbers, `true`,
/// `false` or `null`, with keys free of escapes; `None` for anything else, and for anything
/// serde_json might read another way or reject (a field given twice, an `opcode` that is not a
/// plain integer up to 255, a string [`eventwire::layout::unescape_string`] leaves to serde_json).
fn flat(bytes: &[u8]) -> Option<WebSocketMessage> {
    let text = std::str::from_utf8(bytes).ok()?;
    let mut reader = Flat { text, at: 0 };
    reader.byte(b'{')?;
    let mut message = WebSocketMessage { kind: None, opcode: None, data: None };
    let mut seen = [false; 3];
    if reader.byte(b'}').is_none() {
        loop {
            let key = reader.key()?;
            reader.byte(b':')?;
            let field = match key {
                "type" => Field::Type,
                "opcode" => Field::Opcode,
                "data" => Field::Data,
                _ => Field::Other,
            };
            if field != Field::Other && std::mem::replace(&mut seen[field as usize], true) {
                return None;
            }
            match field {
                Field::Type => message.kind = reader.string_or_null(field)?,
                Field::Opcode => message.opcode = reader.opcode()?,
                Field::Data => message.data = reader.string_or_null(field)?,
                Field::Other => reader.scalar()?,
            }
            if reader.byte(b',').is_none() {
                reader.byte(b'}')?;
                break;
            }
        }
    }
    (reader.at == text.len()).then_some(message)
}

/// The members of a message, by what [`flat`] does with them.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Field {
    Type,
    Opcode,
    Data,
    Other,
}

/// A cursor over a message's text for [`flat`].
struct Flat<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Flat<'a> {
    fn rest(&self) -> &'a [u8] {
        &self.text.as_bytes()[self.at..]
    }

    fn skip_whitespace(&mut self) {
        self.at += self.rest().iter().take_while(|b| matches!(b, b' ' | b'\n' | b'\r' | b'\t')).count();
    }

    /// Steps over whitespace and `byte`, when `byte` comes next.
    fn byte(&mut self, byte: u8) -> Option<()> {
        self.skip_whitespace();
        (self.rest().first() == Some(&byte)).then(|| self.at += 1)
    }

    /// A key without escapes or control characters.
    fn key(&mut self) -> Option<&'a str> {
        self.byte(b'"')?;
        let length = self.rest().iter().position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
        (self.rest()[length] == b'"').then_some(())?;
        let key = &self.text[self.at..self.at + length];
        self.at += length + 1;
        Some(key)
    }

    /// The string next, unescaped as serde_json reads it into a `String`, or `null`. `data`
    /// is most of a message: its buffer is sized for the rest of the text at once.
    fn string_or_null(&mut self, field: Field) -> Option<Option<String>> {
        if self.literal("null") {
            return Some(None);
        }
        self.skip_whitespace();
        let rest = &self.text[self.at..];
        let mut value = String::with_capacity(if field == Field::Data { rest.len() } else { 0 });
        self.at += eventwire::layout::unescape_string(rest, &mut value)?;
        Some(Some(value))
    }

    /// An `opcode` as serde_json reads it into an `Option<u8>`: `null`, or digits without a
    /// leading zero up to 255 (anything else is left to serde_json).
    fn opcode(&mut self) -> Option<Option<u8>> {
        if self.literal("null") {
            return Some(None);
        }
        self.skip_whitespace();
        let digits = self.rest().iter().take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 || digits > 3 || (digits > 1 && self.rest()[0] == b'0') {
            return None;
        }
        let value: u8 = self.text[self.at..self.at + digits].parse().ok()?;
        self.at += digits;
        Some(Some(value))
    }

    /// A member the reader skips: a string, a number, `true`, `false` or `null`, checked as
    /// serde_json checks what it skips.
    fn scalar(&mut self) -> Option<()> {
        if self.literal("true") || self.literal("false") || self.literal("null") {
            return Some(());
        }
        self.skip_whitespace();
        match self.rest().first()? {
            b'"' => self.string_or_null(Field::Other).map(drop),
            b'-' => {
                self.at += 1;
                self.number()
            }
            _ => self.number(),
        }
    }

    /// The rest of a JSON number after its sign: `0` or digits not starting with zero, then
    /// maybe a fraction and an exponent, each with digits.
    fn number(&mut self) -> Option<()> {
        let digits = |rest: &[u8]| rest.iter().take_while(|b| b.is_ascii_digit()).count();
        let integer = digits(self.rest());
        if integer == 0 || (integer > 1 && self.rest()[0] == b'0') {
            return None;
        }
        self.at += integer;
        if self.rest().first() == Some(&b'.') {
            let fraction = digits(&self.rest()[1..]);
            (fraction > 0).then_some(())?;
            self.at += 1 + fraction;
        }
        if matches!(self.rest().first(), Some(b'e' | b'E')) {
            self.at += 1;
            if matches!(self.rest().first(), Some(b'+' | b'-')) {
                self.at += 1;
            }
            let exponent = digits(self.rest());
            (exponent > 0).then_some(())?;
            self.at += exponent;
        }
        Some(())
    }

    /// Steps over whitespace and `word` when it comes next. (What follows a token is checked
    /// as the next one is read: `nullx` is not a member followed by `,` or `}`.)
    fn literal(&mut self, word: &str) -> bool {
        self.skip_whitespace();
        let found = self.rest().starts_with(word.as_bytes());
        if found {
            self.at += word.len();
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MESSAGES: [&str; 12] = [
        r#"{"type":"send","time":1758855248.477,"opcode":1,"data":"{\"type\":\"ping\",\"n\":1}"}"#,
        r#"{ "type" : "receive" , "time" : -1.5e-3 , "opcode" : 2 , "data" : "AAEC" }"#,
        r#"{"data":"é \u00e9 \ud83d\ude00 \/\b\f\n\r\t","opcode":255,"x":true,"y":false,"z":null,"w":"\"","v":0}"#,
        r#"{"type":null,"opcode":null,"data":null}"#,
        r#"{}"#,
        r#"{"opcode":0,"time":0.0,"big":123456789012345678901234567890,"e":1E+9}"#,
        r#"{"type":"send","type":"receive"}"#,
        r#"{"opcode":256}"#,
        r#"{"opcode":1.0}"#,
        r#"{"data":"\ud800"}"#,
        r#"{"data":{"type":"ping"}}"#,
        r#"["send",1,"{}"]"#,
    ];

    fn serde(text: &[u8]) -> Option<WebSocketMessage> {
        let mut deserializer = serde_json::Deserializer::from_slice(text);
        let message = WebSocketMessage::deserialize(&mut deserializer).ok()?;
        deserializer.end().ok()?;
        Some(message)
    }

    /// The one-pass reader takes the usual messages, and a message it takes, however damaged,
    /// is one serde_json reads to the same fields.
    #[test]
    fn the_flat_reader_reads_only_what_serde_json_reads_and_as_it_does() {
        for text in &MESSAGES[..6] {
            assert!(flat(text.as_bytes()).is_some(), "{text} is read in one pass");
        }
        const BYTES: &[u8] = b"{}[],:\"\\ \n0189.-+eEaflnrstu\x01\xc3\xff";
        let mut read = 0;
        for text in MESSAGES {
            let text = text.as_bytes();
            let mut variants = vec![text.to_vec()];
            for at in 0..=text.len() {
                for &byte in BYTES {
                    let mut inserted = text.to_vec();
                    inserted.insert(at, byte);
                    variants.push(inserted);
                    if at < text.len() {
                        let mut changed = text.to_vec();
                        changed[at] = byte;
                        variants.push(changed);
                    }
                }
                let mut shorter = text.to_vec();
                if at < text.len() {
                    shorter.remove(at);
                }
                variants.push(shorter);
            }
            for variant in variants {
                if let Some(message) = flat(&variant) {
                    read += 1;
                    assert_eq!(Some(message), serde(&variant), "{}", String::from_utf8_lossy(&variant));
                }
            }
        }
        assert!(read > 1000, "{read} variants read in one pass");
    }
}
