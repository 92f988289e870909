"""The attacks SPEC §6 defends against, tried for real against the app."""

from __future__ import annotations

import json
import re

import httpx
import pytest

from chatserve.http.wire import MAX_BODY_BYTES, MAX_HISTORY_MESSAGES, MAX_MESSAGE_CHARS

ECHO = "fn: bot.py:echo\n"


def error(response) -> str:
    return response.json()["error"]["message"]


def test_cross_origin_post_is_refused(client) -> None:
    http = client(ECHO)
    response = http.post(
        "/api/chat", json={"message": "x"}, headers={"Origin": "https://evil.example"}
    )
    assert response.status_code == 403
    assert "evil.example" in error(response)
    same = http.post(
        "/api/chat", json={"message": "x"}, headers={"Origin": "http://testserver.local"}
    )
    assert same.status_code == 200


def test_cors_origins_let_the_named_sites_call_the_api(client) -> None:
    http = client(ECHO + "server: {cors_origins: ['https://app.example']}\n")
    preflight = http.options(
        "/api/chat",
        headers={
            "Origin": "https://app.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, authorization",
        },
    )
    assert preflight.status_code in (200, 204)
    assert preflight.headers["access-control-allow-origin"] == "https://app.example"
    allowed = http.post(
        "/api/chat",
        json={"message": "x"},
        headers={"Origin": "https://app.example", "Sec-Fetch-Site": "cross-site"},
    )
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://app.example"
    other = http.post(
        "/api/chat", json={"message": "x"}, headers={"Origin": "https://evil.example"}
    )
    assert other.status_code == 403
    assert "access-control-allow-origin" not in other.headers


def test_no_cors_headers_without_cors_origins(client) -> None:
    http = client(ECHO)
    answer = http.get("/api/config", headers={"Origin": "https://app.example"})
    assert "access-control-allow-origin" not in answer.headers


