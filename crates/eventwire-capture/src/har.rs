//! HAR (HTTP Archive) captures, as Chromium DevTools and proxies export them: the messages of
//! each WebSocket entry's `_webSocketMessages`. Entries and messages are streamed one at a time,
//! so a gigabyte HAR never sits in memory; only the current message does, up to the size cap.

mod message;
pub(crate) mod polling;
mod splitter;

use std::collections::HashMap;
use std::fmt;
use std::io::{self, BufRead};
use std::rc::Rc;

use base64::Engine as _;
use eventwire::{Direction, Family};
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::CaptureError;
use crate::finding::{Check, Severity};
use crate::formats::{CaptureFormat, Confidence, Head, Input};
use crate::socketio;
use crate::validator::{Position, Record, Validator};

use message::WebSocketMessage;
use polling::{Body, Poll, PollingUrl};
use splitter::{Cut, Shared, Splitter, Whole};

/// Why a HAR cannot be read further.
#[derive(Debug)]
pub(crate) enum HarError {
    Io(io::Error),
    /// Not JSON, or not shaped like a HAR.
    Invalid(String),
    /// One WebSocket message, or a member the reader takes whole, is larger than the cap.
    TooLarge(Place),
}

/// What the reader is reading under the record size cap, for the error when it is larger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Place {
    /// The `message`-th WebSocket message of entry `entry`.
    Message { entry: usize, message: usize },
    /// An entry's `request` or `response`.
    Member { entry: usize, member: &'static str },
}

struct State<'a, 'v> {
    validator: &'a mut Validator<'v>,
    shared: Rc<Shared>,
    cap: u64,
    /// The output failed; validation stops with this error.
    failure: Option<io::Error>,
    entries: usize,
    /// What is being read under the size cap, for its error.
    current: Place,
    found_log: bool,
    sockets: SocketIds,
}

/// The validator's socket numbers: one per WebSocket entry, and one per Socket.IO session
/// (`sid`), which spans its long-polling requests and the WebSocket it upgrades to.
#[derive(Default)]
pub(crate) struct SocketIds {
    issued: usize,
    by_sid: HashMap<String, usize>,
}

impl SocketIds {
    /// A socket number of its own.
    pub(crate) fn fresh(&mut self) -> usize {
        self.issued += 1;
        self.issued
    }

    /// The socket number of Socket.IO session `sid`.
    pub(crate) fn of_sid(&mut self, sid: &str) -> usize {
        if let Some(&id) = self.by_sid.get(sid) {
            return id;
        }
        let id = self.fresh();
        self.by_sid.insert(sid.to_owned(), id);
        id
    }
}

impl State<'_, '_> {
    /// Reading an entry's `member` from here on fails past the record size cap (a URL or a
    /// body can be as long as a file; nothing is held without a bound).
    fn cap_member(&mut self, entry: usize, member: &'static str) {
        self.current = Place::Member { entry, member };
        self.shared.limit.set(Some(self.shared.consumed.get() + self.cap));
    }

    fn output<E: de::Error>(&mut self, result: io::Result<()>) -> Result<(), E> {
        result.map_err(|error| {
            self.failure = Some(error);
            E::custom("output failed")
        })
    }
}

/// The HAR format.
pub(crate) struct Har;

impl CaptureFormat for Har {
    fn name(&self) -> &'static str {
        "har"
    }
    fn about(&self) -> &'static str {
        "An HTTP Archive: `_webSocketMessages` and Socket.IO long-polling bodies (Chromium DevTools, Playwright, mitmproxy)."
    }
    fn sniff(&self, head: &Head) -> Option<Confidence> {
        let log_first = head.text.starts_with(b"{") && crate::detect::first_key(head.text).as_deref() == Some("log");
        (head.name.ends_with(".har") || log_first).then_some(Confidence::Certain)
    }
    fn read(&self, input: Input, validator: &mut Validator) -> Result<(), CaptureError> {
        let cap = input.cap;
        validate(input.reader, cap, validator).map_err(|error| match error {
            HarError::Io(error) => crate::io_failure(error),
            HarError::Invalid(message) => CaptureError::Format { format: self.name(), message },
            HarError::TooLarge(Place::Message { entry, message }) => {
                CaptureError::RecordTooLarge { entry, message, cap }
            }
            HarError::TooLarge(Place::Member { entry, member }) => CaptureError::MemberTooLarge { entry, member, cap },
        })
    }
}

