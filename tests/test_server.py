"""A real `chatserve serve` process on a loopback port: streaming, stopping, failing."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from helpers import parse_sse, wait_until

from chatserve.server import FINAL_EVENTS, YOUNG_OBJECTS
from chatserve.stopping import CUT_SHORT


@pytest.mark.parametrize(
    "stack",
    [(), ("--loop", "asyncio", "--http", "h11"), ("--loop", "uvloop", "--http", "httptools")],
)
def test_reply_streams_before_the_function_finishes(write_config, live_server, stack) -> None:
    server = live_server(write_config("fn: bot.py:paced\n"), *stack)
    arrivals = []
    with httpx.stream(
        "POST", server.url + "/api/chat", json={"message": "x", "stream": True}, timeout=10
    ) as response:
        assert response.status_code == 200
        for line in response.iter_lines():
            if line.startswith("event: "):
                arrivals.append((line[7:], time.monotonic()))
    names = [name for name, _ in arrivals]
    assert names == ["message", "delta", "delta", "delta", "delta", "done"]
    # paced() sleeps 50 ms per step: the first chunk came long before the last.
    assert arrivals[-1][1] - arrivals[0][1] > 0.15


@pytest.mark.parametrize("fn", ["slow", "async_slow", "async_burst_then_slow"])
def test_disconnect_closes_the_generator(write_config, live_server, tmp_path: Path, fn) -> None:
    server = live_server(write_config(f"fn: bot.py:{fn}\n"))
    with httpx.stream(
        "POST", server.url + "/api/chat", json={"message": "x", "stream": True}, timeout=10
    ) as response:
        for line in response.iter_lines():
            if line.startswith("event: message"):
                break
    # The generator runs for 50 s unless closed; its `finally` writes this file.
    wait_until((tmp_path / "closed.txt").exists)
    assert httpx.get(server.url + "/healthz").status_code == 200


def test_a_client_that_leaves_ends_its_stream_quietly(write_config, live_server, tmp_path) -> None:
    """No error for a client gone mid-stream: its access line says 200 with the bytes it was
    sent, and the chat function is closed."""
    server = live_server(write_config("fn: bot.py:async_slow\n"))
    received = b""
    with httpx.stream(
        "POST", server.url + "/api/chat", json={"message": "x", "stream": True}, timeout=10
    ) as response:
        for chunk in response.iter_bytes():
            received += chunk
            if b"step 2" in received:
                break
    wait_until((tmp_path / "closed.txt").exists)
    wait_until(lambda: "path=/api/chat" in server.output())
    log = server.output()
    fields = dict(re.findall(r"(\w+)=(\S+)", log[log.index("method=POST path=/api/chat") :]))
    assert fields["status"] == "200"
    assert int(fields["bytes"]) >= len(received)
    assert "Traceback" not in log and "ERROR" not in log


def test_failing_function_leaves_the_server_serving(write_config, live_server) -> None:
    server = live_server(write_config("fn: bot.py:crash\n"))
    response = httpx.post(server.url + "/api/chat", json={"message": "x"})
    assert response.status_code == 500
    assert "secret" not in response.text
    assert httpx.post(server.url + "/api/chat", json={"message": "x"}).status_code == 500
    assert httpx.get(server.url + "/healthz").status_code == 200
    log = server.output()
    assert "Traceback" in log
    assert "RuntimeError: secret internal detail" in log


def test_serving_an_invalid_config_exits_1_with_the_problems(run_chatserve, tmp_path: Path) -> None:
    config = tmp_path / "bot.yaml"
    config.write_text("fn: missing.py:reply\ntitel: x\n")
    result = run_chatserve(str(config))
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"{config}:2:1: titel: unknown key 'titel'; did you mean 'title'?"
    ]
    assert "Traceback" not in result.stderr
    config.write_text("fn: missing.py:reply\n")
    result = run_chatserve("serve", str(config))
    assert result.returncode == 1
    assert result.stderr == f'{config}:1:1: fn: File "missing.py" not found in "{tmp_path}".\n'


@pytest.mark.server  # a child process
def test_the_served_app_is_out_of_the_collectors_sight(write_config) -> None:
    """What `chatserve serve` builds lives as long as the process: full collections under load
    must not walk it (they stalled every stream at once); and young objects are collected
    less often than Python's default."""
    probe = (
        "import gc, sys, uvicorn\n"
        "uvicorn.Server.run = lambda self, *a: print(\n"
        "    gc.get_freeze_count(), gc.get_threshold()[0]\n"
        ")\n"
        "from chatserve.server import run\n"
        "run(sys.argv[1], reload=False)\n"
    )
    config = write_config("fn: bot.py:echo\n")
    result = subprocess.run(
        [sys.executable, "-c", probe, str(config)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    frozen, young = map(int, result.stdout.split())
    assert frozen > 10_000  # the modules, the app and the bot
    assert young == YOUNG_OBJECTS > 700


COUNTING_PY = """
import asyncio


async def count(message, history):
    text = ""
    for number in range(int(message)):
        await asyncio.sleep(0.1)
        text += f"{number} "
        yield text
"""


def test_stopping_lets_chats_end_then_cuts_the_rest_short(write_config, live_server) -> None:
    config = write_config("fn: bot.py:count\nserver: {shutdown_grace: 1}\n", bot_py=COUNTING_PY)
    server = live_server(config)
    streams: dict[str, str] = {}
    started = threading.Barrier(4)

    def chat(name: str, tokens: int, path: str = "/api/chat") -> None:
        body: dict[str, Any] = {"message": str(tokens), "stream": True}
        if path != "/api/chat":
            body = {"model": "bot", "messages": [{"role": "user", "content": str(tokens)}]}
            body["stream"] = True
        with httpx.stream("POST", server.url + path, json=body, timeout=20) as response:
            chunks = response.iter_text()
            first = next(chunks)
            started.wait()
            streams[name] = first + "".join(chunks)

    threads = [
        threading.Thread(target=chat, args=("short", 5)),  # 0.5 s: within the grace
        threading.Thread(target=chat, args=("long", 100)),  # 10 s: cut short at 1 s
        threading.Thread(target=chat, args=("openai", 100, "/v1/chat/completions")),
    ]
    for thread in threads:
        thread.start()
    started.wait()
    stopped_at = time.monotonic()
    server.process.terminate()
    wait_until(lambda: not _answers(server.url), timeout=5)  # no new connections
    for thread in threads:
        thread.join(timeout=10)
    # uvicorn ends by raising the signal it stopped for again, once everything is closed.
    assert server.process.wait(timeout=10) in (0, -signal.SIGTERM)
    assert time.monotonic() - stopped_at < 1 + FINAL_EVENTS + 1
    short, long = parse_sse(streams["short"]), parse_sse(streams["long"])
    assert short[-1][1]["messages"][0]["content"] == "0 1 2 3 4 "  # it ended on its own
    assert [name for name, _ in short].count("error") == 0
    assert long[-2] == ("error", {"message": CUT_SHORT})
    assert long[-1][0] == "done" and long[-1][1]["messages"][0]["content"].startswith("0 1 ")
    openai = re.findall(r"^data: (.*)$", streams["openai"], flags=re.M)
    assert json.loads(openai[-2])["error"]["message"] == CUT_SHORT and openai[-1] == "[DONE]"


def _answers(url: str) -> bool:
    try:
        httpx.get(f"{url}/healthz", timeout=1)
    except httpx.TransportError:
        return False
    return True
