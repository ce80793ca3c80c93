//! The byte stream under the HAR reader. serde_json reads a stream one byte at a time, through
//! this reader; that was nine tenths of a HAR's time. So the splitter follows the HAR's
//! structure, cuts each value the reader takes whole (a WebSocket message, `request`, a member
//! it skips) out of the stream ahead of serde_json, and offers it to the reader, which parses it
//! from a slice. When the reader takes the offer, serde_json is handed a two-byte stand-in
//! (`{}`, `[]` or `""`) in its place; otherwise the value's own bytes follow. The whitespace
//! before a value cut out is left out either way.
//!
//! Nothing here decides an answer: a value is only taken when it parses as what the reader
//! wants, and anything else (a value that does not parse, a value too long to cut, a structure
//! the splitter does not follow) reaches serde_json byte for byte, as it did before. Error
//! positions are mapped back from the stream serde_json saw to the file.

use std::cell::{Cell, RefCell};
use std::io::{self, BufRead, Read};
use std::marker::PhantomData;
use std::ops::Range;
use std::rc::Rc;

use serde::de::{self, DeserializeOwned, DeserializeSeed, IgnoredAny};

/// About the longest value other than a WebSocket message (which may be as long as the record
/// size cap) cut out of the stream, and the most whitespace read ahead (both are checked after
/// each read); anything longer reaches serde_json as it is.
const CUT_LIMIT: usize = 1024 * 1024;

/// What the splitter and the reader's visitors share: the size guard of the message being read,
/// and the value on offer.
#[derive(Default)]
pub(super) struct Shared {
    /// Bytes handed to serde_json.
    pub(super) consumed: Cell<u64>,
    /// Reading past this many consumed bytes fails (the record size cap).
    pub(super) limit: Cell<Option<u64>>,
    /// Whether the limit was hit.
    pub(super) tripped: Cell<bool>,
    offer: RefCell<Offer>,
    /// Where serde_json is, to map its error positions to the file.
    positions: Cell<Positions>,
    /// How its positions map to the file's.
    pub(super) history: RefCell<History>,
    /// How many values were taken whole (the tests check that the splitter does cut).
    pub(super) taken: Cell<usize>,
}

/// The bytes read ahead of serde_json: whitespace, then maybe a value cut out whole.
#[derive(Default)]
struct Offer {
    bytes: Vec<u8>,
    /// Where the cut value is in `bytes`.
    value: Range<usize>,
    state: OfferState,
}

#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
enum OfferState {
    /// No complete value was cut out.
    #[default]
    None,
    /// A value was cut out and nobody has answered yet.
    Open,
    /// The reader took it: serde_json gets the stand-in.
    Taken,
    /// The reader did not take it: serde_json gets its bytes.
    Declined,
}

impl Shared {
    /// The value on offer read as a `T`, when there is one and `T` takes it. Otherwise `None`,
    /// and serde_json reads the value from the stream with its own errors and positions.
    fn take<T: Cut>(&self) -> Option<T> {
        let mut offer = self.offer.borrow_mut();
        if offer.state != OfferState::Open {
            return None;
        }
        let parsed = T::from_slice(&offer.bytes[offer.value.clone()]);
        offer.state = if parsed.is_some() { OfferState::Taken } else { OfferState::Declined };
        self.taken.set(self.taken.get() + usize::from(parsed.is_some()));
        parsed
    }
}

/// What the reader takes whole: read from a slice when the splitter cut the value out.
pub(super) trait Cut: DeserializeOwned {
    /// `bytes` read as serde_json reads them from the stream; `None` when it might not (an
    /// error then comes from the stream, with serde_json's message and position).
    fn from_slice(bytes: &[u8]) -> Option<Self> {
        let mut deserializer = serde_json::Deserializer::from_slice(bytes);
        let value = Self::deserialize(&mut deserializer).ok()?;
        deserializer.end().ok()?;
        Some(value)
    }
}

impl Cut for IgnoredAny {}
impl Cut for Option<String> {}

/// Deserializes a `T` the splitter cut out, or else from the stream. Use it where the reader
/// takes a value whole.
pub(super) struct Whole<'s, T> {
    shared: &'s Shared,
    kind: PhantomData<T>,
}

impl<'s, T> Whole<'s, T> {
    pub(super) fn new(shared: &'s Shared) -> Self {
        Whole { shared, kind: PhantomData }
    }
}

