//! The emitted schema files: up to date, valid 2020-12 schemas, documented, snapshotted, and
//! covering every message type of the registry.

use eventwire_tests::{checked_in_schema, workspace_root};
use serde_json::Value;

#[test]
fn checked_in_generated_files_are_up_to_date() {
    if let Err(error) = xtask::codegen::check() {
        panic!("{error:#}");
    }
}

#[test]
fn schemas_are_valid_against_the_2020_12_meta_schema() {
    for (name, _) in eventwire::schema::schema_files() {
        let schema = checked_in_schema(&name);
        assert_eq!(schema["$schema"], "https://json-schema.org/draft/2020-12/schema", "{name}");
        if let Err(error) = jsonschema::meta::validate(&schema) {
            panic!("{name} is not a valid schema: {error}");
        }
    }
}

#[test]
fn schema_files_snapshot() {
    for (name, document) in eventwire::schema::schema_files() {
        insta::assert_json_snapshot!(name, document);
    }
}

#[test]
fn every_message_type_is_in_the_bundle_and_its_family_schema() {
    let bundle = checked_in_schema(eventwire::schema::BUNDLE_FILE);
    for kind in eventwire::registry::kinds() {
        let family = checked_in_schema(&eventwire::schema::family_file(kind.family));
        for (file, schema) in [("bundle", &bundle), ("family", &family)] {
            let definition = &schema["$defs"][kind.type_name];
            assert!(definition.is_object(), "{file} schema has no definition {}", kind.type_name);
        }
        let dispatch = family["allOf"].as_array().expect("family unions dispatch with allOf");
        let target = format!("#/$defs/{}", kind.type_name);
        assert!(
            dispatch.iter().any(|branch| branch["then"]["$ref"] == target.as_str()),
            "no dispatch branch for {}",
            kind.tag
        );
    }
}

/// Doc comments become descriptions: every definition and every property of every closed
/// object carries one.
#[test]
fn every_definition_and_property_is_described() {
    let bundle = checked_in_schema(eventwire::schema::BUNDLE_FILE);
    let mut missing = Vec::new();
    for (name, definition) in bundle["$defs"].as_object().expect("$defs") {
        if definition.get("description").and_then(Value::as_str).is_none_or(str::is_empty) {
            missing.push(name.clone());
        }
        for (property, schema) in definition.get("properties").and_then(Value::as_object).into_iter().flatten() {
            if schema.get("description").is_none() {
                missing.push(format!("{name}.{property}"));
            }
        }
    }
    assert!(missing.is_empty(), "undocumented: {missing:?}");
}

/// Every message type has a valid fixture that decodes as it, and an invalid one whose error is
/// reported against it.
#[test]
fn every_message_type_has_valid_and_invalid_fixtures() {
    let (mut valid, mut invalid) = (Vec::new(), Vec::new());
    for family in std::fs::read_dir(workspace_root().join("tests/fixtures")).unwrap().flatten() {
        for fixture in std::fs::read_dir(family.path()).unwrap().flatten() {
            let text = std::fs::read_to_string(fixture.path()).unwrap();
            match eventwire::decode(&text) {
                Ok(message) => valid.push(message.kind()),
                Err(error) if fixture.file_name().to_string_lossy().starts_with("invalid_") => {
                    invalid.extend(error.kind())
                }
                Err(_) => {}
            }
        }
    }
    let mut uncovered = Vec::new();
    for kind in eventwire::registry::kinds() {
        for (covered, label) in [(&valid, "valid"), (&invalid, "invalid")] {
            if !covered.contains(&kind) {
                uncovered.push(format!("{} {}: no {label} fixture", kind.family, kind.tag));
            }
        }
    }
    assert!(uncovered.is_empty(), "{uncovered:#?}");
}

/// The draft-07 rendering (what typify reads) says the same as the 2020-12 schema: on every
/// JSON fixture, valid or not, both give the same verdict.
#[test]
fn the_draft_07_rendering_accepts_exactly_what_the_schema_accepts() {
    let bundle = checked_in_schema(eventwire::schema::BUNDLE_FILE);
    let draft07 = eventwire_codegen::draft07::render(&bundle).unwrap();
    assert_eq!(draft07["$schema"], eventwire_codegen::draft07::DRAFT_07);
    jsonschema::meta::validate(&draft07).unwrap_or_else(|e| panic!("not a valid draft-07 schema: {e}"));
    let original = jsonschema::draft202012::new(&bundle).unwrap();
    let rendered = jsonschema::draft7::new(&draft07).unwrap();
    let mut compared = 0;
    for family in std::fs::read_dir(workspace_root().join("tests/fixtures")).unwrap() {
        for fixture in std::fs::read_dir(family.unwrap().path()).unwrap() {
            let path = fixture.unwrap().path();
            let Ok(value) = serde_json::from_str::<Value>(&std::fs::read_to_string(&path).unwrap()) else { continue };
            assert_eq!(rendered.is_valid(&value), original.is_valid(&value), "{}", path.display());
            compared += 1;
        }
    }
    assert!(compared > 150, "only {compared} fixtures compared");
}

/// A message type's tag is written once, on its `family!` line; the doc comment on its tag
/// field says it in prose ("Always `health_score`."), and this holds the prose to the registry:
/// every `const` of the tag in the type's schema (following `$ref`s) says exactly that, or
/// nothing (the media arrays' first element).
#[test]
fn tag_fields_say_the_registry_tag() {
    fn tag_schemas<'a>(schema: &'a Value, defs: &'a Value, tag: &str, depth: usize, found: &mut Vec<&'a Value>) {
        match schema {
            Value::Object(map) => {
                if map.get("const").and_then(Value::as_str) == Some(tag) && map.get("type") == Some(&"string".into()) {
                    found.push(schema);
                }
                if let Some(target) = map.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix("#/$defs/")) {
                    if depth < 3 {
                        tag_schemas(&defs[target], defs, tag, depth + 1, found);
                    }
                }
                for value in map.values() {
                    tag_schemas(value, defs, tag, depth, found);
                }
            }
            Value::Array(items) => items.iter().for_each(|item| tag_schemas(item, defs, tag, depth, found)),
            _ => {}
        }
    }
    let bundle = checked_in_schema(eventwire::schema::BUNDLE_FILE);
    for kind in eventwire::registry::kinds() {
        let mut found = Vec::new();
        tag_schemas(&bundle["$defs"][kind.type_name], &bundle["$defs"], kind.tag, 0, &mut found);
        assert!(!found.is_empty(), "{}: no `const` of its tag {:?}", kind.type_name, kind.tag);
        for schema in found {
            let description = schema.get("description").and_then(Value::as_str);
            let expected = format!("Always `{}`.", kind.tag);
            assert!(
                description.is_none_or(|text| text == expected),
                "{}: the tag field says {description:?}, not {expected:?}",
                kind.type_name
            );
        }
    }
}
