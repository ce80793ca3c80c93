//! Shared helpers of the conformance tests: fixture discovery, the emitted schemas compiled once,
//! and the JSON mutations used by the serde-vs-schema agreement properties.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use eventwire::Family;
use serde_json::Value;

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ sits in the workspace").to_path_buf()
}

/// The checked-in schema file `name` (for example `health.json`), parsed.
pub fn checked_in_schema(name: &str) -> Value {
    let path = workspace_root().join("schema").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// The emitted schemas, compiled with the `jsonschema` crate (draft 2020-12).
pub struct Schemas {
    /// Accepts a message of any family.
    pub bundle: jsonschema::Validator,
    families: Vec<(Family, jsonschema::Validator)>,
}

impl Schemas {
    /// The validator of one family's schema file.
    pub fn family(&self, family: Family) -> &jsonschema::Validator {
        &self.families.iter().find(|(f, _)| *f == family).expect("every family has a schema").1
    }
}

fn compile(document: &Value) -> jsonschema::Validator {
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(document)
        .unwrap_or_else(|e| panic!("the emitted schema does not compile: {e}"))
}

/// The checked-in schemas, compiled once per test binary.
pub fn schemas() -> &'static Schemas {
    static SCHEMAS: OnceLock<Schemas> = OnceLock::new();
    SCHEMAS.get_or_init(|| Schemas {
        bundle: compile(&checked_in_schema(eventwire::schema::BUNDLE_FILE)),
        families: Family::ALL
            .into_iter()
            .map(|family| (family, compile(&checked_in_schema(&eventwire::schema::family_file(family)))))
            .collect(),
    })
}

/// What the schema says of a text: `None` when it is not JSON at all.
pub fn schema_verdict(text: &str) -> Option<bool> {
    let value: Value = serde_json::from_str(text).ok()?;
    Some(schemas().bundle.is_valid(&value))
}

/// The fixture names (`family/file.json`) listed in `tests/<file>`, without comments and blanks.
pub fn listed_fixtures(file: &str) -> Vec<String> {
    let path = workspace_root().join("tests").join(file);
    let list = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    list.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(str::to_owned).collect()
}

/// The family a fixture file belongs to, from its folder name.
pub fn fixture_family(path: &Path) -> Option<Family> {
    Family::from_name(path.parent()?.file_name()?.to_str()?)
}

/// A JSON value without the `null` members of objects, for comparing a message with its
/// re-serialization (an optional field given as `null` is written back absent).
pub fn without_null_members(value: &Value) -> Value {
    match value {
        Value::Object(object) => Value::Object(
            object.iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| (k.clone(), without_null_members(v))).collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_null_members).collect()),
        other => other.clone(),
    }
}

// ---------------------------------------------------------------------------------------------
// Mutations

/// A way to break (or try to break) a valid message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mutation {
    /// Remove one member of one object.
    DropField,
    /// Add a member no type declares, to one object.
    AddUnknownField,
    /// Replace one string with a value no enum, pattern or tag has.
    ChangeString,
    /// Move one number far out of any documented range.
    PushNumber,
    /// Replace one value with a value of another JSON type.
    SwapType,
    /// Misspell the message's tag.
    MisspellTag,
}

impl Mutation {
    /// Every mutation.
    pub const ALL: [Mutation; 6] = [
        Mutation::DropField,
        Mutation::AddUnknownField,
        Mutation::ChangeString,
        Mutation::PushNumber,
        Mutation::SwapType,
        Mutation::MisspellTag,
    ];
}

/// The member name [`Mutation::AddUnknownField`] adds.
pub const UNKNOWN_FIELD: &str = "zz_not_in_any_protocol";

/// JSON Pointers of every value in `value`, the root included.
fn pointers(value: &Value, at: String, out: &mut Vec<String>) {
    match value {
        Value::Object(object) => {
            for (key, child) in object {
                pointers(child, format!("{at}{}", pointer_token(key)), out);
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                pointers(child, format!("{at}/{index}"), out);
            }
        }
        _ => {}
    }
    out.push(at);
}

fn parent_and_key(pointer: &str) -> Option<(&str, String)> {
    let (parent, key) = pointer.rsplit_once('/')?;
    Some((parent, key.replace("~1", "/").replace("~0", "~")))
}

