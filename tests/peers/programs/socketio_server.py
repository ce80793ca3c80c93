"""A python-socketio server on aiohttp, as the media seed runs one: it takes `audio_data` and
`video_data` and acknowledges each with "ok". It sends nothing of the protocols itself, only
Engine.IO and Socket.IO protocol frames (pings every `ping_interval` seconds, acks). With LOG,
engineio's packet lines (`engineio_logger=True`) go to that file.

Usage: socketio_server.py PORT [LOG]
"""

import logging
import sys

import socketio
from aiohttp import web

from wire import port_arg

LOG = len(sys.argv) > 2
if LOG:
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s %(message)s", level=logging.INFO, filename=sys.argv[2])
sio = socketio.AsyncServer(
    async_mode="aiohttp",
    ping_interval=0.2,
    ping_timeout=5,
    max_http_buffer_size=10_000_000,
    logger=LOG,
    engineio_logger=LOG,
)
app = web.Application()
sio.attach(app)


@sio.on("audio_data")
async def audio_data(sid, data):
    return "ok"


@sio.on("video_data")
async def video_data(sid, data):
    return "ok"


web.run_app(app, host="127.0.0.1", port=port_arg(), print=None)
