"""`--workers N`: one config served by several processes sharing uploads, files and sessions;
and the log a deployment reads: one line per request, tracebacks, no secrets, no control
characters."""

from __future__ import annotations

import importlib
import json
import logging
import pkgutil
import re
import sys
from concurrent.futures import ThreadPoolExecutor

import httpx
from helpers import wait_until

import chatserve
from chatserve.app import create_app
from chatserve.logs import EscapeControlCharacters

TOKEN = "worker-token-0123456789"
PASSWORD = "correct horse battery staple"

BOT_PY = """
import os
import time


def read(message, history):
    if message["text"] == "crash":
        raise RuntimeError("the bot broke")
    if message["text"] == "slow":
        for step in range(1, 4):
            time.sleep(0.15)
            yield f"step {step}"
        return
    time.sleep(0.05)
    with open(message["files"][0]) as file:
        yield f"{os.getpid()} read {file.read()!r}"
"""

CONFIG = f"""
fn: bot.py:read
multimodal: true
server:
  auth:
    users: [{{username: ana, password: "{PASSWORD}"}}]
    tokens: [{{name: ci, token: {TOKEN}}}]
"""


def fresh_connections() -> httpx.Client:
    """A client that opens a new connection per request, so the requests spread over the
    worker processes as the kernel hands them out."""
    return httpx.Client(limits=httpx.Limits(max_keepalive_connections=0), timeout=10)


def test_workers_share_uploads_files_and_sessions(write_config, live_server) -> None:
    server = live_server(write_config(CONFIG, bot_py=BOT_PY), "--workers", "3")
    with fresh_connections() as http:
        signed_in = http.post(f"{server.url}/login", data={"username": "ana", "password": PASSWORD})
        assert signed_in.status_code == 303
        upload = http.post(
            f"{server.url}/api/upload", files={"files": ("note.txt", b"shared", "text/plain")}
        )
        file_id = upload.json()["files"][0]["id"]

        def chat(_: int) -> str:
            message = {"text": "", "files": [file_id]}
            answer = http.post(f"{server.url}/api/chat", json={"message": message})
            assert http.get(f"{server.url}/api/files/{file_id}").content == b"shared"
            return answer.json()["messages"][0]["content"]

        with ThreadPoolExecutor(12) as pool:  # at once, so that several workers take some
            replies = list(pool.map(chat, range(48)))
    pids = {reply.split(" ", 1)[0] for reply in replies}
    assert {reply.split(" ", 1)[1] for reply in replies} == {"read 'shared'"}
    assert len(pids) >= 2, "every request went to one worker; the test proves nothing"


def test_one_access_line_per_request_and_no_secrets(write_config, live_server) -> None:
    server = live_server(write_config(CONFIG, bot_py=BOT_PY))
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=server.url, timeout=10) as http:
        http.get("/nope?token=query-secret")
        http.post("/login", data={"username": "ana", "password": "wrong-password-secret"})
        slow = http.post("/api/chat", json={"message": "slow", "stream": True}, headers=bearer)
        assert "step 3" in slow.text
        crash = http.post("/api/chat", json={"message": "crash"}, headers=bearer)
        assert crash.status_code == 500
    # A line is written once its response has ended, which may be just after the client has it.
    wait_until(lambda: "path=/api/chat status=500" in server.output())
    log = server.output()
    lines = [line for line in log.splitlines() if "method=" in line]
    fields = [dict(re.findall(r'(\w+)=("(?:[^"\\]|\\.)*"|\S+)', line)) for line in lines]
    requests = [(f["method"], f["path"], f["status"], f.get("user")) for f in fields]
    assert requests[-4:] == [
        ("GET", "/nope", "404", None),
        ("POST", "/login", "401", None),
        ("POST", "/api/chat", "200", "ci"),
        ("POST", "/api/chat", "500", "ci"),
    ]
    assert float(fields[-2]["ms"]) >= 450  # the stream's whole length, not its first byte
    assert int(fields[-2]["bytes"]) == len(slow.content)  # the stream's body, every chunk
    assert "Traceback" in log and "RuntimeError: the bot broke" in log
    for secret in ("query-secret", "wrong-password-secret", TOKEN, PASSWORD):
        assert secret not in log


def test_access_lines_name_the_path_under_the_root_path(write_config, live_server) -> None:
    """uvicorn puts the root path in every path; Litestar takes it off the routed ones."""
    server = live_server(write_config("fn: bot.py:echo\nserver: {root_path: /bot}\n"))
    with httpx.Client(base_url=server.url, timeout=10) as http:
        assert http.get("/nope").status_code == 404
        assert http.post("/api/chat", json={"message": "hi"}).status_code == 200
    wait_until(lambda: "path=/bot/api/chat status=200" in server.output())
    assert "method=GET path=/bot/nope status=404" in server.output()


