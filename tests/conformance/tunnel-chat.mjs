// Stoat's client library using a suite only through its public URL on a tunnel edge: `node tunnel-chat.mjs URL`
// signs up, connects to the events WebSocket (/ws) and sends a message, then prints "delivered MESSAGE_ID".
// Names under .localhost are this machine (RFC 6761); Node's resolver does not know them, so they are answered here.
import dns from "node:dns";
import assert from "node:assert/strict";
import WebSocket from "ws";

const resolve = dns.lookup;
dns.lookup = (hostname, options, callback) => {
  if (typeof options === "function") [options, callback] = [{}, options];
  if (!hostname.endsWith(".localhost")) return resolve(hostname, options, callback);
  const loopback = { address: "127.0.0.1", family: 4 };
  return typeof options === "object" && options.all ? callback(null, [loopback]) : callback(null, loopback.address, loopback.family);
};
globalThis.WebSocket ??= WebSocket;

const { API } = await import("stoat-api");
const { Client } = await import("stoat.js");

const publicUrl = process.argv[2].replace(/\/$/, "");
const baseURL = `${publicUrl}/api`;
const anonymous = new API({ baseURL });
const email = `tunnel-${crypto.randomUUID()}@example.com`;
const password = "correct horse battery staple";
await anonymous.post("/auth/account/create", { email, password });
const session = await anonymous.post("/auth/session/login", { email, password, friendly_name: "through the tunnel" });
assert.equal(session.result, "Success");

const client = new Client({ baseURL });
client.configuration = await client.api.get("/");
// The suite announces its public URL, the edge's hostname: the WebSocket goes through the edge too.
assert.equal(client.configuration.ws, `${publicUrl.replace(/^http/, "ws")}/ws`);
client.useExistingSession(session);
await client.api.post("/onboard/complete", { username: "tunneller" });

const ready = new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error("no Ready over /ws within 15 s")), 15_000);
  client.once("ready", () => { clearTimeout(timer); resolve(); });
});
client.connect();
await ready;

const server = await client.servers.createServer({ name: "Tunnelled" });
const channel = server.channels[0];
const heard = new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error("the message never came back over /ws")), 15_000);
  client.on("messageCreate", (message) => {
    if (message.content !== "hello through the edge") return;
    clearTimeout(timer);
    resolve(message);
  });
});
const sent = await channel.sendMessage("hello through the edge");
const echoed = await heard;
assert.equal(echoed.id, sent.id);
console.log(`delivered ${sent.id}`);
client.options.autoReconnect = false;
client.events.disconnect();
process.exit(0);
