//! Log lines: whatever prefix a logger wrote (timestamp, level, a `>`/`<` direction marker),
//! then a JSON message or a Socket.IO frame; and the logs developers already have, read for what
//! they are: Python `websockets` DEBUG lines (`websockets.rs`), python-engineio's packet lines
//! (`engineio.rs`) and `redis-cli subscribe` output (`redis.rs`).

use std::collections::HashMap;
use std::io;

use eventwire::Direction;

use super::TextLine;
use super::clock;
use super::engineio::{self, Packet, PacketLine};
use super::redis::{self, Replies};
use super::websockets::{self, FrameLine, Opcode};
use crate::CaptureError;
use crate::finding::{Check, Severity};
use crate::formats::{CaptureFormat, Confidence, Head, Input};
use crate::socketio;
use crate::validator::{Position, Record, Validator};

/// The log line format.
pub(crate) struct Log;

impl CaptureFormat for Log {
    fn name(&self) -> &'static str {
        "log"
    }
    fn about(&self) -> &'static str {
        "Log lines: a prefix (timestamp, level, `>`/`<`/`send:`/`recv:`), then a JSON message or a frame; Python `websockets` DEBUG lines; `redis-cli subscribe` output."
    }
    fn sniff(&self, head: &Head) -> Option<Confidence> {
        (!matches!(head.text.first(), Some(b'{' | b'['))).then_some(Confidence::Fallback)
    }
    fn read(&self, input: Input, validator: &mut Validator) -> Result<(), CaptureError> {
        let mut reader = LogReader::default();
        super::validate_text_lines(input, validator, |line, validator| reader.line(line, validator))?;
        reader.finish(validator).map_err(crate::io_failure)
    }
}

/// What reading a log carries from line to line.
#[derive(Default)]
struct LogReader {
    /// Per direction (sent by the logging side, received by it), a `websockets` message whose
    /// later frames are still to come: its text so far, and where it started.
    fragments: [Option<Fragments>; 2],
    /// The redis-cli reply being read.
    replies: Replies,
    /// The socket of each Engine.IO session an engineio server log names (from 1; `0` is the
    /// log's one socket where it names none).
    sessions: HashMap<String, usize>,
    /// Binary attachments engineio logged as `<binary>`, and the line of the first.
    unseen_attachments: Option<(usize, usize)>,
}

/// The frames of a fragmented message read so far.
struct Fragments {
    text: String,
    line: usize,
    column: usize,
    direction: Option<Direction>,
    /// A frame of it was cut by the logger, so the message cannot be validated.
    cut: bool,
    /// When its last frame was logged.
    time: Option<f64>,
}

impl LogReader {
    fn line(&mut self, line: TextLine, validator: &mut Validator) -> io::Result<()> {
        if let Some(frame) = websockets::frame_line(line.text) {
            return self.websockets_frame(&line, frame, validator);
        }
        if let Some(packet) = engineio::packet_line(line.text) {
            return self.engineio_packet(&line, packet, validator);
        }
        if let Some(reply) = redis::reply_line(line.text) {
            if let Some(published) = self.replies.push(reply) {
                let context = [format!("redis channel `{}`", published.channel)];
                let column = 1 + line.text.find('"').unwrap_or(0);
                let record = record(&line, column, &published.payload, None, &context);
                return validator.message(&record);
            }
            return Ok(());
        }
        log_line(&line, validator)
    }

