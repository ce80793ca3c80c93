//! JSON documents: a JSON array of messages, one message, or several JSON values one after
//! another (pretty-printed, as `jq` writes them). Read as a stream: each message is cut out by
//! bracket matching and validated on its own, so a large array never sits in memory whole.

use std::io::{self, BufRead};

use crate::CaptureError;
use crate::detect::{ValueScanner, first_value_spans_lines, is_json_whitespace, next_non_ws};
use crate::finding::Check;
use crate::formats::{CaptureFormat, Confidence, Head, Input};
use crate::validator::{Position, Record, Validator};

/// Why a document cannot be read further.
#[derive(Debug)]
pub(crate) enum DocumentError {
    Io(io::Error),
    /// The structure around the messages is broken at this line.
    Structure {
        line: usize,
        message: String,
    },
}

impl From<io::Error> for DocumentError {
    fn from(error: io::Error) -> Self {
        DocumentError::Io(error)
    }
}

/// A byte reader that knows its line and column (in characters).
struct LineColumnReader<'r> {
    reader: &'r mut dyn BufRead,
    line: usize,
    column: usize,
}

impl LineColumnReader<'_> {
    fn peek(&mut self) -> io::Result<Option<u8>> {
        Ok(self.reader.fill_buf()?.first().copied())
    }

    fn bump(&mut self) -> io::Result<Option<u8>> {
        let Some(b) = self.peek()? else { return Ok(None) };
        self.reader.consume(1);
        if b == b'\n' {
            self.line += 1;
            self.column = 1;
        } else if b & 0xC0 != 0x80 {
            self.column += 1;
        }
        Ok(Some(b))
    }

    fn skip_ws(&mut self) -> io::Result<Option<u8>> {
        loop {
            match self.peek()? {
                Some(b) if is_json_whitespace(b) => {
                    self.bump()?;
                }
                other => return Ok(other),
            }
        }
    }

    fn position(&self) -> Position {
        Position::Text { line: self.line, column: self.column }
    }
}

/// What reading one value gave.
enum Value {
    Complete,
    /// The input ended inside the value.
    Truncated,
    /// The value was larger than the cap; `bytes` were skipped.
    TooLong {
        bytes: u64,
    },
}

/// Whether the whole content is one JSON scalar (`"text"`, `-0.5`, `null`): JSON, if not a
/// message, and so read as JSON rather than as a log without messages.
fn is_one_scalar(head: &Head) -> bool {
    let scalar_start = matches!(head.text.first(), Some(b'"' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n'));
    scalar_start
        && head.bytes.len() < crate::source::SNIFF_BYTES
        && serde_json::from_slice::<serde::de::IgnoredAny>(head.text).is_ok()
}

/// The JSON document format.
pub(crate) struct JsonDocument;

impl CaptureFormat for JsonDocument {
    fn name(&self) -> &'static str {
        "json"
    }
    fn about(&self) -> &'static str {
        "A JSON array of messages, one message, or JSON values one after another (pretty-printed, as `jq` writes them)."
    }
    fn sniff(&self, head: &Head) -> Option<Confidence> {
        let text = head.text;
        let array_of_values = text.starts_with(b"[") && !matches!(next_non_ws(&text[1..]), Some(b'"'));
        let spans_lines = text.starts_with(b"{") || text.starts_with(b"[");
        (array_of_values || (spans_lines && first_value_spans_lines(text)) || is_one_scalar(head))
            .then_some(Confidence::Likely)
    }
    fn read(&self, input: Input, validator: &mut Validator) -> Result<(), CaptureError> {
        validate(input.reader, input.cap, validator).map_err(|error| match error {
            DocumentError::Io(error) => crate::io_failure(error),
            DocumentError::Structure { line, message } => {
                CaptureError::Format { format: self.name(), message: format!("line {line}: {message}") }
            }
        })
    }
}

/// Validates every message of a JSON document capture.
pub(crate) fn validate(reader: &mut dyn BufRead, cap: u64, validator: &mut Validator) -> Result<(), DocumentError> {
    let mut cursor = LineColumnReader { reader, line: 1, column: 1 };
    if cursor.reader.fill_buf()?.starts_with(b"\xEF\xBB\xBF") {
        cursor.reader.consume(3);
    }
    let mut buffer = Vec::new();
    while let Some(first) = cursor.skip_ws()? {
        if first == b'[' && !array_is_one_message(&mut cursor)? {
            cursor.bump()?;
            array_elements(&mut cursor, &mut buffer, cap, validator)?;
        } else {
            one_value(&mut cursor, &mut buffer, cap, validator)?;
        }
    }
    Ok(())
}

/// Whether the array starting here is itself a message (a Socket.IO event array begins with a
/// string) rather than an array of messages.
fn array_is_one_message(cursor: &mut LineColumnReader) -> io::Result<bool> {
    let head = cursor.reader.fill_buf()?;
    Ok(matches!(head.iter().skip(1).find(|b| !b.is_ascii_whitespace()), Some(b'"')))
}

