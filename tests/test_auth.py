"""`server.auth`: a login page and session cookie for people, bearer tokens for programs, and
nothing for anyone else but `/healthz` and the login page."""

from __future__ import annotations

import asyncio
import base64
import functools
import hashlib
import logging
import re
import secrets
import time
from pathlib import Path

import httpx
import openai
import pytest
from browsing import expect, log, send
from helpers import error_of, run_async
from litestar.testing import TestClient

from chatserve.app import create_app
from chatserve.security import passwords
from chatserve.security.auth import ATTEMPTS, OPEN_PATHS, SESSION_COOKIE
from chatserve.security.passwords import Cost, hash_password

TOKEN = "ci-token-0123456789abcdef"

AUTH_PY = """
import chatserve


def who(message, history, request: chatserve.Request):
    private = sorted({"authorization", "cookie"} & set(request.headers))
    return f"{request.username} asked {message!r}; private headers seen: {private}"


def files(message, history, request: chatserve.Request):
    return {"path": message["files"][0]} if message["files"] else "no file"
"""


def bob_hash() -> str:
    """Bob's password, "builder", hashed at the current cost."""
    return hash_at("builder", passwords.COST)


@functools.cache  # each hash costs a real scrypt: make one per cost, once
def hash_at(password: str, cost: Cost) -> str:
    """A hash of `password` at `cost`, which must be the current one."""
    assert cost == passwords.COST, (cost, passwords.COST)
    return hash_password(password)


def legacy_hash(password: str) -> str:
    """A hash in the format chatserve wrote before `$scrypt$`: `scrypt$n$r$p$salt$hash`."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
    encode = base64.urlsafe_b64encode
    return f"scrypt$16384$8$1${encode(salt).decode()}${encode(digest).decode()}".replace("=", "")


def config(
    fn: str = "who", password: str = "wonderland", extra: str = "", bob: str | None = None
) -> str:
    """A private bot's config: alice with a plain-text password, bob with a hash (at the
    current cost unless `bob` is given), and a token for ci."""
    bob = bob_hash() if bob is None else bob
    return f"""
        title: Private bot
        fn: bot.py:{fn}
        flagging_mode: manual
        {extra}
        server:
          auth:
            users:
              - {{username: alice, password: "{password}"}}
              - {{username: bob, password: "{bob}"}}
            tokens:
              - {{name: ci, token: {TOKEN}}}
        """


FORM = {"Content-Type": "application/x-www-form-urlencoded"}
"""What the Sign out form sends (with no fields)."""


@pytest.fixture
def scrypt_costs(monkeypatch) -> list[tuple[int, int, int]]:
    """The (n, r, p) of every scrypt run from now on (the real one runs)."""
    costs: list[tuple[int, int, int]] = []
    real = hashlib.scrypt

    def counted(password: bytes, *, salt: bytes, n: int, r: int, p: int, **options) -> bytes:
        costs.append((n, r, p))
        return real(password, salt=salt, n=n, r=r, p=p, **options)

    monkeypatch.setattr(hashlib, "scrypt", counted)
    return costs


@pytest.fixture
def bot_py() -> str:
    """This module's chat functions: they tell who asked."""
    return AUTH_PY


@pytest.fixture
def auth_client(client):
    """In-process clients for a private bot: `config()` unless another config is given."""

    def make(text: str | None = None, **options) -> TestClient:
        return client(config() if text is None else text, **options)

    return make


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

    out = http.post("/logout", headers=FORM, follow_redirects=False)
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


@pytest.mark.real_password_cost
def test_every_sign_in_costs_one_scrypt_at_the_current_cost(auth_client, scrypt_costs) -> None:
    """An unknown name, a plain-text password and a hash all cost the same work, so timing
    does not tell which user names exist or how their passwords are kept."""
    http = auth_client()
    for username, password, status in [
        ("nobody", "wonderland", 401),
        ("alice", "wrong", 401),  # a plain-text password (`${ENV}` in a real config)
        ("alice", "wonderland", 303),
        ("bob", "wrong", 401),  # a hash from `chatserve hash-password`
        ("bob", "builder", 303),
    ]:
        scrypt_costs.clear()
        assert sign_in(http, username, password).status_code == status
        assert scrypt_costs == [(2**17, 8, 1)], (username, password)


