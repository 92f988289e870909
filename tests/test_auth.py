"""`server.auth`: a login page and session cookie for people, bearer tokens for programs, and
nothing for anyone else but `/healthz` and the login page."""

from __future__ import annotations

import re
import time
from pathlib import Path

import httpx
import openai
import pytest
from helpers import log, send
from litestar.testing import TestClient
from playwright.sync_api import expect

from chatserve.app import create_app
from chatserve.auth import OPEN_PATHS, SESSION_COOKIE
from chatserve.passwords import hash_password

TOKEN = "ci-token-0123456789abcdef"

AUTH_PY = """
import chatserve


def who(message, history, request: chatserve.Request):
    private = sorted({"authorization", "cookie"} & set(request.headers))
    return f"{request.username} asked {message!r}; private headers seen: {private}"


def files(message, history, request: chatserve.Request):
    return {"path": message["files"][0]} if message["files"] else "no file"
"""


def config(fn: str = "who", password: str = "wonderland", extra: str = "") -> str:
    return f"""
        title: Private bot
        fn: bot.py:{fn}
        flagging_mode: manual
        {extra}
        server:
          auth:
            users:
              - {{username: alice, password: "{password}"}}
              - {{username: bob, password: "{hash_password("builder")}"}}
            tokens:
              - {{name: ci, token: {TOKEN}}}
        """


@pytest.fixture
def auth_client(write_config):
    clients: list[TestClient] = []

    def make(text: str = config(), base_url: str = "http://testserver.local") -> TestClient:
        app = create_app(write_config(text, bot_py=AUTH_PY))
        test_client = TestClient(app, base_url=base_url).__enter__()
        clients.append(test_client)
        return test_client

    yield make
    for test_client in clients:
        test_client.__exit__(None, None, None)


def sign_in(http: TestClient, username: str = "alice", password: str = "wonderland", **form):
    return http.post(
        "/login",
        data={"username": username, "password": password, **form},
        follow_redirects=False,
    )


def test_signing_in_sets_a_session_cookie_that_opens_every_route(auth_client) -> None:
    http = auth_client()
    assert http.get("/api/config").status_code == 401
    answer = sign_in(http)
    assert (answer.status_code, answer.headers["location"]) == (303, "/")
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert {"HttpOnly", "SameSite=lax", "Path=/"} <= {part.strip() for part in cookie.split(";")}
    assert "Secure" not in cookie  # plain http: a Secure cookie would never come back
    assert http.get("/").status_code == 200
    assert http.get("/api/config").json()["auth"] is True
    reply = http.post("/api/chat", json={"message": "hi"}).json()["messages"][0]["content"]
    assert reply == "alice asked 'hi'; private headers seen: []"

    form = {"Content-Type": "application/x-www-form-urlencoded"}  # as the Sign out form sends
    out = http.post("/logout", headers=form, follow_redirects=False)
    assert (out.status_code, out.headers["location"]) == (303, "/login")
    assert "Max-Age=0" in out.headers["set-cookie"] or "max-age=0" in out.headers["set-cookie"]
    assert http.get("/api/config").status_code == 401


def test_the_cookie_is_secure_over_https(auth_client) -> None:
    http = auth_client(base_url="https://testserver.local")
    assert "Secure" in sign_in(http).headers["set-cookie"]


def test_a_hashed_password_and_wrong_passwords(auth_client) -> None:
    http = auth_client()
    wrong = sign_in(http, "bob", "wonderland")
    assert wrong.status_code == 401
    assert "Wrong user name or password." in wrong.text
    assert SESSION_COOKIE not in wrong.headers.get("set-cookie", "")
    assert sign_in(http, "nobody", "x").status_code == 401
    assert sign_in(http, "bob", "builder").status_code == 303


def test_a_browser_is_sent_to_the_login_page_and_back(auth_client) -> None:
    http = auth_client()
    page = http.get("/schema", headers={"Accept": "text/html"}, follow_redirects=False)
    assert (page.status_code, page.headers["location"]) == (303, "/login?next=/schema")
    login = http.get("/login?next=/schema")
    assert 'name="next" value="/schema"' in login.text
    assert "default-src 'none'" in login.headers["content-security-policy"]
    assert sign_in(http, next="/schema").headers["location"] == "/schema"


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example", "\\\\evil", "x"])
def test_after_signing_in_the_next_page_is_never_another_site(auth_client, target: str) -> None:
    assert sign_in(auth_client(), next=target).headers["location"] == "/"


