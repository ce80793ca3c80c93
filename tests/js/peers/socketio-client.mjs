// The npm `socket.io-client`: connects with the given transports (`websocket`, `polling`, or
// both: polling first, then the upgrade), sends the planted events `repeat` times each through
// the library's own encoder (a Buffer payload becomes a binary attachment), and writes what it
// sent as ground truth, one JSON line per event.
//
// A planted event with `"ack": true` waits for its acknowledgement, `"ack": "later"` asks for one
// without waiting; `"repeat": n` sends it n times, `"pause": s` waits s seconds after it.
//
// Usage: node socketio-client.mjs URL TRANSPORTS MESSAGES TRUTH
import { appendFileSync, readFileSync } from "node:fs";
import { io } from "socket.io-client";

const [url, transports, messagesPath, truthPath] = process.argv.slice(2);
const JPEG = Buffer.from("ffd8ffe000104a46494600010100000100010000ffd9", "hex");

function f32(samples) {
  const buffer = Buffer.alloc(samples.length * 4);
  samples.forEach((sample, i) => buffer.writeFloatLE(sample, i * 4));
  return buffer;
}

function payload(value) {
  if (Array.isArray(value)) return value.map(payload);
  if (value && typeof value === "object") {
    if ("$f32" in value) return f32(value.$f32);
    if ("$bytes" in value) return Buffer.alloc(value.$bytes);
    if ("$f32_zeros" in value) return Buffer.alloc(value.$f32_zeros * 4);
    if ("$b64f32" in value) return f32(value.$b64f32).toString("base64");
    if ("$jpeg_b64" in value) return JPEG.toString("base64");
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, payload(item)]));
  }
  return value;
}

const socket = io(url, { transports: transports.split(","), reconnection: false });
socket.on("connect_error", (error) => {
  console.error(`connect_error: ${error.message}`);
  process.exit(2);
});
socket.on("connect", async () => {
  for (const message of JSON.parse(readFileSync(messagesPath, "utf8"))) {
    for (let n = 0; n < (message.repeat ?? 1); n += 1) {
      const data = payload(message.data);
      if (message.ack === "later") {
        // Asks for an acknowledgement without waiting for it: the acks come back mid-burst.
        socket.emit(message.event, data, () => {});
      } else if (message.ack) {
        await socket.timeout(10000).emitWithAck(message.event, data);
      } else {
        socket.emit(message.event, data);
      }
      appendFileSync(truthPath, JSON.stringify({ peer: "socket.io-client", expect: message.expect, what: message.event }) + "\n");
      if (message.pause) await new Promise((resolve) => setTimeout(resolve, message.pause * 1000));
    }
  }
  // Long enough for several of the server's pings.
  await new Promise((resolve) => setTimeout(resolve, 300));
  socket.disconnect();
  setTimeout(() => process.exit(0), 100);
});
