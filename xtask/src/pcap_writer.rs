//! Writes generated messages as a packet capture (pcap, Ethernet, one TCP connection on
//! loopback): the TCP handshake, an HTTP/1.1 upgrade, then each message as one RFC 6455 text
//! frame (the client's masked) in as many segments as it needs, every packet acknowledged as a
//! peer's kernel would piggyback it, times from the generator's clock. Frames are built with
//! etherparse's packet builder; the same messages as the JSON Lines capture, in the same order.

use std::io::{self, Write};

use etherparse::PacketBuilder;

/// The most TCP payload per segment (under the 65,535-byte IPv4 packet).
const SEGMENT: usize = 65_000;

const CLIENT: ([u8; 4], u16) = ([127, 0, 0, 1], 50_000);
const SERVER: ([u8; 4], u16) = ([127, 0, 0, 1], 8_000);

/// One TCP connection being written: each side's next sequence number, and the packet clock.
pub struct PcapWriter {
    client_seq: u32,
    server_seq: u32,
    mask: u32,
}

impl PcapWriter {
    /// Writes the file header, the TCP handshake and the WebSocket upgrade at `time` (Unix
    /// seconds); returns the writer and the bytes written.
    pub fn start(out: &mut dyn Write, time: f64) -> io::Result<(PcapWriter, u64)> {
        // Little-endian, microseconds, version 2.4, snapshot length 262,144, Ethernet.
        let mut head = Vec::with_capacity(24);
        for (value, width) in [(0xa1b2_c3d4u32, 4), (2, 2), (4, 2), (0, 4), (0, 4), (262_144, 4), (1, 4)] {
            head.extend_from_slice(&value.to_le_bytes()[..width]);
        }
        out.write_all(&head)?;
        let mut writer = PcapWriter { client_seq: 1_000, server_seq: 5_000, mask: 0x1234_5678 };
        let mut written = head.len() as u64;
        written += writer.packet(out, time, true, Flags::Syn, &[])?;
        written += writer.packet(out, time, false, Flags::SynAck, &[])?;
        written += writer.packet(out, time, true, Flags::Ack, &[])?;
        let request = "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:8000\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
        written += writer.packet(out, time, true, Flags::Data, request.as_bytes())?;
        let response = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
        written += writer.packet(out, time, false, Flags::Data, response.as_bytes())?;
        Ok((writer, written))
    }

    /// Writes `text` as one text frame from the client (masked) or the server, at `time`.
    pub fn message(&mut self, out: &mut dyn Write, time: f64, client: bool, text: &str) -> io::Result<u64> {
        let payload = text.as_bytes();
        let mut frame = Vec::with_capacity(payload.len() + 14);
        frame.push(0x81);
        let mask_bit = if client { 0x80 } else { 0 };
        match payload.len() {
            len @ 0..=125 => frame.push(mask_bit | len as u8),
            len @ 126..=65_535 => {
                frame.push(mask_bit | 126);
                frame.extend_from_slice(&(len as u16).to_be_bytes());
            }
            len => {
                frame.push(mask_bit | 127);
                frame.extend_from_slice(&(len as u64).to_be_bytes());
            }
        }
        if client {
            self.mask = self.mask.rotate_left(7) ^ 0x9e37_79b9;
            let key = self.mask.to_be_bytes();
            frame.extend_from_slice(&key);
            frame.extend(payload.iter().enumerate().map(|(i, byte)| byte ^ key[i % 4]));
        } else {
            frame.extend_from_slice(payload);
        }
        let mut written = 0;
        for segment in frame.chunks(SEGMENT) {
            written += self.packet(out, time, client, Flags::Data, segment)?;
        }
        Ok(written)
    }

    /// Closes the connection (FIN both ways, the last ACK) at `time`.
    pub fn finish(&mut self, out: &mut dyn Write, time: f64) -> io::Result<u64> {
        let mut written = self.packet(out, time, true, Flags::Fin, &[])?;
        written += self.packet(out, time, false, Flags::Fin, &[])?;
        written += self.packet(out, time, true, Flags::Ack, &[])?;
        Ok(written)
    }

    fn packet(
        &mut self,
        out: &mut dyn Write,
        time: f64,
        client: bool,
        flags: Flags,
        payload: &[u8],
    ) -> io::Result<u64> {
        let ((source, source_port), (destination, destination_port)) =
            if client { (CLIENT, SERVER) } else { (SERVER, CLIENT) };
        let (seq, ack) = if client { (self.client_seq, self.server_seq) } else { (self.server_seq, self.client_seq) };
        let builder = PacketBuilder::ethernet2([0; 6], [0; 6]).ipv4(source, destination, 64).tcp(
            source_port,
            destination_port,
            seq,
            65_535,
        );
        let builder = match flags {
            Flags::Syn => builder.syn(),
            Flags::SynAck => builder.syn().ack(ack),
            Flags::Ack => builder.ack(ack),
            Flags::Data => builder.ack(ack).psh(),
            Flags::Fin => builder.ack(ack).fin(),
        };
        let mut frame = Vec::with_capacity(builder.size(payload.len()));
        builder.write(&mut frame, payload).map_err(io::Error::other)?;
        let consumed = payload.len() as u32 + u32::from(matches!(flags, Flags::Syn | Flags::SynAck | Flags::Fin));
        if client {
            self.client_seq = self.client_seq.wrapping_add(consumed);
        } else {
            self.server_seq = self.server_seq.wrapping_add(consumed);
        }
        let micros = (time * 1e6).round() as u64;
        let mut record = Vec::with_capacity(16);
        for value in [(micros / 1_000_000) as u32, (micros % 1_000_000) as u32, frame.len() as u32, frame.len() as u32]
        {
            record.extend_from_slice(&value.to_le_bytes());
        }
        out.write_all(&record)?;
        out.write_all(&frame)?;
        Ok((record.len() + frame.len()) as u64)
    }
}

/// The TCP flags of a packet written.
#[derive(Clone, Copy)]
enum Flags {
    Syn,
    SynAck,
    Ack,
    Data,
    Fin,
}
