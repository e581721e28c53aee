// Voice as a stoat.js client sees it. The suite's single LiveKit node (LiveKit__Url, LiveKit__ApiKey,
// LiveKit__ApiSecret) points at a stand-in of LiveKit's RoomService this test starts on SPOKES_TEST_LIVEKIT_PORT,
// with the key and secret given here as SPOKES_LIVEKIT_API_KEY and SPOKES_LIVEKIT_API_SECRET; webhooks signed by
// LiveKit's own SDK are posted through the Gateway to Voice-Ingress (/ingress/worldwide). Skipped otherwise.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { AccessToken, TokenVerifier, TrackSource, WebhookEvent } from "livekit-server-sdk";
import { ConnectionState } from "stoat.js";
import { baseURL, clientFor, refusal } from "./suite.mjs";
import { connect, hangUp, next } from "./events.mjs";
import { startRoomService } from "./room-service.mjs";

const apiKey = process.env.SPOKES_LIVEKIT_API_KEY;
const apiSecret = process.env.SPOKES_LIVEKIT_API_SECRET;
const roomServicePort = Number(process.env.SPOKES_TEST_LIVEKIT_PORT);
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

/** The first raw event of `type` that passes `accept`. */
const nextEvent = (client, type, accept = () => true) =>
  next(client.events, "event", (e) => e.type === type && accept(e)).then(([event]) => event);

/**
 * Reconnects with the same Client, as a client does after a dropped connection. The old socket reports its close
 * asynchronously, and stoat.js then marks its EventClient Disconnected: connecting before that close arrives would
 * have the new socket's Authenticated met in the Disconnected state ("Unreachable code").
 */
async function reconnect(client) {
  const closed = next(client.events, "state", (state) => state === ConnectionState.Disconnected);
  hangUp(client);
  await closed;
  return connect(client);
}

// Set by tests/run.sh, whose runs must not pass a test by skipping it.
const strict = process.env.SPOKES_TEST_STRICT === "1";
const skip = (!apiKey || !apiSecret || !roomServicePort) && !strict
  ? "SPOKES_LIVEKIT_API_KEY, SPOKES_LIVEKIT_API_SECRET and SPOKES_TEST_LIVEKIT_PORT are not set" : false;

test("voice as stoat.js sees it: join_call, a call's joins, leaves and voice state, Ready after reconnecting, a ring ended, a kick", { skip }, async () => {
  const rooms = await startRoomService({ port: roomServicePort, apiKey, apiSecret });
  const { client: alice, me: aliceUser } = await clientFor("caller");
  const { client: bob, me: bobUser } = await clientFor("listener");
  try {
    const server = await alice.api.post("/servers/create", { name: "Voice" });
    const voice = await alice.api.post(`/servers/${server.server._id}/channels`, { type: "Voice", name: "Lounge" });
    const invite = await alice.api.post(`/channels/${server.channels[0]._id}/invites`);
    await bob.api.post(`/invites/${invite._id}`);
    await connect(bob);

    // join_call: its answer is checked against Stoat's schema; LiveKit's SDK reads the room and the identity.
    const call = await alice.api.post(`/channels/${voice._id}/join_call`, {});
    assert.match(call.url, /^wss?:\/\//);
    const claims = await new TokenVerifier(apiKey, apiSecret).verify(call.token);
    assert.equal(claims.sub, aliceUser.id);
    assert.equal(claims.video.room, voice._id);
    assert.equal(claims.video.roomJoin, true);
    const created = await rooms.waitFor("CreateRoom", (c) => c.body.name === voice._id);
    assert.equal(created.grant.roomCreate, true);
    assert.equal((await refusal(() => alice.api.post(`/channels/${server.channels[0]._id}/join_call`, {}))).type, "NotAVoiceChannel");

    // Tampered: refused, and nobody hears of it.
    const signed = await webhook("participant_joined", voice._id, aliceUser.id);
    assert.equal(await post({ ...signed, body: signed.body.replace(aliceUser.id, "01AAAAAAAAAAAAAAAAAAAAAAAA") }), 401);

    const joined = nextEvent(bob, "VoiceChannelJoin", (e) => e.id === voice._id);
    assert.equal(await post(signed), 204);
    assert.equal((await joined).state.id, aliceUser.id);
    assert.ok(bob.channels.get(voice._id).voiceParticipants.has(aliceUser.id), "stoat.js has alice in the call");

    const publishing = nextEvent(bob, "UserVoiceStateUpdate", (e) => e.channel_id === voice._id);
    assert.equal(await post(await webhook("track_published", voice._id, aliceUser.id, "MICROPHONE")), 204);
    assert.deepEqual((await publishing).data, { is_publishing: true });

    const ready = await reconnect(bob);
    const state = ready.voice_states.find((s) => s.id === voice._id);
    assert.ok(state, "the call is in Ready's voice_states");
    assert.deepEqual(state.participants.map((p) => [p.id, p.is_publishing]), [[aliceUser.id, true]]);
    assert.equal(bob.channels.get(voice._id).voiceParticipants.get(aliceUser.id).isPublishing(), true);

    const left = nextEvent(bob, "VoiceChannelLeave", (e) => e.id === voice._id);
    assert.equal(await post(await webhook("participant_left", voice._id, aliceUser.id)), 204);
    assert.equal((await left).user, aliceUser.id);
    assert.equal(bob.channels.get(voice._id).voiceParticipants.has(aliceUser.id), false);

    // A DM call (between friends) rings the other side; the caller, once in the call, may stop ringing them (end_ring).
    await connect(alice);
    await alice.api.post("/users/friend", { username: `${bobUser.username}#${bobUser.discriminator}` });
    await bob.api.put(`/users/${aliceUser.id}/friend`);
    const dm = await alice.api.get(`/users/${bobUser.id}/dm`);
    assert.equal((await refusal(() => alice.api.put(`/channels/${dm._id}/end_ring/${bobUser.id}`))).type, "NotConnected");
    await alice.api.post(`/channels/${dm._id}/join_call`, { recipients: [bobUser.id] });
    const dmJoined = nextEvent(alice, "VoiceChannelJoin", (e) => e.id === dm._id);
    assert.equal(await post(await webhook("participant_joined", dm._id, aliceUser.id)), 204);
    await dmJoined;
    await alice.api.put(`/channels/${dm._id}/end_ring/${bobUser.id}`);
    assert.equal((await refusal(() => alice.api.put(`/channels/${voice._id}/end_ring/${bobUser.id}`))).type, "NoEffect");
    assert.equal((await refusal(() => alice.api.put(`/channels/${dm._id}/end_ring/01AAAAAAAAAAAAAAAAAAAAAAAA`))).type, "NotFound");

    // A member in a call who is kicked is removed from the room on LiveKit, and the others see them leave.
    await bob.api.post(`/channels/${voice._id}/join_call`, {});
    const bobJoined = nextEvent(alice, "VoiceChannelJoin", (e) => e.id === voice._id && e.state.id === bobUser.id);
    assert.equal(await post(await webhook("participant_joined", voice._id, bobUser.id)), 204);
    await bobJoined;
    const bobLeft = nextEvent(alice, "VoiceChannelLeave", (e) => e.id === voice._id && e.user === bobUser.id);
    await alice.api.delete(`/servers/${server.server._id}/members/${bobUser.id}`);
    await rooms.waitFor("RemoveParticipant", (c) => c.body.room === voice._id && c.body.identity === bobUser.id);
    await bobLeft;
  } finally {
    hangUp(alice);
    hangUp(bob);
    await rooms.close();
  }
});
