//! One TCP connection of a packet capture, above its reassembled streams: HTTP/1.1 until a
//! WebSocket upgrade (or Socket.IO long-polling requests and responses), then RFC 6455 frames
//! both ways. It tells which side is the client (the SYN, the request, or the frames' masks),
//! the socket's URL, and whether the capture holds the socket from its opening.

use std::collections::VecDeque;
use std::net::SocketAddr;

use super::http::{self, BodyLength, Head, Parsed};
use super::tcp::{At, Piece, Stream};
use super::websocket::{Frames, Out};
use crate::finding::{Check, Severity};

/// What a connection gives the reader.
#[derive(Debug)]
pub(super) enum Event {
    /// A WebSocket text message, sent by the client or the server.
    Text { bytes: Vec<u8>, client: bool, at: At },
    /// A WebSocket binary message of `len` bytes.
    Binary { len: usize, client: bool, at: At },
    /// A control frame.
    Control,
    /// A Socket.IO long-polling body (`POST` request or `GET` response) of Engine.IO packets.
    Polling { body: Vec<u8>, client: bool, target: String, at: At },
    /// Something wrong.
    Problem { severity: Severity, check: Check, message: String, at: At },
}

/// What one side sends, as far as it is understood.
enum Side {
    /// Not known yet (nothing seen, or the start of the stream is missing).
    Unknown,
    /// HTTP messages.
    Http { buffer: Vec<u8>, body: Option<(Head, BodyLength)> },
    /// WebSocket frames.
    Frames(Frames),
    /// Something eventwire does not follow.
    Ignored,
}

/// A request waiting for its response.
struct Asked {
    method: String,
    target: String,
    upgrade: bool,
}

/// One TCP connection.
pub(super) struct Connection {
    /// Wireshark's `tcp.stream`: 0-based, in the order connections first appear.
    pub index: usize,
    /// The endpoint that sent the connection's first packet, and the other.
    pub endpoints: [SocketAddr; 2],
    /// Which endpoint is the client, once known.
    pub client: Option<usize>,
    tcp: [Stream; 2],
    sides: [Side; 2],
    asked: VecDeque<Asked>,
    /// The WebSocket's request target and host, once the upgrade is seen.
    pub target: Option<String>,
    pub host: Option<String>,
    /// Whether the capture holds the socket from its handshake, with nothing lost since.
    pub whole: bool,
    /// Whether the connection's joining mid-stream was reported.
    mid_stream_reported: bool,
    /// Both sides sent FIN, or one RST.
    pub closed: bool,
    fins: [bool; 2],
    cap: usize,
}

impl Connection {
    pub(super) fn new(index: usize, endpoints: [SocketAddr; 2], cap: usize) -> Connection {
        Connection {
            index,
            endpoints,
            client: None,
            tcp: Default::default(),
            sides: [Side::Unknown, Side::Unknown],
            asked: VecDeque::new(),
            target: None,
            host: None,
            whole: false,
            mid_stream_reported: false,
            closed: false,
            fins: [false; 2],
            cap,
        }
    }

    /// The endpoint index of `address` (0 or 1).
    pub(super) fn side_of(&self, address: SocketAddr) -> usize {
        usize::from(address != self.endpoints[0])
    }

    /// Whether the WebSocket handshake was seen.
    pub(super) fn is_websocket(&self) -> bool {
        self.target.is_some()
    }

    /// A segment from endpoint `from`.
    pub(super) fn segment(&mut self, from: usize, segment: &super::link::Segment, at: At, out: &mut Vec<Event>) {
        if segment.syn && segment.acknowledgment.is_none() {
            self.client.get_or_insert(from);
        }
        // The acknowledgement first: it is of what the sender had received before it sent this.
        if let Some(ack) = segment.acknowledgment {
            let mut pieces = Vec::new();
            self.tcp[1 - from].acknowledged(ack, at, &mut pieces);
            self.take(1 - from, pieces, at, out);
        }
        let mut pieces = Vec::new();
        self.tcp[from].segment(segment.sequence, segment.syn, segment.fin, segment.payload, at, &mut pieces);
        if self.tcp[0].missing() || self.tcp[1].missing() {
            // Bytes the capture may never show: it no longer holds the whole socket.
            self.whole = false;
        }
        self.take(from, pieces, at, out);
        self.fins[from] |= segment.fin;
        if segment.rst || self.fins == [true, true] {
            self.finish(at, out);
        }
    }

    /// The bytes both directions hold waiting for holes to fill.
    pub(super) fn held_bytes(&self) -> usize {
        self.tcp[0].held_bytes() + self.tcp[1].held_bytes()
    }

