//! Socket.IO frame logs: one Engine.IO / Socket.IO frame per line (`42[...]`, `2`, `b<base64>`
//! attachments), each after an optional direction marker, as hand-written frame dumps and
//! Socket.IO debugging tools write them.

use std::io;

use eventwire::Direction;

use super::TextLine;
use super::log::{direction_context, marker};
use crate::CaptureError;
use crate::formats::{CaptureFormat, Confidence, Head, Input};
use crate::socketio;
use crate::validator::{Position, Record, Validator};

/// The Socket.IO frame log format.
pub(crate) struct FrameLog;

impl CaptureFormat for FrameLog {
    fn name(&self) -> &'static str {
        "socketio"
    }
    fn aliases(&self) -> &'static [&'static str] {
        &["socket.io"]
    }
    fn about(&self) -> &'static str {
        "One Engine.IO / Socket.IO frame per line (`42[...]`, `451-[...]` then `b<base64>`), after an optional `>`/`<` marker."
    }
    fn sniff(&self, head: &Head) -> Option<Confidence> {
        let line = String::from_utf8_lossy(head.first_line());
        let line = line.trim_end();
        (socketio::looks_like_frame(line) && socketio::parse(line).is_ok()).then_some(Confidence::Likely)
    }
    fn read(&self, input: Input, validator: &mut Validator) -> Result<(), CaptureError> {
        super::validate_text_lines(input, validator, line_as_frame)
    }
}

/// A line of a Socket.IO frame log: an optional direction marker, then one frame.
fn line_as_frame(line: TextLine, validator: &mut Validator) -> io::Result<()> {
    let TextLine { text, number, terminated } = line;
    let (prefix, payload, direction) = split_marker(text);
    let context = direction_context(direction);
    let position = Position::Text { line: number, column: 1 + prefix.chars().count() };
    let record =
        Record { direction, context: &context, at_end_unterminated: !terminated, ..Record::at(payload, position) };
    if payload.starts_with(['{', '[']) { validator.message(&record) } else { validator.frame(&record) }
}

/// Splits a leading direction marker (`>`, `<`, `send:` ...) off a frame log line.
fn split_marker(text: &str) -> (&str, &str, Option<Direction>) {
    let trimmed = text.trim();
    if let Some((word, rest)) = trimmed.split_once(char::is_whitespace) {
        if let Some(direction) = marker(word) {
            let rest = rest.trim_start();
            let prefix_len = text.len() - text.trim_start().len() + (trimmed.len() - rest.len());
            return (&text[..prefix_len], rest, Some(direction));
        }
    }
    ("", trimmed, None)
}
