// The rest of Stoat's operations, each driven as Stoat's clients drive it: what it changes is fetched back, and
// bad input (wrong id, missing permission, invalid body) gets Stoat's error and changes nothing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { API } from "stoat-api";
import { anonymous, baseURL, clientFor, refusal, signUp } from "./suite.mjs";

// Stoat's permission bits (crates/core/permissions).
const ManageChannel = 1 << 0;
const ViewChannel = 1 << 20;
const SendMessage = 1 << 22;
const SendEmbeds = 1 << 26;
const Masquerade = 1 << 28;
// Permission values pass 32 bits, beyond JavaScript's bitwise operators.
const without = (value, bit) => (Math.floor(value / bit) % 2 === 1 ? value - bit : value);

/** A server owned by a fresh user, with a second user joined through an invite. */
async function serverWithGuest(name) {
  const { client: owner, me: ownerUser } = await clientFor(`${name}owner`);
  const { client: guest, me: guestUser } = await clientFor(`${name}guest`);
  const server = await owner.api.post("/servers/create", { name });
  const general = server.channels[0]._id;
  const invite = await owner.api.post(`/channels/${general}/invites`);
  await guest.api.post(`/invites/${invite._id}`);
  return { owner: owner.api, guest: guest.api, ownerId: ownerUser.id, guestId: guestUser.id, server: server.server._id, general, invite: invite._id };
}

test("bots are listed, fetched, edited, made public, previewed and deleted by their owner alone", async () => {
  const { client: owner } = await clientFor("botowner");
  const { client: other } = await clientFor("botother");
  const bot = await owner.api.post("/bots/create", { name: "covbot" });

  const owned = await owner.api.get("/bots/@me");
  assert.deepEqual(owned.bots.map((b) => b._id), [bot._id]);
  assert.deepEqual(owned.users.map((u) => u._id), [bot._id]);
  const fetched = await owner.api.get(`/bots/${bot._id}`);
  assert.equal(fetched.bot.token, bot.token);
  assert.equal(fetched.user.username, "covbot");

  // Someone else's bot, or an invalid name, is refused and nothing changes.
  assert.equal((await refusal(() => other.api.get(`/bots/${bot._id}`))).type, "NotFound");
  assert.equal((await refusal(() => other.api.patch(`/bots/${bot._id}`, { public: true }))).type, "NotFound");
  assert.equal((await refusal(() => owner.api.patch(`/bots/${bot._id}`, { name: "not a valid name!" }))).type, "InvalidUsername");
  assert.equal((await refusal(() => other.api.delete(`/bots/${bot._id}`))).type, "NotFound");
  // A private bot is previewed by its owner only.
  assert.equal((await refusal(() => other.api.get(`/bots/${bot._id}/invite`))).type, "NotFound");
  assert.equal((await owner.api.get(`/bots/${bot._id}`)).bot.public ?? false, false);

  const edited = await owner.api.patch(`/bots/${bot._id}`, { name: "covbot2", public: true });
  assert.equal(edited.public, true);
  assert.equal((await owner.api.get(`/bots/${bot._id}`)).user.username, "covbot2");
  const preview = await other.api.get(`/bots/${bot._id}/invite`);
  assert.deepEqual([preview._id, preview.username], [bot._id, "covbot2"]);

  await owner.api.delete(`/bots/${bot._id}`);
  assert.deepEqual((await owner.api.get("/bots/@me")).bots, []);
  assert.equal((await refusal(() => owner.api.get(`/bots/${bot._id}`))).type, "NotFound");
  assert.equal((await refusal(() => new API({ baseURL, authentication: { revolt: bot.token } }).get("/users/@me"))).type, "InvalidSession");
});

