"""What every request passes first: the Host check (DNS rebinding), a trusted proxy's forwarded
headers, the same-origin check's scheme, and clients too slow to send their request."""

from __future__ import annotations

import socket
import threading
import time
from functools import partial

import pytest
import uvicorn
from helpers import free_port, wait_until

from chatserve.config.loader import load_config
from chatserve.errors import ConfigError
from chatserve.server import H11HeadersInTime, HttpToolsHeadersInTime

ECHO = "fn: bot.py:echo\n"
MULTIMODAL = "fn: bot.py:echo\nmultimodal: true\n"
PROXIED = ECHO + "server: {forwarded_allow_ips: [testclient], allowed_hosts: [bot.example.com]}\n"


def error(response) -> str:
    return response.json()["error"]["message"]


def test_a_rebound_host_name_is_refused_on_every_route(client) -> None:
    # The attacker's page at http://evil.example:8000 after its name was rebound to 127.0.0.1.
    http = client(MULTIMODAL)
    rebound = {"Host": "evil.example:8000", "Origin": "http://evil.example:8000"}
    attempts = [
        http.post("/api/chat", json={"message": {"text": "x"}}, headers=rebound),
        http.post("/api/upload", files={"files": ("a.txt", b"hi")}, headers=rebound),
        http.get("/api/config", headers=rebound),
        http.get("/", headers=rebound),
        http.get("/no/such/route", headers=rebound),
        http.options("/api/chat", headers=rebound),
    ]
    for response in attempts:
        assert response.status_code == 400, response.request.url
        assert error(response) == (
            "This server does not answer to the host 'evil.example'; "
            "its operator can add it to server.allowed_hosts."
        )
        assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    "host",
    [
        "localhost",
        "localhost:8000",
        "LOCALHOST.:8000",
        "app.localhost:8000",
        "127.0.0.1:8000",
        "[::1]:8000",
        "192.168.1.20:8000",
        "testserver.local",  # the address the connection arrived at
    ],
)
def test_localhost_and_addresses_are_always_answered(client, host: str) -> None:
    http = client(ECHO)
    origin = f"http://{host.lower()}"
    response = http.post(
        "/api/chat", json={"message": "x"}, headers={"Host": host, "Origin": origin}
    )
    assert response.status_code == 200, error(response)


@pytest.mark.parametrize(
    "host",
    [
        "evil.example",
        "bad host",
        "localhost:80x",
        "[zz::1]",
        "localhost.evil.example",
        "ex\x01mple",
    ],
)
def test_other_and_malformed_hosts_are_refused(client, host: str) -> None:
    response = client(ECHO).get("/api/config", headers={"Host": host})
    assert response.status_code == 400
    assert "host" in error(response).lower()


def test_two_host_headers_are_refused(client) -> None:
    http = client(ECHO)
    response = http.get("/api/config", headers=[("Host", "localhost"), ("Host", "evil.example")])
    assert response.status_code == 400
    assert error(response) == "The Host header is not a valid host name."


def test_allowed_hosts_names_domains_and_any(client) -> None:
    http = client(ECHO + "server: {allowed_hosts: [Bot.Example.com, .corp.example]}\n")
    for host, status in [
        ("bot.example.com", 200),
        ("bot.example.com:8443", 200),
        ("corp.example", 200),
        ("chat.eu.corp.example", 200),
        ("example.com", 400),
        ("evilcorp.example", 400),
        ("localhost", 200),
    ]:
        assert http.get("/api/config", headers={"Host": host}).status_code == status, host
    anyone = client(ECHO + "server: {allowed_hosts: ['*']}\n")
    assert anyone.get("/api/config", headers={"Host": "whatever.example"}).status_code == 200


@pytest.mark.parametrize(
    ("entry", "accepted"),
    [
        ("bot.example.com", True),
        ("*.example.com", True),
        ("*", True),
        ("http://x.example", False),
        ("x.example:8000", False),
        ("", False),
        ("exa mple", False),
    ],
)
def test_allowed_hosts_entries_are_checked_when_the_config_loads(
    write_config, entry: str, accepted: bool
) -> None:
    path = write_config(ECHO + f"server: {{allowed_hosts: [{entry!r}]}}\n")
    if accepted:
        load_config(path)
        return
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    [problem] = caught.value.problems
    assert problem.path == "server.allowed_hosts"
    assert "a host is a name such as 'bot.example.com'" in problem.message


