//! Schema → runtime type guard. A guard checks every keyword of the schema with JSON Schema's
//! meaning (a keyword about strings says nothing about a number, `oneOf` means exactly one), so
//! `isX(value)` is true exactly when the schema accepts `value`.

use super::{Context, literal};
use crate::Error;
use crate::node::{Additional, ArrayRules, JsonType, Node, ObjectRules};

/// `export function isName(value: unknown): value is Name { … }`.
pub(crate) fn definition(name: &str, node: &Node, context: &mut Context) -> Result<String, Error> {
    let body = match super::types::dispatch(node) {
        Some(dispatch) => dispatch_chain(&dispatch, context, name)?,
        None => {
            let checks = conjuncts(node, "value", context, name)?;
            if checks.is_empty() { "true".to_owned() } else { checks.join(" &&\n    ") }
        }
    };
    Ok(format!(
        "/** Whether `value` is a valid {{@link {name}}}: every rule of its schema is checked. */\n\
         export function is{name}(value: unknown): value is {name} {{\n  return (\n    {body}\n  );\n}}\n"
    ))
}

/// A family union: the first condition that holds picks the type to check. Exact because a
/// dispatch's conditions exclude each other (each fixes the tag to its own constant), so at
/// most one `then` ever applies; `anyOf` of the same conditions makes "none" invalid.
fn dispatch_chain(dispatch: &[(&Node, &str)], context: &mut Context, owner: &str) -> Result<String, Error> {
    let mut text = String::new();
    for (condition, target) in dispatch {
        let condition = all(conditions(condition, "value", context, owner)?);
        context.use_guard(target);
        text.push_str(&format!("{} ? is{target}(value) :\n    ", parenthesized(condition)));
    }
    text.push_str("false");
    Ok(text)
}

/// The checks of a condition (`if`, or a dispatch's tag test): as [`conjuncts`], but an open
/// object's further keys are not checked, since no type is promised from them.
fn conditions(node: &Node, x: &str, context: &mut Context, owner: &str) -> Result<Vec<String>, Error> {
    let outer = std::mem::replace(&mut context.in_condition, true);
    let checks = conjuncts(node, x, context, owner);
    context.in_condition = outer;
    checks
}

/// The checks of `node` on the expression `x`, all of which must hold. `owner` names the
/// definition (for pattern constants).
pub(crate) fn conjuncts(node: &Node, x: &str, context: &mut Context, owner: &str) -> Result<Vec<String>, Error> {
    if node.never {
        return Ok(vec!["false".into()]);
    }
    let mut checks = Vec::new();
    if let Some(name) = &node.reference {
        context.use_guard(name);
        checks.push(format!("is{name}({x})"));
    }
    if let Some(constant) = &node.constant {
        if constant.is_object() || constant.is_array() {
            return Err(Error::Unsupported { at: owner.into(), what: "a `const` object or array".into() });
        }
        checks.push(format!("{x} === {}", literal(constant)));
    }
    match &node.types {
        // A constant has one type: `type` adds nothing, or rules out the constant.
        Some(types) if node.constant.is_some() => {
            let constant = node.constant.as_ref().expect("checked");
            if !types.iter().any(|t| t.admits(constant)) {
                checks.push("false".into());
            }
        }
        Some(types) if types.len() == 1 => checks.extend(typed(types[0], node, x, context, owner)?),
        Some(types) => {
            let alternatives =
                types.iter().map(|t| typed(*t, node, x, context, owner)).collect::<Result<Vec<_>, _>>()?;
            checks.push(any(alternatives.into_iter().map(all).collect()));
        }
        None => checks.extend(untyped_rules(node, x, context, owner)?),
    }
    if !node.one_of.is_empty() {
        checks.push(one_of(&node.one_of, x, context, owner)?);
    }
    if !node.any_of.is_empty() {
        let alternatives =
            node.any_of.iter().map(|m| conjuncts(m, x, context, owner).map(all)).collect::<Result<_, _>>()?;
        checks.push(any(alternatives));
    }
    for member in &node.all_of {
        checks.extend(conjuncts(member, x, context, owner)?);
    }
    if let Some(not) = &node.not {
        checks.push(format!("!{}", parenthesized(all(conjuncts(not, x, context, owner)?))));
    }
    if let Some(conditional) = &node.conditional {
        let condition = all(conditions(&conditional.condition, x, context, owner)?);
        let branch = |branch: Option<&Node>, context: &mut Context| match branch {
            Some(branch) => conjuncts(branch, x, context, owner).map(all),
            None => Ok("true".to_owned()),
        };
        let then = branch(conditional.then.as_ref(), context)?;
        let otherwise = branch(conditional.otherwise.as_ref(), context)?;
        checks.push(format!("({} ? {} : {})", parenthesized(condition), parenthesized(then), parenthesized(otherwise)));
    }
    Ok(checks)
}

