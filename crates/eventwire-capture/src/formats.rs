//! The tables of capture formats: every format eventwire reads (each one reader behind
//! [`CaptureFormat`]), and every kind of file it refuses, with how to get a capture out of it.
//! Detection, the `--input-format` values, `--help` and the refusal messages are all read from
//! these two tables.
//!
//! Adding a format: a variant of [`InputFormat`], its reader implementing [`CaptureFormat`] in a
//! file of its own, and its row in [`InputFormat::reader`].

use std::fs::File;
use std::io::BufRead;

use crate::CaptureError;
use crate::validator::Validator;

/// The capture formats eventwire reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InputFormat {
    /// One JSON message per line (JSON Lines, NDJSON).
    Jsonl,
    /// A JSON array of messages, one message, or several JSON values one after another
    /// (pretty-printed included).
    Json,
    /// An HTTP Archive with WebSocket messages and Socket.IO long-polling bodies, as Chromium
    /// DevTools, Playwright and mitmproxy export it.
    Har,
    /// One Engine.IO / Socket.IO frame per line (`42[...]`, `2`, `b<base64>` attachments).
    SocketIo,
    /// Log lines: a prefix (timestamp, level, `>`/`<` direction marker) and then a JSON message or
    /// a Socket.IO frame; Python `websockets` DEBUG lines; `redis-cli subscribe` output.
    Log,
    /// A packet capture (pcap, pcapng): WebSocket and Socket.IO over TCP, reassembled.
    Pcap,
}

impl InputFormat {
    /// Every format, in the order detection prefers them when two are as sure.
    pub const ALL: [InputFormat; 6] = [
        InputFormat::Har,
        InputFormat::Json,
        InputFormat::Jsonl,
        InputFormat::SocketIo,
        InputFormat::Log,
        InputFormat::Pcap,
    ];

    /// The format's reader: its row of the table.
    pub(crate) fn reader(self) -> &'static dyn CaptureFormat {
        match self {
            InputFormat::Jsonl => &crate::lines::JsonLines,
            InputFormat::Json => &crate::document::JsonDocument,
            InputFormat::Har => &crate::har::Har,
            InputFormat::SocketIo => &crate::lines::frames::FrameLog,
            InputFormat::Log => &crate::lines::log::Log,
            InputFormat::Pcap => &crate::pcap::Pcap,
        }
    }

    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        self.reader().name()
    }

    /// Other names `--input-format` takes for it.
    pub fn aliases(self) -> &'static [&'static str] {
        self.reader().aliases()
    }

    /// One line on what the format is, for `--help`.
    pub fn about(self) -> &'static str {
        self.reader().about()
    }

    /// Looks a format up by its name or an alias.
    pub fn from_name(name: &str) -> Option<InputFormat> {
        InputFormat::ALL.into_iter().find(|format| format.name() == name || format.aliases().contains(&name))
    }
}

/// How sure a format's sniff is that the content is of that format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Confidence {
    /// Nothing speaks against it: what is left when no other format fits.
    Fallback,
    /// The content starts the way the format does, and another format might too.
    Possible,
    /// The content has what sets the format apart from those that start alike.
    Likely,
    /// A mark only this format has (a HAR's `log` key, its file name).
    Certain,
}

/// What a sniff looks at: the first bytes of the (decompressed) content, and the file name.
pub(crate) struct Head<'a> {
    /// The first up to 64 KiB of the content.
    pub bytes: &'a [u8],
    /// The same, without a UTF-8 byte order mark and leading whitespace.
    pub text: &'a [u8],
    /// The file name, lower-case, without a `.gz` suffix.
    pub name: &'a str,
}

impl<'a> Head<'a> {
    /// The head of content `bytes` from a file whose name, lower-case and without `.gz`, is `name`.
    pub fn new(bytes: &'a [u8], name: &'a str) -> Head<'a> {
        let without_bom = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        Head { bytes, text: crate::detect::skip_ws(without_bom), name }
    }

    /// A file name as [`Head::name`] holds it.
    pub fn lower_name(name: &str) -> String {
        let lower = name.to_ascii_lowercase();
        lower.strip_suffix(".gz").map(str::to_owned).unwrap_or(lower)
    }

    /// The first line of the text (without its newline).
    pub fn first_line(&self) -> &'a [u8] {
        self.text.split(|&b| b == b'\n').next().unwrap_or_default()
    }
}

/// What a reader gets: the content, and the file itself where several threads may read it.
pub(crate) struct Input<'a> {
    /// The content from its first byte.
    pub reader: &'a mut dyn BufRead,
    /// The file, when it is a regular file read as it is (not gzip).
    pub file: Option<&'a File>,
    /// The record size cap.
    pub cap: u64,
    /// Threads that may decode messages.
    pub jobs: usize,
}

