//! Schema → TypeScript type. What TypeScript cannot say (ranges, lengths, patterns, `not`) is
//! left to the guards and stated in the doc comments, never widened to `any`.

use std::fmt::Write as _;

use serde_json::Value;

use super::{Context, doc_comment, literal, property_key};
use crate::Error;
use crate::node::{Additional, ArrayRules, Conditional, JsonType, Node, ObjectRules};

/// `export type Name = …;` with the definition's documentation.
pub(crate) fn definition(name: &str, node: &Node, context: &mut Context) -> Result<String, Error> {
    let mut doc = node.description.clone().unwrap_or_default();
    if let Some(members) = documented_constants(node) {
        doc.push('\n');
        for (value, description) in members {
            let _ =
                write!(doc, "\n- `{}`: {description}", value.as_str().map_or_else(|| literal(value), str::to_owned));
        }
    }
    let text = type_of(node, context, "")?;
    Ok(format!("{}export type {name} = {text};\n", doc_comment(Some(&doc), "")))
}

/// The members of an enumeration written as `oneOf` of described constants.
fn documented_constants(node: &Node) -> Option<Vec<(&Value, &str)>> {
    if node.one_of.is_empty() {
        return None;
    }
    node.one_of.iter().map(|member| Some((member.constant.as_ref()?, member.description.as_deref()?))).collect()
}

/// The TypeScript type of `node`; `indent` is the indentation of the line it starts on.
pub(crate) fn type_of(node: &Node, context: &mut Context, indent: &str) -> Result<String, Error> {
    if node.never {
        return Ok("never".into());
    }
    if let Some(dispatch) = dispatch(node) {
        return Ok(union(dispatch.iter().map(|(_, name)| reference(name, context)).collect()));
    }
    let mut parts = Vec::new();
    if let Some(name) = &node.reference {
        parts.push(reference(name, context));
    }
    if let Some(constant) = &node.constant {
        parts.push(constant_type(constant)?);
    } else if let Some(types) = &node.types {
        let alternatives = types.iter().map(|t| json_type(*t, node, context, indent)).collect::<Result<_, _>>()?;
        parts.push(union(alternatives));
    }
    for alternatives in [&node.one_of, &node.any_of] {
        if !alternatives.is_empty() {
            let members =
                alternatives.iter().map(|member| type_of(member, context, indent)).collect::<Result<_, _>>()?;
            parts.push(union(members));
        }
    }
    for member in node.all_of.iter().filter(|member| !is_only_conditional(member)) {
        parts.push(type_of(member, context, indent)?);
    }
    if let Some(conditional) = &node.conditional
        && let Some(split) = conditional_split(node, conditional, context, indent)?
    {
        parts.push(split);
    }
    if parts.is_empty() {
        context.use_type("JsonValue");
        // TypeScript has no negated types, but "any JSON value except these types" it can say.
        return Ok(match node.not.as_deref().filter(|not| only_types(not)).and_then(|not| not.types.as_ref()) {
            Some(excluded) => {
                let excluded: Vec<&str> = excluded.iter().map(|t| primitive_name(*t)).collect();
                format!("Exclude<JsonValue, {}>", excluded.join(" | "))
            }
            None => "JsonValue".into(),
        });
    }
    Ok(intersection(parts))
}

fn reference(name: &str, context: &mut Context) -> String {
    context.use_type(name);
    name.to_owned()
}

/// A family union: `anyOf` of tag conditions and one `if`/`then: {$ref}` per message type, as
/// `(condition, target)` pairs. Its type is the union of the targets.
pub(crate) fn dispatch(node: &Node) -> Option<Vec<(&Node, &str)>> {
    if node.all_of.is_empty() || !node.all_of.iter().all(is_only_conditional) {
        return None;
    }
    let mut pairs = Vec::new();
    for member in &node.all_of {
        let conditional = member.conditional.as_deref()?;
        let then = conditional.then.as_ref()?;
        if conditional.otherwise.is_some() || !only_reference(then) {
            return None;
        }
        pairs.push((&conditional.condition, then.reference.as_deref()?));
    }
    // Sound only when some condition must hold (then one of the targets applies), and when the
    // conditions differ (so that one value selects one target).
    let covered = node.any_of.len() == pairs.len() && node.any_of.iter().zip(&pairs).all(|(a, (c, _))| a == *c);
    let distinct = pairs.iter().enumerate().all(|(i, (c, _))| pairs[..i].iter().all(|(earlier, _)| earlier != c));
    (covered && distinct).then_some(pairs)
}

fn is_only_conditional(node: &Node) -> bool {
    node.conditional.is_some() && node.is_any_without(|n| n.conditional = None)
}

fn only_reference(node: &Node) -> bool {
    node.reference.is_some() && node.is_any_without(|n| n.reference = None)
}