def test_login_refuses_a_cross_site_form(auth_client) -> None:
    http = auth_client()
    forged = http.post(
        "/login",
        data={"username": "alice", "password": "wonderland"},
        headers={"Origin": "https://evil.example"},
        follow_redirects=False,
    )
    assert forged.status_code == 403
    assert SESSION_COOKIE not in forged.headers.get("set-cookie", "")


def test_failed_logins_are_throttled_per_address_and_per_user(auth_client) -> None:
    http = auth_client()
    for _ in range(5):
        assert sign_in(http, password="guess").status_code == 401
    blocked = sign_in(http)  # even the right password waits now
    assert blocked.status_code == 429
    assert 50 <= int(blocked.headers["retry-after"]) <= 60
    assert "Too many failed attempts" in blocked.text
    assert SESSION_COOKIE not in blocked.headers.get("set-cookie", "")


def test_tokens_and_their_throttle(auth_client) -> None:
    http = auth_client()
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    reply = http.post("/api/chat", json={"message": "hi"}, headers=bearer)
    assert reply.json()["messages"][0]["content"] == "ci asked 'hi'; private headers seen: []"
    assert http.get("/v1/models", headers=bearer).status_code == 200
    assert http.get("/api/config", headers={"Authorization": f"Basic {TOKEN}"}).status_code == 401
    for _ in range(4):  # the Basic header above was the first failure
        bad = http.get("/api/config", headers={"Authorization": "Bearer wrong-token-000000"})
        assert bad.status_code == 401
        assert bad.headers["www-authenticate"] == 'Bearer realm="chatserve"'
        assert bad.json() == {"error": {"message": "The bearer token is not valid."}}
    throttled = http.get("/api/config", headers=bearer)
    assert throttled.status_code == 429
    assert int(throttled.headers["retry-after"]) > 0


def test_sessions_survive_a_restart_but_not_a_password_change(auth_client) -> None:
    first = auth_client()
    session = sign_in(first).cookies[SESSION_COOKIE]
    again = auth_client()  # a new app (and signing key read) on the same data dir
    again.cookies.set(SESSION_COOKIE, session)
    assert again.get("/api/config").status_code == 200
    changed = auth_client(config(password="new-password"))
    changed.cookies.set(SESSION_COOKIE, session)
    assert changed.get("/api/config").status_code == 401


def test_forged_and_expired_sessions_are_refused(auth_client) -> None:
    http = auth_client()
    name, expiry, signature = sign_in(http).cookies[SESSION_COOKIE].split(".")
    bob = "Ym9i"  # base64 of "bob"
    for forged in (
        f"{bob}.{expiry}.{signature}",
        f"{name}.{int(expiry) + 1}.{signature}",
        f"{name}.{expiry}.{signature[:-2]}AA",
        f"{name}.{int(time.time()) - 1}.{signature}",
        "garbage",
        "",
    ):
        http.cookies.clear()
        http.cookies.set(SESSION_COOKIE, forged)
        assert http.get("/api/config").status_code == 401
    http.cookies.set(SESSION_COOKIE, f"{name}.{expiry}.{signature}")
    assert http.get("/api/config").status_code == 200


def test_files_belong_to_the_user_who_uploaded_them(auth_client) -> None:
    alice = auth_client(config(fn="files", extra="multimodal: true"))
    sign_in(alice)
    uploaded = alice.post("/api/upload", files={"files": ("a.txt", b"alice's", "text/plain")})
    file_id = uploaded.json()["files"][0]["id"]
    assert alice.get(f"/api/files/{file_id}").content == b"alice's"
    bob = auth_client(config(fn="files", extra="multimodal: true"))
    sign_in(bob, "bob", "builder")
    assert bob.get(f"/api/files/{file_id}").status_code == 404
    message = {"text": "", "files": [file_id]}
    assert bob.post("/api/chat", json={"message": message}).status_code == 422
    reply = alice.post("/api/chat", json={"message": message}).json()["messages"][0]
    assert alice.get(reply["content"]["file"]["url"]).content == b"alice's"


