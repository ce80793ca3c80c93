//! JSON Lines on several threads: batches of lines (parts of a regular file that threads read
//! themselves, or lines the reading thread gathered from a stream) are decoded on other threads
//! too; the calling thread checks each batch, in input order. Only a few batches are in
//! flight, so memory stays flat.

use std::collections::{BTreeMap, VecDeque};
use std::fs::File;
use std::io::{self, BufRead};
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};

use super::{Line, LineBytes, check_jsonl_line, for_lines_in_next_block, jsonl_message};
use crate::validator::{Decoded, Decoding, Validator, decode};
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
                Line::Text { .. } => jsonl_message(bytes, starts_file && number == 1).map(|text| decode(text, family)),
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
                check_jsonl_line(cap, number, line, bytes, decoding, validator)?;
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
