//! Line formats: JSON Lines, Socket.IO frame logs and log lines with a prefix. Lines are read
//! with a size cap, so a file without newlines cannot exhaust memory.

use std::fs::File;
use std::io::{self, BufRead};

use eventwire::Direction;

use crate::check::{Decoded, Decoding, Position, Record, Validator, decode};
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

/// Validates every line of a line-format capture. JSON Lines are decoded on `jobs` threads
/// when `jobs` is more than one, each thread reading its own parts of `file` when the capture
/// is a regular file; findings come out in input order all the same.
pub(crate) fn validate(
    reader: &mut dyn BufRead,
    file: Option<&File>,
    format: InputFormat,
    cap: u64,
    jobs: usize,
    validator: &mut Validator,
) -> io::Result<()> {
    if format == InputFormat::Jsonl && jobs > 1 {
        return match file {
            Some(file) => parallel::validate_file(file, cap, jobs, parallel::BATCH_BYTES, validator),
            None => parallel::validate(reader, cap, jobs, parallel::BATCH_BYTES, validator),
        };
    }
    let (mut buffer, mut number) = (Vec::new(), 0);
    let mut check = |number, line, bytes: LineBytes| check_line(format, cap, number, line, bytes, None, validator);
    while for_lines_in_next_block(reader, &mut buffer, cap, &mut number, &mut check)? {}
    Ok(())
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
    line_text(line, first_of_file).ok().map(str::trim).filter(|text| !text.is_empty())
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
    let text = match line_text(bytes, number == 1) {
        Ok(text) => text,
        Err(error) => {
            let message = format!("not UTF-8 text (invalid byte at offset {})", error.valid_up_to());
            return validator.unreadable_message(start, Check::Encoding, message);
        }
    };
    let trimmed = text.trim_start();
    let message = trimmed.trim_end();
    if message.is_empty() {
        return Ok(());
    }
    let indent = text.len() - trimmed.len();
    match format {
        InputFormat::SocketIo => line_as_frame(text, number, terminated, validator),
        InputFormat::Log => log_line(text, number, terminated, validator),
        _ => {
            let decoding = decoding.unwrap_or_else(|| decode(message, validator.family()));
            if let Some(kind) = decoding.as_ref().ok().and_then(Decoded::quiet_kind) {
                return validator.quiet_message(kind);
            }
            let record = Record {
                text: message,
                position: Position::Text { line: number, column: 1 + text[..indent].chars().count() },
                direction: None,
                context: &[],
                socket_family: None,
                at_end_unterminated: !terminated,
                maybe_not_a_message: false,
                socket: 0,
            };
            validator.decoded_message(&record, decoding)
        }
    }
}

