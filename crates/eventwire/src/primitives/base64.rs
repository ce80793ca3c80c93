//! Canonical, padded, standard base64, and the audio and JPEG payloads carried in it.

use std::fmt;

use serde::de;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[cfg(feature = "arbitrary")]
use proptest::prelude::*;

use super::*;

const B64: &str = "[A-Za-z0-9+/]";
/// Last data character before `==`: its low 4 bits must be zero (canonical encoding).
const B64_PAD2: &str = "[AQgw]";
/// Last data character before `=`: its low 2 bits must be zero (canonical encoding).
const B64_PAD1: &str = "[AEIMQUYcgkosw048]";

/// Canonical padded standard base64 (RFC 4648 §4), possibly empty.
pub fn base64_pattern() -> String {
    format!("^(?:{B64}{{4}})*(?:{B64}{B64_PAD2}==|{B64}{{2}}{B64_PAD1}=)?$")
}

/// Canonical base64 of a whole number of 4-byte samples: 16 characters carry 12 bytes, and the
/// only tails that keep the byte count a multiple of 4 are 4 bytes (8 chars) and 8 bytes (12).
pub fn audio_base64_pattern() -> String {
    format!("^(?:{B64}{{16}})*(?:{B64}{{5}}{B64_PAD2}==|{B64}{{10}}{B64_PAD1}=)?$")
}

/// Canonical base64 of a JPEG (first bytes `FF D8 FF`, which encode as `/9j/`), optionally behind
/// a browser data-URL prefix.
pub fn jpeg_base64_pattern() -> String {
    format!("^(?:{JPEG_DATA_URL_PREFIX})?/9j/(?:{B64}{{4}})*(?:{B64}{B64_PAD2}==|{B64}{{2}}{B64_PAD1}=)?$")
}

/// The browser data-URL prefix accepted in front of a base64 JPEG.
pub const JPEG_DATA_URL_PREFIX: &str = "data:image/jpeg;base64,";

fn base64_value(c: u8) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// Checks canonical padded standard base64 without decoding it; returns the decoded length.
pub fn check_base64(text: &str) -> Result<usize, InvalidValue> {
    canonical_base64_len(text.as_bytes()).map_or_else(|| explain_base64(text), Ok)
}

/// Whether `byte` is in the standard base64 alphabet. Written without branches or tables so
/// that the compiler checks many bytes per instruction.
#[inline(always)]
fn in_alphabet(byte: u8) -> bool {
    (byte.wrapping_sub(b'A') < 26)
        | (byte.wrapping_sub(b'a') < 26)
        | (byte.wrapping_sub(b'0') < 10)
        | (byte == b'+')
        | (byte == b'/')
}

/// The decoded length of canonical padded base64, or `None` when it is not: the fast check
/// that runs on every media payload (most of a capture's bytes).
fn canonical_base64_len(bytes: &[u8]) -> Option<usize> {
    if bytes.len() % 4 != 0 {
        return None;
    }
    let Some((&[a, b, c, d], body)) = bytes.split_last_chunk::<4>().map(|(body, last)| (last, body)) else {
        return Some(0);
    };
    let mut chunks = body.chunks_exact(64);
    for chunk in &mut chunks {
        if !chunk.iter().fold(true, |all, &byte| all & in_alphabet(byte)) {
            return None;
        }
    }
    if !chunks.remainder().iter().all(|&byte| in_alphabet(byte)) {
        return None;
    }
    let padding = match (c, d) {
        (b'=', b'=') => 2,
        (_, b'=') if in_alphabet(c) => 1,
        _ if in_alphabet(c) && in_alphabet(d) => 0,
        _ => return None,
    };
    let last_data = [d, c, b][padding];
    let unused_bits_mask = [0, 0b11, 0b1111][padding];
    let canonical = in_alphabet(a) && in_alphabet(b) && base64_value(last_data)? & unused_bits_mask == 0;
    canonical.then_some(bytes.len() / 4 * 3 - padding)
}

/// Says why `text` is not canonical padded base64 (the fast check found that it is not).
#[cold]
fn explain_base64(text: &str) -> Result<usize, InvalidValue> {
    let bytes = text.as_bytes();
    let invalid = |why: String| Err(InvalidValue(format!("invalid base64: {why}")));
    if let Some(at) = bytes.iter().position(|&c| base64_value(c).is_none() && c != b'=') {
        let c = text[at..].chars().next().unwrap_or('?');
        return match c {
            '-' | '_' => {
                invalid(format!("URL-safe character {c:?} at offset {at}; use the standard alphabet (+ and /)"))
            }
            c if c.is_whitespace() => {
                invalid(format!("whitespace at offset {at}; base64 here has no line breaks or spaces"))
            }
            c => invalid(format!("character {c:?} at offset {at} is not in the base64 alphabet")),
        };
    }
    if bytes.len() % 4 != 0 {
        return invalid(format!("length {} is not a multiple of 4 (missing `=` padding or truncated)", bytes.len()));
    }
    let padding = bytes.iter().rev().take_while(|&&c| c == b'=').count();
    if padding > 2 || bytes[..bytes.len() - padding].contains(&b'=') {
        return invalid("`=` may only appear as one or two padding characters at the end".into());
    }
    let last_data = bytes.len().checked_sub(padding + 1).map(|i| base64_value(bytes[i]).unwrap_or(0));
    let unused_bits_mask = match padding {
        2 => 0b1111,
        1 => 0b11,
        _ => 0,
    };
    if last_data.is_some_and(|v| v & unused_bits_mask != 0) {
        return invalid("non-canonical encoding (unused bits in the last character are not zero)".into());
    }
    Ok(bytes.len() / 4 * 3 - padding)
}

