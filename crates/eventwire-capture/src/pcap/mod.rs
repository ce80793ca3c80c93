//! Packet captures (pcap and pcapng, as tcpdump, dumpcap, tshark and Wireshark write them),
//! read as they are: each TCP connection reassembled both ways, its HTTP/1.1 upgrade read for
//! the socket's URL and permessage-deflate, its WebSocket frames put back into messages, and
//! every message handed to the validator with its direction, socket, packet number and time;
//! Socket.IO over WebSocket and over long-polling as in a HAR.
//!
//! Files are read by `pcap-parser` (streamed, both byte orders, every timestamp resolution,
//! several interfaces and sections) and frames sliced by `etherparse`; the TCP reassembly
//! ([`tcp`]), the HTTP heads ([`http`]) and the frame reader ([`websocket`]) are this module's.
//! Memory is bounded: a connection holds at most what one direction waits for
//! ([`tcp::HELD_PER_DIRECTION`]) and one message under the record cap, and is dropped at its end.

mod connection;
mod http;
mod link;
mod tcp;
#[cfg(test)]
mod tests;
mod websocket;

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;

use eventwire::Direction;
use pcap_parser::{Block, PcapBlockOwned, PcapError};

use self::connection::{Connection, Event};
use self::link::{Frame, Link};
use self::tcp::At;
use crate::CaptureError;
use crate::finding::{Check, Severity};
use crate::fold::FoldedState;
use crate::formats::{CaptureFormat, Confidence, Head, Input};
use crate::har::polling::{self, Poll, PollingUrl};
use crate::har::{SocketIds, url_family, url_path};
use crate::validator::{Position, Record, Validator};

/// The packet capture format.
pub(crate) struct Pcap;

/// The first bytes of a pcap file (both byte orders, micro- and nanosecond) and of pcapng.
fn is_packet_capture(bytes: &[u8]) -> bool {
    let magic = bytes.get(..4).unwrap_or_default();
    let pcap = [[0xd4, 0xc3, 0xb2, 0xa1], [0xa1, 0xb2, 0xc3, 0xd4], [0x4d, 0x3c, 0xb2, 0xa1], [0xa1, 0xb2, 0x3c, 0x4d]];
    pcap.iter().any(|known| magic == known)
        || (bytes.starts_with(&[0x0a, 0x0d, 0x0d, 0x0a])
            && matches!(bytes.get(8..12), Some([0x1a, 0x2b, 0x3c, 0x4d] | [0x4d, 0x3c, 0x2b, 0x1a])))
}

impl CaptureFormat for Pcap {
    fn name(&self) -> &'static str {
        "pcap"
    }
    fn aliases(&self) -> &'static [&'static str] {
        &["pcapng", "tcpdump", "wireshark"]
    }
    fn about(&self) -> &'static str {
        "A packet capture (pcap or pcapng from tcpdump, dumpcap, tshark or Wireshark): the WebSocket and Socket.IO traffic of every TCP connection, reassembled"
    }
    fn sniff(&self, head: &Head) -> Option<Confidence> {
        is_packet_capture(head.bytes).then_some(Confidence::Certain)
    }
    fn binary(&self) -> bool {
        true
    }
    fn read(&self, input: Input, validator: &mut Validator) -> Result<(), CaptureError> {
        let mut reader = Reader::new(validator, usize::try_from(input.cap).unwrap_or(usize::MAX));
        let result = reader.read(input.reader);
        let ended = reader.end_all();
        result.and(ended.map_err(crate::io_failure))
    }
}

/// An interface of a pcapng section, or the one of a pcap file.
struct Interface {
    link: Option<Link>,
    linktype: i32,
    /// Timestamp units per second, and the offset in seconds.
    resolution: u64,
    offset: i64,
    reported: bool,
}

/// What a WebSocket or polling socket is to the validator.
struct SocketInfo {
    id: usize,
    socket_io: bool,
    family: Option<eventwire::Family>,
    session: Option<String>,
    /// The notes shown with findings, by direction (client, server).
    contexts: [Vec<String>; 2],
}

struct Reader<'v, 's> {
    validator: &'v mut Validator<'s>,
    cap: usize,
    /// Boxed: the map's table (which doubles as it grows) holds only keys and pointers.
    connections: HashMap<Endpoints, Box<(Connection, Option<SocketInfo>)>, FoldedState>,
    /// The ended connections' keys in the order they ended, to forget the oldest.
    ended_order: std::collections::VecDeque<Endpoints>,
    /// Connections seen so far (the next `tcp.stream`).
    streams: usize,
    sockets: SocketIds,
    /// Packets read so far (the number of the last one).
    packet: usize,
    last: At,
    /// The bytes all connections hold waiting for holes to fill (at most about [`HELD_IN_ALL`]).
    held: usize,
    /// The most `held` has been.
    most_held: usize,
    /// Whether a packet earlier than the one before it was reported.
    out_of_order_reported: bool,
    /// Whether a packet that could not be sliced (cut short, damaged) was reported.
    cut_reported: bool,
}