test("a server is fetched, edited, acknowledged, searched and its default permissions and roles are read", async () => {
  const { owner, guest, guestId, server, general } = await serverWithGuest("Covered");
  const fetched = await guest.get(`/servers/${server}`);
  assert.equal(fetched.name, "Covered");

  assert.equal((await refusal(() => guest.patch(`/servers/${server}`, { name: "Taken over" }))).type, "MissingPermission");
  assert.equal((await refusal(() => owner.patch(`/servers/${server}`, { name: "" }))).type, "FailedValidation");
  assert.equal((await guest.get(`/servers/${server}`)).name, "Covered");
  const edited = await owner.patch(`/servers/${server}`, { name: "Covered Club", description: "edited" });
  assert.deepEqual([edited.name, edited.description], ["Covered Club", "edited"]);
  assert.deepEqual([(await guest.get(`/servers/${server}`)).name, (await guest.get(`/servers/${server}`)).description], ["Covered Club", "edited"]);

  // The default permissions: only a manager may set them, to what they hold.
  const before = fetched.default_permissions;
  assert.equal((await refusal(() => guest.put(`/servers/${server}/permissions/default`, { permissions: without(before, SendMessage) }))).type, "MissingPermission");
  assert.equal((await owner.get(`/servers/${server}`)).default_permissions, before);
  const lowered = await owner.put(`/servers/${server}/permissions/default`, { permissions: without(before, SendMessage) });
  assert.equal(lowered.default_permissions, without(before, SendMessage));
  assert.equal((await refusal(() => guest.post(`/channels/${general}/messages`, { content: "quiet now" }))).type, "MissingPermission");

  const role = await owner.post(`/servers/${server}/roles`, { name: "Helpers" });
  const fetchedRole = await guest.get(`/servers/${server}/roles/${role.id}`);
  assert.equal(fetchedRole.name, "Helpers");
  assert.equal((await refusal(() => guest.get(`/servers/${server}/roles/01ARZ3NDEKTSV4RRFFQ69G5FAV`))).type, "NotFound");

  // Acknowledging the server marks every channel read.
  const message = await owner.post(`/channels/${general}/messages`, { content: `<@${guestId}> read this` });
  await guest.put(`/servers/${server}/ack`);
  const unread = (await guest.get("/sync/unreads")).find((u) => u._id.channel === general);
  // As in Stoat, every channel is read up to now: its last read id is a fresh one, no older than the message.
  assert.ok(unread.last_id >= message._id);
  assert.ok(!unread.mentions?.length);
  assert.equal((await refusal(() => guest.put("/servers/01ARZ3NDEKTSV4RRFFQ69G5FAV/ack"))).type, "NotFound");

  const found = await owner.get(`/servers/${server}/members_experimental_query`, { query: "coveredguest", experimental_api: true });
  assert.deepEqual(found.members.map((m) => m._id.user), [guestId]);
  assert.deepEqual(found.users.map((u) => u._id), [guestId]);
  assert.equal((await refusal(() => owner.get("/servers/01ARZ3NDEKTSV4RRFFQ69G5FAV/members_experimental_query", { query: "x", experimental_api: true }))).type,
    "NotFound");
});

test("a server channel's default permissions, reactions and deletion; invites deleted by their maker or a manager", async () => {
  const { owner, guest, server, general, invite } = await serverWithGuest("Channels");
  const extra = await owner.post(`/servers/${server}/channels`, { type: "Text", name: "extra" });

  assert.equal((await refusal(() => guest.put(`/channels/${extra._id}/permissions/default`, { permissions: { allow: 0, deny: ViewChannel } }))).type,
    "MissingPermission");
  assert.equal((await guest.get(`/channels/${extra._id}`)).name, "extra");
  const hidden = await owner.put(`/channels/${extra._id}/permissions/default`, { permissions: { allow: 0, deny: ViewChannel } });
  assert.deepEqual(hidden.default_permissions, { a: 0, d: ViewChannel });
  assert.equal((await refusal(() => guest.get(`/channels/${extra._id}`))).type, "MissingPermission");

  const message = await owner.post(`/channels/${general}/messages`, { content: "react to me" });
  await guest.put(`/channels/${general}/messages/${message._id}/reactions/${encodeURIComponent("👍")}`);
  assert.equal((await refusal(() => guest.delete(`/channels/${general}/messages/${message._id}/reactions`))).type, "MissingPermission");
  assert.deepEqual(Object.keys((await owner.get(`/channels/${general}/messages/${message._id}`)).reactions), ["👍"]);
  await owner.delete(`/channels/${general}/messages/${message._id}/reactions`);
  assert.equal((await owner.get(`/channels/${general}/messages/${message._id}`)).reactions, undefined);

  assert.equal((await refusal(() => guest.delete(`/channels/${extra._id}`))).type, "MissingPermission");
  await owner.delete(`/channels/${extra._id}`);
  assert.equal((await refusal(() => owner.get(`/channels/${extra._id}`))).type, "NotFound");
  assert.ok(!(await owner.get(`/servers/${server}`)).channels.includes(extra._id));

  // An invite goes when its maker or a manager deletes it; anyone else is refused.
  const guestInvite = await guest.post(`/channels/${general}/invites`);
  assert.equal((await refusal(() => guest.delete(`/invites/${invite}`))).type, "MissingPermission");
  assert.equal((await guest.get(`/invites/${invite}`)).type, "Server");
  await guest.delete(`/invites/${guestInvite._id}`);
  await owner.delete(`/invites/${invite}`);
  assert.deepEqual(await owner.get(`/servers/${server}/invites`), []);
  assert.equal((await refusal(() => guest.get(`/invites/${invite}`))).type, "NotFound");
  assert.equal((await refusal(() => owner.delete(`/invites/${invite}`))).type, "NotFound");
});

