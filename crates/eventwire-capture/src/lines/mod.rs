//! Line formats: JSON Lines here, Socket.IO frame logs (`frames.rs`) and log lines with a prefix
//! (`log.rs`) beside it; JSON Lines on several threads in `parallel.rs`. Lines are read with a
//! size cap, so a file without newlines cannot exhaust memory.

mod clock;
mod engineio;
pub(crate) mod frames;
pub(crate) mod log;
mod parallel;
mod redis;
mod websockets;

use std::io::{self, BufRead};

use crate::CaptureError;
use crate::finding::Check;
use crate::formats::{CaptureFormat, Confidence, Head, Input};
use crate::validator::{Decoded, Decoding, Position, Record, Validator, decode};

/// What reading one line gave.
#[derive(Debug, Clone, Copy)]
enum Line {
    /// The line is in the buffer; `terminated` when a newline ended it.
    Text { terminated: bool },
    /// The line was longer than the cap; its `bytes` were skipped.
    TooLong { bytes: u64 },
}

impl Line {
    /// A line of `length` bytes ended by a newline, found whole in a block: too long when it
    /// is over `cap`.
    fn whole(length: usize, cap: u64) -> Line {
        match length as u64 {
            bytes if bytes > cap => Line::TooLong { bytes },
            _ => Line::Text { terminated: true },
        }
    }
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

/// A line's bytes (without its newline), with its text when it is already known to be UTF-8.
#[derive(Clone, Copy)]
struct LineBytes<'a> {
    bytes: &'a [u8],
    text: Option<&'a str>,
}

/// Reads the next lines and hands each to `f` with its 1-based number. The whole lines in the
/// reader's buffer are handed over where they lie, their UTF-8 checked once for all of them;
/// a line that does not fit in the buffer (or the last one, without a newline) goes through
/// [`read_line`] and `buffer`, with its size cap. Returns false at the end of the input.
fn for_lines_in_next_block(
    reader: &mut dyn BufRead,
    buffer: &mut Vec<u8>,
    cap: u64,
    number: &mut usize,
    mut f: impl FnMut(usize, Line, LineBytes) -> io::Result<()>,
) -> io::Result<bool> {
    let available = reader.fill_buf()?;
    let Some(last) = memchr::memrchr(b'\n', available) else {
        let Some(line) = read_line(reader, buffer, cap)? else { return Ok(false) };
        *number += 1;
        f(*number, line, LineBytes { bytes: buffer, text: None })?;
        return Ok(true);
    };
    let block = &available[..last];
    let block_text = std::str::from_utf8(block).ok();
    let mut start = 0;
    for end in memchr::memchr_iter(b'\n', block).chain([block.len()]) {
        *number += 1;
        let bytes = &block[start..end];
        f(*number, Line::whole(bytes.len(), cap), LineBytes { bytes, text: block_text.map(|text| &text[start..end]) })?;
        start = end + 1;
    }
    reader.consume(last + 1);
    Ok(true)
}

/// JSON Lines: one message per line. Decoded on `jobs` threads when `jobs` is more than one,
/// each thread reading its own parts of the file when the capture is a regular file; findings
/// come out in input order all the same.
pub(crate) struct JsonLines;

impl CaptureFormat for JsonLines {
    fn name(&self) -> &'static str {
        "jsonl"
    }
    fn aliases(&self) -> &'static [&'static str] {
        &["ndjson"]
    }
    fn about(&self) -> &'static str {
        "One JSON message per line (JSON Lines, NDJSON)."
    }
    fn sniff(&self, head: &Head) -> Option<Confidence> {
        matches!(head.text.first(), None | Some(b'{' | b'[')).then_some(Confidence::Possible)
    }
    fn read(&self, input: Input, validator: &mut Validator) -> Result<(), CaptureError> {
        let Input { reader, file, cap, jobs } = input;
        let read = if jobs > 1 {
            match file {
                Some(file) => parallel::validate_file(file, cap, jobs, parallel::BATCH_BYTES, validator),
                None => parallel::validate(reader, cap, jobs, parallel::BATCH_BYTES, validator),
            }
        } else {
            let (mut buffer, mut number) = (Vec::new(), 0);
            let mut check =
                |number, line, bytes: LineBytes| check_jsonl_line(cap, number, line, bytes, None, validator);
            read_lines(reader, &mut buffer, cap, &mut number, &mut check)
        };
        read.map_err(crate::io_failure)
    }
}

/// Hands every line of `reader` to `f`, with its number.
fn read_lines(
    reader: &mut dyn BufRead,
    buffer: &mut Vec<u8>,
    cap: u64,
    number: &mut usize,
    mut f: impl FnMut(usize, Line, LineBytes) -> io::Result<()>,
) -> io::Result<()> {
    while for_lines_in_next_block(reader, buffer, cap, number, &mut f)? {}
    Ok(())
}

/// A text line of a line format, ready for its format to read: a line too long or not UTF-8
/// has been reported, and blank lines left out.
pub(crate) struct TextLine<'a> {
    /// The line (without its newline and a trailing `\r`).
    pub text: &'a str,
    /// Its 1-based number.
    pub number: usize,
    /// Whether a newline ended it (the last line of a file may have none).
    pub terminated: bool,
}

