#!/usr/bin/env python3
"""Peak memory of `eventwire validate` as the input grows: streams generated JSON Lines and HAR
captures of increasing size into `eventwire validate -`, and validates JSON Lines files of the
same sizes (read in parts by both cores), and streams ever new conversations (`convs`: a
million at 550 MiB, which the rules across messages follow and drop at their end), packet
captures of one WebSocket (`pcap`) and of ever new connections, 10,000 open at a time
(`conns`), and prints the peak RSS of each run. Memory is flat when the peak does not grow
with the input. Then input nobody should send, each once: a 300 MB line without a newline, a
HAR whose `_webSocketMessages` is one 50 MB string, and a gzip bomb (4 MiB that inflate to
4 GiB with no newline), each to stay within 32 MiB beyond the record size cap (16 MiB).

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
import struct
import subprocess
import sys
import threading
import time

SAMPLE = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "samples", "capture.jsonl")
CHUNK = 4 << 20
TIME = "/usr/bin/time"


PING_LINE = b'{"type":"ping","session_id":"s1","timestamp":1758855248}\n'


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


def pcap_packet(client, server, seq, ack, flags, payload, micros):
    """One pcap record: Ethernet, IPv4 and TCP headers (checksums left 0) and `payload`."""
    (client_ip, client_port), (server_ip, server_port) = client, server
    tcp = struct.pack(">HHIIBBHHH", client_port, server_port, seq, ack, 5 << 4, flags, 65535, 0, 0)
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp) + len(payload), 0, 0x4000, 64, 6, 0, client_ip, server_ip)
    frame = bytes(12) + b"\x08\x00" + ip + tcp + payload
    return struct.pack("<IIII", micros // 1_000_000, micros % 1_000_000, len(frame), len(frame)) + frame


PCAP_HEAD = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1)
SYN, ACK, PSH, FIN = 0x02, 0x10, 0x08, 0x01
UPGRADE = b"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
SWITCHED = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"


def ws_frame(text):
    """An unmasked text frame (server to client)."""
    length = len(text)
    if length < 126:
        return b"\x81" + bytes([length]) + text
    if length < 65536:
        return b"\x81\x7e" + struct.pack(">H", length) + text
    return b"\x81\x7f" + struct.pack(">Q", length) + text


class Socket:
    """One TCP connection being written: the handshake, server frames, the close."""

    def __init__(self, number):
        self.client = (bytes([10, (number >> 16) & 255, (number >> 8) & 255, number & 255]), 1024 + number % 60000)
        self.server = (bytes([127, 0, 0, 1]), 8000)
        self.client_seq, self.server_seq = 1000, 5000

    # One clock for every connection, so that the file is in time order.
    micros = 1758855248000000

    def send(self, from_client, flags, payload=b""):
        Socket.micros += 10
        if from_client:
            record = pcap_packet(self.client, self.server, self.client_seq, self.server_seq, flags, payload, Socket.micros)
            self.client_seq += len(payload) + (1 if flags & (SYN | FIN) else 0)
        else:
            record = pcap_packet(self.server, self.client, self.server_seq, self.client_seq, flags, payload, Socket.micros)
            self.server_seq += len(payload) + (1 if flags & (SYN | FIN) else 0)
        return record

    def opening(self):
        return b"".join([self.send(True, SYN), self.send(False, SYN | ACK), self.send(True, ACK), self.send(True, ACK | PSH, UPGRADE), self.send(False, ACK | PSH, SWITCHED)])

    def closing(self):
        return b"".join([self.send(True, FIN | ACK), self.send(False, FIN | ACK), self.send(True, ACK)])


def pcap_chunks():
    """One WebSocket carrying the sample's messages (server frames), in chunks of about 4 MiB."""
    frames = [ws_frame(line.strip().encode()) for line in open(SAMPLE, encoding="utf-8") if line.strip()]
    socket = Socket(1)
    yield socket.opening()
    while True:
        chunk, length = [], 0
        while length < CHUNK:
            for frame in frames:
                record = socket.send(False, ACK | PSH, frame)
                chunk.append(record)
                length += len(record)
        yield b"".join(chunk)