/// Validates the WebSocket messages of a HAR capture.
pub(crate) fn validate(reader: &mut dyn BufRead, cap: u64, validator: &mut Validator) -> Result<(), HarError> {
    read_with(reader, cap, validator, true, Rc::new(Shared::default()))
}

/// `cutting: false` has serde_json read every byte of the stream itself (tests compare the two).
fn read_with(
    reader: &mut dyn BufRead,
    cap: u64,
    validator: &mut Validator,
    cutting: bool,
    shared: Rc<Shared>,
) -> Result<(), HarError> {
    let mut state = State {
        validator,
        shared: shared.clone(),
        cap,
        failure: None,
        entries: 0,
        current: Place::Message { entry: 0, message: 0 },
        found_log: false,
        sockets: SocketIds::default(),
    };
    let mut deserializer = serde_json::Deserializer::from_reader(Splitter::new(reader, shared.clone(), cap, cutting));
    let result = Root(&mut state).deserialize(&mut deserializer).and_then(|()| deserializer.end());
    if let Some(failure) = state.failure.take() {
        return Err(HarError::Io(failure));
    }
    if shared.tripped.get() {
        return Err(HarError::TooLarge(state.current));
    }
    match result {
        Err(error) if error.is_io() => Err(HarError::Io(error.into())),
        Err(error) => Err(HarError::Invalid(format!("{} (after {} entries)", in_file(&error, &shared), state.entries))),
        Ok(()) if !state.found_log => Err(HarError::Invalid("no `log` object: this is JSON, but not a HAR".into())),
        Ok(()) => Ok(()),
    }
}

/// serde_json's message for `error`, with its position mapped to the file (serde_json saw
/// two-byte stand-ins where the splitter cut values out, and no whitespace before them).
fn in_file(error: &serde_json::Error, shared: &Shared) -> String {
    let text = shortened(error.to_string());
    let suffix = format!(" at line {} column {}", error.line(), error.column());
    match text.strip_suffix(&suffix) {
        Some(message) if error.line() != 0 => {
            let (line, column) = shared.history.borrow().in_file(error.line(), error.column());
            format!("{message} at line {line} column {column}")
        }
        _ => text,
    }
}

/// serde_json's message with what it quotes of the file (`invalid type: string "…"`) cut to
/// [`QUOTED_MOST`] characters: a value may be as long as the record size cap.
fn shortened(text: String) -> String {
    if text.len() <= QUOTED_MOST {
        return text;
    }
    let Some(open) = text.find('"') else { return text };
    let close = text.rfind('"').filter(|&close| close > open).unwrap_or(text.len());
    let quoted = &text[open + 1..close];
    if quoted.len() <= QUOTED_MOST {
        return text;
    }
    let mut cut = QUOTED_MOST;
    while !quoted.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}{}… ({} bytes){}", &text[..=open], &quoted[..cut], quoted.len(), &text[close..])
}

/// The most of a quoted value an error message shows.
const QUOTED_MOST: usize = 80;

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
        map.next_value_seed(Whole::<IgnoredAny>::new(&self.0.shared))?;
    }
});