/// A connection's two endpoints, the lower first: the key it is found by.
type Endpoints = (SocketAddr, SocketAddr);

/// The most bytes all connections together hold waiting for holes to fill; past it, the
/// connection that added to it stops waiting (each holds at most 2 MiB, both directions).
const HELD_IN_ALL: usize = 32 << 20;

/// How many ended connections are kept (each small: nothing is held), for their late packets.
const ENDED_KEPT: usize = 4_096;

/// The largest block read: a packet bigger than this cannot be in a capture eventwire follows.
const MAX_BLOCK: usize = 64 << 20;

impl<'v, 's> Reader<'v, 's> {
    fn new(validator: &'v mut Validator<'s>, cap: usize) -> Self {
        Reader {
            validator,
            cap,
            connections: HashMap::default(),
            ended_order: Default::default(),
            streams: 0,
            sockets: SocketIds::default(),
            packet: 0,
            last: At { packet: 0, time: 0.0 },
            held: 0,
            most_held: 0,
            out_of_order_reported: false,
            cut_reported: false,
        }
    }

    fn read(&mut self, file: &mut dyn io::BufRead) -> Result<(), CaptureError> {
        let damaged = |message: String| CaptureError::Format { format: "pcap", message };
        let mut capacity = 1 << 20;
        let mut reader = match pcap_parser::create_reader(capacity, file) {
            Ok(reader) => reader,
            Err(PcapError::Eof | PcapError::Incomplete(_)) => {
                return Err(damaged("the file ends inside its header".to_owned()));
            }
            Err(error) => return Err(damaged(format!("the file header cannot be read ({error})"))),
        };
        let mut interfaces: Vec<Interface> = Vec::new();
        /// What reading stopped at, without the reader's borrow.
        enum Stop {
            End,
            Incomplete,
            TooSmall,
            Damaged(String),
        }
        // Refills that brought nothing new: the file ends inside a block.
        let mut stalled = 0;
        loop {
            let stop = match reader.next() {
                Ok((used, block)) => {
                    stalled = 0;
                    let result = self.block(block, &mut interfaces);
                    reader.consume(used);
                    result.map_err(crate::io_failure)?;
                    continue;
                }
                Err(PcapError::Eof) => Stop::End,
                Err(PcapError::Incomplete(_) | PcapError::UnexpectedEof) => Stop::Incomplete,
                Err(PcapError::BufferTooSmall) => Stop::TooSmall,
                Err(error) => Stop::Damaged(error.to_string()),
            };
            match stop {
                Stop::End => return Ok(()),
                Stop::Incomplete if reader.reader_exhausted() || stalled > 1 => {
                    return Err(damaged(format!(
                        "the file ends in the middle of packet {} (cut short while it was being written?); the packets before it were validated",
                        self.packet + 1
                    )));
                }
                Stop::Incomplete => {
                    stalled += 1;
                    reader
                        .refill()
                        .map_err(|error| damaged(format!("cannot read on after packet {} ({error})", self.packet)))?
                }
                Stop::TooSmall if capacity < MAX_BLOCK => {
                    capacity *= 4;
                    reader.grow(capacity);
                    reader
                        .refill()
                        .map_err(|error| damaged(format!("cannot read on after packet {} ({error})", self.packet)))?
                }
                Stop::TooSmall => {
                    return Err(damaged(format!(
                        "the block after packet {} is larger than {MAX_BLOCK} bytes; the packets before it were validated",
                        self.packet
                    )));
                }
                Stop::Damaged(error) => {
                    return Err(damaged(format!(
                        "the block after packet {} is damaged ({error}); the packets before it were validated",
                        self.packet
                    )));
                }
            }
        }
    }

