//! The TypeScript bindings under `generated/typescript/`, proven by the real compiler and by
//! Node (both from `tests/js`, installed by `cargo xtask test` from its lockfile):
//! - the package compiles under its own strictest settings;
//! - a test file generated from the fixture corpus compiles with `--strict`: every valid
//!   fixture is assigned to its message type, its family union and `Message`; every invalid
//!   one to its family union, marked `// @ts-expect-error` unless
//!   `typescript-blind-spots.txt` lists it; a `switch` per family narrows on the tag and ends
//!   in a `never` check;
//! - the compiled file runs under Node: each type guard accepts exactly the valid fixtures
//!   (the schema's own blind spots, `schema-blind-spots.txt`, are the listed exceptions), and
//!   gives the `jsonschema` crate's verdict on every mutant of a valid fixture.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use eventwire::Family;
use eventwire::primitives::SUBSCRIPTION_CHANNEL;
use eventwire::schema::{bundle_schema, family_schema};
use eventwire_tests::{Mutation, fixture_family, listed_fixtures, mutate, schemas, workspace_root};
use serde_json::Value;

/// One fixture file, as the TypeScript test sees it.
struct Fixture {
    /// `family/file.json`.
    name: String,
    text: String,
    /// `None` when `JSON.parse` would reject the text.
    json: Option<Value>,
    valid: bool,
    family: Option<Family>,
    /// The message type of a valid fixture.
    type_name: Option<&'static str>,
}

fn fixtures() -> Vec<Fixture> {
    let mut paths: Vec<PathBuf> = fs::read_dir(workspace_root().join("tests/fixtures"))
        .unwrap()
        .flat_map(|family| fs::read_dir(family.unwrap().path()).unwrap())
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|path| {
            let text = fs::read_to_string(path).unwrap();
            let file = path.file_name().unwrap().to_str().unwrap();
            let folder = path.parent().unwrap().file_name().unwrap().to_str().unwrap();
            let valid = !file.starts_with("invalid_");
            let type_name = valid.then(|| eventwire::decode(&text).unwrap().kind().type_name);
            Fixture {
                name: format!("{folder}/{file}"),
                json: serde_json::from_str(&text).ok(),
                text,
                valid,
                family: fixture_family(path),
                type_name,
            }
        })
        .collect()
}

/// Every mutation of every valid fixture at up to 8 places, with the `jsonschema` crate's
/// verdict (and, when valid, the type and family the eventwire types give it).
fn mutants(fixtures: &[Fixture]) -> Vec<Fixture> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for fixture in fixtures.iter().filter(|f| f.valid) {
        let (Some(json), Some(family)) = (&fixture.json, fixture.family) else { continue };
        for mutation in Mutation::ALL {
            for pick in 0..8 {
                let Some((pointer, value)) = mutate(json, family, mutation, pick) else { break };
                let text = value.to_string();
                if !seen.insert(text.clone()) {
                    continue;
                }
                let valid = schemas().bundle.is_valid(&value);
                let message = valid.then(|| {
                    eventwire::decode(&text).unwrap_or_else(|e| panic!("schema and serde disagree on {text}: {e}"))
                });
                out.push(Fixture {
                    name: format!("{} {mutation:?} at {pointer}", fixture.name),
                    text,
                    json: Some(value),
                    valid,
                    family: message.as_ref().map_or(Some(family), |m| Some(m.family())),
                    type_name: message.map(|m| m.kind().type_name),
                });
            }
        }
    }
    out
}

/// The TypeScript compiler pinned in `tests/js/package-lock.json`.
fn tsc() -> Command {
    let tsc = workspace_root().join("tests/js/node_modules/.bin/tsc");
    assert!(tsc.exists(), "{} is missing: run `npm ci` in tests/js (`cargo xtask test` does it first)", tsc.display());
    Command::new(tsc)
}

