//! Checks one message (or frame) of a capture and reports what is wrong with it: the rules of
//! the message type it claims to be, then what only the capture knows (direction, Socket.IO
//! attachments, the socket's URL), then warnings.

use std::io;

use eventwire::{DecodeError, Direction, Family, MessageKind, Rule};
use serde_json::Number;

use crate::conversation::{self, Conversations, Note, Seen, Turn};
use crate::finding::{Check, Finding, Location, Severity, Summary};
use crate::locate;
use crate::redact::redact;
use crate::socketio::{self, Frame};

/// Unix seconds at or above this (year 5138) are almost certainly milliseconds.
const MILLISECONDS_THRESHOLD: f64 = 1e11;

/// What checking a message needs of its decoding: small, and `Send`, so that messages can be
/// decoded on other threads and checked in input order.
#[derive(Debug)]
pub(crate) struct Decoded {
    kind: &'static MessageKind,
    /// A timestamp documented as Unix seconds, with its JSON Pointer.
    unix_seconds: Option<(&'static str, Number)>,
    /// The attachment an `audio_data` placeholder names.
    attachment: Option<usize>,
    /// What it brings to the rules across messages.
    turn: Option<Turn>,
}

impl Decoded {
    /// Whether checking this valid message finds nothing, not even a warning, when the capture
    /// tells nothing more of it (no direction, socket or attachments: JSON Lines).
    pub(crate) fn is_quiet(&self) -> bool {
        self.turn.is_none()
            && self.unix_seconds.as_ref().is_none_or(|(_, timestamp)| !looks_like_milliseconds(timestamp))
    }

    /// The message's type, when it [is quiet](Self::is_quiet): all that is left to do with it.
    pub(crate) fn quiet_kind(&self) -> Option<&'static MessageKind> {
        self.is_quiet().then_some(self.kind)
    }
}

fn looks_like_milliseconds(unix_seconds: &Number) -> bool {
    unix_seconds.as_f64().unwrap_or_default() >= MILLISECONDS_THRESHOLD
}

/// A message's decoding: what it is, or why it is not valid.
pub(crate) type Decoding = Result<Decoded, DecodeError>;

/// Checks one message's text with `eventwire::check` (the expensive part of checking it): a
/// valid message is not built, only its type and facts are kept.
pub(crate) fn decode(text: &str, family: Option<Family>) -> Decoding {
    let eventwire::Checked { kind, facts } = eventwire::check(text, family)?;
    Ok(Decoded {
        kind,
        unix_seconds: kind.family.unix_seconds_pointer().zip(facts.unix_seconds),
        attachment: facts.attachment.and_then(|num| usize::try_from(num).ok()),
        turn: conversation::turn(kind, text, &facts.notes),
    })
}

/// Where a record's text starts in the capture.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Position {
    /// At a 1-based line and character column of a text file.
    Text { line: usize, column: usize },
    /// The `message`-th WebSocket message of HAR entry `entry` (both 1-based).
    Har { entry: usize, message: usize },
    /// The `packet`-th Engine.IO packet of HAR entry `entry`'s long-polling body (both 1-based).
    Polling { entry: usize, packet: usize },
    /// Packet `packet` (1-based, as Wireshark numbers frames) of a packet capture, on TCP
    /// connection `stream` (Wireshark's 0-based `tcp.stream`; none for what concerns the file),
    /// captured at `micros` (Unix microseconds); `part` is the Engine.IO packet within a
    /// long-polling body it ended.
    Packet { packet: usize, stream: Option<usize>, micros: u64, part: Option<usize> },
}

impl Position {
    /// The `part`-th Engine.IO packet of the long-polling body at this position.
    pub(crate) fn part(self, part: usize) -> Position {
        match self {
            Position::Har { entry, .. } | Position::Polling { entry, .. } => Position::Polling { entry, packet: part },
            Position::Packet { packet, stream, micros, .. } => {
                Position::Packet { packet, stream, micros, part: Some(part) }
            }
            text @ Position::Text { .. } => text,
        }
    }
}