impl<'de, T: Cut> DeserializeSeed<'de> for Whole<'_, T> {
    type Value = T;
    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<T, D::Error> {
        match self.shared.take::<T>() {
            Some(value) => {
                <IgnoredAny as de::Deserialize>::deserialize(deserializer)?;
                Ok(value)
            }
            None => T::deserialize(deserializer),
        }
    }
}

/// The containers of a HAR the reader walks into.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Frame {
    Root,
    Log,
    Entries,
    Entry,
    Messages,
}

impl Frame {
    fn is_object(self) -> bool {
        matches!(self, Frame::Root | Frame::Log | Frame::Entry)
    }

    fn opener(self) -> u8 {
        if self.is_object() { b'{' } else { b'[' }
    }

    fn closer(self) -> u8 {
        if self.is_object() { b'}' } else { b']' }
    }

    /// What the reader does with the value of `key` in this object.
    fn member(self, key: &str) -> Slot {
        match (self, key) {
            (Frame::Root, "log") => Slot::Walk(Frame::Log),
            (Frame::Log, "entries") => Slot::Walk(Frame::Entries),
            (Frame::Entry, "_webSocketMessages") => Slot::Walk(Frame::Messages),
            _ => Slot::Whole,
        }
    }

    /// What the reader does with an element of this array.
    fn element(self) -> Slot {
        if self == Frame::Entries { Slot::Walk(Frame::Entry) } else { Slot::Whole }
    }
}

/// What the reader does with the value about to start.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Slot {
    /// Walks into it when it is that container.
    Walk(Frame),
    /// Reads it whole (or skips it): it can be cut out.
    Whole,
}

/// Where the splitter is in the HAR's structure. It follows the JSON grammar only as far as it
/// needs to; on anything unexpected it is `Lost` and stops cutting (serde_json will reject the
/// input there, or earlier).
#[derive(Clone, Copy, Debug)]
enum State {
    /// Before a value; `closer` when `]` may come instead (an array's first element).
    Value {
        slot: Slot,
        closer: bool,
    },
    /// Inside a number or a literal.
    Scalar,
    /// Inside a string or a container it does not walk into.
    Nested(Matcher),
    /// After a value: `,` or the closer (at the top: only whitespace).
    AfterValue,
    /// Before a key; `closer` when `}` may come instead.
    Key {
        closer: bool,
    },
    /// Inside a key, whose bytes are in `key`; `escaped` after a backslash.
    InKey {
        escaped: bool,
    },
    /// After a key, before its `:`.
    Colon(Slot),
    Lost,
}

/// JSON's whitespace.
fn is_whitespace(byte: u8) -> bool {
    matches!(byte, b' ' | b'\n' | b'\r' | b'\t')
}

/// Finds where a string or a container ends, without checking what is inside: the reader's
/// parse does that.
#[derive(Clone, Copy, Debug)]
struct Matcher {
    /// Open brackets.
    depth: u32,
    in_string: bool,
    escaped: bool,
}

impl Matcher {
    /// A matcher past a value's first byte, `{`, `[` or `"`.
    fn after(first: u8) -> Self {
        if first == b'"' {
            Matcher { depth: 0, in_string: true, escaped: false }
        } else {
            Matcher { depth: 1, in_string: false, escaped: false }
        }
    }

    /// Reads `bytes`; returns how many of them the value still takes, when it ends in them.
    fn scan(&mut self, bytes: &[u8]) -> Option<usize> {
        let mut at = 0;
        while at < bytes.len() {
            if self.in_string {
                if self.escaped {
                    self.escaped = false;
                    at += 1;
                    continue;
                }
                let hit = at + quote_or_backslash(&bytes[at..])?;
                at = hit + 1;
                if bytes[hit] == b'\\' {
                    // The escaped byte is stepped over here when it is in `bytes`.
                    match bytes.get(at) {
                        Some(_) => at += 1,
                        None => self.escaped = true,
                    }
                } else {
                    self.in_string = false;
                    if self.depth == 0 {
                        return Some(at);
                    }
                }
                continue;
            }
            let byte = bytes[at];
            at += 1;
            match byte {
                b'"' => self.in_string = true,
                b'{' | b'[' => self.depth += 1,
                b'}' | b']' => {
                    self.depth = self.depth.saturating_sub(1);
                    if self.depth == 0 {
                        return Some(at);
                    }
                }
                _ => {}
            }
        }
        None
    }
}

