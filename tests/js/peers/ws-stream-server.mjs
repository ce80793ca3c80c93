// The npm `ws` server as a session streaming API backend (`/api/stream/ws/{session_id}`):
// `connection_established` first, then one reply per message (`pong`, `audio_received`,
// `video_received`, `transcription_result`, `chat_message`; `error` for anything it cannot
// take), with permessage-deflate on (every message compressed, the server's window kept or
// reset as NO_CONTEXT_TAKEOVER says). It writes what it sent as ground truth, and for each
// reply the client message it answers (`answers`: the client's `seq`).
//
// Usage: node ws-stream-server.mjs PORT TRUTH [NO_CONTEXT_TAKEOVER]
import { appendFileSync } from "node:fs";
import { WebSocketServer } from "ws";

const [port, truthPath, noContextTakeover] = process.argv.slice(2);
const REPLIES = {
  ping: { type: "pong" },
  audio: { type: "audio_received" },
  video: { type: "video_received" },
  transcription_request: { type: "transcription_result", transcript: "hello" },
};
const PAIRED = new Set(Object.values(REPLIES).map((reply) => reply.type));

function replyTo(text, sessionId) {
  let kind = null;
  let message = null;
  try {
    message = JSON.parse(text);
    kind = message?.type ?? null;
  } catch {
    kind = null;
  }
  let reply;
  if (kind === "chat") reply = { type: "chat_message", message: String(message.message) };
  else if (kind in REPLIES) reply = { ...REPLIES[kind] };
  else reply = { type: "error", message: `cannot take message type ${JSON.stringify(kind)}` };
  return { ...reply, session_id: sessionId, timestamp: 1758855248.5 };
}

const server = new WebSocketServer({
  port: Number(port),
  host: "127.0.0.1",
  perMessageDeflate: { threshold: 0, serverNoContextTakeover: noContextTakeover === "1" },
});
server.on("connection", (socket, request) => {
  const sessionId = request.url.split("?")[0].split("/").pop();
  let seq = 0;
  const send = (message, at, answers) => {
    socket.send(JSON.stringify(message));
    const extra = PAIRED.has(message.type) ? { answers } : {};
    appendFileSync(truthPath, JSON.stringify({ peer: "ws server", expect: "valid", what: message.type, seq: at, ...extra }) + "\n");
  };
  send({ type: "connection_established", session_id: sessionId, timestamp: 1758855248, message: "welcome" }, 0.5);
  socket.on("message", (data) => {
    seq += 1;
    send(replyTo(data.toString("utf8"), sessionId), seq + 0.5, seq);
  });
});
