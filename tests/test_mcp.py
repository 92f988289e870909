"""The MCP endpoint (`mcp: true`, `--mcp`), spoken to by the official SDK's client over
Streamable HTTP against a real `chatserve serve`."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import httpx2
import jsonschema
import pytest
from conftest import LiveServer
from helpers import npm_installed, run_async, wait_until
from mcp import ClientSession
from mcp.client.session import IncomingMessage
from mcp.client.streamable_http import streamable_http_client
from mcp_types import ToolListChangedNotification
from pydantic import TypeAdapter

from chatserve.config.inputs import AdditionalInput, InvalidInput

BOT_PY = """\
import pathlib
import time

import chatserve


def tell(message, history, tone, times, shout, colors):
    text = f"{tone} x{times} shout={shout} colors={colors}: {message}"
    return text.upper() if shout else text


def grow(message, history):
    for i in range(1, 6):
        time.sleep(0.3)
        yield "word " * i


def refuse(message, history):
    raise chatserve.Error("Not that one, sorry.")


def picture(message, history):
    path = pathlib.Path(__file__).with_name("dot.png")
    path.write_bytes(b"PNG:" + message.encode())
    return [f"here is {message}", {"path": str(path)}]
"""

TELL = """\
fn: bot.py:tell
title: Tone Teller
description: Says the message back in a tone.
mcp: true
additional_inputs:
  - {type: dropdown, choices: [calm, loud], value: calm, label: Tone, info: How it sounds.}
  - {type: slider, minimum: 1, maximum: 3, step: 1, value: 2}
  - {type: checkbox}
  - {type: checkboxgroup, choices: [red, blue]}
"""

TOKEN = "s3cret-token-for-the-mcp-tests"
INSPECTOR_DIR = Path(__file__).resolve().parent / "mcp-inspector"


@pytest.fixture
def bot_py() -> str:
    return BOT_PY


@asynccontextmanager
async def connected(url: str, **headers: str) -> AsyncIterator[ClientSession]:
    """An initialized SDK client session with the server's `/mcp`."""
    async with listening(url, [], **headers) as (session, _):
        yield session


@asynccontextmanager
async def listening(
    url: str, heard: list[IncomingMessage], **headers: str
) -> AsyncIterator[tuple[ClientSession, Any]]:
    """An initialized SDK client session that appends what the server sends unasked (on its
    session's stream) to `heard`; with the `initialize` result."""

    async def hear(message: IncomingMessage) -> None:
        heard.append(message)

    async with (
        httpx2.AsyncClient(headers=headers) as http,
        streamable_http_client(url + "/mcp", http_client=http) as (read, write),
        ClientSession(read, write, message_handler=hear) as session,
    ):
        yield session, await session.initialize()


def mcp_post(url: str, body: dict[str, Any], **headers: str) -> httpx.Response:
    """One JSON-RPC message POSTed to `/mcp` as a Streamable HTTP client sends it."""
    accept = {"Accept": "application/json, text/event-stream"}
    return httpx.post(url + "/mcp", json=body, headers=accept | headers)


INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "curl", "version": "1"},
    },
}
INITIALIZED = {"jsonrpc": "2.0", "method": "notifications/initialized"}
LIST = {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}


def test_lists_the_bot_as_a_tool_with_its_inputs(
    write_config: Callable[..., Path], live_server: Callable[..., LiveServer]
) -> None:
    server = live_server(write_config(TELL))

    async def tools() -> Any:
        async with connected(server.url) as session:
            return (await session.list_tools()).tools

    [tool] = run_async(tools)
    assert tool.name == "tone-teller"
    assert tool.description == "Says the message back in a tone."
    schema = tool.input_schema
    assert schema["required"] == ["message"]
    assert schema["properties"] == {
        "message": {"type": "string", "title": "Message"},
        "tone": {
            "enum": ["calm", "loud", None],
            "title": "Tone",
            "description": "How it sounds.",
            "default": "calm",
        },
        "times": {"type": "number", "minimum": 1, "maximum": 3, "title": "Times", "default": 2},
        "shout": {"type": "boolean", "title": "Shout", "default": False},
        "colors": {
            "type": "array",
            "items": {"enum": ["red", "blue"]},
            "title": "Colors",
            "default": [],
        },
    }


