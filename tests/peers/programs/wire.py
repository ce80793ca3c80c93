"""What the Python peers share: a scenario's planted messages, turned into what each peer puts
on the wire, and the ground truth each peer writes of what it sent.

A planted Socket.IO payload may hold markers that stand for bytes the JSON cannot hold:
``{"$f32": [..]}`` is a binary attachment of those Float32 samples (little-endian),
``{"$bytes": n}`` one of ``n`` zero bytes, ``{"$f32_zeros": n}`` one of ``n`` silent samples, ``{"$b64f32": [..]}`` the base64 text of such samples,
``{"$jpeg_b64": true}`` the base64 text of a small JPEG.
"""

import base64
import json
import struct
import sys

JPEG = bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffd9")


def payload(value):
    """The Python value a planted payload stands for (bytes where it asks for binary)."""
    if isinstance(value, dict):
        if "$f32" in value:
            return struct.pack(f"<{len(value['$f32'])}f", *value["$f32"])
        if "$bytes" in value:
            return bytes(value["$bytes"])
        if "$f32_zeros" in value:
            return bytes(4 * value["$f32_zeros"])
        if "$b64f32" in value:
            return base64.b64encode(struct.pack(f"<{len(value['$b64f32'])}f", *value["$b64f32"])).decode()
        if "$jpeg_b64" in value:
            return base64.b64encode(JPEG).decode()
        return {key: payload(item) for key, item in value.items()}
    if isinstance(value, list):
        return [payload(item) for item in value]
    return value


def planted(path):
    """The planted messages of a scenario: a JSON list."""
    with open(path, encoding="utf-8") as file:
        return json.load(file)


class Truth:
    """The ground truth a peer writes: one JSON line per message it put on the wire, in order,
    with the verdict it expects (`valid`, or the check code the message breaks)."""

    def __init__(self, path, peer):
        self.file = open(path, "a", encoding="utf-8")
        self.peer = peer

    def sent(self, expect, what, **extra):
        self.file.write(json.dumps({"peer": self.peer, "expect": expect, "what": what, **extra}) + "\n")
        self.file.flush()

    def close(self):
        self.file.close()


def port_arg(index=1):
    return int(sys.argv[index])