@pytest.mark.real_password_cost
def test_a_hash_of_a_lower_cost_is_upgraded_in_the_data_dir(
    auth_client, scrypt_costs, caplog
) -> None:
    stored = legacy_hash("builder")
    http = auth_client(config(bob=stored))
    upgrades = Path(http.app.state.services.holder.current.bot.data_dir()) / "passwords"
    old, current = (2**14, 8, 1), (2**17, 8, 1)

    scrypt_costs.clear()  # making `stored` was one
    assert sign_in(http, "bob", "wrong").status_code == 401
    assert sorted(scrypt_costs) == [old, current]  # as slow as any other sign-in
    assert not upgrades.exists()

    scrypt_costs.clear()
    with caplog.at_level(logging.WARNING, logger="chatserve"):
        assert sign_in(http, "bob", "builder").status_code == 303
    assert sorted(scrypt_costs) == [old, current, current]  # the check, and the new hash
    [upgraded] = upgrades.iterdir()
    assert upgraded.name == hashlib.sha256(stored.encode()).hexdigest()
    assert upgraded.read_text().startswith("$scrypt$ln=17,r=8,p=1$")
    assert "chatserve hash-password" in caplog.text
    assert stored not in caplog.text

    caplog.clear()
    again = auth_client(config(bob=stored))  # another process on the same data dir
    scrypt_costs.clear()
    with caplog.at_level(logging.WARNING, logger="chatserve"):
        assert sign_in(again, "bob", "builder").status_code == 303
        assert sign_in(again, "bob", "wrong").status_code == 401
    assert scrypt_costs == [current, current]  # the upgraded hash is checked, once
    assert caplog.text == ""  # the warning came once, with the upgrade
    assert upgraded.read_text().startswith("$scrypt$ln=17,")


def login_from(server, address: str, username: str, password: str) -> httpx.Response:
    """POST /login to a live server from a loopback `address` of our choosing."""
    transport = httpx.HTTPTransport(local_address=address)
    with httpx.Client(transport=transport, timeout=30) as http:
        form = {"username": username, "password": password}
        return http.post(server.url + "/login", data=form, follow_redirects=False)


def test_failed_logins_are_throttled_per_user_and_address_and_per_address(
    write_config, live_server
) -> None:
    server = live_server(write_config(config()))
    for _ in range(5):
        assert login_from(server, "127.0.0.2", "alice", "guess").status_code == 401
    blocked = login_from(server, "127.0.0.2", "alice", "wonderland")  # even the right password
    assert blocked.status_code == 429
    assert 50 <= int(blocked.headers["retry-after"]) <= 60
    assert "Too many sign-in attempts. Try again in" in blocked.text
    assert SESSION_COOKIE not in blocked.headers.get("set-cookie", "")

    # Guessing from one address locks no one out elsewhere, nor other users there.
    assert login_from(server, "127.0.0.3", "alice", "wonderland").status_code == 303
    assert login_from(server, "127.0.0.2", "bob", "builder").status_code == 303

    # An address that tries many user names runs out of attempts for all of them.
    for name in ("carol", "dave", "erin", "frank", "grace"):
        assert login_from(server, "127.0.0.2", name, "guess").status_code == 401
    assert login_from(server, "127.0.0.2", "bob", "builder").status_code == 429
    assert login_from(server, "127.0.0.3", "bob", "builder").status_code == 303


def memory(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak RSS) of a process, in MiB."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return {name: int(fields[name].split()[0]) // 1024 for name in ("VmRSS", "VmHWM")}


async def concurrent_logins(url: str, usernames: list[str]) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=len(usernames))
    async with httpx.AsyncClient(limits=limits, timeout=60) as http:
        return await asyncio.gather(
            *(
                http.post(url + "/login", data={"username": name, "password": f"guess {i}"})
                for i, name in enumerate(usernames)
            )
        )


