//! Every checked-in fuzz input (`fuzz/corpus/<target>/`, the minimized corpus; and
//! `fuzz/regressions/<target>/`, inputs that once broke an invariant) through the same bodies
//! the fuzz targets run, on stable: what the fuzzer found once stays fixed.

use std::path::Path;

const FUZZ: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fuzz");

/// Runs `body` on every input of `target`; fails when the corpus is missing or empty.
fn replay(target: &str, body: fn(&[u8])) {
    let mut inputs = 0;
    for dir in ["corpus", "regressions"] {
        let dir = Path::new(FUZZ).join(dir).join(target);
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries {
            let path = entry.unwrap().path();
            let data = std::fs::read(&path).unwrap();
            let outcome = std::panic::catch_unwind(|| body(&data));
            assert!(outcome.is_ok(), "{} breaks an invariant", path.display());
            inputs += 1;
        }
    }
    assert!(inputs > 20, "{target}: only {inputs} inputs in fuzz/corpus/{target}");
}

#[test]
fn decode_and_check_corpus() {
    replay("decode_and_check", eventwire_fuzz::decode_and_check);
}

#[test]
fn capture_corpus() {
    replay("capture", eventwire_fuzz::capture);
}
