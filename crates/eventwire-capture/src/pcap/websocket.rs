//! RFC 6455 frames over one direction of a reassembled connection, fed as the bytes come:
//! masking checked by direction, fragmented messages put together, control frames told apart,
//! and permessage-deflate (RFC 7692) inflated with a raw inflater that keeps its window across
//! messages unless the handshake turned context takeover off.
//!
//! (tungstenite parses frame headers too, but from a whole buffer and with its handshake stack;
//! this reader is fed packet by packet, says which packet ended each message, and resumes after
//! a gap in the capture at the next frame that can be trusted.)

use flate2::{Decompress, FlushDecompress, Status};

use super::tcp::At;
use crate::finding::{Check, Severity};

/// What the frames of one direction give.
#[derive(Debug, PartialEq)]
pub(super) enum Out {
    /// A whole text message (inflated), ended by capture packet `packet`.
    Text { bytes: Vec<u8>, packet: At },
    /// A whole binary message of `len` bytes.
    Binary { len: usize, packet: At },
    /// A ping, pong or close frame.
    Control { packet: At },
    /// Something wrong with the frames.
    Problem { severity: Severity, check: Check, message: String, packet: At },
}

/// permessage-deflate as the handshake agreed it, for one direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Deflate {
    /// Whether the sender resets its compression context for every message.
    pub no_context_takeover: bool,
}

/// The inflater of one direction.
struct Inflater {
    inflate: Decompress,
    no_context_takeover: bool,
    /// A message of this direction was lost or could not be inflated: with context takeover,
    /// later messages cannot be inflated either.
    broken: bool,
}

/// A message being put together from its frames.
struct Message {
    text: bool,
    compressed: bool,
    payload: Vec<u8>,
    /// Bigger than the record cap: its bytes are dropped.
    too_large: bool,
}

/// The frames one side sends.
pub(super) struct Frames {
    /// Whether this side is the client (its frames must be masked).
    client: bool,
    /// Bytes not yet read as a whole frame.
    buffer: Vec<u8>,
    message: Option<Message>,
    inflater: Option<Inflater>,
    cap: usize,
    /// Payload bytes of an oversized frame still to skip.
    skip: u64,
    /// After a gap: looking for a frame start to trust.
    lost: bool,
    /// Masking already reported (once per side).
    masking_reported: bool,
}

impl Frames {
    /// The frames of one side, `client` or server, with `deflate` when it was negotiated.
    pub(super) fn new(client: bool, deflate: Option<Deflate>, cap: usize) -> Frames {
        let inflater = deflate.map(|deflate| Inflater {
            inflate: Decompress::new(false),
            no_context_takeover: deflate.no_context_takeover,
            broken: false,
        });
        Frames {
            client,
            buffer: Vec::new(),
            message: None,
            inflater,
            cap,
            skip: 0,
            lost: false,
            masking_reported: false,
        }
    }

    /// Bytes the capture does not hold: what was being read is dropped, and reading resumes at
    /// the next frame start that can be trusted.
    pub(super) fn gap(&mut self) {
        self.buffer.clear();
        self.message = None;
        self.skip = 0;
        self.lost = true;
        if let Some(inflater) = &mut self.inflater {
            inflater.broken |= !inflater.no_context_takeover;
        }
    }

    /// The next bytes of this side, from capture packet `packet`.
    pub(super) fn push(&mut self, mut bytes: &[u8], packet: At, out: &mut Vec<Out>) {
        if self.skip > 0 {
            let skipped = self.skip.min(bytes.len() as u64);
            self.skip -= skipped;
            bytes = &bytes[skipped as usize..];
        }
        if self.lost {
            // A segment that starts with a frame header that fits is where frames start again.
            if !self.trusted_start(bytes) {
                return;
            }
            self.lost = false;
        }
        // Frames are read straight from the segment when nothing is buffered (the usual case),
        // else from the buffer the segment is added to; what is left of a frame is kept.
        let mut buffer = std::mem::take(&mut self.buffer);
        let from_buffer = !buffer.is_empty();
        if from_buffer {
            buffer.extend_from_slice(bytes);
        }
        let data: &[u8] = if from_buffer { &buffer } else { bytes };
        let mut at = 0;
        while let Some(used) = self.frame(&data[at..], packet, out) {
            at += used;
            if self.skip > 0 {
                // The rest of the data belongs to the oversized frame.
                let skipped = self.skip.min((data.len() - at) as u64);
                self.skip -= skipped;
                at += skipped as usize;
            }
            if self.lost {
                at = data.len();
                break;
            }
        }
        if from_buffer {
            buffer.drain(..at);
            self.buffer = buffer;
        } else {
            buffer.extend_from_slice(&bytes[at..]);
            self.buffer = buffer;
        }
    }