/// Validates every line of a line-format capture other than JSON Lines, handing each readable,
/// non-blank line to `read`.
pub(crate) fn validate_text_lines(
    input: Input,
    validator: &mut Validator,
    mut read: impl FnMut(TextLine, &mut Validator) -> io::Result<()>,
) -> Result<(), CaptureError> {
    let (mut buffer, mut number) = (Vec::new(), 0);
    let cap = input.cap;
    let mut check = |number, line, bytes: LineBytes| match readable(cap, number, line, bytes, validator)? {
        Some((text, terminated)) if !text.trim().is_empty() => read(TextLine { text, number, terminated }, validator),
        _ => Ok(()),
    };
    read_lines(input.reader, &mut buffer, cap, &mut number, &mut check).map_err(crate::io_failure)
}

/// A line's text: UTF-8, without a trailing `\r`, and without the byte order mark on the
/// file's first line.
fn line_text(line: LineBytes<'_>, first_of_file: bool) -> Result<&str, std::str::Utf8Error> {
    let text = match line.text {
        Some(text) => text,
        None => std::str::from_utf8(line.bytes)?,
    };
    let text = text.strip_suffix('\r').unwrap_or(text);
    Ok(if first_of_file { text.strip_prefix('\u{feff}').unwrap_or(text) } else { text })
}

/// The JSON message of a JSON Lines line, if it has one to decode.
fn jsonl_message(line: LineBytes<'_>, first_of_file: bool) -> Option<&str> {
    line_text(line, first_of_file).ok().map(trim_json_whitespace).filter(|text| !text.is_empty())
}

/// JSON's whitespace: space, tab, line feed, carriage return. Nothing else (a form feed, a
/// no-break space, U+2028) may stand around a JSON text, so nothing else is trimmed.
fn is_json_whitespace(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

/// `text` without JSON whitespace around it.
fn trim_json_whitespace(text: &str) -> &str {
    text.trim_matches(is_json_whitespace)
}

/// A line's text and whether a newline ended it; `None` (and a finding) when it is over the cap
/// or not UTF-8.
fn readable<'a>(
    cap: u64,
    number: usize,
    line: Line,
    bytes: LineBytes<'a>,
    validator: &mut Validator,
) -> io::Result<Option<(&'a str, bool)>> {
    let start = Position::Text { line: number, column: 1 };
    let terminated = match line {
        Line::TooLong { bytes } => {
            let message = format!(
                "line of {bytes} bytes is larger than the record size cap of {cap} bytes; skipped (raise it with --max-record-size)"
            );
            validator.unreadable_message(start, Check::RecordTooLarge, message)?;
            return Ok(None);
        }
        Line::Text { terminated } => terminated,
    };
    match line_text(bytes, number == 1) {
        Ok(text) => Ok(Some((text, terminated))),
        Err(error) => {
            let message = format!("not UTF-8 text (invalid byte at offset {})", error.valid_up_to());
            validator.unreadable_message(start, Check::Encoding, message)?;
            Ok(None)
        }
    }
}