def test_concurrent_wrong_passwords_are_throttled_before_any_is_checked(
    write_config, live_server
) -> None:
    """Each attempt takes its slot before its hash is checked, so a burst cannot slip past the
    limit; past a few checks at once, the rest are refused rather than queued."""
    server = live_server(write_config(config()))
    before = memory(server.process.pid)
    answers = run_async(lambda: concurrent_logins(server.url, ["alice"] * 100))
    statuses = [answer.status_code for answer in answers]
    checked = statuses.count(401)  # 401: the password was checked; 429: refused before that
    assert 1 <= checked <= 5
    assert statuses.count(429) == 100 - checked
    refused = next(answer for answer in answers if answer.status_code == 429)
    assert int(refused.headers["retry-after"]) >= 1
    assert 'role="alert"' in refused.text and "Try again in" in refused.text

    many = run_async(lambda: concurrent_logins(server.url, [f"user{i}" for i in range(100)]))
    checked_many = [answer.status_code for answer in many].count(401)
    assert checked + checked_many <= 10  # per address, whatever the user names
    after = memory(server.process.pid)
    print(
        f"\n100 concurrent wrong passwords for one user -> {checked} checked; "
        f"then 100 for 100 user names -> {checked_many} checked; "
        f"RSS {before['VmRSS']} MiB before, {after['VmRSS']} MiB after "
        f"(peak {after['VmHWM']} MiB)"
    )


def test_tokens_and_their_throttle(auth_client) -> None:
    http = auth_client()
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    reply = http.post("/api/chat", json={"message": "hi"}, headers=bearer)
    assert reply.json()["messages"][0]["content"] == "ci asked 'hi'; private headers seen: []"
    assert http.get("/v1/models", headers=bearer).status_code == 200
    assert http.get("/api/config", headers={"Authorization": f"Basic {TOKEN}"}).status_code == 401
    for _ in range(ATTEMPTS["address"] - 1):  # the Basic header above was the first failure
        bad = http.get("/api/config", headers={"Authorization": "Bearer wrong-token-000000"})
        assert bad.status_code == 401
        assert bad.headers["www-authenticate"] == 'Bearer realm="chatserve"'
        assert bad.json()["error"]["message"] == "The bearer token is not valid."
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
    name, session_id, expiry, signature = sign_in(http).cookies[SESSION_COOKIE].split(".")
    bob = "Ym9i"  # base64 of "bob"
    other_id = secrets.token_urlsafe(16)
    for forged in (
        f"{bob}.{session_id}.{expiry}.{signature}",
        f"{name}.{other_id}.{expiry}.{signature}",
        f"{name}.{session_id}.{int(expiry) + 1}.{signature}",
        f"{name}.{session_id}.{expiry}.{signature[:-2]}AA",
        f"{name}.{session_id}.{int(time.time()) - 1}.{signature}",
        f"{name}.{expiry}.{signature}",
        "garbage",
        "",
    ):
        http.cookies.clear()
        http.cookies.set(SESSION_COOKIE, forged)
        assert http.get("/api/config").status_code == 401
    http.cookies.set(SESSION_COOKIE, f"{name}.{session_id}.{expiry}.{signature}")
    assert http.get("/api/config").status_code == 200


def test_malformed_session_cookies_are_refused_not_errors(auth_client) -> None:
    http = auth_client()
    genuine = sign_in(http).cookies[SESSION_COOKIE].encode()
    http.cookies.clear()
    not_ascii = [b"\xc3\xa9", b"\xff\xfe", b"\xc2\xb2", b"\xe4\xb8\xad\xe6\x96\x87"]
    values = [genuine[: -len(bad)] + bad for bad in not_ascii]  # a signature of other bytes
    values += [genuine.replace(b".", b"." + bad, 1) for bad in not_ascii]  # any other part
    *start, _, signature = genuine.split(b".")  # the expiry comes before the signature
    values += [
        b".".join([*start, b"9" * 5000, signature]),
        b".".join([*start, "\u0661\u0662".encode(), signature]),
        b".".join([b"\xff\xff", *start[1:], b"1", signature]),
        b"..." + genuine,
        b"\x7f",
    ]
    for value in values:
        answer = http.get(
            "/api/config", headers=[(b"cookie", SESSION_COOKIE.encode() + b"=" + value)]
        )
        assert answer.status_code == 401, value
        assert error_of(answer) == {
            "message": "Sign in on the login page, or send `Authorization: Bearer <token>`."
        }