    /// A frame `websockets` logged: a whole text message is validated, a fragment kept until its
    /// message is whole, control frames counted, binary frames handed on as binary.
    fn websockets_frame(&mut self, line: &TextLine, frame: FrameLine, validator: &mut Validator) -> io::Result<()> {
        let column = 1 + line.text[..frame.payload_at].chars().count();
        let slot = usize::from(frame.received);
        let context = logged_by("`websockets`", frame.direction);
        match frame.opcode {
            Opcode::Control => {
                validator.summary.control_frames += 1;
                Ok(())
            }
            Opcode::Binary if frame.continued => Ok(()),
            Opcode::Binary => {
                let record = record(line, column, "", frame.direction, &context);
                validator.binary(&record, Some(frame.bytes), false)
            }
            Opcode::Text | Opcode::Continuation => {
                let text = websockets::python_string(frame.payload);
                let whole = text.as_ref().is_some_and(|text| text.len() == frame.bytes);
                let fragments = match (frame.opcode, self.fragments[slot].take()) {
                    (Opcode::Continuation, Some(mut fragments)) => {
                        fragments.text.push_str(text.as_deref().unwrap_or_default());
                        fragments.cut |= !whole;
                        fragments.time = clock::line_time(line.text);
                        fragments
                    }
                    // A continuation whose first frame is not in the log (binary, or before it began).
                    (Opcode::Continuation, None) => return Ok(()),
                    _ => Fragments {
                        text: text.unwrap_or_default(),
                        line: line.number,
                        column,
                        direction: frame.direction,
                        cut: !whole,
                        time: clock::line_time(line.text),
                    },
                };
                if frame.continued {
                    self.fragments[slot] = Some(fragments);
                    return Ok(());
                }
                self.whole_message(fragments, &context, validator)
            }
        }
    }

    /// A packet engineio logged: a Socket.IO packet is a frame of its session's socket, a
    /// `<binary>` one an attachment of unknown length.
    fn engineio_packet(&mut self, line: &TextLine, packet: PacketLine, validator: &mut Validator) -> io::Result<()> {
        let next = self.sessions.len() + 1;
        let socket = packet.sid.map_or(0, |sid| *self.sessions.entry(sid.to_owned()).or_insert(next));
        let context = logged_by("engineio", packet.direction);
        // The frame is the Engine.IO message packet `4` and its data; the `4` sits just before it.
        let column = line.text[..packet.data_at].chars().count();
        match packet.packet {
            Packet::Control => {
                validator.summary.control_frames += 1;
                Ok(())
            }
            Packet::Binary => {
                let (count, _) = self.unseen_attachments.get_or_insert((0, line.number));
                *count += 1;
                let record = Record { socket, ..record(line, column + 1, "", packet.direction, &context) };
                validator.binary(&record, None, true)
            }
            Packet::SocketIo(data) => {
                let frame = format!("4{data}");
                let record = Record { socket, ..record(line, column, &frame, packet.direction, &context) };
                validator.frame(&record)
            }
        }
    }

    /// A message whose last frame the log holds: validated, unless the logger cut it.
    fn whole_message(&self, fragments: Fragments, context: &[String], validator: &mut Validator) -> io::Result<()> {
        let position = Position::Text { line: fragments.line, column: fragments.column };
        if fragments.cut {
            let message = "the `websockets` logger shortened this message (to WEBSOCKETS_MAX_LOG_SIZE, 75 characters by default), so it was not validated; set WEBSOCKETS_MAX_LOG_SIZE to more than your largest message (say 1000000) before the program starts, to log messages whole".to_owned();
            return validator.capture_finding(Severity::Warning, Check::Shortened, position, message);
        }
        let record = Record {
            direction: fragments.direction,
            context,
            time: fragments.time,
            ..Record::at(&fragments.text, position)
        };
        validator.message(&record)
    }

    /// The end of the log: a message whose last frame never came is reported, and attachments
    /// whose bytes the log left out.
    fn finish(&mut self, validator: &mut Validator) -> io::Result<()> {
        if let Some((count, line)) = self.unseen_attachments.take() {
            let position = Position::Text { line, column: 1 };
            let message = format!(
                "engineio logs binary attachments as `<binary>`, without their bytes: {count} attachment(s) were counted but their Float32 samples not checked; capture the traffic as a HAR to check them"
            );
            validator.capture_finding(Severity::Warning, Check::Shortened, position, message)?;
        }
        for fragments in self.fragments.iter_mut().filter_map(Option::take) {
            let position = Position::Text { line: fragments.line, column: fragments.column };
            let message = "the log ends before the last frame of this fragmented message".to_owned();
            validator.capture_finding(Severity::Warning, Check::Truncated, position, message)?;
        }
        Ok(())
    }
}

