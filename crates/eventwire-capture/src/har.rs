//! HAR (HTTP Archive) captures, as Chromium DevTools and proxies export them: the messages of
//! each WebSocket entry's `_webSocketMessages`. Entries and messages are streamed one at a time,
//! so a gigabyte HAR never sits in memory; only the current message does, up to the size cap.

use std::cell::Cell;
use std::fmt;
use std::io::{self, BufRead, Read};
use std::rc::Rc;

use base64::Engine as _;
use eventwire::{Direction, Family};
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::check::{Position, Record, Validator};
use crate::finding::{Check, Severity};
use crate::socketio;

/// Why a HAR cannot be read further.
#[derive(Debug)]
pub(crate) enum HarError {
    Io(io::Error),
    /// Not JSON, or not shaped like a HAR.
    Invalid(String),
    /// One WebSocket message is larger than the cap.
    TooLarge {
        entry: usize,
        message: usize,
    },
}

/// Counts bytes read and fails a read that goes past the current record's limit.
struct Guarded<'r> {
    inner: &'r mut dyn BufRead,
    /// Bytes taken from `inner` in blocks and not yet read. serde_json reads a stream one byte
    /// at a time; a call through `dyn BufRead` for each byte was most of a HAR's time.
    block: Box<[u8]>,
    /// The unread part of `block`.
    unread: std::ops::Range<usize>,
    guard: Rc<Guard>,
}

impl<'r> Guarded<'r> {
    fn new(inner: &'r mut dyn BufRead, guard: Rc<Guard>) -> Self {
        Guarded { inner, block: vec![0; crate::source::BUFFER].into_boxed_slice(), unread: 0..0, guard }
    }
}

#[derive(Default)]
struct Guard {
    consumed: Cell<u64>,
    limit: Cell<Option<u64>>,
    tripped: Cell<bool>,
}

impl Read for Guarded<'_> {
    #[inline]
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.unread.is_empty() {
            self.unread = 0..self.inner.read(&mut self.block)?;
        }
        let n = buf.len().min(self.unread.len());
        match n {
            0 => {}
            1 => buf[0] = self.block[self.unread.start],
            _ => buf[..n].copy_from_slice(&self.block[self.unread.start..self.unread.start + n]),
        }
        self.unread.start += n;
        let consumed = self.guard.consumed.get() + n as u64;
        self.guard.consumed.set(consumed);
        if self.guard.limit.get().is_some_and(|limit| consumed > limit) {
            self.guard.tripped.set(true);
            return Err(io::Error::other("record larger than the size cap"));
        }
        Ok(n)
    }
}

struct State<'a, 'v> {
    validator: &'a mut Validator<'v>,
    guard: Rc<Guard>,
    cap: u64,
    /// The output failed; validation stops with this error.
    failure: Option<io::Error>,
    entries: usize,
    /// Where the message being read is, for the size-cap error.
    current: (usize, usize),
    found_log: bool,
}

impl State<'_, '_> {
    fn output<E: de::Error>(&mut self, result: io::Result<()>) -> Result<(), E> {
        result.map_err(|error| {
            self.failure = Some(error);
            E::custom("output failed")
        })
    }
}

/// Validates the WebSocket messages of a HAR capture.
pub(crate) fn validate(reader: &mut dyn BufRead, cap: u64, validator: &mut Validator) -> Result<(), HarError> {
    let guard = Rc::new(Guard::default());
    let mut state =
        State { validator, guard: guard.clone(), cap, failure: None, entries: 0, current: (0, 0), found_log: false };
    let mut deserializer = serde_json::Deserializer::from_reader(Guarded::new(reader, guard.clone()));
    let result = Root(&mut state).deserialize(&mut deserializer).and_then(|()| deserializer.end());
    if let Some(failure) = state.failure.take() {
        return Err(HarError::Io(failure));
    }
    if guard.tripped.get() {
        let (entry, message) = state.current;
        return Err(HarError::TooLarge { entry, message });
    }
    match result {
        Err(error) if error.is_io() => Err(HarError::Io(error.into())),
        Err(error) => Err(HarError::Invalid(format!("{error} (after {} entries)", state.entries))),
        Ok(()) if !state.found_log => Err(HarError::Invalid("no `log` object: this is JSON, but not a HAR".into())),
        Ok(()) => Ok(()),
    }
}

