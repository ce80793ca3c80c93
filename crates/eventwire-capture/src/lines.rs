//! Line formats: JSON Lines, Socket.IO frame logs and log lines with a prefix. Lines are read
//! with a size cap, so a file without newlines cannot exhaust memory.

use std::io::{self, BufRead};

use eventwire::Direction;

use crate::check::{Decoding, Position, Record, Validator};
use crate::detect::InputFormat;
use crate::finding::Check;
use crate::socketio;

/// What reading one line gave.
#[derive(Debug, Clone, Copy)]
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
        let line = match bytes.len() as u64 {
            length if length > cap => Line::TooLong { bytes: length },
            _ => Line::Text { terminated: true },
        };
        f(*number, line, LineBytes { bytes, text: block_text.map(|text| &text[start..end]) })?;
        start = end + 1;
    }
    reader.consume(last + 1);
    Ok(true)
}

/// Validates every line of a line-format capture. JSON Lines are decoded on `jobs` threads
/// when `jobs` is more than one; findings come out in input order all the same.
pub(crate) fn validate(
    reader: &mut dyn BufRead,
    format: InputFormat,
    cap: u64,
    jobs: usize,
    validator: &mut Validator,
) -> io::Result<()> {
    if format == InputFormat::Jsonl && jobs > 1 {
        return parallel::validate(reader, cap, jobs, validator);
    }
    let (mut buffer, mut number) = (Vec::new(), 0);
    let mut check = |number, line, bytes: LineBytes| check_line(format, cap, number, line, bytes, None, validator);
    while for_lines_in_next_block(reader, &mut buffer, cap, &mut number, &mut check)? {}
    Ok(())
}

/// A line's text: UTF-8, without a trailing `\r`, and without the byte order mark on line 1.
fn line_text(line: LineBytes<'_>, number: usize) -> Result<&str, std::str::Utf8Error> {
    let text = match line.text {
        Some(text) => text,
        None => std::str::from_utf8(line.bytes)?,
    };
    let text = text.strip_suffix('\r').unwrap_or(text);
    Ok(if number == 1 { text.strip_prefix('\u{feff}').unwrap_or(text) } else { text })
}

/// The JSON message of a JSON Lines line, if it has one to decode.
fn jsonl_message(line: LineBytes<'_>, number: usize) -> Option<&str> {
    line_text(line, number).ok().map(str::trim).filter(|text| !text.is_empty())
}

/// Checks one line; `decoding` is its message's decoding when another thread already made it.
fn check_line(
    format: InputFormat,
    cap: u64,
    number: usize,
    line: Line,
    bytes: LineBytes<'_>,
    decoding: Option<Decoding>,
    validator: &mut Validator,
) -> io::Result<()> {
    let cap_exceeded = |bytes| {
        format!(
            "line of {bytes} bytes is larger than the record size cap of {cap} bytes; skipped (raise it with --max-record-size)"
        )
    };
    let start = Position::Text { line: number, column: 1 };
    let terminated = match line {
        Line::TooLong { bytes } => {
            return validator.unreadable_message(start, Check::RecordTooLarge, cap_exceeded(bytes));
        }
        Line::Text { terminated } => terminated,
    };
    let text = match line_text(bytes, number) {
        Ok(text) => text,
        Err(error) => {
            let message = format!("not UTF-8 text (invalid byte at offset {})", error.valid_up_to());
            return validator.unreadable_message(start, Check::Encoding, message);
        }
    };
    let trimmed = text.trim_start();
    if trimmed.trim_end().is_empty() {
        return Ok(());
    }
    let indent = text.len() - trimmed.len();
    match format {
        InputFormat::SocketIo => line_as_frame(text, number, terminated, validator),
        InputFormat::Log => log_line(text, number, terminated, validator),
        _ => {
            let record = Record {
                text: trimmed.trim_end(),
                position: Position::Text { line: number, column: 1 + text[..indent].chars().count() },
                direction: None,
                context: Vec::new(),
                socket_family: None,
                at_end_unterminated: !terminated,
                maybe_not_a_message: false,
            };
            match decoding {
                Some(decoding) => validator.decoded_message(&record, decoding),
                None => validator.message(&record),
            }
        }
    }
}

/// JSON Lines on several threads: the reading thread gathers lines into batches, worker
/// threads decode the batches' messages, and the reading thread checks each batch, in input
/// order, as its decodings come back. Only a few batches are in flight, so memory stays flat.
mod parallel {
    use std::collections::VecDeque;
    use std::io::{self, BufRead};
    use std::sync::{Arc, Mutex, mpsc};

    use super::{Line, LineBytes, check_line, for_lines_in_next_block, jsonl_message};
    use crate::check::{Decoding, Validator, decode};
    use crate::detect::InputFormat;
    use eventwire::Family;

    /// About this many bytes of lines go to a thread at a time.
    const BATCH_BYTES: usize = 1 << 20;

