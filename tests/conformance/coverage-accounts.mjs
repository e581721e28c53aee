// Stoat's account routes (authifier) beyond sign-up and login: the account itself, its password and address,
// disabling and deleting it, recovery codes, and the links mailed for verification, reset and deletion.
import { test } from "node:test";
import assert from "node:assert/strict";
import { anonymous, password, refusal, signUp } from "./suite.mjs";
import { linkToken, mailEnabled, noMail } from "./mailbox.mjs";

/** The headers of a sensitive action, with a ticket validated by the account's password. */
async function withTicket(api, answer = { password }) {
  const ticket = await api.put("/auth/mfa/ticket", answer);
  return { headers: { "X-MFA-Ticket": ticket.token } };
}

const login = (email, secret) => anonymous.post("/auth/session/login", { email, password: secret, friendly_name: "check" });

test("the account is read, its password and address changed only with the current password", async () => {
  const user = await signUp("acct");
  const account = await user.api.get("/auth/account/");
  assert.deepEqual(account, { _id: user.session.user_id, email: user.email });

  const newPassword = "a different horse battery staple";
  assert.equal((await refusal(() => user.api.patch("/auth/account/change/password", { password: newPassword, current_password: "wrong password" }))).type,
    "InvalidCredentials");
  assert.equal((await refusal(() => user.api.patch("/auth/account/change/password", { password: "short", current_password: password }))).type, "ShortPassword");
  assert.equal((await login(user.email, password)).result, "Success");
  await user.api.patch("/auth/account/change/password", { password: newPassword, current_password: password });
  assert.equal((await refusal(() => login(user.email, password))).type, "InvalidCredentials");
  assert.equal((await login(user.email, newPassword)).result, "Success");

  const newEmail = `moved-${crypto.randomUUID()}@example.com`;
  assert.equal((await refusal(() => user.api.patch("/auth/account/change/email", { email: newEmail, current_password: password }))).type, "InvalidCredentials");
  assert.equal((await refusal(() => user.api.patch("/auth/account/change/email", { email: "not an address", current_password: newPassword }))).type,
    "IncorrectData");
  assert.equal((await user.api.get("/auth/account/")).email, user.email);
  await user.api.patch("/auth/account/change/email", { email: newEmail, current_password: newPassword });
  // With email on, the new address is confirmed by the link mailed to it.
  if (mailEnabled) {
    assert.equal((await user.api.get("/auth/account/")).email, user.email);
    await anonymous.post(`/auth/account/verify/${await linkToken(newEmail, /^Verify/)}`);
  }
  assert.equal((await user.api.get("/auth/account/")).email, newEmail);
  assert.equal((await login(newEmail, newPassword)).result, "Success");
});

test("recovery codes are made anew with a validated ticket", async () => {
  const user = await signUp("codes");
  assert.equal((await refusal(() => user.api.patch("/auth/mfa/recovery"))).type, "MissingHeaders");
  assert.equal((await refusal(() => user.api.patch("/auth/mfa/recovery", undefined, { headers: { "X-MFA-Ticket": "not-a-ticket" } }))).type, "InvalidToken");
  const first = await user.api.patch("/auth/mfa/recovery", undefined, await withTicket(user.api));
  assert.equal(first.length, 10);
  assert.deepEqual(await user.api.post("/auth/mfa/recovery", undefined, await withTicket(user.api)), first);
  const second = await user.api.patch("/auth/mfa/recovery", undefined, await withTicket(user.api));
  assert.notDeepEqual(second, first);
  assert.deepEqual(await user.api.post("/auth/mfa/recovery", undefined, await withTicket(user.api)), second);
  assert.equal((await user.api.get("/auth/mfa/")).recovery_active, true);
});

test("a disabled account logs in no more and its sessions end", async () => {
  const user = await signUp("disabled");
  assert.equal((await refusal(() => user.api.post("/auth/account/disable"))).type, "MissingHeaders");
  assert.equal((await refusal(() => user.api.post("/auth/account/disable", undefined, { headers: { "X-MFA-Ticket": "not-a-ticket" } }))).type, "InvalidToken");
  assert.equal((await user.api.get("/auth/account/")).email, user.email);
  await user.api.post("/auth/account/disable", undefined, await withTicket(user.api));
  assert.equal((await refusal(() => user.api.get("/auth/account/"))).type, "InvalidSession");
  // Authifier answers a disabled account's login with its id, as a result rather than an error.
  assert.deepEqual(await login(user.email, password), { result: "Disabled", user_id: user.session.user_id });
});

