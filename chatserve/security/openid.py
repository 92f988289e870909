"""The OpenID provider `server.auth.oidc` names, as a client of it (Authlib): its discovery
document and signing keys, the authorization URL that starts a sign-in (code flow with PKCE,
state and nonce), and the check of its answer (the code exchanged for tokens, the ID token's
signature, issuer, audience, times, nonce and access-token hash).

Imported only when a config has `oidc`: it needs the `oidc` extra.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Literal

import httpx2
from authlib.integrations.httpx_client import AsyncOAuth2Client, OAuthError
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet

from chatserve.config.server import OidcConfig, issuer_url
from chatserve.security.pending import Pending

logger = logging.getLogger("chatserve")

DISCOVERY_TTL = 3600.0
"""Seconds the discovery document is kept before it is fetched again."""

LEEWAY = 60
"""Seconds the provider's clock and ours may disagree by, for the ID token's times."""

TIMEOUT = 10.0
"""Seconds each request to the provider may take."""

Failure = Literal["expired", "refused", "unverified", "not_allowed", "unreachable", "incomplete"]


class SignInFailed(Exception):
    """A sign-in through the provider failed. `kind` is what the person is told (see
    `routes.oidc.FAILURES`): here `unreachable` (the provider did not answer) or `unverified`
    (what it said cannot be trusted); the message says why, for the log; `account` names the
    account to its owner (`not_allowed`)."""

    def __init__(self, kind: Failure, detail: str, account: str = "") -> None:
        super().__init__(detail)
        self.kind = kind
        self.account = account


class OpenIDProvider:
    """The provider: its discovery document (kept an hour) and its signing keys (kept until
    an ID token names a key they lack, which is then fetched anew: a key rotation)."""

    def __init__(self, config: OidcConfig) -> None:
        self.config = config
        self._document: dict[str, Any] | None = None
        self._fetched = 0.0
        self._keys: KeySet | None = None

    async def authorization_url(self, redirect_uri: str, pending: Pending) -> str:
        """Where to send the browser to sign in: the provider's authorization endpoint."""
        async with self._client(redirect_uri) as client:
            document = await self._discovered(client)
            url, _ = client.create_authorization_url(
                document["authorization_endpoint"],
                state=pending.state,
                code_verifier=pending.verifier,
                nonce=pending.nonce,
            )
        return str(url)

    async def identify(self, code: str, redirect_uri: str, pending: Pending) -> tuple[str, dict]:
        """(the ID token, its claims) for the code the provider sent back, once the token
        endpoint has answered and the ID token has passed every check; else SignInFailed."""
        async with self._client(redirect_uri) as client:
            document = await self._discovered(client)
            try:
                tokens = await client.fetch_token(
                    document["token_endpoint"], code=code, code_verifier=pending.verifier
                )
            except OAuthError as exc:  # the provider said no: a used or foreign code, ...
                raise SignInFailed("unverified", f"the token endpoint refused: {exc}") from None
            except (httpx2.HTTPError, ValueError) as exc:
                raise SignInFailed("unreachable", f"the token endpoint failed: {exc!r}") from None
            id_token = tokens.get("id_token")
            if not isinstance(id_token, str):
                raise SignInFailed("unverified", "the token endpoint sent no ID token")
            claims = await self._checked(client, document, id_token, tokens, pending)
        return id_token, claims

    async def logout_url(self, id_token: str, post_logout_redirect_uri: str) -> str | None:
        """Where to end the provider's session too (RP-initiated logout), if it says where;
        None when it has no `end_session_endpoint` or cannot be reached."""
        async with self._client(None) as client:
            try:
                document = await self._discovered(client)
            except SignInFailed as exc:
                logger.warning("Signing out at the OpenID provider is skipped: %s", exc)
                return None
        endpoint = document.get("end_session_endpoint")
        try:
            issuer_url(endpoint if isinstance(endpoint, str) else "")
        except ValueError:  # none, or one that would send the ID token in the clear
            return None
        params = {
            "id_token_hint": id_token,
            "post_logout_redirect_uri": post_logout_redirect_uri,
            "client_id": self.config.client_id,
        }
        return str(httpx2.URL(endpoint).copy_merge_params(params))

    def _client(self, redirect_uri: str | None) -> AsyncOAuth2Client:
        config = self.config
        return AsyncOAuth2Client(
            client_id=config.client_id,
            client_secret=config.client_secret,
            scope=" ".join(config.scopes),
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
            timeout=TIMEOUT,
        )

    def _auth_method(self, document: dict[str, Any]) -> str:
        """How the client proves itself at the token endpoint: HTTP basic auth unless the
        provider takes only the secret in the form (or there is no secret: PKCE alone)."""
        if self.config.client_secret is None:
            return "none"
        offered = document.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
        if "client_secret_basic" not in offered and "client_secret_post" in offered:
            return "client_secret_post"
        return "client_secret_basic"

    async def _discovered(self, client: AsyncOAuth2Client) -> dict[str, Any]:
        """The discovery document; `client` is set up by it."""
        if self._document is None or time.monotonic() - self._fetched > DISCOVERY_TTL:
            url = self.config.issuer.rstrip("/") + "/.well-known/openid-configuration"
            document = await _fetch_json(client, url, "discovery document")
            self._document = self._checked_document(document, url)
            self._fetched = time.monotonic()
        client.token_endpoint_auth_method = self._auth_method(self._document)
        return self._document

    def _checked_document(self, document: dict[str, Any], url: str) -> dict[str, Any]:
        if document.get("issuer") != self.config.issuer:
            raise SignInFailed(
                "unverified",
                f"the discovery document at {url} names the issuer {document.get('issuer')!r}, "
                f"not {self.config.issuer!r} (server.auth.oidc.issuer must be exactly it)",
            )
        for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            try:
                issuer_url(document.get(key) or "")
            except ValueError as exc:
                raise SignInFailed("unverified", f"discovery document, {key}: {exc}") from None
        return document

    async def _checked(
        self,
        client: AsyncOAuth2Client,
        document: dict[str, Any],
        id_token: str,
        tokens: dict[str, Any],
        pending: Pending,
    ) -> dict[str, Any]:
        """The claims of `id_token`, if its signature is the provider's and its claims are
        for this sign-in of this client, now; else SignInFailed."""
        algorithms = [
            alg
            for alg in document.get("id_token_signing_alg_values_supported") or ["RS256"]
            if alg != "none" and not alg.startswith("HS")  # signed with the provider's keys
        ]
        try:
            try:
                token = jwt.decode(id_token, await self._signing_keys(client, document), algorithms)
            except InvalidKeyIdError:  # signed with a key that is newer than ours
                keys = await self._signing_keys(client, document, refresh=True)
                token = jwt.decode(id_token, keys, algorithms)
            options = {
                "iss": {"essential": True, "value": self.config.issuer},
                "aud": {"essential": True, "value": self.config.client_id},
                "sub": {"essential": True},
            }
            params = {
                "nonce": pending.nonce,
                "client_id": self.config.client_id,
                "access_token": tokens.get("access_token"),
            }
            claims = CodeIDToken(token.claims, token.header, options, params)
            claims.validate(leeway=LEEWAY)
        except (JoseError, ValueError) as exc:
            raise SignInFailed("unverified", f"the ID token is not valid: {exc!r}") from None
        return dict(claims)

    async def _signing_keys(
        self, client: AsyncOAuth2Client, document: dict[str, Any], refresh: bool = False
    ) -> KeySet:
        if self._keys is None or refresh:
            self._keys = KeySet.import_key_set(
                await _fetch_json(client, document["jwks_uri"], "signing keys")
            )
        return self._keys


async def _fetch_json(client: AsyncOAuth2Client, url: str, what: str) -> dict[str, Any]:
    try:
        response = await client.request("GET", url, withhold_token=True)
        response.raise_for_status()
        found = response.json()
    except httpx2.HTTPError as exc:
        raise SignInFailed("unreachable", f"the {what} at {url} did not come: {exc!r}") from None
    except ValueError:
        raise SignInFailed("unverified", f"the {what} at {url} is not JSON") from None
    if not isinstance(found, dict):
        raise SignInFailed("unverified", f"the {what} at {url} is not a JSON object")
    return found
