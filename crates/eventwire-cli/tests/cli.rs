//! The `eventwire` binary as a person runs it: reports, exit codes, secrets.

use std::io::Write;
use std::process::{Command, Output, Stdio};

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

fn command(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_eventwire"));
    command.args(args).current_dir(ROOT).env_remove("NO_COLOR").env_remove("CLICOLOR_FORCE");
    command
}

fn eventwire(args: &[&str]) -> Output {
    command(args).output().expect("the binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

#[test]
fn clean_capture_exits_0() {
    let output = eventwire(&["validate", "tests/samples/capture.jsonl"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    insta::assert_snapshot!(stdout(&output));
}

#[test]
fn human_report_of_a_jsonl_capture() {
    let output = eventwire(&["validate", "tests/samples/capture-with-errors.jsonl"]);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    let reported: Vec<&str> = text.lines().filter_map(|l| l.trim().strip_prefix("--> ")).collect();
    let lines: Vec<&str> = reported.iter().map(|place| place.split(':').nth(1).unwrap()).collect();
    assert_eq!(lines, ["4", "9", "13", "16", "20"], "the four planted message errors and the update after the end");
    assert!(!text.contains('\u{1b}'), "no colour when stdout is not a terminal");
    insta::assert_snapshot!(text);
}

#[test]
fn human_report_of_a_har_capture() {
    let output = eventwire(&["validate", "tests/captures/devtools.har"]);
    assert_eq!(output.status.code(), Some(1));
    insta::assert_snapshot!(stdout(&output));
}

#[test]
fn json_report_has_one_object_per_finding_and_a_summary() {
    let output =
        eventwire(&["validate", "--format", "json", "tests/captures/mixed.jsonl", "tests/captures/devtools.har"]);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).expect("JSON line")).collect();
    let (summary, findings) = lines.split_last().unwrap();
    for finding in findings {
        for key in ["file", "line", "message_index", "family", "type", "severity", "path", "message"] {
            assert!(finding.get(key).is_some(), "{key} in {finding}");
        }
    }
    let jsonl: Vec<_> = findings.iter().filter(|f| f["file"] == "tests/captures/mixed.jsonl").collect();
    assert!(jsonl.iter().all(|f| f["line"].is_u64()), "line formats give lines");
    let har: Vec<_> = findings.iter().filter(|f| f["file"] == "tests/captures/devtools.har").collect();
    assert!(har.iter().all(|f| f["line"].is_null() && f["entry"].is_u64()), "HAR findings give entries");
    let summary = &summary["summary"];
    let errors = findings.iter().filter(|f| f["severity"] == "error").count();
    let warnings = findings.iter().filter(|f| f["severity"] == "warning").count();
    assert_eq!(summary["errors"], errors);
    assert_eq!(summary["warnings"], warnings);
    // mixed.jsonl: 21 messages, 10 invalid; devtools.har: 29 messages, 10 invalid (their .expected files).
    assert_eq!((summary["messages"].as_u64(), summary["invalid"].as_u64()), (Some(50), Some(20)));
    assert_eq!(summary["valid"], 30);
    insta::assert_snapshot!(text);
}

#[test]
fn github_annotations() {
    let output = eventwire(&["validate", "--format", "github", "tests/captures/socketio.log"]);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert!(
        text.lines().filter(|l| l.starts_with("::")).all(|l| l.starts_with("::error ") || l.starts_with("::warning "))
    );
    insta::assert_snapshot!(text);
}

#[test]
fn sarif_report() {
    let output = eventwire(&["validate", "--format", "sarif", "tests/captures/devtools.har", "tests/captures/app.log"]);
    assert_eq!(output.status.code(), Some(1));
    let sarif: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("one JSON document");
    assert_eq!(sarif["version"], "2.1.0");
    let run = &sarif["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let results = run["results"].as_array().unwrap();
    let json = eventwire(&["validate", "--format", "json", "tests/captures/devtools.har", "tests/captures/app.log"]);
    assert_eq!(results.len(), stdout(&json).lines().count() - 1, "the same findings as --format json");
    for result in results {
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], result["ruleId"], "ruleIndex points at the rule");
        let region = &result["locations"][0]["physicalLocation"]["region"];
        let uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].as_str().unwrap();
        assert_eq!(uri.ends_with(".log"), region["startLine"].is_u64(), "lines for line formats only: {result}");
    }
    assert_eq!(run["invocations"][0]["executionSuccessful"], true);
}

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let always = eventwire(&["validate", "--color", "always", "tests/samples/capture-with-errors.jsonl"]);
    assert!(stdout(&always).contains("\u{1b}["), "--color always colours");
    let mut no_color = command(&["validate", "--color", "auto", "tests/samples/capture-with-errors.jsonl"]);
    let no_color = no_color.env("NO_COLOR", "1").output().unwrap();
    assert!(!stdout(&no_color).contains('\u{1b}'));
}