    /// Whether `bytes` starts like a frame of this side: a known opcode, no reserved bits but
    /// RSV1 with deflate, the mask bit this side uses, and a text payload that starts like JSON
    /// or a Socket.IO packet when it is visible.
    fn trusted_start(&self, bytes: &[u8]) -> bool {
        let [b0, b1, ..] = *bytes else { return false };
        let opcode = b0 & 0x0f;
        let rsv = b0 & 0x70;
        let rsv_ok = rsv == 0 || (rsv == 0x40 && self.inflater.is_some() && (opcode == 1 || opcode == 2));
        let masked = b1 & 0x80 != 0;
        if !matches!(opcode, 1 | 2 | 8 | 9 | 10) || !rsv_ok || masked != self.client || b0 & 0x80 == 0 {
            return false;
        }
        if opcode == 1 && rsv == 0 && !self.client && (b1 & 0x7f) < 126 {
            return bytes.get(2).is_none_or(|first| matches!(first, b'{' | b'[' | b'0'..=b'9' | b' ' | b'\n'));
        }
        true
    }

    /// Reads the frame at the start of `bytes` if it is whole: how many bytes it took.
    fn frame(&mut self, bytes: &[u8], packet: At, out: &mut Vec<Out>) -> Option<usize> {
        let [b0, b1, ..] = *bytes else { return None };
        let (fin, rsv, opcode) = (b0 & 0x80 != 0, b0 & 0x70, b0 & 0x0f);
        let masked = b1 & 0x80 != 0;
        let (len, mut header) = match b1 & 0x7f {
            126 => (u64::from(u16::from_be_bytes(bytes.get(2..4)?.try_into().ok()?)), 4),
            127 => (u64::from_be_bytes(bytes.get(2..10)?.try_into().ok()?), 10),
            short => (u64::from(short), 2),
        };
        let mask: Option<[u8; 4]> = if masked {
            let key = bytes.get(header..header + 4)?.try_into().ok()?;
            header += 4;
            Some(key)
        } else {
            None
        };
        let problem =
            |message: String| Out::Problem { severity: Severity::Error, check: Check::WebSocketFrame, message, packet };
        if len >> 63 != 0 || (opcode >= 8 && (len > 125 || !fin)) || !matches!(opcode, 0 | 1 | 2 | 8 | 9 | 10) {
            let why = if !matches!(opcode, 0 | 1 | 2 | 8 | 9 | 10) {
                format!("a frame with opcode {opcode:#x}, which RFC 6455 reserves")
            } else if opcode >= 8 {
                "a control frame that is fragmented or longer than 125 bytes (RFC 6455 §5.5)".to_owned()
            } else {
                "a frame whose 64-bit length has its most significant bit set (RFC 6455 §5.2)".to_owned()
            };
            out.push(problem(format!(
                "{why}; the frames after it on this side were skipped until one could be trusted"
            )));
            self.lost = true;
            self.message = None;
            return Some(bytes.len());
        }
        if masked != self.client && !self.masking_reported {
            self.masking_reported = true;
            out.push(problem(if self.client {
                "a client frame that is not masked: RFC 6455 §5.1 requires every frame from the client to be masked, and a server must close the connection".to_owned()
            } else {
                "a server frame that is masked: RFC 6455 §5.1 forbids masking frames from the server".to_owned()
            }));
        }
        let data = opcode < 8;
        if data && len > self.cap as u64 {
            // Too large to hold: reported once, its bytes skipped.
            let message = self.message.get_or_insert(Message {
                text: opcode == 1,
                compressed: false,
                payload: Vec::new(),
                too_large: false,
            });
            if !message.too_large {
                message.too_large = true;
                message.payload = Vec::new();
                out.push(Out::Problem {
                    severity: Severity::Error,
                    check: Check::RecordTooLarge,
                    message: format!(
                        "a WebSocket frame of {len} bytes, over the record cap of {} bytes (--max-record-size); it was not validated",
                        self.cap
                    ),
                    packet,
                });
            }
            let available = (bytes.len() - header) as u64;
            self.skip = len - available.min(len);
            if fin {
                self.message = None;
            }
            return Some(header + available.min(len) as usize);
        }
        let whole = header + len as usize;
        if bytes.len() < whole {
            return None;
        }
        let mut payload = bytes[header..whole].to_vec();
        if let Some(key) = mask {
            unmask(&mut payload, key);
        }
        if !data {
            out.push(Out::Control { packet });
            return Some(whole);
        }
        let rsv1 = rsv & 0x40 != 0;
        if rsv & 0x30 != 0 || (rsv1 && (self.inflater.is_none() || opcode == 0)) {
            out.push(problem(if rsv & 0x30 != 0 {
                "a frame with RSV2 or RSV3 set, which no negotiated extension defines (RFC 6455 §5.2)".to_owned()
            } else if opcode == 0 {
                "a continuation frame with RSV1 set: permessage-deflate sets it on a message's first frame only (RFC 7692 §6.1)".to_owned()
            } else {
                "a frame with RSV1 set (compressed) on a connection whose handshake did not negotiate permessage-deflate".to_owned()
            }));
        }
        match (opcode, &mut self.message) {
            (0, Some(message)) => {
                if !message.too_large {
                    message.payload.extend_from_slice(&payload);
                }
            }
            (0, None) => {
                out.push(problem("a continuation frame with no message to continue (RFC 6455 §5.4)".to_owned()));
                return Some(whole);
            }
            (_, current) => {
                if current.is_some() {
                    out.push(problem("a new message began before the fragmented one before it ended (RFC 6455 §5.4); that one was dropped".to_owned()));
                }
                *current = Some(Message {
                    text: opcode == 1,
                    compressed: rsv1 && self.inflater.is_some(),
                    payload,
                    too_large: false,
                });
            }
        }
        if let Some(message) = &self.message {
            if !message.too_large && message.payload.len() > self.cap {
                let size = message.payload.len();
                self.message =
                    Some(Message { payload: Vec::new(), too_large: true, ..self.message.take().expect("there") });
                out.push(Out::Problem {
                    severity: Severity::Error,
                    check: Check::RecordTooLarge,
                    message: format!("a fragmented WebSocket message of over {size} bytes, over the record cap of {} bytes (--max-record-size); it was not validated", self.cap),
                    packet,
                });
            }
        }
        if fin {
            let message = self.message.take().expect("set above");
            if !message.too_large {
                self.finish(message, packet, out);
            }
        }
        Some(whole)
    }

