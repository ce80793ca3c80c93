//! Engine.IO v4 / Socket.IO v5 framing: which frames are events to validate, which are protocol
//! frames to skip, and how many binary attachments follow.

/// One parsed frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame<'a> {
    /// A protocol frame: Engine.IO open, close, ping, pong, upgrade, noop; Socket.IO connect,
    /// disconnect, connect error and acknowledgements. Not a message; its payload (which may hold
    /// auth data) is never shown.
    Control {
        /// What it is, for example `ping`.
        name: &'static str,
        /// Binary attachments that follow it (a binary acknowledgement has some).
        attachments: usize,
    },
    /// A Socket.IO event (`42[...]`) or binary event (`451-[...]`): a message.
    Event {
        /// The namespace, when not the main one (`/`).
        namespace: Option<&'a str>,
        /// The acknowledgement id, when the sender asked for one.
        ack: Option<u64>,
        /// Binary frames that follow and belong to this event.
        attachments: usize,
        /// The event array, as JSON text.
        json: &'a str,
        /// Where `json` starts in the frame (bytes).
        json_offset: usize,
    },
    /// A binary attachment written as text (`b<base64>`, as Engine.IO writes binary on text-only
    /// transports and as logs record it).
    Binary(&'a str),
}

/// Whether `text` starts like an Engine.IO packet (a packet type digit). JSON messages never do.
/// (`b<base64>` binary frames are only looked for where an attachment is expected.)
pub fn looks_like_frame(text: &str) -> bool {
    matches!(text.as_bytes(), [b'0'..=b'6', ..])
}

/// Whether `text` is a `b<base64>` binary frame.
pub fn looks_like_binary(text: &str) -> bool {
    match text.as_bytes() {
        [b'b', rest @ ..] => {
            rest.len() % 4 == 0 && rest.iter().all(|c| c.is_ascii_alphanumeric() || b"+/=".contains(c))
        }
        _ => false,
    }
}

/// Parses one Engine.IO frame, or says what is wrong with it.
pub fn parse(text: &str) -> Result<Frame<'_>, String> {
    let Some(&first) = text.as_bytes().first() else { return Err("empty frame".into()) };
    if !first.is_ascii() {
        return Err("not an Engine.IO frame: it starts with a character that is not a packet type 0-6".into());
    }
    let rest = &text[1..];
    // Control frames carry nothing or the `probe` of a transport upgrade; anything else after a
    // digit (a timestamp in a log line, say) is not a frame.
    let bare = |name| if rest.is_empty() || rest == "probe" { Ok(control(name)) } else { Err(not_a_frame(name)) };
    match first {
        b'0' if rest.starts_with('{') => Ok(control("open")),
        b'0' => Err(not_a_frame("open")),
        b'1' => bare("close"),
        b'2' => bare("ping"),
        b'3' => bare("pong"),
        b'4' => parse_socketio(text, 1),
        b'5' => bare("upgrade"),
        b'6' => bare("noop"),
        b'b' if looks_like_binary(text) => Ok(Frame::Binary(rest)),
        _ => Err(format!("not an Engine.IO frame: it starts with {:?}, expected a packet type 0-6", first as char)),
    }
}

fn not_a_frame(name: &str) -> String {
    format!("not an Engine.IO {name} frame: unexpected text after the packet type")
}

fn control(name: &'static str) -> Frame<'static> {
    Frame::Control { name, attachments: 0 }
}

/// `<type>[<attachments>-][/<namespace>,][<ack id>][<json>]` after the Engine.IO `4`.
fn parse_socketio(text: &str, mut at: usize) -> Result<Frame<'_>, String> {
    let bytes = text.as_bytes();
    let packet = *bytes.get(at).ok_or("Engine.IO message frame `4` without a Socket.IO packet type")?;
    if !packet.is_ascii_digit() {
        let found = text[at..].chars().next().unwrap_or_default();
        return Err(format!("unknown Socket.IO packet type {found:?} (expected 0-6)"));
    }
    at += 1;
    let binary = matches!(packet, b'5' | b'6');
    let mut attachments = 0;
    if binary {
        let digits = digits(&bytes[at..]);
        if digits == 0 || bytes.get(at + digits) != Some(&b'-') {
            return Err(format!(
                "Socket.IO binary packet `4{}` must give its attachment count and `-` (as in `451-[...]`)",
                packet as char
            ));
        }
        attachments = text[at..at + digits].parse().map_err(|_| "attachment count out of range")?;
        at += digits + 1;
    }
    let mut namespace = None;
    if bytes.get(at) == Some(&b'/') {
        let end = text[at..].find(',').map_or(text.len(), |i| at + i);
        namespace = Some(&text[at..end]).filter(|ns| *ns != "/");
        at = (end + 1).min(text.len());
    }
    let ack_digits = digits(&bytes[at..]);
    let ack = if ack_digits > 0 {
        let id = text[at..at + ack_digits].parse().map_err(|_| "acknowledgement id out of range")?;
        at += ack_digits;
        Some(id)
    } else {
        None
    };
    let json = &text[at..];
    let name = match packet {
        b'0' => "connect",
        b'1' => "disconnect",
        b'2' | b'5' if json.trim().is_empty() => {
            return Err("Socket.IO event without its event array".into());
        }
        // An event's data is always an array: `42,254 INFO` (a log's timestamp) is no event.
        b'2' | b'5' if !json.starts_with('[') => {
            return Err("Socket.IO event whose data is not an event array `[...]`".into());
        }
        b'2' | b'5' => return Ok(Frame::Event { namespace, ack, attachments, json, json_offset: at }),
        b'3' => "ack",
        b'4' => "connect_error",
        b'6' => "binary ack",
        other => return Err(format!("unknown Socket.IO packet type {:?} (expected 0-6)", other as char)),
    };
    Ok(Frame::Control { name, attachments })
}