def test_signing_out_ends_the_session_on_the_server(auth_client) -> None:
    http = auth_client()
    session = sign_in(http).cookies[SESSION_COOKIE]
    assert http.post("/logout", headers=FORM, follow_redirects=False).status_code == 303
    for replay in (http, auth_client()):  # this process, and another on the same data dir
        replay.cookies.set(SESSION_COOKIE, session)
        assert replay.get("/api/config").status_code == 401
    http.cookies.clear()
    assert sign_in(http).status_code == 303  # signing in again is a new session
    assert http.get("/api/config").status_code == 200


def test_signing_out_everywhere_ends_every_session_of_that_user(auth_client) -> None:
    laptop, phone, bob = auth_client(), auth_client(), auth_client()
    for http in (laptop, phone):
        sign_in(http)
    sign_in(bob, "bob", "builder")
    ended = laptop.post("/logout", data={"everywhere": "1"}, follow_redirects=False)
    assert (ended.status_code, ended.headers["location"]) == (303, "/login")
    assert laptop.get("/api/config").status_code == 401
    assert phone.get("/api/config").status_code == 401
    assert bob.get("/api/config").status_code == 200
    sign_in(phone)
    assert phone.get("/api/config").status_code == 200


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
    from chatserve.store.flags import FlagStore

    http = auth_client()
    sign_in(http)
    history = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]
    assert http.post(
        "/api/flag", json={"history": history, "index": 1, "option": "Like"}
    ).is_success
    store = FlagStore(Path(http.app.state.services.holder.current.bot.data_dir()) / "flagged")
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


def test_every_route_but_the_open_ones_refuses_strangers(write_config, live_server) -> None:
    path = write_config(config())
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


def test_the_openai_client_needs_a_token(write_config, live_server) -> None:
    server = live_server(write_config(config()))
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


def sign_in_page(page, url: str) -> None:
    page.goto(url)
    page.get_by_label("User name").fill("alice")
    page.get_by_label("Password").fill("wonderland")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{url}/")


def test_sign_in_chat_and_sign_out_in_a_browser(write_config, live_server, new_page, tmp_path):
    server = live_server(write_config(config()))
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
    [session] = [c["value"] for c in page.context.cookies() if c["name"] == SESSION_COOKIE]
    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page).to_have_url(f"{server.url}/login")
    page.goto(server.url)
    expect(page).to_have_url(f"{server.url}/login")
    replayed = httpx.get(f"{server.url}/api/config", cookies={SESSION_COOKIE: session})
    assert replayed.status_code == 401


def test_signing_out_everywhere_in_a_browser(write_config, live_server, new_page, tmp_path):
    server = live_server(write_config(config()))
    laptop, phone = new_page(), new_page(viewport={"width": 390, "height": 740})
    for page in (laptop, phone):
        sign_in_page(page, server.url)
    send(phone, "hello")
    expect(log(phone)).to_contain_text("alice asked 'hello'")
    everywhere = laptop.get_by_role("button", name="Sign out everywhere")
    expect(everywhere).to_be_visible()
    expect(phone.get_by_role("button", name="Sign out everywhere")).to_be_visible()
    laptop.screenshot(path=tmp_path / "header.png")
    phone.screenshot(path=tmp_path / "header-phone.png")
    everywhere.click()
    expect(laptop).to_have_url(f"{server.url}/login")
    send(phone, "still there?")  # the phone's next request, from the open page
    expect(phone).to_have_url(f"{server.url}/login")
    sign_in_page(phone, server.url)
    send(phone, "back")
    expect(log(phone)).to_contain_text("alice asked 'back'")