test("a group gains and loses recipients, changes its default permissions and is left", async () => {
  const [a, b, c] = await Promise.all(["groupa", "groupb", "groupc"].map((n) => clientFor(n)));
  const befriend = async (x, y) => {
    await x.client.api.post("/users/friend", { username: `${y.me.username}#${y.me.discriminator}` });
    await y.client.api.put(`/users/${x.me.id}/friend`);
  };
  await befriend(a, b);
  const group = await a.client.api.post("/channels/create", { name: "Trio", users: [] });

  // Only friends are added; only the owner removes.
  assert.equal((await refusal(() => a.client.api.put(`/channels/${group._id}/recipients/${c.me.id}`))).type, "NotFriends");
  await a.client.api.put(`/channels/${group._id}/recipients/${b.me.id}`);
  assert.deepEqual((await a.client.api.get(`/channels/${group._id}`)).recipients.sort(), [a.me.id, b.me.id].sort());
  assert.equal((await refusal(() => a.client.api.put(`/channels/${group._id}/recipients/${b.me.id}`))).type, "AlreadyInGroup");
  assert.equal((await refusal(() => b.client.api.delete(`/channels/${group._id}/recipients/${a.me.id}`))).type, "MissingPermission");

  assert.equal((await refusal(() => b.client.api.put(`/channels/${group._id}/permissions/default`, { permissions: 0 }))).type, "MissingPermission");
  const limited = await a.client.api.put(`/channels/${group._id}/permissions/default`, { permissions: ViewChannel | SendMessage });
  assert.equal(limited.permissions, ViewChannel | SendMessage);
  assert.equal((await b.client.api.get(`/channels/${group._id}`)).permissions, ViewChannel | SendMessage);
  assert.equal((await refusal(() => b.client.api.post(`/channels/${group._id}/messages`, { content: "hi", masquerade: { name: "Someone" } }))).type,
    "MissingPermission");

  await a.client.api.delete(`/channels/${group._id}/recipients/${b.me.id}`);
  assert.deepEqual((await a.client.api.get(`/channels/${group._id}`)).recipients, [a.me.id]);
  assert.equal((await refusal(() => b.client.api.get(`/channels/${group._id}`))).type, "MissingPermission");

  // The last one to leave closes it.
  await a.client.api.delete(`/channels/${group._id}`, { leave_silently: true });
  assert.ok(!(await a.client.api.get("/users/dms")).some((ch) => ch._id === group._id));
  assert.equal((await refusal(() => a.client.api.delete(`/channels/${group._id}`))).type, "NotFound");
});

