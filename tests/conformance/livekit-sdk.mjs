// LiveKit's own server SDK (npm livekit-server-sdk) as the judge of what Spokes signs and verifies, for the .NET
// tests (tests/Api.Tests/Voice, tests/VoiceIngress.Tests), which run it with one JSON request on stdin:
//   verify-token  {token, apiKey, apiSecret}            → the claims TokenVerifier reads (or exit 1 with its error)
//   webhook       {event, room, identity?, source?, joinedAt?, apiKey, apiSecret}
//                 → {body, authorization}: a WebhookEvent as LiveKit encodes it, signed as LiveKit signs webhooks
//                   (an AccessToken whose sha256 claim is the body's hash), checked with WebhookReceiver first.
import { createHash } from 'node:crypto';
import { AccessToken, TokenVerifier, TrackSource, WebhookEvent, WebhookReceiver } from 'livekit-server-sdk';

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const request = JSON.parse(Buffer.concat(chunks).toString('utf8'));

try {
  switch (process.argv[2]) {
    case 'verify-token': {
      const claims = await new TokenVerifier(request.apiKey, request.apiSecret).verify(request.token);
      process.stdout.write(JSON.stringify(claims));
      break;
    }
    case 'webhook': {
      const event = new WebhookEvent({
        id: `EV_${Date.now()}`,
        createdAt: BigInt(Math.floor(Date.now() / 1000)),
        room: { name: request.room },
        participant: request.identity ? { identity: request.identity, joinedAt: BigInt(request.joinedAt ?? Math.floor(Date.now() / 1000)) } : undefined,
        track: request.source ? { sid: 'TR_1', source: TrackSource[request.source] } : undefined,
      });
      // Set after construction: the SDK's WebhookEvent constructor resets `event` after copying its argument.
      event.event = request.event;
      const body = event.toJsonString();
      const token = new AccessToken(request.apiKey, request.apiSecret);
      token.sha256 = createHash('sha256').update(body).digest('base64');
      const authorization = await token.toJwt();
      await new WebhookReceiver(request.apiKey, request.apiSecret).receive(body, authorization);
      process.stdout.write(JSON.stringify({ body, authorization }));
      break;
    }
    default:
      throw new Error(`unknown command '${process.argv[2]}'`);
  }
} catch (error) {
  process.stderr.write(String(error?.message ?? error));
  process.exit(1);
}
