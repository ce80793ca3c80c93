//! The human report: findings grouped by file with a code frame, then per-file and total counts.
//! Colour only on a terminal (anstream honours `NO_COLOR` and `CLICOLOR_FORCE`).

use std::io::{self, Write};

use anstyle::{AnsiColor, Style};
use eventwire_capture::{FileReport, Finding, Severity, Summary};

use super::{Report, Totals, counts, failure_text, latency_line, not_a_capture, place, related, type_label};

/// The styles of the report's parts: all plain when the output takes no colour, so that
/// nothing has to strip escape codes from megabytes of findings.
#[derive(Clone, Copy)]
struct Palette {
    error: Style,
    warning: Style,
    frame: Style,
    bold: Style,
}

const COLOURED: Palette = Palette {
    error: AnsiColor::Red.on_default().bold(),
    warning: AnsiColor::Yellow.on_default().bold(),
    frame: AnsiColor::Blue.on_default().bold(),
    bold: Style::new().bold(),
};

const PLAIN: Palette = Palette { error: Style::new(), warning: Style::new(), frame: Style::new(), bold: Style::new() };

/// The human report.
pub struct Text<W: Write> {
    out: W,
    palette: Palette,
    /// The file whose header has been written.
    current: Option<String>,
}

impl<W: Write> Text<W> {
    /// A report writing to `out`, in colour when `coloured`.
    pub fn new(out: W, coloured: bool) -> Self {
        Text { out, palette: if coloured { COLOURED } else { PLAIN }, current: None }
    }

    fn header(&mut self, file: &str) -> io::Result<()> {
        if self.current.as_deref() != Some(file) {
            if self.current.is_some() {
                writeln!(self.out)?;
            }
            let bold = self.palette.bold;
            writeln!(self.out, "{bold}{file}{bold:#}")?;
            self.current = Some(file.to_owned());
        }
        Ok(())
    }
}

/// `text` with control characters (other than tab) shown as `�`, one character for one, so
/// that a capture's bytes cannot drive the terminal and underlines stay aligned.
fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    let unprintable = |c: char| c.is_control() && c != '\t';
    if text.chars().any(unprintable) {
        text.chars().map(|c| if unprintable(c) { '\u{fffd}' } else { c }).collect::<String>().into()
    } else {
        text.into()
    }
}

fn severity_style(palette: Palette, severity: Severity) -> Style {
    match severity {
        Severity::Error => palette.error,
        Severity::Warning => palette.warning,
    }
}

impl<W: Write> Report for Text<W> {
    fn finding(&mut self, file: &str, finding: &Finding) -> io::Result<()> {
        self.header(file)?;
        let Palette { frame, bold, .. } = self.palette;
        let style = severity_style(self.palette, finding.severity);
        let out = &mut self.out;
        writeln!(
            out,
            "{style}{}[{}]{style:#}{bold}: {}{bold:#}",
            finding.severity.name(),
            finding.check,
            printable(&finding.message)
        )?;
        writeln!(out, "  {frame}-->{frame:#} {}", place(file, finding))?;
        let gutter = finding.excerpt.as_ref().and_then(|e| e.line).map_or(1, |line| line.to_string().len());
        if let Some(excerpt) = &finding.excerpt {
            let pad = " ".repeat(gutter);
            let number = excerpt.line.map_or_else(|| pad.clone(), |line| format!("{line:>gutter$}"));
            writeln!(out, " {pad} {frame}|{frame:#}")?;
            writeln!(out, " {frame}{number}{frame:#} {frame}|{frame:#} {}", printable(&excerpt.text))?;
            let lead = " ".repeat(excerpt.underline.start);
            let marks = "^".repeat(excerpt.underline.len());
            writeln!(out, " {pad} {frame}|{frame:#} {lead}{style}{marks}{style:#}")?;
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
        if let Some(related) = related(file, finding) {
            notes.push(format!("see {related}"));
        }
        notes.extend(finding.context.iter().cloned());
        if !notes.is_empty() {
            writeln!(out, " {} {frame}={frame:#} {}", " ".repeat(gutter), printable(&notes.join(" · ")))?;
        }
        Ok(())
    }

    fn file_done(&mut self, file: &str, report: &FileReport) -> io::Result<()> {
        self.header(file)?;
        let Palette { error, bold, .. } = self.palette;
        if let Some(failure) = failure_text(report) {
            writeln!(self.out, "{error}error{error:#}{bold}: {file}: {failure}{bold:#}")?;
        }
        if not_a_capture(report) {
            return writeln!(self.out, "{file}: not a capture");
        }
        let format = report.format.map(|f| format!(" ({}{})", f.name(), if report.gzip { ", gzip" } else { "" }));
        writeln!(self.out, "{file}{}: {}", format.unwrap_or_default(), one_line(&report.summary))?;
        Ok(())
    }

    fn finish(&mut self, totals: &Totals) -> io::Result<()> {
        let summary = &totals.summary;
        let bold = self.palette.bold;
        let out = &mut self.out;
        writeln!(out)?;
        let files = if totals.files == 1 { "1 file".to_owned() } else { format!("{} files", totals.files) };
        let mut unreadable = match totals.unreadable {
            0 => String::new(),
            n => format!(", {n} not read to the end"),
        };
        match totals.not_captures {
            0 => {}
            1 => unreadable.push_str(", 1 not a capture"),
            n => unreadable.push_str(&format!(", {n} not captures")),
        }
        writeln!(out, "{bold}Summary: {files}{unreadable}, {}{bold:#}", one_line(summary))?;
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
        for (request, latency) in &summary.latency {
            writeln!(out, "  latency {}", latency_line(request, latency))?;
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
