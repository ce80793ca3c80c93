"""The assistant's two clients of its broker, each a Python `websockets` client: the frontend
subscribes to the session channel, then the assistant backend publishes each planted update
(client to server, the publishing leg) and the frontend waits for the broker to relay it (server
to client) before the next. Each writes what it sent as ground truth.

Usage: assistant_clients.py URL CHANNEL MESSAGES TRUTH
"""

import asyncio
import json
import sys

import websockets

from wire import Truth, planted


def as_client(url, name):
    """The broker's URL with the client's name in its query, so that a capture tells them apart."""
    return f"{url}{'&' if '?' in url else '?'}client={name}"


async def main(url, channel, messages, truth_path):
    truth = Truth(truth_path, "assistant clients")
    async with websockets.connect(as_client(url, "frontend")) as frontend:
        subscribe = {"channel": "subscription", "payload": {"action": "subscribe", "channel": channel}}
        await frontend.send(json.dumps(subscribe))
        truth.sent("valid", "subscribe", socket="subscriber", seq=0)
        await asyncio.sleep(0.2)
        async with websockets.connect(as_client(url, "backend")) as backend:
            for seq, message in enumerate(planted(messages), start=1):
                await backend.send(message["text"])
                relayed = json.loads(message["text"]).get("channel") == channel
                truth.sent(message["expect"], message["text"][:40], socket="publisher", seq=seq, relayed=relayed)
                if relayed:
                    await asyncio.wait_for(frontend.recv(), timeout=10)


asyncio.run(main(*sys.argv[1:5]))
