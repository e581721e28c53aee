// Accounts, sessions, onboarding, users and relationships with Stoat's own API client (npm stoat-api,
// which stoat.js uses for every HTTP call).
import { test } from "node:test";
import assert from "node:assert/strict";
import * as OTPAuth from "otpauth";
import { API } from "stoat-api";
import { anonymous, baseURL, password, refusal, signUp } from "./suite.mjs";

test("the node describes itself as Stoat clients expect", async () => {
  const config = await anonymous.get("/");
  assert.equal(typeof config.revolt, "string");
  assert.match(config.ws, /^wss?:\/\/.+\/ws$/);
  assert.equal(config.features.autumn.url, `${config.app}/autumn`);
});

test("two users sign up, log in, onboard and see themselves", async () => {
  const alice = await signUp("alice");
  const bob = await signUp("bob");
  for (const [user, username] of [[alice, "alice"], [bob, "bob"]]) {
    assert.deepEqual(await user.api.get("/onboard/hello"), { onboarding: true });
    const me = await user.api.post("/onboard/complete", { username });
    assert.equal(me._id, user.session.user_id);
    assert.equal(me.username, username);
    assert.equal(me.relationship, "User");
    assert.deepEqual(await user.api.get("/onboard/hello"), { onboarding: false });
    assert.deepEqual(await user.api.get("/users/@me"), me);
  }
  const again = await refusal(() => alice.api.post("/onboard/complete", { username: "alice2" }));
  assert.equal(again.type, "AlreadyOnboarded");
});

test("sessions are listed, renamed and revoked", async () => {
  const alice = await signUp("carol");
  const phone = await anonymous.post("/auth/session/login", { email: alice.email, password, friendly_name: "phone" });
  const sessions = await alice.api.get("/auth/session/all");
  assert.deepEqual(sessions.map((s) => s.name).sort(), ["carol's laptop", "phone"]);

  const renamed = await alice.api.patch(`/auth/session/${phone._id}`, { friendly_name: "old phone" });
  assert.deepEqual(renamed, { _id: phone._id, name: "old phone" });

  await alice.api.delete(`/auth/session/${phone._id}`);
  const phoneApi = new API({ baseURL, authentication: { rauth: phone.token } });
  assert.equal((await refusal(() => phoneApi.get("/users/@me"))).type, "InvalidSession");

  await alice.api.delete("/auth/session/all", { revoke_self: true });
  assert.equal((await refusal(() => alice.api.get("/auth/session/all"))).type, "InvalidSession");
});

test("bad input is refused in Stoat's terms", async () => {
  const { email } = await signUp("dave");
  assert.equal((await refusal(() => anonymous.post("/auth/session/login", { email, password: "wrong password" }))).type, "InvalidCredentials");
  assert.equal((await refusal(() => anonymous.post("/auth/account/create", { email: "not an address", password }))).type, "IncorrectData");
  assert.equal((await refusal(() => anonymous.post("/auth/account/create", { email: `x-${crypto.randomUUID()}@example.com`, password: "short" }))).type, "ShortPassword");
  assert.equal((await refusal(() => anonymous.get("/users/@me"))).type, "NotAuthenticated");
  const fresh = await signUp("erin");
  assert.equal((await refusal(() => fresh.api.post("/onboard/complete", { username: "no spaces allowed" }))).type, "InvalidUsername");
});

test("friend requests are sent by tag, accepted, removed, and blocks hold", async () => {
  const alice = await signUp("frank");
  const bob = await signUp("grace");
  const aliceUser = await alice.api.post("/onboard/complete", { username: "frank" });
  const bobUser = await bob.api.post("/onboard/complete", { username: "grace" });

  const sent = await alice.api.post("/users/friend", { username: `grace#${bobUser.discriminator}` });
  assert.equal(sent.relationship, "Outgoing");
  assert.equal((await bob.api.get(`/users/${aliceUser._id}`)).relationship, "Incoming");
  assert.equal((await bob.api.put(`/users/${aliceUser._id}/friend`)).relationship, "Friend");
  assert.equal((await alice.api.get(`/users/${bobUser._id}`)).relationship, "Friend");
  assert.equal((await alice.api.delete(`/users/${bobUser._id}/friend`)).relationship, "None");

  assert.equal((await alice.api.put(`/users/${bobUser._id}/block`)).relationship, "Blocked");
  const refused = await refusal(() => bob.api.post("/users/friend", { username: `frank#${aliceUser.discriminator}` }));
  assert.equal(refused.type, "BlockedByOther");
  assert.equal((await alice.api.delete(`/users/${bobUser._id}/block`)).relationship, "None");
});

