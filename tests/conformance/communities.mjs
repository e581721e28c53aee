// A community built with stoat.js@7.3.4, Stoat's JavaScript client, as a user of the web app builds one:
// a server with channels, roles and an invite; a second user joins; friends, a DM and a group; kick, ban, unban.
import { test } from "node:test";
import assert from "node:assert/strict";
import { clientFor, refusal } from "./suite.mjs";

// Stoat's permission bits (crates/core/permissions).
const ManageChannel = 1 << 0;
const KickMembers = 1 << 6;
const ViewChannel = 1 << 20;

test("a community is built, joined, moderated and left with stoat.js", async () => {
  const { client: owner, me: ownerUser } = await clientFor("grace");
  const { client: guest, me: guestUser } = await clientFor("heidi");

  const server = await owner.servers.createServer({ name: "Spokes Club", description: "where the spokes meet" });
  assert.equal(server.name, "Spokes Club");
  assert.equal(server.ownerId, ownerUser.id);
  const general = server.channels[0];
  assert.equal(general.name, "General");

  const voice = await server.createChannel({ type: "Voice", name: "Lounge" });
  assert.equal(voice.type, "TextChannel");
  assert.ok(voice.isVoice);
  await voice.edit({ name: "Quiet Lounge", description: "shh" });
  assert.equal((await owner.api.get(`/channels/${voice.id}`)).name, "Quiet Lounge");

  const { id: modsId } = await server.createRole("Mods");
  await server.setPermissions(modsId, { allow: ManageChannel | KickMembers, deny: 0 });
  await server.editRole(modsId, { colour: "#5865f2", hoist: true });
  const { id: helpersId } = await server.createRole("Helpers");
  await server.setRoleOrdering([modsId, helpersId]);
  await voice.setPermissions(helpersId, { allow: 0, deny: ViewChannel });
  const invite = await general.createInvite();
  assert.equal(invite.type, "Server");

  const preview = await guest.api.get(`/invites/${invite._id}`);
  assert.equal(preview.server_name, "Spokes Club");
  assert.equal(preview.member_count, 1);
  const joined = await guest.api.post(`/invites/${invite._id}`);
  assert.equal(joined.type, "Server");
  assert.equal(joined.server._id, server.id);
  assert.equal((await refusal(() => guest.api.post(`/invites/${invite._id}`))).type, "AlreadyInServer");

  const member = await server.fetchMember(guestUser.id);
  await member.edit({ roles: [helpersId], nickname: "Heidi H." });
  const edited = await owner.api.get(`/servers/${server.id}/members/${guestUser.id}`);
  assert.deepEqual(edited.roles, [helpersId]);
  assert.equal(edited.nickname, "Heidi H.");
  // Helpers may not see the lounge; the General channel stays open.
  assert.equal((await refusal(() => guest.api.get(`/channels/${voice.id}`))).type, "MissingPermission");
  assert.equal((await guest.api.get(`/channels/${general.id}`)).name, "General");
  assert.equal((await refusal(() => guest.api.post(`/servers/${server.id}/channels`, { name: "mine" }))).type, "MissingPermission");
  const { members, users } = await owner.api.get(`/servers/${server.id}/members`);
  assert.equal(members.length, 2);
  assert.ok(users.some((u) => u._id === guestUser.id));

  // Friends, a DM and a group.
  const asSeenByGuest = await guest.users.fetch(ownerUser.id);
  await asSeenByGuest.addFriend();
  const asSeenByOwner = await owner.users.fetch(guestUser.id);
  await owner.api.put(`/users/${guestUser.id}/friend`);
  assert.equal((await owner.api.get(`/users/${guestUser.id}`)).relationship, "Friend");
  const dm = await asSeenByOwner.openDM();
  assert.equal(dm.type, "DirectMessage");
  assert.equal((await guest.api.get(`/users/${ownerUser.id}/dm`))._id, dm.id);
  const group = await owner.channels.createGroup("Trio", [guestUser.id]);
  assert.equal(group.type, "Group");
  assert.equal((await group.fetchMembers()).length, 2);
  assert.ok((await guest.api.get("/users/dms")).some((c) => c._id === group.id));
  const mutual = await asSeenByOwner.fetchMutual();
  assert.deepEqual(mutual.servers, [server.id]);

  // Kick, ban, unban.
  await server.kickUser(guestUser.id);
  assert.equal((await refusal(() => owner.api.get(`/servers/${server.id}/members/${guestUser.id}`))).type, "NotFound");
  await guest.api.post(`/invites/${invite._id}`);
  const ban = await server.banUser(guestUser.id, { reason: "testing bans" });
  assert.equal(ban.reason, "testing bans");
  assert.equal((await server.fetchBans()).length, 1);
  assert.equal((await refusal(() => guest.api.post(`/invites/${invite._id}`))).type, "Banned");
  await server.unbanUser(guestUser.id);
  assert.equal((await guest.api.post(`/invites/${invite._id}`)).type, "Server");

  assert.equal((await server.fetchInvites()).length, 1);
  await server.deleteRole(helpersId);
  await server.delete();
  assert.equal((await refusal(() => owner.api.get(`/servers/${server.id}`))).type, "NotFound");
});