    /// A whole message: inflated where it was compressed, handed on.
    fn finish(&mut self, message: Message, packet: At, out: &mut Vec<Out>) {
        let bytes = if message.compressed {
            match self.inflate(message.payload, packet) {
                Ok(bytes) => bytes,
                Err(problem) => return out.push(problem),
            }
        } else {
            message.payload
        };
        out.push(if message.text { Out::Text { bytes, packet } } else { Out::Binary { len: bytes.len(), packet } });
    }

    fn inflate(&mut self, mut payload: Vec<u8>, packet: At) -> Result<Vec<u8>, Out> {
        let cap = self.cap;
        let inflater = self.inflater.as_mut().expect("compressed only with deflate");
        let problem =
            |message: String| Out::Problem { severity: Severity::Error, check: Check::Inflate, message, packet };
        if inflater.broken {
            return Err(problem(
                "a compressed message after a gap on this side: with context takeover it cannot be inflated without the messages the capture lost; it was not validated".to_owned(),
            ));
        }
        if inflater.no_context_takeover {
            inflater.inflate.reset(false);
        }
        // RFC 7692 §7.2.2: the sender removed the empty stored block's tail.
        payload.extend_from_slice(&[0x00, 0x00, 0xff, 0xff]);
        let mut output = Vec::with_capacity((payload.len() * 4).min(cap + 1));
        let mut consumed = 0;
        loop {
            if output.len() == output.capacity() {
                if output.len() > cap {
                    inflater.broken |= !inflater.no_context_takeover;
                    return Err(Out::Problem {
                        severity: Severity::Error,
                        check: Check::RecordTooLarge,
                        message: format!(
                            "a compressed message that inflates to over {cap} bytes, the record cap (--max-record-size); it was not validated"
                        ),
                        packet,
                    });
                }
                output.reserve((output.len()).clamp(4096, cap + 1 - output.len()));
            }
            let before = inflater.inflate.total_in();
            let status = inflater.inflate.decompress_vec(&payload[consumed..], &mut output, FlushDecompress::Sync);
            consumed += (inflater.inflate.total_in() - before) as usize;
            match status {
                Ok(Status::StreamEnd) => {
                    // A final block ends the sender's stream: the next message starts a new one.
                    inflater.inflate.reset(false);
                    break;
                }
                Ok(_) if consumed == payload.len() && output.len() < output.capacity() => break,
                Ok(_) => {}
                Err(error) => {
                    inflater.broken |= !inflater.no_context_takeover;
                    return Err(problem(format!(
                        "a compressed message that does not inflate ({error}); it was not validated"
                    )));
                }
            }
        }
        Ok(output)
    }
}

