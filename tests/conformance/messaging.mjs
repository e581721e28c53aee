// A conversation held with stoat.js@7.3.4 as Stoat's clients hold one: send, reply, edit, react, pin,
// page through history both ways and around a message, search, delete, bulk delete, unreads after ack,
// a bot posting with its token and a webhook posting with its own.
import { test } from "node:test";
import assert from "node:assert/strict";
import { API } from "stoat-api";
import { baseURL, clientFor, refusal } from "./suite.mjs";

async function joined(client, inviteCode, channelId) {
  await client.api.post(`/invites/${inviteCode}`);
  return client.channels.fetch(channelId);
}

test("a conversation is held, paged, searched and tidied with stoat.js", async () => {
  const { client: owner, me: ownerUser } = await clientFor("ivan");
  const { client: guest, me: guestUser } = await clientFor("judy");
  const server = await owner.servers.createServer({ name: "Chatter" });
  const general = server.channels[0];
  const invite = await general.createInvite();
  const guestGeneral = await joined(guest, invite._id, general.id);

  const hello = await general.sendMessage("hello, judy");
  assert.equal(hello.content, "hello, judy");
  assert.equal(hello.authorId, ownerUser.id);

  const reply = await (await guestGeneral.fetchMessage(hello.id)).reply(`hi <@${ownerUser.id}>!`, true);
  assert.deepEqual(reply.replyIds, [hello.id]);
  assert.deepEqual(reply.mentionIds, [ownerUser.id]);

  const edited = await hello.edit({ content: "hello again, judy" });
  assert.equal(edited.content, "hello again, judy");
  assert.ok(edited.edited, "an edit records when it happened");

  const guestHello = await guestGeneral.fetchMessage(hello.id);
  await guestHello.react("👍");
  assert.deepEqual((await owner.api.get(`/channels/${general.id}/messages/${hello.id}`)).reactions, { "👍": [guestUser.id] });
  await guestHello.unreact("👍");
  assert.equal((await owner.api.get(`/channels/${general.id}/messages/${hello.id}`)).reactions, undefined);

  await hello.pin();
  assert.equal((await owner.api.get(`/channels/${general.id}/messages/${hello.id}`)).pinned, true);
  assert.deepEqual((await general.search({ pinned: true })).map((m) => m.id), [hello.id]);
  assert.equal((await refusal(() => hello.pin())).type, "AlreadyPinned");
  assert.equal((await refusal(() => guestHello.unpin())).type, "MissingPermission");

  // Mentions wait in the guest's unreads until the channel is acknowledged.
  const mention = await general.sendMessage(`<@${guestUser.id}> have a look`);
  const unread = (await guest.api.get("/sync/unreads")).find((u) => u._id.channel === general.id);
  assert.deepEqual(unread.mentions, [mention.id]);
  await guest.api.put(`/channels/${general.id}/ack/${mention.id}`);
  const read = (await guest.api.get("/sync/unreads")).find((u) => u._id.channel === general.id);
  assert.equal(read.last_id, mention.id);
  assert.ok(!read.mentions?.length);

  const found = await general.search({ query: "again" });
  assert.deepEqual(found.map((m) => m.id), [hello.id]);

  // Reports go to the moderators; the reporter's own content cannot be reported.
  await owner.api.post("/safety/report", { content: { type: "Message", id: reply.id, report_reason: "SpamAbuse" }, additional_context: "spam" });
  assert.equal((await refusal(() => guest.api.post("/safety/report", { content: { type: "Message", id: reply.id, report_reason: "SpamAbuse" } }))).type,
    "CannotReportYourself");
  await guest.api.post("/policy/acknowledge");
  assert.deepEqual(await guest.api.get(`/servers/${server.id}/emojis`), []);

  // Client settings follow the user; the newest write wins.
  // stoat-api sends `timestamp` as the query parameter and the rest as the body.
  await guest.api.post("/sync/settings/set", { timestamp: 2000, appearance: "{\"theme\":\"dark\"}" });
  await guest.api.post("/sync/settings/set", { timestamp: 1000, appearance: "{\"theme\":\"stale\"}" });
  assert.deepEqual(await guest.api.post("/sync/settings/fetch", { keys: ["appearance"] }), { appearance: [2000, "{\"theme\":\"dark\"}"] });

  await hello.unpin();
  await reply.delete();
  assert.equal((await refusal(() => owner.api.get(`/channels/${general.id}/messages/${reply.id}`))).type, "UnknownMessage");
});

