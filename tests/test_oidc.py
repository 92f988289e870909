"""`server.auth.oidc`: signing in through an OpenID provider, against a real one (`oidc-provider`
under Node, tests/oidc/provider.js) on a loopback port: the whole way in Chromium, and each way
it can fail (the table in the README), with a browser's redirects followed by hand."""

from __future__ import annotations

import base64
import json
import logging
import re
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from browsing import expect, log, send
from helpers import free_port, npm_installed, wait_until
from litestar.testing import TestClient

from chatserve.config.loader import load_config
from chatserve.errors import ConfigError
from chatserve.security.auth import SESSION_COOKIE
from chatserve.security.pending import COOKIE as PENDING_COOKIE
from chatserve.store.shared.backends import backends

PROVIDER_DIR = Path(__file__).resolve().parent / "oidc"
SECRET = "chatserve-test-client-secret"
TOKEN = "ci-token-0123456789abcdef"
APP = "http://127.0.0.1:8000"
"""Where in-process apps are reached: a loopback address, as the provider's clients allow."""

WHO_PY = """
import chatserve


def who(message, history, request: chatserve.Request):
    claims = request.claims or {}
    return (
        f"user={request.username} email={request.email} "
        f"name={claims.get('name')} groups={claims.get('groups')}"
    )
"""


@dataclass
class Provider:
    """The OpenID provider's process: `restart` starts it anew on its port, with a new key."""

    port: int
    log: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def issuer(self) -> str:
        return f"http://localhost:{self.port}"

    def start(self) -> None:
        with self.log.open("ab") as handle:
            self.process = subprocess.Popen(
                ["node", "provider.js", str(self.port)],
                cwd=PROVIDER_DIR,
                stdout=handle,
                stderr=subprocess.STDOUT,
            )
        wait_until(self._ready, timeout=20)

    def stop(self) -> None:
        assert self.process is not None
        self.process.terminate()
        self.process.wait(timeout=10)

    def restart(self) -> None:
        self.stop()
        self.start()

    def _ready(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise RuntimeError(f"the OpenID provider exited:\n{self.log.read_text()}")
        try:
            url = f"{self.issuer}/.well-known/openid-configuration"
            return httpx.get(url, timeout=1).status_code == 200
        except httpx.TransportError:
            return False


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Provider]:
    """The test provider, installed from tests/oidc/package-lock.json when it is missing."""
    npm_installed(PROVIDER_DIR, "oidc-provider")
    provider = Provider(free_port(), tmp_path_factory.mktemp("oidc") / "provider.log")
    provider.start()
    yield provider
    provider.stop()


def config(
    provider: Provider,
    *,
    client_id: str = "chatserve",
    secret: str = f"client_secret: {SECRET}",
    allow: str = "allowed_domains: [example.com]",
    more: str = "",
    auth: str = "users: [{username: alice, password: wonderland}]",
    server: str = "",
) -> str:
    """A bot's config with `oidc` (`allow` and `more` its lines), `auth` the other lines of
    `server.auth` (besides a token), `server` those of `server`."""
    return f"""
        title: Private bot
        fn: bot.py:who
        server:
          {server}
          auth:
            {auth}
            tokens: [{{name: ci, token: {TOKEN}}}]
            oidc:
              issuer: {provider.issuer}
              client_id: {client_id}
              {secret}
              label: Test ID
              {allow}
              {more}
        """


@pytest.fixture
def app(client: Callable[..., TestClient], oidc_provider: Provider) -> Callable[..., TestClient]:
    """An in-process app of `config(oidc_provider, **options)`, reached as `APP`."""

    def make(**options: str) -> TestClient:
        return client(config(oidc_provider, **options), bot_py=WHO_PY, base_url=APP)

    return make