/// One message or frame of a capture, with what the capture says about it.
pub(crate) struct Record<'a> {
    pub text: &'a str,
    pub position: Position,
    /// Which way it travelled, when the capture records it.
    pub direction: Option<Direction>,
    /// Human notes shown with findings: log prefix, socket URL, direction (redacted later).
    pub context: &'a [String],
    /// The family the socket's URL suggests.
    pub socket_family: Option<Family>,
    /// The capture ends inside this record (a last line without its newline).
    pub at_end_unterminated: bool,
    /// The record may be other JSON than a message (a log line without a direction marker):
    /// when it matches no family it is skipped, not reported.
    pub maybe_not_a_message: bool,
    /// Which socket of the capture it belongs to (`0` where the capture has no sockets): a
    /// Socket.IO binary event's attachments are the next binary frames of the same socket and
    /// direction.
    pub socket: usize,
    /// Whether the capture holds its socket from the opening, both directions (a HAR entry):
    /// then a conversation's missing start or a reply without request is an error, not a warning.
    pub whole_socket: bool,
    /// The session id the socket's URL names (`/api/stream/ws/{session_id}`).
    pub url_session: Option<&'a str>,
    /// When the capture saw it, in seconds (for the latency of replies).
    pub time: Option<f64>,
}

impl<'a> Record<'a> {
    /// A record of `text` at `position` of which the capture says nothing more: no direction,
    /// context, socket or hint. The readers set what their format knows with struct update.
    pub fn at(text: &'a str, position: Position) -> Record<'a> {
        Record {
            text,
            position,
            direction: None,
            context: &[],
            socket_family: None,
            at_end_unterminated: false,
            maybe_not_a_message: false,
            socket: 0,
            whole_socket: false,
            url_session: None,
            time: None,
        }
    }
}

/// What validation reports, in input order: each finding, and after a message's findings its
/// verdict.
#[derive(Debug, Clone, PartialEq)]
#[allow(clippy::large_enum_variant, reason = "events are handed to the sink one at a time and never stored in bulk")]
pub enum Event {
    /// Something wrong or suspicious.
    Finding(Finding),
    /// A message's verdict.
    Message(Verdict),
    /// A record's text as the capture holds it (reassembled from packets, unpacked from a HAR),
    /// before its findings; only with [`crate::Options::texts`].
    Text(Text),
}

/// The text of one record of a capture (a message, or a Socket.IO / Engine.IO frame).
#[derive(Debug, Clone, PartialEq)]
pub struct Text {
    /// Where the capture holds it.
    pub location: Location,
    /// Which way it travelled, where the capture records it.
    pub direction: Option<Direction>,
    /// The text, not yet redacted.
    pub text: String,
}

/// The verdict on one message.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Verdict {
    /// 1-based ordinal among the file's messages.
    pub index: usize,
    /// The message type, when known.
    pub kind: Option<&'static MessageKind>,
    /// The family, when known.
    pub family: Option<Family>,
    /// Whether it has no errors.
    pub valid: bool,
}

/// Where events go. Returning an error (output closed) stops validation.
pub type Sink<'a> = dyn FnMut(Event) -> io::Result<()> + 'a;

/// Who sent a frame: a socket of the capture and the direction, where the capture records it.
type Sender = (usize, Option<Direction>);

/// What a sender's binary frames still belong to.
enum Awaiting {
    /// A binary event waiting for its attachments.
    Event(Box<PendingBinary>),
    /// A binary acknowledgement's attachments, this many still to come (they are skipped).
    Ack(usize),
}

/// A binary event waiting for its attachments.
struct PendingBinary {
    expected: usize,
    /// How many attachments have come so far (counted, not kept: an event may declare any
    /// number of them).
    received: usize,
    /// The length of the attachment the audio placeholder names, once it has come (`None`
    /// inside: the capture does not say, as engineio's logger writes `<binary>`).
    audio_length: Option<Option<usize>>,
    /// The attachment the audio placeholder names, if the event is audio by attachment.
    audio_attachment: Option<usize>,
    kind: Option<&'static MessageKind>,
    index: usize,
    invalid: bool,
    location: Location,
    excerpt: Option<crate::finding::Excerpt>,
    context: Vec<String>,
}