def test_calls_with_and_without_inputs_and_refuses_bad_ones_as_the_http_api_does(
    write_config: Callable[..., Path], live_server: Callable[..., LiveServer]
) -> None:
    server = live_server(write_config(TELL))

    async def calls() -> list[Any]:
        async with connected(server.url) as session:
            return [
                await session.call_tool("tone-teller", {"message": "hi"}),
                await session.call_tool(
                    "tone-teller",
                    {"message": "hi", "tone": "loud", "times": 3, "shout": True, "colors": ["red"]},
                ),
                await session.call_tool("tone-teller", {"message": "hi", "times": 9}),
                await session.call_tool("tone-teller", {"message": "hi", "volume": 9}),
                await session.call_tool("tone-teller", {"tone": "calm"}),
            ]

    plain, filled, too_many, unknown, no_message = run_async(calls)
    assert not plain.is_error
    assert [block.text for block in plain.content] == ["calm x2 shout=False colors=[]: hi"]
    assert [block.text for block in filled.content] == ["LOUD X3 SHOUT=TRUE COLORS=['RED']: HI"]
    http = httpx.post(server.url + "/api/chat", json={"message": "hi", "inputs": ["calm", 9]})
    assert http.status_code == 422
    assert too_many.is_error
    assert too_many.content[0].text == http.json()["error"]["message"]
    assert too_many.content[0].text == "Input 2 (Times): 9 is above the maximum 3."
    assert unknown.is_error and unknown.content[0].text == "No input named 'volume'."
    assert no_message.is_error and no_message.content[0].text == "`message` must be text."


def test_a_streamed_reply_sends_progress_as_it_grows(
    write_config: Callable[..., Path], live_server: Callable[..., LiveServer]
) -> None:
    server = live_server(write_config("fn: bot.py:grow\nmcp: true\n"))
    progress: list[tuple[float, str | None]] = []

    async def call() -> Any:
        async def noted(value: float, total: float | None, message: str | None) -> None:
            progress.append((value, message))

        async with connected(server.url) as session:
            [tool] = (await session.list_tools()).tools
            assert tool.name == "bot"  # no title: the config file's name
            return await session.call_tool("bot", {"message": "go"}, progress_callback=noted)

    result = run_async(call)
    assert [block.text for block in result.content] == ["word " * 5]
    assert len(progress) >= 3  # one per update, not one per token: at most one in 0.25 s
    assert [value for value, _ in progress] == list(range(1, len(progress) + 1))
    texts = [message for _, message in progress]
    assert all(text and text.startswith("word") for text in texts)
    assert texts[-1] == "word " * 5


def test_a_chatserve_error_is_a_tool_error(
    write_config: Callable[..., Path], live_server: Callable[..., LiveServer]
) -> None:
    server = live_server(write_config("fn: bot.py:refuse\napi_name: no_go\n"), "--mcp")

    async def call() -> Any:
        async with connected(server.url) as session:
            [tool] = (await session.list_tools()).tools
            assert tool.name == "no_go"  # the config's api_name
            return await session.call_tool("no_go", {"message": "hm"})

    result = run_async(call)
    assert result.is_error
    assert [block.text for block in result.content] == ["Not that one, sorry."]


def test_server_auth_bearer_tokens(
    write_config: Callable[..., Path], live_server: Callable[..., LiveServer]
) -> None:
    config = TELL + f"server:\n  auth:\n    tokens:\n      - {{name: agent, token: {TOKEN}}}\n"
    server = live_server(write_config(config))
    for headers in ({}, {"Authorization": "Bearer wrong"}):
        refused = mcp_post(server.url, INITIALIZE, **headers)
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"] == 'Bearer realm="chatserve"'

    async def call() -> Any:
        async with connected(server.url, Authorization=f"Bearer {TOKEN}") as session:
            return await session.call_tool("tone-teller", {"message": "hi"})

    assert run_async(call).content[0].text == "calm x2 shout=False colors=[]: hi"


