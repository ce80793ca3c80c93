//! `--format github`: GitHub Actions workflow commands, so findings show as annotations on the
//! capture files in a pull request.

use std::io::{self, Write};

use eventwire_capture::{FileReport, Finding, Severity};

use super::{Report, Totals, failure_text, place, type_label};

/// The GitHub annotations report.
pub struct Github<W: Write> {
    out: W,
}

impl<W: Write> Github<W> {
    /// A report writing to `out`.
    pub fn new(out: W) -> Self {
        Github { out }
    }
}

/// Escapes a workflow command's message.
fn data(text: &str) -> String {
    text.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Escapes a workflow command's property value.
fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}

impl<W: Write> Report for Github<W> {
    fn finding(&mut self, file: &str, finding: &Finding) -> io::Result<()> {
        let command = match finding.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut properties = vec![format!("file={}", property(file))];
        if let Some(line) = finding.location.line {
            properties.push(format!("line={line}"));
        }
        if let Some(column) = finding.location.column {
            properties.push(format!("col={column}"));
        }
        let label = type_label(finding).map(|l| format!(" {l}")).unwrap_or_default();
        properties.push(format!("title={}", property(&format!("eventwire {}{label}", finding.check))));
        let mut message = finding.message.clone();
        if !finding.pointer.is_empty() {
            message = format!("at {}: {message}", finding.pointer);
        }
        if finding.location.line.is_none() {
            message = format!("{}: {message}", place(file, finding));
        }
        if let Some(related) = super::related(file, finding) {
            message = format!("{message} (see {related})");
        }
        writeln!(self.out, "::{command} {}::{}", properties.join(","), data(&message))
    }

    fn file_done(&mut self, file: &str, report: &FileReport) -> io::Result<()> {
        match failure_text(report) {
            Some(failure) => writeln!(self.out, "::error file={},title=eventwire::{}", property(file), data(&failure)),
            None => Ok(()),
        }
    }

    fn finish(&mut self, totals: &Totals) -> io::Result<()> {
        let summary = &totals.summary;
        writeln!(
            self.out,
            "eventwire: {} messages in {} files: {} valid, {} invalid, {} warnings",
            summary.messages,
            totals.files,
            summary.valid(),
            summary.invalid,
            summary.warnings
        )?;
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(data("50% a\nb"), "50%25 a%0Ab");
        assert_eq!(property("a:b,c"), "a%3Ab%2Cc");
    }
}
