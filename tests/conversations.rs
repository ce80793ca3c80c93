//! The rules across messages (`protocol.md`'s assistant sequence rules and stream pairing
//! rules), checked over whole captures: a valid conversation of each family gets no finding at
//! all, and each fault planted in it, one at a time, is reported with its check code at the
//! right message and graded as `protocol.md` grades it: in JSON Lines and logs (which may begin
//! mid-conversation) and in a HAR (which holds each socket from its opening). The generated
//! benchmark captures agree with their ground truth, for every `--jobs`.

use eventwire_capture::{Event, FileReport, Finding, InputFormat, Options, Severity, validate_reader};
use serde_json::{Value, json};

/// The check codes of the rules across messages.
const CONVERSATION_CHECKS: [&str; 11] = [
    "conversation-start",
    "conversation-restart",
    "after-end",
    "text-not-appended",
    "thread-changed",
    "conversation-open",
    "unsolicited-reply",
    "unanswered",
    "first-server-message",
    "session-mismatch",
    "max-open",
];

/// One message of a script: a label to name it by, the message, whether the client sent it,
/// the socket it is on (1, or 2 after a reconnection) and when, in seconds from the start.
#[derive(Clone)]
struct Msg {
    label: &'static str,
    value: Value,
    from_client: bool,
    socket: usize,
    time: f64,
}

fn msg(label: &'static str, value: Value, from_client: bool, time: f64) -> Msg {
    Msg { label, value, from_client, socket: 1, time }
}

fn update(status: &str, kind: &str, message: &str, id: &str) -> Value {
    let final_message = matches!(status, "completed" | "error");
    let mut payload = json!({
        "message": message, "timestamp": 1683042123.456, "status": status, "type": kind,
        "final_message": final_message, "message_id": id, "thread_id": "thread_abc123",
    });
    if kind == "error" {
        payload["error_details"] = json!("Detailed error information");
    }
    json!({ "channel": "user_session_abc123", "payload": payload })
}

/// The seed's "Message Flow" as one conversation (subscribe, `started`, `processing`,
/// `responding`, `in_progress` while the text streams, `completed`), then a second conversation
/// that ends in an error.
fn assistant_script() -> Vec<Msg> {
    let subscribe =
        json!({"channel": "subscription", "payload": {"action": "subscribe", "channel": "user_session_abc123"}});
    vec![
        msg("subscribe", subscribe, true, 0.0),
        msg(
            "started",
            update("started", "status", "Assistant is processing your request...", "unique-message-id"),
            false,
            0.1,
        ),
        msg(
            "processing",
            update("processing", "tool", "Executing weather check for Makati", "unique-message-id"),
            false,
            0.2,
        ),
        msg(
            "responding",
            update("responding", "status", "Assistant is responding...", "unique-message-id"),
            false,
            0.3,
        ),
        msg(
            "streamed",
            update("in_progress", "response", "Current weather in Makati: ", "unique-message-id"),
            false,
            0.4,
        ),
        msg(
            "streamed-more",
            update("in_progress", "response", "Current weather in Makati: 31 C", "unique-message-id"),
            false,
            0.5,
        ),
        msg(
            "completed",
            update("completed", "response", "Current weather in Makati: 31 C and sunny.", "unique-message-id"),
            false,
            0.6,
        ),
        msg(
            "second-started",
            update("started", "status", "Assistant is processing your request...", "m-2"),
            false,
            0.7,
        ),
        msg("second-error", update("error", "error", "Error description", "m-2"), false, 0.8),
    ]
}

fn stream(kind: &str, extra: Value) -> Value {
    let mut value = json!({ "type": kind, "session_id": "s1", "timestamp": 1758855248 });
    value.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    value
}