/// Checks one JSON Lines line; `decoding` is its message's decoding when another thread already
/// made it.
fn check_jsonl_line(
    cap: u64,
    number: usize,
    line: Line,
    bytes: LineBytes<'_>,
    decoding: Option<Decoding>,
    validator: &mut Validator,
) -> io::Result<()> {
    let Some((text, terminated)) = readable(cap, number, line, bytes, validator)? else { return Ok(()) };
    let trimmed = text.trim_start_matches(is_json_whitespace);
    let message = trimmed.trim_end_matches(is_json_whitespace);
    if message.is_empty() {
        return Ok(());
    }
    let indent = text.len() - trimmed.len();
    let decoding = decoding.unwrap_or_else(|| decode(message, validator.family()));
    let position = || Position::Text { line: number, column: 1 + text[..indent].chars().count() };
    if let Some(kind) = decoding.as_ref().ok().and_then(Decoded::quiet_kind) {
        if validator.wants_texts() {
            validator.text(&Record::at(message, position()))?;
        }
        return validator.quiet_message(kind);
    }
    let record = Record { at_end_unterminated: !terminated, ..Record::at(message, position()) };
    validator.decoded_message(&record, decoding)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Check;
    use crate::validator::Event;
    use parallel::PIECE_BYTES as PIECE;

    /// Every event and the summary of validating `content` as JSON Lines.
    fn events(validate: impl FnOnce(&mut Validator) -> io::Result<()>) -> (Vec<Event>, String) {
        let mut events = Vec::new();
        let mut sink = |event| {
            events.push(event);
            Ok(())
        };
        let mut validator = Validator::new(None, true, &mut sink);
        validate(&mut validator).unwrap();
        let summary = format!("{:?}", validator.into_summary());
        (events, summary)
    }

    /// A capture with what line boundaries can cut: several-byte characters, a byte order mark,
    /// CRLF, blank and indented lines, a line over the cap, bad UTF-8, and no final newline.
    fn awkward_capture() -> Vec<u8> {
        let mut content = "\u{feff}".as_bytes().to_vec();
        let lines = [
            r#"{"type":"ping","session_id":"s1","timestamp":1}"#,
            r#"{"type":"pnig","session_id":"sé","timestamp":1}"#,
            "",
            r#"   {"channel":"c","payload":{"message":"日本語","timestamp":1683042128456,"status":"error","type":"error","error_details":"x","message_id":"m","thread_id":"t"}}"#,
            r#"{"type":"ping","session_id":"s1","timestamp":1}"#,
            "  ",
            &format!(r#"{{"type":"ping","session_id":"{}","timestamp":1}}"#, "x".repeat(400)),
            r#"{"type":"ping","session_id":"s1","timestamp":1,"type":"ping"}"#,
            "{\"type\":\"ping\",\"session_id\":\"s1\",\"timestamp\":1}\r",
            "not json at all 🙂",
        ];
        for line in lines {
            content.extend_from_slice(line.as_bytes());
            content.push(b'\n');
        }
        content.extend_from_slice(b"{\"type\":\"ping\",\"session_id\":\"\xff\"}\n");
        content.extend_from_slice(br#"{"type":"ping","session_id":"last","timestamp":1}"#);
        content
    }

    #[test]
    fn threads_give_what_one_thread_gives_wherever_the_parts_are_cut() {
        let cap = 300;
        let capture = awkward_capture();
        let path = std::env::temp_dir().join(format!("eventwire-parts-{}.jsonl", std::process::id()));
        // A line longer than the cap that runs on over several pieces past its part.
        let mut long_line = capture.clone();
        // Its newline falls early in a piece when parts are one byte long.
        long_line.splice(60..60, std::iter::repeat_n(b'x', 2 * PIECE + 100).chain([b'\n']));
        // A last line over the cap, without a newline.
        let mut long_last = capture.clone();
        long_last.extend(std::iter::once(b'\n').chain(std::iter::repeat_n(b'y', 2 * cap as usize)));
        for content in [
            capture.clone(),
            capture[3..].to_vec(),
            long_line,
            long_last,
            b"\n\n".to_vec(),
            Vec::new(),
            b"{}\n".to_vec(),
        ] {
            std::fs::write(&path, &content).unwrap();
            let one = events(|validator| {
                let input = Input { reader: &mut io::Cursor::new(&content), file: None, cap, jobs: 1 };
                JsonLines.read(input, validator).map_err(|error| io::Error::other(error.to_string()))
            });
            if content.len() > 100 && content.len() < PIECE {
                let warnings =
                    one.0.iter().filter(|e| matches!(e, Event::Finding(f) if f.check == Check::TimestampUnit));
                assert_eq!(warnings.count(), 1, "the capture's millisecond timestamp: {:?}", one.0);
                assert!(one.0.len() > 15, "the capture gives too little to compare: {:?}", one.0);
            }
            let file = std::fs::File::open(&path).unwrap();
            for jobs in [1, 2, 3] {
                // Parts of one byte cut the capture everywhere; longer ones put several lines,
                // or none, in a part.
                let mut part_sizes: Vec<usize> = (1..=16).chain([37, 100, 513, 4096, PIECE + 1]).collect();
                part_sizes.retain(|&size| size <= content.len());
                part_sizes.push(content.len() + 1);
                for part_bytes in part_sizes {
                    let parts = events(|validator| parallel::validate_file(&file, cap, jobs, part_bytes, validator));
                    assert_eq!(parts, one, "{jobs} threads, parts of {part_bytes} bytes");
                }
                for batch_bytes in [1, 50, 1 << 20] {
                    let stream = events(|validator| {
                        parallel::validate(&mut io::Cursor::new(&content), cap, jobs, batch_bytes, validator)
                    });
                    assert_eq!(stream, one, "{jobs} threads, batches of {batch_bytes} bytes");
                }
            }
        }
        let _ = std::fs::remove_file(&path);
    }

    /// Only JSON's whitespace is trimmed: a line with a form feed, a no-break space or a line
    /// separator around its message is not JSON, on one thread and on several.
    #[test]
    fn only_json_whitespace_is_trimmed() {
        for space in ["\u{c}", "\u{b}", "\u{a0}", "\u{85}", "\u{2028}", "\u{3000}"] {
            let content = format!(
                "{space}{{\"type\":\"ping\",\"session_id\":\"s1\",\"timestamp\":1}}\n \t{{\"type\":\"ping\",\"session_id\":\"s1\",\"timestamp\":1}}\r\n"
            );
            for jobs in [1, 2] {
                let (events, _) = events(|validator| {
                    let input = Input { reader: &mut io::Cursor::new(&content), file: None, cap: 1 << 20, jobs };
                    JsonLines.read(input, validator).map_err(|error| io::Error::other(error.to_string()))
                });
                let verdicts: Vec<bool> = events
                    .iter()
                    .filter_map(|e| if let Event::Message(v) = e { Some(v.valid) } else { None })
                    .collect();
                assert_eq!(verdicts, [false, true], "{space:?}, {jobs} threads: {events:?}");
            }
        }
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
