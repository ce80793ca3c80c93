//! Looking at the first bytes of JSON without parsing them: what format sniffs and the document
//! reader use.

/// JSON's whitespace: space, tab, line feed, carriage return (not a form feed or a vertical tab,
/// which `u8::is_ascii_whitespace` counts in).
pub(crate) fn is_json_whitespace(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// The first byte of `bytes` that is not whitespace.
pub(crate) fn next_non_ws(bytes: &[u8]) -> Option<u8> {
    bytes.iter().copied().find(|b| !b.is_ascii_whitespace())
}

/// `bytes` without its leading whitespace.
pub(crate) fn skip_ws(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(bytes.len());
    &bytes[start..]
}

/// The first key of the object `text` starts with, when it is a plain string.
pub(crate) fn first_key(text: &[u8]) -> Option<String> {
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
pub(crate) fn first_value_spans_lines(text: &[u8]) -> bool {
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
