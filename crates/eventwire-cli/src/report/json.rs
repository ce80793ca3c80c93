//! `--format json`: one JSON object per finding (JSON Lines), then one summary object.

use std::io::{self, Write};

use eventwire_capture::{FileReport, Finding, Summary};
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::{Report, Totals, failure_text, not_a_capture};

/// The JSON Lines report.
pub struct Json<W: Write> {
    out: W,
}

impl<W: Write> Json<W> {
    /// A report writing to `out`.
    pub fn new(out: W) -> Self {
        Json { out }
    }

    fn line(&mut self, value: &Value) -> io::Result<()> {
        serde_json::to_writer(&mut self.out, value)?;
        self.out.write_all(b"\n")
    }
}

/// A finding as a JSON object; every key is always present (`null` where it does not apply).
/// A struct rather than a `Value`: findings can number millions.
#[derive(Serialize)]
struct FindingObject<'a> {
    file: &'a str,
    #[serde(flatten)]
    place: PlaceObject,
    family: Option<&'static str>,
    #[serde(rename = "type")]
    tag: Option<&'static str>,
    type_name: Option<&'static str>,
    severity: &'static str,
    check: &'static str,
    path: &'a str,
    message: &'a str,
    context: &'a [String],
    /// The other message a rule across messages involves.
    related: Option<PlaceObject>,
}

/// A place in the capture: the finding's, or the other message's it involves.
#[derive(Serialize)]
pub struct PlaceObject {
    line: Option<usize>,
    column: Option<usize>,
    message_index: Option<usize>,
    entry: Option<usize>,
    entry_message: Option<usize>,
    entry_packet: Option<usize>,
    /// A packet capture's packet (Wireshark's frame number), connection (`tcp.stream`) and
    /// capture time (Unix seconds).
    packet: Option<usize>,
    tcp_stream: Option<usize>,
    time: Option<f64>,
}

impl PlaceObject {
    /// The place of `location`.
    pub fn new(location: &eventwire_capture::Location) -> Self {
        PlaceObject {
            line: location.line,
            column: location.column,
            message_index: location.message_index,
            entry: location.entry,
            entry_message: location.entry_message,
            entry_packet: location.entry_packet,
            packet: location.packet,
            tcp_stream: location.tcp_stream,
            time: location.time_micros.map(|micros| micros as f64 / 1e6),
        }
    }
}

impl<'a> FindingObject<'a> {
    fn new(file: &'a str, finding: &'a Finding) -> Self {
        FindingObject {
            file,
            place: PlaceObject::new(&finding.location),
            family: finding.family.map(|f| f.name()),
            tag: finding.kind.map(|k| k.tag),
            type_name: finding.kind.map(|k| k.type_name),
            severity: finding.severity.name(),
            check: finding.check.code(),
            path: &finding.pointer,
            message: &finding.message,
            context: &finding.context,
            related: finding.related.as_ref().map(PlaceObject::new),
        }
    }
}

/// The counts as a JSON object.
pub fn summary_object(summary: &Summary) -> Map<String, Value> {
    let tally = |messages: usize, invalid: usize| json!({ "messages": messages, "invalid": invalid });
    let mut object = Map::new();
    object.insert("messages".into(), summary.messages.into());
    object.insert("valid".into(), summary.valid().into());
    object.insert("invalid".into(), summary.invalid.into());
    object.insert("errors".into(), summary.errors.into());
    object.insert("warnings".into(), summary.warnings.into());
    object.insert("capture_errors".into(), summary.capture_errors.into());
    object.insert("control_frames".into(), summary.control_frames.into());
    object.insert("skipped_lines".into(), summary.skipped_lines.into());
    let families = summary.by_family.iter().map(|(f, t)| (f.to_string(), tally(t.messages, t.invalid)));
    object.insert("by_family".into(), Value::Object(families.collect()));
    let types = summary.by_type.iter().map(|((f, tag), t)| (format!("{f}/{tag}"), tally(t.messages, t.invalid)));
    object.insert("by_type".into(), Value::Object(types.collect()));
    let checks = summary.by_check.iter().map(|(check, n)| (check.code().to_owned(), Value::from(*n)));
    object.insert("by_check".into(), Value::Object(checks.collect()));
    let latency = summary.latency.iter().map(|(request, latency)| {
        let value = json!({
            "answered": latency.answered,
            "timed": latency.count,
            "unanswered": latency.unanswered,
            "p50_us": latency.percentile(50.0),
            "p95_us": latency.percentile(95.0),
            "max_us": (latency.count > 0).then_some(latency.max_micros),
        });
        (request.to_string(), value)
    });
    object.insert("latency".into(), Value::Object(latency.collect()));
    object
}

impl<W: Write> Report for Json<W> {
    fn finding(&mut self, file: &str, finding: &Finding) -> io::Result<()> {
        serde_json::to_writer(&mut self.out, &FindingObject::new(file, finding))?;
        self.out.write_all(b"\n")
    }

    fn file_done(&mut self, file: &str, report: &FileReport) -> io::Result<()> {
        let Some(failure) = failure_text(report) else { return Ok(()) };
        self.line(&json!({
            "file": file,
            "line": null, "column": null, "message_index": null, "entry": null, "entry_message": null, "entry_packet": null,
            "packet": null, "tcp_stream": null, "time": null,
            "family": null, "type": null, "type_name": null,
            "severity": "error",
            "check": if not_a_capture(report) { "not-a-capture" } else { "unreadable" },
            "path": "",
            "message": failure,
            "context": [],
            "related": null,
        }))
    }

    fn finish(&mut self, totals: &Totals) -> io::Result<()> {
        let mut summary = summary_object(&totals.summary);
        summary.insert("files".into(), totals.files.into());
        summary.insert("unreadable_files".into(), totals.unreadable.into());
        summary.insert("not_captures".into(), totals.not_captures.into());
        self.line(&json!({ "summary": summary }))?;
        self.out.flush()
    }
}