/// Validates the records of one file, in order, and keeps the counts.
pub(crate) struct Validator<'s> {
    family: Option<Family>,
    sink: &'s mut Sink<'s>,
    pub summary: Summary,
    /// Valid messages per type, not yet in `summary`'s tables: counting them there for every
    /// message costs more than the rest of checking a valid message. See [`Self::into_summary`].
    valid_by_kind: Vec<(&'static MessageKind, usize)>,
    /// Per sender, what its next binary frames belong to (only senders that await some: a
    /// binary event's attachments are the next binary frames *from the same sender*, whatever
    /// the other direction sends in between). In the order they began.
    awaiting: Vec<(Sender, Awaiting)>,
    /// Whether findings get an excerpt (see [`crate::Options::excerpts`]).
    excerpts: bool,
    /// The rules across messages.
    conversations: Conversations,
    /// Whether every record's text is handed to the sink ([`Event::Text`]).
    texts: bool,
}

impl<'s> Validator<'s> {
    pub fn new(family: Option<Family>, excerpts: bool, sink: &'s mut Sink<'s>) -> Self {
        Validator {
            family,
            sink,
            summary: Summary::default(),
            valid_by_kind: Vec::new(),
            awaiting: Vec::new(),
            excerpts,
            conversations: Conversations::new(conversation::DEFAULT_MAX_OPEN),
            texts: false,
        }
    }

    /// Hands every record's text to the sink before its findings ([`Event::Text`]).
    pub fn texts(&mut self, texts: bool) {
        self.texts = texts;
    }

    /// Whether records' texts go to the sink.
    pub(crate) fn wants_texts(&self) -> bool {
        self.texts
    }

    /// With [`Self::texts`], hands `record`'s text to the sink.
    pub(crate) fn text(&mut self, record: &Record) -> io::Result<()> {
        if !self.texts {
            return Ok(());
        }
        let text =
            Text { location: location_of(record, 0, None), direction: record.direction, text: record.text.to_owned() };
        (self.sink)(Event::Text(text)).map_err(output_error)
    }

    /// Holds at most `max_open` conversations, waiting requests and sessions at once.
    pub fn max_open(&mut self, max_open: usize) {
        self.conversations = Conversations::new(max_open);
    }

    /// The counts of everything validated.
    pub fn into_summary(mut self) -> Summary {
        for (kind, messages) in self.valid_by_kind.drain(..) {
            self.summary.tally_valid(kind, messages);
        }
        self.summary
    }

    fn count_message(&mut self, kind: Option<&'static MessageKind>, family: Option<Family>, invalid: bool) {
        let Some(kind) = kind.filter(|_| !invalid) else {
            return self.summary.count_message(kind, family, invalid);
        };
        self.summary.messages += 1;
        match self.valid_by_kind.iter_mut().find(|(counted, _)| std::ptr::eq(*counted, kind)) {
            Some((_, messages)) => *messages += 1,
            None => self.valid_by_kind.push((kind, 1)),
        }
    }

    /// A valid JSON Lines message of type `kind` with nothing to report
    /// ([`Decoded::quiet_kind`]): counted, and its verdict given, without looking at its text again.
    pub fn quiet_message(&mut self, kind: &'static MessageKind) -> io::Result<()> {
        self.complete_pending((0, None))?;
        self.count_message(Some(kind), None, false);
        let verdict =
            Verdict { index: self.summary.messages, kind: Some(kind), family: Some(kind.family), valid: true };
        self.verdict(verdict)
    }

    /// A record that should be one JSON message.
    pub fn message(&mut self, record: &Record) -> io::Result<()> {
        let decoding = decode(record.text, self.family);
        self.decoded_message(record, decoding)
    }

    /// A record that should be one JSON message, already decoded (on another thread).
    pub fn decoded_message(&mut self, record: &Record, decoding: Decoding) -> io::Result<()> {
        self.text(record)?;
        self.complete_pending(sender(record))?;
        self.check_message(record, record.text, 0, None, decoding)
    }