/// Implements a map visitor that hands chosen keys to a function and skips the rest.
macro_rules! map_visitor {
    ($name:ident, $expecting:literal, |$self:ident, $key:ident, $map:ident| $body:block) => {
        impl<'de> DeserializeSeed<'de> for $name<'_, '_, '_> {
            type Value = ();
            fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
                deserializer.deserialize_map(self)
            }
        }
        impl<'de> Visitor<'de> for $name<'_, '_, '_> {
            type Value = ();
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str($expecting)
            }
            fn visit_map<A: MapAccess<'de>>($self, mut $map: A) -> Result<(), A::Error> {
                while let Some($key) = $map.next_key::<std::borrow::Cow<'de, str>>()? {
                    $body
                }
                Ok(())
            }
        }
    };
}

struct Root<'s, 'a, 'v>(&'s mut State<'a, 'v>);
map_visitor!(Root, "a HAR object with `log`", |self, key, map| {
    if key == "log" {
        self.0.found_log = true;
        map.next_value_seed(Log(&mut *self.0))?;
    } else {
        map.next_value::<IgnoredAny>()?;
    }
});

struct Log<'s, 'a, 'v>(&'s mut State<'a, 'v>);
map_visitor!(Log, "the HAR `log` object", |self, key, map| {
    if key == "entries" {
        map.next_value_seed(Entries(&mut *self.0))?;
    } else {
        map.next_value::<IgnoredAny>()?;
    }
});

struct Entries<'s, 'a, 'v>(&'s mut State<'a, 'v>);

impl<'de> DeserializeSeed<'de> for Entries<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Entries<'_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("the HAR entries array")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        loop {
            self.0.entries += 1;
            let index = self.0.entries;
            let mut socket = Socket { entry: index, ..Socket::default() };
            if seq.next_element_seed(Entry { state: &mut *self.0, socket: &mut socket })?.is_none() {
                self.0.entries -= 1;
                return Ok(());
            }
            let ended = self.0.validator.end_socket();
            self.0.output(ended)?;
            if socket.is_websocket() && socket.messages == 0 {
                let message = if socket.has_message_list {
                    "WebSocket entry with no messages".to_owned()
                } else {
                    "WebSocket entry without `_webSocketMessages`: Firefox and Safari export WebSocket entries without their messages; export the HAR from Chrome or Edge DevTools (Network panel → Export HAR) to validate them".to_owned()
                };
                let result = self.0.validator.capture_finding(
                    Severity::Warning,
                    Check::NoSocketMessages,
                    Position::Har { entry: index, message: 0 },
                    format!("{message} ({})", socket.url.as_deref().unwrap_or("no URL")),
                );
                self.0.output(result)?;
            }
        }
    }
}

/// What an entry says about its socket.
#[derive(Default)]
struct Socket {
    entry: usize,
    url: Option<String>,
    resource_type: Option<String>,
    status: Option<i64>,
    has_message_list: bool,
    messages: usize,
    socket_io: bool,
}

impl Socket {
    fn is_websocket(&self) -> bool {
        self.has_message_list
            || self.resource_type.as_deref() == Some("websocket")
            || self.status == Some(101)
            || self.url.as_deref().is_some_and(|url| url.starts_with("ws://") || url.starts_with("wss://"))
    }

