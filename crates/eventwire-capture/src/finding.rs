//! What validation reports: findings (errors and warnings, each with its place in the capture)
//! and the per-file summary counts.

use std::collections::BTreeMap;
use std::fmt;

use eventwire::{Family, MessageKind, Rule};

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// The message (or capture) breaks the protocol.
    Error,
    /// Valid, but probably not what the sender meant.
    Warning,
}

impl Severity {
    /// `error` or `warning`.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// What a finding is about: a rule of the message types, or a check of the capture around them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Check {
    /// A rule of the message types (schema, content, syntax).
    Message(Rule),
    /// The message travels the other way than its type says.
    Direction,
    /// A Socket.IO binary attachment is missing, unexpected or not whole Float32 samples.
    Attachment,
    /// A Socket.IO or Engine.IO frame that cannot be parsed.
    Frame,
    /// The capture ends in the middle of a message.
    Truncated,
    /// One record is larger than the record size cap.
    RecordTooLarge,
    /// A record that is not UTF-8 text.
    Encoding,
    /// Unix seconds that look like milliseconds.
    TimestampUnit,
    /// A HAR WebSocket entry without its messages.
    NoSocketMessages,
    /// A message of another family than its socket's URL suggests.
    FamilyMismatch,
    /// A binary WebSocket frame where the protocol sends only text.
    BinaryFrame,
    /// A capture without a single message.
    NoMessages,
    /// A message or attachment the logger shortened or left out, so it was not validated in full.
    Shortened,
    /// An assistant conversation whose first update is not its start (`status`/`started`).
    ConversationStart,
    /// A second start within an assistant conversation that has not ended.
    ConversationRestart,
    /// An update of an assistant conversation after its end (`completed` or `error`).
    AfterEnd,
    /// Streamed text that does not grow by appending (or a final text that is not the whole answer).
    TextNotAppended,
    /// A value that must not change within a conversation did (`thread_id`).
    ThreadChanged,
    /// An assistant conversation still open when the capture ends.
    ConversationOpen,
    /// A stream reply with no request of its kind waiting for it.
    UnsolicitedReply,
    /// A stream request never answered.
    Unanswered,
    /// A stream socket whose first server message is not `connection_established`.
    FirstServerMessage,
    /// A stream message whose `session_id` is not the one in its socket's URL.
    SessionMismatch,
    /// Bytes of a TCP connection that a packet capture does not hold.
    TcpGap,
    /// A WebSocket whose handshake a packet capture does not hold.
    MidStream,
    /// A WebSocket frame that breaks RFC 6455 (masking, reserved bits and opcodes, fragments).
    WebSocketFrame,
    /// A permessage-deflate message that cannot be inflated.
    Inflate,
    /// A packet capture file that cannot be read on (cut short, damaged, a link type eventwire
    /// does not read).
    PacketCapture,
    /// More conversations, requests and sessions open at once than `--max-open`.
    MaxOpen,
}

impl Check {
    /// Every check that is not a message rule.
    pub const CAPTURE: [Check; 28] = [
        Check::Direction,
        Check::Attachment,
        Check::Frame,
        Check::Truncated,
        Check::RecordTooLarge,
        Check::Encoding,
        Check::TimestampUnit,
        Check::NoSocketMessages,
        Check::FamilyMismatch,
        Check::BinaryFrame,
        Check::NoMessages,
        Check::Shortened,
        Check::ConversationStart,
        Check::ConversationRestart,
        Check::AfterEnd,
        Check::TextNotAppended,
        Check::ThreadChanged,
        Check::ConversationOpen,
        Check::UnsolicitedReply,
        Check::Unanswered,
        Check::FirstServerMessage,
        Check::SessionMismatch,
        Check::MaxOpen,
        Check::TcpGap,
        Check::MidStream,
        Check::WebSocketFrame,
        Check::Inflate,
        Check::PacketCapture,
    ];

    /// Every check, message rules first.
    pub fn all() -> impl Iterator<Item = Check> {
        Rule::ALL.into_iter().map(Check::Message).chain(Check::CAPTURE)
    }