    /// Stops waiting for the holes of both directions: they are gaps, and what was held is read.
    pub(super) fn give_up_holes(&mut self, at: At, out: &mut Vec<Event>) {
        for side in 0..2 {
            let mut pieces = Vec::new();
            self.tcp[side].give_up(&mut pieces);
            self.take(side, pieces, at, out);
        }
    }

    /// The end of the connection or of the capture: what is held is given, gaps and all.
    pub(super) fn finish(&mut self, at: At, out: &mut Vec<Event>) {
        if self.closed {
            return;
        }
        self.closed = true;
        for side in 0..2 {
            let mut pieces = Vec::new();
            self.tcp[side].finish(&mut pieces);
            self.take(side, pieces, at, out);
        }
        // Nothing more is read of it: its buffers go (late packets only touch the streams).
        self.sides = [Side::Ignored, Side::Ignored];
        self.asked.clear();
    }

    fn take(&mut self, side: usize, pieces: Vec<Piece<'_>>, at: At, out: &mut Vec<Event>) {
        for piece in pieces {
            match piece {
                Piece::Data { bytes, packet } => self.data(side, &bytes, packet, out),
                Piece::Gap { bytes } => self.gap(side, bytes, at, out),
            }
        }
    }

    fn gap(&mut self, side: usize, bytes: u64, at: At, out: &mut Vec<Event>) {
        let was_read = !matches!(self.sides[side], Side::Ignored | Side::Unknown) || self.is_websocket();
        if was_read {
            out.push(Event::Problem {
                severity: Severity::Error,
                check: Check::TcpGap,
                message: format!(
                    "{bytes} bytes {} are not in the capture (a packet the capture tool dropped); what they held was not validated, and the messages after them were read from the next frame that could be trusted",
                    self.words(side)
                ),
                at,
            });
        }
        self.whole = false;
        match &mut self.sides[side] {
            Side::Frames(frames) => frames.gap(),
            Side::Http { .. } => self.sides[side] = Side::Ignored,
            Side::Unknown | Side::Ignored => {}
        }
    }

    /// "from the client 127.0.0.1:50000 to 127.0.0.1:8000".
    fn words(&self, side: usize) -> String {
        let who = match self.client {
            Some(client) if client == side => "from the client ",
            Some(_) => "from the server ",
            None => "from ",
        };
        format!("{who}{} to {}", self.endpoints[side], self.endpoints[1 - side])
    }

    fn data(&mut self, side: usize, bytes: &[u8], at: At, out: &mut Vec<Event>) {
        if matches!(self.sides[side], Side::Unknown) {
            self.sides[side] = self.first_bytes(side, bytes, at, out);
        }
        match &mut self.sides[side] {
            Side::Frames(frames) => {
                let mut frames_out = Vec::new();
                frames.push(bytes, at, &mut frames_out);
                let client = self.client == Some(side);
                for frame in frames_out {
                    out.push(match frame {
                        Out::Text { bytes, packet } => Event::Text { bytes, client, at: packet },
                        Out::Binary { len, packet } => Event::Binary { len, client, at: packet },
                        Out::Control { .. } => Event::Control,
                        Out::Problem { severity, check, message, packet } => {
                            Event::Problem { severity, check, message, at: packet }
                        }
                    });
                }
            }
            Side::Http { buffer, .. } => {
                if buffer.len() + bytes.len() > http::MAX_HEAD + self.cap {
                    self.sides[side] = Side::Ignored;
                    return;
                }
                buffer.extend_from_slice(bytes);
                self.http(side, at, out);
            }
            Side::Unknown | Side::Ignored => {}
        }
    }

    /// What a side is, from the first bytes the capture shows of it.
    fn first_bytes(&mut self, side: usize, bytes: &[u8], at: At, out: &mut Vec<Event>) -> Side {
        let http_side = Side::Http { buffer: Vec::new(), body: None };
        if bytes.starts_with(b"HTTP/1.") {
            self.client.get_or_insert(1 - side);
            return http_side;
        }
        if matches!(http::request(bytes), Parsed::Done(_) | Parsed::Partial)
            && bytes.first().is_some_and(u8::is_ascii_uppercase)
        {
            self.client.get_or_insert(side);
            return http_side;
        }
        // No HTTP: a WebSocket whose handshake is not in the capture, if its frames say so.
        let [b0, b1, ..] = *bytes else { return Side::Ignored };
        let looks_like_frame = matches!(b0 & 0x0f, 0 | 1 | 2 | 8 | 9 | 10) && b0 & 0x30 == 0;
        if !looks_like_frame || self.tcp[side].from_start {
            return Side::Ignored;
        }
        let masked = b1 & 0x80 != 0;
        let client = *self.client.get_or_insert(if masked { side } else { 1 - side });
        if !self.mid_stream_reported {
            self.mid_stream_reported = true;
            out.push(Event::Problem {
                severity: Severity::Warning,
                check: Check::MidStream,
                message: format!(
                    "a WebSocket joined mid-stream (connection {} ↔ {}): the capture does not hold its handshake, so its URL and extensions are unknown; its messages were read from the first whole frame, and a compressed one cannot be inflated",
                    self.endpoints[0], self.endpoints[1]
                ),
                at,
            });
        }
        Side::Frames(Frames::new(client == side, None, self.cap))
    }