@dataclass
class Visit:
    """A sign-in as a browser makes it: the provider's pages with `browser`, the bot's with
    `app` (each keeps its own cookies, as a browser does per site)."""

    app: TestClient
    browser: httpx.Client
    root: str = ""
    """The bot's `server.root_path`, which the proxy (here: `bot`) strips."""
    callback: str = ""
    """The provider's answer: the callback URL it sent the browser to."""

    def follow(self, response: httpx.Response) -> httpx.Response:
        """Follow redirects, to the bot's pages or to the provider's."""
        while response.is_redirect:
            url = response.url.join(response.headers["location"])
            response = self.bot(url) if url.host == "127.0.0.1" else self.browser.get(url)
        return response

    def bot(self, url: httpx.URL | str) -> httpx.Response:
        """The bot's answer to a browser's GET of `url`: with the cookies a browser sends to
        that path, through a proxy that strips the root path."""
        url = httpx.URL(url)
        jar = self.app.cookies.jar
        sent = "; ".join(f"{c.name}={c.value}" for c in jar if url.path.startswith(c.path))
        return self.app.get(
            str(url.copy_with(path=url.path.removeprefix(self.root) or "/")),
            headers={"cookie": sent} if sent else {},
            follow_redirects=False,
        )

    def answer(self, login: str, next_path: str = "/") -> str:
        """Start at the bot and sign in at the provider as `login`: the callback URL the
        provider then sends the browser to (not visited yet)."""
        form = self.follow(self.bot(f"{APP}{self.root}/login/oidc?next={next_path}"))
        action = re.search(r'<form[^>]* action="([^"]+)"', form.text)
        assert action, form.text
        filled = {"prompt": "login", "login": login, "password": "any"}
        response = self.browser.post(form.url.join(action[1]), data=filled)
        while response.is_redirect:
            url = response.url.join(response.headers["location"])
            if url.host == "127.0.0.1":
                self.callback = str(url)
                return self.callback
            response = self.browser.get(url)
        raise AssertionError(f"the provider did not answer:\n{response.text}")

    def sign_in(self, login: str, next_path: str = "/") -> httpx.Response:
        """Sign in as `login`: the bot's last answer (its page, or the login page)."""
        return self.follow(self.bot(self.answer(login, next_path)))


@pytest.fixture
def visit() -> Iterator[Callable[..., Visit]]:
    browsers: list[httpx.Client] = []

    def make(app: TestClient, root: str = "") -> Visit:
        browsers.append(httpx.Client(timeout=10))
        return Visit(app, browsers[-1], root)

    yield make
    for browser in browsers:
        browser.close()


EXPIRED = "The sign-in took too long or was already used; try again."
REFUSED = "The identity provider did not sign you in."
UNVERIFIED = "The identity provider's answer could not be verified."
UNREACHABLE = "The identity provider could not be reached; try again later."
INCOMPLETE = "The identity provider's answer lacks what this bot needs; the server's log says what."


def not_allowed(account: str) -> str:
    return f"Your account ({account}) is not allowed to use this bot."


def alert(response: httpx.Response) -> str:
    """What the login page says went wrong."""
    found = re.search(r'role="alert">([^<]*)<', response.text)
    assert found, response.text
    return found[1].replace("&#x27;", "'").replace("&amp;", "&")


def chat(app: TestClient, **kwargs) -> httpx.Response:
    return app.post("/api/chat", json={"message": "hi", "history": []}, **kwargs)


# The whole way, in Chromium.


def test_sign_in_chat_and_sign_out_in_chromium(
    write_config, live_server, new_page, oidc_provider: Provider, tmp_path: Path
) -> None:
    """The login page offers the provider beside the password form; its login page signs Ana
    in; `fn` sees her name, e-mail address and claims; signing out ends the session here and
    at the provider, and comes back to the login page."""
    server = live_server(
        write_config(
            config(oidc_provider, more="scopes: [openid, email, profile, groups]"), bot_py=WHO_PY
        )
    )
    page = new_page()
    page.goto(f"{server.url}/")
    expect(page).to_have_url(f"{server.url}/login")
    expect(page.get_by_label("Password")).to_be_visible()
    page.screenshot(path=tmp_path / "oidc-login.png")
    page.get_by_role("link", name="Sign in with Test ID").click()
    expect(page).to_have_url(re.compile(rf"^{oidc_provider.issuer}/interaction/"))
    page.get_by_placeholder("Enter any login").fill("ana@example.com")
    page.get_by_placeholder("and password").fill("any")
    page.screenshot(path=tmp_path / "oidc-provider.png")
    page.get_by_role("button", name="Sign-in").click()
    expect(page).to_have_url(f"{server.url}/")
    send(page, "hello")
    expect(log(page)).to_contain_text(
        "user=ana@example.com email=ana@example.com name=Ana Lima groups=['staff']"
    )
    page.screenshot(path=tmp_path / "oidc-signed-in.png")
    [session] = [c["value"] for c in page.context.cookies() if c["name"] == SESSION_COOKIE]
    assert not [c for c in page.context.cookies() if c["name"] == PENDING_COOKIE]  # used up
    page.get_by_role("button", name="Sign out", exact=True).click()
    page.get_by_role("button", name="Yes, sign me out").click()  # the provider asks
    expect(page).to_have_url(f"{server.url}/login")
    page.goto(f"{server.url}/")
    expect(page).to_have_url(f"{server.url}/login")
    replayed = httpx.get(f"{server.url}/api/config", cookies={SESSION_COOKIE: session})
    assert replayed.status_code == 401
    page.get_by_role("link", name="Sign in with Test ID").click()  # signed out there too
    expect(page.get_by_placeholder("Enter any login")).to_be_visible()