/// A stream session: every request answered, chat broadcast, and a `test` the server does not
/// take acknowledged with `error` (no request is open then, so it answers none; an `error` is
/// never an orphan). Later, an `error` would answer the oldest open request of any kind.
fn stream_script() -> Vec<Msg> {
    vec![
        msg("established", stream("connection_established", json!({"message": "Connected"})), false, 0.0),
        msg("test", stream("test", json!({"data": {"n": 1}})), true, 0.5),
        msg("error", stream("error", json!({"message": "cannot take `test`"})), false, 0.6),
        msg("ping", stream("ping", json!({})), true, 1.0),
        msg("pong", stream("pong", json!({})), false, 1.004),
        msg("audio", stream("audio", json!({"data": "AAAAAA=="})), true, 2.0),
        msg("audio-received", stream("audio_received", json!({})), false, 2.01),
        msg("transcribe", stream("transcription_request", json!({"data": "AAAA"})), true, 3.0),
        msg("transcript", stream("transcription_result", json!({"transcript": "hello"})), false, 3.5),
        msg("chat", stream("chat", json!({"message": "hi"})), true, 4.0),
        msg("chat-message", stream("chat_message", json!({"message": "hi"})), false, 4.1),
        msg("video", stream("video", json!({"data": "/9j/4AAQ"})), true, 6.0),
        msg("video-received", stream("video_received", json!({})), false, 6.2),
    ]
}

/// The formats a script is written in: JSON Lines and logs begin anywhere, a HAR holds each
/// socket from its opening.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Written {
    Jsonl,
    Log,
    Har,
}

const WRITTEN: [Written; 3] = [Written::Jsonl, Written::Log, Written::Har];

fn write(script: &[Msg], written: Written, url: &str) -> (Vec<u8>, InputFormat) {
    match written {
        Written::Jsonl => {
            let lines: String = script.iter().map(|m| format!("{}\n", m.value)).collect();
            (lines.into_bytes(), InputFormat::Jsonl)
        }
        Written::Log => {
            let lines: String = script
                .iter()
                .map(|m| {
                    let (seconds, millis) = (m.time as u64, ((m.time.fract()) * 1000.0).round() as u64);
                    let arrow = if m.from_client { ">" } else { "<" };
                    format!("2026-12-02 18:00:{seconds:02},{millis:03} DEBUG {arrow} {}\n", m.value)
                })
                .collect();
            (lines.into_bytes(), InputFormat::Log)
        }
        Written::Har => {
            let mut sockets: Vec<usize> = script.iter().map(|m| m.socket).collect();
            sockets.dedup();
            let entries: Vec<Value> = sockets
                .iter()
                .map(|&socket| {
                    let messages: Vec<Value> = script
                        .iter()
                        .filter(|m| m.socket == socket)
                        .map(|m| {
                            let kind = if m.from_client { "send" } else { "receive" };
                            json!({ "type": kind, "time": 1758855248.0 + m.time, "opcode": 1, "data": m.value.to_string() })
                        })
                        .collect();
                    json!({
                        "request": { "method": "GET", "url": url, "headers": [] },
                        "response": { "status": 101, "headers": [] },
                        "_resourceType": "websocket",
                        "_webSocketMessages": messages,
                    })
                })
                .collect();
            let har = json!({ "log": { "version": "1.2", "creator": { "name": "test", "version": "1" }, "entries": entries } });
            (har.to_string().into_bytes(), InputFormat::Har)
        }
    }
}

fn validate(bytes: Vec<u8>, format: InputFormat, options: Options) -> (Vec<Finding>, FileReport) {
    let mut findings = Vec::new();
    let options = Options { format: Some(format), ..options };
    let report = validate_reader(std::io::Cursor::new(bytes), "capture", &options, &mut |event| {
        if let Event::Finding(finding) = event {
            findings.push(finding);
        }
        Ok(())
    });
    assert!(report.failure.is_none(), "{:?}", report.failure);
    (findings, report)
}

/// `(message index, check, severity)` of each conversation finding.
fn conversation_findings(findings: &[Finding]) -> Vec<(usize, String, Severity)> {
    let mut found: Vec<_> = findings
        .iter()
        .filter(|f| CONVERSATION_CHECKS.contains(&f.check.code()))
        .map(|f| (f.location.message_index.unwrap_or_default(), f.check.code().to_owned(), f.severity))
        .collect();
    found.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    found
}

const ASSISTANT_URL: &str = "ws://127.0.0.1:8080/ws";
const STREAM_URL: &str = "ws://127.0.0.1:8000/api/stream/ws/s1";

#[test]
fn valid_conversations_get_no_finding_in_any_format() {
    for (script, url) in [(assistant_script(), ASSISTANT_URL), (stream_script(), STREAM_URL)] {
        for written in WRITTEN {
            let (bytes, format) = write(&script, written, url);
            let (findings, report) = validate(bytes, format, Options::default());
            assert!(findings.is_empty(), "{written:?} {url}: {findings:#?}");
            assert_eq!(report.summary.messages, script.len());
        }
    }
}

