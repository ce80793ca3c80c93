//! The layout: a shortcut in front of the fast path for messages written the way
//! serde writes the types (keys in declaration order), compactly or with whitespace between
//! the tokens (as Python's `json.dumps` writes them).
//!
//! Such a message is read by matching its keys as literals, in order (keys in another order
//! one by one), and checking each value as its twin does, instead of handing every key to
//! serde to be scanned and dispatched. String values may hold escapes (Python escapes every
//! non-ASCII character by default); an escape serde might read another way gives up. Anything
//! else (an escaped key, a key twice, a missing required key, an unknown one, deep nesting, a
//! type without a layout) makes [`Layout::read`]
//! give up, and serde reads the message as before. So a layout only ever *accepts* a message,
//! and only one its twin accepts with the same twin value (and so the same facts);
//! `tests/agreement.rs` holds it to that.
//!
//! Scalars are not re-implemented: a number, enum or other one-token value is handed to the
//! twin's own `Deserialize` on just that token, so its rules (and serde_json's number parsing)
//! are the same code as on the whole message.

use std::borrow::Cow;

use serde::de::value::{BorrowedStrDeserializer, Error as ValueError};
use serde::de::{DeserializeOwned, IntoDeserializer};
use serde_json::Number;

use crate::scan::{stop_byte, string_end};
use crate::twin::{AnyStr, NonNullJsonTwin, SeenKeys, StrRule, StrTwin, StrictJsonTwin, StrictMapTwin, VecTwin};

/// Reads a twin from text in the layout. Implemented by the crate's own twins (the
/// derive writes most); the provided `read` gives up on everything, the answer for twins
/// without a layout of their own.
pub(crate) trait Layout: Sized {
    /// The value at `reader` when the text there has this twin's layout and the twin
    /// accepts it; `None` to leave the whole message to serde.
    fn read(reader: &mut TokenReader<'_>) -> Option<Self> {
        let _ = reader;
        None
    }
}

/// Reads a whole message as `T` when all of it has `T`'s layout.
pub(crate) fn read_message<T: Layout>(text: &str) -> Option<T> {
    TokenReader::read_whole(text, T::read)
}

/// A position in a message's text, moved forward by what [`Layout`] reads. Its public methods
/// read objects, literals, strings and scalars exactly as serde_json reads them, or give up.
pub struct TokenReader<'a> {
    text: &'a str,
    at: usize,
    /// How many objects and arrays the reader is in.
    depth: usize,
    /// The last string value read that had escapes, unescaped (allocated on the first one).
    scratch: String,
}

/// The deepest nesting a layout reads; deeper text is left to serde, which has a nesting limit
/// of its own (128) that the layout must never exceed.
const MAX_DEPTH: usize = 64;

impl<'a> TokenReader<'a> {
    /// What `read` reads from the start of `text`, when it reads all of it (whitespace aside).
    /// Other crates read JSON of other shapes with it (a HAR's WebSocket message).
    pub fn read_whole<T>(text: &'a str, read: impl FnOnce(&mut Self) -> Option<T>) -> Option<T> {
        let mut reader = TokenReader::new(text);
        let value = read(&mut reader)?;
        reader.skip_whitespace();
        (reader.at == text.len()).then_some(value)
    }

    fn new(text: &'a str) -> Self {
        TokenReader { text, at: 0, depth: 0, scratch: String::new() }
    }

    /// Where the next value starts (whitespace skipped).
    pub(crate) fn value_start(&mut self) -> usize {
        if self.rest().first().is_some_and(|&byte| is_whitespace(byte)) {
            self.skip_whitespace();
        }
        self.at
    }

    /// How far the reader has read.
    pub(crate) fn position(&self) -> usize {
        self.at
    }

