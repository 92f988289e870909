"""Shared fixtures: config files on disk, in-process clients, real servers, and Chromium.

What a test uses marks it: a child process (`live_server`, `live_process`, `run_chatserve`,
and PostgreSQL and S3 from `infra`) marks it `server`, Chromium (`browser`, `new_page`,
`open_bot`) marks it `browser`; a test that starts a process some other way carries the mark
itself. `pytest -m "not browser and not server"` runs the rest, the in-process tests.
Playwright is imported only when a browser test runs, so the others run without it.

In-process tests hash and check passwords at a low scrypt cost (`password_cost`); tests of the
cost itself are marked `real_password_cost`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
from helpers import BOT_PY, free_port, wait_until
from litestar.testing import TestClient

from chatserve.app import create_app
from chatserve.security import passwords
from chatserve.security.passwords import Cost
from chatserve.ui.bundle import WebUI

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

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

sys.path.append(str(ROOT / "bench"))  # real backing services: `bench/backing.py`
pytest_plugins = ["infra", "proxying"]

CHILD_PROCESS_FIXTURES = {
    "live_server",
    "live_process",
    "run_chatserve",
    "postgres_server",
    "postgres_url",
    "s3_server",
    "s3_url",
    "oidc_provider",
}


LOW_PASSWORD_COST = Cost(ln=10, r=8, p=1)
"""A real scrypt of 1 MiB, about a millisecond: enough for a test that needs *a* sign-in."""


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "real_password_cost: hashes and checks passwords at the production scrypt cost",
    )


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marks
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test `server` and `browser` by the fixtures it uses."""
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if fixtures & CHILD_PROCESS_FIXTURES:
            item.add_marker(pytest.mark.server)
        if "browser" in fixtures:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(autouse=True)
def password_cost(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Cost:
    """The scrypt cost passwords are hashed and checked at in this test: `LOW_PASSWORD_COST`,
    or the production cost for tests marked `real_password_cost` and for tests marked `server`
    (a child process checks at the production cost, so the hashes written for it need it too,
    or it would upgrade them)."""
    if {mark.name for mark in request.node.iter_markers()} & {"real_password_cost", "server"}:
        return passwords.COST
    monkeypatch.setattr(passwords, "COST", LOW_PASSWORD_COST)
    return LOW_PASSWORD_COST


@pytest.fixture(scope="session")
def web_ui() -> WebUI:
    """The built web UI, read and compressed once for every in-process app."""
    return WebUI()


@pytest.fixture
def bot_py() -> str:
    """The `bot.py` that configs are written beside: the shared chat functions (a module with
    functions of its own overrides this fixture)."""
    return BOT_PY


@pytest.fixture
def write_config(tmp_path: Path, bot_py: str) -> Callable[..., Path]:
    """Write `bot.yaml` (dedented) beside the test chat functions in `bot.py`."""

    def write(text: str, name: str = "bot.yaml", bot_py: str = bot_py) -> Path:
        (tmp_path / "bot.py").write_text(textwrap.dedent(bot_py))
        path = tmp_path / name
        path.write_text(textwrap.dedent(text).lstrip())
        return path

    return write


@pytest.fixture
def client(
    write_config: Callable[..., Path], bot_py: str, web_ui: WebUI
) -> Iterator[Callable[..., TestClient]]:
    """In-process clients for a config: YAML text (written beside `bot_py`) or a config file."""
    clients: list[TestClient] = []

    def make(
        config: str | Path, bot_py: str = bot_py, base_url: str = "http://testserver.local"
    ) -> TestClient:
        path = config if isinstance(config, Path) else write_config(config, bot_py=bot_py)
        test_client = TestClient(create_app(path, webui=web_ui), base_url=base_url)
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

    def healthy() -> bool:
        if process.poll() is not None:
            raise RuntimeError(f"{command[0]} exited with {process.returncode}:\n{server.output()}")
        try:
            return httpx.get(server.url + "/healthz", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    try:
        wait_until(healthy, timeout=15)
    except AssertionError:
        process.kill()
        raise RuntimeError(f"{command[0]} did not answer within 15 s:\n{server.output()}") from None
    return server


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


@pytest.fixture
def run_chatserve(tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run the command line in a child process, in the test's folder unless `cwd` says."""

    def run(
        *args: str, cwd: Path = tmp_path, input: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "chatserve", *args]
        return subprocess.run(
            command, cwd=cwd, input=input, capture_output=True, text=True, timeout=60
        )

    return run


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium driven by Playwright (Playwright cannot download browsers here)."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (.ci/run does this)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def new_page(browser: Browser) -> Iterator[Callable[..., Page]]:
    """Open pages in fresh browser contexts (`color_scheme`, `viewport`, ... as keywords), in
    English (`locale="en-US"`) unless a test asks for another language: the page follows it."""
    contexts = []

    def open_page(**context_options) -> Page:
        context = browser.new_context(**{"locale": "en-US", **context_options})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        return page

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def open_bot(
    write_config: Callable[..., Path],
    bot_py: str,
    live_server: Callable[..., LiveServer],
    new_page: Callable[..., Page],
) -> Callable[..., Page]:
    """Serve a config on a real server and open its page in a fresh browser context: YAML text
    (written beside `bot_py`) or a config file; context options (`viewport`, ...) as keywords.
    Returns once the chat is ready to type in."""
    from browsing import expect

    def open_page(config: str | Path, *, bot_py: str = bot_py, **context_options) -> Page:
        path = config if isinstance(config, Path) else write_config(config, bot_py=bot_py)
        page = new_page(**context_options)
        page.goto(live_server(path).url)
        expect(page.get_by_label("Message")).to_be_visible()
        return page

    return open_page
