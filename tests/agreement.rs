//! serde and the emitted schema agree on every value: arbitrary valid messages round-trip and
//! validate; mutated ones (field dropped, unknown field, string changed, number out of range,
//! type swapped, tag misspelled) get the same verdict from both, and most are rejected. The
//! fast decoding path gives exactly the located path's result on every one of them, and
//! checking (the check-only twins) gives exactly decoding's verdict. The layout reads
//! every valid message serde writes (media aside, and strings with escapes, which it leaves to
//! serde), also with whitespace between the tokens, and checking still gives decoding's verdict
//! when the text is written another way (members reordered or repeated, escapes, numbers,
//! whitespace).
//!
//! Cases per family and property: `EVENTWIRE_PROPTEST_CASES`, 10,000 unless set. With
//! `EVENTWIRE_PRINT_TALLY` set, each family prints how many mutations of each kind it applied
//! and how many of those were invalid.

use std::collections::BTreeMap;

use eventwire::{Checked, Family, Message};
use eventwire_tests::{Mutation, Rewrite, UNKNOWN_FIELD, mutate, schemas};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::Value;

fn cases() -> u32 {
    std::env::var("EVENTWIRE_PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(10_000)
}

fn runner() -> TestRunner {
    TestRunner::new(Config { cases: cases(), failure_persistence: None, ..Config::default() })
}

fn schema_errors(value: &Value) -> Vec<String> {
    schemas().bundle.iter_errors(value).map(|e| format!("{} at {}", e, e.instance_path())).collect()
}

fn check_round_trip(message: &Message) -> Result<(), TestCaseError> {
    let text = message.to_json();
    let value: Value = serde_json::from_str(&text).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert!(schemas().bundle.is_valid(&value), "schema rejects {text}: {:?}", schema_errors(&value));
    prop_assert!(schemas().family(message.family()).is_valid(&value), "family schema rejects {text}");
    let decoded = eventwire::decode(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
    let located = eventwire::decode::decode_located(&text);
    prop_assert_eq!(Ok(&decoded), located.as_ref(), "fast and located decoding");
    let checked = eventwire::check(&text, Some(message.family())).map(Checked::without_notes);
    prop_assert_eq!(&checked, &Ok(Checked::of(&decoded)), "checking and decoding: {}", text);
    let canonical = eventwire::decode::check_by_layout(&text);
    if let Some(by_layout) = &canonical {
        // What the check notes for the conversation rules is the value at the registry's pointer.
        let pointers = by_layout.kind.family.conversation().note_pointers();
        for (slot, span) in by_layout.facts.notes.iter().enumerate() {
            let (Some(span), Some(pointer)) = (span, pointers[slot]) else {
                prop_assert!(span.is_none(), "slot {} noted where the rules read nothing: {}", slot, text);
                continue;
            };
            let noted: Value = serde_json::from_str(&text[span.clone()]).unwrap();
            prop_assert_eq!(Some(&noted), value.pointer(pointer), "slot {} ({}) of {}", slot, pointer, text);
        }
        let family = by_layout.kind.family;
        let expected_notes = pointers.iter().filter(|p| p.is_some()).count();
        let noted = by_layout.facts.notes.iter().filter(|n| n.is_some()).count();
        if family == Family::Stream || (family == Family::Assistant && by_layout.kind.tag != "subscription") {
            // Every pointer is noted (a response's text included; other updates' texts are not read).
            let text_slot = usize::from(by_layout.kind.tag != "response");
            prop_assert_eq!(noted + text_slot * usize::from(family == Family::Assistant), expected_notes, "{}", text);
        }
    }
    let canonical = canonical.map(Checked::without_notes);
    if message.family() == Family::Media || has_escaped_key(&value) {
        prop_assert!(canonical.is_none() || canonical == checked.ok(), "the layout on {}", text);
    } else {
        prop_assert_eq!(canonical, checked.ok(), "the layout reads every message serde writes: {}", text);
    }
    prop_assert_eq!(&decoded, message);
    prop_assert_eq!(serde_json::to_value(&decoded).unwrap(), value);
    Ok(())
}

/// Whether serde writes a key of `value` with an escape, which the layout leaves to serde.
fn has_escaped_key(value: &Value) -> bool {
    match value {
        Value::Object(object) => object
            .iter()
            .any(|(key, child)| Value::from(key.as_str()).to_string().contains('\\') || has_escaped_key(child)),
        Value::Array(items) => items.iter().any(has_escaped_key),
        _ => false,
    }
}

#[derive(Default)]
struct Tally {
    applied: BTreeMap<String, u32>,
    rejected: BTreeMap<String, u32>,
}

fn check_mutation(message: &Message, mutation: Mutation, pick: usize, tally: &mut Tally) -> Result<(), TestCaseError> {
    let value = serde_json::to_value(message).unwrap();
    let Some((site, mutated)) = mutate(&value, message.family(), mutation, pick) else {
        return Ok(());
    };
    let text = mutated.to_string();
    let by_text = eventwire::decode(&text);
    prop_assert_eq!(&by_text, &eventwire::decode::decode_located(&text), "fast and located decoding: {}", text);
    let checked = eventwire::check(&text, None).map(Checked::without_notes);
    prop_assert_eq!(
        checked,
        by_text.as_ref().map(Checked::of).map_err(Clone::clone),
        "checking and decoding: {}",
        text
    );
    let by_value = eventwire::decode_value(&mutated);
    let schema_accepts = schemas().bundle.is_valid(&mutated);
    prop_assert_eq!(by_text.is_ok(), by_value.is_ok(), "text and value decoding disagree on {}", text);
    prop_assert_eq!(
        by_text.is_ok(),
        schema_accepts,
        "{:?} at {:?}: serde says {:?}, schema says {:?}\n{}",
        mutation,
        site,
        by_text.as_ref().err().map(ToString::to_string),
        schema_errors(&mutated),
        text
    );
    let certainly_invalid =
        mutation == Mutation::MisspellTag || (mutation == Mutation::AddUnknownField && site.is_empty());
    prop_assert!(!(certainly_invalid && schema_accepts), "{mutation:?} at the root must be invalid: {text}");
    *tally.applied.entry(format!("{mutation:?}")).or_default() += 1;
    if !schema_accepts {
        *tally.rejected.entry(format!("{mutation:?}")).or_default() += 1;
    }
    Ok(())
}

/// `message` written with `rewrite`: checking gives decoding's verdict. The rewrites that
/// only write the same JSON another way keep the message valid; a repeated member never does.
fn check_rewrite(
    message: &Message,
    rewrite: Rewrite,
    pick: usize,
    valid: &mut BTreeMap<String, u32>,
) -> Result<(), TestCaseError> {
    let value = serde_json::to_value(message).unwrap();
    let Some((site, text)) = eventwire_tests::rewrite(&value, rewrite, pick) else {
        return Ok(());
    };
    let decoded = eventwire::decode(&text);
    let checked = eventwire::check(&text, None).map(Checked::without_notes);
    prop_assert_eq!(
        &checked,
        &decoded.as_ref().map(Checked::of).map_err(Clone::clone),
        "checking and decoding: {:?} at {:?}: {}",
        rewrite,
        site,
        text
    );
    if matches!(rewrite, Rewrite::ReorderMembers | Rewrite::AddWhitespace) {
        let sniffed = eventwire::decode::sniffed(&text);
        prop_assert_eq!(sniffed, Some(message.kind()), "the router guesses the type wherever its tag is: {}", text);
    }
    let same_layout = matches!(rewrite, Rewrite::ReorderMembers | Rewrite::AddWhitespace | Rewrite::EscapeString);
    if same_layout && message.family() != Family::Media && !has_escaped_key(&value) {
        let canonical = eventwire::decode::check_by_layout(&text).map(Checked::without_notes);
        prop_assert_eq!(
            canonical,
            checked.clone().ok(),
            "the layout reads other orders, whitespace and escapes too: {}",
            text
        );
    }
    check_cuts(&text, pick)?;
    match rewrite {
        Rewrite::ReorderMembers | Rewrite::EscapeString | Rewrite::AddWhitespace => {
            prop_assert!(decoded.is_ok(), "{:?} at {:?} kept the JSON but not the verdict: {}", rewrite, site, text);
        }
        Rewrite::RepeatMember => prop_assert!(decoded.is_err(), "a repeated member at {:?} accepted: {}", site, text),
        Rewrite::RewriteNumber => {}
    }
    if checked.is_ok() {
        *valid.entry(format!("{rewrite:?}")).or_default() += 1;
    }
    Ok(())
}

/// `text` cut short is invalid, and checking gives decoding's verdict on it. It is cut at one
/// place, and next to each backslash (a cut inside an escape is where a scanner is likeliest
/// to run past the end).
fn check_cuts(text: &str, pick: usize) -> Result<(), TestCaseError> {
    let near_escapes = text.match_indices('\\').flat_map(|(at, _)| at..at + 3);
    let cuts = near_escapes.chain([pick % text.len()]).filter(|&at| at < text.len() && text.is_char_boundary(at));
    for cut in cuts {
        let prefix = &text[..cut];
        let decoded = eventwire::decode(prefix);
        prop_assert!(decoded.is_err(), "a message cut short was accepted: {}", prefix);
        let checked = eventwire::check(prefix, None).map(Checked::without_notes);
        prop_assert_eq!(checked, decoded.map(|message| Checked::of(&message)), "checking and decoding: {}", prefix);
    }
    Ok(())
}

fn family_properties<S: Strategy + Clone>(family: Family, messages: S)
where
    S::Value: Into<Message> + Clone + std::fmt::Debug,
{
    runner()
        .run(&messages, |message| check_round_trip(&message.into()))
        .unwrap_or_else(|e| panic!("{family}: valid values: {e}"));

    let valid = std::cell::RefCell::new(BTreeMap::new());
    runner()
        .run(
            &(messages.clone(), proptest::sample::select(Rewrite::ALL.to_vec()), any::<usize>()),
            |(message, rewrite, pick)| check_rewrite(&message.into(), rewrite, pick, &mut valid.borrow_mut()),
        )
        .unwrap_or_else(|e| panic!("{family}: rewritten values: {e}"));
    let valid = valid.into_inner();
    // Rewritten numbers are sometimes still valid (`1.50` for `1.5`), sometimes not (`3.0`
    // for a count). Media's numbers are all counts, so none of theirs stays valid.
    let numbers_kept = valid.get("RewriteNumber").copied().unwrap_or(0);
    assert_eq!(numbers_kept > 0, family != Family::Media, "{family}: {valid:?}");

    let tally = std::cell::RefCell::new(Tally::default());
    runner()
        .run(
            &(messages, proptest::sample::select(Mutation::ALL.to_vec()), any::<usize>()),
            |(message, mutation, pick)| check_mutation(&message.into(), mutation, pick, &mut tally.borrow_mut()),
        )
        .unwrap_or_else(|e| panic!("{family}: mutated values: {e}"));

    let tally = tally.into_inner();
    if std::env::var_os("EVENTWIRE_PRINT_TALLY").is_some() {
        #[allow(clippy::print_stderr)]
        {
            eprintln!("{family}: applied {:?} rejected {:?}", tally.applied, tally.rejected);
        }
    }
    let applied: u32 = tally.applied.values().sum();
    let rejected: u32 = tally.rejected.values().sum();
    // Some shapes offer a mutation no place (a bare video string has no number to push).
    assert!(applied >= cases() * 3 / 4, "{family}: only {applied} of {} mutations applied", cases());
    // The properties above hold for accepted and rejected values alike; this makes sure the
    // rejected side is well exercised for every kind of mutation.
    for mutation in Mutation::ALL {
        let name = format!("{mutation:?}");
        let (a, r) = (tally.applied.get(&name).copied().unwrap_or(0), tally.rejected.get(&name).copied().unwrap_or(0));
        assert!(r > 0, "{family}: {name} applied {a} times but never rejected");
    }
    assert!(rejected * 2 > applied, "{family}: only {rejected} of {applied} mutated values were invalid");
}

#[test]
fn health_serde_and_schema_agree() {
    family_properties(Family::Health, any::<eventwire::health::HealthEvent>());
}

#[test]
fn media_serde_and_schema_agree() {
    family_properties(Family::Media, any::<eventwire::media::MediaEvent>());
}

#[test]
fn simulation_serde_and_schema_agree() {
    family_properties(Family::Simulation, any::<eventwire::simulation::SimulationEvent>());
}

#[test]
fn assistant_serde_and_schema_agree() {
    family_properties(Family::Assistant, any::<eventwire::assistant::AssistantMessage>());
}

#[test]
fn stream_serde_and_schema_agree() {
    family_properties(Family::Stream, any::<eventwire::stream::StreamMessage>());
}

#[test]
fn unknown_field_name_is_in_no_protocol() {
    assert!(!eventwire::registry::kinds().any(|k| k.tag == UNKNOWN_FIELD));
}

// ---------------------------------------------------------------------------------------------
// The string rules: each hand-written check against its schema pattern, on near-miss strings.

fn primitive_validator<T: schemars::JsonSchema>() -> jsonschema::Validator {
    let schema = schemars::generate::SchemaSettings::draft2020_12().into_generator().into_root_schema_for::<T>();
    jsonschema::draft202012::new(&schema.to_value()).expect("primitive schemas compile")
}

fn agree_on_strings<T: schemars::JsonSchema>(accepts: fn(&str) -> bool, strings: impl Strategy<Value = String>) {
    let validator = primitive_validator::<T>();
    runner()
        .run(&strings, |s| {
            prop_assert_eq!(accepts(&s), validator.is_valid(&Value::String(s.clone())), "{:?}", s);
            Ok(())
        })
        .unwrap();
}

/// Valid strings with one character replaced, removed or added (drawn from `alphabet`, a regex
/// character class), plus raw noise from the same alphabet.
fn near_miss(valid: impl Strategy<Value = String>, alphabet: &'static str) -> impl Strategy<Value = String> {
    let one = proptest::string::string_regex(alphabet).expect("a character class");
    let noise = proptest::string::string_regex(&format!("{alphabet}{{0,14}}")).expect("a character class");
    (valid, any::<usize>(), one, 0u8..4, noise).prop_map(|(s, at, c, how, noise)| {
        let mut chars: Vec<char> = s.chars().collect();
        let at = if chars.is_empty() { 0 } else { at % chars.len() };
        let c = c.chars().next().expect("one character");
        match how {
            0 if !chars.is_empty() => chars[at] = c,
            1 if !chars.is_empty() => {
                chars.remove(at);
            }
            2 => chars.insert(at, c),
            _ => return noise,
        }
        chars.into_iter().collect()
    })
}

const BASE64_NEAR: &str = "[A-Za-z0-9+/=_ :;,-]";

fn valid_string<T: Arbitrary + AsRef<str>>() -> impl Strategy<Value = String> {
    any::<T>().prop_map(|v| v.as_ref().to_owned())
}

#[test]
fn base64_check_agrees_with_its_pattern() {
    use eventwire::primitives::Base64;
    agree_on_strings::<Base64>(|s| Base64::new(s).is_ok(), near_miss(valid_string::<Base64>(), BASE64_NEAR));
}

#[test]
fn audio_check_agrees_with_its_pattern() {
    use eventwire::primitives::AudioBase64;
    agree_on_strings::<AudioBase64>(
        |s| AudioBase64::new(s).is_ok(),
        near_miss(valid_string::<AudioBase64>(), BASE64_NEAR),
    );
}

#[test]
fn jpeg_check_agrees_with_its_pattern() {
    use eventwire::primitives::JpegBase64;
    agree_on_strings::<JpegBase64>(
        |s| JpegBase64::new(s).is_ok(),
        near_miss(valid_string::<JpegBase64>(), BASE64_NEAR),
    );
}

#[test]
fn iso_date_time_check_agrees_with_its_pattern() {
    use eventwire::primitives::IsoDateTime;
    let near =
        "[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{0,3})?(Z|z|[+-][0-9]{2}:?[0-9]{2})?\n?";
    agree_on_strings::<IsoDateTime>(
        |s| IsoDateTime::new(s).is_ok(),
        prop_oneof![near, valid_string::<IsoDateTime>(), near_miss(valid_string::<IsoDateTime>(), "[0-9Tt:Zz+. \\n-]")],
    );
}

#[test]
fn session_channel_check_agrees_with_its_schema() {
    use eventwire::primitives::SessionChannel;
    agree_on_strings::<SessionChannel>(
        |s| SessionChannel::new(s).is_ok(),
        prop_oneof!["(subscription|user_session_[a-z]{0,3})?", ".{0,3}"],
    );
}