struct Log<'s, 'a, 'v>(&'s mut State<'a, 'v>);
map_visitor!(Log, "the HAR `log` object", |self, key, map| {
    if key == "entries" {
        map.next_value_seed(Entries(&mut *self.0))?;
    } else {
        map.next_value_seed(Whole::<IgnoredAny>::new(&self.0.shared))?;
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
            if socket.polling.is_some() {
                let polled = poll(self.0, &mut socket);
                self.0.output(polled)?;
            }
            // A Socket.IO session's socket spans entries (polling, then the WebSocket): it
            // ends with the file.
            if let (Some(id), None) = (socket.id, &socket.sid) {
                let ended = self.0.validator.end_socket(id);
                self.0.output(ended)?;
            }
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
pub(crate) struct Socket {
    entry: usize,
    url: Option<String>,
    resource_type: Option<String>,
    status: Option<i64>,
    has_message_list: bool,
    messages: usize,
    socket_io: bool,
    /// [`Socket::family_of`] the URL.
    family_hint: Option<Family>,
    /// [`Socket::context`] by direction: none, sent, received.
    contexts: [Option<Vec<String>>; 3],
    /// The Socket.IO session (`sid`) the URL names.
    sid: Option<String>,
    /// The stream session the URL names (`/api/stream/ws/{session_id}`).
    session: Option<String>,
    /// The validator's number for this socket, once it has one ([`Socket::id`]).
    id: Option<usize>,
    /// What the URL says, when the entry is a Socket.IO long-polling request.
    polling: Option<PollingUrl>,
    /// The request method.
    method: Option<String>,
    /// A long-polling request's body.
    request_body: Option<Body>,
    /// A long-polling request's response body.
    response_body: Option<Body>,
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
    pub(crate) fn family_of(url: &str) -> Option<Family> {
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
        self.family_hint = Socket::family_of(&url);
        self.polling = PollingUrl::of(&url);
        self.sid = polling::sid_of(&url).filter(|_| self.socket_io);
        self.session =
            url_path(&url).and_then(|path| eventwire::stream::PAIRING.session_in_path(path)).map(str::to_owned);
        self.url = Some(url);
        self.contexts = Default::default();
    }

    /// The validator's number for this socket: its session's where it has a `sid`, else its own.
    fn id(&mut self, ids: &mut SocketIds) -> usize {
        *self.id.get_or_insert_with(|| match &self.sid {
            Some(sid) => ids.of_sid(sid),
            None => ids.fresh(),
        })
    }

    /// The notes shown with a finding on a message that went `direction` on this socket;
    /// written once per socket and direction, not for every message.
    fn context(&mut self, direction: Option<Direction>) -> &[String] {
        let slot = match direction {
            None => 0,
            Some(Direction::ClientToServer) => 1,
            Some(Direction::ServerToClient) => 2,
        };
        let url = self.url.as_deref();
        self.contexts[slot].get_or_insert_with(|| {
            let socket = url.map(|url| format!("socket {url}"));
            let direction = direction
                .map(|d| format!("{} {}", if d == Direction::ClientToServer { "sent" } else { "received" }, d.arrow()));
            socket.into_iter().chain(direction).collect()
        })
    }
}

/// An entry's `request`: its URL and method, and its body where the URL (given first, as HAR
/// writers do) is a Socket.IO long-polling request; other bodies are skipped unread.
struct Request {
    url: Option<String>,
    method: Option<String>,
    body: Option<Body>,
}

impl Cut for Request {}

impl<'de> Deserialize<'de> for Request {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct RequestVisitor;
        impl<'de> Visitor<'de> for RequestVisitor {
            type Value = Request;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a HAR request object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Request, A::Error> {
                let mut request = Request { url: None, method: None, body: None };
                while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    match &*key {
                        "url" => request.url = map.next_value()?,
                        "method" => request.method = map.next_value()?,
                        "postData" if request.url.as_deref().and_then(PollingUrl::of).is_some() => {
                            let data: Option<Content> = map.next_value()?;
                            request.body = data.and_then(Content::body);
                        }
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(request)
            }
        }
        deserializer.deserialize_map(RequestVisitor)
    }
}

/// A request's `postData` or a response's `content`: the text, and whether it is base64.
#[derive(Deserialize)]
struct Content {
    text: Option<String>,
    encoding: Option<String>,
}

impl Content {
    fn body(self) -> Option<Body> {
        Some(Body { text: self.text?, base64: self.encoding.as_deref() == Some("base64") })
    }
}

#[derive(Deserialize)]
struct Response {
    status: Option<i64>,
}

impl Cut for Response {}

/// The `response` of a long-polling request, with its body.
#[derive(Deserialize)]
struct PollingResponse {
    status: Option<i64>,
    content: Option<Content>,
}

impl Cut for PollingResponse {}

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
        let shared = Rc::clone(&self.state.shared);
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            match &*key {
                "request" => {
                    self.state.cap_member(self.socket.entry, "request");
                    let request = map.next_value_seed(Whole::<Request>::new(&shared))?;
                    shared.limit.set(None);
                    if let Some(url) = request.url {
                        self.socket.set_url(url);
                    }
                    self.socket.method = request.method;
                    self.socket.request_body = request.body;
                }
                "response" if self.socket.polling.is_some() => {
                    self.state.cap_member(self.socket.entry, "response");
                    let response = map.next_value_seed(Whole::<PollingResponse>::new(&shared))?;
                    shared.limit.set(None);
                    self.socket.status = response.status;
                    self.socket.response_body = response.content.and_then(Content::body);
                }
                "response" => {
                    self.state.cap_member(self.socket.entry, "response");
                    self.socket.status = map.next_value_seed(Whole::<Response>::new(&shared))?.status;
                    shared.limit.set(None);
                }
                "_resourceType" => {
                    self.state.cap_member(self.socket.entry, "_resourceType");
                    self.socket.resource_type = map.next_value_seed(Whole::new(&shared))?;
                    shared.limit.set(None);
                }
                "_webSocketMessages" => {
                    self.socket.has_message_list = true;
                    // Capped until its first message (which has a cap of its own): a value that
                    // is not an array (one long string) is not held whole.
                    self.state.cap_member(self.socket.entry, "_webSocketMessages");
                    map.next_value_seed(Messages { state: &mut *self.state, socket: &mut *self.socket })?;
                    shared.limit.set(None);
                }
                _ => {
                    map.next_value_seed(Whole::<IgnoredAny>::new(&shared))?;
                }
            }
        }
        Ok(())
    }
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
            self.state.current = Place::Message { entry: self.socket.entry, message: number };
            let shared = Rc::clone(&self.state.shared);
            shared.limit.set(Some(shared.consumed.get() + self.state.cap));
            let message = seq.next_element_seed(Whole::<WebSocketMessage>::new(&shared))?;
            shared.limit.set(None);
            let Some(message) = message else { return Ok(()) };
            self.socket.messages = number;
            let result = check(self.state.validator, self.socket, &mut self.state.sockets, number, message);
            self.state.output(result)?;
        }
    }
}

