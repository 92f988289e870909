"""Small helpers shared by test modules."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from chatserve.config.loader import load_config
from chatserve.errors import ConfigError

BOT_PY = Path(__file__).with_name("bots.py").read_text()
"""The chat functions tests serve, as the text of a `bot.py`."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def parse_sse(text: str) -> list[tuple[str, Any]]:
    """`event:`/`data:` pairs of a text/event-stream body, data decoded as JSON."""
    events = []
    for block in text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        events.append((fields["event"], json.loads(fields["data"])))
    return events


def replay(events: list[tuple[str, Any]]) -> list[dict[str, Any]]:
    """Apply message/delta/replace events the way a client does."""
    messages: list[dict[str, Any]] = []
    for name, data in events:
        if name in ("message", "replace"):
            if data["index"] == len(messages):
                messages.append(dict(data["message"]))
            else:
                messages[data["index"]] = dict(data["message"])
        elif name == "delta":
            messages[data["index"]]["content"] += data["text"]
    return messages


def run_async(make_coroutine):
    """Run a coroutine to completion in a thread of its own (see `in_thread`)."""
    return in_thread(lambda: asyncio.run(make_coroutine()))


def in_thread(call):
    """`call()`, in a thread of its own: its result, or what it raised.

    Playwright's sync API keeps an event loop running in the test thread, where `asyncio.run`
    (the turn engine's, `chatserve test`'s) refuses to start another.
    """
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = call()
        except BaseException as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def wait_until(check, timeout: float = 5.0):
    """Poll `check` until it returns something true, and return that."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"not true within {timeout} s: {check}")


def npm_installed(folder: Path, package: str) -> Path:
    """`folder`'s node_modules, installed from its package-lock.json when `package` is missing
    (as .ci/run installs it up front)."""
    modules = folder / "node_modules"
    if not (modules / package).is_dir():
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund"], cwd=folder, check=True, timeout=600
        )
    return modules


class SlotHolder:
    """A streaming chat on a real server that holds its slot until `release()`.

    Start it with `with SlotHolder(url) as holder:`; it returns once the chat is running.
    """

    def __init__(self, url: str) -> None:
        self.url = url.removesuffix("/")
        self.started = threading.Event()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._chat)

    def __enter__(self) -> SlotHolder:
        self.thread.start()
        if not self.started.wait(10):
            raise RuntimeError("the first chat never started")
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()
        self.thread.join()

    def release(self) -> None:
        """Disconnect: the server stops the chat and hands its slot on."""
        self.stop.set()

    def _chat(self) -> None:
        body = {"message": "first", "stream": True}
        with httpx.stream("POST", self.url + "/api/chat", json=body, timeout=20) as response:
            for line in response.iter_lines():
                if line.startswith("event: message"):
                    self.started.set()
                    self.stop.wait(20)
                    return


class EventReader:
    """Reads a server-sent-event stream in a thread; `next()` returns `(event, data, id)`."""

    def __init__(self, url: str, headers: dict[str, str] | None = None) -> None:
        import queue

        self.events: queue.Queue[tuple[str, Any, str | None]] = queue.Queue()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._read, args=(url, headers or {}), daemon=True)
        self.thread.start()

    def next(self, timeout: float = 5.0) -> tuple[str, Any, str | None]:
        return self.events.get(timeout=timeout)

    def close(self) -> None:
        self.stop.set()

    def _read(self, url: str, headers: dict[str, str]) -> None:
        fields: dict[str, str] = {}
        with httpx.stream("GET", url, headers=headers, timeout=30) as response:
            for line in response.iter_lines():
                if self.stop.is_set():
                    return
                if line == "":
                    if "event" in fields:
                        data = json.loads(fields["data"])
                        self.events.put((fields["event"], data, fields.get("id")))
                    fields = {}
                elif not line.startswith(":") and ": " in line:
                    key, value = line.split(": ", 1)
                    fields[key] = value


def error_of(response: Any) -> dict[str, Any]:
    """A response's error body, its request id checked against the response's `X-Request-ID`
    and left out (it differs every time)."""
    error = dict(response.json()["error"])
    assert error.pop("request_id") == response.headers["x-request-id"]
    return error


def problems(tmp_path: Path, text: str) -> list[str]:
    """The problems of a config `text` (dedented) that must not load, as `bot.yaml:L:C: ...`."""
    path = tmp_path / "bot.yaml"
    path.write_text(textwrap.dedent(text).lstrip())
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return [str(p).replace(str(path), "bot.yaml") for p in caught.value.problems]
