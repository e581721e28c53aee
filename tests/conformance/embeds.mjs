// Link embeds as Stoat's clients get them: a message's links are fetched by January from a page server on loopback
// (the one host:port the suite was started to allow, SPOKES_EGRESS_ALLOW) and appended to the message, which a
// stoat.js client hears as MessageAppend. Each embed must be one of Stoat's OpenAPI `Embed` shapes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { clientFor } from "./suite.mjs";
import { connect, hangUp, next } from "./events.mjs";
import { png } from "./files.mjs";
import { componentErrors } from "./stoat-contract.mjs";

// tests/run.sh picks this port before the suite starts, as the suite's egress allowance names it then.
const pagesPort = Number(process.env.SPOKES_TEST_PAGES_PORT ?? 0);
// Set by tests/run.sh, whose runs must not pass a test by skipping it.
const strict = process.env.SPOKES_TEST_STRICT === "1";
const skip = !pagesPort && !strict
  ? "SPOKES_TEST_PAGES_PORT is not set: start the suite with SPOKES_EGRESS_ALLOW=127.0.0.1:<port> and pass that port"
  : false;

/** The pages January is sent to; `hits` counts the requests of each path. */
async function startPages(port) {
  const origin = `http://127.0.0.1:${port}`;
  const article = `<!doctype html><html><head>
    <title>Not the OpenGraph title</title>
    <meta property="og:title" content="Spokes embeds">
    <meta property="og:description" content="A page described by OpenGraph">
    <meta property="og:image" content="/cover.png">
    <meta property="og:site_name" content="Spokes Tests">
    <meta name="theme-color" content="#3366ff">
    <link rel="icon" href="/favicon.png">
    </head><body>Hello</body></html>`;
  const pages = {
    "/article": ["text/html; charset=utf-8", Buffer.from(article)],
    "/cover.png": ["image/png", png(120, 60)],
    "/photo.png": ["image/png", png(64, 48, [20, 120, 220])],
    "/hidden": ["text/html", Buffer.from("<html><head><meta property=\"og:title\" content=\"Hidden\"></head></html>")],
  };
  const hits = new Map();
  const server = createServer((request, response) => {
    const path = new URL(request.url, origin).pathname;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const page = pages[path];
    if (!page) return response.writeHead(404).end();
    response.writeHead(200, { "content-type": page[0], "content-length": page[1].length }).end(page[1]);
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  const close = () => new Promise((resolve) => {
    server.closeAllConnections();
    server.close(resolve);
  });
  return { origin, hits, close };
}

test("a message's links get their embeds through MessageAppend in a stoat.js client, as Stoat's Embed, and keep them", { skip }, async () => {
  assert.ok(pagesPort, "SPOKES_TEST_PAGES_PORT must name the port the suite's SPOKES_EGRESS_ALLOW allows");
  const pages = await startPages(pagesPort);
  const { client: author } = await clientFor("linker");
  const { client: reader } = await clientFor("reader");
  try {
    const { channels: [general] } = await author.api.post("/servers/create", { name: "Links" });
    const invite = await author.api.post(`/channels/${general._id}/invites`);
    await reader.api.post(`/invites/${invite._id}`);
    await connect(reader);

    const article = `${pages.origin}/article`;
    const photo = `${pages.origin}/photo.png`;
    // A link inside a code block is text, never fetched.
    const content = `Read ${article} and look at ${photo}\n\`\`\`\n${pages.origin}/hidden\n\`\`\``;
    const created = next(reader, "messageCreate", (m) => m.content === content);
    const appended = next(reader.events, "event", (e) => e.type === "MessageAppend", 20_000);
    const sent = await author.api.post(`/channels/${general._id}/messages`, { content });
    await created;
    const [append] = await appended;

    assert.equal(append.id, sent._id);
    assert.equal(append.channel, general._id);
    const embeds = append.append.embeds;
    for (const embed of embeds) assert.equal(componentErrors("Embed", embed), null, `${JSON.stringify(embed)} is one of Stoat's Embed shapes`);
    assert.equal(embeds.length, 2, JSON.stringify(embeds));

    const [website, image] = embeds;
    assert.equal(website.type, "Website");
    assert.equal(website.url, article);
    assert.equal(website.original_url, article);
    assert.equal(website.title, "Spokes embeds");
    assert.equal(website.description, "A page described by OpenGraph");
    assert.equal(website.site_name, "Spokes Tests");
    assert.equal(website.colour, "#3366ff");
    assert.equal(website.icon_url, `${pages.origin}/favicon.png`);
    // The page gave no size for its picture: January measured it.
    assert.deepEqual(website.image, { url: `${pages.origin}/cover.png`, width: 120, height: 60, size: "Preview" });
    assert.deepEqual(image, { type: "Image", url: photo, width: 64, height: 48, size: "Large" });
    assert.equal(pages.hits.get("/hidden") ?? 0, 0, "the link in the code block was not fetched");

    // stoat.js took the append into the message it holds.
    const held = reader.messages.get(sent._id);
    assert.deepEqual(held.embeds.map((e) => e.type), ["Website", "Image"]);
    assert.equal(held.embeds[0].title, "Spokes embeds");
    assert.equal(held.embeds[0].image.width, 120);
    assert.equal(held.embeds[1].url, photo);

    // Stored: fetched again (and checked against Stoat's Message schema on the way), the embeds are there.
    const stored = await reader.api.get(`/channels/${general._id}/messages/${sent._id}`);
    assert.deepEqual(stored.embeds, embeds);
    const listed = await reader.api.get(`/channels/${general._id}/messages`, { limit: 5 });
    assert.deepEqual(listed.find((m) => m._id === sent._id).embeds, embeds);
  } finally {
    hangUp(reader);
    await pages.close();
  }
});
