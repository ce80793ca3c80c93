//! Finds the few values the conversation rules need in a message already checked valid, at the
//! JSON Pointers the registry names (`/channel`, `/payload/message_id`, `/session_id`, …): one
//! pass over the text that skips every other value by its brackets and quotes (with
//! `locate`'s walkers), building nothing. (The text is valid JSON, so a scanner need not check
//! what it skips.)

use std::borrow::Cow;
use std::ops::Range;

use crate::locate::{skip_ws, string_end, value_end};

/// The byte ranges of the values at `pointers` in the valid JSON object `text` (strings with
/// their quotes), `None` where there is none. Pointers are paths of object keys without
/// escapes, as the registry writes them, at most a few levels deep.
pub(crate) fn pluck<const N: usize>(text: &str, pointers: [&str; N]) -> [Option<Range<usize>>; N] {
    pluck_paths(text, &pointers.map(Path::of))
}

/// A JSON Pointer split into its keys, once.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Path<'p> {
    keys: [&'p [u8]; DEPTH],
    len: usize,
}

impl<'p> Path<'p> {
    /// The keys of `pointer` (a pointer deeper than [`DEPTH`] finds nothing).
    pub(crate) fn of(pointer: &'p str) -> Path<'p> {
        let mut path = Path { keys: [&[]; DEPTH], len: 0 };
        for key in pointer.split('/').skip(1) {
            if path.len == DEPTH {
                return Path { keys: [&[]; DEPTH], len: 0 };
            }
            path.keys[path.len] = key.as_bytes();
            path.len += 1;
        }
        path
    }
}

/// [`pluck`] with the pointers split already ([`Path::of`]).
pub(crate) fn pluck_paths<const N: usize>(text: &str, paths: &[Path<'_>; N]) -> [Option<Range<usize>>; N] {
    let mut found: [Option<Range<usize>>; N] = std::array::from_fn(|_| None);
    let bytes = text.as_bytes();
    let active = [true; N];
    // `None` once every value is found (the walk stops early), or where the text is not an object.
    let _ = object(bytes, skip_ws(bytes, 0), paths, 0, &active, &mut found);
    found
}

/// The deepest pointer followed (the registry's are one or two keys deep).
const DEPTH: usize = 4;

/// The string at `range` (quotes included) of `text`, unescaped; `None` if it is not a string.
pub(crate) fn string_at<'t>(text: &'t str, range: &Option<Range<usize>>) -> Option<Cow<'t, str>> {
    let Range { start, end } = *range.as_ref()?;
    let bytes = text.as_bytes();
    if end < start + 2 || bytes.get(start) != Some(&b'"') || bytes.get(end - 1) != Some(&b'"') {
        return None;
    }
    let inner = text.get(start + 1..end - 1)?;
    if has_backslash(inner.as_bytes()) {
        serde_json::from_str::<String>(&text[start..end]).ok().map(Cow::Owned)
    } else {
        Some(Cow::Borrowed(inner))
    }
}

/// Whether `bytes` hold a `\`: eight bytes at a time for an id (memchr's set-up costs more
/// than a short string), with memchr for a long text.
fn has_backslash(bytes: &[u8]) -> bool {
    if bytes.len() >= 64 {
        return memchr::memchr(b'\\', bytes).is_some();
    }
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    const BACKSLASHES: u64 = u64::from_ne_bytes([b'\\'; 8]);
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let word = u64::from_ne_bytes(chunk.try_into().expect("eight bytes")) ^ BACKSLASHES;
        // A zero byte in `word` is a backslash in the chunk.
        if word.wrapping_sub(ONES) & !word & HIGHS != 0 {
            return true;
        }
    }
    chunks.remainder().contains(&b'\\')
}

