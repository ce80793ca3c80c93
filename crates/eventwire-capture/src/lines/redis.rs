//! `redis-cli subscribe` output on a terminal: each published message is a reply of three lines,
//! `1) "message"`, `2) "<channel>"`, `3) "<payload>"` (four with `psubscribe`: `pmessage`, the
//! pattern, the channel, the payload), strings quoted as redis-cli quotes them. The replies to
//! `subscribe` itself (`1) "subscribe"`, `2) …`, `3) (integer) 1`) are neither messages nor frames.
//! (Piped, redis-cli prints the bare strings one per line, which the log reader reads as they are.)

/// One line of a redis-cli reply: `N) "string"` or `N) (integer) 1`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ReplyLine {
    /// The `index`-th element, a string.
    String { index: usize, text: String },
    /// Any other element (an integer, `(nil)`).
    Other { index: usize },
}

/// The reply line `line` is, if it is one.
pub(crate) fn reply_line(line: &str) -> Option<ReplyLine> {
    let line = line.trim();
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    let index: usize = line[..digits].parse().ok()?;
    let value = line[digits..].strip_prefix(") ")?;
    if value.starts_with('"') {
        return Some(ReplyLine::String { index, text: quoted(value)? });
    }
    (value.starts_with("(integer) ") || value == "(nil)").then_some(ReplyLine::Other { index })
}

/// A string as redis-cli quotes it (`sdscatrepr`): `\"`, `\\`, `\n`, `\r`, `\t`, `\a`, `\b`
/// and `\xhh` for every other byte that is not printable ASCII, UTF-8 included.
fn quoted(value: &str) -> Option<String> {
    let body = value.strip_prefix('"')?.strip_suffix('"')?;
    let mut bytes = Vec::with_capacity(body.len());
    let mut rest = body.as_bytes();
    while let Some((&b, after)) = rest.split_first() {
        rest = after;
        if b == b'"' {
            return None;
        }
        if b != b'\\' {
            bytes.push(b);
            continue;
        }
        let (&escaped, after) = rest.split_first()?;
        rest = after;
        bytes.push(match escaped {
            b'"' => b'"',
            b'\\' => b'\\',
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'a' => 7,
            b'b' => 8,
            b'x' => {
                let hex = std::str::from_utf8(rest.get(..2)?).ok()?;
                rest = &rest[2..];
                u8::from_str_radix(hex, 16).ok()?
            }
            _ => return None,
        });
    }
    String::from_utf8(bytes).ok()
}

/// Gathers reply lines into published messages.
#[derive(Debug, Default)]
pub(crate) struct Replies {
    /// The strings of the reply being read, from its first element on.
    elements: Vec<String>,
}

/// A message published on a channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Published {
    pub channel: String,
    pub payload: String,
}

impl Replies {
    /// Takes the next reply line; gives the message it completes, if it completes one.
    pub fn push(&mut self, line: ReplyLine) -> Option<Published> {
        let (index, text) = match line {
            ReplyLine::String { index, text } => (index, Some(text)),
            ReplyLine::Other { index } => (index, None),
        };
        if index == 1 {
            self.elements.clear();
        }
        if index != self.elements.len() + 1 {
            self.elements.clear();
            return None;
        }
        self.elements.push(text.unwrap_or_default());
        match self.elements.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
            ["message", channel, payload] | ["pmessage", _, channel, payload] => {
                let published = Published { channel: (*channel).to_owned(), payload: (*payload).to_owned() };
                self.elements.clear();
                Some(published)
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_become_messages() {
        let output = [
            r#"1) "subscribe""#,
            r#"2) "websocket_events""#,
            "3) (integer) 1",
            r#"1) "message""#,
            r#"2) "websocket_events""#,
            r#"3) "{\"event_type\": \"agent_message\", \"text\": \"caf\xc3\xa9\"}""#,
            r#"1) "pmessage""#,
            r#"2) "websocket_*""#,
            r#"3) "websocket_events""#,
            r#"4) "{}""#,
        ];
        let mut replies = Replies::default();
        let published: Vec<Published> =
            output.iter().filter_map(|line| replies.push(reply_line(line).expect(line))).collect();
        assert_eq!(
            published,
            [
                Published {
                    channel: "websocket_events".into(),
                    payload: r#"{"event_type": "agent_message", "text": "café"}"#.into()
                },
                Published { channel: "websocket_events".into(), payload: "{}".into() },
            ]
        );
        assert_eq!(reply_line("Reading messages... (press Ctrl-C to quit)"), None);
        assert_eq!(reply_line(r#"3) "unterminated"#), None);
        assert_eq!(reply_line(r#"12:00:01 > {"type":"ping"}"#), None);
    }
}
