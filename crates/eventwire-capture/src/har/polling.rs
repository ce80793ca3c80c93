//! Socket.IO over HTTP long-polling in a HAR: the Engine.IO packets in the bodies of
//! `transport=polling` requests (`POST` bodies client to server, `GET` response bodies server to
//! client), several to a body separated by the record separator `\x1e`, a binary attachment as
//! `b<base64>`. Each packet goes to the validator as a frame of the session's socket, the one
//! socket its `sid` names across polling and the upgraded WebSocket.

use std::io;

use base64::Engine as _;
use eventwire::Direction;

use crate::finding::{Check, Severity};
use crate::validator::{Position, Record, Validator};

/// Engine.IO v4 separates the packets of one polling body with the record separator.
const SEPARATOR: char = '\x1e';

/// What a polling request's URL says.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct PollingUrl {
    /// The session id (`sid=`): absent on the handshake, whose response opens the session.
    pub sid: Option<String>,
    /// The Engine.IO protocol version (`EIO=`).
    pub eio: Option<String>,
}

impl PollingUrl {
    /// The polling parameters of `url`, when it is a Socket.IO long-polling request.
    pub fn of(url: &str) -> Option<PollingUrl> {
        let mut polling = false;
        let mut parsed = PollingUrl::default();
        for (key, value) in query(url) {
            match key {
                "transport" => polling = value == "polling",
                "sid" => parsed.sid = Some(value.to_owned()).filter(|sid| !sid.is_empty()),
                "EIO" => parsed.eio = Some(value.to_owned()),
                _ => {}
            }
        }
        polling.then_some(parsed)
    }
}

/// The `sid` of a URL's query (a Socket.IO WebSocket after an upgrade has one too).
pub(crate) fn sid_of(url: &str) -> Option<String> {
    query(url).find(|&(key, value)| key == "sid" && !value.is_empty()).map(|(_, sid)| sid.to_owned())
}

/// The `key=value` pairs of a URL's query (before any `#`).
fn query(url: &str) -> impl Iterator<Item = (&str, &str)> {
    let query = url.split_once('?').map_or("", |(_, query)| query);
    let query = query.split('#').next().unwrap_or_default();
    query.split('&').filter(|pair| !pair.is_empty()).map(|pair| pair.split_once('=').unwrap_or((pair, "")))
}

/// A polling body as a HAR stores it: its text, base64-encoded when the HAR says so
/// (`"encoding": "base64"`, as DevTools and mitmproxy store bodies they take for binary).
pub(super) struct Body {
    pub text: String,
    pub base64: bool,
}

impl Body {
    /// The body's text, decoded from base64 first where it was stored so; or why it is not text.
    pub fn decoded(self) -> Result<String, String> {
        if !self.base64 {
            return Ok(self.text);
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(self.text.trim())
            .map_err(|error| format!("the HAR stores this long-polling body as base64, but it is not: {error}"))?;
        String::from_utf8(bytes).map_err(|error| {
            format!(
                "long-polling body is not UTF-8 text (invalid byte at offset {}); Engine.IO v4 polling bodies are text",
                error.utf8_error().valid_up_to()
            )
        })
    }
}

/// The session a handshake response opens: the `sid` of its open packet `0{"sid": ...}`.
pub(crate) fn opened_sid(body: &str) -> Option<String> {
    let open = body.split(SEPARATOR).find_map(|packet| packet.strip_prefix('0'))?;
    let value: serde_json::Value = serde_json::from_str(open).ok()?;
    value.get("sid")?.as_str().map(str::to_owned)
}

/// One long-polling body, at `at` (a HAR entry, or the packet of a packet capture that ended
/// it), sent `direction` on `socket`.
pub(crate) struct Poll<'a> {
    pub at: Position,
    pub socket: usize,
    pub direction: Direction,
    pub eio: Option<&'a str>,
    pub context: &'a [String],
}