/// Applies `mutation` at the `pick`-th place it applies to (modulo their number). Returns the
/// pointer it changed and the mutated message, or `None` when it applies nowhere.
pub fn mutate(message: &Value, family: Family, mutation: Mutation, pick: usize) -> Option<(String, Value)> {
    let mut all = Vec::new();
    pointers(message, String::new(), &mut all);
    let is = |pointer: &String, test: fn(&Value) -> bool| message.pointer(pointer).is_some_and(test);
    let sites: Vec<String> = match mutation {
        Mutation::DropField => all
            .into_iter()
            .filter(|p| parent_and_key(p).is_some_and(|(parent, _)| is(&parent.to_owned(), Value::is_object)))
            .collect(),
        Mutation::AddUnknownField => all.into_iter().filter(|p| is(p, Value::is_object)).collect(),
        Mutation::ChangeString => all.into_iter().filter(|p| is(p, Value::is_string)).collect(),
        Mutation::PushNumber => all.into_iter().filter(|p| is(p, Value::is_number)).collect(),
        Mutation::SwapType => all.into_iter().filter(|p| !p.is_empty()).collect(),
        Mutation::MisspellTag => {
            vec![family.tag_pointer().to_owned()].into_iter().filter(|p| is(p, Value::is_string)).collect()
        }
    };
    if sites.is_empty() {
        return None;
    }
    let site = sites[pick % sites.len()].clone();
    let mut mutated = message.clone();
    match mutation {
        Mutation::DropField => {
            let (parent, key) = parent_and_key(&site)?;
            mutated.pointer_mut(parent)?.as_object_mut()?.remove(&key);
        }
        Mutation::AddUnknownField => {
            mutated.pointer_mut(&site)?.as_object_mut()?.insert(UNKNOWN_FIELD.into(), Value::from(1));
        }
        Mutation::ChangeString => {
            let target = mutated.pointer_mut(&site)?;
            let variants = [String::new(), "Not-A-Known_Value!".to_owned(), format!("{}~", target.as_str()?)];
            *target = Value::String(variants[pick % variants.len()].clone());
        }
        Mutation::PushNumber => {
            let target = mutated.pointer_mut(&site)?;
            let number = target.as_f64()?;
            // Never a whole number: JSON Schema's `integer` accepts 3.0, the types do not (a
            // documented disagreement that these properties stay clear of).
            // Past 2^52 a float has no fractional part left, so large numbers restart from 0.
            let base = if number.abs() < 1e15 { number.trunc() } else { 0.0 };
            let pushed = if pick % 2 == 0 { base + 1000.5 } else { -base.abs() - 1.5 };
            *target = Value::from(pushed);
        }
        Mutation::SwapType => {
            let target = mutated.pointer_mut(&site)?;
            *target = match target {
                Value::String(_) => Value::from(5.5),
                Value::Number(_) => Value::from("7"),
                Value::Bool(_) => Value::from("true"),
                Value::Null => Value::from(false),
                Value::Object(_) => Value::Array(Vec::new()),
                Value::Array(_) => Value::Object(serde_json::Map::new()),
            };
        }
        Mutation::MisspellTag => {
            let target = mutated.pointer_mut(&site)?;
            let tag = target.as_str()?.to_owned();
            let misspelled = match pick % 3 {
                0 => format!("{tag}s"),
                1 => tag[..tag.len() - 1].to_owned(),
                _ => tag.to_uppercase(),
            };
            *target = Value::String(misspelled);
        }
    }
    Some((site, mutated))
}

// ---------------------------------------------------------------------------------------------
// Rewrites

/// A way to write a message's JSON other than compactly, in declaration order: what the fast
/// path's layout (the types crate's layouts) reads only in part and must leave to serde
/// for the rest. Some keep the message valid, some (a repeated member) do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rewrite {
    /// One object's members in another order.
    ReorderMembers,
    /// One object's member written twice.
    RepeatMember,
    /// One string with a character written as an escape.
    EscapeString,
    /// One number written another way: an exponent, a trailing zero, a fraction of zero.
    RewriteNumber,
    /// Whitespace inside one object or array.
    AddWhitespace,
}