def test_cancelling_at_the_provider_in_chromium(
    write_config, live_server, new_page, oidc_provider: Provider
) -> None:
    server = live_server(write_config(config(oidc_provider), bot_py=WHO_PY))
    page = new_page()
    page.goto(f"{server.url}/login")
    page.get_by_role("link", name="Sign in with Test ID").click()
    page.get_by_role("link", name="[ Cancel ]").click()
    expect(page).to_have_url(re.compile(rf"^{server.url}/login/oidc/callback\?error=access_denied"))
    expect(page.get_by_role("alert")).to_have_text("The identity provider did not sign you in.")
    expect(page.get_by_role("link", name="Sign in with Test ID")).to_be_visible()
    page.get_by_label("User name").fill("alice")  # the password form still works from here
    page.get_by_label("Password").fill("wonderland")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{server.url}/")


# What the sign-in hands on: a session like a password's, `fn`'s view of the user.


def test_the_session_carries_the_claims_to_fn(app, visit) -> None:
    bot = app(more="scopes: [openid, email, profile, groups]")
    signed_in = visit(bot).sign_in("ana@example.com", next_path="/api/config")
    assert signed_in.status_code == 200, signed_in.text
    assert str(signed_in.url) == f"{APP}/api/config"
    assert chat(bot).json()["messages"][0]["content"] == (
        "user=ana@example.com email=ana@example.com name=Ana Lima groups=['staff']"
    )


def test_passwords_and_tokens_work_beside_the_provider(app) -> None:
    bot = app()
    page = bot.get("/login")
    assert 'name="password"' in page.text and "Sign in with Test ID" in page.text
    signed_in = bot.post(
        "/login", data={"username": "alice", "password": "wonderland"}, follow_redirects=False
    )
    assert signed_in.status_code == 303
    reply = chat(bot).json()["messages"][0]["content"]
    assert reply == "user=alice email=None name=None groups=None"
    bot.cookies.clear()
    with_token = chat(bot, headers={"Authorization": f"Bearer {TOKEN}"})
    assert with_token.json()["messages"][0]["content"] == "user=ci email=None name=None groups=None"


def test_a_bot_with_only_the_provider_shows_no_password_form(app, visit) -> None:
    bot = app(auth="users: []")
    page = bot.get("/login?next=/x")
    assert 'name="password"' not in page.text
    assert 'href="login/oidc?next=/x"' in page.text
    assert bot.post("/login", data={"username": "ana", "password": "x"}).status_code == 401
    assert visit(bot).sign_in("ana@example.com").status_code == 200


def test_under_a_root_path(app, visit) -> None:
    """Behind a proxy at `/bot`: the redirect URI, the cookies and the way back are under it."""
    bot = app(server="root_path: /bot")
    journey = visit(bot, root="/bot")
    callback = journey.answer("ana@example.com", next_path="/")
    assert callback.startswith(f"{APP}/bot/login/oidc/callback?")
    assert [c.path for c in bot.cookies.jar if c.name == PENDING_COOKIE] == ["/bot/login/oidc"]
    finished = journey.bot(callback)
    assert finished.headers["location"] == "/bot/"
    assert [c.path for c in bot.cookies.jar if c.name == SESSION_COOKIE] == ["/bot"]


def test_a_public_client_proves_itself_with_pkce_alone(app, visit) -> None:
    bot = app(client_id="public", secret="")
    assert visit(bot).sign_in("ana@example.com").status_code == 200
    assert chat(bot).json()["messages"][0]["content"].startswith("user=ana@example.com")