    /// The family every message must belong to, if one was asked for.
    pub fn family(&self) -> Option<Family> {
        self.family
    }

    /// A record that should be an Engine.IO / Socket.IO frame.
    pub fn frame(&mut self, record: &Record) -> io::Result<()> {
        self.text(record)?;
        let parsed = socketio::parse(record.text);
        if !matches!(parsed, Ok(Frame::Binary(_))) {
            // Any other frame from the same sender ends a binary event's attachments.
            self.complete_pending(sender(record))?;
        }
        match parsed {
            Ok(Frame::Binary(base64)) => self.binary_base64(record, base64),
            Ok(Frame::Control { attachments, .. }) => {
                self.summary.control_frames += 1;
                if attachments > 0 {
                    self.awaiting.push((sender(record), Awaiting::Ack(attachments)));
                }
                Ok(())
            }
            Ok(Frame::Event { namespace, attachments, json, json_offset, .. }) => {
                let mut context = record.context.to_vec();
                if let Some(namespace) = namespace {
                    context.push(format!("namespace {namespace}"));
                }
                let record = Record { context: &context, ..*record };
                let decoding = decode(json, self.family);
                self.check_message(&record, json, json_offset, Some(attachments), decoding)
            }
            Err(why) => {
                let location = self.location(record, 0, None);
                self.emit(Finding {
                    family: Some(Family::Media),
                    context: record.context.to_vec(),
                    excerpt: self.excerpt(record, 0..record.text.len()),
                    ..capture_level(Severity::Error, Check::Frame, location, why)
                })
            }
        }
    }

    /// A binary WebSocket frame (HAR opcode 2, or a `b<base64>` line) of `len` bytes (`None`
    /// where the capture does not say): an attachment of the pending binary event, or a finding
    /// when none is pending.
    pub fn binary(&mut self, record: &Record, len: Option<usize>, socket_io: bool) -> io::Result<()> {
        let from = sender(record);
        if let Some(at) = self.awaiting.iter().position(|(awaiting, _)| *awaiting == from) {
            let done = match &mut self.awaiting[at].1 {
                Awaiting::Ack(left) => {
                    *left -= 1;
                    *left == 0
                }
                Awaiting::Event(pending) => {
                    if pending.audio_attachment == Some(pending.received) {
                        pending.audio_length = Some(len);
                    }
                    pending.received += 1;
                    pending.received == pending.expected
                }
            };
            if done {
                self.complete_pending(from)?;
            }
            return Ok(());
        }
        let frame = match len {
            Some(len) => format!("binary frame of {len} bytes"),
            None => "binary frame".to_owned(),
        };
        let (check, message) = if socket_io {
            (Check::Attachment, format!("{frame} with no binary event (`45x-`) before it"))
        } else {
            (Check::BinaryFrame, format!("{frame}; this protocol sends JSON text frames only"))
        };
        let severity = if socket_io { Severity::Error } else { Severity::Warning };
        let location = self.location(record, 0, None);
        self.emit(Finding { context: record.context.to_vec(), ..capture_level(severity, check, location, message) })
    }

    fn binary_base64(&mut self, record: &Record, base64: &str) -> io::Result<()> {
        match eventwire::primitives::check_base64(base64) {
            Ok(len) => self.binary(record, Some(len), true),
            Err(why) => {
                let location = self.location(record, 0, None);
                let message = format!("binary attachment written as `b<base64>`: {why}");
                self.emit(Finding {
                    family: Some(Family::Media),
                    context: record.context.to_vec(),
                    ..capture_level(Severity::Error, Check::Attachment, location, message)
                })
            }
        }
    }

    /// Reports a problem of the capture itself (not of one message) at `position`.
    pub fn capture_finding(
        &mut self,
        severity: Severity,
        check: Check,
        position: Position,
        message: String,
    ) -> io::Result<()> {
        self.emit(capture_level(severity, check, position_location(position), message))
    }