def test_forwarded_host_counts_only_from_a_trusted_proxy(client) -> None:
    proxied = client(PROXIED)
    # From the proxy: the host it names is the request's host, checked like any other.
    named = proxied.get("/api/config", headers={"X-Forwarded-Host": "bot.example.com"})
    assert named.status_code == 200
    rebound = proxied.get("/api/config", headers={"X-Forwarded-Host": "evil.example"})
    assert rebound.status_code == 400
    # Appended by a chain of proxies: the last one's word counts.
    chained = {"X-Forwarded-Host": "evil.example, bot.example.com"}
    assert proxied.get("/api/config", headers=chained).status_code == 200

    # From anyone else the header means nothing, either way.
    direct = client(ECHO + "server: {allowed_hosts: [bot.example.com]}\n")
    ignored = {"Host": "evil.example", "X-Forwarded-Host": "bot.example.com"}
    assert direct.get("/api/config", headers=ignored).status_code == 400
    harmless = {"X-Forwarded-Host": "evil.example"}
    assert direct.get("/api/config", headers=harmless).status_code == 200


def test_openai_links_name_the_checked_host(client) -> None:
    picture = ECHO.replace("bot.py:echo", "bot.py:picture")
    http = client(picture + "server: {forwarded_allow_ips: [testclient], root_path: /bot}\n")
    body = {"model": "bot", "messages": [{"role": "user", "content": "draw"}]}
    headers = {"X-Forwarded-Host": "chat.example.org", "X-Forwarded-Proto": "https"}
    # chat.example.org is not allowed: refused before any link could name it.
    assert http.post("/v1/chat/completions", json=body, headers=headers).status_code == 400
    allowed = client(
        picture + "server: {forwarded_allow_ips: [testclient], root_path: /bot, "
        "allowed_hosts: [chat.example.org]}\n"
    )
    answer = allowed.post("/v1/chat/completions", json=body, headers=headers)
    content = answer.json()["choices"][0]["message"]["content"]
    assert "![draw.png](https://chat.example.org/bot/api/files/" in content, content


def test_the_origin_check_compares_the_scheme(client) -> None:
    http = client(ECHO)
    same = http.post(
        "/api/chat", json={"message": "x"}, headers={"Origin": "http://testserver.local"}
    )
    assert same.status_code == 200
    https = http.post(
        "/api/chat", json={"message": "x"}, headers={"Origin": "https://testserver.local"}
    )
    assert https.status_code == 403
    assert error(https).startswith("Cross-origin request from 'https://testserver.local' refused.")
    assert "server.forwarded_allow_ips" in error(https)
    port = http.post(
        "/api/chat", json={"message": "x"}, headers={"Origin": "http://testserver.local:81"}
    )
    assert port.status_code == 403
    assert "forwarded_allow_ips" not in error(port)


def test_behind_a_proxy_that_ends_tls_the_origin_is_https(client) -> None:
    http = client(PROXIED)
    headers = {
        "Origin": "https://bot.example.com",
        "X-Forwarded-Host": "bot.example.com",
        "X-Forwarded-Proto": "https",
    }
    assert http.post("/api/chat", json={"message": "x"}, headers=headers).status_code == 200
    plain = {**headers, "Origin": "http://bot.example.com"}
    assert http.post("/api/chat", json={"message": "x"}, headers=plain).status_code == 403
    # The default port is left out of an Origin, and may be in the Host.
    with_port = {**headers, "X-Forwarded-Host": "bot.example.com:443"}
    assert http.post("/api/chat", json={"message": "x"}, headers=with_port).status_code == 200


def test_the_client_cookie_is_secure_when_the_page_came_over_https(client) -> None:
    http = client(PROXIED)
    plain = http.get("/", headers={"X-Forwarded-Host": "bot.example.com"})
    assert "secure" not in plain.headers["set-cookie"].lower()
    http.cookies.clear()
    tls = http.get(
        "/", headers={"X-Forwarded-Host": "bot.example.com", "X-Forwarded-Proto": "https"}
    )
    assert "; secure" in tls.headers["set-cookie"].lower()


