// An OpenID provider for chatserve's sign-in tests (the `provider` fixture of
// tests/test_oidc.py): `oidc-provider` on a loopback port, with its development login page
// (any password), a few accounts, and the clients chatserve signs in as. Three clients make
// the provider misbehave as a broken or hostile one would, so that the tests watch chatserve
// refuse what it answers:
//
//   swapped   the provider answers as if the requests came from the client `other`: its ID
//             tokens are for another audience;
//   skewed    the provider's clock runs two hours behind while it answers this client's token
//             requests: its ID tokens expired an hour before they arrive;
//   tampered  the ID token's claims are changed on the way back (to Ana's), under the original
//             signature.
//
// usage: node provider.js PORT   (issuer http://localhost:PORT; prints "ready" once listening)
// Each start signs with a new key, so a restart on the same port is a key rotation.
import { generateKeyPairSync, randomUUID } from "node:crypto";

import Provider, { interactionPolicy } from "oidc-provider";

const port = Number(process.argv[2]);
const issuer = `http://localhost:${port}`;
const SECRET = "chatserve-test-client-secret";

// Logins the development login page takes (any password). The ID is the login; `sub` is not
// the e-mail address, as with most providers.
const ACCOUNTS = {
  "ana@example.com": { sub: "1001", name: "Ana Lima", email_verified: true, groups: ["staff"] },
  "eve@evil.test": { sub: "1002", name: "Eve", email_verified: true, groups: [] },
  "carol@partner.test": { sub: "1003", name: "Carol", email_verified: true, groups: ["bot-users"] },
  // An address the provider never checked, at a domain a bot allows.
  "mallory@example.com": { sub: "1004", name: "Mallory", email_verified: false, groups: [] },
  // Hundreds of groups (as a directory gives a member of many teams): too much for a cookie.
  "many@example.com": {
    sub: "1005",
    name: "Many Groups",
    email_verified: true,
    groups: Array.from({ length: 300 }, () => randomUUID()),
  },
};

// Loopback redirect URIs of native clients match on any port (RFC 8252), as chatserve's test
// servers each take a free one.
const uris = (path) => ["", "/bot"].map((root) => `http://127.0.0.1${root}${path}`);
const client = (client_id, extra = {}) => ({
  client_id,
  client_secret: SECRET,
  application_type: "native",
  redirect_uris: uris("/login/oidc/callback"),
  post_logout_redirect_uris: uris("/login"),
  grant_types: ["authorization_code"],
  response_types: ["code"],
  ...extra,
});

const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const key = { ...privateKey.export({ format: "jwk" }), kid: randomUUID(), use: "sig", alg: "RS256" };

// First-party clients: no consent screen (the grant below takes every scope asked for), also
// for native ones, which the provider would otherwise always ask about.
const policy = interactionPolicy.base();
policy.get("consent").checks.remove("native_client_prompt");

const provider = new Provider(issuer, {
  clients: [
    client("chatserve"),
    client("other"),
    client("skewed"),
    client("tampered"),
    client("public", { client_secret: undefined, token_endpoint_auth_method: "none" }),
  ],
  jwks: { keys: [key] },
  cookies: { keys: [randomUUID()] },
  scopes: ["openid", "email", "profile", "groups"],
  claims: { email: ["email", "email_verified"], profile: ["name"], groups: ["groups"] },
  // The claims of the scopes asked for go in the ID token (as Google, Entra ID and Keycloak
  // put them), not only behind the userinfo endpoint.
  conformIdTokenClaims: false,
  async findAccount(ctx, id) {
    const account = ACCOUNTS[id];
    if (!account) return undefined;
    return { accountId: id, claims: () => ({ ...account, email: id }) };
  },
  async loadExistingGrant(ctx) {
    const { client, session, params } = ctx.oidc;
    const grant = new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId });
    grant.addOIDCScope(params.scope);
    await grant.save();
    return grant;
  },
  interactions: { policy },
  features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  pkce: { required: () => true },
});

// Loopback post-logout redirect URIs match on any port too, as in oidc-provider 9.
const { postLogoutRedirectUriAllowed } = provider.Client.prototype;
provider.Client.prototype.postLogoutRedirectUriAllowed = function anyLoopbackPort(value) {
  const url = URL.canParse(value) ? new URL(value) : undefined;
  if (url?.hostname === "127.0.0.1") url.port = "";
  return postLogoutRedirectUriAllowed.call(this, url?.href ?? value);
};

const basic = (client_id) => `Basic ${Buffer.from(`${client_id}:${SECRET}`).toString("base64")}`;

function authenticatedClient(ctx) {
  const [scheme, value] = (ctx.get("authorization") || "").split(" ");
  if (scheme?.toLowerCase() !== "basic" || !value) return undefined;
  return decodeURIComponent(Buffer.from(value, "base64").toString().split(":")[0]);
}

provider.use(async (ctx, next) => {
  if (ctx.path === "/auth" && ctx.query.client_id === "swapped") {
    ctx.query = { ...ctx.query, client_id: "other" };
  }
  if (ctx.path !== "/token") return next();
  const asked = authenticatedClient(ctx);
  if (asked === "swapped") {
    ctx.request.headers.authorization = basic("other");
  } else if (asked === "skewed") {
    const realNow = Date.now;
    Date.now = () => realNow() - 2 * 3600 * 1000;
    try {
      return await next();
    } finally {
      Date.now = realNow;
    }
  }
  await next();
  if (asked === "tampered" && ctx.body?.id_token) {
    const [header, payload, signature] = ctx.body.id_token.split(".");
    const claims = JSON.parse(Buffer.from(payload, "base64url"));
    Object.assign(claims, { sub: ACCOUNTS["ana@example.com"].sub, email: "ana@example.com" });
    ctx.body.id_token = [header, Buffer.from(JSON.stringify(claims)).toString("base64url"), signature].join(".");
  }
});

provider.listen(port, "127.0.0.1", () => console.log("ready"));