def test_groups_let_in_an_account_of_another_domain(app, visit) -> None:
    bot = app(
        allow="allowed_groups: [bot-users]",
        more="scopes: [openid, email, groups]\n              username_claim: sub",
    )
    assert visit(bot).sign_in("carol@partner.test").status_code == 200
    assert (
        chat(bot).json()["messages"][0]["content"].startswith("user=1003 email=carol@partner.test")
    )
    assert (
        visit(app(allow="allowed_groups: [bot-users]")).sign_in("ana@example.com").status_code
        == 403
    )  # no groups scope asked for: no groups to match


def test_the_callback_may_land_on_another_replica(
    client, oidc_provider: Provider, visit, postgres_url: str, tmp_path: Path
) -> None:
    """Two replicas with nothing in common but the database and the key (each its own data
    dir): a sign-in started on one finishes on the other; its answer is then refused on both."""
    text = textwrap.dedent(
        config(oidc_provider, auth=f"secret: {'k' * 32}", server=f"database: {postgres_url}")
    )
    first, second = (replica(client, tmp_path / name, text) for name in ("one", "two"))
    callback = visit(first).answer("ana@example.com")
    pending = {"cookie": f"{PENDING_COOKIE}={first.cookies[PENDING_COOKIE]}"}
    finished = second.get(callback, headers=pending, follow_redirects=False)
    assert (finished.status_code, finished.headers["location"]) == (303, "/")
    session = second.cookies[SESSION_COOKIE]
    assert chat(second).status_code == 200
    assert chat(first, headers={"cookie": f"{SESSION_COOKIE}={session}"}).status_code == 200
    again = first.get(callback, headers=pending)
    assert (again.status_code, alert(again)) == (400, EXPIRED)


def replica(client: Callable[..., TestClient], folder: Path, text: str) -> TestClient:
    folder.mkdir()
    (folder / "bot.py").write_text(WHO_PY)
    (folder / "bot.yaml").write_text(text)
    return client(folder / "bot.yaml", base_url=APP)


# Each way a sign-in fails: what the login page says (and the status), what the log says. The
# README's table lists them.


@pytest.mark.parametrize(
    ("client_id", "login", "logged"),
    [
        ("swapped", "ana@example.com", "Invalid claim: 'aud'"),  # issued to another client
        ("skewed", "ana@example.com", "The token is expired"),  # expired an hour ago
        ("tampered", "eve@evil.test", "bad_signature"),  # Eve's claims rewritten to Ana's
    ],
)
def test_an_id_token_that_fails_its_checks_is_refused(
    app, visit, caplog, client_id: str, login: str, logged: str
) -> None:
    bot = app(client_id=client_id)
    with caplog.at_level(logging.WARNING, logger="chatserve"):
        refused = visit(bot).sign_in(login)
    assert (refused.status_code, alert(refused)) == (401, UNVERIFIED)
    assert logged in caplog.text
    assert SESSION_COOKIE not in bot.cookies
    assert chat(bot).status_code == 401


def test_a_replayed_callback_is_refused(app, visit) -> None:
    """Once used, the provider's answer signs no one in again: not in the same browser, not
    with a copy of the sign-in's cookie."""
    bot = app()
    callback = visit(bot).answer("ana@example.com")
    copied = {"cookie": f"{PENDING_COOKIE}={bot.cookies[PENDING_COOKIE]}"}
    assert bot.get(callback, follow_redirects=False).status_code == 303
    again = bot.get(callback)
    assert (again.status_code, alert(again)) == (400, EXPIRED)
    bot.cookies.clear()
    with_copy = bot.get(callback, headers=copied)
    assert (with_copy.status_code, alert(with_copy)) == (400, EXPIRED)
    assert SESSION_COOKIE not in bot.cookies


def test_an_answer_for_another_browser_or_sign_in_is_refused(app, visit) -> None:
    """A callback link made for someone else (login CSRF), or the answer to an older sign-in
    of this browser, does not match the state its cookie holds."""
    bot = app()
    callback = visit(bot).answer("eve@evil.test")  # the attacker's own answer
    victim = app()
    forced = victim.get(callback)
    assert (forced.status_code, alert(forced)) == (400, EXPIRED)
    older = visit(victim).answer("ana@example.com")
    visit(victim).answer("ana@example.com")  # a newer sign-in takes the cookie's place
    stale = victim.get(older)
    assert (stale.status_code, alert(stale)) == (400, EXPIRED)


