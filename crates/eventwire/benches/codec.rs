//! Micro-benchmarks of the types crate, per family: checking a valid message (its check-only
//! twin, what a validator does), decoding it (the fast path), decoding it the located way (what
//! an invalid message costs), and encoding it.
//!
//! `cargo bench -p eventwire` measures; `cargo test --benches` (part of `cargo xtask test`) runs
//! each benchmark once, so their code paths are exercised in CI without timing anything.

use eventwire::{Family, Message};

fn main() {
    divan::main();
}

/// The bundled sample's messages of `family` (every message type of the family is there).
fn sample(family: Family) -> Vec<String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/samples/capture.jsonl");
    let text = std::fs::read_to_string(path).expect("the bundled sample");
    let lines: Vec<String> = text
        .lines()
        .filter(|line| eventwire::decode(line).is_ok_and(|message| message.family() == family))
        .map(str::to_owned)
        .collect();
    assert!(!lines.is_empty(), "the sample has {family} messages");
    lines
}

const FAMILIES: [Family; 5] = Family::ALL;

/// Checks every sample message of the family without building it.
#[divan::bench(args = FAMILIES)]
fn check(bencher: divan::Bencher, family: Family) {
    let lines = sample(family);
    let bytes: usize = lines.iter().map(String::len).sum();
    bencher.counter(divan::counter::BytesCount::new(bytes)).bench(|| {
        for line in &lines {
            assert!(eventwire::check(divan::black_box(line), None).is_ok());
        }
    });
}

/// Decodes every sample message of the family.
#[divan::bench(args = FAMILIES)]
fn decode(bencher: divan::Bencher, family: Family) {
    let lines = sample(family);
    let bytes: usize = lines.iter().map(String::len).sum();
    bencher.counter(divan::counter::BytesCount::new(bytes)).bench(|| {
        for line in &lines {
            assert!(eventwire::decode(divan::black_box(line)).is_ok());
        }
    });
}

/// Decodes them without the fast path: probe, route, located typed pass.
#[divan::bench(args = FAMILIES)]
fn decode_located(bencher: divan::Bencher, family: Family) {
    let lines = sample(family);
    let bytes: usize = lines.iter().map(String::len).sum();
    bencher.counter(divan::counter::BytesCount::new(bytes)).bench(|| {
        for line in &lines {
            assert!(eventwire::decode::decode_located(divan::black_box(line)).is_ok());
        }
    });
}

/// Encodes them back to JSON text.
#[divan::bench(args = FAMILIES)]
fn encode(bencher: divan::Bencher, family: Family) {
    let messages: Vec<Message> = sample(family).iter().map(|line| eventwire::decode(line).expect("valid")).collect();
    bencher.bench(|| messages.iter().map(|message| divan::black_box(message).to_json().len()).sum::<usize>());
}