fn only_types(node: &Node) -> bool {
    node.types.is_some() && node.is_any_without(|n| n.types = None)
}

fn constant_type(constant: &Value) -> Result<String, Error> {
    match constant {
        Value::Object(_) | Value::Array(_) => {
            Err(Error::Unsupported { at: literal(constant), what: "a `const` object or array".into() })
        }
        scalar => Ok(literal(scalar)),
    }
}

fn primitive_name(json_type: JsonType) -> &'static str {
    match json_type {
        JsonType::String => "string",
        JsonType::Number | JsonType::Integer => "number",
        JsonType::Boolean => "boolean",
        JsonType::Null => "null",
        JsonType::Object => "JsonObject",
        JsonType::Array => "JsonValue[]",
    }
}

fn json_type(json_type: JsonType, node: &Node, context: &mut Context, indent: &str) -> Result<String, Error> {
    match (json_type, &node.object, &node.array) {
        (JsonType::Object, Some(object), _) => object_type(object, context, indent),
        (JsonType::Array, _, Some(array)) => array_type(array, context, indent),
        (JsonType::Object, None, _) => {
            context.use_type("JsonObject");
            Ok("JsonObject".into())
        }
        (JsonType::Array, _, None) => {
            context.use_type("JsonValue");
            Ok("JsonValue[]".into())
        }
        (other, _, _) => Ok(primitive_name(other).into()),
    }
}

fn object_type(object: &ObjectRules, context: &mut Context, indent: &str) -> Result<String, Error> {
    if object.properties.is_empty() {
        return match &object.additional {
            Additional::Schema(values) => {
                let key = match object.property_names.as_deref() {
                    Some(names) if only_reference(names) => {
                        reference(names.reference.as_deref().expect("checked"), context)
                    }
                    _ => "string".to_owned(),
                };
                Ok(format!("Record<{key}, {}>", type_of(values, context, indent)?))
            }
            Additional::Open => {
                context.use_type("JsonObject");
                Ok("JsonObject".into())
            }
            Additional::Closed => Ok("Record<string, never>".into()),
        };
    }
    let inner = format!("{indent}  ");
    let mut text = String::from("{\n");
    let mut property_types = Vec::new();
    for (key, property) in &object.properties {
        let optional = if object.is_required(key) { "" } else { "?" };
        let property_type = type_of(property, context, &inner)?;
        let _ = writeln!(
            text,
            "{}{inner}{}{optional}: {property_type};",
            doc_comment(property.description.as_deref(), &inner),
            property_key(key)
        );
        property_types.push(property_type);
    }
    // An index signature must admit the listed properties' types too, and `undefined` for the
    // optional ones.
    let further = match &object.additional {
        Additional::Closed => None,
        Additional::Open => Some(reference("JsonValue", context)),
        Additional::Schema(values) => {
            let values = type_of(values, context, &inner)?;
            property_types.insert(0, values.clone());
            Some(union(property_types))
        }
    };
    if let Some(further) = further {
        let optional = object.properties.iter().any(|(key, _)| !object.is_required(key));
        let undefined = if optional { " | undefined" } else { "" };
        let _ = writeln!(text, "{inner}/** Further keys. */\n{inner}[key: string]: {further}{undefined};");
    }
    text.push_str(indent);
    text.push('}');
    Ok(text)
}

fn array_type(array: &ArrayRules, context: &mut Context, indent: &str) -> Result<String, Error> {
    if let Some(items) = array.tuple() {
        let members = items.iter().map(|item| type_of(item, context, indent)).collect::<Result<Vec<_>, _>>()?;
        return Ok(format!("[{}]", members.join(", ")));
    }
    if !array.prefix_items.is_empty() {
        return Err(Error::Unsupported {
            at: "prefixItems".into(),
            what: "`prefixItems` other than a fixed-length tuple".into(),
        });
    }
    let items = match &array.items {
        Some(items) => type_of(items, context, indent)?,
        None => reference("JsonValue", context),
    };
    Ok(if items.contains(['|', '&']) { format!("({items})[]") } else { format!("{items}[]") })
}