def test_an_error_from_the_provider_is_refused(app, caplog) -> None:
    """What the provider answers when the person cancels (as in Chromium above), or it will
    not sign them in."""
    bot = app()
    started = httpx.URL(bot.get("/login/oidc", follow_redirects=False).headers["location"])
    answer = f"/login/oidc/callback?error=access_denied&state={started.params['state']}"
    with caplog.at_level(logging.WARNING, logger="chatserve"):
        refused = bot.get(answer)
    assert (refused.status_code, alert(refused)) == (401, REFUSED)
    assert "the provider answered 'access_denied'" in caplog.text


def test_an_answer_from_another_issuer_is_refused(app, visit) -> None:
    """RFC 9207: the provider names itself in its answer; another name is a mix-up."""
    bot = app()
    callback = visit(bot).answer("ana@example.com")
    mixed_up = re.sub(r"iss=[^&]+", "iss=https%3A%2F%2Fevil.test", callback)
    refused = bot.get(mixed_up)
    assert (refused.status_code, alert(refused)) == (401, UNVERIFIED)


@pytest.mark.parametrize(
    ("login", "options", "logged"),
    [
        ("eve@evil.test", {}, "no allow-list"),  # a domain not allowed
        ("mallory@example.com", {}, "no allow-list"),  # the provider never checked the address
        (
            "ana@example.com",
            {"auth": "users: [{username: ana@example.com, password: wonderland}]"},
            "is a user's or a token's",  # a password user's name
        ),
        ("ana@example.com", {"allow": "allowed_emails: [ben@example.com]"}, "no allow-list"),
    ],
)
def test_an_account_the_allow_lists_do_not_take_is_refused(
    app, visit, caplog, login: str, options: dict[str, str], logged: str
) -> None:
    bot = app(**options)
    with caplog.at_level(logging.WARNING, logger="chatserve"):
        refused = visit(bot).sign_in(login)
    assert (refused.status_code, alert(refused)) == (403, not_allowed(login))
    assert logged in caplog.text
    assert chat(bot).status_code == 401


def test_an_answer_without_the_user_name_claim_is_refused(app, visit, caplog) -> None:
    bot = app(more="username_claim: preferred_username")
    with caplog.at_level(logging.WARNING, logger="chatserve"):
        refused = visit(bot).sign_in("ana@example.com")
    assert (refused.status_code, alert(refused)) == (502, INCOMPLETE)
    assert "no usable 'preferred_username' claim" in caplog.text


def test_an_unverified_address_names_no_one(app, visit, caplog) -> None:
    """Anyone could claim an address the provider never checked: it is no user name, and
    `fn` does not see it."""
    anyone = app(allow="allowed_domains: ['*']")
    with caplog.at_level(logging.WARNING, logger="chatserve"):
        refused = visit(anyone).sign_in("mallory@example.com")
    assert (refused.status_code, alert(refused)) == (502, INCOMPLETE)
    assert "no usable 'email' claim" in caplog.text
    by_subject = app(allow="allowed_domains: ['*']", more="username_claim: sub")
    assert visit(by_subject).sign_in("mallory@example.com").status_code == 200
    reply = chat(by_subject).json()["messages"][0]["content"]
    assert reply == "user=1004 email=None name=Mallory groups=None"


@pytest.mark.parametrize("next_path", ["//evil.test/x", "https://evil.test/x", "/\\evil.test"])
def test_the_way_back_never_leaves_the_bot(app, visit, next_path: str) -> None:
    bot = app()
    callback = visit(bot).answer("ana@example.com", next_path=next_path)
    assert bot.get(callback, follow_redirects=False).headers["location"] == "/"


def test_an_id_token_too_large_for_a_cookie_is_refused(app, visit, caplog) -> None:
    """300 groups (a directory's member of many teams) make a cookie no browser keeps."""
    bot = app(more="scopes: [openid, email, groups]")
    with caplog.at_level(logging.WARNING, logger="chatserve"):
        refused = visit(bot).sign_in("many@example.com")
    assert (refused.status_code, alert(refused)) == (502, INCOMPLETE)
    assert "too large to keep in a cookie" in caplog.text