SLOW = ECHO + "server: {read_timeout: 1}\n"


def _connect(url: str) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=5)


def _closed(sock: socket.socket) -> bool:
    try:
        sock.setblocking(False)
        return sock.recv(1024) == b""
    except BlockingIOError:
        return False
    except ConnectionResetError:
        return True
    finally:
        sock.setblocking(True)


def _read_all(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    received = b""
    while chunk := sock.recv(4096):
        received += chunk
    return received


def test_a_client_trickling_its_headers_is_cut_off(write_config, live_server) -> None:
    server = live_server(write_config(SLOW))
    assert_heads_must_arrive_in_time(server.url, deadline=1)


async def _ok(scope, receive, send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


@pytest.mark.parametrize("protocol", [H11HeadersInTime, HttpToolsHeadersInTime])
def test_both_http_parsers_cut_off_a_trickling_head(protocol) -> None:
    """`chatserve serve` runs httptools' parser when installed, else h11's: each keeps the
    deadline, for a new connection and for the next request on a kept-alive one."""
    config = uvicorn.Config(
        _ok, port=free_port(), http=partial(protocol, head_timeout=0.5), log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run)
    thread.start()
    try:
        wait_until(lambda: server.started)
        url = f"http://127.0.0.1:{config.port}"
        assert_heads_must_arrive_in_time(url, deadline=0.5)
        with _connect(url) as kept:
            kept.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
            assert kept.recv(1024).startswith(b"HTTP/1.1 200")
            wait_until(lambda: _closed(kept), timeout=1)  # the next head never came
    finally:
        server.should_exit = True
        thread.join()


def assert_heads_must_arrive_in_time(url: str, deadline: float) -> None:
    """A server with a head deadline of `deadline` seconds closes a connection trickling its
    headers, and one that sends nothing at all."""
    with _connect(url) as sock:
        started = time.monotonic()
        sock.sendall(b"GET /api/config HTTP/1.1\r\nHost: localhost\r\n")
        closed = False
        for index in range(round(30 * deadline)):  # a header byte every 0.1 s: for ever
            time.sleep(0.1)
            if _closed(sock):
                closed = True
                break
            sock.sendall(b"X-Slow: a\r\n"[index % 11 : index % 11 + 1])
        assert closed, f"the server kept a trickling client's connection open {3 * deadline} s"
        assert 0.9 * deadline < time.monotonic() - started < 2.5 * deadline
    with _connect(url) as silent:  # silence from the start is cut off too
        wait_until(lambda: _closed(silent), timeout=3 * deadline)


def test_a_body_that_stops_arriving_gets_408(write_config, live_server) -> None:
    server = live_server(write_config(SLOW))
    head = b"POST /api/chat HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
    with _connect(server.url) as sock:
        sock.sendall(head + b'Content-Length: 100\r\n\r\n{"message": ')
        answer = _read_all(sock).decode()
    assert answer.startswith("HTTP/1.1 408"), answer
    assert "\r\nconnection: close\r\n" in answer.lower()  # _read_all saw it closed
    assert "The request body stopped arriving (nothing for 1 s)." in answer
    # A client that keeps sending is not cut off, however long the whole body takes.
    body = b'{"message": "' + b"x" * 20 + b'"}'
    with _connect(server.url) as steady:
        steady.sendall(head + f"Content-Length: {len(body)}\r\n\r\n".encode())
        for start in range(0, len(body), 8):
            time.sleep(0.5)
            steady.sendall(body[start : start + 8])
        assert steady.recv(4096).startswith(b"HTTP/1.1 200")


def test_listening_on_every_interface_warns_about_host_names(write_config, live_server) -> None:
    server = live_server(write_config(ECHO), "--host", "0.0.0.0")
    assert "list the host names clients use in server.allowed_hosts" in server.output()
    quiet = live_server(write_config(ECHO + "server: {allowed_hosts: [bot.example.com]}\n"))
    assert "allowed_hosts" not in quiet.output()