test("250 messages are paged newest first, oldest first and around one of them", async () => {
  const { client: owner } = await clientFor("kate");
  const server = await owner.servers.createServer({ name: "Archive" });
  const general = server.channels[0];
  const invite = await general.createInvite();
  // Stoat allows 10 messages per 10 s per user in a channel: ten writers share the work.
  const writers = [owner, ...(await Promise.all(Array.from({ length: 9 }, (_, i) => clientFor(`writer${i}`))))].map((w) => w.client ?? w);
  const channels = await Promise.all(writers.map((w, i) => (i === 0 ? general : joined(w, invite._id, general.id))));
  await Promise.all(channels.map(async (channel, w) => {
    for (let i = 0; i < 25; i++) await channel.sendMessage(`writer ${w} line ${i}`);
  }));

  const newestFirst = [];
  let before;
  for (;;) {
    const page = await general.fetchMessages({ limit: 100, ...(before ? { before } : {}) });
    if (page.length === 0) break;
    newestFirst.push(...page.map((m) => m.id));
    before = page.at(-1).id;
  }
  const oldestFirst = [];
  let after;
  for (;;) {
    const page = await general.fetchMessages({ limit: 100, sort: "Oldest", ...(after ? { after } : {}) });
    if (page.length === 0) break;
    oldestFirst.push(...page.map((m) => m.id));
    after = page.at(-1).id;
  }
  // 250 messages plus the system messages announcing the owner and each writer who joined.
  assert.equal(newestFirst.length, 260);
  assert.deepEqual(newestFirst, [...newestFirst].sort().reverse());
  assert.deepEqual(oldestFirst, [...newestFirst].reverse());

  const middle = oldestFirst[130];
  const around = (await general.fetchMessages({ limit: 20, nearby: middle })).map((m) => m.id);
  assert.deepEqual(around, oldestFirst.slice(120, 140).reverse());

  const withUsers = await general.fetchMessagesWithUsers({ limit: 30 });
  assert.equal(withUsers.messages.length, 30);
  assert.ok(withUsers.users.length >= 3);

  // Bulk delete needs ManageMessages, takes 1–100 recent ids of this channel and refuses anything else whole.
  const doomed = newestFirst.slice(0, 50);
  const elsewhere = await (await server.createChannel({ type: "Text", name: "elsewhere" })).sendMessage("not here");
  assert.equal((await refusal(() => general.deleteMessages([...doomed.slice(0, 2), elsewhere.id]))).type, "UnknownMessage");
  assert.equal((await refusal(() => channels[1].deleteMessages(doomed))).type, "MissingPermission");
  await general.deleteMessages(doomed);
  const remaining = await general.fetchMessages({ limit: 100 });
  assert.deepEqual(remaining.map((m) => m.id), newestFirst.slice(50, 150));
});

test("a bot posts with its token and a webhook with its own", async () => {
  const { client: owner } = await clientFor("liam");
  const server = await owner.servers.createServer({ name: "Automation" });
  const general = server.channels[0];

  const bot = await owner.api.post("/bots/create", { name: "liambot" });
  assert.equal(bot.user.bot.owner, bot.owner);
  await owner.api.post(`/bots/${bot._id}/invite`, { server: server.id });
  // How stoat.js authenticates a bot (Client.loginBot): X-Bot-Token.
  const botApi = new API({ baseURL, authentication: { revolt: bot.token } });
  const botSays = await botApi.post(`/channels/${general.id}/messages`, { content: "beep, I am a bot" });
  assert.equal(botSays.author, bot._id);
  assert.equal((await refusal(() => botApi.post("/servers/create", { name: "no" }))).type, "IsBot");

  // The suite runs with Api__WebhooksEnabled=true (Stoat's webhooks_enabled).
  const webhook = await owner.api.post(`/channels/${general.id}/webhooks`, { name: "Deploys" });
  const anonymous = new API({ baseURL });
  const hookSays = await anonymous.post(`/webhooks/${webhook.id}/${webhook.token}`, { content: "deployed v1.2.3" });
  assert.equal(hookSays.author, webhook.id);
  assert.equal(hookSays.webhook.name, "Deploys");
  assert.deepEqual((await owner.api.get(`/channels/${general.id}/webhooks`)).map((w) => w.id), [webhook.id]);

  const latest = (await general.fetchMessages({ limit: 2 })).map((m) => m.id);
  assert.deepEqual(latest, [hookSays._id, botSays._id]);
});
