//! The capture corpus (`tests/captures/`): every input format, all five families, valid and
//! invalid. Each capture has a hand-written `<name>.expected` with the verdict per message (and,
//! for a file that cannot be read to its end, an `# unreadable: <why>` line); the validator must
//! give exactly that, from the file and from a gzip of it.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::Path;

use eventwire::Family;
use eventwire_capture::{Event, FileReport, Options, Severity, validate_path, validate_reader};

/// The verdicts of a capture in the `.expected` format: one line per message
/// (`index valid|invalid type checks...`), then one per finding outside messages (`- checks`).
struct Table {
    messages: BTreeMap<usize, (bool, String, Vec<String>)>,
    outside: Vec<String>,
}

fn check_code(severity: Severity, code: &str) -> String {
    match severity {
        Severity::Error => code.to_owned(),
        Severity::Warning => format!("w:{code}"),
    }
}

fn run(validate: impl FnOnce(&mut eventwire_capture::Sink) -> FileReport) -> (Table, FileReport) {
    let mut table = Table { messages: BTreeMap::new(), outside: Vec::new() };
    let mut checks: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    let report = validate(&mut |event| {
        match event {
            Event::Finding(finding) => {
                let code = check_code(finding.severity, finding.check.code());
                match finding.location.message_index {
                    Some(index) => checks.entry(index).or_default().push(code),
                    None => table.outside.push(code),
                }
            }
            Event::Message(verdict) => {
                let label = match (verdict.kind, verdict.family) {
                    (Some(kind), _) => format!("{}/{}", kind.family, kind.tag),
                    (None, Some(family)) => family.to_string(),
                    (None, None) => "-".into(),
                };
                let previous = table.messages.insert(verdict.index, (verdict.valid, label, Vec::new()));
                assert!(previous.is_none(), "message {} has two verdicts", verdict.index);
            }
            Event::Text(_) => {}
        }
        Ok(())
    });
    for (index, codes) in checks {
        let entry =
            table.messages.get_mut(&index).unwrap_or_else(|| panic!("findings for message {index}, no verdict"));
        entry.2 = codes;
    }
    (table, report)
}

fn render(table: &Table) -> String {
    let mut out = String::new();
    for (index, (valid, label, checks)) in &table.messages {
        let verdict = if *valid { "valid" } else { "invalid" };
        out.push_str(format!("{index} {verdict} {label} {}", checks.join(" ")).trim_end());
        out.push('\n');
    }
    for checks in &table.outside {
        out.push_str(&format!("- {checks}\n"));
    }
    out
}

/// Why the capture cannot be read to its end, when its expected file says it cannot.
fn expected_failure(capture: &Path) -> Option<String> {
    let text =
        std::fs::read_to_string(capture.with_file_name(format!("{}.expected", capture.file_name()?.to_str()?))).ok()?;
    text.lines().find_map(|l| l.strip_prefix("# unreadable: ")).map(str::to_owned)
}

/// The expected file without comments, and the format its header names.
fn expected(capture: &Path) -> (String, String) {
    let name = capture.file_name().unwrap().to_str().unwrap();
    let base = name.strip_suffix(".gz").unwrap_or(name);
    let text = std::fs::read_to_string(capture.with_file_name(format!("{base}.expected"))).expect("an .expected file");
    let format = text.lines().find_map(|l| l.strip_prefix("# format: ")).expect("a `# format:` line").trim().to_owned();
    let body: Vec<&str> = text.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()).collect();
    (body.join("\n") + "\n", format)
}

fn is_capture(path: &Path) -> bool {
    path.extension().is_none_or(|ext| ext != "expected")
}