/// Latency comes from the capture's times: HAR `time`, log prefixes; JSON Lines have none.
#[test]
fn latency_is_the_time_from_request_to_reply() {
    for written in WRITTEN {
        let (bytes, format) = write(&stream_script(), written, STREAM_URL);
        let (_, report) = validate(bytes, format, Options::default());
        let latency = &report.summary.latency;
        for (request, micros) in
            [("ping", 4_000u64), ("audio", 10_000), ("transcription_request", 500_000), ("video", 200_000)]
        {
            let kind = &latency[request];
            assert_eq!((kind.answered, kind.unanswered), (1, 0), "{written:?} {request}");
            if written == Written::Jsonl {
                assert_eq!(
                    (kind.count, kind.percentile(50.0)),
                    (0, None),
                    "{written:?}: JSON Lines carry no capture time"
                );
                continue;
            }
            assert_eq!(kind.count, 1, "{written:?} {request}");
            let p50 = kind.percentile(50.0).unwrap();
            // Within 1% (the histogram's buckets), and exact for the maximum; HAR times are f64 seconds.
            assert!(p50.abs_diff(micros) <= micros / 100 + 1, "{written:?} {request}: p50 {p50}, expected {micros}");
            assert!(kind.max_micros.abs_diff(micros) <= 1, "{written:?} {request}: max {}", kind.max_micros);
        }
    }
}

/// What a fault must give: at the message labelled so, this check, graded so in a HAR and so in
/// JSON Lines and logs (`None`: not reported there).
type Expect = (&'static str, &'static str, Option<Severity>, Option<Severity>);

const E: Option<Severity> = Some(Severity::Error);
const W: Option<Severity> = Some(Severity::Warning);

fn at(script: &[Msg], label: &str) -> usize {
    script.iter().position(|m| m.label == label).unwrap_or_else(|| panic!("no message `{label}`"))
}

fn without(mut script: Vec<Msg>, label: &str) -> Vec<Msg> {
    let index = at(&script, label);
    script.remove(index);
    script
}

fn again(mut script: Vec<Msg>, label: &str, as_label: &'static str) -> Vec<Msg> {
    let index = at(&script, label);
    let copy = Msg { label: as_label, ..script[index].clone() };
    script.insert(index + 1, copy);
    script
}

fn changed(mut script: Vec<Msg>, label: &str, pointer: &str, value: Value) -> Vec<Msg> {
    let index = at(&script, label);
    *script[index].value.pointer_mut(pointer).unwrap() = value;
    script
}

fn assistant_faults() -> Vec<(&'static str, Vec<Msg>, Vec<Expect>)> {
    let script = assistant_script;
    vec![
        ("start dropped", without(script(), "started"), vec![("processing", "conversation-start", E, W)]),
        (
            "end duplicated",
            again(script(), "completed", "completed-again"),
            vec![("completed-again", "after-end", E, E)],
        ),
        (
            "an update after the end",
            {
                let mut s = script();
                let late = msg(
                    "late",
                    update(
                        "in_progress",
                        "response",
                        "Current weather in Makati: 31 C and sunny. Also",
                        "unique-message-id",
                    ),
                    false,
                    0.65,
                );
                s.insert(at(&s, "completed") + 1, late);
                s
            },
            vec![("late", "after-end", E, E)],
        ),
        (
            "text truncated",
            changed(script(), "streamed-more", "/payload/message", json!("Current weather")),
            vec![("streamed-more", "text-not-appended", E, E)],
        ),
        (
            "final text rewritten",
            changed(script(), "completed", "/payload/message", json!("It is sunny in Makati.")),
            vec![("completed", "text-not-appended", E, E)],
        ),
        (
            "thread_id changed",
            changed(script(), "processing", "/payload/thread_id", json!("thread_other")),
            vec![("processing", "thread-changed", E, E)],
        ),
        (
            "started twice",
            {
                let mut s = script();
                let restart = Msg { label: "restart", ..s[at(&s, "started")].clone() };
                s.insert(at(&s, "streamed") + 1, restart);
                s
            },
            vec![("restart", "conversation-restart", E, E)],
        ),
        ("never ended", without(script(), "completed"), vec![("started", "conversation-open", W, W)]),
    ]
}