/// XORs `payload` with the 4-byte masking `key` (RFC 6455 §5.3), eight bytes at a time.
fn unmask(payload: &mut [u8], key: [u8; 4]) {
    let word = u64::from_ne_bytes([key[0], key[1], key[2], key[3], key[0], key[1], key[2], key[3]]);
    let mut chunks = payload.chunks_exact_mut(8);
    for chunk in &mut chunks {
        let value = u64::from_ne_bytes(chunk.try_into().expect("eight bytes")) ^ word;
        chunk.copy_from_slice(&value.to_ne_bytes());
    }
    for (i, byte) in chunks.into_remainder().iter_mut().enumerate() {
        *byte ^= key[i % 4];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at() -> At {
        At { packet: 7, time: 0.0 }
    }

    /// A frame: `first` is FIN, RSV and opcode; `mask` the client's key (none for the server).
    fn frame(first: u8, payload: &[u8], mask: Option<[u8; 4]>) -> Vec<u8> {
        let mut out = vec![first];
        let bit = if mask.is_some() { 0x80 } else { 0 };
        match payload.len() {
            len @ 0..=125 => out.push(bit | len as u8),
            len @ 126..=65_535 => {
                out.push(bit | 126);
                out.extend_from_slice(&(len as u16).to_be_bytes());
            }
            len => {
                out.push(bit | 127);
                out.extend_from_slice(&(len as u64).to_be_bytes());
            }
        }
        match mask {
            Some(key) => {
                out.extend_from_slice(&key);
                out.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
            }
            None => out.extend_from_slice(payload),
        }
        out
    }

    fn read(frames: &mut Frames, bytes: &[u8], piece: usize) -> Vec<Out> {
        let mut out = Vec::new();
        for chunk in bytes.chunks(piece.max(1)) {
            frames.push(chunk, at(), &mut out);
        }
        out
    }

    fn texts(out: &[Out]) -> Vec<String> {
        out.iter()
            .filter_map(|o| {
                if let Out::Text { bytes, .. } = o { Some(String::from_utf8(bytes.clone()).unwrap()) } else { None }
            })
            .collect()
    }

    fn problems(out: &[Out]) -> Vec<Check> {
        out.iter().filter_map(|o| if let Out::Problem { check, .. } = o { Some(*check) } else { None }).collect()
    }

    #[test]
    fn fragments_and_control_frames_in_between_make_one_message_whatever_the_segments() {
        let key = Some([1, 2, 3, 4]);
        let mut bytes = frame(0x01, b"{\"type\":", key);
        bytes.extend(frame(0x89, b"ping", key)); // a ping between fragments
        bytes.extend(frame(0x80, b"\"ping\"}", key));
        bytes.extend(frame(0x88, &[0x03, 0xe8], key)); // close, code 1000
        for piece in [1, 2, 3, 7, 1000] {
            let out = read(&mut Frames::new(true, None, 1 << 20), &bytes, piece);
            assert_eq!(texts(&out), vec![r#"{"type":"ping"}"#], "{piece}-byte segments");
            assert_eq!(out.iter().filter(|o| matches!(o, Out::Control { .. })).count(), 2);
            assert!(problems(&out).is_empty(), "{out:?}");
        }
        let long = "x".repeat(70_000);
        let out = read(&mut Frames::new(false, None, 1 << 20), &frame(0x81, long.as_bytes(), None), 1500);
        assert_eq!(texts(&out), vec![long], "a 64-bit length");
    }

    #[test]
    fn what_breaks_rfc_6455_is_reported() {
        let cases: [(bool, Vec<u8>, Check); 7] = [
            (true, frame(0x81, b"{}", None), Check::WebSocketFrame), // client unmasked
            (false, frame(0x81, b"{}", Some([9, 9, 9, 9])), Check::WebSocketFrame), // server masked
            (false, frame(0xc1, b"{}", None), Check::WebSocketFrame), // RSV1 without deflate
            (false, frame(0xa1, b"{}", None), Check::WebSocketFrame), // RSV2
            (false, frame(0x83, b"{}", None), Check::WebSocketFrame), // reserved opcode
            (false, frame(0x89, &[0; 126], None), Check::WebSocketFrame), // control over 125
            (false, frame(0x80, b"{}", None), Check::WebSocketFrame), // continuation of nothing
        ];
        for (client, bytes, check) in cases {
            let out = read(&mut Frames::new(client, None, 1 << 20), &bytes, 1000);
            assert_eq!(problems(&out).first(), Some(&check), "{bytes:x?}: {out:?}");
        }
        let out = read(&mut Frames::new(false, None, 100), &frame(0x81, &[b'x'; 300], None), 64);
        assert_eq!(problems(&out), vec![Check::RecordTooLarge]);
        assert!(texts(&out).is_empty());
    }

    #[test]
    fn deflate_with_and_without_context_takeover() {
        use flate2::{Compress, Compression, FlushCompress};
        // A sender with context takeover: one compressor for every message, each message
        // flushed with a sync flush and its 00 00 ff ff tail removed (RFC 7692 §7.2.1).
        let compress = |compressor: &mut Compress, text: &str| {
            let mut out = Vec::with_capacity(text.len() + 64);
            compressor.compress_vec(text.as_bytes(), &mut out, FlushCompress::Sync).unwrap();
            assert!(out.ends_with(&[0, 0, 0xff, 0xff]));
            out.truncate(out.len() - 4);
            out
        };
        let messages = [r#"{"type":"ping","session_id":"s1"}"#, r#"{"type":"ping","session_id":"s1"}"#, "{}"];
        for takeover in [true, false] {
            let mut compressor = Compress::new(Compression::default(), false);
            let mut bytes = Vec::new();
            for text in messages {
                if !takeover {
                    compressor.reset();
                }
                bytes.extend(frame(0xc1, &compress(&mut compressor, text), None));
            }
            let deflate = Deflate { no_context_takeover: !takeover };
            let out = read(&mut Frames::new(false, Some(deflate), 1 << 20), &bytes, 5);
            assert_eq!(texts(&out), messages, "context takeover {takeover}");
            // After a gap, only the sender that resets its context can be read on.
            let mut frames = Frames::new(false, Some(deflate), 1 << 20);
            let first = frame(0xc1, &compress(&mut Compress::new(Compression::default(), false), messages[0]), None);
            let mut out = read(&mut frames, &first, 1000);
            frames.gap();
            out.extend(read(&mut frames, &bytes, 1000));
            let expected = if takeover { 1 } else { 1 + messages.len() };
            assert_eq!(texts(&out).len(), expected, "context takeover {takeover}: {out:?}");
            if takeover {
                assert_eq!(problems(&out), vec![Check::Inflate; messages.len()]);
            }
        }
    }

    #[test]
    fn unmasking_is_the_byte_by_byte_xor() {
        let key = [0x37, 0xfa, 0x21, 0x3d];
        for len in 0..40 {
            let text: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
            let mut fast = text.clone();
            unmask(&mut fast, key);
            let slow: Vec<u8> = text.iter().enumerate().map(|(i, b)| b ^ key[i % 4]).collect();
            assert_eq!(fast, slow, "{len} bytes");
        }
    }
}
