// The npm `socket.io` server: takes `audio_data` and `video_data` and acknowledges each, every
// other one with a binary acknowledgement (`46x-` and an attachment of its own, server to
// client), while it pings every 50 ms. It sends no event of its own.
//
// With HOLD_UPGRADE seconds, it holds every WebSocket upgrade request that long, so that a client
// on its default transports sends its first events over HTTP long-polling before it upgrades.
//
// Usage: node socketio-server.mjs PORT [HOLD_UPGRADE]
import { createServer } from "node:http";
import { Server } from "socket.io";

const port = Number(process.argv[2]);
const holdUpgrade = Number(process.argv[3] ?? 0) * 1000;
const http = createServer();
const io = new Server(http, { pingInterval: 50, pingTimeout: 5000, maxHttpBufferSize: 1e7 });
io.engine.use((request, _response, next) => {
  if (holdUpgrade > 0 && request.headers.upgrade) {
    setTimeout(next, holdUpgrade);
  } else {
    next();
  }
});
let acks = 0;
io.on("connection", (socket) => {
  for (const event of ["audio_data", "video_data"]) {
    socket.on(event, (_data, ack) => {
      if (typeof ack !== "function") return;
      acks += 1;
      ack(acks % 2 === 0 ? Buffer.from([1, 2, 3]) : "ok");
    });
  }
});
http.listen(port, "127.0.0.1");