    /// Counts a record that could not even be read as text (too large, not UTF-8) as an invalid
    /// message, and reports why.
    pub fn unreadable_message(&mut self, position: Position, check: Check, message: String) -> io::Result<()> {
        self.complete_pending((0, None))?;
        self.count_message(None, None, true);
        let index = self.summary.messages;
        let location = Location { message_index: Some(index), ..position_location(position) };
        self.emit(capture_level(Severity::Error, check, location, message))?;
        self.verdict(Verdict { index, kind: None, family: None, valid: false })
    }

    /// Ends one socket (a HAR entry): a binary event of it still waiting for attachments is
    /// reported.
    pub fn end_socket(&mut self, socket: usize) -> io::Result<()> {
        while let Some(at) = self.awaiting.iter().position(|((of, _), _)| *of == socket) {
            let (from, _) = self.awaiting[at];
            self.complete_pending(from)?;
        }
        self.end_conversations(Some(socket))
    }

    /// Reports what is still open on `socket` (or, with `None`, anywhere in the capture).
    fn end_conversations(&mut self, socket: Option<usize>) -> io::Result<()> {
        let mut notes = Vec::new();
        self.conversations.end_socket(socket, &mut notes);
        for note in notes {
            self.emit_note(note)?;
        }
        Ok(())
    }

    /// A finding of the rules across messages about a message already reported.
    fn emit_note(&mut self, note: Note) -> io::Result<()> {
        self.emit(Finding {
            family: note.kind.map(|kind| kind.family),
            kind: note.kind,
            pointer: note.pointer.to_owned(),
            related: note.related,
            ..capture_level(note.severity, note.check, note.at.unwrap_or_default(), note.message)
        })
    }

    /// Ends the file: a binary event still waiting for attachments is reported, and a file read
    /// to its end without a single message gets a warning (control frames alone are no message).
    pub fn finish(&mut self, read_to_end: bool) -> io::Result<()> {
        while let Some(&(from, _)) = self.awaiting.first() {
            self.complete_pending(from)?;
        }
        self.end_conversations(None)?;
        self.summary.latency = std::mem::take(&mut self.conversations.latency);
        if read_to_end && self.summary.messages == 0 {
            let message = "no messages found: the capture is empty or holds no protocol messages".to_owned();
            self.emit(capture_level(Severity::Warning, Check::NoMessages, Location::default(), message))?;
        }
        Ok(())
    }