    fn rest(&self) -> &'a [u8] {
        &self.text.as_bytes()[self.at..]
    }

    /// Steps over JSON whitespace, which may come before any token, as serde_json allows it.
    /// Every reader looks for its token first where it is in compact text, and skips
    /// whitespace only when it is not there.
    #[inline(never)]
    fn skip_whitespace(&mut self) {
        while self.rest().first().is_some_and(|&byte| is_whitespace(byte)) {
            self.at += 1;
        }
    }

    /// Steps over `byte` if it comes next.
    #[inline(always)]
    pub(crate) fn byte(&mut self, byte: u8) -> Option<()> {
        if self.rest().first() != Some(&byte) {
            self.skip_whitespace();
            if self.rest().first() != Some(&byte) {
                return None;
            }
        }
        self.at += 1;
        Some(())
    }

    /// The next token's first byte.
    #[inline]
    pub(crate) fn peek(&mut self) -> Option<u8> {
        match self.rest().first() {
            Some(&byte) if !is_whitespace(byte) => Some(byte),
            _ => {
                self.skip_whitespace();
                self.rest().first().copied()
            }
        }
    }

    /// Steps into an object or array, `bracket` being `{` or `[`.
    pub(crate) fn open(&mut self, bracket: u8) -> Option<()> {
        if self.depth == MAX_DEPTH {
            return None;
        }
        self.byte(bracket)?;
        self.depth += 1;
        Some(())
    }

    /// Steps out of an object or array, `bracket` being `}` or `]`.
    pub(crate) fn close(&mut self, bracket: u8) -> Option<()> {
        self.byte(bracket)?;
        self.depth -= 1;
        Some(())
    }

    /// Reads an object: each member's key is handed to `member`, which reads the value (and
    /// gives up on a key it does not take). Keys with escapes give up.
    pub fn members(&mut self, member: impl FnMut(&mut Self, &'a str) -> Option<()>) -> Option<()> {
        self.open(b'{')?;
        if self.peek() != Some(b'}') {
            self.more_members(true, member)?;
        }
        self.close(b'}')
    }

    /// Reads an object's members from here to its end (not consumed), after a comma unless
    /// the next member is the `first`.
    pub(crate) fn more_members(
        &mut self,
        first: bool,
        mut member: impl FnMut(&mut Self, &'a str) -> Option<()>,
    ) -> Option<()> {
        if !first {
            self.byte(b',')?;
        }
        loop {
            let key = self.plain_string()?;
            self.byte(b':')?;
            member(self, key)?;
            if self.byte(b',').is_none() {
                return Some(());
            }
        }
    }

    /// Reads an object whose keys are not known in advance, giving up on a key seen before, as
    /// the twins of open objects reject it.
    pub(crate) fn unique_members(&mut self, mut member: impl FnMut(&mut Self, &'a str) -> Option<()>) -> Option<()> {
        let mut seen = SeenKeys::default();
        self.members(|reader, key| {
            seen.insert::<ValueError>(Cow::Borrowed(key)).ok()?;
            member(reader, key)
        })
    }

    /// Steps over `literal` (such as `null`) if it comes next. Always inlined, as
    /// [`TokenReader::key`] is.
    #[inline(always)]
    pub fn literal(&mut self, literal: &str) -> bool {
        if !self.rest().starts_with(literal.as_bytes()) {
            self.skip_whitespace();
        }
        let found = self.rest().starts_with(literal.as_bytes());
        if found {
            self.at += literal.len();
        }
        found
    }

    /// Steps over an object member's key and colon, `key` (written with its quotes), if it
    /// comes next, after a comma unless it is the object's `first` member.
    // Always inlined: each struct's layout calls it with its own literal keys, and a compare
    // of known length is a few instructions where a call to `memcmp` is many.
    #[inline(always)]
    pub(crate) fn key(&mut self, first: &mut bool, key: &str) -> bool {
        let before = self.at;
        let found = (*first || self.byte(b',').is_some()) && self.literal(key) && self.byte(b':').is_some();
        if found {
            *first = false;
        } else {
            self.at = before;
        }
        found
    }

    /// A string without escapes or control characters (serde reads any other), without its
    /// quotes: how keys are read.
    pub(crate) fn plain_string(&mut self) -> Option<&'a str> {
        self.byte(b'"')?;
        self.plain_string_rest()
    }

    /// [`TokenReader::plain_string`] after the opening quote; the reader stays where it is when
    /// the string is not plain. Always inlined: it is on the path of every key and string.
    #[inline(always)]
    fn plain_string_rest(&mut self) -> Option<&'a str> {
        let start = self.at;
        let length = string_end(self.rest())?;
        self.at += length + 1;
        // Both ends are next to an ASCII quote, so both are character boundaries.
        self.text.get(start..start + length)
    }

    /// A string value without its quotes: the text itself when it has no escape, else its
    /// value unescaped as serde_json unescapes it. Gives up on a control character, and on an
    /// escape serde_json rejects or reads in a mode of its own (a lone surrogate).
    pub(crate) fn string(&mut self) -> Option<&str> {
        self.byte(b'"')?;
        let start = self.at;
        match self.plain_string_rest() {
            Some(text) => Some(text),
            None => self.escaped_string(start),
        }
    }

    /// A string value as an owned `String`: what [`TokenReader::string`] reads, an escaped one
    /// unescaped straight into a `String` of room enough (the rest of the text) rather than
    /// into the scratch string and copied.
    pub fn owned_string(&mut self) -> Option<String> {
        self.byte(b'"')?;
        let start = self.at;
        if let Some(text) = self.plain_string_rest() {
            return Some(text.to_owned());
        }
        let mut value = String::with_capacity(self.text.len() - start);
        self.at = unescape_into(self.text, start, &mut value)?;
        Some(value)
    }

    /// The rest of [`TokenReader::string`], for a string with a stop byte that is not its end.
    #[inline(never)]
    fn escaped_string(&mut self, start: usize) -> Option<&str> {
        self.scratch.clear();
        self.at = unescape_into(self.text, start, &mut self.scratch)?;
        Some(&self.scratch)
    }

    /// A number written the plain way (digits, maybe a fraction, at most 15 digits in all, no
    /// sign or exponent) as serde_json reads it: an integer as a `u64`, anything else as the
    /// nearest `f64`. Any other number is left to [`TokenReader::scalar`].
    pub fn plain_number(&mut self) -> Option<Number> {
        if !self.rest().first().is_some_and(u8::is_ascii_digit) {
            self.skip_whitespace();
        }
        let (number, length) = plain_number(self.rest())?;
        self.at += length;
        Some(number)
    }

    /// One scalar token (a string, a number, `true`, `false` or `null`) read by `T`'s own
    /// `Deserialize`, so with exactly its rules.
    pub fn scalar<T: DeserializeOwned>(&mut self) -> Option<T> {
        self.skip_whitespace();
        let start = self.at;
        if self.rest().first() == Some(&b'"') {
            self.string()?;
        } else {
            let length = self.rest().iter().take_while(|&&byte| is_scalar_byte(byte)).count();
            if length == 0 {
                return None;
            }
            self.at += length;
        }
        serde_json::from_str(&self.text[start..self.at]).ok()
    }
}

