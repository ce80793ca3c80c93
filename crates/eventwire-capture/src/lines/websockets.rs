//! The DEBUG lines of Python's `websockets` library, which a developer has after turning its
//! logging on: `… websockets.server < TEXT '{"type": "ping", …}' [79 bytes]`. The payload is a
//! Python string literal (`repr()`), the arrow says whether the side that logged received (`<`)
//! or sent (`>`) the frame, and the logger's name says which side that was. `websockets` cuts
//! payloads longer than `WEBSOCKETS_MAX_LOG_SIZE` (75 characters by default) in the middle; the
//! byte count in brackets tells when it did.

use eventwire::Direction;

/// A data or control frame as `websockets` logs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FrameLine<'a> {
    /// Where the payload's representation starts in the line (bytes).
    pub payload_at: usize,
    /// Which way the frame went, when the logger's name says which side logged it.
    pub direction: Option<Direction>,
    /// Whether the logging side received it (`<`) rather than sent it (`>`).
    pub received: bool,
    /// The frame type.
    pub opcode: Opcode,
    /// The payload as logged: a Python string literal, or hexadecimal bytes for binary data.
    pub payload: &'a str,
    /// The payload's length in bytes, as the line gives it.
    pub bytes: usize,
    /// More frames of the same message follow (`continued`).
    pub continued: bool,
}

/// The frame types `websockets` names in its log lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Opcode {
    Text,
    Binary,
    Continuation,
    Control,
}

/// The frame a `websockets` DEBUG line logs, if it logs one.
pub(crate) fn frame_line(line: &str) -> Option<FrameLine<'_>> {
    let (at, arrow, opcode, rest) = ["< ", "> "].iter().find_map(|arrow| {
        let mut from = 0;
        while let Some(found) = line[from..].find(arrow) {
            let at = from + found;
            from = at + 1;
            let before_ok = at == 0 || line[..at].ends_with([' ', ':']);
            let after = &line[at + 2..];
            let Some((word, rest)) = after.split_once(' ') else { continue };
            let opcode = match word {
                "TEXT" => Opcode::Text,
                "BINARY" => Opcode::Binary,
                "CONT" => Opcode::Continuation,
                "PING" | "PONG" | "CLOSE" => Opcode::Control,
                _ => continue,
            };
            if before_ok {
                return Some((at, arrow.as_bytes()[0], opcode, rest));
            }
        }
        None
    })?;
    // `rest` runs to the end of the line.
    let payload_at = line.len() - rest.len();
    let rest = rest.trim_end();
    let open = rest.rfind(" [")?;
    let metadata = rest[open + 2..].strip_suffix(']')?;
    let mut bytes = None;
    let mut continued = false;
    for part in metadata.split(", ") {
        if let Some(count) = part.strip_suffix(" bytes").or_else(|| part.strip_suffix(" byte")) {
            bytes = count.parse().ok();
        } else if part == "continued" {
            continued = true;
        } else if part != "text" && part != "binary" {
            return None;
        }
    }
    let prefix = &line[..at];
    let side = if prefix.contains("websockets.server") {
        Some(Direction::ClientToServer)
    } else if prefix.contains("websockets.client") {
        Some(Direction::ServerToClient)
    } else {
        None
    };
    let received = arrow == b'<';
    // The server receives what the client sends; the client receives what the server sends.
    let direction = side.map(|received_way| if received { received_way } else { received_way.reverse() });
    let payload = &rest[..open];
    Some(FrameLine { payload_at, direction, received, opcode, payload, bytes: bytes?, continued })
}

/// The text of a Python string literal as `repr()` writes it (`'…'` or `"…"`, with `\\`,
/// `\'`, `\n`, `\xhh`, `\uhhhh` and `\Uhhhhhhhh` escapes); `None` when it is not one.
pub(crate) fn python_string(literal: &str) -> Option<String> {
    let quote = literal.chars().next().filter(|c| matches!(c, '\'' | '"'))?;
    let body = literal.strip_prefix(quote)?.strip_suffix(quote)?;
    let mut text = String::with_capacity(body.len());
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c == quote {
            return None;
        }
        if c != '\\' {
            text.push(c);
            continue;
        }
        let escaped = chars.next()?;
        let hex = |chars: &mut std::str::Chars, digits| -> Option<char> {
            let code: String = chars.by_ref().take(digits).collect();
            if code.len() != digits {
                return None;
            }
            char::from_u32(u32::from_str_radix(&code, 16).ok()?)
        };
        text.push(match escaped {
            '\\' => '\\',
            '\'' => '\'',
            '"' => '"',
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            'a' => '\u{7}',
            'b' => '\u{8}',
            'f' => '\u{c}',
            'v' => '\u{b}',
            'x' => hex(&mut chars, 2)?,
            'u' => hex(&mut chars, 4)?,
            'U' => hex(&mut chars, 8)?,
            _ => return None,
        });
    }
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_lines_as_websockets_writes_them() {
        let line = r#"2026-12-02 18:00:00,001 DEBUG websockets.server < TEXT '{"type": "ping", "session_id": "s1", "timestamp": 1}' [52 bytes]"#;
        let frame = frame_line(line).unwrap();
        assert_eq!(frame.direction, Some(Direction::ClientToServer));
        assert!(frame.received);
        assert_eq!(frame.opcode, Opcode::Text);
        assert_eq!(frame.payload, r#"'{"type": "ping", "session_id": "s1", "timestamp": 1}'"#);
        assert_eq!(&line[frame.payload_at..frame.payload_at + frame.payload.len()], frame.payload);
        assert_eq!(frame.bytes, 52);
        let sent = frame_line(r#"DEBUG:websockets.client:> TEXT '{"a": 1}' [8 bytes, continued]"#).unwrap();
        assert_eq!(sent.direction, Some(Direction::ClientToServer));
        assert!(!sent.received && sent.continued);
        let echo = frame_line(r#"DEBUG:websockets.server:> TEXT '{"a": 1}' [8 bytes]"#).unwrap();
        assert_eq!(echo.direction, Some(Direction::ServerToClient));
        let client_got = frame_line("DEBUG:websockets.client:< BINARY 01 02 03 [3 bytes]").unwrap();
        assert_eq!((client_got.direction, client_got.opcode), (Some(Direction::ServerToClient), Opcode::Binary));
        assert_eq!(frame_line("DEBUG:websockets.client:< CLOSE 1000 (OK) [2 bytes]").unwrap().opcode, Opcode::Control);
        assert_eq!(frame_line("x < PING '' [0 bytes]").unwrap().direction, None);
        assert_eq!(frame_line("DEBUG:websockets.server:= connection is OPEN"), None);
        assert_eq!(frame_line("DEBUG:websockets.server:< EOF"), None);
        assert_eq!(frame_line("INFO > {\"type\":\"ping\"}"), None);
    }

    #[test]
    fn python_literals_as_repr_writes_them() {
        assert_eq!(python_string(r#"'{"a": "b"}'"#).as_deref(), Some(r#"{"a": "b"}"#));
        assert_eq!(python_string(r#""it's""#).as_deref(), Some("it's"));
        assert_eq!(
            python_string(r#"'it\'s \\ \n\t\x00\u2028\U0001f600 é'"#).as_deref(),
            Some("it's \\ \n\t\0\u{2028}😀 é")
        );
        assert_eq!(python_string("'unterminated"), None);
        assert_eq!(python_string("'a'b'"), None);
        assert_eq!(python_string(r"'\q'"), None);
        assert_eq!(python_string(r"'\x4'"), None);
    }
}