    /// A short kebab-case name, stable for machine-readable output.
    pub fn code(self) -> &'static str {
        match self {
            Check::Message(rule) => rule.code(),
            Check::Direction => "direction",
            Check::Attachment => "attachment",
            Check::Frame => "frame",
            Check::Truncated => "truncated",
            Check::RecordTooLarge => "record-too-large",
            Check::Encoding => "encoding",
            Check::TimestampUnit => "timestamp-unit",
            Check::NoSocketMessages => "no-socket-messages",
            Check::FamilyMismatch => "family-mismatch",
            Check::BinaryFrame => "binary-frame",
            Check::NoMessages => "no-messages",
            Check::Shortened => "shortened",
            Check::ConversationStart => "conversation-start",
            Check::ConversationRestart => "conversation-restart",
            Check::AfterEnd => "after-end",
            Check::TextNotAppended => "text-not-appended",
            Check::ThreadChanged => "thread-changed",
            Check::ConversationOpen => "conversation-open",
            Check::UnsolicitedReply => "unsolicited-reply",
            Check::Unanswered => "unanswered",
            Check::FirstServerMessage => "first-server-message",
            Check::SessionMismatch => "session-mismatch",
            Check::MaxOpen => "max-open",
            Check::TcpGap => "tcp-gap",
            Check::MidStream => "mid-stream",
            Check::WebSocketFrame => "websocket-frame",
            Check::Inflate => "inflate",
            Check::PacketCapture => "packet-capture",
        }
    }

    /// One line on what the check is.
    pub fn description(self) -> &'static str {
        match self {
            Check::Message(rule) => rule.description(),
            Check::Direction => "A message seen travelling the other way than its type says (C→S or S→C).",
            Check::Attachment => {
                "A Socket.IO binary attachment that is missing, unexpected, or not whole Float32 samples."
            }
            Check::Frame => "A Socket.IO / Engine.IO frame that cannot be parsed.",
            Check::Truncated => "The capture ends in the middle of a message.",
            Check::RecordTooLarge => "One record is larger than the record size cap (--max-record-size).",
            Check::Encoding => "A record that is not UTF-8 text.",
            Check::TimestampUnit => "A timestamp documented as Unix seconds whose value looks like milliseconds.",
            Check::NoSocketMessages => {
                "A HAR WebSocket entry without its messages (Firefox and Safari do not export them)."
            }
            Check::FamilyMismatch => "A message of another family than its socket's URL suggests.",
            Check::BinaryFrame => "A binary WebSocket frame where the protocol sends only text.",
            Check::NoMessages => "A capture without a single message.",
            Check::Shortened => {
                "A message or attachment the logger shortened or left out (websockets' WEBSOCKETS_MAX_LOG_SIZE, engineio's `<binary>`), so it was not validated in full."
            }
            Check::ConversationStart => {
                "An assistant conversation (`channel`, `message_id`) whose first update is not `status`/`started`: an error where the capture holds the socket from its opening, else a warning."
            }
            Check::ConversationRestart => "A second `started` within an assistant conversation that has not ended.",
            Check::AfterEnd => "An assistant update after its conversation's end (`completed` or `error`).",
            Check::TextNotAppended => {
                "An `in_progress` text that does not start with the previous one, or a `completed` text that does not start with the last `in_progress` text."
            }
            Check::ThreadChanged => "A `thread_id` that changes within an assistant conversation.",
            Check::ConversationOpen => {
                "An assistant conversation still open when its socket or the capture ends (a warning: captures get cut)."
            }
            Check::UnsolicitedReply => {
                "A stream reply (`pong`, `audio_received`, …) with no request of its kind waiting: an error where the capture holds both directions of the socket from its opening, else a warning."
            }
            Check::Unanswered => "A stream request never answered (a warning).",
            Check::FirstServerMessage => {
                "A stream socket whose first server message is not `connection_established`: an error where the capture holds both directions of the socket from its opening, else a warning."
            }
            Check::SessionMismatch => {
                "A stream `session_id` that is not the `{session_id}` of its socket's URL `/api/stream/ws/{session_id}`."
            }
            Check::MaxOpen => {
                "More conversations, waiting requests and stream sessions at once than --max-open: the oldest are dropped."
            }
            Check::TcpGap => {
                "Bytes of a TCP connection that the packet capture does not hold (dropped by the capture tool): what they held is not validated, and reading resumes at the next WebSocket frame that can be trusted."
            }
            Check::MidStream => {
                "A WebSocket whose handshake the packet capture does not hold (the capture started after it opened): its URL and extensions are unknown (a warning)."
            }
            Check::WebSocketFrame => {
                "A WebSocket frame that breaks RFC 6455: a client frame not masked or a server frame masked, reserved bits or opcodes, a control frame fragmented or over 125 bytes, a continuation with no message."
            }
            Check::Inflate => {
                "A permessage-deflate message that cannot be inflated (damaged, or after a gap with context takeover)."
            }
            Check::PacketCapture => {
                "A packet capture that cannot be read on: cut in the middle of a packet, a damaged block, or a link type eventwire does not read."
            }
        }
    }
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Where in the capture a finding is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Location {
    /// 1-based line in the file (line formats and JSON documents).
    pub line: Option<usize>,
    /// 1-based column, in characters, on that line.
    pub column: Option<usize>,
    /// 1-based ordinal of the message among the file's messages (control frames not counted).
    pub message_index: Option<usize>,
    /// 1-based HAR entry.
    pub entry: Option<usize>,
    /// 1-based position of the WebSocket message within its HAR entry (frames included).
    pub entry_message: Option<usize>,
    /// 1-based position of the Engine.IO packet within a Socket.IO long-polling body (the
    /// request body of a `POST`, the response body of a `GET`) of a HAR entry or of a packet
    /// capture's HTTP message.
    pub entry_packet: Option<usize>,
    /// 1-based packet of a packet capture (pcap, pcapng), numbered as Wireshark numbers frames:
    /// the packet that ended the message.
    pub packet: Option<usize>,
    /// The TCP connection of a packet capture, as Wireshark's 0-based `tcp.stream`.
    pub tcp_stream: Option<usize>,
    /// When a packet capture saw the packet, in Unix microseconds.
    pub time_micros: Option<u64>,
}

