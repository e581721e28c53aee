// A stand-in of LiveKit's RoomService for the suite's LiveKit node: Twirp JSON at /twirp/livekit.RoomService/{method},
// answering only calls whose bearer token LiveKit's own SDK (TokenVerifier) accepts for the node's key and secret.
// `GET /` answers as a LiveKit server does, so the suite sees the node up. Every authorised call is kept.
import { createServer } from "node:http";
import { TokenVerifier } from "livekit-server-sdk";

export async function startRoomService({ port, apiKey, apiSecret }) {
  const verifier = new TokenVerifier(apiKey, apiSecret);
  const calls = [];
  const waiting = new Set();
  const server = createServer(async (request, response) => {
    const chunks = [];
    for await (const chunk of request) chunks.push(chunk);
    const answer = (status, body) => {
      response.writeHead(status, { "content-type": "application/json" });
      response.end(JSON.stringify(body));
    };
    if (request.method === "GET" && request.url === "/") return answer(200, "OK");
    const method = request.method === "POST" && request.url.match(/^\/twirp\/livekit\.RoomService\/(\w+)$/)?.[1];
    if (!method) return answer(404, { code: "not_found", msg: "no such route" });
    let grant;
    try {
      grant = (await verifier.verify((request.headers.authorization ?? "").replace(/^Bearer /, ""))).video;
    } catch {
      return answer(401, { code: "unauthenticated", msg: "invalid token" });
    }
    const body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
    const call = { method, body, grant };
    calls.push(call);
    for (const wait of waiting) wait(call);
    answer(200, method === "CreateRoom" ? { sid: "RM_1", name: body.name } : {});
  });
  await new Promise((resolve, reject) => server.once("error", reject).listen(port, "127.0.0.1", resolve));
  return {
    calls,
    /** The first call of `method` that passes `accept`, made already or within `ms`. */
    waitFor(method, accept = () => true, ms = 10_000) {
      const matches = (call) => call.method === method && accept(call);
      const found = calls.find(matches);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(listener);
          reject(new Error(`RoomService saw no matching ${method} within ${ms} ms; it saw ${calls.map((c) => c.method).join(", ")}`));
        }, ms);
        function listener(call) {
          if (!matches(call)) return;
          clearTimeout(timer);
          waiting.delete(listener);
          resolve(call);
        }
        waiting.add(listener);
      });
    },
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); }),
  };
}