fn stream_faults() -> Vec<(&'static str, Vec<Msg>, Vec<Expect>)> {
    let script = stream_script;
    vec![
        ("reply dropped", without(script(), "pong"), vec![("ping", "unanswered", W, W)]),
        ("reply sent twice", again(script(), "pong", "pong-again"), vec![("pong-again", "unsolicited-reply", E, W)]),
        (
            "replies reordered",
            {
                let mut s = script();
                let (ping, pong) = (at(&s, "ping"), at(&s, "pong"));
                s.swap(ping, pong);
                s
            },
            vec![("pong", "unsolicited-reply", E, W), ("ping", "unanswered", W, W)],
        ),
        (
            "another reply answers",
            changed(script(), "audio-received", "/type", json!("video_received")),
            vec![("audio-received", "unsolicited-reply", E, W), ("audio", "unanswered", W, W)],
        ),
        (
            // The server acknowledges what it cannot take with `error`, which answers the
            // oldest open request of any kind: the ping, whose pong then has nothing to answer.
            "an error answers the oldest request",
            {
                let mut s = script();
                let error = Msg { label: "late-error", ..s[at(&s, "error")].clone() };
                s.insert(at(&s, "ping") + 1, error);
                s
            },
            vec![("pong", "unsolicited-reply", E, W)],
        ),
        (
            "connection_established not first",
            without(script(), "established"),
            vec![("error", "first-server-message", E, W)],
        ),
        (
            // Only a HAR knows the socket's URL; elsewhere the other session is another conversation.
            "session_id swapped",
            changed(script(), "pong", "/session_id", json!("s2")),
            vec![
                ("pong", "session-mismatch", E, None),
                ("pong", "first-server-message", None, W),
                ("pong", "unsolicited-reply", None, W),
                ("ping", "unanswered", None, W),
            ],
        ),
        (
            // The socket closed before the reply; it came on the next socket (a HAR's next
            // entry). JSON Lines and logs have no sockets: there it answers the ping, late.
            "reply delayed past the socket's end",
            {
                let mut s = script();
                let pong = s.remove(at(&s, "pong"));
                let reopened = Msg { label: "reopened", socket: 2, ..s[at(&s, "established")].clone() };
                s.push(reopened);
                s.push(Msg { socket: 2, ..pong });
                s
            },
            vec![("ping", "unanswered", W, None), ("pong", "unsolicited-reply", E, None)],
        ),
    ]
}

#[test]
fn every_planted_fault_is_reported_at_its_message_as_protocol_md_grades_it() {
    let families = [(assistant_faults(), ASSISTANT_URL), (stream_faults(), STREAM_URL)];
    for (faults, url) in families {
        for (name, script, expect) in faults {
            for written in WRITTEN {
                let mut expected: Vec<(usize, String, Severity)> = expect
                    .iter()
                    .filter_map(|&(label, check, har, elsewhere)| {
                        let severity = if written == Written::Har { har } else { elsewhere }?;
                        Some((at(&script, label) + 1, check.to_owned(), severity))
                    })
                    .collect();
                expected.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
                let (bytes, format) = write(&script, written, url);
                let (findings, report) = validate(bytes, format, Options::default());
                assert_eq!(conversation_findings(&findings), expected, "{name}, {written:?}: {findings:#?}");
                let others: Vec<_> =
                    findings.iter().filter(|f| !CONVERSATION_CHECKS.contains(&f.check.code())).collect();
                assert!(others.is_empty(), "{name}, {written:?}: only the planted fault: {others:#?}");
                // An error makes its message invalid, like an error of its type; a warning does not.
                let errors: std::collections::BTreeSet<_> =
                    expected.iter().filter(|e| e.2 == Severity::Error).map(|e| e.0).collect();
                assert_eq!(report.summary.invalid, errors.len(), "{name}, {written:?}");
            }
        }
    }
}

