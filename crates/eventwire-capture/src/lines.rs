//! Line formats: JSON Lines, Socket.IO frame logs and log lines with a prefix. Lines are read
//! with a size cap, so a file without newlines cannot exhaust memory.

use std::io::{self, BufRead};

use eventwire::Direction;

use crate::check::{Position, Record, Validator};
use crate::detect::InputFormat;
use crate::finding::Check;
use crate::socketio;

/// What reading one line gave.
enum Line {
    /// The line is in the buffer; `terminated` when a newline ended it.
    Text { terminated: bool },
    /// The line was longer than the cap; its `bytes` were skipped.
    TooLong { bytes: u64 },
}

/// Reads one line into `buffer` (without its newline), keeping at most `cap` bytes.
fn read_line(reader: &mut dyn BufRead, buffer: &mut Vec<u8>, cap: u64) -> io::Result<Option<Line>> {
    buffer.clear();
    let mut skipped: u64 = 0;
    let mut started = false;
    loop {
        let available = reader.fill_buf()?;
        if available.is_empty() {
            return Ok(match (started, skipped) {
                (false, _) => None,
                (true, 0) => Some(Line::Text { terminated: false }),
                (true, bytes) => Some(Line::TooLong { bytes }),
            });
        }
        started = true;
        let (chunk, found) = match memchr::memchr(b'\n', available) {
            Some(at) => (&available[..at], true),
            None => (available, false),
        };
        if skipped == 0 && (buffer.len() + chunk.len()) as u64 <= cap {
            buffer.extend_from_slice(chunk);
        } else {
            skipped += (buffer.len() + chunk.len()) as u64;
            buffer.clear();
        }
        let consumed = chunk.len() + usize::from(found);
        reader.consume(consumed);
        if found {
            return Ok(Some(if skipped > 0 {
                Line::TooLong { bytes: skipped }
            } else {
                Line::Text { terminated: true }
            }));
        }
    }
}

/// Validates every line of a line-format capture.
pub(crate) fn validate(
    reader: &mut dyn BufRead,
    format: InputFormat,
    cap: u64,
    validator: &mut Validator,
) -> io::Result<()> {
    let mut buffer = Vec::new();
    let mut number = 0;
    while let Some(line) = read_line(reader, &mut buffer, cap)? {
        number += 1;
        let start = Position::Text { line: number, column: 1 };
        let terminated = match line {
            Line::TooLong { bytes } => {
                let message = format!(
                    "line of {bytes} bytes is larger than the record size cap of {cap} bytes; skipped (raise it with --max-record-size)"
                );
                validator.unreadable_message(start, Check::RecordTooLarge, message)?;
                continue;
            }
            Line::Text { terminated } => terminated,
        };
        let text = match std::str::from_utf8(&buffer) {
            Ok(text) => text,
            Err(error) => {
                let message = format!("not UTF-8 text (invalid byte at offset {})", error.valid_up_to());
                validator.unreadable_message(start, Check::Encoding, message)?;
                continue;
            }
        };
        let text = text.strip_suffix('\r').unwrap_or(text);
        let text = if number == 1 { text.strip_prefix('\u{feff}').unwrap_or(text) } else { text };
        let trimmed = text.trim_start();
        if trimmed.trim_end().is_empty() {
            continue;
        }
        let indent = text.len() - trimmed.len();
        match format {
            InputFormat::SocketIo => line_as_frame(text, number, terminated, validator)?,
            InputFormat::Log => log_line(text, number, terminated, validator)?,
            _ => {
                let payload = trimmed.trim_end();
                validator.message(&Record {
                    text: payload,
                    position: Position::Text { line: number, column: 1 + text[..indent].chars().count() },
                    direction: None,
                    context: Vec::new(),
                    socket_family: None,
                    at_end_unterminated: !terminated,
                    maybe_not_a_message: false,
                })?;
            }
        }
    }
    Ok(())
}

/// A line of a Socket.IO frame log: an optional direction marker, then one frame.
fn line_as_frame(text: &str, number: usize, terminated: bool, validator: &mut Validator) -> io::Result<()> {
    let (prefix, payload, direction) = split_marker(text);
    let record = Record {
        text: payload,
        position: Position::Text { line: number, column: 1 + prefix.chars().count() },
        direction,
        context: direction_context(direction),
        socket_family: None,
        at_end_unterminated: !terminated,
        maybe_not_a_message: false,
    };
    if payload.starts_with(['{', '[']) { validator.message(&record) } else { validator.frame(&record) }
}

