//! From a JSON Pointer to the characters of the message text it names, and from there to a
//! short, redacted excerpt of the line with the part to underline.

use std::ops::Range;

use crate::finding::Excerpt;
use crate::redact::{REDACTED, secret_ranges};

/// Strings longer than this are elided in excerpts (base64 payloads run to megabytes).
const LONG_STRING: usize = 48;
/// Excerpt lines longer than this are cut to a window around the underline.
const MAX_EXCERPT: usize = 160;
/// A longer underline (a whole object) shrinks to its first character.
const MAX_UNDERLINE: usize = 40;

/// The byte range of what `pointer` names in `text` (a JSON value that parsed): the member's
/// key when `key` is set, its value otherwise. Duplicate keys resolve to the last occurrence,
/// which is the one a "duplicate key" error is about.
pub fn span(text: &str, pointer: &str, key: bool) -> Option<Range<usize>> {
    let bytes = text.as_bytes();
    let mut at = skip_ws(bytes, 0);
    let mut key_range = None;
    if pointer.is_empty() {
        return Some(at..value_end(bytes, at)?);
    }
    for token in pointer.strip_prefix('/')?.split('/') {
        let token = token.replace("~1", "/").replace("~0", "~");
        match bytes.get(at)? {
            b'{' => {
                let (k, v) = find_member(text, at, &token)?;
                key_range = Some(k);
                at = v;
            }
            b'[' => {
                at = find_element(bytes, at, token.parse().ok()?)?;
                key_range = None;
            }
            _ => return None,
        }
    }
    match (key, key_range) {
        (true, Some(range)) => Some(range),
        _ => Some(at..value_end(bytes, at)?),
    }
}

/// Where the whitespace at `at` ends.
pub(crate) fn skip_ws(bytes: &[u8], mut at: usize) -> usize {
    while bytes.get(at).is_some_and(|b| b.is_ascii_whitespace()) {
        at += 1;
    }
    at
}

/// The end of the string starting at the quote `at` (one past its closing quote).
pub(crate) fn string_end(bytes: &[u8], at: usize) -> Option<usize> {
    let mut i = at + 1;
    loop {
        // Strings can be megabytes of base64: search, don't step.
        i += memchr::memchr2(b'"', b'\\', bytes.get(i..)?)?;
        if bytes[i] == b'"' {
            return Some(i + 1);
        }
        i += 2;
    }
}

/// The end of the value starting at `at` (one past its last byte), in valid JSON.
pub(crate) fn value_end(bytes: &[u8], at: usize) -> Option<usize> {
    match *bytes.get(at)? {
        b'"' => string_end(bytes, at),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut i = at;
            loop {
                match *bytes.get(i)? {
                    b'"' => {
                        i = string_end(bytes, i)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(i + 1);
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
        }
        _ => {
            let len = bytes[at..]
                .iter()
                .position(|b| matches!(b, b',' | b'}' | b']') || b.is_ascii_whitespace())
                .unwrap_or(bytes.len() - at);
            Some(at + len)
        }
    }
}

/// The key range and value start of the last member named `name` of the object at `at`.
fn find_member(text: &str, at: usize, name: &str) -> Option<(Range<usize>, usize)> {
    let bytes = text.as_bytes();
    let mut i = skip_ws(bytes, at + 1);
    let mut found = None;
    while bytes.get(i) == Some(&b'"') {
        let key_end = string_end(bytes, i)?;
        let raw = &text[i + 1..key_end - 1];
        let matches = if raw.contains('\\') {
            serde_json::from_str::<String>(&text[i..key_end]).is_ok_and(|k| k == name)
        } else {
            raw == name
        };
        let colon = skip_ws(bytes, key_end);
        let value = skip_ws(bytes, colon + 1);
        if matches {
            found = Some((i..key_end, value));
        }
        i = skip_ws(bytes, value_end(bytes, value)?);
        if bytes.get(i) == Some(&b',') {
            i = skip_ws(bytes, i + 1);
        }
    }
    found
}

fn find_element(bytes: &[u8], at: usize, index: usize) -> Option<usize> {
    let mut i = skip_ws(bytes, at + 1);
    for _ in 0..index {
        if matches!(bytes.get(i), None | Some(b']')) {
            return None;
        }
        i = skip_ws(bytes, value_end(bytes, i)?);
        if bytes.get(i) == Some(&b',') {
            i = skip_ws(bytes, i + 1);
        }
    }
    (!matches!(bytes.get(i), None | Some(b']'))).then_some(i)
}

/// 0-based line and 0-based character column of byte `offset` in `text`.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    if offset == 0 {
        return (0, 0);
    }
    let before = &text[..floor_char_boundary(text, offset)];
    let line = memchr::memchr_iter(b'\n', before.as_bytes()).count();
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count())
}

