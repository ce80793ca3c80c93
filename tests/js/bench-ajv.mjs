// The Node peer of `cargo xtask bench`: validates every line of a JSON Lines capture against
// the eventwire bundle schema with ajv 8 (draft 2020-12, compiled once), as a Node service
// would, on one core. It lives here because this folder's lockfile pins ajv.
//
// Usage: node bench-ajv.mjs CAPTURE SCHEMA
// A line that is not JSON is invalid. Prints {"messages": N, "invalid": [1-based indexes]}.

import { createReadStream, readFileSync } from "node:fs";
import Ajv2020 from "ajv/dist/2020.js";

const [capture, schemaPath] = process.argv.slice(2);
if (!capture || !schemaPath) {
  console.error("usage: node bench-ajv.mjs CAPTURE SCHEMA");
  process.exit(2);
}
const ajv = new Ajv2020({ allErrors: false, strict: false });
const validate = ajv.compile(JSON.parse(readFileSync(schemaPath, "utf8")));

let messages = 0;
const invalid = [];
function check(line) {
  if (line.trim() === "") return;
  messages += 1;
  let instance;
  try {
    instance = JSON.parse(line);
  } catch {
    invalid.push(messages);
    return;
  }
  if (!validate(instance)) invalid.push(messages);
}

let rest = "";
for await (const chunk of createReadStream(capture, { encoding: "utf8", highWaterMark: 1 << 22 })) {
  const lines = (rest + chunk).split("\n");
  rest = lines.pop();
  lines.forEach(check);
}
check(rest);
console.log(JSON.stringify({ messages, invalid }));
