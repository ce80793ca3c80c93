// Independent cross-check of the emitted schemas with ajv (draft 2020-12, strict mode):
// every schema must be valid against the meta-schema and compile, and every fixture must get
// the same verdict from ajv as from the Rust side. Run by `cargo xtask test`.
import { readdirSync, readFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
const schemaDir = join(root, "schema");
const fixtureDir = join(root, "tests", "fixtures");

// Invalid fixtures no JSON Schema validator can reject (duplicate keys, 10.0 as an integer).
const SCHEMA_CANNOT_SEE = new Set(
  readFileSync(join(root, "tests", "schema-blind-spots.txt"), "utf8")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith("#")),
);

const failures = [];
const ajv = new Ajv2020({ strict: true, allErrors: true });
addFormats(ajv);

const schemaFiles = readdirSync(schemaDir).filter((f) => f.endsWith(".json")).sort();
const validators = {};
for (const file of schemaFiles) {
  const schema = JSON.parse(readFileSync(join(schemaDir, file), "utf8"));
  if (!ajv.validateSchema(schema)) {
    failures.push(`${file}: not a valid 2020-12 schema: ${ajv.errorsText(ajv.errors)}`);
    continue;
  }
  try {
    validators[file] = ajv.compile(schema);
  } catch (error) {
    failures.push(`${file}: does not compile in strict mode: ${error.message}`);
  }
}

let checked = 0;
const bundle = validators["eventwire.json"];
for (const family of readdirSync(fixtureDir).sort()) {
  for (const file of readdirSync(join(fixtureDir, family)).filter((f) => f.endsWith(".json")).sort()) {
    const name = `${family}/${file}`;
    let value;
    try {
      value = JSON.parse(readFileSync(join(fixtureDir, family, file), "utf8"));
    } catch {
      if (!file.startsWith("invalid_")) failures.push(`${name}: a valid fixture is not JSON`);
      continue; // not JSON at all: nothing for a schema to say
    }
    const expected = !file.startsWith("invalid_") || SCHEMA_CANNOT_SEE.has(name);
    const familySchema = validators[`${family}.json`];
    for (const [label, validate] of [["bundle", bundle], [`${family}.json`, familySchema]]) {
      if (!validate) continue;
      const valid = validate(value);
      if (valid !== expected) {
        failures.push(`${name}: ${label} says ${valid ? "valid" : "invalid"}, expected ${expected ? "valid" : "invalid"} ${valid ? "" : ajv.errorsText(validate.errors)}`);
      }
    }
    checked += 1;
  }
}

for (const failure of failures) console.error(`ajv: ${failure}`);
console.log(`ajv cross-check: ${schemaFiles.length} schemas, ${checked} fixtures: ${failures.length === 0 ? "all agree" : `${failures.length} disagreements`}`);
process.exit(failures.length === 0 ? 0 : 1);
