//! One direction of a TCP connection put back in order by sequence number: retransmissions and
//! overlaps dropped, segments that arrive early held (within a bound) until the bytes before
//! them come, and bytes the capture never saw reported as a gap once the other side has
//! acknowledged them (the receiver had them, so they will not be sent again) and they have not
//! turned up within [`REORDER_PACKETS`] packets of the connection or [`REORDER_SECONDS`] (a
//! capture from several CPUs, or `-i any`, can hold packets slightly out of order), or when the
//! bound is reached, or the connection or the capture ends.

use std::borrow::Cow;
use std::collections::BTreeMap;

/// The most bytes one direction holds waiting for a segment before them.
pub(super) const HELD_PER_DIRECTION: usize = 1 << 20;

/// How many packets of the connection after a hole's first sign its bytes may still turn up.
pub(super) const REORDER_PACKETS: u64 = 4;

/// How long after a hole's first sign (capture time) its bytes may still turn up.
pub(super) const REORDER_SECONDS: f64 = 0.05;

/// Where the capture shows something: the packet's number (1-based, as Wireshark numbers
/// frames) and when it was captured (Unix seconds).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct At {
    pub packet: usize,
    pub time: f64,
}

/// What one direction's stream gives, in order.
#[derive(Debug, PartialEq)]
pub(super) enum Piece<'a> {
    /// The next bytes of the stream, carried by capture packet `packet` (borrowed from the
    /// segment when it came in order).
    Data { bytes: Cow<'a, [u8]>, packet: At },
    /// Bytes of the stream the capture does not hold.
    Gap { bytes: u64 },
}

/// One direction of a connection.
#[derive(Debug, Default)]
pub(super) struct Stream {
    /// The sequence number of the next byte expected, once known.
    next: Option<u32>,
    /// Whether the stream was seen from its SYN.
    pub from_start: bool,
    /// Segments that came before the bytes preceding them, by sequence number.
    held: BTreeMap<u32, (Vec<u8>, At)>,
    held_bytes: usize,
    /// The sequence number of the FIN, once seen.
    fin: Option<u32>,
    /// How far this side is known to have sent: the other side's acknowledgements, and where
    /// this side's segments without data start.
    acked: Option<u32>,
    /// The packet at which bytes before a held segment (or acknowledged bytes) were first
    /// missing.
    hole_since: Option<(u64, f64)>,
    /// Packets of the connection seen by this direction (its segments and the other side's).
    seen: u64,
}

/// `a - b` in sequence space, as a signed distance.
fn distance(a: u32, b: u32) -> i64 {
    i64::from(a.wrapping_sub(b) as i32)
}