test("users edit their display name, status and profile", async () => {
  const henry = await signUp("henry");
  const me = await henry.api.post("/onboard/complete", { username: "henry" });
  const edited = await henry.api.patch("/users/@me", { display_name: "Henry H.", status: { text: "testing", presence: "Busy" }, profile: { content: "About me" } });
  assert.equal(edited.display_name, "Henry H.");
  assert.deepEqual(edited.status, { text: "testing", presence: "Busy" });
  assert.deepEqual(await henry.api.get(`/users/${me._id}/profile`), { content: "About me" });
  assert.deepEqual(await anonymous.get(`/users/${me._id}/flags`), { flags: 0 });
  const cleared = await henry.api.patch("/users/@me", { remove: ["DisplayName"] });
  assert.equal(cleared.display_name, undefined);

  const renamed = await henry.api.patch("/users/@me/username", { username: "henry_h", password });
  assert.equal(renamed.username, "henry_h");
  assert.equal((await refusal(() => henry.api.patch("/users/@me/username", { username: "henry2", password: "wrong password" }))).type, "InvalidCredentials");
});

test("mutual friends are found", async () => {
  const [ivy, jack, kim] = await Promise.all(["ivy", "jack", "kim"].map(signUp));
  const [ivyUser, jackUser, kimUser] = await Promise.all([[ivy, "ivy"], [jack, "jack"], [kim, "kim"]].map(([u, n]) => u.api.post("/onboard/complete", { username: n })));
  const befriend = async (a, b, bUser, aUser) => {
    await a.api.post("/users/friend", { username: `${bUser.username}#${bUser.discriminator}` });
    await b.api.put(`/users/${aUser._id}/friend`);
  };
  await befriend(ivy, jack, jackUser, ivyUser);
  await befriend(ivy, kim, kimUser, ivyUser);
  await befriend(jack, kim, kimUser, jackUser);
  assert.deepEqual(await ivy.api.get(`/users/${jackUser._id}/mutual`), { users: [kimUser._id], servers: [], channels: [] });
});

test("a second factor from an independent authenticator guards login and sensitive actions", async () => {
  const user = await signUp("mfa");
  assert.deepEqual(await user.api.get("/auth/mfa/methods"), ["Password"]);
  const withTicket = async (response) => {
    const ticket = await user.api.put("/auth/mfa/ticket", response);
    assert.equal(ticket.validated, true);
    return { headers: { "X-MFA-Ticket": ticket.token } };
  };

  // The secret is read by otpauth, as an authenticator app reads the QR code made from it.
  const { secret } = await user.api.post("/auth/mfa/totp", undefined, await withTicket({ password }));
  const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), algorithm: "SHA1", digits: 6, period: 30 });
  await user.api.put("/auth/mfa/totp", { totp_code: totp.generate() });
  assert.equal((await user.api.get("/auth/mfa/")).totp_mfa, true);

  const owed = await anonymous.post("/auth/session/login", { email: user.email, password, friendly_name: "second device" });
  assert.equal(owed.result, "MFA");
  assert.deepEqual(owed.allowed_methods, ["Totp", "Recovery"]);
  const accepted = new Set([-30, 0, 30].map((offset) => totp.generate({ timestamp: Date.now() + offset * 1000 })));
  const wrongCode = ["111111", "222222", "333333", "444444"].find((code) => !accepted.has(code));
  const wrong = await refusal(() => anonymous.post("/auth/session/login", { mfa_ticket: owed.ticket, mfa_response: { totp_code: wrongCode } }));
  assert.equal(wrong.type, "InvalidToken");
  const session = await anonymous.post("/auth/session/login", { mfa_ticket: owed.ticket, mfa_response: { totp_code: totp.generate() } });
  assert.equal(session.result, "Success");

  // A code works once, so the sensitive action takes the next one.
  const codes = await user.api.post("/auth/mfa/recovery", undefined, await withTicket({ totp_code: totp.generate({ timestamp: Date.now() + 30_000 }) }));
  assert.equal(codes.length, 10);
  await user.api.delete("/auth/mfa/totp", undefined, await withTicket({ recovery_code: codes[0] }));
  assert.deepEqual(await user.api.get("/auth/mfa/methods"), ["Password"]);
});