def connection_chunks(open_at_once=10_000):
    """Ever new connections, `open_at_once` of them open together: all opened, a message on each,
    all closed, then the next batch."""
    ping = b'{"type":"ping","session_id":"s1","timestamp":1758855248}'
    # The client's ping, masked with a zero key, and the server's pong.
    asked = b"\x81" + bytes([0x80 | len(ping)]) + bytes(4) + ping
    frame = ws_frame(b'{"type":"pong","session_id":"s1","timestamp":1758855248}')
    batch = 0
    while True:
        sockets = [Socket(batch * open_at_once + i) for i in range(open_at_once)]
        batch += 1
        yield b"".join(s.opening() for s in sockets)
        yield b"".join(s.send(True, ACK | PSH, asked) + s.send(False, ACK | PSH, frame) for s in sockets)
        yield b"".join(s.closing() for s in sockets)


def run(binary, size, parts, separator=b","):
    """Streams about `size` bytes into `binary validate -`; returns (bytes, seconds, peak KiB).
    `parts` is (head, body, tail), the body repeated; or (head, chunks, tail), with the chunks
    an iterator of bodies; after a head, bodies are joined by `separator`."""
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
    try:
        process.stdin.write(head)
        first = True
        while written < size:
            if not first and head:
                process.stdin.write(separator)
            chunk = next(bodies)
            process.stdin.write(chunk)
            written += len(chunk)
            first = False
        process.stdin.write(tail)
        process.stdin.close()
    except BrokenPipeError:
        # eventwire stopped reading (a HAR value past the cap ends the file): what was written
        # is the size.
        pass
    code = process.wait()
    for reader in readers:
        reader.join()
    seconds = time.monotonic() - started
    messages = json.loads(out[0])["summary"]["messages"] if out else 0
    peak = next(int(line.split()[1]) for line in err if line.startswith("peak-kib "))
    return written, seconds, peak, code, messages


def validate_file(binary, path, written):
    """Validates the file at `path`, then removes it; returns what `run` returns, with
    `written` as the size."""
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


def run_file(binary, size, chunk, path):
    """Writes about `size` bytes of JSON Lines to `path`, then validates the file (not a stream:
    each thread reads its own parts of it); returns what `run` returns."""
    written = 0
    with open(path, "wb") as capture:
        while written < size:
            capture.write(chunk)
            written += len(chunk)
    return validate_file(binary, path, written)


def run_bomb(binary, size, path):
    """Writes a gzip of `size` bytes of `a` with no newline to `path` (a few MiB) and validates
    it; returns what `run` returns, with the compressed size as the size."""
    import gzip

    block = b"a" * CHUNK
    with gzip.open(path, "wb", compresslevel=9) as out:
        for _ in range(size // CHUNK):
            out.write(block)
    return validate_file(binary, path, os.path.getsize(path))


HAR_STRING_HEAD = (
    b'{"log":{"version":"1.2","entries":[{"request":{"method":"GET","url":"ws://127.0.0.1/ws"},'
    b'"response":{"status":101},"_webSocketMessages":"'
)
CAP_MIB = 16


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
        ("pcap", args.har_gb, lambda size: run(args.binary, size, (PCAP_HEAD, pcap_chunks(), b""), separator=b"")),
        ("conns", 0.2, lambda size: run(args.binary, size, (PCAP_HEAD, connection_chunks(), b""), separator=b"")),
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
    gz = os.path.join(os.path.dirname(os.path.abspath(args.binary)), "peak-rss-bomb.jsonl.gz")
    long_line = (b'{"type":"test","session_id":"s","timestamp":1,"data":"', b"x" * CHUNK, b'"}\n' + PING_LINE)
    bad = [
        ("line", 300 << 20, lambda size: run(args.binary, size, long_line, separator=b"")),
        ("harstr", 50 << 20, lambda size: run(args.binary, size, (HAR_STRING_HEAD, b"A" * CHUNK, b'"}]}}'), separator=b"")),
        ("bomb", 4 << 30, lambda size: run_bomb(args.binary, size, gz)),
    ]
    print(f"\nbad input (record size cap {CAP_MIB} MiB; the bomb's size is compressed)")
    print(f"{'input':<6} {'size':>10} {'messages':>12} {'seconds':>8} {'peak RSS':>10} {'beyond cap':>11} {'exit':>4}")
    for name, size, measure in bad:
        written, seconds, peak_kib, code, messages = measure(size)
        print(
            f"{name:<6} {written / (1 << 20):>8.0f} MiB {messages:>12,} {seconds:>8.1f} "
            f"{peak_kib / 1024:>6.1f} MiB {peak_kib / 1024 - CAP_MIB:>7.1f} MiB {code:>4}",
            flush=True,
        )


if __name__ == "__main__":
    sys.exit(main())