/// One capture format: its names, how sure it is of a head, and how it reads a capture, handing
/// each record (with its direction, socket and position) to the validator.
pub(crate) trait CaptureFormat: Sync {
    /// The name used on the command line and in reports.
    fn name(&self) -> &'static str;
    /// Other names `--input-format` takes.
    fn aliases(&self) -> &'static [&'static str] {
        &[]
    }
    /// One line on what it is, for `--help`.
    fn about(&self) -> &'static str;
    /// How sure it is that content starting with `head` is of this format (`None`: it is not).
    fn sniff(&self, head: &Head) -> Option<Confidence>;
    /// Whether the format is binary: content it is [certain](Confidence::Certain) of is not
    /// refused as a binary file.
    fn binary(&self) -> bool {
        false
    }
    /// Reads the whole capture.
    fn read(&self, input: Input, validator: &mut Validator) -> Result<(), CaptureError>;
}

/// The format of content starting with `head` from file `name`: the surest sniff, ties going to
/// the earlier format in [`InputFormat::ALL`].
pub fn detect(head: &[u8], name: &str) -> InputFormat {
    let lower = Head::lower_name(name);
    let sniffed = Head::new(head, &lower);
    // `max_by_key` keeps the last of equals: walked backwards, that is the earliest format.
    InputFormat::ALL
        .into_iter()
        .rev()
        .filter_map(|format| format.reader().sniff(&sniffed).map(|confidence| (confidence, format)))
        .max_by_key(|&(confidence, _)| confidence)
        .map_or(InputFormat::Log, |(_, format)| format)
}

/// A kind of file that is not a capture eventwire reads, and how to get one out of it.
#[derive(Debug, Clone, Copy)]
pub struct Refused {
    /// What the file looks like, as a noun phrase: "a pcapng packet capture".
    pub looks_like: &'static str,
    /// How to get a capture eventwire reads from it.
    pub hint: &'static str,
    sniff: fn(&Head) -> bool,
}

/// Every kind of file eventwire refuses, surest marks first.
pub const REFUSED: &[Refused] = &[
    Refused {
        looks_like: "a mitmproxy flow file (`mitmdump -w`)",
        hint: "convert it to a HAR, which eventwire reads: `mitmdump -nr FILE --set hardump=capture.har`",
        sniff: |head| is_tnetstring_dict(head.bytes),
    },
    Refused {
        looks_like: "a Chromium net-log (`--log-net-log`, chrome://net-export)",
        hint: "a net-log holds no message bodies in a form eventwire reads; export a HAR instead (DevTools → Network → Export HAR)",
        sniff: |head| starts_with_key(head.text, "constants"),
    },
    Refused {
        looks_like: "a tshark JSON export (`tshark -T json`)",
        hint: "eventwire does not read dissected packets: give eventwire the packet capture itself (`eventwire validate capture.pcapng`), which it reassembles with directions, sockets and times",
        sniff: |head| head.text.starts_with(b"[") && starts_with_key(crate::detect::skip_ws(&head.text[1..]), "_index"),
    },
    Refused {
        looks_like: "a tshark Elasticsearch export (`tshark -T ek`)",
        hint: "eventwire does not read dissected packets: give eventwire the packet capture itself (`eventwire validate capture.pcapng`), which it reassembles with directions, sockets and times",
        sniff: |head| {
            let line = head.first_line();
            (starts_with_key(line, "index") && contains(line, b"\"_index\""))
                || (starts_with_key(line, "timestamp") && contains(line, b"\"layers\""))
        },
    },
    Refused {
        looks_like: "UTF-16 text",
        hint: "convert it to UTF-8 first, for example `iconv -f UTF-16 -t UTF-8 FILE > capture.txt`",
        sniff: |head| head.bytes.starts_with(&[0xff, 0xfe]) || head.bytes.starts_with(&[0xfe, 0xff]),
    },
    Refused {
        looks_like: "a binary file",
        hint: "eventwire reads text captures: HAR, JSON Lines, JSON, Socket.IO frame logs and log lines, plain or gzip-compressed",
        sniff: |head| is_binary(head.bytes),
    },
];

/// The kind of file `head` is, when it is one eventwire refuses.
pub fn refused(head: &[u8], name: &str) -> Option<&'static Refused> {
    let lower = Head::lower_name(name);
    let head = Head::new(head, &lower);
    let read_as_binary = InputFormat::ALL
        .into_iter()
        .any(|format| format.reader().binary() && format.reader().sniff(&head) == Some(Confidence::Certain));
    if read_as_binary {
        return None;
    }
    REFUSED.iter().find(|refused| (refused.sniff)(&head))
}

/// Whether `text` starts with an object whose first key is `key`.
fn starts_with_key(text: &[u8], key: &str) -> bool {
    text.starts_with(b"{") && crate::detect::first_key(text).as_deref() == Some(key)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(haystack, needle).is_some()
}