/// `if: {properties: {P: {const: C}}}` with `then`/`else` that fix other properties to
/// constants, on an object whose `P` is required: the type splits into two alternatives, the
/// way `status`/`final_message` of a response update go together.
fn conditional_split<'a>(
    node: &'a Node,
    conditional: &'a Conditional,
    context: &mut Context,
    indent: &str,
) -> Result<Option<String>, Error> {
    let Some(object) = &node.object else { return Ok(None) };
    let Some((key, value)) = single_constant_property(&conditional.condition) else { return Ok(None) };
    let Some((_, property)) = object.properties.iter().find(|(k, _)| k == key) else { return Ok(None) };
    let fixed = |branch: Option<&'a Node>| branch.and_then(constant_properties);
    let (Some(then), Some(otherwise)) = (fixed(conditional.then.as_ref()), fixed(conditional.otherwise.as_ref()))
    else {
        return Ok(None);
    };
    if !object.is_required(key) {
        return Ok(None);
    }
    let property_type = type_of(property, context, indent)?;
    let key_text = property_key(key);
    let mut alternatives = Vec::new();
    for (tag, fixed) in [(literal(value), then), (format!("Exclude<{property_type}, {}>", literal(value)), otherwise)] {
        let mut fields = vec![format!("{key_text}: {tag}")];
        fields.extend(fixed.iter().map(|(k, v)| format!("{}: {}", property_key(k), literal(v))));
        alternatives.push(format!("{{ {} }}", fields.join("; ")));
    }
    Ok(Some(format!("(\n{indent}  | {}\n{indent})", alternatives.join(&format!("\n{indent}  | ")))))
}

/// `{properties: {key: {const: value}}}` and nothing else.
fn single_constant_property(node: &Node) -> Option<(&str, &Value)> {
    match constant_properties(node)?.as_slice() {
        [(key, value)] => Some((key, value)),
        _ => None,
    }
}

/// `{properties: {k: {const: v}, …}}` and nothing else: the `(k, v)` pairs.
fn constant_properties(node: &Node) -> Option<Vec<(&str, &Value)>> {
    let object = node.object.as_ref()?;
    let bare = node.is_any_without(|n| n.object = None)
        && object.required.is_empty()
        && object.additional == Additional::Open
        && object.property_names.is_none();
    if !bare {
        return None;
    }
    object
        .properties
        .iter()
        .map(|(key, property)| {
            let constant = property.constant.as_ref()?;
            property.is_any_without(|n| n.constant = None).then_some((key.as_str(), constant))
        })
        .collect()
}

fn union(members: Vec<String>) -> String {
    let mut unique: Vec<String> = Vec::new();
    for member in members {
        if !unique.contains(&member) {
            unique.push(member);
        }
    }
    unique.join(" | ")
}

fn intersection(parts: Vec<String>) -> String {
    if parts.len() == 1 {
        return parts.into_iter().next().expect("one part");
    }
    let wrapped: Vec<String> =
        parts.into_iter().map(|p| if has_top_level_union(&p) { format!("({p})") } else { p }).collect();
    wrapped.join(" & ")
}