def test_a_provider_that_does_not_answer_is_reported(client) -> None:
    gone = Provider(free_port(), Path("unused.log"))
    bot = client(config(gone), bot_py=WHO_PY, base_url=APP)
    refused = bot.get("/login/oidc?next=/x")
    assert (refused.status_code, alert(refused)) == (502, UNREACHABLE)
    assert 'href="../login/oidc?next=/x"' in refused.text  # try again from the same page


def test_failed_callbacks_are_throttled_like_wrong_passwords(app) -> None:
    bot = app()
    for attempt in range(10):
        assert bot.get(f"/login/oidc/callback?code=c{attempt}&state=s").status_code == 400
    throttled = bot.get("/login/oidc/callback?code=c&state=s")
    assert throttled.status_code == 429
    assert alert(throttled).startswith("Too many sign-in attempts. Try again in ")


# Sessions of users signed in through the provider.


def test_signing_out_ends_the_session_here_and_at_the_provider(
    app, visit, oidc_provider: Provider
) -> None:
    """The page goes on to the provider's end of session by itself (a redirect from the chat
    page's form would break its `form-action 'self'`)."""
    bot = app()
    visit(bot).sign_in("ana@example.com")
    session = bot.cookies[SESSION_COOKIE]
    out = bot.post("/logout", data={"everywhere": ""}, headers={"origin": APP})
    assert out.status_code == 200
    assert "Signing you out at Test ID too…" in out.text
    refresh = re.search(r'<meta http-equiv="refresh" content="0; url=([^"]+)">', out.text)
    assert refresh, out.text
    where = httpx.URL(refresh[1].replace("&amp;", "&"))
    assert str(where.copy_with(query=None)) == f"{oidc_provider.issuer}/session/end"
    assert where.params["post_logout_redirect_uri"] == f"{APP}/login"
    assert where.params["client_id"] == "chatserve"
    assert where.params["id_token_hint"] == session.split(".", 4)[4]
    assert SESSION_COOKIE not in bot.cookies
    assert chat(bot, headers={"cookie": f"{SESSION_COOKIE}={session}"}).status_code == 401


def test_signing_out_everywhere_ends_every_session_of_the_user(app, visit) -> None:
    bot = app()
    visit(bot).sign_in("ana@example.com")
    laptop = bot.cookies[SESSION_COOKIE]
    bot.cookies.clear()
    visit(bot).sign_in("ana@example.com")
    phone = bot.cookies[SESSION_COOKIE]
    assert phone != laptop
    out = bot.post("/logout", data={"everywhere": "1"}, headers={"origin": APP})
    assert out.status_code == 200
    for session in (laptop, phone):
        assert chat(bot, headers={"cookie": f"{SESSION_COOKIE}={session}"}).status_code == 401


def test_a_session_ends_once_the_config_no_longer_lets_its_user_in(
    client, write_config, oidc_provider: Provider, visit
) -> None:
    """The allow-lists are asked on every request, not only at sign-in."""
    before = client(write_config(config(oidc_provider), bot_py=WHO_PY), base_url=APP)
    visit(before).sign_in("ana@example.com")
    session = {"cookie": f"{SESSION_COOKIE}={before.cookies[SESSION_COOKIE]}"}
    narrowed = config(oidc_provider, allow="allowed_emails: [ben@example.com]")
    after = client(write_config(narrowed, bot_py=WHO_PY), base_url=APP)  # same data dir
    assert chat(after, headers=session).status_code == 401
    same = client(write_config(config(oidc_provider), bot_py=WHO_PY), base_url=APP)
    assert chat(same, headers=session).status_code == 200


def test_a_session_cookie_cannot_be_made_or_altered(app, visit) -> None:
    """A password user's name on a session of the provider's, or its claims rewritten: the
    signature no longer matches."""
    bot = app()
    visit(bot).sign_in("ana@example.com")
    name, session_id, expiry, signature, id_token = bot.cookies[SESSION_COOKIE].split(".", 4)
    header, payload, token_signature = id_token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    rewritten = (
        base64.urlsafe_b64encode(json.dumps({**claims, "email": "ben@example.com"}).encode())
        .decode()
        .rstrip("=")
    )
    alice = base64.urlsafe_b64encode(b"alice").decode().rstrip("=")
    for forged in (
        [alice, session_id, expiry, signature, id_token],
        [name, session_id, expiry, signature, f"{header}.{rewritten}.{token_signature}"],
        [name, session_id, expiry, signature],
    ):
        cookie = {"cookie": f"{SESSION_COOKIE}={'.'.join(forged)}"}
        bot.cookies.clear()
        assert chat(bot, headers=cookie).status_code == 401


