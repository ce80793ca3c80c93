//! JSONTestSuite (`tests/jsontestsuite/`, vendored): every file read in every input format and
//! detected, from its path, from a reader (as standard input is read) and gzipped, without a
//! panic and with the same outcome each way. A `y_` file is JSON: where the format reads JSON
//! it is never a syntax error, only a message of no protocol (or no message at all). An `n_`
//! file is never valid: every format reports it (an error, an unreadable capture, or a warning
//! that nothing in it was a message). The outcome of each `i_` file is the one the table in
//! `tests/jsontestsuite/README.md` records.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use eventwire_capture::{
    CaptureError, Event, FileReport, InputFormat, Options, Severity, validate_path, validate_reader,
};

/// What eventwire made of one file read one way.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Outcome {
    /// The codes of the errors found, sorted and without repeats.
    errors: Vec<String>,
    /// Whether a warning said there was no message in it.
    no_messages: bool,
    /// Messages counted valid.
    valid: usize,
    /// Why it could not be read to its end: `not a capture` or `unreadable`.
    failure: Option<&'static str>,
}

impl Outcome {
    /// Whether nothing at all was reported: what an `n_` file must never get.
    fn clean(&self) -> bool {
        self.errors.is_empty() && !self.no_messages && self.failure.is_none()
    }

    /// The outcome as the README's table writes it.
    fn describe(&self) -> String {
        match self.failure {
            Some(failure) => failure.to_owned(),
            None if !self.errors.is_empty() => self.errors.join(" "),
            None if self.no_messages => "no-messages".to_owned(),
            None => format!("{} valid", self.valid),
        }
    }
}

fn outcome(validate: impl FnOnce(&mut eventwire_capture::Sink) -> FileReport) -> Outcome {
    let (mut errors, mut no_messages) = (Vec::new(), false);
    let report = validate(&mut |event| {
        if let Event::Finding(finding) = event {
            match finding.severity {
                Severity::Error => errors.push(finding.check.code().to_owned()),
                Severity::Warning => no_messages |= finding.check.code() == "no-messages",
            }
        }
        Ok(())
    });
    errors.sort();
    errors.dedup();
    let failure = report.failure.as_ref().map(|failure| match failure {
        CaptureError::NotACapture { .. } => "not a capture",
        _ => "unreadable",
    });
    Outcome { errors, no_messages, valid: report.summary.valid(), failure }
}

fn suite() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("jsontestsuite/test_parsing");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap().map(|entry| entry.unwrap().path()).collect();
    files.sort();
    assert_eq!(files.len(), 318, "the vendored suite has 318 files");
    files
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// The outcome of `path` read as `format` (`None`: detected), the same from the path, from a
/// reader named `-` (standard input's way in) and gzipped, or the test fails.
fn read(path: &Path, format: Option<InputFormat>) -> Outcome {
    let options = Options { format, ..Options::default() };
    let bytes = std::fs::read(path).unwrap();
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let how = format.map_or("detected", InputFormat::name);
    let run = |way: &str, validate: &dyn Fn(&mut eventwire_capture::Sink) -> FileReport| {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| outcome(validate)))
            .unwrap_or_else(|_| panic!("{name} as {how}, {way}: panicked"))
    };
    let from_path = run("from its path", &|sink| validate_path(path, &options, sink));
    let from_reader =
        run("from a reader", &|sink| validate_reader(std::io::Cursor::new(bytes.clone()), "-", &options, sink));
    let gzipped = run("gzipped", &|sink| validate_reader(std::io::Cursor::new(gzip(&bytes)), "-", &options, sink));
    assert_eq!(from_reader, from_path, "{name} as {how}: from a reader and from its path");
    assert_eq!(gzipped, from_path, "{name} as {how}: gzipped and plain");
    from_path
}

/// Every way a file is read: detected, then each format forced.
fn readings() -> impl Iterator<Item = Option<InputFormat>> {
    std::iter::once(None).chain(InputFormat::ALL.map(Some))
}

#[test]
fn y_files_are_json_in_every_format_that_reads_json() {
    for path in suite().iter().filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("y_")) {
        let name = path.file_name().unwrap().to_string_lossy();
        let one_line = std::fs::read(path).unwrap().trim_ascii_end().iter().all(|&b| b != b'\n');
        for format in readings() {
            let outcome = read(path, format);
            let how = format.map_or("detected", InputFormat::name);
            // No y_ file is a protocol message.
            assert_eq!(outcome.valid, 0, "{name} as {how}: {outcome:?}");
            let reads_json = match format {
                None | Some(InputFormat::Json) => true,
                Some(InputFormat::Jsonl) => one_line,
                _ => false,
            };
            if reads_json {
                assert_eq!(outcome.failure, None, "{name} as {how}: read to its end");
                assert!(!outcome.errors.iter().any(|e| e == "syntax"), "{name} as {how}: JSON, not a syntax error");
                assert!(!outcome.clean(), "{name} as {how}: not a message, so reported");
            }
        }
    }
}

#[test]
fn n_files_are_never_valid_in_any_format() {
    for path in suite().iter().filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("n_")) {
        let name = path.file_name().unwrap().to_string_lossy();
        for format in readings() {
            let outcome = read(path, format);
            let how = format.map_or("detected", InputFormat::name);
            assert!(!outcome.clean(), "{name} as {how}: reported as clean");
            if matches!(format, None | Some(InputFormat::Json | InputFormat::Jsonl)) {
                assert_eq!(outcome.valid, 0, "{name} as {how}: {outcome:?}");
            }
        }
    }
}

/// The README's table: `| i_file | outcome |` rows.
fn recorded() -> BTreeMap<String, String> {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("jsontestsuite/README.md")).unwrap();
    readme
        .lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.strip_prefix('|')?.split('|').map(str::trim).collect();
            let file = cells.first()?.strip_prefix('`')?.strip_suffix('`')?;
            Some((file.to_owned(), (*cells.get(1)?).to_owned()))
        })
        .collect()
}

#[test]
fn i_files_get_the_outcomes_the_docs_record() {
    let recorded = recorded();
    let mut seen = 0;
    for path in suite().iter().filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("i_")) {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        for format in readings() {
            read(path, format);
        }
        let outcome = read(path, Some(InputFormat::Json)).describe();
        assert_eq!(recorded.get(&name), Some(&outcome), "{name} read as json");
        seen += 1;
    }
    assert_eq!(recorded.len(), seen, "the table lists exactly the i_ files");
}
