// Files as Stoat's clients use them: uploaded to Autumn through the Gateway with a session token, then claimed by
// the Api when an avatar, attachment, custom emoji or server icon names them, and seen live by another client.
import { test } from "node:test";
import assert from "node:assert/strict";
import { deflateSync } from "node:zlib";
import { baseURL, clientFor } from "./suite.mjs";
import { connect, hangUp, next } from "./events.mjs";

const autumnURL = baseURL.replace(/\/api$/, "/autumn");

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A real width × height RGB PNG of one colour, so Autumn's sniffing and metadata see an image. */
export function png(width, height, [r, g, b] = [200, 80, 40]) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const row = Buffer.alloc(1 + width * 3);
  for (let x = 0; x < width; x++) row.set([r, g, b], 1 + x * 3);
  const pixels = Buffer.concat(Array.from({ length: height }, () => row));
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk("IHDR", header), chunk("IDAT", deflateSync(pixels)), chunk("IEND", Buffer.alloc(0))]);
}

/** Uploads as Stoat's web client does: multipart field `file` to /autumn/{tag} with the session token; the new file's id. */
export async function upload(client, tag, bytes, filename = "picture.png", type = "image/png") {
  const form = new FormData();
  form.append("file", new Blob([bytes], { type }), filename);
  const [header, token] = client.authenticationHeader;
  const response = await fetch(`${autumnURL}/${tag}`, { method: "POST", body: form, headers: { [header]: token } });
  const text = await response.text();
  assert.equal(response.status, 200, `upload to ${tag} → ${response.status} ${text}`);
  return JSON.parse(text).id;
}

/** Two users sharing a server, the second connected to the events socket. */
async function sharedServer(name) {
  const { client: owner, me: ownerUser } = await clientFor(`${name}o`);
  const { client: watcher } = await clientFor(`${name}w`);
  const server = await owner.api.post("/servers/create", { name: "Pictures" });
  const general = server.channels[0];
  const invite = await owner.api.post(`/channels/${general._id}/invites`);
  await watcher.api.post(`/invites/${invite._id}`);
  await connect(watcher);
  // Members' profile changes reach a client that watches the server, as Stoat's web client asks when it opens one.
  watcher.events.send({ type: "Subscribe", server_id: server.server._id });
  return { owner, ownerUser, watcher, server: server.server, general };
}

test("an avatar uploaded through the Gateway is set with PATCH /users/@me and seen live and in REST by another client", async () => {
  const { owner, ownerUser, watcher } = await sharedServer("ava");
  try {
    const id = await upload(owner, "avatars", png(64, 64));
    const seen = next(watcher.events, "event", (e) => e.type === "UserUpdate" && e.id === ownerUser.id && e.data?.avatar);
    const me = await owner.api.patch("/users/@me", { avatar: id });
    assert.equal(me.avatar._id, id);
    assert.equal(me.avatar.tag, "avatars");
    assert.deepEqual(me.avatar.metadata, { type: "Image", width: 64, height: 64 });
    const [update] = await seen;
    assert.equal(update.data.avatar._id, id);
    assert.equal((await watcher.api.get(`/users/${ownerUser.id}`)).avatar._id, id);
  } finally {
    hangUp(watcher);
  }
});

test("a message with two attachments carries their metadata in the Message event", async () => {
  const { owner, watcher, general } = await sharedServer("att");
  try {
    const wide = await upload(owner, "attachments", png(40, 20), "wide.png");
    const tall = await upload(owner, "attachments", png(10, 30, [0, 120, 255]), "tall.png");
    const seen = next(watcher.events, "event", (e) => e.type === "Message" && e.channel === general._id && e.attachments?.length === 2);
    const sent = await owner.api.post(`/channels/${general._id}/messages`, { content: "two pictures", attachments: [wide, tall] });
    assert.deepEqual(sent.attachments.map((a) => a._id), [wide, tall]);
    const [message] = await seen;
    assert.deepEqual(message.attachments.map((a) => [a._id, a.filename, a.metadata]), [
      [wide, "wide.png", { type: "Image", width: 40, height: 20 }],
      [tall, "tall.png", { type: "Image", width: 10, height: 30 }],
    ]);
  } finally {
    hangUp(watcher);
  }
});

test("a custom emoji is made from an upload, reacted with, listed and deleted", async () => {
  const { owner, watcher, server, general } = await sharedServer("emo");
  try {
    const id = await upload(owner, "emojis", png(32, 32, [250, 200, 0]), "party.png");
    const emoji = await owner.api.put(`/custom/emoji/${id}`, { name: "party", parent: { type: "Server", id: server._id }, nsfw: false });
    assert.equal(emoji._id, id);
    assert.equal((await watcher.api.get(`/custom/emoji/${id}`)).name, "party");
    assert.deepEqual((await watcher.api.get(`/servers/${server._id}/emojis`)).map((e) => e._id), [id]);

    const message = await watcher.api.post(`/channels/${general._id}/messages`, { content: "party time" });
    const reacted = next(owner.events, "event", (e) => e.type === "MessageReact" && e.emoji_id === id);
    await connect(owner);
    await watcher.api.put(`/channels/${general._id}/messages/${message._id}/reactions/${id}`);
    await reacted;
    assert.deepEqual((await owner.api.get(`/channels/${general._id}/messages/${message._id}`)).reactions, { [id]: [watcher.user.id] });

    await owner.api.delete(`/custom/emoji/${id}`);
    assert.equal((await watcher.api.get(`/custom/emoji/${id}`)).parent.type, "Detached");
  } finally {
    hangUp(watcher);
    hangUp(owner);
  }
});

test("a server icon is set from an upload", async () => {
  const { owner, watcher, server } = await sharedServer("ico");
  try {
    const id = await upload(owner, "icons", png(128, 128, [30, 160, 90]), "icon.png");
    const seen = next(watcher.events, "event", (e) => e.type === "ServerUpdate" && e.id === server._id && e.data?.icon);
    const edited = await owner.api.patch(`/servers/${server._id}`, { icon: id });
    assert.equal(edited.icon._id, id);
    assert.equal((await seen)[0].data.icon._id, id);
    assert.equal((await watcher.api.get(`/servers/${server._id}`)).icon._id, id);
  } finally {
    hangUp(watcher);
  }
});
