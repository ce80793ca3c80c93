#!/usr/bin/env python3
"""Peak memory of `eventwire validate` as the input grows: streams generated JSON Lines and HAR
captures of increasing size into `eventwire validate -`, and validates JSON Lines files of the
same sizes (read in parts by both cores), and streams ever new conversations (`convs`: a
million at 550 MiB, which the rules across messages follow and drop at their end), and prints
the peak RSS of each run. Memory is flat when the peak does not grow with the input.

The peak comes from GNU time (`/usr/bin/time -f %M`, Debian package `time`): a child spawned
straight from Python would report Python's own memory, which the kernel carries across exec.

Usage: cargo xtask rss [--jsonl-gb 2] [--har-gb 1]
   or: xtask/scripts/peak_rss.py BINARY [--jsonl-gb 2] [--har-gb 1]

Not a test: nothing here passes or fails on a number; it reports what it measured.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time

SAMPLE = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "samples", "capture.jsonl")
CHUNK = 4 << 20
TIME = "/usr/bin/time"


def jsonl_chunk():
    """About 4 MiB of the bundled sample's lines (all five families), repeated."""
    lines = open(SAMPLE, encoding="utf-8").read()
    return (lines * (CHUNK // len(lines) + 1)).encode()


def har_parts():
    """A HAR header, one WebSocket entry of about 4 MiB (the sample's messages), and the footer,
    so any number of entries can be streamed."""
    # No `type` (send/receive): the sample mixes both directions of every family on one socket.
    messages = [
        {"time": 1758855248.5, "opcode": 1, "data": line.strip()}
        for line in open(SAMPLE, encoding="utf-8")
        if line.strip()
    ]
    per_entry = messages * (CHUNK // sum(len(m["data"]) + 60 for m in messages) + 1)
    entry = {
        "_resourceType": "websocket",
        "request": {"method": "GET", "url": "ws://127.0.0.1:4000/ws", "headers": []},
        "response": {"status": 101, "headers": []},
        "_webSocketMessages": per_entry,
    }
    head = b'{"log":{"version":"1.2","creator":{"name":"peak_rss","version":"1"},"entries":['
    return head, json.dumps(entry, separators=(",", ":")).encode(), b"]}}\n"


def conversation_chunks():
    """JSON Lines of ever new assistant conversations (started, streamed, completed, each with
    its own `message_id`) and answered stream pings, in chunks: what the conversation rules must
    follow without holding on to ended ones."""
    number = 0
    while True:
        lines, length = [], 0
        while length < CHUNK:
            number += 1
            for status, kind, text, final in (("started", "status", "Thinking", False), ("in_progress", "response", "Hel", False), ("completed", "response", "Hello", True)):
                payload = {"message": text, "timestamp": 1, "status": status, "type": kind, "final_message": final, "message_id": f"m{number}", "thread_id": "t"}
                lines.append(json.dumps({"channel": "c", "payload": payload}, separators=(",", ":")).encode() + b"\n")
            session = f"s{number % 1000}"
            lines.append(b'{"type":"ping","session_id":"%s","timestamp":1}\n{"type":"pong","session_id":"%s","timestamp":1}\n' % (session.encode(), session.encode()))
            length += sum(len(line) for line in lines[-4:])
        yield b"".join(lines)


def run(binary, size, parts):
    """Streams about `size` bytes into `binary validate -`; returns (bytes, seconds, peak KiB).
    `parts` is (head, body, tail), the body repeated; or (head, chunks, tail), with the chunks
    an iterator of bodies."""
    head, body, tail = parts
    bodies = iter(lambda: body, None) if isinstance(body, bytes) else body
    process = subprocess.Popen(
        [TIME, "-f", "peak-kib %M", binary, "validate", "--format", "json", "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    started = time.monotonic()
    written = 0
    out, err = [], []
    readers = [
        threading.Thread(target=lambda: out.extend(process.stdout.read().splitlines()[-1:])),
        threading.Thread(target=lambda: err.extend(process.stderr.read().decode().splitlines())),
    ]
    for reader in readers:
        reader.start()
    process.stdin.write(head)
    first = True
    while written < size:
        if not first and head:
            process.stdin.write(b",")
        chunk = next(bodies)
        process.stdin.write(chunk)
        written += len(chunk)
        first = False
    process.stdin.write(tail)
    process.stdin.close()
    code = process.wait()
    for reader in readers:
        reader.join()
    seconds = time.monotonic() - started
    messages = json.loads(out[0])["summary"]["messages"] if out else 0
    peak = next(int(line.split()[1]) for line in err if line.startswith("peak-kib "))
    return written, seconds, peak, code, messages


def run_file(binary, size, chunk, path):
    """Writes about `size` bytes of JSON Lines to `path`, then validates the file (not a stream:
    each thread reads its own parts of it); returns what `run` returns."""
    written = 0
    with open(path, "wb") as capture:
        while written < size:
            capture.write(chunk)
            written += len(chunk)
    try:
        started = time.monotonic()
        result = subprocess.run(
            [TIME, "-f", "peak-kib %M", binary, "validate", "--format", "json", path],
            capture_output=True,
        )
        seconds = time.monotonic() - started
    finally:
        os.remove(path)
    last = result.stdout.splitlines()[-1:]
    messages = json.loads(last[0])["summary"]["messages"] if last else 0
    peak = next(int(line.split()[1]) for line in result.stderr.decode().splitlines() if line.startswith("peak-kib "))
    return written, seconds, peak, result.returncode, messages


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("binary")
    parser.add_argument("--jsonl-gb", type=float, default=2.0)
    parser.add_argument("--har-gb", type=float, default=1.0)
    args = parser.parse_args()
    if not shutil.which(TIME):
        sys.exit(f"{TIME} not found: install GNU time (Debian package `time`)")
    jsonl = (b"", jsonl_chunk(), b"")
    har = har_parts()
    file = os.path.join(os.path.dirname(os.path.abspath(args.binary)), "peak-rss-capture.jsonl")
    runs = [
        ("jsonl", args.jsonl_gb, lambda size: run(args.binary, size, jsonl)),
        ("file", args.jsonl_gb, lambda size: run_file(args.binary, size, jsonl[1], file)),
        ("har", args.har_gb, lambda size: run(args.binary, size, har)),
        # 10⁶ conversations are about 550 MiB of these lines.
        ("convs", max(args.jsonl_gb, 0.6), lambda size: run(args.binary, size, (b"", conversation_chunks(), b""))),
    ]
    print(f"{'input':<6} {'size':>10} {'messages':>12} {'seconds':>8} {'MB/s':>7} {'peak RSS':>10} {'exit':>4}")
    for name, gigabytes, measure in runs:
        for size in sorted({10 << 20, 200 << 20, int(gigabytes * (1 << 30))}):
            written, seconds, peak_kib, code, messages = measure(size)
            print(
                f"{name:<6} {written / (1 << 20):>8.0f} MiB {messages:>12,} {seconds:>8.1f} "
                f"{written / seconds / 1e6:>7.0f} {peak_kib / 1024:>6.1f} MiB {code:>4}",
                flush=True,
            )


if __name__ == "__main__":
    sys.exit(main())
