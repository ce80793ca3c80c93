#!/usr/bin/env python3
"""The Python peers of `cargo xtask bench`: validate every line of a JSON Lines capture against
the eventwire bundle schema, the way a team would in a Python loop, on one core.

Usage: python_peers.py jsonschema|fastjsonschema CAPTURE SCHEMA

`jsonschema` reads the draft 2020-12 bundle with its validator built once; `fastjsonschema`
(which knows drafts 4, 6 and 7 only) compiles the draft-07 rendering of the same bundle. A line
that is not JSON is invalid. Prints {"messages": N, "invalid": [1-based indexes]}.
"""

import json
import sys


def build(tool, schema):
    if tool == "jsonschema":
        import jsonschema

        validator = jsonschema.Draft202012Validator(schema)
        return validator.is_valid
    if tool == "fastjsonschema":
        import fastjsonschema

        validate = fastjsonschema.compile(schema)

        def is_valid(instance):
            try:
                validate(instance)
                return True
            except fastjsonschema.JsonSchemaException:
                return False

        return is_valid
    raise SystemExit(f"unknown tool {tool!r}; expected jsonschema or fastjsonschema")


def main():
    if len(sys.argv) != 4:
        raise SystemExit(__doc__)
    tool, capture, schema_path = sys.argv[1:]
    with open(schema_path, encoding="utf-8") as file:
        is_valid = build(tool, json.load(file))
    messages, invalid = 0, []
    with open(capture, encoding="utf-8") as lines:
        for line in lines:
            if not line.strip():
                continue
            messages += 1
            try:
                instance = json.loads(line)
            except ValueError:
                invalid.append(messages)
                continue
            if not is_valid(instance):
                invalid.append(messages)
    json.dump({"messages": messages, "invalid": invalid}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