/// Validates every Engine.IO packet of a long-polling body ([`Body::decoded`]).
pub(crate) fn validate(validator: &mut Validator, poll: &Poll, body: Result<String, String>) -> io::Result<()> {
    let at_entry = poll.at;
    if let Some(version @ ("1" | "2" | "3")) = poll.eio {
        let message = format!(
            "Engine.IO v{version} long-polling (`EIO={version}`, Socket.IO 2 and older) frames its packets with length prefixes, which eventwire does not read; it reads Engine.IO v4 (Socket.IO 3 and later). This entry's packets were not validated"
        );
        return validator.capture_finding(Severity::Error, Check::Frame, at_entry, message);
    }
    let text = match body {
        Ok(text) => text,
        Err(message) => return validator.capture_finding(Severity::Error, Check::Encoding, at_entry, message),
    };
    for (index, packet) in text.split(SEPARATOR).enumerate() {
        if packet.is_empty() {
            continue;
        }
        let record = Record {
            direction: Some(poll.direction),
            context: poll.context,
            socket_family: Some(eventwire::Family::Media),
            socket: poll.socket,
            ..Record::at(packet, poll.at.part(index + 1))
        };
        validator.frame(&record)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polling_urls_are_told_from_others() {
        let url = "http://127.0.0.1:5000/socket.io/?EIO=4&transport=polling&t=PXa1&sid=abc123";
        assert_eq!(PollingUrl::of(url), Some(PollingUrl { sid: Some("abc123".into()), eio: Some("4".into()) }));
        let handshake = "http://127.0.0.1:5000/socket.io/?EIO=4&transport=polling&t=PXa0";
        assert_eq!(PollingUrl::of(handshake), Some(PollingUrl { sid: None, eio: Some("4".into()) }));
        assert_eq!(PollingUrl::of("ws://127.0.0.1:5000/socket.io/?EIO=4&transport=websocket&sid=abc"), None);
        assert_eq!(sid_of("ws://127.0.0.1:5000/socket.io/?EIO=4&transport=websocket&sid=abc"), Some("abc".into()));
        assert_eq!(sid_of("ws://127.0.0.1:5000/socket.io/?EIO=4&transport=websocket"), None);
    }

    #[test]
    fn the_handshake_names_the_session() {
        let body = "0{\"sid\":\"Xy_1\",\"upgrades\":[\"websocket\"],\"pingInterval\":25000,\"pingTimeout\":20000,\"maxPayload\":1000000}";
        assert_eq!(opened_sid(body), Some("Xy_1".into()));
        assert_eq!(opened_sid("40{\"sid\":\"socket-level\"}"), None, "a Socket.IO connect is not the Engine.IO open");
    }

    /// Damaged URLs and bodies are told apart or reported, never a panic.
    #[test]
    fn damaged_urls_and_bodies_never_panic() {
        let url = "http://127.0.0.1:5000/socket.io/?EIO=4&transport=polling&sid=é1#x";
        let body = "0{\"sid\":\"é\"}\u{1e}451-[\"audio_data\",{\"_placeholder\":true,\"num\":0}]\u{1e}bAAAA\u{1e}4é";
        for sample in [url, body] {
            let chars: Vec<char> = sample.chars().collect();
            for at in 0..=chars.len() {
                for c in ['é', '?', '&', '=', '#', '\u{1e}', '0', '4', 'b', '{', '"'] {
                    let mut changed = chars.clone();
                    changed.insert(at, c);
                    let text: String = changed.into_iter().collect();
                    let _ = PollingUrl::of(&text);
                    let _ = sid_of(&text);
                    let _ = opened_sid(&text);
                    let mut sink = |_| Ok(());
                    let mut validator = Validator::new(None, true, &mut sink);
                    let poll = Poll {
                        at: Position::Har { entry: 1, message: 0 },
                        socket: 1,
                        direction: Direction::ClientToServer,
                        eio: Some("4"),
                        context: &[],
                    };
                    validate(&mut validator, &poll, Body { text: text.clone(), base64: false }.decoded()).unwrap();
                    validate(&mut validator, &poll, Body { text, base64: true }.decoded()).unwrap();
                    validator.finish(true).unwrap();
                }
            }
        }
    }
}