impl Stream {
    /// A segment of this direction: its sequence number, flags and payload, captured as packet
    /// `packet`. What it lets through goes to `out`.
    pub(super) fn segment<'a>(
        &mut self,
        sequence: u32,
        syn: bool,
        fin: bool,
        payload: &'a [u8],
        packet: At,
        out: &mut Vec<Piece<'a>>,
    ) {
        self.seen += 1;
        let start = if syn { sequence.wrapping_add(1) } else { sequence };
        let next = match self.next {
            Some(next) => next,
            None => {
                self.from_start = syn;
                self.next = Some(start);
                start
            }
        };
        if fin {
            self.fin = Some(start.wrapping_add(payload.len() as u32));
        }
        if payload.is_empty() {
            // A segment past `next` without data (an ACK, a FIN) shows the bytes before it sent.
            if !syn && distance(start, next) > 0 {
                self.saw_sent(start, packet, out);
            }
            return;
        }
        let ahead = distance(start, next);
        if ahead > i64::from(i32::MAX / 2) || -ahead > i64::from(i32::MAX / 2) {
            return; // nowhere near this stream: another connection's, or garbage
        }
        if ahead < 0 {
            // Bytes already given (a retransmission or an overlap): only what is new counts.
            let seen = (-ahead) as usize;
            if seen >= payload.len() {
                return;
            }
            return self.segment(next, false, false, &payload[seen..], packet, out);
        }
        if ahead > 0 {
            let longer = self.held.get(&start).is_none_or(|(held, _)| held.len() < payload.len());
            if longer {
                let old = self.held.insert(start, (payload.to_vec(), packet)).map_or(0, |(b, _)| b.len());
                self.held_bytes = self.held_bytes + payload.len() - old;
            }
            if self.held_bytes > HELD_PER_DIRECTION {
                self.skip_to_held(out);
            }
            return;
        }
        out.push(Piece::Data { bytes: Cow::Borrowed(payload), packet });
        self.next = Some(next.wrapping_add(payload.len() as u32));
        self.release(out);
        self.check_hole(packet, out);
    }

    /// The other side acknowledged everything before `ack`, in capture packet `packet`.
    pub(super) fn acknowledged(&mut self, ack: u32, packet: At, out: &mut Vec<Piece<'_>>) {
        self.seen += 1;
        self.saw_sent(ack, packet, out);
    }

    /// Everything before `sent` was sent (acknowledged, or a later segment starts there).
    fn saw_sent(&mut self, sent: u32, packet: At, out: &mut Vec<Piece<'_>>) {
        if self.acked.is_none_or(|acked| distance(sent, acked) > 0) {
            self.acked = Some(sent);
        }
        self.check_hole(packet, out);
    }

    /// The bytes acknowledged beyond `next` that the capture has not shown (the FIN's sequence
    /// number not counted).
    fn acknowledged_missing(&self) -> i64 {
        let (Some(next), Some(acked)) = (self.next, self.acked) else { return 0 };
        let mut missing = distance(acked, next);
        if self.fin.is_some_and(|fin| distance(acked, fin) > 0) {
            missing -= 1; // the FIN takes a sequence number of its own
        }
        if missing > i64::from(i32::MAX / 2) { 0 } else { missing.max(0) }
    }

    /// Whether bytes of this direction were acknowledged that the capture has not shown.
    pub(super) fn missing(&self) -> bool {
        self.acknowledged_missing() > 0
    }

    /// Declares a hole a gap once it is acknowledged and older than [`REORDER_PACKETS`] packets
    /// of the connection or [`REORDER_SECONDS`], or at once when the acknowledgement covers the
    /// segment held after it as well (the receiver had both).
    fn check_hole(&mut self, packet: At, out: &mut Vec<Piece<'_>>) {
        let missing = self.acknowledged_missing();
        if missing == 0 {
            self.hole_since = None;
            return;
        }
        let (seen, time) = *self.hole_since.get_or_insert((self.seen, packet.time));
        let held_acknowledged = match (self.next, self.acked) {
            (Some(next), Some(acked)) => self
                .held
                .iter()
                .map(|(&seq, (bytes, _))| (distance(seq, next), bytes.len() as i64))
                .filter(|&(ahead, _)| ahead > 0)
                .min()
                .is_some_and(|(ahead, len)| distance(acked, next) >= ahead + len),
            _ => false,
        };
        if held_acknowledged || self.seen - seen >= REORDER_PACKETS || packet.time - time >= REORDER_SECONDS {
            self.skip_acknowledged(out);
        }
    }

    /// Declares the acknowledged bytes the capture never showed lost, and gives what follows.
    fn skip_acknowledged(&mut self, out: &mut Vec<Piece<'_>>) {
        let missing = self.acknowledged_missing();
        let Some(next) = self.next else { return };
        if missing > 0 {
            // Up to the first held segment, or all that was acknowledged.
            let first = self.held.keys().map(|&seq| distance(seq, next)).filter(|&d| d > 0).min();
            let skip = first.map_or(missing, |first| first.min(missing));
            out.push(Piece::Gap { bytes: skip as u64 });
            self.next = Some(next.wrapping_add(skip as u32));
            self.release(out);
        }
        self.hole_since = None;
    }

    /// The bytes held waiting for a hole to fill.
    pub(super) fn held_bytes(&self) -> usize {
        self.held_bytes
    }

    /// Gives up waiting: the holes before what is held are gaps (the capture holds too much
    /// waiting, over all connections).
    pub(super) fn give_up(&mut self, out: &mut Vec<Piece<'_>>) {
        while !self.held.is_empty() {
            self.skip_to_held(out);
        }
    }

    /// Gives what is held past a gap, at the end of the connection or the capture.
    pub(super) fn finish(&mut self, out: &mut Vec<Piece<'_>>) {
        while !self.held.is_empty() {
            self.skip_to_held(out);
        }
        if self.acknowledged_missing() > 0 {
            self.skip_acknowledged(out);
        }
    }

    /// Declares the bytes before the first held segment lost, and gives what follows.
    fn skip_to_held(&mut self, out: &mut Vec<Piece<'_>>) {
        let Some(next) = self.next else { return };
        let Some(first) = self.held.keys().copied().min_by_key(|&seq| distance(seq, next)) else { return };
        let missing = distance(first, next);
        if missing > 0 {
            out.push(Piece::Gap { bytes: missing as u64 });
            self.next = Some(first);
        }
        self.release(out);
    }

    /// Gives the held segments that now follow on.
    fn release(&mut self, out: &mut Vec<Piece<'_>>) {
        loop {
            let Some(next) = self.next else { return };
            // The held segment that starts at or before `next` (the earliest such).
            let Some(seq) = self.held.keys().copied().find(|&seq| distance(seq, next) <= 0) else { return };
            let (bytes, packet) = self.held.remove(&seq).expect("just found");
            self.held_bytes -= bytes.len();
            let seen = (-distance(seq, next)) as usize;
            if seen < bytes.len() {
                let len = bytes.len();
                let bytes = if seen == 0 { bytes } else { bytes[seen..].to_vec() };
                out.push(Piece::Data { bytes: Cow::Owned(bytes), packet });
                self.next = Some(next.wrapping_add((len - seen) as u32));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(packet: usize) -> At {
        At { packet, time: 0.0 }
    }

    fn data(pieces: &[Piece]) -> Vec<u8> {
        pieces
            .iter()
            .flat_map(|p| if let Piece::Data { bytes, .. } = p { bytes.to_vec() } else { Vec::new() })
            .collect()
    }

    #[test]
    fn out_of_order_retransmitted_and_overlapping_segments_give_the_stream_once() {
        let mut stream = Stream::default();
        let mut out = Vec::new();
        let base = u32::MAX - 3; // the sequence numbers wrap inside the stream
        stream.segment(base, true, false, b"", at(1), &mut out);
        let isn = base.wrapping_add(1);
        stream.segment(isn.wrapping_add(5), false, false, b"fghij", at(3), &mut out);
        stream.segment(isn, false, false, b"abcde", at(2), &mut out);
        stream.segment(isn, false, false, b"abcde", at(4), &mut out);
        stream.segment(isn.wrapping_add(8), false, false, b"ijklm", at(5), &mut out);
        assert_eq!(data(&out), b"abcdefghijklm");
        assert!(stream.from_start);
        assert!(!out.iter().any(|p| matches!(p, Piece::Gap { .. })));
    }

    #[test]
    fn a_segment_the_capture_missed_is_a_gap_once_acknowledged() {
        let mut stream = Stream::default();
        let mut out = Vec::new();
        stream.segment(100, false, false, b"abc", at(1), &mut out);
        stream.segment(106, false, false, b"ghi", at(3), &mut out);
        assert_eq!(data(&out), b"abc");
        stream.acknowledged(106, at(4), &mut out);
        assert_eq!(data(&out), b"abc", "the missing segment may still turn up a few packets later");
        for packet in 5..5 + REORDER_PACKETS as usize {
            stream.acknowledged(106, at(packet), &mut out);
        }
        assert_eq!(out[1], Piece::Gap { bytes: 3 });
        assert_eq!(data(&out), b"abcghi");
        // An acknowledgement of the held segment too: the receiver had both, the gap is at once.
        let mut stream = Stream::default();
        let mut out = Vec::new();
        stream.segment(100, false, false, b"abc", at(1), &mut out);
        stream.segment(106, false, false, b"ghi", at(3), &mut out);
        stream.acknowledged(109, at(4), &mut out);
        assert_eq!(out[1], Piece::Gap { bytes: 3 });
        assert_eq!(data(&out), b"abcghi");
        assert!(!stream.from_start);
        // A gap at the end, acknowledged with the FIN, and the FIN's acknowledgement seen
        // before the FIN (as `-i any` can order them).
        let mut out = Vec::new();
        stream.acknowledged(113, at(10), &mut out);
        stream.segment(112, false, true, b"", at(11), &mut out);
        assert!(out.is_empty());
        assert!(stream.missing());
        stream.finish(&mut out);
        assert_eq!(out, vec![Piece::Gap { bytes: 3 }]);
        let mut quiet = Stream::default();
        let mut out = Vec::new();
        quiet.segment(0, false, false, b"ab", at(1), &mut out);
        quiet.acknowledged(3, at(2), &mut out);
        quiet.segment(2, false, true, b"", at(3), &mut out);
        quiet.finish(&mut out);
        assert_eq!(data(&out), b"ab");
        assert!(
            !out.iter().any(|p| matches!(p, Piece::Gap { .. })),
            "only the FIN's number was acknowledged past the data"
        );
    }

    #[test]
    fn held_segments_are_bounded() {
        let mut stream = Stream::default();
        let mut out = Vec::new();
        stream.segment(0, false, false, b"a", at(1), &mut out);
        let chunk = vec![b'x'; 64 * 1024];
        for i in 0..40u32 {
            stream.segment(10 + i * chunk.len() as u32, false, false, &chunk, at(2 + i as usize), &mut out);
        }
        assert!(stream.held_bytes <= HELD_PER_DIRECTION);
        assert!(out.contains(&Piece::Gap { bytes: 9 }));
        stream.finish(&mut out);
        assert_eq!(data(&out).len(), 1 + 40 * chunk.len());
    }
}
