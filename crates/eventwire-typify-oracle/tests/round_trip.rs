//! typify as an independent oracle: the Rust types it generates from the draft-07 rendering of
//! the bundle schema compile (this crate builds), read every valid fixture as the same message
//! type the eventwire types pick, and write it back as the same JSON value.

use std::fs;
use std::path::{Path, PathBuf};

use eventwire_typify_oracle::{Message, TYPIFY_ON_EACH_SHAPE, UNEXPRESSIBLE};
use serde_json::Value;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).ancestors().nth(2).expect("crates/<name> sits in the workspace").to_path_buf()
}

fn valid_fixtures() -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = fs::read_dir(workspace_root().join("tests/fixtures"))
        .unwrap()
        .flat_map(|family| fs::read_dir(family.unwrap().path()).unwrap())
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            let name = path.file_name().unwrap().to_str().unwrap();
            (name.starts_with("valid_") || name.starts_with("seed_")) && name.ends_with(".json")
        })
        .collect();
    paths.sort();
    paths
}

/// The same JSON value, in JSON's sense: numbers equal by value (typify reads every `number`
/// as `f64`, so `5` is written back `5.0`), and `null` members equal to absent ones (typify
/// maps both to `None` and skips it, as the eventwire types do).
fn same_json(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(xs), Value::Array(ys)) => xs.len() == ys.len() && xs.iter().zip(ys).all(|(x, y)| same_json(x, y)),
        (Value::Object(xs), Value::Object(ys)) => {
            let present = |object: &serde_json::Map<String, Value>| {
                object.iter().filter(|(_, v)| !v.is_null()).map(|(k, _)| k.clone()).collect::<Vec<_>>()
            };
            let (mut keys_a, mut keys_b) = (present(xs), present(ys));
            keys_a.sort();
            keys_b.sort();
            keys_a == keys_b && keys_a.iter().all(|key| same_json(&xs[key], &ys[key]))
        }
        (x, y) => x == y,
    }
}

/// `HealthEvent(HealthScore(…` → `HealthScore`: the type typify's untagged enums picked.
fn chosen_type(message: &Message) -> String {
    let debug = format!("{message:?}");
    let inner = debug.split('(').nth(2).unwrap_or_default();
    inner.chars().take_while(char::is_ascii_alphanumeric).collect()
}

#[test]
fn valid_fixtures_read_as_the_same_type_and_write_back_the_same_json() {
    let fixtures = valid_fixtures();
    assert!(fixtures.len() > 50, "only {} valid fixtures found", fixtures.len());
    let mut failures = Vec::new();
    for path in &fixtures {
        let name = path.strip_prefix(workspace_root()).unwrap().display().to_string();
        let text = fs::read_to_string(path).unwrap();
        let original: Value = serde_json::from_str(&text).unwrap();
        let expected_type = eventwire::decode(&text).unwrap().kind().type_name;
        let message: Message = match serde_json::from_str(&text) {
            Ok(message) => message,
            Err(error) => {
                failures.push(format!("{name}: typify's types reject it: {error}"));
                continue;
            }
        };
        if chosen_type(&message) != expected_type {
            failures.push(format!("{name}: read as {}, eventwire says {expected_type}", chosen_type(&message)));
        }
        let written = serde_json::to_value(&message).unwrap();
        if !same_json(&written, &original) {
            failures.push(format!("{name}: written back as {written}"));
        }
    }
    assert!(failures.is_empty(), "{} of {} fixtures:\n{}", failures.len(), fixtures.len(), failures.join("\n"));
}

#[test]
fn json_equality_is_by_value_and_null_is_absent() {
    assert!(same_json(&serde_json::json!({ "a": 5, "b": null }), &serde_json::json!({ "a": 5.0 })));
    assert!(!same_json(&serde_json::json!({ "a": 5 }), &serde_json::json!({ "a": 5.5 })));
    assert!(!same_json(&serde_json::json!({ "a": "x" }), &serde_json::json!({ "a": "x", "b": 1 })));
    assert!(!same_json(&serde_json::json!([1, 2]), &serde_json::json!([1])));
}

#[test]
fn each_removed_shape_is_there_and_is_one_typify_cannot_take() {
    // That typify takes the rendering without the removed shapes is proved by this crate
    // building; the build script ran typify with each shape left in.
    let draft07 = eventwire_codegen::draft07::render(&eventwire::schema::bundle_schema()).unwrap();
    assert_eq!(TYPIFY_ON_EACH_SHAPE.len(), UNEXPRESSIBLE.len(), "one verdict per removed shape");
    for ((pointer, keywords, reason), (tried, verdict)) in UNEXPRESSIBLE.iter().zip(TYPIFY_ON_EACH_SHAPE) {
        assert_eq!(pointer, tried);
        let schema = draft07.pointer(pointer).unwrap_or_else(|| panic!("{pointer} is not in the rendering"));
        for keyword in *keywords {
            assert!(schema.get(*keyword).is_some(), "{pointer} has no `{keyword}` to remove");
        }
        // Everything removed but this one shape: typify must fail on it, or the entry is stale.
        assert!(verdict.is_err(), "typify now takes {pointer} {keywords:?}; drop it from the list ({reason})");
    }
}