/// The first quote or backslash in `bytes`. In a message's `data` (JSON in a JSON string) they
/// come every few bytes, where a call to `memchr2` costs more than looking eight bytes at a
/// time; in a long run without them (base64) `memchr2` is faster.
fn quote_or_backslash(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    // A byte of the word is zero: only the lowest byte flagged is sure, and only it is used.
    let zero_bytes = |word: u64| word.wrapping_sub(ONES) & !word & HIGHS;
    let mut at = 0;
    while let Some(chunk) = bytes.get(at..at + 8).filter(|_| at < 32) {
        let word = u64::from_le_bytes(chunk.try_into().ok()?);
        let found = zero_bytes(word ^ (ONES * u64::from(b'"'))) | zero_bytes(word ^ (ONES * u64::from(b'\\')));
        if found != 0 {
            return Some(at + (found.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    memchr::memchr2(b'"', b'\\', &bytes[at..]).map(|found| at + found)
}

/// Line and column (in bytes, from 0, as serde_json counts them) of the stream serde_json saw,
/// and how far the file is ahead of it where values were replaced by stand-ins and whitespace
/// was left out.
#[derive(Clone, Copy, Debug)]
pub(super) struct Positions {
    line: u64,
    column: u64,
    /// File line minus seen line.
    lines_ahead: u64,
    /// File column minus seen column, on the current seen line.
    columns_ahead: i64,
}

impl Default for Positions {
    fn default() -> Self {
        Positions { line: 1, column: 0, lines_ahead: 0, columns_ahead: 0 }
    }
}

impl Positions {
    fn advance(&mut self, byte: u8) {
        if byte == b'\n' {
            self.line += 1;
            self.column = 0;
            self.columns_ahead = 0;
        } else {
            self.column += 1;
        }
    }

    /// Accounts for `bytes` left out of the stream here.
    fn skipped(&mut self, bytes: &[u8]) {
        match memchr::memrchr(b'\n', bytes) {
            None => self.columns_ahead += bytes.len() as i64,
            Some(last) => {
                self.lines_ahead += memchr::memchr_iter(b'\n', bytes).count() as u64;
                self.columns_ahead = (bytes.len() - 1 - last) as i64 - self.column as i64;
            }
        }
    }

    /// Accounts for `value` (its first byte already counted) replaced by its last byte: what
    /// is between the two is left out.
    fn replaced(&mut self, value: &[u8]) {
        self.skipped(&value[1..value.len() - 1]);
        self.advance(value[value.len() - 1]);
    }

    /// Whether this is at or before `line`, `column`.
    fn not_after(&self, line: u64, column: u64) -> bool {
        (self.line, self.column) <= (line, column)
    }

    /// The file position of `line`, `column` of the seen stream, when the last change of the
    /// offsets before it was the one that left them as `self` has them.
    fn in_file(&self, line: u64, column: u64) -> (u64, u64) {
        let columns_ahead = if line == self.line { self.columns_ahead } else { 0 };
        (line + self.lines_ahead, (column as i64 + columns_ahead).max(0) as u64)
    }
}

/// The positions right after each of the last changes of the offsets (a stand-in, whitespace
/// left out). serde_json reports an error where it stopped reading, or a little before: on an
/// error inside a container it still reads on to the container's closer, and may read past a
/// comma to the next value's first byte, at each level. So an error is mapped with the offsets
/// as they were at its position, found here.
#[derive(Debug)]
pub(super) struct History {
    changes: std::collections::VecDeque<Positions>,
}

impl Default for History {
    fn default() -> Self {
        History { changes: std::iter::once(Positions::default()).collect() }
    }
}

impl History {
    /// More than serde_json can read past an error: two values' first bytes at each of the
    /// HAR's levels.
    const KEPT: usize = 32;

    fn record(&mut self, positions: Positions) {
        if self.changes.len() == Self::KEPT {
            self.changes.pop_front();
        }
        self.changes.push_back(positions);
    }

    /// The file position of a position serde_json reported.
    pub(super) fn in_file(&self, line: usize, column: usize) -> (u64, u64) {
        let (line, column) = (line as u64, column as u64);
        let change = self.changes.iter().rev().find(|change| change.not_after(line, column));
        change.or(self.changes.front()).map_or((line, column), |change| change.in_file(line, column))
    }
}

/// The reader serde_json reads the HAR through.
pub(super) struct Splitter<'r> {
    inner: &'r mut dyn BufRead,
    /// Bytes taken from `inner` in blocks and not yet handed on or cut out.
    block: Box<[u8]>,
    unread: Range<usize>,
    shared: Rc<Shared>,
    /// The record size cap.
    cap: u64,
    cutting: bool,
    /// How far `shared.offer.bytes` has been handed on.
    ahead_at: usize,
    /// A read error met while reading ahead, returned once what came before it is handed on.
    deferred: Option<io::Error>,
    state: State,
    frames: Vec<Frame>,
    key: Vec<u8>,
    /// Consumed bytes when the current WebSocket message began (after the previous one, or `[`):
    /// the reader's size guard counts from there.
    message_base: u64,
}

impl<'r> Splitter<'r> {
    /// `cutting: false` hands every byte on (the reader as it was; tests compare the two).
    pub(super) fn new(inner: &'r mut dyn BufRead, shared: Rc<Shared>, cap: u64, cutting: bool) -> Self {
        Splitter {
            inner,
            block: vec![0; crate::source::BUFFER].into_boxed_slice(),
            unread: 0..0,
            shared,
            cap,
            cutting,
            ahead_at: 0,
            deferred: None,
            state: State::Value { slot: Slot::Walk(Frame::Root), closer: false },
            frames: Vec::new(),
            key: Vec::new(),
            message_base: 0,
        }
    }

    fn advance(&self, byte: u8) {
        let mut positions = self.shared.positions.get();
        positions.advance(byte);
        self.shared.positions.set(positions);
    }

    fn next_byte(&mut self) -> io::Result<Option<u8>> {
        if let Some(byte) = self.next_ahead() {
            return Ok(Some(byte));
        }
        if let Some(error) = self.deferred.take() {
            return Err(error);
        }
        if self.unread.is_empty() && !self.refill()? {
            return Ok(None);
        }
        let byte = self.block[self.unread.start];
        self.unread.start += 1;
        self.advance(byte);
        self.follow(byte);
        Ok(Some(byte))
    }

    fn refill(&mut self) -> io::Result<bool> {
        self.unread = 0..self.inner.read(&mut self.block)?;
        Ok(!self.unread.is_empty())
    }

    /// The next byte read ahead: the value's first byte (when a value was cut out, the
    /// whitespace before it is left out), then its closer in place of the rest when the reader
    /// took it, else the rest; or whitespace alone, when no value was cut out.
    fn next_ahead(&mut self) -> Option<u8> {
        let shared = Rc::clone(&self.shared);
        let mut offer = shared.offer.borrow_mut();
        if self.ahead_at >= offer.bytes.len() {
            return None;
        }
        if self.ahead_at == offer.value.start + 1 {
            match offer.state {
                OfferState::Taken => {
                    self.ahead_at = offer.value.end;
                    let mut positions = shared.positions.get();
                    positions.replaced(&offer.bytes[offer.value.clone()]);
                    shared.positions.set(positions);
                    shared.history.borrow_mut().record(positions);
                    offer.state = OfferState::None;
                    let closer = match offer.bytes[offer.value.start] {
                        b'{' => b'}',
                        b'[' => b']',
                        _ => b'"',
                    };
                    drop(offer);
                    self.follow(closer);
                    return Some(closer);
                }
                OfferState::Open => offer.state = OfferState::Declined,
                OfferState::None | OfferState::Declined => {}
            }
        }
        if self.ahead_at == 0 && offer.value.start > 0 {
            // The whitespace before a value cut out means nothing to serde_json and costs it
            // a call per byte (a pretty-printed HAR's indentation): it is left out, whether
            // the value is taken (a member's value may be taken before any of it is read) or
            // not.
            let mut positions = shared.positions.get();
            positions.skipped(&offer.bytes[..offer.value.start]);
            positions.advance(offer.bytes[offer.value.start]);
            shared.positions.set(positions);
            shared.history.borrow_mut().record(positions);
            self.ahead_at = offer.value.start + 1;
            let first = offer.bytes[offer.value.start];
            drop(offer);
            self.follow(first);
            return Some(first);
        }
        let byte = offer.bytes[self.ahead_at];
        self.ahead_at += 1;
        drop(offer);
        self.advance(byte);
        self.follow(byte);
        Some(byte)
    }

    /// Follows the structure past `byte`; reads ahead where a value that can be cut out may
    /// start.
    fn follow(&mut self, byte: u8) {
        if let Some(slot) = self.step(byte) {
            if self.cutting && slot == Slot::Whole {
                self.read_ahead();
            }
        }
    }

    /// Moves the state past `byte`; returns the slot of a value that may start next.
    fn step(&mut self, byte: u8) -> Option<Slot> {
        let is_space = is_whitespace(byte);
        match self.state {
            State::Lost => None,
            State::Value { slot, closer } => {
                if is_space {
                    None
                } else if closer && byte == b']' {
                    self.close()
                } else {
                    self.start_value(slot, byte)
                }
            }
            State::Scalar => {
                if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'+' | b'.') {
                    None
                } else {
                    self.state = State::AfterValue;
                    self.step(byte)
                }
            }
            State::Nested(mut matcher) => {
                if matcher.scan(&[byte]).is_some() {
                    self.value_ended();
                } else {
                    self.state = State::Nested(matcher);
                }
                None
            }
            State::AfterValue => match (self.frames.last(), byte) {
                (_, _) if is_space => None,
                (Some(frame), b',') if frame.is_object() => {
                    self.state = State::Key { closer: false };
                    None
                }
                (Some(&frame), b',') => {
                    self.state = State::Value { slot: frame.element(), closer: false };
                    Some(frame.element())
                }
                (Some(frame), b'}' | b']') if byte == frame.closer() => self.close(),
                _ => self.lose(),
            },
            State::Key { closer } => match byte {
                _ if is_space => None,
                b'"' => {
                    self.key.clear();
                    self.state = State::InKey { escaped: false };
                    None
                }
                b'}' if closer => self.close(),
                _ => self.lose(),
            },
            State::InKey { escaped } => {
                if byte == b'"' && !escaped {
                    self.state = match self.key_slot() {
                        Some(slot) => State::Colon(slot),
                        None => State::Lost,
                    };
                } else {
                    self.key.push(byte);
                    self.state = State::InKey { escaped: byte == b'\\' && !escaped };
                }
                None
            }
            State::Colon(slot) => match byte {
                _ if is_space => None,
                b':' => {
                    self.state = State::Value { slot, closer: false };
                    Some(slot)
                }
                _ => self.lose(),
            },
        }
    }

    fn start_value(&mut self, slot: Slot, byte: u8) -> Option<Slot> {
        match (slot, byte) {
            (Slot::Walk(frame), _) if byte == frame.opener() => {
                self.frames.push(frame);
                if frame == Frame::Messages {
                    self.message_base = self.shared.consumed.get() + 1;
                }
                if frame.is_object() {
                    self.state = State::Key { closer: true };
                    None
                } else {
                    self.state = State::Value { slot: frame.element(), closer: true };
                    Some(frame.element())
                }
            }
            (_, b'"' | b'{' | b'[') => {
                self.state = State::Nested(Matcher::after(byte));
                None
            }
            (_, b'-' | b'0'..=b'9' | b'a'..=b'z') => {
                self.state = State::Scalar;
                None
            }
            _ => self.lose(),
        }
    }

    /// The current container ended.
    fn close(&mut self) -> Option<Slot> {
        self.frames.pop();
        self.value_ended();
        None
    }

    fn value_ended(&mut self) {
        self.state = State::AfterValue;
        if self.frames.last() == Some(&Frame::Messages) {
            // The byte that ended the message has not been counted yet.
            self.message_base = self.shared.consumed.get() + 1;
        }
    }

    fn lose(&mut self) -> Option<Slot> {
        self.state = State::Lost;
        None
    }

    /// What the reader does with the value of the key just read; `None` when the key is not
    /// valid JSON (serde_json rejects it).
    fn key_slot(&self) -> Option<Slot> {
        let frame = *self.frames.last()?;
        if !self.key.contains(&b'\\') {
            return Some(frame.member(std::str::from_utf8(&self.key).ok()?));
        }
        let mut quoted = Vec::with_capacity(self.key.len() + 2);
        quoted.push(b'"');
        quoted.extend_from_slice(&self.key);
        quoted.push(b'"');
        let key: String = serde_json::from_slice(&quoted).ok()?;
        Some(frame.member(&key))
    }

    /// Reads ahead over whitespace, and cuts out the value that follows when it is a string or a
    /// container no longer than the limit. Bytes read ahead are handed on from the offer.
    fn read_ahead(&mut self) {
        let shared = Rc::clone(&self.shared);
        let mut offer = shared.offer.borrow_mut();
        if self.ahead_at < offer.bytes.len() {
            return;
        }
        offer.bytes.clear();
        offer.value = 0..0;
        offer.state = OfferState::None;
        self.ahead_at = 0;
        let Some(first) = self.skip_whitespace(&mut offer.bytes) else { return };
        if !matches!(first, b'{' | b'[' | b'"') {
            return;
        }
        let is_message = self.frames.last() == Some(&Frame::Messages);
        let limit = if is_message { usize::try_from(self.cap).unwrap_or(usize::MAX) } else { CUT_LIMIT };
        let start = offer.bytes.len();
        offer.bytes.push(first);
        self.unread.start += 1;
        let mut matcher = Matcher::after(first);
        loop {
            let chunk = &self.block[self.unread.clone()];
            if let Some(end) = matcher.scan(chunk) {
                offer.bytes.extend_from_slice(&chunk[..end]);
                self.unread.start += end;
                break;
            }
            offer.bytes.extend_from_slice(chunk);
            self.unread.start = self.unread.end;
            if offer.bytes.len() - start > limit || !self.refill_ahead() {
                return;
            }
        }
        if !is_message && offer.bytes.len() as u64 >= self.cap {
            // A member the reader reads under the size cap (`request`, `response`) trips its
            // guard when the colon, the whitespace and the value pass the cap; a value that long
            // goes to serde_json, so that the guard trips as when nothing is cut.
            return;
        }
        if is_message {
            // The reader's size guard fails a message when the bytes since the last one exceed
            // the cap; such a message goes to serde_json, so that the guard trips as before.
            let since = self.shared.consumed.get() + 1 - self.message_base;
            if since + offer.bytes.len() as u64 > self.cap {
                return;
            }
        }
        offer.value = start..offer.bytes.len();
        offer.state = OfferState::Open;
    }

    /// Copies whitespace ahead into `into`; returns the byte after it, left unread (`None` at
    /// the end, and after [`CUT_LIMIT`] bytes of whitespace).
    fn skip_whitespace(&mut self, into: &mut Vec<u8>) -> Option<u8> {
        loop {
            if into.len() > CUT_LIMIT || (self.unread.is_empty() && !self.refill_ahead()) {
                return None;
            }
            let chunk = &self.block[self.unread.clone()];
            let spaces = chunk.iter().take_while(|&&byte| is_whitespace(byte)).count();
            into.extend_from_slice(&chunk[..spaces]);
            self.unread.start += spaces;
            if let Some(&byte) = chunk.get(spaces) {
                return Some(byte);
            }
        }
    }

    /// Refills the block while reading ahead; a read error is kept for its turn.
    fn refill_ahead(&mut self) -> bool {
        if self.deferred.is_some() {
            return false;
        }
        match self.refill() {
            Ok(more) => more,
            Err(error) => {
                self.deferred = Some(error);
                false
            }
        }
    }
}

impl Read for Splitter<'_> {
    /// Hands on one byte at a time: serde_json asks for no more.
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let Some(slot) = buf.first_mut() else { return Ok(0) };
        let Some(byte) = self.next_byte()? else { return Ok(0) };
        *slot = byte;
        let consumed = self.shared.consumed.get() + 1;
        self.shared.consumed.set(consumed);
        if self.shared.limit.get().is_some_and(|limit| consumed > limit) {
            self.shared.tripped.set(true);
            return Err(io::Error::other("record larger than the size cap"));
        }
        Ok(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Against a byte-by-byte search, with the stops placed at every offset of the words and of
    /// the `memchr2` tail, among fillers that trip a careless zero-byte test (0x01, 0x21,
    /// 0x5D, 0x80 and above).
    #[test]
    fn quotes_and_backslashes_are_found_where_they_first_are() {
        let fillers = [b'a', 0x01, 0x21, 0x23, 0x5B, 0x5D, 0x80 | b'"', 0x80 | b'\\', 0xff];
        for length in 0..80 {
            for filler in fillers {
                for stop in [b'"', b'\\'] {
                    for at in 0..=length {
                        let mut bytes = vec![filler; length];
                        if at < length {
                            bytes[at] = stop;
                        }
                        if at + 3 < length {
                            bytes[at + 3] = b'"';
                        }
                        let expected = bytes.iter().position(|&byte| byte == b'"' || byte == b'\\');
                        assert_eq!(quote_or_backslash(&bytes), expected, "{bytes:?}");
                    }
                }
            }
        }
    }
}