fn check_base64_non_empty(text: &str) -> Result<(), InvalidValue> {
    match check_base64(text)? {
        0 => Err(InvalidValue("invalid base64: empty payload".into())),
        _ => Ok(()),
    }
}

fn check_audio_base64(text: &str) -> Result<(), InvalidValue> {
    match check_base64(text)? {
        0 => Err(InvalidValue("audio payload is empty".into())),
        n if n % 4 != 0 => Err(InvalidValue(format!(
            "audio payload is {n} bytes, not a whole number of Float32 samples (a multiple of 4)"
        ))),
        _ => Ok(()),
    }
}

fn check_jpeg_base64(text: &str) -> Result<(), InvalidValue> {
    let data = text.strip_prefix(JPEG_DATA_URL_PREFIX).unwrap_or(text);
    if data.starts_with("data:") {
        let prefix = data.split(',').next().unwrap_or(data);
        return Err(InvalidValue(format!(
            "only the data URL prefix `{JPEG_DATA_URL_PREFIX}` is accepted, found `{prefix},`"
        )));
    }
    check_base64(data)?;
    if !data.starts_with("/9j/") {
        return Err(InvalidValue("video frame is not a JPEG (decoded data does not start with FF D8 FF)".into()));
    }
    Ok(())
}

fn decode_standard(text: &str) -> Vec<u8> {
    use ::base64::Engine as _;
    // The text was checked when the value was built, so decoding cannot fail.
    ::base64::engine::general_purpose::STANDARD.decode(text).unwrap_or_default()
}

#[cfg(feature = "arbitrary")]
fn encode_standard(bytes: &[u8]) -> String {
    use ::base64::Engine as _;
    ::base64::engine::general_purpose::STANDARD.encode(bytes)
}

checked_string!(
    /// Binary data as canonical, padded, standard base64 (RFC 4648), non-empty. Decoded on demand
    /// with [`Base64::decode`].
    Base64,
    check = check_base64_non_empty,
    schema = {
        "type": "string",
        "minLength": 4,
        "pattern": base64_pattern(),
        "contentEncoding": "base64",
        "description": "Non-empty canonical standard base64 with padding."
    },
    arbitrary = prop::collection::vec(any::<u8>(), 1..48).prop_map(|b| encode_standard(&b))
);

impl Base64 {
    /// The decoded bytes.
    pub fn decode(&self) -> Vec<u8> {
        decode_standard(&self.0)
    }
}

checked_string!(
    /// Audio as canonical base64 of little-endian Float32 samples: non-empty and a whole number of
    /// 4-byte samples. Recommended: 22050 Hz, chunks of about 1024 or 2048 samples.
    AudioBase64,
    check = check_audio_base64,
    schema = {
        "type": "string",
        "minLength": 8,
        "pattern": audio_base64_pattern(),
        "contentEncoding": "base64",
        "contentMediaType": "application/octet-stream",
        "description": "Canonical base64 of little-endian Float32 samples (non-empty, a multiple of 4 bytes)."
    },
    arbitrary = prop::collection::vec(any::<f32>(), 1..24)
        .prop_map(|samples| encode_standard(&samples.iter().flat_map(|s| s.to_le_bytes()).collect::<Vec<_>>()))
);

impl AudioBase64 {
    /// Decodes the samples.
    pub fn samples(&self) -> Vec<f32> {
        decode_standard(&self.0).chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()
    }
}

checked_string!(
    /// A JPEG image as canonical base64 (it starts with the marker `FF D8 FF`), optionally behind
    /// the browser data-URL prefix `data:image/jpeg;base64,`.
    JpegBase64,
    check = check_jpeg_base64,
    schema = {
        "type": "string",
        "pattern": jpeg_base64_pattern(),
        "contentEncoding": "base64",
        "contentMediaType": "image/jpeg",
        "description": "A JPEG as canonical base64 (starts with FF D8 FF), optionally prefixed by data:image/jpeg;base64,"
    },
    arbitrary = (any::<bool>(), prop::collection::vec(any::<u8>(), 0..32)).prop_map(|(prefixed, tail)| {
        let mut bytes = vec![0xFF, 0xD8, 0xFF];
        bytes.extend(tail);
        let prefix = if prefixed { JPEG_DATA_URL_PREFIX } else { "" };
        format!("{prefix}{}", encode_standard(&bytes))
    })
);

impl JpegBase64 {
    /// The JPEG bytes (the data-URL prefix, if any, removed).
    pub fn decode(&self) -> Vec<u8> {
        decode_standard(self.0.strip_prefix(JPEG_DATA_URL_PREFIX).unwrap_or(&self.0))
    }
}
