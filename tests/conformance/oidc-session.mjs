// For the suite's OIDC system test: the session a browser's OIDC login handed over (SPOKES_SESSION, the answer of
// POST /auth/oidc/exchange) is onboarded as SPOKES_USERNAME and used by stoat.js over the events WebSocket.
import { API } from "stoat-api";
import { Client } from "stoat.js";
import WebSocket from "ws";

// Node has no WebSocket of its own in every version; stoat.js expects the browser's, which `ws` provides.
globalThis.WebSocket ??= WebSocket;

const baseURL = `${process.env.SPOKES_URL}/api`;
const session = JSON.parse(process.env.SPOKES_SESSION);
const api = new API({ baseURL, authentication: { rauth: session.token } });
await api.post("/onboard/complete", { username: process.env.SPOKES_USERNAME });

const client = new Client({ baseURL });
client.configuration = await client.api.get("/");
client.useExistingSession(session);
const ready = new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error("no ready within 15 s")), 15_000);
  client.once("ready", () => {
    clearTimeout(timer);
    resolve();
  });
});
client.connect();
await ready;
console.log(`connected as ${client.user.username}`);
client.options.autoReconnect = false;
client.events.disconnect();
process.exit(0);