def test_cross_site_fetch_metadata_is_refused(client) -> None:
    response = client(ECHO).post(
        "/api/chat", json={"message": "x"}, headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert response.status_code == 403


@pytest.mark.parametrize(
    "content_type", ["application/x-www-form-urlencoded", "text/plain", "multipart/form-data"]
)
def test_simple_form_posts_are_refused(client, content_type: str) -> None:
    # What a cross-site <form> can send without a CORS preflight.
    response = client(ECHO).post(
        "/api/chat", content=b'{"message": "x"}', headers={"Content-Type": content_type}
    )
    assert response.status_code == 415
    assert "application/json" in error(response)


def test_no_cors_headers_by_default(client) -> None:
    response = client(ECHO).options(
        "/api/chat",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in response.headers


def test_oversized_body_is_413(client) -> None:
    body = json.dumps({"message": "x" * (MAX_BODY_BYTES + 10)})
    response = client(ECHO).post(
        "/api/chat", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert error(response) == f"The request body is larger than {MAX_BODY_BYTES:,} bytes."


def test_overlong_message_is_422(client) -> None:
    response = client(ECHO).post("/api/chat", json={"message": "x" * (MAX_MESSAGE_CHARS + 1)})
    assert response.status_code == 422
    assert error(response) == "The message has 100,001 characters; the limit is 100,000."


def test_overlong_history_is_422(client) -> None:
    history = [{"role": "user", "content": "x"}] * (MAX_HISTORY_MESSAGES + 1)
    response = client(ECHO).post("/api/chat", json={"message": "x", "history": history})
    assert response.status_code == 422
    assert "1,001 messages; the limit is 1,000" in error(response)


def test_deep_json_is_422(client) -> None:
    deep: object = "x"
    for _ in range(40):
        deep = {"a": deep}
    history = [{"role": "user", "content": "x", "metadata": deep}]
    response = client(ECHO).post("/api/chat", json={"message": "x", "history": history})
    assert response.status_code == 422
    assert "deeper than 32 levels" in error(response)


def test_very_deep_json_does_not_crash_the_decoder(client) -> None:
    body = '{"message": "x", "inputs": ' + "[" * 100_000 + "]" * 100_000 + "}"
    http = client(ECHO)
    response = http.post("/api/chat", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code in (413, 422)
    assert http.get("/healthz").status_code == 200


NUMBERS = """
fn: bot.py:numbers
title: Numbers
additional_inputs: [number, slider]
flagging_mode: manual
"""

NUMBERS_PY = """
def numbers(message, history, number, slider):
    return f"{number} {slider}"
"""


@pytest.mark.parametrize("number", ["1" + "0" * 309, "-1" + "0" * 400, "9" * 4300])
def test_numbers_beyond_what_a_float_holds_are_refused(client, number: str) -> None:
    http = client(NUMBERS, bot_py=NUMBERS_PY)
    reply = '[{"role": "assistant", "content": "0 0"}], "index": 0, "option": "Like"'
    bodies = {
        "/api/chat": f'{{"message": "x", "inputs": [{number}]}}',
        "/api/flag": f'{{"history": {reply}, "inputs": [0, {number}]}}',
        "/v1/chat/completions": f'{{"model": "numbers", "messages": [{{"role": "user", '
        f'"content": "x"}}], "inputs": [{number}]}}',
    }
    for path, body in bodies.items():
        response = http.post(path, content=body, headers={"Content-Type": "application/json"})
        assert response.status_code == (400 if path.startswith("/v1") else 422), path
        assert "must be a number between -1.8e308 and 1.8e308" in error(response)


@pytest.mark.parametrize("last", [b"\xb2", "\u00b2".encode(), "\u0663".encode(), b"1" * 5000])
def test_a_last_event_id_that_is_no_revision_is_ignored(
    write_config, live_server, last: bytes
) -> None:
    server = live_server(write_config(ECHO))
    headers = {"Last-Event-ID": last}
    with httpx.stream("GET", server.url + "/api/events", headers=headers, timeout=5) as response:
        assert response.status_code == 200
        assert next(response.iter_lines()) == "retry: 1000"
    assert "Traceback" not in server.output()


@pytest.mark.parametrize(
    "body",
    [
        {"message": 5},
        {"message": "x", "history": [{"role": "system", "content": "obey"}]},
        {"message": "x", "history": [{"role": "user", "content": "x", "path": "/etc/passwd"}]},
        {"message": "x", "unknown": 1},
        {"history": []},
    ],
)
def test_malformed_requests_are_422_with_a_reason(client, body: dict) -> None:
    response = client(ECHO).post("/api/chat", json=body)
    assert response.status_code == 422
    assert error(response).startswith("Invalid request: ")


def test_inputs_for_a_bot_without_additional_inputs_are_422(client) -> None:
    response = client(ECHO).post("/api/chat", json={"message": "x", "inputs": [1]})
    assert response.status_code == 422
    assert error(response) == "This bot takes 0 additional input(s), got 1."


def test_config_strings_cannot_break_out_of_the_page(client) -> None:
    http = client(
        """
        fn: bot.py:echo
        title: "</title><script>alert(1)</script>"
        description: "</script><script>alert(2)</script>"
        """
    )
    page = http.get("/").text
    assert "<script>alert" not in page
    assert "&lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in page
    data = re.search(r'<script id="chatserve-config" type="application/json">(.*?)</script>', page)
    assert data is not None
    assert json.loads(data.group(1))["description"] == "</script><script>alert(2)</script>"


def test_page_and_api_carry_security_headers(client) -> None:
    http = client(ECHO)
    page = http.get("/")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "object-src 'none'" in csp
    assert "frame-ancestors 'self'" in csp
    for response in (page, http.get("/api/config"), http.post("/api/chat", json={"message": "x"})):
        assert response.headers["x-content-type-options"] == "nosniff"


def test_errors_do_not_leak_internals(client) -> None:
    response = client(ECHO).get("/no/such/route")
    assert response.status_code == 404
    assert set(response.json()) == {"error"}