/// A record of `text`, at `column` of `line`, seen going `direction`.
fn record<'a>(
    line: &TextLine,
    column: usize,
    text: &'a str,
    direction: Option<Direction>,
    context: &'a [String],
) -> Record<'a> {
    let time = clock::line_time(line.text);
    Record { direction, context, time, ..Record::at(text, Position::Text { line: line.number, column }) }
}

/// The notes shown with a finding on a line that `logger` wrote, seen going `direction`.
fn logged_by(logger: &str, direction: Option<Direction>) -> Vec<String> {
    let mut context = vec![format!("logged by {logger}")];
    context.extend(direction_context(direction));
    context
}

/// A log line: find the JSON message or Socket.IO frame after whatever prefix the logger wrote.
fn log_line(line: &TextLine, validator: &mut Validator) -> io::Result<()> {
    let TextLine { text, number, terminated } = *line;
    let Some((start, kind)) = find_payload(text) else {
        validator.summary.skipped_lines += 1;
        return Ok(());
    };
    let prefix = text[..start].trim_end();
    let payload = text[start..].trim_end();
    let direction = direction_of(prefix);
    // Without a direction marker, text that is not JSON and does not quote like JSON (a Python
    // dict's `{'sid': ...}`, a list `[]` in prose) is log text, not a broken message.
    let quoted_like_json = payload.starts_with(['{', '[']) && quotes_like_json(payload);
    if kind == Payload::Broken && direction.is_none() && !quoted_like_json {
        validator.summary.skipped_lines += 1;
        return Ok(());
    }
    let is_frame = kind == Payload::Frame;
    let mut context = Vec::new();
    if !prefix.is_empty() {
        context.push(format!("log prefix `{prefix}`"));
    }
    context.extend(direction_context(direction));
    let record = Record {
        direction,
        context: &context,
        at_end_unterminated: !terminated,
        // Structured logs carry other JSON too; without a direction marker, JSON that matches no
        // family is taken for one of those, not for a broken message.
        maybe_not_a_message: direction.is_none() && !is_frame,
        time: clock::line_time(text),
        ..Record::at(payload, Position::Text { line: number, column: 1 + text[..start].chars().count() })
    };
    if is_frame { validator.frame(&record) } else { validator.message(&record) }
}

/// What a log line's payload is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Payload {
    /// A Socket.IO frame.
    Frame,
    /// JSON that parses.
    Json,
    /// JSON that does not parse: the candidate the parser got furthest into.
    Broken,
}

/// Where the payload of a log line starts, and what it is: the first candidate (a `{` or `[`,
/// or a frame at the start of a word) that parses to the end of the line. When none does, the
/// JSON candidate the parser got furthest into, so its error is reported. At most
/// [`JSON_TRIES`] candidates are parsed, so that a long line of brackets costs linear time.
fn find_payload(text: &str) -> Option<(usize, Payload)> {
    let text = text.trim_end();
    let bytes = text.as_bytes();
    let mut best: Option<(usize, usize)> = None;
    let mut tries = 0;
    for at in 0..bytes.len() {
        let word_start = at == 0 || bytes[at - 1].is_ascii_whitespace() || b":>|]".contains(&bytes[at - 1]);
        if !word_start {
            continue;
        }
        let rest = &text[at..];
        if socketio::looks_like_frame(rest) && socketio::parse(rest).is_ok() {
            return Some((at, Payload::Frame));
        }
        if starts_like_a_message(rest) {
            if tries == JSON_TRIES {
                break;
            }
            tries += 1;
            match serde_json::from_str::<serde::de::IgnoredAny>(rest) {
                Ok(_) => return Some((at, Payload::Json)),
                Err(error) => {
                    let reached = locate_error(rest, &error);
                    if best.is_none_or(|(_, furthest)| reached > furthest) {
                        best = Some((at, reached));
                    }
                }
            }
        }
    }
    best.map(|(at, _)| (at, Payload::Broken))
}

