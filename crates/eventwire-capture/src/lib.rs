//! eventwire-capture: reads captured WebSocket traffic (JSON Lines, JSON documents, HAR,
//! Socket.IO frame logs, prefixed log lines; any of them gzip-compressed) and validates every
//! message against the eventwire protocol types, reporting findings as it goes.
//!
//! ```
//! use eventwire_capture::{Event, Options, validate_reader};
//!
//! let capture = "{\"type\":\"ping\",\"session_id\":\"s1\",\"timestamp\":1}\n{\"type\":\"pnig\"}\n";
//! let mut findings = Vec::new();
//! let report = validate_reader(capture.as_bytes(), "capture.jsonl", &Options::default(), &mut |event| {
//!     if let Event::Finding(finding) = event {
//!         findings.push(finding);
//!     }
//!     Ok(())
//! });
//! assert_eq!((report.summary.messages, report.summary.invalid), (2, 1));
//! assert_eq!(findings[0].location.line, Some(2));
//! assert!(findings[0].message.contains("did you mean `ping`?"));
//! ```
//!
//! Findings and verdicts stream out in input order through a callback, so memory stays flat whatever the
//! size of the capture. Every string in a finding is redacted of secrets (see [`redact`]).

mod conversation;
mod detect;
mod document;
mod finding;
mod fold;
mod formats;
mod har;
mod lines;
pub mod locate;
mod pcap;
pub mod redact;
pub mod socketio;
mod source;
mod validator;

use std::io::{self, Read};
use std::path::Path;

pub use conversation::{DEFAULT_MAX_OPEN, ENDED_REMEMBERED, Latency};
pub use finding::{Check, Excerpt, Finding, Location, Severity, Summary, Tally};
pub use formats::{InputFormat, REFUSED, Refused, detect, refused};
pub use validator::{Event, Sink, Text, Verdict};

use eventwire::Family;

/// The default cap on one record (a line, a message): 16 MiB.
pub const DEFAULT_MAX_RECORD_BYTES: u64 = 16 * 1024 * 1024;

/// How to read and validate a capture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// The format, or `None` to detect it from the content and file name.
    pub format: Option<InputFormat>,
    /// Accept only messages of this family.
    pub family: Option<Family>,
    /// The largest record (line, JSON value, WebSocket message) read; larger ones are reported
    /// and skipped, or end the file where it cannot be resumed (HAR).
    pub max_record_bytes: u64,
    /// Threads that decode messages (JSON Lines); 1 decodes on the reading thread. Findings
    /// come out in input order whatever the number.
    pub jobs: usize,
    /// The most conversations, waiting requests and stream sessions the rules across messages
    /// hold at once; past it the oldest are dropped, and that is a finding.
    pub max_open: usize,
    /// Whether findings carry an [`Excerpt`] of the offending text. Turn it off when nothing
    /// shows them: cutting and redacting excerpts is most of what reporting an invalid message
    /// costs.
    pub excerpts: bool,
    /// Whether every record's text goes to the sink as an [`Event::Text`] (for
    /// `eventwire messages`).
    pub texts: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            format: None,
            family: None,
            max_record_bytes: DEFAULT_MAX_RECORD_BYTES,
            jobs: 1,
            max_open: DEFAULT_MAX_OPEN,
            excerpts: true,
            texts: false,
        }
    }
}

/// Why a file could not be read, or not read to its end, as a capture.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    /// The file could not be opened or read (including a corrupt gzip stream).
    #[error("cannot read: {0}")]
    Read(#[source] io::Error),
    /// The file is not a capture at all: a packet capture, a proxy's flow file, a dissector's
    /// export, a binary file, or text with no message in it.
    #[error("not a capture eventwire reads: this looks like {looks_like}; {hint}")]
    NotACapture {
        /// What the file looks like.
        looks_like: &'static str,
        /// How to get a capture eventwire reads out of it.
        hint: &'static str,
    },
    /// The file is not a capture of the format it was read as.
    #[error("not a valid {format} capture: {message}")]
    Format {
        /// The format it was read as.
        format: &'static str,
        /// What is wrong, and where.
        message: String,
    },
    /// A HAR WebSocket message is larger than the record size cap; a HAR cannot be resumed after one.
    #[error(
        "HAR entry {entry}, message {message} is larger than the record size cap of {cap} bytes (raise it with --max-record-size); the rest of the file was not read"
    )]
    RecordTooLarge {
        /// 1-based entry.
        entry: usize,
        /// 1-based message of the entry.
        message: usize,
        /// The cap.
        cap: u64,
    },
    /// A HAR entry's `request` or `response` (its URL, its body), or another member it reads
    /// (`_webSocketMessages` that is not an array, `_resourceType`), is larger than the record
    /// size cap; a HAR cannot be resumed after one.
    #[error(
        "HAR entry {entry}'s `{member}` is larger than the record size cap of {cap} bytes (raise it with --max-record-size); the rest of the file was not read"
    )]
    MemberTooLarge {
        /// 1-based entry.
        entry: usize,
        /// `request`, `response`, `_webSocketMessages` or `_resourceType`.
        member: &'static str,
        /// The cap.
        cap: u64,
    },
    /// Writing findings failed (the output was closed).
    #[error("cannot write the report: {0}")]
    Output(#[source] io::Error),
}

