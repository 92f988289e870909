"""The Python API: `chatserve.load` and `chatserve.create_app`, served by ASGI servers other
than our own command."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import httpx
import pytest
from helpers import parse_sse, replay

import chatserve

BOT_PY = """
import os


def talk(message, history):
    for end in range(1, len(message) + 1):
        yield f"{os.getpid()}: {message[:end]}"
"""

APP_PY = """
import chatserve

app = chatserve.create_app("bot.yaml")
"""

SERVERS = {
    "uvicorn": [sys.executable, "-m", "uvicorn", "app:app", "--port", "{port}"],
    "hypercorn": [sys.executable, "-m", "hypercorn", "app:app", "--bind", "127.0.0.1:{port}"],
    "gunicorn": [
        str(Path(sys.executable).with_name("gunicorn")),
        "app:app",
        "--worker-class",
        "uvicorn.workers.UvicornWorker",
        "--workers",
        "2",
        "--bind",
        "127.0.0.1:{port}",
    ],
}


@pytest.fixture
def bot_folder(tmp_path: Path) -> Path:
    (tmp_path / "bot.py").write_text(textwrap.dedent(BOT_PY))
    (tmp_path / "app.py").write_text(textwrap.dedent(APP_PY))
    (tmp_path / "bot.yaml").write_text("fn: bot.py:talk\ntitle: Served elsewhere\n")
    return tmp_path


def test_load_returns_the_validated_config(bot_folder: Path) -> None:
    config = chatserve.load(bot_folder / "bot.yaml")
    assert (config.title, config.fn) == ("Served elsewhere", "bot.py:talk")
    (bot_folder / "broken.yaml").write_text("fn: bot.py:missing\n")
    with pytest.raises(chatserve.ConfigError) as caught:
        chatserve.load(bot_folder / "broken.yaml")
    assert 'broken.yaml:1:1: fn: Attribute "missing" not found' in str(caught.value)


@pytest.mark.parametrize("server", SERVERS)
def test_any_asgi_server_serves_the_app(bot_folder: Path, live_process, server: str) -> None:
    running = live_process(SERVERS[server], cwd=bot_folder)
    page = httpx.get(running.url)
    assert "<title>Served elsewhere</title>" in page.text
    answer = httpx.post(f"{running.url}/api/chat", json={"message": "hello", "stream": True})
    assert answer.headers["content-type"].startswith("text/event-stream")
    events = parse_sse(answer.text)
    assert events[0][0] == "message" and events[-1][0] == "done"
    [message] = replay(events)
    assert message["content"].endswith(": hello")
    assert message == events[-1][1]["messages"][0]
