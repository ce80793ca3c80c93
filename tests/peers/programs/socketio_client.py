"""A python-socketio client: connects with the given transports (`websocket`, `polling`, or
both, which starts on polling and upgrades), sends the planted events through the library's own
encoder (binary payloads become attachments), and writes what it sent as ground truth. With
LOG, engineio's packet lines (`engineio_logger=True`) go to that file.

Usage: socketio_client.py URL TRANSPORTS MESSAGES TRUTH [LOG]
"""

import asyncio
import logging
import sys

import socketio

from wire import Truth, payload, planted


async def main(url, transports, messages, truth_path):
    truth = Truth(truth_path, "python-socketio client")
    log = len(sys.argv) > 5
    if log:
        logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s %(message)s", level=logging.INFO, filename=sys.argv[5])
    client = socketio.AsyncClient(logger=log, engineio_logger=log)
    await client.connect(url, transports=transports.split(","), wait_timeout=10)
    for message in planted(messages):
        data = payload(message["data"])
        if message.get("ack"):
            await client.call(message["event"], data, timeout=10)
        else:
            await client.emit(message["event"], data)
        truth.sent(message["expect"], message["event"])
        await asyncio.sleep(message.get("pause", 0))
    # Long enough for the server's pings to come and be answered.
    await asyncio.sleep(0.5)
    await client.disconnect()
    truth.close()


asyncio.run(main(*sys.argv[1:5]))
