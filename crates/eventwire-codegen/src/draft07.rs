//! The schema rendered as JSON Schema draft-07, for tools that read that draft best (typify,
//! which the tests use as an independent oracle).
//!
//! The rendering keeps what a message may be, with draft-07 words: `$defs` become
//! `definitions`, `prefixItems` the array form of `items`, and a family union's tag dispatch
//! (`anyOf` of tag conditions plus one `if`/`then` per type) becomes `oneOf` of the same
//! `$ref`s, which says the same thing because each type fixes its own tag.

use serde_json::{Map, Value, json};

use crate::Error;

/// The draft-07 meta-schema.
pub const DRAFT_07: &str = "http://json-schema.org/draft-07/schema#";

/// `document` (draft 2020-12, as `eventwire::schema` emits it) in draft-07.
pub fn render(document: &Value) -> Result<Value, Error> {
    let mut rendered = convert(document, "#")?;
    if let Value::Object(root) = &mut rendered {
        root.insert("$schema".into(), DRAFT_07.into());
    }
    Ok(rendered)
}

fn convert(schema: &Value, at: &str) -> Result<Value, Error> {
    match schema {
        Value::Object(keywords) => convert_object(keywords, at).map(Value::Object),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, item)| convert(item, &format!("{at}/{i}")))
            .collect::<Result<_, _>>()
            .map(Value::Array),
        other => Ok(other.clone()),
    }
}

fn convert_object(keywords: &Map<String, Value>, at: &str) -> Result<Map<String, Value>, Error> {
    let dispatch = dispatch_targets(keywords);
    let mut out = Map::new();
    for (keyword, value) in keywords {
        let here = format!("{at}/{keyword}");
        match keyword.as_str() {
            "anyOf" | "allOf" if dispatch.is_some() => {}
            "$defs" => {
                out.insert("definitions".into(), convert(value, &here)?);
            }
            "$ref" => {
                let reference = value.as_str().unwrap_or_default();
                let local = reference
                    .strip_prefix("#/$defs/")
                    .ok_or_else(|| Error::UnresolvedReference { at: here.clone(), reference: reference.to_owned() })?;
                out.insert("$ref".into(), format!("#/definitions/{local}").into());
            }
            "prefixItems" => {
                out.insert("items".into(), convert(value, &here)?);
                let closed = keywords.get("maxItems").and_then(Value::as_u64)
                    == value.as_array().map(|items| items.len() as u64);
                match keywords.get("items") {
                    Some(rest) => {
                        out.insert("additionalItems".into(), convert(rest, &format!("{at}/items"))?);
                    }
                    None if closed => {
                        out.insert("additionalItems".into(), false.into());
                    }
                    None => {}
                }
            }
            "items" if keywords.contains_key("prefixItems") => {}
            _ => {
                out.insert(keyword.clone(), convert(value, &here)?);
            }
        }
    }
    if let Some(targets) = dispatch {
        let references: Vec<Value> =
            targets.iter().map(|name| json!({ "$ref": format!("#/definitions/{name}") })).collect();
        out.insert("oneOf".into(), references.into());
    }
    Ok(out)
}

/// A family union's targets: `anyOf` of conditions and `allOf` of `{if, then: {$ref}}` only.
fn dispatch_targets(keywords: &Map<String, Value>) -> Option<Vec<String>> {
    let branches = keywords.get("allOf")?.as_array()?;
    let conditions = keywords.get("anyOf")?.as_array()?;
    if branches.len() != conditions.len() {
        return None;
    }
    branches
        .iter()
        .zip(conditions)
        .map(|(branch, condition)| {
            let branch = branch.as_object()?;
            let only_if_then = branch.len() == 2 && branch.get("if") == Some(condition);
            let reference = branch.get("then")?.as_object()?.get("$ref")?.as_str()?;
            only_if_then.then(|| reference.strip_prefix("#/$defs/").map(str::to_owned)).flatten()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definitions_and_references_use_draft_07_names() {
        let document = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$ref": "#/$defs/A",
            "$defs": { "A": { "type": "object", "properties": { "b": { "$ref": "#/$defs/B" } } }, "B": { "type": "string" } }
        });
        assert_eq!(
            render(&document).unwrap(),
            json!({
                "$schema": DRAFT_07,
                "$ref": "#/definitions/A",
                "definitions": { "A": { "type": "object", "properties": { "b": { "$ref": "#/definitions/B" } } }, "B": { "type": "string" } }
            })
        );
    }

    #[test]
    fn tuples_become_item_arrays_closed_by_additional_items() {
        let tuple = json!({ "type": "array", "prefixItems": [{ "const": "a" }, true], "minItems": 2, "maxItems": 2 });
        assert_eq!(render(&tuple).unwrap()["items"], json!([{ "const": "a" }, true]),);
        assert_eq!(render(&tuple).unwrap()["additionalItems"], json!(false));
        let open = json!({ "type": "array", "prefixItems": [true], "items": { "type": "string" } });
        assert_eq!(render(&open).unwrap()["additionalItems"], json!({ "type": "string" }));
    }

    #[test]
    fn a_tag_dispatch_becomes_one_of_the_same_references() {
        let condition =
            |tag: &str| json!({ "type": "object", "required": ["type"], "properties": { "type": { "const": tag } } });
        let union = json!({
            "description": "d",
            "anyOf": [condition("a"), condition("b")],
            "allOf": [
                { "if": condition("a"), "then": { "$ref": "#/$defs/A" } },
                { "if": condition("b"), "then": { "$ref": "#/$defs/B" } }
            ]
        });
        assert_eq!(
            render(&union).unwrap(),
            json!({ "description": "d", "oneOf": [{ "$ref": "#/definitions/A" }, { "$ref": "#/definitions/B" }], "$schema": DRAFT_07 })
        );
    }

    #[test]
    fn other_all_of_and_any_of_are_kept() {
        let schema = json!({ "anyOf": [{ "type": "null" }], "allOf": [{ "if": true, "then": { "$ref": "#/$defs/A" }, "else": false }] });
        let rendered = render(&schema).unwrap();
        assert!(rendered.get("oneOf").is_none() && rendered.get("anyOf").is_some() && rendered.get("allOf").is_some());
    }

    #[test]
    fn foreign_references_are_refused() {
        assert!(render(&json!({ "$ref": "other.json#/x" })).is_err());
    }
}
