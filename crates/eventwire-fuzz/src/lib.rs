//! The bodies of eventwire's fuzz targets. `fuzz/` (cargo-fuzz, nightly) calls them on the
//! inputs libFuzzer makes; `tests/corpus.rs` calls them on every checked-in input on stable, so
//! that what was found once stays fixed. Each body panics exactly when an invariant breaks.

use std::io::Write;

use eventwire::decode::Checked;
use eventwire_capture::{Event, InputFormat, Options, validate_reader};

/// `decode` and `check` agree on any text: the same verdict, type and facts, and for an
/// invalid message the same error at the same pointer.
pub fn decode_and_check(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let decoded = eventwire::decode(text);
    let checked = eventwire::check(text, None);
    if let Ok(checked) = &checked {
        notes_are_where_the_rules_look(text, checked);
    }
    assert_eq!(
        checked.map(Checked::without_notes),
        decoded.as_ref().map(Checked::of).map_err(Clone::clone),
        "check and decode disagree on {text:?}"
    );
}

/// Each value the check noted for the conversation rules is the value at the pointer the
/// registry names for its slot.
pub fn notes_are_where_the_rules_look(text: &str, checked: &Checked) {
    let value: serde_json::Value = serde_json::from_str(text).expect("a valid message is JSON");
    let pointers = checked.kind.family.conversation().note_pointers();
    for (slot, span) in checked.facts.notes.iter().enumerate() {
        let Some(span) = span else { continue };
        let pointer = pointers[slot]
            .unwrap_or_else(|| panic!("slot {slot} noted, but the family's rules read nothing there: {text:?}"));
        let noted: serde_json::Value = serde_json::from_str(&text[span.clone()]).expect("a noted value is JSON");
        assert_eq!(Some(&noted), value.pointer(pointer), "slot {slot} ({pointer}) of {text:?}");
    }
}

/// How the first byte of a capture input says to read it.
#[derive(Debug, Clone, Copy)]
pub struct Reading {
    /// The format forced, or `None` to detect it.
    pub format: Option<InputFormat>,
    /// Whether the bytes are gzipped first (and so read through the gunzipping source).
    pub gzip: bool,
    /// A small record cap (64 bytes), where the cap's edges are.
    pub small_cap: bool,
}

impl Reading {
    /// The reading the byte `selector` stands for.
    pub fn of(selector: u8) -> Reading {
        let formats = InputFormat::ALL.len() + 1;
        let format = InputFormat::ALL.get(usize::from(selector) % formats).copied();
        Reading { format, gzip: selector & 0x40 != 0, small_cap: selector & 0x80 != 0 }
    }
}

/// Any bytes read as a capture never panic, and give the same events on one thread and on
/// three. The first byte chooses the [`Reading`]; the rest is the capture.
pub fn capture(data: &[u8]) {
    let Some((&selector, content)) = data.split_first() else { return };
    let reading = Reading::of(selector);
    let bytes = if reading.gzip {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(content).expect("writing to a Vec");
        encoder.finish().expect("writing to a Vec")
    } else {
        content.to_vec()
    };
    let run = |jobs| {
        let options = Options {
            format: reading.format,
            max_record_bytes: if reading.small_cap { 64 } else { eventwire_capture::DEFAULT_MAX_RECORD_BYTES },
            jobs,
            ..Options::default()
        };
        let mut events: Vec<Event> = Vec::new();
        let report = validate_reader(std::io::Cursor::new(bytes.clone()), "capture", &options, &mut |event| {
            events.push(event);
            Ok(())
        });
        (events, format!("{:?} {:?} {:?}", report.format, report.summary, report.failure))
    };
    let one = run(1);
    let three = run(3);
    assert_eq!(one, three, "one thread and three disagree ({reading:?})");
}