/// JSON Lines on several threads: batches of lines (parts of a regular file that threads read
/// themselves, or lines the reading thread gathered from a stream) are decoded on other threads
/// too; the calling thread checks each batch, in input order. Only a few batches are in
/// flight, so memory stays flat.
mod parallel {
    use std::collections::{BTreeMap, VecDeque};
    use std::fs::File;
    use std::io::{self, BufRead};
    use std::ops::Range;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex, mpsc};

    use super::{Line, LineBytes, check_line, for_lines_in_next_block, jsonl_message};
    use crate::check::{Decoded, Decoding, Validator, decode};
    use crate::detect::InputFormat;
    use eventwire::{Family, MessageKind};

    /// About this many bytes of lines go to a thread at a time.
    pub(super) const BATCH_BYTES: usize = 1 << 20;
    /// How much is read at a time while looking for the end of a line that runs past its part.
    pub(super) const PIECE_BYTES: usize = 8 * 1024;

    /// Lines, back to back in `bytes`.
    #[derive(Default)]
    struct Batch {
        bytes: Vec<u8>,
        /// `bytes` as text, once the decoding thread has found them UTF-8 (as they almost always
        /// are), so that the checking thread need not check them again.
        text: Option<String>,
        /// What reading each line gave, and where its bytes are.
        lines: Vec<(Line, Range<usize>)>,
        /// Whether the batch's first line is the file's first line (its byte order mark is skipped).
        starts_file: bool,
        /// For each line, its message's type when checking it finds nothing (as almost always),
        /// filled in by the decoding thread. Eight bytes a line, not a whole decoding: the
        /// checking thread reads them from another core's cache.
        quiet_kinds: Vec<Option<&'static MessageKind>>,
        /// The decoding of each other line's message, in order (`None`: the line has none).
        decodings: Vec<Option<Decoding>>,
        /// Why the decoding thread could not read the batch's part of the file.
        error: Option<io::Error>,
    }

    impl Batch {
        /// Each line's number in the batch (from 1), with its bytes, and its text when the whole
        /// batch is UTF-8.
        fn lines(&self) -> impl Iterator<Item = (usize, Line, LineBytes<'_>)> {
            (0..self.lines.len()).map(|index| {
                let (line, bytes) = self.line(index);
                (index + 1, line, bytes)
            })
        }

        /// The line at `index` (from 0).
        fn line(&self, index: usize) -> (Line, LineBytes<'_>) {
            let (line, range) = &self.lines[index];
            let bytes = match &self.text {
                Some(text) => LineBytes { bytes: &text.as_bytes()[range.clone()], text: Some(&text[range.clone()]) },
                None => LineBytes { bytes: &self.bytes[range.clone()], text: None },
            };
            (*line, bytes)
        }

        /// Checks the batch's UTF-8 once, for all its lines.
        fn check_utf8(&mut self) {
            match String::from_utf8(std::mem::take(&mut self.bytes)) {
                Ok(text) => self.text = Some(text),
                Err(error) => self.bytes = error.into_bytes(),
            }
        }

        /// Empties the batch for reuse, keeping its buffers. The bytes stay as they are: a part
        /// read over them need not zero them first.
        fn recycle(&mut self) {
            if let Some(text) = self.text.take() {
                self.bytes = text.into_bytes();
            }
            self.lines.clear();
            self.error = None;
        }

        /// Reads the lines that start in `part` of `file`: the last one is read to its end,
        /// past the part, and kept only up to `cap` bytes, like any line.
        fn read_part(&mut self, file: &File, part: Range<u64>, cap: u64) -> io::Result<()> {
            self.starts_file = part.start == 0;
            let Some(first) = first_line_start(file, part.clone())? else {
                self.bytes.clear();
                return Ok(());
            };
            read_over(file, first..part.end, &mut self.bytes)?;
            let mut start = 0;
            for end in memchr::memchr_iter(b'\n', &self.bytes) {
                self.lines.push((Line::whole(end - start, cap), start..end));
                start = end + 1;
            }
            if start < self.bytes.len() {
                let read_to = first + self.bytes.len() as u64;
                let line = self.read_line_past(file, read_to, start, cap)?;
                self.lines.push((line, start..self.bytes.len()));
            }
            Ok(())
        }

        /// Reads on from `from` in `file` to the end of the line that starts at `start` in
        /// `bytes` (and ran past its part), keeping at most `cap` bytes of it.
        fn read_line_past(&mut self, file: &File, mut from: u64, start: usize, cap: u64) -> io::Result<Line> {
            let mut skipped: u64 = 0;
            let mut piece = [0; PIECE_BYTES];
            loop {
                let read = read_at(file, &mut piece, from)?;
                let (chunk, found) = match memchr::memchr(b'\n', &piece[..read]) {
                    Some(at) => (&piece[..at], true),
                    None => (&piece[..read], false),
                };
                let length = (self.bytes.len() - start + chunk.len()) as u64;
                if skipped == 0 && length <= cap {
                    self.bytes.extend_from_slice(chunk);
                } else {
                    skipped += length;
                    self.bytes.truncate(start);
                }
                if found || read == 0 {
                    return Ok(match skipped {
                        0 => Line::Text { terminated: found },
                        bytes => Line::TooLong { bytes },
                    });
                }
                from += read as u64;
            }
        }

        fn decode_all(&mut self, family: Option<Family>) {
            self.check_utf8();
            let (mut quiet_kinds, mut decodings) =
                (std::mem::take(&mut self.quiet_kinds), std::mem::take(&mut self.decodings));
            quiet_kinds.clear();
            decodings.clear();
            let starts_file = self.starts_file;
            for (number, line, bytes) in self.lines() {
                let decoding = match line {
                    Line::Text { .. } => {
                        jsonl_message(bytes, starts_file && number == 1).map(|text| decode(text, family))
                    }
                    Line::TooLong { .. } => None,
                };
                let quiet_kind =
                    decoding.as_ref().and_then(|decoding| decoding.as_ref().ok()).and_then(Decoded::quiet_kind);
                quiet_kinds.push(quiet_kind);
                if quiet_kind.is_none() {
                    decodings.push(decoding);
                }
            }
            (self.quiet_kinds, self.decodings) = (quiet_kinds, decodings);
        }
    }

    /// Where the first line that starts in `part` starts: right after the first newline at or
    /// after the byte before the part. `None` when the part holds no line's start.
    fn first_line_start(file: &File, part: Range<u64>) -> io::Result<Option<u64>> {
        if part.start == 0 {
            return Ok((part.end > 0).then_some(0));
        }
        let mut piece = [0; 4096];
        let mut at = part.start - 1;
        while at < part.end - 1 {
            let wanted = piece.len().min((part.end - 1 - at) as usize);
            let read = read_at(file, &mut piece[..wanted], at)?;
            if read == 0 {
                return Ok(None);
            }
            if let Some(newline) = memchr::memchr(b'\n', &piece[..read]) {
                return Ok(Some(at + newline as u64 + 1));
            }
            at += read as u64;
        }
        Ok(None)
    }

    /// Replaces `bytes` with `range` of `file`, or as much of it as the file still holds.
    fn read_over(file: &File, range: Range<u64>, bytes: &mut Vec<u8>) -> io::Result<()> {
        // Zeroes only what the batch's earlier parts did not use.
        bytes.resize((range.end - range.start) as usize, 0);
        let mut filled = 0;
        while filled < bytes.len() {
            match read_at(file, &mut bytes[filled..], range.start + filled as u64)? {
                0 => break,
                read => filled += read,
            }
        }
        bytes.truncate(filled);
        Ok(())
    }

    #[cfg(unix)]
    fn read_at(file: &File, buffer: &mut [u8], offset: u64) -> io::Result<usize> {
        loop {
            match std::os::unix::fs::FileExt::read_at(file, buffer, offset) {
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                result => return result,
            }
        }
    }

    #[cfg(windows)]
    fn read_at(file: &File, buffer: &mut [u8], offset: u64) -> io::Result<usize> {
        std::os::windows::fs::FileExt::seek_read(file, buffer, offset)
    }

    #[cfg(not(any(unix, windows)))]
    fn read_at(_: &File, _: &mut [u8], _: u64) -> io::Result<usize> {
        Err(io::Error::new(io::ErrorKind::Unsupported, "positioned reads are not supported here"))
    }

    type Job = (Batch, mpsc::SyncSender<Batch>);

    /// Batches in flight, in input order, and the spare ones to reuse.
    struct Pipeline {
        jobs: usize,
        cap: u64,
        sender: mpsc::SyncSender<Job>,
        in_flight: VecDeque<mpsc::Receiver<Batch>>,
        spare: Vec<Batch>,
        /// Lines checked so far: batches number their lines from 1.
        lines_before: usize,
    }

    impl Pipeline {
        fn spare_batch(&mut self) -> Batch {
            self.spare.pop().unwrap_or_default()
        }

        /// Hands a batch to the workers, then checks the batches that are done while too many
        /// are in flight.
        fn submit(&mut self, batch: Batch, validator: &mut Validator) -> io::Result<()> {
            let (done_sender, done) = mpsc::sync_channel(1);
            self.sender.send((batch, done_sender)).map_err(|_| stopped())?;
            self.in_flight.push_back(done);
            while self.in_flight.len() > 2 * self.jobs {
                self.check_next(validator)?;
            }
            Ok(())
        }

        /// Checks every batch still in flight.
        fn finish(&mut self, validator: &mut Validator) -> io::Result<()> {
            while !self.in_flight.is_empty() {
                self.check_next(validator)?;
            }
            Ok(())
        }

        fn check_next(&mut self, validator: &mut Validator) -> io::Result<()> {
            let done = self.in_flight.pop_front().expect("a batch in flight");
            let mut batch = done.recv().map_err(|_| stopped())?;
            self.lines_before = check_batch(&mut batch, self.lines_before, self.cap, validator)?;
            batch.recycle();
            self.spare.push(batch);
            Ok(())
        }
    }

    /// Checks a decoded batch whose lines follow `lines_before` others; returns the lines
    /// checked so far, this batch's included.
    fn check_batch(batch: &mut Batch, lines_before: usize, cap: u64, validator: &mut Validator) -> io::Result<usize> {
        if let Some(error) = batch.error.take() {
            return Err(error);
        }
        let mut decodings = std::mem::take(&mut batch.decodings);
        let mut others = decodings.drain(..);
        // The text of a valid line is left alone: it may be in another core's cache, and
        // fetching it would cost this thread more than counting the line.
        for (index, quiet_kind) in batch.quiet_kinds.iter().enumerate() {
            match quiet_kind {
                Some(kind) => validator.quiet_message(kind)?,
                None => {
                    let (line, bytes) = batch.line(index);
                    let number = lines_before + index + 1;
                    let decoding = others.next().expect("a decoding for each line that is not quiet");
                    check_line(InputFormat::Jsonl, cap, number, line, bytes, decoding, validator)?;
                }
            }
        }
        drop(others);
        batch.decodings = decodings;
        Ok(lines_before + batch.lines.len())
    }

    fn stopped() -> io::Error {
        io::Error::other("a decoding thread stopped")
    }

    /// Starts `jobs` workers, runs `feed` with the pipeline to them, and checks every batch.
    fn run(
        jobs: usize,
        cap: u64,
        validator: &mut Validator,
        feed: impl FnOnce(&mut Pipeline, &mut Validator) -> io::Result<()>,
    ) -> io::Result<()> {
        let family = validator.family();
        let (sender, receiver) = mpsc::sync_channel::<Job>(jobs);
        let receiver = Arc::new(Mutex::new(receiver));
        std::thread::scope(|scope| {
            for _ in 0..jobs {
                let receiver = Arc::clone(&receiver);
                scope.spawn(move || {
                    // A poisoned lock or a closed channel both mean: no more work.
                    while let Some((mut batch, done)) = receiver.lock().ok().and_then(|jobs| jobs.recv().ok()) {
                        batch.decode_all(family);
                        if done.send(batch).is_err() {
                            break;
                        }
                    }
                });
            }
            let mut pipeline =
                Pipeline { jobs, cap, sender, in_flight: VecDeque::new(), spare: Vec::new(), lines_before: 0 };
            let result = feed(&mut pipeline, validator).and_then(|()| pipeline.finish(validator));
            drop(pipeline);
            result
        })
    }

    /// A regular file, on `jobs` threads in all: the calling thread and `jobs - 1` workers.
    /// Each claims the next part of the file (`part_bytes` long, the last one shorter), reads
    /// it and decodes it; the calling thread also checks the decoded parts in order, and
    /// decodes a part itself only when the next one to check is not back yet. So no thread
    /// waits for a core, and reading is shared too.
    ///
    /// A thread needs a batch from the pool to claim a part, and a batch goes back to the pool
    /// once checked: the pool's size bounds the parts in flight, so memory stays flat.
    pub(super) fn validate_file(
        file: &File,
        cap: u64,
        jobs: usize,
        part_bytes: usize,
        validator: &mut Validator,
    ) -> io::Result<()> {
        let length = file.metadata()?.len();
        let parts = usize::try_from(length.div_ceil(part_bytes as u64)).map_err(io::Error::other)?;
        let family = validator.family();
        let next_part = AtomicUsize::new(0);
        let claim = || Some(next_part.fetch_add(1, Ordering::Relaxed)).filter(|&index| index < parts);
        let fill = |batch: &mut Batch, index: usize| {
            let start = index as u64 * part_bytes as u64;
            match batch.read_part(file, start..(start + part_bytes as u64).min(length), cap) {
                Ok(()) => batch.decode_all(family),
                Err(error) => batch.error = Some(error),
            }
        };
        let (pool, spare) = mpsc::sync_channel::<Batch>(2 * jobs);
        (0..2 * jobs).for_each(|_| pool.send(Batch::default()).expect("the pool has room"));
        let spare = &Mutex::new(spare);
        let (sender, decoded) = mpsc::sync_channel::<(usize, Batch)>(2 * jobs);
        let (claim, fill) = (&claim, &fill);
        // The closure owns the pool and the receiving end: when it returns, early or not, a
        // worker waiting on either is released.
        std::thread::scope(move |scope| {
            for _ in 1..jobs {
                let sender = sender.clone();
                scope.spawn(move || {
                    // A poisoned lock or a closed channel both mean: no more work.
                    while let Some(mut batch) = spare.lock().ok().and_then(|spare| spare.recv().ok()) {
                        let Some(index) = claim() else { break };
                        fill(&mut batch, index);
                        if sender.send((index, batch)).is_err() {
                            break;
                        }
                    }
                });
            }
            drop(sender);
            let mut waiting: BTreeMap<usize, Batch> = BTreeMap::new();
            let mut lines_before = 0;
            for index in 0..parts {
                let mut batch = loop {
                    if let Some(batch) = waiting.remove(&index) {
                        break batch;
                    }
                    if let Ok((done, batch)) = decoded.try_recv() {
                        waiting.insert(done, batch);
                        continue;
                    }
                    // Not `lock`: a worker waits for the pool holding the lock, and only this
                    // thread refills the pool.
                    let own = spare.try_lock().ok().and_then(|spare| spare.try_recv().ok());
                    match own.map(|batch| (batch, claim())) {
                        Some((mut batch, Some(claimed))) => {
                            fill(&mut batch, claimed);
                            waiting.insert(claimed, batch);
                        }
                        // Every part is claimed: the one to check next is on its way.
                        Some((_, None)) | None => {
                            let (done, batch) = decoded.recv().map_err(|_| stopped())?;
                            waiting.insert(done, batch);
                        }
                    }
                };
                lines_before = check_batch(&mut batch, lines_before, cap, validator)?;
                batch.recycle();
                // Never full: the pool has room for every batch there is.
                let _ = pool.try_send(batch);
            }
            Ok(())
        })
    }

    /// A stream: the calling thread reads the lines and gathers them into batches of about
    /// `batch_bytes`.
    pub(super) fn validate(
        reader: &mut dyn BufRead,
        cap: u64,
        jobs: usize,
        batch_bytes: usize,
        validator: &mut Validator,
    ) -> io::Result<()> {
        run(jobs, cap, validator, |pipeline, validator| {
            let mut buffer = Vec::new();
            let mut number = 0;
            let mut batch = pipeline.spare_batch();
            batch.bytes.clear();
            batch.starts_file = true;
            let mut at_end = false;
            while !at_end {
                let mut add = |_, line, bytes: LineBytes| {
                    let start = batch.bytes.len();
                    batch.bytes.extend_from_slice(bytes.bytes);
                    batch.lines.push((line, start..batch.bytes.len()));
                    // Keeps the ranges on character boundaries, so the batch's text can be cut.
                    batch.bytes.push(b'\n');
                    Ok(())
                };
                at_end = !for_lines_in_next_block(reader, &mut buffer, cap, &mut number, &mut add)?;
                if !at_end && batch.bytes.len() < batch_bytes {
                    continue;
                }
                let mut next = pipeline.spare_batch();
                next.bytes.clear();
                next.starts_file = false;
                pipeline.submit(std::mem::replace(&mut batch, next), validator)?;
            }
            Ok(())
        })
    }
}

/// A line of a Socket.IO frame log: an optional direction marker, then one frame.
fn line_as_frame(text: &str, number: usize, terminated: bool, validator: &mut Validator) -> io::Result<()> {
    let (prefix, payload, direction) = split_marker(text);
    let record = Record {
        text: payload,
        position: Position::Text { line: number, column: 1 + prefix.chars().count() },
        direction,
        context: &direction_context(direction),
        socket_family: None,
        at_end_unterminated: !terminated,
        maybe_not_a_message: false,
        socket: 0,
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
        context: &context,
        socket_family: None,
        at_end_unterminated: !terminated,
        // Structured logs carry other JSON too; without a direction marker, JSON that matches no
        // family is taken for one of those, not for a broken message.
        maybe_not_a_message: direction.is_none() && !is_frame,
        socket: 0,
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
    use crate::check::Event;
    use crate::finding::Severity;
    use parallel::PIECE_BYTES as PIECE;

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
                validate(&mut io::Cursor::new(&content), None, InputFormat::Jsonl, cap, 1, validator)
            });
            if content.len() > 100 && content.len() < PIECE {
                let warnings =
                    one.0.iter().filter(|e| matches!(e, Event::Finding(f) if f.severity == Severity::Warning));
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