/// How many places of one line [`find_payload`] parses as JSON: a log prefix has a few
/// brackets that start like a message (`[{`, `["`) at most; past that the line is broken JSON.
const JSON_TRIES: usize = 8;

/// Whether a bracket's first member is quoted as JSON quotes (`{"` or `["`).
fn quotes_like_json(text: &str) -> bool {
    text[1..].trim_start().starts_with('"')
}

/// Whether text after a log prefix starts like a JSON message (`{"`, `["`, `[{`), not like the
/// brackets loggers put around levels and timestamps (`[INFO]`, `[2025-09-26 10:00:00]`).
fn starts_like_a_message(text: &str) -> bool {
    let mut chars = text.chars();
    let open = chars.next();
    let next = chars.find(|c| !c.is_whitespace());
    matches!((open, next), (Some('{'), Some('"' | '\'' | '}')) | (Some('['), Some('"' | '{' | '[' | ']')))
}

fn locate_error(text: &str, error: &serde_json::Error) -> usize {
    crate::locate::offset_of(text, error.line(), error.column())
}

/// The direction the markers in a log prefix give, if they give exactly one.
pub(crate) fn direction_of(prefix: &str) -> Option<Direction> {
    let mut found = prefix.split(|c: char| c.is_whitespace() || c == '|').filter_map(marker);
    let first = found.next()?;
    found.all(|d| d == first).then_some(first)
}

/// A word that marks a direction, as `wscat`, `websocat`, proxies and hand-written logs write it.
pub(crate) fn marker(word: &str) -> Option<Direction> {
    let word = word.trim_matches(|c: char| matches!(c, ':' | '[' | ']' | '(' | ')')).to_ascii_lowercase();
    match word.as_str() {
        ">" | ">>" | "->" | "-->" | "→" | "send" | "sent" | "tx" | "outgoing" | "c->s" | "c→s" | "client->server" => {
            Some(Direction::ClientToServer)
        }
        "<" | "<<" | "<-" | "<--" | "←" | "recv" | "received" | "receive" | "rx" | "incoming" | "s->c" | "s→c"
        | "server->client" => Some(Direction::ServerToClient),
        _ => None,
    }
}