/// Whether `|` separates alternatives at the outermost level of a type.
fn has_top_level_union(text: &str) -> bool {
    let mut depth = 0i32;
    let mut quoted = false;
    let mut previous = ' ';
    for c in text.chars() {
        match c {
            '"' if previous != '\\' => quoted = !quoted,
            '{' | '(' | '[' | '<' if !quoted => depth += 1,
            '}' | ')' | ']' | '>' if !quoted => depth -= 1,
            '|' if !quoted && depth == 0 => return true,
            _ => {}
        }
        previous = c;
    }
    false
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::json;

    use super::*;

    fn render(schema: Value) -> String {
        let definitions = BTreeMap::from([("Id".to_owned(), Node::default()), ("Item".to_owned(), Node::default())]);
        let homes = BTreeMap::from([("Id".to_owned(), "test"), ("Item".to_owned(), "test")]);
        let mut context = Context::for_tests(&definitions, &homes);
        type_of(&Node::parse(&schema, "").unwrap(), &mut context, "").unwrap()
    }

    #[test]
    fn primitives_and_nullable_types() {
        assert_eq!(render(json!({ "type": "string", "minLength": 1 })), "string");
        assert_eq!(render(json!({ "type": "integer", "minimum": 0 })), "number");
        assert_eq!(render(json!({ "type": ["number", "null"], "maximum": 1 })), "number | null");
        assert_eq!(render(json!({ "type": ["boolean", "null"] })), "boolean | null");
        assert_eq!(render(json!({ "anyOf": [{ "$ref": "#/$defs/Id" }, { "type": "null" }] })), "Id | null");
    }

    #[test]
    fn constants_are_literal_types_and_enumerations_literal_unions() {
        assert_eq!(render(json!({ "type": "string", "const": "ping" })), "\"ping\"");
        assert_eq!(render(json!({ "type": "boolean", "const": false })), "false");
        assert_eq!(render(json!({ "oneOf": [{ "const": "low" }, { "const": "high" }] })), "\"low\" | \"high\"");
    }

    #[test]
    fn closed_objects_list_their_properties_and_optional_ones_get_a_question_mark() {
        let text = render(json!({
            "type": "object", "additionalProperties": false, "required": ["a"],
            "properties": { "a": { "type": "string", "description": "The a." }, "b-c": { "type": ["number", "null"] } }
        }));
        assert_eq!(text, "{\n  /** The a. */\n  a: string;\n  \"b-c\"?: number | null;\n}");
    }

    #[test]
    fn open_objects_keep_further_keys_as_json_values() {
        let text = render(json!({ "type": "object", "required": ["m"], "properties": { "m": { "type": "string" } } }));
        assert!(text.ends_with("/** Further keys. */\n  [key: string]: JsonValue;\n}"), "{text}");
        let numbers = json!({
            "type": "object", "additionalProperties": { "type": "number" },
            "properties": { "a": { "type": "integer" }, "b": { "type": "string" } }, "required": ["a"]
        });
        assert!(render(numbers).ends_with("[key: string]: number | string | undefined;\n}"));
        assert_eq!(render(json!({ "type": ["object", "null"] })), "JsonObject | null");
    }

    #[test]
    fn maps_are_records_keyed_by_their_property_names() {
        let schema = json!({ "type": "object", "additionalProperties": { "$ref": "#/$defs/Item" }, "propertyNames": { "$ref": "#/$defs/Id" } });
        assert_eq!(render(schema), "Record<Id, Item>");
        assert_eq!(
            render(json!({ "type": "object", "additionalProperties": { "type": "integer" } })),
            "Record<string, number>"
        );
    }

    #[test]
    fn only_outer_unions_are_parenthesized_in_intersections() {
        assert!(has_top_level_union("A | B"));
        assert!(!has_top_level_union("{ a: A | B }"));
        assert!(!has_top_level_union("\"a|b\""));
        assert_eq!(intersection(vec!["A | B".into(), "{ c: C | D }".into()]), "(A | B) & { c: C | D }");
    }

    #[test]
    fn arrays_and_tuples() {
        assert_eq!(render(json!({ "type": "array", "items": { "$ref": "#/$defs/Item" } })), "Item[]");
        assert_eq!(render(json!({ "type": "array", "items": { "type": ["string", "null"] } })), "(string | null)[]");
        let tuple = json!({ "type": "array", "prefixItems": [{ "const": "audio_data" }, { "$ref": "#/$defs/Item" }], "minItems": 2, "maxItems": 2 });
        assert_eq!(render(tuple), "[\"audio_data\", Item]");
    }

    #[test]
    fn one_of_and_any_of_are_unions() {
        assert_eq!(render(json!({ "oneOf": [{ "$ref": "#/$defs/Id" }, { "$ref": "#/$defs/Item" }] })), "Id | Item");
        assert_eq!(
            render(json!({ "anyOf": [{ "type": "number", "minimum": 0 }, { "$ref": "#/$defs/Id" }] })),
            "number | Id"
        );
    }

    #[test]
    fn not_null_is_any_json_value_but_null() {
        assert_eq!(render(json!({ "not": { "type": "null" } })), "Exclude<JsonValue, null>");
        assert_eq!(render(json!({ "type": "string", "not": { "const": "subscription" } })), "string");
        assert_eq!(render(json!(true)), "JsonValue");
        assert_eq!(render(json!(false)), "never");
    }

    #[test]
    fn a_tag_dispatch_is_the_union_of_its_targets() {
        let condition =
            |tag: &str| json!({ "type": "object", "required": ["type"], "properties": { "type": { "const": tag } } });
        let schema = json!({
            "anyOf": [condition("a"), condition("b")],
            "allOf": [
                { "if": condition("a"), "then": { "$ref": "#/$defs/Id" } },
                { "if": condition("b"), "then": { "$ref": "#/$defs/Item" } }
            ]
        });
        assert_eq!(render(schema), "Id | Item");
    }

    #[test]
    fn a_constant_condition_splits_an_object_in_two() {
        let schema = json!({
            "type": "object", "required": ["status", "final"],
            "additionalProperties": false,
            "properties": { "status": { "oneOf": [{ "const": "done" }, { "const": "busy" }] }, "final": { "type": "boolean" } },
            "if": { "properties": { "status": { "const": "done" } } },
            "then": { "properties": { "final": { "const": true } } },
            "else": { "properties": { "final": { "const": false } } }
        });
        let text = render(schema);
        assert!(
            text.ends_with(
                "} & (\n  | { status: \"done\"; final: true }\n  | { status: Exclude<\"done\" | \"busy\", \"done\">; final: false }\n)"
            ),
            "{text}"
        );
    }

    #[test]
    fn unmapped_shapes_are_errors_not_any() {
        let definitions = BTreeMap::new();
        let homes = BTreeMap::new();
        let mut context = Context::for_tests(&definitions, &homes);
        let node = Node::parse(&json!({ "const": { "a": 1 } }), "").unwrap();
        assert!(type_of(&node, &mut context, "").is_err());
        let node = Node::parse(&json!({ "type": "array", "prefixItems": [true] }), "").unwrap();
        assert!(type_of(&node, &mut context, "").is_err());
    }
}