/// What validating one file gave: its format, counts, and whether it could be read to the end.
#[derive(Debug)]
pub struct FileReport {
    /// The format it was read as (`None` when it could not be opened).
    pub format: Option<InputFormat>,
    /// Whether it was gzip-compressed.
    pub gzip: bool,
    /// The counts, up to where reading stopped.
    pub summary: Summary,
    /// Why reading stopped early, if it did.
    pub failure: Option<CaptureError>,
}

/// Validates the capture at `path` (`-` is standard input).
pub fn validate_path(path: &Path, options: &Options, sink: &mut Sink) -> FileReport {
    match source::open(path) {
        Ok(source) => validate_source(source, &path.to_string_lossy(), options, sink),
        Err(error) => unopened(error),
    }
}

/// Validates a capture read from `reader`; `name` (a file name) helps format detection.
pub fn validate_reader(reader: impl Read + 'static, name: &str, options: &Options, sink: &mut Sink) -> FileReport {
    match source::from_reader(reader) {
        Ok(source) => validate_source(source, name, options, sink),
        Err(error) => unopened(error),
    }
}

fn validate_source(mut source: source::Source, name: &str, options: &Options, sink: &mut Sink) -> FileReport {
    if let Some(refused) = refused(&source.head, name) {
        let failure = CaptureError::NotACapture { looks_like: refused.looks_like, hint: refused.hint };
        return FileReport { format: None, gzip: source.gzip, summary: Summary::default(), failure: Some(failure) };
    }
    let format = options.format.unwrap_or_else(|| detect(&source.head, name));
    let mut validator = validator::Validator::new(options.family, options.excerpts, sink);
    validator.max_open(options.max_open);
    validator.texts(options.texts);
    let input = formats::Input {
        reader: &mut *source.reader,
        file: source.file.as_ref(),
        cap: options.max_record_bytes,
        // The quiet path of several threads gives no texts.
        jobs: if options.texts { 1 } else { options.jobs },
    };
    let mut failure = format.reader().read(input, &mut validator).err();
    if failure.is_none() && options.format.is_none() && format == InputFormat::Log && validator.summary.is_empty() {
        // Text that was taken for a log only because it is not JSON, and has nothing in it.
        failure = Some(CaptureError::NotACapture { looks_like: NO_MESSAGE_TEXT, hint: NO_MESSAGE_HINT });
    }
    // Once the output has failed there is nobody to tell; otherwise report what is still pending.
    if !matches!(failure, Some(CaptureError::Output(_))) {
        if let Err(error) = validator.finish(failure.is_none()) {
            failure = Some(CaptureError::Output(error));
        }
    }
    FileReport { format: Some(format), gzip: source.gzip, summary: validator.into_summary(), failure }
}

/// What a text with no message on any line looks like, and what to do about it.
const NO_MESSAGE_TEXT: &str = "text with no JSON message or Socket.IO frame on any line";
const NO_MESSAGE_HINT: &str = "give a HAR, JSON Lines, JSON, a Socket.IO frame log or a log whose lines hold messages (or force the format with --input-format)";

/// The report of a capture that could not even be opened.
fn unopened(error: io::Error) -> FileReport {
    FileReport { format: None, gzip: false, summary: Summary::default(), failure: Some(CaptureError::Read(error)) }
}

/// Sorts an I/O error: the sink's write errors are marked by the validator (they come back
/// through the same `io::Result`), the rest are read errors.
pub(crate) fn io_failure(error: io::Error) -> CaptureError {
    if error.get_ref().is_some_and(|inner| inner.is::<OutputError>()) {
        CaptureError::Output(error)
    } else {
        CaptureError::Read(error)
    }
}

/// Marks an I/O error as coming from the output, not the capture.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct OutputError(pub(crate) String);

#[cfg(test)]
mod tests {
    use super::*;

    /// Files in /proc say they are empty and still have content: read as a stream, not in
    /// parts of the size they give.
    #[cfg(target_os = "linux")]
    #[test]
    fn files_that_say_they_are_empty_are_read_whole() {
        let options = Options { format: Some(InputFormat::Jsonl), jobs: 2, ..Options::default() };
        let report = validate_path(Path::new("/proc/self/mounts"), &options, &mut |_| Ok(()));
        assert!(report.failure.is_none(), "{:?}", report.failure);
        assert!(report.summary.messages > 0, "no line of /proc/self/mounts was read");
    }
}