/// A log line: find the JSON message or Socket.IO frame after whatever prefix the logger wrote.
fn log_line(text: &str, number: usize, terminated: bool, validator: &mut Validator) -> io::Result<()> {
    let Some((start, is_frame)) = find_payload(text) else {
        validator.summary.skipped_lines += 1;
        return Ok(());
    };
    let prefix = text[..start].trim_end();
    let payload = text[start..].trim_end();
    let direction = direction_of(prefix);
    let mut context = Vec::new();
    if !prefix.is_empty() {
        context.push(format!("log prefix `{prefix}`"));
    }
    context.extend(direction_context(direction));
    let record = Record {
        text: payload,
        position: Position::Text { line: number, column: 1 + text[..start].chars().count() },
        direction,
        context,
        socket_family: None,
        at_end_unterminated: !terminated,
        // Structured logs carry other JSON too; without a direction marker, JSON that matches no
        // family is taken for one of those, not for a broken message.
        maybe_not_a_message: direction.is_none() && !is_frame,
    };
    if is_frame { validator.frame(&record) } else { validator.message(&record) }
}

/// Where the payload of a log line starts, and whether it is a Socket.IO frame: the first
/// candidate (a `{` or `[`, or a frame at the start of a word) that parses to the end of the line.
/// When none does, the JSON candidate the parser got furthest into, so its error is reported.
fn find_payload(text: &str) -> Option<(usize, bool)> {
    let bytes = text.as_bytes();
    let mut best: Option<(usize, usize)> = None;
    for at in 0..bytes.len() {
        let word_start = at == 0 || bytes[at - 1].is_ascii_whitespace() || b":>|]".contains(&bytes[at - 1]);
        if !word_start {
            continue;
        }
        let rest = text[at..].trim_end();
        if socketio::looks_like_frame(rest) && socketio::parse(rest).is_ok() {
            return Some((at, true));
        }
        if starts_like_a_message(rest) {
            match serde_json::from_str::<serde::de::IgnoredAny>(rest) {
                Ok(_) => return Some((at, false)),
                Err(error) => {
                    let reached = locate_error(rest, &error);
                    if best.is_none_or(|(_, furthest)| reached > furthest) {
                        best = Some((at, reached));
                    }
                }
            }
        }
    }
    best.map(|(at, _)| (at, false))
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

/// Splits a leading direction marker (`>`, `<`, `send:` ...) off a frame log line.
fn split_marker(text: &str) -> (&str, &str, Option<Direction>) {
    let trimmed = text.trim();
    if let Some((word, rest)) = trimmed.split_once(char::is_whitespace) {
        if let Some(direction) = marker(word) {
            let rest = rest.trim_start();
            let prefix_len = text.len() - text.trim_start().len() + (trimmed.len() - rest.len());
            return (&text[..prefix_len], rest, Some(direction));
        }
    }
    ("", trimmed, None)
}

/// The direction the markers in a log prefix give, if they give exactly one.
fn direction_of(prefix: &str) -> Option<Direction> {
    let mut found = prefix.split(|c: char| c.is_whitespace() || c == '|').filter_map(marker);
    let first = found.next()?;
    found.all(|d| d == first).then_some(first)
}

/// A word that marks a direction, as `wscat`, `websocat`, proxies and hand-written logs write it.
fn marker(word: &str) -> Option<Direction> {
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

fn direction_context(direction: Option<Direction>) -> Vec<String> {
    direction.map(|d| format!("seen {}", d.arrow())).into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_are_found_after_prefixes() {
        let cases = [
            (r#"{"type":"ping"}"#, Some((0, false))),
            (r#"2025-09-26T10:00:00Z [INFO] > {"type":"ping"}"#, Some((30, false))),
            (r#"[2025-09-26 10:00:00] [debug] < ["audio_data",{}]"#, Some((32, false))),
            (r#"12:00:01 send: 42["audio_data",{}]"#, Some((15, true))),
            ("12:00:01 < 3", Some((11, true))),
            ("connected to the server", None),
            ("[INFO] [2025-09-26 10:00:00] connected", None),
            (r#"INFO > {"type": NaN}"#, Some((7, false))),
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
        assert_eq!(split_marker("< 42[\"a\"]"), ("< ", "42[\"a\"]", Some(Direction::ServerToClient)));
        assert_eq!(split_marker("42[\"a\"]"), ("", "42[\"a\"]", None));
    }

    #[test]
    fn long_lines_are_skipped_not_buffered() {
        let mut input = io::Cursor::new(format!("{}\nok\nend", "x".repeat(100)));
        let mut buffer = Vec::new();
        assert!(matches!(read_line(&mut input, &mut buffer, 10).unwrap(), Some(Line::TooLong { bytes: 100 })));
        assert!(buffer.capacity() < 100);
        assert!(matches!(read_line(&mut input, &mut buffer, 10).unwrap(), Some(Line::Text { terminated: true })));
        assert_eq!(buffer, b"ok");
        assert!(matches!(read_line(&mut input, &mut buffer, 10).unwrap(), Some(Line::Text { terminated: false })));
        assert!(read_line(&mut input, &mut buffer, 10).unwrap().is_none());
    }
}