def test_off_by_default(
    write_config: Callable[..., Path], live_server: Callable[..., LiveServer]
) -> None:
    server = live_server(write_config("fn: bot.py:grow\n"))
    assert httpx.post(server.url + "/mcp", json={}).status_code == 404


def test_files_in_a_reply_are_links_under_the_root_path(
    write_config: Callable[..., Path], live_server: Callable[..., LiveServer]
) -> None:
    """Behind a proxy that takes `/bot` off (as `server.root_path` says), the tool is still at
    `/mcp` for the server, and a file's link is the public one."""
    config = "fn: bot.py:picture\ntitle: Painter\nmcp: true\nserver: {root_path: /bot}\n"
    server = live_server(write_config(config))

    async def call() -> Any:
        async with connected(server.url) as session:
            return await session.call_tool("painter", {"message": "dot"})

    text, link = run_async(call).content
    assert text.text == "here is dot"
    assert link.type == "resource_link"
    assert (link.name, link.mime_type) == ("dot.png", "image/png")
    assert str(link.uri).startswith(server.url + "/bot/api/files/")
    forwarded = str(link.uri).replace("/bot/", "/", 1)  # as the proxy passes it on
    assert httpx.get(forwarded).content == b"PNG:dot"


def test_dns_rebinding_and_cross_site_requests_are_refused(
    write_config: Callable[..., Path], live_server: Callable[..., LiveServer]
) -> None:
    """A page on another site, or reached through a name rebound to loopback, cannot call the
    tool of a server on the user's machine."""
    server = live_server(write_config(TELL))
    body = INITIALIZE
    accept = {"Accept": "application/json, text/event-stream"}
    rebound = httpx.post(server.url + "/mcp", json=body, headers=accept | {"Host": "evil.test"})
    assert rebound.status_code == 400
    cross = httpx.post(
        server.url + "/mcp", json=body, headers=accept | {"Origin": "https://evil.test"}
    )
    assert cross.status_code == 403
    simple = httpx.post(
        server.url + "/mcp",
        content=b'{"jsonrpc": "2.0", "id": 1, "method": "tools/list"}',
        headers=accept | {"Content-Type": "text/plain"},
    )
    assert simple.status_code == 415
    allowed = httpx.post(server.url + "/mcp", json=body, headers=accept)
    assert allowed.status_code == 200


def test_the_tool_list_follows_a_reload(
    write_config: Callable[..., Path], live_server: Callable[..., LiveServer]
) -> None:
    """A client that listens for no notification sees the new tool at its next `tools/list`."""
    path = write_config(TELL)
    server = live_server(path)

    async def names() -> list[str]:
        async with connected(server.url) as session:
            return [tool.name for tool in (await session.list_tools()).tools]

    assert run_async(names) == ["tone-teller"]
    path.write_text(TELL.replace("Tone Teller", "Mood Teller"))
    assert wait_until(lambda: run_async(names) == ["mood-teller"], timeout=10)