/// A finding of a rule across messages names the other message involved, in every format.
#[test]
fn findings_name_the_other_message() {
    let script = again(assistant_script(), "completed", "completed-again");
    for written in WRITTEN {
        let (bytes, format) = write(&script, written, ASSISTANT_URL);
        let (findings, _) = validate(bytes, format, Options::default());
        let finding = findings.iter().find(|f| f.check.code() == "after-end").expect("after-end");
        let related = finding.related.as_ref().expect("the message it follows");
        assert_eq!(related.message_index, Some(at(&script, "completed") + 1), "{written:?}");
        assert!(finding.message.contains("after `completed` at message 7"), "{}", finding.message);
        assert!(finding.message.contains("`unique-message-id`"), "{}", finding.message);
    }
}

/// Past `--max-open`, the oldest conversation is dropped: one warning says so, and what that
/// makes look wrong later is a warning, never an error.
#[test]
fn the_cap_on_open_conversations_is_a_finding() {
    let ids = ["a", "b", "c", "d", "e"];
    let mut script: Vec<Msg> =
        ids.iter().map(|id| msg("start", update("started", "status", "x", id), false, 0.0)).collect();
    script.extend(ids.iter().map(|id| msg("end", update("completed", "response", "done", id), false, 1.0)));
    let (bytes, format) = write(&script, Written::Har, ASSISTANT_URL);
    let (findings, report) = validate(bytes, format, Options { max_open: 3, ..Options::default() });
    let codes: Vec<_> = findings.iter().map(|f| (f.check.code(), f.severity, f.location.message_index)).collect();
    assert_eq!(
        codes,
        [
            ("max-open", Severity::Warning, Some(4)),
            ("conversation-start", Severity::Warning, Some(6)),
            ("conversation-start", Severity::Warning, Some(7)),
        ],
        "{findings:#?}"
    );
    assert!(findings[1].message.contains("--max-open"), "{}", findings[1].message);
    assert_eq!(report.summary.invalid, 0);
}

/// The generated captures the benchmarks read: coherent conversations, the corrupted messages
/// invalid and the planted conversation faults reported with their checks, nothing else; the
/// same events whatever the number of threads.
#[test]
fn generated_captures_agree_with_their_ground_truth() {
    use xtask::sample::{Format, Spec, write as generate};
    for (format, no_media) in [(Format::Jsonl, false), (Format::Jsonl, true), (Format::Har, true)] {
        let spec = Spec { seed: 23, bytes: 3_000_000, invalid: 0.1, no_media, format };
        let mut bytes = Vec::new();
        let truth = generate(&spec, &mut bytes).unwrap();
        assert!(truth.conversation.len() >= 5, "{format:?}: faults planted: {:?}", truth.conversation);
        let input = if format == Format::Har { InputFormat::Har } else { InputFormat::Jsonl };
        let mut runs = Vec::new();
        for jobs in [1, 3] {
            let mut events = Vec::new();
            let options = Options { format: Some(input), jobs, ..Options::default() };
            let report = validate_reader(std::io::Cursor::new(bytes.clone()), "sample", &options, &mut |event| {
                events.push(event);
                Ok(())
            });
            assert!(report.failure.is_none());
            runs.push(events);
        }
        assert!(runs[0] == runs[1], "{format:?}: --jobs 1 and 3 give the same events");
        let findings: Vec<&Finding> =
            runs[0].iter().filter_map(|e| if let Event::Finding(f) = e { Some(f) } else { None }).collect();
        let mut errors: Vec<usize> = findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .filter_map(|f| f.location.message_index)
            .collect();
        errors.dedup();
        let mut expected: Vec<usize> = truth.invalid.iter().chain(&truth.conversation).map(|(i, _)| *i).collect();
        expected.sort_unstable();
        let missed: Vec<_> = expected.iter().filter(|i| !errors.contains(i)).collect();
        let extra: Vec<_> = errors.iter().filter(|i| !expected.contains(i)).collect();
        assert!(missed.is_empty() && extra.is_empty(), "{format:?}: missed {missed:?}, wrongly reported {extra:?}");
        for (index, check) in &truth.conversation {
            assert!(
                findings.iter().any(|f| f.location.message_index == Some(*index) && f.check.code() == *check),
                "{format:?}: message {index} should get `{check}`"
            );
        }
        // Warnings only where the capture is cut: conversations and requests open at its end.
        for finding in findings.iter().filter(|f| f.severity == Severity::Warning) {
            assert!(["conversation-open", "unanswered"].contains(&finding.check.code()), "{format:?}: {finding:#?}");
        }
    }
}
