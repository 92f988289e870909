"""Whom an OpenID provider's ID token lets in (`server.auth.oidc`): the user name its claims
give, and whether the allow-lists take them. Asked when someone signs in and again on every
request of their session, so that a session ends once the config no longer lets its user in.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:  # `chatserve.Request` uses this module: `import chatserve` stays light
    from chatserve.config.server import OidcConfig

MAX_USERNAME = 200
"""The longest user name taken from a claim (as a password user's may be)."""

Refusal = Literal["not_allowed", "incomplete"]


class Admission:
    """The allow-lists of `config`; `taken` are the names of `server.auth`'s users and
    tokens, which no one signing in through the provider may have."""

    def __init__(self, config: OidcConfig, taken: Collection[str]) -> None:
        self.config = config
        self.taken = frozenset(taken)

    def username(self, claims: dict[str, Any]) -> str | None:
        """The user name `username_claim` gives: text of up to 200 characters with no space
        or control character in it (from `email`, an address the provider checked); else
        None."""
        name = self.config.username_claim
        value = verified_email(claims) if name == "email" else claims.get(name)
        if not isinstance(value, str) or not 0 < len(value) <= MAX_USERNAME:
            return None
        return None if any(c.isspace() or not c.isprintable() for c in value) else value

    def account(self, claims: dict[str, Any]) -> str:
        """How a refusal names the account to its owner: the e-mail address, else the user
        name, else the subject."""
        for name in ("email", self.config.username_claim, "sub"):
            if isinstance(claims.get(name), str) and claims[name]:
                return str(claims[name])
        return "?"

    def refusal(self, claims: dict[str, Any]) -> tuple[Refusal, str] | None:
        """Why `claims` are not let in: `not_allowed` (by the config) or `incomplete` (they
        lack a user name), and the detail, for the log; None when they are let in."""
        config = self.config
        audience = claims.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if claims.get("iss") != config.issuer or config.client_id not in audiences:
            return "not_allowed", "the ID token is another issuer's or another client's"
        if not self._listed(claims):
            return "not_allowed", "no allow-list of server.auth.oidc takes the account"
        name = self.username(claims)
        if name is None:
            detail = f"the ID token has no usable {config.username_claim!r} claim (username_claim)"
            return "incomplete", detail
        if name in self.taken:
            return "not_allowed", f"the user name {name!r} is a user's or a token's in server.auth"
        return None

    def admits(self, username: str, claims: dict[str, Any]) -> bool:
        """Whether a session of `username`, begun with an ID token of `claims`, goes on."""
        return self.username(claims) == username and self.refusal(claims) is None

    def _listed(self, claims: dict[str, Any]) -> bool:
        config = self.config
        if "*" in config.allowed_domains:
            return True
        email = verified_email(claims)
        if email is not None:
            email = email.lower()
            if email in config.allowed_emails or email.rpartition("@")[2] in config.allowed_domains:
                return True
        groups = claims.get(config.groups_claim)
        groups = [groups] if isinstance(groups, str) else groups if isinstance(groups, list) else []
        return any(group in config.allowed_groups for group in groups if isinstance(group, str))


def verified_email(claims: Mapping[str, Any]) -> str | None:
    """The e-mail address of `claims`, unless the provider says it never checked it (an
    unchecked address proves nothing); `"false"` as text too, as Amazon Cognito sends it."""
    email = claims.get("email")
    if not isinstance(email, str) or claims.get("email_verified") in (False, "false"):
        return None
    return email
