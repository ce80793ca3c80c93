//! The crate as a server uses it: constructors, `Deserialize` impls, decode-on-demand payloads,
//! the registry's directions; plus the seed documents' examples and the two places where serde
//! and JSON Schema cannot agree by construction.

use eventwire::assistant::{AssistantMessage, SubscriptionAction, SubscriptionRequest};
use eventwire::health::{HealthEvent, HealthScore, RiskLevel, ScoreMode};
use eventwire::media::{AudioData, AudioPayload, InlineAudio, MediaEvent, VideoPayload};
use eventwire::primitives::{AudioBase64, Id, JpegBase64, NonEmptyText, StreamTimestamp, UnitInterval, UnixTime};
use eventwire::stream::{Ping, StreamMessage};
use eventwire::{DecodeError, Directions, Family, Message};
use eventwire_tests::{schemas, workspace_root};
use serde_json::{Value, json};

fn fixture(name: &str) -> String {
    std::fs::read_to_string(workspace_root().join("tests/fixtures").join(name)).unwrap()
}

#[test]
fn constructors_build_valid_wire_messages() {
    let mut score = HealthScore::new(
        UnixTime::new(1758855248.477).unwrap(),
        UnitInterval::new(0.56).unwrap(),
        NonEmptyText::new("Fair Health").unwrap(),
        RiskLevel::Moderate,
        ScoreMode::Synchronized,
        NonEmptyText::new("synchronized_inference_engine").unwrap(),
    );
    score.dv_score = UnitInterval::new(0.4);
    let message = Message::from(score);
    let value: Value = serde_json::from_str(&message.to_json()).unwrap();
    assert_eq!(value["type"], "health_score");
    assert_eq!(value["dv_score"], 0.4);
    assert!(value.get("hv_score").is_none(), "absent optional fields are not written as null");
    assert!(schemas().bundle.is_valid(&value));
    assert_eq!(eventwire::decode(&message.to_json()), Ok(message));

    let subscribe =
        Message::from(SubscriptionRequest::new(SubscriptionAction::Subscribe, Id::new("user_session_abc123").unwrap()));
    assert_eq!(
        serde_json::to_value(&subscribe).unwrap(),
        json!({"channel": "subscription", "payload": {"action": "subscribe", "channel": "user_session_abc123"}})
    );
    let ping =
        Message::from(Ping::new(Id::new("s1").unwrap(), StreamTimestamp::Iso("2025-09-26T10:00:00Z".parse().unwrap())));
    assert_eq!(
        serde_json::to_value(&ping).unwrap(),
        json!({"type": "ping", "session_id": "s1", "timestamp": "2025-09-26T10:00:00Z"})
    );
}

#[test]
fn assistant_constructors_keep_the_type_status_pairs() {
    use eventwire::assistant::{ResponseMessage, ResponseUpdate, StatusMessage, StatusPhase, StatusUpdate};
    let (ts, id, thread) =
        (|| UnixTime::new(1683042127.123).unwrap(), || Id::new("m-1").unwrap(), || Id::new("t-1").unwrap());
    let channel = || eventwire::primitives::SessionChannel::new("user_session_abc123").unwrap();
    let messages = [
        Message::from(StatusMessage::new(
            channel(),
            StatusUpdate::new(StatusPhase::Started, "…", ts(), id(), thread()),
        )),
        Message::from(ResponseMessage::new(channel(), ResponseUpdate::in_progress("Current", ts(), id(), thread()))),
        Message::from(ResponseMessage::new(
            channel(),
            ResponseUpdate::completed("Current weather", ts(), id(), thread()),
        )),
    ];
    let finals: Vec<Value> =
        messages.iter().map(|m| serde_json::to_value(m).unwrap()["payload"]["final_message"].clone()).collect();
    assert_eq!(finals, [json!(false), json!(false), json!(true)]);
    for message in &messages {
        assert!(schemas().bundle.is_valid(&serde_json::to_value(message).unwrap()));
        assert_eq!(eventwire::decode(&message.to_json()).as_ref(), Ok(message));
    }
}