    fn check_message(
        &mut self,
        record: &Record,
        text: &str,
        offset: usize,
        attachments: Option<usize>,
        verdict: Decoding,
    ) -> io::Result<()> {
        if record.maybe_not_a_message
            && matches!(&verdict, Err(error @ DecodeError::Envelope { family: None, .. }) if error.rule() == Rule::Envelope)
        {
            self.summary.skipped_lines += 1;
            return Ok(());
        }
        let index = self.summary.messages + 1;
        // A valid message that takes part in the rules across messages and has nothing of its
        // own to report (the common case, kept short): only the conversation checker looks at it.
        let mut noted = None;
        if let (Ok(decoded @ Decoded { kind, turn: Some(turn), .. }), None) = (&verdict, attachments) {
            if self.nothing_of_its_own(record, decoded) {
                let location = location_of(record, offset, Some(index));
                let mut notes = Vec::new();
                self.conversations.check(kind, turn, &seen(record, text, &location), &mut notes);
                if notes.is_empty() {
                    self.count_message(Some(kind), Some(kind.family), false);
                    let verdict = Verdict { index, kind: Some(kind), family: Some(kind.family), valid: true };
                    return self.verdict(verdict);
                }
                noted = Some(notes);
            }
        }
        let mut findings = Vec::new();
        let kind = match &verdict {
            Ok(decoded) => Some(decoded.kind),
            Err(error) => error.kind(),
        };
        let claimed_family = match &verdict {
            Err(DecodeError::UnknownTag { family, .. }) => Some(*family),
            Err(DecodeError::Envelope { family, .. }) => *family,
            _ => None,
        };
        let family = kind.map(|k| k.family).or(claimed_family);
        let excerpts = self.excerpts;
        let finding = |severity, check, pointer: &str, message: String, span: Option<std::ops::Range<usize>>| {
            let span = span.or_else(|| locate::span(text, pointer, false)).unwrap_or(0..text.len());
            Finding {
                severity,
                check,
                location: location_of(record, offset + span.start, Some(index)),
                family,
                kind,
                pointer: pointer.to_owned(),
                message,
                context: record.context.to_vec(),
                excerpt: excerpt_of(excerpts, record, offset + span.start..offset + span.end),
                related: None,
            }
        };
        if let Err(error) = &verdict {
            let (check, message, span) = describe(error, text, record.at_end_unterminated);
            findings.push(finding(Severity::Error, check, error.pointer(), message, span));
            if let (DecodeError::Envelope { family: None, .. }, Some(hint)) = (error, record.socket_family) {
                let last = findings.last_mut().expect("just pushed");
                last.message.push_str(&format!(
                    "; the socket's URL suggests the {hint} family, whose envelope is {}",
                    hint.envelope()
                ));
            }
        }
        if let (Some(kind), Some(seen)) = (kind, record.direction) {
            if !kind.direction.allows(seen) {
                let message = format!(
                    "`{}` messages travel {} ({}), but this one was {}",
                    kind.tag,
                    kind.direction.arrow(),
                    direction_words(seen.reverse()),
                    match seen {
                        Direction::ClientToServer => "sent by the client",
                        Direction::ServerToClient => "received from the server",
                    }
                );
                findings.push(finding(Severity::Error, Check::Direction, kind.family.tag_pointer(), message, None));
            }
        }
        let mut audio_attachment = None;
        if let Ok(decoded) = &verdict {
            if let (Some(hint), true) = (record.socket_family, self.family.is_none()) {
                if hint != decoded.kind.family {
                    let message = format!(
                        "a message of the {} family on a socket whose URL suggests the {hint} family",
                        decoded.kind.family
                    );
                    findings.push(finding(Severity::Warning, Check::FamilyMismatch, "", message, Some(0..0)));
                }
            }
            if let Some((pointer, timestamp)) = &decoded.unix_seconds {
                if looks_like_milliseconds(timestamp) {
                    let message = format!(
                        "timestamp {timestamp} is documented as Unix seconds but looks like milliseconds (as seconds it is after the year 5000); divide by 1000"
                    );
                    findings.push(finding(Severity::Warning, Check::TimestampUnit, pointer, message, None));
                }
            }
            audio_attachment = decoded.attachment;
            if let (Some(num), Some(declared)) = (audio_attachment, attachments) {
                if num >= declared {
                    let message = if declared == 0 {
                        format!(
                            "the payload is attachment {num}, but the frame has no attachments (send binary audio as a binary event, `451-[...]`)"
                        )
                    } else {
                        format!("the payload is attachment {num}, but the frame declares only {declared}")
                    };
                    findings.push(finding(Severity::Error, Check::Attachment, "/1/num", message, None));
                    audio_attachment = None;
                }
            }
        }
        if let (Ok(Decoded { kind, turn: Some(turn), .. }), false) =
            (&verdict, findings.iter().any(|f| f.severity == Severity::Error))
        {
            let notes = noted.unwrap_or_else(|| {
                let location = self.location(record, offset, Some(index));
                let mut notes = Vec::new();
                self.conversations.check(kind, turn, &seen(record, text, &location), &mut notes);
                notes
            });
            for note in notes {
                let mut found = finding(note.severity, note.check, note.pointer, note.message, None);
                found.related = note.related;
                findings.push(found);
            }
        }
        let invalid = findings.iter().any(|f| f.severity == Severity::Error);
        self.count_message(kind, family, invalid);
        let location = self.location(record, offset, Some(index));
        for finding in findings {
            self.emit(finding)?;
        }
        if let Some(expected @ 1..) = attachments {
            let pending = Awaiting::Event(Box::new(PendingBinary {
                expected,
                received: 0,
                audio_length: None,
                audio_attachment,
                kind,
                index,
                invalid,
                location,
                excerpt: locate::span(text, "/1", false)
                    .and_then(|span| self.excerpt(record, offset + span.start..offset + span.end)),
                context: record.context.to_vec(),
            }));
            self.awaiting.push((sender(record), pending));
            return Ok(());
        }
        self.verdict(Verdict { index, kind, family, valid: !invalid })
    }