    /// Reads the HTTP messages buffered on `side`.
    fn http(&mut self, side: usize, at: At, out: &mut Vec<Event>) {
        loop {
            let Side::Http { buffer, body } = &mut self.sides[side] else { return };
            let is_client = self.client == Some(side);
            if let Some((head, length)) = body.take() {
                let (content, used) = match length {
                    BodyLength::Bytes(n) if n > self.cap => {
                        self.sides[side] = Side::Ignored;
                        return;
                    }
                    BodyLength::Bytes(n) if buffer.len() >= n => (buffer[..n].to_vec(), n),
                    BodyLength::Chunked => match http::chunked(buffer, self.cap) {
                        Parsed::Done(done) => done,
                        Parsed::Partial => {
                            *body = Some((head, length));
                            return;
                        }
                        Parsed::Invalid => {
                            self.sides[side] = Side::Ignored;
                            return;
                        }
                    },
                    BodyLength::None => (Vec::new(), 0),
                    BodyLength::Bytes(_) => {
                        *body = Some((head, length));
                        return;
                    }
                };
                buffer.drain(..used);
                let polling = head.target.contains("/socket.io/") && head.target.contains("transport=polling");
                // A `POST` carries packets to the server, the response to a `GET` packets back.
                let sends_packets = if is_client {
                    head.method == "POST"
                } else {
                    head.method == "GET" && (200..300).contains(&head.status)
                };
                if polling && sends_packets && !content.is_empty() {
                    out.push(Event::Polling { body: content, client: is_client, target: head.target.clone(), at });
                }
                continue;
            }
            let parsed = if is_client { http::request(buffer) } else { http::response(buffer) };
            let mut head = match parsed {
                Parsed::Done(head) => head,
                Parsed::Partial => return,
                Parsed::Invalid => {
                    self.sides[side] = Side::Ignored;
                    return;
                }
            };
            buffer.drain(..head.len);
            if is_client {
                self.asked.push_back(Asked {
                    method: head.method.clone(),
                    target: head.target.clone(),
                    upgrade: head.upgrade_websocket,
                });
                if head.upgrade_websocket {
                    self.host = head.host.clone();
                    // The client's frames may follow before the answer: held until it comes.
                    return;
                }
            } else {
                let asked = self.asked.pop_front();
                if let Some(asked) = &asked {
                    head.target = asked.target.clone();
                    head.method = asked.method.clone();
                    if asked.method == "HEAD" {
                        head.body = BodyLength::None;
                    }
                }
                if head.status == 101 && asked.as_ref().is_some_and(|a| a.upgrade) {
                    let target = asked.map(|a| a.target).unwrap_or_default();
                    self.upgrade(side, target, head.extensions.as_deref(), at, out);
                    return;
                }
            }
            let length = head.body;
            let Side::Http { body, .. } = &mut self.sides[side] else { return };
            *body = Some((head, length));
        }
    }

    /// The server (`server`) accepted the upgrade: both sides send frames from here.
    fn upgrade(&mut self, server: usize, target: String, extensions: Option<&str>, at: At, out: &mut Vec<Event>) {
        let deflate = http::deflate(extensions);
        self.target = Some(target);
        self.whole = self.tcp[server].from_start || self.tcp[1 - server].from_start || self.client.is_some();
        let client = 1 - server;
        let rest = |side: &mut Side| match std::mem::replace(side, Side::Ignored) {
            Side::Http { buffer, .. } => buffer,
            _ => Vec::new(),
        };
        let server_rest = rest(&mut self.sides[server]);
        let client_rest = rest(&mut self.sides[client]);
        self.sides[server] = Side::Frames(Frames::new(false, deflate.map(|(s, _)| s), self.cap));
        self.sides[client] = Side::Frames(Frames::new(true, deflate.map(|(_, c)| c), self.cap));
        for (side, bytes) in [(client, client_rest), (server, server_rest)] {
            if !bytes.is_empty() {
                self.data(side, &bytes, at, out);
            }
        }
    }
}
