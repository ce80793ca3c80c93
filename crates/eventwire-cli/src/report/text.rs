//! The human report: findings grouped by file with a code frame, then per-file and total counts.
//! Colour only on a terminal (anstream honours `NO_COLOR` and `CLICOLOR_FORCE`).

use std::io::{self, Write};

use anstyle::{AnsiColor, Style};
use eventwire_capture::{FileReport, Finding, Severity, Summary};

use super::{Report, Totals, counts, failure_text, place, type_label};

const ERROR: Style = AnsiColor::Red.on_default().bold();
const WARNING: Style = AnsiColor::Yellow.on_default().bold();
const FRAME: Style = AnsiColor::Blue.on_default().bold();
const BOLD: Style = Style::new().bold();

/// The human report.
pub struct Text<W: Write> {
    out: W,
    /// The file whose header has been written.
    current: Option<String>,
}

impl<W: Write> Text<W> {
    /// A report writing to `out`.
    pub fn new(out: W) -> Self {
        Text { out, current: None }
    }

    fn header(&mut self, file: &str) -> io::Result<()> {
        if self.current.as_deref() != Some(file) {
            if self.current.is_some() {
                writeln!(self.out)?;
            }
            writeln!(self.out, "{BOLD}{file}{BOLD:#}")?;
            self.current = Some(file.to_owned());
        }
        Ok(())
    }
}

fn severity_style(severity: Severity) -> Style {
    match severity {
        Severity::Error => ERROR,
        Severity::Warning => WARNING,
    }
}

impl<W: Write> Report for Text<W> {
    fn finding(&mut self, file: &str, finding: &Finding) -> io::Result<()> {
        self.header(file)?;
        let style = severity_style(finding.severity);
        let out = &mut self.out;
        writeln!(
            out,
            "{style}{}[{}]{style:#}{BOLD}: {}{BOLD:#}",
            finding.severity.name(),
            finding.check,
            finding.message
        )?;
        writeln!(out, "  {FRAME}-->{FRAME:#} {}", place(file, finding))?;
        let gutter = finding.excerpt.as_ref().and_then(|e| e.line).map_or(1, |line| line.to_string().len());
        if let Some(excerpt) = &finding.excerpt {
            let pad = " ".repeat(gutter);
            let number = excerpt.line.map_or_else(|| pad.clone(), |line| format!("{line:>gutter$}"));
            writeln!(out, " {pad} {FRAME}|{FRAME:#}")?;
            writeln!(out, " {FRAME}{number}{FRAME:#} {FRAME}|{FRAME:#} {}", excerpt.text)?;
            let lead = " ".repeat(excerpt.underline.start);
            let marks = "^".repeat(excerpt.underline.len());
            writeln!(out, " {pad} {FRAME}|{FRAME:#} {lead}{style}{marks}{style:#}")?;
        }
        let mut notes = Vec::new();
        if let Some(index) = finding.location.message_index {
            notes.push(format!("message {index}"));
        }
        if let Some(label) = type_label(finding) {
            notes.push(label);
        }
        if !finding.pointer.is_empty() {
            notes.push(format!("at {}", finding.pointer));
        }
        notes.extend(finding.context.iter().cloned());
        if !notes.is_empty() {
            writeln!(out, " {} {FRAME}={FRAME:#} {}", " ".repeat(gutter), notes.join(" · "))?;
        }
        Ok(())
    }

    fn file_done(&mut self, file: &str, report: &FileReport) -> io::Result<()> {
        self.header(file)?;
        if let Some(failure) = failure_text(report) {
            writeln!(self.out, "{ERROR}error{ERROR:#}{BOLD}: {file}: {failure}{BOLD:#}")?;
        }
        let format = report.format.map(|f| format!(" ({}{})", f.name(), if report.gzip { ", gzip" } else { "" }));
        writeln!(self.out, "{file}{}: {}", format.unwrap_or_default(), one_line(&report.summary))?;
        Ok(())
    }

    fn finish(&mut self, totals: &Totals) -> io::Result<()> {
        let summary = &totals.summary;
        let out = &mut self.out;
        writeln!(out)?;
        let files = if totals.files == 1 { "1 file".to_owned() } else { format!("{} files", totals.files) };
        let unreadable = match totals.unreadable {
            0 => String::new(),
            n => format!(", {n} not read to the end"),
        };
        writeln!(out, "{BOLD}Summary: {files}{unreadable}, {}{BOLD:#}", one_line(summary))?;
        let width = summary.by_family.keys().map(|f| f.name().len()).max().unwrap_or(0);
        for (family, tally) in &summary.by_family {
            let types = summary.by_type.iter().filter(|((f, _), _)| f == family);
            let types = counts(types.map(|((_, tag), t)| (tag.to_string(), t.messages, t.invalid)));
            let invalid = if tally.invalid > 0 { format!(" ({} invalid)", tally.invalid) } else { String::new() };
            writeln!(out, "  {:<width$}  {}{invalid}: {types}", family.name(), tally.messages)?;
        }
        if !summary.by_check.is_empty() {
            let checks: Vec<String> = summary.by_check.iter().map(|(check, n)| format!("{check} {n}")).collect();
            writeln!(out, "  by kind: {}", checks.join(", "))?;
        }
        out.flush()
    }
}

fn one_line(summary: &Summary) -> String {
    let plural = |n: usize, word: &str| if n == 1 { format!("{n} {word}") } else { format!("{n} {word}s") };
    let mut line =
        format!("{}: {} valid, {} invalid", plural(summary.messages, "message"), summary.valid(), summary.invalid);
    if summary.warnings > 0 {
        line.push_str(&format!(", {}", plural(summary.warnings, "warning")));
    }
    if summary.capture_errors > 0 {
        line.push_str(&format!(", {} outside messages", plural(summary.capture_errors, "error")));
    }
    if summary.control_frames > 0 {
        line.push_str(&format!(", {} skipped", plural(summary.control_frames, "protocol frame")));
    }
    if summary.skipped_lines > 0 {
        line.push_str(&format!(", {} without a message skipped", plural(summary.skipped_lines, "line")));
    }
    line
}