pub(crate) fn direction_context(direction: Option<Direction>) -> Vec<String> {
    direction.map(|d| format!("seen {}", d.arrow())).into_iter().collect()
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_are_found_after_prefixes() {
        let cases = [
            (r#"{"type":"ping"}"#, Some((0, Payload::Json))),
            (r#"2025-09-26T10:00:00Z [INFO] > {"type":"ping"}"#, Some((30, Payload::Json))),
            (r#"[2025-09-26 10:00:00] [debug] < ["audio_data",{}]"#, Some((32, Payload::Json))),
            (r#"12:00:01 send: 42["audio_data",{}]"#, Some((15, Payload::Frame))),
            ("12:00:01 < 3", Some((11, Payload::Frame))),
            ("2026-12-02 20:54:42,254 INFO socketio.client Engine.IO connection dropped", None),
            ("connected to the server", None),
            ("[INFO] [2025-09-26 10:00:00] connected", None),
            (r#"INFO > {"type": NaN}"#, Some((7, Payload::Broken))),
            ("INFO accepted with {'sid': 'x', 'upgrades': [], 'pingTimeout': 5}", Some((44, Payload::Broken))),
        ];
        for (text, expected) in cases {
            assert_eq!(find_payload(text), expected, "{text}");
        }
    }

    #[test]
    fn direction_markers() {
        assert_eq!(direction_of("2025-09-26T10:00:00Z [INFO] >"), Some(Direction::ClientToServer));
        assert_eq!(direction_of("12:00:01 recv:"), Some(Direction::ServerToClient));
        assert_eq!(direction_of("12:00:01 INFO"), None);
        assert_eq!(direction_of("> <"), None, "contradicting markers say nothing");
    }

    /// Text that is not JSON is reported as a broken message only where it looks like one: after
    /// a direction marker, or quoted as JSON quotes.
    #[test]
    fn broken_json_is_a_message_only_where_it_looks_like_one() {
        let lines = [
            (
                "INFO engineio.client WebSocket connection accepted with {'sid': 'x', 'upgrades': [], 'pingTimeout': 5}",
                false,
            ),
            (r#"DEBUG < {'type': 'pong', 'session_id': 's1', 'timestamp': 1}"#, true),
            (r#"DEBUG {"type": "ping", "session_id": NaN}"#, true),
        ];
        for (text, reported) in lines {
            let mut findings = 0;
            let mut sink = |event| {
                findings += usize::from(matches!(event, crate::validator::Event::Finding(_)));
                Ok(())
            };
            let mut validator = Validator::new(None, false, &mut sink);
            log_line(&TextLine { text, number: 1, terminated: true }, &mut validator).unwrap();
            let skipped = validator.summary.skipped_lines;
            drop(validator);
            assert_eq!((findings > 0, skipped == 0), (reported, reported), "{text}");
        }
    }

    /// Whatever a line holds, reading it reports or skips it and never panics: every sample
    /// line of each kind a log reader knows, with a character inserted, replaced or removed at
    /// every place (multi-byte ones included, where a slice could land inside one).
    #[test]
    fn damaged_log_lines_never_panic() {
        let samples = [
            r#"2026-12-02 18:00:00,001 DEBUG websockets.server < TEXT '{"type": "ping", "n": "\x00é"}' [25 bytes]"#,
            r#"DEBUG:websockets.client:> TEXT '{"a": 1}' [8 bytes, continued]"#,
            "DEBUG:websockets.client:< CONT 'b' [1 byte]",
            "DEBUG:websockets.client:< BINARY 01 02 03 [3 bytes]",
            r#"INFO engineio.server x: Received packet MESSAGE data 451-["audio_data",{"_placeholder":true,"num":0}]"#,
            "INFO engineio.server x: Received packet MESSAGE data <binary>",
            r#"3) "{\"event_type\": \"caf\xc3\xa9\"}""#,
            r#"1) "message""#,
            r#"12:00:01 send: 42["audio_data",{}]"#,
            r#"2025-09-26T10:00:00Z [INFO] > {"type":"ping","session_id":"é","timestamp":1}"#,
        ];
        let alphabet = ['é', '😀', '\\', '\'', '"', ' ', '[', ']', '{', '}', '<', '>', ':', ')', '4', '5', '-', 'x'];
        let mut sink = |_| Ok(());
        let mut validator = Validator::new(None, true, &mut sink);
        let mut reader = LogReader::default();
        let mut lines = 0;
        for sample in samples {
            let chars: Vec<char> = sample.chars().collect();
            for at in 0..=chars.len() {
                for &c in &alphabet {
                    let mut inserted = chars.clone();
                    inserted.insert(at, c);
                    let mut variants = vec![inserted];
                    if at < chars.len() {
                        let mut replaced = chars.clone();
                        replaced[at] = c;
                        variants.push(replaced);
                    }
                    for variant in variants {
                        let text: String = variant.into_iter().collect();
                        reader.line(TextLine { text: &text, number: 1, terminated: true }, &mut validator).unwrap();
                        lines += 1;
                    }
                }
                let mut removed = chars.clone();
                if at < chars.len() {
                    removed.remove(at);
                }
                let text: String = removed.into_iter().collect();
                reader.line(TextLine { text: &text, number: 1, terminated: true }, &mut validator).unwrap();
            }
        }
        reader.finish(&mut validator).unwrap();
        validator.finish(true).unwrap();
        assert!(lines > 10_000, "{lines} damaged lines read");
    }
}