fn check(
    validator: &mut Validator,
    socket: &mut Socket,
    ids: &mut SocketIds,
    number: usize,
    message: WebSocketMessage,
) -> io::Result<()> {
    let direction = match message.kind.as_deref() {
        Some("send") => Some(Direction::ClientToServer),
        Some("receive") => Some(Direction::ServerToClient),
        _ => None,
    };
    let data = message.data.unwrap_or_default();
    let binary = message.opcode == Some(2);
    if !binary && number == 1 && data.starts_with("0{") {
        socket.socket_io = true;
    }
    let socket_io = socket.socket_io;
    let id = socket.id(ids);
    let position = Position::Har { entry: socket.entry, message: number };
    let session = socket.session.clone();
    let record = Record {
        direction,
        socket_family: socket.family_hint,
        context: socket.context(direction),
        socket: id,
        // A HAR entry holds its socket from the handshake, both directions.
        whole_socket: true,
        url_session: session.as_deref(),
        time: message.time,
        ..Record::at(&data, position)
    };
    if binary {
        return match base64::engine::general_purpose::STANDARD.decode(data.trim()) {
            Ok(bytes) => validator.binary(&record, Some(bytes.len()), socket_io),
            Err(error) => validator.capture_finding(
                Severity::Error,
                Check::Frame,
                record.position,
                format!("binary message whose HAR `data` is not base64: {error}"),
            ),
        };
    }
    if socket_io && socketio::looks_like_frame(&data) { validator.frame(&record) } else { validator.message(&record) }
}

/// The family a socket's URL names, where it names one (see `Socket::family_of`).
pub(crate) fn url_family(url: &str) -> Option<Family> {
    Socket::family_of(url)
}

/// The path of a URL (`ws://host:port/path?query` → `/path`), if it has a scheme and host.
pub(crate) fn url_path(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let path = &rest[rest.find('/')?..];
    Some(path.split(['?', '#']).next().unwrap_or(path))
}