/// Whether `bytes` starts like a tnetstring dictionary whose first key is a word
/// (`4389:9:websocket;…`): the start of every mitmproxy flow file.
fn is_tnetstring_dict(bytes: &[u8]) -> bool {
    let number = |bytes: &[u8]| -> Option<(usize, usize)> {
        let digits = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 || digits > 12 || bytes.get(digits) != Some(&b':') {
            return None;
        }
        Some((std::str::from_utf8(&bytes[..digits]).ok()?.parse().ok()?, digits + 1))
    };
    let Some((_, outer)) = number(bytes) else { return false };
    let rest = &bytes[outer..];
    let Some((key_len, at)) = number(rest) else { return false };
    let Some(key) = rest.get(at..at + key_len) else { return false };
    !key.is_empty()
        && key.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_')
        && rest.get(at + key_len) == Some(&b';')
}

/// Whether `bytes` is not text: a NUL byte, or more than one byte in 64 that is not UTF-8 (a
/// text capture may hold a stray bad byte, which its reader reports on its line; a character
/// cut at the end of the head is no sign of anything).
fn is_binary(bytes: &[u8]) -> bool {
    if memchr::memchr(0, bytes).is_some() {
        return true;
    }
    let mut chunks = bytes.utf8_chunks().peekable();
    let mut invalid = 0;
    while let Some(chunk) = chunks.next() {
        let cut_at_the_end = chunks.peek().is_none()
            && std::str::from_utf8(chunk.invalid()).is_err_and(|error| error.error_len().is_none());
        if !cut_at_the_end {
            invalid += chunk.invalid().len();
        }
    }
    invalid * 64 > bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_told_apart() {
        let cases: [(&str, &str, InputFormat); 16] = [
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
            ("\u{a}\u{d}\u{d}\u{a}\u{1c}\0\0\0\u{4d}\u{3c}\u{2b}\u{1a}", "a", InputFormat::Pcap),
            ("\u{a}\u{d}\u{d}\u{a}\u{1c}\0\0\0\u{1a}\u{2b}\u{3c}\u{4d}", "a", InputFormat::Pcap),
        ];
        for (head, name, expected) in cases {
            assert_eq!(detect(head.as_bytes(), name), expected, "{head:?}");
        }
        for magic in
            [[0xd4, 0xc3, 0xb2, 0xa1], [0xa1, 0xb2, 0xc3, 0xd4], [0x4d, 0x3c, 0xb2, 0xa1], [0xa1, 0xb2, 0x3c, 0x4d]]
        {
            assert_eq!(detect(&magic, "no-extension"), InputFormat::Pcap, "{magic:x?}");
        }
    }

    #[test]
    fn every_format_has_a_name_of_its_own() {
        for format in InputFormat::ALL {
            assert_eq!(InputFormat::from_name(format.name()), Some(format));
            for alias in format.aliases() {
                assert_eq!(InputFormat::from_name(alias), Some(format));
            }
            assert!(!format.about().is_empty());
        }
    }

    #[test]
    fn what_is_not_a_capture_is_told_apart() {
        let cases: [(&[u8], Option<&str>); 16] = [
            // Packet captures are read, not refused as binary files.
            (&[0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0], None),
            (&[0x4d, 0x3c, 0xb2, 0xa1, 2, 0, 4, 0], None),
            (&[0x0a, 0x0d, 0x0d, 0x0a, 0x1c, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a], None),
            (&[0x0a, 0x0d, 0x0d, 0x0a, 0x1c, 0, 0, 0, 0x00, 0x00, 0x00, 0x00], Some("a binary file")),
            (b"4389:9:websocket;2206:13:timestamp_end;", Some("a mitmproxy flow file (`mitmdump -w`)")),
            (b"{\"constants\":{\"activityMonitor\":", Some("a Chromium net-log (`--log-net-log`, chrome://net-export)")),
            (b"[\n  {\n    \"_index\": \"packets-2026-12-02\",", Some("a tshark JSON export (`tshark -T json`)")),
            (
                b"{\"index\":{\"_index\":\"packets-2026-12-02\",\"_type\":\"doc\"}}\n",
                Some("a tshark Elasticsearch export (`tshark -T ek`)"),
            ),
            (b"PK\x03\x04\x14\x00\x00\x00", Some("a binary file")),
            (b"{\"type\":\"ping\"}\n\xc3", None),
            (b"{\"type\":\"ping\",\"session_id\":\"\xff\",\"timestamp\":1}\n{\"type\":\"ping\",\"session_id\":\"s1\",\"timestamp\":1}\n", None),
            (b"\xff\xfe{\x00\"\x00", Some("UTF-16 text")),
            (b"\x7fELF\x02\x01\x01\x00", Some("a binary file")),
            (b"12:00:01 send: 42[\"audio_data\",{}]", None),
            (b"{\"index\": 1}", None),
            (b"[{\"type\":\"ping\"}]", None),
        ];
        for (head, expected) in cases {
            assert_eq!(refused(head, "capture").map(|r| r.looks_like), expected, "{}", String::from_utf8_lossy(head));
        }
    }
}