#[test]
fn newtypes_refuse_invalid_values() {
    assert!(UnitInterval::new(1.5).is_none());
    assert!(UnitInterval::new(f64::NAN).is_none());
    assert!(UnixTime::new(-1.0).is_none());
    assert!(Id::new("").is_err());
    assert!(eventwire::primitives::SessionChannel::new("subscription").is_err());
    assert!(AudioBase64::new("AAAA").is_err(), "3 bytes are not whole samples");
    assert!(JpegBase64::new("iVBORw0KGgo=").is_err(), "a PNG is not a JPEG");
    assert!(eventwire::primitives::IsoDateTime::new("2025-09-26").is_err());
}

#[test]
fn payloads_decode_on_demand() {
    // Four little-endian Float32 samples: 0.0, 0.5, -0.25, 1.0 (00000000 0000003f 000080be 0000803f).
    let audio = AudioBase64::new("AAAAAAAAAD8AAIC+AACAPw==").unwrap();
    assert_eq!(audio.samples(), [0.0f32, 0.5, -0.25, 1.0]);

    let Ok(Message::Media(MediaEvent::VideoData(video))) =
        eventwire::decode(&fixture("media/valid_video_data_url.json"))
    else {
        panic!("the data-URL fixture is a video frame")
    };
    let VideoPayload::Bare(jpeg) = &video.1 else { panic!("a bare string payload") };
    assert!(jpeg.as_str().starts_with("data:image/jpeg;base64,"));
    assert_eq!(&jpeg.decode()[..3], &[0xFF, 0xD8, 0xFF]);

    let built = Message::from(AudioData::new(AudioPayload::Inline(InlineAudio { audio })));
    assert_eq!(built.to_json(), r#"["audio_data",{"audio":"AAAAAAAAAD8AAIC+AACAPw=="}]"#);
}

#[test]
fn deserialize_impls_route_like_decode() {
    let text = fixture("assistant/seed_status_started.json");
    let via_serde: Message = serde_json::from_str(&text).unwrap();
    assert_eq!(Ok(via_serde.clone()), eventwire::decode(&text));
    let family: AssistantMessage = serde_json::from_str(&text).unwrap();
    assert_eq!(Message::from(family), via_serde);

    let capture = format!("[{}, {}]", fixture("health/seed_health_score.json"), fixture("stream/valid_ping.json"));
    let messages: Vec<Message> = serde_json::from_str(&capture).unwrap();
    assert_eq!(messages.iter().map(Message::family).collect::<Vec<_>>(), [Family::Health, Family::Stream]);

    let wrong_family = serde_json::from_str::<HealthEvent>(&fixture("stream/valid_ping.json")).unwrap_err();
    assert!(
        wrong_family.to_string().contains("expected a health message, found a stream `ping` message"),
        "{wrong_family}"
    );
    let nested_duplicate =
        serde_json::from_str::<Message>(&fixture("stream/invalid_test_data_duplicate_key.json")).unwrap_err();
    assert!(nested_duplicate.to_string().contains("duplicate key `c`"), "{nested_duplicate}");
    let bad_field =
        serde_json::from_str::<StreamMessage>(&fixture("stream/invalid_empty_session_id.json")).unwrap_err();
    assert!(bad_field.to_string().contains("at /session_id"), "errors name the field: {bad_field}");
}

#[test]
fn decode_family_rejects_other_families() {
    let error = eventwire::decode_family(&fixture("stream/valid_ping.json"), Family::Health).unwrap_err();
    assert!(matches!(error, DecodeError::Envelope { family: Some(Family::Stream), .. }), "{error}");
    assert!(eventwire::decode_family(&fixture("stream/valid_ping.json"), Family::Stream).is_ok());
}

#[test]
fn registry_directions_follow_protocol_md() {
    use Directions::{Both, ClientToServer as C2S, ServerToClient as S2C};
    let direction =
        |family, tag| eventwire::registry::find(family, tag).unwrap_or_else(|| panic!("{family} {tag}")).direction;
    for tag in ["health_score", "alert", "status"] {
        assert_eq!(direction(Family::Health, tag), C2S);
    }
    for tag in ["audio_data", "video_data"] {
        assert_eq!(direction(Family::Media, tag), C2S);
    }
    for tag in ["agent_message", "network_update", "system_status"] {
        assert_eq!(direction(Family::Simulation, tag), S2C);
    }
    assert_eq!(direction(Family::Assistant, "subscription"), C2S);
    // Published C→S by the assistant backend (a client of its broker), relayed S→C.
    for tag in ["status", "tool", "response", "error"] {
        assert_eq!(direction(Family::Assistant, tag), Both);
    }
    for tag in ["ping", "chat", "audio", "video", "transcription_request", "test"] {
        assert_eq!(direction(Family::Stream, tag), C2S);
    }
    for tag in [
        "connection_established",
        "pong",
        "audio_received",
        "video_received",
        "webrtc_connected",
        "webrtc_disconnected",
        "chat_message",
        "transcription_result",
        "transcription_error",
        "error",
    ] {
        assert_eq!(direction(Family::Stream, tag), S2C);
    }
    assert_eq!(eventwire::registry::kinds().count(), 3 + 2 + 3 + 5 + 16);
}

/// Named disagreement 1: a parsed JSON value keeps only one of two duplicate keys, so no JSON
/// Schema validator can see them. The types reject them when decoding text.
#[test]
fn duplicate_keys_are_invisible_to_the_schema() {
    let text = fixture("health/invalid_duplicate_key.json");
    let parsed: Value = serde_json::from_str(&text).unwrap();
    assert!(schemas().bundle.is_valid(&parsed), "the schema sees only the last value");
    assert!(eventwire::decode(&text).is_err());
}

/// Named disagreement 2: JSON Schema's `"type": "integer"` accepts `10.0`; a count does not.
#[test]
fn integral_floats_pass_the_schema_but_not_the_types() {
    let text = fixture("simulation/invalid_stats_integral_float_count.json");
    assert!(text.contains("\"sent\": 10.0"));
    let parsed: Value = serde_json::from_str(&text).unwrap();
    assert!(schemas().bundle.is_valid(&parsed));
    let error = eventwire::decode(&text).unwrap_err();
    assert_eq!(error.pointer(), "/data/communication_stats/agent_1/sent");
}

/// Every JSON example of the seed documents is a fixture, verbatim (compared as JSON values).
#[test]
fn every_seed_example_is_a_fixture() {
    let seeds = workspace_root().join("../shared/seeds");
    let Ok(entries) = std::fs::read_dir(&seeds) else {
        assert!(std::env::var_os("CI").is_none(), "CI must have shared/ beside the clone: {}", seeds.display());
        return;
    };
    let fixtures: Vec<Value> = std::fs::read_dir(workspace_root().join("tests/fixtures"))
        .unwrap()
        .flatten()
        .flat_map(|family| std::fs::read_dir(family.path()).unwrap().flatten())
        .filter(|f| f.file_name().to_string_lossy().starts_with("seed_"))
        .map(|f| serde_json::from_str(&std::fs::read_to_string(f.path()).unwrap()).unwrap())
        .collect();
    let mut examples = 0;
    for entry in entries.flatten() {
        let document = std::fs::read_to_string(entry.path()).unwrap();
        for block in document.split("```json\n").skip(1).filter_map(|rest| rest.split("```").next()) {
            // Blocks may hold several objects, each after a `// Title` line.
            let without_comments: String =
                block.lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n");
            for value in serde_json::Deserializer::from_str(&without_comments).into_iter::<Value>() {
                let value =
                    value.unwrap_or_else(|e| panic!("{}: a seed example is not JSON: {e}", entry.path().display()));
                assert!(fixtures.contains(&value), "seed example missing from the fixtures: {value}");
                examples += 1;
            }
        }
    }
    assert_eq!(examples, fixtures.len(), "every seed_ fixture comes from a seed document");
}

/// Reports count findings by rule; the rule comes from the error, whichever of serde, the
/// newtypes or the router wrote it.
#[test]
fn errors_are_classified_by_the_rule_they_break() {
    use eventwire::Rule;
    let cases = [
        ("health/invalid_nan.json", Rule::Syntax),
        ("stream/invalid_single_quotes.json", Rule::Syntax),
        ("unrouted/invalid_no_envelope.json", Rule::Envelope),
        ("assistant/invalid_missing_payload.json", Rule::Envelope),
        ("health/invalid_type_typo.json", Rule::UnknownType),
        ("media/invalid_event_name_typo.json", Rule::UnknownType),
        ("health/invalid_duplicate_key.json", Rule::DuplicateKey),
        ("health/invalid_duplicate_type_key.json", Rule::DuplicateKey),
        ("simulation/invalid_metadata_duplicate_key.json", Rule::DuplicateKey),
        ("health/invalid_unknown_field.json", Rule::UnknownField),
        ("media/invalid_video_frame_unknown_field.json", Rule::UnknownField),
        ("health/invalid_missing_mode.json", Rule::MissingField),
        ("media/invalid_placeholder_missing_num.json", Rule::MissingField),
        ("media/invalid_audio_url_safe.json", Rule::Base64),
        ("stream/invalid_transcription_request_unpadded.json", Rule::Base64),
        ("media/invalid_audio_not_whole_samples.json", Rule::AudioSamples),
        ("media/invalid_audio_empty.json", Rule::AudioSamples),
        ("media/invalid_video_not_jpeg.json", Rule::Jpeg),
        ("media/invalid_video_png_data_url.json", Rule::Jpeg),
        ("health/invalid_health_score_above_1.json", Rule::Value),
        ("health/invalid_required_null.json", Rule::Value),
    ];
    for (name, rule) in cases {
        let error = eventwire::decode(&fixture(name)).expect_err(name);
        assert_eq!(error.rule(), rule, "{name}: {error}");
        assert_eq!(error.is_about_key(), matches!(rule, Rule::UnknownField | Rule::DuplicateKey), "{name}");
    }
    let codes: std::collections::BTreeSet<_> = Rule::ALL.iter().map(|r| r.code()).collect();
    assert_eq!(codes.len(), Rule::ALL.len(), "codes are distinct");
}

/// `check` finds the timestamp of every type documented in Unix seconds (health, assistant
/// updates), the value at the family's `unix_seconds_pointer`, and nothing for the others. (The
/// timestamp is declared by its field's type, `UnixTime`.)
#[test]
fn unix_seconds_timestamps_are_found_where_documented() {
    for entry in glob_fixtures("valid_").into_iter().chain(glob_fixtures("seed_")) {
        let text = std::fs::read_to_string(&entry).unwrap();
        let eventwire::Checked { kind, facts } = eventwire::check(&text, None).unwrap();
        let documented =
            kind.family == Family::Health || (kind.family == Family::Assistant && kind.tag != "subscription");
        match facts.unix_seconds {
            Some(timestamp) => {
                assert!(documented, "{}", entry.display());
                let pointer = kind.family.unix_seconds_pointer().expect("a family with Unix seconds");
                let value: Value = serde_json::from_str(&text).unwrap();
                assert_eq!(value.pointer(pointer), Some(&Value::Number(timestamp)), "{}", entry.display());
            }
            None => assert!(!documented, "{}", entry.display()),
        }
    }
}

fn glob_fixtures(prefix: &str) -> Vec<std::path::PathBuf> {
    let mut paths = Vec::new();
    for family in std::fs::read_dir(workspace_root().join("tests/fixtures")).unwrap() {
        for file in std::fs::read_dir(family.unwrap().path()).unwrap() {
            let path = file.unwrap().path();
            if path.file_name().unwrap().to_str().unwrap().starts_with(prefix) {
                paths.push(path);
            }
        }
    }
    assert!(!paths.is_empty());
    paths
}

/// The fast path guesses a message's type from its first tag; a message that also carries
/// another family's envelope keys must still be routed (and rejected) as the router says. The
/// check-only path gives the same verdicts.
#[test]
fn the_fast_path_decodes_exactly_like_the_located_path() {
    let other_envelopes: [(&str, Value); 4] = [
        ("channel", json!("user_session_1")),
        ("payload", json!({"type": "status"})),
        ("event_type", json!("agent_message")),
        ("type", json!("ping")),
    ];
    let mut compared = 0;
    for path in glob_fixtures("").into_iter().chain(glob_fixtures("seed_")) {
        let text = std::fs::read_to_string(&path).unwrap();
        let mut variants = vec![text.clone()];
        if let Ok(Value::Object(object)) = serde_json::from_str::<Value>(&text) {
            variants.push(Value::Object(object.clone()).to_string());
            for (key, value) in &other_envelopes {
                let mut extended = object.clone();
                extended.insert((*key).to_owned(), value.clone());
                variants.push(Value::Object(extended).to_string());
            }
            // The envelope key last: the sniffer cannot see it, the router still can.
            let reversed: serde_json::Map<String, Value> = object.into_iter().rev().collect();
            variants.push(Value::Object(reversed).to_string());
        }
        for variant in variants {
            let fast = eventwire::decode(&variant);
            assert_eq!(fast, eventwire::decode::decode_located(&variant), "{}: {variant}", path.display());
            let checked = eventwire::check(&variant, None).map(eventwire::Checked::without_notes);
            assert_eq!(checked, fast.as_ref().map(eventwire::Checked::of).map_err(Clone::clone), "{variant}");
            compared += 1;
        }
    }
    assert!(compared > 1000, "only {compared} texts compared");
}

/// Writes `value` as JSON with the first member of its `target`-th object (in document order)
/// written twice, the second time with the key's first character escaped when `escape`.
fn with_duplicate_key(value: &Value, target: usize, escape: bool) -> Option<String> {
    fn write(value: &Value, seen: &mut usize, target: usize, escape: bool, out: &mut String) -> bool {
        match value {
            Value::Object(object) => {
                let is_target = *seen == target;
                *seen += 1;
                let mut wrote = false;
                out.push('{');
                let mut members: Vec<String> = Vec::new();
                for (key, member) in object {
                    let mut text = serde_json::to_string(key).unwrap();
                    text.push(':');
                    wrote |= write(member, seen, target, escape, &mut text);
                    members.push(text);
                }
                if let (true, Some((key, member))) = (is_target, object.iter().next()) {
                    let mut key_text = serde_json::to_string(key).unwrap();
                    if escape {
                        let first = key.chars().next().unwrap_or('x');
                        key_text = format!("\"\\u{:04x}{}", u32::from(first), &key_text[1 + first.len_utf8()..]);
                    }
                    members.push(format!("{key_text}:{member}"));
                    wrote = true;
                }
                out.push_str(&members.join(","));
                out.push('}');
                wrote
            }
            Value::Array(items) => {
                out.push('[');
                let mut wrote = false;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    wrote |= write(item, seen, target, escape, out);
                }
                out.push(']');
                wrote
            }
            other => {
                out.push_str(&other.to_string());
                false
            }
        }
    }
    let mut out = String::new();
    write(value, &mut 0, target, escape, &mut out).then_some(out)
}