def test_a_session_hears_when_a_reload_changes_the_tool(
    write_config: Callable[..., Path], live_server: Callable[..., LiveServer]
) -> None:
    """One process: a session, `listChanged`, and `notifications/tools/list_changed` after each
    reload that changes the tool (a title, an input), none after one that does not (`css`)."""
    path = write_config(TELL)
    server = live_server(path)
    heard: list[IncomingMessage] = []

    async def told(count: int) -> bool:
        for _ in range(250):  # 5 s
            if len(heard) >= count:
                return True
            await asyncio.sleep(0.02)
        return False

    async def reloaded(revision: int) -> None:
        for _ in range(500):
            if f"(revision {revision})" in server.output():
                return
            await asyncio.sleep(0.02)
        raise AssertionError(f"no revision {revision}:\n{server.output()}")

    async def session() -> list[list[str]]:
        listed = []
        async with listening(server.url, heard) as (client, initialized):
            assert initialized.capabilities.tools.list_changed is True
            listed.append([tool.name for tool in (await client.list_tools()).tools])
            await asyncio.sleep(1)  # the client opens its session's stream after `initialize`

            path.write_text(TELL.replace("Tone Teller", "Mood Teller"))
            assert await told(1), server.output()
            listed.append([tool.name for tool in (await client.list_tools()).tools])

            path.write_text(TELL.replace("Tone Teller", "Mood Teller") + "css: 'h1 {color: red}'\n")
            await reloaded(3)
            await asyncio.sleep(1)
            assert len(heard) == 1

            changed = TELL.replace("Tone Teller", "Mood Teller").replace("maximum: 3", "maximum: 5")
            path.write_text(changed)
            assert await told(2), server.output()
            [tool] = (await client.list_tools()).tools
            listed.append([tool.name, tool.input_schema["properties"]["times"]["maximum"]])
        return listed

    assert run_async(session) == [["tone-teller"], ["mood-teller"], ["mood-teller", 5]]
    assert all(isinstance(message, ToolListChangedNotification) for message in heard), heard


def test_a_session_id_works_for_its_owner_only(
    write_config: Callable[..., Path], live_server: Callable[..., LiveServer]
) -> None:
    """With `server.auth`, another user's session id (or a forged one) is as unknown: 404."""
    tokens = f"[{{name: agent, token: {TOKEN}}}, {{name: other, token: other-{TOKEN}}}]"
    server = live_server(write_config(TELL + f"server:\n  auth:\n    tokens: {tokens}\n"))
    agent = {"Authorization": f"Bearer {TOKEN}"}
    other = {"Authorization": f"Bearer other-{TOKEN}"}
    opened = mcp_post(server.url, INITIALIZE, **agent)
    assert opened.status_code == 200
    session_id = opened.headers["mcp-session-id"]
    own = {"Mcp-Session-Id": session_id, "Mcp-Protocol-Version": "2025-06-18"}
    assert mcp_post(server.url, INITIALIZED, **agent, **own).status_code == 202

    assert mcp_post(server.url, LIST, **other, **own).status_code == 404
    accept = {"Accept": "text/event-stream"}
    stream = httpx.get(server.url + "/mcp", headers=accept | other | own)
    assert stream.status_code == 404
    deleted = httpx.delete(server.url + "/mcp", headers=other | own)
    assert deleted.status_code == 404
    sdk_id, _, mac = session_id.rpartition(".")
    for forged in (sdk_id, f"{sdk_id}.{'0' * len(mac)}", f"{sdk_id}.{mac}x"):
        headers = own | {"Mcp-Session-Id": forged}
        assert mcp_post(server.url, LIST, **agent, **headers).status_code == 404

    listed = mcp_post(server.url, LIST, **agent, **own)
    assert listed.status_code == 200
    assert '"name":"tone-teller"' in listed.text
    assert httpx.delete(server.url + "/mcp", headers=agent | own).status_code == 200
    assert mcp_post(server.url, LIST, **agent, **own).status_code == 404  # ended


def test_a_server_with_an_open_session_stops_at_once(
    write_config: Callable[..., Path], live_server: Callable[..., LiveServer]
) -> None:
    """The session's stream (its GET) ends when the server is told to stop: it does not hold
    the shutdown for `server.shutdown_grace`."""
    server = live_server(write_config(TELL))
    opened = mcp_post(server.url, INITIALIZE)
    own = {"Mcp-Session-Id": opened.headers["mcp-session-id"], "Mcp-Protocol-Version": "2025-06-18"}
    assert mcp_post(server.url, INITIALIZED, **own).status_code == 202
    headers = {"Accept": "text/event-stream"} | own
    with httpx.stream("GET", server.url + "/mcp", headers=headers, timeout=60) as stream:
        assert stream.status_code == 200
        started = time.monotonic()
        server.process.terminate()
        server.process.wait(timeout=10)
        for _ in stream.iter_bytes():
            pass  # the stream ends, rather than breaking off
    assert time.monotonic() - started < 5, server.output()
    assert "Application shutdown complete." in server.output()