/// A line of the capture around a finding, with the part to underline. Long strings (base64) are
/// elided and secrets redacted already.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Excerpt {
    /// The file line number of `text`, when the capture has lines.
    pub line: Option<usize>,
    /// The text to show (one line).
    pub text: String,
    /// The characters of `text` to underline (char offsets, start < end).
    pub underline: std::ops::Range<usize>,
}

/// One thing wrong (or suspicious) in a capture. Every string in it is already redacted.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// Error or warning.
    pub severity: Severity,
    /// What kind of problem.
    pub check: Check,
    /// Where it is in the capture.
    pub location: Location,
    /// The family of the message, when known.
    pub family: Option<Family>,
    /// The message type, when known.
    pub kind: Option<&'static MessageKind>,
    /// Where in the message, as a JSON Pointer (`""` for the whole message).
    pub pointer: String,
    /// What is wrong, in a sentence.
    pub message: String,
    /// What the capture says around the message: the log prefix, the HAR socket URL, the
    /// Socket.IO namespace and direction.
    pub context: Vec<String>,
    /// The offending text, when there is one.
    pub excerpt: Option<Excerpt>,
    /// The other message a rule across messages involves (the `completed` an update follows,
    /// the text it should have appended to), when there is one.
    pub related: Option<Location>,
}

/// Message counts of one family or one message type.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Messages seen.
    pub messages: usize,
    /// Of those, invalid.
    pub invalid: usize,
}