/// Appends the value of the string of `text` that goes on at `at` (after its opening quote) to
/// `into`; returns where it ends, after its closing quote.
fn unescape_into(text: &str, mut at: usize, into: &mut String) -> Option<usize> {
    let bytes = text.as_bytes();
    loop {
        let stop = at + stop_byte(bytes.get(at..)?)?;
        // `at` follows a quote or an escape, `stop` is an ASCII byte: both are boundaries.
        into.push_str(text.get(at..stop)?);
        match bytes[stop] {
            b'"' => return Some(stop + 1),
            b'\\' => {
                let (character, length) = unescape(&bytes[stop + 1..])?;
                into.push(character);
                at = stop + 1 + length;
            }
            _ => return None,
        }
    }
}

/// The number at the start of `bytes` and its length, if it is written the plain way.
///
/// serde_json reads such an integer as a `u64`. It reads a fraction as the digits' value
/// (exact, being below 2^53) divided by a power of ten (exact, being at most 10^15): one
/// division, which IEEE 754 rounds to the nearest `f64`. With `float_roundtrip` serde_json
/// computes the nearest `f64` to the decimal another way, which is the same number. The layout
/// tests check this against serde_json.
fn plain_number(bytes: &[u8]) -> Option<(Number, usize)> {
    const MAX_DIGITS: usize = 15;
    const POWERS_OF_TEN: [f64; MAX_DIGITS + 1] =
        [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];
    let (mut significand, mut digits, mut at) = (0u64, 0, 0);
    let mut take_digits = |at: &mut usize| {
        while let Some(&digit @ b'0'..=b'9') = bytes.get(*at) {
            if digits == MAX_DIGITS {
                return None;
            }
            significand = significand * 10 + u64::from(digit - b'0');
            digits += 1;
            *at += 1;
        }
        Some(())
    };
    take_digits(&mut at)?;
    let integer_digits = at;
    if integer_digits == 0 || (integer_digits > 1 && bytes[0] == b'0') {
        return None;
    }
    let fraction_digits = if bytes.get(at) == Some(&b'.') {
        at += 1;
        take_digits(&mut at)?;
        at - integer_digits - 1
    } else {
        0
    };
    let fraction_without_digits = at == integer_digits + 1;
    if fraction_without_digits || bytes.get(at).is_some_and(|&byte| is_scalar_byte(byte)) {
        return None;
    }
    let number = if at == integer_digits {
        Number::from(significand)
    } else {
        Number::from_f64(significand as f64 / POWERS_OF_TEN[fraction_digits])?
    };
    Some((number, at))
}

