"""A Python `websockets` server of the session streaming API (`/api/stream/ws/{session_id}`), as
the stream seed's backend behaves: `connection_established` first, then one reply per message
(`pong`, `audio_received`, `video_received`, `transcription_result`, `chat_message`; `error` for
anything it cannot take). It writes what it sent as ground truth; all of it is valid on its own,
and each reply says which of the client's messages it answers (`answers`, the client's `seq`):
a reply to a message that is not valid answers no request under the pairing rules.

Usage: stream_server.py PORT TRUTH [LOG]   (with LOG, websockets' DEBUG lines go to that file)
"""

import asyncio
import json
import logging
import os
import sys

import websockets

from wire import Truth, port_arg

MAX_LOG_SIZE = int(os.environ.get("WEBSOCKETS_MAX_LOG_SIZE", "75"))

REPLIES = {
    "ping": {"type": "pong"},
    "audio": {"type": "audio_received"},
    "video": {"type": "video_received"},
    "transcription_request": {"type": "transcription_result", "transcript": "hello"},
}

# The replies that answer a request of their kind (`error` answers any, and is never unsolicited).
PAIRED_REPLIES = {reply["type"] for reply in REPLIES.values()}


def reply_to(text, session_id):
    try:
        message = json.loads(text)
        kind = message.get("type")
    except (ValueError, AttributeError):
        kind = None
    if kind == "chat":
        reply = {"type": "chat_message", "message": str(message.get("message"))}
    elif kind in REPLIES:
        reply = dict(REPLIES[kind])
    else:
        reply = {"type": "error", "message": f"cannot take message type {kind!r}"}
    return {**reply, "session_id": session_id, "timestamp": 1758855248.5}


async def main(port, truth_path):
    truth = Truth(truth_path, "websockets server")

    async def send(socket, message, seq, answers=None):
        text = json.dumps(message)
        await socket.send(text)
        # The logger shortens what it logs past WEBSOCKETS_MAX_LOG_SIZE characters.
        pairs = message["type"] in PAIRED_REPLIES
        extra = {"answers": answers} if pairs else {}
        truth.sent("valid", message["type"], seq=seq, shortened=len(repr(text)) > MAX_LOG_SIZE, **extra)

    async def handler(socket):
        session_id = socket.request.path.split("?")[0].rsplit("/", 1)[-1]
        welcome = {"type": "connection_established", "session_id": session_id, "timestamp": 1758855248, "message": "welcome"}
        await send(socket, welcome, 0.5)
        seq = 0
        async for text in socket:
            seq += 1
            await send(socket, reply_to(text, session_id), seq + 0.5, answers=seq)

    async with websockets.serve(handler, "127.0.0.1", port):
        await asyncio.Future()


if len(sys.argv) > 3:
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s %(message)s", level=logging.DEBUG, filename=sys.argv[3])
asyncio.run(main(port_arg(), sys.argv[2]))