/// A capture's own escape bytes (here in an invalid line) must not reach the terminal: the
/// text report shows control characters as U+FFFD, even with colour on.
#[test]
fn control_characters_from_a_capture_are_not_printed() {
    let capture = "{\"type\":\"ping\",\"session_id\":\"s\u{1b}[2J\",\"timestamp\":1,\"oops\":\u{1b}[5m}\n";
    for colour in ["never", "always"] {
        let mut child = command(&["validate", "--color", colour, "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(capture.as_bytes()).unwrap();
        let output = child.wait_with_output().unwrap();
        let report = stdout(&output);
        assert_eq!(output.status.code(), Some(1), "{report}");
        assert!(report.contains("\u{fffd}[2J"), "{report}");
        assert!(!report.contains("\u{1b}[2J") && !report.contains("\u{1b}[5m"), "{report}");
    }
}

#[test]
fn standard_input_and_gzip() {
    let mut child = command(&["validate", "-"]).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
    let gz = std::fs::read(format!("{ROOT}/tests/captures/app.log.gz")).unwrap();
    child.stdin.take().unwrap().write_all(&gz).unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(stdout(&output).contains("<stdin> (log, gzip): 9 messages: 5 valid, 4 invalid"), "{}", stdout(&output));
}

#[test]
fn family_filter_rejects_other_families() {
    let output = eventwire(&["validate", "--family", "health", "tests/samples/capture.jsonl"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stdout(&output).contains("22 messages: 3 valid, 19 invalid"), "{}", stdout(&output));
}

#[test]
fn warnings_fail_only_when_asked() {
    let dir = tempdir();
    let path = dir.join("ms.jsonl");
    std::fs::write(&path, r#"{"type":"alert","timestamp":1758855250125,"data":{"message":"m"}}"#).unwrap();
    let path = path.to_str().unwrap();
    let output = eventwire(&["validate", path]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert!(stdout(&output).contains("warning[timestamp-unit]"));
    assert_eq!(eventwire(&["validate", "--fail-on-warnings", path]).status.code(), Some(1));
}

#[test]
fn record_size_cap_skips_the_record_and_goes_on() {
    let dir = tempdir();
    let path = dir.join("long.jsonl");
    let long = format!(r#"{{"type":"test","session_id":"s","timestamp":1,"data":"{}"}}"#, "x".repeat(5000));
    std::fs::write(&path, format!("{long}\n{{\"type\":\"ping\",\"session_id\":\"s\",\"timestamp\":1}}\n")).unwrap();
    let output = eventwire(&["validate", "--max-record-size", "1KiB", "--format", "json", path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    let first: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!((first["check"].as_str(), first["line"].as_u64()), (Some("record-too-large"), Some(1)));
    assert!(text.contains(r#""messages":2,"valid":1,"invalid":1"#), "{text}");
    assert_eq!(eventwire(&["validate", path.to_str().unwrap()]).status.code(), Some(0), "the default cap is 16 MiB");
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        vec!["validate"],
        vec!["validate", "--family", "helth", "x.jsonl"],
        vec!["validate", "--input-format", "netflow", "x"],
        vec!["validate", "--max-record-size", "lots", "x"],
        vec!["schema", "helth"],
    ] {
        let output = eventwire(&args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(stderr(&output).contains("error"), "{args:?}: {}", stderr(&output));
    }
}

#[test]
fn unreadable_captures_exit_3_and_the_others_are_still_validated() {
    let output = eventwire(&["validate", "tests/samples/does-not-exist.jsonl", "tests/samples/capture.jsonl"]);
    assert_eq!(output.status.code(), Some(3));
    let text = stdout(&output);
    assert!(text.contains("tests/samples/does-not-exist.jsonl: cannot read"), "{text}");
    assert!(text.contains("tests/samples/capture.jsonl (jsonl): 22 messages: 22 valid"), "{text}");

    let dir = tempdir();
    let not_har = dir.join("notes.har");
    std::fs::write(&not_har, "these are my notes").unwrap();
    let output = eventwire(&["validate", not_har.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(3));
    assert!(stdout(&output).contains("not a valid har capture"), "{}", stdout(&output));
}

/// Each file in `tests/not-captures/` (what real tools write that is not a capture: mitmproxy
/// flows, tshark exports, a Chromium net-log) is refused with exit 3, what it looks like and how
/// to get a capture out of it, in every report format, plain or gzipped.
#[test]
fn what_is_not_a_capture_is_refused_with_a_hint() {
    let expected = [
        ("mitmproxy.flows", "a mitmproxy flow file", "mitmdump -nr FILE --set hardump="),
        ("tshark.json", "a tshark JSON export", "give eventwire the packet capture itself"),
        ("tshark-ek.jsonl", "a tshark Elasticsearch export", "give eventwire the packet capture itself"),
        ("chromium.netlog.json", "a Chromium net-log", "Export HAR"),
    ];
    let dir = format!("{ROOT}/tests/not-captures");
    let mut files: Vec<String> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    files.sort();
    let mut named: Vec<&str> = expected.iter().map(|(file, ..)| *file).collect();
    named.sort();
    assert_eq!(files, named, "every sample has its expectation");
    let temp = tempdir();
    for (file, looks_like, hint) in expected {
        let path = format!("tests/not-captures/{file}");
        let gzipped = temp.join(format!("{file}.gz"));
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(&std::fs::read(format!("{ROOT}/{path}")).unwrap()).unwrap();
        std::fs::write(&gzipped, encoder.finish().unwrap()).unwrap();
        for input in [path.clone(), gzipped.to_str().unwrap().to_owned()] {
            for format in ["text", "json", "github", "sarif"] {
                let output = eventwire(&["validate", "--format", format, &input]);
                assert_eq!(output.status.code(), Some(3), "{format} {input}: {}", stdout(&output));
                let text = stdout(&output);
                assert!(text.contains(looks_like) && text.contains(hint), "{format} {input}:\n{text}");
                assert!(!text.contains("no messages found"), "{format} {input}:\n{text}");
            }
        }
    }
    // Text with no message on any line is not taken for an empty log.
    let notes = temp.join("notes.txt");
    std::fs::write(&notes, "these are my notes\nabout the meeting\n").unwrap();
    let output = eventwire(&["validate", notes.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(3), "{}", stdout(&output));
    assert!(stdout(&output).contains("no JSON message or Socket.IO frame on any line"), "{}", stdout(&output));
    // Forced, it is a log that holds no messages: a warning, and exit 0.
    let output = eventwire(&["validate", "--input-format", "log", notes.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert!(stdout(&output).contains("no messages found"), "{}", stdout(&output));
}

#[test]
fn secrets_never_reach_any_output() {
    let planted = ["SECRET", "dev-shared-secret"];
    let mut files: Vec<String> = Vec::new();
    for dir in ["tests/secrets", "tests/captures"] {
        for entry in std::fs::read_dir(format!("{ROOT}/{dir}")).unwrap() {
            let name = entry.unwrap().file_name().into_string().unwrap();
            if !name.ends_with(".expected") {
                files.push(format!("{dir}/{name}"));
            }
        }
    }
    let har = std::fs::read_to_string(format!("{ROOT}/tests/secrets/secrets.har")).unwrap();
    assert!(har.matches("SECRET").count() >= 20, "the planted secrets are there to be found");
    for format in ["text", "json", "github", "sarif"] {
        for file in &files {
            let output = eventwire(&["validate", "--format", format, file]);
            assert!(matches!(output.status.code(), Some(0 | 1 | 3)), "{file}");
            let all = stdout(&output) + &stderr(&output);
            for secret in planted {
                assert!(!all.contains(secret), "{format} report of {file} shows a secret:\n{all}");
            }
            if file.ends_with("secrets.har") {
                assert!(all.contains("[REDACTED]"), "redacted, not dropped: {all}");
            }
        }
    }
    // Nor the listing of what the captures hold.
    for file in &files {
        let output = eventwire(&["messages", file]);
        assert!(matches!(output.status.code(), Some(0 | 3)), "{file}");
        let all = stdout(&output) + &stderr(&output);
        for secret in planted {
            assert!(!all.contains(secret), "the listing of {file} shows a secret:\n{all}");
        }
    }
}

#[test]
fn schema_prints_the_checked_in_file() {
    for (args, file) in [(vec!["schema", "media"], "media.json"), (vec!["schema"], "eventwire.json")] {
        let output = eventwire(&args);
        assert_eq!(output.status.code(), Some(0));
        let checked_in = std::fs::read_to_string(format!("{ROOT}/schema/{file}")).unwrap();
        assert_eq!(stdout(&output), checked_in, "{file}");
    }
}

#[test]
fn codegen_typescript_writes_the_checked_in_package() {
    let out = tempdir().join("new/bindings");
    let output = eventwire(&["codegen", "typescript", "--out", out.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let checked_in = std::path::Path::new(ROOT).join("generated/typescript");
    let mut names: Vec<String> =
        std::fs::read_dir(&checked_in).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    let listed: Vec<String> = stdout(&output).lines().map(|line| line.rsplit('/').next().unwrap().to_owned()).collect();
    let mut listed_sorted = listed.clone();
    listed_sorted.sort();
    assert_eq!(listed_sorted, names, "the files listed are the package's files");
    for name in &names {
        let expected = std::fs::read_to_string(checked_in.join(name)).unwrap();
        let written = std::fs::read_to_string(out.join(name)).unwrap();
        // Only the header differs: each file names the command that wrote it.
        let expected = expected.replacen("cargo xtask codegen", "eventwire codegen typescript", 1);
        assert!(written == expected, "{name} differs from the checked-in file beyond its header");
    }
}

#[test]
fn codegen_into_an_unwritable_place_exits_2() {
    let file = tempdir().join("a-file");
    std::fs::write(&file, "").unwrap();
    let output = eventwire(&["codegen", "typescript", "--out", file.join("sub").to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("creating"), "{}", stderr(&output));
    assert_eq!(eventwire(&["codegen", "typescript"]).status.code(), Some(2), "--out is required");
}

/// A fresh directory under the target directory (no temp-file crate needed for a few files).
fn tempdir() -> std::path::PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "cli-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn max_open_must_hold_something() {
    let output = eventwire(&["validate", "--max-open", "0", "tests/samples/capture.jsonl"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("--max-open"), "{}", stderr(&output));
    let output = eventwire(&["validate", "--max-open", "1", "tests/samples/capture.jsonl"]);
    assert_eq!(output.status.code(), Some(0), "one held at a time still reads the capture: {}", stdout(&output));
    assert!(stdout(&output).contains("warning[max-open]"), "{}", stdout(&output));
}
