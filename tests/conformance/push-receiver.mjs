// A browser's side of Web Push, for the .NET tests: third-party code (npm http_ece, web-push) checks what Spokes sends.
//   node push-receiver.mjs vapid-keys          → prints {"publicKey","privateKey"} made by npm web-push
//   node push-receiver.mjs serve VAPID_PUBLIC [STATUS,...]
//     → makes a subscription's keys as a browser does, listens on 127.0.0.1, prints {"endpoint","p256dh","auth"};
//       then one line per request received: {"ok":true,"payload":...} once http_ece decrypted it and its VAPID JWT
//       verified against VAPID_PUBLIC, or {"ok":false,"error":...}. Answers with the given statuses in turn, then 201.
import crypto from 'node:crypto';
import http from 'node:http';
import ece from 'http_ece';
import webpush from 'web-push';

const b64url = (buffer) => Buffer.from(buffer).toString('base64url');

function verifyVapid(authorization, expectedKey, origin) {
  const match = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(authorization ?? '');
  if (!match) throw new Error(`Authorization is not "vapid t=…, k=…": ${authorization}`);
  const [, token, key] = match;
  if (key !== expectedKey) throw new Error(`k=${key} is not the VAPID key GET / announces (${expectedKey})`);
  const [header, claims, signature] = token.split('.');
  const head = JSON.parse(Buffer.from(header, 'base64url'));
  if (head.alg !== 'ES256') throw new Error(`alg ${head.alg}`);
  const point = Buffer.from(key, 'base64url');
  const publicKey = crypto.createPublicKey({
    key: { kty: 'EC', crv: 'P-256', x: b64url(point.subarray(1, 33)), y: b64url(point.subarray(33, 65)) },
    format: 'jwk',
  });
  const valid = crypto.verify('sha256', Buffer.from(`${header}.${claims}`), { key: publicKey, dsaEncoding: 'ieee-p1363' },
    Buffer.from(signature, 'base64url'));
  if (!valid) throw new Error('VAPID JWT signature does not verify');
  const body = JSON.parse(Buffer.from(claims, 'base64url'));
  const now = Date.now() / 1000;
  if (body.aud !== origin) throw new Error(`aud ${body.aud} is not ${origin}`);
  if (!(body.exp > now && body.exp <= now + 24 * 3600)) throw new Error(`exp ${body.exp} is not within 24 h`);
  if (!/^(mailto:|https:)/.test(body.sub ?? '')) throw new Error(`sub ${body.sub}`);
}

const [mode, vapidPublic, statuses = ''] = process.argv.slice(2);
if (mode === 'vapid-keys') {
  console.log(JSON.stringify(webpush.generateVAPIDKeys()));
} else if (mode === 'serve') {
  const browserKey = crypto.createECDH('prime256v1');
  browserKey.generateKeys();
  const authSecret = crypto.randomBytes(16);
  const answers = statuses.split(',').filter(Boolean).map(Number);
  const server = http.createServer((request, response) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
      const status = answers.shift() ?? 201;
      let line;
      try {
        if (request.headers['content-encoding'] !== 'aes128gcm') throw new Error(`Content-Encoding ${request.headers['content-encoding']}`);
        if (!(Number(request.headers.ttl) > 0)) throw new Error(`TTL ${request.headers.ttl}`);
        if (!['very-low', 'low', 'normal', 'high'].includes(request.headers.urgency)) throw new Error(`Urgency ${request.headers.urgency}`);
        verifyVapid(request.headers.authorization, vapidPublic, `http://${request.headers.host}`);
        const plaintext = ece.decrypt(Buffer.concat(chunks), { version: 'aes128gcm', privateKey: browserKey, authSecret: b64url(authSecret) });
        line = { ok: true, status, path: request.url, payload: JSON.parse(plaintext.toString('utf8')) };
      } catch (error) {
        line = { ok: false, status, path: request.url, error: String(error.message ?? error) };
      }
      console.log(JSON.stringify(line));
      response.writeHead(status, status === 429 ? { 'Retry-After': '1' } : {});
      response.end();
    });
  });
  server.listen(0, '127.0.0.1', () => {
    const { port } = server.address();
    console.log(JSON.stringify({ endpoint: `http://127.0.0.1:${port}/push/`, p256dh: b64url(browserKey.getPublicKey()), auth: b64url(authSecret) }));
  });
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
} else {
  console.error('usage: push-receiver.mjs vapid-keys | serve VAPID_PUBLIC [STATUSES]');
  process.exit(2);
}