fn array_elements(
    cursor: &mut LineColumnReader,
    buffer: &mut Vec<u8>,
    cap: u64,
    validator: &mut Validator,
) -> Result<(), DocumentError> {
    if cursor.skip_ws()? == Some(b']') {
        cursor.bump()?;
        return Ok(());
    }
    loop {
        if cursor.skip_ws()?.is_none() {
            return truncated_array(cursor, validator);
        }
        if !one_value(cursor, buffer, cap, validator)? {
            return Ok(());
        }
        match cursor.skip_ws()? {
            Some(b',') => {
                cursor.bump()?;
            }
            Some(b']') => {
                cursor.bump()?;
                return Ok(());
            }
            None => return truncated_array(cursor, validator),
            Some(other) => {
                return Err(DocumentError::Structure {
                    line: cursor.line,
                    message: format!(
                        "expected `,` or `]` after a message in the array, found {:?} at column {}",
                        other as char, cursor.column
                    ),
                });
            }
        }
    }
}

fn truncated_array(cursor: &LineColumnReader, validator: &mut Validator) -> Result<(), DocumentError> {
    let message = "the capture ends inside the array of messages (missing `]`)".to_owned();
    validator.capture_finding(crate::finding::Severity::Error, Check::Truncated, cursor.position(), message)?;
    Ok(())
}

/// Reads and validates one value. Returns false when the input ended inside it.
fn one_value(
    cursor: &mut LineColumnReader,
    buffer: &mut Vec<u8>,
    cap: u64,
    validator: &mut Validator,
) -> Result<bool, DocumentError> {
    let position = cursor.position();
    let read = read_value(cursor, buffer, cap)?;
    if let Value::TooLong { bytes } = read {
        let message = format!(
            "message of {bytes} bytes is larger than the record size cap of {cap} bytes; skipped (raise it with --max-record-size)"
        );
        validator.unreadable_message(position, Check::RecordTooLarge, message)?;
        return Ok(true);
    }
    let Ok(text) = std::str::from_utf8(buffer) else {
        validator.unreadable_message(position, Check::Encoding, "not UTF-8 text".into())?;
        return Ok(!matches!(read, Value::Truncated));
    };
    let truncated = matches!(read, Value::Truncated);
    validator.message(&Record { at_end_unterminated: truncated, ..Record::at(text, position) })?;
    Ok(!truncated)
}

/// Copies one JSON value (by bracket matching, strings respected) into `buffer`. Scalars end at
/// whitespace, `,` or `]`.
fn read_value(cursor: &mut LineColumnReader, buffer: &mut Vec<u8>, cap: u64) -> io::Result<Value> {
    buffer.clear();
    let mut scanner = ValueScanner::default();
    let mut skipped: u64 = 0;
    loop {
        let Some(b) = cursor.peek()? else {
            // A scalar (a number, `true`, a string whose quote closed) ends where the input does:
            // it is whole, and what is cut short is the array around it, if any.
            let whole_scalar = !buffer.is_empty() && scanner.at_top() && !scanner.in_string();
            return Ok(match (skipped, whole_scalar) {
                (1.., _) => Value::TooLong { bytes: skipped },
                (0, true) => Value::Complete,
                (0, false) => Value::Truncated,
            });
        };
        let scalar_end = scanner.at_top() && !scanner.in_string() && (is_json_whitespace(b) || b == b',' || b == b']');
        if scalar_end && (!buffer.is_empty() || skipped > 0) {
            return Ok(if skipped > 0 { Value::TooLong { bytes: skipped } } else { Value::Complete });
        }
        cursor.bump()?;
        if skipped > 0 || buffer.len() as u64 >= cap {
            skipped += buffer.len() as u64 + 1;
            buffer.clear();
            buffer.shrink_to(64 * 1024);
        } else {
            buffer.push(b);
        }
        if scanner.feed(b) {
            return Ok(if skipped > 0 { Value::TooLong { bytes: skipped } } else { Value::Complete });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Finding;
    use crate::validator::Event;

    /// The checks of every finding of `text` read as a JSON document, and how many messages.
    fn checks(text: &str) -> (Vec<Check>, usize) {
        let mut found = Vec::new();
        let mut sink = |event| {
            if let Event::Finding(Finding { check, .. }) = event {
                found.push(check);
            }
            Ok(())
        };
        let mut validator = Validator::new(None, false, &mut sink);
        validate(&mut text.as_bytes(), crate::DEFAULT_MAX_RECORD_BYTES, &mut validator).unwrap();
        let messages = validator.summary.messages;
        drop(validator);
        (found, messages)
    }

    /// An array cut after a whole scalar is cut short like one cut after a message; a scalar at
    /// the end of a document of values is whole.
    #[test]
    fn an_array_cut_after_a_scalar_is_truncated() {
        let ping = r#"{"type":"ping","session_id":"s1","timestamp":1}"#;
        let envelope = Check::Message(eventwire::Rule::Envelope);
        for (text, expected, messages) in [
            ("[1".to_owned(), vec![envelope, Check::Truncated], 1),
            (format!("[{ping},true"), vec![envelope, Check::Truncated], 2),
            (format!("[{ping},\"x\""), vec![envelope, Check::Truncated], 2),
            (format!("[{ping}"), vec![Check::Truncated], 1),
            (format!("[{ping},1]"), vec![envelope], 2),
            (format!("{ping} 5"), vec![envelope], 2),
            (format!("[{ping},\"x"), vec![Check::Truncated], 2),
        ] {
            assert_eq!(checks(&text), (expected, messages), "{text}");
        }
    }
}