/// `oneOf`: a disjunction when the alternatives are distinct constants, else "exactly one".
fn one_of(alternatives: &[Node], x: &str, context: &mut Context, owner: &str) -> Result<String, Error> {
    let checks =
        alternatives.iter().map(|m| conjuncts(m, x, context, owner).map(all)).collect::<Result<Vec<_>, _>>()?;
    let distinct_constants = alternatives.iter().all(|m| m.constant.is_some() && m.reference.is_none());
    if distinct_constants {
        return Ok(any(checks));
    }
    context.use_helpers(["exactlyOne"]);
    Ok(format!("exactlyOne({})", checks.join(", ")))
}

/// The checks of one JSON type with the keywords that apply to it.
fn typed(json_type: JsonType, node: &Node, x: &str, context: &mut Context, owner: &str) -> Result<Vec<String>, Error> {
    let mut checks = vec![type_test(json_type, x, context)];
    match json_type {
        JsonType::String => checks.extend(string_rules(node, x, context, owner)),
        JsonType::Number | JsonType::Integer => checks.extend(number_rules(node, x)),
        JsonType::Object => {
            if let Some(object) = &node.object {
                checks.extend(object_rules(object, x, context, owner, true)?);
            }
        }
        JsonType::Array => {
            if let Some(array) = &node.array {
                checks.extend(array_rules(array, x, context, owner)?);
            }
        }
        JsonType::Boolean | JsonType::Null => {}
    }
    Ok(checks)
}

/// Without `type`, each group of keywords applies only to values of its type.
fn untyped_rules(node: &Node, x: &str, context: &mut Context, owner: &str) -> Result<Vec<String>, Error> {
    let mut checks = Vec::new();
    let strings = string_rules(node, x, context, owner);
    if !strings.is_empty() {
        checks.push(format!("(typeof {x} !== \"string\" || {})", all(strings)));
    }
    let numbers = number_rules(node, x);
    if !numbers.is_empty() {
        checks.push(format!("(typeof {x} !== \"number\" || {})", all(numbers)));
    }
    if let Some(object) = &node.object {
        let rules = object_rules(object, x, context, owner, false)?;
        if !rules.is_empty() {
            context.use_helpers(["isObject"]);
            checks.push(format!("(!isObject({x}) || {})", all(rules)));
        }
    }
    if let Some(array) = &node.array {
        let rules = array_rules(array, x, context, owner)?;
        if !rules.is_empty() {
            context.use_helpers(["isArray"]);
            checks.push(format!("(!isArray({x}) || {})", all(rules)));
        }
    }
    Ok(checks)
}

fn type_test(json_type: JsonType, x: &str, context: &mut Context) -> String {
    match json_type {
        JsonType::String => format!("typeof {x} === \"string\""),
        JsonType::Number => {
            context.use_helpers(["isNumber"]);
            format!("isNumber({x})")
        }
        JsonType::Integer => {
            context.use_helpers(["isInteger"]);
            format!("isInteger({x})")
        }
        JsonType::Boolean => format!("typeof {x} === \"boolean\""),
        JsonType::Null => format!("{x} === null"),
        JsonType::Object => {
            context.use_helpers(["isObject"]);
            format!("isObject({x})")
        }
        JsonType::Array => {
            context.use_helpers(["isArray"]);
            format!("isArray({x})")
        }
    }
}

