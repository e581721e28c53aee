// Voice as a stoat.js client sees it: LiveKit webhooks, signed by LiveKit's own SDK and posted to the suite's
// /ingress/worldwide, reach the client as Stoat's voice events and stay in Ready's voice_states. Needs a suite
// whose single LiveKit node has the key and secret given here (LiveKit__ApiKey, LiveKit__ApiSecret, and any
// LiveKit__Url); skipped otherwise.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import WebSocket from "ws";
import { AccessToken, TrackSource, WebhookEvent } from "livekit-server-sdk";
import { baseURL, clientFor } from "./suite.mjs";

globalThis.WebSocket ??= WebSocket;

const apiKey = process.env.SPOKES_LIVEKIT_API_KEY;
const apiSecret = process.env.SPOKES_LIVEKIT_API_SECRET;
const ingress = `${baseURL.replace(/\/api$/, "")}/ingress/worldwide`;

/** A webhook as a LiveKit node signs it (the SDK's WebhookEvent, an AccessToken carrying the body's sha256). */
async function webhook(event, room, identity, source) {
  const payload = new WebhookEvent({
    id: `EV_${crypto.randomUUID()}`,
    createdAt: BigInt(Math.floor(Date.now() / 1000)),
    room: { name: room },
    participant: identity ? { identity, joinedAt: BigInt(Math.floor(Date.now() / 1000)) } : undefined,
    track: source ? { sid: "TR_1", source: TrackSource[source] } : undefined,
  });
  payload.event = event; // the SDK's constructor resets it
  const body = payload.toJsonString();
  const token = new AccessToken(apiKey, apiSecret);
  token.sha256 = createHash("sha256").update(body).digest("base64");
  return { body, authorization: await token.toJwt() };
}

async function post({ body, authorization }) {
  const response = await fetch(ingress, { method: "POST", body, headers: { "content-type": "application/webhook+json", authorization } });
  return response.status;
}

function nextEvent(client, type, accept = () => true, ms = 10_000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { client.events.off("event", listener); reject(new Error(`no ${type} within ${ms} ms`)); }, ms);
    function listener(event) {
      if (event.type !== type || !accept(event)) return;
      clearTimeout(timer);
      client.events.off("event", listener);
      resolve(event);
    }
    client.events.on("event", listener);
  });
}

async function connect(client) {
  const ready = nextEvent(client, "Ready");
  client.connect();
  return ready;
}

test("a stoat.js client sees a call's joins, leaves and voice state, and finds it in Ready after reconnecting", { skip: !apiKey || !apiSecret ? "SPOKES_LIVEKIT_API_KEY and SPOKES_LIVEKIT_API_SECRET are not set" : false }, async () => {
  const { client: alice, me: aliceUser } = await clientFor("caller");
  const { client: bob } = await clientFor("listener");
  const server = await alice.api.post("/servers/create", { name: "Voice" });
  const voice = await alice.api.post(`/servers/${server.server._id}/channels`, { type: "Voice", name: "Lounge" });
  const invite = await alice.api.post(`/channels/${server.channels[0]._id}/invites`);
  await bob.api.post(`/invites/${invite._id}`);
  try {
    await connect(bob);

    // Tampered: refused, and nobody hears of it.
    const signed = await webhook("participant_joined", voice._id, aliceUser.id);
    assert.equal(await post({ ...signed, body: signed.body.replace(aliceUser.id, "01AAAAAAAAAAAAAAAAAAAAAAAA") }), 401);

    const joined = nextEvent(bob, "VoiceChannelJoin", (e) => e.id === voice._id);
    assert.equal(await post(signed), 204);
    assert.equal((await joined).state.id, aliceUser.id);

    const publishing = nextEvent(bob, "UserVoiceStateUpdate", (e) => e.channel_id === voice._id);
    assert.equal(await post(await webhook("track_published", voice._id, aliceUser.id, "MICROPHONE")), 204);
    assert.deepEqual((await publishing).data, { is_publishing: true });

    bob.options.autoReconnect = false;
    bob.events.disconnect();
    const ready = await connect(bob);
    const call = ready.voice_states.find((state) => state.id === voice._id);
    assert.ok(call, "the call is in Ready's voice_states");
    assert.deepEqual(call.participants.map((p) => [p.id, p.is_publishing]), [[aliceUser.id, true]]);

    const left = nextEvent(bob, "VoiceChannelLeave", (e) => e.id === voice._id);
    assert.equal(await post(await webhook("participant_left", voice._id, aliceUser.id)), 204);
    assert.equal((await left).user, aliceUser.id);
  } finally {
    for (const client of [alice, bob]) {
      client.options.autoReconnect = false;
      client.events.disconnect();
    }
  }
});