/// Walks the object whose `{` is at `at`, `depth` keys down the paths still `active` here.
/// Records the values found; returns where the object ends, or `None` to stop (every value
/// found, or not an object).
fn object<const N: usize>(
    bytes: &[u8],
    mut at: usize,
    paths: &[Path<'_>; N],
    depth: usize,
    active: &[bool; N],
    found: &mut [Option<Range<usize>>; N],
) -> Option<usize> {
    if bytes.get(at) != Some(&b'{') {
        return None;
    }
    at += 1;
    loop {
        at = skip_ws(bytes, at);
        match bytes.get(at)? {
            b'}' => return Some(at + 1),
            b',' => {
                at += 1;
                continue;
            }
            b'"' => {}
            _ => return None,
        }
        let key_end = string_end(bytes, at)?;
        let key = &bytes[at + 1..key_end - 1];
        at = skip_ws(bytes, key_end);
        if bytes.get(at) != Some(&b':') {
            return None;
        }
        at = skip_ws(bytes, at + 1);
        let (mut leaf, mut deeper, mut any_deeper) = (None, [false; N], false);
        for index in 0..N {
            let path = &paths[index];
            if !active[index] || found[index].is_some() || depth >= path.len || path.keys[depth] != key {
                continue;
            }
            if depth + 1 == path.len {
                leaf = Some(index);
            } else {
                deeper[index] = true;
                any_deeper = true;
            }
        }
        let end = if any_deeper { object(bytes, at, paths, depth + 1, &deeper, found)? } else { value_end(bytes, at)? };
        if let Some(index) = leaf {
            found[index] = Some(at..end);
        }
        if found.iter().all(Option::is_some) {
            return None;
        }
        at = end;
    }
}

/// A 128-bit hash of `parts` (each length-prefixed, so `("ab", "c")` and `("a", "bc")` differ;
/// a single part as it is): two conversations are told apart by it, with a chance of 2⁻¹²⁸ of
/// mixing them up.
pub(crate) fn hash128(parts: &[&str]) -> u128 {
    // One part (a session) needs no length before it: a key is only ever compared with keys
    // of as many parts.
    if let [part] = parts {
        return xxhash_rust::xxh3::xxh3_128(part.as_bytes());
    }
    // Ids are short: one call over a buffer on the stack (a streaming hasher's set-up costs
    // more than hashing them).
    let mut buffer = [0u8; 128];
    let mut len = 0;
    for part in parts {
        let bytes = part.as_bytes();
        if len + 8 + bytes.len() > buffer.len() {
            return hash128_streaming(parts);
        }
        buffer[len..len + 8].copy_from_slice(&(bytes.len() as u64).to_le_bytes());
        buffer[len + 8..len + 8 + bytes.len()].copy_from_slice(bytes);
        len += 8 + bytes.len();
    }
    xxhash_rust::xxh3::xxh3_128(&buffer[..len])
}

/// [`hash128`] of long parts: the same bytes, hashed as a stream.
fn hash128_streaming(parts: &[&str]) -> u128 {
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    for part in parts {
        hasher.update(&(part.len() as u64).to_le_bytes());
        hasher.update(part.as_bytes());
    }
    hasher.digest128()
}

/// A 64-bit hash of a text, to compare a text's start with an earlier text without keeping it.
pub(crate) fn hash64(text: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings<const N: usize>(text: &str, pointers: [&str; N]) -> [Option<String>; N] {
        pluck(text, pointers).map(|range| string_at(text, &range).map(Cow::into_owned))
    }

    #[test]
    fn values_are_found_at_their_pointers_and_nowhere_else() {
        let text = r#" { "payload" : {"x":[1,{"message_id":"no"}],"s":"a\"}b","message_id":"m\u00e9","thread_id":"t"},"channel":"c","message_id":"top","n":-1.5e3}"#;
        let [channel, id, thread, missing, top] =
            strings(text, ["/channel", "/payload/message_id", "/payload/thread_id", "/payload/none", "/message_id"]);
        assert_eq!(channel.as_deref(), Some("c"));
        assert_eq!(id.as_deref(), Some("mé"));
        assert_eq!(thread.as_deref(), Some("t"));
        assert_eq!(missing, None);
        assert_eq!(top.as_deref(), Some("top"));
        let [number] = pluck(text, ["/n"]);
        assert_eq!(&text[number.unwrap()], "-1.5e3");
        let [payload] = pluck(text, ["/payload"]);
        assert!(text[payload.unwrap()].starts_with("{\"x\""));
    }

    #[test]
    fn a_backslash_is_found_wherever_it_is() {
        for len in 0..80 {
            assert!(!has_backslash("a".repeat(len).as_bytes()), "{len} bytes without one");
            for at in 0..len {
                let mut text = "\u{7f}".repeat(len).into_bytes();
                text[at] = b'\\';
                assert!(has_backslash(&text), "at {at} of {len}");
            }
        }
        assert!(!has_backslash("é]\u{7f}\u{ff}[\"[]]]]]]]".as_bytes()), "bytes near 0x5c are not backslashes");
    }

    #[test]
    fn parts_are_not_run_together() {
        assert_ne!(hash128(&["ab", "c"]), hash128(&["a", "bc"]));
        assert_eq!(hash128(&["a", "b"]), hash128(&["a", "b"]));
        let long = "x".repeat(300);
        assert_eq!(hash128(&[&long, "b"]), hash128_streaming(&[&long, "b"]), "long parts hash the same bytes");
        assert_eq!(hash128(&["a", "b"]), hash128_streaming(&["a", "b"]));
    }
}
