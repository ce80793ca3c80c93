//! Secret redaction: every string eventwire prints passes through here, so tokens in URLs,
//! credentials in headers and auth fields in payloads never reach any output format.

use std::ops::Range;
use std::sync::LazyLock;

use regex_automata::meta::{Config, Regex};

/// What a redacted secret is replaced with.
pub const REDACTED: &str = "[REDACTED]";

/// Names of JSON fields and headers whose values are secrets (compared case-insensitively, with
/// `-` read as `_`).
const SECRET_FIELDS: &str = "token|access_token|refresh_token|id_token|auth|auth_token|authorization|proxy_authorization|\
api_key|apikey|x_api_key|x_auth_token|secret|client_secret|password|passwd|cookie|set_cookie|jwt|credentials|private_key|\
sid";

/// Extra names of URL query parameters that carry secrets.
const SECRET_PARAMS: &str = "key|sig|signature|sid|code|session";

struct Pattern {
    regex: Regex,
    /// The capture group holding the secret.
    group: usize,
}

/// The patterns, compiled on the first text that may hold a secret. Without the literal
/// prefilters that `regex` would extract from them: extracting those (from the patterns' many
/// case-insensitive names) was most of a startup of several milliseconds, during which the
/// other threads of `--jobs` wait for the findings to be printed, and [`MAYBE_SECRET`] already
/// filters the texts by literals.
static PATTERNS: LazyLock<Vec<Pattern>> = LazyLock::new(|| {
    let fields = SECRET_FIELDS.replace('_', "[_-]");
    let build = |regex: String, group| {
        let regex = Regex::builder().configure(Config::new().auto_prefilter(false)).build(&regex);
        Pattern { regex: regex.expect("valid redaction pattern"), group }
    };
    vec![
        // "token": "...", also escaped (JSON inside a JSON string) and cut off (a truncated line).
        build(format!(r#"(?i)\\?"(?:{fields})\\?"\s*:\s*\\?"((?:[^"\\]|\\[^"])*)"#), 1),
        // "token": 12345 or a non-string value up to the next delimiter.
        build(format!(r#"(?i)"(?:{fields})"\s*:\s*([^\s",}}\]"][^,}}\]]*)"#), 1),
        // Query parameters and key=value pairs: ?token=..., &sid=..., token=...
        build(format!(r#"(?i)(?:^|[?&;\s,'"(])(?:{fields}|{SECRET_PARAMS})=([^&#\s"'<>\\;,)]+)"#), 1),
        // Header lines: Authorization: Bearer ..., Cookie: a=b; c=d
        build(
            r#"(?i)\b(?:authorization|proxy-authorization|cookie|set-cookie|x-api-key|x-auth-token)\s*:\s*([^\r\n"`]+)"#
                .to_owned(),
            1,
        ),
        // Authorization schemes anywhere: Bearer eyJ..., Basic dXNlcjpw...
        build(r#"(?i)\b(?:bearer|basic|digest)\s+([A-Za-z0-9\-._~+/]{6,}=*)"#.to_owned(), 1),
        // A token-like word after a secret's name in free text: "bad token abc123def".
        build(r#"(?i)\b(?:token|secret|password|passwd|api[_-]?key)\s+([A-Za-z0-9\-._~+/=]{8,})"#.to_owned(), 1),
        // URL user info: ws://user:password@host
        build(r#"(?i)\b[a-z][a-z0-9+.-]*://([^/\s:@"']+(?::[^/\s@"']*)?)@"#.to_owned(), 1),
    ]
});

/// What every pattern needs somewhere in a text: a piece of a secret field's name, a scheme,
/// `=` or `://`. Much quicker to look for than the patterns themselves, and most texts have
/// none of it. Looked for in the bytes: no byte of a multi-byte character is ASCII, so other
/// characters never hide a needle, with two exceptions. The patterns' case-insensitive
/// matching folds the Kelvin sign into `k` and the long s into `s` ([`FOLDED_INTO_ASCII`]).
static MAYBE_SECRET: LazyLock<regex::bytes::Regex> = LazyLock::new(|| {
    regex::bytes::Regex::new(
        r"(?i-u)token|auth|api[_-]?key|secret|passw|cookie|jwt|credentials|private|bearer|basic|digest|sid|=|://",
    )
    .expect("valid pattern")
});

/// The only non-ASCII characters that the patterns' case-insensitive matching reads as ASCII
/// letters (a test checks every character).
const FOLDED_INTO_ASCII: [char; 2] = ['\u{212A}', '\u{17F}'];

/// Whether `text` may hold a secret: when it does not, no pattern needs to run.
fn may_hold_a_secret(text: &str) -> bool {
    // Texts with non-ASCII characters are common in findings (`C→S`), and the patterns run
    // slowly on them: a Unicode word boundary stops the fast engine at the first such character.
    MAYBE_SECRET.is_match(text.as_bytes()) || (!text.is_ascii() && text.contains(FOLDED_INTO_ASCII))
}

/// The byte ranges of `text` that hold secrets, sorted and without overlaps.
pub fn secret_ranges(text: &str) -> Vec<Range<usize>> {
    if !may_hold_a_secret(text) {
        return Vec::new();
    }
    let mut ranges: Vec<Range<usize>> = PATTERNS
        .iter()
        .flat_map(|pattern| {
            let groups = pattern.regex.captures_iter(text);
            groups.filter_map(|captures| captures.get_group(pattern.group).map(|span| span.range()))
        })
        .filter(|range| !range.is_empty() && &text[range.clone()] != REDACTED)
        .collect();
    ranges.sort_by_key(|range| (range.start, std::cmp::Reverse(range.end)));
    let mut merged: Vec<Range<usize>> = Vec::with_capacity(ranges.len());
    for range in ranges {
        match merged.last_mut() {
            Some(last) if range.start < last.end => last.end = last.end.max(range.end),
            _ => merged.push(range),
        }
    }
    merged
}

/// `text` with every secret replaced by [`REDACTED`].
pub fn redact(text: &str) -> String {
    let ranges = secret_ranges(text);
    if ranges.is_empty() {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for range in ranges {
        out.push_str(&text[at..range.start]);
        out.push_str(REDACTED);
        at = range.end;
    }
    out.push_str(&text[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_tokens_in_urls_headers_and_payloads() {
        let cases = [
            ("ws://h:4000/ws?token=s3cret&x=1", "ws://h:4000/ws?token=[REDACTED]&x=1"),
            (
                "wss://h/socket.io/?EIO=4&transport=websocket&sid=abc123",
                "wss://h/socket.io/?EIO=4&transport=websocket&sid=[REDACTED]",
            ),
            ("Authorization: Bearer abc.def.ghi", "Authorization: [REDACTED]"),
            ("sent with bearer abcdef123456", "sent with bearer [REDACTED]"),
            (r#"{"type":"auth","token":"s3cret"}"#, r#"{"type":"auth","token":"[REDACTED]"}"#),
            (r#"{"Password": 123456}"#, r#"{"Password": [REDACTED]}"#),
            (r#"{\"api-key\":\"k\"}"#, r#"{\"api-key\":\"[REDACTED]\"}"#),
            ("ws://alice:pw@host/ws", "ws://[REDACTED]@host/ws"),
            ("Cookie: session=1; theme=dark", "Cookie: [REDACTED]"),
            (r#"{"n":1,"secret":"cut off here"#, r#"{"n":1,"secret":"[REDACTED]"#),
        ];
        for (text, expected) in cases {
            assert_eq!(redact(text), expected, "{text}");
        }
    }

    #[test]
    fn leaves_protocol_fields_alone() {
        let text = r#"{"type":"chat","session_id":"s1","timestamp":1,"message":"a token of thanks"}"#;
        assert_eq!(redact(text), text);
    }

    #[test]
    fn the_quick_look_finds_every_text_a_pattern_matches() {
        let names = SECRET_FIELDS.split('|').chain(SECRET_PARAMS.split('|'));
        let names = names.chain(["Authorization", "proxy-authorization", "x-api-key", "Bearer", "BASIC", "digest"]);
        // Case-insensitive matching folds the Kelvin sign into `k` and the long s into `s`.
        let spellings = |name: &str| {
            [name.to_owned(), name.to_uppercase(), name.replace('k', "\u{212a}"), name.replace('s', "\u{17f}")]
        };
        let mut matched = 0;
        for name in names.flat_map(spellings) {
            let texts = [
                format!(r#"{{"{name}":"v"}}"#),
                format!(r#"{{\"{name}\": 12}}"#),
                format!("/ws?{name}=v"),
                format!("{name}: v"),
                format!("{name} abcdefgh"),
                format!("x://{name}@h"),
            ];
            // Also among other characters, which the quick look reads byte by byte.
            for text in texts.into_iter().flat_map(|text| [format!("é→ {text} ü"), text]) {
                if PATTERNS.iter().any(|pattern| pattern.regex.is_match(&text)) {
                    matched += 1;
                    assert!(may_hold_a_secret(&text), "{text}");
                }
            }
        }
        assert!(matched > 200, "only {matched} texts hold a secret: the test checks too little");
    }

    #[test]
    fn only_two_characters_fold_into_ascii_letters() {
        let letter = Regex::new("(?i)^[a-z]$").unwrap();
        let folded: Vec<char> = (char::MIN..=char::MAX)
            .filter(|c| !c.is_ascii() && letter.is_match(&*c.encode_utf8(&mut [0; 4])))
            .collect();
        let mut expected = FOLDED_INTO_ASCII.to_vec();
        expected.sort();
        assert_eq!(folded, expected);
    }

    #[test]
    fn non_ascii_text_without_a_needle_skips_the_patterns() {
        assert!(!may_hold_a_secret("`ping` messages travel C→S (client to server)"));
        assert!(!may_hold_a_secret("received S→C"));
        assert!(may_hold_a_secret("received S→C with \u{212A}EY"));
    }

    #[test]
    fn redaction_is_idempotent() {
        let once = redact("ws://h/ws?token=abc");
        assert_eq!(redact(&once), once);
    }
}