/// The character an escape stands for (`bytes` follows its backslash) and the escape's length
/// after the backslash. Only what serde_json reads as the same character is taken: the short
/// escapes, `\u` of a character, and `\u` pairs of surrogates; a lone surrogate (which serde
/// rejects or keeps, depending on the target) and anything malformed give up.
fn unescape(bytes: &[u8]) -> Option<(char, usize)> {
    let short = match bytes.first()? {
        b'"' => '"',
        b'\\' => '\\',
        b'/' => '/',
        b'b' => '\u{8}',
        b'f' => '\u{c}',
        b'n' => '\n',
        b'r' => '\r',
        b't' => '\t',
        b'u' => return unicode_escape(bytes),
        _ => return None,
    };
    Some((short, 1))
}

/// `\u` escapes: `bytes` starts at the `u`.
fn unicode_escape(bytes: &[u8]) -> Option<(char, usize)> {
    let unit = hex_unit(bytes.get(1..5)?)?;
    match unit {
        0xD800..=0xDBFF => {
            if bytes.get(5..7)? != b"\\u" {
                return None;
            }
            let low = hex_unit(bytes.get(7..11)?)?;
            if !(0xDC00..=0xDFFF).contains(&low) {
                return None;
            }
            char::from_u32(0x1_0000 + ((unit - 0xD800) << 10) + (low - 0xDC00)).map(|character| (character, 11))
        }
        _ => char::from_u32(unit).map(|character| (character, 5)),
    }
}

/// Four hexadecimal digits, either case.
fn hex_unit(digits: &[u8]) -> Option<u32> {
    digits.iter().try_fold(0, |unit, &digit| Some(unit * 16 + char::from(digit).to_digit(16)?))
}

/// JSON's whitespace, as serde_json skips it.
fn is_whitespace(byte: u8) -> bool {
    matches!(byte, b' ' | b'\n' | b'\t' | b'\r')
}

/// The bytes of numbers and of `true`, `false` and `null` (serde judges which make a token).
fn is_scalar_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'+' | b'.')
}

impl Layout for bool {
    fn read(reader: &mut TokenReader<'_>) -> Option<Self> {
        if reader.literal("true") { Some(true) } else { reader.literal("false").then_some(false) }
    }
}