/// Validates the Engine.IO packets of a long-polling entry: a `POST`'s request body (client to
/// server), or a `GET`'s response body (server to client) when the server answered it.
fn poll(state: &mut State, socket: &mut Socket) -> io::Result<()> {
    let Some(url) = socket.polling.take() else { return Ok(()) };
    let (direction, body) = match socket.method.as_deref() {
        Some("POST") => (Direction::ClientToServer, socket.request_body.take()),
        Some("GET") if socket.status.is_none_or(|status| (200..300).contains(&status)) => {
            (Direction::ServerToClient, socket.response_body.take())
        }
        _ => return Ok(()),
    };
    let Some(body) = body else { return Ok(()) };
    let text = body.decoded();
    if let (None, Ok(text)) = (&socket.sid, &text) {
        // The handshake: its response opens the session that later requests name.
        socket.sid = polling::opened_sid(text);
    }
    let id = socket.id(&mut state.sockets);
    let eio = url.eio.as_deref();
    let at = Position::Har { entry: socket.entry, message: 0 };
    let poll = Poll { at, socket: id, direction, eio, context: socket.context(Some(direction)) };
    polling::validate(state.validator, &poll, text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validator::Event;

    const DEVTOOLS: &str = include_str!("../../../tests/captures/devtools.har");
    const SECRETS: &str = include_str!("../../../tests/secrets/secrets.har");
    const BROKEN: &str = include_str!("../../../tests/secrets/broken.har");
    const LINES: &str = include_str!("../../../tests/captures/mixed.jsonl");

    /// A reader that hands out at most `most` bytes at a time, so that values, escapes and
    /// whitespace are split across the splitter's reads.
    struct Trickle<'a> {
        bytes: &'a [u8],
        most: usize,
    }

    impl io::Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = buf.len().min(self.most).min(self.bytes.len());
            buf[..n].copy_from_slice(&self.bytes[..n]);
            self.bytes = &self.bytes[n..];
            Ok(n)
        }
    }

    /// Everything reading `har` gives: the events, the outcome and the counts, and how many
    /// values the splitter had taken whole. A `trickle` of `Some(n)` reads `n` bytes at a time.
    fn run(har: &[u8], cap: u64, cutting: bool, trickle: Option<usize>) -> (Vec<String>, String, usize) {
        let mut events = Vec::new();
        let mut sink = |event: Event| {
            events.push(format!("{event:?}"));
            Ok(())
        };
        let mut validator = Validator::new(None, true, &mut sink);
        let shared = Rc::new(Shared::default());
        let result = match trickle {
            None => read_with(&mut &har[..], cap, &mut validator, cutting, shared.clone()),
            Some(most) => {
                let mut reader = io::BufReader::with_capacity(1, Trickle { bytes: har, most });
                read_with(&mut reader, cap, &mut validator, cutting, shared.clone())
            }
        };
        let finished = validator.finish(result.is_ok());
        let outcome = format!("{result:?} {finished:?} {:?}", validator.into_summary());
        (events, outcome, shared.taken.get())
    }

    /// A HAR of generated messages, compact, with what makes a splitter's life hard: escapes
    /// in keys and texts, a non-ASCII text, binary messages, keys in another order, members
    /// it skips before and after the messages, `null` and empty message lists.
    fn generated() -> String {
        let mut messages: Vec<serde_json::Value> = Vec::new();
        for (index, line) in LINES.trim_start_matches('\u{feff}').lines().enumerate() {
            let kind = if index % 2 == 0 { "send" } else { "receive" };
            messages.push(serde_json::json!({ "type": kind, "time": 1.5 + index as f64, "opcode": 1, "data": line }));
        }
        messages.push(serde_json::json!({ "data": "{\"type\":\"ping\",\"session_id\":\"é \\u00e9 😀\",\"timestamp\":1}", "type": "send", "opcode": 1 }));
        messages.push(serde_json::json!({ "type": "receive", "opcode": 2, "data": "AAEC" }));
        messages.push(serde_json::json!({ "type": "receive", "opcode": 2, "data": "not base64!" }));
        messages.push(serde_json::json!(["send", 1, "{\"type\":\"ping\"}"]));
        let entry = serde_json::json!({
            "_initiator": { "type": "script", "stack": [[1, 2, {"a": "]}\"\\"}]] },
            "_resourceType": "websocket",
            "_webSocketMessages": messages,
            "request": { "method": "GET", "url": "ws://127.0.0.1:8000/ws?token=SECRET-generated", "headers": [] },
            "response": { "status": 101 },
            "time": -1,
            "timings": { "blocked": -1.0e-3, "wait": 0, "flag": true, "none": null },
        });
        let later =
            serde_json::json!({ "request": { "url": "wss://127.0.0.1/api/stream/ws/1" }, "_webSocketMessages": null });
        let empty =
            serde_json::json!({ "request": { "url": "ws://127.0.0.1/socket.io/?EIO=4" }, "_webSocketMessages": [] });
        let har = serde_json::json!({ "log": { "version": "1.2", "pages": [], "entries": [entry, later, empty] }, "extra": [1] });
        har.to_string().replace("\"_resourceType\"", "\"_resource\\u0054ype\"")
    }

    /// The HARs the tests read, pretty-printed and compact.
    fn hars() -> Vec<String> {
        let devtools: serde_json::Value = serde_json::from_str(DEVTOOLS).unwrap();
        let generated = generated();
        let pretty: serde_json::Value = serde_json::from_str(&generated).unwrap();
        vec![
            DEVTOOLS.to_owned(),
            devtools.to_string(),
            generated,
            serde_json::to_string_pretty(&pretty).unwrap(),
            SECRETS.to_owned(),
            BROKEN.to_owned(),
            // serde_json rejects these messages' `data`, each its own way.
            r#"{"log":{"entries":[{"_webSocketMessages":[{"data":"{\"a\":1}"},{"data":"a\ud800b"}]}]}}"#.to_owned(),
            r#"{"log":{"entries":[{"_webSocketMessages":[{"data":"{}"},{"data":{"type":"ping"}}]}]}}"#.to_owned(),
            r#"{"log":{"entries":[{"_webSocketMessages":[{"data":"{}"},{"data":"tab\tand	tab"}]}]}}"#.to_owned(),
        ]
    }

    /// A small deterministic generator (xorshift), so that failures repeat.
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, bound: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % bound as u64) as usize
        }
    }

    fn assert_same(har: &[u8], cap: u64, trickle: Option<usize>, what: &str) {
        let (events, outcome, _) = run(har, cap, true, trickle);
        let (expected_events, expected_outcome, taken) = run(har, cap, false, None);
        assert_eq!(taken, 0, "nothing is cut when cutting is off");
        assert_eq!(outcome, expected_outcome, "{what}: {}", String::from_utf8_lossy(har));
        assert_eq!(events, expected_events, "{what}: {}", String::from_utf8_lossy(har));
    }

    #[test]
    fn the_splitter_takes_every_message_and_skipped_member_whole() {
        for har in hars().iter().take(4) {
            let (events, outcome, taken) = run(har.as_bytes(), crate::DEFAULT_MAX_RECORD_BYTES, true, Some(3));
            let messages = events.iter().filter(|event| event.starts_with("Message(")).count();
            assert!(outcome.starts_with("Ok(())"), "{outcome}");
            assert!(messages > 20 && taken > messages, "{taken} values taken for {messages} messages");
        }
    }

    /// Whitespace and members longer than the splitter reads ahead reach serde_json as they
    /// are, with the same answers; the messages around them are still cut out.
    #[test]
    fn long_whitespace_and_members_reach_serde_json_as_they_are() {
        let long = 2 * 1024 * 1024;
        let message = r#"{"type":"send","opcode":1,"data":"{\"type\":\"ping\",\"session_id\":\"s\",\"timestamp\":1}"}"#;
        let long_message = message.replace(r#"\"s\""#, &format!(r#"\"{}\""#, "s".repeat(long)));
        let har = format!(
            r#"{{"log":{{"comment":"{}","entries":[{{"_webSocketMessages":[{message},{}{message},{long_message}]}}]}}}}"#,
            "x".repeat(long),
            " ".repeat(long),
        );
        assert_same(har.as_bytes(), crate::DEFAULT_MAX_RECORD_BYTES, None, "long");
        let (events, outcome, taken) = run(har.as_bytes(), crate::DEFAULT_MAX_RECORD_BYTES, true, None);
        assert!(outcome.starts_with("Ok(())"), "{outcome}");
        assert_eq!(events.iter().filter(|event| event.starts_with("Message(")).count(), 3);
        assert_eq!(taken, 2, "the first message and the long one (under the cap) are cut out");
    }

    /// A handshake whose response the HAR stores as base64 still names the session: what it
    /// sends and what the next request of that `sid` sends are one socket's (here an event and
    /// its attachment, each in its own response).
    #[test]
    fn a_base64_handshake_names_its_session() {
        use base64::Engine as _;
        let handshake = "0{\"sid\":\"S1\"}\u{1e}451-[\"audio_data\",{\"_placeholder\":true,\"num\":0}]";
        let stored = base64::engine::general_purpose::STANDARD.encode(handshake);
        let url = "http://127.0.0.1:5000/socket.io/?EIO=4&transport=polling";
        let har = format!(
            r#"{{"log":{{"entries":[{{"request":{{"method":"GET","url":"{url}"}},"response":{{"status":200,"content":{{"text":"{stored}","encoding":"base64"}}}}}},{{"request":{{"method":"GET","url":"{url}&sid=S1"}},"response":{{"status":200,"content":{{"text":"bAAAAAA=="}}}}}}]}}}}"#
        );
        let (events, outcome, _) = run(har.as_bytes(), crate::DEFAULT_MAX_RECORD_BYTES, true, None);
        assert!(outcome.starts_with("Ok(())"), "{outcome}");
        let checks: Vec<&String> = events.iter().filter(|e| e.starts_with("Finding(")).collect();
        // The event travels S→C here, which media does not; its attachment is its own.
        assert_eq!(checks.len(), 1, "{checks:?}");
        assert!(checks[0].contains("check: Direction"), "{checks:?}");
    }

    /// A `request` or `response` longer than the record size cap (a URL or a body as long as a
    /// file) ends the file with its own error, cut or not, instead of being held whole.
    #[test]
    fn members_longer_than_the_cap_end_the_file() {
        let cap = 1024 * 1024;
        let long = "x".repeat(2 * cap as usize);
        let short = r#"{"request":{"url":"ws://127.0.0.1/ws"},"_webSocketMessages":[]}"#;
        for (har, member) in [
            (
                format!(r#"{{"log":{{"entries":[{short},{{"request":{{"url":"ws://127.0.0.1/{long}"}}}}]}}}}"#),
                "request",
            ),
            (
                format!(
                    r#"{{"log":{{"entries":[{short},{{"response":{{"status":101,"content":{{"text":"{long}"}}}}}}]}}}}"#
                ),
                "response",
            ),
        ] {
            let (_, outcome, _) = run(har.as_bytes(), cap, true, None);
            let expected = format!("Err(TooLarge(Member {{ entry: 2, member: \"{member}\" }}))");
            assert!(outcome.starts_with(&expected), "{outcome}");
            assert_same(har.as_bytes(), cap, None, member);
            assert_same(har.as_bytes(), cap, Some(4096), member);
        }
    }

    /// Cutting never changes an answer: on intact, damaged and capped HARs the events, the
    /// outcome and the error (its position included) are those of serde_json reading every byte.
    #[test]
    fn cutting_values_out_changes_no_answer() {
        let mut rng = Rng(2026);
        const BYTES: &[u8] = b"{}[],:\"\\ \n0a\x01\xff";
        for har in hars() {
            let har = har.into_bytes();
            assert_same(&har, crate::DEFAULT_MAX_RECORD_BYTES, None, "intact");
            for most in 1..=9 {
                assert_same(&har, crate::DEFAULT_MAX_RECORD_BYTES, Some(most), &format!("read {most} at a time"));
            }
            for _ in 0..40 {
                let cap = 40 + rng.below(400) as u64;
                assert_same(&har, cap, Some(1 + rng.below(64)), &format!("cap {cap}"));
            }
            for round in 0..400 {
                let at = rng.below(har.len());
                let mut damaged = har.clone();
                match round % 4 {
                    0 => damaged.truncate(at),
                    1 => damaged[at] = BYTES[rng.below(BYTES.len())],
                    2 => damaged.insert(at, BYTES[rng.below(BYTES.len())]),
                    _ => {
                        damaged.remove(at);
                    }
                }
                let trickle = (round % 3 == 0).then(|| 1 + rng.below(16));
                assert_same(&damaged, crate::DEFAULT_MAX_RECORD_BYTES, trickle, &format!("round {round} at {at}"));
            }
        }
    }
}
