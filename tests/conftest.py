"""Shared fixtures: config files on disk, in-process clients, real servers, and Chromium."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from helpers import free_port
from litestar.testing import TestClient

from chatserve.app import create_app

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

BOT_PY = """
import asyncio
import time

import chatserve


def echo(message, history):
    return f"echo: {message} ({len(history)} in history)"


def stream(message, history):
    for i in range(1, 6):
        yield "word " * i


def paced(message, history):
    for i in range(1, 6):
        time.sleep(0.05)
        yield "word " * i


def steady(message, history):
    for i in range(1, 9):
        time.sleep(0.2)
        yield "word " * i


def flood(message, history):
    reply = ""
    for i in range(5000):
        reply += f"t{i} "
        yield reply


async def async_echo(message, history):
    await asyncio.sleep(0)
    return "async: " + message


async def async_stream(message, history):
    for i in range(1, 4):
        await asyncio.sleep(0)
        yield "tick " * i


def refuse(message, history):
    raise chatserve.Error("I can't answer that.")


def crash(message, history):
    raise RuntimeError("secret internal detail")


def partial_then_crash(message, history):
    yield "partial"
    raise RuntimeError("secret internal detail")


def xss(message, history):
    return (
        "<img src=x onerror='window.pwned=1'> <script>window.pwned=2</script> "
        "[click](javascript:window.pwned=3) **bold**"
    )


def xss_stream(message, history):
    payload = xss(message, history)
    for end in range(1, len(payload) + 1, 3):
        time.sleep(0.005)
        yield payload[:end]
    yield payload


def odd(message, history):
    return object()


def mutate(message, history):
    history.append({"role": "user", "content": "injected"})
    return str(len(history))


async def async_slow(message, history):
    try:
        for i in range(1000):
            await asyncio.sleep(0.05)
            yield f"step {i}"
    finally:
        with open("closed.txt", "w") as f:
            f.write("closed")


def slow(message, history):
    try:
        for i in range(1000):
            time.sleep(0.05)
            yield f"step {i}"
    finally:
        with open("closed.txt", "w") as f:
            f.write("closed")
"""


@pytest.fixture
def write_config(tmp_path: Path) -> Callable[..., Path]:
    """Write `bot.yaml` (dedented) beside the test chat functions in `bot.py`."""

    def write(text: str, name: str = "bot.yaml", bot_py: str = BOT_PY) -> Path:
        (tmp_path / "bot.py").write_text(textwrap.dedent(bot_py))
        path = tmp_path / name
        path.write_text(textwrap.dedent(text).lstrip())
        return path

    return write


@pytest.fixture
def client(write_config: Callable[..., Path]) -> Callable[..., TestClient]:
    """An in-process client for a config given as YAML text."""
    clients: list[TestClient] = []

    def make(text: str, bot_py: str = BOT_PY) -> TestClient:
        test_client = TestClient(create_app(write_config(text, bot_py=bot_py)))
        clients.append(test_client.__enter__())
        return test_client

    yield make
    for test_client in clients:
        test_client.__exit__(None, None, None)


@dataclass
class LiveServer:
    """A `chatserve serve` child process on a free loopback port."""

    url: str
    process: subprocess.Popen[str]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def start_server(config: Path, log: Path, *args: str) -> LiveServer:
    """Start `python -m chatserve serve CONFIG` and wait until /healthz answers."""
    port = free_port()
    command = [sys.executable, "-m", "chatserve", "serve", str(config), "--port", str(port)]
    return start_process([*command, *args], port, config.parent, log)


def start_process(command: list[str], port: int, cwd: Path, log: Path) -> LiveServer:
    """Start a server process that will listen on `port`; wait until /healthz answers."""
    with log.open("w") as handle:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen(
            command,
            stdout=handle,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=cwd,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    server = LiveServer(f"http://127.0.0.1:{port}", process, log)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{command[0]} exited with {process.returncode}:\n{server.output()}")
        try:
            if httpx.get(server.url + "/healthz", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"{command[0]} did not answer within 15 s:\n{server.output()}")


def stop_server(server: LiveServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[Callable[..., LiveServer]]:
    """Start real servers for config files; all are stopped after the test."""
    servers: list[LiveServer] = []

    def start(config: Path, *args: str) -> LiveServer:
        server = start_server(Path(config), tmp_path / f"server-{len(servers)}.log", *args)
        servers.append(server)
        return server

    yield start
    for server in servers:
        stop_server(server)


@pytest.fixture
def live_process(tmp_path: Path) -> Iterator[Callable[..., LiveServer]]:
    """Start any server command (`{port}` in it is replaced by a free port); all are stopped
    after the test."""
    servers: list[LiveServer] = []

    def start(command: list[str], cwd: Path) -> LiveServer:
        port = free_port()
        command = [part.replace("{port}", str(port)) for part in command]
        log = tmp_path / f"process-{len(servers)}.log"
        servers.append(start_process(command, port, cwd, log))
        return servers[-1]

    yield start
    for server in servers:
        stop_server(server)


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (Playwright cannot download browsers here)."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (.ci/run does this)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def new_page(browser):
    """Open pages in fresh browser contexts (`color_scheme`, `viewport`, ... as keywords)."""
    contexts = []

    def open_page(**context_options):
        context = browser.new_context(**context_options)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        return page

    yield open_page
    for context in contexts:
        context.close()