HOSTILE = "x\r\nINFO     forged line\x1b[31m\u2028"
ESCAPED = "x\\r\\nINFO     forged line\\x1b[31m\\u2028"
ENCODED = "x%0D%0AINFO%20%20%20%20%20forged%20line%1B[31m%E2%80%A8"

APP_PY = """
from litestar import get

import chatserve


@get("/broken/{rest:path}")
async def broken(rest: str) -> None:
    raise RuntimeError("a bug in a route")


app = chatserve.create_app("bot.yaml")
app.register(broken)
"""


def assert_one_line_each(log: str) -> None:
    assert ESCAPED in log, log
    assert not re.search(r"^INFO +forged line", log, re.MULTILINE), log
    for control in ("\r", "\x1b", "\u2028"):
        assert control not in log


def test_a_request_path_cannot_forge_error_log_lines(write_config, live_process) -> None:
    path = write_config("fn: bot.py:echo\n")
    (path.parent / "app.py").write_text(APP_PY)
    command = [sys.executable, "-m", "uvicorn", "app:app", "--port", "{port}"]
    server = live_process(command, cwd=path.parent)  # not `chatserve serve`: its log setup
    assert httpx.get(f"{server.url}/broken/{ENCODED}").status_code == 500
    assert f"Unhandled error in GET /broken/{ESCAPED}" in server.output()
    assert_one_line_each(server.output())


def test_an_error_message_cannot_forge_log_lines(write_config, live_server) -> None:
    bot = f"def crash(message, history):\n    raise RuntimeError({HOSTILE!r})\n"
    server = live_server(write_config("fn: bot.py:crash\n", bot_py=bot))
    assert httpx.post(f"{server.url}/api/chat", json={"message": "hi"}).status_code == 500
    assert f"RuntimeError: {ESCAPED}" in server.output()
    assert_one_line_each(server.output())


def test_every_chatserve_logger_escapes(write_config) -> None:
    for module in pkgutil.walk_packages(chatserve.__path__, "chatserve."):
        if module.name != "chatserve.__main__":  # runs the command line
            importlib.import_module(module.name)
    create_app(write_config("fn: bot.py:echo\n"))
    loggers = [
        logging.getLogger(name)
        for name in logging.Logger.manager.loggerDict
        if name == "chatserve" or name.startswith("chatserve.")
    ]
    assert {"chatserve", "chatserve.access"} <= {logger.name for logger in loggers}
    for logger in loggers:
        assert any(isinstance(f, EscapeControlCharacters) for f in logger.filters), logger.name


def json_lines(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def test_plain_uvicorn_gets_chatserve_lines_as_json_with_request_ids(
    write_config, live_process, monkeypatch
) -> None:
    monkeypatch.setenv("CHATSERVE_LOG_FORMAT", "json")
    path = write_config("fn: bot.py:echo\n")
    app = "import chatserve\napp = chatserve.create_app('bot.yaml')\n"
    (path.parent / "app.py").write_text(app)
    command = [sys.executable, "-m", "uvicorn", "app:app", "--port", "{port}"]
    server = live_process(command, cwd=path.parent)  # no `chatserve serve`, no log set-up
    traced = httpx.post(
        f"{server.url}/api/chat", json={"message": "hi"}, headers={"X-Request-ID": "trace-123"}
    )
    assert traced.headers["x-request-id"] == "trace-123"  # the proxy's id, kept
    missing = httpx.get(f"{server.url}/nope", headers={"X-Request-ID": "bad id"})
    made = missing.headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)  # malformed: a new one
    assert missing.json()["error"]["request_id"] == made
    wait_until(lambda: any(e.get("path") == "/nope" for e in json_lines(server.output())))
    access = [e for e in json_lines(server.output()) if e["logger"] == "chatserve.access"]
    chat = next(entry for entry in access if entry["path"] == "/api/chat")
    assert (chat["method"], chat["status"], chat["request_id"]) == ("POST", 200, "trace-123")
    assert {"time", "level", "message", "ms", "bytes"} <= set(chat)
    assert next(e for e in access if e["path"] == "/nope")["request_id"] == made


def test_serve_writes_uvicorn_lines_too_in_the_chosen_format(write_config, live_server) -> None:
    server = live_server(write_config("fn: bot.py:echo\n"), "--log-format", "json")
    httpx.get(f"{server.url}/api/config")
    wait_until(lambda: any(e.get("path") == "/api/config" for e in json_lines(server.output())))
    entries = json_lines(server.output())
    assert any(e["logger"].startswith("uvicorn") for e in entries)  # uvicorn's own lines
    assert all(line.startswith("{") for line in server.output().splitlines() if line)


def test_the_log_level_leaves_out_lines_below_it(write_config, live_server) -> None:
    server = live_server(write_config("fn: bot.py:echo\n"), "--log-level", "warning")
    httpx.get(f"{server.url}/api/config")
    httpx.get(f"{server.url}/broken-on-purpose")
    assert "method=GET" not in server.output()  # access lines are info