    /// Lines read, back to back in `bytes`.
    #[derive(Default)]
    struct Batch {
        bytes: Vec<u8>,
        /// `bytes` as text, once a worker has found them UTF-8 (as they almost always are), so
        /// that the reading thread need not check them again.
        text: Option<String>,
        /// Each line's number, what reading it gave, and where its bytes are.
        lines: Vec<(usize, Line, std::ops::Range<usize>)>,
        /// The decoding of each line's message, filled in by a worker.
        decodings: Vec<Option<Decoding>>,
    }

    impl Batch {
        /// Each line's bytes, with its text when the whole batch is UTF-8.
        fn lines(&self) -> impl Iterator<Item = (usize, Line, LineBytes<'_>)> {
            let (all, text) = match &self.text {
                Some(text) => (text.as_bytes(), Some(text.as_str())),
                None => (self.bytes.as_slice(), None),
            };
            self.lines.iter().map(move |(number, line, range)| {
                let bytes = LineBytes { bytes: &all[range.clone()], text: text.map(|text| &text[range.clone()]) };
                (*number, *line, bytes)
            })
        }

        /// Checks the batch's UTF-8 once, for all its lines.
        fn check_utf8(&mut self) {
            match String::from_utf8(std::mem::take(&mut self.bytes)) {
                Ok(text) => self.text = Some(text),
                Err(error) => self.bytes = error.into_bytes(),
            }
        }

        /// Empties the batch for reuse, keeping its buffers.
        fn clear(&mut self) {
            if let Some(text) = self.text.take() {
                self.bytes = text.into_bytes();
            }
            self.bytes.clear();
            self.lines.clear();
        }

        fn decode_all(&mut self, family: Option<Family>) {
            self.check_utf8();
            let mut decodings = std::mem::take(&mut self.decodings);
            decodings.clear();
            decodings.extend(self.lines().map(|(number, line, bytes)| match line {
                Line::Text { .. } => jsonl_message(bytes, number).map(|text| decode(text, family)),
                Line::TooLong { .. } => None,
            }));
            self.decodings = decodings;
        }
    }

    type Job = (Batch, mpsc::SyncSender<Batch>);

    pub(super) fn validate(
        reader: &mut dyn BufRead,
        cap: u64,
        jobs: usize,
        validator: &mut Validator,
    ) -> io::Result<()> {
        let family = validator.family();
        let (job_sender, job_receiver) = mpsc::sync_channel::<Job>(jobs);
        let job_receiver = Arc::new(Mutex::new(job_receiver));
        std::thread::scope(|scope| {
            for _ in 0..jobs {
                let jobs = Arc::clone(&job_receiver);
                scope.spawn(move || {
                    // A poisoned lock or a closed channel both mean: no more work.
                    while let Some((mut batch, done)) = jobs.lock().ok().and_then(|jobs| jobs.recv().ok()) {
                        batch.decode_all(family);
                        if done.send(batch).is_err() {
                            break;
                        }
                    }
                });
            }
            let result = read_and_check(reader, cap, jobs, &job_sender, validator);
            drop(job_sender);
            result
        })
    }

    fn read_and_check(
        reader: &mut dyn BufRead,
        cap: u64,
        jobs: usize,
        job_sender: &mpsc::SyncSender<Job>,
        validator: &mut Validator,
    ) -> io::Result<()> {
        let mut in_flight: VecDeque<mpsc::Receiver<Batch>> = VecDeque::new();
        let mut spare: Vec<Batch> = Vec::new();
        let mut buffer = Vec::new();
        let mut number = 0;
        let mut batch = Batch::default();
        let mut at_end = false;
        while !at_end {
            let mut add = |number, line, bytes: LineBytes| {
                let start = batch.bytes.len();
                batch.bytes.extend_from_slice(bytes.bytes);
                batch.lines.push((number, line, start..batch.bytes.len()));
                // Keeps the ranges on character boundaries, so the batch's text can be cut.
                batch.bytes.push(b'\n');
                Ok(())
            };
            at_end = !for_lines_in_next_block(reader, &mut buffer, cap, &mut number, &mut add)?;
            if !at_end && batch.bytes.len() < BATCH_BYTES {
                continue;
            }
            let (done_sender, done) = mpsc::sync_channel(1);
            let full = std::mem::replace(&mut batch, spare.pop().unwrap_or_default());
            job_sender.send((full, done_sender)).map_err(|_| io::Error::other("a decoding thread stopped"))?;
            in_flight.push_back(done);
            while in_flight.len() > 2 * jobs || (at_end && !in_flight.is_empty()) {
                let done = in_flight.pop_front().expect("not empty");
                let mut checked = done.recv().map_err(|_| io::Error::other("a decoding thread stopped"))?;
                check_batch(&mut checked, cap, validator)?;
                checked.clear();
                spare.push(checked);
            }
        }
        Ok(())
    }

    fn check_batch(batch: &mut Batch, cap: u64, validator: &mut Validator) -> io::Result<()> {
        let mut decodings = std::mem::take(&mut batch.decodings);
        for ((number, line, bytes), decoding) in batch.lines().zip(decodings.drain(..)) {
            check_line(InputFormat::Jsonl, cap, number, line, bytes, decoding, validator)?;
        }
        batch.decodings = decodings;
        Ok(())
    }
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