/// Byte offset of 1-based `line`, 1-based `column` (bytes, as serde_json counts) in `text`.
pub fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let line_start = if line <= 1 {
        0
    } else {
        memchr::memchr_iter(b'\n', text.as_bytes()).nth(line - 2).map_or(text.len(), |i| i + 1)
    };
    floor_char_boundary(text, (line_start + column.saturating_sub(1)).min(text.len()))
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// The line of `text` holding `span` (bytes), with long strings elided, secrets redacted and the
/// span mapped onto the result.
pub fn excerpt(text: &str, span: Range<usize>, first_line: Option<usize>) -> Excerpt {
    let start = floor_char_boundary(text, span.start);
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    let line = text[line_start..line_end].trim_end_matches('\r');
    let span_start = start - line_start;
    let span_end = floor_char_boundary(line, span.end.max(span.start + 1).saturating_sub(line_start)).max(span_start);

    let mut edits = long_strings(line);
    edits.extend(secret_ranges(line).into_iter().map(|range| (range, REDACTED.to_owned())));
    let (shown, underline) = apply_edits(line, edits, span_start..span_end);
    let underline = if underline.len() > MAX_UNDERLINE { underline.start..underline.start + 1 } else { underline };
    let (shown, underline) = window(shown, underline);
    let line_number = first_line.map(|first| first + text[..line_start].matches('\n').count());
    Excerpt { line: line_number, text: shown, underline }
}

/// Replacements that shorten strings longer than [`LONG_STRING`] characters.
fn long_strings(line: &str) -> Vec<(Range<usize>, String)> {
    let bytes = line.as_bytes();
    let mut edits = Vec::new();
    let mut i = 0;
    while let Some(quote) = memchr::memchr(b'"', &bytes[i..]) {
        let start = i + quote;
        let Some(end) = string_end(bytes, start) else { break };
        let inner = &line[start + 1..end - 1];
        let chars = inner.chars().count();
        if chars > LONG_STRING {
            let head: String = inner.chars().take(16).collect();
            let tail: String = inner.chars().skip(chars - 8).collect();
            let elided = chars - 24;
            edits.push((start + 1..end - 1, format!("{head}…[{elided} more]…{tail}")));
        }
        i = end;
    }
    edits
}

/// Applies non-overlapping replacements (byte ranges) and maps `span` (bytes) to characters of
/// the result. A span inside a replaced range covers the whole replacement.
fn apply_edits(line: &str, mut edits: Vec<(Range<usize>, String)>, span: Range<usize>) -> (String, Range<usize>) {
    edits.sort_by_key(|(range, _)| range.start);
    let mut kept: Vec<(Range<usize>, String)> = Vec::new();
    for edit in edits {
        match kept.last_mut() {
            // A secret inside an elided string: redact the whole string instead.
            Some(last) if edit.0.start < last.0.end => {
                if edit.1 == REDACTED || last.1 == REDACTED {
                    last.0.end = last.0.end.max(edit.0.end);
                    last.1 = REDACTED.to_owned();
                }
            }
            _ => kept.push(edit),
        }
    }
    // The result, and its length in characters (counted as it grows: lines can be long).
    let (mut out, mut chars) = (String::with_capacity(line.len()), 0);
    let (mut start, mut end) = (None, None);
    // Copies `line[segment]`, marking where the span starts and ends if that is in it.
    let copy = |segment: Range<usize>,
                out: &mut String,
                chars: &mut usize,
                start: &mut Option<usize>,
                end: &mut Option<usize>| {
        let mark = |mark: &mut Option<usize>, original: usize| {
            let from = ceil_char_boundary(line, original.max(segment.start));
            if mark.is_none() && from < segment.end {
                *mark = Some(*chars + line[segment.start..from].chars().count());
            }
        };
        mark(start, span.start);
        mark(end, span.end);
        out.push_str(&line[segment.clone()]);
        *chars += line[segment].chars().count();
    };
    let mut at = 0;
    for (range, replacement) in kept {
        copy(at..range.start, &mut out, &mut chars, &mut start, &mut end);
        let inside_start = span.start >= range.start && span.start < range.end;
        if inside_start && start.is_none() {
            start = Some(chars);
        } else {
            start = start.or((range.start >= span.start).then_some(chars));
            end = end.or((range.start >= span.end).then_some(chars));
        }
        out.push_str(&replacement);
        chars += replacement.chars().count();
        if span.end > range.start && span.end <= range.end && end.is_none() {
            end = Some(chars);
        }
        at = range.end;
    }
    copy(at..line.len(), &mut out, &mut chars, &mut start, &mut end);
    let start = start.unwrap_or(chars);
    let end = end.unwrap_or(chars).max(start + 1);
    (out, start..end)
}