    /// The family the URL names, where it names one: the Socket.IO path is `media`'s, and
    /// `/api/stream/ws/` the streaming API's. (`/ws` alone is used by several families.)
    fn family_hint(&self) -> Option<Family> {
        let url = self.url.as_deref()?;
        if url.contains("/socket.io/") {
            Some(Family::Media)
        } else if url.contains("/api/stream/ws/") {
            Some(Family::Stream)
        } else {
            None
        }
    }

    fn set_url(&mut self, url: String) {
        self.socket_io |= url.contains("/socket.io/") || url.contains("EIO=");
        self.url = Some(url);
    }
}

#[derive(Deserialize)]
struct Request {
    url: Option<String>,
}

#[derive(Deserialize)]
struct Response {
    status: Option<i64>,
}

struct Entry<'s, 'a, 'v> {
    state: &'s mut State<'a, 'v>,
    socket: &'s mut Socket,
}

impl<'de> DeserializeSeed<'de> for Entry<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Entry<'_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a HAR entry object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            match &*key {
                "request" => {
                    if let Some(url) = map.next_value::<Request>()?.url {
                        self.socket.set_url(url);
                    }
                }
                "response" => self.socket.status = map.next_value::<Response>()?.status,
                "_resourceType" => self.socket.resource_type = map.next_value()?,
                "_webSocketMessages" => {
                    self.socket.has_message_list = true;
                    map.next_value_seed(Messages { state: &mut *self.state, socket: &mut *self.socket })?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// One element of `_webSocketMessages`.
#[derive(Deserialize)]
struct WebSocketMessage {
    /// `send` or `receive`.
    #[serde(rename = "type")]
    kind: Option<String>,
    /// 1 text, 2 binary (base64 in `data`).
    opcode: Option<u8>,
    data: Option<String>,
}

struct Messages<'s, 'a, 'v> {
    state: &'s mut State<'a, 'v>,
    socket: &'s mut Socket,
}

impl<'de> DeserializeSeed<'de> for Messages<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Messages<'_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("the `_webSocketMessages` array")
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        loop {
            let number = self.socket.messages + 1;
            self.state.current = (self.socket.entry, number);
            let guard = self.state.guard.clone();
            guard.limit.set(Some(guard.consumed.get() + self.state.cap));
            let message = seq.next_element::<WebSocketMessage>()?;
            guard.limit.set(None);
            let Some(message) = message else { return Ok(()) };
            self.socket.messages = number;
            let result = check(self.state.validator, self.socket, number, message);
            self.state.output(result)?;
        }
    }
}

fn check(validator: &mut Validator, socket: &mut Socket, number: usize, message: WebSocketMessage) -> io::Result<()> {
    let direction = match message.kind.as_deref() {
        Some("send") => Some(Direction::ClientToServer),
        Some("receive") => Some(Direction::ServerToClient),
        _ => None,
    };
    let mut context = Vec::new();
    if let Some(url) = &socket.url {
        context.push(format!("socket {url}"));
    }
    context.extend(
        direction
            .map(|d| format!("{} {}", if d == Direction::ClientToServer { "sent" } else { "received" }, d.arrow())),
    );
    let data = message.data.unwrap_or_default();
    let record = Record {
        text: &data,
        position: Position::Har { entry: socket.entry, message: number },
        direction,
        context,
        socket_family: socket.family_hint(),
        at_end_unterminated: false,
        maybe_not_a_message: false,
    };
    if message.opcode == Some(2) {
        return match base64::engine::general_purpose::STANDARD.decode(data.trim()) {
            Ok(bytes) => validator.binary(&record, bytes.len(), socket.socket_io),
            Err(error) => validator.capture_finding(
                Severity::Error,
                Check::Frame,
                record.position,
                format!("binary message whose HAR `data` is not base64: {error}"),
            ),
        };
    }
    if number == 1 && data.starts_with("0{") {
        socket.socket_io = true;
    }
    if socket.socket_io && socketio::looks_like_frame(&data) {
        validator.frame(&record)
    } else {
        validator.message(&record)
    }
}