test("deleting an account is asked for with a ticket, confirmed by its link, and ends its sessions", async () => {
  const user = await signUp("deleted");
  assert.equal((await refusal(() => user.api.post("/auth/account/delete"))).type, "MissingHeaders");
  assert.equal((await login(user.email, password)).result, "Success");
  await user.api.post("/auth/account/delete", undefined, await withTicket(user.api));
  if (mailEnabled) {
    // Until the link is opened nothing changes.
    assert.equal((await login(user.email, password)).result, "Success");
    assert.equal((await refusal(() => anonymous.put("/auth/account/delete", { token: "not-the-token" }))).type, "InvalidToken");
    await anonymous.put("/auth/account/delete", { token: await linkToken(user.email, /^Confirm deleting/) });
  }
  assert.equal((await refusal(() => user.api.get("/auth/account/"))).type, "InvalidSession");
  assert.deepEqual(await login(user.email, password), { result: "Disabled", user_id: user.session.user_id });
});

test("a new account's link is sent again and opening it lets the account log in", { skip: noMail }, async () => {
  const email = `pending-${crypto.randomUUID()}@example.com`;
  await anonymous.post("/auth/account/create", { email, password });
  const first = await linkToken(email, /^Verify/);
  assert.equal((await refusal(() => login(email, password))).type, "UnverifiedAccount");
  await anonymous.post("/auth/account/reverify", { email });
  const second = await linkToken(email, /^Verify/);
  // The new link replaces the old one.
  assert.equal((await refusal(() => anonymous.post(`/auth/account/verify/${first}`))).type, "InvalidToken");
  assert.equal((await refusal(() => login(email, password))).type, "UnverifiedAccount");
  const verified = await anonymous.post(`/auth/account/verify/${second}`);
  assert.equal(verified.ticket.authorised, true);
  assert.equal((await login(email, password)).result, "Success");
  assert.equal((await refusal(() => anonymous.post(`/auth/account/verify/${second}`))).type, "InvalidToken");
});

test("a forgotten password is reset with the mailed link, once", { skip: noMail }, async () => {
  const user = await signUp("forgetful");
  await anonymous.post("/auth/account/reset_password", { email: user.email });
  const token = await linkToken(user.email, /^Reset/);
  const newPassword = "a reset horse battery staple";
  assert.equal((await refusal(() => anonymous.patch("/auth/account/reset_password", { token: "not-the-token", password: newPassword }))).type, "InvalidToken");
  assert.equal((await refusal(() => anonymous.patch("/auth/account/reset_password", { token, password: "short" }))).type, "ShortPassword");
  assert.equal((await login(user.email, password)).result, "Success");
  await anonymous.patch("/auth/account/reset_password", { token, password: newPassword, remove_sessions: true });
  assert.equal((await refusal(() => user.api.get("/auth/account/"))).type, "InvalidSession");
  assert.equal((await refusal(() => login(user.email, password))).type, "InvalidCredentials");
  assert.equal((await login(user.email, newPassword)).result, "Success");
  assert.equal((await refusal(() => anonymous.patch("/auth/account/reset_password", { token, password }))).type, "InvalidToken");
  // An unknown address is answered the same, so addresses cannot be found out this way.
  await anonymous.post("/auth/account/reset_password", { email: `nobody-${crypto.randomUUID()}@example.com` });
});

test("without email, a reset cannot reach anyone and is refused", { skip: mailEnabled }, async () => {
  const user = await signUp("nomail");
  assert.equal((await refusal(() => anonymous.post("/auth/account/reset_password", { email: user.email }))).type, "OperationFailed");
  await anonymous.post("/auth/account/reverify", { email: user.email });
  assert.equal((await login(user.email, password)).result, "Success");
});