impl Layout for crate::primitives::Count {
    fn read(reader: &mut TokenReader<'_>) -> Option<Self> {
        reader.scalar()
    }
}

impl<const V: bool> Layout for crate::primitives::Flag<V> {
    fn read(reader: &mut TokenReader<'_>) -> Option<Self> {
        (bool::read(reader)? == V).then_some(crate::primitives::Flag)
    }
}

/// `null` is `None` whatever `T` is, as serde's `Option` reads it.
impl<T: Layout> Layout for Option<T> {
    fn read(reader: &mut TokenReader<'_>) -> Option<Self> {
        if reader.literal("null") { Some(None) } else { T::read(reader).map(Some) }
    }
}

impl<T: StrRule> Layout for StrTwin<T> {
    fn read(reader: &mut TokenReader<'_>) -> Option<Self> {
        T::check(reader.string()?).ok().map(|()| StrTwin::new())
    }
}

impl<V: Layout> Layout for VecTwin<V> {
    fn read(reader: &mut TokenReader<'_>) -> Option<Self> {
        reader.open(b'[')?;
        if reader.peek() != Some(b']') {
            loop {
                V::read(reader)?;
                if reader.byte(b',').is_none() {
                    break;
                }
            }
        }
        reader.close(b']')?;
        Some(VecTwin::new())
    }
}

/// Each key checked as `K` (as the twin's `CheckedKey` does) and against the keys before it.
impl<K: DeserializeOwned, V: Layout> Layout for StrictMapTwin<K, V> {
    fn read(reader: &mut TokenReader<'_>) -> Option<Self> {
        let mut seen = SeenKeys::default();
        reader.members(|reader, key| Self::read_leftover(&mut seen, reader, key))?;
        Some(StrictMapTwin::new())
    }
}

/// The twin of a `#[serde(flatten)]` field: the members no other field of its struct takes.
pub(crate) trait Leftovers: Sized {
    /// Reads the value of the member `key`, which `seen` holds the keys of the members read
    /// here before.
    fn read_leftover<'a>(seen: &mut SeenKeys<'a>, reader: &mut TokenReader<'a>, key: &'a str) -> Option<()>;

    /// The twin, once every member is read.
    fn leftovers() -> Self;
}

/// serde hands a flattened map the members no field took, and the map's twin checks them as
/// it checks its own members: each key as `K`, each value as `V`, no key twice.
impl<K: DeserializeOwned, V: Layout> Leftovers for StrictMapTwin<K, V> {
    fn read_leftover<'a>(seen: &mut SeenKeys<'a>, reader: &mut TokenReader<'a>, key: &'a str) -> Option<()> {
        seen.insert::<ValueError>(Cow::Borrowed(key)).ok()?;
        K::deserialize(IntoDeserializer::<ValueError>::into_deserializer(key)).ok()?;
        V::read(reader).map(drop)
    }

    fn leftovers() -> Self {
        StrictMapTwin::new()
    }
}

/// Any JSON value, as [`StrictJsonTwin`]'s visitor takes it: a number is finite whenever serde_json
/// reads it at all, and an object's keys are any strings, each once.
impl Layout for StrictJsonTwin {
    fn read(reader: &mut TokenReader<'_>) -> Option<Self> {
        match reader.peek()? {
            b'{' => StrictMapTwin::<AnyStr, StrictJsonTwin>::read(reader).map(drop)?,
            b'[' => VecTwin::<StrictJsonTwin>::read(reader).map(drop)?,
            b'"' => reader.string().map(drop)?,
            b't' | b'f' => bool::read(reader).map(drop)?,
            b'n' => reader.literal("null").then_some(())?,
            _ => match reader.plain_number() {
                Some(_) => (),
                None => return reader.scalar(),
            },
        }
        Some(StrictJsonTwin)
    }
}

impl Layout for NonNullJsonTwin {
    fn read(reader: &mut TokenReader<'_>) -> Option<Self> {
        if reader.peek()? == b'n' {
            return None;
        }
        StrictJsonTwin::read(reader).map(|_| NonNullJsonTwin)
    }
}

