//! The report formats of `eventwire validate`: human text, JSON Lines, GitHub annotations and
//! SARIF. Each receives findings as they are found, each file's outcome, then the totals.

mod github;
pub mod json;
mod sarif;
mod text;

use std::io;

use eventwire_capture::{FileReport, Finding, Summary};

use crate::args::{ColorArg, OutputFormat};

pub use text::Text;

/// What all files together gave.
#[derive(Default)]
pub struct Totals {
    /// Files given.
    pub files: usize,
    /// Files that could not be read, or not to their end.
    pub unreadable: usize,
    /// Files that are not captures (a packet capture, a proxy's flow file, ...).
    pub not_captures: usize,
    /// The sum of the files' counts.
    pub summary: Summary,
}

/// A report format.
pub trait Report {
    /// A finding in `file`, in input order.
    fn finding(&mut self, file: &str, finding: &Finding) -> io::Result<()>;
    /// `file` is done (or could not be read; see `report.failure`).
    fn file_done(&mut self, file: &str, report: &FileReport) -> io::Result<()>;
    /// Everything is done.
    fn finish(&mut self, totals: &Totals) -> io::Result<()>;
}

/// The report for `format`, writing to standard output.
pub fn new(format: OutputFormat, color: ColorArg) -> Box<dyn Report> {
    let out = io::BufWriter::with_capacity(64 * 1024, io::stdout());
    match format {
        OutputFormat::Text => {
            let choice = match color {
                ColorArg::Auto => anstream::ColorChoice::Auto,
                ColorArg::Always => anstream::ColorChoice::Always,
                ColorArg::Never => anstream::ColorChoice::Never,
            };
            let stream = anstream::AutoStream::new(io::stdout(), choice);
            if stream.current_choice() == anstream::ColorChoice::Never {
                Box::new(Text::new(out, false))
            } else {
                Box::new(Text::new(io::BufWriter::with_capacity(64 * 1024, stream), true))
            }
        }
        OutputFormat::Json => Box::new(json::Json::new(out)),
        OutputFormat::Github => Box::new(github::Github::new(out)),
        OutputFormat::Sarif => Box::new(sarif::Sarif::new(out)),
    }
}

/// `family/tag` of a finding's message type, or its family alone.
pub fn type_label(finding: &Finding) -> Option<String> {
    match (finding.kind, finding.family) {
        (Some(kind), _) => Some(format!("{}/{}", kind.family, kind.tag)),
        (None, Some(family)) => Some(family.to_string()),
        (None, None) => None,
    }
}

/// Where a finding is, as a person reads it: `file:line:column`, or `file: entry E, message M`.
pub fn place(file: &str, finding: &Finding) -> String {
    place_of(file, &finding.location)
}

/// Where `location` is, as `file:line:column` or `file: HAR entry E, WebSocket message M`.
pub fn place_of(file: &str, location: &eventwire_capture::Location) -> String {
    if let Some(packet) = location.packet {
        let stream = location.tcp_stream.map(|stream| format!(" (tcp.stream {stream})")).unwrap_or_default();
        let part = location.entry_packet.map(|part| format!(", long-polling packet {part}")).unwrap_or_default();
        return format!("{file}: packet {packet}{stream}{part}");
    }
    match (location.line, location.column, location.entry) {
        (Some(line), Some(column), _) => format!("{file}:{line}:{column}"),
        (Some(line), None, _) => format!("{file}:{line}"),
        (None, _, Some(entry)) => match (location.entry_message, location.entry_packet) {
            (Some(message), _) => format!("{file}: HAR entry {entry}, WebSocket message {message}"),
            (None, Some(packet)) => format!("{file}: HAR entry {entry}, long-polling packet {packet}"),
            (None, None) => format!("{file}: HAR entry {entry}"),
        },
        (None, _, None) => file.to_owned(),
    }
}

/// "message 41 (capture.jsonl:41:1)": the other message a finding involves, if any.
pub fn related(file: &str, finding: &Finding) -> Option<String> {
    let related = finding.related.as_ref()?;
    let place = place_of(file, related);
    Some(match related.message_index {
        Some(index) => format!("message {index} ({place})"),
        None => place,
    })
}

/// The latency summary of one request tag in a line: `ping: 120 answered, p50 1.2 ms, …`.
pub fn latency_line(request: &str, latency: &eventwire_capture::Latency) -> String {
    let ms = |micros: u64| format!("{:.3} ms", micros as f64 / 1000.0);
    let mut line = format!("{request}: {} answered", latency.answered);
    if let (Some(p50), Some(p95)) = (latency.percentile(50.0), latency.percentile(95.0)) {
        line.push_str(&format!(", p50 {}, p95 {}, max {}", ms(p50), ms(p95), ms(latency.max_micros)));
        if latency.count < latency.answered {
            line.push_str(&format!(" (of {} timed)", latency.count));
        }
    } else if latency.answered > 0 {
        line.push_str(" (the capture gives no times)");
    }
    if latency.unanswered > 0 {
        line.push_str(&format!(", {} unanswered", latency.unanswered));
    }
    line
}

/// Whether the file was refused as not a capture (rather than failing to be read).
pub fn not_a_capture(report: &FileReport) -> bool {
    matches!(report.failure, Some(eventwire_capture::CaptureError::NotACapture { .. }))
}

/// The failure of a file, redacted (a parser's message may quote the capture).
pub fn failure_text(report: &FileReport) -> Option<String> {
    report.failure.as_ref().map(|failure| eventwire_capture::redact::redact(&failure.to_string()))
}

/// `name 4 (1 invalid)` counts joined by commas, for the summaries.
pub fn counts(items: impl Iterator<Item = (String, usize, usize)>) -> String {
    items
        .map(
            |(name, messages, invalid)| {
                if invalid > 0 {
                    format!("{name} {messages} ({invalid} invalid)")
                } else {
                    format!("{name} {messages}")
                }
            },
        )
        .collect::<Vec<_>>()
        .join(", ")
}
