//! The `eventwire` binary as a person runs it: output and exit codes.

use std::process::{Command, Output};

fn eventwire(args: &[&str]) -> Output {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    Command::new(env!("CARGO_BIN_EXE_eventwire")).args(args).current_dir(root).output().expect("the binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

#[test]
fn validate_clean_sample_exits_0() {
    let output = eventwire(&["validate", "tests/samples/capture.jsonl"]);
    assert_eq!(output.status.code(), Some(0));
    insta::assert_snapshot!(stdout(&output));
}

#[test]
fn validate_reports_each_invalid_line_and_exits_1() {
    let output = eventwire(&["validate", "tests/samples/capture-with-errors.jsonl"]);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    let reported: Vec<&str> =
        text.lines().filter_map(|l| l.split(':').nth(1)).filter(|n| n.parse::<u32>().is_ok()).collect();
    assert_eq!(reported, ["4", "9", "13", "16"], "the four planted errors, by line");
    insta::assert_snapshot!(text);
}

#[test]
fn validate_family_filter_rejects_other_families() {
    let output = eventwire(&["validate", "--family", "health", "tests/samples/capture.jsonl"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stdout(&output).contains("21 messages: 3 valid, 18 invalid"), "{}", stdout(&output));
}

#[test]
fn unreadable_file_is_an_io_error_exit_2() {
    let output = eventwire(&["validate", "tests/samples/does-not-exist.jsonl"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot read tests/samples/does-not-exist.jsonl"));
}

#[test]
fn unknown_family_is_a_usage_error_exit_2() {
    let output = eventwire(&["schema", "helth"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("unknown family `helth`"));
}

#[test]
fn schema_prints_the_checked_in_file() {
    for (args, file) in [(vec!["schema", "media"], "media.json"), (vec!["schema"], "eventwire.json")] {
        let output = eventwire(&args);
        assert_eq!(output.status.code(), Some(0));
        let checked_in =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../schema/").to_owned() + file).unwrap();
        assert_eq!(stdout(&output), checked_in, "{file}");
    }
}
