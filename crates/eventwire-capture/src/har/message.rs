//! One element of a HAR entry's `_webSocketMessages`, and its layout: the usual ones are read in
//! one pass.

use eventwire::__private::TokenReader;
use serde::Deserialize;
use serde::de::IgnoredAny;

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
    /// When the browser saw it, in seconds (a number; anything else is left out).
    #[serde(default, deserialize_with = "number_or_nothing")]
    pub(super) time: Option<f64>,
}

/// A number as `f64`; any other JSON value as nothing (`time` only times replies).
fn number_or_nothing<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<f64>, D::Error> {
    Ok(serde_json::Value::deserialize(deserializer)?.as_f64())
}

impl Cut for WebSocketMessage {
    /// Most messages are an object of strings and numbers: the layout reads them in one pass,
    /// unescaping `data` once into a buffer of the right size. Any other is read by serde_json
    /// (which unescapes into a buffer that grows anew for every message, then copies it).
    fn from_slice(bytes: &[u8]) -> Option<Self> {
        by_layout(bytes).or_else(|| {
            let mut deserializer = serde_json::Deserializer::from_slice(bytes);
            let message = Self::deserialize(&mut deserializer).ok()?;
            deserializer.end().ok()?;
            Some(message)
        })
    }
}

/// The message `bytes` holds, when [`WebSocketMessage::read`] reads it.
fn by_layout(bytes: &[u8]) -> Option<WebSocketMessage> {
    TokenReader::read_whole(std::str::from_utf8(bytes).ok()?, WebSocketMessage::read)
}

/// An object whose members are strings, numbers, `true`, `false` or `null`, with keys free of
/// escapes; the layout gives up on anything else, and on anything serde_json might read
/// another way or reject (a field given twice, a string or number it leaves to serde_json).
impl WebSocketMessage {
    fn read(reader: &mut TokenReader<'_>) -> Option<Self> {
        let mut message = WebSocketMessage { kind: None, opcode: None, data: None, time: None };
        let (mut kind, mut opcode, mut data, mut time) = (false, false, false, false);
        reader.members(|reader, key| {
            match key {
                "type" if !std::mem::replace(&mut kind, true) => message.kind = string_or_null(reader)?,
                "opcode" if !std::mem::replace(&mut opcode, true) => message.opcode = reader.scalar()?,
                "data" if !std::mem::replace(&mut data, true) => message.data = string_or_null(reader)?,
                "time" if !std::mem::replace(&mut time, true) => message.time = time_of(reader)?,
                // A field given twice, which serde rejects.
                "type" | "opcode" | "data" | "time" => return None,
                _ => skip_scalar(reader)?,
            }
            Some(())
        })?;
        Some(message)
    }
}

/// A member a message does not have: a scalar, checked as serde_json checks what it skips.
fn skip_scalar(reader: &mut TokenReader<'_>) -> Option<()> {
    // Most often `time`, a plain number.
    if reader.plain_number().is_some() {
        return Some(());
    }
    reader.scalar::<IgnoredAny>().map(drop)
}

/// `time`: a number as `f64`, any other scalar as nothing.
fn time_of(reader: &mut TokenReader<'_>) -> Option<Option<f64>> {
    if let Some(number) = reader.plain_number() {
        return Some(number.as_f64());
    }
    reader.scalar::<serde_json::Value>().map(|value| value.as_f64())
}

/// `null`, or a string.
fn string_or_null(reader: &mut TokenReader<'_>) -> Option<Option<String>> {
    if reader.literal("null") { Some(None) } else { reader.owned_string().map(Some) }
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

    /// The layout reads the usual messages, and a message it reads, however damaged,
    /// is one serde_json reads to the same fields.
    #[test]
    fn the_layout_reads_only_what_serde_json_reads_and_as_it_does() {
        for text in &MESSAGES[..6] {
            assert!(by_layout(text.as_bytes()).is_some(), "{text} is read by the layout");
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
                if let Some(message) = by_layout(&variant) {
                    read += 1;
                    assert_eq!(Some(message), serde(&variant), "{}", String::from_utf8_lossy(&variant));
                }
            }
        }
        assert!(read > 1000, "{read} variants read by the layout");
    }
}