@pytest.mark.parametrize(
    ("config", "args"),
    [(TELL, ["--workers", "2"]), (TELL.replace("mcp: true", "mcp: {sessions: false}"), [])],
)
def test_workers_or_sessions_false_keep_it_stateless(
    write_config: Callable[..., Path],
    live_server: Callable[..., LiveServer],
    config: str,
    args: list[str],
) -> None:
    server = live_server(write_config(config), *args)
    opened = mcp_post(server.url, INITIALIZE)
    assert opened.status_code == 200
    assert "mcp-session-id" not in opened.headers
    assert '"listChanged":false' in opened.text or '"listChanged"' not in opened.text
    assert '"name":"tone-teller"' in mcp_post(server.url, LIST).text


@pytest.mark.parametrize(
    ("config", "one_process", "sessions"),
    [
        ("mcp: true\n", True, True),
        ("mcp: {}\n", True, True),
        ("mcp: true\n", False, False),
        ("mcp: {sessions: false}\n", True, False),
        ("mcp: true\nserver: {storage: 's3://bucket/bot'}\n", True, False),
        ("mcp: true\nserver: {database: 'postgresql://db.example/bot'}\n", True, False),
    ],
)
def test_who_gets_sessions(
    write_config: Callable[..., Path], config: str, one_process: bool, sessions: bool
) -> None:
    """Sessions live in one process: not with `--workers`, nor with a store replicas share."""
    from chatserve.bot.load import load
    from chatserve.routes.mcp import sessions_on

    bot = load(write_config("fn: bot.py:grow\n" + config))
    assert sessions_on(bot.config, one_process) is sessions


