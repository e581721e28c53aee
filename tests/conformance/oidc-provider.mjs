// A third-party OpenID provider (npm oidc-provider, with its development login pages) for the suite's OIDC system
// test: OIDC_PORT, OIDC_CLIENT_SECRET, OIDC_REDIRECT_URI and OIDC_CODE_TTL (seconds) come from the test.
import Provider from "oidc-provider";

const port = Number(process.env.OIDC_PORT);
const issuer = `http://127.0.0.1:${port}`;
const provider = new Provider(issuer, {
  clients: [
    {
      client_id: "spokes",
      client_secret: process.env.OIDC_CLIENT_SECRET,
      redirect_uris: [process.env.OIDC_REDIRECT_URI],
      grant_types: ["authorization_code"],
      response_types: ["code"],
    },
  ],
  pkce: { required: () => true },
  ttl: { AuthorizationCode: Number(process.env.OIDC_CODE_TTL ?? 60) },
  claims: { openid: ["sub"], email: ["email"], profile: ["name"] },
  // Whoever logs in on the development page is the subject of that name.
  findAccount: (ctx, sub) => ({ accountId: sub, claims: () => ({ sub, email: `${sub}@idp.example`, name: sub }) }),
  features: { devInteractions: { enabled: true } },
});
provider.listen(port, "127.0.0.1", () => console.log(`oidc-provider ready at ${issuer}`));