def test_flags_record_who_gave_them(auth_client) -> None:
    from chatserve.flagstore import FlagStore

    http = auth_client()
    sign_in(http)
    history = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]
    assert http.post(
        "/api/flag", json={"history": history, "index": 1, "option": "Like"}
    ).is_success
    store = FlagStore(Path(http.app.state.holder.current.bot.data_dir()) / "flagged")
    assert [flag.user for flag in store.flags()] == ["alice"]
    store.close()


# Against a real server: every route, and the OpenAI client with a token.


def routes(app) -> list[tuple[str, str]]:
    """Every (method, path) the app serves, path parameters filled in."""
    found = set()
    for route in app.routes:
        path = re.sub(
            r"{(\w+):\w+}", lambda m: "x" if m.group(1) != "name" else "app.js", route.path
        )
        for method in route.methods - {"HEAD", "OPTIONS"}:
            found.add((method, path))
    return sorted(found, key=lambda pair: (pair[1], pair[0]))


@pytest.mark.server
def test_every_route_but_the_open_ones_refuses_strangers(write_config, live_server) -> None:
    path = write_config(config(), bot_py=AUTH_PY)
    server = live_server(path)
    table = []
    for method, route in routes(create_app(path)):
        answer = httpx.request(method, server.url + route, json={} if method == "POST" else None)
        table.append((method, route, answer.status_code))
        if route.split("?")[0] in OPEN_PATHS:
            assert answer.status_code != 401, (method, route)
        else:
            assert answer.status_code == 401, (method, route, answer.text)
            assert answer.headers["www-authenticate"] == 'Bearer realm="chatserve"'
    print("\n".join(f"{method} {route} -> {status}" for method, route, status in table))
    assert {route for _, route, _ in table} >= {
        "/", "/api/chat", "/api/config", "/api/events", "/api/files/x", "/api/flag",
        "/api/upload", "/assets/app.js", "/healthz", "/login", "/logout", "/schema",
        "/schema/openapi.json", "/v1/chat/completions", "/v1/models",
    }  # fmt: skip


@pytest.mark.server
def test_the_openai_client_needs_a_token(write_config, live_server) -> None:
    server = live_server(write_config(config(), bot_py=AUTH_PY))
    messages = [{"role": "user", "content": "hello"}]
    stranger = openai.OpenAI(base_url=f"{server.url}/v1", api_key="not-a-token-at-all")
    with pytest.raises(openai.AuthenticationError) as refused:
        stranger.chat.completions.create(model="private-bot", messages=messages)
    assert refused.value.code == "invalid_api_key"
    client = openai.OpenAI(base_url=f"{server.url}/v1", api_key=TOKEN)
    answer = client.chat.completions.create(model="private-bot", messages=messages)
    assert answer.choices[0].message.content == "ci asked 'hello'; private headers seen: []"
    stream = client.chat.completions.create(model="private-bot", messages=messages, stream=True)
    text = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
    assert text == "ci asked 'hello'; private headers seen: []"


@pytest.mark.browser
@pytest.mark.server
def test_sign_in_chat_and_sign_out_in_a_browser(write_config, live_server, new_page, tmp_path):
    server = live_server(write_config(config(), bot_py=AUTH_PY))
    page = new_page()
    page.goto(server.url)
    expect(page).to_have_url(f"{server.url}/login")
    expect(page.get_by_role("heading", name="Private bot")).to_be_visible()
    page.get_by_label("User name").fill("alice")
    page.get_by_label("Password").fill("not it")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Wrong user name or password.")
    expect(page.get_by_label("User name")).to_have_value("alice")
    page.screenshot(path=tmp_path / "login.png")
    page.get_by_label("Password").fill("wonderland")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{server.url}/")
    send(page, "hello")
    expect(log(page)).to_contain_text("alice asked 'hello'")
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(f"{server.url}/login")
    page.goto(server.url)
    expect(page).to_have_url(f"{server.url}/login")