fn string_rules(node: &Node, x: &str, context: &mut Context, owner: &str) -> Vec<String> {
    let mut checks = Vec::new();
    match node.min_length {
        None | Some(0) => {}
        // A string has at least one UTF-16 unit exactly when it has at least one code point.
        Some(1) => checks.push(format!("{x}.length >= 1")),
        Some(n) => {
            context.use_helpers(["codePointLength"]);
            checks.push(format!("codePointLength({x}) >= {n}"));
        }
    }
    if let Some(pattern) = &node.pattern {
        let constant = context.pattern_constant(owner, pattern);
        checks.push(format!("{constant}.test({x})"));
    }
    checks
}

fn number_rules(node: &Node, x: &str) -> Vec<String> {
    let bound = |value: f64| serde_json::Number::from_f64(value).map_or_else(|| value.to_string(), |n| trim_number(&n));
    node.minimum
        .map(|min| format!("{x} >= {}", bound(min)))
        .into_iter()
        .chain(node.maximum.map(|max| format!("{x} <= {}", bound(max))))
        .collect()
}

/// `0.0` → `0`: whole bounds read the way people write them.
fn trim_number(number: &serde_json::Number) -> String {
    let text = number.to_string();
    text.strip_suffix(".0").map_or(text.clone(), str::to_owned)
}

/// `typed`: the schema says `type: object`, so its TypeScript type promises JSON values under
/// further keys of an open object, and the guard checks them.
fn object_rules(
    object: &ObjectRules,
    x: &str,
    context: &mut Context,
    owner: &str,
    typed: bool,
) -> Result<Vec<String>, Error> {
    let mut checks = Vec::new();
    let known: Vec<String> = object.properties.iter().map(|(key, _)| literal(&key.as_str().into())).collect();
    for required in object.required.iter().filter(|key| !object.properties.iter().any(|(k, _)| k == *key)) {
        context.use_helpers(["hasOwn"]);
        checks.push(format!("hasOwn({x}, {})", literal(&required.as_str().into())));
    }
    for (key, property) in &object.properties {
        let access = member(x, key);
        let rules = conjuncts(property, &access, context, owner)?;
        context.use_helpers(["hasOwn"]);
        let present = format!("hasOwn({x}, {})", literal(&key.as_str().into()));
        if object.is_required(key) {
            checks.push(present);
            checks.extend(rules);
        } else if !rules.is_empty() {
            checks.push(format!("(!{present} || {})", all(rules)));
        }
    }
    let keys = format!("[{}]", known.join(", "));
    match &object.additional {
        Additional::Closed => {
            context.use_helpers(["hasOnlyKeys"]);
            checks.push(format!("hasOnlyKeys({x}, {keys})"));
        }
        Additional::Open if !typed || context.in_condition => {}
        Additional::Open => {
            context.use_helpers(["everyOtherValue"]);
            context.use_guard("JsonValue");
            checks.push(format!("everyOtherValue({x}, {keys}, isJsonValue)"));
        }
        Additional::Schema(values) => {
            context.use_helpers(["everyOtherValue"]);
            let rules = conjuncts(values, "member", context, owner)?;
            checks.push(format!("everyOtherValue({x}, {keys}, (member) => {})", all(rules)));
        }
    }
    if let Some(names) = &object.property_names {
        let rules = conjuncts(names, "key", context, owner)?;
        if !rules.is_empty() {
            checks.push(format!("Object.keys({x}).every((key) => {})", all(rules)));
        }
    }
    Ok(checks)
}