    fn block(&mut self, block: PcapBlockOwned, interfaces: &mut Vec<Interface>) -> io::Result<()> {
        match block {
            PcapBlockOwned::LegacyHeader(header) => {
                let resolution = if header.is_nanosecond_precision() { 1_000_000_000 } else { 1_000_000 };
                interfaces.clear();
                interfaces.push(Interface::new(header.network.0, resolution, 0));
                Ok(())
            }
            PcapBlockOwned::Legacy(packet) => {
                let Some(interface) = interfaces.first_mut() else { return Ok(()) };
                let ticks = u64::from(packet.ts_sec) * interface.resolution + u64::from(packet.ts_usec);
                let caplen = (packet.caplen as usize).min(packet.data.len());
                let cut = packet.origlen > packet.caplen;
                self.packet(interfaces, 0, ticks, &packet.data[..caplen], cut)
            }
            PcapBlockOwned::NG(Block::SectionHeader(_)) => {
                interfaces.clear();
                Ok(())
            }
            PcapBlockOwned::NG(Block::InterfaceDescription(idb)) => {
                let resolution = idb.ts_resolution().unwrap_or(1_000_000);
                interfaces.push(Interface::new(idb.linktype.0, resolution, idb.if_tsoffset));
                Ok(())
            }
            PcapBlockOwned::NG(Block::EnhancedPacket(epb)) => {
                let ticks = (u64::from(epb.ts_high) << 32) | u64::from(epb.ts_low);
                let caplen = (epb.caplen as usize).min(epb.data.len());
                let cut = epb.origlen > epb.caplen;
                self.packet(interfaces, epb.if_id as usize, ticks, &epb.data[..caplen], cut)
            }
            PcapBlockOwned::NG(Block::SimplePacket(spb)) => {
                let last = interfaces.first().map_or(0, |i| self.ticks_of(i));
                let caplen = (spb.origlen as usize).min(spb.data.len());
                self.packet(interfaces, 0, last, &spb.data[..caplen], false)
            }
            PcapBlockOwned::NG(_) => Ok(()),
        }
    }

    /// The last packet's time in `interface`'s ticks (a simple packet block has none).
    fn ticks_of(&self, interface: &Interface) -> u64 {
        (self.last.time.max(0.0) * interface.resolution as f64) as u64
    }

    fn packet(
        &mut self,
        interfaces: &mut [Interface],
        number: usize,
        ticks: u64,
        data: &[u8],
        cut: bool,
    ) -> io::Result<()> {
        self.packet += 1;
        let Some(interface) = interfaces.get_mut(number) else {
            return Ok(()); // a packet of an interface the file never described: nothing to read it by
        };
        let micros = u128::from(ticks) * 1_000_000 / u128::from(interface.resolution.max(1));
        let micros = (micros as i128 + i128::from(interface.offset) * 1_000_000).max(0) as u64;
        let at = At { packet: self.packet, time: micros as f64 / 1e6 };
        if at.time < self.last.time && !std::mem::replace(&mut self.out_of_order_reported, true) {
            let message = format!(
                "packet {} was captured before packet {} (the file is not in time order, as captures merged or taken on several CPUs can be): messages are read in file order, so a reply may seem to come before its request; `reordercap FILE SORTED` puts the file in order",
                at.packet, self.last.packet
            );
            self.validator.capture_finding(
                Severity::Warning,
                Check::PacketCapture,
                self.position(at, None),
                message,
            )?;
        }
        self.last = at;
        let Some(link) = interface.link else {
            if !std::mem::replace(&mut interface.reported, true) {
                let message = format!(
                    "interface {} has link type {}, which eventwire does not read (it reads Ethernet, Linux cooked capture v1 and v2, BSD loopback and raw IP); its packets were skipped",
                    number, interface.linktype
                );
                return self.validator.capture_finding(
                    Severity::Warning,
                    Check::PacketCapture,
                    self.position(at, None),
                    message,
                );
            }
            return Ok(());
        };
        let segment = match link::segment(link, data) {
            Frame::Tcp(segment) => segment,
            Frame::Other => return Ok(()),
            Frame::Cut(why) => {
                // Reported once: the TCP bytes such packets carried show as gaps where it matters.
                if std::mem::replace(&mut self.cut_reported, true) {
                    return Ok(());
                }
                let (severity, message) = if cut {
                    (
                        Severity::Error,
                        format!(
                            "packet {} is cut to {} bytes by the capture's snapshot length (`tcpdump -s`, `dumpcap -s`), and so may be others: the messages they carry cannot be read whole (capture with `-s 0`)",
                            at.packet,
                            data.len()
                        ),
                    )
                } else {
                    (
                        Severity::Warning,
                        format!(
                            "packet {} cannot be read ({why}); it was skipped, and so may be others like it",
                            at.packet
                        ),
                    )
                };
                return self.validator.capture_finding(
                    severity,
                    Check::PacketCapture,
                    self.position(at, None),
                    message,
                );
            }
        };
        let key = if segment.source <= segment.destination {
            (segment.source, segment.destination)
        } else {
            (segment.destination, segment.source)
        };
        // A SYN on the ports of a connection that has ended opens a new one (as Wireshark starts
        // a new `tcp.stream`); other late packets of an ended connection (its last ACK) are its own.
        let reopened = segment.syn
            && segment.acknowledgment.is_none()
            && self.connections.get(&key).is_some_and(|entry| entry.0.closed);
        if reopened {
            if let Some(entry) = self.connections.remove(&key) {
                self.held -= entry.0.held_bytes();
            }
        }
        let (connection, _) = &mut **self.connections.entry(key).or_insert_with(|| {
            self.streams += 1;
            Box::new((Connection::new(self.streams - 1, [segment.source, segment.destination], self.cap), None))
        });
        let was_closed = connection.closed;
        let from = connection.side_of(segment.source);
        let mut events = Vec::new();
        let held = connection.held_bytes();
        connection.segment(from, &segment, at, &mut events);
        self.held = self.held + connection.held_bytes() - held;
        self.most_held = self.most_held.max(self.held);
        if self.held > HELD_IN_ALL {
            // Over all connections too much waits for holes: this one stops waiting.
            let held = connection.held_bytes();
            connection.give_up_holes(at, &mut events);
            self.held -= held - connection.held_bytes();
        }
        let closed = connection.closed;
        self.events(key, events, micros)?;
        if closed && !was_closed {
            // Its socket ends with it; the entry stays (small: nothing is held) for late packets.
            if let Some((_, info)) = self.connections.get_mut(&key).map(|entry| &mut **entry) {
                if let Some(info) = info.take() {
                    self.validator.end_socket(info.id)?;
                }
            }
            self.ended_order.push_back(key);
            self.forget_ended();
        }
        Ok(())
    }

