// The running suite under test (SPOKES_URL=http://host:port, its Gateway) and what every conformance test shares.
import assert from "node:assert/strict";
import { API } from "stoat-api";
import { Client } from "stoat.js";
import { linkToken, mailEnabled } from "./mailbox.mjs";
import { watchResponses, SchemaViolation } from "./stoat-contract.mjs";

const suite = process.env.SPOKES_URL;
if (!suite) throw new Error("Set SPOKES_URL to the suite's Gateway, e.g. http://127.0.0.1:8080");
export const baseURL = `${suite.replace(/\/$/, "")}/api`;
watchResponses(baseURL);

export const anonymous = new API({ baseURL });
export const password = "correct horse battery staple";

/** Stoat's client throws the error body as text; a schema violation is a real failure, never an expected error. */
export async function refusal(call) {
  try {
    await call();
  } catch (error) {
    if (error instanceof SchemaViolation) throw error;
    return JSON.parse(error);
  }
  assert.fail("the request was expected to be refused");
}

export async function signUp(name) {
  const email = `${name}-${crypto.randomUUID()}@example.com`;
  await anonymous.post("/auth/account/create", { email, password });
  // With email on, an account logs in once its emailed link is opened.
  if (mailEnabled) await anonymous.post(`/auth/account/verify/${await linkToken(email, /^Verify/)}`);
  const session = await anonymous.post("/auth/session/login", { email, password, friendly_name: `${name}'s laptop` });
  assert.equal(session.result, "Success");
  assert.equal(session.name, `${name}'s laptop`);
  return { email, session, api: new API({ baseURL, authentication: { rauth: session.token } }) };
}

/** A signed-up, onboarded user driving a stoat.js Client over its existing session. */
export async function clientFor(name) {
  const { session, api } = await signUp(name);
  await api.post("/onboard/complete", { username: name });
  const client = new Client({ baseURL });
  client.configuration = await client.api.get("/");
  client.useExistingSession(session);
  const me = await client.users.fetch(session.user_id);
  return { client, me };
}