/// `Value` keeps the last of duplicate keys silently; the owned types and their check-only
/// twins must both reject a duplicate in every object of every fixture, escaped or not.
#[test]
fn checking_rejects_duplicate_keys_as_decoding_does() {
    let mut compared = 0;
    for path in glob_fixtures("").into_iter().chain(glob_fixtures("seed_")) {
        let Ok(value) = serde_json::from_str::<Value>(&std::fs::read_to_string(&path).unwrap()) else { continue };
        for target in 0.. {
            let Some(plain) = with_duplicate_key(&value, target, false) else { break };
            let escaped = with_duplicate_key(&value, target, true).unwrap();
            for text in [plain, escaped] {
                let decoded = eventwire::decode(&text);
                let checked = eventwire::check(&text, None);
                assert_eq!(checked, decoded.as_ref().map(eventwire::Checked::of).map_err(Clone::clone), "{text}");
                assert!(decoded.is_err(), "{}: a duplicate key is accepted: {text}", path.display());
                compared += 1;
            }
        }
    }
    assert!(compared > 500, "only {compared} texts compared");
}

/// Objects with many keys switch the duplicate check from a scan to a set: both must still
/// find a duplicate, wherever it is.
#[test]
fn checking_finds_duplicates_in_large_objects() {
    let members = |count: usize| (0..count).map(|i| format!(r#""key_{i}":{i}"#)).collect::<Vec<_>>();
    let message = |metadata: &str| {
        format!(
            r#"{{"event_type":"agent_message","timestamp":"2025-09-26T10:00:00Z","data":{{"agent_id":"a","agent_type":"t","message":"m","sentiment":{{"score":0.5,"label":"positive"}},"metadata":{{{metadata}}}}}}}"#
        )
    };
    for count in [3, 16, 17, 40] {
        let unique = message(&members(count).join(","));
        assert!(eventwire::check(&unique, None).is_ok(), "{unique}");
        for duplicated in [0, count / 2, count - 1] {
            // The copy plain or escaped, after the original or (escaped) before it.
            let copy = |escaped: bool| match escaped {
                false => format!(r#""key_{duplicated}":true"#),
                true => format!(r#""key_{duplicated}":true"#),
            };
            for (escaped, first) in [(false, false), (true, false), (true, true)] {
                let mut with_duplicate = members(count);
                match first {
                    false => with_duplicate.push(copy(escaped)),
                    true => with_duplicate.insert(0, copy(escaped)),
                }
                let text = message(&with_duplicate.join(","));
                let checked = eventwire::check(&text, None);
                assert!(checked.is_err(), "{text}");
                assert_eq!(checked.err(), eventwire::decode(&text).err());
            }
        }
    }
}

/// CONTRIBUTING.md's steps for adding a message type, followed once: the hand-written part of
/// that dry run still applies to the tree, and touches only the places the steps name (the
/// family's module, its fixtures, the directions test); the rest was written by commands.
#[test]
fn adding_a_message_type_touches_only_the_places_contributing_lists() {
    let root = workspace_root();
    let patch = root.join("tests/contributing/add-message-type.patch");
    let text = std::fs::read_to_string(&patch).unwrap();
    let touched: Vec<&str> = text.lines().filter_map(|line| line.strip_prefix("+++ b/")).collect();
    assert!(touched.len() >= 3, "{touched:?}");
    for path in &touched {
        let listed = *path == "crates/eventwire/src/stream.rs"
            || *path == "tests/api.rs"
            || (path.starts_with("tests/fixtures/stream/") && path.ends_with(".json"));
        assert!(listed, "the dry run touched {path}, a place CONTRIBUTING.md does not list");
    }
    let output = std::process::Command::new("git")
        .args(["apply", "--check", "--verbose"])
        .arg(&patch)
        .current_dir(&root)
        .output()
        .expect("git runs");
    assert!(
        output.status.success(),
        "the dry run no longer applies; follow CONTRIBUTING.md again and record it: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let contributing = std::fs::read_to_string(root.join("CONTRIBUTING.md")).unwrap();
    let written = std::fs::read_to_string(root.join("tests/contributing/add-message-type.written")).unwrap();
    for path in written.lines() {
        let by_a_command = ["schema/", "generated/", "tests/snapshots/", "crates/eventwire/api/", "README.md"]
            .iter()
            .any(|prefix| path.starts_with(prefix));
        assert!(by_a_command, "{path} is not written by the commands CONTRIBUTING.md names");
    }
    assert!(contributing.contains("cargo xtask api --bless") && contributing.contains("cargo xtask codegen"));
}