fn array_rules(array: &ArrayRules, x: &str, context: &mut Context, owner: &str) -> Result<Vec<String>, Error> {
    let mut checks = Vec::new();
    if let Some(items) = array.tuple() {
        checks.push(format!("{x}.length === {}", items.len()));
        for (i, item) in items.iter().enumerate() {
            checks.extend(conjuncts(item, &format!("{x}[{i}]"), context, owner)?);
        }
        return Ok(checks);
    }
    checks.extend(array.min_items.map(|n| format!("{x}.length >= {n}")));
    checks.extend(array.max_items.map(|n| format!("{x}.length <= {n}")));
    for (i, item) in array.prefix_items.iter().enumerate() {
        let rules = conjuncts(item, &format!("{x}[{i}]"), context, owner)?;
        if !rules.is_empty() {
            checks.push(format!("({x}.length <= {i} || {})", all(rules)));
        }
    }
    if let Some(items) = &array.items {
        let rules = conjuncts(items, "item", context, owner)?;
        if !rules.is_empty() {
            let skip = array.prefix_items.len();
            let check = if skip == 0 {
                format!("{x}.every((item) => {})", all(rules))
            } else {
                format!("{x}.every((item, index) => index < {skip} || {})", parenthesized(all(rules)))
            };
            checks.push(check);
        }
    }
    Ok(checks)
}

/// `x["key"]`: element access, which every compiler setting accepts on an index signature.
fn member(x: &str, key: &str) -> String {
    format!("{x}[{}]", literal(&key.into()))
}

fn all(checks: Vec<String>) -> String {
    match checks.len() {
        0 => "true".to_owned(),
        1 => checks.into_iter().next().expect("one"),
        _ => checks.join(" && "),
    }
}

fn any(alternatives: Vec<String>) -> String {
    match alternatives.len() {
        0 => "false".to_owned(),
        1 => alternatives.into_iter().next().expect("one"),
        _ => format!("({})", alternatives.join(" || ")),
    }
}

/// Wraps an expression that has operators at its top level.
fn parenthesized(expression: String) -> String {
    let simple = !expression.contains(' ')
        || (expression.starts_with('(') && expression.ends_with(')') && balanced_outer(&expression));
    if simple { expression } else { format!("({expression})") }
}