    /// Keeps at most [`ENDED_KEPT`] ended connections (the oldest go first), so that a capture
    /// of many connections stays flat in memory.
    fn forget_ended(&mut self) {
        while self.ended_order.len() > ENDED_KEPT {
            let Some(key) = self.ended_order.pop_front() else { return };
            // Unless a new connection on the same ports has taken its place since.
            if self.connections.get(&key).is_some_and(|entry| entry.0.closed) {
                if let Some(entry) = self.connections.remove(&key) {
                    self.held -= entry.0.held_bytes();
                }
            }
        }
    }

    fn position(&self, at: At, stream: Option<usize>) -> Position {
        let micros = (at.time * 1e6).round() as u64;
        Position::Packet { packet: at.packet, stream, micros, part: None }
    }

    /// Hands what a connection gave to the validator.
    fn events(&mut self, key: Endpoints, events: Vec<Event>, _micros: u64) -> io::Result<()> {
        if events.is_empty() {
            return Ok(());
        }
        let Reader { connections, validator, sockets, .. } = self;
        let Some((connection, info)) = connections.get_mut(&key).map(|entry| &mut **entry) else { return Ok(()) };
        let stream = connection.index;
        for event in events {
            match event {
                Event::Control => {}
                Event::Problem { severity, check, message, at } => {
                    let position =
                        Position::Packet { packet: at.packet, stream: Some(stream), micros: micros_of(at), part: None };
                    validator.capture_finding(severity, check, position, message)?;
                }
                Event::Text { bytes, client, at } => {
                    let info = info.get_or_insert_with(|| socket_info(connection, sockets, None));
                    let position =
                        Position::Packet { packet: at.packet, stream: Some(stream), micros: micros_of(at), part: None };
                    let text = match String::from_utf8(bytes) {
                        Ok(text) => text,
                        Err(error) => {
                            let message = format!(
                                "a WebSocket text message that is not UTF-8 (invalid byte at offset {}); RFC 6455 §8.1 requires text messages to be UTF-8, and a peer must fail the connection",
                                error.utf8_error().valid_up_to()
                            );
                            validator.unreadable_message(position, Check::Encoding, message)?;
                            continue;
                        }
                    };
                    if !client && text.starts_with("0{") && !info.socket_io {
                        info.socket_io = true;
                        info.family = Some(eventwire::Family::Media);
                    }
                    let direction = if client { Direction::ClientToServer } else { Direction::ServerToClient };
                    let record = Record {
                        direction: Some(direction),
                        socket_family: info.family,
                        context: &info.contexts[usize::from(!client)],
                        socket: info.id,
                        whole_socket: connection.whole,
                        url_session: info.session.as_deref(),
                        time: Some(at.time),
                        ..Record::at(&text, position)
                    };
                    if info.socket_io && crate::socketio::looks_like_frame(&text) {
                        validator.frame(&record)?;
                    } else {
                        validator.message(&record)?;
                    }
                }
                Event::Binary { len, client, at } => {
                    let info = info.get_or_insert_with(|| socket_info(connection, sockets, None));
                    let position =
                        Position::Packet { packet: at.packet, stream: Some(stream), micros: micros_of(at), part: None };
                    let direction = if client { Direction::ClientToServer } else { Direction::ServerToClient };
                    let record = Record {
                        direction: Some(direction),
                        context: &info.contexts[usize::from(!client)],
                        socket: info.id,
                        whole_socket: connection.whole,
                        time: Some(at.time),
                        ..Record::at("", position)
                    };
                    let socket_io = info.socket_io;
                    validator.binary(&record, Some(len), socket_io)?;
                }
                Event::Polling { body, client, target, at } => {
                    let url = format!("http://{}{target}", host_of(connection));
                    let polling = PollingUrl::of(&url).unwrap_or_default();
                    let text = String::from_utf8(body).map_err(|error| {
                        format!(
                            "long-polling body is not UTF-8 text (invalid byte at offset {}); Engine.IO v4 polling bodies are text",
                            error.utf8_error().valid_up_to()
                        )
                    });
                    let sid =
                        polling.sid.clone().or_else(|| text.as_ref().ok().and_then(|text| polling::opened_sid(text)));
                    let id = match &sid {
                        Some(sid) => sockets.of_sid(sid),
                        None => sockets.fresh(),
                    };
                    let direction = if client { Direction::ClientToServer } else { Direction::ServerToClient };
                    let context = contexts(&url, connection)[usize::from(!client)].clone();
                    let position =
                        Position::Packet { packet: at.packet, stream: Some(stream), micros: micros_of(at), part: None };
                    let poll =
                        Poll { at: position, socket: id, direction, eio: polling.eio.as_deref(), context: &context };
                    polling::validate(validator, &poll, text)?;
                }
            }
        }
        Ok(())
    }