#[test]
fn every_capture_gets_its_expected_verdicts() {
    insta::glob!("captures/*", |path| {
        if !is_capture(path) {
            return;
        }
        let (table, report) = run(|sink| validate_path(path, &Options::default(), sink));
        let (expected, format) = expected(path);
        match (expected_failure(path), &report.failure) {
            (None, failure) => assert!(failure.is_none(), "{}: {failure:?}", path.display()),
            (Some(why), Some(failure)) => {
                assert!(failure.to_string().contains(&why), "{}: {failure} does not say {why:?}", path.display())
            }
            (Some(why), None) => panic!("{}: read to its end, but expected unreadable: {why}", path.display()),
        }
        assert_eq!(report.format.map(|f| f.name()), Some(format.as_str()), "{}: detected format", path.display());
        assert_eq!(render(&table), expected, "{}: verdicts", path.display());
        let summary = &report.summary;
        assert_eq!(summary.messages, table.messages.len(), "{}", path.display());
        assert_eq!(summary.invalid, table.messages.values().filter(|m| !m.0).count(), "{}", path.display());
    });
}

/// Each capture, gzipped in two members, reads the same as the plain file.
#[test]
fn gzip_gives_the_same_verdicts() {
    insta::glob!("captures/*", |path| {
        let name = path.to_str().unwrap();
        if !is_capture(path) || name.ends_with(".gz") {
            return;
        }
        let content = std::fs::read(path).unwrap();
        let (first, second) = content.split_at(content.len() / 2);
        let mut gzipped = Vec::new();
        for member in [first, second] {
            let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            encoder.write_all(member).unwrap();
            gzipped.extend(encoder.finish().unwrap());
        }
        let gz_name = format!("{name}.gz");
        let (plain, _) = run(|sink| validate_path(path, &Options::default(), sink));
        let (unzipped, report) =
            run(|sink| validate_reader(std::io::Cursor::new(gzipped), &gz_name, &Options::default(), sink));
        assert!(report.gzip);
        assert_eq!(render(&unzipped), render(&plain), "{name}");
    });
}

/// The corpus covers what the issue asks: every input format (and gzip), and every family both
/// valid and invalid.
#[test]
fn the_corpus_covers_every_format_and_family() {
    let mut formats = BTreeSet::new();
    let mut seen: BTreeSet<(String, bool)> = BTreeSet::new();
    let mut gzip = false;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("captures");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if !is_capture(&path) {
            continue;
        }
        let (table, report) = run(|sink| validate_path(&path, &Options::default(), sink));
        formats.insert(report.format.unwrap().name());
        gzip |= report.gzip;
        for (valid, label, _) in table.messages.values() {
            let family = label.split('/').next().unwrap().to_owned();
            seen.insert((family, *valid));
        }
    }
    let all_formats: BTreeSet<_> = eventwire_capture::InputFormat::ALL.iter().map(|f| f.name()).collect();
    assert_eq!(formats, all_formats);
    assert!(gzip, "a gzip capture");
    for family in Family::ALL {
        for valid in [true, false] {
            assert!(seen.contains(&(family.to_string(), valid)), "{family} valid={valid}");
        }
    }
}

/// Without excerpts (what the machine-readable reports ask for), every capture gets the same
/// findings, only without their excerpts.
#[test]
fn findings_without_excerpts_are_the_same_findings() {
    let findings = |path: &Path, options: &Options| {
        let mut findings = Vec::new();
        validate_path(path, options, &mut |event| {
            if let Event::Finding(finding) = event {
                findings.push(finding);
            }
            Ok(())
        });
        findings
    };
    let without = Options { excerpts: false, ..Options::default() };
    let mut excerpts = 0;
    insta::glob!("captures/*", |path| {
        if !is_capture(path) {
            return;
        }
        let mut full = findings(path, &Options::default());
        excerpts += full.iter().filter(|finding| finding.excerpt.is_some()).count();
        full.iter_mut().for_each(|finding| finding.excerpt = None);
        assert_eq!(findings(path, &without), full, "{}", path.display());
    });
    assert!(excerpts > 10, "the corpus has findings with excerpts to leave out");
}
