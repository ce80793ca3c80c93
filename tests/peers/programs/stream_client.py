"""A Python `websockets` client of the session streaming API: waits for `connection_established`,
then sends each planted text as it is (so that planted breakage reaches the wire byte for byte)
and waits for the server's reply before the next. Writes what it sent as ground truth. It
negotiates permessage-deflate, as `websockets` does by default (EVENTWIRE_PEER_COMPRESSION=none
turns it off).

Usage: stream_client.py URL MESSAGES TRUTH [LOG]
"""

import asyncio
import logging
import os
import sys

import websockets

from wire import Truth, planted

MAX_LOG_SIZE = int(os.environ.get("WEBSOCKETS_MAX_LOG_SIZE", "75"))


async def main(url, messages, truth_path):
    truth = Truth(truth_path, "websockets client")
    compression = None if os.environ.get("EVENTWIRE_PEER_COMPRESSION") == "none" else "deflate"
    async with websockets.connect(url, compression=compression) as socket:
        await socket.recv()
        for seq, message in enumerate(planted(messages), start=1):
            await socket.send(message["text"])
            # The logger shortens what it logs past WEBSOCKETS_MAX_LOG_SIZE characters.
            shortened = len(repr(message["text"])) > MAX_LOG_SIZE
            truth.sent(message["expect"], message["text"][:40], seq=seq, shortened=shortened)
            await socket.recv()


if len(sys.argv) > 4:
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s %(message)s", level=logging.DEBUG, filename=sys.argv[4])
asyncio.run(main(*sys.argv[1:4]))