impl<T: Layout> Layout for crate::primitives::Present<T> {
    fn read(reader: &mut TokenReader<'_>) -> Option<Self> {
        T::read(reader).map(|value| crate::primitives::Present(Some(value)))
    }
}

/// Reads an enum of unit variants from a plain string, by the enum's own `Deserialize` (as
/// serde_json hands it a unit variant's name).
pub(crate) fn unit_variant<T: DeserializeOwned>(reader: &mut TokenReader<'_>) -> Option<T> {
    let name = reader.string()?;
    T::deserialize(BorrowedStrDeserializer::<ValueError>::new(name)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_hand_each_key_to_the_reader() {
        let compact = r#"{"a":1.5,"b":"x","c":true,"d":[],"e":{}}"#;
        let spaced = "{ \"a\" : 1.5 ,\n\t\"b\": \"x\", \"c\":true\r\n,\"d\":[ ],\"e\":{ } } ";
        for text in [compact, spaced] {
            let mut reader = TokenReader::new(text);
            let mut read = Vec::new();
            reader
                .members(|reader, key| {
                    read.push(key);
                    match key {
                        "a" => (reader.scalar::<f64>()? == 1.5).then_some(()),
                        "b" => (reader.plain_string()? == "x").then_some(()),
                        "c" => bool::read(reader)?.then_some(()),
                        "d" => VecTwin::<bool>::read(reader).map(drop),
                        _ => StrictJsonTwin::read(reader).map(drop),
                    }
                })
                .unwrap();
            assert_eq!(read, ["a", "b", "c", "d", "e"], "{text}");
            reader.skip_whitespace();
            assert_eq!((reader.at, reader.depth), (text.len(), 0), "{text}");
        }
    }

    #[test]
    fn a_key_that_does_not_match_leaves_the_cursor_where_it_was() {
        let text = r#"{"a":1 , "b":2}"#;
        let mut reader = TokenReader::new(text);
        let mut first = true;
        reader.open(b'{').unwrap();
        assert!(!reader.key(&mut first, r#""b""#), "not the first member");
        assert!(reader.key(&mut first, r#""a""#));
        assert_eq!(reader.plain_number(), Some(Number::from(1u64)));
        let before = reader.at;
        assert!(!reader.key(&mut first, r#""c""#));
        assert_eq!(reader.at, before);
        assert!(reader.key(&mut first, r#""b""#));
    }

    #[test]
    fn open_objects_give_up_on_a_key_seen_before_and_on_deep_nesting() {
        let read = |text: &str| read_message::<StrictJsonTwin>(text).is_some();
        assert!(read(r#"{"a":1,"b":{"a":2}}"#));
        assert!(!read(r#"{"a":1,"b":2,"a":3}"#));
        let deep = |depth: usize| format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        assert!(read(&deep(MAX_DEPTH)));
        assert!(!read(&deep(MAX_DEPTH + 1)));
    }

    #[test]
    fn keys_with_escapes_or_control_characters_are_left_to_serde() {
        for text in [r#""a\"b""#, r#""a\u0041""#, "\"a\tb\"", "\"open"] {
            assert_eq!(TokenReader::new(text).plain_string(), None, "{text}");
        }
        assert_eq!(TokenReader::new(r#""ok""#).plain_string(), Some("ok"));
    }

    /// `string` against serde_json on every string of up to three pieces: plain text, each
    /// short escape, `\u` escapes of either case, surrogate pairs, and what it must leave to
    /// serde (lone surrogates, bad escapes, raw control characters, no closing quote).
    #[test]
    fn string_values_are_unescaped_as_serde_json_unescapes_them() {
        const READ: [&str; 16] = [
            "a",
            "é",
            "😀",
            " ",
            r#"\""#,
            r"\\",
            r"\/",
            r"\b",
            r"\f",
            r"\n",
            r"\r",
            r"\t",
            r"\u0041",
            r"\u00E9",
            r"\ud83d\uDE00",
            r"\u20ac",
        ];
        const LEFT: [&str; 9] =
            [r"\ud83d", r"\uDE00", r"\ud83d\u0041", r"\u12", r"\u00g1", r"\x", r"\U0041", "\t", "\u{1f}"];
        let pieces = READ.iter().map(|piece| (piece, true)).chain(LEFT.iter().map(|piece| (piece, false)));
        let pieces: Vec<_> = pieces.collect();
        let mut strings = vec![(String::new(), true)];
        for _ in 0..3 {
            let longer: Vec<_> = strings
                .iter()
                .flat_map(|(text, read)| pieces.iter().map(move |(piece, ok)| (format!("{text}{piece}"), *read && *ok)))
                .collect();
            strings.extend(longer);
        }
        for (body, read) in strings {
            for text in [format!("\"{body}\""), format!("\"{body}")] {
                let closed = text.len() > body.len() + 1;
                let mut reader = TokenReader::new(&text);
                let value = reader.string().map(str::to_owned);
                let serde = serde_json::from_str::<String>(&text).ok();
                if read && closed {
                    assert_eq!(value, Some(serde.unwrap()), "{text}");
                    assert_eq!(reader.at, text.len(), "{text}");
                } else if value.is_some() {
                    // Two pieces left to serde can make one it reads (two halves of a pair).
                    assert_eq!(value, serde, "{text}");
                    assert_eq!(reader.at, text.len(), "{text}");
                }
                let followed = if closed { format!("{text},\"b\"") } else { text.clone() };
                let mut owned = TokenReader::new(&followed);
                assert_eq!(owned.owned_string(), value, "{text}: `owned_string` reads as `string` does");
                if value.is_some() {
                    assert_eq!(owned.at, text.len(), "{text}");
                }
            }
        }
    }

    /// `plain_number` against serde_json (through `deserialize_number`, as the bounded
    /// numbers read) on plain numbers of every length, with digits from a fixed pseudo-random
    /// sequence, and on tokens it must leave to serde.
    #[test]
    fn plain_numbers_are_the_numbers_serde_json_reads() {
        let serde = |token: &str| {
            crate::primitives::deserialize_number(&mut serde_json::Deserializer::from_str(token), "a number").ok()
        };
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut digit = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            char::from(b'0' + (state % 10) as u8)
        };
        for _ in 0..2_000 {
            for integer in 1..=15 {
                for fraction in 0..=15 - integer {
                    let mut token: String = (0..integer).map(|_| digit()).collect();
                    if token.len() > 1 && token.starts_with('0') {
                        token.replace_range(..1, "1");
                    }
                    if fraction > 0 {
                        token.push('.');
                        token.extend((0..fraction).map(|_| digit()));
                    }
                    let (number, length) = plain_number(token.as_bytes()).expect(&token);
                    assert_eq!(length, token.len());
                    let expected = serde(&token).expect(&token);
                    assert_eq!(number, expected, "{token}");
                    assert_eq!(number.as_f64().map(f64::to_bits), expected.as_f64().map(f64::to_bits), "{token}");
                }
            }
        }
        for token in ["-1", "01", "1.", ".5", "1e5", "1.5E2", "1234567890123456", "0.1234567890123456", "1x"] {
            assert_eq!(plain_number(token.as_bytes()), None, "{token}");
        }
        assert_eq!(plain_number(b"0.5,").map(|(_, length)| length), Some(3));
        assert_eq!(plain_number(b"7}").map(|(_, length)| length), Some(1));
    }

    #[test]
    fn scalars_keep_serde_s_rules() {
        let read = |text: &str| TokenReader::new(text).scalar::<f64>();
        assert_eq!(read("1e400"), None, "out of range for serde_json");
        assert_eq!(read("01"), None, "a leading zero");
        assert_eq!(read("-0.5e-3"), Some(-0.0005));
        assert_eq!(read("nan"), None);
    }
}
