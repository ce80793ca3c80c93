//! `eventwire validate FILE...`: validate captured traffic and report every finding.

use eventwire_capture::{CaptureError, Event, FileReport, Options};

use super::Outcome;
use crate::args::{OutputFormat, ValidateArgs};
use crate::report::{self, Totals};

/// Validates every file in turn, reporting findings as they are found, then the totals.
pub fn run(args: &ValidateArgs) -> anyhow::Result<Outcome> {
    let jobs = args.jobs.or_else(|| std::thread::available_parallelism().ok()).map_or(1, usize::from);
    let options = Options {
        format: args.input_format.format(),
        family: args.family,
        max_record_bytes: args.max_record_size,
        jobs,
        max_open: usize::try_from(args.max_open).unwrap_or(usize::MAX),
        // Only the text report shows excerpts.
        excerpts: args.format == OutputFormat::Text,
        texts: false,
    };
    let mut report = report::new(args.format, args.color);
    let mut totals = Totals { files: args.files.len(), ..Totals::default() };
    for path in &args.files {
        let name = if path.as_os_str() == "-" { "<stdin>".to_owned() } else { path.display().to_string() };
        let mut sink = |event: Event| match event {
            Event::Finding(finding) => report.finding(&name, &finding),
            Event::Message(_) | Event::Text(_) => Ok(()),
        };
        let file = eventwire_capture::validate_path(path, &options, &mut sink);
        if let FileReport { failure: Some(CaptureError::Output(error)), .. } = file {
            return Err(anyhow::Error::new(error).context("cannot write the report"));
        }
        report.file_done(&name, &file)?;
        let refused = report::not_a_capture(&file);
        totals.not_captures += usize::from(refused);
        totals.unreadable += usize::from(file.failure.is_some() && !refused);
        totals.summary.add(&file.summary);
    }
    report.finish(&totals)?;
    let summary = &totals.summary;
    Ok(if totals.unreadable + totals.not_captures > 0 {
        Outcome::Unreadable
    } else if summary.has_errors() || (args.fail_on_warnings && summary.warnings > 0) {
        Outcome::InvalidFound
    } else {
        Outcome::Clean
    })
}