def test_a_new_signing_key_of_the_provider_is_fetched(app, visit, oidc_provider: Provider) -> None:
    """Keys are kept between sign-ins, and fetched anew when an ID token names another."""
    bot = app()
    assert visit(bot).sign_in("ana@example.com").status_code == 200
    oidc_provider.restart()  # a new key
    bot.cookies.clear()
    assert visit(bot).sign_in("ana@example.com").status_code == 200


# The config.


def oidc_problems(tmp_path: Path, oidc: str) -> list[str]:
    path = tmp_path / "bot.yaml"
    path.write_text(f"fn: bot.py:who\nserver:\n  auth:\n    oidc: {oidc}\n")
    try:
        load_config(path)
    except ConfigError as error:
        return [str(problem).split(": ", 2)[2] for problem in error.problems]
    return []


@pytest.mark.parametrize(
    ("oidc", "problem"),
    [
        (
            "{issuer: http://id.example.com, client_id: c, allowed_domains: [example.com]}",
            "must be https:// (http only for a loopback host), got 'http://id.example.com'",
        ),
        (
            "{issuer: https://id.example.com, client_id: c}",
            "needs allowed_domains, allowed_emails or allowed_groups",
        ),
        (
            "{issuer: https://id.example.com, client_id: c, allowed_domains: [example.com], "
            "scopes: [email]}",
            "must include 'openid'",
        ),
        (
            "{issuer: https://id.example.com, client_id: c, allowed_domains: ['@example.com']}",
            "a domain is such as 'example.com'",
        ),
        (
            "{issuer: https://id.example.com, client_id: c, allowed_emails: [ana]}",
            "an e-mail address is such as 'ana@example.com'",
        ),
    ],
)
def test_oidc_config_problems(tmp_path: Path, oidc: str, problem: str) -> None:
    [found] = oidc_problems(tmp_path, oidc)
    assert problem in found


@pytest.mark.parametrize(
    "oidc",
    [
        "{issuer: https://accounts.google.com, client_id: c, allowed_domains: ['*']}",
        "{issuer: 'http://127.0.0.1:9000/realms/x', client_id: c, allowed_groups: [staff]}",
        "{issuer: 'http://localhost:9000', client_id: c, allowed_emails: [Ana@Example.com]}",
    ],
)
def test_a_provider_alone_lets_people_in(tmp_path: Path, oidc: str) -> None:
    assert oidc_problems(tmp_path, oidc) == []


def test_the_client_secret_is_never_shown(tmp_path: Path) -> None:
    path = tmp_path / "bot.yaml"
    path.write_text(
        "fn: bot.py:who\nserver:\n  auth:\n    oidc: {issuer: https://id.example.com, "
        "client_id: c, client_secret: s3cret-value, allowed_domains: [example.com]}\n"
    )
    assert "s3cret-value" not in repr(load_config(path).server.auth)


def test_a_missing_extra_is_named_at_its_key(write_config, oidc_provider, tmp_path) -> None:
    path = write_config(config(oidc_provider), bot_py=WHO_PY)
    not_installed = (
        "import sys; sys.modules['httpx2'] = None\n"  # as if the extra were not installed
        "from chatserve.cli import main\n"
        "main()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", not_installed, "serve", str(path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert result.returncode == 1
    line = path.read_text().splitlines().index("    oidc:") + 1
    assert f"bot.yaml:{line}:5: server.auth.oidc: needs the httpx2 package" in result.stderr
    assert "pip install 'chatserve[oidc]'" in result.stderr
    assert "Traceback" not in result.stderr


def test_replicas_signing_in_through_a_provider_need_one_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sign-in started on one replica is finished by any other: they must share the key."""
    monkeypatch.delenv("CHATSERVE_SECRET", raising=False)
    path = tmp_path / "bot.yaml"
    path.write_text(
        "fn: bot.py:who\nserver:\n  database: postgresql://chat@db:5432/chat\n  auth:\n"
        "    oidc: {issuer: https://id.example.com, client_id: c, allowed_domains: ['*']}\n"
    )
    with pytest.raises(ConfigError, match="replicas sharing a database must sign sessions"):
        backends(load_config(path), tmp_path)
