/// Shapes of the draft-07 rendering that typify cannot express, removed from its input before
/// it runs: `(JSON Pointer of the schema, keywords removed there, reason)`. The oracle's tests
/// check that each one is there to remove and that typify fails when it is left in.
pub const UNEXPRESSIBLE: &[(&str, &[&str], &str)] = &[
    (
        "/definitions/ResponseUpdate",
        &["if", "then", "else"],
        "typify 0.8 panics on if/then/else (merge::try_merge_with_subschemas); \
         lost: `final_message` is true exactly when `status` is `completed`",
    ),
    (
        "/definitions/Test/properties/data",
        &["not"],
        "typify 0.8 has no mapping for `not` of a type (\"unhandled not schema\" panic); \
         lost: `test.data` may not be null",
    ),
];

/// `document` as typify is given it: the same schemas in words typify maps faithfully, and
/// without the [`UNEXPRESSIBLE`] shapes. Two rewrites, each meaning exactly what it replaces:
/// - `"const": x` as `"enum": [x]`: typify reads `const` as a plain `String`, which would let a
///   `pong` pass as a `ping` in an untagged enum; a one-value `enum` only accepts that value.
/// - an object with `properties` and no `additionalProperties` gets `"additionalProperties": {}`:
///   typify drops unlisted keys of an open object, and keeps them (flattened) with `{}`.
pub fn for_typify(document: serde_json::Value) -> serde_json::Value {
    without_unexpressible(typify_words(document))
}

/// The two rewrites of [`for_typify`], everywhere in `document`.
pub fn typify_words(document: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match document {
        Value::Object(keywords) => {
            let open = keywords.contains_key("properties") && !keywords.contains_key("additionalProperties");
            let mut rewritten: serde_json::Map<String, Value> = keywords
                .into_iter()
                .map(|(keyword, value)| match keyword.as_str() {
                    "const" => ("enum".to_owned(), Value::Array(vec![value])),
                    _ => (keyword, typify_words(value)),
                })
                .collect();
            if open {
                rewritten.insert("additionalProperties".to_owned(), Value::Object(serde_json::Map::new()));
            }
            Value::Object(rewritten)
        }
        Value::Array(items) => Value::Array(items.into_iter().map(typify_words).collect()),
        other => other,
    }
}

/// `document` without the [`UNEXPRESSIBLE`] shapes.
pub fn without_unexpressible(mut document: serde_json::Value) -> serde_json::Value {
    for (pointer, keywords, _) in UNEXPRESSIBLE {
        if let Some(schema) = document.pointer_mut(pointer).and_then(serde_json::Value::as_object_mut) {
            for keyword in *keywords {
                schema.remove(*keyword);
            }
        }
    }
    document
}
