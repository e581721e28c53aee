// Live events (Stoat's events protocol at /ws, through the Gateway) as two stoat.js clients see them.
import { test } from "node:test";
import assert from "node:assert/strict";
import WebSocket from "ws";
import { clientFor } from "./suite.mjs";

// Node 20 has no WebSocket of its own; stoat.js expects the browser's, which `ws` provides.
globalThis.WebSocket ??= WebSocket;

const ViewChannel = 1 << 20;

/** The first `name` event of `emitter` whose arguments pass `accept`, or a failure after `ms`. */
export function next(emitter, name, accept = () => true, ms = 10_000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(name, listener);
      reject(new Error(`no ${name} within ${ms} ms`));
    }, ms);
    function listener(...args) {
      if (!accept(...args)) return;
      clearTimeout(timer);
      emitter.off(name, listener);
      resolve(args);
    }
    emitter.on(name, listener);
  });
}

/** Connects a client and resolves with the raw Ready payload once stoat.js has taken it in. */
export async function connect(client) {
  const readyPayload = next(client.events, "event", (e) => e.type === "Ready");
  const ready = next(client, "ready");
  client.connect();
  const [[payload]] = await Promise.all([readyPayload, ready]);
  return payload;
}

export function hangUp(client) {
  client.options.autoReconnect = false;
  client.events.disconnect();
}

test("a second stoat.js client sees the first one's messages, typing, channels, members, roles and presence live", async () => {
  const { client: alice, me: aliceUser } = await clientFor("alice");
  const { client: bob, me: bobUser } = await clientFor("bob");
  const server = await alice.api.post("/servers/create", { name: "Live" });
  const general = server.channels[0];
  const invite = await alice.api.post(`/channels/${general._id}/invites`);
  await bob.api.post(`/invites/${invite._id}`);

  try {
    // Ready: every array present, self with relationship "User", the server, its channel and bob's membership.
    const ready = await connect(bob);
    for (const field of ["users", "servers", "channels", "members", "emojis", "voice_states", "policy_changes"]) {
      assert.ok(Array.isArray(ready[field]), `Ready.${field} is an array`);
    }
    assert.equal(bob.user.id, bobUser.id);
    assert.equal(ready.users.find((u) => u._id === bobUser.id).relationship, "User");
    assert.ok(bob.servers.get(server.server._id), "the server is in Ready");
    assert.ok(bob.channels.get(general._id), "its channel is in Ready");
    assert.ok(ready.members.some((m) => m._id.server === server.server._id && m._id.user === bobUser.id));

    // Member updates of the server (presence of its members), as Stoat's web client asks when a server is open,
    // where it also loads the members it shows.
    bob.events.send({ type: "Subscribe", server_id: server.server._id });
    await bob.users.fetch(aliceUser.id);
    const cameOnline = next(bob, "userUpdate", (user) => user.id === aliceUser.id && user.online === true);
    await connect(alice);
    await cameOnline;

    const channel = alice.channels.get(general._id);
    const created = next(bob, "messageCreate", (m) => m.content === "hello bob");
    const sent = await channel.sendMessage("hello bob");
    const [received] = await created;
    assert.equal(received.id, sent.id);
    assert.equal(received.authorId, aliceUser.id);

    const edited = next(bob, "messageUpdate", (m) => m.id === sent.id);
    await sent.edit({ content: "hello again" });
    assert.equal((await edited)[0].content, "hello again");

    const reacted = next(bob, "messageReactionAdd", (m, user, emoji) => m.id === sent.id && user === aliceUser.id && emoji === "👋");
    await sent.react("👋");
    await reacted;

    const deleted = next(bob, "messageDelete", (m) => m.id === sent.id);
    await sent.delete();
    await deleted;

    const typing = next(bob, "channelStartTyping", (c, user) => c.id === general._id && user.id === aliceUser.id);
    alice.events.send({ type: "BeginTyping", channel: general._id });
    await typing;
    const stopped = next(bob, "channelStopTyping", (c, user) => c.id === general._id && user.id === aliceUser.id);
    alice.events.send({ type: "EndTyping", channel: general._id });
    await stopped;

    const newChannel = next(bob, "channelCreate", (c) => c.name === "news");
    const news = await alice.api.post(`/servers/${server.server._id}/channels`, { type: "Text", name: "news" });
    await newChannel;

    const { client: carol, me: carolUser } = await clientFor("carol");
    const joined = next(bob, "serverMemberJoin", (m) => m.id.user === carolUser.id);
    await carol.api.post(`/invites/${invite._id}`);
    await joined;

    // A role that may not see #news; giving it to bob takes the channel away from him.
    const { id: roleId } = await alice.api.post(`/servers/${server.server._id}/roles`, { name: "Quiet" });
    await alice.api.put(`/channels/${news._id}/permissions/${roleId}`, { permissions: { allow: 0, deny: ViewChannel } });
    const hidden = next(bob, "channelDelete", (c) => c.id === news._id);
    await alice.api.patch(`/servers/${server.server._id}/members/${bobUser.id}`, { roles: [roleId] });
    await hidden;
    assert.equal(bob.channels.get(news._id), undefined);

    const wentOffline = next(bob, "userUpdate", (user) => user.id === aliceUser.id && user.online === false);
    hangUp(alice);
    await wentOffline;

    // Revoking the session ends its socket with Logout, then the server closes it. Bob hangs up within the
    // Logout message itself: had the server's close come first, stoat.js would leave its heartbeat interval
    // running (its onclose drops the socket before disconnect() can clear the timer) and Node would never exit.
    const loggedOut = next(bob.events, "event", (e) => {
      if (e.type !== "Logout") return false;
      hangUp(bob);
      return true;
    });
    await bob.api.post("/auth/session/logout");
    await loggedOut;
  } finally {
    hangUp(alice);
    hangUp(bob);
  }
});