    /// Reports what the binary event `from` sent last, now completed (or abandoned), breaks with
    /// its attachments; a binary acknowledgement's attachments still to come are forgotten.
    fn complete_pending(&mut self, from: Sender) -> io::Result<()> {
        if self.awaiting.is_empty() {
            return Ok(());
        }
        let Some(at) = self.awaiting.iter().position(|(awaiting, _)| *awaiting == from) else { return Ok(()) };
        let Awaiting::Event(pending) = self.awaiting.remove(at).1 else { return Ok(()) };
        let mut problems = Vec::new();
        if pending.received < pending.expected {
            problems.push(format!(
                "the binary event declares {} attachment(s) but {} binary frame(s) followed it",
                pending.expected, pending.received
            ));
        }
        if let Some(Some(len)) = pending.audio_length {
            let num = pending.audio_attachment.unwrap_or_default();
            if len == 0 {
                problems.push(format!("audio attachment {num} is empty"));
            } else if len % 4 != 0 {
                problems.push(format!(
                    "audio attachment {num} is {len} bytes, not a whole number of Float32 samples (a multiple of 4)"
                ));
            }
        }
        let verdict = Verdict {
            index: pending.index,
            kind: pending.kind,
            family: Some(Family::Media),
            valid: !pending.invalid && problems.is_empty(),
        };
        if !pending.invalid && !problems.is_empty() {
            self.summary.mark_invalid(pending.kind);
        }
        for message in problems {
            self.emit(Finding {
                severity: Severity::Error,
                check: Check::Attachment,
                location: pending.location.clone(),
                family: Some(Family::Media),
                kind: pending.kind,
                pointer: "/1".into(),
                message,
                context: pending.context.clone(),
                excerpt: pending.excerpt.clone(),
                related: None,
            })?;
        }
        self.verdict(verdict)
    }

    fn verdict(&mut self, verdict: Verdict) -> io::Result<()> {
        (self.sink)(Event::Message(verdict)).map_err(output_error)
    }

    /// Whether the checks of one message, other than the rules across messages, find nothing in
    /// the valid message `decoded` (see the checks in `check_message`).
    fn nothing_of_its_own(&self, record: &Record, decoded: &Decoded) -> bool {
        let kind = decoded.kind;
        record.direction.is_none_or(|seen| kind.direction.allows(seen))
            && (self.family.is_some() || record.socket_family.is_none_or(|hint| hint == kind.family))
            && decoded.unix_seconds.as_ref().is_none_or(|(_, timestamp)| !looks_like_milliseconds(timestamp))
    }

    /// The excerpt of `span`, unless findings go without (cutting and redacting it is most of
    /// what reporting an invalid message costs).
    fn excerpt(&self, record: &Record, span: std::ops::Range<usize>) -> Option<crate::finding::Excerpt> {
        excerpt_of(self.excerpts, record, span)
    }

    /// The location of byte `offset` of `record.text`.
    fn location(&self, record: &Record, offset: usize, message_index: Option<usize>) -> Location {
        location_of(record, offset, message_index)
    }

    fn emit(&mut self, mut finding: Finding) -> io::Result<()> {
        finding.message = redact(&finding.message);
        finding.context = finding.context.iter().map(|c| redact(c)).collect();
        self.summary.count_finding(&finding);
        (self.sink)(Event::Finding(finding)).map_err(output_error)
    }
}

/// The excerpt of `span` of `record`, if findings get excerpts.
fn excerpt_of(excerpts: bool, record: &Record, span: std::ops::Range<usize>) -> Option<crate::finding::Excerpt> {
    let first_line = match record.position {
        Position::Text { line, .. } => Some(line),
        Position::Har { .. } | Position::Polling { .. } | Position::Packet { .. } => None,
    };
    excerpts.then(|| locate::excerpt(record.text, span, first_line))
}