def test_without_the_extra_the_config_is_refused_at_its_key(
    write_config: Callable[..., Path],
) -> None:
    path = write_config("fn: bot.py:grow\ntitle: Grower\nmcp: true\n")
    blocked = (
        "import sys; sys.modules['mcp.server.streamable_http_manager'] = None; "
        "from chatserve.cli import main; main()"
    )
    result = subprocess.run(
        [sys.executable, "-c", blocked, "serve", str(path), "--port", "0"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"{path}:3:1: mcp: needs the mcp.server.streamable_http_manager package, which is not "
        "installed: pip install 'chatserve[mcp]'"
    )


def test_workers_serve_it_without_sticky_sessions(
    write_config: Callable[..., Path], live_server: Callable[..., LiveServer]
) -> None:
    """`--mcp` reaches every `--workers` process; each request stands alone, so a session's
    requests may land on any of them."""
    server = live_server(
        write_config("fn: bot.py:grow\ntitle: Grower\n"), "--mcp", "--workers", "2"
    )

    async def calls() -> list[Any]:
        async with connected(server.url) as session:
            return [await session.list_tools() for _ in range(6)]

    assert all([tool.name for tool in listed.tools] == ["grower"] for listed in run_async(calls))


@pytest.mark.parametrize(
    ("declared", "values"),
    [
        ({"type": "textbox", "max_length": 3}, ["ab", "abcd", 1, None]),
        ({"type": "number", "minimum": 0, "maximum": 10}, [5, 0.5, -1, 11, "5", True, None]),
        ({"type": "slider", "minimum": 1, "maximum": 3}, [2, 0, 4, [2]]),
        ({"type": "checkbox"}, [True, False, 1, "yes"]),
        ({"type": "radio", "choices": ["a", ["B", "b"]]}, ["a", "b", "B", None, ["a"]]),
        ({"type": "dropdown", "choices": ["a", "b"]}, ["a", "c", None, ["a"]]),
        (
            {"type": "dropdown", "choices": ["a", "b"], "multiselect": True, "value": []},
            [["a", "b"], ["c"], "a"],
        ),
        ({"type": "checkboxgroup", "choices": ["a", "b"]}, [["b"], ["c"], None, "a"]),
    ],
)
def test_each_inputs_schema_accepts_what_its_check_accepts(
    declared: dict[str, Any], values: list[Any]
) -> None:
    """The tool's schema tells clients what `/api/chat`'s checks take: the same values."""
    spec = TypeAdapter(AdditionalInput).validate_python(declared)
    validator = jsonschema.Draft202012Validator(spec.schema())
    for value in [spec.default(), *values]:
        try:
            spec.check(value)
            checked = True
        except InvalidInput:
            checked = False
        assert validator.is_valid(value) == checked, value


def test_inputs_of_a_star_inputs_function_are_numbered(
    write_config: Callable[..., Path], live_server: Callable[..., LiveServer]
) -> None:
    bot = "def echo(message, history, *inputs):\n    return f'{message} {inputs}'\n"
    config = "fn: bot.py:echo\nmcp: true\nadditional_inputs: [textbox, checkbox]\n"
    server = live_server(write_config(config, bot_py=bot))

    async def use() -> tuple[Any, Any]:
        async with connected(server.url) as session:
            [tool] = (await session.list_tools()).tools
            return tool, await session.call_tool("bot", {"message": "hi", "input_2": True})

    tool, result = run_async(use)
    assert list(tool.input_schema["properties"]) == ["message", "input_1", "input_2"]
    assert tool.input_schema["properties"]["input_2"]["title"] == "Input 2"
    assert result.content[0].text == "hi ('', True)"


@pytest.fixture(scope="session")
def inspector() -> Path:
    """The MCP Inspector's launcher, installed from tests/mcp-inspector/package-lock.json."""
    modules = npm_installed(INSPECTOR_DIR, "@modelcontextprotocol/inspector")
    return modules / ".bin" / "mcp-inspector"


def test_the_mcp_inspector_cli_lists_and_calls_the_tool_with_a_bearer_token(
    write_config: Callable[..., Path],
    live_server: Callable[..., LiveServer],
    inspector: Path,
    tmp_path: Path,
) -> None:
    """A client other than the SDK's, as a user would run it: `--tool-arg times=3` arrives as a
    number (a string would be refused), and without the token it fails."""
    config = TELL.replace("mcp: true\n", "")
    config += f"server:\n  auth:\n    tokens:\n      - {{name: agent, token: {TOKEN}}}\n"
    server = live_server(write_config(config), "--mcp")

    def inspect(*args: str, token: str | None = TOKEN) -> subprocess.CompletedProcess[str]:
        auth = ["--header", f"Authorization: Bearer {token}"] if token else []
        return subprocess.run(
            [str(inspector), "--cli", server.url + "/mcp", "--transport", "http", *args, *auth],
            stdin=subprocess.DEVNULL,  # no terminal: it reports a sign-in need, not prompts
            capture_output=True,
            text=True,
            timeout=60,
            env=os.environ | {"HOME": str(tmp_path)},  # its catalog and storage stay here
        )

    listed = inspect("--method", "tools/list")
    assert listed.returncode == 0, listed.stdout + listed.stderr
    [tool] = json.loads(listed.stdout)["tools"]
    assert tool["name"] == "tone-teller"
    inputs = tool["inputSchema"]["properties"]
    assert list(inputs) == ["message", "tone", "times", "shout", "colors"]
    assert inputs["tone"]["enum"] == ["calm", "loud", None]

    args = ["--tool-name", "tone-teller", "--tool-arg", "message=hi", "tone=loud", "times=3"]
    called = inspect("--method", "tools/call", *args)
    assert called.returncode == 0, called.stdout + called.stderr
    result = json.loads(called.stdout)
    assert result["isError"] is False
    assert result["content"] == [{"type": "text", "text": "loud x3 shout=False colors=[]: hi"}]

    for token in (None, "wrong-token-of-enough-length"):
        refused = inspect("--method", "tools/list", token=token)
        assert refused.returncode != 0
        assert json.loads(refused.stderr)["error"]["code"] == "auth_required"
        assert refused.stdout == ""