/// Whether the opening parenthesis at the start closes at the very end.
fn balanced_outer(expression: &str) -> bool {
    let mut depth = 0;
    for (i, c) in expression.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 && i != expression.len() - 1 {
                    return false;
                }
            }
            _ => {}
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::{Value, json};

    use super::*;

    fn guard(schema: Value) -> String {
        let definitions = BTreeMap::new();
        let homes = BTreeMap::new();
        let mut context = Context::for_tests(&definitions, &homes);
        all(conjuncts(&Node::parse(&schema, "").unwrap(), "x", &mut context, "T").unwrap())
    }

    #[test]
    fn references_call_the_referenced_guard() {
        assert_eq!(guard(json!({ "$ref": "#/$defs/Id", "description": "d" })), "isId(x)");
    }

    #[test]
    fn strings_check_length_in_code_points_and_pattern() {
        assert_eq!(guard(json!({ "type": "string", "minLength": 1 })), "typeof x === \"string\" && x.length >= 1");
        assert_eq!(
            guard(json!({ "type": "string", "minLength": 8, "pattern": "^a+$" })),
            "typeof x === \"string\" && codePointLength(x) >= 8 && T_PATTERN.test(x)"
        );
    }

    #[test]
    fn numbers_are_finite_and_integers_whole() {
        assert_eq!(guard(json!({ "type": "number", "minimum": 0.0, "maximum": 1 })), "isNumber(x) && x >= 0 && x <= 1");
        assert_eq!(guard(json!({ "type": "integer", "minimum": -1.5 })), "isInteger(x) && x >= -1.5");
    }

    #[test]
    fn rules_of_one_type_do_not_constrain_the_other_types() {
        assert_eq!(guard(json!({ "type": ["number", "null"], "minimum": 0 })), "(isNumber(x) && x >= 0 || x === null)");
        assert_eq!(guard(json!({ "minimum": 0 })), "(typeof x !== \"number\" || x >= 0)");
    }

    #[test]
    fn constants_and_enumerations() {
        assert_eq!(guard(json!({ "type": "string", "const": "a" })), "x === \"a\"");
        assert_eq!(guard(json!({ "type": "number", "const": "a" })), "x === \"a\" && false");
        assert_eq!(guard(json!({ "type": "integer", "const": 2.0 })), "x === 2.0");
        assert_eq!(guard(json!({ "oneOf": [{ "const": "a" }, { "const": "b" }] })), "(x === \"a\" || x === \"b\")");
    }

    #[test]
    fn one_of_means_exactly_one_and_any_of_at_least_one() {
        assert_eq!(
            guard(json!({ "oneOf": [{ "$ref": "#/$defs/A" }, { "$ref": "#/$defs/B" }] })),
            "exactlyOne(isA(x), isB(x))"
        );
        assert_eq!(guard(json!({ "anyOf": [{ "$ref": "#/$defs/A" }, { "type": "null" }] })), "(isA(x) || x === null)");
    }

    #[test]
    fn closed_objects_check_required_optional_and_unknown_keys() {
        let text = guard(json!({
            "type": "object", "additionalProperties": false, "required": ["a"],
            "properties": { "a": { "$ref": "#/$defs/A" }, "b": { "type": "boolean" } }
        }));
        assert_eq!(
            text,
            "isObject(x) && hasOwn(x, \"a\") && isA(x[\"a\"]) && (!hasOwn(x, \"b\") || typeof x[\"b\"] === \"boolean\") && hasOnlyKeys(x, [\"a\", \"b\"])"
        );
    }

    #[test]
    fn open_objects_accept_further_json_values_and_maps_check_every_entry() {
        let open = guard(json!({ "type": "object", "properties": { "m": { "type": "string" } }, "required": ["m"] }));
        assert!(open.ends_with("everyOtherValue(x, [\"m\"], isJsonValue)"), "{open}");
        let map = guard(json!({
            "type": "object", "additionalProperties": { "$ref": "#/$defs/Counts" }, "propertyNames": { "$ref": "#/$defs/Id" }
        }));
        assert_eq!(
            map,
            "isObject(x) && everyOtherValue(x, [], (member) => isCounts(member)) && Object.keys(x).every((key) => isId(key))"
        );
    }

    #[test]
    fn arrays_check_items_and_tuples_their_length() {
        assert_eq!(
            guard(json!({ "type": "array", "items": { "$ref": "#/$defs/A" } })),
            "isArray(x) && x.every((item) => isA(item))"
        );
        assert_eq!(
            guard(json!({ "type": "array", "prefixItems": [{ "const": "a" }, true], "minItems": 2, "maxItems": 2 })),
            "isArray(x) && x.length === 2 && x[0] === \"a\""
        );
    }

    #[test]
    fn a_tag_dispatch_checks_the_type_its_tag_selects() {
        let condition =
            |tag: &str| json!({ "type": "object", "required": ["type"], "properties": { "type": { "const": tag } } });
        let schema = json!({
            "anyOf": [condition("a"), condition("b")],
            "allOf": [
                { "if": condition("a"), "then": { "$ref": "#/$defs/A" } },
                { "if": condition("b"), "then": { "$ref": "#/$defs/B" } }
            ]
        });
        let definitions = BTreeMap::new();
        let homes = BTreeMap::new();
        let mut context = Context::for_tests(&definitions, &homes);
        let text = definition("T", &Node::parse(&schema, "").unwrap(), &mut context).unwrap();
        assert!(
            text.contains(
                "(isObject(value) && hasOwn(value, \"type\") && value[\"type\"] === \"a\") ? isA(value) :\n    \
                 (isObject(value) && hasOwn(value, \"type\") && value[\"type\"] === \"b\") ? isB(value) :\n    false"
            ),
            "{text}"
        );
    }

    #[test]
    fn not_and_conditionals() {
        assert_eq!(guard(json!({ "not": { "type": "null" } })), "!(x === null)");
        assert_eq!(
            guard(json!({
                "if": { "properties": { "s": { "const": "done" } } },
                "then": { "properties": { "f": { "const": true } } },
                "else": { "properties": { "f": { "const": false } } }
            })),
            "((!isObject(x) || (!hasOwn(x, \"s\") || x[\"s\"] === \"done\")) ? \
             (!isObject(x) || (!hasOwn(x, \"f\") || x[\"f\"] === true)) : \
             (!isObject(x) || (!hasOwn(x, \"f\") || x[\"f\"] === false)))"
        );
        assert_eq!(guard(json!(false)), "false");
        assert_eq!(guard(json!(true)), "true");
    }
}