fn run(command: &mut Command, what: &str) -> String {
    let output = command.output().unwrap_or_else(|e| panic!("{what}: could not start: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{what} failed ({}):\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// A family's union type: the title of its schema (`HealthEvent`, …), read once per family.
fn union_name(family: Family) -> String {
    static NAMES: std::sync::OnceLock<Vec<(Family, String)>> = std::sync::OnceLock::new();
    let names =
        NAMES.get_or_init(|| Family::ALL.map(|f| (f, family_schema(f)["title"].as_str().unwrap().to_owned())).into());
    names.iter().find(|(f, _)| *f == family).expect("every family").1.clone()
}

#[test]
fn the_package_compiles_under_its_own_strictest_settings() {
    let package = workspace_root().join("generated/typescript");
    run(tsc().arg("-p").arg(package.join("tsconfig.json")).arg("--noEmit"), "tsc -p generated/typescript");
}

#[test]
fn fixtures_type_check_narrow_and_agree_with_the_guards() {
    let fixtures = fixtures();
    let blind_spots = listed_fixtures("typescript-blind-spots.txt");
    for name in &blind_spots {
        let fixture = fixtures.iter().find(|f| &f.name == name).unwrap_or_else(|| panic!("{name} is not a fixture"));
        assert!(!fixture.valid && fixture.json.is_some(), "{name}: only invalid JSON fixtures belong in the list");
    }

    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("typescript-check");
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(dir.join("package")).unwrap();
    for entry in fs::read_dir(workspace_root().join("generated/typescript")).unwrap() {
        let path = entry.unwrap().path();
        fs::copy(&path, dir.join("package").join(path.file_name().unwrap())).unwrap();
    }
    fs::write(dir.join("package.json"), "{ \"type\": \"module\" }\n").unwrap();
    fs::write(dir.join("tsconfig.json"), TEST_TSCONFIG).unwrap();
    let mutants = mutants(&fixtures);
    let source = test_source(&fixtures, &mutants, &blind_spots, &listed_fixtures("schema-blind-spots.txt"));
    fs::write(dir.join("fixtures.test.ts"), &source).unwrap();

    run(tsc().arg("-p").arg(dir.join("tsconfig.json")), "tsc --strict on the fixture test");
    let stdout = run(Command::new("node").arg(dir.join("out/fixtures.test.js")), "node on the compiled fixture test");
    let valid_mutants = mutants.iter().filter(|m| m.valid).count();
    assert!(mutants.len() > 1000 && valid_mutants > 50, "{} mutants, {valid_mutants} valid", mutants.len());
    assert_eq!(stdout.trim(), format!("guards agree on {} cases", fixtures.len() + mutants.len()));
}

const TEST_TSCONFIG: &str = r#"{
  "compilerOptions": {
    "strict": true,
    "target": "es2022",
    "lib": ["es2022"],
    "module": "nodenext",
    "moduleResolution": "nodenext",
    "rootDir": ".",
    "outDir": "out"
  },
  "include": ["fixtures.test.ts", "package/*.ts"]
}
"#;

/// The whole test file: type assignments, narrowing switches, then the guard checks.
fn test_source(
    fixtures: &[Fixture],
    mutants: &[Fixture],
    ts_blind_spots: &[String],
    schema_blind_spots: &[String],
) -> String {
    let mut source = String::from(
        "import * as ew from \"./package/index.js\";\n\n\
         declare const console: { log(...values: unknown[]): void };\n\n\
         // Types: valid fixtures are assignable; invalid ones are not, unless listed.\n",
    );
    for (i, fixture) in fixtures.iter().enumerate() {
        source.push_str(&assignments(i, fixture, ts_blind_spots));
    }
    source.push_str("\n// Narrowing: each family's switch on its tag is exhaustive.\n");
    for family in Family::ALL {
        source.push_str(&narrowing(family));
    }
    source.push_str(&family_narrowing());
    source.push_str(&guard_checks(fixtures.iter().chain(mutants), schema_blind_spots));
    source
}

/// One line per assignment, so that `// @ts-expect-error` covers exactly one of them.
fn assignments(index: usize, fixture: &Fixture, ts_blind_spots: &[String]) -> String {
    if fixture.json.is_none() {
        return format!("// {}: not JSON, no type applies\n", fixture.name);
    }
    let literal: String = fixture.text.trim().chars().map(|c| if c == '\n' || c == '\r' { ' ' } else { c }).collect();
    let mut text = format!("// {}\n", fixture.name);
    let family_type = fixture.family.map_or_else(|| "Message".to_owned(), union_name);
    if fixture.valid {
        let type_name = fixture.type_name.expect("valid fixtures have a type");
        for (suffix, target) in [("type", type_name), ("family", &family_type), ("message", "Message")] {
            let _ = writeln!(text, "export const fixture{index}_{suffix}: ew.{target} = {literal};");
        }
    } else {
        if !ts_blind_spots.contains(&fixture.name) {
            text.push_str("// @ts-expect-error\n");
        }
        let _ = writeln!(text, "export const fixture{index}: ew.{family_type} = {literal};");
    }
    text
}

/// `switch` on the family's tag; each case assigns the narrowed value to its type.
fn narrowing(family: Family) -> String {
    let union = union_name(family);
    let mut text = format!("export function narrow{union}(message: ew.{union}): string {{\n");
    let (subject, kinds): (&str, Vec<_>) = match family.tag_pointer() {
        "/type" => ("message.type", family.kinds().iter().collect()),
        "/event_type" => ("message.event_type", family.kinds().iter().collect()),
        "/0" => ("message[0]", family.kinds().iter().collect()),
        "/payload/type" => {
            // A subscription request has no `payload.type`: its guard takes it out first.
            for kind in family.kinds().iter().filter(|kind| kind.tag == SUBSCRIPTION_CHANNEL) {
                let _ = writeln!(
                    text,
                    "  if (ew.is{0}(message)) {{ const narrowed: ew.{0} = message; return narrowed.channel; }}",
                    kind.type_name
                );
            }
            ("message.payload.type", family.kinds().iter().filter(|kind| kind.tag != SUBSCRIPTION_CHANNEL).collect())
        }
        other => panic!("no narrowing written for tag pointer {other}"),
    };
    let narrowed = if family == Family::Assistant { "message.payload" } else { "message" };
    let _ = writeln!(text, "  switch ({subject}) {{");
    for kind in kinds {
        let target = if family == Family::Assistant { payload_type(kind.type_name) } else { kind.type_name.to_owned() };
        let _ = writeln!(
            text,
            "    case \"{}\": {{ const narrowed: ew.{target} = {narrowed}; return JSON.stringify(narrowed); }}",
            kind.tag
        );
    }
    let _ = writeln!(text, "    default: {{ const unreachable: never = {narrowed}; return unreachable; }}\n  }}\n}}\n");
    text
}

/// The type of an assistant message's `payload`, from the schema.
fn payload_type(type_name: &str) -> String {
    let reference = bundle_schema()["$defs"][type_name]["properties"]["payload"]["$ref"].as_str().unwrap().to_owned();
    reference.trim_start_matches("#/$defs/").to_owned()
}

/// `Message` narrowed family by family with the family guards, down to `never`.
fn family_narrowing() -> String {
    let mut text = String::from("export function familyOf(message: ew.Message): string {\n");
    for family in Family::ALL {
        let union = union_name(family);
        let _ = writeln!(
            text,
            "  if (ew.is{union}(message)) {{ const narrowed: ew.{union} = message; return narrow{union}(narrowed); }}"
        );
    }
    text.push_str("  const unreachable: never = message;\n  return unreachable;\n}\n");
    text
}

/// The runtime part: every fixture through `JSON.parse` and the guards.
fn guard_checks<'a>(fixtures: impl Iterator<Item = &'a Fixture>, schema_blind_spots: &[String]) -> String {
    let mut text = String::from(
        "\n// Guards: true exactly for valid fixtures (and for the schema's listed blind spots) and\n\
         // for the mutants the schema accepts.\n\
         type Case = { name: string; text: string; valid: boolean; family: string; type: string | null };\n\
         const cases: Case[] = [\n",
    );
    for fixture in fixtures {
        // An invalid fixture the schema cannot reject is valid once parsed, as the type its tag names.
        let blind_spot = schema_blind_spots.contains(&fixture.name);
        let expected = fixture.valid || blind_spot;
        let type_name = if blind_spot { tagged_type(fixture) } else { fixture.type_name };
        let family = fixture.family.map_or_else(|| "Message".to_owned(), union_name);
        let type_name = type_name.map_or_else(|| "null".to_owned(), |t| format!("\"{t}\""));
        let _ = writeln!(
            text,
            "  {{ name: {}, text: {}, valid: {expected}, family: \"{family}\", type: {type_name} }},",
            serde_json::to_string(&fixture.name).unwrap(),
            serde_json::to_string(&fixture.text).unwrap()
        );
    }
    text.push_str("];\n\nconst guards: Record<string, (value: unknown) => boolean> = {\n");
    let unions = Family::ALL.map(union_name);
    for name in eventwire::registry::kinds()
        .map(|k| k.type_name.to_owned())
        .chain(unions.iter().cloned())
        .chain(["Message".to_owned()])
    {
        let _ = writeln!(text, "  {name}: ew.is{name},");
    }
    text.push_str("};\nconst familyTypes: Record<string, string[]> = {\n");
    for (family, union) in Family::ALL.iter().zip(&unions) {
        let names: Vec<String> = family.kinds().iter().map(|k| format!("\"{}\"", k.type_name)).collect();
        let _ = writeln!(text, "  {union}: [{}],", names.join(", "));
    }
    text.push_str(GUARD_LOOP);
    text
}

/// The message type the fixture's tag names.
fn tagged_type(fixture: &Fixture) -> Option<&'static str> {
    let family = fixture.family?;
    let tag = fixture.json.as_ref()?.pointer(family.tag_pointer())?.as_str()?;
    Some(eventwire::registry::find(family, tag)?.type_name)
}

const GUARD_LOOP: &str = r#"};

const failures: string[] = [];
for (const fixture of cases) {
  let value: unknown;
  try {
    value = JSON.parse(fixture.text);
  } catch {
    if (fixture.valid) failures.push(`${fixture.name}: JSON.parse rejects a valid fixture`);
    continue;
  }
  const expectations: [string, boolean][] = [["Message", fixture.valid], [fixture.family, fixture.valid]];
  for (const type of familyTypes[fixture.family] ?? []) {
    expectations.push([type, fixture.valid && type === fixture.type]);
  }
  for (const [name, expected] of expectations) {
    const guard = guards[name];
    if (guard === undefined) failures.push(`${fixture.name}: no guard is${name}`);
    else if (guard(value) !== expected) failures.push(`${fixture.name}: is${name} gave ${!expected}`);
  }
}
if (failures.length > 0) throw new Error(`${failures.length} guard verdicts are wrong:\n${failures.join("\n")}`);
console.log(`guards agree on ${cases.length} cases`);
"#;
