//! The packet capture reader end to end, on captures built here packet by packet (etherparse's
//! builder): what the real captures of `tests/captures/` do not hold.

use std::io::Cursor;

use etherparse::PacketBuilder;

use super::{HELD_IN_ALL, Reader};
use crate::finding::Check;
use crate::validator::{Event, Validator};

/// A pcap file being built: Ethernet, one microsecond apart.
struct Capture {
    bytes: Vec<u8>,
    micros: u64,
}

impl Capture {
    fn new(linktype: u32) -> Capture {
        let mut bytes = Vec::new();
        for (value, width) in [(0xa1b2_c3d4u32, 4), (2, 2), (4, 2), (0, 4), (0, 4), (262_144, 4), (linktype, 4)] {
            bytes.extend_from_slice(&value.to_le_bytes()[..width]);
        }
        Capture { bytes, micros: 1_758_855_248_000_000 }
    }

    fn record(&mut self, frame: &[u8]) {
        self.micros += 1;
        for value in
            [(self.micros / 1_000_000) as u32, (self.micros % 1_000_000) as u32, frame.len() as u32, frame.len() as u32]
        {
            self.bytes.extend_from_slice(&value.to_le_bytes());
        }
        self.bytes.extend_from_slice(frame);
    }

    /// A TCP segment from `from` to `to` (port numbers on 127.0.0.1), with ACK and PSH.
    fn segment(&mut self, from: u16, to: u16, seq: u32, ack: u32, payload: &[u8]) {
        let builder = PacketBuilder::ethernet2([0; 6], [0; 6])
            .ipv4([127, 0, 0, 1], [127, 0, 0, 1], 64)
            .tcp(from, to, seq, 65_535)
            .ack(ack)
            .psh();
        let mut frame = Vec::new();
        builder.write(&mut frame, payload).unwrap();
        self.record(&frame);
    }
}

const UPGRADE: &[u8] =
    b"GET /api/stream/ws/s1 HTTP/1.1\r\nHost: 127.0.0.1:8000\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n";
const SWITCHED: &[u8] = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n";

fn validate(bytes: Vec<u8>) -> (Vec<Event>, String) {
    let mut events = Vec::new();
    let mut sink = |event| {
        events.push(event);
        Ok(())
    };
    let mut validator = Validator::new(None, true, &mut sink);
    let report = crate::formats::CaptureFormat::read(
        &super::Pcap,
        crate::formats::Input { reader: &mut Cursor::new(bytes), file: None, cap: 1 << 20, jobs: 1 },
        &mut validator,
    );
    validator.finish(report.is_ok()).unwrap();
    let summary = format!("{report:?} {:?}", validator.into_summary());
    (events, summary)
}

fn checks(events: &[Event]) -> Vec<(Check, Option<usize>)> {
    events
        .iter()
        .filter_map(|e| if let Event::Finding(f) = e { Some((f.check, f.location.packet)) } else { None })
        .collect()
}

#[test]
fn text_that_is_not_utf8_is_an_error_at_its_packet() {
    let mut capture = Capture::new(1);
    capture.segment(50_000, 8_000, 1, 1, UPGRADE);
    capture.segment(8_000, 50_000, 1, 1 + UPGRADE.len() as u32, SWITCHED);
    let mut frame = vec![0x81, 4];
    frame.extend_from_slice(b"{\xff}\n");
    capture.segment(8_000, 50_000, 1 + SWITCHED.len() as u32, 1 + UPGRADE.len() as u32, &frame);
    let (events, summary) = validate(capture.bytes);
    assert!(checks(&events).contains(&(Check::Encoding, Some(3))), "{events:?}");
    assert!(summary.contains("invalid: 1"), "{summary}");
}

#[test]
fn openbsd_loopback_and_raw_ip_are_read() {
    for (linktype, header) in [(108u32, vec![0, 0, 0, 2]), (0, 2u32.to_le_bytes().to_vec()), (101, Vec::new())] {
        let mut capture = Capture::new(linktype);
        let packet = |capture: &mut Capture, from: u16, to: u16, seq: u32, ack: u32, payload: &[u8]| {
            let builder =
                PacketBuilder::ipv4([127, 0, 0, 1], [127, 0, 0, 1], 64).tcp(from, to, seq, 65_535).ack(ack).psh();
            let mut frame = header.clone();
            builder.write(&mut frame, payload).unwrap();
            capture.record(&frame);
        };
        packet(&mut capture, 50_000, 8_000, 1, 1, UPGRADE);
        packet(&mut capture, 8_000, 50_000, 1, 1 + UPGRADE.len() as u32, SWITCHED);
        let text = br#"{"type":"connection_established","session_id":"s1","timestamp":1758855248,"message":"welcome"}"#;
        let mut frame = vec![0x81, text.len() as u8];
        frame.extend_from_slice(text);
        packet(&mut capture, 8_000, 50_000, 1 + SWITCHED.len() as u32, 1 + UPGRADE.len() as u32, &frame);
        let (events, summary) = validate(capture.bytes);
        assert!(checks(&events).is_empty(), "link type {linktype}: {events:?}");
        assert!(summary.contains("messages: 1,"), "link type {linktype}: {summary}");
    }
}

/// Connections that each hold segments waiting for a hole: past the bound over all of them,
/// the connection that adds to it stops waiting, so what is held stays bounded.
#[test]
fn what_all_connections_hold_waiting_is_bounded() {
    let mut capture = Capture::new(1);
    let chunk = vec![b'x'; 60_000];
    let connections = 60u16;
    for connection in 0..connections {
        let port = 40_000 + connection;
        capture.segment(port, 8_000, 1, 1, UPGRADE);
        // A hole of 10 bytes, then 16 segments the capture holds past it (960 KB).
        for i in 0..16u32 {
            capture.segment(port, 8_000, 1 + UPGRADE.len() as u32 + 10 + i * chunk.len() as u32, 1, &chunk);
        }
    }
    let mut events = Vec::new();
    let mut sink = |event| {
        events.push(event);
        Ok(())
    };
    let mut validator = Validator::new(None, true, &mut sink);
    let mut reader = Reader::new(&mut validator, 1 << 20);
    reader.read(&mut Cursor::new(capture.bytes)).unwrap();
    let most = reader.most_held;
    assert!(most <= HELD_IN_ALL + (2 << 20), "{most} bytes held at once");
    assert!(most > HELD_IN_ALL - (2 << 20), "the capture holds enough to reach the bound ({most})");
    reader.end_all().unwrap();
    drop(reader);
    let gaps = events.iter().filter(|e| matches!(e, Event::Finding(f) if f.check == Check::TcpGap)).count();
    assert_eq!(gaps, usize::from(connections), "every connection's hole is a gap, at the bound or at the end");
}
