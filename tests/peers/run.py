"""The real-peer suite: real servers, clients and proxies from the package registries
(python-socketio on aiohttp, the npm socket.io server and socket.io-client, the npm ws server and
client, Python websockets, mitmproxy's mitmdump), run on 127.0.0.1, each writing its own ground
truth of what it put on the wire, with real capture tools (tcpdump, dumpcap) recording the
loopback interface. eventwire's verdict on every message of the capture they leave must match
that truth, and on a packet capture the texts eventwire reassembles must equal tshark's.

Each folder of `scenarios/` is one scenario: `scenario.json` says which server to start, whether
mitmdump sits in front of it writing the HAR, which clients to run and which captures to
validate; the planted messages are data beside it. Adding a scenario is adding a folder.

A scenario's `sniffer` (`tcpdump`, `tcpdump-any` for `-i any`, or `dumpcap`) records the server's
port on the loopback interface from before the server starts until after it stops.

Usage: run.py --eventwire BINARY [--node NODE] [--only NAME]
Every process it starts is stopped by its id; every wait is bounded.
"""

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
WORK = ROOT / "target" / "peers"
SECRET = "SECRET-peer-token"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port, process, seconds=20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[:3]} exited with {process.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {seconds} s")


def wait_for_line(path, words, process, seconds=20):
    """Waits until the log at `path` has a line with `words` (a capture tool saying it listens)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[:3]} exited with {process.returncode}: {path.read_text()[-500:]}")
        if path.exists() and words in path.read_text(errors="replace"):
            return
        time.sleep(0.05)
    raise RuntimeError(f"{process.args[0]} did not say {words!r} within {seconds} s")


def settle(path, quiet=1.0, seconds=15):
    """Waits until the file at `path` has not grown for `quiet` seconds (at most `seconds`)."""
    deadline = time.monotonic() + seconds
    size, since = -1, time.monotonic()
    while time.monotonic() < deadline:
        now = path.stat().st_size if path.exists() else -1
        if now != size:
            size, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return
        time.sleep(0.1)


# TCP states in /proc/net/tcp that are no open connection: TIME_WAIT, CLOSE, LISTEN.
ENDED_STATES = {"06", "07", "0A"}


def connections_closed(ports, quiet=0.5, seconds=15):
    """Waits (at most `seconds`) until no TCP connection on loopback has an end on one of
    `ports`, and then `quiet` seconds more for the process to finish with what it read."""
    wanted = {f"{port:04X}" for port in ports}
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        open_ = False
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            try:
                rows = Path(table).read_text().splitlines()[1:]
            except OSError:
                continue
            for row in rows:
                fields = row.split()
                ends = {fields[1].rsplit(":", 1)[1], fields[2].rsplit(":", 1)[1]}
                if fields[3] not in ENDED_STATES and ends & wanted:
                    open_ = True
        if not open_:
            break
        time.sleep(0.1)
    time.sleep(quiet)


# How each sniffer is started, what it says once it listens, and the file it writes.
SNIFFERS = {
    "tcpdump": (["tcpdump", "-i", "lo", "--immediate-mode", "-B", "65536", "-U", "-s", "0", "-w", "{file}", "tcp port {port}"], "listening on", "capture.pcap"),
    "tcpdump-any": (["tcpdump", "-i", "any", "--immediate-mode", "-B", "65536", "-U", "-s", "0", "-w", "{file}", "tcp port {port}"], "listening on", "capture.pcap"),
    "dumpcap": (["dumpcap", "-i", "lo", "-B", "64", "-f", "tcp port {port}", "-w", "{file}"], "Capturing on", "capture.pcapng"),
}


def stop(process, sig=signal.SIGTERM, seconds=15):
    """Stops a process this suite started, by its id: `sig` first, then SIGKILL."""
    if process.poll() is None:
        os.killpg(process.pid, sig)
        try:
            process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=seconds)


class Scenario:
    def __init__(self, folder, tools):
        self.folder = folder
        self.name = folder.name
        self.spec = json.loads((folder / "scenario.json").read_text())
        self.tools = tools
        self.work = WORK / self.name
        self.processes = []

    def words(self, command, values):
        out = []
        for word in command:
            for key, value in values.items():
                word = word.replace("{" + key + "}", str(value))
            out.append(word)
        program = self.tools.get(out[0], out[0])
        return [program] + out[1:]

    def start(self, command, values, env, log):
        process = subprocess.Popen(
            self.words(command, values),
            cwd=HERE / "programs",
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes.append(process)
        return process

    def run(self):
        if self.work.exists():
            shutil.rmtree(self.work)
        self.work.mkdir(parents=True)
        env = {**os.environ, "PYTHONPATH": str(HERE / "programs"), **self.spec.get("env", {})}
        server_port = free_port()
        values = {
            "port": server_port,
            "work": self.work,
            "scenario": self.folder,
            "js": ROOT / "tests" / "js" / "peers",
            "secret": SECRET,
        }
        log = open(self.work / "peers.log", "w")
        try:
            sniffer = None
            if "sniffer" in self.spec:
                command, ready, name = SNIFFERS[self.spec["sniffer"]]
                sniffer_log = self.work / "sniffer.log"
                sniffer = subprocess.Popen(
                    [word.replace("{file}", str(self.work / name)).replace("{port}", str(server_port)) for word in command],
                    stdout=subprocess.DEVNULL,
                    stderr=open(sniffer_log, "w"),
                    start_new_session=True,
                )
                self.processes.append(sniffer)
                wait_for_line(sniffer_log, ready, sniffer)
            server = self.start(self.spec["server"], values, env, log)
            wait_for_port(server_port, server)
            proxy = None
            port = server_port
            if self.spec.get("proxy") == "mitmdump":
                port = free_port()
                proxy = self.start(
                    [
                        "mitmdump",
                        "--mode",
                        f"reverse:http://127.0.0.1:{server_port}",
                        "--listen-host",
                        "127.0.0.1",
                        "-p",
                        str(port),
                        "--set",
                        f"confdir={self.work / 'mitmproxy'}",
                        "--set",
                        f"hardump={self.work / 'capture.har'}",
                        "-q",
                    ],
                    values,
                    env,
                    log,
                )
                wait_for_port(port, proxy)
            values["url"] = f"http://127.0.0.1:{port}"
            values["ws"] = f"ws://127.0.0.1:{port}"
            for client in self.spec["clients"]:
                process = self.start(client, values, env, log)
                try:
                    code = process.wait(timeout=120)
                except subprocess.TimeoutExpired:
                    raise RuntimeError(f"{client[:2]} still running after 120 s")
                if code != 0:
                    raise RuntimeError(f"{client[:2]} exited with {code}; see {self.work / 'peers.log'}")
            # The server first: its end closes the connections mitmdump still relays (a
            # burst can be in flight after the client has exited), and mitmdump writes only
            # the flows that have ended.
            stop(server)
            if proxy is not None:
                # mitmdump writes the HAR when it is told to stop, and only the flows it has
                # seen end: wait until it holds no connection on either side.
                connections_closed([port, server_port])
                stop(proxy, signal.SIGINT)
            if sniffer is not None:
                # The kernel hands a capture tool its packets in blocks: wait until the file has
                # stopped growing, then stop it (both write out what they hold on SIGINT).
                settle(self.work / SNIFFERS[self.spec["sniffer"]][2])
                stop(sniffer, signal.SIGINT)
        finally:
            for process in self.processes:
                stop(process, signal.SIGKILL, 5)
            log.close()
        results = [self.check(capture) for capture in self.spec["captures"]]
        missing = [what for what in self.spec.get("har_has", []) if not har_has(self.work / "capture.har", what)]
        if missing:
            results.append((f"{self.name}/traffic", [f"the HAR has no {what}: the scenario did not happen" for what in missing]))
        return results

    def truth(self):
        """Every peer's ground truth, in the order the capture holds the messages."""
        lines = [json.loads(line) for line in (self.work / "truth.jsonl").read_text().splitlines() if line]
        published = [line["expect"] for line in lines if line.get("relayed")]
        for line in lines:
            if line["expect"] == "as-published":
                line["expect"] = published[line["seq"] - 1]
        # Where a scenario has several sockets, the HAR's entry order (which a proxy chooses)
        # is the order of their messages; each socket is told by a word of its URL.
        sockets = [None]
        if "sockets" in self.spec:
            urls = [entry["request"]["url"] for entry in har_entries(self.work / "capture.har")]
            first = {label: min(i for i, url in enumerate(urls) if word in url) for label, word in self.spec["sockets"].items()}
            sockets = sorted(first, key=first.get)
        return sorted(lines, key=lambda line: (sockets.index(line.get("socket")), line.get("seq", 0)))

    def check(self, capture):
        """Validates one capture and compares every verdict with the truth: (name, problems)."""
        path = self.work / capture
        result = subprocess.run(
            [self.tools["eventwire"], "validate", "--format", "json", str(path)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        label = f"{self.name}/{capture}"
        problems = []
        if result.returncode not in (0, 1):
            return label, [f"exit {result.returncode}: {result.stdout[-2000:]}{result.stderr[-2000:]}"]
        if SECRET in result.stdout + result.stderr:
            problems.append("the report shows the token")
        records = [json.loads(line) for line in result.stdout.splitlines()]
        summary = records[-1]["summary"]
        findings = records[:-1]
        truth = self.truth()
        if capture.endswith((".har", ".pcap", ".pcapng")):
            unsolicited_replies(truth)
        if capture.endswith((".pcap", ".pcapng")):
            problems += wireshark_agrees(self.tools["eventwire"], path, self.spec.get("wireshark") == "where-it-decodes")
        shortened = [line for line in truth if line.get("shortened") and self.spec.get("shortens")]
        expected = [line for line in truth if line not in shortened]
        errors = {}
        for finding in findings:
            index = finding["message_index"]
            if finding["severity"] == "error":
                if index is None:
                    problems.append(f"error outside messages: {finding['check']}: {finding['message']}")
                else:
                    errors.setdefault(index, []).append(finding["check"])
        if self.spec.get("shortens"):
            got_shortened = sum(1 for f in findings if f["check"] == "shortened")
            if got_shortened != len(shortened):
                problems.append(f"{got_shortened} messages reported shortened, the peers logged {len(shortened)} so")
        for check, count in self.spec.get("warnings", {}).items():
            got = sum(1 for f in findings if f["severity"] == "warning" and f["check"] == check)
            if got != count:
                problems.append(f"{got} `{check}` warnings, the scenario expects {count}")
        if summary["messages"] != len(expected):
            problems.append(f"{summary['messages']} messages validated, the peers put {len(expected)} on the wire")
        for index, line in enumerate(expected, start=1):
            checks = errors.get(index, [])
            if line["expect"] == "valid" and checks:
                problems.append(f"message {index} ({line['peer']}: {line['what']}) is valid, reported {checks}")
            elif line["expect"] != "valid" and line["expect"] not in checks:
                problems.append(
                    f"message {index} ({line['peer']}: {line['what']}) breaks {line['expect']}, reported {checks or 'valid'}"
                )
        minimum = self.spec.get("at_least", 1)
        if len(expected) < minimum:
            problems.append(f"only {len(expected)} messages, the scenario needs {minimum}")
        return label, problems


def wireshark_agrees(eventwire, path, partial=False):
    """The WebSocket text messages eventwire reassembles from a packet capture, in order, against
    tshark's own dissection of the same file (reassembly, unmasking, permessage-deflate), packet
    by packet. With `partial`, for traffic tshark cannot dissect whole (tshark 4.0 does not
    inflate compressed fragments, nor a ws client's messages after its first), only the messages
    tshark decodes to JSON are compared, and the rest are counted."""
    listing = subprocess.run([eventwire, "messages", str(path)], capture_output=True, text=True, timeout=120)
    if listing.returncode != 0:
        return [f"eventwire messages: exit {listing.returncode}: {listing.stderr[-1000:]}"]
    listed = [line for line in map(json.loads, listing.stdout.splitlines()) if line["entry_packet"] is None]
    ours = [(line["packet"], line["text"]) for line in listed]
    dissected = subprocess.run(
        ["tshark", "-r", str(path), "-Y", "websocket.payload.text", "-T", "json", "-e", "frame.number", "-e", "tcp.stream", "-e", "websocket.payload.text"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if dissected.returncode != 0:
        return [f"tshark: exit {dissected.returncode}: {dissected.stderr[-1000:]}"]
    theirs, streams = [], {}
    for packet in json.loads(dissected.stdout or "[]"):
        layers = packet["_source"]["layers"]
        streams[int(layers["frame.number"][0])] = int(layers["tcp.stream"][0])
        for text in layers.get("websocket.payload.text", []):
            theirs.append((int(layers["frame.number"][0]), text))
    # Connections are numbered as Wireshark numbers them (`tcp.stream`).
    misnumbered = [line["packet"] for line in listed if line["packet"] in streams and streams[line["packet"]] != line["tcp_stream"]]
    if misnumbered:
        return [f"packets {misnumbered[:5]}: eventwire's tcp_stream is not tshark's tcp.stream"]
    if not theirs:
        return ["tshark found no WebSocket text message: the capture holds no traffic to compare"]
    if partial:
        def whole(text):
            try:
                json.loads(text)
                return True
            except ValueError:
                return False
        theirs = [pair for pair in theirs if whole(pair[1])]
        ours_by_packet = {}
        for packet, text in ours:
            ours_by_packet.setdefault(packet, []).append(text)
        wrong = [(packet, text) for packet, text in theirs if text not in ours_by_packet.get(packet, [])]
        if wrong or len(theirs) < len(ours) // 2:
            return [f"of the {len(theirs)} texts tshark decodes whole, {len(wrong)} are not eventwire's at the same packet: {wrong[:2]}"]
        return []
    if ours != theirs:
        first = next((i for i, (a, b) in enumerate(zip(ours, theirs)) if a != b), min(len(ours), len(theirs)))
        return [
            f"eventwire reassembled {len(ours)} text messages, tshark {len(theirs)}; they first differ at {first + 1}: "
            f"{ours[first:first + 1]} against {theirs[first:first + 1]}"
        ]
    return []


def unsolicited_replies(truth):
    """protocol.md's pairing rules, applied to what the peers say: a reply the server sent to a
    client message that is not valid (the client planted it so) answers no request, which is an
    error where the capture holds both directions of the socket from its opening (a HAR). In a
    log it is a warning, and the verdict stays valid."""
    sent = {line["seq"]: line for line in truth if line.get("peer", "").endswith("client") and "seq" in line}
    for line in truth:
        asked = sent.get(line.get("answers"))
        if asked is not None and asked["expect"] != "valid":
            line["expect"] = "unsolicited-reply"


def har_entries(path):
    return json.loads(path.read_text())["log"]["entries"]


def har_has(path, what):
    """Whether the peers' HAR shows what a scenario is there to exercise."""
    entries = har_entries(path)
    events = ("42", "45")
    if what == "polling events":
        return any(
            "transport=polling" in entry["request"]["url"]
            and any(packet.startswith(events) for packet in entry["request"].get("postData", {}).get("text", "").split("\x1e"))
            for entry in entries
        )
    messages = [entry.get("_webSocketMessages") or [] for entry in entries]
    if what == "websocket events":
        return any(m["type"] == "send" and m["data"].startswith(events) for socket in messages for m in socket)
    if what == "server frames between a binary event and its attachment":
        for socket in messages:
            waiting = False
            for m in socket:
                if m["type"] == "send":
                    waiting = m["opcode"] == 1 and m["data"].startswith("45")
                elif waiting:
                    return True
        return False
    raise ValueError(f"unknown har_has {what!r}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--eventwire", required=True)
    parser.add_argument("--node", default="node")
    parser.add_argument("--only")
    args = parser.parse_args()
    bin_dir = Path(sys.executable).parent
    tools = {
        "eventwire": args.eventwire,
        "python": sys.executable,
        "mitmdump": str(bin_dir / "mitmdump"),
        "node": args.node,
    }
    passed = failed = 0
    for folder in sorted((HERE / "scenarios").iterdir()):
        if args.only and folder.name != args.only:
            continue
        scenario = Scenario(folder, tools)
        started = time.monotonic()
        try:
            results = scenario.run()
        except Exception as error:  # a peer that failed is a failed scenario, with its reason
            results = [(scenario.name, [f"the peers did not run: {error}"])]
        for label, problems in results:
            if problems:
                failed += 1
                print(f"FAIL {label}")
                for problem in problems:
                    print(f"     {problem}")
            else:
                passed += 1
                print(f"ok   {label} ({time.monotonic() - started:.1f} s)")
    print(f"real peers: {passed} passed, {failed} failed")
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main())