impl Rewrite {
    /// Every rewrite.
    pub const ALL: [Rewrite; 5] = [
        Rewrite::ReorderMembers,
        Rewrite::RepeatMember,
        Rewrite::EscapeString,
        Rewrite::RewriteNumber,
        Rewrite::AddWhitespace,
    ];

    fn applies_to(self, value: &Value) -> bool {
        match self {
            Rewrite::ReorderMembers => value.as_object().is_some_and(|object| object.len() > 1),
            Rewrite::RepeatMember => value.as_object().is_some_and(|object| !object.is_empty()),
            Rewrite::EscapeString => value.as_str().is_some_and(|text| !text.is_empty()),
            Rewrite::RewriteNumber => value.is_number(),
            Rewrite::AddWhitespace => value.is_object() || value.is_array(),
        }
    }
}

/// `message` written compactly, but with `rewrite` at the `pick`-th place it applies to (modulo
/// their number). Returns the pointer of that place and the text, or `None` when it applies
/// nowhere.
pub fn rewrite(message: &Value, rewrite: Rewrite, pick: usize) -> Option<(String, String)> {
    let mut all = Vec::new();
    pointers(message, String::new(), &mut all);
    let sites: Vec<String> = all
        .into_iter()
        .filter(|pointer| message.pointer(pointer).is_some_and(|value| rewrite.applies_to(value)))
        .collect();
    let site = sites.get(pick % sites.len().max(1))?.clone();
    let mut text = String::new();
    write_rewritten(message, "", &Edit { site: &site, rewrite, pick }, &mut text);
    Some((site, text))
}

struct Edit<'a> {
    site: &'a str,
    rewrite: Rewrite,
    pick: usize,
}

fn write_rewritten(value: &Value, at: &str, edit: &Edit, out: &mut String) {
    let here = at == edit.site;
    let space = if here && edit.rewrite == Rewrite::AddWhitespace { " " } else { "" };
    match value {
        Value::Object(object) => {
            let mut members: Vec<(&String, &Value)> = object.iter().collect();
            if here && edit.rewrite == Rewrite::ReorderMembers {
                let others = members.len() - 1;
                members.rotate_left(1 + edit.pick % others);
            }
            if here && edit.rewrite == Rewrite::RepeatMember {
                members.push(members[edit.pick % members.len()]);
            }
            out.push('{');
            for (index, (key, child)) in members.into_iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                out.push_str(space);
                out.push_str(&Value::from(key.as_str()).to_string());
                out.push(':');
                out.push_str(space);
                write_rewritten(child, &format!("{at}{}", pointer_token(key)), edit, out);
            }
            out.push_str(space);
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            out.push_str(space);
            for (index, child) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_rewritten(child, &format!("{at}/{index}"), edit, out);
            }
            out.push_str(space);
            out.push(']');
        }
        Value::String(text) if here && edit.rewrite == Rewrite::EscapeString => {
            let escaped_at = edit.pick % text.chars().count();
            out.push('"');
            for (index, character) in text.chars().enumerate() {
                match character {
                    _ if index != escaped_at => {
                        let written = Value::from(character.to_string()).to_string();
                        out.push_str(&written[1..written.len() - 1]);
                    }
                    '/' => out.push_str("\\/"),
                    _ => character
                        .encode_utf16(&mut [0; 2])
                        .iter()
                        .for_each(|unit| out.push_str(&format!("\\u{unit:04x}"))),
                }
            }
            out.push('"');
        }
        Value::Number(number) if here && edit.rewrite == Rewrite::RewriteNumber => {
            let written = number.to_string();
            let rewritten = match (edit.pick % 3, written.contains(['.', 'e', 'E'])) {
                (0, _) => format!("{written}e0"),
                (1, true) => format!("{written}0"),
                (1, false) => format!("{written}.0"),
                _ => format!("{}E+00", written),
            };
            out.push_str(&rewritten);
        }
        _ => out.push_str(&value.to_string()),
    }
}

/// `/key` as a JSON Pointer reference token (RFC 6901: `~` and `/` escaped).
pub fn pointer_token(key: &str) -> String {
    format!("/{}", key.replace('~', "~0").replace('/', "~1"))
}
