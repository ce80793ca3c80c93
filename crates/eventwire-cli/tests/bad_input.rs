//! Input nobody should feed eventwire, fed to it as a user would: each gets a clear report and
//! an exit code, never a panic, a hang or memory without bound. (The slow ones, with peaks of
//! memory, are rows of `cargo xtask rss`: a 300 MB line, a 50 MB HAR string, a gzip bomb.)

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The longest any of these may take; past it the run is stopped and the test fails.
const PATIENCE: Duration = Duration::from_secs(120);

fn eventwire() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_eventwire"));
    command.env("NO_COLOR", "1");
    command
}

/// Waits for `child` at most [`PATIENCE`], polling; a child still running then is killed (by
/// its id, through `Child::kill`) and the test fails.
fn finish(mut child: Child, what: &str) -> Output {
    let start = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if start.elapsed() > PATIENCE {
            child.kill().ok();
            child.wait().ok();
            panic!("{what}: still running after {PATIENCE:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("output")
}

fn run(args: &[&str], stdin: Stdio, what: &str) -> Output {
    let child = eventwire()
        .arg("validate")
        .args(args)
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    finish(child, what)
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

/// The check codes of a `--format json` report.
fn checks(output: &Output) -> Vec<String> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter_map(|value| value["check"].as_str().map(str::to_owned))
        .collect()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("eventwire-bad-input-{}-{name}", std::process::id()));
    std::fs::remove_dir_all(&dir).ok();
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn forced(format: &str) -> Vec<&str> {
    if format == "detected" { Vec::new() } else { vec!["--input-format", format] }
}

const FORMATS: [&str; 7] = ["detected", "jsonl", "json", "har", "socketio", "log", "pcap"];

#[test]
fn dev_zero_on_standard_input_is_refused_at_once() {
    for format in FORMATS {
        let zero = std::fs::File::open("/dev/zero").expect("/dev/zero");
        let mut args = forced(format);
        args.push("-");
        let output = run(&args, Stdio::from(zero), &format!("/dev/zero as {format}"));
        assert_eq!(output.status.code(), Some(3), "{format}: {}", text(&output));
        assert!(text(&output).contains("binary file"), "{format}: {}", text(&output));
    }
}

/// A file of `content` in every format: exit `code` (1 or 3, never 0, 101 or a signal) and, for
/// the formats that read JSON, the check `json_check` among the findings.
fn every_format(name: &str, content: &[u8], json_check: &str) {
    let dir = scratch(name);
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    for format in FORMATS {
        let mut args = forced(format);
        args.extend(["--format", "json", path.to_str().unwrap()]);
        let output = run(&args, Stdio::null(), &format!("{name} as {format}"));
        let code = output.status.code();
        assert!(matches!(code, Some(0 | 1 | 3)), "{name} as {format}: exit {:?}: {}", output.status, text(&output));
        let found = checks(&output);
        assert!(
            code != Some(0) || found.iter().any(|c| c == "no-messages"),
            "{name} as {format}: exit 0 with nothing reported"
        );
        if matches!(format, "detected" | "json" | "jsonl") {
            assert!(found.iter().any(|c| c == json_check), "{name} as {format}: {found:?}, not {json_check}");
        }
    }
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn a_million_opening_brackets() {
    every_format("brackets.json", "[".repeat(1_000_000).as_bytes(), "truncated");
}

#[test]
fn json_nested_100_000_deep_on_one_line_and_pretty_printed() {
    let deep = 100_000;
    // JSON, of no protocol: an envelope error, not a stack overflow.
    every_format("deep.json", format!("{}{}", "[".repeat(deep), "]".repeat(deep)).as_bytes(), "envelope");
    let objects = format!("{}1{}", r#"{"a":"#.repeat(deep), "}".repeat(deep));
    every_format("deep-objects.json", objects.as_bytes(), "envelope");
    // Pretty-printed: a bracket a line (indenting 100,000 levels would be 10 GB).
    let pretty = format!("{}{}", "[\n".repeat(deep), "]\n".repeat(deep));
    let dir = scratch("pretty");
    let path = dir.join("pretty.json");
    std::fs::write(&path, pretty).unwrap();
    for format in ["detected", "json"] {
        let mut args = forced(format);
        args.extend(["--format", "json", path.to_str().unwrap()]);
        let output = run(&args, Stdio::null(), &format!("pretty as {format}"));
        assert_eq!(output.status.code(), Some(1), "{format}: {}", text(&output));
        assert_eq!(checks(&output), ["envelope"], "{format}: one document, one message of no protocol");
    }
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn a_har_whose_message_list_is_one_long_string() {
    let dir = scratch("har");
    let har = |length: usize| {
        format!(
            r#"{{"log":{{"version":"1.2","entries":[{{"request":{{"method":"GET","url":"ws://127.0.0.1/ws"}},"response":{{"status":101}},"_webSocketMessages":"{}"}}]}}}}"#,
            "A".repeat(length)
        )
    };
    // Longer than the record size cap: stopped there, and said so.
    let long = dir.join("long.har");
    std::fs::write(&long, har(50 * 1024 * 1024)).unwrap();
    let output = run(&[long.to_str().unwrap()], Stdio::null(), "50 MB string");
    assert_eq!(output.status.code(), Some(3), "{}", text(&output));
    assert!(text(&output).contains("`_webSocketMessages` is larger than the record size cap"), "{}", text(&output));
    assert!(text(&output).len() < 4096, "the string is not echoed");
    // Shorter: not an array, and the error quotes only its start.
    let short = dir.join("short.har");
    std::fs::write(&short, har(1024 * 1024)).unwrap();
    let output = run(&[short.to_str().unwrap()], Stdio::null(), "1 MB string");
    assert_eq!(output.status.code(), Some(3), "{}", text(&output));
    assert!(text(&output).contains("expected the `_webSocketMessages` array"), "{}", text(&output));
    assert!(text(&output).contains("(1048576 bytes)"), "{}", text(&output));
    assert!(text(&output).len() < 4096, "the string is not echoed: {} bytes", text(&output).len());
    std::fs::remove_dir_all(dir).ok();
}

const PING: &str = "{\"type\":\"ping\",\"session_id\":\"s1\",\"timestamp\":1}\n";

#[test]
fn a_directory_a_missing_file_and_an_unreadable_one_exit_3_and_the_rest_is_validated() {
    let dir = scratch("files");
    let good = dir.join("good.jsonl");
    std::fs::write(&good, PING).unwrap();
    let missing = dir.join("missing.jsonl");
    // Root reads a file whatever its mode, so the unreadable file is one whose read fails.
    let unreadable: PathBuf = if is_root() {
        "/proc/self/mem".into()
    } else {
        let path = dir.join("locked.jsonl");
        std::fs::write(&path, PING).unwrap();
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o000)).unwrap();
        path
    };
    for bad in [dir.as_path(), missing.as_path(), unreadable.as_path()] {
        let output = run(&[bad.to_str().unwrap(), good.to_str().unwrap()], Stdio::null(), &bad.display().to_string());
        let report = text(&output);
        assert_eq!(output.status.code(), Some(3), "{}: {report}", bad.display());
        assert!(report.contains("cannot read"), "{}: {report}", bad.display());
        assert!(report.contains("good.jsonl (jsonl): 1 message: 1 valid"), "{}: {report}", bad.display());
    }
    std::fs::remove_dir_all(dir).ok();
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .is_ok_and(|status| status.lines().any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0")))
}

#[test]
fn a_fifo_is_read_as_it_comes() {
    let dir = scratch("fifo");
    let fifo = dir.join("capture.jsonl");
    let status = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo runs");
    assert!(status.success());
    let child = eventwire()
        .args(["validate", fifo.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Opening the write end waits for the reader; then two messages, then the end.
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            std::fs::OpenOptions::new().write(true).open(&fifo)?.write_all(PING.repeat(2).as_bytes())
        })
    };
    let output = finish(child, "fifo");
    // Had eventwire never opened the FIFO, the writer would still wait in `open`: opening both
    // ends here never blocks on Linux (fifo(7)) and lets it go.
    drop(std::fs::OpenOptions::new().read(true).write(true).open(&fifo));
    writer.join().expect("the writer thread").expect("the capture was written");
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(text(&output).contains("2 messages: 2 valid"), "{}", text(&output));
    std::fs::remove_dir_all(dir).ok();
}

/// A gzip of `length` bytes of `a` (no newline): a few hundred KB that inflate to hundreds of MB.
fn bomb(path: &Path, length: usize) {
    let mut encoder = flate2::write::GzEncoder::new(std::fs::File::create(path).unwrap(), flate2::Compression::best());
    let block = vec![b'a'; 1 << 20];
    for _ in 0..length >> 20 {
        encoder.write_all(&block).unwrap();
    }
    encoder.finish().unwrap();
}

#[test]
fn a_gzip_bomb_is_held_to_the_record_size_cap_and_reported() {
    let dir = scratch("bomb");
    let path = dir.join("bomb.jsonl.gz");
    bomb(&path, 256 << 20);
    assert!(std::fs::metadata(&path).unwrap().len() < 1 << 20, "a small file");
    for format in ["detected", "jsonl", "log", "socketio"] {
        let mut args = forced(format);
        args.extend(["--max-record-size", "1MiB", "--format", "json", path.to_str().unwrap()]);
        let output = run(&args, Stdio::null(), &format!("bomb as {format}"));
        assert_eq!(output.status.code(), Some(1), "{format}: {}", text(&output));
        assert_eq!(checks(&output), ["record-too-large"], "{format}");
    }
    std::fs::remove_dir_all(dir).ok();
}
