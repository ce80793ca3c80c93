//! Every fixture under `fixtures/<family>/`: valid ones (`seed_*`, `valid_*`) decode, validate
//! against the emitted schema and serialize back to the same JSON; invalid ones (`invalid_*`)
//! are rejected by serde and by the schema, with the error snapshotted.

use std::fs;

use eventwire_tests::{fixture_family, schema_verdict, schemas, without_null_members};
use serde_json::Value;

/// Invalid fixtures the schema cannot reject, by construction: `tests/schema-blind-spots.txt`.
fn schema_blind_spots() -> Vec<String> {
    eventwire_tests::listed_fixtures("schema-blind-spots.txt")
}

fn relative(path: &std::path::Path) -> String {
    let family = path.parent().and_then(|p| p.file_name()).and_then(|n| n.to_str()).unwrap_or_default();
    format!("{family}/{}", path.file_name().and_then(|n| n.to_str()).unwrap_or_default())
}

#[test]
fn valid_fixtures_decode_validate_and_round_trip() {
    insta::glob!("fixtures", "*/{seed,valid}_*.json", |path| {
        let text = fs::read_to_string(path).unwrap();
        let original: Value = serde_json::from_str(&text).unwrap();
        let message = eventwire::decode(&text).unwrap_or_else(|e| panic!("{}: {e}", relative(path)));

        let family = fixture_family(path).expect("valid fixtures sit in a family folder");
        assert_eq!(message.family(), family, "{}", relative(path));
        let schema_errors: Vec<String> = schemas().bundle.iter_errors(&original).map(|e| e.to_string()).collect();
        assert!(schema_errors.is_empty(), "{}: bundle schema rejects it: {schema_errors:?}", relative(path));
        assert!(schemas().family(family).is_valid(&original), "{}: family schema rejects it", relative(path));

        let written: Value = serde_json::from_str(&message.to_json()).unwrap();
        assert_eq!(without_null_members(&written), without_null_members(&original), "{}", relative(path));
        if relative(path).contains("/seed_") {
            assert_eq!(written, original, "a seed example must round-trip exactly");
        }
        assert_eq!(eventwire::decode(&message.to_json()).as_ref(), Ok(&message), "re-decoding changes it");

        let kind = message.kind();
        insta::assert_snapshot!(format!(
            "{} {} ({}, eventwire::{}::{})\n{}",
            kind.family,
            kind.tag,
            kind.direction.arrow(),
            kind.family,
            kind.type_name,
            serde_json::to_string_pretty(&message).unwrap()
        ));
    });
}

#[test]
fn invalid_fixtures_are_rejected_by_serde_and_schema() {
    let blind_spots = schema_blind_spots();
    insta::glob!("fixtures", "*/invalid_*.json", |path| {
        let name = relative(path);
        let text = fs::read_to_string(path).unwrap();
        let error = match eventwire::decode(&text) {
            Ok(message) => panic!("{name}: serde accepted it as {:?}", message.kind()),
            Err(error) => error,
        };
        match schema_verdict(&text) {
            None => {
                assert!(matches!(error, eventwire::DecodeError::Syntax { .. }), "{name}: not JSON, so a syntax error")
            }
            Some(schema_accepts) => {
                let blind = blind_spots.contains(&name);
                assert_eq!(schema_accepts, blind, "{name}: schema verdict (accepts = {schema_accepts})");
            }
        }
        insta::assert_snapshot!(format!("{error}\npointer: {:?}", error.pointer()));
    });
}

#[test]
fn the_known_blind_spots_are_still_fixtures() {
    for name in schema_blind_spots() {
        let path = eventwire_tests::workspace_root().join("tests/fixtures").join(&name);
        assert!(path.exists(), "{name} is listed as a known disagreement but does not exist");
    }
}