test("two stoat.js clients follow each other's channel list, presence and profile from the events alone", async () => {
  const { client: alice, me: aliceUser } = await clientFor("alice");
  const { client: bob, me: bobUser } = await clientFor("bob");
  const { server, channels: [general] } = await alice.api.post("/servers/create", { name: "Presence" });
  const invite = await alice.api.post(`/channels/${general._id}/invites`);
  await bob.api.post(`/invites/${invite._id}`);

  try {
    // Neither sends Subscribe, as Stoat's web client never does: presence still reaches every member.
    await connect(bob);
    await bob.users.fetch(aliceUser.id);
    assert.equal(bob.users.get(aliceUser.id).online, false);
    const cameOnline = next(bob, "userUpdate", (user) => user.id === aliceUser.id && user.online === true);
    await connect(alice);
    await cameOnline;
    assert.equal(bob.users.get(aliceUser.id).online, true);
    assert.equal((await bob.api.get(`/users/${aliceUser.id}`)).online, true);
    assert.equal((await alice.api.get(`/users/${bobUser.id}`)).online, true);
    assert.equal((await alice.api.get("/users/@me")).online, true);
    await alice.users.fetch(bobUser.id);
    assert.equal(alice.users.get(bobUser.id).online, true);
    const members = await bob.api.get(`/servers/${server._id}/members`);
    assert.equal(members.users.find((u) => u._id === aliceUser.id).online, true);

    // A new channel joins both channel lists (creator's included) from ServerUpdate{channels} and ChannelCreate.
    const told = [alice, bob].flatMap((client) => [
      next(client, "serverUpdate", (s) => s.id === server._id),
      next(client, "channelCreate", (c) => c.name === "news"),
    ]);
    const news = await alice.api.post(`/servers/${server._id}/channels`, { type: "Text", name: "news" });
    await Promise.all(told);
    for (const client of [alice, bob]) {
      assert.deepEqual(client.servers.get(server._id).channels.map((c) => c.id), [general._id, news._id]);
    }

    // Profile changes go to the members who asked for the server's members (Subscribe), as in Stoat.
    // The socket takes client messages in order: once bob's typing reaches alice, his Subscribe has been applied.
    const subscribed = next(alice, "channelStartTyping", (c, user) => c.id === general._id && user.id === bobUser.id);
    bob.events.send({ type: "Subscribe", server_id: server._id });
    bob.events.send({ type: "BeginTyping", channel: general._id });
    await subscribed;
    bob.events.send({ type: "EndTyping", channel: general._id });
    const renamed = next(bob, "userUpdate", (user) => user.id === aliceUser.id && user.displayName === "Alice Live");
    await alice.api.patch("/users/@me", { display_name: "Alice Live" });
    await renamed;
    assert.equal(bob.users.get(aliceUser.id).displayName, "Alice Live");

    const wentOffline = next(bob, "userUpdate", (user) => user.id === aliceUser.id && user.online === false);
    hangUp(alice);
    await wentOffline;
    assert.equal(bob.users.get(aliceUser.id).online, false);
    assert.equal((await bob.api.get(`/users/${aliceUser.id}`)).online, false);
  } finally {
    hangUp(alice);
    hangUp(bob);
  }
});
