"""A Python `websockets` broker of the assistant's live updates, as the assistant seed's backend
talks to one (`ws://HOST/ws`): a client subscribes to a channel with
`{"channel": "subscription", "payload": {"action": "subscribe", "channel": C}}`, and every other
message published on a channel is relayed, as it came, to that channel's subscribers. It
writes what it relayed as ground truth: the verdict is the publisher's ("as-published"), since
relaying changes nothing but the direction.

Usage: assistant_broker.py PORT TRUTH
"""

import asyncio
import json
import sys

import websockets

from wire import Truth, port_arg


async def main(port, truth_path):
    truth = Truth(truth_path, "websockets broker")
    subscribers = {}
    relayed = 0

    async def handler(socket):
        nonlocal relayed
        async for text in socket:
            try:
                message = json.loads(text)
                channel = message["channel"]
            except (ValueError, KeyError, TypeError):
                continue
            if channel == "subscription":
                request = message.get("payload") or {}
                if request.get("action") == "subscribe" and isinstance(request.get("channel"), str):
                    subscribers.setdefault(request["channel"], []).append(socket)
                continue
            for subscriber in subscribers.get(channel, []):
                await subscriber.send(text)
                relayed += 1
                truth.sent("as-published", "relayed", socket="subscriber", seq=relayed)

    async with websockets.serve(handler, "127.0.0.1", port):
        await asyncio.Future()


asyncio.run(main(port_arg(), sys.argv[2]))