    /// The end of the capture: every connection still open is finished, in the order they began.
    fn end_all(&mut self) -> io::Result<()> {
        let mut keys: Vec<_> = self.connections.iter().map(|(key, entry)| (entry.0.index, *key)).collect();
        keys.sort();
        for (_, key) in keys {
            let mut events = Vec::new();
            if let Some((connection, _)) = self.connections.get_mut(&key).map(|entry| &mut **entry) {
                connection.finish(self.last, &mut events);
            }
            self.events(key, events, 0)?;
            if let Some((_, Some(info))) = self.connections.remove(&key).map(|entry| *entry) {
                self.validator.end_socket(info.id)?;
            }
        }
        Ok(())
    }
}

fn micros_of(at: At) -> u64 {
    (at.time * 1e6).round() as u64
}

impl Interface {
    fn new(linktype: i32, resolution: u64, offset: i64) -> Interface {
        Interface { link: Link::of(linktype), linktype, resolution: resolution.max(1), offset, reported: false }
    }
}

/// The host a connection's requests name, or its server's address.
fn host_of(connection: &Connection) -> String {
    match (&connection.host, connection.client) {
        (Some(host), _) => host.clone(),
        (None, Some(client)) => connection.endpoints[1 - client].to_string(),
        (None, None) => connection.endpoints[1].to_string(),
    }
}

/// The notes shown with a finding, for the client's and the server's messages.
fn contexts(url: &str, connection: &Connection) -> [Vec<String>; 2] {
    let client = connection.client.unwrap_or(0);
    let (from, to) = (connection.endpoints[client], connection.endpoints[1 - client]);
    let link = format!("tcp.stream {}: {from} ↔ {to}", connection.index);
    [
        vec![format!("socket {url}"), link.clone(), format!("sent {}", Direction::ClientToServer.arrow())],
        vec![format!("socket {url}"), link, format!("received {}", Direction::ServerToClient.arrow())],
    ]
}

/// What a WebSocket connection's socket is: its URL (from the handshake, or its addresses when
/// the capture joined it mid-stream), family hints and number.
fn socket_info(connection: &Connection, sockets: &mut SocketIds, _sid: Option<&str>) -> SocketInfo {
    let url = match &connection.target {
        Some(target) => format!("ws://{}{target}", host_of(connection)),
        None => format!("ws://{}", host_of(connection)),
    };
    let socket_io = url.contains("/socket.io/") || url.contains("EIO=");
    let sid = polling::sid_of(&url).filter(|_| socket_io);
    let id = match &sid {
        Some(sid) => sockets.of_sid(sid),
        None => sockets.fresh(),
    };
    let session = url_path(&url).and_then(|path| eventwire::stream::PAIRING.session_in_path(path)).map(str::to_owned);
    SocketInfo { contexts: contexts(&url, connection), family: url_family(&url), id, socket_io, session }
}