/// The location of byte `offset` of `record.text`.
fn location_of(record: &Record, offset: usize, message_index: Option<usize>) -> Location {
    match record.position {
        Position::Text { line, column } => {
            let (lines_down, col) = locate::line_column(record.text, offset);
            let column = if lines_down == 0 { column + col } else { col + 1 };
            Location { line: Some(line + lines_down), column: Some(column), message_index, ..Location::default() }
        }
        Position::Har { entry, message } => {
            Location { message_index, entry: Some(entry), entry_message: Some(message), ..Location::default() }
        }
        Position::Polling { entry, packet } => {
            Location { message_index, entry: Some(entry), entry_packet: Some(packet), ..Location::default() }
        }
        Position::Packet { .. } => Location { message_index, ..position_location(record.position) },
    }
}

/// What the conversation checker learns of the message `text` of `record`, at `location`.
fn seen<'a>(record: &Record<'a>, text: &'a str, location: &'a Location) -> Seen<'a> {
    Seen {
        text,
        location,
        socket: record.socket,
        direction: record.direction,
        whole_socket: record.whole_socket,
        url_session: record.url_session,
        time: record.time,
    }
}

/// The sender of a record.
fn sender(record: &Record) -> Sender {
    (record.socket, record.direction)
}

/// Marks the sink's errors, so that they are told apart from read errors.
fn output_error(error: io::Error) -> io::Error {
    io::Error::new(error.kind(), crate::OutputError(error.to_string()))
}

fn position_location(position: Position) -> Location {
    match position {
        Position::Text { line, column } => Location { line: Some(line), column: Some(column), ..Location::default() },
        Position::Har { entry, message } => {
            Location { entry: Some(entry), entry_message: (message > 0).then_some(message), ..Location::default() }
        }
        Position::Polling { entry, packet } => {
            Location { entry: Some(entry), entry_packet: Some(packet), ..Location::default() }
        }
        Position::Packet { packet, stream, micros, part } => Location {
            packet: Some(packet),
            tcp_stream: stream,
            time_micros: Some(micros),
            entry_packet: part,
            ..Location::default()
        },
    }
}

fn capture_level(severity: Severity, check: Check, location: Location, message: String) -> Finding {
    Finding {
        severity,
        check,
        location,
        family: None,
        kind: None,
        pointer: String::new(),
        message,
        context: Vec::new(),
        excerpt: None,
        related: None,
    }
}

/// The check, sentence and span (bytes of the message text) of a decode error.
fn describe(
    error: &DecodeError,
    text: &str,
    at_end_unterminated: bool,
) -> (Check, String, Option<std::ops::Range<usize>>) {
    match error {
        DecodeError::Syntax { message, line, column, hint } => {
            let at = locate::offset_of(text, *line, *column);
            let end = text[at..].chars().next().map_or(at, |c| at + c.len_utf8());
            let hint = hint.map(|h| format!(" ({h})")).unwrap_or_default();
            if at_end_unterminated && message.starts_with("EOF while parsing") {
                let message =
                    format!("the capture ends in the middle of this message (its last line is cut off): {message}");
                return (Check::Truncated, message, Some(at..end));
            }
            (Check::Message(Rule::Syntax), format!("not valid JSON: {message}{hint}"), Some(at..end))
        }
        DecodeError::Envelope { message, .. } => (Check::Message(error.rule()), message.clone(), None),
        DecodeError::UnknownTag { family, tag, suggestion, .. } => {
            let suggestion = suggestion.map(|s| format!("; did you mean `{s}`?")).unwrap_or_default();
            (Check::Message(Rule::UnknownType), format!("unknown {family} message type `{tag}`{suggestion}"), None)
        }
        DecodeError::Invalid { pointer, message, .. } => {
            let span = if error.is_about_key() { locate::span(text, pointer, true) } else { None };
            (Check::Message(error.rule()), message.clone(), span)
        }
    }
}

fn direction_words(direction: Direction) -> &'static str {
    match direction {
        Direction::ClientToServer => "client to server",
        Direction::ServerToClient => "server to client",
    }
}