/// Counts over one or more files.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Messages seen (protocol frames and skipped lines are not messages).
    pub messages: usize,
    /// Messages with at least one error.
    pub invalid: usize,
    /// Error findings (a message can have several, and a capture can have errors outside messages).
    pub errors: usize,
    /// Warning findings.
    pub warnings: usize,
    /// Errors outside any message (a stray binary frame, an array cut short).
    pub capture_errors: usize,
    /// Engine.IO / Socket.IO protocol frames recognised and skipped.
    pub control_frames: usize,
    /// Log lines without a message, skipped.
    pub skipped_lines: usize,
    /// Per family, for messages whose family is known.
    pub by_family: BTreeMap<Family, Tally>,
    /// Per message type (`family`, `tag`), for messages whose type is known.
    pub by_type: BTreeMap<(Family, &'static str), Tally>,
    /// Findings per check.
    pub by_check: BTreeMap<Check, usize>,
    /// The time from request to reply, per request tag (`ping`, `audio`, …).
    pub latency: BTreeMap<&'static str, crate::conversation::Latency>,
}

impl Summary {
    /// Messages without errors.
    pub fn valid(&self) -> usize {
        self.messages - self.invalid
    }

    /// Whether nothing was found at all: no message, no protocol frame, no finding.
    pub fn is_empty(&self) -> bool {
        self.messages == 0 && self.control_frames == 0 && self.errors == 0 && self.warnings == 0
    }

    /// Whether anything breaks the protocol: an invalid message or an error outside messages.
    pub fn has_errors(&self) -> bool {
        self.invalid > 0 || self.capture_errors > 0
    }

    /// Adds another summary's counts to this one.
    pub fn add(&mut self, other: &Summary) {
        self.messages += other.messages;
        self.invalid += other.invalid;
        self.errors += other.errors;
        self.warnings += other.warnings;
        self.capture_errors += other.capture_errors;
        self.control_frames += other.control_frames;
        self.skipped_lines += other.skipped_lines;
        for (family, tally) in &other.by_family {
            add_tally(self.by_family.entry(*family).or_default(), tally);
        }
        for (kind, tally) in &other.by_type {
            add_tally(self.by_type.entry(*kind).or_default(), tally);
        }
        for (check, n) in &other.by_check {
            *self.by_check.entry(*check).or_default() += n;
        }
        for (request, latency) in &other.latency {
            self.latency.entry(request).or_default().add(latency);
        }
    }

    pub(crate) fn count_message(&mut self, kind: Option<&'static MessageKind>, family: Option<Family>, invalid: bool) {
        self.messages += 1;
        self.invalid += usize::from(invalid);
        if let Some(family) = kind.map(|k| k.family).or(family) {
            add_tally(self.by_family.entry(family).or_default(), &Tally { messages: 1, invalid: usize::from(invalid) });
        }
        if let Some(kind) = kind {
            let tally = self.by_type.entry((kind.family, kind.tag)).or_default();
            add_tally(tally, &Tally { messages: 1, invalid: usize::from(invalid) });
        }
    }

    /// Adds `messages` valid messages of `kind` to the tables (they are already in `messages`).
    pub(crate) fn tally_valid(&mut self, kind: &'static MessageKind, messages: usize) {
        let tally = Tally { messages, invalid: 0 };
        add_tally(self.by_family.entry(kind.family).or_default(), &tally);
        add_tally(self.by_type.entry((kind.family, kind.tag)).or_default(), &tally);
    }

    /// A message already counted as valid turned out invalid (a Socket.IO attachment is wrong).
    pub(crate) fn mark_invalid(&mut self, kind: Option<&'static MessageKind>) {
        self.invalid += 1;
        if let Some(kind) = kind {
            self.by_family.entry(kind.family).or_default().invalid += 1;
            self.by_type.entry((kind.family, kind.tag)).or_default().invalid += 1;
        }
    }

    pub(crate) fn count_finding(&mut self, finding: &Finding) {
        match finding.severity {
            Severity::Error => self.errors += 1,
            Severity::Warning => self.warnings += 1,
        }
        if finding.severity == Severity::Error && finding.location.message_index.is_none() {
            self.capture_errors += 1;
        }
        *self.by_check.entry(finding.check).or_default() += 1;
    }
}

fn add_tally(into: &mut Tally, from: &Tally) {
    into.messages += from.messages;
    into.invalid += from.invalid;
}