fn digits(bytes: &[u8]) -> usize {
    bytes.iter().take_while(|b| b.is_ascii_digit()).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(text: &str) -> (Option<&str>, Option<u64>, usize, &str) {
        match parse(text).unwrap() {
            Frame::Event { namespace, ack, attachments, json, json_offset } => {
                assert_eq!(&text[json_offset..], json);
                (namespace, ack, attachments, json)
            }
            other => panic!("not an event: {other:?}"),
        }
    }

    #[test]
    fn events_with_namespaces_acks_and_attachments() {
        assert_eq!(event(r#"42["a",1]"#), (None, None, 0, r#"["a",1]"#));
        assert_eq!(event(r#"42/media,["a",1]"#), (Some("/media"), None, 0, r#"["a",1]"#));
        assert_eq!(event(r#"4217["a",1]"#), (None, Some(17), 0, r#"["a",1]"#));
        assert_eq!(event(r#"42/media,3["a"]"#), (Some("/media"), Some(3), 0, r#"["a"]"#));
        assert_eq!(event(r#"451-["a",{"_placeholder":true,"num":0}]"#).2, 1);
        assert_eq!(event(r#"452-/ns,9["a"]"#), (Some("/ns"), Some(9), 2, r#"["a"]"#));
    }

    #[test]
    fn control_frames_are_recognised() {
        for (text, name) in [
            (r#"0{"sid":"x","upgrades":[],"pingInterval":25000,"pingTimeout":20000}"#, "open"),
            ("2", "ping"),
            ("3", "pong"),
            ("2probe", "ping"),
            ("5", "upgrade"),
            ("6", "noop"),
            ("1", "close"),
            ("40", "connect"),
            (r#"40{"token":"x"}"#, "connect"),
            ("40/media,", "connect"),
            ("41", "disconnect"),
            (r#"4312["ok"]"#, "ack"),
            (r#"44{"message":"no"}"#, "connect_error"),
        ] {
            assert_eq!(parse(text), Ok(Frame::Control { name, attachments: 0 }), "{text}");
        }
        assert_eq!(
            parse(r#"461-12[{"_placeholder":true,"num":0}]"#),
            Ok(Frame::Control { name: "binary ack", attachments: 1 })
        );
    }

    #[test]
    fn malformed_frames_say_why() {
        assert!(parse("4").unwrap_err().contains("without a Socket.IO packet type"));
        assert!(parse(r#"45["a"]"#).unwrap_err().contains("attachment count"));
        assert!(parse("42").unwrap_err().contains("without its event array"));
        assert!(parse("42,254 INFO engineio.client closed").unwrap_err().contains("not an event array"));
        assert!(parse("47").unwrap_err().contains("unknown Socket.IO packet type"));
        assert!(parse("9").is_err());
        assert!(parse("2025-09-26T10:00:00Z").is_err(), "a timestamp is not a ping");
        assert!(parse("0 connected").is_err());
        // Never sliced inside a character.
        assert!(parse("é42[\"x\"]").is_err());
        assert!(parse("4é").unwrap_err().contains("unknown Socket.IO packet type 'é'"));
        assert!(parse("45é").is_err());
        assert!(parse("42/é,[\"audio_data\"]").is_ok());
    }

    #[test]
    fn binary_frames_as_text() {
        assert_eq!(parse("bAAAAAA=="), Ok(Frame::Binary("AAAAAA==")));
        assert!(!looks_like_frame(r#"{"type":"ping"}"#));
        assert!(!looks_like_binary("because"));
        assert!(looks_like_frame("42[]") && !looks_like_frame("b"));
    }
}
