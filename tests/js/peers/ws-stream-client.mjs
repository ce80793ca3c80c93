// The npm `ws` client of the session streaming API, with permessage-deflate on: waits for
// `connection_established`, then sends each planted text (every third in two fragments, as
// `ws` sends a message with `fin: false` first), then one large valid `audio` message that
// spans many TCP segments, waiting for the reply to each. Writes what it sent as ground truth,
// in the same form as the Python peers (`seq` counts its messages from 1).
//
// Usage: node ws-stream-client.mjs URL MESSAGES TRUTH
import { appendFileSync, readFileSync } from "node:fs";
import WebSocket from "ws";

const [url, messagesPath, truthPath] = process.argv.slice(2);
const socket = new WebSocket(url, { perMessageDeflate: { threshold: 0 } });
const replies = [];
let waiting = null;
socket.on("message", (data) => {
  replies.push(data.toString("utf8"));
  if (waiting) waiting();
});
const reply = () =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no reply within 10 s")), 10000);
    const take = () => {
      if (replies.length === 0) return;
      replies.shift();
      clearTimeout(timer);
      waiting = null;
      resolve();
    };
    waiting = take;
    take();
  });
const sendFragmented = (text) =>
  new Promise((resolve, reject) => {
    const middle = Math.floor(text.length / 2);
    socket.send(text.slice(0, middle), { fin: false }, (error) => {
      if (error) return reject(error);
      socket.send(text.slice(middle), { fin: true }, (error2) => (error2 ? reject(error2) : resolve()));
    });
  });

socket.on("error", (error) => {
  console.error(`ws client: ${error.message}`);
  process.exit(2);
});
socket.on("open", async () => {
  await reply(); // connection_established
  const planted = JSON.parse(readFileSync(messagesPath, "utf8"));
  const large = { text: JSON.stringify({ type: "audio", session_id: "s1", timestamp: 1758855248, data: Buffer.alloc(300000, 7).toString("base64") }), expect: "valid" };
  let seq = 0;
  for (const message of [...planted, large]) {
    seq += 1;
    if (seq % 3 === 0) await sendFragmented(message.text);
    else socket.send(message.text);
    appendFileSync(truthPath, JSON.stringify({ peer: "ws client", expect: message.expect, what: message.text.slice(0, 40), seq }) + "\n");
    await reply();
  }
  socket.close(1000);
  socket.on("close", () => process.exit(0));
});
