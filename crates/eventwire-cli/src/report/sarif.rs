//! `--format sarif`: SARIF 2.1.0 for code-scanning tools. Written as a stream (header, one result
//! at a time, footer) so that a capture with millions of findings needs no memory for them.

use std::io::{self, Write};

use eventwire_capture::{Check, FileReport, Finding, Severity};
use serde_json::{Value, json};

use super::{Report, Totals, failure_text};

/// The SARIF report.
pub struct Sarif<W: Write> {
    out: W,
    started: bool,
    results: usize,
    notifications: Vec<Value>,
}

impl<W: Write> Sarif<W> {
    /// A report writing to `out`.
    pub fn new(out: W) -> Self {
        Sarif { out, started: false, results: 0, notifications: Vec::new() }
    }

    fn start(&mut self) -> io::Result<()> {
        if self.started {
            return Ok(());
        }
        self.started = true;
        let rules: Vec<Value> = Check::all()
            .map(|check| {
                json!({
                    "id": check.code(),
                    "shortDescription": { "text": check.description() },
                    "defaultConfiguration": { "level": if is_warning(check) { "warning" } else { "error" } },
                })
            })
            .collect();
        let driver = json!({
            "name": "eventwire",
            "version": env!("CARGO_PKG_VERSION"),
            "informationUri": "https://github.com/eventwire/eventwire",
            "rules": rules,
        });
        write!(
            self.out,
            r#"{{"$schema":"https://json.schemastore.org/sarif-2.1.0.json","version":"2.1.0","runs":[{{"tool":{{"driver":{driver}}},"columnKind":"unicodeCodePoints","results":["#
        )
    }
}

fn is_warning(check: Check) -> bool {
    matches!(
        check,
        Check::TimestampUnit | Check::NoSocketMessages | Check::FamilyMismatch | Check::BinaryFrame | Check::NoMessages
    )
}

fn rule_index(check: Check) -> usize {
    Check::all().position(|c| c == check).expect("every check is a rule")
}

/// A relative path as a URI reference: forward slashes, spaces and `%` escaped.
fn uri(file: &str) -> String {
    file.replace('\\', "/").replace('%', "%25").replace(' ', "%20")
}

impl<W: Write> Report for Sarif<W> {
    fn finding(&mut self, file: &str, finding: &Finding) -> io::Result<()> {
        self.start()?;
        let location = &finding.location;
        let mut physical = json!({ "artifactLocation": { "uri": uri(file) } });
        if let Some(line) = location.line {
            physical["region"] = json!({ "startLine": line, "startColumn": location.column.unwrap_or(1) });
        }
        let mut sarif_location = json!({ "physicalLocation": physical });
        if !finding.pointer.is_empty() {
            sarif_location["logicalLocations"] = json!([{ "fullyQualifiedName": finding.pointer, "kind": "member" }]);
        }
        let mut result = json!({
            "ruleId": finding.check.code(),
            "ruleIndex": rule_index(finding.check),
            "level": match finding.severity { Severity::Error => "error", Severity::Warning => "warning" },
            "message": { "text": finding.message },
            "locations": [sarif_location],
            "properties": {
                "family": finding.family.map(|f| f.name()),
                "type": finding.kind.map(|k| k.tag),
                "messageIndex": location.message_index,
                "harEntry": location.entry,
                "harEntryMessage": location.entry_message,
                "harEntryPacket": location.entry_packet,
                "packet": location.packet,
                "tcpStream": location.tcp_stream,
                "context": finding.context,
            },
        });
        if let Some(related) = &finding.related {
            let mut physical = json!({ "artifactLocation": { "uri": uri(file) } });
            if let Some(line) = related.line {
                physical["region"] = json!({ "startLine": line, "startColumn": related.column.unwrap_or(1) });
            }
            let text = super::related(file, finding).unwrap_or_default();
            result["relatedLocations"] = json!([{
                "id": 1,
                "physicalLocation": physical,
                "message": { "text": text },
                "properties": {
                    "messageIndex": related.message_index,
                    "harEntry": related.entry,
                    "harEntryMessage": related.entry_message,
                    "harEntryPacket": related.entry_packet,
                    "packet": related.packet,
                    "tcpStream": related.tcp_stream,
                },
            }]);
        }
        if self.results > 0 {
            self.out.write_all(b",")?;
        }
        self.results += 1;
        serde_json::to_writer(&mut self.out, &result).map_err(io::Error::from)
    }

    fn file_done(&mut self, file: &str, report: &FileReport) -> io::Result<()> {
        if let Some(failure) = failure_text(report) {
            self.notifications.push(json!({
                "level": "error",
                "message": { "text": failure },
                "locations": [{ "physicalLocation": { "artifactLocation": { "uri": uri(file) } } }],
            }));
        }
        Ok(())
    }

    fn finish(&mut self, totals: &Totals) -> io::Result<()> {
        self.start()?;
        let invocation = json!({
            "executionSuccessful": totals.unreadable + totals.not_captures == 0,
            "toolExecutionNotifications": self.notifications,
        });
        writeln!(self.out, r#"],"invocations":[{invocation}]}}]}}"#)?;
        self.out.flush()
    }
}