test("webhooks are fetched, edited and deleted by a manager or with their token, and GitHub events posted", async () => {
  const { owner, guest, general } = await serverWithGuest("Hooks");
  const made = await owner.post(`/channels/${general}/webhooks`, { name: "Build" });
  const hook = await owner.get(`/webhooks/${made.id}`);
  assert.deepEqual([hook.id, hook.name, hook.token], [made.id, "Build", undefined]);
  assert.equal((await refusal(() => guest.get(`/webhooks/${made.id}`))).type, "MissingPermission");
  assert.equal((await refusal(() => owner.get("/webhooks/01ARZ3NDEKTSV4RRFFQ69G5FAV"))).type, "NotFound");

  assert.equal((await refusal(() => guest.patch(`/webhooks/${made.id}`, { name: "Mine" }))).type, "MissingPermission");
  assert.equal((await refusal(() => owner.patch(`/webhooks/${made.id}`, { name: "" }))).type, "FailedValidation");
  assert.equal((await owner.patch(`/webhooks/${made.id}`, { name: "Builds" })).name, "Builds");

  const withToken = await anonymous.get(`/webhooks/${made.id}/${made.token}`);
  assert.deepEqual([withToken.name, withToken.token], ["Builds", made.token]);
  assert.equal((await refusal(() => anonymous.get(`/webhooks/${made.id}/wrong-token`))).type, "NotAuthenticated");
  assert.equal((await refusal(() => anonymous.patch(`/webhooks/${made.id}/wrong-token`, { name: "Hijacked" }))).type, "NotAuthenticated");
  const renamed = await anonymous.patch(`/webhooks/${made.id}/${made.token}`, { name: "CI", permissions: SendMessage });
  assert.equal(renamed.name, "CI");
  assert.equal((await owner.get(`/webhooks/${made.id}`)).permissions, SendMessage);
  // The token alone can take permissions away, never give them.
  assert.equal((await refusal(() => anonymous.patch(`/webhooks/${made.id}/${made.token}`, { permissions: SendMessage | Masquerade | ManageChannel }))).type,
    "CannotGiveMissingPermissions");

  // GitHub tells an event in a header and its payload in the body.
  const github = (event, payload) => anonymous.post(`/webhooks/${made.id}/${made.token}/github`, payload,
    { headers: { "X-GitHub-Event": event }, responseType: "text" });
  const sender = { login: "octocat", avatar_url: "https://avatars.githubusercontent.com/u/1", html_url: "https://github.com/octocat" };
  const repository = { full_name: "octo/spokes", html_url: "https://github.com/octo/spokes" };
  const latest = async () => (await owner.get(`/channels/${general}/messages`, { limit: 1 }))[0];
  const lastBefore = await latest();
  assert.equal((await refusal(() => github("deployment", { sender, repository }))).type, "InvalidOperation");
  assert.equal((await refusal(() => github("issues", { action: "opened", sender, repository }))).type, "InvalidOperation");
  assert.equal((await refusal(() => anonymous.post(`/webhooks/${made.id}/wrong-token/github`, { sender, repository },
    { headers: { "X-GitHub-Event": "ping" }, responseType: "text" }))).type, "NotAuthenticated");
  await github("ping", { zen: "Speak like a human.", sender, repository });
  assert.equal((await latest())._id, lastBefore._id);
  // CI may no longer send embeds; its maker gives them back.
  assert.equal((await refusal(() => github("issues", { action: "opened", sender, repository,
    issue: { number: 3, title: "It broke", html_url: "https://github.com/octo/spokes/issues/3", body: "Steps…" } }))).type, "MissingPermission");
  await owner.patch(`/webhooks/${made.id}`, { permissions: SendMessage | SendEmbeds });
  await github("issues", { action: "opened", sender, repository,
    issue: { number: 3, title: "It broke", html_url: "https://github.com/octo/spokes/issues/3", body: "Steps…" } });
  const posted = await latest();
  assert.equal(posted.author, made.id);
  assert.deepEqual(posted.embeds, [{ type: "Text", icon_url: sender.avatar_url, url: sender.html_url, title: "octocat",
    description: "#### [[octo/spokes] Issue Opened #3: It broke](https://github.com/octo/spokes/issues/3)\nSteps…", colour: "#d76a34" }]);

  assert.equal((await refusal(() => anonymous.delete(`/webhooks/${made.id}/wrong-token`))).type, "NotAuthenticated");
  await anonymous.delete(`/webhooks/${made.id}/${made.token}`);
  assert.equal((await refusal(() => owner.get(`/webhooks/${made.id}`))).type, "NotFound");

  const second = await owner.post(`/channels/${general}/webhooks`, { name: "Second" });
  assert.equal((await refusal(() => guest.delete(`/webhooks/${second.id}`))).type, "MissingPermission");
  await owner.delete(`/webhooks/${second.id}`);
  assert.deepEqual(await owner.get(`/channels/${general}/webhooks`), []);
});

test("a push subscription is kept on the session and removed again", async () => {
  const user = await signUp("pusher");
  const subscription = { endpoint: "https://push.example.com/send/abc", p256dh: "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u", auth: "tBHItJI5svbpez7KI4CCXg" };
  assert.equal((await refusal(() => user.api.post("/push/subscribe", { ...subscription, endpoint: "http://10.0.0.1/inside" }))).type, "FailedValidation");
  assert.equal((await refusal(() => user.api.post("/push/subscribe", { endpoint: subscription.endpoint }))).type, "FailedValidation");
  assert.equal((await refusal(() => anonymous.post("/push/subscribe", subscription))).type, "NotAuthenticated");
  await user.api.post("/push/subscribe", subscription);
  await user.api.post("/push/subscribe", { ...subscription, endpoint: "https://push.example.com/send/def" });
  await user.api.post("/push/unsubscribe");
  assert.equal((await refusal(() => anonymous.post("/push/unsubscribe"))).type, "NotAuthenticated");
});

test("a user's default avatar is a picture anyone may fetch", async () => {
  const { session } = await signUp("avatar");
  const picture = new Uint8Array(await anonymous.get(`/users/${session.user_id}/default_avatar`, undefined, { responseType: "arrayBuffer" }));
  assert.deepEqual([...picture.slice(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const again = new Uint8Array(await anonymous.get(`/users/${session.user_id}/default_avatar`, undefined, { responseType: "arrayBuffer" }));
  assert.deepEqual(again, picture);
});