fn ceil_char_boundary(text: &str, mut offset: usize) -> usize {
    while offset < text.len() && !text.is_char_boundary(offset) {
        offset += 1;
    }
    offset
}

/// Cuts a long line to a window around the underline, marking the cuts with `…`.
fn window(line: String, underline: Range<usize>) -> (String, Range<usize>) {
    let count = line.chars().count();
    if count <= MAX_EXCERPT {
        return (line, underline);
    }
    let from = underline.start.saturating_sub(MAX_EXCERPT / 3).min(count - MAX_EXCERPT);
    let to = from + MAX_EXCERPT;
    let byte_of = |char_index: usize| line.char_indices().nth(char_index).map_or(line.len(), |(at, _)| at);
    let (cut_before, cut_after) = (from > 0, to < count);
    let mut out = String::with_capacity(MAX_EXCERPT * 4 + 6);
    if cut_before {
        out.push('…');
    }
    out.push_str(&line[byte_of(from)..byte_of(to)]);
    if cut_after {
        out.push('…');
    }
    let shown = MAX_EXCERPT + usize::from(cut_before) + usize::from(cut_after);
    let shift = from - usize::from(cut_before);
    let start = underline.start - shift;
    let end = (underline.end - shift).min(shown).max(start + 1);
    (out, start..end)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = r#"{"a": 1, "b": {"c": [10, "x", {"d~/e": null}]}, "a": 2}"#;

    fn at(pointer: &str, key: bool) -> &'static str {
        &TEXT[span(TEXT, pointer, key).unwrap()]
    }

    #[test]
    fn spans_follow_pointers() {
        assert_eq!(at("/b/c/1", false), r#""x""#);
        assert_eq!(at("/b/c/2/d~0~1e", false), "null");
        assert_eq!(at("/b/c/2/d~0~1e", true), r#""d~/e""#);
        assert_eq!(at("/a", false), "2", "the last of duplicate keys");
        assert_eq!(at("", false), TEXT);
        assert_eq!(span(TEXT, "/missing", false), None);
        assert_eq!(span(TEXT, "/b/c/9", false), None);
    }

    #[test]
    fn strings_end_at_their_first_unescaped_quote() {
        // The byte-at-a-time walk the search replaced, as the oracle.
        fn stepped(bytes: &[u8], at: usize) -> Option<usize> {
            let mut i = at + 1;
            loop {
                match *bytes.get(i)? {
                    b'"' => return Some(i + 1),
                    b'\\' => i += 2,
                    _ => i += 1,
                }
            }
        }
        let pieces = ["a", "\\\\", "\\\"", "\"", "é", "\\", "xyz0123456789abcdefghijklmnopqrstuvwxyz"];
        let mut texts = vec![String::new()];
        for _ in 0..4 {
            texts = texts.iter().flat_map(|text| pieces.iter().map(move |piece| format!("{text}{piece}"))).collect();
        }
        for text in texts {
            let quoted = format!("\"{text}");
            assert_eq!(string_end(quoted.as_bytes(), 0), stepped(quoted.as_bytes(), 0), "{quoted}");
        }
    }

    #[test]
    fn line_and_column_count_characters() {
        let text = "{\n  \"é\": x}";
        assert_eq!(line_column(text, text.find('x').unwrap()), (1, 7));
        assert_eq!(offset_of(text, 2, 9), text.find('x').unwrap());
    }

    #[test]
    fn excerpts_elide_long_strings_and_keep_the_underline() {
        let payload = "A".repeat(4000);
        let text = format!(r#"["audio_data", {{"audio": "{payload}", "x": 1}}]"#);
        let at = span(&text, "/1/x", true).unwrap();
        let excerpt = excerpt(&text, at, Some(7));
        assert_eq!(excerpt.line, Some(7));
        assert!(excerpt.text.len() < 100, "{}", excerpt.text);
        let underlined: String =
            excerpt.text.chars().skip(excerpt.underline.start).take(excerpt.underline.len()).collect();
        assert_eq!(underlined, r#""x""#);
    }

    /// `apply_edits` and `window` as they were first written, one character at a time: the
    /// oracle for the versions that copy whole segments.
    fn apply_edits_by_character(
        line: &str,
        edits: &[(Range<usize>, String)],
        span: Range<usize>,
    ) -> (String, Range<usize>) {
        let (mut out, mut chars, mut at) = (String::new(), 0, 0);
        let (mut start, mut end) = (None, None);
        let mark = |chars: usize, original: usize, start: &mut Option<usize>, end: &mut Option<usize>| {
            if start.is_none() && original >= span.start {
                *start = Some(chars);
            }
            if end.is_none() && original >= span.end {
                *end = Some(chars);
            }
        };
        for (range, replacement) in edits {
            for (offset, c) in line[at..range.start].char_indices() {
                mark(chars, at + offset, &mut start, &mut end);
                out.push(c);
                chars += 1;
            }
            if span.start >= range.start && span.start < range.end && start.is_none() {
                start = Some(chars);
            } else {
                mark(chars, range.start, &mut start, &mut end);
            }
            out.push_str(replacement);
            chars += replacement.chars().count();
            if span.end > range.start && span.end <= range.end && end.is_none() {
                end = Some(chars);
            }
            at = range.end;
        }
        for (offset, c) in line[at..].char_indices() {
            mark(chars, at + offset, &mut start, &mut end);
            out.push(c);
            chars += 1;
        }
        let start = start.unwrap_or(chars);
        (out, start..end.unwrap_or(chars).max(start + 1))
    }

    fn window_by_character(line: &str, underline: Range<usize>) -> (String, Range<usize>) {
        let chars: Vec<char> = line.chars().collect();
        if chars.len() <= MAX_EXCERPT {
            return (line.to_owned(), underline);
        }
        let from = underline.start.saturating_sub(MAX_EXCERPT / 3).min(chars.len() - MAX_EXCERPT);
        let to = (from + MAX_EXCERPT).min(chars.len());
        let (mut out, mut shift) = (String::new(), from);
        if from > 0 {
            out.push('…');
            shift -= 1;
        }
        out.extend(&chars[from..to]);
        if to < chars.len() {
            out.push('…');
        }
        let start = underline.start - shift;
        (out.clone(), start..(underline.end - shift).min(out.chars().count()).max(start + 1))
    }

    #[test]
    fn segments_are_copied_as_characters_are() {
        let pieces = ["a", "é", "日本", "🙂", " ", r#"","#, r#""token":"s3cr€t""#, r#""k":""#];
        let mut state: u64 = 2026;
        let mut next = |n: usize| {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) as usize % n
        };
        let mut compared = 0;
        for _ in 0..300 {
            let line: String = (0..next(120) + 1).map(|_| pieces[next(pieces.len())]).collect();
            let mut edits = long_strings(&line);
            edits.extend(secret_ranges(&line).into_iter().map(|range| (range, REDACTED.to_owned())));
            let mut kept = edits.clone();
            kept.sort_by_key(|(range, _)| range.start);
            kept.dedup_by(|later, earlier| later.0.start < earlier.0.end);
            let boundaries: Vec<usize> = line.char_indices().map(|(at, _)| at).chain([line.len()]).collect();
            for _ in 0..10 {
                let (a, b) = (boundaries[next(boundaries.len())], boundaries[next(boundaries.len())]);
                let span = a.min(b)..a.max(b);
                let expected = apply_edits_by_character(&line, &kept, span.clone());
                if kept.len() == edits.len() {
                    assert_eq!(apply_edits(&line, edits.clone(), span.clone()), expected, "{line:?} {span:?}");
                    compared += 1;
                }
                let (shown, underline) = expected;
                let underline = underline.start..underline.end.min(underline.start + MAX_UNDERLINE);
                assert_eq!(
                    window(shown.clone(), underline.clone()),
                    window_by_character(&shown, underline),
                    "{shown:?}"
                );
            }
        }
        assert!(compared > 1000, "only {compared} cases compared");
    }

    #[test]
    fn excerpts_redact_secrets() {
        let text = r#"{"type":"auth","token":"s3cret","n":1}"#;
        let excerpt = excerpt(text, span(text, "/n", false).unwrap(), None);
        assert!(!excerpt.text.contains("s3cret"), "{}", excerpt.text);
        let underlined: String =
            excerpt.text.chars().skip(excerpt.underline.start).take(excerpt.underline.len()).collect();
        assert_eq!(underlined, "1");
    }
}
