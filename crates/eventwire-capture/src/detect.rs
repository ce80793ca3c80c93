//! Telling capture formats apart from their first bytes.

use crate::socketio;

/// The capture formats eventwire reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InputFormat {
    /// One JSON message per line (JSON Lines, NDJSON).
    Jsonl,
    /// A JSON array of messages, one message, or several JSON values one after another
    /// (pretty-printed included).
    Json,
    /// An HTTP Archive with WebSocket messages, as Chromium DevTools and proxies export it.
    Har,
    /// One Engine.IO / Socket.IO frame per line (`42[...]`, `2`, `b<base64>` attachments).
    SocketIo,
    /// Log lines: a prefix (timestamp, level, `>`/`<` direction marker) and then a JSON message or
    /// a Socket.IO frame.
    Log,
}

impl InputFormat {
    /// Every format.
    pub const ALL: [InputFormat; 5] =
        [InputFormat::Jsonl, InputFormat::Json, InputFormat::Har, InputFormat::SocketIo, InputFormat::Log];

    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            InputFormat::Jsonl => "jsonl",
            InputFormat::Json => "json",
            InputFormat::Har => "har",
            InputFormat::SocketIo => "socketio",
            InputFormat::Log => "log",
        }
    }
}

/// Guesses the format from the first bytes of the content and the file name.
pub fn detect(head: &[u8], name: &str) -> InputFormat {
    let name = name.to_ascii_lowercase();
    let name = name.strip_suffix(".gz").unwrap_or(&name);
    if name.ends_with(".har") {
        return InputFormat::Har;
    }
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let start = head.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(head.len());
    let text = &head[start..];
    match text.first() {
        None => InputFormat::Jsonl,
        Some(b'{') if first_key(text).as_deref() == Some("log") => InputFormat::Har,
        Some(b'[') if !matches!(next_non_ws(&text[1..]), Some(b'"')) => InputFormat::Json,
        Some(b'{' | b'[') if first_value_spans_lines(text) => InputFormat::Json,
        Some(b'{' | b'[') => InputFormat::Jsonl,
        _ => {
            let line = text.split(|&b| b == b'\n').next().unwrap_or_default();
            let line = String::from_utf8_lossy(line);
            let line = line.trim_end();
            if socketio::looks_like_frame(line) && socketio::parse(line).is_ok() {
                InputFormat::SocketIo
            } else {
                InputFormat::Log
            }
        }
    }
}

fn next_non_ws(bytes: &[u8]) -> Option<u8> {
    bytes.iter().copied().find(|b| !b.is_ascii_whitespace())
}

/// The first key of the object `text` starts with, when it is a plain string.
fn first_key(text: &[u8]) -> Option<String> {
    let rest = &text[1..];
    let start = rest.iter().position(|b| !b.is_ascii_whitespace())?;
    let rest = rest[start..].strip_prefix(b"\"")?;
    let end = rest.iter().position(|&b| b == b'"' || b == b'\\')?;
    String::from_utf8(rest[..end].to_vec()).ok()
}

/// Whether a newline occurs inside the first JSON value (a pretty-printed document) rather than
/// only after it (JSON Lines). A value longer than the sniffed bytes counts as one line. So does
/// one whose next line starts with `{` or `[`: pretty-printers break the line right after the
/// opening bracket, and the next line starts with a key or a string, so that is JSON Lines whose
/// first message is cut short.
fn first_value_spans_lines(text: &[u8]) -> bool {
    let mut scanner = ValueScanner::default();
    for (at, &b) in text.iter().enumerate() {
        if b == b'\n' && !scanner.in_string() {
            return !matches!(next_non_ws(&text[at..]), Some(b'{' | b'['));
        }
        if scanner.feed(b) {
            return false;
        }
    }
    false
}

/// Follows a JSON text byte by byte: inside a string or not (escapes included), and how deep in
/// brackets, so that the end of a value is found without parsing it.
#[derive(Debug, Default)]
pub(crate) struct ValueScanner {
    depth: usize,
    in_string: bool,
    escaped: bool,
}

impl ValueScanner {
    /// Takes the next byte; returns true when it closes the outermost bracket.
    pub fn feed(&mut self, b: u8) -> bool {
        if self.in_string {
            match (self.escaped, b) {
                (true, _) => self.escaped = false,
                (false, b'\\') => self.escaped = true,
                (false, b'"') => self.in_string = false,
                _ => {}
            }
            return false;
        }
        match b {
            b'"' => self.in_string = true,
            b'{' | b'[' => self.depth += 1,
            b'}' | b']' => {
                self.depth = self.depth.saturating_sub(1);
                return self.depth == 0;
            }
            _ => {}
        }
        false
    }

    /// Whether the last byte left a string open.
    pub fn in_string(&self) -> bool {
        self.in_string
    }

    /// Whether no bracket is open.
    pub fn at_top(&self) -> bool {
        self.depth == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_told_apart() {
        let cases: [(&str, &str, InputFormat); 14] = [
            ("{\"type\":\"ping\"}\n{\"type\":\"pong\"}\n", "a.txt", InputFormat::Jsonl),
            ("[\"audio_data\",{\"audio\":\"AAAA\"}]\n", "a", InputFormat::Jsonl),
            ("\u{feff}{\"type\":\"ping\"}", "a", InputFormat::Jsonl),
            ("{\n  \"type\": \"ping\"\n}\n", "a", InputFormat::Json),
            ("{\"type\":\"ping\",\"data\":{}\n{\"type\":\"pong\"}\n", "a", InputFormat::Jsonl),
            ("[\"audio_data\",{\"audio\":\n[\"audio_data\",{}]\n", "a", InputFormat::Jsonl),
            ("[{\"type\":\"ping\"}]", "a", InputFormat::Json),
            ("[\n  [\"audio_data\", {}]\n]", "a", InputFormat::Json),
            ("{\"log\": {\"version\": \"1.2\"}}", "a.json", InputFormat::Har),
            ("anything", "capture.HAR.gz", InputFormat::Har),
            ("0{\"sid\":\"x\"}\n40\n42[\"audio_data\",{}]", "a", InputFormat::SocketIo),
            ("42[\"video_data\",\"/9j/\"]", "a", InputFormat::SocketIo),
            ("2025-09-26T10:00:00Z INFO > {\"type\":\"ping\"}", "a", InputFormat::Log),
            ("", "empty", InputFormat::Jsonl),
        ];
        for (head, name, expected) in cases {
            assert_eq!(detect(head.as_bytes(), name), expected, "{head:?}");
        }
    }
}
